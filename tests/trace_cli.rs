//! How `dtx run` shows a run: the trace inside the JSON with `--json --trace`, `--order`
//! narrowing the timeline, `--mermaid -` on stdout, and the bad combinations.

#[path = "support/cli.rs"]
mod cli;

use cli::dtx;

/// A bug knob's first failing seed: its violation cites a ledger event.
const KNOB: [&str; 8] = [
    "run",
    "--protocol",
    "2pc",
    "--seed",
    "0",
    "--bug",
    "2pc-decision-not-logged",
    "--json",
];

#[test]
fn run_json_with_trace_is_one_json_document_carrying_the_trace() {
    let mut args = KNOB.to_vec();
    args.push("--trace");
    let (code, out, err) = dtx(&args);
    assert_eq!(code, 1, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("stdout is one JSON document");
    assert_eq!(v["schema"], "dtx.run/1");
    assert!(v["plan"]["faults"].is_array(), "{v}");
    let trace = v["trace"].as_array().expect("a trace array");
    let n = v["violations"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|v| v["after_ledger"].as_u64())
        .expect("a violation citing a ledger event");
    let at = trace
        .iter()
        .position(|e| e["type"] == "ledger" && e["n"].as_u64() == Some(n))
        .unwrap_or_else(|| panic!("no ledger event {n} in the trace"));
    let ledger_line = trace[at]["line"].as_str().unwrap();
    assert!(
        ledger_line.contains(&format!("ledger   L{n} ")),
        "{ledger_line}"
    );
    assert_eq!(trace[at + 1]["type"], "violation");
    assert_eq!(trace[at + 1]["after_ledger"].as_u64(), Some(n));
    assert!(trace[at + 1]["line"]
        .as_str()
        .unwrap()
        .contains(&format!("ledger event L{n}: ")));
    let times: Vec<u64> = trace
        .iter()
        .filter(|e| e["type"] != "violation")
        .map(|e| e["at_ms"].as_u64().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn run_json_has_its_schema_and_no_trace_unless_asked() {
    let (code, out, _) = dtx(&KNOB);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["schema"], "dtx.run/1");
    assert!(v.get("trace").is_none());
}

#[test]
fn order_narrows_the_trace_to_that_orders_messages_and_its_probes() {
    let run = ["run", "--protocol", "2pc", "--seed", "1", "--trace"];
    let (code, all, _) = dtx(&run);
    assert_eq!(code, 0);
    let mut args = run.to_vec();
    args.extend(["--order", "3"]);
    let (code, one, err) = dtx(&args);
    assert_eq!(code, 0, "{err}");
    assert!(one.contains("\nfiltered: only order 3"), "{one}");
    let of = |t: &str, kind: &str| -> Vec<String> {
        t.lines()
            .filter(|l| l.split_whitespace().nth(1) == Some(kind))
            .map(str::to_string)
            .collect()
    };
    let sends = of(&one, "send");
    assert!(sends.len() > 5, "{one}");
    for s in &sends {
        assert!(dtx_models::wire::mentions_order(s, 3), "{s}");
    }
    assert!(of(&all, "send").len() > 2 * sends.len());
    let (probes, every) = (of(&one, "probe"), of(&all, "probe"));
    assert!(!probes.is_empty() && probes.len() < every.len() / 2);
}

#[test]
fn order_alone_is_bad_input() {
    let (code, out, err) = dtx(&["run", "--protocol", "2pc", "--seed", "1", "--order", "3"]);
    assert_eq!(code, 2, "{out}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.starts_with("dtx: ") && err.contains("--order"), "{err}");
    let (code, _, err) = dtx(&[
        "run",
        "--protocol",
        "2pc",
        "--seed",
        "1",
        "--trace",
        "--mermaid",
        "-",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("stdout"), "{err}");
}

#[test]
fn mermaid_dash_writes_the_diagram_to_stdout() {
    let args = ["run", "--protocol", "2pc", "--seed", "1", "--mermaid", "-"];
    let (code, out, err) = dtx(&args);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("sequenceDiagram\n"), "{out}");
    assert!(!out.contains("trace 0x"), "the report is on stderr: {out}");
    assert!(err.contains("seed 0x1: trace 0x"), "{err}");
    let mut args = args.to_vec();
    args.push("--json");
    let (code, out, _) = dtx(&args);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v["mermaid"]
        .as_str()
        .unwrap()
        .starts_with("sequenceDiagram\n"));
}
