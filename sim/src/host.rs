//! What host code sees of the engine: [`HostCtx`] (its name, clock, random stream, probes,
//! crash points, pause-aware sleeping, task spawning and network binding) and the per-host
//! state the engine keeps across incarnations ([`HostState`]).

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::net::SocketAddr;
use std::rc::Rc;

use rand_chacha::ChaCha8Rng;
use tokio::sync::Notify;

use crate::disk::Durable;
use crate::engine::Engine;
use crate::envelope::Header;
use crate::trace::{EventKind, HostId};

/// What the engine keeps of a host across its crashes.
pub struct HostState {
    pub(crate) id: HostId,
    pub(crate) name: String,
    pub(crate) is_client: bool,
    /// Up: may send and write. False from the instant it dies at a crash point.
    pub(crate) up: Cell<bool>,
    /// Torn down by the runner (crashed and not yet restarted).
    pub(crate) down: Cell<bool>,
    pub(crate) incarnation: Cell<u32>,
    pub(crate) restarted_at_ms: Cell<u64>,
    pub(crate) addr: Cell<Option<SocketAddr>>,
    pub(crate) durables: RefCell<Vec<Rc<RefCell<dyn Durable>>>>,
    /// Datagrams released from a hold (true: no hold applies to them again) or redelivered
    /// after a restart (false), waiting for the host's receive loop.
    pub(crate) released: RefCell<VecDeque<(Header, Vec<u8>, bool)>>,
    pub(crate) wake: Notify,
    /// Paused: none of its code runs past a gate (timers, deliveries, call replies) until it
    /// resumes; its memory is kept.
    pub(crate) paused: Cell<bool>,
    pub(crate) resumed: Notify,
    /// Durable writes and the boundary crash armed on them (see `boundary`).
    pub(crate) writes: RefCell<crate::boundary::Writes>,
    /// Calls of this host waiting for a response (retries under way).
    pub(crate) calls: Cell<u32>,
    /// When a datagram last reached or left this host's code.
    pub(crate) last_traffic_ms: Cell<u64>,
    /// Some code of the host had to wait at a gate during the current pause.
    pub(crate) gated: Cell<bool>,
}

impl HostState {
    pub(crate) fn new(id: HostId, name: String, is_client: bool) -> Self {
        HostState {
            id,
            name,
            is_client,
            up: Cell::new(true),
            down: Cell::new(false),
            incarnation: Cell::new(0),
            restarted_at_ms: Cell::new(0),
            addr: Cell::new(None),
            durables: RefCell::new(Vec::new()),
            released: RefCell::new(VecDeque::new()),
            wake: Notify::new(),
            paused: Cell::new(false),
            resumed: Notify::new(),
            writes: RefCell::new(crate::boundary::Writes::default()),
            calls: Cell::new(0),
            last_traffic_ms: Cell::new(0),
            gated: Cell::new(false),
        }
    }

    /// Wait here while the host is paused.
    pub(crate) async fn gate(&self) {
        loop {
            let resumed = self.resumed.notified();
            if !self.paused.get() {
                return;
            }
            self.gated.set(true);
            resumed.await;
        }
    }
}

/// The handle host code gets from the engine, one per incarnation of a host.
#[derive(Clone)]
pub struct HostCtx {
    pub(crate) engine: Rc<Engine>,
    pub(crate) id: HostId,
    incarnation: u32,
    rng: Rc<RefCell<ChaCha8Rng>>,
}

impl HostCtx {
    pub(crate) fn new(engine: Rc<Engine>, id: HostId) -> Self {
        let host = engine.host(id);
        let incarnation = host.incarnation.get();
        let rng = engine.streams.host(&host.name, incarnation);
        HostCtx {
            engine,
            id,
            incarnation,
            rng: Rc::new(RefCell::new(rng)),
        }
    }

    /// This host's name.
    pub fn name(&self) -> &str {
        &self.engine.host(self.id).name
    }

    /// This host's id in the trace.
    pub fn id(&self) -> HostId {
        self.id
    }

    /// How many times this host has restarted (0 for the first run).
    pub fn incarnation(&self) -> u32 {
        self.incarnation
    }

    /// Simulated milliseconds since the start of the run.
    pub fn now_ms(&self) -> u64 {
        self.engine.now_ms()
    }

    /// Is this host alive? False from the instant it died at a crash point.
    pub fn is_up(&self) -> bool {
        self.engine.host(self.id).up.get()
    }

    /// The id of another host, by name.
    pub fn host_id(&self, name: &str) -> Option<HostId> {
        self.engine.host_id(name)
    }

    /// Draw from this incarnation's random stream (derived from the seed).
    pub fn random<R>(&self, f: impl FnOnce(&mut ChaCha8Rng) -> R) -> R {
        f(&mut self.rng.borrow_mut())
    }

    /// A coverage mark: this host reached the rare situation `name`.
    pub fn probe(&self, name: &str) {
        self.engine.probe(self.id, name);
    }

    /// Something the system under test wants in the trace (a committed ledger event, say).
    pub fn record(&self, text: impl Into<String>) {
        self.engine.record(EventKind::App {
            host: self.id,
            text: text.into(),
        });
    }

    /// A named crash point. If the plan armed it, the host dies right here: nothing after
    /// this line runs, no later send or durable write of this host gets through, and the
    /// engine tears the host down at the end of the tick. Otherwise it returns at once.
    pub async fn crash_point(&self, name: &str) {
        if self.engine.pass_crash_point(self.id, name) {
            std::future::pending::<()>().await;
        }
    }

    /// Sleep for `duration` of simulated time. A paused host's timers wait: if the host is
    /// paused when the sleep ends, this returns only once it resumes. Host code sleeps through
    /// this, never through `tokio::time::sleep` directly.
    pub async fn sleep(&self, duration: std::time::Duration) {
        #[allow(clippy::disallowed_methods)]
        tokio::time::sleep(duration).await;
        self.gate().await;
    }

    /// Wait here while this host is paused (a no-op otherwise).
    pub async fn gate(&self) {
        let host = self.engine.host(self.id).clone();
        host.gate().await;
    }

    /// Spawn a task on this host. It dies with the host. A panic in it becomes a violation.
    pub fn spawn<F>(&self, task: F)
    where
        F: Future<Output = ()> + 'static,
    {
        tokio::task::spawn_local(task);
    }
}
