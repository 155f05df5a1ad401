//! cancelled-clean: at quiescence, Cancelled o ⇒ net(o) = 0, no stock reserved or sold for o,
//! no points held or spent for o.

use super::Finding;
use crate::event::OrderStatus;
use crate::snapshot::Snapshot;
use crate::violation::Entity;

/// Check the snapshot.
pub fn check(s: &Snapshot) -> Vec<Finding> {
    let mut found = Vec::new();
    for (o, _) in s
        .orders
        .iter()
        .filter(|(_, r)| r.status == OrderStatus::Cancelled)
    {
        let mut left = Vec::new();
        let net = s.net(*o);
        if net != 0 {
            left.push(format!("net {net} charged"));
        }
        for (sku, row) in &s.stock {
            let (r, sold) = (
                row.reserved.get(o).copied().unwrap_or(0),
                row.sold_by_order.get(o).copied().unwrap_or(0),
            );
            if r != 0 {
                left.push(format!("sku {sku} reserved {r}"));
            }
            if sold != 0 {
                left.push(format!("sku {sku} sold {sold}"));
            }
        }
        for (user, row) in &s.points {
            let (h, sp) = (
                row.held.get(o).copied().unwrap_or(0),
                row.spent_by_order.get(o).copied().unwrap_or(0),
            );
            if h != 0 {
                left.push(format!("user {user} points held {h}"));
            }
            if sp != 0 {
                left.push(format!("user {user} points spent {sp}"));
            }
        }
        if !left.is_empty() {
            found.push((
                Entity::Order(*o),
                format!("order {o} is Cancelled but {}", left.join(", ")),
            ));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{OrderRecord, PointsRow, StockRow};
    use std::collections::BTreeMap;

    fn cancelled() -> Snapshot {
        let mut s = Snapshot::default();
        s.orders.insert(
            1,
            OrderRecord {
                user: 2,
                lines: vec![(3, 2)],
                points: 5,
                amount: 40,
                status: OrderStatus::Cancelled,
            },
        );
        s.stock.insert(
            3,
            StockRow {
                available: 2,
                ..StockRow::default()
            },
        );
        s
    }

    #[test]
    fn a_clean_cancellation_is_fine() {
        assert!(check(&cancelled()).is_empty());
    }

    #[test]
    fn leftovers_break_it() {
        let mut s = cancelled();
        s.stock.get_mut(&3).unwrap().reserved = BTreeMap::from([(1, 2)]);
        assert_eq!(
            check(&s),
            vec![(
                Entity::Order(1),
                "order 1 is Cancelled but sku 3 reserved 2".to_string()
            )]
        );
        let mut s = cancelled();
        s.points.insert(
            2,
            PointsRow {
                spent: 5,
                spent_by_order: BTreeMap::from([(1, 5)]),
                ..PointsRow::default()
            },
        );
        assert_eq!(
            check(&s)[0].1,
            "order 1 is Cancelled but user 2 points spent 5"
        );
        let mut s = cancelled();
        s.stock.get_mut(&3).unwrap().sold_by_order = BTreeMap::from([(1, 1)]);
        assert_eq!(check(&s)[0].1, "order 1 is Cancelled but sku 3 sold 1");
        let mut s = cancelled();
        s.points.insert(
            2,
            PointsRow {
                held: BTreeMap::from([(1, 5)]),
                ..PointsRow::default()
            },
        );
        assert_eq!(
            check(&s)[0].1,
            "order 1 is Cancelled but user 2 points held 5"
        );
        let mut s = cancelled();
        s.charges.push(crate::snapshot::ChargeRecord {
            charge: 1,
            order: 1,
            key: "k".into(),
            amount: 40,
            open_authorization: false,
            captured: 40,
            voided: false,
            refunded: 0,
        });
        assert_eq!(check(&s)[0].1, "order 1 is Cancelled but net 40 charged");
        // Another order's leftovers are not this one's.
        let mut s = cancelled();
        s.stock.get_mut(&3).unwrap().reserved = BTreeMap::from([(2, 2)]);
        assert!(check(&s).is_empty());
    }
}
