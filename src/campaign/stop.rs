//! The stop flag: Ctrl-C (SIGINT), SIGTERM (how Kubernetes and CI runners stop a job) and
//! SIGHUP all set it; a campaign then finishes the seeds under way, writes its reports and
//! exits 130.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A stop flag set by Ctrl-C, SIGTERM or SIGHUP.
pub fn stop_flag() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let f = flag.clone();
    // ctrlc's `termination` feature adds SIGTERM and SIGHUP to SIGINT. Only one handler per
    // process; if one is set already, the signals keep their default.
    let _ = ctrlc::set_handler(move || f.store(true, Ordering::SeqCst));
    flag
}
