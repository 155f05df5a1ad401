//! The saga's events on the broker: their topics (one per producing service), their ids, and
//! what each says. `OrderPlaced` goes to `orders`; a participant's outcome — `StockReserved`
//! or `StockShort`, `PointsSpent` or `PointsShort`, `PaymentCaptured` or `PaymentDeclined` — is
//! a step event (`ok` or not) on its producer's topic. Topics are not ordered among
//! themselves, so a consumer may see a compensation's trigger before the forward event.
//! Each step ends once per order, so (step, outcome, order) is the event's id, and a
//! consumer's inbox key is its group and that id.

use crate::wire::{BusEvent, OrderRequest};

/// `OrderPlaced`, by the order service.
pub const ORDERS: &str = "orders";
/// `StockReserved` / `StockShort`, by stock.
pub const STOCK_EVENTS: &str = "stock-events";
/// `PointsSpent` / `PointsShort`, by points.
pub const POINTS_EVENTS: &str = "points-events";
/// `PaymentCaptured` / `PaymentDeclined`, by the payment step (in the order host).
pub const PAYMENTS: &str = "payments";

/// Step names in step events.
pub const STOCK: &str = "stock";
pub const POINTS: &str = "points";
pub const PAYMENT: &str = "payment";

/// The order an event is about.
pub fn order_of(e: &BusEvent) -> u64 {
    match e {
        BusEvent::OrderPlaced(r) => r.order,
        BusEvent::Step { order, .. } => *order,
    }
}

/// The event's id (the same on every copy of it).
pub fn id(e: &BusEvent) -> String {
    match e {
        BusEvent::OrderPlaced(r) => format!("placed-{}", r.order),
        BusEvent::Step { order, step, ok } => {
            format!("{step}-{}-{order}", if *ok { "ok" } else { "failed" })
        }
    }
}

/// `OrderPlaced`.
pub fn placed(r: &OrderRequest) -> (&'static str, u64, BusEvent) {
    (ORDERS, r.order, BusEvent::OrderPlaced(r.clone()))
}

/// A step's outcome, on its producer's topic.
pub fn step(step: &'static str, order: u64, ok: bool) -> (&'static str, u64, BusEvent) {
    let topic = match step {
        STOCK => STOCK_EVENTS,
        POINTS => POINTS_EVENTS,
        _ => PAYMENTS,
    };
    let event = BusEvent::Step {
        order,
        step: step.to_string(),
        ok,
    };
    (topic, order, event)
}

/// Whether `e` is step `name`'s outcome `ok`.
pub fn is_step(e: &BusEvent, name: &str, ok: bool) -> bool {
    matches!(e, BusEvent::Step { step, ok: o, .. } if step == name && *o == ok)
}
