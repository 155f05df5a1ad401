//! The book's try, confirm and cancel as TCC bug knobs get them wrong — the store of a bug, as
//! the volatile prepare is 2PC's: the fence written apart from the business change (two
//! transactions, so a crash can fall between them), a try that does not heed the fence a
//! cancel left, and a cancel or confirm that moves the request's lines without asking the
//! fence whether there is anything (left) to move, and a reserve or take applied blindly on
//! every delivery of an event. Each reports what it does, like every book
//! operation, so a bug cannot hide from the checkers.

use dtx_invariants::Op;

use super::book::{
    add, cancel_fenced, cancel_in, confirm_fenced, confirm_in, effect, moved, reserve_fenced,
    reserve_lines, shortage, take_lines, Fencing,
};
use super::{fence, Answer, HoldingsDb, Move, Row};
use crate::store::local_db::{DbError, TxnId};

/// An operation's answer and the fence value it left to be written apart (if any).
pub type Apart = (Answer, Option<i64>);

fn apart(op: impl FnOnce(&mut Fencing) -> Result<Answer, DbError>) -> Result<Apart, DbError> {
    let mut fencing = Fencing::Apart(None);
    let answer = op(&mut fencing)?;
    let Fencing::Apart(value) = fencing else {
        unreachable!("built apart")
    };
    Ok((answer, value))
}

/// Reserve as [`super::reserve_in`] does, but leave the fence to be written apart.
pub fn reserve_apart_in(
    db: &mut HoldingsDb,
    txn: TxnId,
    order: u64,
    lines: &[(u32, i64)],
) -> Result<Apart, DbError> {
    apart(|f| reserve_fenced(db, txn, order, lines, f))
}

/// Confirm as [`super::confirm_in`] does, but leave the fence to be written apart.
pub fn confirm_apart_in(db: &mut HoldingsDb, txn: TxnId, order: u64) -> Result<Apart, DbError> {
    apart(|f| confirm_fenced(db, txn, order, f))
}

/// Cancel as [`super::cancel_in`] does, but leave the fence to be written apart (an empty
/// cancel still fences at once: the fence is all it writes).
pub fn cancel_apart_in(db: &mut HoldingsDb, txn: TxnId, order: u64) -> Result<Apart, DbError> {
    apart(|f| cancel_fenced(db, txn, order, f))
}

/// Write `order`'s fence as its own local transaction.
pub fn write_fence(db: &mut HoldingsDb, order: u64, value: i64) -> Result<(), DbError> {
    db.transact(|d, t| d.put(t, Row::Fence(order), value))
}

/// A try that does not heed a cancel's fence: after a cancel (an empty one included) it
/// reserves all the same (hanging). Replays of a try that reserved are still answered.
pub fn reserve_unfenced_in(
    db: &mut HoldingsDb,
    txn: TxnId,
    order: u64,
    lines: &[(u32, i64)],
) -> Result<Answer, DbError> {
    forward_unfenced_in(db, txn, order, lines, |db, txn, order, lines| {
        reserve_lines(db, txn, order, lines)?;
        db.put(txn, Row::Fence(order), fence::RESERVED)
    })
}

/// A take that does not heed a compensation's fence: after a compensation (an empty one
/// included) it takes all the same (a hanging saga step). Replays of a take are still answered.
pub fn take_unfenced_in(
    db: &mut HoldingsDb,
    txn: TxnId,
    order: u64,
    lines: &[(u32, i64)],
) -> Result<Answer, DbError> {
    forward_unfenced_in(db, txn, order, lines, take_lines)
}

/// A forward step (`apply`) that heeds no cancel fence, only a replay of itself.
fn forward_unfenced_in(
    db: &mut HoldingsDb,
    txn: TxnId,
    order: u64,
    lines: &[(u32, i64)],
    apply: impl FnOnce(&mut HoldingsDb, TxnId, u64, &[(u32, i64)]) -> Result<(), DbError>,
) -> Result<Answer, DbError> {
    match db.get_for_update(txn, &Row::Fence(order))? {
        None | Some(fence::CANCELLED) => {}
        Some(_) => return Ok(Answer::Replayed),
    }
    if let Some(refusal) = shortage(db, txn, order, lines)? {
        return Ok(Answer::Refused(refusal));
    }
    apply(db, txn, order, lines)?;
    effect(db, txn, order, Op::Try)?;
    Ok(Answer::Done)
}

