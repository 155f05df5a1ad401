//! The run's journal: every ledger event the services commit, with its simulated time, in
//! commit order. Scenario-owned (outside every host), appended in the same step as the commit
//! it records, so it holds exactly what was committed — the checkers' input.

use std::cell::{Ref, RefCell};
use std::rc::Rc;

use dtx_invariants::LedgerEvent;

/// The journal (cheap to clone: shared).
#[derive(Clone, Debug, Default)]
pub struct Journal(Rc<RefCell<Vec<(u64, LedgerEvent)>>>);

impl Journal {
    /// Record committed events at `at_ms`.
    pub fn commit(&self, at_ms: u64, events: impl IntoIterator<Item = LedgerEvent>) {
        self.0
            .borrow_mut()
            .extend(events.into_iter().map(|e| (at_ms, e)));
    }

    /// Everything recorded, in order.
    pub fn entries(&self) -> Ref<'_, Vec<(u64, LedgerEvent)>> {
        self.0.borrow()
    }
}
