//! The stock and points services: one host each, serving a holdings book (stock per sku,
//! points per user). Every operation is one local transaction (or an XA branch call) inside
//! one durable write; the book reports what it did from inside that write. A store error
//! other than a lock conflict is answered explicitly ([`Answer::Failed`]); a lock conflict
//! gets no answer (the caller retries). Operations:
//! - reserve / confirm / cancel (the try-confirm-cancel shape; replays answered from fences);
//! - take (one phase: available → used, no way back);
//! - prepare / commit / rollback of a 2PC branch, and the in-doubt resolver: a branch
//!   prepared for a while is never decided here alone — the service asks the coordinator;
//! - for protocols that use reserve / confirm / cancel as TCC, the reservation resolver
//!   ([`super::reservations`]), and the protocol's own way of applying them ([`Apply`]).

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use dtx_sim::{CallPolicy, Disk, HostCtx, HostDown, Net};

use crate::knobs::Knobs;
use crate::lock;
use crate::services::order;
use crate::store::holdings::{self, Answer, HoldingsDb, Refusal};
use crate::store::local_db::DbError;
use crate::wire::Msg;

pub use crate::store::holdings::Book;

/// Bug knob (#18): a participant rolls back a branch that stayed prepared too long instead of
/// asking the coordinator.
pub const BUG_TIMEOUT_ABORT: &str = "2pc-participant-timeout-abort";
/// Bug knob (#19): a participant votes yes without making the branch durable.
pub const BUG_PREPARE_NOT_DURABLE: &str = "2pc-prepare-not-durable";

/// How often the in-doubt resolver looks at prepared branches; a branch prepared across two
/// looks is in doubt.
pub const IN_DOUBT_EVERY_MS: u64 = 2_000;

const ASK: CallPolicy = CallPolicy {
    timeout_ms: 1_000,
    attempts: 2,
    backoff_ms: 200,
    max_backoff_ms: 1_000,
};

/// A protocol's own way of applying a reserve, confirm, cancel or take at a participant, in one
/// durable write or more (its bug knobs live with it): the answer, the store's error, or
/// `HostDown` if the host died on the way. Without one, each is the book's fenced local
/// transaction in one durable write.
pub type Apply =
    fn(&HostCtx, &Disk<HoldingsDb>, u64, &Msg, Knobs) -> Result<Result<Answer, DbError>, HostDown>;

/// A protocol's own loop at a participant host, started with each incarnation (an event
/// consumer and its outbox relay, say), sharing the host's socket.
pub type ParticipantLoop =
    fn(HostCtx, Net<Msg>, Disk<HoldingsDb>, Knobs) -> Pin<Box<dyn Future<Output = ()>>>;

/// The participant operations a protocol uses (they decide which crash points and probes of
/// the holdings services it can reach).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Uses {
    /// Reserve and cancel only (the trivial driver).
    ReserveCancel,
    /// Take (one phase).
    Take,
    /// Reserve / confirm / cancel.
    Tcc,
    /// XA branches: prepare / commit / rollback.
    Xa,
    /// A saga's steps: reserve (stock), take (points), confirm, and a compensation (cancel)
    /// that undoes either.
    Saga,
    /// None by request: the protocol's own loop consumes events (its crash points and probes
    /// are its own).
    Events,
}

fn named(book: Book, names: &[&str]) -> Vec<String> {
    names
        .iter()
        .map(|p| format!("{}.{p}", book.host()))
        .collect()
}

/// The crash points of a holdings service for the operations in use: after each commit,
/// before the answer.
pub fn crash_points(book: Book, uses: Uses) -> Vec<String> {
    named(
        book,
        match uses {
            Uses::ReserveCancel => &["after_reserve_commit", "after_cancel_commit"],
            Uses::Take => &["after_take_commit"],
            Uses::Tcc => &[
                "after_reserve_commit",
                "after_confirm_commit",
                "after_cancel_commit",
            ],
            Uses::Xa => &[
                "after_prepare",
                "after_commit_applied",
                "after_rollback_applied",
            ],
            // A saga reserves and confirms stock, takes points; it compensates at both.
            Uses::Saga => match book {
                Book::Stock => &[
                    "after_reserve_commit",
                    "after_confirm_commit",
                    "after_cancel_commit",
                ],
                Book::Points => &["after_take_commit", "after_cancel_commit"],
            },
            Uses::Events => &[],
        },
    )
}

