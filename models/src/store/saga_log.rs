//! An orchestrator's saga log: one row per order in the order database (a row kind of its
//! own, which the order book's reporter leaves out of the ledger: it is the orchestrator's
//! memory, not an order or a decision). It holds the saga's current step, each step's status
//! and payload, and whether the saga is going forward or compensating. Written in the order
//! database's local transactions, before each step's request and after its reply, so a
//! restarted orchestrator resumes every unfinished saga where it stood.

use serde::{Deserialize, Serialize};

use super::local_db::DbError;
use super::orders::{OrderDb, OrderKey, OrderVal};

/// Where one step of a saga stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StepStatus {
    /// Not started.
    Todo,
    /// Its request may have gone out; its outcome is not known yet.
    Started,
    /// Done; the payload the participant answered with (a charge id), if any.
    Done { payload: Option<u64> },
    /// Refused on a business rule (nothing applied, or an unknown outcome taken as failure).
    Failed,
    /// Its compensation was acknowledged.
    Compensated,
}

/// Which way the saga goes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Phase {
    /// Forward steps, then the completion.
    Forward,
    /// Compensating the started steps in reverse, for this reason.
    Compensating { reason: String },
    /// The compensation was given up (a bug knob's end).
    GaveUp,
}

/// One saga's log row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SagaLog {
    /// The saga's id (its order's).
    pub saga: u64,
    /// The step forward or compensation is at (index into `steps`).
    pub current: usize,
    /// Each step by name with its status, in forward order.
    pub steps: Vec<(String, StepStatus)>,
    pub phase: Phase,
}

impl SagaLog {
    /// A new saga over `steps`, nothing started.
    pub fn new(saga: u64, steps: &[&str]) -> Self {
        SagaLog {
            saga,
            current: 0,
            steps: steps
                .iter()
                .map(|s| (s.to_string(), StepStatus::Todo))
                .collect(),
            phase: Phase::Forward,
        }
    }

    /// The status of step `name`.
    pub fn status(&self, name: &str) -> &StepStatus {
        &self
            .steps
            .iter()
            .find(|(s, _)| s == name)
            .unwrap_or_else(|| panic!("saga {} has no step {name}", self.saga))
            .1
    }

    /// Set step `name` to `status` and make it the current one.
    pub fn set(&mut self, name: &str, status: StepStatus) {
        let i = self
            .steps
            .iter()
            .position(|(s, _)| s == name)
            .unwrap_or_else(|| panic!("saga {} has no step {name}", self.saga));
        self.current = i;
        self.steps[i].1 = status;
    }
}

/// Write `log` as its saga's row, in one local transaction.
pub fn put(db: &mut OrderDb, log: &SagaLog) -> Result<(), DbError> {
    db.transact(|db, t| db.put(t, OrderKey::Saga(log.saga), OrderVal::Saga(log.clone())))
}

/// The committed log of saga `saga`, if any.
pub fn get(db: &OrderDb, saga: u64) -> Option<SagaLog> {
    match db.read(&OrderKey::Saga(saga)) {
        Some(OrderVal::Saga(log)) => Some(log.clone()),
        _ => None,
    }
}
