//! One checker per invariant. Safety checkers are incremental ([`SafetyChecker`]: O(entity)
//! per event); quiescence and liveness checkers read the [`crate::Snapshot`].

pub mod answered;
pub mod atomic_commit;
pub mod cancelled_clean;
pub mod client_truth;
pub mod confirmed_settled;
pub mod conservation;
pub mod effects_once;
pub mod lock_exclusive;
pub mod no_unmatched_charge;
pub mod nothing_in_flight;
pub mod points_conserved;
pub mod refusal_truthful;
pub mod settled;
pub mod single_charge;
pub mod stock_conserved;
pub mod store_sound;
pub mod terminated;

use crate::event::LedgerEvent;
use crate::invariant::Invariant;
use crate::violation::Entity;

/// A break found by a checker: the entity and the numbers.
pub type Finding = (Entity, String);

/// A checker fed every committed ledger event.
pub trait SafetyChecker {
    /// The invariant it checks.
    fn invariant(&self) -> Invariant;
    /// Take one event into account; push what it broke.
    fn apply(&mut self, event: &LedgerEvent, found: &mut Vec<Finding>);
}
