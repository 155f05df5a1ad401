//! The engine's shared state for one run: hosts, link faults, held datagrams, crash points,
//! probes, panics and the trace. Host code reaches it through [`crate::HostCtx`]; the runner
//! drives it between simulation steps. Everything here is single-threaded (one run, one
//! thread) and deterministic: draws come from the seed's streams, maps are ordered.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::rc::Rc;

use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::envelope::Header;
use crate::host::HostState;
use crate::links::{LinkEffect, Links};
use crate::report::Stats;
use crate::seed::Streams;
use crate::trace::{DropReason, EventKind, HostId, Trace};

/// A crash point the plan armed.
#[derive(Clone, Debug)]
pub(crate) struct Armed {
    pub fault: u32,
    pub host: HostId,
    pub point: String,
    pub from_ms: u64,
    pub downtime_ms: u64,
    pub fired: bool,
}

/// A host that died at a crash point and waits for the runner to tear it down.
#[derive(Clone, Debug)]
pub(crate) struct CrashRequest {
    pub host: HostId,
    pub point: String,
    pub downtime_ms: u64,
}

/// A datagram held on its link.
struct Held {
    header: Header,
    bytes: Vec<u8>,
}

/// What the receive path does with an arriving datagram.
pub(crate) enum Arrival {
    Deliver,
    Hold,
    Drop,
}

pub(crate) struct Engine {
    pub streams: Streams,
    pub hosts: Vec<Rc<HostState>>,
    pub trace: RefCell<Trace>,
    pub stats: RefCell<Stats>,
    pub probes: RefCell<BTreeMap<String, u64>>,
    /// How often a host died at each crash point.
    pub died_at: RefCell<BTreeMap<String, u64>>,
    pub panics: Rc<RefCell<Vec<String>>>,
    links: RefCell<Links>,
    active: RefCell<BTreeMap<u32, Vec<LinkEffect>>>,
    held: RefCell<Vec<Held>>,
    armed: RefCell<Vec<Armed>>,
    passes: RefCell<BTreeMap<(HostId, String), u32>>,
    pub crash_requests: RefCell<Vec<CrashRequest>>,
    datagrams: RefCell<ChaCha8Rng>,
    reorder: RefCell<ChaCha8Rng>,
    next_uid: Cell<u64>,
    now_ms: Cell<u64>,
}

impl Engine {
    pub(crate) fn new(streams: Streams, names: &[String], clients_from: usize) -> Self {
        let hosts = names
            .iter()
            .enumerate()
            .map(|(i, n)| {
                Rc::new(HostState::new(
                    HostId(i as u16),
                    n.clone(),
                    i >= clients_from,
                ))
            })
            .collect();
        Engine {
            streams,
            hosts,
            trace: RefCell::new(Trace::new(names.to_vec())),
            stats: RefCell::new(Stats::default()),
            probes: RefCell::new(BTreeMap::new()),
            died_at: RefCell::new(BTreeMap::new()),
            panics: Rc::new(RefCell::new(Vec::new())),
            links: RefCell::new(Links::healthy(names.len())),
            active: RefCell::new(BTreeMap::new()),
            held: RefCell::new(Vec::new()),
            armed: RefCell::new(Vec::new()),
            passes: RefCell::new(BTreeMap::new()),
            crash_requests: RefCell::new(Vec::new()),
            datagrams: RefCell::new(streams.datagrams()),
            reorder: RefCell::new(streams.reorder()),
            next_uid: Cell::new(1),
            now_ms: Cell::new(0),
        }
    }

    /// Simulated time: inside a host, that host's clock; outside, the runner's.
    pub(crate) fn now_ms(&self) -> u64 {
        match turmoil::sim_elapsed() {
            Some(d) => d.as_millis() as u64,
            None => self.now_ms.get(),
        }
    }

    pub(crate) fn set_now(&self, ms: u64) {
        self.now_ms.set(ms);
    }

    pub(crate) fn record(&self, kind: EventKind) {
        let at = self.now_ms();
        self.trace.borrow_mut().push(at, kind);
    }

    pub(crate) fn host(&self, id: HostId) -> &Rc<HostState> {
        &self.hosts[usize::from(id.0)]
    }

    pub(crate) fn host_id(&self, name: &str) -> Option<HostId> {
        self.hosts.iter().find(|h| h.name == name).map(|h| h.id)
    }

    pub(crate) fn addr(&self, id: HostId) -> Option<SocketAddr> {
        self.host(id).addr.get()
    }

    // ---- the send path -------------------------------------------------------------------

    /// A datagram is about to leave: trace it and decide how many copies go on the wire
    /// (0: lost at send, 1, or 2: duplicated).
    pub(crate) fn on_send(&self, from: HostId, to: HostId, label: String) -> (u64, usize) {
        let uid = self.next_uid.get();
        self.next_uid.set(uid + 1);
        self.record(EventKind::Send {
            uid,
            from,
            to,
            label,
        });
        self.stats.borrow_mut().sent += 1;
        let lose = |reason| {
            self.record(EventKind::Drop {
                uid,
                from,
                to,
                reason,
            });
            self.stats.borrow_mut().dropped += 1;
            (uid, 0)
        };
        if !self.host(from).up.get() {
            return lose(DropReason::SenderDown);
        }
        if !self.host(to).up.get() {
            return lose(DropReason::ReceiverDown);
        }
        let links = self.links.borrow();
        if links.blocked(from, to) {
            return lose(DropReason::Partition);
        }
        let (loss, dup) = (links.loss(from, to), links.duplicate(from, to));
        drop(links);
        if loss > 0 && self.datagrams.borrow_mut().random_range(0..1000u16) < loss {
            return lose(DropReason::Loss);
        }
        if dup > 0 && self.datagrams.borrow_mut().random_range(0..1000u16) < dup {
            self.record(EventKind::Duplicate { uid, from, to });
            self.stats.borrow_mut().duplicated += 1;
            return (uid, 2);
        }
        (uid, 1)
    }

