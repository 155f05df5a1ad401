//! Durable state: what a host keeps across a crash.
//!
//! A [`Disk`] lives outside its host's future (the scenario creates it and the host factory
//! captures a clone), so it survives `crash` and restart. The engine tells it when its host
//! crashes ([`Durable::crashed`]) so that uncommitted work is dropped; what was committed stays.
//! Once its host is down — including the instant it dies at a crash point, before the engine
//! has torn it down — every write is refused, so nothing commits after the crash. Every write
//! is a durable boundary a plan can crash the host at (see [`crate::boundary`]).

use std::cell::RefCell;
use std::rc::Rc;

use crate::host::HostState;

/// State that survives its host's crash.
pub trait Durable: 'static {
    /// The host crashed: drop everything uncommitted (open transactions, staged writes).
    fn crashed(&mut self);
}

/// The host is down: the write did not happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("host is down: nothing was written")]
pub struct HostDown;

/// A host's durable state, shared between the host's code and the scenario's checks.
pub struct Disk<T> {
    cell: Rc<RefCell<T>>,
    host: Rc<HostState>,
}

impl<T> Clone for Disk<T> {
    fn clone(&self) -> Self {
        Disk {
            cell: self.cell.clone(),
            host: self.host.clone(),
        }
    }
}

impl<T: Durable> Disk<T> {
    pub(crate) fn new(value: T, host: Rc<HostState>) -> Self {
        let cell = Rc::new(RefCell::new(value));
        let durable: Rc<RefCell<dyn Durable>> = cell.clone();
        host.durables.borrow_mut().push(durable);
        Disk { cell, host }
    }

    /// The same state, written by `host` (its writes are refused while it is down, and its
    /// crashes drop what is uncommitted).
    pub(crate) fn shared_with(&self, host: Rc<HostState>) -> Self {
        let durable: Rc<RefCell<dyn Durable>> = self.cell.clone();
        host.durables.borrow_mut().push(durable);
        Disk {
            cell: self.cell.clone(),
            host,
        }
    }

    /// Read the state (always allowed: checks read disks of crashed hosts too).
    pub fn read<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        f(&self.cell.borrow())
    }

    /// Change the state, if the host is up: one durable write. A boundary crash armed on this
    /// write kills the host right before it (nothing is written) or right after it (it is
    /// written, and from then on nothing of the host runs on).
    pub fn write<R>(&self, f: impl FnOnce(&mut T) -> R) -> Result<R, HostDown> {
        if !self.host.up.get() {
            return Err(HostDown);
        }
        if !self.host.writes.borrow_mut().begin() {
            self.host.up.set(false);
            return Err(HostDown);
        }
        let r = f(&mut self.cell.borrow_mut());
        if !self.host.writes.borrow_mut().end() {
            self.host.up.set(false);
        }
        Ok(r)
    }
}
