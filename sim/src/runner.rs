//! The runner: runs one seed (or one explicit plan) of one [`Scenario`] to quiescence (then a
//! tail) or to the liveness deadline, injecting the plan's faults between simulation steps
//! (see `inject`), and turning every host panic into a violation instead of a crash of the
//! runner. Every run is judged: the scenario's checks run whether it became quiescent or not.

use std::net::SocketAddr;
use std::rc::Rc;
use std::time::{Duration, UNIX_EPOCH};

use crate::config::SimConfig;
use crate::engine::Engine;
use crate::net::PORT;
use crate::panic::Capture;
use crate::plan::{Plan, PlanError};
use crate::quiescence;
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

pub(crate) struct Runner {
    pub(crate) engine: Rc<Engine>,
    pub(crate) sim: turmoil::Sim<'static>,
    pub(crate) plan: Plan,
    config: SimConfig,
    /// When each fault's time comes, by time: (at_ms, fault).
    pub(crate) schedule: Vec<(u64, u32)>,
    pub(crate) next: usize,
    /// Crashes and pauses whose time has come, waiting for their host to have work.
    pub(crate) waiting: Vec<u32>,
    /// Ends of the faults that started: (at_ms, fault), sorted.
    pub(crate) ends: Vec<(u64, u32)>,
    /// Hosts that died at a crash point or write boundary, and when they restart.
    pub(crate) restarts: Vec<(u64, HostId)>,
    /// Pauses under way: (fault, host).
    pub(crate) pauses: Vec<(u32, HostId)>,
    pub(crate) healed_at: Option<u64>,
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
        let mut schedule: Vec<(u64, u32)> = plan
            .faults
            .iter()
            .enumerate()
            .map(|(i, f)| (f.at_ms, i as u32))
            .collect();
        schedule.sort();
        Runner {
            engine,
            sim,
            plan,
            config: config.clone(),
            schedule,
            next: 0,
            waiting: Vec::new(),
            ends: Vec::new(),
            restarts: Vec::new(),
            pauses: Vec::new(),
            healed_at: None,
            violations: Vec::new(),
        }
    }

    fn now(&self) -> u64 {
        self.sim.elapsed().as_millis() as u64
    }

    fn drive<S: Scenario + ?Sized>(mut self, scenario: &S) -> Run {
        let _capture = Capture::start(self.engine.panics.clone());
        let mut steps = 0u64;
        let mut quiescent_at: Option<u64> = None;
        let mut busy = Vec::new();
        let mut broken = false;
        loop {
            // The last step's events (and what the runner did after it) in time order.
            self.engine.trace.borrow_mut().settle();
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
                broken = true;
                break;
            }
            let clients_done = match step {
                Ok(done) => done,
                Err(e) => {
                    self.violations.push(Violation::new(
                        engine_invariants::HOST_ERROR,
                        format!("a host's software failed: {e}"),
                        now,
                    ));
                    broken = true;
                    break;
                }
            };
            self.tear_down_dead(now);
            quiescence::drain_finished_clients(&self.engine, &mut self.sim);

            if let Some(at) = quiescent_at {
                // The tail: the verdict is in; the scenario judges what happens here.
                if now >= at + self.config.tail_ms {
                    break;
                }
                continue;
            }
            let idle = clients_done
                && quiescence::nothing_held(&self.engine)
                && scenario.busy().is_empty();
            match self.healed_at {
                None if idle => self.heal(now),
                None => {}
                Some(_) if idle => {
                    quiescent_at = Some(now);
                    self.engine.record(EventKind::Quiescent);
                }
                Some(healed) if now >= healed + self.config.deadline_ms => {
                    busy = quiescence::engine_busy(&self.engine, &mut self.sim);
                    busy.extend(scenario.busy());
                    break;
                }
                Some(_) => {}
            }
        }
        let quiescent = quiescent_at.is_some();
        let now = self.now();
        let healed_at = self.healed_at.unwrap_or(now);
        if !broken {
            let end = End {
                at_ms: now,
                healed_at_ms: healed_at,
                quiescent,
                quiescent_at_ms: quiescent_at,
                busy: busy.clone(),
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
        let mut trace = engine.trace.replace(Trace::default());
        trace.settle();
        let metrics = if broken {
            crate::metrics::Metrics::default()
        } else {
            scenario.metrics(&trace)
        };
        let mut stats = engine.stats.borrow().clone();
        stats.sim_ms = now;
        stats.steps = steps;
        stats.healed_at_ms = healed_at;
        let writes = engine
            .hosts
            .iter()
            .filter(|h| h.writes.borrow().total > 0)
            .map(|h| (h.name.clone(), h.writes.borrow().total))
            .collect();
        let report = RunReport {
            seed: plan.seed,
            trace_hash: trace.hash(),
            violations,
            quiescent,
            busy,
            stats,
            probes: engine.probes.borrow().clone(),
            died_at: engine.died_at.borrow().clone(),
            boundary_crashes: engine.boundary_crashes.borrow().clone(),
            writes,
            faults: engine.bites.borrow().tally(&plan),
            bitten: engine.bites.borrow().indices(),
            metrics,
        };
        Run {
            report,
            trace,
            plan,
        }
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
