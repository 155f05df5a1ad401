//! A worker's side of the lock: take an order's lock (with the lease, or none with
//! [`super::BUG_NO_EXPIRY`]) and release it (owner-checked, or a plain delete with
//! [`super::BUG_RELEASE_NOT_OWNER`]).

use dtx_sim::Net;

use crate::knobs::Knobs;
use crate::wire::Msg;

/// What a take came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Take {
    /// Taken: the holding's fencing token.
    Taken(u64),
    /// Held by another owner.
    Held(String),
    /// The lock host did not answer.
    Unreachable,
}

/// Take `order`'s lock for `owner`. PLACEHOLDER.
pub async fn take(_net: &Net<Msg>, _order: u64, _owner: &str, _knobs: Knobs) -> Take {
    todo!("lock take")
}

/// Release `order`'s lock held by `owner`. PLACEHOLDER.
pub async fn release(_net: &Net<Msg>, _order: u64, _owner: &str, _knobs: Knobs) {
    todo!("lock release")
}
