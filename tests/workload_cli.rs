//! The workload options from the outside: `--clients`, `--orders-per-client`, `--skus` and
//! `--faults` change the run (its orders, its hash, its reproduction line), leave the default
//! run alone, and travel with case files: a campaign's case of a shaped run replays to the
//! seed's own trace, and shrinks to a case that keeps the shape. Campaign reports record the
//! workload and carry business metrics. `--lock` is refused, in one line, wherever the lock
//! does not run (every protocol but 2pc and tcc), as are the lock's knobs.

#[path = "support/cli.rs"]
mod cli;

use std::path::Path;

use cli::{dtx, json};
use serde_json::Value;

fn run_json(args: &[&str]) -> Value {
    let mut all = vec!["run", "--json"];
    all.extend(args);
    let (code, out, err) = dtx(&all);
    assert!(code == 0 || code == 1, "{args:?}: {err}");
    serde_json::from_str(&out).unwrap()
}

#[test]
fn workload_options_change_the_run_and_its_reproduction_line() {
    let plain = run_json(&["--protocol", "2pc", "--seed", "3"]);
    let same = run_json(&[
        "--protocol",
        "2pc",
        "--seed",
        "3",
        "--clients",
        "3",
        "--faults",
        "default",
    ]);
    assert_eq!(
        plain["trace_hash"], same["trace_hash"],
        "defaults change nothing"
    );
    assert_eq!(
        plain["metrics"]["counts"]["orders"], 12,
        "3 clients x 4 orders"
    );
    assert_eq!(plain["repro"], "dtx run --protocol 2pc --seed 0x3");
    let five = run_json(&["--protocol", "2pc", "--seed", "3", "--clients", "5"]);
    assert_ne!(five["trace_hash"], plain["trace_hash"]);
    assert_eq!(
        five["metrics"]["counts"]["orders"], 20,
        "5 clients x 4 orders"
    );
    assert_eq!(
        five["repro"],
        "dtx run --protocol 2pc --seed 0x3 --clients 5"
    );
    let calm = run_json(&[
        "--protocol",
        "2pc",
        "--seed",
        "3",
        "--orders-per-client",
        "2",
        "--skus",
        "1",
        "--faults",
        "none",
    ]);
    assert_eq!(calm["metrics"]["counts"]["orders"], 6);
    assert_eq!(calm["stats"]["crashes"], 0, "no faults");
    assert_eq!(calm["stats"]["dropped"], 0, "no faults");
    assert_eq!(
        calm["repro"],
        "dtx run --protocol 2pc --seed 0x3 --orders-per-client 2 --skus 1 --faults none"
    );
    let samples = &plain["metrics"]["samples"];
    assert_eq!(samples["latency_ms"].as_array().unwrap().len(), 12);
    assert!(!samples["holding_ms"].as_array().unwrap().is_empty());
}

