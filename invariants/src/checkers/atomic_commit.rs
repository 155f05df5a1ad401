//! atomic-commit: for every 2PC transaction (order), no participant commits while another
//! rolls back; a participant commits only after a decision was logged, the decision is commit,
//! and every participant of it (the committing one included) prepared; every `Decision` event
//! is a write of the decision log, and the logged decision never changes; no branch rolls back
//! against a logged commit. Checked at every branch and decision event.

use std::collections::{BTreeMap, BTreeSet};

use super::{Finding, SafetyChecker};
use crate::event::{BranchState, LedgerEvent};
use crate::ids::OrderId;
use crate::invariant::Invariant;
use crate::violation::Entity;

#[derive(Default, Clone, Debug)]
struct Txn {
    /// Every participant's latest state.
    branches: BTreeMap<String, BranchState>,
    ever_prepared: BTreeSet<String>,
    /// The first decision logged: (commit, participants). Later writes are judged against it.
    decision: Option<(bool, Vec<String>)>,
}

/// The incremental checker.
#[derive(Default, Clone, Debug)]
pub struct AtomicCommit {
    txns: BTreeMap<OrderId, Txn>,
}

impl SafetyChecker for AtomicCommit {
    fn invariant(&self) -> Invariant {
        Invariant::AtomicCommit
    }

    fn apply(&mut self, event: &LedgerEvent, found: &mut Vec<Finding>) {
        let (order, broken) = match event {
            LedgerEvent::Decision {
                order,
                commit,
                participants,
            } => {
                let t = self.txns.entry(*order).or_default();
                let broken = match &t.decision {
                    Some((first, _)) if first != commit => Some(format!(
                        "order {order}: decision changed from {} to {}",
                        word(*first),
                        word(*commit)
                    )),
                    Some(_) => None,
                    None => {
                        t.decision = Some((*commit, participants.clone()));
                        None
                    }
                };
                (*order, broken)
            }
            LedgerEvent::Branch {
                order,
                participant,
                state,
            } => {
                let t = self.txns.entry(*order).or_default();
                t.branches.insert(participant.clone(), *state);
                if *state == BranchState::Prepared {
                    t.ever_prepared.insert(participant.clone());
                }
                (*order, judge_branch(t, *order, participant, *state))
            }
            _ => return,
        };
        found.extend(broken.map(|d| (Entity::Order(order), d)));
    }
}

fn judge_branch(t: &Txn, order: OrderId, participant: &str, state: BranchState) -> Option<String> {
    let other = |s: BranchState| {
        t.branches
            .iter()
            .find(|(p, x)| *p != participant && **x == s)
            .map(|(p, _)| p.clone())
    };
    let at = format!("order {order}: {participant}");
    match state {
        BranchState::Committed => {
            if let Some(p) = other(BranchState::RolledBack) {
                Some(format!("{at} committed while {p} rolled back"))
            } else if let Some((commit, participants)) = &t.decision {
                if !commit {
                    Some(format!("{at} committed against the logged abort"))
                } else if !t.ever_prepared.contains(participant) {
                    Some(format!("{at} committed though it never prepared"))
                } else {
                    participants
                        .iter()
                        .find(|p| !t.ever_prepared.contains(*p))
                        .map(|p| format!("{at} committed though {p} never prepared"))
                }
            } else {
                Some(format!("{at} committed with no decision logged"))
            }
        }
        BranchState::RolledBack => {
            if let Some(p) = other(BranchState::Committed) {
                Some(format!("{at} rolled back while {p} committed"))
            } else if let Some((true, _)) = t.decision {
                Some(format!("{at} rolled back against the logged commit"))
            } else {
                None
            }
        }
        BranchState::Prepared => None,
    }
}

