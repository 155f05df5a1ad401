//! `tcc`, Try-Confirm-Cancel, driven by the order service.
//!
//! ```text
//! client   order                     stock     points    payment
//!   | place  |                         |         |         |
//!   |------->| try: reserve            |         |         |
//!   |        |------------------------>| fence `tried` + reserve, one transaction
//!   |        | try: hold points        |         |         |
//!   |        |---------------------------------->|         |
//!   |        | try: authorize card (key tcc-o-auth)        |
//!   |        |-------------------------------------------->|
//!   |        | decide: confirm iff every try succeeded — recorded durably first
//!   |        | confirm all (sell, spend, capture)  or  cancel all (release, release, void),
//!   |        | each until acknowledged                     |
//!   |        | order row Pending → Confirmed / Cancelled   |
//!   | status |                         |         |         |
//!   |<-------| the outcome, once durable                   |
//! ```
//!
//! Try (`try_phase`) reserves at stock, points and the card in turn, each within a bounded
//! budget; the decision (`decide`) is recorded in the order database's decision log before
//! any confirm or cancel goes out; confirm (`confirm`) or cancel (`cancel`) is delivered to
//! every participant until acknowledged (`deliver`); only then does the order leave Pending,
//! so a client, who polls the order's status, hears an outcome only once it is durable.
//!
//! Participants (`participant`) keep a fence log row per (order, branch), written in the
//! same local transaction as the business change: anti-hanging (a try after a cancel is
//! refused), empty rollback (a cancel with nothing tried fences the branch and changes
//! nothing), idempotent confirm and cancel. The card gateway's idempotency keys play that role
//! for payment: the authorization's key is claimed before a capture or void, so a late
//! authorization is a replay of the claim, never a new hold.
//!
//! Recovery on both sides (`recovery`): the order service resumes pending orders on restart
//! and, while it runs, a scheduler drives again every order left pending with no task on it —
//! delivering the recorded decision, or cancelling (recorded first) if there is none. Each
//! participant asks the order service about reservations left tried too long
//! ([`crate::services::reservations`]) and applies the recorded decision, never one of its own.
//!
//! Bug knobs, each a catalogue row: [`BUG_NO_FENCE`] (#5, #6), [`BUG_NON_IDEMPOTENT_CONFIRM`]
//! (#7), [`BUG_REDECIDE_AFTER_RESTART`] (#8), [`BUG_FENCE_OUTSIDE_TX`] (#9),
//! [`BUG_NO_PENDING_RECOVERY`] (#10), [`BUG_TOLD_BEFORE_DURABLE`] (#27).

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use crate::knobs::BugKnob;
use crate::services::order::{Driving, Flow, OrderService};
use crate::system::{ProtocolSpec, Uses};
use crate::wire::{OrderRequest, Outcome, Status};

mod cancel;
mod confirm;
mod decide;
mod deliver;
pub mod participant;
mod recovery;
mod try_phase;

use cancel::cancel_all;
use confirm::confirm_all;
use decide::decide;
pub use decide::PARTICIPANTS;
pub use participant::{BUG_FENCE_OUTSIDE_TX, BUG_NON_IDEMPOTENT_CONFIRM, BUG_NO_FENCE};
pub use recovery::{BUG_NO_PENDING_RECOVERY, BUG_REDECIDE_AFTER_RESTART};
use try_phase::try_all;

/// Bug knob (#27): the client is told the outcome as soon as the tries are in, from the
/// coordinator's memory; the decision is recorded only once every participant acknowledged.
/// A crash or a confirm that runs out of budget in between, and recovery — finding no decision
/// — cancels an order the client was told is confirmed.
pub const BUG_TOLD_BEFORE_DURABLE: &str = "tcc-told-before-durable";

/// tcc's bug knobs, each with the invariants that catch it.
pub const BUGS: &[BugKnob] = &[
    BugKnob {
        name: BUG_NO_FENCE,
        rows: &[5, 6],
        about: "no fence log: a cancel with no try releases what was never reserved, a try after a cancel reserves",
        breaks: &["stock-conserved", "points-conserved", "effects-once", "nothing-in-flight", "cancelled-clean"],
    },
    BugKnob {
        name: BUG_NON_IDEMPOTENT_CONFIRM,
        rows: &[7],
        about: "a re-sent confirm (acknowledgement lost, or duplicated) sells and spends again",
        breaks: &["effects-once", "stock-conserved", "points-conserved"],
    },
    BugKnob {
        name: BUG_REDECIDE_AFTER_RESTART,
        rows: &[8],
        about: "recovery tries again and writes a new decision over the recorded one (the fence refuses the second outcome where the first was applied: the changed decision and a half-applied order show it)",
        breaks: &["atomic-commit", "cancelled-clean", "confirmed-settled"],
    },
    BugKnob {
        name: BUG_FENCE_OUTSIDE_TX,
        rows: &[9],
        about: "the fence is written after the business change, in a transaction of its own; a crash between them, and the retry applies the change again",
        breaks: &["effects-once"],
    },
    BugKnob {
        name: BUG_NO_PENDING_RECOVERY,
        rows: &[10],
        about: "no recovery of pending orders: one whose confirm or cancel ran out of budget, or whose coordinator restarted, stays pending",
        breaks: &["terminated", "nothing-in-flight"],
    },
    BugKnob {
        name: BUG_TOLD_BEFORE_DURABLE,
        rows: &[27],
        about: "the client hears the outcome before the decision is recorded; recovery, finding none, cancels",
        breaks: &["client-truth"],
    },
];

