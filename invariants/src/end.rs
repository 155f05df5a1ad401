//! The end-of-run checks on the snapshot: every one runs on every run, quiescent or not —
//! conservation on the stores' rows, the quiescence invariants, and the liveness invariants
//! (a run that did not settle fails `settled`, and whatever it left in flight fails the
//! invariants that own it). Every finding is returned; nothing is deduplicated here.

use crate::checkers::{
    answered, cancelled_clean, client_truth, confirmed_settled, no_unmatched_charge,
    nothing_in_flight, points_conserved, settled, stock_conserved, terminated, Finding,
};
use crate::invariant::Invariant;
use crate::snapshot::Snapshot;
use crate::violation::Violation;

/// A check of the snapshot.
type EndCheck = fn(&Snapshot) -> Vec<Finding>;

/// Every end check, in report order: (invariant, checker).
const CHECKS: [(Invariant, EndCheck); 10] = [
    (Invariant::StockConserved, stock_conserved::check_snapshot),
    (Invariant::PointsConserved, points_conserved::check_snapshot),
    (Invariant::NoUnmatchedCharge, no_unmatched_charge::check),
    (Invariant::ConfirmedSettled, confirmed_settled::check),
    (Invariant::CancelledClean, cancelled_clean::check),
    (Invariant::NothingInFlight, nothing_in_flight::check),
    (Invariant::ClientTruth, client_truth::check),
    (Invariant::Terminated, terminated::check),
    (Invariant::Answered, answered::check),
    (Invariant::Settled, settled::check),
];

