//! Conservation of a reservable resource (stock per sku, points per user): free + Σ held per
//! order + used = initial, with every term ≥ 0. Shared by stock-conserved and
//! points-conserved, which differ only in names and events.

use std::collections::BTreeMap;

use super::Finding;
use crate::ids::OrderId;
use crate::violation::Entity;

/// How one resource names its entity and buckets in violations.
#[derive(Clone, Copy, Debug)]
pub struct Names {
    pub entity: &'static str,
    pub free: &'static str,
    pub held: &'static str,
    pub used: &'static str,
    pub make: fn(u32) -> Entity,
}

/// One entity's buckets.
#[derive(Default, Clone, Debug)]
pub struct Tally {
    pub free: i64,
    pub held: BTreeMap<OrderId, i64>,
    pub used: i64,
}

impl Tally {
    /// Apply a move: deltas to free, to held for `order`, to used.
    pub fn apply(&mut self, order: OrderId, free: i64, held: i64, used: i64) {
        self.free += free;
        self.used += used;
        if held != 0 {
            let h = self.held.entry(order).or_insert(0);
            *h += held;
            if *h == 0 {
                self.held.remove(&order);
            }
        }
    }
}

/// The statement over one entity's numbers; None when it holds.
pub fn judge(n: &Names, id: u32, t: &Tally, initial: i64) -> Option<Finding> {
    let held: i64 = t.held.values().sum();
    let total = t.free + held + t.used;
    let (e, free, hname, used) = (n.entity, n.free, n.held, n.used);
    let what = if total != initial {
        format!(
            "{e} {id}: {free} {} + {hname} {held} + {used} {} = {total} ≠ initial {initial}",
            t.free, t.used
        )
    } else if t.free < 0 {
        format!("{e} {id}: {free} {} < 0", t.free)
    } else if let Some((o, q)) = t.held.iter().find(|(_, q)| **q < 0) {
        format!("{e} {id}: {hname} for order {o} is {q} < 0 (released more than was {hname})")
    } else if t.used < 0 {
        format!("{e} {id}: {used} {} < 0", t.used)
    } else {
        return None;
    };
    Some(((n.make)(id), what))
}
