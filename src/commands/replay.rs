//! `dtx replay`: a saved case re-run from its explicit plan, judged against what it expects.

use std::path::PathBuf;

use dtx_sim::SimConfig;

use crate::case::Case;
use crate::exit::{verdict, Outcome};
use crate::show::print_report;

#[derive(clap::Args)]
pub struct Args {
    case: PathBuf,
}

pub fn execute(a: Args) -> Outcome {
    let (case, target) = Case::load(&a.case)?;
    let r = case.replay(&target, &SimConfig::default());
    print_report(&target, &r.report);
    match case.verdict(&r) {
        Ok(()) => crate::outln!("  as the case expects"),
        Err(why) => crate::outln!("  NOT as the case expects: {why}"),
    }
    Ok(verdict(r.report.is_clean()))
}
