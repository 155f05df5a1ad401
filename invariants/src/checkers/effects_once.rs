//! effects-once: for every branch (order, participant) and op, applied at most once; no cancel
//! without a try before it (empty rollback); no try (or prepare) after a cancel (or rollback),
//! an empty one included (hanging); an empty cancel only where nothing was tried or prepared;
//! never both confirm and cancel, nor commit and rollback, of one branch. 2PC branch states
//! count as effects of their own (Prepared ≈ Prepare, Committed ≈ Commit, RolledBack ≈
//! Rollback), apart from the `Effect` events a participant may report with them. Checked at
//! every effect, branch and empty-cancel event.

use std::collections::BTreeMap;

use super::{Finding, SafetyChecker};
use crate::event::{BranchState, LedgerEvent, Op};
use crate::ids::OrderId;
use crate::invariant::Invariant;
use crate::violation::Entity;

/// What one branch (order, participant) has applied.
#[derive(Default, Clone, Debug)]
struct Applied {
    /// Per op, how many `Effect` events.
    effects: BTreeMap<Op, u32>,
    /// Per op, how many `Branch` events in the matching state.
    states: BTreeMap<Op, u32>,
    /// The first empty cancel (or rollback) recorded: the fence.
    empty: Option<Op>,
}

impl Applied {
    fn has(&self, op: Op) -> bool {
        self.effects.contains_key(&op) || self.states.contains_key(&op)
    }
}

/// The incremental checker.
#[derive(Default, Clone, Debug)]
pub struct EffectsOnce {
    branches: BTreeMap<(OrderId, String), Applied>,
}

/// The op a 2PC branch state stands for.
fn op_of(state: BranchState) -> Op {
    match state {
        BranchState::Prepared => Op::Prepare,
        BranchState::Committed => Op::Commit,
        BranchState::RolledBack => Op::Rollback,
    }
}

impl SafetyChecker for EffectsOnce {
    fn invariant(&self) -> Invariant {
        Invariant::EffectsOnce
    }

