//! `saga-orch`, an orchestrated saga, driven by the order service.
//!
//! ```text
//! client   order (orchestrator, saga log)     stock     points    payment
//!   | place  |                                  |         |         |
//!   |------->| log: reserve_stock started       |         |         |
//!   |        | reserve stock ------------------>| fenced local transaction
//!   |        | log: reserve_stock done          |         |         |
//!   |        | log: spend_points started        |         |         |
//!   |        | spend points (take) ---------------------->|         |
//!   |        | log: spend_points done           |         |         |
//!   |        | log: capture_card started        |         |         |
//!   |        | capture card, key saga-o-capture (the pivot) ------->|
//!   |        |   no answer: query by key / re-send the same key --->|
//!   |        | log: capture_card done (charge id)                   |
//!   |        | confirm order: confirm stock --->| (sold)  |         |
//!   |        | order row Pending → Confirmed    |         |         |
//!   |        |                                  |         |         |
//!   |        | on a refusal, or a step with no answer before the pivot:
//!   |        | compensate every started step in reverse, each until acknowledged:
//!   |        | refund the card by charge id, refund points, release stock;
//!   |        | order row Pending → Cancelled once all are acknowledged
//!   | status |                                  |         |         |
//!   |<-------| the outcome, once durable        |         |         |
//! ```
//!
//! The forward steps (`steps`, then the pivot in `pivot`) are taken in turn, each logged
//! started before its request and done after its reply in the saga log (`log`), in the order
//! database's local transactions. The capture is the pivot, last: once it is done the saga
//! only goes forward (`complete`). A capture of unknown outcome is resolved by asking the
//! gateway, never assumed failed; a compensatable step of unknown outcome is compensated. A
//! refusal starts the compensation (`compensate`) of every started step in reverse; the order
//! ends Cancelled only when every compensation is acknowledged. Requests that must get
//! through are delivered within the order service's budget ([`OrderService::deliver`]), then
//! handed to the scheduler.
//!
//! Participants (`participant`) fence every order: a compensation that finds nothing fences
//! it cancelled, so a forward step landing late is refused; the capture's key is claimed by
//! re-sending it, so a late original replays. Every unfinished saga resumes from its log
//! (`recovery`): on restart, and by a scheduler for sagas no task drives.
//!
//! Bug knobs, each a catalogue row: [`BUG_TIMEOUT_AS_FAILURE`] (#1),
//! [`BUG_COMPENSATE_AFTER_SUCCESS_ONLY`] (#11), [`BUG_NO_HANGING_GUARD`] (#12),
//! [`BUG_COMPENSATION_GIVES_UP`] (#13), [`BUG_NO_LOG`] (#14), [`BUG_PIVOT_FIRST`] (#15),
//! [`BUG_REFUND_BY_AMOUNT`] (#28).

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use crate::knobs::BugKnob;
use crate::services::order::{Flow, OrderService};
use crate::services::payment;
use crate::store::saga_log::SagaLog;
use crate::system::{ProtocolSpec, Uses};
use crate::wire::OrderRequest;

mod compensate;
mod complete;
pub mod log;
pub mod participant;
mod pivot;
mod recovery;
mod steps;

pub use compensate::{
    BUG_COMPENSATE_AFTER_SUCCESS_ONLY, BUG_COMPENSATION_GIVES_UP, BUG_REFUND_BY_AMOUNT,
};
pub use log::BUG_NO_LOG;
pub use participant::BUG_NO_HANGING_GUARD;
pub use pivot::BUG_TIMEOUT_AS_FAILURE;

use log::{Phase, StepStatus, CARD, POINTS, STOCK};
use steps::Stepped;

/// Bug knob (#15): the pivot misplaced — the card is captured first, and treated as the step
/// that cannot be undone; a later step refused on a business rule (stock or points short)
/// cancels the order with the capture kept.
pub const BUG_PIVOT_FIRST: &str = "saga-pivot-first";

/// saga-orch's bug knobs, each with the invariants that catch it.
pub const BUGS: &[BugKnob] = &[
    BugKnob {
        name: BUG_TIMEOUT_AS_FAILURE,
        rows: &[1],
        about: "a capture with no answer is taken as failed: the order is cancelled without asking the gateway, its capture kept",
        breaks: &["no-unmatched-charge"],
    },
    BugKnob {
        name: BUG_COMPENSATE_AFTER_SUCCESS_ONLY,
        rows: &[11],
        about: "only steps that answered success are compensated; a step that timed out but happened stays applied",
        breaks: &["cancelled-clean"],
    },
    BugKnob {
        name: BUG_NO_HANGING_GUARD,
        rows: &[12],
        about: "a compensation that finds nothing writes no fence; the forward step landing after it applies, and nobody undoes it",
        breaks: &["cancelled-clean", "stock-conserved", "points-conserved"],
    },
    BugKnob {
        name: BUG_COMPENSATION_GIVES_UP,
        rows: &[13],
        about: "a compensation out of budget (a long partition) is given up and the order cancelled with what is left",
        breaks: &["terminated", "cancelled-clean"],
    },
    BugKnob {
        name: BUG_NO_LOG,
        rows: &[14],
        about: "the saga state lives in memory: a crashed order service forgets the sagas under way",
        breaks: &["terminated", "nothing-in-flight"],
    },
    BugKnob {
        name: BUG_PIVOT_FIRST,
        rows: &[15],
        about: "the capture goes first and is never compensated; stock or points refused after it cancel a paid order",
        breaks: &["no-unmatched-charge"],
    },
    BugKnob {
        name: BUG_REFUND_BY_AMOUNT,
        rows: &[28],
        about: "the card's compensation credits the amount instead of refunding the captured charge by id: a declined card gets back money it never paid",
        breaks: &["single-charge"],
    },
];

