//! Run configuration: the tick, the latency model, the fault window and preset, and the
//! liveness deadline.
//!
//! # Why a 50 ms tick
//!
//! turmoil steps every host every tick, whether or not it has anything to do; one host-tick
//! costs about 1.4 µs of wall time (a tokio `block_on` and a `LocalSet` pass), so idle
//! stepping is the floor of every run: `hosts × (1000 / tick_ms) × 1.4 µs` per simulated
//! second. The order scenario has about nine hosts (order, stock, points, payment, broker and
//! a few clients). At 1 ms that is ~80 simulated seconds per wall second; at 50 ms it is
//! ~4,000, which leaves room under the target of 2,000 for the work the hosts actually do.
//! Within a tick, timers still fire at their exact millisecond (tokio's paused clock), so
//! timeouts and backoffs keep their values; only network latency is quantized: a datagram
//! arrives one to three ticks after it is sent (10–120 ms drawn by turmoil), so a call's
//! round trip is at least 100 ms. Protocol timeouts are set in seconds accordingly, and the
//! ratio of timeout to latency — which is what races depend on — stays realistic.
//! Measured figures are in the README (bench `idle_hosts`).

use serde::{Deserialize, Serialize};

/// How the engine runs one seed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimConfig {
    /// Simulated time per step.
    pub tick_ms: u64,
    /// Shortest network latency.
    pub min_latency_ms: u64,
    /// Longest network latency.
    pub max_latency_ms: u64,
    /// End of the fault window of generated plans: heal happens here at the latest.
    pub window_ms: u64,
    /// At most this many faults of each enabled kind in a generated plan.
    pub max_faults_per_kind: u32,
    /// Liveness deadline: how long after heal the system has to become quiescent.
    pub deadline_ms: u64,
    /// After the run became quiescent the engine steps this much longer (longer than any
    /// retry backoff of the code under test); a ledger event in it is a `settled` violation.
    pub tail_ms: u64,
    /// How long generated faults last at most, relative to the longest retry budget of the
    /// code under test: partitions and pauses last up to about 3× it.
    pub longest_fault_ms: u64,
    /// Which faults generated plans draw.
    #[serde(default)]
    pub faults: FaultPreset,
}

/// Which faults a generated plan draws (`--faults`): none, the default swarm, or a heavier one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FaultPreset {
    /// No faults: the calm baseline (the workload and its business failures only).
    None,
    /// The swarm: each kind on or off per seed, up to `max_faults_per_kind` of each.
    #[default]
    Default,
    /// Every applicable kind on, up to twice `max_faults_per_kind` of each.
    Heavy,
}

impl FaultPreset {
    /// Every preset, mildest first.
    pub const ALL: [FaultPreset; 3] = [FaultPreset::None, FaultPreset::Default, FaultPreset::Heavy];

    /// Its CLI name.
    pub fn name(self) -> &'static str {
        match self {
            FaultPreset::None => "none",
            FaultPreset::Default => "default",
            FaultPreset::Heavy => "heavy",
        }
    }
}

impl std::fmt::Display for FaultPreset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for FaultPreset {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        FaultPreset::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| {
                format!("unknown fault preset '{s}'; valid presets: none, default, heavy")
            })
    }
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            tick_ms: 50,
            min_latency_ms: 10,
            max_latency_ms: 120,
            window_ms: 20_000,
            max_faults_per_kind: 2,
            deadline_ms: 60_000,
            tail_ms: 5_000,
            longest_fault_ms: 24_000,
            faults: FaultPreset::Default,
        }
    }
}
