//! The stock and points services: one host each, serving a holdings book (stock per sku,
//! points per user). Every operation is a local transaction (or an XA branch) whose committed
//! moves go to the run's ledger in the same step as the commit:
//! - reserve / confirm / cancel (the try-confirm-cancel shape; replays answered from fences);
//! - take (one phase: available → used, no way back);
//! - prepare / commit / rollback of a 2PC branch, and the in-doubt resolver: a branch
//!   prepared for a while is never decided here alone — the service asks the coordinator.

use std::time::Duration;

use dtx_invariants::{BranchState, LedgerEvent, Op};
use dtx_sim::{CallPolicy, Disk, HostCtx, Net};

use crate::journal::Journal;
use crate::knobs::Knobs;
use crate::services::order;
use crate::store::holdings::{self, Answer, HoldingsDb, Move, Refusal};
use crate::wire::Msg;

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

/// Which book a holdings service keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Book {
    Stock,
    Points,
}

impl Book {
    /// Host name (and probe prefix, and participant name in the ledger).
    pub fn host(self) -> &'static str {
        match self {
            Book::Stock => "stock",
            Book::Points => "points",
        }
    }

    /// A committed move as a ledger event.
    pub fn event(self, m: &Move) -> LedgerEvent {
        use LedgerEvent as L;
        match (self, m.clone()) {
            (Book::Stock, Move::Reserve { id, order, qty }) => L::StockReserved {
                sku: id,
                order,
                qty,
            },
            (Book::Stock, Move::Confirm { id, order, qty }) => L::StockSold {
                sku: id,
                order,
                qty,
            },
            (Book::Stock, Move::Release { id, order, qty }) => L::StockReleased {
                sku: id,
                order,
                qty,
            },
            (Book::Stock, Move::Take { id, order, qty }) => L::StockTaken {
                sku: id,
                order,
                qty,
            },
            (Book::Points, Move::Reserve { id, order, qty }) => L::PointsHeld {
                user: id,
                order,
                points: qty,
            },
            (Book::Points, Move::Confirm { id, order, qty }) => L::PointsSpent {
                user: id,
                order,
                points: qty,
            },
            (Book::Points, Move::Release { id, order, qty }) => L::PointsReleased {
                user: id,
                order,
                points: qty,
            },
            (Book::Points, Move::Take { id, order, qty }) => L::PointsTaken {
                user: id,
                order,
                points: qty,
            },
        }
    }

    fn effect(self, order: u64, op: Op) -> LedgerEvent {
        LedgerEvent::Effect {
            order,
            participant: self.host().to_string(),
            op,
        }
    }

    fn branch(self, order: u64, state: BranchState) -> LedgerEvent {
        LedgerEvent::Branch {
            order,
            participant: self.host().to_string(),
            state,
        }
    }
}

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
            Uses::Tcc => &["replay_served", "empty_cancel", "reserve_after_cancel"],
            Uses::Xa => &[
                "replay_served",
                "prepared_recovered",
                "in_doubt_asked",
                "in_doubt_resolved",
                "rollback_fenced",
            ],
        },
    )
}

/// The order a holdings request is about.
fn order_of(body: &Msg) -> Option<u64> {
    match body {
        Msg::Reserve { order, .. }
        | Msg::Confirm { order }
        | Msg::Cancel { order }
        | Msg::Take { order, .. }
        | Msg::Prepare { order, .. }
        | Msg::Commit { order }
        | Msg::Rollback { order } => Some(*order),
        _ => None,
    }
}

/// Apply one request: its answer and the ledger events its commit produced. `None`: the
/// transaction failed (a lock conflict) and changed nothing; the caller will retry.
fn apply(
    book: Book,
    db: &mut HoldingsDb,
    order: u64,
    body: &Msg,
    knobs: Knobs,
) -> Option<(Answer, Vec<LedgerEvent>)> {
    let (op, answer, moves) = match body {
        Msg::Prepare { lines, .. } => {
            let durable = !knobs.on(BUG_PREPARE_NOT_DURABLE);
            let answer = holdings::prepare_branch(db, order, lines, durable).ok()?;
            let mut events = Vec::new();
            if answer == Answer::Done {
                events.push(book.effect(order, Op::Prepare));
                events.push(book.branch(order, BranchState::Prepared));
            }
            return Some((answer, events));
        }
        Msg::Commit { .. } => return Some(commit(book, db, order)),
        Msg::Rollback { .. } => return Some(rollback(book, db, order)),
        Msg::Reserve { lines, .. } => {
            let (a, m) = db
                .transact(|d, t| holdings::reserve_in(d, t, order, lines))
                .ok()?;
            (Op::Try, a, m)
        }
        Msg::Take { lines, .. } => {
            let (a, m) = db
                .transact(|d, t| holdings::take_in(d, t, order, lines))
                .ok()?;
            (Op::Try, a, m)
        }
        Msg::Confirm { .. } => {
            let (a, m) = db.transact(|d, t| holdings::confirm_in(d, t, order)).ok()?;
            (Op::Confirm, a, m)
        }
        Msg::Cancel { .. } => {
            let (a, m) = db.transact(|d, t| holdings::cancel_in(d, t, order)).ok()?;
            (Op::Cancel, a, m)
        }
        _ => return None,
    };
    let mut events: Vec<LedgerEvent> = moves.iter().map(|m| book.event(m)).collect();
    if answer == Answer::Done {
        events.push(book.effect(order, op));
    }
    Some((answer, events))
}

