//! The pivot: capture the card, last of the forward steps, since a capture is the step that is
//! hard to undo. One direct charge under the saga's key. A capture that does not answer has an
//! unknown outcome, resolved by asking the gateway — query by key, and if it knows of no
//! charge, re-send the capture under the same key, which claims the key: it captures now or
//! replays the stored answer, so a late original can never capture a second time. Never by
//! assuming failure (unless [`BUG_TIMEOUT_AS_FAILURE`]).

use std::time::Duration;

use dtx_sim::CallPolicy;

use super::steps::{Stepped, STEP};
use crate::services::order::OrderService;
use crate::services::payment;
use crate::store::gateway::{GatewayCall, GatewayReply};
use crate::wire::{Msg, OrderRequest};

/// Bug knob (#1): a capture that does not answer in time is taken as failed — the saga
/// compensates the other steps and cancels the order without asking the gateway, whose
/// capture may well have succeeded.
pub const BUG_TIMEOUT_AS_FAILURE: &str = "saga-timeout-as-failure";

const ASK: CallPolicy = CallPolicy {
    timeout_ms: 1_000,
    attempts: 2,
    backoff_ms: 200,
    max_backoff_ms: 1_000,
};

/// The capture's idempotency key.
pub(super) fn key(r: &OrderRequest) -> String {
    format!("saga-{}-capture", r.order)
}

fn capture(r: &OrderRequest) -> Msg {
    Msg::Pay {
        key: key(r),
        call: GatewayCall::Charge {
            order: r.order,
            amount: r.amount,
            card: r.card,
        },
    }
}

/// What a capture reply means for the step.
fn stepped(reply: GatewayReply) -> Stepped {
    match reply {
        GatewayReply::Approved { charge } => Stepped::Done(Some(charge)),
        other => Stepped::Refused(format!("card: {other:?}")),
    }
}

/// Capture the card: done (with the charge id) or refused, its outcome always known.
pub(super) async fn capture_card(svc: &OrderService, r: &OrderRequest) -> Stepped {
    match svc.net.call(payment::HOST, &capture(r), &STEP).await {
        Ok(Msg::Paid { reply, .. }) => stepped(reply),
        Ok(other) => Stepped::Refused(format!("card: unexpected {other:?}")),
        Err(e) if svc.knobs.on(BUG_TIMEOUT_AS_FAILURE) => {
            Stepped::Refused(format!("card: {e}, taken as failure"))
        }
        Err(_) => {
            svc.ctx.probe("saga.step_timeout");
            resolve(svc, r).await
        }
    }
}

/// Resolve a capture of unknown outcome: ask the gateway by key until it knows, re-sending
/// the capture (same key) when it has no charge under it.
pub(super) async fn resolve(svc: &OrderService, r: &OrderRequest) -> Stepped {
    loop {
        let query = Msg::QueryCharge { key: key(r) };
        match svc.net.call(payment::HOST, &query, &ASK).await {
            Ok(Msg::ChargeIs {
                charge: Some(charge),
                ..
            }) => {
                svc.ctx.probe("saga.unknown_resolved_by_query");
                return Stepped::Done(Some(charge.id));
            }
            Ok(Msg::ChargeIs { charge: None, .. }) => {
                if let Ok(Msg::Paid { reply, .. }) =
                    svc.net.call(payment::HOST, &capture(r), &STEP).await
                {
                    return stepped(reply);
                }
            }
            _ => svc.ctx.sleep(Duration::from_millis(1_000)).await,
        }
    }
}
