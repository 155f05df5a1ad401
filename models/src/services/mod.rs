//! The order system's services, one host each.

pub mod broker;
pub mod client;
pub mod guard;
pub mod holding;
pub mod holdings;
pub mod order;
pub mod payment;
pub mod relay;
pub mod reservations;
