//! A worker's side of the lock: take an order's lock (with the lease, or none with
//! [`super::BUG_NO_EXPIRY`]) and release it (owner-checked, or a plain delete with
//! [`super::BUG_RELEASE_NOT_OWNER`]).

use dtx_sim::{CallPolicy, Net};

use crate::knobs::Knobs;
use crate::wire::Msg;

/// A take is asked once: the worker's scheduler is its retry, and it looks at the order again
/// first — a take retried on its own could be granted long after another worker finished the
/// order, a lock taken for nothing. (A take whose answer was lost and that is asked again by
/// the same owner gets the same token: the store's take is idempotent for the live holder.)
const TAKE: CallPolicy = CallPolicy {
    timeout_ms: 1_000,
    attempts: 1,
    backoff_ms: 0,
    max_backoff_ms: 0,
};

/// How a worker releases: retried, since the lock stays held until then (or until its lease
/// runs out).
const POLICY: CallPolicy = CallPolicy {
    timeout_ms: 1_000,
    attempts: 3,
    backoff_ms: 200,
    max_backoff_ms: 1_000,
};

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

/// Take `order`'s lock for `owner`: a lease of [`super::LEASE_MS`], or none with
/// [`super::BUG_NO_EXPIRY`].
pub async fn take(net: &Net<Msg>, order: u64, owner: &str, knobs: Knobs) -> Take {
    let lease_ms = (!knobs.on(super::BUG_NO_EXPIRY)).then_some(super::LEASE_MS);
    let request = Msg::LockTake {
        order,
        owner: owner.to_string(),
        lease_ms,
    };
    match net.call(super::HOST, &request, &TAKE).await {
        Ok(Msg::LockTaken { token, .. }) => Take::Taken(token),
        Ok(Msg::LockHeld { owner, .. }) => Take::Held(owner),
        _ => Take::Unreachable,
    }
}

/// Release `order`'s lock held by `owner` (delete-if-owner), or, with
/// [`super::BUG_RELEASE_NOT_OWNER`], delete the key whoever holds it. The outcome is not
/// looked at: a lock not released runs out with its lease.
pub async fn release(net: &Net<Msg>, order: u64, owner: &str, knobs: Knobs) {
    let request = if knobs.on(super::BUG_RELEASE_NOT_OWNER) {
        Msg::LockDelete {
            order,
            by: owner.to_string(),
        }
    } else {
        Msg::LockRelease {
            order,
            owner: owner.to_string(),
        }
    };
    let _ = net.call(super::HOST, &request, &POLICY).await;
}
