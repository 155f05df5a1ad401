//! lock-exclusive: a lock is held by one owner at a time: taken only when free or when its
//! holder's lease has expired, and released only by its holder. Owns, per lock key, the
//! current holding (owner, fencing token, end of lease) as the lock store's `LockTaken` and
//! `LockReleased` events tell it; checked at each of them for the key it touches.

use std::collections::BTreeMap;

use super::{Finding, SafetyChecker};
use crate::event::LedgerEvent;
use crate::invariant::Invariant;
use crate::violation::Entity;

/// A live or lapsed, not yet released, holding of a key.
#[derive(Clone, Debug)]
struct Holding {
    owner: String,
    token: u64,
    /// End of the lease (simulated ms); none: it never expires.
    expires_at_ms: Option<u64>,
}

impl Holding {
    /// Whether its lease still runs at `at_ms`.
    fn live_at(&self, at_ms: u64) -> bool {
        self.expires_at_ms.is_none_or(|end| end > at_ms)
    }

    fn lease(&self) -> String {
        match self.expires_at_ms {
            Some(end) => format!("lease until {end}ms"),
            None => "lease never expires".to_string(),
        }
    }
}

/// The incremental checker.
#[derive(Default, Clone, Debug)]
pub struct LockExclusive {
    held: BTreeMap<String, Holding>,
}

impl SafetyChecker for LockExclusive {
    fn invariant(&self) -> Invariant {
        Invariant::LockExclusive
    }

    fn apply(&mut self, event: &LedgerEvent, found: &mut Vec<Finding>) {
        match event {
            LedgerEvent::LockTaken {
                key,
                owner,
                token,
                at_ms,
                expires_at_ms,
            } => {
                if let Some(h) = self.held.get(key).filter(|h| h.live_at(*at_ms)) {
                    found.push((
                        Entity::Lock(key.clone()),
                        format!(
                            "lock {key}: taken by {owner} (token {token}) at {at_ms}ms while held by {} (token {}, {})",
                            h.owner,
                            h.token,
                            h.lease()
                        ),
                    ));
                }
                self.held.insert(
                    key.clone(),
                    Holding {
                        owner: owner.clone(),
                        token: *token,
                        expires_at_ms: *expires_at_ms,
                    },
                );
            }
            LedgerEvent::LockReleased {
                key,
                by,
                owner,
                token,
                at_ms,
            } => {
                if by != owner {
                    found.push((
                        Entity::Lock(key.clone()),
                        format!(
                            "lock {key}: released by {by} at {at_ms}ms while held by {owner} (token {token})"
                        ),
                    ));
                }
                self.held.remove(key);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn taken(owner: &str, token: u64, at_ms: u64, expires_at_ms: Option<u64>) -> LedgerEvent {
        LedgerEvent::LockTaken {
            key: "order-1".into(),
            owner: owner.into(),
            token,
            at_ms,
            expires_at_ms,
        }
    }

    fn released(by: &str, owner: &str, token: u64, at_ms: u64) -> LedgerEvent {
        LedgerEvent::LockReleased {
            key: "order-1".into(),
            by: by.into(),
            owner: owner.into(),
            token,
            at_ms,
        }
    }

    fn run(events: &[LedgerEvent]) -> Vec<Finding> {
        crate::testkit::run(&mut LockExclusive::default(), events)
    }

    #[test]
    fn take_release_take_again_is_fine() {
        let f = run(&[
            taken("w1", 1, 0, Some(3_000)),
            released("w1", "w1", 1, 100),
            taken("w2", 2, 200, Some(3_200)),
            released("w2", "w2", 2, 300),
        ]);
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn a_take_after_the_lease_expired_is_fine_and_so_is_the_late_release_of_the_old_holder() {
        // At exactly the end of the lease the holding has expired.
        let f = run(&[
            taken("w1", 1, 0, Some(3_000)),
            taken("w2", 2, 3_000, Some(6_000)),
            taken("w1", 3, 6_500, Some(9_500)),
            released("w1", "w1", 3, 7_000),
        ]);
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn other_keys_are_independent() {
        let other = LedgerEvent::LockTaken {
            key: "order-2".into(),
            owner: "w2".into(),
            token: 2,
            at_ms: 10,
            expires_at_ms: None,
        };
        let f = run(&[taken("w1", 1, 0, None), other]);
        assert!(f.is_empty(), "{f:?}");
    }

    #[test]
    fn a_take_while_held_breaks_it() {
        let f = run(&[taken("w1", 1, 0, Some(3_000)), taken("w2", 2, 2_999, None)]);
        assert_eq!(
            f,
            vec![(
                Entity::Lock("order-1".into()),
                "lock order-1: taken by w2 (token 2) at 2999ms while held by w1 (token 1, lease until 3000ms)".to_string()
            )]
        );
    }

    #[test]
    fn a_lock_without_expiry_is_never_free_until_released() {
        let f = run(&[taken("w1", 1, 0, None), taken("w2", 2, 1_000_000, None)]);
        assert_eq!(
            crate::testkit::details(&f),
            vec!["lock order-1: taken by w2 (token 2) at 1000000ms while held by w1 (token 1, lease never expires)"]
        );
    }

    #[test]
    fn a_release_by_another_than_the_holder_breaks_it() {
        let f = run(&[
            taken("w1", 1, 0, Some(3_000)),
            taken("w2", 2, 3_500, Some(6_500)),
            released("w1", "w2", 2, 4_000),
        ]);
        assert_eq!(
            f,
            vec![(
                Entity::Lock("order-1".into()),
                "lock order-1: released by w1 at 4000ms while held by w2 (token 2)".to_string()
            )]
        );
    }

    #[test]
    fn after_a_wrongful_release_the_key_is_free() {
        // The release itself is the break; the next take finds the key free.
        let f = run(&[
            taken("w1", 1, 0, Some(3_000)),
            released("w2", "w1", 1, 10),
            taken("w2", 2, 20, Some(3_020)),
        ]);
        assert_eq!(f.len(), 1, "{f:?}");
    }

    #[test]
    fn other_events_are_fine() {
        let f = run(&[crate::testkit::effect(1, "stock", crate::Op::Try)]);
        assert!(f.is_empty());
    }
}
