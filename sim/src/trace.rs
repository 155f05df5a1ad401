//! The trace: every send, delivery, drop, duplicate, hold, fault, crash, crash point, probe,
//! panic, ledger and application event of a run, stamped with simulated time, in time order,
//! and its stable hash.
//!
//! Time order: within one simulation step turmoil runs each host in turn through the whole
//! tick, so host A's events at 2473 ms are recorded before host B's at 2457 ms. Events are
//! therefore recorded into a pending batch that the runner [`Trace::settle`]s after every
//! step: a stable sort by time (events of one host, and events at the same instant, keep
//! their order), then the hash is fed. Every trace is non-decreasing in `at_ms`.
//!
//! The hash is fed as batches settle (FNV-1a over a fixed encoding), so hashing costs
//! nothing at the end of a run and two runs can be compared event by event.

use serde::{Deserialize, Serialize};

use crate::hash::Fnv64;

/// Index of a host in the run's host table (servers first, then clients).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct HostId(pub u16);

/// Why a datagram was not delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DropReason {
    /// The link was partitioned (at send, or while the datagram was in flight).
    Partition,
    /// Random per-link loss.
    Loss,
    /// The receiver was down when the datagram arrived.
    ReceiverDown,
    /// The sender was down (it died at a crash point earlier in the same tick).
    SenderDown,
    /// The datagram could not be decoded by the receiver.
    Garbled,
}

impl DropReason {
    fn code(self) -> u64 {
        match self {
            DropReason::Partition => 1,
            DropReason::Loss => 2,
            DropReason::ReceiverDown => 3,
            DropReason::SenderDown => 4,
            DropReason::Garbled => 5,
        }
    }

    /// Short name for renderings.
    pub fn name(self) -> &'static str {
        match self {
            DropReason::Partition => "partition",
            DropReason::Loss => "loss",
            DropReason::ReceiverDown => "receiver down",
            DropReason::SenderDown => "sender down",
            DropReason::Garbled => "garbled",
        }
    }
}

/// What happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum EventKind {
    /// A datagram left `from` for `to` (`uid` names it through its journey).
    Send {
        uid: u64,
        from: HostId,
        to: HostId,
        label: String,
    },
    /// A second copy of datagram `uid` was put on the wire.
    Duplicate { uid: u64, from: HostId, to: HostId },
    /// Datagram `uid` reached its receiver's code.
    Deliver { uid: u64, from: HostId, to: HostId },
    /// Datagram `uid` was lost.
    Drop {
        uid: u64,
        from: HostId,
        to: HostId,
        reason: DropReason,
    },
    /// Datagram `uid` is held on its link until the hold ends.
    Hold { uid: u64, from: HostId, to: HostId },
    /// Held datagram `uid` was released, in shuffled order with the others.
    Release { uid: u64, from: HostId, to: HostId },
    /// Datagram `uid`, on the wire to `to` when it crashed, reaches its new incarnation.
    Redeliver { uid: u64, from: HostId, to: HostId },
    /// A fault of the plan began.
    FaultStart { index: u32, desc: String },
    /// A fault of the plan ended (its effect undone).
    FaultEnd { index: u32, desc: String },
    /// The fault window closed: links repaired, held datagrams released, hosts restarted.
    Heal,
    /// The run became quiescent: what follows is the tail, where nothing may change.
    Quiescent,
    /// A host crashed; `point` names the crash point when it died at one.
    Crash { host: HostId, point: Option<String> },
    /// A crashed host started again.
    Restart { host: HostId, incarnation: u32 },
    /// Host code passed a named crash point (the `nth` time on this host) and lived.
    CrashPointPassed {
        host: HostId,
        name: String,
        nth: u32,
    },
    /// A coverage mark was reached.
    Probe { host: HostId, name: String },
    /// A host task panicked.
    Panic {
        host: Option<HostId>,
        message: String,
    },
    /// Something the system under test reports.
    App { host: HostId, text: String },
    /// The system under test committed its ledger event number `n` (numbered from 0 in
    /// commit order, as its checkers cite them: "first broken after ledger event L25").
    Ledger { n: u64, text: String },
}

/// One trace event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Simulated milliseconds since the start of the run.
    pub at_ms: u64,
    /// What happened.
    #[serde(flatten)]
    pub kind: EventKind,
}

/// Every event of one run, in order, with the host names to render them.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Trace {
    /// Host names, indexed by [`HostId`].
    pub hosts: Vec<String>,
    /// The events, in the order they happened (non-decreasing in time).
    pub events: Vec<Event>,
    /// Events before this index are settled: in time order and fed to the hash.
    #[serde(skip)]
    settled: usize,
    #[serde(skip)]
    hash: Fnv64,
}

