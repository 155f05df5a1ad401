//! client-truth: at quiescence, what a client was told about o (confirmed / cancelled) equals
//! status(o).

use super::Finding;
use crate::event::{OrderStatus, Told};
use crate::snapshot::Snapshot;
use crate::violation::Entity;

/// Check the snapshot.
pub fn check(s: &Snapshot) -> Vec<Finding> {
    s.told
        .iter()
        .filter_map(|(c, o, told)| {
            let status = s.orders.get(o).map(|r| r.status);
            let agrees = matches!(
                (told, status),
                (Told::Confirmed, Some(OrderStatus::Confirmed))
                    | (Told::Cancelled, Some(OrderStatus::Cancelled))
            );
            (!agrees).then(|| {
                (
                    Entity::Client(*c, *o),
                    format!(
                        "client {c} was told order {o} is {told:?}; the ledger says {status:?}"
                    ),
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::OrderRecord;

    #[test]
    fn the_truth_is_fine_and_a_lie_breaks_it() {
        let mut s = Snapshot::default();
        s.orders.insert(
            1,
            OrderRecord {
                user: 0,
                lines: vec![],
                points: 0,
                amount: 1,
                status: OrderStatus::Cancelled,
            },
        );
        s.told.push((0, 1, Told::Cancelled));
        assert!(check(&s).is_empty());
        s.told.push((2, 1, Told::Confirmed));
        assert_eq!(
            check(&s),
            vec![(
                Entity::Client(2, 1),
                "client 2 was told order 1 is Confirmed; the ledger says Some(Cancelled)"
                    .to_string()
            )]
        );
    }
}
