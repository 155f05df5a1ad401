//! The registry: which protocols `dtx` can run, their bug knobs, the probes their code can
//! reach, how to build a scenario for a (protocol, bug, workload) target, and how a mistyped
//! name is answered (the valid names, and the nearest one).

use std::fmt;

use dtx_sim::{Scenario, Seed};

use dtx_models::protocols::{driver, one_pc, saga_choreo, saga_orch, tcc, two_pc};
use dtx_models::system::{OrderSystem, ProtocolSpec};
use dtx_models::workload::WorkloadShape;

use crate::demo;
use crate::workload::Workload;

pub use dtx_models::knobs::BugKnob as Bug;

/// A protocol the harness can run.
pub struct Protocol {
    /// CLI name (`--protocol NAME`).
    pub name: &'static str,
    /// One line about it.
    pub about: &'static str,
    /// A baseline whose violations are expected (shown, not failed on, by the main job).
    pub baseline: bool,
    /// A harness self-test, not a protocol to choose (`dtx compare` leaves it out unless
    /// named).
    pub self_test: bool,
    /// Its bug knobs.
    pub bugs: &'static [Bug],
    /// Every probe its code can reach: a campaign reports those never reached.
    pub probes: fn() -> Vec<String>,
    /// Which invariants its runs are checked against.
    pub checks: Checks,
    make: fn(Option<&'static Bug>, WorkloadShape) -> Box<dyn Scenario>,
}

/// The invariants a protocol's runs are checked against, besides the engine's own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Checks {
    /// The order system's specification (dtx-invariants).
    OrderSystem,
    /// The engine demo's two invariants.
    Demo,
}

impl Checks {
    /// Each invariant (name, statement), the engine's (host-panic, …) last.
    pub fn invariants(self) -> Vec<(&'static str, &'static str)> {
        let own: Vec<(&'static str, &'static str)> = match self {
            Checks::OrderSystem => dtx_invariants::Invariant::ALL
                .iter()
                .map(|i| (i.name(), i.statement()))
                .collect(),
            Checks::Demo => demo::INVARIANTS.to_vec(),
        };
        own.into_iter()
            .chain(dtx_sim::engine_invariants::STATEMENTS)
            .collect()
    }
}

const DRIVER: ProtocolSpec = driver::SPEC;

fn order_system(
    spec: ProtocolSpec,
    bug: Option<&'static Bug>,
    shape: WorkloadShape,
) -> Box<dyn Scenario> {
    let mut system = OrderSystem::new(spec).with_bug(bug.map(|b| b.name));
    system.shape = shape;
    Box::new(system)
}

static PROTOCOLS: &[Protocol] = &[
    Protocol {
        name: "1pc",
        about: "naive baseline: take stock, take points, charge the card, each committed at once; no way back",
        baseline: true,
        self_test: false,
        bugs: &[],
        checks: Checks::OrderSystem,
        probes: || OrderSystem::probes(&one_pc::SPEC),
        make: |bug, shape| order_system(one_pc::SPEC, bug, shape),
    },
    Protocol {
        name: "2pc",
        about: "XA two-phase commit: prepare order/stock/points, authorize the card; logged decision; recovery",
        baseline: false,
        self_test: false,
        bugs: two_pc::BUGS,
        checks: Checks::OrderSystem,
        probes: || OrderSystem::probes(&two_pc::SPEC),
        make: |bug, shape| order_system(two_pc::SPEC, bug, shape),
    },
    Protocol {
        name: "tcc",
        about: "try-confirm-cancel: reserve stock, hold points, authorize the card; recorded decision; fence log; recovery on both sides",
        baseline: false,
        self_test: false,
        bugs: tcc::BUGS,
        checks: Checks::OrderSystem,
        probes: || OrderSystem::probes(&tcc::SPEC),
        make: |bug, shape| order_system(tcc::SPEC, bug, shape),
    },
    Protocol {
        name: "saga-orch",
        about: "orchestrated saga: reserve stock, spend points, capture the card (the pivot, last); durable saga log; compensation in reverse until acknowledged; resume",
        baseline: false,
        self_test: false,
        bugs: saga_orch::BUGS,
        checks: Checks::OrderSystem,
        probes: || OrderSystem::probes(&saga_orch::SPEC),
        make: |bug, shape| order_system(saga_orch::SPEC, bug, shape),
    },
    Protocol {
        name: "saga-choreo",
        about: "event-driven saga through the broker: transactional outboxes and polling relays, idempotent consumers (inbox), compensation on failure events, fences against reordered events",
        baseline: false,
        self_test: false,
        bugs: saga_choreo::BUGS,
        checks: Checks::OrderSystem,
        probes: || OrderSystem::probes(&saga_choreo::SPEC),
        make: |bug, shape| order_system(saga_choreo::SPEC, bug, shape),
    },
    Protocol {
        name: "driver",
        about: "harness self-test: the order system with a trivial flow that reserves each order's stock and points, releases both and cancels the order",
        baseline: false,
        self_test: true,
        bugs: &[],
        checks: Checks::OrderSystem,
        probes: || OrderSystem::probes(&DRIVER),
        make: |bug, shape| order_system(DRIVER, bug, shape),
    },
    Protocol {
        name: "demo-transfer",
        about: "engine demo: two banks, idempotent withdraw and deposit retried until acknowledged",
        baseline: false,
        self_test: true,
        bugs: &[Bug {
            name: "demo-no-idempotency",
            rows: &[],
            about: "banks apply retried and duplicated requests again",
            breaks: &["applied-once"],
        }],
        checks: Checks::Demo,
        probes: || demo::PROBES.iter().map(|p| p.to_string()).collect(),
        // The demo has no workload shape: targets refuse a shape that is not the default.
        make: |bug, _| {
            Box::new(demo::Transfer::new(
                bug.is_some_and(|b| b.name == "demo-no-idempotency"),
            ))
        },
    },
];