/// Check the snapshot of a run's stores at simulated `at_ms` (the end of the run). Every end
/// invariant is checked on every run.
pub fn check_end(snapshot: &Snapshot, at_ms: u64) -> Vec<Violation> {
    CHECKS
        .iter()
        .flat_map(|(invariant, check)| {
            check(snapshot)
                .into_iter()
                .map(move |(entity, detail)| Violation {
                    invariant: *invariant,
                    entity,
                    detail,
                    at_ms,
                    after_event: None,
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::event::OrderStatus;
    use crate::invariant::Phase;
    use crate::snapshot::ChargeRecord;
    use crate::testkit::good_snapshot;
    use crate::violation::Entity;

    fn fired(s: &Snapshot) -> BTreeSet<Invariant> {
        check_end(s, 5).into_iter().map(|v| v.invariant).collect()
    }

    /// `s` breaks exactly `inv`; returns its violations.
    fn only(s: &Snapshot, inv: Invariant) -> Vec<Violation> {
        let v = check_end(s, 5);
        assert_eq!(fired(s), BTreeSet::from([inv]), "{v:?}");
        assert!(v.iter().all(|v| v.at_ms == 5 && v.after_event.is_none()));
        v
    }

    #[test]
    fn a_good_run_breaks_nothing() {
        assert!(check_end(&good_snapshot(), 5).is_empty());
    }

    #[test]
    fn every_end_invariant_is_checked() {
        let checked: BTreeSet<Invariant> = CHECKS.iter().map(|(i, _)| *i).collect();
        let wanted: BTreeSet<Invariant> = Invariant::ALL
            .into_iter()
            .filter(|i| {
                i.phase() != Phase::Safety
                    || matches!(i, Invariant::StockConserved | Invariant::PointsConserved)
            })
            .collect();
        assert_eq!(checked, wanted);
    }

    #[test]
    fn stock_conserved_on_the_snapshot() {
        let mut s = good_snapshot();
        // One unit vanished from the shelf.
        s.stock.get_mut(&3).unwrap().available = 7;
        let v = only(&s, Invariant::StockConserved);
        assert_eq!(
            v[0].detail,
            "sku 3: available 7 + reserved 0 + sold 2 = 9 ≠ initial 10"
        );
    }

    #[test]
    fn points_conserved_on_the_snapshot() {
        let mut s = good_snapshot();
        s.points.get_mut(&2).unwrap().balance = 46;
        let v = only(&s, Invariant::PointsConserved);
        assert_eq!(
            v[0].detail,
            "user 2: balance 46 + held 0 + spent 5 = 51 ≠ initial 50"
        );
    }

    #[test]
    fn no_unmatched_charge_on_the_snapshot() {
        // The customer pays for an order the order service never heard of (a charge for a
        // cancelled order would break cancelled-clean too).
        let mut s = good_snapshot();
        s.charges.push(ChargeRecord {
            charge: 13,
            order: 9,
            key: "k13".into(),
            amount: 10,
            open_authorization: false,
            captured: 10,
            voided: false,
            refunded: 0,
        });
        let v = only(&s, Invariant::NoUnmatchedCharge);
        assert_eq!(
            v[0].detail,
            "order 9: customer charged net 10 but the order is unknown to the order service"
        );
    }

    #[test]
    fn confirmed_settled_on_the_snapshot() {
        // The money of the confirmed order was given back.
        let mut s = good_snapshot();
        s.charges[0].refunded = 40;
        let v = only(&s, Invariant::ConfirmedSettled);
        assert_eq!(v[0].detail, "order 1 is Confirmed but net 0 ≠ amount 40");
    }

    #[test]
    fn cancelled_clean_on_the_snapshot() {
        // The cancelled order's unit was sold (moved from available to sold for order 2).
        let mut s = good_snapshot();
        let row = s.stock.get_mut(&3).unwrap();
        row.available -= 1;
        row.sold += 1;
        row.sold_by_order.insert(2, 1);
        let v = only(&s, Invariant::CancelledClean);
        assert_eq!(v[0].detail, "order 2 is Cancelled but sku 3 sold 1");
    }

    #[test]
    fn nothing_in_flight_on_the_snapshot() {
        let mut s = good_snapshot();
        s.undelivered_outbox.push(("order".into(), 4));
        let v = only(&s, Invariant::NothingInFlight);
        assert_eq!(v[0].detail, "outbox order #4 never delivered");
        assert_eq!(v[0].entity, Entity::Outbox("order".into(), 4));
    }

    #[test]
    fn client_truth_on_the_snapshot() {
        // The ledger holds other content under the id the client was handed.
        let mut s = good_snapshot();
        s.asked[1].3.amount = 31;
        let v = only(&s, Invariant::ClientTruth);
        assert_eq!(
            v[0].detail,
            "client 1 was told order 2 is Cancelled, but order 2 in the ledger is not what it asked for (#0): amount 30 ≠ asked 31"
        );
    }

    #[test]
    fn terminated_on_the_snapshot() {
        // An order nobody asked for (no client waits on it) still Pending, holding nothing.
        let mut s = good_snapshot();
        let mut rec = s.orders[&2].clone();
        rec.status = OrderStatus::Pending;
        s.orders.insert(3, rec);
        let v = only(&s, Invariant::Terminated);
        assert_eq!(v[0].detail, "order 3 still Pending");
    }

    #[test]
    fn answered_on_the_snapshot() {
        let mut s = good_snapshot();
        s.id_requests.push((1, 1));
        let v = only(&s, Invariant::Answered);
        assert_eq!(v[0].detail, "client 1 never got an id for its order #1");
        let mut s = good_snapshot();
        s.told.pop();
        let v = only(&s, Invariant::Answered);
        assert_eq!(v[0].detail, "client 1 never heard how order 2 ended");
    }

    #[test]
    fn settled_on_the_snapshot() {
        let mut s = good_snapshot();
        s.busy = vec!["2 orders pending (3, 7)".into(), "1 timer".into()];
        s.after_quiescence = vec![(70, "a".into()), (80, "b".into())];
        let v = only(&s, Invariant::Settled);
        let details: Vec<&str> = v.iter().map(|v| v.detail.as_str()).collect();
        assert_eq!(
            details,
            vec![
                "not quiescent by the deadline: 2 orders pending (3, 7); 1 timer",
                "ledger event at 70ms, after quiescence: a",
                "ledger event at 80ms, after quiescence: b",
            ]
        );
    }

    #[test]
    fn the_quiescence_checks_run_on_a_run_that_did_not_settle() {
        let mut s = good_snapshot();
        s.busy.push("1 order pending (1)".into());
        s.orders.get_mut(&1).unwrap().status = OrderStatus::Pending;
        s.told.retain(|(c, _, _)| *c != 0);
        let f = fired(&s);
        for inv in [
            Invariant::NoUnmatchedCharge,
            Invariant::Terminated,
            Invariant::Answered,
            Invariant::Settled,
        ] {
            assert!(f.contains(&inv), "{inv}: {f:?}");
        }
    }
}
