//! The run as a text timeline: one line per event or violation that [`crate::focus::select`]
//! shows, in time order; a filtered timeline says so on its first line.

use crate::focus::{select, Focus, Shown};
use crate::report::Violation;
use crate::trace::Trace;

/// The timeline of `trace` with `violations` where they first broke, narrowed to `focus`.
pub fn render(trace: &Trace, violations: &[Violation], focus: Option<&Focus<'_>>) -> String {
    let mut out = String::new();
    if let Some(f) = focus {
        out.push_str(&f.banner());
        out.push('\n');
    }
    for s in select(trace, violations, focus) {
        out.push_str(&line(trace, s));
        out.push('\n');
    }
    out
}

/// One shown thing as a line: `  1250ms  send     stock -> order #17 Reserved{..}`,
/// `  1300ms  ledger   L25 StockReserved{..}`, `  1300ms  VIOLATION stock-conserved: …`.
pub fn line(trace: &Trace, shown: Shown<'_>) -> String {
    match shown {
        Shown::Event(e) => trace.describe(e),
        Shown::Violation(v) => violation(v),
    }
}

/// A violation as a timeline line.
pub fn violation(v: &Violation) -> String {
    format!("{:>8}ms  VIOLATION {}: {}", v.at_ms, v.invariant, v.detail)
}
