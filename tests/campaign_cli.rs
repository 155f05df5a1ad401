//! `dtx campaign`'s findings and reports: failures grouped by signature (one case file each),
//! `--max-failures`, `--shrink`, the combined report of `--protocol all`, the summary's verdict
//! line and size cap, JUnit, and reports that do not depend on `--jobs`. How a campaign is
//! refused, stopped and interrupted is tested in tests/campaign_end_cli.rs.

#[path = "support/campaign.rs"]
mod campaign;
#[path = "support/cli.rs"]
mod cli;

use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

use campaign::{case_files, content, knob_campaign, seed, thousands};
use cli::{dtx, json, BUG, P};

#[test]
fn failures_are_grouped_one_case_file_per_signature_with_counts() {
    let d = tempfile::tempdir().unwrap();
    let (code, r) = knob_campaign(d.path(), &["--seeds", "200", "--jobs", "2"]);
    assert_eq!(code, 1);
    assert_eq!(r["schema"], "dtx.campaign/1");
    assert_eq!(r["verdict"], "fail");
    let t = &r["targets"][0];
    let failed = t["failed"].as_u64().unwrap();
    let sigs = t["signatures"].as_array().unwrap();
    assert!(
        failed > 2 * sigs.len() as u64,
        "many failing seeds, few signatures: {failed} in {}",
        sigs.len()
    );
    let files = case_files(d.path());
    assert_eq!(files.len(), sigs.len(), "one case file per signature");
    assert_eq!(r["totals"]["signatures"].as_u64(), Some(sigs.len() as u64));
    let mut counted = 0;
    for g in sigs {
        let count = g["count"].as_u64().unwrap();
        counted += count;
        let listed = g["seeds"].as_array().unwrap();
        assert!(listed.len() <= 10 && !listed.is_empty(), "{g}");
        assert_eq!(
            g["seeds_not_listed"].as_u64().unwrap() + listed.len() as u64,
            count
        );
        let seeds: Vec<u64> = listed.iter().map(seed).collect();
        assert!(seeds.windows(2).all(|w| w[0] < w[1]), "lowest first: {g}");
        // The case file holds the signature's lowest seed, and replays as a failure.
        let case = d.path().join(g["case"].as_str().unwrap());
        let c = json(&case);
        assert_eq!(seed(&c["seed"]), seeds[0], "{case:?}");
        assert_eq!(c["expect"]["invariant"], g["invariant"]);
        assert!(
            case.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with(&format!("{P}--{BUG}--")),
            "{case:?}"
        );
        // A saved failure replays as the case says: it fails, so replay exits 0.
        let (code, out, _) = dtx(&["replay", case.to_str().unwrap()]);
        assert_eq!(code, 0, "{out}");
    }
    assert_eq!(counted, failed, "every failing seed is in one signature");
}

#[test]
fn max_failures_stops_early_at_the_same_seed_whatever_the_jobs() {
    let d = tempfile::tempdir().unwrap();
    let extra = |jobs| vec!["--seeds", "1000000", "--max-failures", "5", "--jobs", jobs];
    let (code, one) = knob_campaign(&d.path().join("j1"), &extra("1"));
    assert_eq!(
        code, 1,
        "stopping at --max-failures is a normal end with failures"
    );
    let (_, two) = knob_campaign(&d.path().join("j2"), &extra("2"));
    assert_eq!(one["totals"]["failed"], 5, "{one}");
    assert_eq!(one["end"], "max-failures");
    assert_eq!(one["interrupted"], false);
    assert!(one["stopped"].as_str().unwrap().contains("--max-failures"));
    assert!(one["totals"]["runs"].as_u64().unwrap() < 100, "{one}");
    assert_eq!(content(one), content(two));
    assert_eq!(
        case_files(&d.path().join("j1")).len(),
        case_files(&d.path().join("j2")).len()
    );
}

