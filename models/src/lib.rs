//! dtx-models: the system under test — stores, services, protocols and bug knobs of the
//! order flow, running on the dtx-sim engine and reporting into dtx-invariants' vocabulary.

pub mod journal;
pub mod knobs;
pub mod lock;
pub mod metrics;
pub mod protocols;
pub mod services;
pub mod snapshot;
pub mod store;
pub mod system;
pub mod wire;
pub mod workload;
