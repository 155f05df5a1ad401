//! Ledger events: what the services emit when a local transaction commits (never before, and
//! never for a transaction that rolled back or died in a crash).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ids::{ChargeId, ClientId, OrderId, Sku, UserId};

/// An order's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum OrderStatus {
    Pending,
    Confirmed,
    Cancelled,
}

/// What a client was told.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Told {
    Confirmed,
    Cancelled,
}

/// A protocol operation a participant applies for an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Op {
    /// TCC try, saga forward step, reservation.
    Try,
    Confirm,
    /// TCC cancel, saga compensation.
    Cancel,
    Prepare,
    Commit,
    Rollback,
}

/// State of a 2PC branch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum BranchState {
    Prepared,
    Committed,
    RolledBack,
}

/// What a client asked for: the order's content as the client submitted it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Asked {
    pub user: UserId,
    pub lines: Vec<(Sku, u32)>,
    pub points: i64,
    pub amount: i64,
}

/// Why a participant refused, with the numbers that make it true or false.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Refusal {
    /// Stock: `wanted` units of `sku` asked, only `available` left.
    Short {
        sku: Sku,
        wanted: i64,
        available: i64,
    },
    /// Points: `wanted` points asked of `user`, whose balance is `balance`.
    PointsShort {
        user: UserId,
        wanted: i64,
        balance: i64,
    },
    /// The card gateway declined the order's card.
    Declined,
}

/// A committed ledger event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LedgerEvent {
    /// The order service created an order (Pending).
    OrderCreated {
        order: OrderId,
        user: UserId,
        lines: Vec<(Sku, u32)>,
        points: i64,
        amount: i64,
        /// The order pays with a card that declines every charge (the workload's choice).
        declining_card: bool,
    },
    /// The order service changed an order's status.
    OrderStatus { order: OrderId, status: OrderStatus },
    /// available → reserved for the order.
    StockReserved { sku: Sku, order: OrderId, qty: i64 },
    /// reserved → available.
    StockReleased { sku: Sku, order: OrderId, qty: i64 },
    /// reserved → sold.
    StockSold { sku: Sku, order: OrderId, qty: i64 },
    /// available → sold in one step (a one-phase deduction).
    StockTaken { sku: Sku, order: OrderId, qty: i64 },
    /// sold → available (a compensation of a deduction).
    StockReturned { sku: Sku, order: OrderId, qty: i64 },
    /// balance → held for the order.
    PointsHeld {
        user: UserId,
        order: OrderId,
        points: i64,
    },
    /// held → balance.
    PointsReleased {
        user: UserId,
        order: OrderId,
        points: i64,
    },
    /// held → spent.
    PointsSpent {
        user: UserId,
        order: OrderId,
        points: i64,
    },
    /// balance → spent in one step.
    PointsTaken {
        user: UserId,
        order: OrderId,
        points: i64,
    },
    /// spent → balance (a compensation).
    PointsRefunded {
        user: UserId,
        order: OrderId,
        points: i64,
    },
    /// Money held on the card for the order (an open authorization).
    ChargeAuthorized {
        charge: ChargeId,
        order: OrderId,
        key: String,
        amount: i64,
    },
    /// Money taken: a direct charge, or the capture of an authorization.
    ChargeCaptured {
        charge: ChargeId,
        order: OrderId,
        key: String,
        amount: i64,
    },
    /// An open authorization released.
    ChargeVoided { charge: ChargeId, order: OrderId },
    /// Money given back on a captured charge.
    ChargeRefunded {
        charge: ChargeId,
        order: OrderId,
        amount: i64,
    },
    /// A participant applied a protocol operation for an order.
    Effect {
        order: OrderId,
        participant: String,
        op: Op,
    },
    /// A 2PC branch changed state.
    Branch {
        order: OrderId,
        participant: String,
        state: BranchState,
    },
    /// The 2PC coordinator logged its decision; `participants` are all the branches.
    Decision {
        order: OrderId,
        commit: bool,
        participants: Vec<String>,
    },
    /// A participant's store recorded that a cancel (TCC) or rollback (2PC) found nothing to
    /// undo for the order: an empty rollback, fenced so that a late try or prepare is refused.
    /// `op` is [`Op::Cancel`] or [`Op::Rollback`].
    EmptyCancel {
        order: OrderId,
        participant: String,
        op: Op,
    },
    /// A participant's store refused a step of an order, with its reason and numbers.
    Refused {
        order: OrderId,
        participant: String,
        refusal: Refusal,
    },
    /// A store reported an error other than a lock conflict (duplicate branch id, missing
    /// branch, broken store invariant): a bug of its caller.
    StoreFault {
        store: String,
        order: Option<OrderId>,
        error: String,
    },
    /// A client asked the order service for an order id for its `seq`-th order (0-based).
    ClientWantsId { client: ClientId, seq: u32 },
    /// A client, handed id `order` for its `seq`-th order, submitted this request and expects
    /// an answer.
    ClientAsked {
        client: ClientId,
        seq: u32,
        order: OrderId,
        request: Asked,
    },
    /// A client was told an order's outcome.
    ClientTold {
        client: ClientId,
        order: OrderId,
        told: Told,
    },
    /// The lock store took `key` for `owner` at simulated `at_ms`, with fencing token `token`;
    /// the lease ends at `expires_at_ms` (none: it never expires).
    LockTaken {
        key: String,
        owner: String,
        token: u64,
        at_ms: u64,
        expires_at_ms: Option<u64>,
    },
    /// The lock store removed `key` at simulated `at_ms` at `by`'s request; it was held by
    /// `owner` under `token`.
    LockReleased {
        key: String,
        by: String,
        owner: String,
        token: u64,
        at_ms: u64,
    },
}

impl fmt::Display for LedgerEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}
