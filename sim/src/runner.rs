//! The runner: runs one seed (or one explicit plan) of one [`Scenario`] to quiescence or to
//! the liveness deadline, applying the plan's faults between simulation steps, tearing down
//! hosts that died at crash points, healing at the end of the fault window, and turning
//! every host panic into a violation instead of a crash of the runner.

use std::net::SocketAddr;
use std::rc::Rc;
use std::time::{Duration, UNIX_EPOCH};

use crate::config::SimConfig;
use crate::engine::{Armed, Engine};
use crate::links::LinkEffect;
use crate::net::PORT;
use crate::panic::Capture;
use crate::plan::{Effect, Plan, PlanError};
use crate::report::{engine_invariants, RunReport, Violation};
use crate::scenario::{End, HostSet, Scenario, Topology};
use crate::seed::{Seed, Streams};
use crate::swarm;
use crate::trace::{EventKind, HostId, Trace};

/// What to run: a seed (its plan is generated) or an explicit plan (edited, shrunk, replayed).
#[derive(Clone, Debug)]
pub enum Start {
    /// Generate the plan from the seed.
    Seed(Seed),
    /// Run exactly this plan (its seed seeds everything else).
    Plan(Plan),
}

/// A finished run: the report, the whole trace and the plan that was run.
#[derive(Clone, Debug)]
pub struct Run {
    /// The report.
    pub report: RunReport,
    /// Every event.
    pub trace: Trace,
    /// The plan that was run.
    pub plan: Plan,
}

/// A fixed, arbitrary epoch: simulated wall-clock time starts here in every run.
const EPOCH_SECS: u64 = 1_700_000_000;

/// Rate of the exponential latency distribution between min and max latency.
const LATENCY_CURVE: f64 = 2.0;

