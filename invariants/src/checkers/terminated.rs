//! terminated: at the deadline after heal, every order is Confirmed or Cancelled.

use super::Finding;
use crate::event::OrderStatus;
use crate::snapshot::Snapshot;
use crate::violation::Entity;

/// Check the snapshot.
pub fn check(s: &Snapshot) -> Vec<Finding> {
    s.orders
        .iter()
        .filter(|(_, r)| r.status == OrderStatus::Pending)
        .map(|(o, _)| (Entity::Order(*o), format!("order {o} still Pending")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::OrderRecord;

    #[test]
    fn a_pending_order_breaks_it() {
        let mut s = Snapshot::default();
        let rec = |status| OrderRecord {
            user: 0,
            lines: vec![],
            points: 0,
            amount: 1,
            status,
        };
        s.orders.insert(1, rec(OrderStatus::Confirmed));
        s.orders.insert(2, rec(OrderStatus::Cancelled));
        assert!(check(&s).is_empty());
        s.orders.insert(3, rec(OrderStatus::Pending));
        assert_eq!(
            check(&s),
            vec![(Entity::Order(3), "order 3 still Pending".to_string())]
        );
    }
}
