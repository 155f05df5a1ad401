//! The contract between the engine and a system under test: a [`Scenario`] names its hosts
//! and crash points ([`Topology`]), builds its hosts on a fresh [`HostSet`] for every run,
//! says when it has settled, and checks its state when the run ends.
//!
//! The engine knows nothing of what the hosts do; another team plugs its own protocol in by
//! implementing this trait.

use std::future::Future;
use std::rc::Rc;

use crate::disk::{Disk, Durable};
use crate::engine::Engine;
use crate::host::HostCtx;
use crate::report::Violation;
use crate::seed::Streams;
use crate::trace::HostId;

/// The hosts of a scenario, the links its traffic uses, the hosts that hold state, the crash
/// points its code declares, and how long its workload keeps it busy. Faults are drawn where
/// the traffic is: link faults over `links`, crashes, pauses and boundary crashes over
/// `stateful`, fault start times inside `busy_ms`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Topology {
    /// Server hosts: restartable, may crash.
    pub servers: Vec<String>,
    /// Client hosts (the workload): run once to completion, never crash.
    pub clients: Vec<String>,
    /// `(host, point)`: every `crash_point(point)` that `host`'s code passes.
    pub crash_points: Vec<(String, String)>,
    /// Pairs of hosts that exchange datagrams (either way). Empty: every pair.
    pub links: Vec<(String, String)>,
    /// Servers that hold durable state or work in progress. Empty: every server.
    pub stateful: Vec<String>,
    /// How long (simulated ms from the start) the workload keeps placing work; fault start
    /// times fall inside it. 0: the generator's default window.
    pub busy_ms: u64,
}

impl Topology {
    /// Servers then clients: the order of [`HostId`]s.
    pub fn all_hosts(&self) -> Vec<String> {
        self.servers.iter().chain(&self.clients).cloned().collect()
    }

    /// The links faults are drawn over: the declared ones, or every pair of hosts.
    pub fn fault_links(&self) -> Vec<(String, String)> {
        if !self.links.is_empty() {
            return self.links.clone();
        }
        let all = self.all_hosts();
        let mut pairs = Vec::new();
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                pairs.push((a.clone(), b.clone()));
            }
        }
        pairs
    }

    /// The hosts crashes and pauses are drawn over: the declared stateful ones, or every
    /// server.
    pub fn fault_hosts(&self) -> Vec<String> {
        if self.stateful.is_empty() {
            self.servers.clone()
        } else {
            self.stateful.clone()
        }
    }
}

/// How a run ended, for the scenario's checks. Every check runs on every run, quiescent or
/// not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct End {
    /// Simulated time at the end (after the tail, for a quiescent run).
    pub at_ms: u64,
    /// When the engine healed.
    pub healed_at_ms: u64,
    /// True: the run became quiescent (clients done, nothing held, the scenario not busy)
    /// before the liveness deadline. False: the deadline passed first.
    pub quiescent: bool,
    /// When the run became quiescent: anything the system commits after this instant (in the
    /// tail the engine steps after the verdict) is a `settled` violation.
    pub quiescent_at_ms: Option<u64>,
    /// What was still busy at the deadline, as the engine and the scenario name it (empty for
    /// a quiescent run): client hosts not done, datagrams held, hosts with calls under way,
    /// and whatever [`Scenario::busy`] said.
    pub busy: Vec<String>,
}

/// A system under test.
pub trait Scenario {
    /// Its hosts and crash points (stable for a given scenario value).
    fn topology(&self) -> Topology;

    /// Build every host of the topology on `hosts`, with fresh state: called once per run.
    fn build(&mut self, hosts: &mut HostSet<'_>);

    /// How many workload items (orders) it numbers `0..n` for [`HostSet::skipped`]; shrinking
    /// tries leaving each out. 0: the workload cannot be shrunk.
    fn workload_items(&self) -> u32 {
        0
    }

    /// What the system still has to do, from its state (orders pending, reservations held,
    /// rows unpublished, client requests unanswered …), one short phrase each; empty when
    /// settled. The run is quiescent when this is empty, every client is done and nothing is
    /// held on the network. Background loops (relays, resolvers) may keep polling: datagrams
    /// in flight do not block quiescence; what they change shows up in the tail.
    fn busy(&self) -> Vec<String> {
        Vec::new()
    }

    /// Check the end state: every check, on every run.
    fn check(&self, end: &End) -> Vec<Violation>;

    /// The run's business metrics, read from the scenario's own records and the `trace`
    /// (after [`Scenario::check`]). None by default.
    fn metrics(&self, trace: &crate::trace::Trace) -> crate::metrics::Metrics {
        let _ = trace;
        crate::metrics::Metrics::default()
    }
}

/// The run's simulated clock (cheap to clone). It does not keep the run alive: state that
/// holds it (a journal inside a host's disk) would otherwise form a cycle with the engine and
/// leak every run.
#[derive(Clone)]
pub struct Clock(std::rc::Weak<Engine>);

impl Clock {
    /// Simulated milliseconds since the start of the run (0 once the run is gone).
    pub fn now_ms(&self) -> u64 {
        self.0.upgrade().map_or(0, |e| e.now_ms())
    }

