//! `dtx replay`: a saved case re-run from its explicit plan, shown like `dtx run`, and judged
//! against what it expects: exit 0 when it behaves as it says (must fail and fails with its
//! invariant, or must pass and passes), 1 otherwise.

use std::path::{Path, PathBuf};

use crate::case::Case;
use crate::exit::{verdict, Outcome};
use crate::show::{show_from, Origin, ShowArgs};

/// What the command does (`--help`).
pub const LONG_ABOUT: &str = "Re-run a case file (from `dtx shrink`, a campaign's failures/ or \
tests/corpus/) from its explicit plan, bit for bit, show it like `dtx run`, and say whether it \
behaves as the case expects: a must-fail case must violate its invariant, a must-pass case must \
run clean.";

/// The help text after the arguments (`--help`).
pub const EXAMPLES: &str = "\
Examples:
  dtx replay tests/corpus/bug-2pc-stale-vote-shrunk.json
  dtx replay case.json --trace
  dtx replay case.json --mermaid case.md
  dtx replay case.json --json | jq .as_expected

Exit codes: 0 the case behaves as it expects, 1 it does not, 2 bad input.";

#[derive(clap::Args)]
pub struct Args {
    /// The case file to replay.
    #[arg(value_name = "CASE")]
    case: PathBuf,
    #[command(flatten)]
    show: ShowArgs,
}

/// The origin of a run of the case file at `path`: reproduced by `repro`, looked at next with
/// `dtx replay CASE --trace`.
pub fn origin(repro: &str, path: &Path) -> Origin {
    Origin {
        repro: repro.to_string(),
        next: Some(("look", format!("dtx replay {} --trace", path.display()))),
        json: serde_json::Map::new(),
    }
}

pub fn execute(a: Args) -> Outcome {
    a.show.check()?;
    let (case, target) = Case::load(&a.case)?;
    let r = case.replay(&target, &target.config());
    let judged = case.verdict(&r);
    let expect = case.expectation();
    let mut origin = origin(&format!("dtx replay {}", a.case.display()), &a.case);
    origin
        .json
        .insert("case".into(), a.case.display().to_string().into());
    origin.json.insert("expect".into(), expect.clone().into());
    origin
        .json
        .insert("as_expected".into(), judged.is_ok().into());
    if let Err(why) = &judged {
        origin
            .json
            .insert("not_as_expected".into(), why.clone().into());
    }
    show_from(&target, &r, &a.show, &origin)?;
    if !a.show.json {
        let line = match &judged {
            Ok(()) => format!("  as the case expects ({expect})"),
            Err(why) => format!("  NOT as the case expects: {why}"),
        };
        if a.show.mermaid_to_stdout() {
            // stdout carries the diagram alone.
            eprintln!("{line}");
        } else {
            crate::outln!("{line}");
        }
    }
    Ok(verdict(judged.is_ok()))
}
