//! Seeded runs of the order system. Honours `DTX_SEED` (run exactly this seed), `DTX_SEEDS`
//! (how many seeds, default 200, per protocol) and `DTX_SEED_START` (first seed, default 0). A failing
//! seed prints its reproduction line.

use dtx_models::protocols::{driver, two_pc};
use dtx_models::system::{OrderSystem, ProtocolSpec};
use dtx_sim::{run, Seed, SimConfig, Start};

fn seeds() -> Vec<u64> {
    let parse = |k: &str| {
        std::env::var(k)
            .ok()
            .map(|v| v.parse::<Seed>().unwrap_or_else(|e| panic!("{k}: {e}")).0)
    };
    if let Some(s) = parse("DTX_SEED") {
        return vec![s];
    }
    let start = parse("DTX_SEED_START").unwrap_or(0);
    let n = parse("DTX_SEEDS").unwrap_or(200);
    (start..start + n).collect()
}

/// Run `seeds()` of `spec`; every failing seed is listed with its reproduction line.
fn clean_over_seeds(name: &str, spec: ProtocolSpec) {
    let mut failures = Vec::new();
    let mut crashes = 0;
    for s in seeds() {
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
        crashes > 0 || seeds().len() < 20,
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
