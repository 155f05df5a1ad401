//! The fault plan: an explicit, serializable, printable list of timed faults.
//!
//! A plan is what a seed's fault stream generates (see [`crate::swarm`]), but it stands on its
//! own: it can be written to a case file, edited by hand, shrunk fault by fault and replayed.
//! A fault's time comes at `at_ms`; it starts where it bites — a link fault with the first
//! datagram it touches from then on, a crash or pause once its host has work under way, a crash
//! point when its code passes it, a boundary crash at the n-th write — and its effect is undone
//! `duration_ms` after it started, or at heal (the end of the fault window), whichever comes
//! first.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::boundary::{ordinal, Side};
use crate::seed::Seed;

/// The kinds of fault the engine can inject; swarm testing enables a random subset per seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FaultKind {
    /// Two groups of hosts cannot reach each other (in-flight datagrams are lost too).
    Partition,
    /// Datagrams from one group to another are lost; the other direction works.
    OneWay,
    /// One host is cut off from every other.
    Isolate,
    /// A link loses each datagram with some probability.
    Loss,
    /// A link holds every datagram until the hold ends, then releases them shuffled.
    Hold,
    /// A link delivers some datagrams twice.
    Duplicate,
    /// A server host crashes at a random time and restarts after a delay.
    Crash,
    /// A server host dies exactly at a named crash point and restarts after a delay.
    CrashPoint,
    /// A server host stops (none of its code runs, its memory is kept) and later resumes.
    Pause,
    /// A server host dies right before or right after its n-th durable write, and restarts
    /// after a delay.
    Boundary,
}

impl FaultKind {
    /// Every kind, in a fixed order.
    pub const ALL: [FaultKind; 10] = [
        FaultKind::Partition,
        FaultKind::OneWay,
        FaultKind::Isolate,
        FaultKind::Loss,
        FaultKind::Hold,
        FaultKind::Duplicate,
        FaultKind::Crash,
        FaultKind::CrashPoint,
        FaultKind::Pause,
        FaultKind::Boundary,
    ];

    /// One line on what the kind does (as `dtx list` shows it).
    pub fn about(self) -> &'static str {
        match self {
            FaultKind::Partition => "two groups of hosts cannot reach each other (in-flight datagrams are lost too)",
            FaultKind::OneWay => "datagrams from one group to another are lost; the other direction works",
            FaultKind::Isolate => "one host is cut off from every other",
            FaultKind::Loss => "a link loses each datagram with some probability",
            FaultKind::Hold => "a link holds every datagram until the hold ends, then releases them shuffled",
            FaultKind::Duplicate => "a link delivers some datagrams twice",
            FaultKind::Crash => "a server host crashes at a random time and restarts after a delay",
            FaultKind::CrashPoint => "a server host dies exactly at a named crash point and restarts after a delay",
            FaultKind::Pause => "a server host stops (none of its code runs, its memory is kept) and later resumes",
            FaultKind::Boundary => "a server host dies right before or right after its n-th durable write, and restarts after a delay",
        }
    }

    /// The kebab-case name (as in case files).
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Partition => "partition",
            FaultKind::OneWay => "one-way",
            FaultKind::Isolate => "isolate",
            FaultKind::Loss => "loss",
            FaultKind::Hold => "hold",
            FaultKind::Duplicate => "duplicate",
            FaultKind::Crash => "crash",
            FaultKind::CrashPoint => "crash-point",
            FaultKind::Pause => "pause",
            FaultKind::Boundary => "boundary",
        }
    }
}

/// What a fault does while it lasts. Hosts are named as in the scenario's topology.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Effect {
    /// No datagram crosses between a host of `a` and a host of `b`, either way.
    Partition { a: Vec<String>, b: Vec<String> },
    /// No datagram goes from a host of `from` to a host of `to`; the reverse direction works.
    OneWay { from: Vec<String>, to: Vec<String> },
    /// `host` can reach nobody and nobody can reach it.
    Isolate { host: String },
    /// Each datagram between `a` and `b` (either way) is lost with probability `permille`/1000.
    Loss { a: String, b: String, permille: u16 },
    /// Datagrams between `a` and `b` (either way) are held until the fault ends, then
    /// delivered in shuffled order.
    Hold { a: String, b: String },
    /// Each datagram between `a` and `b` (either way) is delivered twice with probability
    /// `permille`/1000.
    Duplicate { a: String, b: String, permille: u16 },
    /// From `at_ms` on, `host` crashes as soon as it has work under way, and restarts when
    /// the fault ends.
    Crash { host: String },
    /// From `at_ms` on, the first time `host` passes crash point `point` it dies right there;
    /// it restarts `duration_ms` later.
    CrashPoint { host: String, point: String },
    /// From `at_ms` on, `host` is paused as soon as it has work under way, and resumes when
    /// the fault ends: its timers, deliveries and call replies wait, its memory stays, the
    /// world moves on.
    Pause { host: String },
    /// From `at_ms` on, `host` dies right before or right after its `nth` durable write; it
    /// restarts `duration_ms` later.
    Boundary { host: String, nth: u32, side: Side },
}

