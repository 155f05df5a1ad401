//! 2pc phase 2: commit or roll back every participant, retried until each acknowledges,
//! capture or void the card authorization, and finish the coordinator's own branch last.

use dtx_sim::CallPolicy;

use super::prepare::auth_call;
use crate::services::holding::{self, settle_key, Patience};
use crate::services::order::OrderService;
use crate::services::payment;
use crate::store::gateway::{GatewayCall, GatewayReply};
use crate::wire::{Msg, OrderRequest, Outcome};

/// Phase 2's first try; after it the message is retried until acknowledged.
const FIRST_TRY: CallPolicy = CallPolicy {
    timeout_ms: 1_000,
    attempts: 1,
    backoff_ms: 0,
    max_backoff_ms: 0,
};

/// Send `msg` to `to` until acknowledged, after a crash point between the first send and the
/// wait for its acknowledgement.
async fn until_acked(svc: &OrderService, to: &str, msg: &Msg, point: &str) -> Msg {
    let _ = svc.send(to, msg);
    svc.ctx.crash_point(point).await;
    match svc.call(to, msg, &FIRST_TRY).await {
        Ok(reply) => reply,
        Err(_) => {
            svc.ctx.probe("2pc.phase2_retry");
            svc.call_until_answered(to, msg).await
        }
    }
}

/// Phase 2: apply `commit` everywhere, the coordinator's own branch last.
pub(super) async fn phase2(svc: &OrderService, r: &OrderRequest, commit: bool) {
    let order = r.order;
    let word = if commit { "commit" } else { "rollback" };
    for p in ["stock", "points"] {
        let msg = if commit {
            Msg::Commit { order }
        } else {
            Msg::Rollback { order }
        };
        until_acked(svc, p, &msg, &format!("2pc.after_{word}_sent_{p}")).await;
    }
    // The card: claim the authorization's key (a replay returns the first authorization; a
    // late original arriving after this one finds the key taken), then capture or void it.
    // Under the lock: every open authorization of the order (see `holding`).
    let charges: Vec<u64> = if svc.holding.is_some() {
        holding::open_authorizations(svc, Patience::UntilAnswered)
            .await
            .unwrap_or_default()
    } else if let Msg::Paid {
        reply: GatewayReply::Approved { charge },
        ..
    } = svc.call_until_answered(payment::HOST, &auth_call(r)).await
    {
        vec![charge]
    } else {
        Vec::new()
    };
    for charge in charges {
        let (key, call) = if commit {
            (
                settle_key(svc, format!("2pc-{order}-capture"), charge),
                GatewayCall::Capture { charge },
            )
        } else {
            (
                settle_key(svc, format!("2pc-{order}-void"), charge),
                GatewayCall::Void { charge },
            )
        };
        until_acked(
            svc,
            payment::HOST,
            &Msg::Pay { key, call },
            &format!("2pc.after_{word}_sent_payment"),
        )
        .await;
    }
    finish_own(svc, order, commit);
}

/// Commit or roll back the coordinator's own branch (the order book reports it); on abort
/// the order is cancelled.
fn finish_own(svc: &OrderService, order: u64, commit: bool) {
    let _ = svc.db.write(|db| {
        if db.xa_state(order).is_none() {
            return;
        }
        let _ = if commit {
            db.xa_commit(order, false)
        } else {
            db.xa_rollback(order)
        };
    });
    if !commit {
        svc.settle(
            order,
            Outcome::Cancelled {
                reason: "2pc: aborted".into(),
            },
        );
    }
}
