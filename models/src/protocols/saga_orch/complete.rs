//! Completion, after the pivot: the stock reservation is confirmed (sold) — retried until
//! acknowledged, never compensated, since the capture is done — and the order row goes
//! Pending → Confirmed. A participant out of reach past the budget leaves the saga to the
//! scheduler, which completes it from its log.

use super::steps::stock_lines;
use crate::services::order::OrderService;
use crate::wire::{Msg, OrderRequest, Outcome};

/// Confirm the order: true once it is Confirmed, false if handed over (or the host is down).
pub(super) async fn confirm_order(svc: &OrderService, r: &OrderRequest) -> bool {
    let msg = Msg::Confirm {
        order: r.order,
        lines: stock_lines(r),
    };
    if svc.deliver("stock", &msg, None).await.is_none() {
        return false;
    }
    svc.ctx.crash_point("saga.after_confirm_stock").await;
    svc.settle(r.order, Outcome::Confirmed)
}