/// A reserve (`take` false) or take that heeds a compensation's fence but not an earlier
/// delivery of itself: every delivery of the same request applies again (a consumer that does
/// not dedup).
pub fn apply_blind_in(
    db: &mut HoldingsDb,
    txn: TxnId,
    order: u64,
    lines: &[(u32, i64)],
    take: bool,
) -> Result<Answer, DbError> {
    if db.get_for_update(txn, &Row::Fence(order))? == Some(fence::CANCELLED) {
        return Ok(Answer::Refused(super::Refusal::Cancelled));
    }
    if let Some(refusal) = shortage(db, txn, order, lines)? {
        return Ok(Answer::Refused(refusal));
    }
    if take {
        take_lines(db, txn, order, lines)?;
    } else {
        reserve_lines(db, txn, order, lines)?;
        db.put(txn, Row::Fence(order), fence::RESERVED)?;
    }
    effect(db, txn, order, Op::Try)?;
    Ok(Answer::Done)
}

/// A cancel that undoes the request's `lines` when the fence knows of no try (an empty
/// rollback that "releases" what was never reserved); otherwise as [`super::cancel_in`].
pub fn cancel_by_lines_in(
    db: &mut HoldingsDb,
    txn: TxnId,
    order: u64,
    lines: &[(u32, i64)],
) -> Result<Answer, DbError> {
    if db.get_for_update(txn, &Row::Fence(order))?.is_some() {
        return cancel_in(db, txn, order);
    }
    for &(id, qty) in lines {
        add(db, txn, Row::Held(id, order), -qty)?;
        add(db, txn, Row::Available(id), qty)?;
        moved(db, txn, Move::Release { id, order, qty })?;
    }
    db.put(txn, Row::Fence(order), fence::CANCELLED)?;
    effect(db, txn, order, Op::Cancel)?;
    Ok(Answer::Done)
}

/// A confirm that moves the request's `lines` from held to used whenever the order was tried,
/// without asking whether it was confirmed already (a re-sent confirm moves them again);
/// otherwise as [`super::confirm_in`].
pub fn confirm_by_lines_in(
    db: &mut HoldingsDb,
    txn: TxnId,
    order: u64,
    lines: &[(u32, i64)],
) -> Result<Answer, DbError> {
    match db.get_for_update(txn, &Row::Fence(order))? {
        Some(fence::RESERVED | fence::CONFIRMED) => {}
        _ => return confirm_in(db, txn, order),
    }
    for &(id, qty) in lines {
        add(db, txn, Row::Held(id, order), -qty)?;
        add(db, txn, Row::Used(id), qty)?;
        add(db, txn, Row::UsedFor(id, order), qty)?;
        moved(db, txn, Move::Confirm { id, order, qty })?;
    }
    db.put(txn, Row::Fence(order), fence::CONFIRMED)?;
    effect(db, txn, order, Op::Confirm)?;
    Ok(Answer::Done)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{events, stock};
    use super::super::{local, reserve_in, totals};
    use super::*;
    use dtx_invariants::LedgerEvent;

    #[test]
    fn a_fence_left_apart_is_missing_until_written_and_a_retry_reserves_again() {
        let (mut db, j) = stock([(0, 5)]);
        let txn = db.begin();
        let (a, f) = reserve_apart_in(&mut db, txn, 3, &[(0, 2)]).unwrap();
        db.commit(txn).unwrap();
        assert_eq!((a, f), (Answer::Done, Some(fence::RESERVED)));
        assert_eq!(
            db.read(&Row::Fence(3)),
            None,
            "the fence is not written yet"
        );
        // A crash here: the retried try finds no fence and reserves a second time.
        let a = local(&mut db, |d, t| reserve_in(d, t, 3, &[(0, 2)])).unwrap();
        assert_eq!((a, totals(&db, 0)), (Answer::Done, (1, 4, 0)));
        write_fence(&mut db, 3, fence::RESERVED).unwrap();
        assert_eq!(db.read(&Row::Fence(3)), Some(&fence::RESERVED));
        let tries = events(&j)
            .iter()
            .filter(|e| matches!(e, LedgerEvent::Effect { op: Op::Try, .. }))
            .count();
        assert_eq!(tries, 2);
    }

    #[test]
    fn without_the_fence_a_cancel_releases_what_was_never_reserved_and_a_late_try_hangs() {
        let (mut db, _) = stock([(0, 5)]);
        let a = local(&mut db, |d, t| cancel_by_lines_in(d, t, 4, &[(0, 2)])).unwrap();
        assert_eq!((a, totals(&db, 0)), (Answer::Done, (7, -2, 0)));
        let a = local(&mut db, |d, t| reserve_unfenced_in(d, t, 4, &[(0, 2)])).unwrap();
        assert_eq!(a, Answer::Done, "the late try is not refused");
    }

    #[test]
    fn a_confirm_by_lines_moves_them_again_when_re_sent() {
        let (mut db, _) = stock([(0, 5)]);
        local(&mut db, |d, t| reserve_in(d, t, 5, &[(0, 2)])).unwrap();
        for _ in 0..2 {
            let a = local(&mut db, |d, t| confirm_by_lines_in(d, t, 5, &[(0, 2)])).unwrap();
            assert_eq!(a, Answer::Done);
        }
        assert_eq!(totals(&db, 0), (3, -2, 4));
    }
}