impl Trace {
    /// An empty trace over these hosts.
    pub fn new(hosts: Vec<String>) -> Self {
        let mut hash = Fnv64::new();
        for h in &hosts {
            hash.write_str(h);
        }
        Trace {
            hosts,
            events: Vec::new(),
            settled: 0,
            hash,
        }
    }

    /// Record an event (pending until the next [`Trace::settle`]).
    pub fn push(&mut self, at_ms: u64, kind: EventKind) {
        self.events.push(Event { at_ms, kind });
    }

    /// Settle the pending events: sort them by time (stably: same-instant events keep the
    /// order they were recorded in) and feed them to the hash. An event stamped before the
    /// last settled one (which the runner's steps never produce) is moved up to its time, so
    /// the trace never goes backwards.
    pub fn settle(&mut self) {
        let floor = self
            .settled
            .checked_sub(1)
            .map_or(0, |i| self.events[i].at_ms);
        let pending = &mut self.events[self.settled..];
        if !pending.is_sorted_by_key(|e| e.at_ms) {
            pending.sort_by_key(|e| e.at_ms);
        }
        for e in pending.iter_mut() {
            e.at_ms = e.at_ms.max(floor);
            feed(&mut self.hash, e.at_ms, &e.kind);
        }
        self.settled = self.events.len();
    }

    /// The stable 64-bit hash of everything recorded so far (pending events as they will
    /// settle).
    pub fn hash(&self) -> u64 {
        if self.settled == self.events.len() {
            return self.hash.finish();
        }
        let mut t = self.clone();
        t.settle();
        t.hash.finish()
    }

    /// The name of a host.
    pub fn host(&self, id: HostId) -> &str {
        self.hosts
            .get(usize::from(id.0))
            .map(String::as_str)
            .unwrap_or("?")
    }

    /// One event as a line of text: `  1250ms  stock -> order  #17 Reserved{..}`.
    pub fn describe(&self, e: &Event) -> String {
        let h = |id: HostId| self.host(id);
        let what = match &e.kind {
            EventKind::Send {
                uid,
                from,
                to,
                label,
            } => format!("send     {} -> {} #{uid} {label}", h(*from), h(*to)),
            EventKind::Duplicate { uid, from, to } => {
                format!("dup      {} -> {} #{uid}", h(*from), h(*to))
            }
            EventKind::Deliver { uid, from, to } => {
                format!("deliver  {} -> {} #{uid}", h(*from), h(*to))
            }
            EventKind::Drop {
                uid,
                from,
                to,
                reason,
            } => format!(
                "drop     {} -> {} #{uid} ({})",
                h(*from),
                h(*to),
                reason.name()
            ),
            EventKind::Hold { uid, from, to } => {
                format!("hold     {} -> {} #{uid}", h(*from), h(*to))
            }
            EventKind::Release { uid, from, to } => {
                format!("release  {} -> {} #{uid}", h(*from), h(*to))
            }
            EventKind::Redeliver { uid, from, to } => {
                format!(
                    "redeliver {} -> {} #{uid} (to the new incarnation)",
                    h(*from),
                    h(*to)
                )
            }
            EventKind::FaultStart { index, desc } => format!("fault    [{index}] {desc}"),
            EventKind::FaultEnd { index, desc } => format!("fault    [{index}] ends: {desc}"),
            EventKind::Heal => "heal     links repaired, held released, hosts restarted".into(),
            EventKind::Quiescent => "quiet    quiescent: from here on nothing may change".into(),
            EventKind::Crash { host, point } => match point {
                Some(p) if p.contains(" write") => format!("crash    {} {p}", h(*host)),
                Some(p) => format!("crash    {} at crash point {p}", h(*host)),
                None => format!("crash    {}", h(*host)),
            },
            EventKind::Restart { host, incarnation } => {
                format!("restart  {} (incarnation {incarnation})", h(*host))
            }
            EventKind::CrashPointPassed { host, name, nth } => {
                format!("point    {} passed {name} (#{nth})", h(*host))
            }
            EventKind::Probe { host, name } => format!("probe    {} {name}", h(*host)),
            EventKind::Panic { host, message } => match host {
                Some(id) => format!("PANIC    {}: {message}", h(*id)),
                None => format!("PANIC    {message}"),
            },
            EventKind::App { host, text } => format!("app      {} {text}", h(*host)),
            EventKind::Ledger { n, text } => format!("ledger   L{n} {text}"),
        };
        format!("{:>8}ms  {what}", e.at_ms)
    }
}

