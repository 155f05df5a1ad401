//! Injecting the plan: starting and ending each fault (link faults, crashes and restarts,
//! pauses and resumes, arming crash points and write boundaries), tearing down hosts that died
//! inside a step, and healing at the end of the fault window.
//!
//! A fault's `at_ms` is when its time comes; it starts where it bites: a link fault with the
//! first datagram it touches from then on, a crash or pause once its host has work under way
//! (a call waiting for its reply, or traffic in the last second), a crash point the first time
//! its code passes it, a boundary crash at the n-th write. A fault lasts `duration_ms` from its
//! start, or until heal.

use crate::engine::{Armed, Cause};
use crate::links::LinkEffect;
use crate::plan::Effect;
use crate::runner::Runner;
use crate::trace::{EventKind, HostId};

impl Runner {
    fn id(&self, name: &str) -> HostId {
        self.engine
            .host_id(name)
            .expect("plan validated against the topology")
    }

    fn ids(&self, names: &[String]) -> Vec<HostId> {
        names.iter().map(|n| self.id(n)).collect()
    }

    /// Arm every fault whose time has come, start the crashes and pauses whose host has work
    /// under way, schedule the ends of faults that started, and end those due by `now`.
    pub(crate) fn apply_due(&mut self, now: u64) {
        while let Some(&at) = self.schedule.get(self.next).map(|(at, _)| at) {
            if at > now {
                break;
            }
            let index = self.schedule[self.next].1;
            self.next += 1;
            self.arm_fault(index, now);
        }
        self.start_waiting(now);
        self.schedule_ends(now);
        while let Some(&(at, index)) = self.ends.first() {
            if at > now {
                break;
            }
            self.ends.remove(0);
            self.end_fault(index);
        }
    }

    /// Faults that started since the last call end `duration_ms` after now.
    pub(crate) fn schedule_ends(&mut self, now: u64) {
        let started: Vec<u32> = self.engine.started.borrow_mut().drain(..).collect();
        for index in started {
            let f = &self.plan.faults[index as usize];
            if matches!(
                f.effect,
                Effect::CrashPoint { .. } | Effect::Boundary { .. }
            ) {
                continue;
            }
            let end = now.saturating_add(f.duration_ms);
            let at = self.ends.partition_point(|e| *e <= (end, index));
            self.ends.insert(at, (end, index));
        }
    }

    /// Crashes and pauses strike when their host has work under way (a call waiting for its
    /// reply, or traffic in the last second): killing or stopping an idle host tests nothing.
    fn start_waiting(&mut self, now: u64) {
        let waiting = std::mem::take(&mut self.waiting);
        for index in waiting {
            let host = match &self.plan.faults[index as usize].effect {
                Effect::Crash { host } | Effect::Pause { host } => self.id(host),
                _ => continue,
            };
            let h = self.engine.host(host);
            if h.down.get() || !h.up.get() || h.paused.get() || !self.engine.busy_host(host) {
                self.waiting.push(index);
                continue;
            }
            self.start_fault(index, now);
        }
    }

    /// A fault's time has come: link faults wait for their link's next datagram, crashes and
    /// pauses for their host to have work, crash points and boundaries are armed.
    fn arm_fault(&mut self, index: u32, now: u64) {
        let effect = self.plan.faults[index as usize].effect.clone();
        match effect {
            Effect::Crash { .. } | Effect::Pause { .. } => self.waiting.push(index),
            Effect::CrashPoint { .. } | Effect::Boundary { .. } => self.start_fault(index, now),
            _ => {
                let links = self.link_effects(&effect);
                self.engine.arm_link_fault(index, effect.to_string(), links);
            }
        }
    }

    fn link_effects(&self, effect: &Effect) -> Vec<LinkEffect> {
        let all: Vec<HostId> = self.engine.hosts.iter().map(|h| h.id).collect();
        match effect {
            Effect::Partition { a, b } => {
                let (a, b) = (self.ids(a), self.ids(b));
                vec![
                    LinkEffect::Block(a.clone(), b.clone()),
                    LinkEffect::Block(b, a),
                ]
            }
            Effect::OneWay { from, to } => vec![LinkEffect::Block(self.ids(from), self.ids(to))],
            Effect::Isolate { host } => {
                let h = vec![self.id(host)];
                vec![
                    LinkEffect::Block(h.clone(), all.clone()),
                    LinkEffect::Block(all, h),
                ]
            }
            Effect::Loss { a, b, permille } => {
                vec![LinkEffect::Loss(self.id(a), self.id(b), *permille)]
            }
            Effect::Hold { a, b } => vec![LinkEffect::Hold(self.id(a), self.id(b))],
            Effect::Duplicate { a, b, permille } => {
                vec![LinkEffect::Duplicate(self.id(a), self.id(b), *permille)]
            }
            _ => Vec::new(),
        }
    }

