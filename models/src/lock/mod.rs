//! The lock: seed 002's remedy for one order running twice at once, a Redis-like lock host in
//! front of two order-service workers. A worker takes the order's lock before driving it
//! (set-if-absent with a lease in simulated time), drives it under the fencing token the take
//! handed out, and releases it (owner-checked) when done; stock, points and the card gateway
//! refuse a request whose token is older than one they have seen for the order.
//!
//! - [`store`]: the lock host's key store (durable, and why);
//! - [`service`]: the lock host;
//! - [`client`]: a worker's side — take and release, and the bug knobs that change them.
//!
//! Bug knobs, each a catalogue row: [`BUG_NO_EXPIRY`] (#29), [`BUG_EXPIRY_NO_FENCING`] (#30),
//! [`BUG_RELEASE_NOT_OWNER`] (#31), [`BUG_TOKEN_IGNORED`] (#32). Any of them turns the lock on.

use crate::knobs::{BugKnob, Knobs};

pub mod client;
pub mod fence;
pub mod service;
pub mod store;
pub mod workers;

/// Host name.
pub const HOST: &str = "lock";

/// How long a take holds the lock (simulated ms) unless released first. No renewal: seed 002's
/// lock is taken once per drive, and a drive that outlasts it (a pause, a slow participant) runs
/// on without it — the fencing tokens are what keep that safe.
pub const LEASE_MS: u64 = 3_000;

/// Probe: a worker found the order's lock held by another and left the order to it.
pub const CONTENDED: &str = "lock.contended";
/// Probe: a take found the lock's lease expired while its holder had not released it.
pub const EXPIRED_WHILE_HELD: &str = "lock.expired_while_held";
/// Probe: a store refused a request whose fencing token was older than one it had seen.
pub const STALE_TOKEN_REFUSED: &str = "lock.stale_token_refused";
/// Every probe of the lock.
pub const PROBES: &[&str] = &[CONTENDED, EXPIRED_WHILE_HELD, STALE_TOKEN_REFUSED];

/// Probes of the flows' own pending-order schedulers: under the lock the workers' scheduler
/// ([`crate::services::guard`]) stands in for them, so they are not reached there.
pub const REPLACED_PROBES: &[&str] = &["tcc.pending_recovered"];

/// Bug knob (#29): seed 002's lock as written — taken with no expiry; a holder that crashes
/// keeps it forever and the order is never driven again.
pub const BUG_NO_EXPIRY: &str = "lock-no-expiry";
/// Bug knob (#30): the lock expires, but no store is told the token: a holder paused past its
/// lease resumes and writes after the next holder did.
pub const BUG_EXPIRY_NO_FENCING: &str = "lock-expiry-no-fencing";
/// Bug knob (#31): release deletes the key whoever holds it (`delete(key)`), so a holder
/// whose lease ran out removes its successor's lock and a third worker gets in.
pub const BUG_RELEASE_NOT_OWNER: &str = "lock-release-not-owner";
/// Bug knob (#32): the card gateway takes no notice of fencing tokens: a superseded holder's
/// authorization is accepted.
pub const BUG_TOKEN_IGNORED: &str = "lock-token-ignored";

/// The lock's bug knobs (offered by every protocol that runs under the lock).
pub const BUGS: &[BugKnob] = &[
    BugKnob {
        name: BUG_NO_EXPIRY,
        rows: &[29],
        about: "the lock never expires; a holder that crashes blocks its order forever",
        breaks: &["terminated", "settled"],
    },
    BugKnob {
        name: BUG_EXPIRY_NO_FENCING,
        rows: &[30],
        about: "the lock expires during a pause and no store checks tokens: the paused holder pays after the next one did",
        breaks: &["single-charge", "nothing-in-flight", "effects-once"],
    },
    BugKnob {
        name: BUG_RELEASE_NOT_OWNER,
        rows: &[31],
        about: "release deletes the key without checking the owner; a third worker takes the lock while the second holds it",
        breaks: &["lock-exclusive"],
    },
    BugKnob {
        name: BUG_TOKEN_IGNORED,
        rows: &[32],
        about: "the card gateway ignores fencing tokens; a superseded holder's authorization is accepted",
        breaks: &["single-charge", "nothing-in-flight"],
    },
];

/// Whether the bug knob turned on is one of the lock's (which turns the lock on).
pub fn knob_on(knobs: Knobs) -> bool {
    BUGS.iter().any(|b| knobs.on(b.name))
}

/// Whether requests carry fencing tokens at all (not with [`BUG_EXPIRY_NO_FENCING`]).
pub fn fencing(knobs: Knobs) -> bool {
    !knobs.on(BUG_EXPIRY_NO_FENCING)
}

/// The lock's key for an order.
pub fn key(order: u64) -> String {
    format!("order-{order}")
}