impl Protocol {
    /// Does it run the order system (and so take a workload shape)?
    pub fn order_system(&self) -> bool {
        self.checks == Checks::OrderSystem
    }
}

/// Every protocol.
pub fn protocols() -> &'static [Protocol] {
    PROTOCOLS
}

/// Bad input naming a protocol or bug: the bad name, the nearest valid one (if any is close)
/// and every valid one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    #[error("unknown protocol '{given}'; {}valid protocols: {valid}", did_you_mean(.nearest))]
    Protocol {
        given: String,
        nearest: Option<String>,
        valid: String,
    },
    #[error("unknown bug '{given}' for protocol {protocol}; {}valid bugs: {valid}", did_you_mean(.nearest))]
    Bug {
        given: String,
        protocol: String,
        nearest: Option<String>,
        valid: String,
    },
    #[error("bug '{given}' belongs to protocol {owner}, not {protocol}; valid bugs of {protocol}: {valid}")]
    BugOfAnother {
        given: String,
        protocol: String,
        owner: String,
        valid: String,
    },
}

fn did_you_mean(nearest: &Option<String>) -> String {
    nearest
        .as_ref()
        .map(|n| format!("did you mean '{n}'? "))
        .unwrap_or_default()
}

/// The name in `names` nearest to `given`, if it is near enough to be a typo (Jaro similarity
/// above 0.7, as clap suggests subcommands).
pub fn nearest<'a>(given: &str, names: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let mut best: Option<(f64, &str)> = None;
    for name in names {
        let score = strsim::jaro(given, name);
        if score > 0.7 && best.is_none_or(|(b, _)| score > b) {
            best = Some((score, name));
        }
    }
    best.map(|(_, n)| n.to_string())
}

/// A protocol, or a protocol with one bug knob turned on, under a workload (shape and fault
/// preset; the default unless options said otherwise).
#[derive(Clone, Copy)]
pub struct Target {
    pub protocol: &'static Protocol,
    pub bug: Option<&'static Bug>,
    pub workload: Workload,
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.bug {
            Some(b) => write!(f, "{} --bug {}", self.protocol.name, b.name)?,
            None => write!(f, "{}", self.protocol.name)?,
        }
        write!(f, "{}", self.workload.args())
    }
}

impl Target {
    /// `protocol` with `bug` under the default workload.
    pub fn new(protocol: &'static Protocol, bug: Option<&'static Bug>) -> Target {
        Target {
            protocol,
            bug,
            workload: Workload::default(),
        }
    }

    /// The target under `workload`; Err (the one-line reason) when the protocol does not
    /// run the order system and the shape is not the default.
    pub fn with_workload(self, workload: Workload) -> Result<Target, String> {
        if !self.protocol.order_system() && workload.shape != WorkloadShape::default() {
            return Err(format!(
                "protocol {} has no workload shape: --clients, --orders-per-client and --skus are for the order system's protocols",
                self.protocol.name
            ));
        }
        Ok(Target { workload, ..self })
    }

    /// Look a target up by its CLI names.
    pub fn find(protocol: &str, bug: Option<&str>) -> Result<Target, LookupError> {
        let names = || PROTOCOLS.iter().map(|p| p.name);
        let p = PROTOCOLS
            .iter()
            .find(|p| p.name == protocol)
            .ok_or_else(|| LookupError::Protocol {
                given: protocol.to_string(),
                nearest: nearest(protocol, names()),
                valid: names().collect::<Vec<_>>().join(", "),
            })?;
        let Some(b) = bug else {
            return Ok(Target::new(p, None));
        };
        if let Some(found) = p.bugs.iter().find(|x| x.name == b) {
            return Ok(Target::new(p, Some(found)));
        }
        let valid = if p.bugs.is_empty() {
            "(none)".into()
        } else {
            p.bugs.iter().map(|x| x.name).collect::<Vec<_>>().join(", ")
        };
        if let Some(owner) = PROTOCOLS
            .iter()
            .find(|o| o.bugs.iter().any(|x| x.name == b))
        {
            return Err(LookupError::BugOfAnother {
                given: b.to_string(),
                protocol: p.name.to_string(),
                owner: owner.name.to_string(),
                valid,
            });
        }
        Err(LookupError::Bug {
            given: b.to_string(),
            protocol: p.name.to_string(),
            nearest: nearest(b, p.bugs.iter().map(|x| x.name)),
            valid,
        })
    }

