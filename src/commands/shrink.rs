//! `dtx shrink`: a failing seed shrunk to a minimal case file.

use std::path::PathBuf;
use std::process::ExitCode;

use dtx_sim::{run, Seed, SimConfig, Start};

use crate::case::{Case, Expect};
use crate::exit::{Outcome, Usage};
use crate::registry::Target;
use crate::shrink;

#[derive(clap::Args)]
pub struct Args {
    #[arg(long)]
    protocol: String,
    #[arg(long)]
    seed: Seed,
    #[arg(long)]
    bug: Option<String>,
    #[arg(long)]
    out: PathBuf,
}

pub fn execute(a: Args) -> Outcome {
    let (seed, out) = (a.seed, &a.out);
    let target = Target::find(&a.protocol, a.bug.as_deref())?;
    let config = SimConfig::default();
    let first = run(&mut *target.scenario(), Start::Seed(seed), &config)?;
    let Some(v) = first.report.violations.first() else {
        crate::outln!("{target} seed {seed} does not fail: nothing to shrink");
        return Ok(ExitCode::from(1));
    };
    let invariant = v.invariant.clone();
    let shrunk = shrink::shrink(&target, first.plan.clone(), &invariant, &config);
    let case = Case {
        protocol: target.protocol.name.to_string(),
        bug: target.bug.map(|b| b.name.to_string()),
        seed,
        plan: shrunk.plan,
        expect: Expect {
            must_fail: true,
            invariant: Some(invariant.clone()),
        },
        repro: target.repro(seed),
        note: String::new(),
    };
    case.save(out)
        .map_err(|e| Usage(format!("cannot write '{}': {e}", out.display())))?;
    let items = target.scenario().workload_items();
    crate::outln!(
        "shrunk {target} seed {seed} ({invariant}) in {} runs: faults {} -> {}, workload items {} -> {}",
        shrunk.runs,
        first.plan.faults.len(),
        case.plan.faults.len(),
        items,
        items - case.plan.skip.len() as u32
    );
    crate::out!("{}", case.plan);
    crate::outln!(
        "case written to {}; replay: dtx replay {}",
        out.display(),
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}
