//! Replays every case in `tests/corpus/`: bug-knob cases must still fail with their
//! invariant, regression cases found by campaigns must pass; `dtx replay` exits 0 on each,
//! since each behaves as it expects. Every case is in the current form (`dtx.case/1`, seeds as
//! hex strings).

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
        assert_eq!(v["schema"], "dtx.case/1", "{}", case.display());
        for seed in [&v["seed"], &v["plan"]["seed"]] {
            assert!(
                seed.as_str().is_some_and(|s| s.starts_with("0x")),
                "{}: seed {seed} is not a hex string",
                case.display()
            );
        }
        let must_fail = v["expect"]["must_fail"].as_bool().unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_dtx"))
            .arg("replay")
            .arg(&case)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{}: {stdout}", case.display());
        if let (true, Some(inv)) = (must_fail, v["expect"]["invariant"].as_str()) {
            assert!(
                stdout.contains(&format!("VIOLATION {inv}")),
                "{}: {stdout}",
                case.display()
            );
        }
        assert!(
            stdout.contains("as the case expects") && !stdout.contains("NOT as"),
            "{}: {stdout}",
            case.display()
        );
    }
}
