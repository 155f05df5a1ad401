//! The order service under the lock: its two workers — the order host and a second one sharing
//! its order database — and the lock host, as the topology names them.
//!
//! ```text
//!  client-0 ─┐                 ┌──────────── lock (set-if-absent + lease, fencing tokens)
//!  client-1 ─┼─► order  ───────┤
//!  client-2 ─┘   order-2 ──────┤
//!        (double submit: both)  └─► stock, points, payment (each checks the tokens)
//!   order and order-2 share one order database
//! ```

use crate::services::order;

/// The second worker's host name.
pub const SECOND: &str = "order-2";

/// The workers, the order host first.
pub fn workers() -> Vec<String> {
    vec![order::HOST.to_string(), SECOND.to_string()]
}

/// The hosts the lock adds: the second worker and the lock host.
pub fn hosts() -> [&'static str; 2] {
    [SECOND, super::HOST]
}
