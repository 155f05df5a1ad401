//! Boundary crashes: a host dies right before or right after its n-th durable write (every
//! [`crate::Disk`] write) counted from the instant the fault starts. Writes are synchronous,
//! so two commits with no await between them, or a commit and the sends next to it, are
//! separated only this way: a real process can die between any two fsyncs.
//!
//! The disk counts a host's writes and asks here whether the host dies at this one; the runner
//! arms the fault at its start time and tears the host down at the end of the step.

use serde::{Deserialize, Serialize};

/// Which side of the write the host dies on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Side {
    /// The write does not happen.
    Before,
    /// The write happens; nothing after it does.
    After,
}

impl Side {
    /// "before" or "after".
    pub fn name(self) -> &'static str {
        match self {
            Side::Before => "before",
            Side::After => "after",
        }
    }
}

/// A boundary crash the plan armed on a host.
#[derive(Clone, Debug)]
struct Armed {
    fault: u32,
    nth: u32,
    side: Side,
    downtime_ms: u64,
    seen: u32,
}

/// A host that died at a write boundary and waits for the runner to tear it down.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Died {
    pub fault: u32,
    /// "before its 3rd write", for the trace.
    pub what: String,
    pub downtime_ms: u64,
}

/// One host's durable writes: how many in the run, and the boundary crashes armed on them.
#[derive(Clone, Debug, Default)]
pub(crate) struct Writes {
    /// Writes in the whole run (every incarnation).
    pub total: u64,
    armed: Vec<Armed>,
    pub died: Option<Died>,
}

impl Writes {
    pub(crate) fn arm(&mut self, fault: u32, nth: u32, side: Side, downtime_ms: u64) {
        self.armed.push(Armed {
            fault,
            nth: nth.max(1),
            side,
            downtime_ms,
            seen: 0,
        });
    }

    /// Heal: nothing stays armed.
    pub(crate) fn disarm(&mut self) {
        self.armed.clear();
    }

    /// A write is about to happen: false if the host dies before it.
    pub(crate) fn begin(&mut self) -> bool {
        self.total += 1;
        for a in &mut self.armed {
            a.seen += 1;
        }
        !self.fire(Side::Before)
    }

    /// The write happened: false if the host dies right after it.
    pub(crate) fn end(&mut self) -> bool {
        !self.fire(Side::After)
    }

    fn fire(&mut self, side: Side) -> bool {
        let Some(i) = self
            .armed
            .iter()
            .position(|a| a.side == side && a.seen == a.nth)
        else {
            return false;
        };
        let a = self.armed.remove(i);
        self.died = Some(Died {
            fault: a.fault,
            what: format!("{} its {} write", side.name(), ordinal(a.nth)),
            downtime_ms: a.downtime_ms,
        });
        true
    }
}

/// 1st, 2nd, 3rd, 4th …
pub fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (1, 11) | (2, 12) | (3, 13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dies_before_or_after_the_nth_write_from_arming() {
        let mut w = Writes::default();
        assert!(w.begin() && w.end());
        w.arm(4, 2, Side::Before, 100);
        assert!(w.begin() && w.end(), "first write after arming lives");
        assert!(!w.begin(), "dies before the second");
        assert_eq!(w.died.as_ref().unwrap().what, "before its 2nd write");
        let mut w = Writes::default();
        w.arm(1, 1, Side::After, 100);
        assert!(w.begin());
        assert!(!w.end(), "the write happened, the host died right after");
        assert_eq!(w.died.take().unwrap().what, "after its 1st write");
        assert!(w.begin() && w.end(), "fires once");
        assert_eq!(w.total, 2);
    }

    #[test]
    fn ordinals() {
        let o: Vec<String> = [1, 2, 3, 4, 11, 12, 13, 21, 22].map(ordinal).to_vec();
        assert_eq!(
            o,
            ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd"]
        );
    }
}
