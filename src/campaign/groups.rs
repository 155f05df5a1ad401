//! Failure groups of one target, folded in seed order: per signature the number of failing
//! seeds, the lowest few of them (the list is capped, so memory is bounded by signatures, not
//! by failures), the first seed's violation, its case file, reproduction and shrink lines.

use std::collections::BTreeMap;

use dtx_sim::Seed;
use serde::{Deserialize, Serialize};

use crate::campaign::signature::Signature;
use crate::campaign::tally::Outcome;
use crate::registry::Target;

/// Seeds listed per signature (the lowest ones); the rest are only counted.
pub const SEEDS_LISTED: usize = 10;

/// What shrinking the first seed's plan did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shrunk {
    pub faults_before: usize,
    pub faults_after: usize,
    /// Workload items (orders) left out of the shrunk plan.
    pub items_skipped: usize,
    /// Simulation runs the shrink spent.
    pub runs: u32,
}

/// One failure signature of a target, as the report lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Group {
    /// The signature's name (also its case file's stem).
    pub signature: String,
    /// Invariant of the first violation.
    pub invariant: String,
    /// Kind of the ledger event after which it first broke (`-`: none named).
    pub event: String,
    /// Failing seeds with this signature.
    pub count: u64,
    /// The lowest of them (at most SEEDS_LISTED).
    pub seeds: Vec<Seed>,
    /// Failing seeds not listed in `seeds`.
    pub seeds_not_listed: u64,
    /// The first (lowest) seed's first violation.
    pub detail: String,
    /// Every invariant the first seed violated.
    pub invariants: Vec<String>,
    /// The case file of the first seed, relative to the report's directory (None: no
    /// `--out`).
    pub case: Option<String>,
    /// True: `--append` found a case file of this signature from an earlier campaign and kept
    /// it; this campaign's seeds are the ones listed here, not the file's.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub case_from_earlier: bool,
    pub repro: String,
    pub shrink: String,
    /// Set when `--shrink` shrank the case file's plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shrunk: Option<Shrunk>,
}

impl Group {
    pub fn first_seed(&self) -> Seed {
        self.seeds[0]
    }
}

/// The groups of one target.
#[derive(Debug, Default)]
pub struct Groups {
    by: BTreeMap<Signature, Group>,
}

impl Groups {
    /// Fold the next failing seed in seed order; true when its signature is new.
    pub fn add(&mut self, target: &Target, sig: &Signature, o: &Outcome) -> bool {
        if let Some(g) = self.by.get_mut(sig) {
            g.count += 1;
            if g.seeds.len() < SEEDS_LISTED {
                g.seeds.push(o.seed);
            } else {
                g.seeds_not_listed += 1;
            }
            return false;
        }
        let mut invariants: Vec<String> =
            o.violations.iter().map(|v| v.invariant.clone()).collect();
        invariants.dedup();
        self.by.insert(
            sig.clone(),
            Group {
                signature: sig.id(),
                invariant: sig.invariant.clone(),
                event: sig.event.clone(),
                count: 1,
                seeds: vec![o.seed],
                seeds_not_listed: 0,
                detail: o
                    .violations
                    .first()
                    .map(|v| v.detail.clone())
                    .unwrap_or_default(),
                invariants,
                case: None,
                case_from_earlier: false,
                repro: target.repro(o.seed),
                shrink: target.shrink_line(o.seed),
                shrunk: None,
            },
        );
        true
    }

    pub fn get_mut(&mut self, sig: &Signature) -> Option<&mut Group> {
        self.by.get_mut(sig)
    }

    pub fn contains(&self, sig: &Signature) -> bool {
        self.by.contains_key(sig)
    }

    /// The groups, first found (lowest first seed) first.
    pub fn into_list(self) -> Vec<Group> {
        let mut list: Vec<Group> = self.by.into_values().collect();
        list.sort_by_key(Group::first_seed);
        list
    }
}
