//! Replays every case in `tests/corpus/`: bug-knob cases must still fail with their
//! invariant, regression cases found by campaigns must pass.

use std::process::Command;

#[test]
fn every_corpus_case_replays_as_it_expects() {
    let mut cases: Vec<_> = std::fs::read_dir("tests/corpus")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    cases.sort();
    assert!(!cases.is_empty());
    for case in cases {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&case).unwrap()).unwrap();
        let must_fail = v["expect"]["must_fail"].as_bool().unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_dtx"))
            .arg("replay")
            .arg(&case)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(if must_fail { 1 } else { 0 }),
            "{}: {stdout}",
            case.display()
        );
        assert!(
            stdout.contains("as the case expects") && !stdout.contains("NOT as"),
            "{}: {stdout}",
            case.display()
        );
    }
}
