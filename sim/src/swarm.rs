//! Swarm testing: the fault plan a seed generates. Each seed enables a random subset of fault
//! kinds, each at a random intensity (how many, how long, what rate), so that rare
//! combinations — duplication without loss, crashes without partitions — get runs of their
//! own instead of being drowned in a uniform mix.

use std::collections::BTreeSet;

use rand::seq::{IndexedRandom, SliceRandom};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::config::SimConfig;
use crate::plan::{Effect, Fault, FaultKind, Plan};
use crate::scenario::Topology;
use crate::seed::{Seed, Streams};

/// The plan of `seed` for a scenario of this topology.
pub fn generate(seed: Seed, topology: &Topology, config: &SimConfig) -> Plan {
    let mut rng = Streams::new(seed).faults();
    let hosts = topology.all_hosts();
    let window = config.window_ms.max(1);
    let applicable = |k: FaultKind| match k {
        FaultKind::Crash => !topology.servers.is_empty(),
        FaultKind::CrashPoint => !topology.crash_points.is_empty(),
        _ => hosts.len() >= 2,
    };
    let mut swarm = BTreeSet::new();
    for kind in FaultKind::ALL {
        // Draw for every kind, applicable or not, so topologies do not shift the stream.
        let on = rng.random_bool(0.5);
        if on && applicable(kind) {
            swarm.insert(kind);
        }
    }
    let mut faults = Vec::new();
    for &kind in &swarm {
        let count = rng.random_range(1..=config.max_faults_per_kind.max(1));
        // One intensity per kind and seed: some seeds lose 5% of datagrams, others half.
        let rate: u16 = rng.random_range(50..=500);
        let span: u64 = rng.random_range(500..=6_000);
        for _ in 0..count {
            let at_ms = rng.random_range(0..window);
            let duration_ms = rng.random_range(span / 4..=span);
            let effect = match kind {
                FaultKind::Partition => {
                    let mut shuffled = hosts.clone();
                    shuffled.shuffle(&mut rng);
                    let cut = rng.random_range(1..shuffled.len());
                    let b = shuffled.split_off(cut);
                    Effect::Partition { a: shuffled, b }
                }
                FaultKind::OneWay => {
                    let (from, to) = pair(&mut rng, &hosts);
                    Effect::OneWay {
                        from: vec![from],
                        to: vec![to],
                    }
                }
                FaultKind::Isolate => Effect::Isolate {
                    host: pick(&mut rng, &hosts),
                },
                FaultKind::Loss => {
                    let (a, b) = pair(&mut rng, &hosts);
                    Effect::Loss {
                        a,
                        b,
                        permille: rate,
                    }
                }
                FaultKind::Hold => {
                    let (a, b) = pair(&mut rng, &hosts);
                    Effect::Hold { a, b }
                }
                FaultKind::Duplicate => {
                    let (a, b) = pair(&mut rng, &hosts);
                    Effect::Duplicate {
                        a,
                        b,
                        permille: rate.saturating_mul(2).min(1000),
                    }
                }
                FaultKind::Crash => Effect::Crash {
                    host: pick(&mut rng, &topology.servers),
                },
                FaultKind::CrashPoint => {
                    let (host, point) = topology
                        .crash_points
                        .choose(&mut rng)
                        .cloned()
                        .expect("applicable only with crash points");
                    Effect::CrashPoint { host, point }
                }
            };
            faults.push(Fault {
                at_ms,
                duration_ms,
                effect,
            });
        }
    }
    faults.sort_by_key(|f| f.at_ms);
    Plan {
        seed,
        window_ms: window,
        swarm,
        faults,
        skip: BTreeSet::new(),
    }
}

fn pick(rng: &mut ChaCha8Rng, from: &[String]) -> String {
    from.choose(rng).cloned().expect("non-empty host list")
}

fn pair(rng: &mut ChaCha8Rng, hosts: &[String]) -> (String, String) {
    let a = rng.random_range(0..hosts.len());
    let mut b = rng.random_range(0..hosts.len() - 1);
    if b >= a {
        b += 1;
    }
    (hosts[a].clone(), hosts[b].clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topo() -> Topology {
        Topology {
            servers: vec!["a".into(), "b".into()],
            clients: vec!["c".into()],
            crash_points: vec![("a".into(), "a.after_commit".into())],
        }
    }

    #[test]
    fn same_seed_same_plan_and_plans_validate() {
        let cfg = SimConfig::default();
        for s in 0..200 {
            let p = generate(Seed(s), &topo(), &cfg);
            assert_eq!(p, generate(Seed(s), &topo(), &cfg));
            p.validate(&topo()).unwrap();
            assert!(p.faults.iter().all(|f| f.at_ms < cfg.window_ms));
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
