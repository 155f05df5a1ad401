//! What one target's campaign runs: the target, the seed range (or a wall-clock budget), the
//! shard, the worker threads, whether to shrink, and when to stop early.

use std::time::Duration;

use dtx_sim::Seed;

use crate::campaign::Shard;
use crate::registry::Target;

/// What to run.
#[derive(Clone, Debug)]
pub struct Spec {
    pub target: Target,
    /// First seed of the range.
    pub start: Seed,
    /// Seeds in the (unsharded) range; None: until `duration` runs out.
    pub seeds: Option<u64>,
    /// Wall-clock budget.
    pub duration: Option<Duration>,
    pub jobs: usize,
    pub shard: Shard,
    /// Print each new failure signature as it is found.
    pub verbose: bool,
    /// Shrink the case of each new signature.
    pub shrink: bool,
    /// Stop once this many failing seeds are found (in seed order).
    pub max_failures: Option<u64>,
}

impl Spec {
    /// The k-th seed of this shard: `start + shard.index + k * shard.count` (None: past the
    /// range, or past the last seed there is).
    pub fn seed(&self, k: u64) -> Option<Seed> {
        let offset = k
            .checked_mul(self.shard.count)?
            .checked_add(self.shard.index)?;
        match self.seeds {
            Some(n) if offset >= n => None,
            _ => self.start.0.checked_add(offset).map(Seed),
        }
    }

    /// Seeds this shard runs when the range is bounded.
    pub fn total(&self) -> Option<u64> {
        self.seeds.map(|n| self.shard.size_of(n))
    }
}

/// Worker threads by default: every core.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
