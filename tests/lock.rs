//! The lock's claims (seed 002's Redis lock, `--lock`), each with the seeds that exercise it:
//! under 2pc and tcc, with double submission, runs are clean and settled while the lock is
//! contended, expires while held and refuses stale tokens; and every lock bug knob is caught by
//! the invariant its catalogue row names within a bounded seed range.

use std::collections::{BTreeMap, BTreeSet};

use dtx_models::lock;
use dtx_models::protocols::{tcc, two_pc};
use dtx_models::system::{OrderSystem, ProtocolSpec};
use dtx_models::workload::WorkloadShape;
use dtx_sim::{run, RunReport, Seed, SimConfig, Start};

/// Seeds a lock knob gets to show itself in.
const BOUND: u64 = 400;

/// Clean seeds checked per protocol (the 2,000-seed campaigns are `dtx campaign`'s job).
const CLEAN: u64 = 60;

fn report(spec: ProtocolSpec, bug: Option<&'static str>, seed: u64) -> RunReport {
    let mut system = OrderSystem::new(spec).with_bug(bug);
    system.shape = WorkloadShape {
        lock: true,
        double_submit: true,
        ..WorkloadShape::default()
    };
    run(&mut system, Start::Seed(Seed(seed)), &SimConfig::default())
        .unwrap()
        .report
}

const PROTOCOLS: [(&str, ProtocolSpec); 2] = [("2pc", two_pc::SPEC), ("tcc", tcc::SPEC)];

#[test]
fn under_the_lock_with_double_submission_runs_are_clean_and_reach_every_lock_probe() {
    for (name, spec) in PROTOCOLS {
        let mut reached: BTreeMap<String, u64> = BTreeMap::new();
        for seed in 0..CLEAN {
            let r = report(spec, None, seed);
            assert!(
                r.violations.is_empty(),
                "{name} --lock --double-submit seed {}: {:?}",
                Seed(seed),
                r.violations
            );
            for (p, n) in &r.probes {
                *reached.entry(p.clone()).or_default() += n;
            }
        }
        for probe in lock::PROBES {
            assert!(
                reached.get(*probe).is_some_and(|n| *n > 0),
                "{name}: probe {probe} never reached in seeds 0..{CLEAN}: {reached:?}"
            );
        }
    }
}

#[test]
fn every_lock_bug_knob_is_caught_by_the_invariant_its_catalogue_row_names() {
    for (name, spec) in PROTOCOLS {
        for bug in lock::BUGS {
            let found = (0..BOUND).find_map(|s| {
                let r = report(spec, Some(bug.name), s);
                let broke: BTreeSet<String> =
                    r.violations.iter().map(|v| v.invariant.clone()).collect();
                bug.breaks
                    .iter()
                    .any(|w| broke.contains(*w))
                    .then_some((s, broke))
            });
            let (seed, broke) = found.unwrap_or_else(|| {
                panic!(
                    "{name} --bug {} not caught by {:?} in seeds 0..{BOUND}",
                    bug.name, bug.breaks
                )
            });
            eprintln!(
                "{name} --bug {} caught at seed {} ({broke:?}); reproduce: cargo run --release -- run --protocol {name} --seed {} --bug {} --lock --double-submit",
                bug.name,
                Seed(seed),
                Seed(seed),
                bug.name
            );
        }
    }
}

/// The #30 story with the holder itself paused: the case the README draws.
const PAUSED_HOLDER: &str = "tests/corpus/lock-paused-holder-pays-after-its-lease.json";

#[test]
fn the_readme_draws_the_paused_holder_paying_after_its_lease_as_its_case_replays() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lock.mmd");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_dtx"))
        .args(["replay", PAUSED_HOLDER, "--mermaid"])
        .arg(&file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    // The paused holder's own authorization lands after its lease ran out and breaks it.
    assert!(stdout.contains("VIOLATION single-charge"), "{stdout}");
    assert!(stdout.contains(r#"key: "2pc-1-auth-t1""#), "{stdout}");
    let drawn = std::fs::read_to_string(&file).unwrap();
    assert!(drawn.contains("fault 0: pause order"), "{drawn}");
    assert!(drawn.contains("lock.expired_while_held"), "{drawn}");
    let readme = std::fs::read_to_string("README.md").unwrap();
    assert!(
        readme.contains(&format!("```mermaid\n{drawn}```")),
        "the README's lock picture is not what `dtx replay {PAUSED_HOLDER} --mermaid` draws now; replace it with:\n{drawn}"
    );
}
