//! atomic-commit: for every 2PC transaction, no participant commits while another rolls
//! back; a participant commits only after every participant prepared; the logged decision
//! never changes (nor does a branch go against it). Checked at every branch and decision event.

use std::collections::BTreeMap;

use super::{Finding, SafetyChecker};
use crate::event::{BranchState, LedgerEvent};
use crate::ids::OrderId;
use crate::invariant::Invariant;
use crate::violation::Entity;

#[derive(Default, Clone, Debug)]
struct Txn {
    branches: BTreeMap<String, BranchState>,
    ever_prepared: Vec<String>,
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
                    Some((before, _)) if before != commit => Some(format!(
                        "order {order}: decision changed from {} to {}",
                        word(*before),
                        word(*commit)
                    )),
                    _ => None,
                };
                if t.decision.is_none() {
                    t.decision = Some((*commit, participants.clone()));
                }
                (*order, broken)
            }
            LedgerEvent::Branch {
                order,
                participant,
                state,
            } => {
                let t = self.txns.entry(*order).or_default();
                t.branches.insert(participant.clone(), *state);
                if *state == BranchState::Prepared && !t.ever_prepared.contains(participant) {
                    t.ever_prepared.push(participant.clone());
                }
                let other = |s: BranchState| {
                    t.branches
                        .iter()
                        .find(|(p, x)| *p != participant && **x == s)
                        .map(|(p, _)| p.clone())
                };
                let broken = match state {
                    BranchState::Committed => {
                        if let Some(p) = other(BranchState::RolledBack) {
                            Some(format!(
                                "order {order}: {participant} committed while {p} rolled back"
                            ))
                        } else if let Some((false, _)) = t.decision {
                            Some(format!(
                                "order {order}: {participant} committed against the logged abort"
                            ))
                        } else {
                            t.decision
                                .as_ref()
                                .and_then(|(_, ps)| ps.iter().find(|p| !t.ever_prepared.contains(p)))
                                .map(|p| format!("order {order}: {participant} committed though {p} never prepared"))
                        }
                    }
                    BranchState::RolledBack => {
                        if let Some(p) = other(BranchState::Committed) {
                            Some(format!(
                                "order {order}: {participant} rolled back while {p} committed"
                            ))
                        } else if let Some((true, _)) = t.decision {
                            Some(format!("order {order}: {participant} rolled back against the logged commit"))
                        } else {
                            None
                        }
                    }
                    BranchState::Prepared => None,
                };
                (*order, broken)
            }
            _ => return,
        };
        found.extend(broken.map(|d| (Entity::Order(order), d)));
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

    fn b(p: &str, state: BranchState) -> LedgerEvent {
        LedgerEvent::Branch {
            order: 7,
            participant: p.into(),
            state,
        }
    }

    fn d(commit: bool) -> LedgerEvent {
        LedgerEvent::Decision {
            order: 7,
            commit,
            participants: vec!["stock".into(), "points".into()],
        }
    }

    fn run(events: &[LedgerEvent]) -> Vec<String> {
        let mut c = AtomicCommit::default();
        let mut found = Vec::new();
        for e in events {
            c.apply(e, &mut found);
        }
        found.into_iter().map(|(_, d)| d).collect()
    }

    use BranchState::*;

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
    }

    #[test]
    fn each_way_it_breaks() {
        assert_eq!(
            run(&[
                b("stock", Prepared),
                b("points", Prepared),
                b("stock", Committed),
                b("points", RolledBack)
            ]),
            vec!["order 7: points rolled back while stock committed"]
        );
        assert_eq!(
            run(&[b("stock", Prepared), d(true), b("stock", Committed)]),
            vec!["order 7: stock committed though points never prepared"]
        );
        assert_eq!(
            run(&[d(false), d(true)]),
            vec!["order 7: decision changed from abort to commit"]
        );
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
            run(&[d(false), b("stock", Committed)]),
            vec!["order 7: stock committed against the logged abort"]
        );
    }
}
