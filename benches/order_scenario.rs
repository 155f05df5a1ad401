//! Benchmark: simulated seconds per wall second, per core, on the default order scenario
//! (5 servers, 3 clients, 12 orders, every fault kind in the swarm) for each order-system
//! protocol: one thread, seeds 0..N, release build.
//!
//! `cargo bench --bench order_scenario` (add `-- quick` for 100 seeds instead of 1000).

#![allow(clippy::disallowed_methods)] // wall-clock timing is the point of a benchmark

use std::time::Instant;

use dtx_models::protocols::{driver, one_pc, saga_choreo, saga_orch, tcc, two_pc};
use dtx_models::system::{OrderSystem, ProtocolSpec};
use dtx_sim::{run, Seed, SimConfig, Start};

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    let seeds: u64 = if quick { 100 } else { 1000 };
    let config = SimConfig::default();
    println!(
        "{:<11} {:>6} {:>12} {:>10} {:>14} {:>10}",
        "protocol", "seeds", "sim s", "wall s", "sim-s/wall-s", "seeds/s"
    );
    let protocols: [(&str, ProtocolSpec); 6] = [
        ("driver", driver::SPEC),
        ("1pc", one_pc::SPEC),
        ("2pc", two_pc::SPEC),
        ("tcc", tcc::SPEC),
        ("saga-orch", saga_orch::SPEC),
        ("saga-choreo", saga_choreo::SPEC),
    ];
    for (name, spec) in protocols {
        let started = Instant::now();
        let mut sim_ms = 0u64;
        for s in 0..seeds {
            let r = run(&mut OrderSystem::new(spec), Start::Seed(Seed(s)), &config)
                .expect("generated plans are valid");
            sim_ms += r.report.stats.sim_ms;
        }
        let wall = started.elapsed().as_secs_f64();
        let sim = sim_ms as f64 / 1000.0;
        println!(
            "{name:<11} {seeds:>6} {sim:>12.0} {wall:>10.2} {:>14.0} {:>10.0}",
            sim / wall,
            seeds as f64 / wall
        );
    }
}
