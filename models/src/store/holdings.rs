//! The books of a reservable resource — stock per sku, points per user — with the
//! try/confirm/cancel shape every protocol here builds on: reserve moves units from
//! available to held-for-an-order, confirm moves them to used (sold, spent), cancel gives
//! them back. Each operation is one local transaction on the service's `LocalDb` (or an XA
//! branch) and is idempotent per order through a fence row: a replayed reserve, confirm or
//! cancel is answered from the fence; a cancel or rollback that finds nothing (an empty
//! rollback) fences the order so a late reserve or prepare is refused instead of hanging.
//!
//! The book reports what it does, in the transaction that does it: every move of units
//! (reserved, sold, released, taken), every effect it applies (try, confirm, cancel), every
//! empty cancel or rollback it fences, and every refusal for lack of units with the numbers it
//! saw. Branch states come from the `LocalDb`'s XA calls.

use std::fmt;
use std::ops::{Deref, DerefMut};

use dtx_invariants::{LedgerEvent, Op};
use dtx_sim::Durable;
use serde::{Deserialize, Serialize};

use super::local_db::{DbError, LocalDb, TxnId};
use crate::journal::Journal;

/// Which book: stock per sku or points per user.
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

    /// A move of this book as a ledger event.
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

    /// A refusal for lack of units, as a ledger refusal.
    fn short(self, id: u32, wanted: i64, available: i64) -> dtx_invariants::Refusal {
        use dtx_invariants::Refusal as R;
        match self {
            Book::Stock => R::Short {
                sku: id,
                wanted,
                available,
            },
            Book::Points => R::PointsShort {
                user: id,
                wanted,
                balance: available,
            },
        }
    }
}

/// Rows of a holdings book (`id` is a sku or a user).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Row {
    Available(u32),
    Held(u32, u64),
    Used(u32),
    /// Used for one order (sold to it, spent on it).
    UsedFor(u32, u64),
    /// Per order: where its branch stands.
    Fence(u64),
}

/// A fence's value.
pub mod fence {
    pub const RESERVED: i64 = 1;
    pub const CONFIRMED: i64 = 2;
    pub const CANCELLED: i64 = 3;
}

/// A move of units (book-neutral; [`Book::event`] names it in the ledger).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Move {
    /// `qty` of `id` went from available to held for `order`.
    Reserve { id: u32, order: u64, qty: i64 },
    /// `qty` of `id` held for `order` became used.
    Confirm { id: u32, order: u64, qty: i64 },
    /// `qty` of `id` held for `order` went back to available.
    Release { id: u32, order: u64, qty: i64 },
    /// `qty` of `id` went from available straight to used for `order` (one-phase, or an
    /// XA branch that committed).
    Take { id: u32, order: u64, qty: i64 },
}

/// A holdings database: one book on a `LocalDb` reporting as the book's host.
#[derive(Clone, Debug)]
pub struct HoldingsDb {
    book: Book,
    db: LocalDb<Row, i64>,
}

impl HoldingsDb {
    /// Which book it keeps.
    pub fn book(&self) -> Book {
        self.book
    }
}

impl Deref for HoldingsDb {
    type Target = LocalDb<Row, i64>;
    fn deref(&self) -> &Self::Target {
        &self.db
    }
}

impl DerefMut for HoldingsDb {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.db
    }
}

impl Durable for HoldingsDb {
    fn crashed(&mut self) {
        self.db.crashed();
    }
}

/// How an operation ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Answer {
    /// Applied now.
    Done,
    /// Applied before: this is a replay.
    Replayed,
    /// Cancel or rollback found nothing to undo (an empty rollback): the order is fenced
    /// instead, so a late reserve or prepare will be refused.
    Fenced,
    /// Refused for a business reason.
    Refused(Refusal),
    /// The store failed with an error other than a lock conflict (reported as a store fault):
    /// nothing was applied.
    Failed { error: String },
}