    /// Start a crash, pause, crash point or boundary fault now.
    fn start_fault(&mut self, index: u32, now: u64) {
        let fault = self.plan.faults[index as usize].clone();
        self.engine.record(EventKind::FaultStart {
            index,
            desc: fault.effect.to_string(),
        });
        self.engine.stats.borrow_mut().faults += 1;
        self.engine.started.borrow_mut().push(index);
        match &fault.effect {
            Effect::Crash { host } => {
                let id = self.id(host);
                if !self.engine.host(id).down.get() && self.engine.busy_host(id) {
                    self.engine.bites.borrow_mut().mark(index);
                }
                self.crash(id, None);
            }
            Effect::CrashPoint { host, point } => {
                self.engine.arm(Armed {
                    fault: index,
                    host: self.id(host),
                    point: point.clone(),
                    from_ms: now.max(fault.at_ms),
                    downtime_ms: fault.duration_ms,
                    fired: false,
                });
            }
            Effect::Boundary { host, nth, side } => {
                let host = self.engine.host(self.id(host)).clone();
                host.writes
                    .borrow_mut()
                    .arm(index, *nth, *side, fault.duration_ms);
            }
            Effect::Pause { host } => {
                let host = self.engine.host(self.id(host)).clone();
                if !host.down.get() {
                    host.paused.set(true);
                    host.gated.set(false);
                    self.pauses.push((index, host.id));
                }
            }
            _ => unreachable!("link faults start with their link's traffic"),
        }
    }

    fn end_fault(&mut self, index: u32) {
        let fault = &self.plan.faults[index as usize];
        self.engine.record(EventKind::FaultEnd {
            index,
            desc: fault.effect.to_string(),
        });
        match &fault.effect {
            Effect::Crash { host } => {
                let id = self.id(host);
                self.restart(id);
            }
            Effect::CrashPoint { .. } | Effect::Boundary { .. } => {}
            Effect::Pause { .. } => self.resume(index),
            _ => self.engine.end_link_fault(index),
        }
    }

    /// Resume the host paused by fault `index` (if that pause is still on).
    fn resume(&mut self, index: u32) {
        let Some(i) = self.pauses.iter().position(|(f, _)| *f == index) else {
            return;
        };
        let (_, id) = self.pauses.remove(i);
        if self.pauses.iter().any(|(_, h)| *h == id) {
            return; // another pause of the same host still holds it
        }
        let host = self.engine.host(id).clone();
        if host.gated.get() {
            self.engine.bites.borrow_mut().mark(index);
        }
        host.paused.set(false);
        host.resumed.notify_waiters();
    }

    pub(crate) fn crash(&mut self, id: HostId, cause: Option<Cause>) {
        let host = self.engine.host(id).clone();
        if host.down.get() {
            return;
        }
        // A crash ends any pause of the host: its new incarnation starts running.
        let paused: Vec<u32> = self
            .pauses
            .iter()
            .filter(|(_, h)| *h == id)
            .map(|(f, _)| *f)
            .collect();
        for f in paused {
            if host.gated.get() {
                self.engine.bites.borrow_mut().mark(f);
            }
        }
        self.pauses.retain(|(_, h)| *h != id);
        self.sim.crash(host.name.as_str());
        self.engine.crashed(id, cause);
    }

    pub(crate) fn restart(&mut self, id: HostId) {
        let host = self.engine.host(id).clone();
        if !host.down.get() {
            return;
        }
        self.restarts.retain(|(_, h)| *h != id);
        self.engine.restarting(id);
        self.sim.bounce(host.name.as_str());
    }

    /// Restart every host whose downtime is over (all of them once healed).
    pub(crate) fn restart_due(&mut self, now: u64) {
        let due: Vec<HostId> = self
            .restarts
            .iter()
            .filter(|(at, _)| *at <= now || self.healed_at.is_some())
            .map(|(_, h)| *h)
            .collect();
        for id in due {
            self.restart(id);
        }
    }

    /// Hosts that died at a crash point or a write boundary during the last step: crash them
    /// for real.
    pub(crate) fn tear_down_dead(&mut self, now: u64) {
        let requests: Vec<_> = self.engine.crash_requests.borrow_mut().drain(..).collect();
        for r in requests {
            self.crash(r.host, Some(Cause::Point(r.point)));
            self.restarts.push((now + r.downtime_ms, r.host));
        }
        let hosts: Vec<HostId> = self.engine.hosts.iter().map(|h| h.id).collect();
        for id in hosts {
            let died = self.engine.host(id).writes.borrow_mut().died.take();
            if let Some(d) = died {
                self.engine.bites.borrow_mut().mark(d.fault);
                self.crash(id, Some(Cause::Boundary(d.what)));
                self.restarts.push((now + d.downtime_ms, id));
            }
        }
    }

    /// Heal: every host running (restarted, resumed), every link healthy, held datagrams
    /// released, nothing armed.
    pub(crate) fn heal(&mut self, now: u64) {
        self.healed_at = Some(now);
        let paused: Vec<u32> = self.pauses.iter().map(|(f, _)| *f).collect();
        for f in paused {
            self.resume(f);
        }
        let down: Vec<HostId> = self
            .engine
            .hosts
            .iter()
            .filter(|h| h.down.get())
            .map(|h| h.id)
            .collect();
        for id in down {
            self.restart(id);
        }
        self.restarts.clear();
        self.waiting.clear();
        self.ends.clear();
        self.engine.heal_links();
        self.engine.record(EventKind::Heal);
    }
}
