//! A worker's guard under the lock ([`crate::lock`]): an order is driven only under its lock —
//! taken before the flow runs, released (owner-checked) after — and the worker's scheduler
//! drives again, under the lock, every pending order no task of it drives: one whose holder
//! crashed, or whose holder's lease ran out. An order whose lock another worker holds is left
//! to it (probe `lock.contended`).
//!
//! A holder that a store refuses — its token is older than one the store has seen — stops
//! driving at once and releases (owner-checked: the lock is no longer its own).
//!
//! The lock's owner names the worker, its incarnation and the take (`order-2#1.4`): a worker
//! that restarts is a new owner, as a process that restarts gets a new lock value in seed 002,
//! and so is each take, as seed 002 makes a new value per request.

use std::future::Future;
use std::rc::Rc;
use std::time::Duration;

use crate::lock;
use crate::lock::client::{self as lock_client, Take};
use crate::services::order::{Flow, OrderService};
use crate::wire::{OrderRequest, Status};

/// How often the scheduler looks at pending orders.
pub const EVERY_MS: u64 = 2_000;

/// A new lock owner: the worker, its incarnation and the take's number (`order-2#1.4`), so a
/// late duplicate of one take's release cannot remove a later take's lock.
fn owner(svc: &OrderService) -> String {
    let mut m = svc.memory.borrow_mut();
    m.takes += 1;
    format!("{}#{}.{}", svc.ctx.name(), svc.ctx.incarnation(), m.takes)
}

/// Run `work` on the order under its lock: unless a task of this incarnation holds (or is
/// taking) it already, take it, run, release it.
async fn guarded<F, Fut>(svc: OrderService, order: u64, work: F)
where
    F: FnOnce(OrderService) -> Fut,
    Fut: Future<Output = ()>,
{
    // An order settled since it was looked at needs no lock.
    if svc.status(order) != Status::Pending || !svc.memory.borrow_mut().held.insert(order) {
        return;
    }
    let owner = owner(&svc);
    match lock_client::take(&svc.net, order, &owner, svc.knobs).await {
        Take::Taken(token) => {
            let held = svc.under(order, token);
            let superseded = held
                .holding
                .as_ref()
                .expect("under a holding")
                .superseded
                .clone();
            // A holder refused by a store stops where it is: a newer holder drives the order.
            tokio::select! {
                biased;
                _ = superseded.notified() => {}
                _ = work(held) => {}
            }
            lock_client::release(&svc.net, order, &owner, svc.knobs).await;
        }
        Take::Held(_) => svc.ctx.probe(lock::CONTENDED),
        // The scheduler tries again.
        Take::Unreachable => {}
    }
    svc.memory.borrow_mut().held.remove(&order);
}

/// Drive a submitted order under its lock.
pub async fn drive(svc: OrderService, flow: Rc<dyn Flow>, r: OrderRequest) {
    let order = r.order;
    guarded(svc, order, move |s| flow.drive(s, r)).await
}

/// Resume a pending order under its lock (after a restart, or from the scheduler).
pub async fn recover(svc: OrderService, flow: Rc<dyn Flow>, r: OrderRequest) {
    let order = r.order;
    guarded(svc, order, move |s| flow.recover(s, r)).await
}

/// The worker's scheduler: every [`EVERY_MS`], drive under its lock each pending order that no
/// task of this incarnation drives, across two looks — as seed 002's worker processes an order
/// whose lock it gets (the flow picks up where the order stands: a logged decision is
/// delivered, otherwise the order is tried again).
pub async fn scheduler(svc: OrderService, flow: Rc<dyn Flow>) {
    let mut seen: Vec<u64> = Vec::new();
    loop {
        svc.ctx.sleep(Duration::from_millis(EVERY_MS)).await;
        for r in svc.overdue(&mut seen, |_| true) {
            svc.ctx.spawn(drive(svc.clone(), flow.clone(), r));
        }
    }
}
