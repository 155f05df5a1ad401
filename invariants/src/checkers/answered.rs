//! answered: at the deadline after heal, every client request has been answered, the request
//! for an order id included: every id request (client, seq) was handed an id (an `asked`
//! entry with the same client and seq), and every order a client submitted was told an
//! outcome (a `told` entry with the same client and order).

use std::collections::BTreeSet;

use super::Finding;
use crate::snapshot::Snapshot;
use crate::violation::Entity;

/// Check the snapshot.
pub fn check(s: &Snapshot) -> Vec<Finding> {
    let handed: BTreeSet<(u32, u32)> = s.asked.iter().map(|(c, seq, _, _)| (*c, *seq)).collect();
    let wanted: BTreeSet<(u32, u32)> = s.id_requests.iter().copied().collect();
    let no_id = wanted
        .into_iter()
        .filter(|k| !handed.contains(k))
        .map(|(c, seq)| {
            (
                Entity::IdRequest(c, seq),
                format!("client {c} never got an id for its order #{seq}"),
            )
        });
    let told: BTreeSet<(u32, u64)> = s.told.iter().map(|(c, o, _)| (*c, *o)).collect();
    let untold: BTreeSet<(u32, u64)> = s
        .asked
        .iter()
        .map(|(c, _, o, _)| (*c, *o))
        .filter(|k| !told.contains(k))
        .collect();
    no_id
        .chain(untold.into_iter().map(|(c, o)| {
            (
                Entity::Client(c, o),
                format!("client {c} never heard how order {o} ended"),
            )
        }))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Told;
    use crate::testkit::{asked, good_snapshot};

    #[test]
    fn a_fully_answered_run_is_fine() {
        assert!(check(&good_snapshot()).is_empty());
    }

    #[test]
    fn an_unanswered_request_breaks_it() {
        let mut s = good_snapshot();
        s.told.retain(|(c, _, _)| *c != 1);
        assert_eq!(
            check(&s),
            vec![(
                Entity::Client(1, 2),
                "client 1 never heard how order 2 ended".to_string()
            )]
        );
    }

    #[test]
    fn an_answer_to_another_client_or_order_does_not_count() {
        let mut s = good_snapshot();
        s.told = vec![(0, 2, Told::Cancelled), (1, 1, Told::Confirmed)];
        assert_eq!(
            check(&s),
            vec![
                (
                    Entity::Client(0, 1),
                    "client 0 never heard how order 1 ended".to_string()
                ),
                (
                    Entity::Client(1, 2),
                    "client 1 never heard how order 2 ended".to_string()
                ),
            ]
        );
    }

    #[test]
    fn an_id_request_never_handed_an_id_breaks_it() {
        let mut s = good_snapshot();
        s.id_requests.push((2, 1));
        // Handed an id for another seq, or the same seq to another client: not this one.
        s.asked.push((2, 0, 9, asked(0, &[], 0, 1)));
        s.asked.push((3, 1, 8, asked(0, &[], 0, 1)));
        s.told.push((2, 9, Told::Cancelled));
        s.told.push((3, 8, Told::Cancelled));
        assert_eq!(
            check(&s),
            vec![(
                Entity::IdRequest(2, 1),
                "client 2 never got an id for its order #1".to_string()
            )]
        );
        s.asked.push((2, 1, 10, asked(0, &[], 0, 1)));
        s.told.push((2, 10, Told::Cancelled));
        assert!(check(&s).is_empty());
    }

    #[test]
    fn a_retried_id_request_is_one_request() {
        let mut s = good_snapshot();
        s.id_requests.push((2, 0));
        s.id_requests.push((2, 0));
        assert_eq!(check(&s).len(), 1);
    }
}
