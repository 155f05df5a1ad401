//! The holdings book's operations in local transactions: reserve, confirm, cancel and take,
//! each fenced per order (a replay is answered from the fence, an empty cancel fences the
//! order), with the moves of units, effects and refusals they report. The XA branch
//! operations (`branch`) reuse its moves, fences and shortage check.

use dtx_invariants::{LedgerEvent, Op};

use super::{fence, Answer, HoldingsDb, Move, Refusal, Row};
use crate::store::local_db::{DbError, TxnId};

pub(super) fn add(db: &mut HoldingsDb, txn: TxnId, row: Row, delta: i64) -> Result<i64, DbError> {
    let v = db.get_for_update(txn, &row)?.unwrap_or(0) + delta;
    if v == 0 && !matches!(row, Row::Available(_) | Row::Used(_)) {
        db.delete(txn, row)?;
    } else {
        db.put(txn, row, v)?;
    }
    Ok(v)
}

/// Attach move `m` to `txn` (reported if it commits).
pub(super) fn moved(db: &mut HoldingsDb, txn: TxnId, m: Move) -> Result<(), DbError> {
    let event = db.book.event(&m);
    db.emit(txn, event)
}

/// Attach effect `op` on `order` to `txn`.
pub(super) fn effect(db: &mut HoldingsDb, txn: TxnId, order: u64, op: Op) -> Result<(), DbError> {
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
pub(super) fn fence_empty(
    db: &mut HoldingsDb,
    txn: TxnId,
    order: u64,
    op: Op,
) -> Result<(), DbError> {
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
    reserve_fenced(db, txn, order, lines, &mut Fencing::InTx)
}

/// Where an operation writes its fence: in its own transaction (the rule), or handed back to
/// be written apart (the store of a bug knob, [`super::naive`]).
pub(super) enum Fencing {
    InTx,
    Apart(Option<i64>),
}

impl Fencing {
    fn set(
        &mut self,
        db: &mut HoldingsDb,
        txn: TxnId,
        order: u64,
        value: i64,
    ) -> Result<(), DbError> {
        match self {
            Fencing::InTx => db.put(txn, Row::Fence(order), value),
            Fencing::Apart(v) => {
                *v = Some(value);
                Ok(())
            }
        }
    }
}

pub(super) fn reserve_fenced(
    db: &mut HoldingsDb,
    txn: TxnId,
    order: u64,
    lines: &[(u32, i64)],
    fencing: &mut Fencing,
) -> Result<Answer, DbError> {
    if let Some(answer) = admit(db, txn, order, lines)? {
        return Ok(answer);
    }
    reserve_lines(db, txn, order, lines)?;
    fencing.set(db, txn, order, fence::RESERVED)?;
    effect(db, txn, order, Op::Try)?;
    Ok(Answer::Done)
}

/// Move `lines` from available to held for `order`.
pub(super) fn reserve_lines(
    db: &mut HoldingsDb,
    txn: TxnId,
    order: u64,
    lines: &[(u32, i64)],
) -> Result<(), DbError> {
    for &(id, qty) in lines {
        add(db, txn, Row::Available(id), -qty)?;
        add(db, txn, Row::Held(id, order), qty)?;
        moved(db, txn, Move::Reserve { id, order, qty })?;
    }
    Ok(())
}

pub(super) fn held_of(db: &HoldingsDb, txn: TxnId, order: u64) -> Vec<(u32, i64)> {
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
    confirm_fenced(db, txn, order, &mut Fencing::InTx)
}

pub(super) fn confirm_fenced(
    db: &mut HoldingsDb,
    txn: TxnId,
    order: u64,
    fencing: &mut Fencing,
) -> Result<Answer, DbError> {
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
    fencing.set(db, txn, order, fence::CONFIRMED)?;
    effect(db, txn, order, Op::Confirm)?;
    Ok(Answer::Done)
}

/// Cancel `order` inside `txn`: release its reservation, or fence it (an empty cancel) if
/// there is none yet.
pub fn cancel_in(db: &mut HoldingsDb, txn: TxnId, order: u64) -> Result<Answer, DbError> {
    cancel_fenced(db, txn, order, &mut Fencing::InTx)
}

/// Cancel, the fence per `fencing` (an empty cancel fences in its own transaction: the fence
/// is all it writes).
pub(super) fn cancel_fenced(
    db: &mut HoldingsDb,
    txn: TxnId,
    order: u64,
    fencing: &mut Fencing,
) -> Result<Answer, DbError> {
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
    fencing.set(db, txn, order, fence::CANCELLED)?;
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
pub(super) fn take_lines(
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
pub(super) fn admit(
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
pub(super) fn shortage(
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
/// One operation as its own local transaction.
pub fn local<R>(
    db: &mut HoldingsDb,
    op: impl FnOnce(&mut HoldingsDb, TxnId) -> Result<R, DbError>,
) -> Result<R, DbError> {
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
#[cfg(test)]
mod tests {
    use super::super::tests::{events, stock};
    use super::super::{rows_of, totals};
    use super::*;
    use crate::journal::Journal;
    use dtx_invariants::Refusal as Said;
    use dtx_sim::Durable;

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
}
