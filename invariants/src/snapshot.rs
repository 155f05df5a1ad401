//! The snapshot: every ledger as the services' durable stores hold it at the end of a run
//! (read straight from the stores, not over the network). The quiescence and liveness
//! checkers read only this.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::event::{Asked, OrderStatus, Told};
use crate::ids::{ChargeId, ClientId, OrderId, Sku, UserId};

/// An order as the order service holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRecord {
    pub user: UserId,
    pub lines: Vec<(Sku, u32)>,
    pub points: i64,
    pub amount: i64,
    pub status: OrderStatus,
}

/// One sku's stock.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockRow {
    pub available: i64,
    /// Reserved per order.
    pub reserved: BTreeMap<OrderId, i64>,
    /// Sold in all.
    pub sold: i64,
    /// Sold per order.
    pub sold_by_order: BTreeMap<OrderId, i64>,
}

/// One user's points.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointsRow {
    pub balance: i64,
    /// Held per order.
    pub held: BTreeMap<OrderId, i64>,
    /// Spent in all.
    pub spent: i64,
    /// Spent per order.
    pub spent_by_order: BTreeMap<OrderId, i64>,
}

/// A charge or authorization at the gateway (the truth about money).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChargeRecord {
    pub charge: ChargeId,
    pub order: OrderId,
    pub key: String,
    pub amount: i64,
    /// Authorized and neither captured nor voided yet.
    pub open_authorization: bool,
    pub captured: i64,
    pub voided: bool,
    pub refunded: i64,
}

/// Every ledger at the end of a run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub initial_stock: BTreeMap<Sku, i64>,
    pub initial_points: BTreeMap<UserId, i64>,
    pub orders: BTreeMap<OrderId, OrderRecord>,
    pub stock: BTreeMap<Sku, StockRow>,
    pub points: BTreeMap<UserId, PointsRow>,
    pub charges: Vec<ChargeRecord>,
    /// XA branches still prepared: (order, participant).
    pub prepared_branches: Vec<(OrderId, String)>,
    /// Outbox rows not delivered to the broker: (service, sequence).
    pub undelivered_outbox: Vec<(String, u64)>,
    /// Requests for an order id clients made: (client, seq).
    pub id_requests: Vec<(ClientId, u32)>,
    /// Orders clients submitted: (client, seq, order, what it asked for).
    pub asked: Vec<(ClientId, u32, OrderId, Asked)>,
    /// What clients were told.
    pub told: Vec<(ClientId, OrderId, Told)>,
    /// What was still busy when the run ended without becoming quiescent (orders pending,
    /// client requests unanswered, datagrams in flight or held, hosts with retries under way,
    /// rows unpublished, …). Empty for a quiescent run.
    pub busy: Vec<String>,
    /// Ledger events committed after the run became quiescent (in the tail the engine steps
    /// after the verdict): (simulated ms, event rendered). Each is a `settled` violation.
    pub after_quiescence: Vec<(u64, String)>,
}

impl Snapshot {
    /// net(o): Σ captured − Σ refunded over the charges of `order`.
    pub fn net(&self, order: OrderId) -> i64 {
        self.charges
            .iter()
            .filter(|c| c.order == order)
            .map(|c| c.captured - c.refunded)
            .sum()
    }
}
