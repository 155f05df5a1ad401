//! The books of a reservable resource — stock per sku, points per user — with the
//! try/confirm/cancel shape every protocol here builds on: reserve moves units from
//! available to held-for-an-order, confirm moves them to used (sold, spent), cancel gives
//! them back. Each operation is one local transaction on the service's `LocalDb` and is
//! idempotent per order through a fence row: a replayed reserve, confirm or cancel is
//! answered from the fence; a cancel that finds no reservation (empty rollback) fences the
//! order so a late reserve is refused instead of hanging.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::local_db::{DbError, LocalDb, TxnId};

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

/// What a committed operation did to the book (ledger events).
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

/// A holdings database.
pub type HoldingsDb = LocalDb<Row, i64, Move>;

/// How an operation ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Answer {
    /// Applied now.
    Done,
    /// Applied before: this is a replay.
    Replayed,
    /// Cancel found no reservation (an empty rollback): the order is fenced instead, so a
    /// late reserve will be refused.
    Fenced,
    /// Refused for a business reason.
    Refused(Refusal),
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

/// A book loaded with `available` units per id.
pub fn open(available: impl IntoIterator<Item = (u32, i64)>) -> HoldingsDb {
    LocalDb::with_rows(available.into_iter().map(|(id, n)| (Row::Available(id), n)))
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

/// Reserve `lines` for `order` inside transaction `txn` (the caller commits: locally, or as
/// an XA branch).
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
        db.emit(txn, Move::Reserve { id, order, qty })?;
    }
    db.put(txn, Row::Fence(order), fence::RESERVED)?;
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
        db.emit(txn, Move::Confirm { id, order, qty })?;
    }
    db.put(txn, Row::Fence(order), fence::CONFIRMED)?;
    Ok(Answer::Done)
}

/// Cancel `order` inside `txn`: release its reservation, or fence it if there is none yet.
pub fn cancel_in(db: &mut HoldingsDb, txn: TxnId, order: u64) -> Result<Answer, DbError> {
    match db.get_for_update(txn, &Row::Fence(order))? {
        Some(fence::CANCELLED) => return Ok(Answer::Replayed),
        Some(fence::CONFIRMED) => return Ok(Answer::Refused(Refusal::Confirmed)),
        None => {
            db.put(txn, Row::Fence(order), fence::CANCELLED)?;
            return Ok(Answer::Fenced);
        }
        Some(_) => {}
    }
    for (id, qty) in held_of(db, txn, order) {
        add(db, txn, Row::Held(id, order), -qty)?;
        add(db, txn, Row::Available(id), qty)?;
        db.emit(txn, Move::Release { id, order, qty })?;
    }
    db.put(txn, Row::Fence(order), fence::CANCELLED)?;
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
    for &(id, qty) in lines {
        add(db, txn, Row::Available(id), -qty)?;
        add(db, txn, Row::Used(id), qty)?;
        add(db, txn, Row::UsedFor(id, order), qty)?;
        db.emit(txn, Move::Take { id, order, qty })?;
    }
    db.put(txn, Row::Fence(order), fence::CONFIRMED)?;
    Ok(Answer::Done)
}

/// Whether a new reserve or take of `lines` for `order` may go ahead: `Some(answer)` when it
/// must not — the fence says it was cancelled (refused) or done before (a replay), or stock is
/// short.
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
    Ok(shortage(db, txn, lines)?.map(Answer::Refused))
}

fn shortage(
    db: &mut HoldingsDb,
    txn: TxnId,
    lines: &[(u32, i64)],
) -> Result<Option<Refusal>, DbError> {
    for &(id, qty) in lines {
        let available = db.get_for_update(txn, &Row::Available(id))?.unwrap_or(0);
        if available < qty {
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
/// (`durable: false` leaves the branch idle, so a crash forgets it — a bug knob). Answers
/// `Done` (vote yes), `Replayed` (already prepared or committed: yes again) or `Refused`
/// (vote no; nothing is left behind). A lock conflict rolls the branch back and is an error.
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
        let answer = take_in(db, txn, order, lines)?;
        if answer == Answer::Done {
            db.xa_end(order)?;
            if durable {
                db.xa_prepare(order)?;
            }
        }
        Ok(answer)
    })();
    if !matches!(work, Ok(Answer::Done)) {
        db.rollback(txn);
    }
    work
}

