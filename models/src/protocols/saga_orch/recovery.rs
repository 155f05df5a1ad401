//! Resuming sagas. On restart the order service resumes every pending order: from its saga
//! log if one was written (re-running the step under way, whose request is idempotent, or
//! carrying on compensating), from the start otherwise. While the service runs, a scheduler
//! looks at pending orders every [`EVERY_MS`]: one pending and driven by no task across two
//! looks (a compensation or completion that ran out of budget) is resumed from its log too.
//! With [`super::log::BUG_NO_LOG`] there is no log to resume from: a restart forgets the
//! sagas under way, and the scheduler knows only the ones this incarnation remembers.

use std::time::Duration;

use super::log::{self, BUG_NO_LOG};
use super::run;
use crate::services::order::{Driving, OrderService};
use crate::wire::OrderRequest;

/// How often the scheduler looks at pending orders.
pub const EVERY_MS: u64 = 2_000;

/// Resume `r`, found pending when the order service restarted.
pub(super) async fn on_restart(svc: OrderService, r: OrderRequest) {
    if svc.knobs.on(BUG_NO_LOG) {
        return; // nothing remembers the saga
    }
    resume(svc, r).await;
}

/// The saga scheduler: resume every order left pending with no task driving it.
pub(super) async fn scheduler(svc: OrderService) {
    let mut seen: Vec<u64> = Vec::new();
    loop {
        svc.ctx.sleep(Duration::from_millis(EVERY_MS)).await;
        let overdue = svc.overdue(&mut seen, |r| {
            !svc.knobs.on(BUG_NO_LOG) || log::load(&svc, r.order).is_some()
        });
        for r in overdue {
            svc.ctx.spawn(resume(svc.clone(), r));
        }
    }
}

/// Resume saga `r` from its log (or from the start if none was written).
pub(super) async fn resume(svc: OrderService, r: OrderRequest) {
    let Some(_driving) = Driving::claim(&svc, r.order) else {
        return;
    };
    let saga = match log::load(&svc, r.order) {
        Some(saga) => {
            svc.ctx.probe("saga.resumed_from_log");
            saga
        }
        None => log::begin(&svc, r.order),
    };
    run(&svc, &r, saga).await;
}
