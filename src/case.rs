//! Case files: a failing (or passing) run kept as JSON — protocol, bug, seed, the explicit
//! plan, and what it must do on replay. `dtx shrink` writes them, campaigns save every failure
//! as one the moment it is found, `dtx replay`, `dtx run --case` and the corpus test re-run
//! them. A case file carries `"schema": "dtx.case/1"` (files without it are read as that) and
//! its seeds as hex strings; a case of a workload shape other than the default records it
//! (`"shape"`), so replay and shrink build the same clients and workload.

use std::path::Path;

use dtx_models::workload::WorkloadShape;
use dtx_sim::{run, Plan, Run, Seed, SimConfig, Start};
use serde::{Deserialize, Serialize};

use crate::registry::Target;
use crate::workload::Workload;

/// What a case must do when replayed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expect {
    /// True: the run must violate `invariant` (bug-knob and baseline cases). False: clean.
    pub must_fail: bool,
    /// The invariant it must violate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invariant: Option<String>,
}

/// The schema a case file declares (a file without one is read as this schema).
pub const SCHEMA: &str = "dtx.case/1";

/// A case as written: the schema first, then the case's fields.
#[derive(Serialize)]
struct Tagged<'a> {
    schema: &'static str,
    #[serde(flatten)]
    case: &'a Case,
}

/// A replayable case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    pub protocol: String,
    #[serde(default)]
    pub bug: Option<String>,
    /// The workload shape, when it is not the default (files without one use the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shape: Option<WorkloadShape>,
    pub seed: Seed,
    pub plan: Plan,
    pub expect: Expect,
    /// The reproduction line of the original seed (for people; replay uses the plan).
    #[serde(default)]
    pub repro: String,
    /// Why the case is kept (for people).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// A case file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    #[error("cannot read case file '{path}': {err}")]
    Unreadable { path: String, err: std::io::Error },
    #[error("invalid case file '{path}': {err}")]
    Invalid { path: String, err: String },
}

impl Case {
    /// Load and check a case file (names its protocol and bug, plan fits the scenario).
    pub fn load(path: &Path) -> Result<(Case, Target), CaseError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|err| CaseError::Unreadable {
            path: shown.clone(),
            err,
        })?;
        let invalid = |err: String| CaseError::Invalid {
            path: shown.clone(),
            err,
        };
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| invalid(e.to_string()))?;
        match value.get("schema") {
            None => {}
            Some(serde_json::Value::String(s)) if s == SCHEMA => {}
            Some(other) => return Err(invalid(format!("schema {other} is not \"{SCHEMA}\""))),
        }
        let case: Case = serde_json::from_str(&text).map_err(|e| invalid(e.to_string()))?;
        let mut target = Target::find(&case.protocol, case.bug.as_deref())
            .map_err(|e| invalid(e.to_string()))?;
        if let Some(shape) = case.shape {
            let workload = Workload {
                shape,
                ..target.workload
            };
            target = target.with_workload(workload).map_err(invalid)?;
        }
        case.plan
            .validate(&target.scenario().topology())
            .map_err(|e| invalid(e.to_string()))?;
        Ok((case, target))
    }

    /// The case as the text of its file.
    pub fn to_json(&self) -> String {
        let tagged = Tagged {
            schema: SCHEMA,
            case: self,
        };
        serde_json::to_string_pretty(&tagged).expect("cases serialize") + "\n"
    }

    /// Write the case atomically (a crash mid-write leaves no half file).
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, self.to_json())?;
        std::fs::rename(&tmp, path)
    }

    /// What the case expects, in words: `must fail with atomic-commit`, `must pass`.
    pub fn expectation(&self) -> String {
        match (&self.expect.must_fail, &self.expect.invariant) {
            (false, _) => "must pass".into(),
            (true, None) => "must fail".into(),
            (true, Some(inv)) => format!("must fail with {inv}"),
        }
    }

    /// Re-run the case's plan.
    pub fn replay(&self, target: &Target, config: &SimConfig) -> Run {
        run(
            &mut *target.scenario(),
            Start::Plan(self.plan.clone()),
            config,
        )
        .expect("validated when loaded")
    }

    /// Does the run do what the case expects? Err says what differs.
    pub fn verdict(&self, run: &Run) -> Result<(), String> {
        let found: Vec<&str> = run
            .report
            .violations
            .iter()
            .map(|v| v.invariant.as_str())
            .collect();
        match (&self.expect, found.is_empty()) {
            (
                Expect {
                    must_fail: false, ..
                },
                true,
            ) => Ok(()),
            (
                Expect {
                    must_fail: false, ..
                },
                false,
            ) => Err(format!("must pass but violated {}", found.join(", "))),
            (
                Expect {
                    must_fail: true, ..
                },
                true,
            ) => Err("must fail but ran clean".into()),
            (
                Expect {
                    must_fail: true,
                    invariant: Some(inv),
                },
                false,
            ) if !found.contains(&inv.as_str()) => Err(format!(
                "must violate {inv} but violated {}",
                found.join(", ")
            )),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A case of `protocol` whose shape is `shape` (JSON), with an empty plan.
    fn case_json(protocol: &str, shape: &str) -> String {
        format!(
            r#"{{"protocol":"{protocol}","seed":"0x1","shape":{shape},"plan":{{"seed":"0x1","window_ms":1,"swarm":[],"faults":[]}},"expect":{{"must_fail":false}}}}"#
        )
    }

    #[test]
    fn a_lock_shape_round_trips_and_an_older_shape_loads_without_it() {
        let old =
            r#"{"clients":5,"orders_per_client":4,"skus":4,"users":3,"business_failures":true}"#;
        let case: Case = serde_json::from_str(&case_json("2pc", old)).unwrap();
        let shape = case.shape.unwrap();
        assert_eq!(shape.clients, 5);
        assert!(!shape.lock && !shape.double_submit, "{shape:?}");

        let mut locked = case.clone();
        locked.shape = Some(WorkloadShape {
            lock: true,
            double_submit: true,
            ..shape
        });
        let text = locked.to_json();
        assert!(text.contains("\"lock\": true") && text.contains("\"double_submit\": true"));
        assert_eq!(serde_json::from_str::<Case>(&text).unwrap(), locked);

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lock.json");
        locked.save(&path).unwrap();
        let (loaded, target) = Case::load(&path).unwrap();
        assert_eq!(loaded, locked);
        assert_eq!(
            target.repro(loaded.seed),
            "dtx run --protocol 2pc --seed 0x1 --clients 5 --lock --double-submit"
        );

        let path = dir.path().join("saga.json");
        let lock = r#"{"clients":3,"orders_per_client":4,"skus":4,"users":3,"business_failures":true,"lock":true}"#;
        std::fs::write(&path, case_json("saga-orch", lock)).unwrap();
        let e = Case::load(&path).unwrap_err().to_string();
        assert!(
            e.starts_with("invalid case file '") && e.ends_with("--lock runs under 2pc and tcc only (the protocols that drive orders from the order service); got saga-orch"),
            "{e}"
        );
    }
}
