//! effects-once: for every (order, participant, op), applied at most once; no cancel without
//! a try before it (empty rollback); no try after a cancel (hanging); never both confirm and
//! cancel of one branch. Checked at every effect event.

use std::collections::{BTreeMap, BTreeSet};

use super::{Finding, SafetyChecker};
use crate::event::{LedgerEvent, Op};
use crate::ids::OrderId;
use crate::invariant::Invariant;
use crate::violation::Entity;

/// The incremental checker.
#[derive(Default, Clone, Debug)]
pub struct EffectsOnce {
    applied: BTreeMap<(OrderId, String), BTreeMap<Op, u32>>,
}

impl SafetyChecker for EffectsOnce {
    fn invariant(&self) -> Invariant {
        Invariant::EffectsOnce
    }

    fn apply(&mut self, event: &LedgerEvent, found: &mut Vec<Finding>) {
        let LedgerEvent::Effect {
            order,
            participant,
            op,
        } = event
        else {
            return;
        };
        let ops = self
            .applied
            .entry((*order, participant.clone()))
            .or_default();
        let seen: BTreeSet<Op> = ops.keys().copied().collect();
        let n = ops.entry(*op).or_insert(0);
        *n += 1;
        let entity = Entity::Effect(*order, participant.clone(), format!("{op:?}"));
        let at = format!("order {order} at {participant}");
        let broken = if *n > 1 {
            Some(format!("{at}: {op:?} applied {n} times"))
        } else if *op == Op::Cancel && !seen.contains(&Op::Try) {
            Some(format!(
                "{at}: Cancel applied with no Try before it (empty rollback)"
            ))
        } else if *op == Op::Try && seen.contains(&Op::Cancel) {
            Some(format!("{at}: Try applied after Cancel (hanging)"))
        } else if (*op == Op::Cancel && seen.contains(&Op::Confirm))
            || (*op == Op::Confirm && seen.contains(&Op::Cancel))
        {
            Some(format!("{at}: both Confirm and Cancel applied"))
        } else {
            None
        };
        found.extend(broken.map(|d| (entity, d)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(op: Op) -> LedgerEvent {
        LedgerEvent::Effect {
            order: 2,
            participant: "stock".into(),
            op,
        }
    }

    fn run(ops: &[Op]) -> Vec<String> {
        let mut c = EffectsOnce::default();
        let mut found = Vec::new();
        for op in ops {
            c.apply(&e(*op), &mut found);
        }
        found.into_iter().map(|(_, d)| d).collect()
    }

    #[test]
    fn try_then_confirm_or_cancel_is_fine() {
        assert!(run(&[Op::Try, Op::Confirm]).is_empty());
        assert!(run(&[Op::Try, Op::Cancel]).is_empty());
    }

    #[test]
    fn each_way_it_breaks() {
        assert_eq!(
            run(&[Op::Try, Op::Confirm, Op::Confirm]),
            vec!["order 2 at stock: Confirm applied 2 times"]
        );
        assert_eq!(
            run(&[Op::Cancel]),
            vec!["order 2 at stock: Cancel applied with no Try before it (empty rollback)"]
        );
        assert_eq!(
            run(&[Op::Try, Op::Cancel, Op::Try]),
            vec!["order 2 at stock: Try applied 2 times"],
            "a second try is caught as a repeat first"
        );
        let mut c = EffectsOnce::default();
        let mut found = Vec::new();
        c.apply(
            &LedgerEvent::Effect {
                order: 3,
                participant: "p".into(),
                op: Op::Try,
            },
            &mut found,
        );
        c.apply(
            &LedgerEvent::Effect {
                order: 3,
                participant: "q".into(),
                op: Op::Cancel,
            },
            &mut found,
        );
        assert_eq!(
            found[0].1,
            "order 3 at q: Cancel applied with no Try before it (empty rollback)"
        );
        assert_eq!(
            run(&[Op::Try, Op::Confirm, Op::Cancel]),
            vec!["order 2 at stock: both Confirm and Cancel applied"]
        );
    }

    #[test]
    fn a_try_after_a_cancel_is_hanging() {
        let mut c = EffectsOnce::default();
        let mut found = Vec::new();
        // The cancel of an order whose try came late: the try lands after the cancel.
        c.applied
            .insert((5, "stock".into()), BTreeMap::from([(Op::Cancel, 1)]));
        c.apply(
            &LedgerEvent::Effect {
                order: 5,
                participant: "stock".into(),
                op: Op::Try,
            },
            &mut found,
        );
        assert_eq!(
            found[0].1,
            "order 5 at stock: Try applied after Cancel (hanging)"
        );
    }
}