fn word(commit: bool) -> &'static str {
    if commit {
        "commit"
    } else {
        "abort"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{branch, details};
    use BranchState::*;

    fn b(p: &str, state: BranchState) -> LedgerEvent {
        branch(7, p, state)
    }

    /// The decision for order 7, over stock and points.
    fn d(commit: bool) -> LedgerEvent {
        LedgerEvent::Decision {
            order: 7,
            commit,
            participants: vec!["stock".into(), "points".into()],
        }
    }

    fn run(events: &[LedgerEvent]) -> Vec<String> {
        details(&crate::testkit::run(&mut AtomicCommit::default(), events))
    }

    #[test]
    fn prepare_all_decide_commit_all_is_fine_and_so_is_abort() {
        assert!(run(&[
            b("stock", Prepared),
            b("points", Prepared),
            d(true),
            b("stock", Committed),
            b("points", Committed)
        ])
        .is_empty());
        assert!(run(&[
            b("stock", Prepared),
            d(false),
            b("stock", RolledBack),
            b("points", RolledBack)
        ])
        .is_empty());
        // Rolling back before any decision (a no vote, or presumed abort) is fine.
        assert!(run(&[b("stock", Prepared), b("stock", RolledBack), d(false)]).is_empty());
    }

    #[test]
    fn rewriting_the_same_decision_is_fine() {
        // The coordinator recovers and writes its decision again: the same one.
        assert!(run(&[
            b("stock", Prepared),
            b("points", Prepared),
            d(true),
            b("stock", Committed),
            d(true),
            b("points", Committed)
        ])
        .is_empty());
        assert!(run(&[d(false), d(false)]).is_empty());
    }

    #[test]
    fn a_changed_decision_breaks_it() {
        assert_eq!(
            run(&[d(false), d(true)]),
            vec!["order 7: decision changed from abort to commit"]
        );
        assert_eq!(
            run(&[
                b("stock", Prepared),
                b("points", Prepared),
                d(true),
                d(false)
            ]),
            vec!["order 7: decision changed from commit to abort"]
        );
        // Every write is judged against the first, not the latest.
        assert_eq!(
            run(&[d(true), d(false), d(true), d(false)]),
            vec![
                "order 7: decision changed from commit to abort",
                "order 7: decision changed from commit to abort"
            ]
        );
        // Decisions of different orders are different transactions.
        let other = LedgerEvent::Decision {
            order: 8,
            commit: false,
            participants: vec![],
        };
        assert!(run(&[d(true), other]).is_empty());
    }

    #[test]
    fn branches_follow_the_first_decision() {
        assert_eq!(
            run(&[
                b("stock", Prepared),
                b("points", Prepared),
                d(true),
                d(false),
                b("stock", RolledBack)
            ]),
            vec![
                "order 7: decision changed from commit to abort",
                "order 7: stock rolled back against the logged commit"
            ]
        );
    }

    #[test]
    fn a_commit_and_a_rollback_of_one_transaction_break_it() {
        assert_eq!(
            run(&[
                b("stock", Prepared),
                b("points", Prepared),
                d(true),
                b("stock", Committed),
                b("points", RolledBack)
            ]),
            vec!["order 7: points rolled back while stock committed",]
        );
        assert_eq!(
            run(&[
                b("stock", Prepared),
                b("points", Prepared),
                b("points", RolledBack),
                d(true),
                b("stock", Committed)
            ]),
            vec!["order 7: stock committed while points rolled back"]
        );
    }

    #[test]
    fn a_commit_before_everyone_prepared_breaks_it() {
        assert_eq!(
            run(&[b("stock", Prepared), d(true), b("stock", Committed)]),
            vec!["order 7: stock committed though points never prepared"]
        );
        assert_eq!(
            run(&[b("points", Prepared), d(true), b("stock", Committed)]),
            vec!["order 7: stock committed though it never prepared"]
        );
    }

    #[test]
    fn a_commit_with_no_decision_breaks_it() {
        assert_eq!(
            run(&[
                b("stock", Prepared),
                b("points", Prepared),
                b("stock", Committed)
            ]),
            vec!["order 7: stock committed with no decision logged"]
        );
    }

    #[test]
    fn a_branch_against_the_decision_breaks_it() {
        assert_eq!(
            run(&[
                b("stock", Prepared),
                b("points", Prepared),
                d(true),
                b("points", RolledBack)
            ]),
            vec!["order 7: points rolled back against the logged commit"]
        );
        assert_eq!(
            run(&[
                b("stock", Prepared),
                b("points", Prepared),
                d(false),
                b("stock", Committed)
            ]),
            vec!["order 7: stock committed against the logged abort"]
        );
    }
}
