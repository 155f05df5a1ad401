//! How one run is shown, by `run` and `replay` alike: the one-line text report with its
//! violations and reproduction lines, the JSON report of the command contract, the plan and
//! trace timeline (`--trace`, inside the JSON with `--json`), and the Mermaid sequence diagram
//! (`--mermaid FILE|-`). `--order` narrows both the timeline and the diagram to one order
//! (see `dtx_sim::focus` for what is kept).

use std::path::PathBuf;

use dtx_sim::{mermaid, timeline, Focus, Run, RunReport, Shown};

use crate::exit::Usage;
use crate::registry::Target;

/// How to show a run (flattened into `run` and `replay`).
#[derive(clap::Args, Debug, Default, Clone)]
pub struct ShowArgs {
    /// Print the report as one JSON object (with --trace, the trace is inside it).
    #[arg(long)]
    pub json: bool,
    /// Print the plan and the trace timeline: ledger events numbered L0, L1 … as violations
    /// cite them, each violation right after the ledger event it first broke after.
    #[arg(long)]
    pub trace: bool,
    /// Write the run as a Mermaid sequence diagram to FILE ('-': stdout, the text report then
    /// goes to stderr; with --json, the diagram is the JSON's "mermaid" field).
    #[arg(long, value_name = "FILE")]
    pub mermaid: Option<PathBuf>,
    /// With --trace or --mermaid: only what is about this order id (its messages, ledger
    /// events and probes), with the faults, crashes and violations around them.
    #[arg(long, value_name = "ID")]
    pub order: Option<u64>,
}

impl ShowArgs {
    /// Does the diagram go to stdout?
    pub fn mermaid_to_stdout(&self) -> bool {
        self.mermaid.as_deref() == Some(std::path::Path::new("-"))
    }

    /// Bad combinations, refused before anything runs.
    pub fn check(&self) -> Result<(), Usage> {
        if self.order.is_some() && !self.trace && self.mermaid.is_none() {
            return Err(Usage(
                "--order narrows --trace or --mermaid: give one of them".into(),
            ));
        }
        if self.mermaid_to_stdout() && self.trace && !self.json {
            return Err(Usage(
                "--trace and --mermaid - would both write to stdout: give --mermaid FILE, or --json".into(),
            ));
        }
        Ok(())
    }
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
    args.check()?;
    let about = args
        .order
        .map(|o| move |text: &str| dtx_models::wire::mentions_order(text, o));
    let focus = args.order.zip(about.as_ref()).map(|(o, about)| Focus {
        name: format!("order {o}"),
        about,
    });
    let violations = &r.report.violations;
    let diagram = args
        .mermaid
        .as_ref()
        .map(|_| mermaid::render(&r.trace, violations, focus.as_ref()));
    if let (Some(path), Some(text)) = (&args.mermaid, &diagram) {
        if !args.mermaid_to_stdout() {
            std::fs::write(path, text)
                .map_err(|e| Usage(format!("cannot write '{}': {e}", path.display())))?;
        }
    }
    if args.json {
        let mut v = report_json(target, &r.report);
        v["repro"] = origin.repro.clone().into();
        for (k, x) in &origin.json {
            v[k] = x.clone();
        }
        if args.trace {
            v["plan"] = serde_json::to_value(&r.plan).expect("plans serialize");
            v["trace"] = trace_json(r, focus.as_ref());
            if let Some(f) = &focus {
                v["trace_filter"] = f.banner().into();
            }
        }
        if args.mermaid_to_stdout() {
            v["mermaid"] = diagram.into();
        }
        crate::outln!("{v}");
        return Ok(());
    }
    if args.trace {
        crate::out!("{}", r.plan.render(&r.report.bitten));
        crate::out!("{}", timeline::render(&r.trace, violations, focus.as_ref()));
    }
    if args.mermaid_to_stdout() {
        crate::out!("{}", diagram.unwrap_or_default());
        // stdout carries the diagram alone.
        eprint!("{}", report_text(target, &r.report, origin));
    } else {
        crate::out!("{}", report_text(target, &r.report, origin));
    }
    Ok(())
}

/// The trace as JSON: what the timeline shows, in order, each event with its fields (ledger
/// events with their number `n`, as violations cite them) and its rendered `line`.
pub fn trace_json(r: &Run, focus: Option<&Focus<'_>>) -> serde_json::Value {
    let shown = dtx_sim::select(&r.trace, &r.report.violations, focus);
    let events = shown
        .into_iter()
        .map(|s| {
            let mut v = match s {
                Shown::Event(e) => serde_json::to_value(e).expect("events serialize"),
                Shown::Violation(v) => {
                    let mut j = serde_json::to_value(v).expect("violations serialize");
                    j["type"] = "violation".into();
                    j
                }
            };
            v["line"] = timeline::line(&r.trace, s).trim_start().into();
            v
        })
        .collect();
    serde_json::Value::Array(events)
}

/// The run's report as one JSON object (the command contract's fields).
pub fn report_json(target: &Target, r: &RunReport) -> serde_json::Value {
    let mut v = serde_json::to_value(r).expect("reports serialize");
    v["schema"] = "dtx.run/1".into();
    v["protocol"] = target.protocol.name.into();
    v["bug"] = target.bug.map(|b| b.name).into();
    v["seed"] = r.seed.to_string().into();
    v["trace_hash"] = format!("{:#018x}", r.trace_hash).into();
    v["repro"] = target.repro(r.seed).into();
    v
}

/// The run's report as text: one line, then each violation and the lines that reproduce it
/// and say what to do next.
pub fn report_text(target: &Target, r: &RunReport, origin: &Origin) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
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
        let _ = writeln!(
            s,
            "  VIOLATION {} at {}ms: {}",
            v.invariant, v.at_ms, v.detail
        );
    }
    if !r.violations.is_empty() {
        let _ = writeln!(s, "  reproduce: {}", origin.repro);
        if let Some((label, line)) = &origin.next {
            let _ = writeln!(s, "  {:<10} {line}", format!("{label}:"));
        }
    }
    s
}
