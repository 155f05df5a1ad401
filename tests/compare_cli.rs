//! `dtx compare` from the outside: a row per protocol × clients × preset with every figure,
//! figures that do not depend on `--jobs` and are not trivial, compare.md and well-formed SVG
//! charts naming every protocol, bad input refused with exit 2, and SIGTERM answered with
//! exit 130 after writing what finished.

#[path = "support/cli.rs"]
mod cli;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use cli::{dtx, json};
use serde_json::Value;

const PROTOCOLS: [&str; 5] = ["1pc", "2pc", "tcc", "saga-orch", "saga-choreo"];

/// Every figure a row carries.
const KEYS: [&str; 22] = [
    "protocol",
    "baseline",
    "clients",
    "faults",
    "runs",
    "violations",
    "violations_by_invariant",
    "orders",
    "confirmed",
    "confirm_rate",
    "cancelled_business",
    "cancelled_fault",
    "latency_p50_ms",
    "latency_p95_ms",
    "latency_p99_ms",
    "messages_per_order",
    "holding_mean_ms",
    "holding_max_ms",
    "in_doubt_mean_ms",
    "compensations_per_order",
    "confirmed_per_sec",
    "metrics",
];

/// A small comparison into `out` on `jobs` threads: (exit code, compare.json).
fn small(out: &Path, jobs: &str) -> (i32, Value) {
    let out_s = out.to_str().unwrap();
    let (code, _, err) = dtx(&[
        "compare",
        "--seeds",
        "3",
        "--clients",
        "1,2",
        "--faults",
        "none,default",
        "--jobs",
        jobs,
        "--out",
        out_s,
    ]);
    assert_eq!(code, 0, "{err}");
    (code, json(&out.join("compare.json")))
}

/// Is `text` well-formed XML?
fn well_formed(text: &str) -> Result<(), String> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut depth = 0i32;
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            quick_xml::events::Event::Start(_) => depth += 1,
            quick_xml::events::Event::End(_) => depth -= 1,
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    if depth == 0 {
        Ok(())
    } else {
        Err(format!("{depth} elements left open"))
    }
}

#[test]
fn a_row_per_cell_with_every_figure_the_same_whatever_jobs_is() {
    let d = tempfile::tempdir().unwrap();
    let (_, one) = small(&d.path().join("one"), "1");
    let (_, two) = small(&d.path().join("two"), "2");
    assert_eq!(one["schema"], "dtx.compare/1");
    let rows = one["rows"].as_array().unwrap();
    assert_eq!(rows.len(), PROTOCOLS.len() * 2 * 2);
    for preset in ["none", "default"] {
        for clients in [1, 2] {
            for p in PROTOCOLS {
                let row = rows
                    .iter()
                    .find(|r| {
                        r["protocol"] == p && r["clients"] == clients && r["faults"] == preset
                    })
                    .unwrap_or_else(|| panic!("no row {p} {clients} {preset}"));
                for k in KEYS {
                    assert!(row.get(k).is_some(), "{p} {clients} {preset}: no {k}");
                }
                assert_eq!(row["runs"], 3);
                assert_eq!(row["baseline"], p == "1pc");
                // Non-trivial figures: orders were placed and each reached an outcome.
                let orders = row["orders"].as_u64().unwrap();
                assert_eq!(orders, 3 * clients * 4, "{p} {clients} {preset}");
                let latencies = row["metrics"]["samples"]["latency_ms"]["count"].as_u64();
                assert_eq!(latencies, Some(orders), "{p} {clients} {preset}");
                assert!(row["latency_p99_ms"].as_u64().unwrap() > 0);
                assert!(row["messages_per_order"].as_f64().unwrap() > 0.0);
                assert!(row["confirmed_per_sec"].as_f64().unwrap() > 0.0);
            }
        }
    }
    assert_eq!(one["rows"], two["rows"], "figures depend on --jobs");
    assert_eq!(one["settings"], two["settings"]);
}

