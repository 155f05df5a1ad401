//! The 2pc coordinator's decision log: a decision is written durably in the order database
//! before any phase-2 message goes out. The order book reports every write of it; with
//! [`BUG_DECISION_NOT_LOGGED`] the decision goes to a log kept in memory, which reports its
//! writes too and is lost in a crash.

use super::{BRANCHES, BUG_DECISION_NOT_LOGGED};
use crate::services::order::OrderService;

/// Log `commit` as the decision for `order` (durably, unless the bug keeps it in memory),
/// unless one is logged already. The decision to act on — the one logged first — or None
/// if the host is down.
pub(super) fn log_decision(svc: &OrderService, order: u64, commit: bool) -> Option<bool> {
    if svc.knobs.on(BUG_DECISION_NOT_LOGGED) {
        if !svc.ctx.is_up() {
            return None;
        }
        let mut memory = svc.memory.borrow_mut();
        if let Some(logged) = memory.decisions.get(order) {
            return Some(logged);
        }
        memory.decisions.write(order, commit, &BRANCHES);
        return Some(commit);
    }
    svc.log_decision(order, commit, &BRANCHES)
}
