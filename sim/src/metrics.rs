//! Business metrics of one run, as the scenario reads them from its own records (the ledger
//! its stores commit) and from the trace — never from protocol code: named counts (orders
//! confirmed, messages, …) and named samples in simulated milliseconds (latency of each order,
//! how long each hold lasted, …). Counts add up across runs and samples pool, so `dtx compare`
//! aggregates any scenario's metrics without knowing what they mean.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One run's metrics.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metrics {
    /// Named counts.
    pub counts: BTreeMap<String, u64>,
    /// Named samples (simulated ms, one per order, per hold, …).
    pub samples: BTreeMap<String, Vec<u64>>,
}

impl Metrics {
    /// Add `n` to count `name` (created at 0, so a count can be named with nothing counted).
    pub fn count(&mut self, name: &str, n: u64) {
        *self.counts.entry(name.to_string()).or_insert(0) += n;
    }

    /// Record one sample of `name` (created empty by [`Metrics::samples_of`] when none).
    pub fn sample(&mut self, name: &str, value: u64) {
        self.samples
            .entry(name.to_string())
            .or_default()
            .push(value);
    }

    /// Make sure sample list `name` exists, empty if nothing was recorded.
    pub fn samples_of(&mut self, name: &str) {
        self.samples.entry(name.to_string()).or_default();
    }

    /// Fold `other` in: counts add, samples pool.
    pub fn merge(&mut self, other: &Metrics) {
        for (k, n) in &other.counts {
            self.count(k, *n);
        }
        for (k, v) in &other.samples {
            self.samples.entry(k.clone()).or_default().extend(v);
        }
    }

    /// True when nothing is named.
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty() && self.samples.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_add_and_samples_pool() {
        let mut a = Metrics::default();
        a.count("confirmed", 2);
        a.sample("latency_ms", 300);
        let mut b = Metrics::default();
        b.count("confirmed", 1);
        b.count("cancelled", 0);
        b.sample("latency_ms", 500);
        a.merge(&b);
        assert_eq!(a.counts["confirmed"], 3);
        assert_eq!(a.counts["cancelled"], 0);
        assert_eq!(a.samples["latency_ms"], vec![300, 500]);
    }
}
