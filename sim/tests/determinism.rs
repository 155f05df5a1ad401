//! Same seed ⇒ same trace hash (in one process and across processes); different seeds ⇒
//! different traces; a nondeterministic scenario is caught by the self-check, which names the
//! first differing event.

mod support;

use std::collections::BTreeMap;
use std::process::Command;

use dtx_sim::{run, self_check, Seed, Start};
use support::{config, Mode, Pinger};

fn scenario() -> Pinger {
    Pinger::new(Mode::Call, 10)
}

fn hash_of(seed: u64) -> u64 {
    run(&mut scenario(), Start::Seed(Seed(seed)), &config(5_000))
        .unwrap()
        .report
        .trace_hash
}

#[test]
fn same_seed_same_trace_in_one_process() {
    for seed in [0u64, 7, 0x5eed] {
        let a = run(&mut scenario(), Start::Seed(Seed(seed)), &config(5_000)).unwrap();
        let b = run(&mut scenario(), Start::Seed(Seed(seed)), &config(5_000)).unwrap();
        assert_eq!(a.report, b.report);
        assert_eq!(a.trace.events, b.trace.events);
        assert!(a.trace.events.len() > 20, "a trace worth comparing");
        assert_eq!(
            self_check(scenario, Seed(seed), &config(5_000)).unwrap(),
            Ok(a.report.trace_hash)
        );
    }
}

#[test]
fn different_seeds_give_different_traces() {
    let mut seen: BTreeMap<u64, u64> = BTreeMap::new();
    for seed in 0..100u64 {
        let h = hash_of(seed);
        if let Some(other) = seen.insert(h, seed) {
            panic!("seeds {other} and {seed} share trace hash {h:#x}");
        }
    }
}

const CHILD_ENV: &str = "DTX_SIM_HASH_CHILD";

/// Run by the test below in a child process: prints the hash of the seed it is given.
#[test]
#[ignore = "run as a child process by same_seed_same_trace_across_processes"]
fn child_prints_trace_hash() {
    if let Ok(seed) = std::env::var(CHILD_ENV) {
        let seed: Seed = seed.parse().unwrap();
        println!("TRACE_HASH={:#x}", hash_of(seed.0));
    }
}

#[test]
fn same_seed_same_trace_across_processes() {
    let exe = std::env::current_exe().unwrap();
    for seed in [3u64, 0xdead] {
        let out = Command::new(&exe)
            .args([
                "--exact",
                "child_prints_trace_hash",
                "--ignored",
                "--nocapture",
            ])
            .env(CHILD_ENV, seed.to_string())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let line = stdout
            .lines()
            .find_map(|l| l.strip_prefix("TRACE_HASH="))
            .unwrap_or_else(|| panic!("child printed no hash: {stdout}"));
        assert_eq!(line, format!("{:#x}", hash_of(seed)), "seed {seed}");
    }
}

#[test]
fn the_self_check_names_the_first_event_of_a_nondeterministic_scenario() {
    let make = || {
        let mut p = Pinger::new(Mode::OneWay, 3);
        p.nondeterministic = true;
        p
    };
    let err = self_check(make, Seed(5), &config(2_000))
        .unwrap()
        .expect_err("iterating a std HashMap into the trace must be caught");
    let first = err.first.clone().unwrap();
    assert!(first.contains("app") && first.contains("order "), "{first}");
    assert_ne!(err.first, err.second);
    let text = err.to_string();
    assert!(text.contains(&format!("event {}", err.index)), "{text}");
}

#[test]
fn same_seed_same_trace_whatever_the_thread_count() {
    let seeds: Vec<u64> = (0..16).collect();
    let sequential: Vec<u64> = seeds.iter().map(|s| hash_of(*s)).collect();
    let parallel: Vec<u64> = std::thread::scope(|scope| {
        let handles: Vec<_> = seeds
            .chunks(4)
            .map(|chunk| scope.spawn(move || chunk.iter().map(|s| hash_of(*s)).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    assert_eq!(sequential, parallel);
}
