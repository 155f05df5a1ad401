//! How a campaign starts and ends: zero counts, a million threads and a spent-at-once budget
//! refused with exit 2; a non-empty `--out` refused unless `--append` (which never counts what
//! was there); SIGTERM and Ctrl-C stop it with exit 130 and the reports written; a spent
//! `--duration` is a normal end; a closed stdout still writes every report and case file; a
//! killed campaign has saved every signature it reported.

#[path = "support/campaign.rs"]
mod campaign;
#[path = "support/cli.rs"]
mod cli;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use campaign::{case_files, content, knob_campaign};
use cli::{dtx, json, BUG, P};

#[test]
fn zero_counts_budgets_and_a_million_threads_are_refused_with_exit_2() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("never");
    for (flag, value) in [
        ("--seeds", "0"),
        ("--jobs", "0"),
        ("--jobs", "1000000"),
        ("--max-failures", "0"),
        ("--seeds", "-3"),
        ("--duration", "0s"),
    ] {
        let (code, stdout, err) = dtx(&[
            "campaign",
            "--protocol",
            P,
            flag,
            value,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(code, 2, "{flag} {value}: {stdout}{err}");
        assert_eq!(err.trim().lines().count(), 1, "{flag} {value}: {err}");
        assert!(err.contains(flag) && err.contains(value), "{err}");
        assert!(!out.exists(), "{flag} {value}: nothing was written");
    }
}

#[test]
fn a_non_empty_out_is_refused_and_append_never_counts_what_was_there() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("shared");
    let (code, first) = knob_campaign(&out, &["--seeds", "50"]);
    assert_eq!(code, 1);
    let before = case_files(&out);
    assert!(!before.is_empty());

    let (code, _, err) = dtx(&[
        "campaign",
        "--protocol",
        P,
        "--seeds",
        "5",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains(out.to_str().unwrap()) && err.contains("--append"),
        "{err}"
    );

    // A clean campaign appended to the directory: the old failures are listed, not counted.
    let (code, stdout, err) = dtx(&[
        "campaign",
        "--protocol",
        P,
        "--seeds",
        "20",
        "--append",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stdout}{err}");
    let r = json(&out.join("report.json"));
    assert_eq!(r["verdict"], "pass");
    assert_eq!(r["totals"]["failed"], 0);
    assert_eq!(r["earlier"]["report"], true);
    assert_eq!(
        r["earlier"]["case_files"].as_array().unwrap().len(),
        before.len()
    );
    assert_eq!(case_files(&out), before, "earlier case files are kept");
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(summary.starts_with("**PASS**"), "{summary}");

    // The knob again: its signatures keep their earlier files, marked as such.
    let (code, again) = knob_campaign(&out, &["--seeds", "50", "--append"]);
    assert_eq!(code, 1);
    for g in again["targets"][0]["signatures"].as_array().unwrap() {
        assert_eq!(g["case_from_earlier"], true, "{g}");
    }
    assert_eq!(
        content(first)["targets"][0]["failed"],
        again["targets"][0]["failed"]
    );
}

/// A campaign of a million seeds of the demo's bug knob (it fails often), on 2 threads.
fn endless_campaign(out: &Path, stdout: Stdio) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_dtx"))
        .args(["campaign", "--protocol", P, "--bug", BUG])
        .args(["--seeds", "1000000", "--jobs", "2"])
        .args(["--out", out.to_str().unwrap()])
        .env_remove("GITHUB_STEP_SUMMARY")
        .stdout(stdout)
        .spawn()
        .unwrap()
}

/// Wait (up to 30 s) until `n` case files are in `out`'s failures/.
fn wait_for_cases(out: &Path, n: usize) {
    for _ in 0..600 {
        if case_files(out).len() >= n {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("no {n} case files in 30 s");
}

#[cfg(unix)]
fn stopped_by(signal: &str) {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("stopped");
    let mut child = endless_campaign(&out, Stdio::null());
    wait_for_cases(&out, 1);
    std::thread::sleep(Duration::from_millis(300));
    let sent = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{signal}");
    let report = json(&out.join("report.json"));
    assert_eq!(report["interrupted"], true, "{report}");
    assert_eq!(report["end"], "interrupted");
    let runs = report["totals"]["runs"].as_u64().unwrap();
    assert!(runs > 0 && runs < 1_000_000, "{report}");
    let sigs = report["targets"][0]["signatures"].as_array().unwrap().len();
    assert_eq!(case_files(&out).len(), sigs, "{report}");
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        summary.lines().next().unwrap().contains("(interrupted)"),
        "{summary}"
    );
}

#[cfg(unix)]
#[test]
fn sigterm_stops_a_campaign_with_exit_130_and_writes_the_reports() {
    stopped_by("TERM");
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_a_campaign_with_exit_130_and_writes_the_reports() {
    stopped_by("INT");
}

#[test]
fn a_spent_budget_is_a_normal_end_not_an_interruption() {
    let d = tempfile::tempdir().unwrap();
    let clean = d.path().join("clean");
    let (code, out, err) = dtx(&[
        "campaign",
        "--protocol",
        P,
        "--duration",
        "1s",
        "--jobs",
        "2",
        "--out",
        clean.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let r = json(&clean.join("report.json"));
    assert_eq!(r["interrupted"], false, "{r}");
    assert_eq!(r["end"], "budget");
    assert_eq!(r["settings"]["seeds"], Value::Null);
    assert!(r["totals"]["runs"].as_u64().unwrap() > 0);

    // A range bigger than the budget: still a normal end, with the failures' exit code.
    let (code, r) = knob_campaign(
        &d.path().join("knob"),
        &["--seeds", "1000000", "--duration", "1s", "--jobs", "2"],
    );
    assert_eq!(code, 1);
    assert_eq!(r["interrupted"], false, "{r}");
    assert_eq!(r["end"], "budget");
    assert!(r["stopped"].as_str().unwrap().contains("budget"));
}

#[test]
fn a_closed_stdout_still_writes_every_report_and_case_file() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("piped");
    let mut child = Command::new(env!("CARGO_BIN_EXE_dtx"))
        .args([
            "campaign",
            "--protocol",
            P,
            "--bug",
            BUG,
            "--seeds",
            "300",
            "--jobs",
            "2",
        ])
        .args(["--out", out.to_str().unwrap()])
        .env_remove("GITHUB_STEP_SUMMARY")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // `| head -1`: read one line, then close the pipe.
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with("FAIL"), "{first}");
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let r = json(&out.join("report.json"));
    assert_eq!(r["totals"]["runs"], 300);
    let sigs = r["targets"][0]["signatures"].as_array().unwrap();
    assert_eq!(case_files(&out).len(), sigs.len());
    assert!(out.join("summary.md").exists());
}

#[test]
fn a_killed_campaign_has_saved_every_signature_it_reported() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("killed");
    let mut child = endless_campaign(&out, Stdio::piped());
    wait_for_cases(&out, 2);
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
        let (code, out, _) = dtx(&["replay", case]);
        assert_eq!(code, 0, "{case} replays as the failure it records: {out}");
    }
    assert!(
        !out.join("report.json").exists(),
        "a killed campaign wrote no final report"
    );
}
