//! `dtx shrink`: a failing seed, or a failing case file, shrunk to a minimal case file that
//! still violates the same invariant. Exit 0 when a case was written, 1 when the run does not
//! fail (nothing to shrink).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::ArgGroup;
use dtx_sim::{run, Start};

use crate::case::{Case, Expect};
use crate::exit::{Outcome, Usage};
use crate::shrink;

use super::seed_args::{SeedArgs, NOT_WITH_A_CASE};

/// What the command does (`--help`).
pub const LONG_ABOUT: &str =
    "Shrink a failing run to a minimal case file: delta debugging removes faults, \
then workload items, keeping every reduction under which the same invariant still fails. The \
invariant kept is the case file's expected one; with --bug, the first violated invariant the \
knob's catalogue row names; otherwise the first violated. The case replays bit for bit with \
`dtx replay FILE`.";

/// The help text after the arguments (`--help`).
pub const EXAMPLES: &str = "\
Examples:
  dtx shrink --protocol 2pc --seed 0x2a --bug 2pc-decision-not-logged --out 2pc-0x2a.json
  dtx shrink dtx-campaign/failures/2pc-0x2a.json --out small.json
  dtx shrink --protocol tcc --seed 7 --bug tcc-no-fence --out - > small.json
  dtx replay small.json --trace

Exit codes: 0 a case was written, 1 the run does not fail (nothing to shrink), 2 bad input.";

#[derive(clap::Args)]
#[command(
    group(ArgGroup::new("what").required(true).args(["protocol", "case"]))
)]
pub struct Args {
    /// A case file to shrink (e.g. from a campaign's failures/), instead of --protocol/--seed.
    #[arg(value_name = "CASE", conflicts_with_all = NOT_WITH_A_CASE)]
    case: Option<PathBuf>,
    #[command(flatten)]
    seed: SeedArgs,
    /// Where to write the shrunk case file; `-` writes it to stdout (the rest goes to stderr).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

/// Where the human text goes: stdout, or stderr when the case itself goes to stdout.
struct Say {
    to_stderr: bool,
}

impl Say {
    fn line(&self, text: &str) {
        if self.to_stderr {
            eprintln!("{text}");
        } else {
            crate::outln!("{text}");
        }
    }
}

pub fn execute(a: Args) -> Outcome {
    let to_stdout = a.out == Path::new("-");
    let say = Say {
        to_stderr: to_stdout,
    };
    // What to shrink: the plan, its target, the invariant asked for, where it came from.
    let (target, first, asked, original, from) = match &a.case {
        Some(path) => {
            let (case, target) = Case::load(path)?;
            let first = case.replay(&target, &target.config());
            let from = format!("case {}", path.display());
            (
                target,
                first,
                case.expect.invariant.clone(),
                Some(case),
                from,
            )
        }
        None => {
            let (target, seed) = a.seed.target("shrink")?;
            let first = run(&mut *target.scenario(), Start::Seed(seed), &target.config())?;
            (target, first, None, None, format!("{target} seed {seed}"))
        }
    };
    let Some(invariant) = shrink::invariant_to_keep(&target, &first.report, asked.as_deref())
    else {
        say.line(&format!("{from} does not fail: nothing to shrink"));
        return Ok(ExitCode::from(1));
    };
    let seed = original.as_ref().map_or(first.report.seed, |c| c.seed);
    let shrunk = shrink::shrink(&target, first.plan.clone(), &invariant, &target.config());
    let case = Case {
        protocol: target.protocol.name.to_string(),
        bug: target.bug.map(|b| b.name.to_string()),
        shape: target.workload.shape_if_set(),
        seed,
        plan: shrunk.plan,
        expect: Expect {
            must_fail: true,
            invariant: Some(invariant.clone()),
        },
        repro: original
            .as_ref()
            .map_or_else(|| target.repro(seed), |c| c.repro.clone()),
        note: original.map(|c| c.note).unwrap_or_default(),
    };
    if to_stdout {
        crate::out!("{}", case.to_json());
    } else {
        case.save(&a.out)
            .map_err(|e| Usage(format!("cannot write '{}': {e}", a.out.display())))?;
    }
    let items = target.scenario().workload_items();
    let skipped_before = first.plan.skip.len() as u32;
    say.line(&format!(
        "shrunk {from} ({invariant}) in {} runs: faults {} -> {}, workload items {} -> {}",
        shrunk.runs,
        first.plan.faults.len(),
        case.plan.faults.len(),
        items - skipped_before,
        items - case.plan.skip.len() as u32
    ));
    say.line(case.plan.to_string().trim_end());
    if to_stdout {
        say.line("case written to stdout; save it and look at it with: dtx replay FILE --trace");
    } else {
        say.line(&format!("case written to {}", a.out.display()));
        say.line(&format!(
            "next:      dtx replay {} --trace",
            a.out.display()
        ));
    }
    Ok(ExitCode::SUCCESS)
}
