//! stock-conserved: for every sku s, available(s) + Σ_o reserved(s,o) + sold(s) = initial(s),
//! and available(s), every reserved(s,o) and sold(s) are ≥ 0. Checked at every stock event
//! (for the sku it touches) and on the snapshot's rows.

use std::collections::BTreeMap;

use super::conservation::{judge, Names, Tally};
use super::{Finding, SafetyChecker};
use crate::event::LedgerEvent;
use crate::ids::Sku;
use crate::invariant::Invariant;
use crate::snapshot::Snapshot;
use crate::violation::Entity;

const NAMES: Names = Names {
    entity: "sku",
    free: "available",
    held: "reserved",
    used: "sold",
    make: Entity::Sku,
};

/// The incremental checker.
#[derive(Clone, Debug)]
pub struct StockConserved {
    initial: BTreeMap<Sku, i64>,
    tally: BTreeMap<Sku, Tally>,
}

impl StockConserved {
    /// Start from the initial stock.
    pub fn new(initial: &BTreeMap<Sku, i64>) -> Self {
        let tally = initial
            .iter()
            .map(|(s, n)| {
                (
                    *s,
                    Tally {
                        free: *n,
                        ..Tally::default()
                    },
                )
            })
            .collect();
        StockConserved {
            initial: initial.clone(),
            tally,
        }
    }
}

impl SafetyChecker for StockConserved {
    fn invariant(&self) -> Invariant {
        Invariant::StockConserved
    }

    fn apply(&mut self, event: &LedgerEvent, found: &mut Vec<Finding>) {
        let (sku, order, free, held, used) = match *event {
            LedgerEvent::StockReserved { sku, order, qty } => (sku, order, -qty, qty, 0),
            LedgerEvent::StockReleased { sku, order, qty } => (sku, order, qty, -qty, 0),
            LedgerEvent::StockSold { sku, order, qty } => (sku, order, 0, -qty, qty),
            LedgerEvent::StockTaken { sku, order, qty } => (sku, order, -qty, 0, qty),
            LedgerEvent::StockReturned { sku, order, qty } => (sku, order, qty, 0, -qty),
            _ => return,
        };
        let t = self.tally.entry(sku).or_default();
        t.apply(order, free, held, used);
        found.extend(judge(
            &NAMES,
            sku,
            t,
            self.initial.get(&sku).copied().unwrap_or(0),
        ));
    }
}

/// The statement over the snapshot's stock rows.
pub fn check_snapshot(s: &Snapshot) -> Vec<Finding> {
    let skus: std::collections::BTreeSet<Sku> = s
        .initial_stock
        .keys()
        .chain(s.stock.keys())
        .copied()
        .collect();
    skus.into_iter()
        .filter_map(|sku| {
            let row = s.stock.get(&sku).cloned().unwrap_or_default();
            let t = Tally {
                free: row.available,
                held: row.reserved,
                used: row.sold,
            };
            judge(
                &NAMES,
                sku,
                &t,
                s.initial_stock.get(&sku).copied().unwrap_or(0),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::StockRow;

    fn run(events: &[LedgerEvent]) -> Vec<Finding> {
        let mut c = StockConserved::new(&BTreeMap::from([(3, 10)]));
        let mut found = Vec::new();
        for e in events {
            c.apply(e, &mut found);
        }
        found
    }

    #[test]
    fn reserve_sell_release_take_and_return_keep_it() {
        let f = run(&[
            LedgerEvent::StockReserved {
                sku: 3,
                order: 1,
                qty: 4,
            },
            LedgerEvent::StockSold {
                sku: 3,
                order: 1,
                qty: 4,
            },
            LedgerEvent::StockReserved {
                sku: 3,
                order: 2,
                qty: 6,
            },
            LedgerEvent::StockReleased {
                sku: 3,
                order: 2,
                qty: 6,
            },
            LedgerEvent::StockTaken {
                sku: 3,
                order: 5,
                qty: 1,
            },
            LedgerEvent::StockReturned {
                sku: 3,
                order: 5,
                qty: 1,
            },
        ]);
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn negative_availability_breaks_it() {
        let f = run(&[LedgerEvent::StockTaken {
            sku: 3,
            order: 1,
            qty: 11,
        }]);
        assert_eq!(
            f,
            vec![(Entity::Sku(3), "sku 3: available -1 < 0".to_string())]
        );
    }

    #[test]
    fn a_double_release_breaks_it() {
        let f = run(&[
            LedgerEvent::StockReserved {
                sku: 3,
                order: 1,
                qty: 2,
            },
            LedgerEvent::StockReleased {
                sku: 3,
                order: 1,
                qty: 2,
            },
            LedgerEvent::StockReleased {
                sku: 3,
                order: 1,
                qty: 2,
            },
        ]);
        assert_eq!(
            f,
            vec![(
                Entity::Sku(3),
                "sku 3: reserved for order 1 is -2 < 0 (released more than was reserved)"
                    .to_string()
            )]
        );
    }

    #[test]
    fn a_lost_release_in_the_store_breaks_it_on_the_snapshot() {
        // The reservation row was deleted but the units never went back to available.
        let mut s = Snapshot {
            initial_stock: BTreeMap::from([(3, 10)]),
            ..Snapshot::default()
        };
        s.stock.insert(
            3,
            StockRow {
                available: 4,
                sold: 5,
                ..StockRow::default()
            },
        );
        assert_eq!(
            check_snapshot(&s),
            vec![(
                Entity::Sku(3),
                "sku 3: available 4 + reserved 0 + sold 5 = 9 ≠ initial 10".to_string()
            )]
        );
        s.stock.get_mut(&3).unwrap().available = 5;
        assert!(check_snapshot(&s).is_empty());
    }
}
