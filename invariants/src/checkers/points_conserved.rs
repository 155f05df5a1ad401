//! points-conserved: for every user u, balance(u) + Σ_o held(u,o) + spent(u) = initial(u),
//! and balance(u), every held(u,o) and spent(u) are ≥ 0. Checked at every points event and on
//! the snapshot's rows.

use std::collections::BTreeMap;

use super::conservation::{judge, Move, Names, Tally};
use super::{Finding, SafetyChecker};
use crate::event::LedgerEvent;
use crate::ids::{OrderId, UserId};
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
        let Some((user, order, m)) = points_move(event) else {
            return;
        };
        let t = self.tally.entry(user).or_default();
        t.apply(order, m);
        found.extend(judge(
            &NAMES,
            user,
            t,
            self.initial.get(&user).copied().unwrap_or(0),
        ));
    }
}

/// What a points event does to its user's buckets: (user, order, move). None for other
/// events. The one place the points arithmetic lives (refusal-truthful tracks balances with
/// it).
pub fn points_move(event: &LedgerEvent) -> Option<(UserId, OrderId, Move)> {
    let mv = |free, held, used| Move { free, held, used };
    Some(match *event {
        LedgerEvent::PointsHeld {
            user,
            order,
            points,
        } => (user, order, mv(-points, points, 0)),
        LedgerEvent::PointsReleased {
            user,
            order,
            points,
        } => (user, order, mv(points, -points, 0)),
        LedgerEvent::PointsSpent {
            user,
            order,
            points,
        } => (user, order, mv(0, -points, points)),
        LedgerEvent::PointsTaken {
            user,
            order,
            points,
        } => (user, order, mv(-points, 0, points)),
        LedgerEvent::PointsRefunded {
            user,
            order,
            points,
        } => (user, order, mv(points, 0, -points)),
        _ => return None,
    })
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
    use LedgerEvent::*;

    /// User 1 starts with 50.
    fn run(events: &[LedgerEvent]) -> Vec<Finding> {
        crate::testkit::run(
            &mut PointsConserved::new(&BTreeMap::from([(1, 50)])),
            events,
        )
    }

    fn broke(detail: &str) -> Vec<Finding> {
        vec![(Entity::User(1), detail.to_string())]
    }

    #[test]
    fn hold_spend_release_take_and_refund_keep_it() {
        let f = run(&[
            PointsHeld {
                user: 1,
                order: 1,
                points: 20,
            },
            PointsSpent {
                user: 1,
                order: 1,
                points: 20,
            },
            PointsHeld {
                user: 1,
                order: 2,
                points: 30,
            },
            PointsReleased {
                user: 1,
                order: 2,
                points: 30,
            },
            PointsTaken {
                user: 1,
                order: 3,
                points: 5,
            },
            PointsRefunded {
                user: 1,
                order: 3,
                points: 5,
            },
            // Exactly what is left (50 − 20 spent).
            PointsTaken {
                user: 1,
                order: 4,
                points: 30,
            },
        ]);
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn a_hold_beyond_the_balance_breaks_it() {
        let f = run(&[PointsHeld {
            user: 1,
            order: 1,
            points: 51,
        }]);
        assert_eq!(f, broke("user 1: balance -1 < 0"));
    }

    #[test]
    fn a_release_of_what_was_never_held_breaks_it() {
        let f = run(&[PointsReleased {
            user: 1,
            order: 4,
            points: 10,
        }]);
        assert_eq!(
            f,
            broke("user 1: held for order 4 is -10 < 0 (released more than was held)")
        );
    }

    #[test]
    fn a_double_release_breaks_it() {
        let f = run(&[
            PointsHeld {
                user: 1,
                order: 4,
                points: 10,
            },
            PointsReleased {
                user: 1,
                order: 4,
                points: 10,
            },
            PointsReleased {
                user: 1,
                order: 4,
                points: 10,
            },
        ]);
        assert_eq!(
            f,
            broke("user 1: held for order 4 is -10 < 0 (released more than was held)")
        );
    }

    #[test]
    fn spending_more_than_was_held_breaks_it() {
        let f = run(&[
            PointsHeld {
                user: 1,
                order: 4,
                points: 10,
            },
            PointsSpent {
                user: 1,
                order: 4,
                points: 12,
            },
        ]);
        assert_eq!(
            f,
            broke("user 1: held for order 4 is -2 < 0 (released more than was held)")
        );
    }

    #[test]
    fn spent_points_are_gone_for_good() {
        let f = run(&[
            PointsHeld {
                user: 1,
                order: 4,
                points: 10,
            },
            PointsSpent {
                user: 1,
                order: 4,
                points: 10,
            },
            PointsHeld {
                user: 1,
                order: 5,
                points: 50,
            },
        ]);
        assert_eq!(f, broke("user 1: balance -10 < 0"));
    }

    #[test]
    fn overspending_breaks_it() {
        let f = run(&[PointsTaken {
            user: 1,
            order: 1,
            points: 51,
        }]);
        assert_eq!(f, broke("user 1: balance -1 < 0"));
    }

    #[test]
    fn refunding_what_was_never_spent_breaks_it() {
        let f = run(&[PointsRefunded {
            user: 1,
            order: 1,
            points: 5,
        }]);
        assert_eq!(f, broke("user 1: spent -5 < 0"));
    }

    #[test]
    fn a_refund_puts_points_back_in_the_balance() {
        let f = run(&[
            PointsTaken {
                user: 1,
                order: 1,
                points: 50,
            },
            PointsRefunded {
                user: 1,
                order: 1,
                points: 50,
            },
            PointsTaken {
                user: 1,
                order: 2,
                points: 50,
            },
        ]);
        assert!(f.is_empty(), "{f:?}");
    }

    fn snap(balance: i64, held: i64, spent: i64) -> Snapshot {
        let mut s = Snapshot {
            initial_points: BTreeMap::from([(1, 50)]),
            ..Snapshot::default()
        };
        s.points.insert(
            1,
            PointsRow {
                balance,
                held: BTreeMap::from([(4, held)]),
                spent,
                ..PointsRow::default()
            },
        );
        s
    }

    #[test]
    fn each_way_the_snapshot_breaks_it() {
        assert!(check_snapshot(&snap(30, 10, 10)).is_empty());
        // Points that vanished from the store.
        assert_eq!(
            check_snapshot(&snap(30, 0, 10)),
            broke("user 1: balance 30 + held 0 + spent 10 = 40 ≠ initial 50")
        );
        assert_eq!(
            check_snapshot(&snap(-1, 0, 51)),
            broke("user 1: balance -1 < 0")
        );
        assert_eq!(
            check_snapshot(&snap(52, -2, 0)),
            broke("user 1: held for order 4 is -2 < 0 (released more than was held)")
        );
        assert_eq!(
            check_snapshot(&snap(51, 0, -1)),
            broke("user 1: spent -1 < 0")
        );
    }
}
