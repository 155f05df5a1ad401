//! `dtx list`: what dtx knows — the protocols, their bug knobs with catalogue rows and the
//! invariants that catch them, every invariant with its statement, and the fault kinds — as
//! text or as one JSON object (`"schema": "dtx.list/1"`).

use std::collections::BTreeMap;
use std::process::ExitCode;

use dtx_sim::FaultKind;

use crate::exit::Outcome;
use crate::registry::{self, rows};

/// The schema of `dtx list --json`.
const SCHEMA: &str = "dtx.list/1";

/// What the command does (`--help`).
pub const LONG_ABOUT: &str =
    "List the protocols dtx can run (and which are baselines, whose violations are \
expected), each protocol's bug knobs with the catalogue rows they reintroduce and the invariants \
that catch them, every invariant with its statement and the protocols it is checked on, and \
the fault kinds swarm testing draws from.";

/// The help text after the arguments (`--help`).
pub const EXAMPLES: &str = "\
Examples:
  dtx list
  dtx list --json | jq '.bugs[] | select(.protocol == \"tcc\")'

Catalogue rows #N: see docs/catalogue.md.";

#[derive(clap::Args)]
pub struct Args {
    /// Print one JSON object ({"schema": "dtx.list/1", "protocols", "bugs", "invariants",
    /// "fault_kinds"}) instead of text. A knob several protocols offer (the lock's) has a
    /// "bugs" row per protocol.
    #[arg(long)]
    json: bool,
}

/// Every invariant by name: its statement and the protocols checked against it.
fn invariants() -> BTreeMap<&'static str, (&'static str, Vec<&'static str>)> {
    let mut all: BTreeMap<&'static str, (&'static str, Vec<&'static str>)> = BTreeMap::new();
    for p in registry::protocols() {
        for (name, statement) in p.checks.invariants() {
            all.entry(name)
                .or_insert((statement, Vec::new()))
                .1
                .push(p.name);
        }
    }
    all
}

fn json() -> serde_json::Value {
    use serde_json::json;
    let protocols: Vec<_> = registry::protocols()
        .iter()
        .map(|p| {
            json!({
                "name": p.name,
                "about": p.about,
                "baseline": p.baseline,
                "lock": p.lock,
                "bugs": p.bugs().map(|b| b.name).collect::<Vec<_>>(),
            })
        })
        .collect();
    let bugs: Vec<_> = registry::protocols()
        .iter()
        .flat_map(|p| {
            p.bugs().map(|b| {
                json!({
                    "name": b.name,
                    "protocol": p.name,
                    "about": b.about,
                    "rows": b.rows,
                    "caught_by": b.breaks,
                })
            })
        })
        .collect();
    let invariants: Vec<_> = invariants()
        .into_iter()
        .map(|(name, (statement, on))| json!({"name": name, "statement": statement, "protocols": on}))
        .collect();
    let kinds: Vec<_> = FaultKind::ALL
        .iter()
        .map(|k| json!({"name": k.name(), "about": k.about()}))
        .collect();
    json!({
        "schema": SCHEMA,
        "catalogue": "docs/catalogue.md",
        "protocols": protocols,
        "bugs": bugs,
        "invariants": invariants,
        "fault_kinds": kinds,
    })
}

fn text() {
    crate::outln!("Protocols (dtx run --protocol P):");
    for p in registry::protocols() {
        let tag = if p.baseline { " [baseline]" } else { "" };
        crate::outln!("  {:<14} {}{tag}", p.name, p.about);
    }
    crate::outln!(
        "  {:<14} seed 002's lock (two order-service workers, a lease with a fencing token) runs under {}, which offer its knobs too",
        "--lock",
        registry::lock_protocols()
    );
    crate::outln!();
    crate::outln!("Bug knobs (dtx run --protocol P --bug B), catalogue rows, caught by:");
    for p in registry::protocols() {
        for b in p.bugs() {
            let rows = rows(b);
            crate::outln!(
                "  {:<14} {:<36} {:<8} {}",
                p.name,
                b.name,
                if rows.is_empty() { "-" } else { &rows },
                b.breaks.join(", ")
            );
            crate::outln!("  {:<14} {}", "", b.about);
        }
    }
    crate::outln!();
    crate::outln!("Invariants:");
    let n = registry::protocols().len();
    for (name, (statement, on)) in invariants() {
        let scope = if on.len() == n {
            "every protocol".to_string()
        } else {
            on.join(", ")
        };
        crate::outln!("  {name:<20} ({scope}) {statement}");
    }
    crate::outln!();
    crate::outln!("Fault kinds (swarm testing enables a random subset per seed):");
    for k in FaultKind::ALL {
        crate::outln!("  {:<12} {}", k.name(), k.about());
    }
    crate::outln!();
    crate::outln!("Catalogue rows #N: see docs/catalogue.md.");
}

pub fn execute(a: Args) -> Outcome {
    if a.json {
        crate::outln!("{}", json());
    } else {
        text();
    }
    Ok(ExitCode::SUCCESS)
}
