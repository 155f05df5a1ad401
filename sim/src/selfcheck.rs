//! The determinism self-check: run a seed twice and, if the trace hashes differ, name the
//! first event where the two runs diverge.

use std::fmt;

use crate::config::SimConfig;
use crate::plan::PlanError;
use crate::runner::{run, Start};
use crate::scenario::Scenario;
use crate::seed::Seed;
use crate::trace::Trace;

/// Two runs of one seed that did not produce the same trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Divergence {
    /// The seed.
    pub seed: Seed,
    /// Index of the first event that differs.
    pub index: usize,
    /// That event in the first run (None: the first run had ended).
    pub first: Option<String>,
    /// That event in the second run (None: the second run had ended).
    pub second: Option<String>,
    /// The two trace hashes.
    pub hashes: (u64, u64),
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |e: &Option<String>| e.clone().unwrap_or_else(|| "(end of trace)".into());
        write!(
            f,
            "seed {} is not deterministic: trace hashes {:#018x} and {:#018x} first differ at event {}:\n  run 1: {}\n  run 2: {}",
            self.seed,
            self.hashes.0,
            self.hashes.1,
            self.index,
            show(&self.first).trim(),
            show(&self.second).trim()
        )
    }
}

/// The first event at which two traces differ, if any.
pub fn first_difference(a: &Trace, b: &Trace) -> Option<(usize, Option<String>, Option<String>)> {
    let n = a.events.len().max(b.events.len());
    (0..n).find_map(|i| {
        let (x, y) = (a.events.get(i), b.events.get(i));
        (x != y).then(|| (i, x.map(|e| a.describe(e)), y.map(|e| b.describe(e))))
    })
}

/// Run `seed` of a fresh scenario twice; Ok(hash) if both traces are identical.
pub fn self_check<S: Scenario>(
    mut make: impl FnMut() -> S,
    seed: Seed,
    config: &SimConfig,
) -> Result<Result<u64, Divergence>, PlanError> {
    let a = run(&mut make(), Start::Seed(seed), config)?;
    let b = run(&mut make(), Start::Seed(seed), config)?;
    Ok(match first_difference(&a.trace, &b.trace) {
        None if a.report.trace_hash == b.report.trace_hash => Ok(a.report.trace_hash),
        diff => {
            let (index, first, second) = diff.unwrap_or((a.trace.events.len(), None, None));
            Err(Divergence {
                seed,
                index,
                first,
                second,
                hashes: (a.report.trace_hash, b.report.trace_hash),
            })
        }
    })
}
