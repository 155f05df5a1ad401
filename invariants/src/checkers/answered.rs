//! answered: at the deadline after heal, every order a client submitted has been answered.

use super::Finding;
use crate::snapshot::Snapshot;
use crate::violation::Entity;

/// Check the snapshot.
pub fn check(s: &Snapshot) -> Vec<Finding> {
    s.asked
        .iter()
        .filter(|(c, o)| !s.told.iter().any(|(tc, to, _)| tc == c && to == o))
        .map(|(c, o)| {
            (
                Entity::Client(*c, *o),
                format!("client {c} never heard how order {o} ended"),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Told;

    #[test]
    fn an_unanswered_request_breaks_it() {
        let mut s = Snapshot {
            asked: vec![(0, 1), (1, 2)],
            ..Snapshot::default()
        };
        s.told.push((0, 1, Told::Confirmed));
        assert_eq!(
            check(&s),
            vec![(
                Entity::Client(1, 2),
                "client 1 never heard how order 2 ended".to_string()
            )]
        );
        s.told.push((1, 2, Told::Cancelled));
        assert!(check(&s).is_empty());
    }
}
