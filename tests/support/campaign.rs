//! What the `dtx campaign` tests share: a campaign of the engine demo's bug knob (it fails most
//! seeds in a few milliseconds each), a report without its wall-clock part, the case files
//! written, seeds read back from hex.

#![allow(dead_code)] // each test file uses its own part

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::cli::{dtx, json, BUG, P};

/// Run a campaign of the demo's bug knob into `dir` with `extra` arguments; its exit code
/// and report.
pub fn knob_campaign(dir: &Path, extra: &[&str]) -> (i32, Value) {
    let mut args = vec![
        "campaign",
        "--protocol",
        P,
        "--bug",
        BUG,
        "--out",
        dir.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let (code, out, err) = dtx(&args);
    assert!(code == 0 || code == 1, "{args:?}: {code}: {out}{err}");
    (code, json(&dir.join("report.json")))
}

/// The report without its wall-clock part (the only part that differs between equal runs).
pub fn content(mut r: Value) -> Value {
    r.as_object_mut().unwrap().remove("wall");
    r
}

pub fn case_files(out: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(out.join("failures"))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    files
}

/// `1,234`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut s = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            s.push(',');
        }
        s.push(c);
    }
    s
}

pub fn seed(v: &Value) -> u64 {
    let s = v.as_str().unwrap_or_else(|| panic!("not a hex seed: {v}"));
    u64::from_str_radix(s.strip_prefix("0x").unwrap(), 16).unwrap()
}
