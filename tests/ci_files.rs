//! The files shipped for running dtx elsewhere are right: the CI definitions (ci/: the
//! campaign script, the image, the GitHub workflow, the Kubernetes Job) have the shape their
//! README promises. The failure catalogue is checked in tests/catalogue.rs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use serde_yaml::Value;

fn text(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn yaml(path: &str) -> Value {
    serde_yaml::from_str(&text(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn flat(v: &Value) -> String {
    serde_yaml::to_string(v).unwrap()
}

/// A scalar as the word it is on a command line.
fn word(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => flat(other).trim().to_string(),
    }
}

fn campaign(args: &[&str], env: &[(&str, &Path)]) -> Output {
    let mut c = Command::new("bash");
    c.arg("ci/campaign.sh").args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

// ---- the GitHub workflow -------------------------------------------------------------------

fn upload_step(job: &Value) -> &Value {
    job["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/upload-artifact"))
        })
        .expect("an upload-artifact step")
}

#[test]
fn the_workflow_is_valid_yaml_with_tests_smoke_and_a_sharded_nightly() {
    let w = yaml("ci/github/dtx.yml");
    let jobs = &w["jobs"];
    assert!(flat(&jobs["test"]).contains("cargo test --workspace"));
    assert!(jobs["smoke"]["steps"].as_sequence().is_some());
    let nightly = &jobs["nightly"];
    assert!(
        nightly["strategy"]["matrix"]["shard"]
            .as_sequence()
            .unwrap()
            .len()
            > 1
    );
    assert_eq!(nightly["strategy"]["fail-fast"].as_bool(), Some(false));
    let steps = flat(&nightly["steps"]);
    assert!(steps.contains("ci/campaign.sh"), "{steps}");
    // Every run tests new seeds: the start moves with the run number.
    assert!(
        steps.contains("--start") && steps.contains("github.run_number"),
        "{steps}"
    );
}

#[test]
fn the_workflow_uploads_cases_reports_and_junit_whatever_the_outcome() {
    let w = yaml("ci/github/dtx.yml");
    for (job, dir) in [("smoke", "smoke"), ("nightly", "nightly")] {
        let step = upload_step(&w["jobs"][job]);
        assert_eq!(step["if"].as_str(), Some("always()"), "{job}");
        let path = step["with"]["path"].as_str().unwrap();
        for want in ["failures/", "report.json", "summary.md", "junit.xml"] {
            assert!(path.contains(&format!("{dir}/{want}")), "{job}: {path}");
        }
    }
    // dtx writes the job summary itself: nothing may take $GITHUB_STEP_SUMMARY away from it.
    let text = text("ci/github/dtx.yml");
    assert!(!text.contains("GITHUB_STEP_SUMMARY:"), "{text}");
}

// ---- the Kubernetes Job --------------------------------------------------------------------

fn job() -> Value {
    yaml("ci/k8s/campaign-job.yaml")
}

fn container(j: &Value) -> &Value {
    &j["spec"]["template"]["spec"]["containers"][0]
}

/// The container's command and arguments, one string each.
fn command_line(j: &Value) -> Vec<String> {
    let c = container(j);
    let part = |k: &str| {
        c[k].as_sequence()
            .map(|s| s.iter().map(word).collect::<Vec<String>>())
            .unwrap_or_default()
    };
    [part("command"), part("args")].concat()
}

/// The value given after `option` in the container's command line.
fn option_value(j: &Value, option: &str) -> Option<String> {
    let words = command_line(j);
    let at = words.iter().position(|w| w == option)?;
    words.get(at + 1).cloned()
}

/// The container's environment variable `name`.
fn env_var<'a>(j: &'a Value, name: &str) -> Option<&'a Value> {
    container(j)["env"]
        .as_sequence()?
        .iter()
        .find(|e| e["name"].as_str() == Some(name))
}

#[test]
fn the_manifest_is_an_indexed_job_running_its_shard() {
    let j = job();
    assert_eq!(j["kind"].as_str(), Some("Job"));
    assert_eq!(j["spec"]["completionMode"].as_str(), Some("Indexed"));
    let shard = option_value(&j, "--shard").unwrap();
    let n = j["spec"]["completions"].as_u64().unwrap();
    assert_eq!(shard, format!("$(JOB_COMPLETION_INDEX)/{n}"));
    // One folder per run (its first seed) and index, appended to by a retried index: a later
    // run or a retry is never refused for finding the folder non-empty.
    assert_eq!(
        option_value(&j, "--out").as_deref(),
        Some("/results/start-$(DTX_START)/shard-$(JOB_COMPLETION_INDEX)")
    );
    let args =
        serde_yaml::to_string(&j["spec"]["template"]["spec"]["containers"][0]["args"]).unwrap();
    assert!(args.contains("--append"), "{args}");
}

