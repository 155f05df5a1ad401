//! Compensation: on a business failure (or a step of unknown outcome) the saga undoes every
//! step it started, in reverse order — the card refunded by its charge id, the points
//! refunded, the stock released — each delivered until acknowledged and logged as
//! compensated. A compensation is idempotent at its participant and safe when its forward
//! step never happened (the participant fences the order, so a late forward step is refused).
//! Only when every one is acknowledged does the order end Cancelled; a participant out of
//! reach past the budget leaves the saga to the scheduler, compensating still.

use super::log::{self, Phase, StepStatus, CARD, POINTS};
use super::pivot;
use super::steps::{points_lines, stock_lines, Stepped};
use crate::services::order::OrderService;
use crate::services::payment;
use crate::store::gateway::GatewayCall;
use crate::store::saga_log::SagaLog;
use crate::wire::{Msg, OrderRequest, Outcome};

/// Bug knob (#11): only steps that answered success are compensated; a step whose request
/// timed out (but happened) is left as it is.
pub const BUG_COMPENSATE_AFTER_SUCCESS_ONLY: &str = "saga-compensate-after-success-only";
/// Bug knob (#13): a compensation whose budget runs out is given up — the saga stops
/// compensating and cancels the order with what is left.
pub const BUG_COMPENSATION_GIVES_UP: &str = "saga-compensation-gives-up";
/// Bug knob (#28): the card's compensation gives the order's amount back to the card (an
/// unreferenced credit) for any capture step it started, instead of refunding the charge the
/// step captured by its id.
pub const BUG_REFUND_BY_AMOUNT: &str = "saga-refund-by-amount";

/// Reached when a compensation's first attempt goes unanswered.
const RETRIED: Option<&str> = Some("saga.compensation_retried");

/// Compensate every started step of `log` in reverse, then cancel the order. Returns when the
/// order is cancelled, or the saga is handed to the scheduler (or the host is down).
pub(super) async fn compensate_all(
    svc: &OrderService,
    r: &OrderRequest,
    log: &mut SagaLog,
    reason: &str,
) {
    let steps: Vec<String> = log.steps.iter().rev().map(|(s, _)| s.clone()).collect();
    for step in steps {
        let status = log.status(&step).clone();
        if !needs_compensation(svc, &step, &status) {
            continue;
        }
        if !compensate(svc, r, &step, status).await {
            if svc.knobs.on(BUG_COMPENSATION_GIVES_UP) {
                log.phase = Phase::GaveUp;
                if log::save(svc, log) {
                    svc.settle(
                        r.order,
                        cancelled(&format!("{reason}; compensation given up")),
                    );
                }
            }
            return; // handed over: the scheduler resumes the saga from its log
        }
        log.set(&step, StepStatus::Compensated);
        if !log::save(svc, log) {
            return;
        }
        svc.ctx.probe("saga.compensation_run");
        svc.ctx
            .crash_point(&format!("saga.after_compensate_{step}"))
            .await;
    }
    svc.settle(r.order, cancelled(reason));
}

fn cancelled(reason: &str) -> Outcome {
    Outcome::Cancelled {
        reason: format!("saga: {reason}"),
    }
}

/// Whether step `step`, standing at `status`, is to be compensated: every started step (done,
/// refused, or of unknown outcome), since its compensation is safe either way and fences it.
fn needs_compensation(svc: &OrderService, step: &str, status: &StepStatus) -> bool {
    if step == CARD && svc.knobs.on(super::BUG_PIVOT_FIRST) {
        return false; // the bug's belief: the pivot cannot be undone
    }
    match status {
        StepStatus::Todo | StepStatus::Compensated => false,
        StepStatus::Done { .. } => true,
        StepStatus::Started | StepStatus::Failed => {
            !svc.knobs.on(BUG_COMPENSATE_AFTER_SUCCESS_ONLY)
        }
    }
}

/// Compensate one step: true once acknowledged, false if the budget ran out.
async fn compensate(svc: &OrderService, r: &OrderRequest, step: &str, status: StepStatus) -> bool {
    if step == CARD {
        return refund_card(svc, r, status).await;
    }
    let (to, lines) = if step == POINTS {
        ("points", points_lines(r))
    } else {
        ("stock", stock_lines(r))
    };
    let msg = Msg::Cancel {
        order: r.order,
        lines,
    };
    svc.deliver(to, &msg, RETRIED).await.is_some()
}

/// Refund the card's capture by its charge id (resolving a capture of unknown outcome
/// first); nothing to do if it captured nothing.
async fn refund_card(svc: &OrderService, r: &OrderRequest, status: StepStatus) -> bool {
    let key = format!("saga-{}-refund", r.order);
    if svc.knobs.on(BUG_REFUND_BY_AMOUNT) {
        let call = GatewayCall::Credit {
            order: r.order,
            amount: r.amount,
        };
        return svc
            .deliver(payment::HOST, &Msg::Pay { key, call }, RETRIED)
            .await
            .is_some();
    }
    let charge = match status {
        StepStatus::Done { payload } => payload,
        StepStatus::Started => match pivot::resolve(svc, r).await {
            Stepped::Done(charge) => charge,
            _ => None,
        },
        _ => None,
    };
    let Some(charge) = charge else {
        return true; // declined: nothing captured, and the key holds the decline for good
    };
    let call = GatewayCall::Refund {
        charge,
        amount: r.amount,
    };
    svc.deliver(payment::HOST, &Msg::Pay { key, call }, RETRIED)
        .await
        .is_some()
}
