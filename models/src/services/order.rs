//! The order service: hands out order ids, takes orders (idempotently by id), answers status
//! queries, and drives each order through the run's protocol (a [`Flow`]). Orders live in
//! its order book ([`crate::store::orders`]), which reports every change itself; on restart
//! the service resumes every order still pending (recovery). A store error other than a lock
//! conflict is answered explicitly ([`Msg::Failed`]), never with silence.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use dtx_sim::{CallPolicy, Disk, HostCtx, Net};

use crate::journal::Journal;
use crate::knobs::Knobs;
use crate::services::guard;
pub use crate::services::holding::Holding;
use crate::store::local_db::{DbError, TxnId};
use crate::store::orders::{self, VolatileDecisions};
use crate::store::saga_log::SagaLog;
use crate::wire::{Msg, OrderRequest, Outcome, Status};

pub use crate::store::orders::{ledger_status, pending, OrderDb, OrderKey, OrderVal};

/// Host name.
pub const HOST: &str = "order";
/// Crash points of the order service itself (protocols add their own).
pub const CRASH_POINTS: &[&str] = &["order.after_create"];
/// Probes of the order service itself.
pub const PROBES: &[&str] = &["order.recovered", "order.duplicate_place"];

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

    /// Work to do in the local transaction that creates `request` (an outbox row announcing
    /// it, say). Nothing by default.
    fn placed(
        &self,
        _knobs: Knobs,
        _db: &mut OrderDb,
        _txn: TxnId,
        _request: &OrderRequest,
    ) -> Result<(), DbError> {
        Ok(())
    }

    /// Where `order` stands, for a client asking. By default what the order book says.
    fn status(&self, svc: &OrderService, order: u64) -> Status {
        svc.status(order)
    }

    /// A loop the flow runs for as long as an incarnation of the order host lives (a recovery
    /// scheduler, say), started with the service. None by default.
    fn background(&self, _svc: OrderService) -> Option<Pin<Box<dyn Future<Output = ()>>>> {
        None
    }
}

/// What a flow gets to work with. It holds no journal: what is reported is the stores'
/// business.
#[derive(Clone)]
pub struct OrderService {
    pub ctx: HostCtx,
    pub net: Net<Msg>,
    pub db: Disk<OrderDb>,
    pub knobs: Knobs,
    /// Per-incarnation memory (lost in a crash).
    pub memory: Rc<RefCell<Memory>>,
    /// The lock holding this task drives its order under, if any.
    pub holding: Option<Holding>,
}

/// What a flow may keep in memory only: it lives as long as one incarnation of the order
/// host and is lost in a crash (the bug knobs that rely on memory use it).
#[derive(Debug)]
pub struct Memory {
    /// Decisions per order, in a log that is never made durable (it reports its writes).
    pub decisions: VolatileDecisions,
    /// The last vote heard from each participant, whatever its transaction.
    pub last_votes: BTreeMap<String, bool>,
    /// Orders a task of this incarnation is driving right now.
    pub driving: BTreeSet<u64>,
    /// Orders whose lock a task of this incarnation holds or is taking.
    pub held: BTreeSet<u64>,
    /// Lock takes this incarnation made (each take is an owner of its own).
    pub takes: u64,
    /// Outcomes announced to clients before they were durable (a bug knob's shortcut).
    pub announced: BTreeMap<u64, Outcome>,
    /// Saga logs kept in memory only (a bug knob's orchestrator state, lost in a crash).
    pub saga_logs: BTreeMap<u64, SagaLog>,
}

/// A task of this incarnation drives an order: schedulers leave the order alone while the
/// claim lives (it ends with the task, or with the incarnation).
pub struct Driving {
    memory: Rc<RefCell<Memory>>,
    order: u64,
}

impl Driving {
    /// Claim `order`, unless a task drives it already.
    pub fn claim(svc: &OrderService, order: u64) -> Option<Driving> {
        svc.memory
            .borrow_mut()
            .driving
            .insert(order)
            .then(|| Driving {
                memory: svc.memory.clone(),
                order,
            })
    }
}

