//! The order service's book: orders (request and status), the last id handed out, and a
//! coordinator's decision log, on a `LocalDb` whose row reporter turns every committed row
//! change into its ledger event — an order created, an order's status changed, a decision
//! written (every write, so two different decisions for one order are both seen). Whoever
//! writes the rows (the order service, a protocol's own XA branch), the store reports.
//! Also the decision log a bug knob keeps in memory only: it reports its writes too, and a
//! crash loses it.

use std::collections::BTreeMap;

use dtx_invariants::{LedgerEvent, OrderStatus};
use serde::{Deserialize, Serialize};

use super::local_db::{DbError, LocalDb, TxnId};
use crate::journal::Journal;
use crate::store::gateway::Card;
use crate::store::saga_log::SagaLog;
use crate::wire::{OrderRequest, Outcome, Status};

/// The participant name the order book reports under.
pub const NAME: &str = "order";

/// Rows of the order database.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum OrderKey {
    /// The last id handed out.
    LastId,
    Order(u64),
    /// A coordinator's logged decision for an order.
    Decision(u64),
    /// An orchestrator's saga log for an order ([`super::saga_log`]): not reported.
    Saga(u64),
}

/// Values of the order database.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrderVal {
    LastId(u64),
    Order {
        request: OrderRequest,
        status: Status,
    },
    /// Commit (true) or abort, over these participants.
    Decision {
        commit: bool,
        participants: Vec<String>,
    },
    /// A saga's log row.
    Saga(SagaLog),
}

/// The order database.
pub type OrderDb = LocalDb<OrderKey, OrderVal>;

/// An empty order database reporting to `journal`.
pub fn open(journal: Journal) -> OrderDb {
    LocalDb::default()
        .reporting(NAME, journal)
        .on_commit(report)
}

/// Ledger status of an order status.
pub fn ledger_status(status: &Status) -> OrderStatus {
    match status {
        Status::Done(Outcome::Confirmed) => OrderStatus::Confirmed,
        Status::Done(Outcome::Cancelled { .. }) => OrderStatus::Cancelled,
        _ => OrderStatus::Pending,
    }
}

/// The ledger events of one committed row change.
fn report(
    _store: &str,
    key: &OrderKey,
    old: Option<&OrderVal>,
    new: Option<&OrderVal>,
) -> Vec<LedgerEvent> {
    let status_of = |v: Option<&OrderVal>| match v {
        Some(OrderVal::Order { status, .. }) => Some(ledger_status(status)),
        _ => None,
    };
    match (key, new) {
        (OrderKey::Order(order), Some(OrderVal::Order { request, .. })) => {
            let mut events = Vec::new();
            let was = status_of(old);
            if was.is_none() {
                events.push(LedgerEvent::OrderCreated {
                    order: *order,
                    user: request.user,
                    lines: request.lines.clone(),
                    points: request.points,
                    amount: request.amount,
                    declining_card: request.card == Card::Declining,
                });
            }
            let now = status_of(new).expect("an order row");
            if was.unwrap_or(OrderStatus::Pending) != now {
                events.push(LedgerEvent::OrderStatus {
                    order: *order,
                    status: now,
                });
            }
            events
        }
        (
            OrderKey::Decision(order),
            Some(OrderVal::Decision {
                commit,
                participants,
            }),
        ) => vec![LedgerEvent::Decision {
            order: *order,
            commit: *commit,
            participants: participants.clone(),
        }],
        // Saga log rows (and deletions) are the orchestrator's memory, not ledger facts.
        _ => Vec::new(),
    }
}

/// Hand out the next order id.
pub fn next_id(db: &mut OrderDb) -> Result<u64, DbError> {
    db.transact(|db, t| {
        let last = match db.get_for_update(t, &OrderKey::LastId)? {
            Some(OrderVal::LastId(n)) => n,
            _ => 0,
        };
        db.put(t, OrderKey::LastId, OrderVal::LastId(last + 1))?;
        Ok(last + 1)
    })
}

