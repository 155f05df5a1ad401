//! client-truth: what a client was told about order o (confirmed / cancelled) equals the final
//! ledger of the order it asked for: status(o) agrees, and o's record has the same user,
//! lines, points and amount as that client's request for o (not merely the same id). A told
//! outcome for an order the ledger does not hold, or that the client never asked for, breaks
//! it too.

use super::Finding;
use crate::event::{Asked, OrderStatus, Told};
use crate::snapshot::{OrderRecord, Snapshot};
use crate::violation::Entity;

/// Check the snapshot.
pub fn check(s: &Snapshot) -> Vec<Finding> {
    let mut found = Vec::new();
    for (c, o, told) in &s.told {
        let entity = Entity::Client(*c, *o);
        let head = format!("client {c} was told order {o} is {told:?}");
        let Some(record) = s.orders.get(o) else {
            found.push((entity, format!("{head}; the ledger has no order {o}")));
            continue;
        };
        let agrees = matches!(
            (told, record.status),
            (Told::Confirmed, OrderStatus::Confirmed) | (Told::Cancelled, OrderStatus::Cancelled)
        );
        if !agrees {
            found.push((
                entity.clone(),
                format!("{head}; the ledger says {:?}", record.status),
            ));
        }
        let mut asks = s
            .asked
            .iter()
            .filter(|(ac, _, ao, _)| ac == c && ao == o)
            .peekable();
        if asks.peek().is_none() {
            found.push((entity, format!("{head}, an order it never asked for")));
            continue;
        }
        for (_, seq, _, ask) in asks {
            let diff = differences(record, ask);
            if !diff.is_empty() {
                found.push((
                    entity.clone(),
                    format!(
                        "{head}, but order {o} in the ledger is not what it asked for (#{seq}): {}",
                        diff.join(", ")
                    ),
                ));
            }
        }
    }
    found
}

/// How the ledger's record differs from the request (lines compared as multisets).
fn differences(r: &OrderRecord, a: &Asked) -> Vec<String> {
    let mut diff = Vec::new();
    if r.user != a.user {
        diff.push(format!("user {} ≠ asked {}", r.user, a.user));
    }
    let (mut rl, mut al) = (r.lines.clone(), a.lines.clone());
    rl.sort_unstable();
    al.sort_unstable();
    if rl != al {
        diff.push(format!("lines {:?} ≠ asked {:?}", r.lines, a.lines));
    }
    if r.points != a.points {
        diff.push(format!("points {} ≠ asked {}", r.points, a.points));
    }
    if r.amount != a.amount {
        diff.push(format!("amount {} ≠ asked {}", r.amount, a.amount));
    }
    diff
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{asked, good_snapshot};

    fn one(s: &Snapshot) -> String {
        let f = check(s);
        assert_eq!(f.len(), 1, "{f:?}");
        f[0].1.clone()
    }

    #[test]
    fn the_truth_is_fine() {
        assert!(check(&good_snapshot()).is_empty());
    }

    #[test]
    fn lines_in_another_order_are_the_same_lines() {
        let mut s = good_snapshot();
        s.orders.get_mut(&1).unwrap().lines = vec![(4, 1), (3, 2)];
        s.asked[0].3.lines = vec![(3, 2), (4, 1)];
        assert!(check(&s).is_empty());
    }

    #[test]
    fn a_wrong_status_breaks_it() {
        let mut s = good_snapshot();
        s.told.push((1, 2, Told::Confirmed));
        assert_eq!(
            check(&s),
            vec![(
                Entity::Client(1, 2),
                "client 1 was told order 2 is Confirmed; the ledger says Cancelled".to_string()
            )]
        );
        let mut s = good_snapshot();
        s.orders.get_mut(&1).unwrap().status = OrderStatus::Pending;
        assert_eq!(
            one(&s),
            "client 0 was told order 1 is Confirmed; the ledger says Pending"
        );
    }

    #[test]
    fn each_field_of_the_request_counts() {
        type Change = fn(&mut Asked);
        let cases: [(Change, &str); 4] = [
            (|a| a.user = 7, "user 2 ≠ asked 7"),
            (
                |a| a.lines = vec![(3, 1)],
                "lines [(3, 2)] ≠ asked [(3, 1)]",
            ),
            (|a| a.points = 6, "points 5 ≠ asked 6"),
            (|a| a.amount = 41, "amount 40 ≠ asked 41"),
        ];
        for (change, diff) in cases {
            let mut s = good_snapshot();
            change(&mut s.asked[0].3);
            assert_eq!(
                one(&s),
                format!("client 0 was told order 1 is Confirmed, but order 1 in the ledger is not what it asked for (#0): {diff}")
            );
        }
    }

    #[test]
    fn two_clients_handed_the_same_id_break_it() {
        // Clients 0 and 3 were both handed id 1 and asked different things; both were told
        // "confirmed"; the ledger holds client 0's order.
        let mut s = good_snapshot();
        s.asked.push((3, 0, 1, asked(2, &[(3, 1)], 0, 15)));
        s.told.push((3, 1, Told::Confirmed));
        assert_eq!(
            check(&s),
            vec![(
                Entity::Client(3, 1),
                "client 3 was told order 1 is Confirmed, but order 1 in the ledger is not what it asked for (#0): lines [(3, 2)] ≠ asked [(3, 1)], points 5 ≠ asked 0, amount 40 ≠ asked 15".to_string()
            )]
        );
    }

    #[test]
    fn an_answer_about_an_unknown_or_unasked_order_breaks_it() {
        let mut s = good_snapshot();
        s.told.push((0, 9, Told::Cancelled));
        assert_eq!(
            one(&s),
            "client 0 was told order 9 is Cancelled; the ledger has no order 9"
        );
        let mut s = good_snapshot();
        s.told.push((0, 2, Told::Cancelled));
        assert_eq!(
            one(&s),
            "client 0 was told order 2 is Cancelled, an order it never asked for"
        );
    }
}