    /// Put the system's ledger event number `n` (numbered from 0 in commit order, the number
    /// its checkers cite) in the trace, now; `text` renders it. Nothing once the run is gone.
    pub fn ledger(&self, n: u64, text: impl FnOnce() -> String) {
        if let Some(e) = self.0.upgrade() {
            e.record(crate::trace::EventKind::Ledger { n, text: text() });
        }
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Clock({}ms)", self.now_ms())
    }
}

/// Where a scenario registers its hosts and their durable state for one run.
pub struct HostSet<'s> {
    pub(crate) engine: Rc<Engine>,
    pub(crate) sim: &'s mut turmoil::Sim<'static>,
    pub(crate) registered: Vec<bool>,
    pub(crate) skip: std::collections::BTreeSet<u32>,
}

impl HostSet<'_> {
    /// The run's random streams (the workload draws from `streams().workload()`).
    pub fn streams(&self) -> Streams {
        self.engine.streams
    }

    /// The run's simulated clock, for state outside every host (a journal of commits) that
    /// needs to stamp what it records.
    pub fn clock(&self) -> Clock {
        Clock(Rc::downgrade(&self.engine))
    }

    /// Does the plan leave workload item `item` out? (Shrinking removes orders this way; a
    /// scenario numbers its items and skips those the plan names.)
    pub fn skipped(&self, item: u32) -> bool {
        self.skip.contains(&item)
    }

    fn id(&self, name: &str) -> HostId {
        self.engine.host_id(name).unwrap_or_else(|| {
            panic!("scenario builds host '{name}', which its topology does not name")
        })
    }

    /// Durable state for server `host`: survives its crashes, told when it crashes.
    pub fn disk<T: Durable>(&mut self, host: &str, value: T) -> Disk<T> {
        let id = self.id(host);
        Disk::new(value, self.engine.host(id).clone())
    }

    /// `disk`, reached by server `host` too: one database two hosts use (two workers of one
    /// service, say). Each host's writes are its own durable boundaries and are refused while
    /// that host is down; a crash of either host drops what is uncommitted in it.
    pub fn shared_disk<T: Durable>(&mut self, disk: &Disk<T>, host: &str) -> Disk<T> {
        let id = self.id(host);
        disk.shared_with(self.engine.host(id).clone())
    }

    /// A server: `software` starts it, and starts it again after every crash.
    pub fn server<F, Fut>(&mut self, name: &str, software: F)
    where
        F: Fn(HostCtx) -> Fut + 'static,
        Fut: Future<Output = ()> + 'static,
    {
        let id = self.id(name);
        assert!(
            !self.engine.host(id).is_client,
            "host '{name}' is a client in the topology"
        );
        self.registered[usize::from(id.0)] = true;
        let engine = self.engine.clone();
        self.sim.host(name, move || {
            let fut = software(HostCtx::new(engine.clone(), id));
            async move {
                fut.await;
                Ok(())
            }
        });
    }

    /// A client: runs `workload` once; the run is not done until every client is.
    pub fn client<F, Fut>(&mut self, name: &str, workload: F)
    where
        F: FnOnce(HostCtx) -> Fut + 'static,
        Fut: Future<Output = ()> + 'static,
    {
        let id = self.id(name);
        assert!(
            self.engine.host(id).is_client,
            "host '{name}' is a server in the topology"
        );
        self.registered[usize::from(id.0)] = true;
        let ctx = HostCtx::new(self.engine.clone(), id);
        // Call the workload inside the host's runtime, so that it may create timers at once.
        self.sim.client(name, async move {
            workload(ctx).await;
            Ok(())
        });
    }
}
