//! TCC's decision: confirm only if every try succeeded, recorded durably in the order
//! database's decision log before any confirm or cancel goes out. The order book reports
//! every write of it, so a second, different decision cannot hide. The first one recorded is
//! the one every later step acts on; with [`super::BUG_REDECIDE_AFTER_RESTART`] recovery
//! writes a new one over it instead.

use crate::services::order::{OrderKey, OrderService, OrderVal};

/// The participants a decision covers.
pub const PARTICIPANTS: [&str; 3] = ["stock", "points", "payment"];

/// Record `confirm` as the decision for `order`, unless one is recorded already: the decision
/// to act on (the first recorded), or None if the host is down.
pub(super) fn decide(svc: &OrderService, order: u64, confirm: bool) -> Option<bool> {
    svc.log_decision(order, confirm, &PARTICIPANTS)
}

/// The bug of [`super::BUG_REDECIDE_AFTER_RESTART`]: write `confirm` as the decision for `order`
/// whatever was recorded before. The decision to act on, or None if the host is down.
pub(super) fn redecide(svc: &OrderService, order: u64, confirm: bool) -> Option<bool> {
    let written = svc.db.write(|db| {
        db.transact(|db, t| {
            db.put(
                t,
                OrderKey::Decision(order),
                OrderVal::Decision {
                    commit: confirm,
                    participants: PARTICIPANTS.iter().map(|p| p.to_string()).collect(),
                },
            )
        })
    });
    matches!(written, Ok(Ok(()))).then_some(confirm)
}