/// 2PC phase 2 commit at a participant. `Done` with the committed moves; `Replayed` if it
/// committed before; `Refused(NothingReserved)` if the branch is gone without committing
/// (it was lost — only possible when prepare was not durable).
pub fn commit_branch(db: &mut HoldingsDb, order: u64) -> Result<(Answer, Vec<Move>), DbError> {
    match db.xa_state(order) {
        Some("prepared") => Ok((Answer::Done, db.xa_commit(order, false)?)),
        Some(_) => Ok((Answer::Done, db.xa_commit(order, true)?)),
        None if db.read(&Row::Fence(order)) == Some(&fence::CONFIRMED) => {
            Ok((Answer::Replayed, Vec::new()))
        }
        None => Ok((Answer::Refused(Refusal::NothingReserved), Vec::new())),
    }
}

/// 2PC phase 2 rollback at a participant. `Done` if a branch was rolled back; `Fenced` if
/// there was none (the order is fenced so a late prepare votes no); `Replayed` if it was
/// rolled back before; `Refused(Confirmed)` if it committed.
pub fn rollback_branch(db: &mut HoldingsDb, order: u64) -> Result<Answer, DbError> {
    if db.xa_state(order).is_some() {
        db.xa_rollback(order)?;
        db.transact(|d, t| d.put(t, Row::Fence(order), fence::CANCELLED))?;
        return Ok(Answer::Done);
    }
    match db.read(&Row::Fence(order)) {
        Some(&fence::CONFIRMED) => Ok(Answer::Refused(Refusal::Confirmed)),
        Some(&fence::CANCELLED) => Ok(Answer::Replayed),
        _ => {
            db.transact(|d, t| d.put(t, Row::Fence(order), fence::CANCELLED))?;
            Ok(Answer::Fenced)
        }
    }
}

