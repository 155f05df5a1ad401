//! What the `dtx` command tests share: the binary run with arguments, a JSON file read, and
//! the engine demo's target with its bug knob.

#![allow(dead_code)] // each test file uses its own part

use std::path::Path;
use std::process::Command;

pub const P: &str = "demo-transfer";
pub const BUG: &str = "demo-no-idempotency";

/// Run dtx with `args`: (exit code, stdout, stderr).
pub fn dtx(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_dtx"))
        .args(args)
        // A campaign appends its summary to this file when set (as GitHub sets it).
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The JSON document in `path`.
pub fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The demo's bug-knob corpus case (shrunk from a failing seed of the demo): its plan
/// violates money-conserved and applied-once with the knob on, and runs clean without it.
pub fn demo_case() -> serde_json::Value {
    json(Path::new(
        "tests/corpus/bug-demo-no-idempotency-shrunk.json",
    ))
}

/// `case` written to `dir/name`.
pub fn write_case(dir: &Path, name: &str, case: &serde_json::Value) -> String {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string_pretty(case).unwrap()).unwrap();
    path.to_str().unwrap().to_string()
}