/// Why an operation was refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Refusal {
    /// Not enough of `id`.
    Short {
        id: u32,
        wanted: i64,
        available: i64,
    },
    /// The order was cancelled here already (a late reserve, or confirm after cancel).
    Cancelled,
    /// The order was confirmed here already (cancel after confirm).
    Confirmed,
    /// Nothing reserved for the order (confirm without reserve).
    NothingReserved,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Short {
                id,
                wanted,
                available,
            } => write!(f, "{id}: wanted {wanted}, available {available}"),
            Refusal::Cancelled => write!(f, "already cancelled"),
            Refusal::Confirmed => write!(f, "already confirmed"),
            Refusal::NothingReserved => write!(f, "nothing reserved"),
        }
    }
}

/// Book `book` loaded with `available` units per id, reporting to `journal`.
pub fn open(
    book: Book,
    available: impl IntoIterator<Item = (u32, i64)>,
    journal: Journal,
) -> HoldingsDb {
    HoldingsDb {
        book,
        db: LocalDb::with_rows(available.into_iter().map(|(id, n)| (Row::Available(id), n)))
            .reporting(book.host(), journal),
    }
}

fn add(db: &mut HoldingsDb, txn: TxnId, row: Row, delta: i64) -> Result<i64, DbError> {
    let v = db.get_for_update(txn, &row)?.unwrap_or(0) + delta;
    if v == 0 && !matches!(row, Row::Available(_) | Row::Used(_)) {
        db.delete(txn, row)?;
    } else {
        db.put(txn, row, v)?;
    }
    Ok(v)
}

/// Attach move `m` to `txn` (reported if it commits).
fn moved(db: &mut HoldingsDb, txn: TxnId, m: Move) -> Result<(), DbError> {
    let event = db.book.event(&m);
    db.emit(txn, event)
}

/// Attach effect `op` on `order` to `txn`.
fn effect(db: &mut HoldingsDb, txn: TxnId, order: u64, op: Op) -> Result<(), DbError> {
    let participant = db.book.host().to_string();
    db.emit(
        txn,
        LedgerEvent::Effect {
            order,
            participant,
            op,
        },
    )
}

/// Fence `order` as cancelled with nothing to undo, reporting the empty `op` (Cancel or
/// Rollback).
fn fence_empty(db: &mut HoldingsDb, txn: TxnId, order: u64, op: Op) -> Result<(), DbError> {
    db.put(txn, Row::Fence(order), fence::CANCELLED)?;
    let participant = db.book.host().to_string();
    db.emit(
        txn,
        LedgerEvent::EmptyCancel {
            order,
            participant,
            op,
        },
    )
}

/// Reserve `lines` for `order` inside transaction `txn` (the caller commits).
pub fn reserve_in(
    db: &mut HoldingsDb,
    txn: TxnId,
    order: u64,
    lines: &[(u32, i64)],
) -> Result<Answer, DbError> {
    if let Some(answer) = admit(db, txn, order, lines)? {
        return Ok(answer);
    }
    for &(id, qty) in lines {
        add(db, txn, Row::Available(id), -qty)?;
        add(db, txn, Row::Held(id, order), qty)?;
        moved(db, txn, Move::Reserve { id, order, qty })?;
    }
    db.put(txn, Row::Fence(order), fence::RESERVED)?;
    effect(db, txn, order, Op::Try)?;
    Ok(Answer::Done)
}

fn held_of(db: &HoldingsDb, txn: TxnId, order: u64) -> Vec<(u32, i64)> {
    let ids: Vec<u32> = db
        .rows()
        .filter_map(|(r, _)| match r {
            Row::Held(id, o) if *o == order => Some(*id),
            _ => None,
        })
        .collect();
    ids.into_iter()
        .filter_map(|id| db.get(txn, &Row::Held(id, order)).map(|q| (id, q)))
        .collect()
}

