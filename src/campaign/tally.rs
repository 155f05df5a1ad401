//! One seed's outcome and the per-target aggregates it is folded into, in seed order: runs,
//! failing seeds, violations by invariant, probes, crash points, fault coverage, simulated
//! time, business metrics and the campaign hash. Nothing per seed is kept: memory does not
//! grow with seeds.

use std::collections::BTreeMap;

use dtx_sim::{Fnv64, Metrics, Plan, Seed, Violation};

use crate::coverage::{Coverage, RunCoverage};
use crate::metrics::MetricsTally;
use crate::registry::Target;

/// One seed's result, as a worker sends it.
#[derive(Debug)]
pub struct Outcome {
    pub seed: Seed,
    pub trace_hash: u64,
    pub violations: Vec<Violation>,
    pub probes: BTreeMap<String, u64>,
    pub died_at: BTreeMap<String, u64>,
    pub sim_ms: u64,
    pub coverage: RunCoverage,
    /// The run's business metrics.
    pub metrics: Metrics,
    /// The explicit plan, kept only for failing seeds (their case file).
    pub plan: Option<Plan>,
}

impl Outcome {
    pub fn failed(&self) -> bool {
        !self.violations.is_empty()
    }
}

/// A target's aggregates so far.
#[derive(Debug)]
pub struct Tally {
    pub runs: u64,
    pub failed: u64,
    pub by_invariant: BTreeMap<String, u64>,
    pub probes: BTreeMap<String, u64>,
    pub died_at: BTreeMap<String, u64>,
    pub coverage: Coverage,
    pub sim_ms: u64,
    pub metrics: MetricsTally,
    hash: Fnv64,
}

impl Tally {
    /// Nothing counted yet; every probe and crash point of `target` listed at zero.
    pub fn new(target: &Target) -> Self {
        Tally {
            runs: 0,
            failed: 0,
            by_invariant: BTreeMap::new(),
            probes: target.probes().into_iter().map(|p| (p, 0)).collect(),
            died_at: target
                .scenario()
                .topology()
                .crash_points
                .into_iter()
                .map(|(_, p)| (p, 0))
                .collect(),
            coverage: Coverage::default(),
            sim_ms: 0,
            metrics: MetricsTally::default(),
            hash: Fnv64::new(),
        }
    }

    /// Fold the next seed in seed order.
    pub fn add(&mut self, o: &Outcome) {
        self.runs += 1;
        self.failed += u64::from(o.failed());
        self.coverage.add(&o.coverage);
        self.hash.write_u64(o.seed.0);
        self.hash.write_u64(o.trace_hash);
        self.sim_ms += o.sim_ms;
        self.metrics.add(&o.metrics);
        let mut seen: Vec<&str> = o.violations.iter().map(|v| v.invariant.as_str()).collect();
        seen.sort_unstable();
        seen.dedup();
        for inv in seen {
            *self.by_invariant.entry(inv.to_string()).or_insert(0) += 1;
        }
        for (p, n) in &o.probes {
            *self.probes.entry(p.clone()).or_insert(0) += n;
        }
        for (p, n) in &o.died_at {
            *self.died_at.entry(p.clone()).or_insert(0) += n;
        }
    }

    /// Hash over every (seed, trace hash) pair in seed order: equal campaigns, equal hash.
    pub fn campaign_hash(&self) -> String {
        format!("{:#018x}", self.hash.finish())
    }
}

/// The names whose count is zero.
pub fn never(counts: &BTreeMap<String, u64>) -> Vec<String> {
    counts
        .iter()
        .filter(|(_, n)| **n == 0)
        .map(|(p, _)| p.clone())
        .collect()
}
