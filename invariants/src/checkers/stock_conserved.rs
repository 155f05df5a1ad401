//! stock-conserved: for every sku s, available(s) + Σ_o reserved(s,o) + sold(s) = initial(s),
//! and available(s), every reserved(s,o) and sold(s) are ≥ 0. Checked at every stock event
//! (for the sku it touches) and on the snapshot's rows.

use std::collections::BTreeMap;

use super::conservation::{judge, Move, Names, Tally};
use super::{Finding, SafetyChecker};
use crate::event::LedgerEvent;
use crate::ids::{OrderId, Sku};
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
        let Some((sku, order, m)) = stock_move(event) else {
            return;
        };
        let t = self.tally.entry(sku).or_default();
        t.apply(order, m);
        found.extend(judge(
            &NAMES,
            sku,
            t,
            self.initial.get(&sku).copied().unwrap_or(0),
        ));
    }
}

/// What a stock event does to its sku's buckets: (sku, order, move). None for other events.
/// The one place the stock arithmetic lives (refusal-truthful tracks availability with it).
pub fn stock_move(event: &LedgerEvent) -> Option<(Sku, OrderId, Move)> {
    let mv = |free, held, used| Move { free, held, used };
    Some(match *event {
        LedgerEvent::StockReserved { sku, order, qty } => (sku, order, mv(-qty, qty, 0)),
        LedgerEvent::StockReleased { sku, order, qty } => (sku, order, mv(qty, -qty, 0)),
        LedgerEvent::StockSold { sku, order, qty } => (sku, order, mv(0, -qty, qty)),
        LedgerEvent::StockTaken { sku, order, qty } => (sku, order, mv(-qty, 0, qty)),
        LedgerEvent::StockReturned { sku, order, qty } => (sku, order, mv(qty, 0, -qty)),
        _ => return None,
    })
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
    use LedgerEvent::*;

    /// Sku 3 starts with 10.
    fn run(events: &[LedgerEvent]) -> Vec<Finding> {
        crate::testkit::run(&mut StockConserved::new(&BTreeMap::from([(3, 10)])), events)
    }

    fn broke(detail: &str) -> Vec<Finding> {
        vec![(Entity::Sku(3), detail.to_string())]
    }

    #[test]
    fn reserve_sell_release_take_and_return_keep_it() {
        let f = run(&[
            StockReserved {
                sku: 3,
                order: 1,
                qty: 4,
            },
            StockSold {
                sku: 3,
                order: 1,
                qty: 4,
            },
            StockReserved {
                sku: 3,
                order: 2,
                qty: 6,
            },
            StockReleased {
                sku: 3,
                order: 2,
                qty: 6,
            },
            StockTaken {
                sku: 3,
                order: 5,
                qty: 1,
            },
            StockReturned {
                sku: 3,
                order: 5,
                qty: 1,
            },
            // Exactly what is left (10 − 4 sold): fine only if every move above was counted
            // in the right bucket.
            StockTaken {
                sku: 3,
                order: 6,
                qty: 6,
            },
        ]);
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn a_reservation_beyond_what_is_available_breaks_it() {
        let f = run(&[StockReserved {
            sku: 3,
            order: 1,
            qty: 11,
        }]);
        assert_eq!(f, broke("sku 3: available -1 < 0"));
    }

    #[test]
    fn a_release_of_what_was_never_reserved_breaks_it() {
        let f = run(&[StockReleased {
            sku: 3,
            order: 1,
            qty: 2,
        }]);
        assert_eq!(
            f,
            broke("sku 3: reserved for order 1 is -2 < 0 (released more than was reserved)")
        );
    }

    #[test]
    fn a_double_release_breaks_it() {
        let f = run(&[
            StockReserved {
                sku: 3,
                order: 1,
                qty: 2,
            },
            StockReleased {
                sku: 3,
                order: 1,
                qty: 2,
            },
            StockReleased {
                sku: 3,
                order: 1,
                qty: 2,
            },
        ]);
        assert_eq!(
            f,
            broke("sku 3: reserved for order 1 is -2 < 0 (released more than was reserved)")
        );
    }

    #[test]
    fn selling_more_than_was_reserved_breaks_it() {
        let f = run(&[
            StockReserved {
                sku: 3,
                order: 1,
                qty: 2,
            },
            StockSold {
                sku: 3,
                order: 1,
                qty: 3,
            },
        ]);
        assert_eq!(
            f,
            broke("sku 3: reserved for order 1 is -1 < 0 (released more than was reserved)")
        );
    }

    #[test]
    fn a_sale_moves_units_out_of_the_reservation_for_good() {
        // Sold units are gone: a later reservation of all 10 oversells.
        let f = run(&[
            StockReserved {
                sku: 3,
                order: 1,
                qty: 2,
            },
            StockSold {
                sku: 3,
                order: 1,
                qty: 2,
            },
            StockReserved {
                sku: 3,
                order: 2,
                qty: 10,
            },
        ]);
        assert_eq!(f, broke("sku 3: available -2 < 0"));
    }

    #[test]
    fn an_oversold_take_breaks_it() {
        let f = run(&[StockTaken {
            sku: 3,
            order: 1,
            qty: 11,
        }]);
        assert_eq!(f, broke("sku 3: available -1 < 0"));
    }

    #[test]
    fn returning_what_was_never_taken_breaks_it() {
        let f = run(&[StockReturned {
            sku: 3,
            order: 1,
            qty: 1,
        }]);
        // available 11 + sold −1 = 10: the sum holds; the negative bucket does not.
        assert_eq!(f, broke("sku 3: sold -1 < 0"));
    }

    #[test]
    fn a_return_puts_units_back_on_the_shelf() {
        let f = run(&[
            StockTaken {
                sku: 3,
                order: 1,
                qty: 10,
            },
            StockReturned {
                sku: 3,
                order: 1,
                qty: 10,
            },
            StockTaken {
                sku: 3,
                order: 2,
                qty: 10,
            },
        ]);
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn an_unknown_sku_starts_at_zero() {
        let f = crate::testkit::run(
            &mut StockConserved::new(&BTreeMap::new()),
            &[StockTaken {
                sku: 9,
                order: 1,
                qty: 1,
            }],
        );
        assert_eq!(f, vec![(Entity::Sku(9), "sku 9: available -1 < 0".into())]);
    }

    fn snap(available: i64, reserved: i64, sold: i64) -> Snapshot {
        let mut s = Snapshot {
            initial_stock: BTreeMap::from([(3, 10)]),
            ..Snapshot::default()
        };
        s.stock.insert(
            3,
            StockRow {
                available,
                reserved: BTreeMap::from([(1, reserved)]),
                sold,
                ..StockRow::default()
            },
        );
        s
    }

    #[test]
    fn each_way_the_snapshot_breaks_it() {
        assert!(check_snapshot(&snap(5, 2, 3)).is_empty());
        // A lost release: the reservation row was deleted but the units never went back.
        assert_eq!(
            check_snapshot(&snap(4, 0, 5)),
            broke("sku 3: available 4 + reserved 0 + sold 5 = 9 ≠ initial 10")
        );
        assert_eq!(
            check_snapshot(&snap(-1, 0, 11)),
            broke("sku 3: available -1 < 0")
        );
        assert_eq!(
            check_snapshot(&snap(12, -2, 0)),
            broke("sku 3: reserved for order 1 is -2 < 0 (released more than was reserved)")
        );
        assert_eq!(
            check_snapshot(&snap(11, 0, -1)),
            broke("sku 3: sold -1 < 0")
        );
    }

    #[test]
    fn a_sku_missing_from_the_store_is_judged_too() {
        let s = Snapshot {
            initial_stock: BTreeMap::from([(3, 10)]),
            ..Snapshot::default()
        };
        assert_eq!(
            check_snapshot(&s),
            broke("sku 3: available 0 + reserved 0 + sold 0 = 0 ≠ initial 10")
        );
    }
}
