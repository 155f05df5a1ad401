//! The engine's shared state for one run: hosts, link faults, held datagrams, crash points,
//! probes, panics and the trace. Host code reaches it through [`crate::HostCtx`]; the runner
//! drives it between simulation steps. Everything here is single-threaded (one run, one
//! thread) and deterministic: draws come from the seed's streams, maps are ordered.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::rc::Rc;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::bite::Bites;
use crate::envelope::Header;
use crate::host::HostState;
use crate::links::{LinkEffect, Links};
use crate::report::Stats;
use crate::seed::Streams;
use crate::trace::{DropReason, EventKind, HostId, Trace};
use crate::wire::Wire;

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

/// Where a host died.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Cause {
    /// At a named crash point.
    Point(String),
    /// At a durable-write boundary ("before its 2nd write").
    Boundary(String),
}

/// A host that died at a crash point and waits for the runner to tear it down.
#[derive(Clone, Debug)]
pub(crate) struct CrashRequest {
    pub host: HostId,
    pub point: String,
    pub downtime_ms: u64,
}

/// A datagram held on its link.
pub(crate) struct Held {
    pub header: Header,
    pub bytes: Vec<u8>,
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
    /// How often each host died at a write boundary.
    pub boundary_crashes: RefCell<BTreeMap<String, u64>>,
    pub panics: Rc<RefCell<Vec<String>>>,
    pub(crate) links: RefCell<Links>,
    pub(crate) active: RefCell<BTreeMap<u32, Vec<LinkEffect>>>,
    /// Link faults whose time has come, waiting for the first datagram they would touch.
    pub(crate) armed_links: RefCell<Vec<(u32, String, Vec<LinkEffect>)>>,
    /// Faults that started during the last step (the runner schedules their ends).
    pub started: RefCell<Vec<u32>>,
    pub(crate) held: RefCell<Vec<Held>>,
    pub(crate) armed: RefCell<Vec<Armed>>,
    pub(crate) passes: RefCell<BTreeMap<(HostId, String), u32>>,
    pub crash_requests: RefCell<Vec<CrashRequest>>,
    /// Faults that had an effect.
    pub bites: RefCell<Bites>,
    /// Datagrams on the wire to each host; what is still there when a host restarts reaches
    /// its new incarnation.
    wire: RefCell<Wire>,
    datagrams: RefCell<ChaCha8Rng>,
    pub(crate) reorder: RefCell<ChaCha8Rng>,
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
            boundary_crashes: RefCell::new(BTreeMap::new()),
            panics: Rc::new(RefCell::new(Vec::new())),
            links: RefCell::new(Links::healthy(names.len())),
            active: RefCell::new(BTreeMap::new()),
            armed_links: RefCell::new(Vec::new()),
            started: RefCell::new(Vec::new()),
            held: RefCell::new(Vec::new()),
            armed: RefCell::new(Vec::new()),
            passes: RefCell::new(BTreeMap::new()),
            crash_requests: RefCell::new(Vec::new()),
            bites: RefCell::new(Bites::default()),
            wire: RefCell::new(Wire::new(names.len())),
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
        if !links.blocked(from, to) && links.loss(from, to) == 0 {
            // Only a datagram the active faults let through starts an armed one: a fault
            // whose first datagram another fault already drops would bite nothing.
            drop(links);
            self.start_armed_links(from, to);
        } else {
            drop(links);
        }
        let links = self.links.borrow();
        if links.blocked(from, to) {
            drop(links);
            self.bite(|e| e.blocks(from, to));
            return lose(DropReason::Partition);
        }
        let (loss, dup) = (links.loss(from, to), links.duplicate(from, to));
        drop(links);
        if loss > 0 && self.datagrams.borrow_mut().random_range(0..1000u16) < loss {
            self.bite(|e| e.loses(from, to));
            return lose(DropReason::Loss);
        }
        if dup > 0 && self.datagrams.borrow_mut().random_range(0..1000u16) < dup {
            self.bite(|e| e.duplicates(from, to));
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
        if !receiver.up.get() {
            return lose(DropReason::ReceiverDown);
        }
        let links = self.links.borrow();
        if links.blocked(from, to) {
            drop(links);
            self.bite(|e| e.blocks(from, to));
            return lose(DropReason::Partition);
        }
        if !released && links.held(from, to) {
            drop(links);
            self.bite(|e| e.holds(from, to));
            self.record(EventKind::Hold { uid, from, to });
            self.stats.borrow_mut().held += 1;
            return Arrival::Hold;
        }
        drop(links);
        self.record(EventKind::Deliver { uid, from, to });
        self.stats.borrow_mut().delivered += 1;
        receiver.last_traffic_ms.set(self.now_ms());
        Arrival::Deliver
    }