#[test]
fn a_demo_run_refuses_a_shape_and_a_run_takes_one_value() {
    let (code, _, err) = dtx(&[
        "run",
        "--protocol",
        "demo-transfer",
        "--seed",
        "1",
        "--clients",
        "2",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("demo-transfer has no workload shape"), "{err}");
    let (code, _, err) = dtx(&[
        "run",
        "--protocol",
        "2pc",
        "--seed",
        "1",
        "--clients",
        "1,2",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("dtx compare takes lists"), "{err}");
    let (code, _, err) = dtx(&["run", "--case", "x.json", "--clients", "2"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot be used with"), "{err}");
}

#[test]
fn a_shaped_case_replays_with_its_shape_and_shrinks_keeping_it() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("c");
    let (code, _, err) = dtx(&[
        "campaign",
        "--protocol",
        "1pc",
        "--seeds",
        "20",
        "--clients",
        "5",
        "--faults",
        "none",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "the baseline fails some seed: {err}");
    let report = json(&out.join("report.json"));
    assert_eq!(report["settings"]["shape"]["clients"], 5);
    assert_eq!(report["settings"]["faults"], "none");
    let target = &report["targets"][0];
    assert_eq!(target["metrics"]["counts"]["orders"], 20 * 5 * 4);
    assert_eq!(
        target["metrics"]["samples"]["latency_ms"]["count"],
        20 * 5 * 4
    );
    let group = &target["signatures"][0];
    assert!(
        group["repro"]
            .as_str()
            .unwrap()
            .ends_with("--clients 5 --faults none"),
        "{group}"
    );
    let case_path = out.join(group["case"].as_str().unwrap());
    let case = json(&case_path);
    assert_eq!(case["shape"]["clients"], 5, "{case}");
    let seed = case["seed"].as_str().unwrap();
    // The case's explicit plan replays to the seed's own trace only under the same shape.
    let from_case = run_json(&["--case", case_path.to_str().unwrap()]);
    let from_seed = run_json(&[
        "--protocol",
        "1pc",
        "--seed",
        seed,
        "--clients",
        "5",
        "--faults",
        "none",
    ]);
    assert_eq!(from_case["trace_hash"], from_seed["trace_hash"]);
    let small = d.path().join("small.json");
    let (code, _, err) = dtx(&[
        "shrink",
        case_path.to_str().unwrap(),
        "--out",
        small.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(json(&small)["shape"]["clients"], 5);
    let (code, out, err) = dtx(&["replay", small.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    // A case without a shape loads as the default shape, as before.
    let plain = json(Path::new(
        "tests/corpus/bug-demo-no-idempotency-shrunk.json",
    ));
    assert!(plain.get("shape").is_none());
}

/// The one-line refusal of `--lock` under `protocol`.
fn lock_refused(protocol: &str) -> String {
    format!(
        "--lock runs under 2pc and tcc only (the protocols that drive orders from the order service); got {protocol}"
    )
}

#[test]
fn the_lock_is_refused_where_it_does_not_run_in_one_line() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("c");
    let out = out.to_str().unwrap();
    let cases: Vec<(Vec<&str>, String)> = vec![
        (
            vec!["run", "--protocol", "saga-orch", "--lock", "--seed", "1"],
            lock_refused("saga-orch"),
        ),
        (
            vec![
                "shrink",
                "--protocol",
                "1pc",
                "--seed",
                "1",
                "--lock",
                "--double-submit",
                "--out",
                "-",
            ],
            lock_refused("1pc"),
        ),
        (
            vec![
                "run",
                "--protocol",
                "demo-transfer",
                "--seed",
                "1",
                "--lock",
            ],
            lock_refused("demo-transfer"),
        ),
        (
            vec![
                "campaign",
                "--protocol",
                "saga-choreo",
                "--lock",
                "--out",
                out,
            ],
            lock_refused("saga-choreo"),
        ),
        (
            vec![
                "compare",
                "--protocols",
                "2pc,saga-orch",
                "--lock",
                "--out",
                out,
            ],
            lock_refused("saga-orch"),
        ),
        (
            vec![
                "run",
                "--protocol",
                "demo-transfer",
                "--seed",
                "1",
                "--double-submit",
            ],
            "protocol demo-transfer has no workload shape".into(),
        ),
        (
            vec![
                "run",
                "--protocol",
                "saga-orch",
                "--bug",
                "lock-no-expiry",
                "--seed",
                "1",
            ],
            "bug 'lock-no-expiry' belongs to protocols 2pc and tcc, not saga-orch".into(),
        ),
        (
            vec!["run", "--case", "x.json", "--lock"],
            "cannot be used with".into(),
        ),
        (
            vec!["shrink", "x.json", "--double-submit", "--out", "-"],
            "cannot be used with".into(),
        ),
    ];
    for (args, says) in cases {
        let (code, stdout, err) = dtx(&args);
        assert_eq!(code, 2, "{args:?}: {stdout}{err}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.contains(&says),
            "{args:?}: '{says}' missing from: {err}"
        );
    }
    assert!(
        !Path::new(out).exists(),
        "a refused campaign or compare writes nothing"
    );
}

#[test]
fn the_lock_options_are_documented_where_they_are_taken() {
    for command in ["run", "shrink", "campaign", "compare"] {
        let (code, help, _) = dtx(&[command, "--help"]);
        assert_eq!(code, 0);
        for needle in ["--lock", "--double-submit", "2pc and tcc only"] {
            assert!(
                help.contains(needle),
                "{command}: '{needle}' missing:\n{help}"
            );
        }
    }
}
