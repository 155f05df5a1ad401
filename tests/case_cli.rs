//! Case files at the centre: `dtx shrink` from a seed or from a case file (to a file or
//! stdout, keeping the knob's invariant), `dtx replay` judging a case by what it expects (exit
//! 0 when it behaves as it says) and showing it like `run`, and `dtx run --case`.

#[path = "support/cli.rs"]
mod cli;

use std::path::Path;

use cli::{demo_case, dtx, json, write_case, BUG, P};

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
    r["targets"][0]["signatures"][0]["seeds"][0]
        .as_str()
        .unwrap()
        .to_string()
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
    assert_eq!(code, 0, "a must-fail case that fails as expected: {out}");
    let inv = c["expect"]["invariant"].as_str().unwrap();
    assert!(out.contains(&format!("VIOLATION {inv}")), "{out}");
    assert!(out.contains("as the case expects"), "{out}");
}

#[test]
fn replay_exits_0_when_the_case_behaves_as_it_expects_and_1_when_not() {
    let d = tempfile::tempdir().unwrap();
    let failing = demo_case();
    let mut clean = failing.clone();
    clean["bug"] = serde_json::Value::Null;
    let expect = |mut case: serde_json::Value, must_fail: bool| {
        case["expect"] = if must_fail {
            serde_json::json!({"must_fail": true, "invariant": "applied-once"})
        } else {
            serde_json::json!({"must_fail": false})
        };
        case
    };
    // (case, exit code, what the verdict line says)
    let cases = [
        (
            expect(failing.clone(), true),
            0,
            "as the case expects (must fail with applied-once)",
        ),
        (
            expect(clean.clone(), true),
            1,
            "NOT as the case expects: must fail but ran clean",
        ),
        (expect(clean, false), 0, "as the case expects (must pass)"),
        (
            expect(failing, false),
            1,
            "NOT as the case expects: must pass but violated",
        ),
    ];
    for (i, (case, want, says)) in cases.into_iter().enumerate() {
        let path = write_case(d.path(), &format!("case-{i}.json"), &case);
        let (code, out, err) = dtx(&["replay", &path]);
        assert_eq!(code, want, "case {i}: {out}{err}");
        assert!(out.contains(says), "case {i}: '{says}' missing: {out}");
    }
}

#[test]
fn replay_shows_the_case_like_run_and_reproduces_it_by_its_file() {
    let d = tempfile::tempdir().unwrap();
    // Written without a schema and with integer seeds, as older case files are.
    let mut old = demo_case();
    old.as_object_mut().unwrap().remove("schema");
    old["seed"] = 1.into();
    old["plan"]["seed"] = 1.into();
    let path = write_case(d.path(), "old.json", &old);

    let (code, out, _) = dtx(&["replay", &path]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(&format!("reproduce: dtx replay {path}\n")),
        "{out}"
    );
    assert!(
        !out.contains("dtx run --protocol"),
        "the unshrunk seed's line: {out}"
    );

    let (code, out, _) = dtx(&["replay", &path, "--json"]);
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["as_expected"], true, "{v}");
    assert_eq!(v["repro"], format!("dtx replay {path}"), "{v}");
    assert_eq!(v["case"], path.as_str(), "{v}");
    assert!(v["trace_hash"].as_str().unwrap().starts_with("0x"), "{v}");
    assert!(v["violations"].as_array().unwrap().len() >= 2, "{v}");

    let (code, trace, _) = dtx(&["replay", &path, "--trace"]);
    assert_eq!(code, 0, "{trace}");
    assert!(trace.contains("plan of seed 0x1"), "{trace}");
    assert!(trace.lines().count() > 20, "no timeline: {trace}");
    let (_, plain, _) = dtx(&["replay", &path]);
    assert!(trace.len() > plain.len() + 500);
}

#[test]
fn run_takes_a_case_file_and_runs_its_plan() {
    let d = tempfile::tempdir().unwrap();
    let path = write_case(d.path(), "case.json", &demo_case());
    let (code, out, _) = dtx(&["run", "--case", &path, "--json"]);
    assert_eq!(code, 1, "the plan violates with the knob on: {out}");
    let run: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let (_, out, _) = dtx(&["replay", &path, "--json"]);
    let replay: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(run["trace_hash"], replay["trace_hash"]);
    assert_eq!(run["violations"], replay["violations"]);
    // The seed alone runs another plan: more workload, more faults, another trace.
    let (_, seed, _) = dtx(&[
        "run",
        "--protocol",
        P,
        "--bug",
        BUG,
        "--seed",
        "1",
        "--json",
    ]);
    let seed: serde_json::Value = serde_json::from_str(seed.trim()).unwrap();
    assert_ne!(run["trace_hash"], seed["trace_hash"]);

    let (code, _, err) = dtx(&["run", "--case", &path, "--seed", "1"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--case") && err.contains("--seed"), "{err}");
    let (code, _, err) = dtx(&["run", "--json"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--protocol") && err.contains("--case"),
        "{err}"
    );
}

#[test]
fn shrink_with_a_bug_keeps_the_invariant_its_catalogue_row_names_and_writes_to_stdout() {
    // Seed 0x10 violates money-conserved first, then applied-once, the knob's invariant.
    let (code, out, err) = dtx(&[
        "shrink",
        "--protocol",
        P,
        "--bug",
        BUG,
        "--seed",
        "0x10",
        "--out",
        "-",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let case: serde_json::Value = serde_json::from_str(&out).expect("stdout is the case alone");
    assert_eq!(case["schema"], "dtx.case/1");
    assert_eq!(case["seed"], "0x10");
    assert_eq!(case["plan"]["seed"], "0x10");
    assert_eq!(case["expect"]["invariant"], "applied-once", "{case}");
    assert!(
        err.contains("shrunk") && err.contains("(applied-once)"),
        "{err}"
    );
}

#[test]
fn shrink_takes_a_case_file_keeps_its_invariant_and_names_the_next_step() {
    let d = tempfile::tempdir().unwrap();
    // The demo case with its whole workload back: the shrink leaves items out again.
    let mut big = demo_case();
    big["plan"]["skip"] = serde_json::json!([]);
    let big_path = write_case(d.path(), "big.json", &big);
    let small = d.path().join("small.json");
    let small = small.to_str().unwrap();
    let (code, out, err) = dtx(&["shrink", &big_path, "--out", small]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains(&format!("dtx replay {small} --trace")),
        "no next step: {out}"
    );
    let c = json(Path::new(small));
    assert_eq!(
        c["expect"]["invariant"], "money-conserved",
        "the case's invariant: {c}"
    );
    assert!(c["plan"]["skip"].as_array().unwrap().len() >= 5, "{c}");
    let (code, out, _) = dtx(&["replay", small]);
    assert_eq!(code, 0, "{out}");

    // A case that does not fail has nothing to shrink.
    let mut clean = demo_case();
    clean["bug"] = serde_json::Value::Null;
    let clean = write_case(d.path(), "clean.json", &clean);
    let (code, out, _) = dtx(&["shrink", &clean, "--out", small]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("does not fail"), "{out}");
}
