//! confirmed-settled: at quiescence, Confirmed o ⇒ net(o) = amount(o), every line of o sold for
//! o, points(o) spent for o.

use super::Finding;
use crate::event::OrderStatus;
use crate::snapshot::Snapshot;
use crate::violation::Entity;

/// Check the snapshot.
pub fn check(s: &Snapshot) -> Vec<Finding> {
    let mut found = Vec::new();
    for (o, r) in s
        .orders
        .iter()
        .filter(|(_, r)| r.status == OrderStatus::Confirmed)
    {
        let mut gaps = Vec::new();
        let net = s.net(*o);
        if net != r.amount {
            gaps.push(format!("net {net} ≠ amount {}", r.amount));
        }
        for (sku, qty) in &r.lines {
            let sold = s
                .stock
                .get(sku)
                .and_then(|row| row.sold_by_order.get(o))
                .copied()
                .unwrap_or(0);
            if sold != i64::from(*qty) {
                gaps.push(format!("sku {sku} sold {sold} ≠ {qty}"));
            }
        }
        let spent = s
            .points
            .get(&r.user)
            .and_then(|row| row.spent_by_order.get(o))
            .copied()
            .unwrap_or(0);
        if spent != r.points {
            gaps.push(format!(
                "user {} spent {spent} ≠ {} points",
                r.user, r.points
            ));
        }
        if !gaps.is_empty() {
            found.push((
                Entity::Order(*o),
                format!("order {o} is Confirmed but {}", gaps.join(", ")),
            ));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{ChargeRecord, OrderRecord, PointsRow, StockRow};
    use std::collections::BTreeMap;

    fn settled() -> Snapshot {
        let mut s = Snapshot::default();
        s.orders.insert(
            1,
            OrderRecord {
                user: 2,
                lines: vec![(3, 2)],
                points: 5,
                amount: 40,
                status: OrderStatus::Confirmed,
            },
        );
        s.charges.push(ChargeRecord {
            charge: 1,
            order: 1,
            key: "k".into(),
            amount: 40,
            open_authorization: false,
            captured: 40,
            voided: false,
            refunded: 0,
        });
        s.stock.insert(
            3,
            StockRow {
                sold: 2,
                sold_by_order: BTreeMap::from([(1, 2)]),
                ..StockRow::default()
            },
        );
        s.points.insert(
            2,
            PointsRow {
                spent: 5,
                spent_by_order: BTreeMap::from([(1, 5)]),
                ..PointsRow::default()
            },
        );
        s
    }

    #[test]
    fn a_settled_order_is_fine() {
        assert!(check(&settled()).is_empty());
    }

    #[test]
    fn unpaid_unsold_or_unspent_breaks_it() {
        let mut s = settled();
        s.charges[0].refunded = 40;
        assert_eq!(check(&s)[0].1, "order 1 is Confirmed but net 0 ≠ amount 40");
        let mut s = settled();
        s.stock.get_mut(&3).unwrap().sold_by_order.clear();
        assert_eq!(check(&s)[0].1, "order 1 is Confirmed but sku 3 sold 0 ≠ 2");
        let mut s = settled();
        s.points.clear();
        assert_eq!(
            check(&s)[0].1,
            "order 1 is Confirmed but user 2 spent 0 ≠ 5 points"
        );
    }
}
