//! The main job (`dtx` with no command): 1,000 seeds of every registered protocol, one table
//! row each, failures listed by signature under their row; exit 1 on any failure of a
//! non-baseline protocol or a baseline that stays clean.

use std::sync::atomic::AtomicBool;

use dtx_sim::{Seed, SimConfig};

use crate::campaign::{self, default_jobs, CaseFiles, Shard, Spec};
use crate::exit::{verdict, Outcome, Usage};
use crate::registry::{self, Target};

/// Seeds per protocol in the main job.
const MAIN_JOB_SEEDS: u64 = 1000;

pub fn execute() -> Outcome {
    let stop = AtomicBool::new(false);
    let config = SimConfig::default();
    crate::outln!(
        "{:<16} {:>6} {:>8} {:<40} {:>8} {:>10} {:>9} {:>9} {:>9}",
        "protocol",
        "seeds",
        "failed",
        "violations by invariant",
        "probes",
        "crash pts",
        "unsettled",
        "no-fault",
        "seeds/s"
    );
    let mut ok = true;
    for p in registry::protocols() {
        let spec = Spec {
            target: Target::new(p, None),
            start: Seed(0),
            seeds: Some(MAIN_JOB_SEEDS),
            duration: None,
            jobs: default_jobs(),
            shard: Shard::ALL,
            verbose: false,
            shrink: false,
            max_failures: None,
        };
        let mut cases = CaseFiles::new(None, Default::default())
            .map_err(|e| Usage(format!("campaign failed: {e}")))?;
        let f = campaign::campaign(&spec, &config, &stop, &mut cases)
            .map_err(|e| Usage(format!("campaign failed: {e}")))?;
        let r = &f.report;
        let by: Vec<String> = r
            .violations_by_invariant
            .iter()
            .map(|(k, n)| format!("{k}:{n}"))
            .collect();
        let reached = r.probes.len() - r.probes_never_reached.len();
        let hit = r.crash_points.len() - r.crash_points_never_hit.len();
        crate::outln!(
            "{:<16} {:>6} {:>8} {:<40} {:>8} {:>10} {:>9} {:>9} {:>9.0}{}",
            p.name,
            r.runs,
            r.failed,
            if by.is_empty() {
                "-".into()
            } else {
                by.join(" ")
            },
            format!("{reached}/{}", r.probes.len()),
            format!("{hit}/{}", r.crash_points.len()),
            r.coverage.unsettled_runs,
            r.coverage.runs_without_fault_effect,
            if f.wall_secs > 0.0 {
                r.runs as f64 / f.wall_secs
            } else {
                0.0
            },
            if p.baseline {
                "  (baseline: violations expected)"
            } else {
                ""
            }
        );
        if p.baseline && r.failed == 0 {
            // A baseline that stops failing means the faults stopped biting (or the checkers
            // went blind): the main job is not green on that.
            ok = false;
            crate::outln!(
                "  BASELINE CLEAN: {} showed no violation in {} seeds; the harness would miss what it exists to find",
                p.name, r.runs
            );
        }
        if !p.baseline && r.failed > 0 {
            ok = false;
            for g in &r.signatures {
                let more = if g.count > 1 {
                    format!(" (and {} more seeds)", g.count - 1)
                } else {
                    String::new()
                };
                crate::outln!(
                    "  FAIL {}: {} failing seed(s), first {}{more}: {}\n    reproduce: {}\n    shrink: {}",
                    g.signature,
                    g.count,
                    g.first_seed(),
                    g.detail,
                    g.repro,
                    g.shrink
                );
            }
        }
    }
    Ok(verdict(ok))
}
