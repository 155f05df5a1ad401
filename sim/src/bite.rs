//! Which faults of the plan had an effect: a link fault that dropped, held or duplicated a
//! datagram; a crash that killed a host with work under way; a crash point or boundary crash
//! that fired; a pause during which some of the host's code had to wait. Reports count, per
//! kind, how many planned faults bit: a fault that touches nothing is wasted CPU.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::plan::{FaultKind, Plan};

/// Planned faults of one kind and how many of them had an effect.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultTally {
    /// Faults of this kind in the plan.
    pub planned: u64,
    /// Of those, how many had an effect.
    pub bitten: u64,
}

impl FaultTally {
    /// Add another tally.
    pub fn add(&mut self, other: FaultTally) {
        self.planned += other.planned;
        self.bitten += other.bitten;
    }
}

/// The faults that bit, by plan index.
#[derive(Clone, Debug, Default)]
pub(crate) struct Bites(BTreeSet<u32>);

impl Bites {
    pub(crate) fn mark(&mut self, fault: u32) {
        self.0.insert(fault);
    }

    /// The indices of the faults that bit, in plan order.
    pub(crate) fn indices(&self) -> Vec<u32> {
        self.0.iter().copied().collect()
    }

    /// Per fault kind (by name): planned and bitten.
    pub(crate) fn tally(&self, plan: &Plan) -> BTreeMap<String, FaultTally> {
        let mut out: BTreeMap<String, FaultTally> = BTreeMap::new();
        for (i, f) in plan.faults.iter().enumerate() {
            let t = out.entry(f.effect.kind().name().to_string()).or_default();
            t.planned += 1;
            if self.0.contains(&(i as u32)) {
                t.bitten += 1;
            }
        }
        out
    }
}

/// Every kind with an empty tally, for tables that list kinds nobody planned too.
pub fn every_kind() -> BTreeMap<String, FaultTally> {
    FaultKind::ALL
        .iter()
        .map(|k| (k.name().to_string(), FaultTally::default()))
        .collect()
}
