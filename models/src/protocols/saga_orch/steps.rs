//! The saga's compensatable forward steps at stock and points: reserve the stock, spend the
//! points, each one local transaction at its participant, each within a bounded budget. A
//! refusal is a business failure; a step that does not answer in time has an unknown outcome
//! — the saga then compensates it like a done one (the compensation is safe either way, and
//! fences the order so a late step is refused), never assuming it did not happen.

use dtx_sim::CallPolicy;

use crate::services::order::OrderService;
use crate::store::holdings::Answer;
use crate::wire::{Msg, OrderRequest};

/// A forward step that does not answer within this has an unknown outcome.
pub(super) const STEP: CallPolicy = CallPolicy {
    timeout_ms: 1_000,
    attempts: 3,
    backoff_ms: 200,
    max_backoff_ms: 1_000,
};

/// How a forward step ended.
#[derive(Debug)]
pub(super) enum Stepped {
    /// Done, with the participant's payload (a charge id).
    Done(Option<u64>),
    /// Refused on a business rule: nothing applied.
    Refused(String),
    /// No answer: it may or may not have happened.
    Unknown(String),
}

/// The order's stock lines, (sku, quantity).
pub(super) fn stock_lines(r: &OrderRequest) -> Vec<(u32, i64)> {
    r.lines.iter().map(|(s, q)| (*s, i64::from(*q))).collect()
}

/// The order's points line, (user, points).
pub(super) fn points_lines(r: &OrderRequest) -> Vec<(u32, i64)> {
    vec![(r.user, r.points)]
}

/// Reserve the order's stock.
pub(super) async fn reserve_stock(svc: &OrderService, r: &OrderRequest) -> Stepped {
    let msg = Msg::Reserve {
        order: r.order,
        lines: stock_lines(r),
    };
    at_holdings(svc, "stock", r.order, msg).await
}

/// Spend the order's points (taken at once: the compensation refunds them).
pub(super) async fn spend_points(svc: &OrderService, r: &OrderRequest) -> Stepped {
    let msg = Msg::Take {
        order: r.order,
        lines: points_lines(r),
    };
    at_holdings(svc, "points", r.order, msg).await
}

async fn at_holdings(svc: &OrderService, to: &str, order: u64, msg: Msg) -> Stepped {
    match svc.net.call(to, &msg, &STEP).await {
        Ok(Msg::Answer {
            order: o,
            answer: Answer::Done | Answer::Replayed,
        }) if o == order => Stepped::Done(None),
        Ok(Msg::Answer { answer, .. }) => {
            svc.ctx.probe("saga.step_refused");
            Stepped::Refused(format!("{to}: {answer:?}"))
        }
        Ok(other) => Stepped::Refused(format!("{to}: unexpected {other:?}")),
        Err(e) => {
            svc.ctx.probe("saga.step_timeout");
            Stepped::Unknown(format!("{to}: {e}"))
        }
    }
}
