//! TCC's recovery on the order service's side. On restart every pending order is resumed; and
//! while the service runs, a scheduler looks at pending orders every [`EVERY_MS`]: one
//! pending and driven by no task across two looks (its confirm or cancel ran out of budget)
//! is driven again. Either way the recorded decision is delivered again; an order with none
//! recorded is cancelled — and that cancel is recorded before it goes out, like any decision.
//! (Participants ask too, about reservations left tried: [`crate::services::reservations`].)

use std::time::Duration;

use super::decide::{decide, redecide};
use super::finish;
use super::try_phase::try_all;
use crate::services::order::Driving;
use crate::services::order::OrderService;
use crate::wire::OrderRequest;

/// Bug knob (#8): recovery decides again instead of reading the recorded decision — it tries
/// every participant anew and writes the decision those tries come to over the recorded one.
pub const BUG_REDECIDE_AFTER_RESTART: &str = "tcc-redecide-after-restart";
/// Bug knob (#10): no recovery of pending orders — neither on restart nor by a scheduler; an
/// order whose confirm or cancel ran out of budget stays pending, its reservations held.
pub const BUG_NO_PENDING_RECOVERY: &str = "tcc-no-pending-recovery";

/// How often the scheduler looks at pending orders.
pub const EVERY_MS: u64 = 2_000;

/// Resume `r`, found pending when the order service restarted.
pub(super) async fn on_restart(svc: OrderService, r: OrderRequest) {
    if svc.knobs.on(BUG_NO_PENDING_RECOVERY) {
        return;
    }
    redrive(svc, r, true).await;
}

/// The pending-order scheduler: drive again every order left pending with no task driving it.
pub(super) async fn scheduler(svc: OrderService) {
    let mut seen: Vec<u64> = Vec::new();
    loop {
        svc.ctx.sleep(Duration::from_millis(EVERY_MS)).await;
        let overdue = svc.overdue(&mut seen, |_| true);
        for r in overdue {
            svc.ctx.probe("tcc.pending_recovered");
            svc.ctx.spawn(redrive(svc.clone(), r, false));
        }
    }
}

/// Drive `r` again from its recorded decision, or cancel it if none was recorded.
async fn redrive(svc: OrderService, r: OrderRequest, restart: bool) {
    let Some(_driving) = Driving::claim(&svc, r.order) else {
        return;
    };
    let order = r.order;
    let decision = if svc.knobs.on(BUG_REDECIDE_AFTER_RESTART) {
        let tried = try_all(&svc, &r).await;
        redecide(&svc, order, tried.is_ok())
    } else {
        match svc.logged_decision(order) {
            Some(confirm) => {
                if restart {
                    svc.ctx.probe("tcc.decision_resent_after_restart");
                }
                Some(confirm)
            }
            None => {
                svc.ctx.probe("tcc.cancelled_without_decision");
                decide(&svc, order, false)
            }
        }
    };
    let Some(confirm) = decision else {
        return; // down
    };
    finish(&svc, &r, confirm, Some("tcc: cancelled by recovery".into())).await;
}
