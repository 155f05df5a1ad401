//! `saga-choreo`, an event-driven saga through the broker: no coordinator, each service reacts
//! to the events of the others, every event goes out through its producer's transactional
//! outbox.
//!
//! ```text
//! order service          broker topics             stock        points       payment step
//!  place: order row + OrderPlaced in one local transaction
//!  relay ----- OrderPlaced -----> orders ---------> reserve      spend
//!                                  stock-events <-- StockReserved / StockShort
//!                                  points-events <------------- PointsSpent / PointsShort
//!                                   both ok ------------------------------------> capture card
//!                                  payments <---------------------------------- PaymentCaptured
//!                                   PaymentCaptured -> sell (stock); order Confirmed
//!  a failure event:   StockShort -> points refunds; PointsShort -> stock releases;
//!                     PaymentDeclined -> both undo; any failure -> order Cancelled
//! ```
//!
//! The order service writes the order and `OrderPlaced` in one local transaction
//! ([`crate::services::order::Flow::placed`]). Stock and points (`participant`) consume
//! `OrderPlaced` in parallel and compensation triggers, each applying an event in one local
//! transaction of its book together with the event's id (its inbox, for dedup) and its own
//! outcome event (its outbox). The payment step (`pay`), a consumer in the order host, joins
//! `StockReserved` and `PointsSpent` and captures the card under the order's idempotency key.
//! The order service's own group (`outcome`) ends the order Confirmed or Cancelled. Every
//! service's outbox is published by a polling relay ([`crate::services::relay`]), at least once,
//! scanning for unsent rows so a row that commits late is never skipped; consumers
//! (`consume`) commit their offset after the local commit, so an event is redelivered, never
//! lost, and the inbox absorbs the copy. Topics are unordered among themselves: a
//! compensation can arrive before its forward event, finds nothing, and fences the order, so
//! the forward event is refused when it comes (no reservation left behind).
//!
//! Bug knobs, each a catalogue row: [`BUG_DUAL_WRITE`] (#21), [`BUG_RELAY_SKIPS_LATE`] (#22),
//! [`BUG_NON_IDEMPOTENT_CONSUMER`] (#23), [`BUG_NO_REORDER_GUARD`] (#24),
//! [`BUG_LOST_EVENT`] (#25).

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use dtx_sim::{Disk, HostCtx, Net};

use crate::knobs::{BugKnob, Knobs};
use crate::services::order::{Flow, OrderDb, OrderService};
use crate::services::relay::{relay_with, Cursor, HasOutbox};
use crate::store::local_db::{DbError, TxnId};
use crate::system::{ProtocolSpec, Uses};
use crate::wire::{Msg, OrderRequest};

mod consume;
pub mod events;
mod outcome;
mod participant;
mod pay;
mod produce;

pub use consume::BUG_LOST_EVENT;
pub use participant::{BUG_NON_IDEMPOTENT_CONSUMER, BUG_NO_REORDER_GUARD};
pub use produce::BUG_DUAL_WRITE;

use consume::consume;
use produce::{publish_direct, stage};

/// Bug knob (#22): the relays keep a cursor at the highest row published and never look
/// behind it, so a row that commits after a higher-numbered one was published is skipped.
pub const BUG_RELAY_SKIPS_LATE: &str = "choreo-relay-skips-late-rows";

/// How long a relay with nothing to publish waits before looking again.
pub const RELAY_IDLE_MS: u64 = 100;

/// saga-choreo's bug knobs, each with the invariants that catch it.
pub const BUGS: &[BugKnob] = &[
    BugKnob {
        name: BUG_DUAL_WRITE,
        rows: &[21],
        about: "services commit, then publish the event themselves instead of through the outbox; a crash in between loses the event and the saga never ends",
        breaks: &["terminated"],
    },
    BugKnob {
        name: BUG_RELAY_SKIPS_LATE,
        rows: &[22],
        about: "the relays keep a cursor at the highest row published; the payment step's row, numbered before the capture and committed after it, is skipped when a later row went out first (when the skipped row is PaymentCaptured, no-unmatched-charge fires too: the order stays Pending with its charge)",
        breaks: &["nothing-in-flight"],
    },
    BugKnob {
        name: BUG_NON_IDEMPOTENT_CONSUMER,
        rows: &[23],
        about: "consumers do not dedup by event id and apply a forward event on every delivery; a redelivered OrderPlaced reserves or spends twice",
        breaks: &["effects-once"],
    },
    BugKnob {
        name: BUG_NO_REORDER_GUARD,
        rows: &[24],
        about: "a compensation that arrives before its forward event writes no fence; the forward event then applies and nobody undoes it",
        breaks: &["cancelled-clean"],
    },
    BugKnob {
        name: BUG_LOST_EVENT,
        rows: &[25],
        about: "consumers acknowledge an event (commit the offset) before processing it; a crash in between loses the event and the saga never ends",
        breaks: &["terminated"],
    },
];