/// Create `request` as a pending order; false if it exists already (a replayed place).
pub fn create(db: &mut OrderDb, request: &OrderRequest) -> Result<bool, DbError> {
    create_with(db, request, |_, _| Ok(()))
}

/// Create `request` as a pending order and do `also` in the same local transaction (a
/// protocol's outbox row announcing it); false if it exists already (a replayed place).
pub fn create_with(
    db: &mut OrderDb,
    request: &OrderRequest,
    also: impl FnOnce(&mut OrderDb, TxnId) -> Result<(), DbError>,
) -> Result<bool, DbError> {
    let order = request.order;
    db.transact(|db, t| {
        if db.get_for_update(t, &OrderKey::Order(order))?.is_some() {
            return Ok(false);
        }
        db.put(
            t,
            OrderKey::Order(order),
            OrderVal::Order {
                request: request.clone(),
                status: Status::Pending,
            },
        )?;
        also(db, t)?;
        Ok(true)
    })
}

/// Record the order's outcome (once: a settled order stays settled).
pub fn settle(db: &mut OrderDb, order: u64, outcome: Outcome) -> Result<(), DbError> {
    db.transact(|db, t| settle_in(db, t, order, outcome))
}

/// Record the order's outcome inside `t` (once: a settled order stays settled).
pub fn settle_in(db: &mut OrderDb, t: TxnId, order: u64, outcome: Outcome) -> Result<(), DbError> {
    let Some(OrderVal::Order { request, status }) =
        db.get_for_update(t, &OrderKey::Order(order))?
    else {
        return Ok(());
    };
    if matches!(status, Status::Done(_)) {
        return Ok(());
    }
    db.put(
        t,
        OrderKey::Order(order),
        OrderVal::Order {
            request,
            status: Status::Done(outcome),
        },
    )
}

/// The logged decision for `order`, if any.
pub fn decision(db: &OrderDb, order: u64) -> Option<bool> {
    match db.read(&OrderKey::Decision(order)) {
        Some(OrderVal::Decision { commit, .. }) => Some(*commit),
        _ => None,
    }
}

/// Log `commit` as the decision for `order` over `participants`, unless one is logged
/// already. Returns the logged decision (the earlier one, if any): the one to act on.
pub fn log_decision(
    db: &mut OrderDb,
    order: u64,
    commit: bool,
    participants: &[&str],
) -> Result<bool, DbError> {
    db.transact(|db, t| {
        if let Some(OrderVal::Decision { commit: logged, .. }) =
            db.get_for_update(t, &OrderKey::Decision(order))?
        {
            return Ok(logged);
        }
        db.put(
            t,
            OrderKey::Decision(order),
            OrderVal::Decision {
                commit,
                participants: participants.iter().map(|p| p.to_string()).collect(),
            },
        )?;
        Ok(commit)
    })
}

/// Where an order stands.
pub fn status(db: &OrderDb, order: u64) -> Status {
    match db.read(&OrderKey::Order(order)) {
        Some(OrderVal::Order { status, .. }) => status.clone(),
        _ => Status::Unknown,
    }
}

/// Every pending order's request.
pub fn pending(db: &OrderDb) -> Vec<OrderRequest> {
    db.rows()
        .filter_map(|(_, v)| match v {
            OrderVal::Order {
                request,
                status: Status::Pending,
            } => Some(request.clone()),
            _ => None,
        })
        .collect()
}

/// A decision log kept in memory only (the store of a bug knob): every write is reported
/// like a logged one, and it lives as long as one incarnation of its host.
#[derive(Debug, Default)]
pub struct VolatileDecisions {
    journal: Journal,
    decisions: BTreeMap<u64, bool>,
}

impl VolatileDecisions {
    /// An empty log reporting to `journal`.
    pub fn new(journal: Journal) -> Self {
        VolatileDecisions {
            journal,
            decisions: BTreeMap::new(),
        }
    }

    /// Write `commit` as the decision for `order` (overwriting), and report the write.
    pub fn write(&mut self, order: u64, commit: bool, participants: &[&str]) {
        self.decisions.insert(order, commit);
        self.journal.record(LedgerEvent::Decision {
            order,
            commit,
            participants: participants.iter().map(|p| p.to_string()).collect(),
        });
    }