impl Drop for Driving {
    fn drop(&mut self) {
        self.memory.borrow_mut().driving.remove(&self.order);
    }
}

impl Memory {
    /// Empty memory; its decision log reports to `journal`.
    pub fn new(journal: Journal) -> Self {
        Memory {
            decisions: VolatileDecisions::new(journal),
            last_votes: BTreeMap::new(),
            driving: BTreeSet::new(),
            held: BTreeSet::new(),
            takes: 0,
            announced: BTreeMap::new(),
            saga_logs: BTreeMap::new(),
        }
    }
}

/// Retry until answered: for calls that must eventually get through (phase 2, compensation).
pub const PERSISTENT: CallPolicy = CallPolicy {
    timeout_ms: 1_000,
    attempts: u32::MAX,
    backoff_ms: 200,
    max_backoff_ms: 2_000,
};

/// The first attempt of [`OrderService::deliver`]; after it, [`DELIVERY_BUDGET`].
const FIRST_ATTEMPT: CallPolicy = CallPolicy {
    timeout_ms: 1_000,
    attempts: 1,
    backoff_ms: 0,
    max_backoff_ms: 0,
};

/// Retries of [`OrderService::deliver`] after the first attempt: about 10 s, then the
/// protocol's scheduler takes over.
const DELIVERY_BUDGET: CallPolicy = CallPolicy {
    timeout_ms: 1_000,
    attempts: 5,
    backoff_ms: 300,
    max_backoff_ms: 2_000,
};

impl OrderService {
    /// Deliver a request that must get through (a confirm, cancel, compensation or the
    /// completion after a pivot): sent until answered, within a budget of about 10 s. None if
    /// the budget ran out: a participant out of reach longer (a fault may last 24 s) is left to
    /// the protocol's scheduler, which delivers again later — nothing is given up, only handed
    /// over. Reaches probe `retried`, if given, when the first attempt goes unanswered.
    pub async fn deliver(&self, to: &str, msg: &Msg, retried: Option<&str>) -> Option<Msg> {
        if let Ok(reply) = self.call(to, msg, &FIRST_ATTEMPT).await {
            return Some(reply);
        }
        if let Some(probe) = retried {
            self.ctx.probe(probe);
        }
        self.call(to, msg, &DELIVERY_BUDGET).await.ok()
    }

    /// Pending orders no task of this incarnation drives (or holds the lock of), that `keep`
    /// accepts and that were already undriven at the last look (`seen`, updated here): what a protocol's scheduler
    /// drives again. Two looks, so an order between two steps of its task is left alone.
    pub fn overdue(
        &self,
        seen: &mut Vec<u64>,
        keep: impl Fn(&OrderRequest) -> bool,
    ) -> Vec<OrderRequest> {
        let undriven: Vec<OrderRequest> = self
            .db
            .read(pending)
            .into_iter()
            .filter(|r| {
                let m = self.memory.borrow();
                !m.driving.contains(&r.order) && !m.held.contains(&r.order)
            })
            .filter(|r| keep(r))
            .collect();
        let overdue = undriven
            .iter()
            .filter(|r| seen.contains(&r.order))
            .cloned()
            .collect();
        *seen = undriven.iter().map(|r| r.order).collect();
        overdue
    }

    /// Call `to` until it answers.
    pub async fn call_until_answered(&self, to: &str, msg: &Msg) -> Msg {
        loop {
            if let Ok(reply) = self.call(to, msg, &PERSISTENT).await {
                return reply;
            }
        }
    }

    /// Record the order's outcome durably (once: a settled order stays settled). False if
    /// the host is down or the store failed.
    pub fn settle(&self, order: u64, outcome: Outcome) -> bool {
        matches!(
            self.db.write(|db| orders::settle(db, order, outcome)),
            Ok(Ok(()))
        )
    }

