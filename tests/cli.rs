//! The `dtx` front door: the command contract, bad input, the broken pipe, `list`, help and
//! "did you mean", on the engine demo and on 2pc. Case files (run --case, replay, shrink) are
//! tested in tests/case_cli.rs, campaigns in tests/campaign_cli.rs.

#[path = "support/cli.rs"]
mod cli;

use std::process::{Command, Stdio};

use cli::{demo_case, dtx, write_case, BUG, P};

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

#[test]
fn mutants_detects_every_bug_knob() {
    let (code, out, _) = dtx(&["mutants", "--json"]);
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["schema"], "dtx.mutants/1");
    let knobs = v["knobs"].as_array().unwrap();
    assert!(knobs.len() > 20, "{v}");
    for row in knobs {
        assert_eq!(row["detected"], true, "{row}");
        let seed = row["seed"].as_str().unwrap();
        assert!(seed.starts_with("0x"), "{row}");
        let repro = row["repro"].as_str().unwrap();
        assert!(
            repro.starts_with(&format!(
                "dtx run --protocol {} --seed {seed} --bug ",
                row["protocol"].as_str().unwrap()
            )),
            "{row}"
        );
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
/// Spawn dtx with piped stdout, read one line, close the pipe and wait: (exit code, stderr).
fn reader_goes_away(args: &[&str]) -> (Option<i32>, String) {
    use std::io::{BufRead, BufReader, Read};
    let mut child = Command::new(env!("CARGO_BIN_EXE_dtx"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut first = String::new();
    BufReader::new(stdout).read_line(&mut first).unwrap();
    assert!(!first.is_empty());
    // The reader (BufReader and pipe) is dropped here, as `head -1` exits.
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (child.wait().unwrap().code(), err)
}

#[test]
fn a_reader_that_goes_away_early_ends_nothing_but_the_output() {
    // A 2pc trace is ~90 KB, more than a pipe holds: dtx writes on after the reader left.
    let (code, err) = reader_goes_away(&["run", "--protocol", "2pc", "--seed", "1", "--trace"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(err, "", "stderr must stay quiet");
    let (code, err) = reader_goes_away(&[
        "run",
        "--protocol",
        P,
        "--bug",
        BUG,
        "--seed",
        "0x10",
        "--trace",
    ]);
    assert_eq!(code, Some(1), "{err}");
    assert_eq!(err, "");
    for _ in 0..5 {
        let (code, err) = reader_goes_away(&["list"]);
        assert_eq!(code, Some(0), "{err}");
        assert_eq!(err, "");
    }
}

#[test]
fn zero_counts_and_out_of_range_seeds_are_one_line_errors_with_exit_2() {
    let d = tempfile::tempdir().unwrap();
    let mut negative = demo_case();
    negative["seed"] = (-1).into();
    let negative = write_case(d.path(), "negative.json", &negative);
    let mut huge = demo_case();
    huge["plan"]["seed"] = "0x10000000000000000".into();
    let huge = write_case(d.path(), "huge.json", &huge);
    let cases: Vec<(Vec<&str>, Vec<&str>)> = vec![
        (
            vec!["mutants", "--max-seeds", "0"],
            vec!["'0'", "--max-seeds", "at least 1"],
        ),
        (
            vec!["run", "--protocol", P, "--seed", "-1"],
            vec!["'-1'", "out of range"],
        ),
        (
            vec!["run", "--protocol", P, "--seed", "18446744073709551616"],
            vec!["'18446744073709551616'", "out of range"],
        ),
        (
            vec!["shrink", "--protocol", P, "--seed", "-1", "--out", "x.json"],
            vec!["'-1'", "out of range"],
        ),
        (
            vec!["replay", &negative],
            vec!["negative.json", "'-1' is out of range"],
        ),
        (
            vec!["run", "--case", &huge],
            vec!["huge.json", "'0x10000000000000000' is out of range"],
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
        assert!(err.starts_with("dtx: "), "{err}");
        for n in needles {
            assert!(err.contains(n), "{args:?}: '{n}' missing from: {err}");
        }
    }
}

#[test]
fn a_mistyped_name_gets_a_did_you_mean() {
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["run", "--protocol", "tc", "--seed", "1"],
            "unknown protocol 'tc'; did you mean 'tcc'? valid protocols: ",
        ),
        (
            vec![
                "run",
                "--protocol",
                "2pc",
                "--bug",
                "2pc-stale-vot",
                "--seed",
                "1",
            ],
            "did you mean '2pc-stale-vote'?",
        ),
        (
            vec![
                "run",
                "--protocol",
                "tcc",
                "--bug",
                "2pc-stale-vote",
                "--seed",
                "1",
            ],
            "bug '2pc-stale-vote' belongs to protocol 2pc, not tcc",
        ),
        (vec!["replya", "x.json"], "'replay'"),
        (
            vec!["run", "--protocl", "2pc", "--seed", "1"],
            "'--protocol'",
        ),
    ];
    for (args, says) in cases {
        let (code, _, err) = dtx(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: '{says}' missing from: {err}");
    }
}

#[test]
fn list_names_every_protocol_knob_row_and_catching_invariant() {
    use dtx_models::protocols::{saga_choreo, saga_orch, tcc, two_pc};
    let (code, out, _) = dtx(&["list", "--json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["schema"], "dtx.list/1");
    let names = |key: &str| -> Vec<String> {
        v[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["name"].as_str().unwrap().to_string())
            .collect()
    };
    let protocols = names("protocols");
    for p in ["1pc", "2pc", "tcc", "saga-orch", "saga-choreo", "driver", P] {
        assert!(
            protocols.iter().any(|x| x == p),
            "{p} missing: {protocols:?}"
        );
    }
    let invariants = names("invariants");
    for i in dtx_invariants::Invariant::ALL {
        let row = v["invariants"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["name"] == i.name())
            .unwrap_or_else(|| panic!("{i} missing"));
        assert_eq!(row["statement"], i.statement());
    }
    let (_, text, _) = dtx(&["list"]);
    let listed = text.split("\nInvariants:").nth(1).unwrap();
    let bugs = v["bugs"].as_array().unwrap();
    for (protocol, knobs) in [
        ("2pc", two_pc::BUGS),
        ("tcc", tcc::BUGS),
        ("saga-orch", saga_orch::BUGS),
        ("saga-choreo", saga_choreo::BUGS),
    ] {
        for knob in knobs {
            let row = bugs
                .iter()
                .find(|b| b["name"] == knob.name)
                .unwrap_or_else(|| panic!("{} missing", knob.name));
            assert_eq!(row["protocol"], protocol);
            let rows = row["rows"].as_array().unwrap();
            assert!(!rows.is_empty(), "{}: no catalogue row", knob.name);
            assert!(rows.iter().all(|r| (1..=33).contains(&r.as_u64().unwrap())));
            let caught = row["caught_by"].as_array().unwrap();
            assert!(!caught.is_empty(), "{}", knob.name);
            for inv in caught {
                let inv = inv.as_str().unwrap();
                assert!(invariants.iter().any(|x| x == inv), "{inv} not listed");
                assert!(
                    listed.contains(&format!("\n  {inv} ")),
                    "{inv} not in `dtx list`"
                );
            }
        }
    }
    assert!(text.contains("see docs/catalogue.md"), "{text}");
    assert_eq!(v["fault_kinds"].as_array().unwrap().len(), 10);
    // The lock's knobs, under each protocol that runs under the lock, and no other.
    let lock_knobs = dtx_models::lock::BUGS;
    for p in v["protocols"].as_array().unwrap() {
        let under_lock = p["name"] == "2pc" || p["name"] == "tcc";
        assert_eq!(p["lock"], under_lock, "{p}");
        let offered = p["bugs"].as_array().unwrap();
        for knob in lock_knobs {
            assert_eq!(
                offered.iter().any(|b| b == knob.name),
                under_lock,
                "{} under {p}",
                knob.name
            );
        }
    }
    for knob in lock_knobs {
        let rows: Vec<_> = bugs.iter().filter(|b| b["name"] == knob.name).collect();
        let protocols: Vec<_> = rows
            .iter()
            .map(|b| b["protocol"].as_str().unwrap())
            .collect();
        assert_eq!(protocols, ["2pc", "tcc"], "{}", knob.name);
        for row in rows {
            assert_eq!(row["rows"], serde_json::json!(knob.rows));
            assert_eq!(row["caught_by"], serde_json::json!(knob.breaks));
        }
        for inv in knob.breaks {
            // lock-exclusive is being added to dtx-invariants beside the lock; once it is
            // there, it must be listed like every other.
            let known = dtx_invariants::Invariant::ALL
                .iter()
                .any(|i| i.name() == *inv);
            if known || *inv != "lock-exclusive" {
                assert!(invariants.iter().any(|x| x == inv), "{inv} not listed");
            }
        }
        for p in ["2pc", "tcc"] {
            let line = text
                .lines()
                .find(|l| l.starts_with(&format!("  {p:<14} {} ", knob.name)))
                .unwrap_or_else(|| {
                    panic!("{} under {p} missing from `dtx list`:\n{text}", knob.name)
                });
            assert!(line.contains(&format!("#{}", knob.rows[0])), "{line}");
        }
    }
    assert!(
        text.contains("--lock") && text.contains("runs under 2pc and tcc"),
        "{text}"
    );
}

#[test]
fn help_explains_every_argument_and_the_exit_codes() {
    let (code, top, _) = dtx(&["--help"]);
    assert_eq!(code, 0);
    for needle in ["Exit codes:", "130", "docs/catalogue.md", "dtx list"] {
        assert!(top.contains(needle), "'{needle}' missing: {top}");
    }
    for command in ["run", "replay", "shrink", "mutants", "list"] {
        let (code, help, _) = dtx(&[command, "--help"]);
        assert_eq!(code, 0);
        assert!(help.contains("Examples:"), "{command}: {help}");
        assert!(
            help.contains("Exit codes:") || command == "list",
            "{command}: {help}"
        );
        // Each argument is a line `  --flag <V>` or `  <CASE>` followed by its description.
        let lines: Vec<&str> = help.lines().collect();
        for (i, l) in lines.iter().enumerate() {
            let t = l.trim_start();
            let is_arg = (t.starts_with("--") || t.starts_with('<') || t.starts_with("-h"))
                && l.starts_with("  ");
            if is_arg {
                let next = lines.get(i + 1).map_or("", |n| n.trim());
                assert!(!next.is_empty(), "{command}: no help for '{t}':\n{help}");
            }
        }
    }
    let (_, list, _) = dtx(&["list"]);
    assert!(!(top + &list).contains("issue 4"));
}
