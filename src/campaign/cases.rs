//! The case files of a campaign: `failures/<signature>.json`, one per failure signature,
//! holding its lowest failing seed. A failing seed is saved the moment it arrives if it is the
//! first or a lower seed of its signature (seeds arrive out of order with several workers), so
//! a killed campaign has lost no signature it had met; once the seed is folded in order the
//! file is final, whatever `--jobs` is. Files an earlier campaign left (`--append`) are kept.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use dtx_sim::{Plan, Seed};

use crate::campaign::signature::Signature;
use crate::campaign::tally::Outcome;
use crate::case::{Case, Expect};
use crate::registry::Target;

/// The folder under `--out` the case files go to.
pub const FAILURES: &str = "failures";

/// The case files of one campaign.
#[derive(Debug)]
pub struct CaseFiles {
    dir: Option<PathBuf>,
    /// File names in `failures/` before this campaign started (`--append`).
    earlier: BTreeSet<String>,
    /// The seed each signature's file holds.
    saved: BTreeMap<Signature, Seed>,
}

impl CaseFiles {
    /// Case files under `out/failures` (none without `out`), keeping `earlier` ones.
    pub fn new(out: Option<&Path>, earlier: BTreeSet<String>) -> std::io::Result<Self> {
        let dir = out.map(|o| o.join(FAILURES));
        if let Some(d) = &dir {
            std::fs::create_dir_all(d)?;
        }
        Ok(CaseFiles {
            dir,
            earlier,
            saved: BTreeMap::new(),
        })
    }

    /// A failing seed arrived: save it if it is the lowest of its signature seen so far.
    pub fn offer(&mut self, target: &Target, sig: &Signature, o: &Outcome) -> std::io::Result<()> {
        let (Some(dir), Some(plan)) = (&self.dir, &o.plan) else {
            return Ok(());
        };
        if self.earlier.contains(&sig.file_name())
            || self.saved.get(sig).is_some_and(|s| *s <= o.seed)
        {
            return Ok(());
        }
        let note = format!(
            "campaign failure signature {}: its lowest failing seed",
            sig.id()
        );
        case(target, o, plan.clone(), note).save(&dir.join(sig.file_name()))?;
        self.saved.insert(sig.clone(), o.seed);
        Ok(())
    }

    /// Write the shrunk plan of the signature's first seed into its case file (the seed and
    /// the reproduction line stay the original's).
    pub fn save_shrunk(
        &self,
        target: &Target,
        sig: &Signature,
        o: &Outcome,
        plan: Plan,
    ) -> std::io::Result<()> {
        let Some(dir) = &self.dir else { return Ok(()) };
        let note = format!(
            "campaign failure signature {}: its lowest failing seed, plan shrunk",
            sig.id()
        );
        case(target, o, plan, note).save(&dir.join(sig.file_name()))
    }

    /// The signature's case file relative to `--out` (None: no file).
    pub fn relative(&self, sig: &Signature) -> Option<String> {
        (self.saved.contains_key(sig) || self.kept_from_earlier(sig))
            .then(|| format!("{FAILURES}/{}", sig.file_name()))
    }

    /// The signature's case file as a path.
    pub fn path(&self, sig: &Signature) -> Option<PathBuf> {
        let dir = self.dir.as_ref()?;
        self.relative(sig).map(|_| dir.join(sig.file_name()))
    }

    /// Did an earlier campaign leave this signature's file?
    pub fn kept_from_earlier(&self, sig: &Signature) -> bool {
        self.dir.is_some() && self.earlier.contains(&sig.file_name())
    }

    /// Remove the files of signatures the report does not list (seen only past a
    /// `--max-failures` cut): the directory holds exactly what the report says.
    pub fn drop_unreported(
        &mut self,
        reported: impl Fn(&Signature) -> bool,
    ) -> std::io::Result<()> {
        let Some(dir) = &self.dir else { return Ok(()) };
        let gone: Vec<Signature> = self
            .saved
            .keys()
            .filter(|s| !reported(s))
            .cloned()
            .collect();
        for sig in gone {
            std::fs::remove_file(dir.join(sig.file_name()))?;
            self.saved.remove(&sig);
        }
        Ok(())
    }
}

fn case(target: &Target, o: &Outcome, plan: Plan, note: String) -> Case {
    Case {
        protocol: target.protocol.name.to_string(),
        bug: target.bug.map(|b| b.name.to_string()),
        shape: target.workload.shape_if_set(),
        seed: o.seed,
        plan,
        expect: Expect {
            must_fail: true,
            invariant: o.violations.first().map(|v| v.invariant.clone()),
        },
        repro: target.repro(o.seed),
        note,
    }
}
