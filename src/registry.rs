//! The registry: which protocols `dtx` can run, their bug knobs (their own, and the lock's for
//! the protocols that run under seed 002's lock), the probes their code can reach, how to
//! build a scenario for a (protocol, bug, workload) target, which workloads a protocol takes,
//! and how a mistyped name is answered (the valid names, and the nearest one).

use std::fmt;

use dtx_sim::{Scenario, Seed};

use dtx_models::knobs::Knobs;
use dtx_models::lock;
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
    /// Its own bug knobs; [`Protocol::bugs`] adds the lock's where it runs under the lock.
    own_bugs: &'static [Bug],
    /// Runs under seed 002's lock (`--lock`): it drives orders from the order service, so two
    /// order-service workers can take turns at an order behind the lock host. It offers the
    /// lock's bug knobs ([`lock::BUGS`]) besides its own.
    pub lock: bool,
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
        own_bugs: &[],
        lock: false,
        checks: Checks::OrderSystem,
        probes: || OrderSystem::probes(&one_pc::SPEC),
        make: |bug, shape| order_system(one_pc::SPEC, bug, shape),
    },
    Protocol {
        name: "2pc",
        about: "XA two-phase commit: prepare order/stock/points, authorize the card; logged decision; recovery",
        baseline: false,
        self_test: false,
        own_bugs: two_pc::BUGS,
        lock: true,
        checks: Checks::OrderSystem,
        probes: || OrderSystem::probes(&two_pc::SPEC),
        make: |bug, shape| order_system(two_pc::SPEC, bug, shape),
    },
    Protocol {
        name: "tcc",
        about: "try-confirm-cancel: reserve stock, hold points, authorize the card; recorded decision; fence log; recovery on both sides",
        baseline: false,
        self_test: false,
        own_bugs: tcc::BUGS,
        lock: true,
        checks: Checks::OrderSystem,
        probes: || OrderSystem::probes(&tcc::SPEC),
        make: |bug, shape| order_system(tcc::SPEC, bug, shape),
    },
    Protocol {
        name: "saga-orch",
        about: "orchestrated saga: reserve stock, spend points, capture the card (the pivot, last); durable saga log; compensation in reverse until acknowledged; resume",
        baseline: false,
        self_test: false,
        own_bugs: saga_orch::BUGS,
        lock: false,
        checks: Checks::OrderSystem,
        probes: || OrderSystem::probes(&saga_orch::SPEC),
        make: |bug, shape| order_system(saga_orch::SPEC, bug, shape),
    },
    Protocol {
        name: "saga-choreo",
        about: "event-driven saga through the broker: transactional outboxes and polling relays, idempotent consumers (inbox), compensation on failure events, fences against reordered events",
        baseline: false,
        self_test: false,
        own_bugs: saga_choreo::BUGS,
        lock: false,
        checks: Checks::OrderSystem,
        probes: || OrderSystem::probes(&saga_choreo::SPEC),
        make: |bug, shape| order_system(saga_choreo::SPEC, bug, shape),
    },
    Protocol {
        name: "driver",
        about: "harness self-test: the order system with a trivial flow that reserves each order's stock and points, releases both and cancels the order",
        baseline: false,
        self_test: true,
        own_bugs: &[],
        lock: false,
        checks: Checks::OrderSystem,
        probes: || OrderSystem::probes(&DRIVER),
        make: |bug, shape| order_system(DRIVER, bug, shape),
    },
    Protocol {
        name: "demo-transfer",
        about: "engine demo: two banks, idempotent withdraw and deposit retried until acknowledged",
        baseline: false,
        self_test: true,
        own_bugs: &[Bug {
            name: "demo-no-idempotency",
            rows: &[],
            about: "banks apply retried and duplicated requests again",
            breaks: &["applied-once"],
        }],
        lock: false,
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

    /// Every bug knob it offers: its own, then the lock's if it runs under the lock. A knob
    /// may be offered by several protocols (the lock's are offered by 2pc and tcc).
    pub fn bugs(&self) -> impl Iterator<Item = &'static Bug> + Clone {
        let own: &'static [Bug] = self.own_bugs;
        let lock: &'static [Bug] = if self.lock { lock::BUGS } else { &[] };
        own.iter().chain(lock)
    }

    /// Its bug knob `name`, if it offers one.
    pub fn bug(&self, name: &str) -> Option<&'static Bug> {
        self.bugs().find(|b| b.name == name)
    }
}