    // ---- the receive path ----------------------------------------------------------------

    /// A datagram reached its receiver's socket (or was released from a hold): deliver it,
    /// hold it, or drop it.
    pub(crate) fn on_arrival(&self, header: &Header, released: bool) -> Arrival {
        let (uid, from, to) = (header.uid, header.from, header.to);
        let receiver = self.host(to);
        let lose = |reason| {
            self.record(EventKind::Drop {
                uid,
                from,
                to,
                reason,
            });
            self.stats.borrow_mut().dropped += 1;
            Arrival::Drop
        };
        if !receiver.up.get() || (!released && receiver.restarted_at_ms.get() > header.sent_at_ms) {
            return lose(DropReason::ReceiverDown);
        }
        let links = self.links.borrow();
        if links.blocked(from, to) {
            return lose(DropReason::Partition);
        }
        if !released && links.held(from, to) {
            drop(links);
            self.record(EventKind::Hold { uid, from, to });
            self.stats.borrow_mut().held += 1;
            return Arrival::Hold;
        }
        drop(links);
        self.record(EventKind::Deliver { uid, from, to });
        self.stats.borrow_mut().delivered += 1;
        Arrival::Deliver
    }

    pub(crate) fn hold(&self, header: Header, bytes: Vec<u8>) {
        self.held.borrow_mut().push(Held { header, bytes });
    }

    pub(crate) fn held_count(&self) -> usize {
        self.held.borrow().len()
    }

    /// Release every held datagram whose link no longer holds, in shuffled order.
    fn release_unheld(&self) {
        let links = self.links.borrow();
        let mut held = self.held.borrow_mut();
        let (mut go, stay): (Vec<Held>, Vec<Held>) = held
            .drain(..)
            .partition(|h| !links.held(h.header.from, h.header.to));
        *held = stay;
        drop(held);
        drop(links);
        go.shuffle(&mut *self.reorder.borrow_mut());
        for h in go {
            let (uid, from, to) = (h.header.uid, h.header.from, h.header.to);
            self.record(EventKind::Release { uid, from, to });
            self.stats.borrow_mut().released += 1;
            let host = self.host(to);
            host.released.borrow_mut().push_back((h.header, h.bytes));
            host.wake.notify_one();
        }
    }

    // ---- faults ---------------------------------------------------------------------------

    pub(crate) fn start_link_fault(&self, index: u32, effects: Vec<LinkEffect>) {
        self.active.borrow_mut().insert(index, effects);
        self.rebuild_links();
    }

    pub(crate) fn end_link_fault(&self, index: u32) {
        if self.active.borrow_mut().remove(&index).is_some() {
            self.rebuild_links();
            self.release_unheld();
        }
    }

    fn rebuild_links(&self) {
        let active = self.active.borrow();
        *self.links.borrow_mut() = Links::from_effects(self.hosts.len(), active.values().flatten());
    }

    /// Heal: every link healthy, every held datagram released, no crash point armed.
    pub(crate) fn heal_links(&self) -> Vec<u32> {
        let ended: Vec<u32> = self.active.borrow().keys().copied().collect();
        self.active.borrow_mut().clear();
        self.rebuild_links();
        self.release_unheld();
        self.armed.borrow_mut().clear();
        ended
    }

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
            Some((_fault, downtime_ms)) => {
                // Dead from this instant: no send or durable write of this host gets through.
                self.host(host).up.set(false);
                self.crash_requests.borrow_mut().push(CrashRequest {
                    host,
                    point: name.to_string(),
                    downtime_ms,
                });
                true
            }
        }
    }

    /// The host crashed (torn down by the runner): volatile state is gone, durable state drops
    /// what it had not committed.
    pub(crate) fn crashed(&self, id: HostId, point: Option<String>) {
        let host = self.host(id);
        host.up.set(false);
        host.down.set(true);
        host.released.borrow_mut().clear();
        for d in host.durables.borrow().iter() {
            d.borrow_mut().crashed();
        }
        if let Some(p) = &point {
            *self.died_at.borrow_mut().entry(p.clone()).or_insert(0) += 1;
        }
        self.record(EventKind::Crash { host: id, point });
        self.stats.borrow_mut().crashes += 1;
    }

    /// The host is about to start again.
    pub(crate) fn restarting(&self, id: HostId) {
        let host = self.host(id);
        let incarnation = host.incarnation.get() + 1;
        host.incarnation.set(incarnation);
        host.up.set(true);
        host.down.set(false);
        host.restarted_at_ms.set(self.now_ms());
        self.record(EventKind::Restart {
            host: id,
            incarnation,
        });
        self.stats.borrow_mut().restarts += 1;
    }

    pub(crate) fn probe(&self, host: HostId, name: &str) {
        *self
            .probes
            .borrow_mut()
            .entry(name.to_string())
            .or_insert(0) += 1;
        self.record(EventKind::Probe {
            host,
            name: name.to_string(),
        });
    }
}
