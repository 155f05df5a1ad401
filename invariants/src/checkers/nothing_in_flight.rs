//! nothing-in-flight: at quiescence, no prepared XA branch, no stock reservation, no held
//! points, no open card authorization, no undelivered outbox row.

use super::Finding;
use crate::snapshot::Snapshot;
use crate::violation::Entity;

/// Check the snapshot.
pub fn check(s: &Snapshot) -> Vec<Finding> {
    let mut found = Vec::new();
    for (o, p) in &s.prepared_branches {
        found.push((
            Entity::Order(*o),
            format!("order {o}: XA branch at {p} still prepared"),
        ));
    }
    for (sku, row) in &s.stock {
        for (o, q) in row.reserved.iter().filter(|(_, q)| **q != 0) {
            found.push((
                Entity::Sku(*sku),
                format!("sku {sku}: {q} still reserved for order {o}"),
            ));
        }
    }
    for (user, row) in &s.points {
        for (o, q) in row.held.iter().filter(|(_, q)| **q != 0) {
            found.push((
                Entity::User(*user),
                format!("user {user}: {q} points still held for order {o}"),
            ));
        }
    }
    for c in s.charges.iter().filter(|c| c.open_authorization) {
        found.push((
            Entity::Charge(c.charge),
            format!(
                "charge {} of order {}: authorization of {} neither captured nor voided",
                c.charge, c.order, c.amount
            ),
        ));
    }
    for (svc, seq) in &s.undelivered_outbox {
        found.push((
            Entity::Outbox(svc.clone(), *seq),
            format!("outbox {svc} #{seq} never delivered"),
        ));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::{ChargeRecord, PointsRow, StockRow};
    use std::collections::BTreeMap;

    #[test]
    fn an_empty_snapshot_is_fine_and_each_leftover_breaks_it() {
        let mut s = Snapshot::default();
        s.stock.insert(
            1,
            StockRow {
                available: 3,
                ..StockRow::default()
            },
        );
        assert!(check(&s).is_empty());
        s.prepared_branches.push((4, "stock".into()));
        s.stock.get_mut(&1).unwrap().reserved = BTreeMap::from([(4, 2)]);
        s.points.insert(
            2,
            PointsRow {
                held: BTreeMap::from([(4, 7)]),
                ..PointsRow::default()
            },
        );
        s.charges.push(ChargeRecord {
            charge: 9,
            order: 4,
            key: "k".into(),
            amount: 30,
            open_authorization: true,
            captured: 0,
            voided: false,
            refunded: 0,
        });
        s.undelivered_outbox.push(("order".into(), 3));
        let details: Vec<String> = check(&s).into_iter().map(|(_, d)| d).collect();
        assert_eq!(
            details,
            vec![
                "order 4: XA branch at stock still prepared",
                "sku 1: 2 still reserved for order 4",
                "user 2: 7 points still held for order 4",
                "charge 9 of order 4: authorization of 30 neither captured nor voided",
                "outbox order #3 never delivered",
            ]
        );
    }
}