#[test]
fn a_shard_that_finds_bugs_does_not_stop_the_others() {
    let j = job();
    let spec = &j["spec"];
    // Retries per index: one failed pod never fails the Job's other indexes...
    assert!(
        spec["backoffLimitPerIndex"].as_u64().is_some(),
        "{}",
        flat(spec)
    );
    assert!(
        spec["maxFailedIndexes"].as_u64().is_some(),
        "{}",
        flat(spec)
    );
    assert!(spec["backoffLimit"].as_u64() != Some(0));
    // ...and a pod does not fail on findings: dtx's exit code 1 becomes 0.
    assert_eq!(option_value(&j, "--findings-exit").as_deref(), Some("0"));
    // Reports are written after SIGTERM, within the grace period; the run has a deadline.
    let pod = &spec["template"]["spec"];
    assert!(pod["terminationGracePeriodSeconds"].as_u64().unwrap() >= 60);
    assert!(spec["activeDeadlineSeconds"].as_u64().is_some());
}

#[test]
fn the_pod_uses_its_cpu_limit_and_a_seed_offset() {
    let j = job();
    let jobs = option_value(&j, "--jobs").expect("--jobs");
    let var = jobs.trim_start_matches("$(").trim_end_matches(')');
    let source = &env_var(&j, var).unwrap_or_else(|| panic!("no env {var}"))["valueFrom"]
        ["resourceFieldRef"];
    assert_eq!(source["resource"].as_str(), Some("limits.cpu"));
    assert_eq!(word(&source["divisor"]), "1");
    let resources = &container(&j)["resources"];
    assert_eq!(resources["requests"]["cpu"], resources["limits"]["cpu"]);
    assert!(resources["limits"]["cpu"].as_str().is_some());

    assert_eq!(option_value(&j, "--start").as_deref(), Some("$(DTX_START)"));
    assert!(env_var(&j, "DTX_START").is_some());
}

#[test]
fn the_pod_runs_the_image_and_builds_nothing() {
    let j = job();
    let c = container(&j);
    let line = command_line(&j).join(" ");
    assert!(!line.contains("cargo"), "{line}");
    assert!(line.contains("campaign.sh"), "{line}");
    let image = c["image"].as_str().unwrap();
    assert!(!image.starts_with("rust:"), "{image}");
    assert!(c["workingDir"].as_str() != Some("/src"));
}

// ---- the image -----------------------------------------------------------------------------

#[test]
fn the_image_builds_dtx_in_release_and_ships_only_the_binary() {
    let dockerfile = text("ci/Dockerfile");
    // Stages, each from its FROM line on.
    let mut stages: Vec<String> = Vec::new();
    for line in dockerfile.lines() {
        if line.starts_with("FROM ") {
            stages.push(String::new());
        }
        if let Some(s) = stages.last_mut() {
            s.push_str(line);
            s.push('\n');
        }
    }
    assert!(stages.len() >= 2, "a builder and a runtime stage");
    let (builder, runtime) = (&stages[0], stages.last().unwrap());
    let name = builder.lines().next().unwrap().rsplit(' ').next().unwrap();
    assert!(
        builder.lines().next().unwrap().contains(" AS "),
        "{builder}"
    );
    assert!(
        builder.contains("cargo build --release --locked --bin dtx"),
        "{builder}"
    );
    assert!(
        runtime.contains(&format!(
            "COPY --from={name} /build/target/release/dtx /usr/local/bin/dtx"
        )),
        "{runtime}"
    );
    assert!(!runtime.contains("cargo") && !runtime.starts_with("FROM rust"));
    assert!(runtime.contains("ci/campaign.sh") && runtime.contains("ENTRYPOINT"));
    assert!(text(".dockerignore").lines().any(|l| l.trim() == "target/"));
}

// ---- the campaign script -------------------------------------------------------------------

