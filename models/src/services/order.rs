//! The order service: hands out order ids, takes orders (idempotently by id), answers status
//! queries, and drives each order through the run's protocol (a [`Flow`]). Orders live in
//! its `LocalDb`; on restart it resumes every order still pending (recovery).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use dtx_invariants::{LedgerEvent, OrderStatus};

use dtx_sim::{CallPolicy, Disk, HostCtx, Net};
use serde::{Deserialize, Serialize};

use crate::journal::Journal;
use crate::knobs::Knobs;
use crate::store::local_db::LocalDb;
use crate::wire::{Msg, OrderRequest, Outcome, Status};

/// Host name.
pub const HOST: &str = "order";
/// Crash points of the order service itself (protocols add their own).
pub const CRASH_POINTS: &[&str] = &["order.after_create"];
/// Probes of the order service itself.
pub const PROBES: &[&str] = &["order.recovered", "order.duplicate_place"];

/// Rows of the order database.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum OrderKey {
    /// The last id handed out.
    LastId,
    Order(u64),
    /// A 2PC coordinator's logged decision for an order.
    Decision(u64),
}

/// Values of the order database.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrderVal {
    LastId(u64),
    Order {
        request: OrderRequest,
        status: Status,
    },
    /// Commit (true) or abort.
    Decision(bool),
}

/// The order database.
pub type OrderDb = LocalDb<OrderKey, OrderVal, LedgerEvent>;

/// How a protocol drives one order to an outcome.
pub trait Flow: 'static {
    /// Drive `request` (pending, durable) to its outcome; called on placement and again on
    /// recovery after a crash, so it must pick up wherever the order stands.
    fn drive(&self, svc: OrderService, request: OrderRequest) -> Pin<Box<dyn Future<Output = ()>>>;

    /// Resume `request`, found pending when the order service restarted. By default the flow
    /// simply drives it again.
    fn recover(
        &self,
        svc: OrderService,
        request: OrderRequest,
    ) -> Pin<Box<dyn Future<Output = ()>>> {
        self.drive(svc, request)
    }

    /// The decision for `order`, for a participant in doubt: `None` while undecided. By
    /// default the durably logged one.
    fn decision(&self, svc: &OrderService, order: u64) -> Option<bool> {
        svc.logged_decision(order)
    }
}

/// Ledger status of an order status.
pub fn ledger_status(status: &Status) -> OrderStatus {
    match status {
        Status::Done(Outcome::Confirmed) => OrderStatus::Confirmed,
        Status::Done(Outcome::Cancelled { .. }) => OrderStatus::Cancelled,
        _ => OrderStatus::Pending,
    }
}

/// The ledger event of an order's creation.
pub fn created(request: &OrderRequest) -> LedgerEvent {
    LedgerEvent::OrderCreated {
        order: request.order,
        user: request.user,
        lines: request.lines.clone(),
        points: request.points,
        amount: request.amount,
    }
}

/// What a flow gets to work with.
#[derive(Clone)]
pub struct OrderService {
    pub ctx: HostCtx,
    pub net: Net<Msg>,
    pub db: Disk<OrderDb>,
    pub journal: Journal,
    pub knobs: Knobs,
    /// Per-incarnation memory (lost in a crash).
    pub memory: Rc<RefCell<Memory>>,
}

/// What a flow may keep in memory only: it lives as long as one incarnation of the order
/// host and is lost in a crash (the bug knobs that rely on memory use it).
#[derive(Debug, Default)]
pub struct Memory {
    /// Decisions per order.
    pub decisions: BTreeMap<u64, bool>,
    /// The last vote heard from each participant, whatever its transaction.
    pub last_votes: BTreeMap<String, bool>,
}

/// Retry until answered: for calls that must eventually get through (phase 2, compensation).
pub const PERSISTENT: CallPolicy = CallPolicy {
    timeout_ms: 1_000,
    attempts: u32::MAX,
    backoff_ms: 200,
    max_backoff_ms: 2_000,
};