/// Confirm `order`'s reservation inside `txn`.
pub fn confirm_in(db: &mut HoldingsDb, txn: TxnId, order: u64) -> Result<Answer, DbError> {
    match db.get_for_update(txn, &Row::Fence(order))? {
        Some(fence::CONFIRMED) => return Ok(Answer::Replayed),
        Some(fence::CANCELLED) => return Ok(Answer::Refused(Refusal::Cancelled)),
        None => return Ok(Answer::Refused(Refusal::NothingReserved)),
        Some(_) => {}
    }
    for (id, qty) in held_of(db, txn, order) {
        add(db, txn, Row::Held(id, order), -qty)?;
        add(db, txn, Row::Used(id), qty)?;
        add(db, txn, Row::UsedFor(id, order), qty)?;
        moved(db, txn, Move::Confirm { id, order, qty })?;
    }
    db.put(txn, Row::Fence(order), fence::CONFIRMED)?;
    effect(db, txn, order, Op::Confirm)?;
    Ok(Answer::Done)
}

/// Cancel `order` inside `txn`: release its reservation, or fence it (an empty cancel) if
/// there is none yet.
pub fn cancel_in(db: &mut HoldingsDb, txn: TxnId, order: u64) -> Result<Answer, DbError> {
    match db.get_for_update(txn, &Row::Fence(order))? {
        Some(fence::CANCELLED) => return Ok(Answer::Replayed),
        Some(fence::CONFIRMED) => return Ok(Answer::Refused(Refusal::Confirmed)),
        None => {
            fence_empty(db, txn, order, Op::Cancel)?;
            return Ok(Answer::Fenced);
        }
        Some(_) => {}
    }
    for (id, qty) in held_of(db, txn, order) {
        add(db, txn, Row::Held(id, order), -qty)?;
        add(db, txn, Row::Available(id), qty)?;
        moved(db, txn, Move::Release { id, order, qty })?;
    }
    db.put(txn, Row::Fence(order), fence::CANCELLED)?;
    effect(db, txn, order, Op::Cancel)?;
    Ok(Answer::Done)
}

/// Take `lines` for `order` inside `txn`: available → used at once (no way back). Replays
/// are answered from the fence.
pub fn take_in(
    db: &mut HoldingsDb,
    txn: TxnId,
    order: u64,
    lines: &[(u32, i64)],
) -> Result<Answer, DbError> {
    if let Some(answer) = admit(db, txn, order, lines)? {
        return Ok(answer);
    }
    take_lines(db, txn, order, lines)?;
    effect(db, txn, order, Op::Try)?;
    Ok(Answer::Done)
}

/// Move `lines` from available to used for `order` and fence it confirmed.
fn take_lines(
    db: &mut HoldingsDb,
    txn: TxnId,
    order: u64,
    lines: &[(u32, i64)],
) -> Result<(), DbError> {
    for &(id, qty) in lines {
        add(db, txn, Row::Available(id), -qty)?;
        add(db, txn, Row::Used(id), qty)?;
        add(db, txn, Row::UsedFor(id, order), qty)?;
        moved(db, txn, Move::Take { id, order, qty })?;
    }
    db.put(txn, Row::Fence(order), fence::CONFIRMED)
}

/// Whether a new reserve or take of `lines` for `order` may go ahead: `Some(answer)` when it
/// must not — the fence says it was cancelled (refused) or done before (a replay), or units
/// are short.
fn admit(
    db: &mut HoldingsDb,
    txn: TxnId,
    order: u64,
    lines: &[(u32, i64)],
) -> Result<Option<Answer>, DbError> {
    match db.get_for_update(txn, &Row::Fence(order))? {
        Some(fence::CANCELLED) => return Ok(Some(Answer::Refused(Refusal::Cancelled))),
        Some(_) => return Ok(Some(Answer::Replayed)),
        None => {}
    }
    Ok(shortage(db, txn, order, lines)?.map(Answer::Refused))
}

/// The first line of `lines` the book cannot serve, if any — reported at once as a refusal of
/// `order` with the numbers read (whatever becomes of the transaction).
fn shortage(
    db: &mut HoldingsDb,
    txn: TxnId,
    order: u64,
    lines: &[(u32, i64)],
) -> Result<Option<Refusal>, DbError> {
    for &(id, qty) in lines {
        let available = db.get_for_update(txn, &Row::Available(id))?.unwrap_or(0);
        if available < qty {
            db.report(LedgerEvent::Refused {
                order,
                participant: db.book.host().to_string(),
                refusal: db.book.short(id, qty, available),
            });
            return Ok(Some(Refusal::Short {
                id,
                wanted: qty,
                available,
            }));
        }
    }
    Ok(None)
}

