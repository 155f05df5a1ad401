//! `dtx run`: one seed, or one case file's plan, shown as text, JSON, a trace timeline or a
//! Mermaid diagram. Exit 0 when the run is clean, 1 on a violation.

use std::path::PathBuf;

use clap::ArgGroup;
use dtx_sim::{run, Start};

use crate::case::Case;
use crate::exit::{verdict, Outcome};
use crate::show::{show, show_from, ShowArgs};

use super::seed_args::{SeedArgs, NOT_WITH_A_CASE};

/// What the command does (`--help`).
pub const LONG_ABOUT: &str =
    "Run one seed of a protocol (optionally with one bug knob turned on), or the \
explicit plan of a case file, and show the run: a one-line report with every violation and the \
line that reproduces it, or JSON, the plan and trace timeline, a Mermaid sequence diagram.";

/// The help text after the arguments (`--help`).
pub const EXAMPLES: &str = "\
Examples:
  dtx run --protocol 2pc --seed 42
  dtx run --protocol 2pc --seed 0x2a --bug 2pc-decision-not-logged --trace
  dtx run --protocol tcc --seed 7 --mermaid run.md --order 3
  dtx run --protocol saga-orch --seed 1 --json | jq .violations
  dtx run --case failures/2pc-0x2a.json --trace

Exit codes: 0 the run is clean, 1 it violated an invariant, 2 bad input.";

#[derive(clap::Args)]
#[command(
    group(ArgGroup::new("what").required(true).args(["protocol", "case"]))
)]
pub struct Args {
    #[command(flatten)]
    seed: SeedArgs,
    /// Run a case file's plan instead (written by `dtx shrink` or a campaign's failures/).
    #[arg(long, value_name = "FILE", conflicts_with_all = NOT_WITH_A_CASE)]
    case: Option<PathBuf>,
    #[command(flatten)]
    show: ShowArgs,
}

pub fn execute(a: Args) -> Outcome {
    a.show.check()?;
    if let Some(path) = &a.case {
        let (case, target) = Case::load(path)?;
        let r = case.replay(&target, &target.config());
        let origin = super::replay::origin(&format!("dtx run --case {}", path.display()), path);
        show_from(&target, &r, &a.show, &origin)?;
        return Ok(verdict(r.report.is_clean()));
    }
    let (target, seed) = a.seed.target("run")?;
    let r = run(&mut *target.scenario(), Start::Seed(seed), &target.config())?;
    show(&target, &r, &a.show)?;
    Ok(verdict(r.report.is_clean()))
}