    /// Mark every active link fault matching `touches` as having had an effect.
    fn bite(&self, touches: impl Fn(&LinkEffect) -> bool) {
        let active = self.active.borrow();
        let mut bites = self.bites.borrow_mut();
        for (index, effects) in active.iter() {
            if effects.iter().any(&touches) {
                bites.mark(*index);
            }
        }
    }

    // ---- the wire: datagrams on their way to a host (see `wire`) -------------------------

    /// `copies` copies of datagram `uid` went on the wire to `to`.
    pub(crate) fn on_wire(&self, to: HostId, uid: u64, copies: u32, bytes: &[u8]) {
        self.wire.borrow_mut().put(to, uid, copies, bytes);
    }

    /// A copy of datagram `uid` came off the wire at `to`'s socket; false if it already
    /// reached `to`'s new incarnation at restart.
    pub(crate) fn off_wire(&self, to: HostId, uid: u64) -> bool {
        self.wire.borrow_mut().take(to, uid)
    }

    /// Datagrams on the wire to running servers (for naming what is busy).
    pub(crate) fn on_the_wire(&self) -> usize {
        let wire = self.wire.borrow();
        self.hosts
            .iter()
            .filter(|h| h.up.get() && !h.is_client)
            .map(|h| wire.count(h.id))
            .sum()
    }

    /// The host restarts: every datagram still on the wire to it reaches the new incarnation.
    fn redeliver(&self, id: HostId) {
        let waiting = self.wire.borrow_mut().drain(id);
        let host = self.host(id);
        for (uid, copies, bytes) in waiting {
            let Some((header, _)) = crate::envelope::decode_header(&bytes) else {
                continue;
            };
            self.record(EventKind::Redeliver {
                uid,
                from: header.from,
                to: id,
            });
            for _ in 0..copies {
                host.released
                    .borrow_mut()
                    .push_back((header, bytes.clone(), false));
            }
        }
    }

    /// The host crashed (torn down by the runner): volatile state is gone, durable state drops
    /// what it had not committed. `cause` says where it died: at a named crash point, at a
    /// write boundary, or (None) at a random instant.
    pub(crate) fn crashed(&self, id: HostId, cause: Option<Cause>) {
        let host = self.host(id);
        host.up.set(false);
        host.down.set(true);
        host.paused.set(false);
        host.calls.set(0);
        host.released.borrow_mut().clear();
        for d in host.durables.borrow().iter() {
            d.borrow_mut().crashed();
        }
        let point = match cause {
            Some(Cause::Point(p)) => {
                *self.died_at.borrow_mut().entry(p.clone()).or_insert(0) += 1;
                Some(p)
            }
            Some(Cause::Boundary(what)) => {
                *self
                    .boundary_crashes
                    .borrow_mut()
                    .entry(host.name.clone())
                    .or_insert(0) += 1;
                Some(what)
            }
            None => None,
        };
        self.record(EventKind::Crash { host: id, point });
        self.stats.borrow_mut().crashes += 1;
    }

    /// Did `id` have work under way (a call waiting for its reply, or traffic in the last
    /// second)? A crash or pause of an idle host is a wasted fault.
    pub(crate) fn busy_host(&self, id: HostId) -> bool {
        let host = self.host(id);
        host.calls.get() > 0 || self.now_ms().saturating_sub(host.last_traffic_ms.get()) <= 1_000
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
        self.redeliver(id);
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