/// The probes a holdings service can reach with the operations in use.
pub fn probes_of(book: Book, uses: Uses) -> Vec<String> {
    named(
        book,
        match uses {
            Uses::ReserveCancel => &["replay_served", "empty_cancel", "reserve_after_cancel"],
            Uses::Take => &["replay_served"],
            Uses::Tcc => &[
                "replay_served",
                "empty_cancel",
                "reserve_after_cancel",
                "reservation_asked",
                "reservation_resolved",
            ],
            Uses::Xa => &[
                "replay_served",
                "prepared_recovered",
                "in_doubt_asked",
                "in_doubt_resolved",
                "rollback_fenced",
            ],
            Uses::Saga => match book {
                Book::Stock => &["replay_served", "empty_cancel", "reserve_after_cancel"],
                Book::Points => &["replay_served", "empty_cancel"],
            },
            Uses::Events => &[],
        },
    )
}

/// The order a holdings request is about.
fn order_of(body: &Msg) -> Option<u64> {
    match body {
        Msg::Reserve { order, .. }
        | Msg::Confirm { order, .. }
        | Msg::Cancel { order, .. }
        | Msg::Take { order, .. }
        | Msg::Prepare { order, .. }
        | Msg::Commit { order }
        | Msg::Rollback { order } => Some(*order),
        _ => None,
    }
}

/// Apply one request (inside one durable write): its answer, or the store's error.
fn apply(db: &mut HoldingsDb, order: u64, body: &Msg, knobs: Knobs) -> Result<Answer, DbError> {
    match body {
        Msg::Prepare { lines, .. } => {
            let durable = !knobs.on(BUG_PREPARE_NOT_DURABLE);
            holdings::prepare_branch(db, order, lines, durable)
        }
        Msg::Commit { .. } => holdings::commit_branch(db, order),
        Msg::Rollback { .. } => holdings::rollback_branch(db, order),
        Msg::Reserve { lines, .. } => {
            holdings::local(db, |d, t| holdings::reserve_in(d, t, order, lines))
        }
        Msg::Take { lines, .. } => {
            holdings::local(db, |d, t| holdings::take_in(d, t, order, lines))
        }
        Msg::Confirm { .. } => holdings::local(db, |d, t| holdings::confirm_in(d, t, order)),
        Msg::Cancel { .. } => holdings::local(db, |d, t| holdings::cancel_in(d, t, order)),
        _ => unreachable!("order_of admits holdings requests only"),
    }
}

fn crash_point_of(body: &Msg) -> &'static str {
    match body {
        Msg::Reserve { .. } => "after_reserve_commit",
        Msg::Confirm { .. } => "after_confirm_commit",
        Msg::Cancel { .. } => "after_cancel_commit",
        Msg::Take { .. } => "after_take_commit",
        Msg::Prepare { .. } => "after_prepare",
        Msg::Commit { .. } => "after_commit_applied",
        _ => "after_rollback_applied",
    }
}

/// The book's way: one fenced local transaction in one durable write.
fn by_the_book(
    _: &HostCtx,
    db: &Disk<HoldingsDb>,
    order: u64,
    body: &Msg,
    knobs: Knobs,
) -> Result<Result<Answer, DbError>, HostDown> {
    db.write(|d| apply(d, order, body, knobs))
}

/// Apply one request in its durable write(s): the protocol's own `apply` for reserve, confirm,
/// cancel and take if it has one, the book's otherwise.
fn handle(
    ctx: &HostCtx,
    db: &Disk<HoldingsDb>,
    order: u64,
    body: &Msg,
    knobs: Knobs,
    own: Option<Apply>,
) -> Result<Result<Answer, DbError>, HostDown> {
    match (own, body) {
        (
            Some(own),
            Msg::Reserve { .. } | Msg::Confirm { .. } | Msg::Cancel { .. } | Msg::Take { .. },
        ) => own(ctx, db, order, body, knobs),
        _ => by_the_book(ctx, db, order, body, knobs),
    }
}