#[test]
fn protocol_all_writes_one_combined_report() {
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
    let r = json(&out.join("report.json"));
    let names: Vec<&str> = r["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["protocol"].as_str().unwrap())
        .collect();
    for p in ["2pc", "tcc", "driver", P] {
        assert!(names.contains(&p), "{p} missing from {names:?}");
    }
    assert!(
        !names.contains(&"1pc"),
        "the 1pc baseline fails by design and is left out"
    );
    for t in r["targets"].as_array().unwrap() {
        assert_eq!(t["runs"], 20, "{}", t["protocol"]);
    }
    assert_eq!(r["totals"]["runs"].as_u64(), Some(20 * names.len() as u64));
    for p in names {
        assert!(!out.join(p).exists(), "no per-protocol directory {p}");
    }
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        summary.starts_with("**PASS** — no failing seed in "),
        "{summary}"
    );
}

#[test]
fn summary_starts_with_the_verdict_and_stays_under_the_cap() {
    let d = tempfile::tempdir().unwrap();
    let (_, r) = knob_campaign(d.path(), &["--seeds", "2000", "--jobs", "2"]);
    let summary = std::fs::read_to_string(d.path().join("summary.md")).unwrap();
    let first = summary.lines().next().unwrap();
    let t = &r["targets"][0];
    let sigs = t["signatures"].as_array().unwrap().len();
    assert_eq!(
        first,
        format!(
            "**FAIL** — {P} --bug {BUG}: {} failing seeds in {sigs} signature{} of 2,000 runs",
            thousands(t["failed"].as_u64().unwrap()),
            if sigs == 1 { "" } else { "s" }
        )
    );
    assert!(summary.contains("| signature |"), "{summary}");
    assert!(summary.len() < 100 * 1024, "{} bytes", summary.len());
    // The GitHub job summary gets the same text, appended.
    let gh = d.path().join("step-summary.md");
    std::fs::write(&gh, "earlier step\n").unwrap();
    let out2 = d.path().join("again");
    let status = Command::new(env!("CARGO_BIN_EXE_dtx"))
        .args([
            "campaign",
            "--protocol",
            P,
            "--seeds",
            "10",
            "--out",
            out2.to_str().unwrap(),
        ])
        .env("GITHUB_STEP_SUMMARY", &gh)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(0));
    let step = std::fs::read_to_string(&gh).unwrap();
    assert!(step.starts_with("earlier step\n**PASS**"), "{step}");
}