impl OrderService {
    /// Call `to` until it answers.
    pub async fn call_until_answered(&self, to: &str, msg: &Msg) -> Msg {
        loop {
            if let Ok(reply) = self.net.call(to, msg, &PERSISTENT).await {
                return reply;
            }
        }
    }

    /// Record the order's outcome durably (once: a settled order stays settled). False if
    /// the host is down.
    pub fn settle(&self, order: u64, outcome: Outcome) -> bool {
        let now = self.ctx.now_ms();
        let journal = self.journal.clone();
        self.db
            .write(|db| {
                let r = db.transact(|db, t| {
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
                            status: Status::Done(outcome.clone()),
                        },
                    )?;
                    db.emit(
                        t,
                        LedgerEvent::OrderStatus {
                            order,
                            status: ledger_status(&Status::Done(outcome.clone())),
                        },
                    )
                });
                if let Ok(((), events)) = r {
                    journal.commit(now, events);
                }
            })
            .is_ok()
    }

    /// The durably logged 2PC decision for `order`, if any.
    pub fn logged_decision(&self, order: u64) -> Option<bool> {
        self.db
            .read(|db| match db.read(&OrderKey::Decision(order)) {
                Some(OrderVal::Decision(c)) => Some(*c),
                _ => None,
            })
    }

    /// Where an order stands.
    pub fn status(&self, order: u64) -> Status {
        self.db.read(|db| match db.read(&OrderKey::Order(order)) {
            Some(OrderVal::Order { status, .. }) => status.clone(),
            _ => Status::Unknown,
        })
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

/// Serve orders with `flow`.
pub async fn serve(
    ctx: HostCtx,
    db: Disk<OrderDb>,
    journal: Journal,
    flow: Rc<dyn Flow>,
    knobs: Knobs,
) {
    let net: Net<Msg> = ctx.bind().await;
    let svc = OrderService {
        ctx: ctx.clone(),
        net: net.clone(),
        db: db.clone(),
        journal: journal.clone(),
        knobs,
        memory: Rc::default(),
    };
    for request in db.read(pending) {
        ctx.probe("order.recovered");
        ctx.spawn(flow.recover(svc.clone(), request));
    }
    loop {
        let req = net.recv().await;
        match &req.body {
            Msg::NewOrderId => {
                let id = db.write(|db| {
                    db.transact(|db, t| {
                        let last = match db.get_for_update(t, &OrderKey::LastId)? {
                            Some(OrderVal::LastId(n)) => n,
                            _ => 0,
                        };
                        db.put(t, OrderKey::LastId, OrderVal::LastId(last + 1))?;
                        Ok(last + 1)
                    })
                });
                if let Ok(Ok((order, _))) = id {
                    net.reply(&req, &Msg::OrderId { order });
                }
            }
            Msg::Place(request) => {
                let order = request.order;
                let now = ctx.now_ms();
                let created = db.write(|db| {
                    let r = db.transact(|db, t| {
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
                        db.emit(t, created(request))?;
                        Ok(true)
                    });
                    if let Ok((_, events)) = &r {
                        journal.commit(now, events.iter().cloned());
                    }
                    r
                });
                match created {
                    Ok(Ok((true, _))) => {
                        ctx.crash_point("order.after_create").await;
                        ctx.spawn(flow.drive(svc.clone(), request.clone()));
                    }
                    Ok(Ok((false, _))) => ctx.probe("order.duplicate_place"),
                    _ => continue,
                }
                net.reply(&req, &Msg::Accepted { order });
            }
            Msg::AskDecision { order } => {
                let decision = flow.decision(&svc, *order);
                net.reply(
                    &req,
                    &Msg::DecisionIs {
                        order: *order,
                        decision,
                    },
                );
            }
            Msg::Status { order } => {
                let status = svc.status(*order);
                net.reply(
                    &req,
                    &Msg::StatusIs {
                        order: *order,
                        status,
                    },
                );
            }
            _ => {}
        }
    }
}
