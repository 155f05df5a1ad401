//! TCC's first phase, the tries: reserve the order's stock, hold its points, authorize its
//! card — one after the other, stopping at the first that fails. Each try gets a bounded
//! budget: a try that does not answer in time counts as failed (the order is then
//! cancelled everywhere, and a late try finds the cancel's fence and is refused).

use dtx_sim::CallPolicy;

use crate::services::holding;
use crate::services::order::OrderService;
use crate::store::gateway::{GatewayCall, GatewayReply};
use crate::store::holdings::Answer;
use crate::wire::{Msg, OrderRequest};

/// A try that does not answer within this has failed.
const TRY: CallPolicy = CallPolicy {
    timeout_ms: 1_000,
    attempts: 3,
    backoff_ms: 200,
    max_backoff_ms: 1_000,
};

/// The order's stock lines, (sku, quantity).
pub(super) fn stock_lines(r: &OrderRequest) -> Vec<(u32, i64)> {
    r.lines.iter().map(|(s, q)| (*s, i64::from(*q))).collect()
}

/// The order's points line, (user, points).
pub(super) fn points_lines(r: &OrderRequest) -> Vec<(u32, i64)> {
    vec![(r.user, r.points)]
}

/// The card's try: an authorization under the order's key. Sent again to claim the key before
/// a capture or void, so a late original finds it taken (a replay of this one).
pub(super) fn authorize(r: &OrderRequest) -> Msg {
    Msg::Pay {
        key: format!("tcc-{}-auth", r.order),
        call: GatewayCall::Authorize {
            order: r.order,
            amount: r.amount,
            card: r.card,
        },
    }
}

/// Try every participant: Ok when all three reserved, or why not.
pub(super) async fn try_all(svc: &OrderService, r: &OrderRequest) -> Result<(), String> {
    let tried = try_holdings(svc, "stock", r.order, stock_lines(r)).await;
    svc.ctx.crash_point("tcc.after_try_stock").await;
    tried?;
    let tried = try_holdings(svc, "points", r.order, points_lines(r)).await;
    svc.ctx.crash_point("tcc.after_try_points").await;
    tried?;
    let tried = try_payment(svc, r).await;
    svc.ctx.crash_point("tcc.after_try_payment").await;
    tried
}

async fn try_holdings(
    svc: &OrderService,
    to: &str,
    order: u64,
    lines: Vec<(u32, i64)>,
) -> Result<(), String> {
    match svc.call(to, &Msg::Reserve { order, lines }, &TRY).await {
        Ok(Msg::Answer {
            order: o,
            answer: Answer::Done | Answer::Replayed,
        }) if o == order => Ok(()),
        Ok(Msg::Answer {
            answer: Answer::Refused(refusal),
            ..
        }) => {
            svc.ctx.probe("tcc.try_refused");
            Err(format!("{to}: {refusal}"))
        }
        Ok(other) => Err(format!("{to}: unexpected {other:?}")),
        Err(e) => {
            svc.ctx.probe("tcc.try_timeout");
            Err(e.to_string())
        }
    }
}

async fn try_payment(svc: &OrderService, r: &OrderRequest) -> Result<(), String> {
    // Under the lock, an authorization a previous holder made counts (see `holding`).
    match holding::authorize(svc, &authorize(r), &TRY).await {
        Ok(Msg::Paid {
            reply: GatewayReply::Approved { .. },
            ..
        }) => Ok(()),
        Ok(Msg::Paid { reply, .. }) => {
            svc.ctx.probe("tcc.try_refused");
            Err(format!("card: {reply:?}"))
        }
        Ok(other) => Err(format!("card: unexpected {other:?}")),
        Err(e) => {
            svc.ctx.probe("tcc.try_timeout");
            Err(e.to_string())
        }
    }
}