    /// The decision for `order`, if this incarnation wrote one.
    pub fn get(&self, order: u64) -> Option<bool> {
        self.decisions.get(&order).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dtx_invariants::BranchState;

    fn request(order: u64, card: Card) -> OrderRequest {
        OrderRequest {
            order,
            user: 1,
            lines: vec![(0, 2)],
            points: 3,
            amount: 40,
            card,
        }
    }

    fn events(j: &Journal) -> Vec<LedgerEvent> {
        j.entries().iter().map(|(_, e)| e.clone()).collect()
    }

    #[test]
    fn creating_and_settling_an_order_are_reported_by_the_store() {
        let j = Journal::default();
        let mut db = open(j.clone());
        assert_eq!(next_id(&mut db), Ok(1));
        assert_eq!(create(&mut db, &request(1, Card::Declining)), Ok(true));
        assert_eq!(create(&mut db, &request(1, Card::Declining)), Ok(false));
        settle(
            &mut db,
            1,
            Outcome::Cancelled {
                reason: "declined".into(),
            },
        )
        .unwrap();
        settle(&mut db, 1, Outcome::Confirmed).unwrap();
        assert_eq!(
            events(&j),
            vec![
                LedgerEvent::OrderCreated {
                    order: 1,
                    user: 1,
                    lines: vec![(0, 2)],
                    points: 3,
                    amount: 40,
                    declining_card: true
                },
                LedgerEvent::OrderStatus {
                    order: 1,
                    status: OrderStatus::Cancelled
                }
            ]
        );
        assert_eq!(pending(&db), vec![]);
    }

    #[test]
    fn a_status_written_inside_an_xa_branch_is_reported_when_the_branch_commits() {
        let j = Journal::default();
        let mut db = open(j.clone());
        create(&mut db, &request(4, Card::Good)).unwrap();
        let t = db.xa_start(4).unwrap();
        db.put(
            t,
            OrderKey::Order(4),
            OrderVal::Order {
                request: request(4, Card::Good),
                status: Status::Done(Outcome::Confirmed),
            },
        )
        .unwrap();
        db.xa_end(4).unwrap();
        db.xa_prepare(4).unwrap();
        db.xa_commit(4, false).unwrap();
        assert_eq!(
            events(&j)[1..],
            [
                LedgerEvent::Branch {
                    order: 4,
                    participant: "order".into(),
                    state: BranchState::Prepared
                },
                LedgerEvent::OrderStatus {
                    order: 4,
                    status: OrderStatus::Confirmed
                },
                LedgerEvent::Branch {
                    order: 4,
                    participant: "order".into(),
                    state: BranchState::Committed
                }
            ]
        );
    }

    #[test]
    fn every_decision_write_is_reported_and_two_different_ones_are_both_seen() {
        let j = Journal::default();
        let mut db = open(j.clone());
        assert_eq!(
            log_decision(&mut db, 3, true, &["order", "stock"]),
            Ok(true)
        );
        assert_eq!(
            log_decision(&mut db, 3, false, &["order", "stock"]),
            Ok(true),
            "the logged decision stands, and nothing is written"
        );
        assert_eq!(decision(&db, 3), Some(true));
        // A second, different write of the row (what a buggy coordinator might do) is seen.
        db.transact(|db, t| {
            db.put(
                t,
                OrderKey::Decision(3),
                OrderVal::Decision {
                    commit: false,
                    participants: vec!["order".into()],
                },
            )
        })
        .unwrap();
        let decisions: Vec<bool> = events(&j)
            .iter()
            .filter_map(|e| match e {
                LedgerEvent::Decision {
                    order: 3, commit, ..
                } => Some(*commit),
                _ => None,
            })
            .collect();
        assert_eq!(decisions, vec![true, false]);
        let mut memory = VolatileDecisions::new(j.clone());
        memory.write(5, true, &["order"]);
        memory.write(5, false, &["order"]);
        assert_eq!(memory.get(5), Some(false));
        assert_eq!(j.entries().len(), 4, "volatile writes are reported too");
    }
}