fn feed(hash: &mut Fnv64, at_ms: u64, kind: &EventKind) {
    hash.write_u64(at_ms);
    let link = |hash: &mut Fnv64, tag: u64, uid: u64, from: HostId, to: HostId| {
        hash.write_u64(tag);
        hash.write_u64(uid);
        hash.write_u64(u64::from(from.0) << 16 | u64::from(to.0));
    };
    match kind {
        EventKind::Send {
            uid,
            from,
            to,
            label,
        } => {
            link(hash, 1, *uid, *from, *to);
            hash.write_str(label);
        }
        EventKind::Duplicate { uid, from, to } => link(hash, 2, *uid, *from, *to),
        EventKind::Deliver { uid, from, to } => link(hash, 3, *uid, *from, *to),
        EventKind::Drop {
            uid,
            from,
            to,
            reason,
        } => {
            link(hash, 4, *uid, *from, *to);
            hash.write_u64(reason.code());
        }
        EventKind::Hold { uid, from, to } => link(hash, 5, *uid, *from, *to),
        EventKind::Release { uid, from, to } => link(hash, 6, *uid, *from, *to),
        EventKind::Redeliver { uid, from, to } => link(hash, 16, *uid, *from, *to),
        EventKind::FaultStart { index, desc } => {
            hash.write_u64(7);
            hash.write_u64(u64::from(*index));
            hash.write_str(desc);
        }
        EventKind::FaultEnd { index, desc } => {
            hash.write_u64(8);
            hash.write_u64(u64::from(*index));
            hash.write_str(desc);
        }
        EventKind::Heal => hash.write_u64(9),
        EventKind::Quiescent => hash.write_u64(17),
        EventKind::Crash { host, point } => {
            hash.write_u64(10);
            hash.write_u64(u64::from(host.0));
            hash.write_str(point.as_deref().unwrap_or(""));
        }
        EventKind::Restart { host, incarnation } => {
            hash.write_u64(11);
            hash.write_u64(u64::from(host.0));
            hash.write_u64(u64::from(*incarnation));
        }
        EventKind::CrashPointPassed { host, name, nth } => {
            hash.write_u64(12);
            hash.write_u64(u64::from(host.0));
            hash.write_str(name);
            hash.write_u64(u64::from(*nth));
        }
        EventKind::Probe { host, name } => {
            hash.write_u64(13);
            hash.write_u64(u64::from(host.0));
            hash.write_str(name);
        }
        EventKind::Panic { host, message } => {
            hash.write_u64(14);
            hash.write_u64(host.map_or(u64::MAX, |h| u64::from(h.0)));
            hash.write_str(message);
        }
        EventKind::App { host, text } => {
            hash.write_u64(15);
            hash.write_u64(u64::from(host.0));
            hash.write_str(text);
        }
        EventKind::Ledger { n, text } => {
            hash.write_u64(18);
            hash.write_u64(*n);
            hash.write_str(text);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_depends_on_every_field_and_on_order() {
        let mk = |events: &[(u64, EventKind)]| {
            let mut t = Trace::new(vec!["a".into(), "b".into()]);
            for (at, k) in events {
                t.push(*at, k.clone());
            }
            t.hash()
        };
        let p = |name: &str| EventKind::Probe {
            host: HostId(0),
            name: name.into(),
        };
        let base = mk(&[(1, p("x")), (2, p("y"))]);
        assert_eq!(base, mk(&[(1, p("x")), (2, p("y"))]));
        // Recorded out of time order, they settle in time order.
        assert_eq!(base, mk(&[(2, p("y")), (1, p("x"))]));
        assert_ne!(
            mk(&[(1, p("x")), (1, p("y"))]),
            mk(&[(1, p("y")), (1, p("x"))])
        );
        assert_ne!(base, mk(&[(1, p("x")), (3, p("y"))]));
        assert_ne!(base, mk(&[(1, p("x")), (2, p("z"))]));
        let l = |n: u64| EventKind::Ledger {
            n,
            text: "x".into(),
        };
        assert_ne!(mk(&[(1, l(1))]), mk(&[(1, l(2))]));
    }

    #[test]
    fn settling_sorts_a_step_by_time_and_never_goes_back() {
        let p = |name: &str| EventKind::Probe {
            host: HostId(0),
            name: name.into(),
        };
        let mut t = Trace::new(vec!["a".into()]);
        t.push(50, p("a"));
        t.push(40, p("b"));
        t.push(40, p("c"));
        t.settle();
        t.push(30, p("d"));
        t.settle();
        let got: Vec<(u64, &str)> = t
            .events
            .iter()
            .map(|e| match &e.kind {
                EventKind::Probe { name, .. } => (e.at_ms, name.as_str()),
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(got, [(40, "b"), (40, "c"), (50, "a"), (50, "d")]);
    }
}
