//! How one run is shown: the one-line text report with its violations and reproduction line,
//! and the JSON report of the command contract.

use dtx_sim::RunReport;

use crate::registry::Target;

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

/// The run's report as text: one line, then each violation and the reproduction line.
pub fn print_report(target: &Target, r: &RunReport) {
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
        crate::outln!("  reproduce: {}", target.repro(r.seed));
        crate::outln!("  shrink:    {}", target.shrink_line(r.seed));
    }
}
