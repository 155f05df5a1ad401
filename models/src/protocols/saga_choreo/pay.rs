//! The payment step, a consumer group in the order host (the card gateway itself is external:
//! the step calls it). It joins `StockReserved` and `PointsSpent` of an order: when the second
//! arrives and no failure of that order was consumed, it captures the card under the order's
//! idempotency key — retried with the same key until the gateway answers, so a retry or a
//! redelivery after a crash replays instead of charging twice — and records
//! `PaymentCaptured` or `PaymentDeclined` in the order database's outbox, with the event in
//! its inbox, in one local transaction. The row's number is drawn before the capture and the
//! row commits after it: a row that commits late, which the relay must not skip.

use std::time::Duration;

use dtx_sim::{CallPolicy, Disk, HostCtx, HostDown, Net};

use super::consume::{Group, Handled};
use super::events::{self, PAYMENT, POINTS, STOCK};
use super::participant::BUG_NON_IDEMPOTENT_CONSUMER;
use super::produce::stage;
use crate::knobs::Knobs;
use crate::services::order::{OrderDb, OrderKey, OrderVal};
use crate::services::payment;
use crate::store::gateway::{GatewayCall, GatewayReply};
use crate::store::local_db::DbError;
use crate::wire::{BusEvent, Msg};

/// The payment step's group.
pub const GROUP: Group = Group {
    name: "payment",
    topics: &[events::STOCK_EVENTS, events::POINTS_EVENTS],
};

const CAPTURE: CallPolicy = CallPolicy {
    timeout_ms: 1_000,
    attempts: 3,
    backoff_ms: 200,
    max_backoff_ms: 1_000,
};

fn inbox(e: &BusEvent) -> String {
    format!("{}/{}", GROUP.name, events::id(e))
}

fn seen(db: &OrderDb, step: &str, order: u64, ok: bool) -> bool {
    let e = events::step(if step == STOCK { STOCK } else { POINTS }, order, ok).2;
    db.consumed(&inbox(&e))
}

/// Handle one event of the payment step.
pub async fn handle(
    ctx: &HostCtx,
    net: &Net<Msg>,
    db: &Disk<OrderDb>,
    e: &BusEvent,
    knobs: Knobs,
) -> Result<Handled, HostDown> {
    let (order, ok, other) = match e {
        BusEvent::Step { order, step, ok } if step == STOCK => (*order, *ok, POINTS),
        BusEvent::Step { order, step, ok } if step == POINTS => (*order, *ok, STOCK),
        _ => return Ok(Handled::Ignored),
    };
    let blind = knobs.on(BUG_NON_IDEMPOTENT_CONSUMER);
    if !blind && db.read(|d| d.consumed(&inbox(e))) {
        return Ok(Handled::Duplicate);
    }
    let capture = ok
        && db.read(|d| {
            seen(d, other, order, true)
                && !seen(d, other, order, false)
                && !seen(d, STOCK, order, false)
                && !seen(d, POINTS, order, false)
        });
    let mut emit = None;
    if capture {
        let seq = db.write(|d| d.next_outbox_seq())?;
        let captured = capture_card(ctx, net, db, order).await;
        emit = Some((seq, events::step(PAYMENT, order, captured)));
    }
    loop {
        let done = db.write(|d| -> Result<Handled, DbError> {
            d.transact(|d, t| {
                if !d.consume_in(t, &inbox(e))? && !blind {
                    return Ok(Handled::Duplicate);
                }
                let mut direct = Vec::new();
                if let Some((seq, emit)) = emit.clone() {
                    stage(d, t, knobs, Some(seq), emit, &mut direct)?;
                }
                Ok(Handled::Applied {
                    direct,
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

/// Capture the order's card under its key until the gateway answers: captured or not.
async fn capture_card(ctx: &HostCtx, net: &Net<Msg>, db: &Disk<OrderDb>, order: u64) -> bool {
    let request = db.read(|d| match d.read(&OrderKey::Order(order)) {
        Some(OrderVal::Order { request, .. }) => Some(request.clone()),
        _ => None,
    });
    let Some(r) = request else {
        return false; // never placed: nothing to charge for
    };
    let pay = Msg::Pay {
        key: format!("choreo-{order}-capture"),
        call: GatewayCall::Charge {
            order,
            amount: r.amount,
            card: r.card,
        },
    };
    loop {
        match net.call(payment::HOST, &pay, &CAPTURE).await {
            Ok(Msg::Paid { reply, .. }) => return matches!(reply, GatewayReply::Approved { .. }),
            _ => {
                ctx.probe("choreo.capture_retried");
                ctx.sleep(Duration::from_millis(500)).await;
            }
        }
    }
}
