//! The monitor: feeds every committed ledger event to the safety checkers (incrementally, in
//! commit order). Each (invariant, entity) is reported once — at the event after which it
//! first broke — so one bug does not flood. (The end-of-run checks are in `end.rs`.)

use std::collections::{BTreeMap, BTreeSet};

use crate::checkers::{
    atomic_commit::AtomicCommit, effects_once::EffectsOnce, lock_exclusive::LockExclusive,
    points_conserved::PointsConserved, refusal_truthful::RefusalTruthful,
    single_charge::SingleCharge, stock_conserved::StockConserved, store_sound::StoreSound,
    SafetyChecker,
};
use crate::event::LedgerEvent;
use crate::ids::{Sku, UserId};
use crate::invariant::Invariant;
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
                Box::new(RefusalTruthful::new(initial_stock, initial_points)),
                Box::new(StoreSound),
                Box::new(LockExclusive::default()),
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
        assert!(v.to_string().contains("first broken after ledger event L1"));
    }

    /// One small sequence per safety invariant, each breaking that invariant only.
    fn breaking(inv: Invariant) -> Vec<LedgerEvent> {
        use crate::event::{Op, Refusal};
        use crate::testkit::{effect, refused};
        match inv {
            Invariant::StockConserved => vec![LedgerEvent::StockTaken {
                sku: 0,
                order: 1,
                qty: 2,
            }],
            Invariant::PointsConserved => vec![LedgerEvent::PointsTaken {
                user: 0,
                order: 1,
                points: 2,
            }],
            Invariant::SingleCharge => vec![LedgerEvent::ChargeRefunded {
                charge: 1,
                order: 1,
                amount: 5,
            }],
            Invariant::EffectsOnce => vec![effect(1, "stock", Op::Cancel)],
            Invariant::AtomicCommit => vec![
                LedgerEvent::Decision {
                    order: 1,
                    commit: true,
                    participants: vec![],
                },
                LedgerEvent::Decision {
                    order: 1,
                    commit: false,
                    participants: vec![],
                },
            ],
            Invariant::RefusalTruthful => vec![refused(1, Refusal::Declined)],
            Invariant::StoreSound => vec![LedgerEvent::StoreFault {
                store: "stock".into(),
                order: Some(1),
                error: "duplicate branch 1".into(),
            }],
            Invariant::LockExclusive => vec![
                LedgerEvent::LockTaken {
                    key: "order-1".into(),
                    owner: "w1".into(),
                    token: 1,
                    at_ms: 0,
                    expires_at_ms: None,
                },
                LedgerEvent::LockReleased {
                    key: "order-1".into(),
                    by: "w2".into(),
                    owner: "w1".into(),
                    token: 1,
                    at_ms: 1,
                },
            ],
            other => panic!("{other} is not a safety invariant"),
        }
    }

    fn fired(events: &[LedgerEvent]) -> BTreeSet<Invariant> {
        let mut m = Monitor::new(&BTreeMap::from([(0, 1)]), &BTreeMap::from([(0, 1)]));
        for (i, e) in events.iter().enumerate() {
            m.apply(i as u64, e);
        }
        m.violations().iter().map(|v| v.invariant).collect()
    }

    #[test]
    fn the_monitor_runs_every_safety_checker() {
        for inv in Invariant::ALL
            .into_iter()
            .filter(|i| i.phase() == crate::invariant::Phase::Safety)
        {
            assert_eq!(fired(&breaking(inv)), BTreeSet::from([inv]), "{inv}");
        }
    }

    #[test]
    fn refusals_are_judged_against_the_initial_ledger() {
        use crate::event::Refusal;
        use crate::testkit::refused;
        let short = |available| {
            refused(
                1,
                Refusal::Short {
                    sku: 0,
                    wanted: 2,
                    available,
                },
            )
        };
        let points_short = |balance| {
            refused(
                1,
                Refusal::PointsShort {
                    user: 0,
                    wanted: 2,
                    balance,
                },
            )
        };
        assert!(fired(&[short(1), points_short(1)]).is_empty());
        assert_eq!(
            fired(&[short(0)]),
            BTreeSet::from([Invariant::RefusalTruthful])
        );
        assert_eq!(
            fired(&[points_short(0)]),
            BTreeSet::from([Invariant::RefusalTruthful])
        );
    }

    #[test]
    fn every_store_fault_of_another_store_is_reported() {
        let fault = |store: &str| LedgerEvent::StoreFault {
            store: store.into(),
            order: None,
            error: "missing branch".into(),
        };
        let mut m = Monitor::new(&BTreeMap::new(), &BTreeMap::new());
        for (i, e) in [fault("stock"), fault("points"), fault("stock")]
            .iter()
            .enumerate()
        {
            m.apply(i as u64, e);
        }
        let entities: Vec<Entity> = m.violations().iter().map(|v| v.entity.clone()).collect();
        assert_eq!(
            entities,
            vec![
                Entity::Store("stock".into()),
                Entity::Store("points".into())
            ]
        );
        assert_eq!(m.events(), 3);
    }
}
