//! The lock host: serves takes, releases, deletes and gets from its key store.

use dtx_sim::{Disk, HostCtx};

use super::store::LockStore;

/// Serve the lock. PLACEHOLDER.
pub async fn serve(_ctx: HostCtx, _store: Disk<LockStore>) {
    todo!("lock service")
}
