//! A saga's compensation at a holdings book: undo whatever the order holds or took here, in
//! one local transaction fenced per order — a reservation is released, units taken (sold,
//! spent) are returned, a replay is answered from the fence, and a compensation that finds
//! nothing fences the order cancelled (an empty cancel) so a forward step that lands late is
//! refused instead of hanging. Without the guard (a bug knob's store) an empty compensation
//! writes nothing, and the late step applies.

use dtx_invariants::Op;

use super::book::{add, effect, fence_empty, held_of, moved};
use super::{fence, Answer, HoldingsDb, Move, Row};
use crate::store::local_db::{DbError, TxnId};

/// Compensate `order` inside `txn`; `guard` fences an empty compensation (the rule).
pub fn compensate_in(
    db: &mut HoldingsDb,
    txn: TxnId,
    order: u64,
    guard: bool,
) -> Result<Answer, DbError> {
    match db.get_for_update(txn, &Row::Fence(order))? {
        Some(fence::CANCELLED) => return Ok(Answer::Replayed),
        None if guard => {
            fence_empty(db, txn, order, Op::Cancel)?;
            return Ok(Answer::Fenced);
        }
        None => return Ok(Answer::Fenced),
        Some(_) => {}
    }
    for (id, qty) in held_of(db, txn, order) {
        add(db, txn, Row::Held(id, order), -qty)?;
        add(db, txn, Row::Available(id), qty)?;
        moved(db, txn, Move::Release { id, order, qty })?;
    }
    for (id, qty) in used_for(db, txn, order) {
        add(db, txn, Row::UsedFor(id, order), -qty)?;
        add(db, txn, Row::Used(id), -qty)?;
        add(db, txn, Row::Available(id), qty)?;
        moved(db, txn, Move::Return { id, order, qty })?;
    }
    db.put(txn, Row::Fence(order), fence::CANCELLED)?;
    effect(db, txn, order, Op::Cancel)?;
    Ok(Answer::Done)
}

/// What was used for `order`, per id, as `txn` sees it.
fn used_for(db: &HoldingsDb, txn: TxnId, order: u64) -> Vec<(u32, i64)> {
    let ids: Vec<u32> = db
        .rows()
        .filter_map(|(r, _)| match r {
            Row::UsedFor(id, o) if *o == order => Some(*id),
            _ => None,
        })
        .collect();
    ids.into_iter()
        .filter_map(|id| db.get(txn, &Row::UsedFor(id, order)).map(|q| (id, q)))
        .collect()
}
