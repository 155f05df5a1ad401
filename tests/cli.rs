//! The `dtx` binary at this stage: one seed of the engine demo, JSON output, bad input.

use std::process::Command;

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

#[test]
fn run_prints_a_json_report_with_the_contract_fields() {
    let (code, out, _) = dtx(&["run", "--seed", "0x5eed", "--json"]);
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
    let (_, again, _) = dtx(&["run", "--seed", "24301", "--json"]);
    assert_eq!(
        v,
        serde_json::from_str::<serde_json::Value>(again.trim()).unwrap(),
        "0x5eed = 24301"
    );
}

#[test]
fn a_malformed_seed_is_a_one_line_error_with_exit_code_2() {
    let (code, _, err) = dtx(&["run", "--seed", "0xnope"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("'0xnope'") && err.contains("0x-prefixed hex"),
        "{err}"
    );
}
