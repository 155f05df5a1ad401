//! `dtx run`: one seed, shown as text, JSON, a trace timeline or a Mermaid diagram.

use dtx_sim::{run, Seed, SimConfig, Start};

use crate::exit::{verdict, Outcome};
use crate::registry::Target;
use crate::show::{show, ShowArgs};

#[derive(clap::Args)]
pub struct Args {
    #[arg(long)]
    protocol: String,
    /// The seed: decimal or 0x hex.
    #[arg(long)]
    seed: Seed,
    #[arg(long)]
    bug: Option<String>,
    #[command(flatten)]
    show: ShowArgs,
}

pub fn execute(a: Args) -> Outcome {
    let target = Target::find(&a.protocol, a.bug.as_deref())?;
    let r = run(
        &mut *target.scenario(),
        Start::Seed(a.seed),
        &SimConfig::default(),
    )?;
    show(&target, &r, &a.show)?;
    Ok(verdict(r.report.is_clean()))
}
