//! Failure signatures: failing seeds are grouped by (protocol, bug, invariant of the first
//! violation, kind of the ledger event after which it first broke). One case file is kept per
//! signature, named after it.

use std::fmt;

use dtx_sim::Violation;
use serde::{Deserialize, Serialize};

use crate::registry::Target;

/// The event kind of a violation that names no ledger event (`settled`, `host-panic`, …).
pub const NO_EVENT: &str = "-";

/// What a failing seed is grouped by.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Signature {
    pub protocol: String,
    pub bug: Option<String>,
    /// The invariant of the run's first violation.
    pub invariant: String,
    /// The kind (variant name) of the ledger event after which it first broke, or `-`.
    pub event: String,
}

impl Signature {
    /// The signature of a failing run of `target` whose first violation is `first`.
    pub fn of(target: &Target, first: &Violation) -> Self {
        Signature {
            protocol: target.protocol.name.to_string(),
            bug: target.bug.map(|b| b.name.to_string()),
            invariant: first.invariant.clone(),
            event: dtx_invariants::after_event_kind(&first.detail)
                .unwrap_or(NO_EVENT)
                .to_string(),
        }
    }

    /// Its name in reports and the stem of its case file:
    /// `2pc--atomic-commit--Charged`, `2pc--BUG--atomic-commit--Charged` with a bug knob.
    pub fn id(&self) -> String {
        let mut parts = vec![self.protocol.as_str()];
        parts.extend(self.bug.as_deref());
        parts.push(&self.invariant);
        parts.push(if self.event == NO_EVENT {
            "no-event"
        } else {
            &self.event
        });
        parts
            .iter()
            .map(|p| sanitize(p))
            .collect::<Vec<_>>()
            .join("--")
    }

    /// The case file's name: `failures/<id>.json`.
    pub fn file_name(&self) -> String {
        format!("{}.json", self.id())
    }
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.invariant)?;
        if self.event != NO_EVENT {
            write!(f, " after {}", self.event)?;
        }
        Ok(())
    }
}

/// A name part safe in a file name on every platform.
fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_real_violation_is_signed_with_the_kind_of_the_event_it_broke_after() {
        // 2pc without its decision log: seed 0's coordinator crashes after deciding commit and
        // presumes abort on restart; atomic-commit breaks at the second Decision.
        let target = Target::find("2pc", Some("2pc-decision-not-logged")).unwrap();
        let r = dtx_sim::run(
            &mut *target.scenario(),
            dtx_sim::Start::Seed(dtx_sim::Seed(0)),
            &dtx_sim::SimConfig::default(),
        )
        .unwrap();
        let first = r.report.violations.first().expect("seed 0 fails");
        let s = Signature::of(&target, first);
        assert_eq!(
            (s.invariant.as_str(), s.event.as_str()),
            ("atomic-commit", "Decision"),
            "{first:?}"
        );
    }

    #[test]
    fn ids_and_file_names_are_safe() {
        let s = Signature {
            protocol: "2pc".into(),
            bug: Some("2pc-decision-not-logged".into()),
            invariant: "atomic-commit".into(),
            event: "Charged".into(),
        };
        assert_eq!(
            s.file_name(),
            "2pc--2pc-decision-not-logged--atomic-commit--Charged.json"
        );
        let s = Signature {
            protocol: "a/b".into(),
            bug: None,
            invariant: "host panic".into(),
            event: NO_EVENT.into(),
        };
        assert_eq!(s.id(), "a_b--host_panic--no-event");
        assert_eq!(s.to_string(), "host panic");
    }
}
