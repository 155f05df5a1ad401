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

/// The hosts of a scenario and the crash points its code declares.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Topology {
    /// Server hosts: restartable, may crash.
    pub servers: Vec<String>,
    /// Client hosts (the workload): run once to completion, never crash.
    pub clients: Vec<String>,
    /// `(host, point)`: every `crash_point(point)` that `host`'s code passes.
    pub crash_points: Vec<(String, String)>,
}

impl Topology {
    /// Servers then clients: the order of [`HostId`]s.
    pub fn all_hosts(&self) -> Vec<String> {
        self.servers.iter().chain(&self.clients).cloned().collect()
    }
}

/// How a run ended, for the scenario's checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct End {
    /// Simulated time at the end.
    pub at_ms: u64,
    /// When the engine healed.
    pub healed_at_ms: u64,
    /// True: clients done, nothing in flight, scenario settled. False: the liveness deadline
    /// after heal passed first.
    pub quiescent: bool,
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

    /// Has the system nothing left to do (no pending retries, recoveries, outbox rows)?
    /// The run is quiescent when this holds, every client is done and nothing is in flight.
    fn settled(&self) -> bool {
        true
    }

    /// Check the end state (quiescence or liveness properties).
    fn check(&self, end: &End) -> Vec<Violation>;
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