/// One operation as its own local transaction.
pub fn local(
    db: &mut HoldingsDb,
    op: impl FnOnce(&mut HoldingsDb, TxnId) -> Result<Answer, DbError>,
) -> Result<(Answer, Vec<Move>), DbError> {
    db.transact(op)
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
    use dtx_sim::Durable;

    #[test]
    fn reserve_confirm_and_cancel_move_units_and_replays_are_answered_from_the_fence() {
        let mut db = open([(0, 5), (1, 2)]);
        let (a, moves) = local(&mut db, |d, t| reserve_in(d, t, 7, &[(0, 2), (1, 1)])).unwrap();
        assert_eq!((a, moves.len()), (Answer::Done, 2));
        assert_eq!(totals(&db, 0), (3, 2, 0));
        let (a, moves) = local(&mut db, |d, t| reserve_in(d, t, 7, &[(0, 2), (1, 1)])).unwrap();
        assert_eq!(
            (a, moves.len()),
            (Answer::Replayed, 0),
            "a retried reserve does not reserve twice"
        );
        local(&mut db, |d, t| confirm_in(d, t, 7)).unwrap();
        assert_eq!(totals(&db, 0), (3, 0, 2));
        assert_eq!(
            local(&mut db, |d, t| confirm_in(d, t, 7)).unwrap().0,
            Answer::Replayed
        );
        assert_eq!(
            local(&mut db, |d, t| cancel_in(d, t, 7)).unwrap().0,
            Answer::Refused(Refusal::Confirmed)
        );
    }

    #[test]
    fn short_stock_is_refused_and_changes_nothing() {
        let mut db = open([(0, 1), (1, 1)]);
        let (a, moves) = local(&mut db, |d, t| reserve_in(d, t, 1, &[(1, 1), (0, 2)])).unwrap();
        assert_eq!(
            a,
            Answer::Refused(Refusal::Short {
                id: 0,
                wanted: 2,
                available: 1
            })
        );
        assert!(moves.is_empty());
        assert_eq!((totals(&db, 0), totals(&db, 1)), ((1, 0, 0), (1, 0, 0)));
    }

    #[test]
    fn an_empty_cancel_fences_the_order_against_a_late_reserve() {
        let mut db = open([(0, 3)]);
        assert_eq!(
            local(&mut db, |d, t| cancel_in(d, t, 9)).unwrap().0,
            Answer::Fenced
        );
        assert_eq!(
            local(&mut db, |d, t| reserve_in(d, t, 9, &[(0, 1)]))
                .unwrap()
                .0,
            Answer::Refused(Refusal::Cancelled)
        );
        assert_eq!(totals(&db, 0), (3, 0, 0));
    }

    #[test]
    fn cancel_releases_and_a_crash_mid_transaction_leaves_the_book_whole() {
        let mut db = open([(0, 3)]);
        local(&mut db, |d, t| reserve_in(d, t, 1, &[(0, 3)])).unwrap();
        let txn = db.begin();
        cancel_in(&mut db, txn, 1).unwrap();
        db.crashed();
        assert_eq!(totals(&db, 0), (0, 3, 0), "the uncommitted cancel is gone");
        let (a, moves) = local(&mut db, |d, t| cancel_in(d, t, 1)).unwrap();
        assert_eq!(
            (a, moves),
            (
                Answer::Done,
                vec![Move::Release {
                    id: 0,
                    order: 1,
                    qty: 3
                }]
            )
        );
        assert_eq!(totals(&db, 0), (3, 0, 0));
    }

    #[test]
    fn take_moves_straight_to_used_once() {
        let mut db = open([(0, 3)]);
        let (a, moves) = local(&mut db, |d, t| take_in(d, t, 4, &[(0, 2)])).unwrap();
        assert_eq!((a, moves.len()), (Answer::Done, 1));
        assert_eq!(totals(&db, 0), (1, 0, 2));
        assert_eq!(rows_of(&db, 0).used_for, vec![(4, 2)]);
        let (a, _) = local(&mut db, |d, t| take_in(d, t, 4, &[(0, 2)])).unwrap();
        assert_eq!(a, Answer::Replayed);
        assert_eq!(totals(&db, 0), (1, 0, 2));
    }

    #[test]
    fn a_prepared_branch_survives_a_crash_and_commits_once() {
        let mut db = open([(0, 3)]);
        assert_eq!(
            prepare_branch(&mut db, 5, &[(0, 2)], true).unwrap(),
            Answer::Done
        );
        assert_eq!(totals(&db, 0), (3, 0, 0), "prepared work is not committed");
        db.crashed();
        assert_eq!(db.xa_recover(), vec![5]);
        assert_eq!(
            prepare_branch(&mut db, 5, &[(0, 2)], true).unwrap(),
            Answer::Replayed
        );
        let (a, moves) = commit_branch(&mut db, 5).unwrap();
        assert_eq!((a, moves.len()), (Answer::Done, 1));
        assert_eq!(totals(&db, 0), (1, 0, 2));
        assert_eq!(commit_branch(&mut db, 5).unwrap().0, Answer::Replayed);
        assert_eq!(
            rollback_branch(&mut db, 5).unwrap(),
            Answer::Refused(Refusal::Confirmed)
        );
    }

    #[test]
    fn rollback_before_prepare_fences_and_a_late_prepare_votes_no() {
        let mut db = open([(0, 3)]);
        assert_eq!(rollback_branch(&mut db, 6).unwrap(), Answer::Fenced);
        assert_eq!(
            prepare_branch(&mut db, 6, &[(0, 1)], true).unwrap(),
            Answer::Refused(Refusal::Cancelled)
        );
        assert!(db.xa_recover().is_empty());
        assert_eq!(
            prepare_branch(&mut db, 7, &[(0, 1)], true).unwrap(),
            Answer::Done
        );
        assert_eq!(rollback_branch(&mut db, 7).unwrap(), Answer::Done);
        assert_eq!(rollback_branch(&mut db, 7).unwrap(), Answer::Replayed);
        assert_eq!(totals(&db, 0), (3, 0, 0));
    }

    #[test]
    fn a_branch_prepared_without_durability_is_lost_in_a_crash() {
        let mut db = open([(0, 3)]);
        assert_eq!(
            prepare_branch(&mut db, 8, &[(0, 1)], false).unwrap(),
            Answer::Done
        );
        db.crashed();
        assert!(db.xa_recover().is_empty());
        assert_eq!(
            commit_branch(&mut db, 8).unwrap().0,
            Answer::Refused(Refusal::NothingReserved)
        );
        assert_eq!(totals(&db, 0), (3, 0, 0));
    }

    #[test]
    fn a_prepared_branch_holds_its_locks_against_other_orders() {
        let mut db = open([(0, 3)]);
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
    }
}
