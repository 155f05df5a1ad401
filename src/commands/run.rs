//! `dtx run`: one seed, shown as text, JSON, a trace timeline or a Mermaid diagram.

use std::path::PathBuf;

use dtx_sim::{run, Seed, SimConfig, Start};

use crate::exit::{verdict, Outcome, Usage};
use crate::registry::Target;
use crate::show::{print_report, report_json};

#[derive(clap::Args)]
pub struct Args {
    #[arg(long)]
    protocol: String,
    /// The seed: decimal or 0x hex.
    #[arg(long)]
    seed: Seed,
    #[arg(long)]
    bug: Option<String>,
    /// Print the report as one JSON object.
    #[arg(long)]
    json: bool,
    /// Print the plan and the trace timeline.
    #[arg(long)]
    trace: bool,
    /// Write the run as a Mermaid sequence diagram to FILE.
    #[arg(long, value_name = "FILE")]
    mermaid: Option<PathBuf>,
    /// With --mermaid: only the messages about this order id (order-system protocols).
    #[arg(long, value_name = "ID")]
    order: Option<u64>,
}

pub fn execute(a: Args) -> Outcome {
    let target = Target::find(&a.protocol, a.bug.as_deref())?;
    let r = run(
        &mut *target.scenario(),
        Start::Seed(a.seed),
        &SimConfig::default(),
    )?;
    if a.trace {
        crate::out!("{}", r.plan.render(&r.report.bitten));
        crate::out!("{}", r.trace.timeline());
    }
    if let Some(path) = a.mermaid {
        let order = a.order;
        let about = order.map(|o| move |label: &str| dtx_models::wire::mentions_order(label, o));
        let text =
            dtx_sim::mermaid::render(&r.trace, about.as_ref().map(|f| f as &dyn Fn(&str) -> bool));
        std::fs::write(&path, text)
            .map_err(|e| Usage(format!("cannot write '{}': {e}", path.display())))?;
    }
    if a.json {
        crate::outln!("{}", report_json(&target, &r.report));
    } else {
        print_report(&target, &r.report);
    }
    Ok(verdict(r.report.is_clean()))
}