/// Run one seed or plan of `scenario`. Fails only on a plan that does not fit the scenario.
pub fn run<S: Scenario + ?Sized>(
    scenario: &mut S,
    start: Start,
    config: &SimConfig,
) -> Result<Run, PlanError> {
    let topology = scenario.topology();
    let plan = match start {
        Start::Seed(seed) => swarm::generate(seed, &topology, config),
        Start::Plan(plan) => {
            plan.validate(&topology)?;
            plan
        }
    };
    Ok(Runner::new(scenario, &topology, plan, config).drive(scenario))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Action {
    End(u32),
    Start(u32),
}

struct Runner {
    engine: Rc<Engine>,
    sim: turmoil::Sim<'static>,
    plan: Plan,
    config: SimConfig,
    /// Fault starts and ends by time; ends before starts at the same instant.
    schedule: Vec<(u64, Action)>,
    next: usize,
    /// Hosts that died at a crash point and when they restart.
    restarts: Vec<(u64, HostId)>,
    healed_at: Option<u64>,
    violations: Vec<Violation>,
}

impl Runner {
    fn new<S: Scenario + ?Sized>(
        scenario: &mut S,
        topology: &Topology,
        plan: Plan,
        config: &SimConfig,
    ) -> Self {
        let names = topology.all_hosts();
        let engine = Rc::new(Engine::new(
            Streams::new(plan.seed),
            &names,
            topology.servers.len(),
        ));
        let mut sim = turmoil::Builder::new()
            .rng_seed(plan.seed.0)
            .epoch(UNIX_EPOCH + Duration::from_secs(EPOCH_SECS))
            .tick_duration(Duration::from_millis(config.tick_ms))
            .min_message_latency(Duration::from_millis(config.min_latency_ms))
            .max_message_latency(Duration::from_millis(config.max_latency_ms))
            .udp_capacity(1 << 14)
            .simulation_duration(Duration::from_secs(u64::from(u32::MAX)))
            .build();
        // Exp(2) instead of turmoil's Exp(5): about half the datagrams take a second tick and
        // a fifth a third one, so concurrent messages overtake each other.
        sim.set_message_latency_curve(LATENCY_CURVE);
        let mut hosts = HostSet {
            engine: engine.clone(),
            sim: &mut sim,
            registered: vec![false; names.len()],
            skip: plan.skip.clone(),
        };
        scenario.build(&mut hosts);
        let missing: Vec<&String> = names
            .iter()
            .zip(&hosts.registered)
            .filter(|(_, r)| !**r)
            .map(|(n, _)| n)
            .collect();
        assert!(
            missing.is_empty(),
            "scenario did not build hosts {missing:?} of its topology"
        );
        for (i, name) in names.iter().enumerate() {
            let addr = SocketAddr::new(sim.lookup(name.as_str()), PORT);
            engine.hosts[i].addr.set(Some(addr));
        }
        let mut schedule = Vec::new();
        for (i, f) in plan.faults.iter().enumerate() {
            let i = i as u32;
            schedule.push((f.at_ms, Action::Start(i)));
            if !matches!(f.effect, Effect::CrashPoint { .. }) {
                schedule.push((f.at_ms.saturating_add(f.duration_ms), Action::End(i)));
            }
        }
        schedule.sort();
        Runner {
            engine,
            sim,
            plan,
            config: config.clone(),
            schedule,
            next: 0,
            restarts: Vec::new(),
            healed_at: None,
            violations: Vec::new(),
        }
    }

    fn now(&self) -> u64 {
        self.sim.elapsed().as_millis() as u64
    }

    fn drive<S: Scenario + ?Sized>(mut self, scenario: &S) -> Run {
        let _capture = Capture::start(self.engine.panics.clone());
        let mut quiet_steps = 0u32;
        let mut steps = 0u64;
        let quiescent = loop {
            let now = self.now();
            self.engine.set_now(now);
            if self.healed_at.is_none() {
                self.apply_due(now);
                if now >= self.plan.window_ms {
                    self.heal(now);
                }
            }
            self.restart_due(now);

            let step = self.sim.step();
            steps += 1;
            let now = self.now();
            self.engine.set_now(now);
            if self.take_panics(now) {
                break false;
            }
            let clients_done = match step {
                Ok(done) => done,
                Err(e) => {
                    self.violations.push(Violation::new(
                        engine_invariants::HOST_ERROR,
                        format!("a host's software failed: {e}"),
                        now,
                    ));
                    break false;
                }
            };
            self.tear_down_dead(now);

            let idle = clients_done && self.network_empty(now) && scenario.settled();
            match self.healed_at {
                None if idle => self.heal(now),
                None => {}
                Some(healed) => {
                    quiet_steps = if idle { quiet_steps + 1 } else { 0 };
                    if quiet_steps >= self.config.settle_steps.max(1) {
                        break true;
                    }
                    if now >= healed + self.config.deadline_ms {
                        break false;
                    }
                }
            }
        };
        let now = self.now();
        let healed_at = self.healed_at.unwrap_or(now);
        if !self.violations.iter().any(|v| {
            v.invariant == engine_invariants::HOST_PANIC
                || v.invariant == engine_invariants::HOST_ERROR
        }) {
            let end = End {
                at_ms: now,
                healed_at_ms: healed_at,
                quiescent,
            };
            self.violations.extend(scenario.check(&end));
        }
        // Tear the hosts down while panics are still captured.
        let Runner {
            engine,
            sim,
            plan,
            violations,
            ..
        } = self;
        drop(sim);
        let trace = engine.trace.replace(Trace::default());
        let mut stats = engine.stats.borrow().clone();
        stats.sim_ms = now;
        stats.steps = steps;
        stats.healed_at_ms = healed_at;
        let report = RunReport {
            seed: plan.seed,
            trace_hash: trace.hash(),
            violations,
            quiescent,
            stats,
            probes: engine.probes.borrow().clone(),
            died_at: engine.died_at.borrow().clone(),
        };
        Run {
            report,
            trace,
            plan,
        }
    }

    fn id(&self, name: &str) -> HostId {
        self.engine
            .host_id(name)
            .expect("plan validated against the topology")
    }

    fn ids(&self, names: &[String]) -> Vec<HostId> {
        names.iter().map(|n| self.id(n)).collect()
    }

    fn apply_due(&mut self, now: u64) {
        while let Some(&(at, action)) = self.schedule.get(self.next) {
            if at > now {
                break;
            }
            self.next += 1;
            match action {
                Action::Start(i) => self.start_fault(i, now),
                Action::End(i) => self.end_fault(i),
            }
        }
    }

    fn start_fault(&mut self, index: u32, now: u64) {
        let fault = self.plan.faults[index as usize].clone();
        self.engine.record(EventKind::FaultStart {
            index,
            desc: fault.effect.to_string(),
        });
        self.engine.stats.borrow_mut().faults += 1;
        let all: Vec<HostId> = self.engine.hosts.iter().map(|h| h.id).collect();
        let links = match &fault.effect {
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
            Effect::Crash { host } => {
                let id = self.id(host);
                self.crash(id, None);
                return;
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
                return;
            }
        };
        self.engine.start_link_fault(index, links);
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
            Effect::CrashPoint { .. } => {}
            _ => self.engine.end_link_fault(index),
        }
    }

    fn crash(&mut self, id: HostId, point: Option<String>) {
        let host = self.engine.host(id).clone();
        if host.down.get() {
            return;
        }
        self.sim.crash(host.name.as_str());
        self.engine.crashed(id, point);
    }

    fn restart(&mut self, id: HostId) {
        let host = self.engine.host(id).clone();
        if !host.down.get() {
            return;
        }
        self.restarts.retain(|(_, h)| *h != id);
        self.engine.restarting(id);
        self.sim.bounce(host.name.as_str());
    }

    fn restart_due(&mut self, now: u64) {
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

    /// Hosts that died at a crash point during the last step: crash them for real.
    fn tear_down_dead(&mut self, now: u64) {
        let requests: Vec<_> = self.engine.crash_requests.borrow_mut().drain(..).collect();
        for r in requests {
            self.crash(r.host, Some(r.point));
            self.restarts.push((now + r.downtime_ms, r.host));
        }
    }

    fn heal(&mut self, now: u64) {
        self.healed_at = Some(now);
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
        self.engine.heal_links();
        self.engine.record(EventKind::Heal);
    }

    fn network_empty(&mut self, now: u64) -> bool {
        // A client whose workload finished reads nothing more: datagrams released to it
        // would wait forever, so they are lost, as on a closed socket.
        for host in &self.engine.hosts {
            if !host.released.borrow().is_empty() && !self.sim.is_host_running(host.name.as_str()) {
                let lost: Vec<_> = host.released.borrow_mut().drain(..).collect();
                for (header, _) in lost {
                    self.engine.set_now(now);
                    self.engine.record(EventKind::Drop {
                        uid: header.uid,
                        from: header.from,
                        to: header.to,
                        reason: crate::trace::DropReason::ReceiverDown,
                    });
                    self.engine.stats.borrow_mut().dropped += 1;
                }
            }
        }
        let mut in_flight = 0usize;
        self.sim.links(|links| {
            for link in links {
                in_flight += link.count();
            }
        });
        in_flight == 0
            && self.engine.held_count() == 0
            && self
                .engine
                .hosts
                .iter()
                .all(|h| h.released.borrow().is_empty())
    }

    fn take_panics(&mut self, now: u64) -> bool {
        let panics: Vec<String> = self.engine.panics.borrow_mut().drain(..).collect();
        for message in &panics {
            self.engine.record(EventKind::Panic {
                host: None,
                message: message.clone(),
            });
            self.violations.push(Violation::new(
                engine_invariants::HOST_PANIC,
                format!("a host task panicked: {message}"),
                now,
            ));
        }
        !panics.is_empty()
    }
}
