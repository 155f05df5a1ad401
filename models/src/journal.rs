//! The run's journal: every ledger event the services commit, with its simulated time, in
//! commit order. Scenario-owned (outside every host), appended in the same step as the commit
//! it records, so it holds exactly what was committed — the checkers' input.

use std::cell::{Ref, RefCell};
use std::rc::Rc;

use serde::{Deserialize, Serialize};

use crate::store::gateway::Charge;
use crate::store::holdings::Move;
use crate::wire::{OrderRequest, Outcome};

/// One committed ledger event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Entry {
    /// A stock move (id = sku).
    Stock(Move),
    /// A points move (id = user).
    Points(Move),
    /// The order service created an order.
    OrderCreated(OrderRequest),
    /// The order service settled an order.
    OrderSettled { order: u64, outcome: Outcome },
    /// A charge at the gateway after a call changed it.
    Charge(Charge),
    /// A client submitted an order (it expects an answer).
    Asked { client: u32, order: u64 },
    /// A client was told an order's outcome.
    Told {
        client: u32,
        order: u64,
        outcome: Outcome,
    },
}

/// The journal (cheap to clone: shared).
#[derive(Clone, Debug, Default)]
pub struct Journal(Rc<RefCell<Vec<(u64, Entry)>>>);

impl Journal {
    /// Record committed entries at `at_ms`.
    pub fn commit(&self, at_ms: u64, entries: impl IntoIterator<Item = Entry>) {
        self.0
            .borrow_mut()
            .extend(entries.into_iter().map(|e| (at_ms, e)));
    }

    /// Everything recorded, in order.
    pub fn entries(&self) -> Ref<'_, Vec<(u64, Entry)>> {
        self.0.borrow()
    }
}
