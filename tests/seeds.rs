//! Seeded runs of the order system. Honours `DTX_SEED` (run exactly this seed), `DTX_SEEDS`
//! (how many seeds, default 200, per protocol) and `DTX_SEED_START` (first seed, default 0). A failing
//! seed prints its reproduction line.

mod support;

use dtx_models::protocols::{driver, two_pc};
use dtx_models::system::{OrderSystem, ProtocolSpec};
use dtx_sim::{run, Seed, SimConfig, Start};

/// Run `support::seeds(200)` of `spec`; every failing seed is listed with its reproduction line.
fn clean_over_seeds(name: &str, spec: ProtocolSpec) {
    let mut failures = Vec::new();
    let mut crashes = 0;
    for s in support::seeds(200) {
        let r = run(
            &mut OrderSystem::new(spec),
            Start::Seed(Seed(s)),
            &SimConfig::default(),
        )
        .unwrap();
        crashes += r.report.stats.crashes;
        if !r.report.is_clean() {
            failures.push(format!(
                "seed {}: {:?}\n  reproduce: cargo run --release -- run --protocol {name} --seed {}",
                Seed(s),
                r.report.violations,
                Seed(s)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        crashes > 0 || support::seeds(200).len() < 20,
        "the fault model crashed nothing"
    );
}

#[test]
fn the_parts_are_sound_under_every_fault_with_the_trivial_driver() {
    clean_over_seeds("driver", driver::SPEC);
}

#[test]
fn two_pc_commit_keeps_every_invariant_under_every_fault() {
    clean_over_seeds("2pc", two_pc::SPEC);
}
