//! TCC's cancel: every reservation is given back — stock released, points released, the card's
//! authorization voided — at every participant, tried or not (a participant that never saw
//! the try fences the order, an empty rollback, so a late try is refused), each delivered
//! until acknowledged. Cancel is idempotent at every participant.

use super::deliver::{settle_card, until_acked};
use super::try_phase::{points_lines, stock_lines};
use crate::services::order::OrderService;
use crate::wire::{Msg, OrderRequest};

/// Cancel at stock, points and the card. True once every one acknowledged; false if one
/// stayed out of reach past the budget (the scheduler delivers the decision again later).
pub(super) async fn cancel_all(svc: &OrderService, r: &OrderRequest) -> bool {
    let order = r.order;
    for (to, lines) in [("stock", stock_lines(r)), ("points", points_lines(r))] {
        if until_acked(svc, to, &Msg::Cancel { order, lines })
            .await
            .is_none()
        {
            return false;
        }
        svc.ctx.crash_point(&format!("tcc.after_cancel_{to}")).await;
    }
    if !settle_card(svc, r, false).await {
        return false;
    }
    svc.ctx.crash_point("tcc.after_cancel_payment").await;
    true
}
