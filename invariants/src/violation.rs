//! A violation a person can act on: which invariant, which entity, the numbers, when, and the
//! ledger event after which it first broke.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ids::{ChargeId, ClientId, OrderId, Sku, UserId};
use crate::invariant::Invariant;

/// The entity an invariant broke for.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Entity {
    Order(OrderId),
    Sku(Sku),
    User(UserId),
    Charge(ChargeId),
    Client(ClientId, OrderId),
    /// An effect: (order, participant, op).
    Effect(OrderId, String, String),
    /// An outbox row: (service, sequence).
    Outbox(String, u64),
    /// A store (by service name).
    Store(String),
    /// A client's `seq`-th request for an order id.
    IdRequest(ClientId, u32),
    /// A lock (by key).
    Lock(String),
    /// The run as a whole (quiescence).
    Run,
}

impl fmt::Display for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Entity::Order(o) => write!(f, "order {o}"),
            Entity::Sku(s) => write!(f, "sku {s}"),
            Entity::User(u) => write!(f, "user {u}"),
            Entity::Charge(c) => write!(f, "charge {c}"),
            Entity::Client(c, o) => write!(f, "client {c} / order {o}"),
            Entity::Effect(o, p, op) => write!(f, "order {o} {p} {op}"),
            Entity::Outbox(s, q) => write!(f, "outbox {s} #{q}"),
            Entity::Store(s) => write!(f, "store {s}"),
            Entity::IdRequest(c, n) => write!(f, "client {c} id request {n}"),
            Entity::Lock(k) => write!(f, "lock {k}"),
            Entity::Run => write!(f, "the run"),
        }
    }
}

/// A broken invariant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    pub invariant: Invariant,
    pub entity: Entity,
    /// The numbers: `sku 3: available 4 + reserved 0 + sold 5 = 9 ≠ initial 10`.
    pub detail: String,
    /// Simulated time at which it broke (or was checked).
    pub at_ms: u64,
    /// The ledger event after which it first broke: (index in the event sequence, event).
    pub after_event: Option<(usize, String)>,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at {}ms: {}", self.invariant, self.at_ms, self.detail)?;
        if let Some((i, e)) = &self.after_event {
            write!(f, " {}", after_event_note(*i, e))?;
        }
        Ok(())
    }
}

/// What a violation's text says of the ledger event after which it first broke:
/// `(first broken after ledger event L12: Charged { … })`. `L<i>` is the event's index in the
/// ledger, the number the trace shows it under.
pub fn after_event_note(index: usize, event: &str) -> String {
    format!("{AFTER_EVENT}{index}: {event})")
}

const AFTER_EVENT: &str = "(first broken after ledger event L";

/// The kind (variant name) of the ledger event an [`after_event_note`] in `text` names:
/// `… (first broken after ledger event L12: Charged { order: 3, … })` gives `Charged`.
pub fn after_event_kind(text: &str) -> Option<&str> {
    let rest = &text[text.rfind(AFTER_EVENT)? + AFTER_EVENT.len()..];
    let event = rest.split_once(": ")?.1;
    let end = event
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(event.len());
    (end > 0).then(|| &event[..end])
}

#[cfg(test)]
mod note_tests {
    use super::*;

    #[test]
    fn the_event_kind_is_read_back_from_the_note() {
        let d = format!(
            "order 3: charged but cancelled {}",
            after_event_note(12, "Charged { order: 3, amount: 5 }")
        );
        assert!(
            d.ends_with("(first broken after ledger event L12: Charged { order: 3, amount: 5 })")
        );
        assert_eq!(after_event_kind(&d), Some("Charged"));
        assert_eq!(after_event_kind("ran 5 s past quiescence"), None);
        assert_eq!(
            after_event_kind(&after_event_note(1, "StockSold")),
            Some("StockSold")
        );
    }
}
