//! What the order-system tests share: running one protocol on a seed or plan, reading its
//! probes and broken invariants, a plan of one order, and the seeds a seeded test runs
//! (`DTX_SEED`, `DTX_SEEDS`, `DTX_SEED_START`).

#![allow(dead_code)]

use std::collections::BTreeSet;

use dtx_models::system::{OrderSystem, ProtocolSpec};
use dtx_sim::{run, Fault, Plan, RunReport, Seed, SimConfig, Start};

/// Run `spec` (with bug knob `bug`) on a seed or an explicit plan.
pub fn report(spec: ProtocolSpec, bug: Option<&'static str>, start: Start) -> RunReport {
    let mut system = OrderSystem::new(spec).with_bug(bug);
    run(&mut system, start, &SimConfig::default())
        .unwrap()
        .report
}

/// How often the run reached probe `name`.
pub fn probe(r: &RunReport, name: &str) -> u64 {
    r.probes.get(name).copied().unwrap_or(0)
}

/// The invariants the run broke.
pub fn broke(r: &RunReport) -> BTreeSet<String> {
    r.violations.iter().map(|v| v.invariant.clone()).collect()
}

/// One order (client 0's first; the other eleven skipped) with `faults`.
pub fn one_order(seed: u64, faults: Vec<Fault>) -> Plan {
    Plan {
        seed: Seed(seed),
        window_ms: 20_000,
        swarm: faults.iter().map(|f| f.effect.kind()).collect(),
        faults,
        skip: (1..12).collect(),
    }
}

/// The seeds a seeded test runs: `DTX_SEED` alone, or `DTX_SEEDS` (default `default`) from
/// `DTX_SEED_START` (default 0).
pub fn seeds(default: u64) -> Vec<u64> {
    let parse = |k: &str| {
        std::env::var(k)
            .ok()
            .map(|v| v.parse::<Seed>().unwrap_or_else(|e| panic!("{k}: {e}")).0)
    };
    if let Some(s) = parse("DTX_SEED") {
        return vec![s];
    }
    let start = parse("DTX_SEED_START").unwrap_or(0);
    (start..start + parse("DTX_SEEDS").unwrap_or(default)).collect()
}
