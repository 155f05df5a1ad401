//! The holdings book's XA branch operations, 2PC at a participant: prepare a branch that
//! takes the order's units (voting yes, or no when the fence or the units refuse), commit it,
//! or roll it back — fencing the order on an empty rollback so a late prepare votes no.

use dtx_invariants::Op;

use super::book::{fence_empty, local, shortage, take_lines};
use super::{fence, Answer, HoldingsDb, Refusal, Row};
use crate::store::local_db::DbError;

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

#[cfg(test)]
mod tests {
    use super::super::tests::{events, stock};
    use super::super::{open, take_in, totals, Book};
    use super::*;
    use crate::journal::Journal;
    use dtx_invariants::{BranchState, LedgerEvent, Refusal as Said};
    use dtx_sim::Durable;

    fn branch(order: u64, state: BranchState) -> LedgerEvent {
        LedgerEvent::Branch {
            order,
            participant: "stock".into(),
            state,
        }
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