impl Effect {
    /// The kind of this effect.
    pub fn kind(&self) -> FaultKind {
        match self {
            Effect::Partition { .. } => FaultKind::Partition,
            Effect::OneWay { .. } => FaultKind::OneWay,
            Effect::Isolate { .. } => FaultKind::Isolate,
            Effect::Loss { .. } => FaultKind::Loss,
            Effect::Hold { .. } => FaultKind::Hold,
            Effect::Duplicate { .. } => FaultKind::Duplicate,
            Effect::Crash { .. } => FaultKind::Crash,
            Effect::CrashPoint { .. } => FaultKind::CrashPoint,
            Effect::Pause { .. } => FaultKind::Pause,
            Effect::Boundary { .. } => FaultKind::Boundary,
        }
    }

    /// Every host this effect names.
    pub fn hosts(&self) -> Vec<&str> {
        match self {
            Effect::Partition { a, b } => a.iter().chain(b).map(String::as_str).collect(),
            Effect::OneWay { from, to } => from.iter().chain(to).map(String::as_str).collect(),
            Effect::Isolate { host }
            | Effect::Crash { host }
            | Effect::CrashPoint { host, .. }
            | Effect::Pause { host }
            | Effect::Boundary { host, .. } => vec![host.as_str()],
            Effect::Loss { a, b, .. } | Effect::Hold { a, b } | Effect::Duplicate { a, b, .. } => {
                vec![a.as_str(), b.as_str()]
            }
        }
    }
}

impl fmt::Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Effect::Partition { a, b } => {
                write!(f, "partition [{}] | [{}]", a.join(", "), b.join(", "))
            }
            Effect::OneWay { from, to } => {
                write!(f, "one-way [{}] -x-> [{}]", from.join(", "), to.join(", "))
            }
            Effect::Isolate { host } => write!(f, "isolate {host}"),
            Effect::Loss { a, b, permille } => {
                write!(f, "loss {a} <-> {b} {}.{}%", permille / 10, permille % 10)
            }
            Effect::Hold { a, b } => write!(f, "hold {a} <-> {b}"),
            Effect::Duplicate { a, b, permille } => {
                write!(
                    f,
                    "duplicate {a} <-> {b} {}.{}%",
                    permille / 10,
                    permille % 10
                )
            }
            Effect::Crash { host } => write!(f, "crash {host}"),
            Effect::CrashPoint { host, point } => write!(f, "crash {host} at point {point}"),
            Effect::Pause { host } => write!(f, "pause {host}"),
            Effect::Boundary { host, nth, side } => {
                write!(
                    f,
                    "crash {host} {} its {} write",
                    side.name(),
                    ordinal(*nth)
                )
            }
        }
    }
}

/// One timed fault.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    /// When it starts (simulated ms since the start of the run).
    pub at_ms: u64,
    /// How long it lasts (cut short by heal).
    pub duration_ms: u64,
    /// What it does.
    #[serde(flatten)]
    pub effect: Effect,
}

/// A run's faults: everything in it happens inside `[0, window_ms)`; at `window_ms` the
/// engine heals (every link repaired, held datagrams released, every host running).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// The seed the plan was generated from (and that seeds the rest of the run).
    pub seed: Seed,
    /// The end of the fault window: heal happens here at the latest.
    pub window_ms: u64,
    /// The fault kinds swarm testing enabled for this seed (informational for edited plans).
    pub swarm: BTreeSet<FaultKind>,
    /// The faults, by start time.
    pub faults: Vec<Fault>,
    /// Workload items (orders, transfers: numbered by the scenario) left out of this run.
    /// Generated plans skip nothing; shrinking adds items here.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub skip: BTreeSet<u32>,
}

