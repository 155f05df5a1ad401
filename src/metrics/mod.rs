//! Business metrics over many runs (each run's come from `Scenario::metrics`, in
//! `RunReport.metrics`): `histogram` (bounded, order-free samples), `aggregate` (runs folded
//! into counts and sample summaries).

mod aggregate;
mod histogram;

pub use aggregate::{MetricsSummary, MetricsTally};
