//! What one run reports: [`RunReport`] with its violations, statistics and probe counts.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::bite::FaultTally;
use crate::seed::Seed;

/// A broken property, as a person can act on it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// The property's stable name (`stock-conserved`, `host-panic`, …).
    pub invariant: String,
    /// What broke, with the entity and the numbers.
    pub detail: String,
    /// Simulated time at which it was found broken.
    pub at_ms: u64,
    /// The ledger event after which it first broke (its number in the trace, `L<n>`), when
    /// the scenario knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_ledger: Option<u64>,
}

impl Violation {
    /// A violation of `invariant` at `at_ms`.
    pub fn new(invariant: impl Into<String>, detail: impl Into<String>, at_ms: u64) -> Self {
        Violation {
            invariant: invariant.into(),
            detail: detail.into(),
            at_ms,
            after_ledger: None,
        }
    }

    /// The same violation, first broken after ledger event `n` (`L<n>` in the trace).
    pub fn after_ledger(mut self, n: u64) -> Self {
        self.after_ledger = Some(n);
        self
    }
}

/// Engine-level properties, named like the scenario's invariants.
pub mod engine_invariants {
    /// A host task (or a task it spawned) panicked.
    pub const HOST_PANIC: &str = "host-panic";
    /// A host's main future returned an error.
    pub const HOST_ERROR: &str = "host-error";

    /// Each engine-level property with its statement, as `dtx list` shows them.
    pub const STATEMENTS: [(&str, &str); 2] = [
        (HOST_PANIC, "no host task, nor any task it spawned, panics"),
        (HOST_ERROR, "no host's main future returns an error"),
    ];
}

/// Counters of one run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Simulated milliseconds the run lasted.
    pub sim_ms: u64,
    /// Simulation steps (ticks).
    pub steps: u64,
    /// When the engine healed.
    pub healed_at_ms: u64,
    /// Datagrams sent (each send counts once, however many copies).
    pub sent: u64,
    /// Datagrams handed to receivers' code.
    pub delivered: u64,
    /// Datagrams lost (partition, loss, host down).
    pub dropped: u64,
    /// Datagrams that got a second copy.
    pub duplicated: u64,
    /// Datagrams held on a link.
    pub held: u64,
    /// Held datagrams released.
    pub released: u64,
    /// Faults of the plan that started.
    pub faults: u64,
    /// Host crashes (random and at crash points).
    pub crashes: u64,
    /// Host restarts.
    pub restarts: u64,
}

/// The report of one run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunReport {
    /// The run's seed.
    pub seed: Seed,
    /// Stable hash of the whole trace.
    pub trace_hash: u64,
    /// Everything that broke.
    pub violations: Vec<Violation>,
    /// Did the run reach quiescence (true) or stop at the liveness deadline (false)?
    pub quiescent: bool,
    /// What was still busy at the deadline (empty when quiescent).
    #[serde(default)]
    pub busy: Vec<String>,
    /// Counters.
    pub stats: Stats,
    /// How often each probe was reached.
    pub probes: BTreeMap<String, u64>,
    /// How often a host died at each named crash point (the plan armed it and code passed it).
    #[serde(default)]
    pub died_at: BTreeMap<String, u64>,
    /// How often each host died at a write boundary.
    #[serde(default)]
    pub boundary_crashes: BTreeMap<String, u64>,
    /// Durable writes per host (hosts that never wrote are left out).
    #[serde(default)]
    pub writes: BTreeMap<String, u64>,
    /// Per fault kind: planned, and how many of those had an effect.
    #[serde(default)]
    pub faults: BTreeMap<String, FaultTally>,
    /// The plan indices of the faults that had an effect.
    #[serde(default)]
    pub bitten: Vec<u32>,
    /// The scenario's business metrics (empty for a scenario that has none).
    #[serde(default, skip_serializing_if = "crate::metrics::Metrics::is_empty")]
    pub metrics: crate::metrics::Metrics,
}

impl RunReport {
    /// No violation.
    pub fn is_clean(&self) -> bool {
        self.violations.is_empty()
    }
}