/// Crash points: (host, point).
pub const CRASH_POINTS: &[(&str, &str)] = &[
    ("order", "choreo.after_place_commit"),
    ("order", "relay.after_publish"),
    ("stock", "relay.after_publish"),
    ("points", "relay.after_publish"),
    ("stock", "choreo.stock.after_consume"),
    ("stock", "choreo.stock.after_commit"),
    ("points", "choreo.points.after_consume"),
    ("points", "choreo.points.after_commit"),
    ("order", "choreo.payment.after_consume"),
    ("order", "choreo.payment.after_commit"),
    ("order", "choreo.order.after_consume"),
    ("order", "choreo.order.after_commit"),
];

/// Probes.
pub const PROBES: &[&str] = &[
    "choreo.duplicate_ignored",
    "choreo.redelivered_after_crash",
    "choreo.compensation_before_forward",
    "choreo.late_forward_absorbed",
    "choreo.compensation_consumed",
    "choreo.capture_retried",
    "relay.publish_retried",
    "relay.republished",
    "relay.late_row_published",
    "broker.redelivered",
];

/// The (group, topic) pairs the consumers read.
pub const SUBSCRIPTIONS: &[(&str, &str)] = &[
    ("stock", events::POINTS_EVENTS),
    ("stock", events::PAYMENTS),
    ("stock", events::ORDERS),
    ("points", events::STOCK_EVENTS),
    ("points", events::PAYMENTS),
    ("points", events::ORDERS),
    ("payment", events::STOCK_EVENTS),
    ("payment", events::POINTS_EVENTS),
    ("order", events::STOCK_EVENTS),
    ("order", events::POINTS_EVENTS),
    ("order", events::PAYMENTS),
];

/// saga-choreo as a protocol of the order system.
pub const SPEC: ProtocolSpec = ProtocolSpec {
    flow: || Rc::new(SagaChoreo),
    crash_points: CRASH_POINTS,
    probes: PROBES,
    uses: Uses::Events,
    participant: None,
    pays: true,
    uses_broker: true,
    subscriptions: SUBSCRIPTIONS,
    participant_loop: Some(participant::run),
};

/// A service's outbox relay, as the run's knobs make it.
fn relay_of<T: HasOutbox>(
    ctx: HostCtx,
    net: Net<Msg>,
    disk: Disk<T>,
    knobs: Knobs,
) -> Pin<Box<dyn Future<Output = ()>>> {
    let cursor = if knobs.on(BUG_RELAY_SKIPS_LATE) {
        Cursor::SkipsLate
    } else {
        Cursor::Scans
    };
    Box::pin(relay_with(ctx, net, disk, RELAY_IDLE_MS, cursor))
}

/// The choreography, from the order service's side.
pub struct SagaChoreo;

impl Flow for SagaChoreo {
    fn placed(
        &self,
        knobs: Knobs,
        db: &mut OrderDb,
        txn: TxnId,
        request: &OrderRequest,
    ) -> Result<(), DbError> {
        if knobs.on(BUG_DUAL_WRITE) {
            return Ok(()); // published by `drive`, after the commit
        }
        stage(
            db,
            txn,
            knobs,
            None,
            events::placed(request),
            &mut Vec::new(),
        )
    }

    fn drive(&self, svc: OrderService, request: OrderRequest) -> Pin<Box<dyn Future<Output = ()>>> {
        Box::pin(async move {
            svc.ctx.crash_point("choreo.after_place_commit").await;
            if svc.knobs.on(BUG_DUAL_WRITE) {
                publish_direct(&svc.ctx, &svc.net, vec![events::placed(&request)]).await;
            }
        })
    }

    /// Nothing to resume: the outbox relay publishes whatever was committed.
    fn recover(&self, _: OrderService, _: OrderRequest) -> Pin<Box<dyn Future<Output = ()>>> {
        Box::pin(async {})
    }

    fn background(&self, svc: OrderService) -> Option<Pin<Box<dyn Future<Output = ()>>>> {
        Some(Box::pin(async move {
            let (ctx, net, db, knobs) =
                (svc.ctx.clone(), svc.net.clone(), svc.db.clone(), svc.knobs);
            ctx.spawn(relay_of(ctx.clone(), net.clone(), db.clone(), knobs));
            let payment = {
                let (ctx2, net2, db2) = (ctx.clone(), net.clone(), db.clone());
                consume(ctx.clone(), net.clone(), pay::GROUP, knobs, move |r| {
                    let (ctx, net, db) = (ctx2.clone(), net2.clone(), db2.clone());
                    async move { pay::handle(&ctx, &net, &db, &r.payload, knobs).await }
                })
            };
            ctx.spawn(payment);
            let ctx2 = ctx.clone();
            consume(ctx.clone(), net, outcome::GROUP, knobs, move |r| {
                let (ctx, db) = (ctx2.clone(), db.clone());
                async move { outcome::handle(&ctx, &db, &r.payload).await }
            })
            .await;
        }))
    }
}
