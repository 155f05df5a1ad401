//! refusal-truthful: every refusal names its reason with its numbers, and they are true of the
//! ledger at that instant. "short" of a sku only when the `available` it names is the sku's
//! availability in the ledger and `wanted > available`; "points short" likewise against the
//! user's balance; "declined" only for an order created with a declining card. Availability
//! and balances are tracked from the stock and points events with the same arithmetic as
//! stock-conserved and points-conserved. Checked at every refusal.

use std::collections::BTreeMap;

use super::conservation::Tally;
use super::points_conserved::points_move;
use super::stock_conserved::stock_move;
use super::{Finding, SafetyChecker};
use crate::event::{LedgerEvent, Refusal};
use crate::ids::{OrderId, Sku, UserId};
use crate::invariant::Invariant;
use crate::violation::Entity;

/// The incremental checker.
#[derive(Clone, Debug)]
pub struct RefusalTruthful {
    stock: BTreeMap<Sku, Tally>,
    points: BTreeMap<UserId, Tally>,
    /// Every order created, with whether its card declines.
    declining: BTreeMap<OrderId, bool>,
}

fn tallies<K: Ord + Copy>(initial: &BTreeMap<K, i64>) -> BTreeMap<K, Tally> {
    initial
        .iter()
        .map(|(k, n)| {
            (
                *k,
                Tally {
                    free: *n,
                    ..Tally::default()
                },
            )
        })
        .collect()
}

impl RefusalTruthful {
    /// Start from the initial stock and balances.
    pub fn new(initial_stock: &BTreeMap<Sku, i64>, initial_points: &BTreeMap<UserId, i64>) -> Self {
        RefusalTruthful {
            stock: tallies(initial_stock),
            points: tallies(initial_points),
            declining: BTreeMap::new(),
        }
    }

    fn judge(&self, order: OrderId, participant: &str, r: &Refusal) -> Option<String> {
        let at = format!("order {order}: {participant} refused");
        match *r {
            Refusal::Short {
                sku,
                wanted,
                available,
            } => {
                let truth = self.stock.get(&sku).map_or(0, |t| t.free);
                if available != truth {
                    Some(format!(
                        "{at} as short of sku {sku} with available {available}, but the ledger has {truth} available"
                    ))
                } else if wanted <= available {
                    Some(format!(
                        "{at} as short of sku {sku}, but wanted {wanted} ≤ available {available}"
                    ))
                } else {
                    None
                }
            }
            Refusal::PointsShort {
                user,
                wanted,
                balance,
            } => {
                let truth = self.points.get(&user).map_or(0, |t| t.free);
                if balance != truth {
                    Some(format!(
                        "{at} as short of points of user {user} with balance {balance}, but the ledger has balance {truth}"
                    ))
                } else if wanted <= balance {
                    Some(format!(
                        "{at} as short of points of user {user}, but wanted {wanted} ≤ balance {balance}"
                    ))
                } else {
                    None
                }
            }
            Refusal::Declined => match self.declining.get(&order) {
                Some(true) => None,
                Some(false) => Some(format!(
                    "{at} as declined, but the order's card does not decline"
                )),
                None => Some(format!("{at} as declined, but the order was never created")),
            },
        }
    }
}

impl SafetyChecker for RefusalTruthful {
    fn invariant(&self) -> Invariant {
        Invariant::RefusalTruthful
    }

