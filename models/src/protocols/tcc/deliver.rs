//! Delivering a confirm or cancel: sent until the participant acknowledges it, within a
//! budget. A participant that stays out of reach longer (a fault may last 24 s) is left to the
//! pending-order scheduler, which delivers the recorded decision again later — nothing is
//! given up, only handed over.

use dtx_sim::CallPolicy;

use crate::services::order::OrderService;
use crate::services::payment;
use crate::store::gateway::{GatewayCall, GatewayReply};
use crate::wire::{Msg, OrderRequest};

use super::try_phase::authorize;

/// The first attempt; after it, [`BUDGET`].
const FIRST: CallPolicy = CallPolicy {
    timeout_ms: 1_000,
    attempts: 1,
    backoff_ms: 0,
    max_backoff_ms: 0,
};

/// Retries after the first attempt: about 10 s, then the scheduler takes over.
const BUDGET: CallPolicy = CallPolicy {
    timeout_ms: 1_000,
    attempts: 5,
    backoff_ms: 300,
    max_backoff_ms: 2_000,
};

/// Send `msg` to `to` until acknowledged (any answer is an acknowledgement): the answer, or
/// None if the budget ran out.
pub(super) async fn until_acked(svc: &OrderService, to: &str, msg: &Msg) -> Option<Msg> {
    if let Ok(reply) = svc.net.call(to, msg, &FIRST).await {
        return Some(reply);
    }
    svc.ctx.probe("tcc.phase2_retry");
    svc.net.call(to, msg, &BUDGET).await.ok()
}

/// Capture (`confirm`) or void the card's authorization: claim the authorization's key first
/// (a replay answers with the first authorization; a late original finds the key taken), then
/// capture or void it under a key of its own. True once done, or if there is nothing to do
/// (the card declined); false if the budget ran out.
pub(super) async fn settle_card(svc: &OrderService, r: &OrderRequest, confirm: bool) -> bool {
    let Some(claimed) = until_acked(svc, payment::HOST, &authorize(r)).await else {
        return false;
    };
    let Msg::Paid {
        reply: GatewayReply::Approved { charge },
        ..
    } = claimed
    else {
        return true;
    };
    let (key, call) = if confirm {
        (
            format!("tcc-{}-capture", r.order),
            GatewayCall::Capture { charge },
        )
    } else {
        (
            format!("tcc-{}-void", r.order),
            GatewayCall::Void { charge },
        )
    };
    until_acked(svc, payment::HOST, &Msg::Pay { key, call })
        .await
        .is_some()
}