#[test]
fn junit_has_a_failed_testcase_per_signature_and_a_passing_one_per_clean_target() {
    let d = tempfile::tempdir().unwrap();
    let xml_file = d.path().join("junit.xml");
    let (_, r) = knob_campaign(
        &d.path().join("knob"),
        &["--seeds", "200", "--junit", xml_file.to_str().unwrap()],
    );
    let xml = std::fs::read_to_string(&xml_file).unwrap();
    let junit = quick_junit::Report::deserialize_from_str(&xml).unwrap();
    assert_eq!(junit.test_suites.len(), 1);
    let sigs = r["targets"][0]["signatures"].as_array().unwrap();
    let cases = &junit.test_suites[0].test_cases;
    assert_eq!(cases.len(), sigs.len());
    for (case, g) in cases.iter().zip(sigs) {
        assert_eq!(case.name.as_str(), g["signature"].as_str().unwrap());
        match &case.status {
            quick_junit::TestCaseStatus::NonSuccess { description, .. } => {
                let text = description.as_ref().unwrap().as_str();
                assert!(text.contains(g["repro"].as_str().unwrap()), "{text}");
                assert!(text.contains(g["case"].as_str().unwrap()), "{text}");
                assert!(text.contains(g["shrink"].as_str().unwrap()), "{text}");
            }
            other => panic!("not failed: {other:?}"),
        }
    }
    assert_eq!(junit.failures as usize, sigs.len());

    // `--junit -`: the XML on stdout, a passing testcase for the clean target.
    let out = d.path().join("clean");
    let (code, stdout, err) = dtx(&[
        "campaign",
        "--protocol",
        P,
        "--seeds",
        "10",
        "--junit",
        "-",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let junit = quick_junit::Report::deserialize_from_str(&stdout).unwrap();
    assert_eq!(junit.tests, 1);
    assert_eq!(junit.failures, 0);
    assert!(matches!(
        junit.test_suites[0].test_cases[0].status,
        quick_junit::TestCaseStatus::Success { .. }
    ));
}

/// Targets whose bug knob fails some of the first 60 seeds: the engine demo and 2pc.
const FAILING: [(&str, &str); 2] = [(P, BUG), ("2pc", "2pc-decision-not-logged")];

fn target_campaign(dir: &Path, (p, bug): (&str, &str), extra: &[&str]) -> Value {
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
    content(json(&dir.join("report.json")))
}

#[test]
fn reports_do_not_depend_on_jobs_and_shards_cover_the_range() {
    for target in FAILING {
        let d = tempfile::tempdir().unwrap();
        let seeds = ["--seeds", "60"];
        let one = target_campaign(
            &d.path().join("j1"),
            target,
            &[&seeds[..], &["--jobs", "1"]].concat(),
        );
        let two = target_campaign(
            &d.path().join("j2"),
            target,
            &[&seeds[..], &["--jobs", "2"]].concat(),
        );
        assert_eq!(one, two);
        let t = &one["targets"][0];
        assert!(t["failed"].as_u64().unwrap() > 0);
        assert_eq!(t["runs"], 60);
        let died: u64 = t["crash_points"]
            .as_object()
            .unwrap()
            .values()
            .map(|n| n.as_u64().unwrap())
            .sum();
        assert!(died > 0, "no host died at a crash point in 60 seeds: {one}");
        for f in case_files(&d.path().join("j1")) {
            let other = d.path().join("j2/failures").join(f.file_name().unwrap());
            assert_eq!(std::fs::read(&f).unwrap(), std::fs::read(other).unwrap());
        }

        let (mut runs, mut failed) = (0, 0);
        let mut per_signature = std::collections::BTreeMap::<String, u64>::new();
        for i in 0..3 {
            let r = target_campaign(
                &d.path().join(format!("s{i}")),
                target,
                &[&seeds[..], &["--shard", &format!("{i}/3")]].concat(),
            );
            let t = &r["targets"][0];
            runs += t["runs"].as_u64().unwrap();
            failed += t["failed"].as_u64().unwrap();
            for g in t["signatures"].as_array().unwrap() {
                *per_signature
                    .entry(g["signature"].as_str().unwrap().into())
                    .or_default() += g["count"].as_u64().unwrap();
            }
        }
        assert_eq!(runs, 60, "the shards ran every seed exactly once");
        assert_eq!(failed, t["failed"].as_u64().unwrap());
        let whole: std::collections::BTreeMap<String, u64> = t["signatures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| {
                (
                    g["signature"].as_str().unwrap().into(),
                    g["count"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            per_signature, whole,
            "the shards' signatures add up to the range's"
        );
    }
}

#[test]
fn shrink_writes_each_new_signatures_shrunk_plan_keeping_its_seed() {
    let (p, bug) = FAILING[1];
    let d = tempfile::tempdir().unwrap();
    let one = target_campaign(
        &d.path().join("j1"),
        (p, bug),
        &["--seeds", "30", "--shrink", "--jobs", "1"],
    );
    let two = target_campaign(
        &d.path().join("j2"),
        (p, bug),
        &["--seeds", "30", "--shrink", "--jobs", "2"],
    );
    assert_eq!(one, two, "which seed is shrunk does not depend on --jobs");
    for g in one["targets"][0]["signatures"].as_array().unwrap() {
        let shrunk = &g["shrunk"];
        assert!(
            shrunk["faults_after"].as_u64() < shrunk["faults_before"].as_u64()
                || shrunk["items_skipped"].as_u64() > Some(0),
            "{g}"
        );
        let case = d.path().join("j1").join(g["case"].as_str().unwrap());
        let c = json(&case);
        assert_eq!(c["seed"], g["seeds"][0], "the case keeps the original seed");
        assert_eq!(
            c["plan"]["faults"].as_array().unwrap().len() as u64,
            shrunk["faults_after"].as_u64().unwrap()
        );
        // A saved failure replays as the case says: it fails, so replay exits 0.
        let (code, out, _) = dtx(&["replay", case.to_str().unwrap()]);
        assert_eq!(code, 0, "{out}");
        assert!(out.contains("as the case expects"), "{out}");
    }
}
