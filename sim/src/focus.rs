//! What a rendering of a run shows, and in which order: the trace's events, optionally
//! narrowed to one [`Focus`] (one order, say), with the run's violations placed where they
//! first broke. The timeline and the Mermaid diagram both draw from [`select`], so they
//! always agree on what they show.
//!
//! What a focus keeps:
//! - datagrams whose label is about it, and their deliveries, drops, holds, releases,
//!   duplicates and redeliveries;
//! - ledger and application events whose text is about it, and every ledger event a
//!   violation cites;
//! - context, always: faults starting and ending, the heal, crashes, restarts, quiescence,
//!   panics and violations;
//! - a probe or a crash point passed at host H at time t only when it can be tied to the
//!   focus: the last datagram H handled before it (received, or sent) was one the focus keeps,
//!   at the same instant t, and the next datagram H sends at t (if any) is one too. Host code
//!   runs to its next await at one instant, so such a probe was reached while handling the
//!   focus's datagram. A probe followed by a send about something else at that instant (a
//!   retry loop probing, then sending, for order after order), and probes of timers and
//!   background loops that handled nothing at that instant, are left out: nothing ties them
//!   to the focus.
//!
//! Where violations go: right after the ledger event they first broke after (`L<n>`), or,
//! when they cite none (or it is not in the trace), after the last event at or before their
//! `at_ms`.

use std::collections::BTreeSet;

use crate::report::Violation;
use crate::trace::{Event, EventKind, Trace};

/// What to narrow a rendering to.
pub struct Focus<'a> {
    /// What it is, for the note saying the output is filtered: `order 7`.
    pub name: String,
    /// Is this text (a datagram's label, a ledger or application event) about it?
    pub about: &'a dyn Fn(&str) -> bool,
}

impl Focus<'_> {
    /// The line saying what a filtered rendering leaves out.
    pub fn banner(&self) -> String {
        format!(
            "filtered: only {} (its datagrams, ledger events and the probes tied to them) and context (faults, heal, crashes, restarts, quiescence, violations)",
            self.name
        )
    }
}

/// One thing a rendering shows.
#[derive(Clone, Copy, Debug)]
pub enum Shown<'a> {
    /// A trace event.
    Event(&'a Event),
    /// A violation, where it first broke.
    Violation(&'a Violation),
}

/// What to show of `trace` and `violations`, in order (see the module doc).
pub fn select<'a>(
    trace: &'a Trace,
    violations: &'a [Violation],
    focus: Option<&Focus<'_>>,
) -> Vec<Shown<'a>> {
    let ledgers: BTreeSet<u64> = trace
        .events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Ledger { n, .. } => Some(n),
            _ => None,
        })
        .collect();
    let cited: BTreeSet<u64> = violations.iter().filter_map(|v| v.after_ledger).collect();
    let anchored = |v: &Violation| v.after_ledger.filter(|n| ledgers.contains(n));
    let mut timed: Vec<&Violation> = violations
        .iter()
        .filter(|v| anchored(v).is_none())
        .collect();
    timed.sort_by_key(|v| v.at_ms);
    let mut timed = timed.into_iter().peekable();

    let keep = Keep::new(trace, focus);
    let mut out = Vec::with_capacity(trace.events.len() + violations.len());
    for (i, e) in trace.events.iter().enumerate() {
        while let Some(v) = timed.next_if(|v| v.at_ms < e.at_ms) {
            out.push(Shown::Violation(v));
        }
        if keep.event(i, e, &cited) {
            out.push(Shown::Event(e));
        }
        if let EventKind::Ledger { n, .. } = e.kind {
            out.extend(
                violations
                    .iter()
                    .filter(|v| anchored(v) == Some(n))
                    .map(Shown::Violation),
            );
        }
    }
    out.extend(timed.map(Shown::Violation));
    out
}

/// The focus's filter, event by event.
struct Keep<'f> {
    focus: Option<&'f Focus<'f>>,
    /// Datagrams the focus keeps.
    uids: BTreeSet<u64>,
    /// The probes and crash points passed (by index) the focus keeps.
    tied: BTreeSet<usize>,
}