/// tcc as a protocol of the order system.
pub const SPEC: ProtocolSpec = ProtocolSpec {
    flow: || Rc::new(Tcc),
    crash_points: &[
        ("order", "tcc.after_try_stock"),
        ("order", "tcc.after_try_points"),
        ("order", "tcc.after_try_payment"),
        ("order", "tcc.after_decision"),
        ("order", "tcc.after_confirm_stock"),
        ("order", "tcc.after_confirm_points"),
        ("order", "tcc.after_confirm_payment"),
        ("order", "tcc.after_cancel_stock"),
        ("order", "tcc.after_cancel_points"),
        ("order", "tcc.after_cancel_payment"),
    ],
    probes: &[
        "tcc.try_refused",
        "tcc.try_timeout",
        "tcc.phase2_retry",
        "tcc.phase2_gave_up",
        "tcc.pending_recovered",
        "tcc.decision_resent_after_restart",
        "tcc.cancelled_without_decision",
        "tcc.empty_rollback",
        "tcc.hanging_try_refused",
        "tcc.duplicate_confirm_absorbed",
        "tcc.duplicate_cancel_absorbed",
        dtx_sim::STALE_REPLY_IGNORED,
    ],
    uses: Uses::Tcc,
    participant: Some(participant::apply),
    pays: true,
    uses_broker: false,
    subscriptions: &[],
    participant_loop: None,
};

/// The tcc flow.
pub struct Tcc;

impl Flow for Tcc {
    fn drive(&self, svc: OrderService, r: OrderRequest) -> Pin<Box<dyn Future<Output = ()>>> {
        Box::pin(drive(svc, r))
    }

    fn recover(&self, svc: OrderService, r: OrderRequest) -> Pin<Box<dyn Future<Output = ()>>> {
        Box::pin(recovery::on_restart(svc, r))
    }

    fn status(&self, svc: &OrderService, order: u64) -> Status {
        if svc.knobs.on(BUG_TOLD_BEFORE_DURABLE) {
            if let Some(told) = svc.memory.borrow().announced.get(&order) {
                return Status::Done(told.clone());
            }
        }
        svc.status(order)
    }

    fn background(&self, svc: OrderService) -> Option<Pin<Box<dyn Future<Output = ()>>>> {
        if svc.knobs.on(BUG_NO_PENDING_RECOVERY) {
            return None;
        }
        Some(Box::pin(recovery::scheduler(svc)))
    }
}

/// The happy path: try all, decide (recorded), confirm or cancel all, settle.
async fn drive(svc: OrderService, r: OrderRequest) {
    let Some(_driving) = Driving::claim(&svc, r.order) else {
        return;
    };
    if let Some(confirm) = svc.logged_decision(r.order) {
        finish(&svc, &r, confirm, None).await;
        return;
    }
    let tried = try_all(&svc, &r).await;
    if svc.knobs.on(BUG_TOLD_BEFORE_DURABLE) {
        told_before_durable(&svc, &r, tried).await;
        return;
    }
    let Some(confirm) = decide(&svc, r.order, tried.is_ok()) else {
        return; // down: recovery takes over
    };
    svc.ctx.crash_point("tcc.after_decision").await;
    finish(&svc, &r, confirm, tried.err()).await;
}

/// Deliver the recorded decision `confirm` everywhere, then settle the order; if a participant
/// stays out of reach past the budget, leave the order pending for the scheduler.
async fn finish(svc: &OrderService, r: &OrderRequest, confirm: bool, reason: Option<String>) {
    let done = if confirm {
        confirm_all(svc, r).await
    } else {
        cancel_all(svc, r).await
    };
    if !done {
        svc.ctx.probe("tcc.phase2_gave_up");
        return;
    }
    svc.settle(r.order, outcome(confirm, reason));
}

fn outcome(confirm: bool, reason: Option<String>) -> Outcome {
    if confirm {
        Outcome::Confirmed
    } else {
        Outcome::Cancelled {
            reason: reason.unwrap_or_else(|| "tcc: cancelled".into()),
        }
    }
}

/// The bug of [`BUG_TOLD_BEFORE_DURABLE`]: announce, deliver, and record the decision last.
async fn told_before_durable(svc: &OrderService, r: &OrderRequest, tried: Result<(), String>) {
    let confirm = tried.is_ok();
    let told = outcome(confirm, tried.err());
    svc.memory
        .borrow_mut()
        .announced
        .insert(r.order, told.clone());
    let done = if confirm {
        confirm_all(svc, r).await
    } else {
        cancel_all(svc, r).await
    };
    if !done {
        svc.ctx.probe("tcc.phase2_gave_up");
        return;
    }
    if decide(svc, r.order, confirm).is_some() {
        svc.settle(r.order, told);
    }
}
