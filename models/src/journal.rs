//! The run's journal: every ledger event the stores commit (and the clients' own records of
//! what they asked and were told), stamped with the simulated time, in commit order.
//! Scenario-owned (outside every host). Stores append to it from inside the very `Disk`
//! write that makes their change durable, so it holds exactly what was committed — the
//! checkers' input. Protocol code never holds a journal: what is reported is chosen by the
//! stores, never by the code that drives them.
//!
//! Every ledger event also goes into the run's trace, numbered by its index here (from 0):
//! the number the checkers cite ("first broken after ledger event L25") is the `L25` of the
//! timeline.

use std::cell::{Ref, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;

use dtx_invariants::LedgerEvent;
use dtx_sim::Clock;

#[derive(Debug, Default)]
struct Entries {
    events: Vec<(u64, LedgerEvent)>,
    /// Client requests not answered yet: (client, seq) → the order id once handed out.
    waiting: BTreeMap<(u32, u32), Option<u64>>,
}

/// The journal (cheap to clone: shared).
#[derive(Clone, Debug, Default)]
pub struct Journal {
    entries: Rc<RefCell<Entries>>,
    /// The run's clock; none in unit tests (every event at 0 ms).
    clock: Option<Clock>,
}

impl Journal {
    /// A journal stamping with the run's `clock`.
    pub fn new(clock: Clock) -> Self {
        Journal {
            entries: Rc::default(),
            clock: Some(clock),
        }
    }

    /// Simulated time now.
    pub fn now_ms(&self) -> u64 {
        self.clock.as_ref().map_or(0, Clock::now_ms)
    }

    /// Record `event`, committed now.
    pub(crate) fn record(&self, event: LedgerEvent) {
        let at = self.now_ms();
        let mut e = self.entries.borrow_mut();
        match &event {
            LedgerEvent::ClientWantsId { client, seq } => {
                e.waiting.insert((*client, *seq), None);
            }
            LedgerEvent::ClientAsked {
                client, seq, order, ..
            } => {
                e.waiting.insert((*client, *seq), Some(*order));
            }
            LedgerEvent::ClientTold { client, order, .. } => {
                e.waiting
                    .retain(|(c, _), o| !(c == client && *o == Some(*order)));
            }
            _ => {}
        }
        if let Some(clock) = &self.clock {
            clock.ledger(e.events.len() as u64, || event.to_string());
        }
        e.events.push((at, event));
    }

    /// Record every event of `events`, committed now.
    pub(crate) fn record_all(&self, events: impl IntoIterator<Item = LedgerEvent>) {
        for e in events {
            self.record(e);
        }
    }

    /// Everything recorded, in order.
    pub fn entries(&self) -> Ref<'_, Vec<(u64, LedgerEvent)>> {
        Ref::map(self.entries.borrow(), |e| &e.events)
    }

    /// Client requests still unanswered: (client, seq, the order id once handed out).
    pub fn unanswered(&self) -> Vec<(u32, u32, Option<u64>)> {
        self.entries
            .borrow()
            .waiting
            .iter()
            .map(|((c, s), o)| (*c, *s, *o))
            .collect()
    }
}
