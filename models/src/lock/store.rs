//! The lock host's key store: keys with an owner, an optional expiry (simulated ms) and the
//! fencing token of the take that set them; set-if-absent (a key whose lease has expired is
//! absent), get, delete, delete-if-owner; a counter that hands every successful take a greater
//! token. Durable (see the doc of [`LockStore`]). Reports every take and every removal to the
//! run's journal in the same write.

use dtx_sim::Durable;

use crate::journal::Journal;

/// The key store. PLACEHOLDER: filled in by the lock's implementation.
pub struct LockStore {
    pub journal: Journal,
}

impl Durable for LockStore {
    fn crashed(&mut self) {}
}
