//! The monitor: feeds every committed ledger event to the safety checkers (incrementally, in
//! commit order) and checks the snapshot at the end of a run. Each (invariant, entity) is
//! reported once — at the event after which it first broke — so one bug does not flood.

use std::collections::{BTreeMap, BTreeSet};

use crate::checkers::{
    answered, atomic_commit::AtomicCommit, cancelled_clean, client_truth, confirmed_settled,
    effects_once::EffectsOnce, no_unmatched_charge, nothing_in_flight, points_conserved,
    points_conserved::PointsConserved, single_charge::SingleCharge, stock_conserved,
    stock_conserved::StockConserved, terminated, Finding, SafetyChecker,
};
use crate::event::LedgerEvent;
use crate::ids::{Sku, UserId};
use crate::invariant::Invariant;
use crate::snapshot::Snapshot;
use crate::violation::{Entity, Violation};

/// Incremental safety checking over a run's ledger events.
pub struct Monitor {
    checkers: Vec<Box<dyn SafetyChecker>>,
    events: usize,
    broken: BTreeSet<(Invariant, Entity)>,
    violations: Vec<Violation>,
}

impl Monitor {
    /// A monitor for ledgers that start with this stock and these points.
    pub fn new(initial_stock: &BTreeMap<Sku, i64>, initial_points: &BTreeMap<UserId, i64>) -> Self {
        Monitor {
            checkers: vec![
                Box::new(StockConserved::new(initial_stock)),
                Box::new(PointsConserved::new(initial_points)),
                Box::new(SingleCharge::default()),
                Box::new(EffectsOnce::default()),
                Box::new(AtomicCommit::default()),
            ],
            events: 0,
            broken: BTreeSet::new(),
            violations: Vec::new(),
        }
    }

    /// Take one committed event (at simulated `at_ms`) into account.
    pub fn apply(&mut self, at_ms: u64, event: &LedgerEvent) {
        let index = self.events;
        self.events += 1;
        for checker in &mut self.checkers {
            let mut found = Vec::new();
            checker.apply(event, &mut found);
            let invariant = checker.invariant();
            for (entity, detail) in found {
                if self.broken.insert((invariant, entity.clone())) {
                    self.violations.push(Violation {
                        invariant,
                        entity,
                        detail,
                        at_ms,
                        after_event: Some((index, event.to_string())),
                    });
                }
            }
        }
    }

    /// Every violation found so far.
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// Events seen.
    pub fn events(&self) -> usize {
        self.events
    }
}

fn wrap(invariant: Invariant, at_ms: u64, found: Vec<Finding>) -> impl Iterator<Item = Violation> {
    found.into_iter().map(move |(entity, detail)| Violation {
        invariant,
        entity,
        detail,
        at_ms,
        after_event: None,
    })
}

/// The end-of-run checks on the snapshot. Conservation always; the quiescence invariants only
/// when the run reached quiescence (otherwise things are legitimately in flight); the
/// liveness invariants always (at quiescence they must hold too).
pub fn check_end(snapshot: &Snapshot, at_ms: u64, quiescent: bool) -> Vec<Violation> {
    let mut v: Vec<Violation> = Vec::new();
    v.extend(wrap(
        Invariant::StockConserved,
        at_ms,
        stock_conserved::check_snapshot(snapshot),
    ));
    v.extend(wrap(
        Invariant::PointsConserved,
        at_ms,
        points_conserved::check_snapshot(snapshot),
    ));
    if quiescent {
        v.extend(wrap(
            Invariant::NoUnmatchedCharge,
            at_ms,
            no_unmatched_charge::check(snapshot),
        ));
        v.extend(wrap(
            Invariant::ConfirmedSettled,
            at_ms,
            confirmed_settled::check(snapshot),
        ));
        v.extend(wrap(
            Invariant::CancelledClean,
            at_ms,
            cancelled_clean::check(snapshot),
        ));
        v.extend(wrap(
            Invariant::NothingInFlight,
            at_ms,
            nothing_in_flight::check(snapshot),
        ));
        v.extend(wrap(
            Invariant::ClientTruth,
            at_ms,
            client_truth::check(snapshot),
        ));
    }
    v.extend(wrap(
        Invariant::Terminated,
        at_ms,
        terminated::check(snapshot),
    ));
    v.extend(wrap(Invariant::Answered, at_ms, answered::check(snapshot)));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_break_is_reported_once_with_the_event_after_which_it_broke() {
        let mut m = Monitor::new(&BTreeMap::from([(0, 1)]), &BTreeMap::new());
        m.apply(
            10,
            &LedgerEvent::StockReserved {
                sku: 0,
                order: 1,
                qty: 1,
            },
        );
        m.apply(
            20,
            &LedgerEvent::StockReserved {
                sku: 0,
                order: 2,
                qty: 1,
            },
        );
        m.apply(
            30,
            &LedgerEvent::StockReserved {
                sku: 0,
                order: 3,
                qty: 1,
            },
        );
        assert_eq!(m.violations().len(), 1);
        let v = &m.violations()[0];
        assert_eq!((v.invariant, v.at_ms), (Invariant::StockConserved, 20));
        assert_eq!(v.detail, "sku 0: available -1 < 0");
        let (index, event) = v.after_event.clone().unwrap();
        assert_eq!(index, 1);
        assert!(event.contains("order: 2"), "{event}");
        assert!(v.to_string().contains("first broken after ledger event #1"));
    }
}
