//! The order service's own consumer group: it ends the order from the events it consumes —
//! Confirmed on `PaymentCaptured`, Cancelled on `StockShort`, `PointsShort` or
//! `PaymentDeclined` — in one local transaction with the event's id in its inbox. A settled
//! order stays settled, so a second failure event changes nothing.

use std::time::Duration;

use dtx_sim::{Disk, HostCtx, HostDown};

use super::consume::{Group, Handled};
use super::events::{self, PAYMENT};
use crate::services::order::OrderDb;
use crate::store::local_db::DbError;
use crate::store::orders;
use crate::wire::{BusEvent, Outcome};

/// The order service's group.
pub const GROUP: Group = Group {
    name: "order",
    topics: &[
        events::STOCK_EVENTS,
        events::POINTS_EVENTS,
        events::PAYMENTS,
    ],
};

/// What `e` means for its order, if anything.
fn outcome(e: &BusEvent) -> Option<Outcome> {
    match e {
        BusEvent::Step { step, ok: true, .. } if step == PAYMENT => Some(Outcome::Confirmed),
        BusEvent::Step {
            step, ok: false, ..
        } => Some(Outcome::Cancelled {
            reason: format!("saga-choreo: {step} failed"),
        }),
        _ => None,
    }
}

/// Handle one event of the order group.
pub async fn handle(ctx: &HostCtx, db: &Disk<OrderDb>, e: &BusEvent) -> Result<Handled, HostDown> {
    let Some(outcome) = outcome(e) else {
        return Ok(Handled::Ignored);
    };
    let order = events::order_of(e);
    let inbox = format!("{}/{}", GROUP.name, events::id(e));
    loop {
        let done = db.write(|d| -> Result<Handled, DbError> {
            d.transact(|d, t| {
                if !d.consume_in(t, &inbox)? {
                    return Ok(Handled::Duplicate);
                }
                orders::settle_in(d, t, order, outcome.clone())?;
                Ok(Handled::Applied {
                    direct: Vec::new(),
                    probe: None,
                })
            })
        })?;
        match done {
            Ok(handled) => return Ok(handled),
            Err(e) if e.is_lock_conflict() => ctx.sleep(Duration::from_millis(50)).await,
            Err(_) => return Ok(Handled::Ignored),
        }
    }
}
