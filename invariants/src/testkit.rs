//! Test kit (tests only): short constructors for ledger events, order records and snapshots,
//! and a driver that feeds events to one safety checker, so each checker's tests read as the
//! ledger they are about.

use std::collections::BTreeMap;

use crate::checkers::{Finding, SafetyChecker};
use crate::event::{Asked, BranchState, LedgerEvent, Op, OrderStatus, Refusal, Told};
use crate::ids::{OrderId, Sku, UserId};
use crate::snapshot::{ChargeRecord, OrderRecord, PointsRow, Snapshot, StockRow};

/// Feed `events` to `checker`; every finding, in order.
pub fn run(checker: &mut dyn SafetyChecker, events: &[LedgerEvent]) -> Vec<Finding> {
    let mut found = Vec::new();
    for e in events {
        checker.apply(e, &mut found);
    }
    found
}

/// The details of `found`.
pub fn details(found: &[Finding]) -> Vec<String> {
    found.iter().map(|(_, d)| d.clone()).collect()
}

pub fn created(order: OrderId, amount: i64, declining_card: bool) -> LedgerEvent {
    LedgerEvent::OrderCreated {
        order,
        user: 0,
        lines: vec![],
        points: 0,
        amount,
        declining_card,
    }
}

pub fn effect(order: OrderId, participant: &str, op: Op) -> LedgerEvent {
    LedgerEvent::Effect {
        order,
        participant: participant.into(),
        op,
    }
}

pub fn branch(order: OrderId, participant: &str, state: BranchState) -> LedgerEvent {
    LedgerEvent::Branch {
        order,
        participant: participant.into(),
        state,
    }
}

pub fn empty_cancel(order: OrderId, participant: &str, op: Op) -> LedgerEvent {
    LedgerEvent::EmptyCancel {
        order,
        participant: participant.into(),
        op,
    }
}

pub fn refused(order: OrderId, refusal: Refusal) -> LedgerEvent {
    LedgerEvent::Refused {
        order,
        participant: "p".into(),
        refusal,
    }
}

pub fn asked(user: UserId, lines: &[(Sku, u32)], points: i64, amount: i64) -> Asked {
    Asked {
        user,
        lines: lines.to_vec(),
        points,
        amount,
    }
}

pub fn record(ask: &Asked, status: OrderStatus) -> OrderRecord {
    OrderRecord {
        user: ask.user,
        lines: ask.lines.clone(),
        points: ask.points,
        amount: ask.amount,
        status,
    }
}

/// A run that ended well: initial stock {sku 3: 10}, points {user 2: 50}; order 1 (client 0)
/// confirmed and fully settled (2 of sku 3 sold, 5 points spent, 40 captured); order 2
/// (client 1) cancelled and clean (its charge of 30 refunded). Every id request answered,
/// every request told the truth, nothing busy.
pub fn good_snapshot() -> Snapshot {
    let a1 = asked(2, &[(3, 2)], 5, 40);
    let a2 = asked(2, &[(3, 1)], 0, 30);
    let charge = |charge, order, amount, refunded| ChargeRecord {
        charge,
        order,
        key: format!("k{charge}"),
        amount,
        open_authorization: false,
        captured: amount,
        voided: false,
        refunded,
    };
    Snapshot {
        initial_stock: BTreeMap::from([(3, 10)]),
        initial_points: BTreeMap::from([(2, 50)]),
        orders: BTreeMap::from([
            (1, record(&a1, OrderStatus::Confirmed)),
            (2, record(&a2, OrderStatus::Cancelled)),
        ]),
        stock: BTreeMap::from([(
            3,
            StockRow {
                available: 8,
                reserved: BTreeMap::new(),
                sold: 2,
                sold_by_order: BTreeMap::from([(1, 2)]),
            },
        )]),
        points: BTreeMap::from([(
            2,
            PointsRow {
                balance: 45,
                held: BTreeMap::new(),
                spent: 5,
                spent_by_order: BTreeMap::from([(1, 5)]),
            },
        )]),
        charges: vec![charge(11, 1, 40, 0), charge(12, 2, 30, 30)],
        prepared_branches: vec![],
        undelivered_outbox: vec![],
        id_requests: vec![(0, 0), (1, 0)],
        asked: vec![(0, 0, 1, a1), (1, 0, 2, a2)],
        told: vec![(0, 1, Told::Confirmed), (1, 2, Told::Cancelled)],
        busy: vec![],
        after_quiescence: vec![],
    }
}
