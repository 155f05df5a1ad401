//! The 2pc coordinator's decision log: a decision is written durably in the order database
//! (and reported to the ledger) before any phase-2 message goes out.

use dtx_invariants::LedgerEvent;

use super::{BRANCHES, BUG_DECISION_NOT_LOGGED};
use crate::services::order::{OrderKey, OrderService, OrderVal};

/// Log the decision (durably, unless the bug keeps it in memory). False if the host is down.
pub(super) fn log_decision(svc: &OrderService, order: u64, commit: bool) -> bool {
    let event = LedgerEvent::Decision {
        order,
        commit,
        participants: BRANCHES.iter().map(|s| s.to_string()).collect(),
    };
    let now = svc.ctx.now_ms();
    if svc.knobs.on(BUG_DECISION_NOT_LOGGED) {
        if !svc.ctx.is_up() {
            return false;
        }
        svc.memory.borrow_mut().decisions.insert(order, commit);
        svc.journal.commit(now, [event]);
        return true;
    }
    let journal = svc.journal.clone();
    svc.db
        .write(|db| {
            let r = db.transact(|db, t| {
                if db.get_for_update(t, &OrderKey::Decision(order))?.is_some() {
                    return Ok(());
                }
                db.put(t, OrderKey::Decision(order), OrderVal::Decision(commit))?;
                db.emit(t, event.clone())
            });
            if let Ok(((), events)) = r {
                journal.commit(now, events);
                true
            } else {
                false
            }
        })
        .unwrap_or(false)
}