impl<'f> Keep<'f> {
    fn new(trace: &Trace, focus: Option<&'f Focus<'f>>) -> Self {
        let Some(f) = focus else {
            return Keep {
                focus,
                uids: BTreeSet::new(),
                tied: BTreeSet::new(),
            };
        };
        let uids: BTreeSet<u64> = trace
            .events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Send { uid, label, .. } if (f.about)(label) => Some(*uid),
                _ => None,
            })
            .collect();
        // A datagram a host handled: (host, kept).
        let touch = |e: &Event| match e.kind {
            EventKind::Send { uid, from, .. } => Some((from, uids.contains(&uid))),
            EventKind::Deliver { uid, to, .. } => Some((to, uids.contains(&uid))),
            _ => None,
        };
        let at_host = |e: &Event| match e.kind {
            EventKind::Probe { host, .. } | EventKind::CrashPointPassed { host, .. } => Some(host),
            _ => None,
        };
        let hosts = trace.hosts.len();
        // Per host, the datagram it sends next (when, kept), for each probe.
        let mut next: Vec<Option<(u64, bool)>> = vec![None; hosts];
        let mut after = vec![None; trace.events.len()];
        for (i, e) in trace.events.iter().enumerate().rev() {
            if let (EventKind::Send { .. }, Some((h, kept))) = (&e.kind, touch(e)) {
                next[usize::from(h.0)] = Some((e.at_ms, kept));
            } else if let Some(h) = at_host(e) {
                after[i] = next[usize::from(h.0)];
            }
        }
        let mut last: Vec<Option<(u64, bool)>> = vec![None; hosts];
        let mut tied = BTreeSet::new();
        for (i, e) in trace.events.iter().enumerate() {
            if let Some((h, kept)) = touch(e) {
                last[usize::from(h.0)] = Some((e.at_ms, kept));
            } else if let Some(h) = at_host(e) {
                let before = last[usize::from(h.0)] == Some((e.at_ms, true));
                let then = after[i].is_none_or(|(t, kept)| t != e.at_ms || kept);
                if before && then {
                    tied.insert(i);
                }
            }
        }
        Keep { focus, uids, tied }
    }

    fn event(&self, i: usize, e: &Event, cited: &BTreeSet<u64>) -> bool {
        let Some(focus) = self.focus else {
            return true;
        };
        match &e.kind {
            EventKind::Send { uid, .. }
            | EventKind::Deliver { uid, .. }
            | EventKind::Duplicate { uid, .. }
            | EventKind::Drop { uid, .. }
            | EventKind::Hold { uid, .. }
            | EventKind::Release { uid, .. }
            | EventKind::Redeliver { uid, .. } => self.uids.contains(uid),
            EventKind::Probe { .. } | EventKind::CrashPointPassed { .. } => self.tied.contains(&i),
            EventKind::Ledger { n, text } => cited.contains(n) || (focus.about)(text),
            EventKind::App { text, .. } => (focus.about)(text),
            EventKind::FaultStart { .. }
            | EventKind::FaultEnd { .. }
            | EventKind::Heal
            | EventKind::Quiescent
            | EventKind::Crash { .. }
            | EventKind::Restart { .. }
            | EventKind::Panic { .. } => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::HostId;

    fn trace() -> Trace {
        let mut t = Trace::new(vec!["a".into(), "b".into()]);
        let send = |uid, label: &str| EventKind::Send {
            uid,
            from: HostId(0),
            to: HostId(1),
            label: label.into(),
        };
        let deliver = |uid| EventKind::Deliver {
            uid,
            from: HostId(0),
            to: HostId(1),
        };
        let probe = |name: &str| EventKind::Probe {
            host: HostId(1),
            name: name.into(),
        };
        t.push(0, send(1, "order 7"));
        t.push(0, send(2, "order 8"));
        t.push(10, deliver(1));
        t.push(10, probe("seven"));
        t.push(10, deliver(2));
        t.push(10, probe("eight"));
        t.push(20, probe("timer"));
        t.push(
            20,
            EventKind::Ledger {
                n: 0,
                text: "order 8 done".into(),
            },
        );
        t.push(30, EventKind::Heal);
        t.settle();
        t
    }

    fn names(shown: &[Shown<'_>], t: &Trace) -> Vec<String> {
        shown
            .iter()
            .map(|s| match s {
                Shown::Event(e) => t.describe(e).trim().to_string(),
                Shown::Violation(v) => format!("VIOLATION {}", v.invariant),
            })
            .collect()
    }

    #[test]
    fn a_focus_keeps_its_datagrams_tied_probes_cited_ledger_events_and_context() {
        let t = trace();
        let about = |s: &str| s.contains("order 7");
        let focus = Focus {
            name: "order 7".into(),
            about: &about,
        };
        let v = [Violation::new("x", "broke", 20).after_ledger(0)];
        let got = names(&select(&t, &v, Some(&focus)), &t);
        assert_eq!(
            got,
            [
                "0ms  send     a -> b #1 order 7",
                "10ms  deliver  a -> b #1",
                "10ms  probe    b seven",
                "20ms  ledger   L0 order 8 done",
                "VIOLATION x",
                "30ms  heal     links repaired, held released, hosts restarted",
            ]
        );
    }

    #[test]
    fn violations_go_after_their_ledger_event_or_at_their_time() {
        let t = trace();
        let v = [
            Violation::new("late", "end check", 25),
            Violation::new("cited", "broke", 20).after_ledger(0),
        ];
        let got = names(&select(&t, &v, None), &t);
        let at = |s: &str| got.iter().position(|g| g == s).unwrap();
        assert_eq!(
            at("VIOLATION cited"),
            at("20ms  ledger   L0 order 8 done") + 1
        );
        assert_eq!(at("VIOLATION late") + 1, got.len() - 1, "{got:?}");
        assert_eq!(got.len(), t.events.len() + 2);
    }
}
