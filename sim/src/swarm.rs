//! Swarm testing: the fault plan a seed generates. Each seed enables a random subset of fault
//! kinds (never none), each at a random intensity (how many, how long, what rate), so that
//! rare combinations — duplication without loss, crashes without partitions — get runs of
//! their own instead of being drowned in a uniform mix.

use std::collections::BTreeSet;

use rand::seq::IndexedRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::boundary::Side;
use crate::config::{FaultPreset, SimConfig};
use crate::plan::{Effect, Fault, FaultKind, Plan};
use crate::scenario::Topology;
use crate::seed::{Seed, Streams};

/// Faults start where they bite (a link fault with its link's next datagram, a crash once its
/// host has work), which can be a while after `at_ms`: the window leaves them this much room
/// before heal.
const START_SLACK_MS: u64 = 8_000;

/// The plan of `seed` for a scenario of this topology.
///
/// Faults go where the traffic is: link faults over the links the topology declares, crashes,
/// pauses and boundary crashes over its stateful hosts, every partition cuts at least one
/// declared link. They start inside the workload's busy period, and some (partitions,
/// isolations, pauses, crashes) outlast every retry budget of the code under test, so give-up
/// and recovery paths run. The plan's window (heal at the latest) covers the longest fault.
pub fn generate(seed: Seed, topology: &Topology, config: &SimConfig) -> Plan {
    let mut rng = Streams::new(seed).faults();
    let hosts = topology.all_hosts();
    let links = topology.fault_links();
    let stateful = topology.fault_hosts();
    let busy = if topology.busy_ms > 0 {
        topology.busy_ms
    } else {
        config.window_ms.max(1)
    };
    let applicable = |k: FaultKind| match k {
        FaultKind::Crash | FaultKind::Pause | FaultKind::Boundary => !stateful.is_empty(),
        FaultKind::CrashPoint => !topology.crash_points.is_empty(),
        FaultKind::Isolate => !stateful.is_empty() && hosts.len() >= 2,
        _ => !links.is_empty(),
    };
    let mut swarm = BTreeSet::new();
    for kind in FaultKind::ALL {
        // Draw for every kind, applicable or not, so topologies do not shift the stream.
        let on = rng.random_bool(0.5);
        let on = match config.faults {
            FaultPreset::None => false,
            FaultPreset::Default => on,
            FaultPreset::Heavy => true,
        };
        if on && applicable(kind) {
            swarm.insert(kind);
        }
    }
    if swarm.is_empty() && config.faults != FaultPreset::None {
        // A run without faults tests nothing the calm runs of `cargo test` do not: pick one.
        let kinds: Vec<FaultKind> = FaultKind::ALL
            .into_iter()
            .filter(|k| applicable(*k))
            .collect();
        if let Some(k) = kinds.choose(&mut rng) {
            swarm.insert(*k);
        }
    }
    let longest = config.longest_fault_ms.max(1_000);
    let mut faults = Vec::new();
    for &kind in &swarm {
        let most = match config.faults {
            FaultPreset::Heavy => config.max_faults_per_kind.max(1) * 2,
            _ => config.max_faults_per_kind.max(1),
        };
        let count = rng.random_range(1..=most);
        // One intensity per kind and seed: some seeds lose a fifth of the datagrams on a
        // link, others most of them.
        let rate: u16 = rng.random_range(200..=700);
        let span: u64 = rng.random_range(1_000..=8_000);
        let may_outlast = matches!(
            kind,
            FaultKind::Partition
                | FaultKind::OneWay
                | FaultKind::Isolate
                | FaultKind::Pause
                | FaultKind::Crash
                | FaultKind::CrashPoint
                | FaultKind::Boundary
        );
        for _ in 0..count {
            // A crash point fires the first time its code passes it from `at_ms` on: early
            // times leave it the whole workload to be passed in.
            let at_ms = if kind == FaultKind::CrashPoint {
                rng.random_range(0..(busy / 2).max(1))
            } else {
                rng.random_range(0..busy)
            };
            let long = rng.random_bool(0.3);
            let duration_ms = if may_outlast && long {
                rng.random_range(longest / 3..=longest)
            } else {
                rng.random_range(span / 4..=span)
            };
            let effect = match kind {
                FaultKind::Partition => {
                    let (a, b) = pick(&mut rng, &links);
                    let mut side_a = vec![a.clone()];
                    let mut side_b = vec![b.clone()];
                    for h in &hosts {
                        if *h != a && *h != b {
                            if rng.random_bool(0.5) {
                                side_a.push(h.clone());
                            } else {
                                side_b.push(h.clone());
                            }
                        }
                    }
                    Effect::Partition {
                        a: side_a,
                        b: side_b,
                    }
                }
                FaultKind::OneWay => {
                    let (a, b) = pick(&mut rng, &links);
                    let (from, to) = if rng.random_bool(0.5) { (a, b) } else { (b, a) };
                    Effect::OneWay {
                        from: vec![from],
                        to: vec![to],
                    }
                }
                FaultKind::Isolate => Effect::Isolate {
                    host: pick(&mut rng, &stateful),
                },
                FaultKind::Loss => {
                    let (a, b) = pick(&mut rng, &links);
                    Effect::Loss {
                        a,
                        b,
                        permille: rate,
                    }
                }
                FaultKind::Hold => {
                    let (a, b) = pick(&mut rng, &links);
                    Effect::Hold { a, b }
                }
                FaultKind::Duplicate => {
                    let (a, b) = pick(&mut rng, &links);
                    Effect::Duplicate {
                        a,
                        b,
                        permille: rate.saturating_add(300).min(1000),
                    }
                }
                FaultKind::Crash => Effect::Crash {
                    host: pick(&mut rng, &stateful),
                },
                FaultKind::CrashPoint => {
                    let (host, point) = pick(&mut rng, &topology.crash_points);
                    Effect::CrashPoint { host, point }
                }
                FaultKind::Pause => Effect::Pause {
                    host: pick(&mut rng, &stateful),
                },
                FaultKind::Boundary => Effect::Boundary {
                    host: pick(&mut rng, &stateful),
                    nth: rng.random_range(1..=4),
                    side: if rng.random_bool(0.5) {
                        Side::Before
                    } else {
                        Side::After
                    },
                },
            };
            faults.push(Fault {
                at_ms,
                duration_ms,
                effect,
            });
        }
    }
    faults.sort_by_key(|f| f.at_ms);
    let window = faults
        .iter()
        .map(|f| f.at_ms + f.duration_ms)
        .max()
        .unwrap_or(0)
        .max(busy)
        + START_SLACK_MS;
    Plan {
        seed,
        window_ms: window,
        swarm,
        faults,
        skip: BTreeSet::new(),
    }
}