    fn apply(&mut self, event: &LedgerEvent, found: &mut Vec<Finding>) {
        if let Some((sku, order, m)) = stock_move(event) {
            self.stock.entry(sku).or_default().apply(order, m);
        } else if let Some((user, order, m)) = points_move(event) {
            self.points.entry(user).or_default().apply(order, m);
        } else if let LedgerEvent::OrderCreated {
            order,
            declining_card,
            ..
        } = event
        {
            self.declining.insert(*order, *declining_card);
        } else if let LedgerEvent::Refused {
            order,
            participant,
            refusal,
        } = event
        {
            found.extend(
                self.judge(*order, participant, refusal)
                    .map(|d| (Entity::Order(*order), d)),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{created, details, refused};
    use LedgerEvent::*;

    /// Sku 3 starts with 10, user 1 with 50.
    fn run(events: &[LedgerEvent]) -> Vec<String> {
        let mut c = RefusalTruthful::new(&BTreeMap::from([(3, 10)]), &BTreeMap::from([(1, 50)]));
        details(&crate::testkit::run(&mut c, events))
    }

    fn short(wanted: i64, available: i64) -> LedgerEvent {
        refused(
            5,
            Refusal::Short {
                sku: 3,
                wanted,
                available,
            },
        )
    }

    fn points_short(wanted: i64, balance: i64) -> LedgerEvent {
        refused(
            5,
            Refusal::PointsShort {
                user: 1,
                wanted,
                balance,
            },
        )
    }

    fn stock(kind: fn(Sku, OrderId, i64) -> LedgerEvent, qty: i64) -> LedgerEvent {
        kind(3, 1, qty)
    }

    fn reserved(sku: Sku, order: OrderId, qty: i64) -> LedgerEvent {
        StockReserved { sku, order, qty }
    }
    fn released(sku: Sku, order: OrderId, qty: i64) -> LedgerEvent {
        StockReleased { sku, order, qty }
    }
    fn sold(sku: Sku, order: OrderId, qty: i64) -> LedgerEvent {
        StockSold { sku, order, qty }
    }
    fn taken(sku: Sku, order: OrderId, qty: i64) -> LedgerEvent {
        StockTaken { sku, order, qty }
    }
    fn returned(sku: Sku, order: OrderId, qty: i64) -> LedgerEvent {
        StockReturned { sku, order, qty }
    }

    fn points(kind: fn(UserId, OrderId, i64) -> LedgerEvent, n: i64) -> LedgerEvent {
        kind(1, 1, n)
    }

    fn held(user: UserId, order: OrderId, points: i64) -> LedgerEvent {
        PointsHeld {
            user,
            order,
            points,
        }
    }
    fn p_released(user: UserId, order: OrderId, points: i64) -> LedgerEvent {
        PointsReleased {
            user,
            order,
            points,
        }
    }
    fn spent(user: UserId, order: OrderId, points: i64) -> LedgerEvent {
        PointsSpent {
            user,
            order,
            points,
        }
    }
    fn p_taken(user: UserId, order: OrderId, points: i64) -> LedgerEvent {
        PointsTaken {
            user,
            order,
            points,
        }
    }
    fn refunded(user: UserId, order: OrderId, points: i64) -> LedgerEvent {
        PointsRefunded {
            user,
            order,
            points,
        }
    }

    #[test]
    fn a_true_shortage_is_fine() {
        assert!(run(&[short(11, 10)]).is_empty());
        assert!(run(&[stock(reserved, 4), short(7, 6)]).is_empty());
    }

    #[test]
    fn a_shortage_with_enough_available_breaks_it() {
        assert_eq!(
            run(&[short(10, 10)]),
            vec!["order 5: p refused as short of sku 3, but wanted 10 ≤ available 10"]
        );
    }

    #[test]
    fn a_shortage_with_false_numbers_breaks_it() {
        assert_eq!(
            run(&[short(11, 9)]),
            vec!["order 5: p refused as short of sku 3 with available 9, but the ledger has 10 available"]
        );
        // An unknown sku has nothing available.
        let f = run(&[refused(
            5,
            Refusal::Short {
                sku: 4,
                wanted: 1,
                available: 0,
            },
        )]);
        assert!(f.is_empty(), "{f:?}");
    }

    /// Availability follows every stock arm: the true number passes, the number the ledger
    /// would have without that move fails.
    #[test]
    fn availability_follows_every_stock_event() {
        let cases: [(&[LedgerEvent], i64); 5] = [
            (&[stock(reserved, 4)], 6),
            (&[stock(reserved, 4), stock(released, 3)], 9),
            // A sale leaves availability alone: reserved → sold.
            (&[stock(reserved, 4), stock(sold, 4), stock(released, 0)], 6),
            (&[stock(taken, 2)], 8),
            (&[stock(taken, 2), stock(returned, 2)], 10),
        ];
        for (moves, truth) in cases {
            let mut ok = moves.to_vec();
            ok.push(short(truth + 1, truth));
            assert!(run(&ok).is_empty(), "{moves:?} → {truth}");
        }
        // A sale after a reservation does not give the units back.
        assert_eq!(
            run(&[stock(reserved, 4), stock(sold, 4), short(11, 10)]),
            vec!["order 5: p refused as short of sku 3 with available 10, but the ledger has 6 available"]
        );
    }

    #[test]
    fn a_true_points_shortage_is_fine() {
        assert!(run(&[points_short(51, 50)]).is_empty());
        assert!(run(&[points(held, 20), points_short(31, 30)]).is_empty());
    }

    #[test]
    fn a_points_shortage_with_enough_balance_breaks_it() {
        assert_eq!(
            run(&[points_short(50, 50)]),
            vec!["order 5: p refused as short of points of user 1, but wanted 50 ≤ balance 50"]
        );
    }

    #[test]
    fn a_points_shortage_with_a_false_balance_breaks_it() {
        assert_eq!(
            run(&[points(held, 20), points_short(51, 50)]),
            vec!["order 5: p refused as short of points of user 1 with balance 50, but the ledger has balance 30"]
        );
    }

    #[test]
    fn the_balance_follows_every_points_event() {
        let cases: [(&[LedgerEvent], i64); 5] = [
            (&[points(held, 20)], 30),
            (&[points(held, 20), points(p_released, 15)], 45),
            (&[points(held, 20), points(spent, 20)], 30),
            (&[points(p_taken, 5)], 45),
            (&[points(p_taken, 5), points(refunded, 5)], 50),
        ];
        for (moves, truth) in cases {
            let mut ok = moves.to_vec();
            ok.push(points_short(truth + 1, truth));
            assert!(run(&ok).is_empty(), "{moves:?} → {truth}");
            let mut lie = moves.to_vec();
            lie.push(points_short(truth + 2, truth + 1));
            assert_eq!(run(&lie).len(), 1, "{moves:?} → not {}", truth + 1);
        }
    }

    #[test]
    fn the_availability_lie_is_caught_for_every_stock_event() {
        let cases: [(&[LedgerEvent], i64); 5] = [
            (&[stock(reserved, 4)], 6),
            (&[stock(reserved, 4), stock(released, 3)], 9),
            (&[stock(reserved, 4), stock(sold, 4), stock(released, 0)], 6),
            (&[stock(taken, 2)], 8),
            (&[stock(taken, 2), stock(returned, 2)], 10),
        ];
        for (moves, truth) in cases {
            let mut lie = moves.to_vec();
            lie.push(short(truth + 2, truth + 1));
            assert_eq!(run(&lie).len(), 1, "{moves:?} → not {}", truth + 1);
        }
    }

    #[test]
    fn a_decline_of_a_declining_card_is_fine() {
        assert!(run(&[created(5, 40, true), refused(5, Refusal::Declined)]).is_empty());
    }

    #[test]
    fn a_decline_of_a_good_card_or_of_no_order_breaks_it() {
        assert_eq!(
            run(&[created(5, 40, false), refused(5, Refusal::Declined)]),
            vec!["order 5: p refused as declined, but the order's card does not decline"]
        );
        assert_eq!(
            run(&[created(6, 40, true), refused(5, Refusal::Declined)]),
            vec!["order 5: p refused as declined, but the order was never created"]
        );
    }

    #[test]
    fn it_reports_the_order() {
        let mut c = RefusalTruthful::new(&BTreeMap::new(), &BTreeMap::new());
        let f = crate::testkit::run(&mut c, &[refused(5, Refusal::Declined)]);
        assert_eq!(f[0].0, Entity::Order(5));
    }
}
