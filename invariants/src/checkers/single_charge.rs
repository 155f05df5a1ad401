//! single-charge: for every order o, net(o) = Σ captured − Σ refunded over o's charges is 0 or
//! amount(o); at most one captured, unrefunded charge per order; a refund never exceeds what
//! its charge captured. Checked at every charge event for the order it touches.

use std::collections::BTreeMap;

use super::{Finding, SafetyChecker};
use crate::event::LedgerEvent;
use crate::ids::{ChargeId, OrderId};
use crate::invariant::Invariant;
use crate::violation::Entity;

#[derive(Default, Clone, Debug)]
struct Money {
    captured: i64,
    refunded: i64,
}

/// The incremental checker.
#[derive(Default, Clone, Debug)]
pub struct SingleCharge {
    amount: BTreeMap<OrderId, i64>,
    charges: BTreeMap<ChargeId, (OrderId, Money)>,
    by_order: BTreeMap<OrderId, Vec<ChargeId>>,
}

impl SafetyChecker for SingleCharge {
    fn invariant(&self) -> Invariant {
        Invariant::SingleCharge
    }

    fn apply(&mut self, event: &LedgerEvent, found: &mut Vec<Finding>) {
        let (charge, order) = match *event {
            LedgerEvent::OrderCreated { order, amount, .. } => {
                self.amount.insert(order, amount);
                return;
            }
            LedgerEvent::ChargeCaptured {
                charge,
                order,
                amount,
                ..
            } => {
                self.entry(charge, order).captured += amount;
                (charge, order)
            }
            LedgerEvent::ChargeRefunded {
                charge,
                order,
                amount,
            } => {
                self.entry(charge, order).refunded += amount;
                (charge, order)
            }
            _ => return,
        };
        let m = &self.charges[&charge].1;
        if m.refunded > m.captured {
            found.push((
                Entity::Charge(charge),
                format!(
                    "charge {charge} of order {order}: refunded {} > captured {}",
                    m.refunded, m.captured
                ),
            ));
            return;
        }
        let ids = &self.by_order[&order];
        let alive: Vec<ChargeId> = ids
            .iter()
            .filter(|c| {
                let m = &self.charges[c].1;
                m.captured > m.refunded
            })
            .copied()
            .collect();
        let net: i64 = ids
            .iter()
            .map(|c| self.charges[c].1.captured - self.charges[c].1.refunded)
            .sum();
        if alive.len() > 1 {
            found.push((
                Entity::Order(order),
                format!(
                    "order {order}: {} captured charges alive {alive:?}, net {net}",
                    alive.len()
                ),
            ));
        } else if let Some(&amount) = self.amount.get(&order) {
            if net != 0 && net != amount {
                found.push((
                    Entity::Order(order),
                    format!("order {order}: net {net} ∉ {{0, amount {amount}}}"),
                ));
            }
        }
    }
}

impl SingleCharge {
    fn entry(&mut self, charge: ChargeId, order: OrderId) -> &mut Money {
        let ids = self.by_order.entry(order).or_default();
        if !ids.contains(&charge) {
            ids.push(charge);
        }
        &mut self
            .charges
            .entry(charge)
            .or_insert((order, Money::default()))
            .1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::created;

    /// Order 1 of amount 40, then `events`.
    fn run(events: &[LedgerEvent]) -> Vec<Finding> {
        let mut all = vec![created(1, 40, false)];
        all.extend_from_slice(events);
        crate::testkit::run(&mut SingleCharge::default(), &all)
    }

    fn capture(charge: ChargeId, amount: i64) -> LedgerEvent {
        LedgerEvent::ChargeCaptured {
            charge,
            order: 1,
            key: format!("k{charge}"),
            amount,
        }
    }

    fn refund(charge: ChargeId, amount: i64) -> LedgerEvent {
        LedgerEvent::ChargeRefunded {
            charge,
            order: 1,
            amount,
        }
    }

    #[test]
    fn charge_then_full_refund_then_charge_again_is_fine() {
        let f = run(&[capture(1, 40), refund(1, 40), capture(2, 40)]);
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn authorizations_and_voids_move_no_money() {
        let f = run(&[
            LedgerEvent::ChargeAuthorized {
                charge: 1,
                order: 1,
                key: "a".into(),
                amount: 40,
            },
            LedgerEvent::ChargeVoided {
                charge: 1,
                order: 1,
            },
            capture(2, 40),
        ]);
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn two_captures_for_one_order_break_it() {
        let f = run(&[capture(1, 40), capture(2, 40)]);
        assert_eq!(
            f,
            vec![(
                Entity::Order(1),
                "order 1: 2 captured charges alive [1, 2], net 80".to_string()
            )]
        );
    }

    #[test]
    fn a_capture_of_the_wrong_amount_breaks_it() {
        let f = run(&[capture(1, 30)]);
        assert_eq!(
            f,
            vec![(
                Entity::Order(1),
                "order 1: net 30 ∉ {0, amount 40}".to_string()
            )]
        );
    }

    #[test]
    fn the_amount_is_the_one_the_order_was_created_with() {
        let f = crate::testkit::run(
            &mut SingleCharge::default(),
            &[created(1, 30, false), capture(1, 30)],
        );
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn a_partial_refund_breaks_it() {
        let f = run(&[capture(1, 40), refund(1, 10)]);
        assert_eq!(
            f,
            vec![(
                Entity::Order(1),
                "order 1: net 30 ∉ {0, amount 40}".to_string()
            )]
        );
    }

    #[test]
    fn a_refund_of_a_charge_that_never_captured_breaks_it() {
        let f = run(&[refund(9, 40)]);
        assert_eq!(
            f,
            vec![(
                Entity::Charge(9),
                "charge 9 of order 1: refunded 40 > captured 0".to_string()
            )]
        );
    }

    #[test]
    fn refunding_a_charge_twice_breaks_it() {
        let f = run(&[capture(1, 40), refund(1, 40), refund(1, 40)]);
        assert_eq!(
            f,
            vec![(
                Entity::Charge(1),
                "charge 1 of order 1: refunded 80 > captured 40".to_string()
            )]
        );
    }
}