    /// A fresh scenario of this target.
    pub fn scenario(&self) -> Box<dyn Scenario> {
        (self.protocol.make)(self.bug, self.workload.shape)
    }

    /// The simulation settings of the target's runs (its fault preset).
    pub fn config(&self) -> dtx_sim::SimConfig {
        self.workload.config()
    }

    /// The target's arguments: `--protocol P --seed S [--bug B]` and the workload options
    /// that are not the default.
    fn args(&self, seed: Seed) -> String {
        let bug = self
            .bug
            .map(|b| format!(" --bug {}", b.name))
            .unwrap_or_default();
        format!(
            "--protocol {} --seed {seed}{bug}{}",
            self.protocol.name,
            self.workload.args()
        )
    }

    /// The one-line reproduction of `seed` (inside the checkout: `cargo run --release --`
    /// in place of `dtx`).
    pub fn repro(&self, seed: Seed) -> String {
        format!("dtx run {}", self.args(seed))
    }

    /// The next step after a reproduction: shrink `seed` to a minimal case file.
    pub fn shrink_line(&self, seed: Seed) -> String {
        format!(
            "dtx shrink {} --out {}-{seed}.json",
            self.args(seed),
            self.protocol.name
        )
    }
}

/// The catalogue rows of a knob as printed: `#5, #6` (empty for none).
pub fn rows(bug: &Bug) -> String {
    bug.rows
        .iter()
        .map(|r| format!("#{r}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `--help` text listing protocols and their bug knobs with catalogue rows.
pub fn catalogue() -> String {
    let mut s = String::from("Protocols and bug knobs (details: dtx list):\n");
    for p in PROTOCOLS {
        s.push_str(&format!(
            "  {}{}\n",
            p.name,
            if p.baseline { " (baseline)" } else { "" }
        ));
        for b in p.bugs {
            let rows = rows(b);
            s.push_str(&format!(
                "    --bug {}{}\n",
                b.name,
                if rows.is_empty() {
                    String::new()
                } else {
                    format!(" ({rows})")
                }
            ));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_name_the_bad_value_and_the_valid_choices() {
        let e = Target::find("3pc", None).unwrap_err().to_string();
        assert!(e.contains("'3pc'") && e.contains("demo-transfer"), "{e}");
        let e = Target::find("tc", None).unwrap_err().to_string();
        assert!(
            e.starts_with("unknown protocol 'tc'; did you mean 'tcc'? valid protocols: 1pc, "),
            "{e}"
        );
        let e = Target::find("zzzzzz", None).unwrap_err().to_string();
        assert!(!e.contains("did you mean"), "{e}");
        let e = Target::find("2pc", Some("2pc-stale-vot"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("did you mean '2pc-stale-vote'?"), "{e}");
        let e = Target::find("tcc", Some("2pc-stale-vote"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("belongs to protocol 2pc, not tcc"), "{e}");
        let e = Target::find("demo-transfer", Some("nope"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("'nope'") && e.contains("demo-no-idempotency"),
            "{e}"
        );
        let t = Target::find("demo-transfer", Some("demo-no-idempotency")).unwrap();
        assert_eq!(
            t.repro(Seed(0x5eed)),
            "dtx run --protocol demo-transfer --seed 0x5eed --bug demo-no-idempotency"
        );
        assert_eq!(
            t.shrink_line(Seed(0x5eed)),
            "dtx shrink --protocol demo-transfer --seed 0x5eed --bug demo-no-idempotency --out demo-transfer-0x5eed.json"
        );
    }

    #[test]
    fn a_target_carries_its_workload_into_its_lines_and_the_demo_refuses_a_shape() {
        let mut w = Workload {
            faults: dtx_sim::FaultPreset::None,
            ..Workload::default()
        };
        let t = Target::find("2pc", None).unwrap().with_workload(w).unwrap();
        assert_eq!(
            t.repro(Seed(7)),
            "dtx run --protocol 2pc --seed 0x7 --faults none"
        );
        w.shape.clients = 5;
        let t = t.with_workload(w).unwrap();
        assert_eq!(
            t.shrink_line(Seed(7)),
            "dtx shrink --protocol 2pc --seed 0x7 --clients 5 --faults none --out 2pc-0x7.json"
        );
        assert_eq!(t.scenario().topology().clients.len(), 5);
        let demo = Target::find("demo-transfer", None).unwrap();
        let e = demo.with_workload(w).unwrap_err();
        assert!(e.contains("demo-transfer has no workload shape"), "{e}");
        w.shape = WorkloadShape::default();
        assert!(
            demo.with_workload(w).is_ok(),
            "a fault preset alone is fine"
        );
    }
}
