//! The order system's messages: what clients, the order service, stock, points, the card
//! gateway and the broker say to each other.

use serde::{Deserialize, Serialize};

use crate::store::gateway::{Card, Charge, GatewayCall, GatewayReply};
use crate::store::holdings::Answer;
use crate::store::topic_log::Record;

/// An order as the client submits it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRequest {
    pub order: u64,
    pub user: u32,
    /// (sku, quantity).
    pub lines: Vec<(u32, u32)>,
    pub points: i64,
    pub amount: i64,
    pub card: Card,
}

/// What an order came to.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Outcome {
    Confirmed,
    Cancelled { reason: String },
}

/// Where an order stands, as the order service reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    /// Not known to the order service (never placed, or placing was lost).
    Unknown,
    Pending,
    Done(Outcome),
}

/// An event on the broker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BusEvent {
    OrderPlaced(OrderRequest),
    Step { order: u64, step: String, ok: bool },
}

/// Every message of the order system.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Msg {
    // client -> order
    NewOrderId,
    OrderId {
        order: u64,
    },
    Place(OrderRequest),
    Accepted {
        order: u64,
    },
    Status {
        order: u64,
    },
    StatusIs {
        order: u64,
        status: Status,
    },
    // order -> stock / points: reserve (sku or user, quantity) lines, confirm, cancel
    Reserve {
        order: u64,
        lines: Vec<(u32, i64)>,
    },
    Confirm {
        order: u64,
    },
    Cancel {
        order: u64,
    },
    Answer {
        order: u64,
        answer: Answer,
    },
    // order -> stock / points: one-phase take (1pc)
    Take {
        order: u64,
        lines: Vec<(u32, i64)>,
    },
    // order (2PC coordinator) -> stock / points: XA branch of the order
    Prepare {
        order: u64,
        lines: Vec<(u32, i64)>,
    },
    Commit {
        order: u64,
    },
    Rollback {
        order: u64,
    },
    // participant in doubt -> coordinator
    AskDecision {
        order: u64,
    },
    /// The logged decision (commit = true), or None while undecided.
    DecisionIs {
        order: u64,
        decision: Option<bool>,
    },
    // -> card gateway
    Pay {
        key: String,
        call: GatewayCall,
    },
    Paid {
        key: String,
        reply: GatewayReply,
    },
    QueryCharge {
        key: String,
    },
    ChargeIs {
        key: String,
        charge: Option<Charge>,
    },
    // -> broker
    Publish {
        topic: String,
        key: u64,
        event: BusEvent,
    },
    Published {
        offset: u64,
    },
    Fetch {
        group: String,
        topic: String,
        max: u32,
    },
    Records {
        records: Vec<Record<BusEvent>>,
    },
    CommitOffset {
        group: String,
        topic: String,
        offset: u64,
    },
    OffsetCommitted,
}