/// saga-orch as a protocol of the order system.
pub const SPEC: ProtocolSpec = ProtocolSpec {
    flow: || Rc::new(SagaOrch),
    crash_points: &[
        ("order", "saga.before_reserve_stock"),
        ("order", "saga.after_reserve_stock"),
        ("order", "saga.before_spend_points"),
        ("order", "saga.after_spend_points"),
        ("order", "saga.before_capture_card"),
        ("order", "saga.after_capture_card"),
        ("order", "saga.after_confirm_stock"),
        ("order", "saga.after_compensate_capture_card"),
        ("order", "saga.after_compensate_spend_points"),
        ("order", "saga.after_compensate_reserve_stock"),
    ],
    probes: &[
        "saga.step_refused",
        "saga.step_timeout",
        "saga.compensation_run",
        "saga.compensation_retried",
        "saga.resumed_from_log",
        "saga.unknown_resolved_by_query",
        "saga.late_step_refused",
        payment::QUERIED,
    ],
    uses: Uses::Saga,
    participant: Some(participant::apply),
    pays: true,
    uses_broker: false,
    subscriptions: &[],
    participant_loop: None,
};

/// The saga-orch flow.
pub struct SagaOrch;

impl Flow for SagaOrch {
    fn drive(&self, svc: OrderService, r: OrderRequest) -> Pin<Box<dyn Future<Output = ()>>> {
        Box::pin(recovery::resume(svc, r))
    }

    fn recover(&self, svc: OrderService, r: OrderRequest) -> Pin<Box<dyn Future<Output = ()>>> {
        Box::pin(recovery::on_restart(svc, r))
    }

    fn background(&self, svc: OrderService) -> Option<Pin<Box<dyn Future<Output = ()>>>> {
        Some(Box::pin(recovery::scheduler(svc)))
    }
}

/// Run saga `r` from where its log stands: forward, then complete; or compensate.
async fn run(svc: &OrderService, r: &OrderRequest, mut saga: SagaLog) {
    if saga.phase == Phase::Forward {
        match forward(svc, r, &mut saga).await {
            None => return, // down
            Some(Ok(())) => {
                complete::confirm_order(svc, r).await;
                return;
            }
            Some(Err(reason)) => {
                saga.phase = Phase::Compensating { reason };
                if !log::save(svc, &saga) {
                    return;
                }
            }
        }
    }
    if let Phase::Compensating { reason } = saga.phase.clone() {
        compensate::compensate_all(svc, r, &mut saga, &reason).await;
    }
}

/// Take every forward step not done yet, each logged before its request and after its reply:
/// Ok once all are done, Err(why) on a refusal or a step of unknown outcome (the failed step
/// is marked in `saga`, for the caller's write), None if the host is down.
async fn forward(
    svc: &OrderService,
    r: &OrderRequest,
    saga: &mut SagaLog,
) -> Option<Result<(), String>> {
    for step in log::steps(svc) {
        if matches!(saga.status(step), StepStatus::Done { .. }) {
            continue;
        }
        saga.set(step, StepStatus::Started);
        if !log::save(svc, saga) {
            return None;
        }
        svc.ctx.crash_point(&format!("saga.before_{step}")).await;
        let stepped = match step {
            STOCK => steps::reserve_stock(svc, r).await,
            POINTS => steps::spend_points(svc, r).await,
            CARD => pivot::capture_card(svc, r).await,
            other => unreachable!("saga-orch has no step {other}"),
        };
        match stepped {
            Stepped::Done(payload) => {
                saga.set(step, StepStatus::Done { payload });
                if !log::save(svc, saga) {
                    return None;
                }
                svc.ctx.crash_point(&format!("saga.after_{step}")).await;
            }
            Stepped::Refused(reason) => {
                saga.set(step, StepStatus::Failed);
                return Some(Err(reason));
            }
            Stepped::Unknown(reason) => return Some(Err(reason)),
        }
    }
    Some(Ok(()))
}
