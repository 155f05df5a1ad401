//! Named crash points: the plan arms a point on a host from a time on, and the first time the
//! host's code passes it after that the host dies right there (every later write and send of
//! it refused) and waits for the runner to tear it down.

use crate::engine::{Armed, CrashRequest, Engine};
use crate::trace::{EventKind, HostId};

impl Engine {
    pub(crate) fn arm(&self, armed: Armed) {
        self.armed.borrow_mut().push(armed);
    }

    /// Host code passed crash point `name`: does the host die here?
    pub(crate) fn pass_crash_point(&self, host: HostId, name: &str) -> bool {
        let now = self.now_ms();
        let nth = {
            let mut passes = self.passes.borrow_mut();
            let n = passes.entry((host, name.to_string())).or_insert(0);
            *n += 1;
            *n
        };
        let fire = {
            let mut armed = self.armed.borrow_mut();
            armed
                .iter_mut()
                .find(|a| !a.fired && a.host == host && a.point == name && now >= a.from_ms)
                .map(|a| {
                    a.fired = true;
                    (a.fault, a.downtime_ms)
                })
        };
        match fire {
            None => {
                self.record(EventKind::CrashPointPassed {
                    host,
                    name: name.to_string(),
                    nth,
                });
                false
            }
            Some((fault, downtime_ms)) => {
                // Dead from this instant: no send or durable write of this host gets through.
                self.host(host).up.set(false);
                self.bites.borrow_mut().mark(fault);
                self.crash_requests.borrow_mut().push(CrashRequest {
                    host,
                    point: name.to_string(),
                    downtime_ms,
                });
                true
            }
        }
    }
}