    /// Log `commit` as the decision for `order` over `participants` durably, unless one is
    /// logged already: the logged decision (the one to act on), or None if the host is down
    /// or the store failed.
    pub fn log_decision(&self, order: u64, commit: bool, participants: &[&str]) -> Option<bool> {
        self.db
            .write(|db| orders::log_decision(db, order, commit, participants))
            .ok()?
            .ok()
    }

    /// The durably logged decision for `order`, if any.
    pub fn logged_decision(&self, order: u64) -> Option<bool> {
        self.db.read(|db| orders::decision(db, order))
    }

    /// Where an order stands.
    pub fn status(&self, order: u64) -> Status {
        self.db.read(|db| orders::status(db, order))
    }
}

/// The answer to a request whose store work failed: none for a lock conflict (the caller
/// retries), an explicit failure for any other error.
fn failed(e: DbError) -> Option<Msg> {
    (!e.is_lock_conflict()).then(|| Msg::Failed {
        error: e.to_string(),
    })
}

/// Serve orders with `flow`: as the one order service, or (`locked`) as one of two workers
/// that drive an order only under its lock ([`guard`]), whose scheduler then stands in for the
/// flow's own.
pub async fn serve(
    ctx: HostCtx,
    db: Disk<OrderDb>,
    journal: Journal,
    flow: Rc<dyn Flow>,
    knobs: Knobs,
    locked: bool,
) {
    let net: Net<Msg> = ctx.bind().await;
    let svc = OrderService {
        ctx: ctx.clone(),
        net: net.clone(),
        db: db.clone(),
        knobs,
        memory: Rc::new(RefCell::new(Memory::new(journal))),
        holding: None,
    };
    for request in db.read(pending) {
        ctx.probe("order.recovered");
        if locked {
            ctx.spawn(guard::recover(svc.clone(), flow.clone(), request));
        } else {
            ctx.spawn(flow.recover(svc.clone(), request));
        }
    }
    if locked {
        ctx.spawn(guard::scheduler(svc.clone(), flow.clone()));
    } else if let Some(background) = flow.background(svc.clone()) {
        ctx.spawn(background);
    }
    loop {
        let req = net.recv().await;
        let reply = match &req.body {
            Msg::NewOrderId => match db.write(orders::next_id) {
                Err(_) => None,
                Ok(Ok(order)) => Some(Msg::OrderId { order }),
                Ok(Err(e)) => failed(e),
            },
            Msg::Place(request) => {
                let order = request.order;
                match db.write(|db| {
                    orders::create_with(db, request, |db, t| flow.placed(knobs, db, t, request))
                }) {
                    Err(_) => None,
                    Ok(Ok(true)) => {
                        ctx.crash_point("order.after_create").await;
                        if locked {
                            ctx.spawn(guard::drive(svc.clone(), flow.clone(), request.clone()));
                        } else {
                            ctx.spawn(flow.drive(svc.clone(), request.clone()));
                        }
                        Some(Msg::Accepted { order })
                    }
                    Ok(Ok(false)) => {
                        ctx.probe("order.duplicate_place");
                        // Under the lock, a submission of a pending order is driven too — if
                        // its lock is free (seed 002: each submission is processed).
                        if locked && svc.status(order) == Status::Pending {
                            ctx.spawn(guard::drive(svc.clone(), flow.clone(), request.clone()));
                        }
                        Some(Msg::Accepted { order })
                    }
                    Ok(Err(e)) => failed(e),
                }
            }
            Msg::AskDecision { order } => Some(Msg::DecisionIs {
                order: *order,
                decision: flow.decision(&svc, *order),
            }),
            Msg::Status { order } => Some(Msg::StatusIs {
                order: *order,
                status: flow.status(&svc, *order),
            }),
            _ => None,
        };
        if let Some(reply) = reply {
            net.reply(&req, &reply);
        }
    }
}
