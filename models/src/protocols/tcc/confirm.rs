//! TCC's confirm: every reservation becomes final — stock sold, points spent, the card's
//! authorization captured — each delivered until acknowledged. Confirm is idempotent at every
//! participant (its fence answers a re-sent confirm), so delivering it again is always safe.

use super::deliver::{settle_card, until_acked};
use super::try_phase::{points_lines, stock_lines};
use crate::services::order::OrderService;
use crate::wire::{Msg, OrderRequest};

/// Confirm at stock, points and the card. True once every one acknowledged; false if one
/// stayed out of reach past the budget (the scheduler delivers the decision again later).
pub(super) async fn confirm_all(svc: &OrderService, r: &OrderRequest) -> bool {
    let order = r.order;
    for (to, lines) in [("stock", stock_lines(r)), ("points", points_lines(r))] {
        if until_acked(svc, to, &Msg::Confirm { order, lines })
            .await
            .is_none()
        {
            return false;
        }
        svc.ctx
            .crash_point(&format!("tcc.after_confirm_{to}"))
            .await;
    }
    if !settle_card(svc, r, true).await {
        return false;
    }
    svc.ctx.crash_point("tcc.after_confirm_payment").await;
    true
}
