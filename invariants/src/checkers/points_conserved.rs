//! points-conserved: for every user u, balance(u) + Σ_o held(u,o) + spent(u) = initial(u),
//! and balance(u), every held(u,o) and spent(u) are ≥ 0. Checked at every points event and on
//! the snapshot's rows.

use std::collections::BTreeMap;

use super::conservation::{judge, Names, Tally};
use super::{Finding, SafetyChecker};
use crate::event::LedgerEvent;
use crate::ids::UserId;
use crate::invariant::Invariant;
use crate::snapshot::Snapshot;
use crate::violation::Entity;

const NAMES: Names = Names {
    entity: "user",
    free: "balance",
    held: "held",
    used: "spent",
    make: Entity::User,
};

/// The incremental checker.
#[derive(Clone, Debug)]
pub struct PointsConserved {
    initial: BTreeMap<UserId, i64>,
    tally: BTreeMap<UserId, Tally>,
}

impl PointsConserved {
    /// Start from the initial balances.
    pub fn new(initial: &BTreeMap<UserId, i64>) -> Self {
        let tally = initial
            .iter()
            .map(|(u, n)| {
                (
                    *u,
                    Tally {
                        free: *n,
                        ..Tally::default()
                    },
                )
            })
            .collect();
        PointsConserved {
            initial: initial.clone(),
            tally,
        }
    }
}

impl SafetyChecker for PointsConserved {
    fn invariant(&self) -> Invariant {
        Invariant::PointsConserved
    }

    fn apply(&mut self, event: &LedgerEvent, found: &mut Vec<Finding>) {
        let (user, order, free, held, used) = match *event {
            LedgerEvent::PointsHeld {
                user,
                order,
                points,
            } => (user, order, -points, points, 0),
            LedgerEvent::PointsReleased {
                user,
                order,
                points,
            } => (user, order, points, -points, 0),
            LedgerEvent::PointsSpent {
                user,
                order,
                points,
            } => (user, order, 0, -points, points),
            LedgerEvent::PointsTaken {
                user,
                order,
                points,
            } => (user, order, -points, 0, points),
            LedgerEvent::PointsRefunded {
                user,
                order,
                points,
            } => (user, order, points, 0, -points),
            _ => return,
        };
        let t = self.tally.entry(user).or_default();
        t.apply(order, free, held, used);
        found.extend(judge(
            &NAMES,
            user,
            t,
            self.initial.get(&user).copied().unwrap_or(0),
        ));
    }
}

/// The statement over the snapshot's points rows.
pub fn check_snapshot(s: &Snapshot) -> Vec<Finding> {
    let users: std::collections::BTreeSet<UserId> = s
        .initial_points
        .keys()
        .chain(s.points.keys())
        .copied()
        .collect();
    users
        .into_iter()
        .filter_map(|u| {
            let row = s.points.get(&u).cloned().unwrap_or_default();
            let t = Tally {
                free: row.balance,
                held: row.held,
                used: row.spent,
            };
            judge(
                &NAMES,
                u,
                &t,
                s.initial_points.get(&u).copied().unwrap_or(0),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::PointsRow;

    fn run(events: &[LedgerEvent]) -> Vec<Finding> {
        let mut c = PointsConserved::new(&BTreeMap::from([(1, 50)]));
        let mut found = Vec::new();
        for e in events {
            c.apply(e, &mut found);
        }
        found
    }

    #[test]
    fn hold_spend_release_keep_it() {
        let f = run(&[
            LedgerEvent::PointsHeld {
                user: 1,
                order: 1,
                points: 20,
            },
            LedgerEvent::PointsSpent {
                user: 1,
                order: 1,
                points: 20,
            },
            LedgerEvent::PointsHeld {
                user: 1,
                order: 2,
                points: 30,
            },
            LedgerEvent::PointsReleased {
                user: 1,
                order: 2,
                points: 30,
            },
            LedgerEvent::PointsTaken {
                user: 1,
                order: 3,
                points: 5,
            },
            LedgerEvent::PointsRefunded {
                user: 1,
                order: 3,
                points: 5,
            },
        ]);
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn overspending_breaks_it() {
        let f = run(&[LedgerEvent::PointsTaken {
            user: 1,
            order: 1,
            points: 51,
        }]);
        assert_eq!(
            f,
            vec![(Entity::User(1), "user 1: balance -1 < 0".to_string())]
        );
    }

    #[test]
    fn a_double_release_breaks_it() {
        let f = run(&[
            LedgerEvent::PointsHeld {
                user: 1,
                order: 4,
                points: 10,
            },
            LedgerEvent::PointsReleased {
                user: 1,
                order: 4,
                points: 10,
            },
            LedgerEvent::PointsReleased {
                user: 1,
                order: 4,
                points: 10,
            },
        ]);
        assert_eq!(
            f[0].1,
            "user 1: held for order 4 is -10 < 0 (released more than was held)"
        );
    }

    #[test]
    fn points_that_vanish_from_the_store_break_it_on_the_snapshot() {
        let mut s = Snapshot {
            initial_points: BTreeMap::from([(1, 50)]),
            ..Snapshot::default()
        };
        s.points.insert(
            1,
            PointsRow {
                balance: 30,
                spent: 10,
                ..PointsRow::default()
            },
        );
        assert_eq!(
            check_snapshot(&s),
            vec![(
                Entity::User(1),
                "user 1: balance 30 + held 0 + spent 10 = 40 ≠ initial 50".to_string()
            )]
        );
    }
}