#[test]
fn the_markdown_and_the_charts_name_every_protocol() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("c");
    let (code, out_text, err) = dtx(&[
        "compare",
        "--seeds",
        "2",
        "--clients",
        "1,2",
        "--faults",
        "none",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let md = std::fs::read_to_string(out.join("compare.md")).unwrap();
    assert!(
        md.contains("dtx compare --protocols 1pc,2pc,tcc,saga-orch,saga-choreo --seeds 2"),
        "{md}"
    );
    assert!(md.contains("| 1pc (baseline) | 1 |"), "{md}");
    assert!(out_text.contains("## Faults: none"), "{out_text}");
    for chart in [
        "throughput-none.svg",
        "p99-latency-none.svg",
        "holding-none.svg",
    ] {
        assert!(
            md.contains(&format!("]({chart})")),
            "{chart} not in compare.md"
        );
        let svg = std::fs::read_to_string(out.join(chart)).unwrap();
        assert!(svg.starts_with("<svg"), "{chart}");
        well_formed(&svg).unwrap_or_else(|e| panic!("{chart}: {e}"));
        for p in PROTOCOLS {
            assert!(
                svg.contains(&format!(">\n{p}")),
                "{chart} does not name {p}"
            );
        }
        assert!(svg.contains("(baseline)"), "{chart}");
    }
    for chart in ["throughput-none.svg", "p99-latency-none.svg"] {
        let svg = std::fs::read_to_string(out.join(chart)).unwrap();
        assert!(
            svg.contains("concurrent clients"),
            "{chart}: no x axis label"
        );
    }
    let holding = std::fs::read_to_string(out.join("holding-none.svg")).unwrap();
    assert!(holding.contains("1 clients") && holding.contains("2 clients"));
    assert!(
        !out.join("throughput-default.svg").exists(),
        "only the presets asked for"
    );
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let d = tempfile::tempdir().unwrap();
    let full = d.path().join("full");
    std::fs::create_dir(&full).unwrap();
    std::fs::write(full.join("x"), "").unwrap();
    let out = d.path().join("never").to_str().unwrap().to_string();
    for (args, says) in [
        (vec!["--clients", "0"], "must be at least 1"),
        (vec!["--clients", ""], "--clients"),
        (vec!["--seeds", "0"], "must be at least 1"),
        (vec!["--protocols", "2p"], "did you mean '2pc'?"),
        (vec!["--protocols", ""], "empty name"),
        (vec!["--protocols", "demo-transfer"], "not an order system"),
        (vec!["--faults", "mild"], "unknown fault preset 'mild'"),
        (vec!["--skus", "0"], "must be at least 1"),
        (vec!["--out", full.to_str().unwrap()], "is not empty"),
    ] {
        let mut all = vec!["compare"];
        all.extend(args.iter());
        for (flag, value) in [("--seeds", "1"), ("--out", out.as_str())] {
            if !args.contains(&flag) {
                all.extend([flag, value]);
            }
        }
        let (code, stdout, err) = dtx(&all);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(stdout.is_empty(), "{args:?}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.starts_with("dtx: ") && err.contains(says),
            "{args:?}: {err}"
        );
    }
    assert!(!Path::new(&out).exists(), "bad input wrote nothing");
}

#[test]
fn sigterm_writes_what_finished_and_exits_130() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("stopped");
    let child = Command::new(env!("CARGO_BIN_EXE_dtx"))
        .args([
            "compare",
            "--seeds",
            "100000",
            "--clients",
            "1",
            "--faults",
            "none",
        ])
        .args(["--protocols", "1pc,2pc", "--out", out.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = child.wait_with_output().unwrap().status;
    assert_eq!(status.code(), Some(130));
    let report = json(&out.join("compare.json"));
    assert_eq!(report["interrupted"], true);
    assert!(
        report["rows"].as_array().unwrap().len() < 2,
        "the cut cell is left out"
    );
    assert!(out.join("compare.md").exists());
}