fn pick<T: Clone>(rng: &mut ChaCha8Rng, from: &[T]) -> T {
    from.choose(rng)
        .cloned()
        .expect("applicable only when non-empty")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topo() -> Topology {
        Topology {
            servers: vec!["a".into(), "b".into()],
            clients: vec!["c".into()],
            crash_points: vec![("a".into(), "a.after_commit".into())],
            ..Topology::default()
        }
    }

    #[test]
    fn faults_go_where_the_traffic_is_and_inside_the_busy_period() {
        let cfg = SimConfig::default();
        let t = Topology {
            servers: vec!["a".into(), "b".into(), "idle".into()],
            clients: vec!["c".into()],
            crash_points: vec![("a".into(), "a.after_commit".into())],
            links: vec![("c".into(), "a".into()), ("a".into(), "b".into())],
            stateful: vec!["a".into(), "b".into()],
            busy_ms: 7_000,
        };
        let mut long = 0;
        for s in 0..300 {
            let p = generate(Seed(s), &t, &cfg);
            p.validate(&t).unwrap();
            for f in &p.faults {
                assert!(
                    f.at_ms < 7_000,
                    "seed {s}: {f:?} starts after the busy period"
                );
                match &f.effect {
                    Effect::Loss { a, b, .. }
                    | Effect::Hold { a, b }
                    | Effect::Duplicate { a, b, .. } => assert!(
                        t.links.contains(&(a.clone(), b.clone()))
                            || t.links.contains(&(b.clone(), a.clone())),
                        "seed {s}: {f:?} on an idle link"
                    ),
                    Effect::OneWay { from, to } => assert!(
                        t.links.contains(&(from[0].clone(), to[0].clone()))
                            || t.links.contains(&(to[0].clone(), from[0].clone()))
                    ),
                    Effect::Partition { a, b } => assert!(
                        t.links.iter().any(|(x, y)| (a.contains(x) && b.contains(y))
                            || (a.contains(y) && b.contains(x))),
                        "seed {s}: {f:?} cuts no link"
                    ),
                    Effect::Crash { host }
                    | Effect::Pause { host }
                    | Effect::Isolate { host }
                    | Effect::Boundary { host, .. } => {
                        assert!(t.stateful.contains(host), "seed {s}: {f:?}")
                    }
                    Effect::CrashPoint { .. } => {}
                }
                if matches!(f.effect.kind(), FaultKind::Partition | FaultKind::Pause)
                    && f.duration_ms > 3 * cfg.longest_fault_ms / 4
                {
                    long += 1;
                }
            }
        }
        assert!(
            long > 10,
            "only {long} partitions or pauses outlast the retry budgets"
        );
    }

    #[test]
    fn same_seed_same_plan_and_plans_validate() {
        let cfg = SimConfig::default();
        for s in 0..200 {
            let p = generate(Seed(s), &topo(), &cfg);
            assert_eq!(p, generate(Seed(s), &topo(), &cfg));
            p.validate(&topo()).unwrap();
            assert!(p.faults.iter().all(|f| f.at_ms < cfg.window_ms));
            assert!(p
                .faults
                .iter()
                .all(|f| f.at_ms + f.duration_ms < p.window_ms));
            assert!(!p.faults.is_empty(), "seed {s}: no fault");
            assert!(p.faults.iter().all(|f| p.swarm.contains(&f.effect.kind())));
        }
    }

    #[test]
    fn swarm_covers_every_kind_and_varies_the_subset() {
        let cfg = SimConfig::default();
        let mut seen = BTreeSet::new();
        let mut subsets = BTreeSet::new();
        for s in 0..200 {
            let p = generate(Seed(s), &topo(), &cfg);
            seen.extend(p.faults.iter().map(|f| f.effect.kind()));
            subsets.insert(p.swarm.iter().map(|k| k.name()).collect::<Vec<_>>());
        }
        assert_eq!(seen.len(), FaultKind::ALL.len(), "kinds seen: {seen:?}");
        assert!(
            subsets.len() > 50,
            "only {} distinct swarm subsets",
            subsets.len()
        );
    }
}