    fn apply(&mut self, event: &LedgerEvent, found: &mut Vec<Finding>) {
        let (order, participant) = match event {
            LedgerEvent::Effect {
                order, participant, ..
            }
            | LedgerEvent::Branch {
                order, participant, ..
            }
            | LedgerEvent::EmptyCancel {
                order, participant, ..
            } => (*order, participant),
            _ => return,
        };
        let b = self
            .branches
            .entry((order, participant.clone()))
            .or_default();
        let at = format!("order {order} at {participant}");
        let (op, n, label) = match event {
            LedgerEvent::Effect { op, .. } => {
                let n = b.effects.get(op).map_or(1, |n| n + 1);
                (*op, n, format!("{op:?} applied"))
            }
            LedgerEvent::Branch { state, .. } => {
                let op = op_of(*state);
                let n = b.states.get(&op).map_or(1, |n| n + 1);
                (op, n, format!("branch {state:?}"))
            }
            LedgerEvent::EmptyCancel { op, .. } => {
                let undone = [Op::Try, Op::Prepare].into_iter().find(|x| b.has(*x));
                b.empty.get_or_insert(*op);
                found.extend(undone.map(|x| {
                    (
                        Entity::Effect(order, participant.clone(), format!("empty {op:?}")),
                        format!(
                            "{at}: empty {op:?} recorded after {x:?} applied (the store found nothing to undo, but there was)"
                        ),
                    )
                }));
                return;
            }
            _ => return,
        };
        let broken = if n > 1 {
            Some(format!("{at}: {label} {n} times"))
        } else if let (Op::Try | Op::Prepare, Some(empty)) = (op, b.empty) {
            Some(format!("{at}: {label} after an empty {empty:?} (hanging)"))
        } else if op == Op::Cancel && !b.has(Op::Try) {
            Some(format!(
                "{at}: {label} with no Try before it (empty rollback)"
            ))
        } else if op == Op::Try && b.has(Op::Cancel) {
            Some(format!("{at}: {label} after Cancel (hanging)"))
        } else if op == Op::Prepare && b.has(Op::Rollback) {
            Some(format!("{at}: {label} after Rollback (hanging)"))
        } else if (op == Op::Cancel && b.has(Op::Confirm))
            || (op == Op::Confirm && b.has(Op::Cancel))
        {
            Some(format!("{at}: both Confirm and Cancel applied"))
        } else if (op == Op::Rollback && b.has(Op::Commit))
            || (op == Op::Commit && b.has(Op::Rollback))
        {
            Some(format!("{at}: both Commit and Rollback applied"))
        } else {
            None
        };
        match event {
            LedgerEvent::Effect { .. } => b.effects.insert(op, n),
            _ => b.states.insert(op, n),
        };
        found.extend(broken.map(|d| {
            (
                Entity::Effect(order, participant.clone(), format!("{op:?}")),
                d,
            )
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{branch, details, effect, empty_cancel};
    use BranchState::*;

    /// Branch (2, stock).
    fn e(op: Op) -> LedgerEvent {
        effect(2, "stock", op)
    }

    fn b(state: BranchState) -> LedgerEvent {
        branch(2, "stock", state)
    }

    fn ec(op: Op) -> LedgerEvent {
        empty_cancel(2, "stock", op)
    }

    fn run(events: &[LedgerEvent]) -> Vec<String> {
        details(&crate::testkit::run(&mut EffectsOnce::default(), events))
    }

    fn ops(ops: &[Op]) -> Vec<String> {
        run(&ops.iter().map(|op| e(*op)).collect::<Vec<_>>())
    }

    #[test]
    fn legal_lives_of_a_branch_are_fine() {
        assert!(ops(&[Op::Try, Op::Confirm]).is_empty());
        assert!(ops(&[Op::Try, Op::Cancel]).is_empty());
        assert!(ops(&[Op::Prepare, Op::Commit]).is_empty());
        assert!(ops(&[Op::Prepare, Op::Rollback]).is_empty());
        // A rollback of a branch that never prepared is an abort, not an empty rollback.
        assert!(ops(&[Op::Rollback]).is_empty());
        // What the XA participants report: an effect and the branch state together.
        assert!(run(&[e(Op::Prepare), b(Prepared), e(Op::Commit), b(Committed)]).is_empty());
        assert!(run(&[e(Op::Prepare), b(Prepared), e(Op::Rollback), b(RolledBack)]).is_empty());
        assert!(run(&[b(Prepared), b(Committed)]).is_empty());
        assert!(run(&[b(RolledBack)]).is_empty());
    }

    #[test]
    fn an_op_applied_twice_breaks_it() {
        for op in [Op::Try, Op::Prepare] {
            assert_eq!(
                ops(&[op, op]),
                vec![format!("order 2 at stock: {op:?} applied 2 times")]
            );
        }
        assert_eq!(
            ops(&[Op::Try, Op::Confirm, Op::Confirm]),
            vec!["order 2 at stock: Confirm applied 2 times"]
        );
        assert_eq!(
            ops(&[Op::Try, Op::Cancel, Op::Cancel]),
            vec!["order 2 at stock: Cancel applied 2 times"]
        );
        assert_eq!(
            ops(&[Op::Prepare, Op::Commit, Op::Commit]),
            vec!["order 2 at stock: Commit applied 2 times"]
        );
        assert_eq!(
            ops(&[Op::Rollback, Op::Rollback]),
            vec!["order 2 at stock: Rollback applied 2 times"]
        );
        assert_eq!(
            ops(&[Op::Try, Op::Cancel, Op::Try]),
            vec!["order 2 at stock: Try applied 2 times"],
            "a second try is caught as a repeat first"
        );
    }

    #[test]
    fn a_branch_state_entered_twice_breaks_it() {
        assert_eq!(
            run(&[b(Prepared), b(Prepared)]),
            vec!["order 2 at stock: branch Prepared 2 times"]
        );
        assert_eq!(
            run(&[b(Prepared), b(Committed), b(Committed)]),
            vec!["order 2 at stock: branch Committed 2 times"]
        );
        assert_eq!(
            run(&[b(Prepared), b(RolledBack), b(RolledBack)]),
            vec!["order 2 at stock: branch RolledBack 2 times"]
        );
    }

    #[test]
    fn a_cancel_without_a_try_is_an_empty_rollback() {
        assert_eq!(
            ops(&[Op::Cancel]),
            vec!["order 2 at stock: Cancel applied with no Try before it (empty rollback)"]
        );
        // The try of another participant does not count.
        let f = run(&[effect(3, "p", Op::Try), effect(3, "q", Op::Cancel)]);
        assert_eq!(
            f,
            vec!["order 3 at q: Cancel applied with no Try before it (empty rollback)"]
        );
        // Nor does the try of another order.
        let f = run(&[effect(4, "stock", Op::Try), effect(3, "stock", Op::Cancel)]);
        assert_eq!(
            f,
            vec!["order 3 at stock: Cancel applied with no Try before it (empty rollback)"]
        );
    }

    #[test]
    fn a_try_after_a_cancel_is_hanging() {
        assert_eq!(
            ops(&[Op::Cancel, Op::Try]),
            vec![
                "order 2 at stock: Cancel applied with no Try before it (empty rollback)",
                "order 2 at stock: Try applied after Cancel (hanging)"
            ]
        );
    }

    #[test]
    fn a_prepare_after_a_rollback_is_hanging() {
        assert_eq!(
            ops(&[Op::Rollback, Op::Prepare]),
            vec!["order 2 at stock: Prepare applied after Rollback (hanging)"]
        );
        assert_eq!(
            run(&[b(RolledBack), b(Prepared)]),
            vec!["order 2 at stock: branch Prepared after Rollback (hanging)"]
        );
        assert_eq!(
            run(&[e(Op::Rollback), b(Prepared)]),
            vec!["order 2 at stock: branch Prepared after Rollback (hanging)"]
        );
        assert_eq!(
            run(&[b(RolledBack), e(Op::Prepare)]),
            vec!["order 2 at stock: Prepare applied after Rollback (hanging)"]
        );
    }

    #[test]
    fn confirm_and_cancel_of_one_branch_break_it() {
        assert_eq!(
            ops(&[Op::Try, Op::Confirm, Op::Cancel]),
            vec!["order 2 at stock: both Confirm and Cancel applied"]
        );
        assert_eq!(
            ops(&[Op::Try, Op::Cancel, Op::Confirm]),
            vec!["order 2 at stock: both Confirm and Cancel applied"]
        );
    }

    #[test]
    fn commit_and_rollback_of_one_branch_break_it() {
        assert_eq!(
            ops(&[Op::Prepare, Op::Commit, Op::Rollback]),
            vec!["order 2 at stock: both Commit and Rollback applied"]
        );
        assert_eq!(
            run(&[b(Prepared), b(RolledBack), b(Committed)]),
            vec!["order 2 at stock: both Commit and Rollback applied"]
        );
    }

    #[test]
    fn an_empty_cancel_is_not_a_cancel_and_may_be_repeated() {
        assert!(run(&[ec(Op::Cancel)]).is_empty());
        assert!(run(&[ec(Op::Cancel), ec(Op::Cancel)]).is_empty());
        assert!(run(&[ec(Op::Rollback), b(RolledBack)]).is_empty());
        // Not a cancel: a try elsewhere then an empty cancel here is fine, and a real cancel
        // after it still needs a try.
        assert_eq!(
            run(&[ec(Op::Cancel), e(Op::Cancel)]),
            vec!["order 2 at stock: Cancel applied with no Try before it (empty rollback)"]
        );
    }

    #[test]
    fn an_empty_cancel_fences_a_late_try_or_prepare() {
        assert_eq!(
            run(&[ec(Op::Cancel), e(Op::Try)]),
            vec!["order 2 at stock: Try applied after an empty Cancel (hanging)"]
        );
        assert_eq!(
            run(&[ec(Op::Rollback), e(Op::Prepare)]),
            vec!["order 2 at stock: Prepare applied after an empty Rollback (hanging)"]
        );
        assert_eq!(
            run(&[ec(Op::Rollback), b(Prepared)]),
            vec!["order 2 at stock: branch Prepared after an empty Rollback (hanging)"]
        );
        // The fence is per branch.
        assert!(run(&[empty_cancel(2, "points", Op::Cancel), e(Op::Try)]).is_empty());
        assert!(run(&[empty_cancel(3, "stock", Op::Cancel), e(Op::Try)]).is_empty());
    }

    #[test]
    fn an_empty_cancel_after_a_try_or_prepare_breaks_it() {
        assert_eq!(
            run(&[e(Op::Try), ec(Op::Cancel)]),
            vec!["order 2 at stock: empty Cancel recorded after Try applied (the store found nothing to undo, but there was)"]
        );
        assert_eq!(
            run(&[b(Prepared), ec(Op::Rollback)]),
            vec!["order 2 at stock: empty Rollback recorded after Prepare applied (the store found nothing to undo, but there was)"]
        );
        assert_eq!(
            run(&[e(Op::Prepare), ec(Op::Rollback)]),
            vec!["order 2 at stock: empty Rollback recorded after Prepare applied (the store found nothing to undo, but there was)"]
        );
    }

    #[test]
    fn the_entity_names_the_branch_and_op() {
        let f = crate::testkit::run(
            &mut EffectsOnce::default(),
            &[ec(Op::Cancel), e(Op::Try), b(Prepared), b(Prepared)],
        );
        let entities: Vec<Entity> = f.into_iter().map(|(e, _)| e).collect();
        assert_eq!(
            entities,
            vec![
                Entity::Effect(2, "stock".into(), "Try".into()),
                Entity::Effect(2, "stock".into(), "Prepare".into()),
                Entity::Effect(2, "stock".into(), "Prepare".into()),
            ]
        );
    }
}