/// Serve a holdings book for a protocol that uses `uses`, applying reserve, confirm and cancel
/// with its own `own` if it has one, and running its `background` loop if it has one.
pub async fn serve(
    ctx: HostCtx,
    db: Disk<HoldingsDb>,
    knobs: Knobs,
    uses: Uses,
    own: Option<Apply>,
    background: Option<ParticipantLoop>,
) {
    let book = db.read(|d| d.book());
    let net: Net<Msg> = ctx.bind().await;
    if let Some(background) = background {
        ctx.spawn(background(ctx.clone(), net.clone(), db.clone(), knobs));
    }
    let name = book.host();
    if !db.read(|d| d.xa_recover()).is_empty() {
        ctx.probe(&format!("{name}.prepared_recovered"));
    }
    ctx.spawn(resolve_in_doubt(
        ctx.clone(),
        net.clone(),
        book,
        db.clone(),
        knobs,
    ));
    if uses == Uses::Tcc {
        let own = own.unwrap_or(by_the_book);
        ctx.spawn(super::reservations::resolve(
            ctx.clone(),
            net.clone(),
            db.clone(),
            knobs,
            own,
        ));
    }
    loop {
        let req = net.recv().await;
        // Under the lock: the holder's token first — an older one than seen is refused.
        let Some(body) = lock::fence::admit(&ctx, &net, &req, &db, |d| &mut d.tokens) else {
            continue;
        };
        let Some(order) = order_of(body) else {
            continue;
        };
        let answer = match handle(&ctx, &db, order, body, knobs, own) {
            // Down (died at a crash point or a write boundary): no answer.
            Err(_) => continue,
            Ok(Ok(answer)) => answer,
            // A lock conflict changed nothing: no answer, the caller retries.
            Ok(Err(e)) if e.is_lock_conflict() => continue,
            // Any other error is the caller's bug (reported as a store fault): say so.
            Ok(Err(e)) => Answer::Failed {
                error: e.to_string(),
            },
        };
        match (body, &answer) {
            (Msg::Rollback { .. }, Answer::Fenced) => ctx.probe(&format!("{name}.rollback_fenced")),
            (_, Answer::Fenced) => ctx.probe(&format!("{name}.empty_cancel")),
            (_, Answer::Replayed) => ctx.probe(&format!("{name}.replay_served")),
            (Msg::Reserve { .. }, Answer::Refused(Refusal::Cancelled)) => {
                ctx.probe(&format!("{name}.reserve_after_cancel"))
            }
            _ => {}
        }
        ctx.crash_point(&format!("{name}.{}", crash_point_of(body)))
            .await;
        net.reply(&req, &Msg::Answer { order, answer });
    }
}

/// The in-doubt resolver: a branch still prepared one look after it was first seen is in
/// doubt; ask the coordinator and apply its decision (never decide alone). With
/// [`BUG_TIMEOUT_ABORT`] it rolls the branch back on its own instead.
async fn resolve_in_doubt(
    ctx: HostCtx,
    net: Net<Msg>,
    book: Book,
    db: Disk<HoldingsDb>,
    knobs: Knobs,
) {
    let name = book.host();
    let mut seen: Vec<u64> = Vec::new();
    loop {
        ctx.sleep(Duration::from_millis(IN_DOUBT_EVERY_MS)).await;
        let prepared = db.read(|d| d.xa_recover());
        let in_doubt: Vec<u64> = prepared
            .iter()
            .copied()
            .filter(|x| seen.contains(x))
            .collect();
        seen = prepared;
        for order in in_doubt {
            let decision = if knobs.on(BUG_TIMEOUT_ABORT) {
                Some(false)
            } else {
                ctx.probe(&format!("{name}.in_doubt_asked"));
                match net
                    .call(order::HOST, &Msg::AskDecision { order }, &ASK)
                    .await
                {
                    Ok(Msg::DecisionIs { decision, .. }) => decision,
                    _ => None,
                }
            };
            let Some(commit_it) = decision else { continue };
            let done = db.write(|d| {
                // Phase 2 may have arrived while we asked: only a still-prepared branch.
                if !d.xa_recover().contains(&order) {
                    return false;
                }
                let _ = if commit_it {
                    holdings::commit_branch(d, order)
                } else {
                    holdings::rollback_branch(d, order)
                };
                true
            });
            if done == Ok(true) {
                ctx.probe(&format!("{name}.in_doubt_resolved"));
            }
        }
    }
}
