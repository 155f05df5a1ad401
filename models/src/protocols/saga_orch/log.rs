//! The saga log as the orchestrator uses it: the steps in forward order, and the durable row
//! ([`crate::store::saga_log`]) written in the order database's local transactions, before each
//! step's request and after its reply. With [`BUG_NO_LOG`] it lives in the incarnation's memory
//! instead, and a crash forgets every saga under way.

use crate::services::order::OrderService;
use crate::store::saga_log::{self, SagaLog};

pub use crate::store::saga_log::{Phase, StepStatus};

/// Bug knob (#14): the orchestrator keeps its saga state in memory only; a crash of the order
/// service forgets every saga under way, and nothing resumes them.
pub const BUG_NO_LOG: &str = "saga-no-log";

/// Step: reserve the order's stock.
pub const STOCK: &str = "reserve_stock";
/// Step: spend the order's points.
pub const POINTS: &str = "spend_points";
/// Step: capture the card — the pivot, hard to undo, so last.
pub const CARD: &str = "capture_card";
/// The forward steps in their order.
pub const STEPS: [&str; 3] = [STOCK, POINTS, CARD];
/// The forward steps with the pivot misplaced first ([`super::BUG_PIVOT_FIRST`]).
pub const PIVOT_FIRST: [&str; 3] = [CARD, STOCK, POINTS];

/// The forward steps in the order this run takes them.
pub(super) fn steps(svc: &OrderService) -> [&'static str; 3] {
    if svc.knobs.on(super::BUG_PIVOT_FIRST) {
        PIVOT_FIRST
    } else {
        STEPS
    }
}

/// A new saga log for `order`.
pub(super) fn begin(svc: &OrderService, order: u64) -> SagaLog {
    SagaLog::new(order, &steps(svc))
}

/// Write `log`: true once durable (in memory, with [`BUG_NO_LOG`]); false if the host is down.
pub(super) fn save(svc: &OrderService, log: &SagaLog) -> bool {
    if svc.knobs.on(BUG_NO_LOG) {
        svc.memory
            .borrow_mut()
            .saga_logs
            .insert(log.saga, log.clone());
        return true;
    }
    matches!(svc.db.write(|db| saga_log::put(db, log)), Ok(Ok(())))
}

/// The log of saga `order`, if one was written (and, with [`BUG_NO_LOG`], not forgotten).
pub(super) fn load(svc: &OrderService, order: u64) -> Option<SagaLog> {
    if svc.knobs.on(BUG_NO_LOG) {
        return svc.memory.borrow().saga_logs.get(&order).cloned();
    }
    svc.db.read(|db| saga_log::get(db, order))
}
