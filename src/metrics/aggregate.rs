//! Business metrics over many runs, folded run by run with flat memory: counts are summed,
//! each named sample list goes into a bounded [`Histogram`], and the summary reports per
//! sample name the count, mean, p50, p95, p99 and max. Campaign reports and `dtx compare`
//! both aggregate with this, so their figures agree.

use std::collections::BTreeMap;

use dtx_sim::Metrics;
use serde::{Deserialize, Serialize};

use super::histogram::Histogram;

/// Runs' metrics folded so far.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MetricsTally {
    counts: BTreeMap<String, u64>,
    samples: BTreeMap<String, Histogram>,
}

impl MetricsTally {
    /// Fold one run's metrics in.
    pub fn add(&mut self, m: &Metrics) {
        for (name, n) in &m.counts {
            *self.counts.entry(name.clone()).or_insert(0) += n;
        }
        for (name, values) in &m.samples {
            let h = self.samples.entry(name.clone()).or_default();
            for v in values {
                h.add(*v);
            }
        }
    }

    /// The summary of what was folded.
    pub fn summary(&self) -> MetricsSummary {
        MetricsSummary {
            counts: self.counts.clone(),
            samples: self
                .samples
                .iter()
                .map(|(name, h)| (name.clone(), SampleSummary::of(h)))
                .collect(),
        }
    }
}

/// One sample name's figures (simulated ms; None when there were no samples). Percentiles are
/// nearest-rank, to within 0.8 % (see the histogram); count, mean and max are exact.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SampleSummary {
    pub count: u64,
    pub mean: Option<f64>,
    pub p50: Option<u64>,
    pub p95: Option<u64>,
    pub p99: Option<u64>,
    pub max: Option<u64>,
}

impl SampleSummary {
    fn of(h: &Histogram) -> Self {
        SampleSummary {
            count: h.count(),
            mean: h.mean(),
            p50: h.percentile(50.0),
            p95: h.percentile(95.0),
            p99: h.percentile(99.0),
            max: h.max(),
        }
    }
}

/// Metrics over many runs: summed counts, summarized samples.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MetricsSummary {
    pub counts: BTreeMap<String, u64>,
    pub samples: BTreeMap<String, SampleSummary>,
}

impl MetricsSummary {
    /// Count `name` (0 when never counted).
    pub fn count(&self, name: &str) -> u64 {
        self.counts.get(name).copied().unwrap_or(0)
    }

    /// Sample figures of `name` (all empty when never sampled).
    pub fn sample(&self, name: &str) -> SampleSummary {
        self.samples.get(name).cloned().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_sum_and_samples_summarize() {
        let mut t = MetricsTally::default();
        let mut a = Metrics::default();
        a.count("confirmed", 2);
        a.sample("latency_ms", 10);
        a.sample("latency_ms", 30);
        let mut b = Metrics::default();
        b.count("confirmed", 1);
        b.samples_of("in_doubt_ms");
        b.sample("latency_ms", 20);
        t.add(&a);
        t.add(&b);
        let s = t.summary();
        assert_eq!(s.count("confirmed"), 3);
        assert_eq!(s.count("orders"), 0);
        let l = s.sample("latency_ms");
        assert_eq!(
            (l.count, l.mean, l.p50, l.max),
            (3, Some(20.0), Some(20), Some(30))
        );
        assert_eq!(s.sample("in_doubt_ms").count, 0);
        assert_eq!(s.sample("in_doubt_ms").p99, None);
    }
}