#[test]
fn the_campaign_script_rejects_bad_arguments() {
    let out = campaign(&["--frobnicate"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("'--frobnicate'"));
}

#[test]
fn a_missing_value_is_named_in_one_line() {
    for option in [
        "--shard",
        "--duration",
        "--seeds",
        "--start",
        "--jobs",
        "--out",
    ] {
        for args in [vec![option], vec![option, "--protocol", "tcc"]] {
            let out = campaign(&args, &[]);
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
            assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
            assert!(err.contains(&format!("{option} needs a value")), "{err}");
            assert!(!err.contains("unbound variable"), "{err}");
        }
    }
}

#[test]
fn bad_values_are_named_before_anything_is_built() {
    for (option, value) in [
        ("--shard", "3/3"),
        ("--shard", "1"),
        ("--shard", "a/2"),
        ("--seeds", "0"),
        ("--seeds", "ten"),
        ("--jobs", "-2"),
        ("--start", "0xZZ"),
        ("--duration", "soon"),
        ("--findings-exit", "256"),
    ] {
        let out = campaign(&[option, value], &[]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{option} {value}: {err}");
        assert!(err.contains(&format!("{option} '{value}'")), "{err}");
    }
}

/// A stand-in for dtx: records its arguments, says when it is ready, exits with $FAKE_EXIT;
/// on SIGTERM it counts the signal, writes its report, and exits 130.
fn fake_dtx(dir: &Path) -> PathBuf {
    let path = dir.join("dtx");
    std::fs::write(
        &path,
        r#"#!/usr/bin/env bash
printf '%s\n' "$@" > "$FAKE_DIR/args"
trap 'echo TERM >> "$FAKE_DIR/signals"; echo "{}" > "$FAKE_DIR/report.json"; exit 130' TERM
touch "$FAKE_DIR/ready"
for _ in $(seq 1 "${FAKE_TICKS:-0}"); do sleep 0.1; done
exit "${FAKE_EXIT:-0}"
"#,
    )
    .unwrap();
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    path
}

#[test]
fn the_script_runs_dtx_with_the_combined_layout_and_keeps_the_exit_contract() {
    let dir = tempfile::tempdir().unwrap();
    let dtx = fake_dtx(dir.path());
    let out_dir = dir.path().join("out");
    let out_arg = out_dir.to_str().unwrap();
    let run = |exit: &str, extra: &[&str]| {
        let mut args = vec!["--shard", "1/4", "--seeds", "5", "--start", "0x10"];
        args.extend_from_slice(&["--jobs", "3", "--out", out_arg]);
        args.extend_from_slice(extra);
        let fake = dir.path().join(exit);
        std::fs::create_dir_all(&fake).unwrap();
        let mut c = Command::new("bash");
        c.arg("ci/campaign.sh").args(&args);
        c.env("DTX", &dtx)
            .env("FAKE_DIR", &fake)
            .env("FAKE_EXIT", exit);
        let status = c.output().unwrap().status.code();
        (status, text(fake.join("args").to_str().unwrap()))
    };

    let (status, args) = run("0", &[]);
    assert_eq!(status, Some(0));
    let args: Vec<&str> = args.lines().collect();
    let junit = format!("{out_arg}/junit.xml");
    for pair in [
        ["--shard", "1/4"],
        ["--seeds", "5"],
        ["--start", "0x10"],
        ["--jobs", "3"],
        ["--out", out_arg],
        ["--junit", junit.as_str()],
    ] {
        assert!(args.windows(2).any(|w| w == pair), "{pair:?} in {args:?}");
    }
    assert_eq!(args[0], "campaign");
    assert_eq!(run("1", &[]).0, Some(1), "findings");
    assert_eq!(
        run("1", &["--findings-exit", "0"]).0,
        Some(0),
        "findings as 0"
    );
    assert_eq!(run("2", &["--findings-exit", "0"]).0, Some(2), "bad input");
    assert_eq!(
        run("101", &["--findings-exit", "0"]).0,
        Some(101),
        "a crash"
    );
}

#[test]
fn sigterm_reaches_dtx_once_and_the_script_waits_for_its_reports() {
    let dir = tempfile::tempdir().unwrap();
    let dtx = fake_dtx(dir.path());
    let mut child = Command::new("bash")
        .args(["ci/campaign.sh", "--seeds", "5", "--out"])
        .arg(dir.path().join("out"))
        .env("DTX", &dtx)
        .env("FAKE_DIR", dir.path())
        .env("FAKE_TICKS", "200")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Up to 10 s for the stand-in to start (a test outside any simulation may sleep).
    let mut waited = 0;
    while !dir.path().join("ready").exists() {
        assert!(waited < 500, "dtx never started");
        std::thread::sleep(Duration::from_millis(20));
        waited += 1;
    }
    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    assert_eq!(child.wait().unwrap().code(), Some(130));
    assert_eq!(text(dir.path().join("signals").to_str().unwrap()), "TERM\n");
    assert!(dir.path().join("report.json").exists());
}
