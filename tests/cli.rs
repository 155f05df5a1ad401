//! The `dtx` front door: the command contract, bad input, campaigns, shrinking and replay,
//! on the engine demo and on 2pc.

use std::path::Path;
use std::process::{Command, Stdio};

const P: &str = "demo-transfer";
const BUG: &str = "demo-no-idempotency";

fn dtx(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_dtx"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn run_prints_a_json_report_with_the_contract_fields() {
    let (code, out, _) = dtx(&["run", "--protocol", P, "--seed", "0x5eed", "--json"]);
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    for field in [
        "protocol",
        "seed",
        "bug",
        "trace_hash",
        "violations",
        "stats",
    ] {
        assert!(v.get(field).is_some(), "missing {field}: {v}");
    }
    assert!(v["trace_hash"].as_str().unwrap().starts_with("0x"));
    let (_, again, _) = dtx(&["run", "--protocol", P, "--seed", "24301", "--json"]);
    let again: serde_json::Value = serde_json::from_str(again.trim()).unwrap();
    assert_eq!(v, again, "0x5eed and 24301 are one seed");
}

#[test]
fn a_violation_exits_1_and_carries_its_reproduction_line() {
    let (code, out, _) = dtx(&["run", "--protocol", P, "--bug", BUG, "--seed", "0x10"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("VIOLATION"), "{out}");
    assert!(
        out.contains(&format!("dtx run --protocol {P} --seed 0x10 --bug {BUG}")),
        "{out}"
    );
}

#[test]
fn bad_input_is_a_one_line_error_naming_the_value_and_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.json");
    std::fs::write(&garbage, "{ not json").unwrap();
    let wrong = dir.path().join("wrong.json");
    std::fs::write(
        &wrong,
        r#"{"protocol":"3pc","seed":1,"plan":{"seed":1,"window_ms":1,"swarm":[],"faults":[]},"expect":{"must_fail":false}}"#,
    )
    .unwrap();
    let cases: Vec<(Vec<&str>, Vec<&str>)> = vec![
        (
            vec!["run", "--protocol", "3pc", "--seed", "1"],
            vec!["'3pc'", P],
        ),
        (
            vec!["run", "--protocol", P, "--bug", "nope", "--seed", "1"],
            vec!["'nope'", BUG],
        ),
        (
            vec!["run", "--protocol", P, "--seed", "0xnope"],
            vec!["'0xnope'", "0x-prefixed hex"],
        ),
        (
            vec!["campaign", "--protocol", P, "--shard", "3/2"],
            vec!["'3/2'", "I/N"],
        ),
        (
            vec!["campaign", "--protocol", "all", "--bug", BUG],
            vec!["--bug", "'all'"],
        ),
        (
            vec!["replay", "/no/such/case.json"],
            vec!["cannot read", "/no/such/case.json"],
        ),
        (
            vec!["replay", garbage.to_str().unwrap()],
            vec!["invalid case file", "garbage.json"],
        ),
        (
            vec!["replay", wrong.to_str().unwrap()],
            vec!["'3pc'", "valid protocols"],
        ),
        (
            vec!["shrink", "--protocol", P, "--seed", "1"],
            vec!["--out"],
        ),
        (
            vec![
                "run",
                "--protocol",
                "2pc",
                "--seed",
                "1",
                "--mermaid",
                "m.md",
                "--order",
                "x",
            ],
            vec!["'x'", "--order"],
        ),
    ];
    for (args, needles) in cases {
        let (code, out, err) = dtx(&args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert_eq!(
            err.trim().lines().count(),
            1,
            "{args:?}: not one line: {err}"
        );
        for n in needles {
            assert!(err.contains(n), "{args:?}: '{n}' missing from: {err}");
        }
    }
}

/// Targets whose bug knob fails some of the first 60 seeds: the engine demo and 2pc.
const FAILING: [(&str, &str); 2] = [(P, BUG), ("2pc", "2pc-decision-not-logged")];

fn campaign(dir: &Path, (p, bug): (&str, &str), extra: &[&str]) -> serde_json::Value {
    let mut args = vec![
        "campaign",
        "--protocol",
        p,
        "--bug",
        bug,
        "--out",
        dir.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let (code, out, err) = dtx(&args);
    assert_eq!(code, 1, "the bug knob fails some seeds: {out}{err}");
    let mut r = json(&dir.join("report.json"));
    for wall in ["wall_secs", "seeds_per_sec"] {
        r.as_object_mut().unwrap().remove(wall);
    }
    r
}

#[test]
fn campaign_reports_do_not_depend_on_jobs_and_shards_cover_the_range() {
    for target in FAILING {
        jobs_and_shards(target);
    }
}

fn jobs_and_shards(target: (&str, &str)) {
    let d = tempfile::tempdir().unwrap();
    let one = campaign(
        &d.path().join("j1"),
        target,
        &["--seeds", "60", "--jobs", "1"],
    );
    let two = campaign(
        &d.path().join("j2"),
        target,
        &["--seeds", "60", "--jobs", "2"],
    );
    // Case paths differ by directory; everything else is equal.
    let strip = |mut v: serde_json::Value| {
        for f in v["failures"].as_array_mut().unwrap() {
            f.as_object_mut().unwrap().remove("case");
        }
        v
    };
    assert_eq!(strip(one.clone()), strip(two));
    assert!(one["failed"].as_u64().unwrap() > 0);
    assert_eq!(one["runs"], 60);
    let died: u64 = one["crash_points"]
        .as_object()
        .unwrap()
        .values()
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert!(died > 0, "no host died at a crash point in 60 seeds: {one}");

    let mut union = std::collections::BTreeSet::new();
    let mut runs = 0;
    for i in 0..3 {
        let r = campaign(
            &d.path().join(format!("s{i}")),
            target,
            &["--seeds", "60", "--shard", &format!("{i}/3")],
        );
        runs += r["runs"].as_u64().unwrap();
        for f in r["failures"].as_array().unwrap() {
            assert!(
                union.insert(f["seed"].as_str().unwrap().to_string()),
                "a seed in two shards"
            );
        }
    }
    assert_eq!(runs, 60, "the shards ran every seed exactly once");
    let all: std::collections::BTreeSet<String> = one["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["seed"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        union, all,
        "failing seeds of the shards = those of the whole range"
    );
}

/// A campaign of a million seeds of the demo's bug knob (it fails often), on 2 threads.
fn endless_campaign(out: &Path, stdout: Stdio) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_dtx"))
        .args(["campaign", "--protocol", P, "--bug", BUG])
        .args(["--seeds", "1000000", "--jobs", "2"])
        .args(["--out", out.to_str().unwrap()])
        .stdout(stdout)
        .spawn()
        .unwrap()
}

/// Wait (up to 30 s) until `n` case files are in `failures`.
fn wait_for_cases(failures: &Path, n: usize) {
    for _ in 0..600 {
        if std::fs::read_dir(failures).map(|d| d.count()).unwrap_or(0) >= n {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn a_killed_campaign_has_saved_every_failure_it_reported() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("killed");
    let mut child = endless_campaign(&out, Stdio::piped());
    let failures = out.join("failures");
    // Wait until some failures are on disk, then kill without warning.
    wait_for_cases(&failures, 5);
    child.kill().unwrap();
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let reported: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.trim().strip_prefix("case: "))
        .collect();
    assert!(
        !reported.is_empty(),
        "the campaign reported failures before it was killed"
    );
    for case in reported {
        let v = json(Path::new(case));
        assert_eq!(v["expect"]["must_fail"], true);
        let (code, _, _) = dtx(&["replay", case]);
        assert_eq!(code, 1, "{case} replays as a failure");
    }
    assert!(
        !out.join("report.json").exists(),
        "a killed campaign wrote no final report"
    );
}

#[test]
fn shrink_makes_a_smaller_case_that_still_fails_the_same_way_and_replays() {
    for target in FAILING {
        shrinks(target, &first_failing_seed(target));
    }
    let d = tempfile::tempdir().unwrap();
    let case = d.path().join("case.json");
    let (code, out, _) = dtx(&[
        "shrink",
        "--protocol",
        P,
        "--seed",
        "1",
        "--out",
        case.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "a clean seed does not shrink: {out}");
}

/// The first seed of 0..200 that `target` fails, as a campaign reports it.
fn first_failing_seed(target: (&str, &str)) -> String {
    let d = tempfile::tempdir().unwrap();
    let r = campaign(d.path(), target, &["--seeds", "200"]);
    r["failures"][0]["seed"].as_str().unwrap().to_string()
}

fn shrinks((p, bug): (&str, &str), seed: &str) {
    let d = tempfile::tempdir().unwrap();
    let case = d.path().join("case.json");
    let (code, out, err) = dtx(&[
        "shrink",
        "--protocol",
        p,
        "--bug",
        bug,
        "--seed",
        seed,
        "--out",
        case.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let c = json(&case);
    let (_, original, _) = dtx(&[
        "run",
        "--protocol",
        p,
        "--bug",
        bug,
        "--seed",
        seed,
        "--trace",
    ]);
    let faults_before = original
        .lines()
        .filter(|l| l.trim_start().starts_with('['))
        .count();
    let faults_after = c["plan"]["faults"].as_array().unwrap().len();
    let skipped = c["plan"]["skip"].as_array().map_or(0, |s| s.len());
    assert!(
        faults_after < faults_before || (faults_after == faults_before && skipped > 0),
        "{p}: nothing removed: {out}"
    );
    let (code, out, _) = dtx(&["replay", case.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    let inv = c["expect"]["invariant"].as_str().unwrap();
    assert!(out.contains(&format!("VIOLATION {inv}")), "{out}");
    assert!(out.contains("as the case expects"), "{out}");
}

#[test]
fn mutants_detects_every_bug_knob() {
    let (code, out, _) = dtx(&["mutants", "--json"]);
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    for row in v.as_array().unwrap() {
        assert_eq!(row["detected"], true, "{row}");
    }
}

#[test]
fn mermaid_of_one_order_draws_only_that_orders_messages() {
    let d = tempfile::tempdir().unwrap();
    let file = d.path().join("order-3.md");
    let (code, out, err) = dtx(&[
        "run",
        "--protocol",
        "2pc",
        "--seed",
        "1",
        "--mermaid",
        file.to_str().unwrap(),
        "--order",
        "3",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.starts_with("sequenceDiagram\n"), "{text}");
    let arrows: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("Note") && (l.contains("->>") || l.contains("-x")))
        .collect();
    assert!(arrows.len() > 5, "{text}");
    for a in arrows {
        assert!(
            dtx_models::wire::mentions_order(a, 3),
            "an arrow not about order 3: {a}"
        );
    }
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_a_campaign_with_exit_130_and_writes_the_partial_report() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("interrupted");
    let mut child = endless_campaign(&out, Stdio::null());
    let failures = out.join("failures");
    wait_for_cases(&failures, 3);
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let report = json(&out.join("report.json"));
    assert_eq!(report["interrupted"], true, "{report}");
    let saved = std::fs::read_dir(&failures).unwrap().count() as u64;
    assert!(saved >= 3);
    assert_eq!(report["failed"].as_u64(), Some(saved), "{report}");
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(summary.contains("interrupted"), "{summary}");
}

#[test]
fn campaign_over_all_runs_every_protocol_but_the_baselines() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("all");
    let (code, stdout, err) = dtx(&[
        "campaign",
        "--protocol",
        "all",
        "--seeds",
        "20",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stdout}{err}");
    for p in ["2pc", "driver", P] {
        assert_eq!(json(&out.join(p).join("report.json"))["runs"], 20, "{p}");
    }
    assert!(
        !out.join("1pc").exists(),
        "the 1pc baseline fails by design and is left out of 'all'"
    );
}
