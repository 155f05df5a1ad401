//! One cell of a comparison — a protocol at a client count under a fault preset — and its
//! figures, derived from the cell's aggregated runs: violations (failing seeds), confirm
//! rate, cancels by cause, latency percentiles, messages, holding and in-doubt time,
//! compensations per order, and throughput (confirmed orders per simulated second of
//! ordering: total confirmed over the total of each run's `span_ms`). A ratio with nothing
//! to divide by is null.

use std::collections::BTreeMap;

use dtx_sim::FaultPreset;
use serde::{Deserialize, Serialize};

use crate::campaign::TargetReport;
use crate::metrics::MetricsSummary;

/// One cell's figures (latencies and times in simulated ms).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub protocol: String,
    pub baseline: bool,
    pub clients: usize,
    pub faults: FaultPreset,
    pub runs: u64,
    /// Failing seeds (any invariant violated).
    pub violations: u64,
    pub violations_by_invariant: BTreeMap<String, u64>,
    pub orders: u64,
    pub confirmed: u64,
    pub confirm_rate: Option<f64>,
    pub cancelled_business: u64,
    pub cancelled_fault: u64,
    pub latency_p50_ms: Option<u64>,
    pub latency_p95_ms: Option<u64>,
    pub latency_p99_ms: Option<u64>,
    pub messages_per_order: Option<f64>,
    pub holding_mean_ms: Option<f64>,
    pub holding_max_ms: Option<u64>,
    pub in_doubt_mean_ms: Option<f64>,
    pub compensations_per_order: Option<f64>,
    pub confirmed_per_sec: Option<f64>,
    /// Hash over every (seed, trace hash) pair: equal comparisons, equal hashes.
    pub campaign_hash: String,
    /// Every count and sample summary the runs reported.
    pub metrics: MetricsSummary,
}

/// `n / d`, or None when `d` is 0.
fn ratio(n: u64, d: u64) -> Option<f64> {
    (d > 0).then(|| n as f64 / d as f64)
}

impl Row {
    /// The figures of a cell's finished runs.
    pub fn of(r: &TargetReport, baseline: bool, clients: usize, faults: FaultPreset) -> Row {
        let m = &r.metrics;
        let orders = m.count("orders");
        let latency = m.sample("latency_ms");
        let holding = m.sample("holding_ms");
        Row {
            protocol: r.protocol.clone(),
            baseline,
            clients,
            faults,
            runs: r.runs,
            violations: r.failed,
            violations_by_invariant: r.violations_by_invariant.clone(),
            orders,
            confirmed: m.count("confirmed"),
            confirm_rate: ratio(m.count("confirmed"), orders),
            cancelled_business: m.count("cancelled_business"),
            cancelled_fault: m.count("cancelled_fault"),
            latency_p50_ms: latency.p50,
            latency_p95_ms: latency.p95,
            latency_p99_ms: latency.p99,
            messages_per_order: ratio(m.count("messages"), orders),
            holding_mean_ms: holding.mean,
            holding_max_ms: holding.max,
            in_doubt_mean_ms: m.sample("in_doubt_ms").mean,
            compensations_per_order: ratio(m.count("compensations"), orders),
            confirmed_per_sec: ratio(m.count("confirmed") * 1000, m.count("span_ms")),
            campaign_hash: r.campaign_hash.clone(),
            metrics: m.clone(),
        }
    }
}
