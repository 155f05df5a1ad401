//! store-sound: no store reports an error other than a lock conflict (duplicate branch id,
//! missing branch, broken store invariant). Every `StoreFault` event is a violation: such an
//! error is a bug of the store's caller, never a reason to stay silent.

use super::{Finding, SafetyChecker};
use crate::event::LedgerEvent;
use crate::invariant::Invariant;
use crate::violation::Entity;

/// The checker (stateless: each fault is a break on its own).
#[derive(Default, Clone, Debug)]
pub struct StoreSound;

impl SafetyChecker for StoreSound {
    fn invariant(&self) -> Invariant {
        Invariant::StoreSound
    }

    fn apply(&mut self, event: &LedgerEvent, found: &mut Vec<Finding>) {
        if let LedgerEvent::StoreFault {
            store,
            order,
            error,
        } = event
        {
            let of = order.map_or("(no order)".to_string(), |o| format!("for order {o}"));
            found.push((
                Entity::Store(store.clone()),
                format!("store {store} reported an error {of}: {error}"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::effect;

    fn fault(store: &str, order: Option<u64>, error: &str) -> LedgerEvent {
        LedgerEvent::StoreFault {
            store: store.into(),
            order,
            error: error.into(),
        }
    }

    #[test]
    fn every_fault_breaks_it() {
        let f = crate::testkit::run(
            &mut StoreSound,
            &[
                fault("stock", Some(4), "duplicate xa branch 4"),
                fault("stock", None, "missing branch"),
                fault("points", Some(1), "held < 0"),
            ],
        );
        assert_eq!(
            f,
            vec![
                (
                    Entity::Store("stock".into()),
                    "store stock reported an error for order 4: duplicate xa branch 4".into()
                ),
                (
                    Entity::Store("stock".into()),
                    "store stock reported an error (no order): missing branch".into()
                ),
                (
                    Entity::Store("points".into()),
                    "store points reported an error for order 1: held < 0".into()
                ),
            ]
        );
    }

    #[test]
    fn other_events_are_fine() {
        let f = crate::testkit::run(&mut StoreSound, &[effect(1, "stock", crate::Op::Try)]);
        assert!(f.is_empty());
    }
}
