//! How one run is shown, by `run` and `replay` alike: the one-line text report with its
//! violations and reproduction lines, the JSON report of the command contract, the plan and
//! trace timeline (`--trace`), and the Mermaid sequence diagram (`--mermaid`, `--order`).

use std::path::PathBuf;

use dtx_sim::{Run, RunReport};

use crate::exit::Usage;
use crate::registry::Target;

/// How to show a run (flattened into `run` and `replay`).
#[derive(clap::Args, Debug, Default, Clone)]
pub struct ShowArgs {
    /// Print the report as one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Print the plan and the trace timeline.
    #[arg(long)]
    pub trace: bool,
    /// Write the run as a Mermaid sequence diagram to FILE.
    #[arg(long, value_name = "FILE")]
    pub mermaid: Option<PathBuf>,
    /// With --mermaid: only the messages about this order id (order-system protocols).
    #[arg(long, value_name = "ID")]
    pub order: Option<u64>,
}

/// Where a run came from, as its report tells it: the line that reproduces it, the next step
/// (label and line), and fields a JSON report carries besides the run's (a replay's verdict).
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub repro: String,
    pub next: Option<(&'static str, String)>,
    pub json: serde_json::Map<String, serde_json::Value>,
}

impl Origin {
    /// A run of `seed`: reproduced by `dtx run`, shrunk next.
    pub fn seed(target: &Target, seed: dtx_sim::Seed) -> Origin {
        Origin {
            repro: target.repro(seed),
            next: Some(("shrink", target.shrink_line(seed))),
            json: serde_json::Map::new(),
        }
    }
}

/// Show `r` (a run of `target`'s seed) as `args` ask.
pub fn show(target: &Target, r: &Run, args: &ShowArgs) -> Result<(), Usage> {
    show_from(target, r, args, &Origin::seed(target, r.report.seed))
}

/// Show `r` (a run of `target` that came from `origin`) as `args` ask.
pub fn show_from(target: &Target, r: &Run, args: &ShowArgs, origin: &Origin) -> Result<(), Usage> {
    if args.trace {
        crate::out!("{}", r.plan.render(&r.report.bitten));
        crate::out!("{}", r.trace.timeline());
    }
    if let Some(path) = &args.mermaid {
        let about = args
            .order
            .map(|o| move |label: &str| dtx_models::wire::mentions_order(label, o));
        let text =
            dtx_sim::mermaid::render(&r.trace, about.as_ref().map(|f| f as &dyn Fn(&str) -> bool));
        std::fs::write(path, text)
            .map_err(|e| Usage(format!("cannot write '{}': {e}", path.display())))?;
    }
    if args.json {
        let mut v = report_json(target, &r.report);
        v["repro"] = origin.repro.clone().into();
        for (k, x) in &origin.json {
            v[k] = x.clone();
        }
        crate::outln!("{v}");
    } else {
        print_report(target, &r.report, origin);
    }
    Ok(())
}

/// The run's report as one JSON object (the command contract's fields).
pub fn report_json(target: &Target, r: &RunReport) -> serde_json::Value {
    let mut v = serde_json::to_value(r).expect("reports serialize");
    v["protocol"] = target.protocol.name.into();
    v["bug"] = target.bug.map(|b| b.name).into();
    v["seed"] = r.seed.to_string().into();
    v["trace_hash"] = format!("{:#018x}", r.trace_hash).into();
    v["repro"] = target.repro(r.seed).into();
    v
}

/// The run's report as text: one line, then each violation and the lines that reproduce it
/// and say what to do next.
pub fn print_report(target: &Target, r: &RunReport, origin: &Origin) {
    crate::outln!(
        "{target} seed {}: trace {:#018x}, {} ms simulated, sent {} delivered {} dropped {} duplicated {} held {} crashes {}{}",
        r.seed,
        r.trace_hash,
        r.stats.sim_ms,
        r.stats.sent,
        r.stats.delivered,
        r.stats.dropped,
        r.stats.duplicated,
        r.stats.held,
        r.stats.crashes,
        if r.quiescent {
            ", quiescent".to_string()
        } else {
            format!(", NOT quiescent (busy: {})", r.busy.join("; "))
        }
    );
    for v in &r.violations {
        crate::outln!("  VIOLATION {} at {}ms: {}", v.invariant, v.at_ms, v.detail);
    }
    if !r.violations.is_empty() {
        crate::outln!("  reproduce: {}", origin.repro);
        if let Some((label, line)) = &origin.next {
            crate::outln!("  {:<10} {line}", format!("{label}:"));
        }
    }
}