/// Commit branch `order` (phase 2, or the resolver after asking).
fn commit(book: Book, db: &mut HoldingsDb, order: u64) -> (Answer, Vec<LedgerEvent>) {
    let Ok((answer, moves)) = holdings::commit_branch(db, order) else {
        return (Answer::Refused(Refusal::NothingReserved), Vec::new());
    };
    let mut events: Vec<LedgerEvent> = moves.iter().map(|m| book.event(m)).collect();
    match answer {
        Answer::Done => {
            events.push(book.effect(order, Op::Commit));
            events.push(book.branch(order, BranchState::Committed));
        }
        // The branch is gone without committing: it was lost (prepare not durable). It will
        // never commit; the ledger says so.
        Answer::Refused(Refusal::NothingReserved) => {
            events.push(book.branch(order, BranchState::RolledBack))
        }
        _ => {}
    }
    (answer, events)
}

/// Roll branch `order` back (phase 2, or the resolver).
fn rollback(book: Book, db: &mut HoldingsDb, order: u64) -> (Answer, Vec<LedgerEvent>) {
    let answer =
        holdings::rollback_branch(db, order).unwrap_or(Answer::Refused(Refusal::NothingReserved));
    let mut events = Vec::new();
    if answer == Answer::Done {
        events.push(book.effect(order, Op::Rollback));
        events.push(book.branch(order, BranchState::RolledBack));
    }
    (answer, events)
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

/// Serve a holdings book.
pub async fn serve(ctx: HostCtx, book: Book, db: Disk<HoldingsDb>, journal: Journal, knobs: Knobs) {
    let net: Net<Msg> = ctx.bind().await;
    let name = book.host();
    if !db.read(|d| d.xa_recover()).is_empty() {
        ctx.probe(&format!("{name}.prepared_recovered"));
    }
    ctx.spawn(resolve_in_doubt(
        ctx.clone(),
        net.clone(),
        book,
        db.clone(),
        journal.clone(),
        knobs,
    ));
    loop {
        let req = net.recv().await;
        let Some(order) = order_of(&req.body) else {
            continue;
        };
        let now = ctx.now_ms();
        let applied = db.write(|d| {
            let r = apply(book, d, order, &req.body, knobs);
            if let Some((_, events)) = &r {
                journal.commit(now, events.iter().cloned());
            }
            r
        });
        // Down (died at a crash point) or a lock conflict: no answer, the caller retries.
        let Ok(Some((answer, _))) = applied else {
            continue;
        };
        match (&req.body, &answer) {
            (Msg::Rollback { .. }, Answer::Fenced) => ctx.probe(&format!("{name}.rollback_fenced")),
            (_, Answer::Fenced) => ctx.probe(&format!("{name}.empty_cancel")),
            (_, Answer::Replayed) => ctx.probe(&format!("{name}.replay_served")),
            (Msg::Reserve { .. }, Answer::Refused(Refusal::Cancelled)) => {
                ctx.probe(&format!("{name}.reserve_after_cancel"))
            }
            _ => {}
        }
        ctx.crash_point(&format!("{name}.{}", crash_point_of(&req.body)))
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
    journal: Journal,
    knobs: Knobs,
) {
    let name = book.host();
    let mut seen: Vec<u64> = Vec::new();
    loop {
        tokio::time::sleep(Duration::from_millis(IN_DOUBT_EVERY_MS)).await;
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
            let now = ctx.now_ms();
            let done = db.write(|d| {
                // Phase 2 may have arrived while we asked: only a still-prepared branch.
                if !d.xa_recover().contains(&order) {
                    return false;
                }
                let (_, events) = if commit_it {
                    commit(book, d, order)
                } else {
                    rollback(book, d, order)
                };
                journal.commit(now, events);
                true
            });
            if done == Ok(true) {
                ctx.probe(&format!("{name}.in_doubt_resolved"));
            }
        }
    }
}
