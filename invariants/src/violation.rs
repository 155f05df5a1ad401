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
            write!(f, " (first broken after ledger event L{i}: {e})")?;
        }
        Ok(())
    }
}
