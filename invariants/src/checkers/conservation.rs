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

/// A move between the buckets of one entity for one order: deltas to free, to held for the
/// order, to used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Move {
    pub free: i64,
    pub held: i64,
    pub used: i64,
}

/// One entity's buckets.
#[derive(Default, Clone, Debug)]
pub struct Tally {
    pub free: i64,
    pub held: BTreeMap<OrderId, i64>,
    pub used: i64,
}

impl Tally {
    /// Apply a move for `order`.
    pub fn apply(&mut self, order: OrderId, m: Move) {
        self.free += m.free;
        self.used += m.used;
        if m.held != 0 {
            let h = self.held.entry(order).or_insert(0);
            *h += m.held;
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
