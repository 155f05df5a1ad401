//! Delivering a confirm or cancel: sent until the participant acknowledges it, within the
//! order service's delivery budget ([`OrderService::deliver`]); a participant out of reach
//! longer is left to the pending-order scheduler, which delivers the recorded decision again
//! later. The card's settlement claims the authorization's key first.

use crate::services::holding::{self, settle_key, Patience};
use crate::services::order::OrderService;
use crate::services::payment;
use crate::store::gateway::{GatewayCall, GatewayReply};
use crate::wire::{Msg, OrderRequest};

use super::try_phase::authorize;

/// Send `msg` to `to` until acknowledged (any answer is an acknowledgement), within the order
/// service's delivery budget: the answer, or None if the budget ran out.
pub(super) async fn until_acked(svc: &OrderService, to: &str, msg: &Msg) -> Option<Msg> {
    svc.deliver(to, msg, Some("tcc.phase2_retry")).await
}

/// Capture (`confirm`) or void the card's authorization: claim the authorization's key first
/// (a replay answers with the first authorization; a late original finds the key taken), then
/// capture or void it under a key of its own. True once done, or if there is nothing to do
/// (the card declined); false if the budget ran out.
pub(super) async fn settle_card(svc: &OrderService, r: &OrderRequest, confirm: bool) -> bool {
    // Under the lock: every open authorization of the order (see `holding`).
    let charges = if svc.holding.is_some() {
        let Some(open) = holding::open_authorizations(svc, Patience::Budget).await else {
            return false;
        };
        open
    } else {
        let Some(claimed) = until_acked(svc, payment::HOST, &authorize(r)).await else {
            return false;
        };
        match claimed {
            Msg::Paid {
                reply: GatewayReply::Approved { charge },
                ..
            } => vec![charge],
            _ => Vec::new(),
        }
    };
    for charge in charges {
        let (key, call) = if confirm {
            (
                settle_key(svc, format!("tcc-{}-capture", r.order), charge),
                GatewayCall::Capture { charge },
            )
        } else {
            (
                settle_key(svc, format!("tcc-{}-void", r.order), charge),
                GatewayCall::Void { charge },
            )
        };
        if until_acked(svc, payment::HOST, &Msg::Pay { key, call })
            .await
            .is_none()
        {
            return false;
        }
    }
    true
}
