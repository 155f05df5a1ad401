//! no-unmatched-charge: at quiescence, for every order o, net(o) > 0 ⇒ status(o) = Confirmed.
//! net comes from the gateway's ledger (the truth), not from the order service's belief.

use std::collections::BTreeSet;

use super::Finding;
use crate::event::OrderStatus;
use crate::snapshot::Snapshot;
use crate::violation::Entity;

/// Check the snapshot.
pub fn check(s: &Snapshot) -> Vec<Finding> {
    let orders: BTreeSet<u64> = s.charges.iter().map(|c| c.order).collect();
    orders
        .into_iter()
        .filter_map(|o| {
            let net = s.net(o);
            let status = s.orders.get(&o).map(|r| r.status);
            (net > 0 && status != Some(OrderStatus::Confirmed)).then(|| {
                let st = status.map_or("unknown to the order service".to_string(), |x| {
                    format!("{x:?}")
                });
                (
                    Entity::Order(o),
                    format!("order {o}: customer charged net {net} but the order is {st}"),
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{ChargeRecord, OrderRecord};

    fn snap(status: OrderStatus, captured: i64, refunded: i64) -> Snapshot {
        let mut s = Snapshot::default();
        s.orders.insert(
            1,
            OrderRecord {
                user: 0,
                lines: vec![],
                points: 0,
                amount: 40,
                status,
            },
        );
        s.charges.push(ChargeRecord {
            charge: 5,
            order: 1,
            key: "k".into(),
            amount: 40,
            open_authorization: false,
            captured,
            voided: false,
            refunded,
        });
        s
    }

    #[test]
    fn a_charge_of_a_confirmed_or_refunded_order_is_fine() {
        assert!(check(&snap(OrderStatus::Confirmed, 40, 0)).is_empty());
        assert!(check(&snap(OrderStatus::Cancelled, 40, 40)).is_empty());
    }

    #[test]
    fn a_charge_of_a_cancelled_or_unknown_order_breaks_it() {
        assert_eq!(
            check(&snap(OrderStatus::Cancelled, 40, 0)),
            vec![(
                Entity::Order(1),
                "order 1: customer charged net 40 but the order is Cancelled".to_string()
            )]
        );
        let mut s = snap(OrderStatus::Pending, 40, 0);
        s.orders.clear();
        assert_eq!(
            check(&s)[0].1,
            "order 1: customer charged net 40 but the order is unknown to the order service"
        );
    }
}
