//! settled: the run reaches quiescence within the deadline after heal, and no ledger event
//! happens after it. One break for the run if anything is still busy at the end (naming
//! everything busy), and one for every ledger event committed after quiescence.

use super::Finding;
use crate::snapshot::Snapshot;
use crate::violation::Entity;

/// Check the snapshot.
pub fn check(s: &Snapshot) -> Vec<Finding> {
    let mut found = Vec::new();
    if !s.busy.is_empty() {
        found.push((
            Entity::Run,
            format!("not quiescent by the deadline: {}", s.busy.join("; ")),
        ));
    }
    for (ms, event) in &s.after_quiescence {
        found.push((
            Entity::Run,
            format!("ledger event at {ms}ms, after quiescence: {event}"),
        ));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quiet_run_is_fine() {
        assert!(check(&Snapshot::default()).is_empty());
    }

    #[test]
    fn anything_busy_breaks_it_once_naming_all() {
        let s = Snapshot {
            busy: vec![
                "2 orders pending (3, 7)".into(),
                "1 datagram in flight".into(),
            ],
            ..Snapshot::default()
        };
        assert_eq!(
            check(&s),
            vec![(
                Entity::Run,
                "not quiescent by the deadline: 2 orders pending (3, 7); 1 datagram in flight"
                    .to_string()
            )]
        );
    }

    #[test]
    fn every_event_after_quiescence_breaks_it() {
        let s = Snapshot {
            after_quiescence: vec![(900, "StockReleased".into()), (950, "Effect".into())],
            ..Snapshot::default()
        };
        assert_eq!(
            check(&s),
            vec![
                (
                    Entity::Run,
                    "ledger event at 900ms, after quiescence: StockReleased".to_string()
                ),
                (
                    Entity::Run,
                    "ledger event at 950ms, after quiescence: Effect".to_string()
                ),
            ]
        );
    }
}
