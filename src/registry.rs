//! The registry: which protocols `dtx` can run, their bug knobs, the probes their code can
//! reach, and how to build a scenario for a (protocol, bug) target.

use std::fmt;

use dtx_sim::{Scenario, Seed};

use dtx_models::protocols::{driver, one_pc, saga_choreo, saga_orch, tcc, two_pc};
use dtx_models::system::{OrderSystem, ProtocolSpec};

use crate::demo;

pub use dtx_models::knobs::BugKnob as Bug;

/// A protocol the harness can run.
pub struct Protocol {
    /// CLI name (`--protocol NAME`).
    pub name: &'static str,
    /// One line about it.
    pub about: &'static str,
    /// A baseline whose violations are expected (shown, not failed on, by the main job).
    pub baseline: bool,
    /// Its bug knobs.
    pub bugs: &'static [Bug],
    /// Every probe its code can reach: a campaign reports those never reached.
    pub probes: fn() -> Vec<String>,
    make: fn(Option<&'static Bug>) -> Box<dyn Scenario>,
}

const DRIVER: ProtocolSpec = driver::SPEC;

fn order_system(spec: ProtocolSpec, bug: Option<&'static Bug>) -> Box<dyn Scenario> {
    Box::new(OrderSystem::new(spec).with_bug(bug.map(|b| b.name)))
}

static PROTOCOLS: &[Protocol] = &[
    Protocol {
        name: "1pc",
        about: "naive baseline: take stock, take points, charge the card, each committed at once; no way back",
        baseline: true,
        bugs: &[],
        probes: || OrderSystem::probes(&one_pc::SPEC),
        make: |bug| order_system(one_pc::SPEC, bug),
    },
    Protocol {
        name: "2pc",
        about: "XA two-phase commit: prepare order/stock/points, authorize the card; logged decision; recovery",
        baseline: false,
        bugs: two_pc::BUGS,
        probes: || OrderSystem::probes(&two_pc::SPEC),
        make: |bug| order_system(two_pc::SPEC, bug),
    },
    Protocol {
        name: "tcc",
        about: "try-confirm-cancel: reserve stock, hold points, authorize the card; recorded decision; fence log; recovery on both sides",
        baseline: false,
        bugs: tcc::BUGS,
        probes: || OrderSystem::probes(&tcc::SPEC),
        make: |bug| order_system(tcc::SPEC, bug),
    },
    Protocol {
        name: "saga-orch",
        about: "orchestrated saga: reserve stock, spend points, capture the card (the pivot, last); durable saga log; compensation in reverse until acknowledged; resume",
        baseline: false,
        bugs: saga_orch::BUGS,
        probes: || OrderSystem::probes(&saga_orch::SPEC),
        make: |bug| order_system(saga_orch::SPEC, bug),
    },
    Protocol {
        name: "saga-choreo",
        about: "event-driven saga through the broker: transactional outboxes and polling relays, idempotent consumers (inbox), compensation on failure events, fences against reordered events",
        baseline: false,
        bugs: saga_choreo::BUGS,
        probes: || OrderSystem::probes(&saga_choreo::SPEC),
        make: |bug| order_system(saga_choreo::SPEC, bug),
    },
    Protocol {
        name: "driver",
        about: "trivial driver (issue 4): reserve each order's stock, release it, cancel the order",
        baseline: false,
        bugs: &[],
        probes: || OrderSystem::probes(&DRIVER),
        make: |bug| order_system(DRIVER, bug),
    },
    Protocol {
        name: "demo-transfer",
        about: "engine demo: two banks, idempotent withdraw and deposit retried until acknowledged",
        baseline: false,
        bugs: &[Bug {
            name: "demo-no-idempotency",
            about: "banks apply retried and duplicated requests again",
            breaks: &["applied-once"],
        }],
        probes: || demo::PROBES.iter().map(|p| p.to_string()).collect(),
        make: |bug| {
            Box::new(demo::Transfer::new(
                bug.is_some_and(|b| b.name == "demo-no-idempotency"),
            ))
        },
    },
];

/// Every protocol.
pub fn protocols() -> &'static [Protocol] {
    PROTOCOLS
}

/// Bad input naming a protocol or bug.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    #[error("unknown protocol '{given}'; valid protocols: {valid}")]
    Protocol { given: String, valid: String },
    #[error("unknown bug '{given}' for protocol {protocol}; valid bugs: {valid}")]
    Bug {
        given: String,
        protocol: String,
        valid: String,
    },
}

/// A protocol, or a protocol with one bug knob turned on.
#[derive(Clone, Copy)]
pub struct Target {
    pub protocol: &'static Protocol,
    pub bug: Option<&'static Bug>,
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.bug {
            Some(b) => write!(f, "{} --bug {}", self.protocol.name, b.name),
            None => write!(f, "{}", self.protocol.name),
        }
    }
}

impl Target {
    /// Look a target up by its CLI names.
    pub fn find(protocol: &str, bug: Option<&str>) -> Result<Target, LookupError> {
        let p = PROTOCOLS
            .iter()
            .find(|p| p.name == protocol)
            .ok_or_else(|| LookupError::Protocol {
                given: protocol.to_string(),
                valid: PROTOCOLS
                    .iter()
                    .map(|p| p.name)
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        let bug = match bug {
            None => None,
            Some(b) => {
                Some(
                    p.bugs
                        .iter()
                        .find(|x| x.name == b)
                        .ok_or_else(|| LookupError::Bug {
                            given: b.to_string(),
                            protocol: p.name.to_string(),
                            valid: if p.bugs.is_empty() {
                                "(none)".into()
                            } else {
                                p.bugs.iter().map(|x| x.name).collect::<Vec<_>>().join(", ")
                            },
                        })?,
                )
            }
        };
        Ok(Target { protocol: p, bug })
    }

    /// A fresh scenario of this target.
    pub fn scenario(&self) -> Box<dyn Scenario> {
        (self.protocol.make)(self.bug)
    }

    /// The target's arguments: `--protocol P --seed S [--bug B]`.
    fn args(&self, seed: Seed) -> String {
        let bug = self
            .bug
            .map(|b| format!(" --bug {}", b.name))
            .unwrap_or_default();
        format!("--protocol {} --seed {seed}{bug}", self.protocol.name)
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

/// `--help` text listing protocols and bugs.
pub fn catalogue() -> String {
    let mut s = String::from("Protocols and bug knobs:\n");
    for p in PROTOCOLS {
        s.push_str(&format!("  {:<16} {}\n", p.name, p.about));
        for b in p.bugs {
            s.push_str(&format!("    --bug {:<22} {}\n", b.name, b.about));
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
}