/// A plan that names something the scenario does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// A host name that is not in the topology.
    #[error("fault {index} ({effect}) names unknown host '{host}'; hosts are: {known}")]
    UnknownHost {
        index: usize,
        effect: String,
        host: String,
        known: String,
    },
    /// A crash or pause aimed at a client host (clients are the workload: they never crash).
    #[error(
        "fault {index} ({effect}) stops '{host}', which is a client; crashable hosts are: {known}"
    )]
    CrashClient {
        index: usize,
        effect: String,
        host: String,
        known: String,
    },
    /// A crash point the scenario does not declare.
    #[error("fault {index} names unknown crash point '{point}' on '{host}'; declared points are: {known}")]
    UnknownCrashPoint {
        index: usize,
        host: String,
        point: String,
        known: String,
    },
    /// A probability above 1000 permille.
    #[error("fault {index} ({effect}) has a rate of {permille} permille; the most is 1000")]
    BadRate {
        index: usize,
        effect: String,
        permille: u16,
    },
}

impl Plan {
    /// A plan with no faults: the run heals at `window_ms` without anything having happened.
    pub fn calm(seed: Seed, window_ms: u64) -> Self {
        Plan {
            seed,
            window_ms,
            swarm: BTreeSet::new(),
            faults: Vec::new(),
            skip: BTreeSet::new(),
        }
    }

    /// Check every name and rate against the scenario's topology.
    pub fn validate(&self, topology: &crate::scenario::Topology) -> Result<(), PlanError> {
        let all = topology.all_hosts();
        let known = all.join(", ");
        for (index, fault) in self.faults.iter().enumerate() {
            let effect = fault.effect.to_string();
            for host in fault.effect.hosts() {
                if !all.iter().any(|h| h == host) {
                    return Err(PlanError::UnknownHost {
                        index,
                        effect,
                        host: host.to_string(),
                        known,
                    });
                }
            }
            match &fault.effect {
                Effect::Crash { host }
                | Effect::CrashPoint { host, .. }
                | Effect::Pause { host }
                | Effect::Boundary { host, .. }
                    if !topology.servers.iter().any(|h| h == host) =>
                {
                    return Err(PlanError::CrashClient {
                        index,
                        effect,
                        host: host.clone(),
                        known: topology.servers.join(", "),
                    });
                }
                Effect::CrashPoint { host, point }
                    if !topology
                        .crash_points
                        .iter()
                        .any(|(h, p)| h == host && p == point) =>
                {
                    return Err(PlanError::UnknownCrashPoint {
                        index,
                        host: host.clone(),
                        point: point.clone(),
                        known: topology
                            .crash_points
                            .iter()
                            .map(|(h, p)| format!("{h}:{p}"))
                            .collect::<Vec<_>>()
                            .join(", "),
                    });
                }
                Effect::Loss { permille, .. } | Effect::Duplicate { permille, .. }
                    if *permille > 1000 =>
                {
                    return Err(PlanError::BadRate {
                        index,
                        effect,
                        permille: *permille,
                    });
                }
                _ => {}
            }
        }
        Ok(())
    }
}

impl Plan {
    /// The plan as text, each fault marked with whether it had an effect in the run whose
    /// biting faults are `bitten` (plan indices).
    pub fn render(&self, bitten: &[u32]) -> String {
        let mut s = String::new();
        for line in self.to_string().lines() {
            s.push_str(line);
            if let Some(index) = fault_index(line) {
                s.push_str(if bitten.contains(&index) {
                    "  (had an effect)"
                } else {
                    "  (no effect)"
                });
            }
            s.push('\n');
        }
        s
    }
}

/// The index of a fault line `  [ 3] …` of the plan's text.
fn fault_index(line: &str) -> Option<u32> {
    let rest = line.trim_start().strip_prefix('[')?;
    let (n, _) = rest.split_once(']')?;
    n.trim().parse().ok()
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let swarm: Vec<&str> = self.swarm.iter().map(|k| k.name()).collect();
        writeln!(
            f,
            "plan of seed {}: {} faults in a {}ms window; swarm: {}",
            self.seed,
            self.faults.len(),
            self.window_ms,
            if swarm.is_empty() {
                "none".to_string()
            } else {
                swarm.join(", ")
            }
        )?;
        if !self.skip.is_empty() {
            let items: Vec<String> = self.skip.iter().map(|i| i.to_string()).collect();
            writeln!(f, "  workload items left out: {}", items.join(", "))?;
        }
        for (i, fault) in self.faults.iter().enumerate() {
            writeln!(
                f,
                "  [{i:>2}] {:>7}ms  for {:>6}ms  {}",
                fault.at_ms, fault.duration_ms, fault.effect
            )?;
        }
        Ok(())
    }
}
