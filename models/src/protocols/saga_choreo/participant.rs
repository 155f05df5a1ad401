//! Stock and points as saga participants: each consumes events, and applies what one means for
//! it in one local transaction of its holdings book, together with the event's id in its inbox
//! and its own outcome event in its outbox. Stock reserves on `OrderPlaced`, sells on
//! `PaymentCaptured`, and compensates (releases) on `PointsShort` or `PaymentDeclined`; points
//! spends on `OrderPlaced` and compensates (refunds) on `StockShort` or `PaymentDeclined`.
//! A compensation that arrives before its forward event finds nothing and fences the order,
//! so the forward event, when it comes, is refused and absorbed (no reservation left behind).

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use dtx_sim::{Disk, HostCtx, HostDown, Net};

use super::consume::{consume, Group, Handled};
use super::events::{self, is_step, PAYMENT, POINTS, STOCK};
use super::produce::stage;
use super::relay_of;
use crate::knobs::Knobs;
use crate::store::holdings::{self, naive, Answer, Book, HoldingsDb, Refusal};
use crate::store::local_db::DbError;
use crate::store::topic_log::Record;
use crate::wire::{BusEvent, Msg};

/// Bug knob (#23): the consumer does not dedup by event id, and applies a forward event
/// blindly on every delivery: a redelivered `OrderPlaced` reserves (or spends) again.
pub const BUG_NON_IDEMPOTENT_CONSUMER: &str = "choreo-non-idempotent-consumer";
/// Bug knob (#24): no guard against reordered events — a compensation that finds nothing
/// writes no fence, so the forward event arriving after it applies, and nobody undoes it.
pub const BUG_NO_REORDER_GUARD: &str = "choreo-no-reorder-guard";

/// Stock's group: compensation triggers first, then the forward topic.
pub const STOCK_GROUP: Group = Group {
    name: "stock",
    topics: &[events::POINTS_EVENTS, events::PAYMENTS, events::ORDERS],
};
/// Points' group.
pub const POINTS_GROUP: Group = Group {
    name: "points",
    topics: &[events::STOCK_EVENTS, events::PAYMENTS, events::ORDERS],
};

/// What an event means for this participant.
enum Action {
    /// Reserve (stock) or spend (points) the order's lines.
    Forward(Vec<(u32, i64)>),
    /// Sell the reservation (stock, after the capture).
    Confirm,
    /// Undo whatever the order holds or took here.
    Compensate,
}

fn action(book: Book, e: &BusEvent) -> Option<Action> {
    let other = match book {
        Book::Stock => POINTS,
        Book::Points => STOCK,
    };
    match e {
        BusEvent::OrderPlaced(r) => Some(Action::Forward(match book {
            Book::Stock => r.lines.iter().map(|(s, q)| (*s, i64::from(*q))).collect(),
            Book::Points => vec![(r.user, r.points)],
        })),
        e if is_step(e, other, false) || is_step(e, PAYMENT, false) => Some(Action::Compensate),
        e if book == Book::Stock && is_step(e, PAYMENT, true) => Some(Action::Confirm),
        _ => None,
    }
}

/// The participant's loop: its outbox relay, and its consumer group.
pub fn run(
    ctx: HostCtx,
    net: Net<Msg>,
    db: Disk<HoldingsDb>,
    knobs: Knobs,
) -> Pin<Box<dyn Future<Output = ()>>> {
    Box::pin(async move {
        ctx.spawn(relay_of(ctx.clone(), net.clone(), db.clone(), knobs));
        let book = db.read(|d| d.book());
        let group = match book {
            Book::Stock => STOCK_GROUP,
            Book::Points => POINTS_GROUP,
        };
        let handle = |record: Record<BusEvent>| {
            let (ctx, db) = (ctx.clone(), db.clone());
            async move { handle(&ctx, &db, book, &record.payload, knobs).await }
        };
        consume(ctx.clone(), net, group, knobs, handle).await;
    })
}

/// Handle one event, retrying a lock conflict.
async fn handle(
    ctx: &HostCtx,
    db: &Disk<HoldingsDb>,
    book: Book,
    e: &BusEvent,
    knobs: Knobs,
) -> Result<Handled, HostDown> {
    let Some(action) = action(book, e) else {
        return Ok(Handled::Ignored);
    };
    loop {
        match db.write(|d| apply(d, book, e, &action, knobs))? {
            Ok(handled) => return Ok(handled),
            Err(e) if e.is_lock_conflict() => {
                ctx.sleep(Duration::from_millis(50)).await;
            }
            // Reported as a store fault by the store; nothing was applied.
            Err(_) => return Ok(Handled::Ignored),
        }
    }
}

/// Apply `action` for event `e` in one local transaction: inbox, effect, outbox.
fn apply(
    d: &mut HoldingsDb,
    book: Book,
    e: &BusEvent,
    action: &Action,
    knobs: Knobs,
) -> Result<Handled, DbError> {
    let order = events::order_of(e);
    let inbox = format!("{}/{}", book.host(), events::id(e));
    let blind = knobs.on(BUG_NON_IDEMPOTENT_CONSUMER);
    let guard = !knobs.on(BUG_NO_REORDER_GUARD);
    holdings::local(d, |d, t| {
        if !blind && !d.consume_in(t, &inbox)? {
            return Ok(Handled::Duplicate);
        }
        let take = book == Book::Points;
        let answer = match action {
            Action::Forward(lines) if blind => naive::apply_blind_in(d, t, order, lines, take)?,
            Action::Forward(lines) if take => holdings::take_in(d, t, order, lines)?,
            Action::Forward(lines) => holdings::reserve_in(d, t, order, lines)?,
            Action::Confirm => holdings::confirm_in(d, t, order)?,
            Action::Compensate => holdings::compensate_in(d, t, order, guard)?,
        };
        let mut direct = Vec::new();
        let mut probe = None;
        match (action, &answer) {
            (Action::Forward(_), Answer::Done | Answer::Replayed) => {
                let emit = events::step(step_of(book), order, true);
                stage(d, t, knobs, None, emit, &mut direct)?;
            }
            (Action::Forward(_), Answer::Refused(Refusal::Cancelled)) => {
                probe = Some("choreo.late_forward_absorbed");
            }
            (Action::Forward(_), Answer::Refused(_)) => {
                let emit = events::step(step_of(book), order, false);
                stage(d, t, knobs, None, emit, &mut direct)?;
            }
            (Action::Compensate, Answer::Fenced) => {
                probe = Some("choreo.compensation_before_forward");
            }
            (Action::Compensate, Answer::Done) => probe = Some("choreo.compensation_consumed"),
            _ => {}
        }
        Ok(Handled::Applied { direct, probe })
    })
}

fn step_of(book: Book) -> &'static str {
    match book {
        Book::Stock => STOCK,
        Book::Points => POINTS,
    }
}