/// 2PC phase 1 at a participant: take `lines` inside XA branch `order` and prepare it
/// (`durable: false` prepares on a store that forgets it in a crash — a bug knob). Answers
/// `Done` (vote yes), `Replayed` (already prepared or committed: yes again) or `Refused`
/// (vote no; nothing is left behind — a fenced order, rolled back before, is refused). A lock
/// conflict rolls the branch back and is an error.
pub fn prepare_branch(
    db: &mut HoldingsDb,
    order: u64,
    lines: &[(u32, i64)],
    durable: bool,
) -> Result<Answer, DbError> {
    if db.xa_state(order).is_some() {
        return Ok(Answer::Replayed);
    }
    match db.read(&Row::Fence(order)) {
        Some(&fence::CANCELLED) => return Ok(Answer::Refused(Refusal::Cancelled)),
        Some(_) => return Ok(Answer::Replayed),
        None => {}
    }
    let txn = db.xa_start(order)?;
    let work = (|| {
        if let Some(refusal) = shortage(db, txn, order, lines)? {
            return Ok(Answer::Refused(refusal));
        }
        take_lines(db, txn, order, lines)?;
        db.xa_end(order)?;
        if durable {
            db.xa_prepare(order)?;
        } else {
            db.xa_prepare_volatile(order)?;
        }
        Ok(Answer::Done)
    })();
    if !matches!(work, Ok(Answer::Done)) {
        db.rollback(txn);
    }
    work
}

/// 2PC phase 2 commit at a participant: `Done` (the branch committed), `Replayed` (it
/// committed before). A commit with no branch to commit is an error of the caller
/// (`NoSuchBranch`, reported as a store fault).
pub fn commit_branch(db: &mut HoldingsDb, order: u64) -> Result<Answer, DbError> {
    if db.xa_state(order).is_none() && db.read(&Row::Fence(order)) == Some(&fence::CONFIRMED) {
        return Ok(Answer::Replayed);
    }
    db.xa_commit(order, false)?;
    Ok(Answer::Done)
}

/// 2PC phase 2 rollback at a participant. `Done` if a branch was rolled back; `Fenced` if
/// there was none (an empty rollback, reported: the order is fenced so a late prepare votes
/// no); `Replayed` if it was rolled back before; `Refused(Confirmed)` if it committed.
pub fn rollback_branch(db: &mut HoldingsDb, order: u64) -> Result<Answer, DbError> {
    if db.xa_state(order).is_some() {
        db.xa_rollback(order)?;
        db.transact(|d, t| d.put(t, Row::Fence(order), fence::CANCELLED))?;
        return Ok(Answer::Done);
    }
    match db.read(&Row::Fence(order)) {
        Some(&fence::CONFIRMED) => Ok(Answer::Refused(Refusal::Confirmed)),
        Some(&fence::CANCELLED) => Ok(Answer::Replayed),
        _ => local(db, |d, t| {
            fence_empty(d, t, order, Op::Rollback)?;
            Ok(Answer::Fenced)
        }),
    }
}

/// One operation as its own local transaction.
pub fn local(
    db: &mut HoldingsDb,
    op: impl FnOnce(&mut HoldingsDb, TxnId) -> Result<Answer, DbError>,
) -> Result<Answer, DbError> {
    let txn = db.begin();
    match op(db, txn) {
        Ok(a) => {
            db.commit(txn)?;
            Ok(a)
        }
        Err(e) => {
            db.rollback(txn);
            Err(e)
        }
    }
}

/// One id's committed rows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rows {
    pub available: i64,
    /// Held per order.
    pub held: Vec<(u64, i64)>,
    pub used: i64,
    /// Used per order.
    pub used_for: Vec<(u64, i64)>,
}