/// Every protocol.
pub fn protocols() -> &'static [Protocol] {
    PROTOCOLS
}

/// The protocols that run under the lock, as a phrase: `2pc and tcc`.
pub fn lock_protocols() -> String {
    phrase(
        PROTOCOLS
            .iter()
            .filter(|p| p.lock)
            .map(|p| p.name)
            .collect(),
    )
}

/// `a`, `a and b`, `a, b and c`.
fn phrase(names: Vec<&str>) -> String {
    match names.split_last() {
        None => String::new(),
        Some((last, [])) => last.to_string(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
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
    #[error("bug '{given}' belongs to {}, not {protocol}; valid bugs of {protocol}: {valid}", owned_by(.owners))]
    BugOfAnother {
        given: String,
        protocol: String,
        /// Every protocol that offers it.
        owners: Vec<String>,
        valid: String,
    },
}

/// `protocol 2pc`, `protocols 2pc and tcc`.
fn owned_by(owners: &[String]) -> String {
    let names = owners.iter().map(String::as_str).collect::<Vec<_>>();
    let s = if names.len() > 1 { "s" } else { "" };
    format!("protocol{s} {}", phrase(names))
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
        let mut t = Target {
            protocol,
            bug,
            workload: Workload::default(),
        };
        t.workload = t.lock_implied(t.workload);
        t
    }

    /// The target under `workload`; Err (the one-line reason) when the shape asks for the
    /// lock and the protocol does not run under it, or when the protocol does not run the
    /// order system and the shape is not the default.
    pub fn with_workload(self, workload: Workload) -> Result<Target, String> {
        if workload.shape.lock && !self.protocol.lock {
            return Err(format!(
                "--lock runs under {} only (the protocols that drive orders from the order service); got {}",
                lock_protocols(),
                self.protocol.name
            ));
        }
        if !self.protocol.order_system() && workload.shape != WorkloadShape::default() {
            return Err(format!(
                "protocol {} has no workload shape: --clients, --orders-per-client, --skus and --double-submit are for the order system's protocols",
                self.protocol.name
            ));
        }
        Ok(Target {
            workload: self.lock_implied(workload),
            ..self
        })
    }

    /// `workload` with the lock on if the target's bug knob is one of the lock's (a lock knob
    /// runs under the lock whether or not `--lock` was given, and its lines say so).
    fn lock_implied(&self, mut workload: Workload) -> Workload {
        if self.bug.is_some_and(|b| lock::knob_on(Knobs(Some(b.name)))) {
            workload.shape.lock = true;
        }
        workload
    }

    /// Every probe the target's code can reach: its protocol's, and the lock's under the lock.
    pub fn probes(&self) -> Vec<String> {
        let mut probes = (self.protocol.probes)();
        if self.workload.shape.lock {
            probes.retain(|p| !lock::REPLACED_PROBES.contains(&p.as_str()));
            probes.extend(lock::PROBES.iter().map(|p| p.to_string()));
        }
        probes
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
        if let Some(found) = p.bug(b) {
            return Ok(Target::new(p, Some(found)));
        }
        let valid = if p.bugs().next().is_none() {
            "(none)".into()
        } else {
            p.bugs().map(|x| x.name).collect::<Vec<_>>().join(", ")
        };
        let owners: Vec<String> = PROTOCOLS
            .iter()
            .filter(|o| o.bug(b).is_some())
            .map(|o| o.name.to_string())
            .collect();
        if !owners.is_empty() {
            return Err(LookupError::BugOfAnother {
                given: b.to_string(),
                protocol: p.name.to_string(),
                owners,
                valid,
            });
        }
        Err(LookupError::Bug {
            given: b.to_string(),
            protocol: p.name.to_string(),
            nearest: nearest(b, p.bugs().map(|x| x.name)),
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
        for b in p.bugs() {
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

    #[test]
    fn two_pc_and_tcc_offer_the_lock_knobs_and_no_other_protocol_does() {
        for p in protocols() {
            for knob in dtx_models::lock::BUGS {
                assert_eq!(
                    p.bug(knob.name).is_some(),
                    p.lock,
                    "{} {}",
                    p.name,
                    knob.name
                );
            }
            // Its own knobs come first, and every knob it offers is found by name.
            let names = p.bugs().map(|b| b.name).collect::<Vec<_>>();
            let own = p.own_bugs.iter().map(|b| b.name).collect::<Vec<_>>();
            assert_eq!(names[..own.len()], own[..], "{}", p.name);
            for b in p.bugs() {
                let t = Target::find(p.name, Some(b.name)).unwrap();
                assert!(std::ptr::eq(t.bug.unwrap(), b), "{} {}", p.name, b.name);
            }
        }
        let locked: Vec<_> = protocols()
            .iter()
            .filter(|p| p.lock)
            .map(|p| p.name)
            .collect();
        assert_eq!(locked, ["2pc", "tcc"]);
        assert_eq!(lock_protocols(), "2pc and tcc");
        let t = Target::find("tcc", Some("lock-token-ignored")).unwrap();
        assert_eq!(t.bug.unwrap().rows, &[32]);
        assert_eq!(
            t.repro(Seed(1)),
            "dtx run --protocol tcc --seed 0x1 --bug lock-token-ignored --lock",
            "a lock knob runs under the lock, and its lines say so"
        );
        assert!(Target::find("2pc", Some("lock-no-expiry")).is_ok());
        // A knob several protocols offer names them all to one that does not.
        let e = Target::find("saga-orch", Some("lock-no-expiry"))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with(
                "bug 'lock-no-expiry' belongs to protocols 2pc and tcc, not saga-orch; valid bugs of saga-orch: saga-"
            ),
            "{e}"
        );
        let e = Target::find("1pc", Some("lock-token-ignored"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("belongs to protocols 2pc and tcc, not 1pc; valid bugs of 1pc: (none)"),
            "{e}"
        );
        // Did you mean, among a protocol's own knobs and the lock's.
        let e = Target::find("2pc", Some("lock-no-expiri"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("did you mean 'lock-no-expiry'?"), "{e}");
        assert!(
            e.contains("2pc-stale-vote") && e.contains("lock-token-ignored"),
            "{e}"
        );
        // The --help catalogue lists the lock's knobs under both, with their rows.
        let help = catalogue();
        let under = |p: &str| -> Vec<&str> {
            help.lines()
                .skip_while(|l| *l != format!("  {p}"))
                .skip(1)
                .take_while(|l| l.starts_with("    "))
                .collect()
        };
        for p in ["2pc", "tcc"] {
            assert!(
                under(p).contains(&"    --bug lock-no-expiry (#29)"),
                "{help}"
            );
        }
        assert!(!under("saga-orch").is_empty(), "{help}");
        assert!(
            under("saga-orch").iter().all(|l| !l.contains("lock-")),
            "{help}"
        );
    }

    #[test]
    fn the_lock_runs_under_2pc_and_tcc_only_and_double_submit_under_any_order_system() {
        let lock = Workload {
            shape: WorkloadShape {
                lock: true,
                double_submit: true,
                ..WorkloadShape::default()
            },
            ..Workload::default()
        };
        for p in ["2pc", "tcc"] {
            let t = Target::find(p, None).unwrap().with_workload(lock).unwrap();
            assert_eq!(
                t.repro(Seed(1)),
                format!("dtx run --protocol {p} --seed 0x1 --lock --double-submit")
            );
            assert_eq!(
                t.shrink_line(Seed(1)),
                format!("dtx shrink --protocol {p} --seed 0x1 --lock --double-submit --out {p}-0x1.json")
            );
        }
        for p in ["1pc", "saga-orch", "saga-choreo", "driver", "demo-transfer"] {
            let e = Target::find(p, None)
                .unwrap()
                .with_workload(lock)
                .unwrap_err();
            assert_eq!(
                e,
                format!("--lock runs under 2pc and tcc only (the protocols that drive orders from the order service); got {p}")
            );
        }
        let twice = Workload {
            shape: WorkloadShape {
                double_submit: true,
                ..WorkloadShape::default()
            },
            ..Workload::default()
        };
        for p in ["1pc", "saga-orch", "saga-choreo", "2pc"] {
            let t = Target::find(p, None).unwrap().with_workload(twice).unwrap();
            assert!(t.repro(Seed(1)).ends_with(" --double-submit"));
        }
        let e = Target::find("demo-transfer", None)
            .unwrap()
            .with_workload(twice)
            .unwrap_err();
        assert!(
            e.contains("has no workload shape") && e.contains("--double-submit"),
            "{e}"
        );
    }
}
