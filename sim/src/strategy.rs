//! A proptest strategy over fault plans, for tests that want proptest's own generation and
//! shrinking instead of seeds and `dtx shrink` (feature `proptest`). Plans it makes are valid
//! for the topology they were made for; shrinking removes faults and shortens them.

use std::collections::BTreeSet;

use proptest::prelude::*;
use proptest::sample::{select, subsequence};

use crate::boundary::Side;
use crate::plan::{Effect, Fault, Plan};
use crate::scenario::Topology;
use crate::seed::Seed;

/// Plans of up to `max_faults` faults inside `[0, window_ms)` over `topology`'s hosts.
pub fn plans(topology: &Topology, window_ms: u64, max_faults: usize) -> BoxedStrategy<Plan> {
    let fault = faults(topology, window_ms);
    (any::<u64>(), prop::collection::vec(fault, 0..=max_faults))
        .prop_map(move |(seed, mut faults)| {
            faults.sort_by_key(|f| f.at_ms);
            Plan {
                seed: Seed(seed),
                window_ms,
                swarm: faults.iter().map(|f| f.effect.kind()).collect(),
                faults,
                skip: BTreeSet::new(),
            }
        })
        .boxed()
}

/// One fault of any kind the topology allows (pauses and boundary crashes included).
pub fn faults(topology: &Topology, window_ms: u64) -> BoxedStrategy<Fault> {
    let hosts = topology.all_hosts();
    let servers = topology.servers.clone();
    let pair = {
        let hosts = hosts.clone();
        subsequence(hosts, 2).prop_map(|p| (p[0].clone(), p[1].clone()))
    };
    let split = {
        let hosts = hosts.clone();
        subsequence(hosts.clone(), 1..hosts.len()).prop_map(move |a| {
            let b = hosts.iter().filter(|h| !a.contains(h)).cloned().collect();
            (a, b)
        })
    };
    let mut effects: Vec<BoxedStrategy<Effect>> = vec![
        split
            .clone()
            .prop_map(|(a, b)| Effect::Partition { a, b })
            .boxed(),
        split
            .prop_map(|(from, to)| Effect::OneWay { from, to })
            .boxed(),
        select(servers.clone())
            .prop_map(|host| Effect::Isolate { host })
            .boxed(),
        (pair.clone(), 1..=1000u16)
            .prop_map(|((a, b), permille)| Effect::Loss { a, b, permille })
            .boxed(),
        pair.clone()
            .prop_map(|(a, b)| Effect::Hold { a, b })
            .boxed(),
        (pair, 1..=1000u16)
            .prop_map(|((a, b), permille)| Effect::Duplicate { a, b, permille })
            .boxed(),
        select(servers.clone())
            .prop_map(|host| Effect::Crash { host })
            .boxed(),
        select(servers.clone())
            .prop_map(|host| Effect::Pause { host })
            .boxed(),
        (select(servers), 1..=6u32, any::<bool>())
            .prop_map(|(host, nth, before)| Effect::Boundary {
                host,
                nth,
                side: if before { Side::Before } else { Side::After },
            })
            .boxed(),
    ];
    if !topology.crash_points.is_empty() {
        effects.push(
            select(topology.crash_points.clone())
                .prop_map(|(host, point)| Effect::CrashPoint { host, point })
                .boxed(),
        );
    }
    let longest = (window_ms / 2).max(2);
    (
        0..window_ms,
        1..longest,
        prop::strategy::Union::new(effects),
    )
        .prop_map(|(at_ms, duration_ms, effect)| Fault {
            at_ms,
            duration_ms,
            effect,
        })
        .boxed()
}