/// One id's committed rows: available, held per order, used, used per order.
pub fn rows_of(db: &HoldingsDb, id: u32) -> Rows {
    let mut rows = Rows::default();
    for (r, v) in db.rows() {
        match r {
            Row::Held(i, o) if *i == id => rows.held.push((*o, *v)),
            Row::UsedFor(i, o) if *i == id => rows.used_for.push((*o, *v)),
            _ => {}
        }
    }
    let get = |r: Row| db.read(&r).copied().unwrap_or(0);
    rows.available = get(Row::Available(id));
    rows.used = get(Row::Used(id));
    rows
}

/// Available, held (by order) and used units of `id`, committed.
pub fn totals(db: &HoldingsDb, id: u32) -> (i64, i64, i64) {
    let mut held = 0;
    for (r, v) in db.rows() {
        if matches!(r, Row::Held(i, _) if *i == id) {
            held += v;
        }
    }
    let get = |r: Row| db.read(&r).copied().unwrap_or(0);
    (get(Row::Available(id)), held, get(Row::Used(id)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use dtx_invariants::{BranchState, Refusal as Said};

    fn stock(rows: impl IntoIterator<Item = (u32, i64)>) -> (HoldingsDb, Journal) {
        let j = Journal::default();
        (open(Book::Stock, rows, j.clone()), j)
    }

    fn events(j: &Journal) -> Vec<LedgerEvent> {
        j.entries().iter().map(|(_, e)| e.clone()).collect()
    }

    fn moves(j: &Journal) -> usize {
        events(j)
            .iter()
            .filter(|e| {
                matches!(
                    e,
                    LedgerEvent::StockReserved { .. }
                        | LedgerEvent::StockSold { .. }
                        | LedgerEvent::StockReleased { .. }
                        | LedgerEvent::StockTaken { .. }
                )
            })
            .count()
    }

    fn effect_of(order: u64, op: Op) -> LedgerEvent {
        LedgerEvent::Effect {
            order,
            participant: "stock".into(),
            op,
        }
    }

    fn branch(order: u64, state: BranchState) -> LedgerEvent {
        LedgerEvent::Branch {
            order,
            participant: "stock".into(),
            state,
        }
    }

    #[test]
    fn reserve_confirm_and_cancel_move_units_report_them_and_replays_are_answered_from_the_fence() {
        let (mut db, j) = stock([(0, 5), (1, 2)]);
        let a = local(&mut db, |d, t| reserve_in(d, t, 7, &[(0, 2), (1, 1)])).unwrap();
        assert_eq!((a, moves(&j)), (Answer::Done, 2));
        assert_eq!(events(&j).last(), Some(&effect_of(7, Op::Try)));
        assert_eq!(totals(&db, 0), (3, 2, 0));
        let a = local(&mut db, |d, t| reserve_in(d, t, 7, &[(0, 2), (1, 1)])).unwrap();
        assert_eq!(
            (a, moves(&j)),
            (Answer::Replayed, 2),
            "a retried reserve does not reserve twice"
        );
        local(&mut db, |d, t| confirm_in(d, t, 7)).unwrap();
        assert_eq!(totals(&db, 0), (3, 0, 2));
        assert_eq!(events(&j).last(), Some(&effect_of(7, Op::Confirm)));
        assert_eq!(
            local(&mut db, |d, t| confirm_in(d, t, 7)).unwrap(),
            Answer::Replayed
        );
        assert_eq!(
            local(&mut db, |d, t| cancel_in(d, t, 7)).unwrap(),
            Answer::Refused(Refusal::Confirmed)
        );
        assert_eq!(moves(&j), 4);
    }

    #[test]
    fn a_short_refusal_changes_nothing_and_carries_the_true_numbers() {
        let (mut db, j) = stock([(0, 1), (1, 1)]);
        let a = local(&mut db, |d, t| reserve_in(d, t, 1, &[(1, 1), (0, 2)])).unwrap();
        assert_eq!(
            a,
            Answer::Refused(Refusal::Short {
                id: 0,
                wanted: 2,
                available: 1
            })
        );
        assert_eq!(
            events(&j),
            vec![LedgerEvent::Refused {
                order: 1,
                participant: "stock".into(),
                refusal: Said::Short {
                    sku: 0,
                    wanted: 2,
                    available: 1
                }
            }]
        );
        assert_eq!((totals(&db, 0), totals(&db, 1)), ((1, 0, 0), (1, 0, 0)));
    }

    #[test]
    fn a_points_refusal_names_the_user_and_the_balance_it_saw() {
        let j = Journal::default();
        let mut db = open(Book::Points, [(2, 30)], j.clone());
        local(&mut db, |d, t| take_in(d, t, 4, &[(2, 25)])).unwrap();
        assert_eq!(
            prepare_branch(&mut db, 5, &[(2, 10)], true).unwrap(),
            Answer::Refused(Refusal::Short {
                id: 2,
                wanted: 10,
                available: 5
            })
        );
        assert_eq!(
            events(&j).last(),
            Some(&LedgerEvent::Refused {
                order: 5,
                participant: "points".into(),
                refusal: Said::PointsShort {
                    user: 2,
                    wanted: 10,
                    balance: 5
                }
            })
        );
        assert!(db.xa_recover().is_empty(), "a no vote leaves no branch");
    }

    #[test]
    fn an_empty_cancel_is_reported_and_fences_the_order_against_a_late_reserve() {
        let (mut db, j) = stock([(0, 3)]);
        assert_eq!(
            local(&mut db, |d, t| cancel_in(d, t, 9)).unwrap(),
            Answer::Fenced
        );
        assert_eq!(
            events(&j),
            vec![LedgerEvent::EmptyCancel {
                order: 9,
                participant: "stock".into(),
                op: Op::Cancel
            }]
        );
        assert_eq!(
            local(&mut db, |d, t| reserve_in(d, t, 9, &[(0, 1)])).unwrap(),
            Answer::Refused(Refusal::Cancelled)
        );
        assert_eq!(totals(&db, 0), (3, 0, 0));
        assert_eq!(j.entries().len(), 1, "the refused reserve reports nothing");
    }

    #[test]
    fn cancel_releases_and_a_crash_mid_transaction_leaves_the_book_whole() {
        let (mut db, j) = stock([(0, 3)]);
        local(&mut db, |d, t| reserve_in(d, t, 1, &[(0, 3)])).unwrap();
        let txn = db.begin();
        cancel_in(&mut db, txn, 1).unwrap();
        db.crashed();
        assert_eq!(totals(&db, 0), (0, 3, 0), "the uncommitted cancel is gone");
        assert_eq!(j.entries().len(), 2, "and reported nothing");
        let a = local(&mut db, |d, t| cancel_in(d, t, 1)).unwrap();
        assert_eq!(a, Answer::Done);
        assert_eq!(
            events(&j)[2..],
            [
                LedgerEvent::StockReleased {
                    sku: 0,
                    order: 1,
                    qty: 3
                },
                effect_of(1, Op::Cancel)
            ]
        );
        assert_eq!(totals(&db, 0), (3, 0, 0));
    }

    #[test]
    fn take_moves_straight_to_used_once() {
        let (mut db, j) = stock([(0, 3)]);
        let a = local(&mut db, |d, t| take_in(d, t, 4, &[(0, 2)])).unwrap();
        assert_eq!((a, moves(&j)), (Answer::Done, 1));
        assert_eq!(totals(&db, 0), (1, 0, 2));
        assert_eq!(rows_of(&db, 0).used_for, vec![(4, 2)]);
        let a = local(&mut db, |d, t| take_in(d, t, 4, &[(0, 2)])).unwrap();
        assert_eq!(a, Answer::Replayed);
        assert_eq!(totals(&db, 0), (1, 0, 2));
        assert_eq!(moves(&j), 1);
    }

    #[test]
    fn a_prepared_branch_survives_a_crash_and_commits_once_reporting_each_state() {
        let (mut db, j) = stock([(0, 3)]);
        assert_eq!(
            prepare_branch(&mut db, 5, &[(0, 2)], true).unwrap(),
            Answer::Done
        );
        assert_eq!(events(&j), vec![branch(5, BranchState::Prepared)]);
        assert_eq!(totals(&db, 0), (3, 0, 0), "prepared work is not committed");
        db.crashed();
        assert_eq!(db.xa_recover(), vec![5]);
        assert_eq!(
            prepare_branch(&mut db, 5, &[(0, 2)], true).unwrap(),
            Answer::Replayed
        );
        assert_eq!(commit_branch(&mut db, 5).unwrap(), Answer::Done);
        assert_eq!(
            events(&j),
            vec![
                branch(5, BranchState::Prepared),
                LedgerEvent::StockTaken {
                    sku: 0,
                    order: 5,
                    qty: 2
                },
                branch(5, BranchState::Committed)
            ]
        );
        assert_eq!(totals(&db, 0), (1, 0, 2));
        assert_eq!(commit_branch(&mut db, 5).unwrap(), Answer::Replayed);
        assert_eq!(
            rollback_branch(&mut db, 5).unwrap(),
            Answer::Refused(Refusal::Confirmed)
        );
        assert_eq!(j.entries().len(), 3, "replays report nothing");
    }

    #[test]
    fn an_empty_rollback_is_reported_and_fences_a_late_prepare_which_votes_no() {
        let (mut db, j) = stock([(0, 3)]);
        assert_eq!(rollback_branch(&mut db, 6).unwrap(), Answer::Fenced);
        assert_eq!(
            events(&j),
            vec![LedgerEvent::EmptyCancel {
                order: 6,
                participant: "stock".into(),
                op: Op::Rollback
            }]
        );
        assert_eq!(
            prepare_branch(&mut db, 6, &[(0, 1)], true).unwrap(),
            Answer::Refused(Refusal::Cancelled)
        );
        assert!(db.xa_recover().is_empty());
        assert_eq!(j.entries().len(), 1, "the late prepare created no branch");
        assert_eq!(
            prepare_branch(&mut db, 7, &[(0, 1)], true).unwrap(),
            Answer::Done
        );
        assert_eq!(rollback_branch(&mut db, 7).unwrap(), Answer::Done);
        assert_eq!(rollback_branch(&mut db, 7).unwrap(), Answer::Replayed);
        assert_eq!(
            events(&j)[1..],
            [
                branch(7, BranchState::Prepared),
                branch(7, BranchState::RolledBack)
            ]
        );
        assert_eq!(totals(&db, 0), (3, 0, 0));
    }

    #[test]
    fn a_branch_prepared_without_durability_is_lost_in_a_crash_and_a_commit_is_a_fault() {
        let (mut db, j) = stock([(0, 3)]);
        assert_eq!(
            prepare_branch(&mut db, 8, &[(0, 1)], false).unwrap(),
            Answer::Done
        );
        db.crashed();
        assert!(db.xa_recover().is_empty());
        assert_eq!(commit_branch(&mut db, 8), Err(DbError::NoSuchBranch(8)));
        assert_eq!(
            events(&j),
            vec![
                branch(8, BranchState::Prepared),
                branch(8, BranchState::RolledBack),
                LedgerEvent::StoreFault {
                    store: "stock".into(),
                    order: Some(8),
                    error: "no XA branch 8".into()
                }
            ]
        );
        assert_eq!(totals(&db, 0), (3, 0, 0));
    }

    #[test]
    fn a_prepared_branch_holds_its_locks_against_other_orders() {
        let (mut db, j) = stock([(0, 3)]);
        prepare_branch(&mut db, 1, &[(0, 1)], true).unwrap();
        assert!(matches!(
            prepare_branch(&mut db, 2, &[(0, 1)], true),
            Err(DbError::LockConflict { .. })
        ));
        assert!(db.xa_state(2).is_none(), "the failed branch is rolled back");
        commit_branch(&mut db, 1).unwrap();
        assert_eq!(
            prepare_branch(&mut db, 2, &[(0, 1)], true).unwrap(),
            Answer::Done
        );
        assert!(
            !events(&j)
                .iter()
                .any(|e| matches!(e, LedgerEvent::StoreFault { .. })),
            "a lock conflict is no store fault"
        );
    }
}
