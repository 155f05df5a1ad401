//! The transactional outbox: events a service must publish, written in the same local
//! transaction as the business change (a service keeps its `Outbox` and its `LocalDb` in one
//! `Disk` and changes both in one write), then published by the relay and marked sent.
//! The relay scans for unsent rows instead of keeping a cursor, so a row that committed late
//! is never skipped; a crash between publish and mark-sent publishes the row again (a
//! duplicate the consumers absorb), never loses it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One outbox row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxRow<P> {
    /// Position in the outbox (commit order of the rows).
    pub seq: u64,
    /// Where it goes.
    pub topic: String,
    /// Its key (the order id).
    pub key: u64,
    /// The event.
    pub payload: P,
    /// The broker acknowledged it and the relay recorded that.
    pub sent: bool,
    /// How many times the relay published it (more than one: a duplicate went out).
    pub publishes: u32,
}

/// The outbox table.
#[derive(Clone, Debug)]
pub struct Outbox<P> {
    rows: BTreeMap<u64, OutboxRow<P>>,
    next: u64,
}

impl<P> Default for Outbox<P> {
    fn default() -> Self {
        Outbox {
            rows: BTreeMap::new(),
            next: 1,
        }
    }
}

impl<P: Clone> Outbox<P> {
    /// Add a row (call inside the same disk write as the business commit).
    pub fn push(&mut self, topic: &str, key: u64, payload: P) -> u64 {
        let seq = self.next;
        self.insert(seq, topic, key, payload);
        seq
    }

    /// Add row `seq`, numbered earlier (a sequence drawn before its transaction committed).
    pub fn insert(&mut self, seq: u64, topic: &str, key: u64, payload: P) {
        self.next = self.next.max(seq + 1);
        self.rows.insert(
            seq,
            OutboxRow {
                seq,
                topic: topic.to_string(),
                key,
                payload,
                sent: false,
                publishes: 0,
            },
        );
    }

    /// The oldest unsent row.
    pub fn next_unsent(&self) -> Option<&OutboxRow<P>> {
        self.rows.values().find(|r| !r.sent)
    }

    /// The oldest unsent row numbered above `cursor` (a relay that keeps a cursor: it never
    /// looks back, so a row that committed after a higher-numbered one was sent is skipped).
    pub fn next_unsent_after(&self, cursor: u64) -> Option<&OutboxRow<P>> {
        self.rows
            .range(cursor + 1..)
            .map(|(_, r)| r)
            .find(|r| !r.sent)
    }

    /// The relay is about to publish row `seq`.
    pub fn publishing(&mut self, seq: u64) {
        if let Some(r) = self.rows.get_mut(&seq) {
            r.publishes += 1;
        }
    }

    /// The broker acknowledged row `seq`.
    pub fn mark_sent(&mut self, seq: u64) {
        if let Some(r) = self.rows.get_mut(&seq) {
            r.sent = true;
        }
    }

    /// Rows not yet sent.
    pub fn unsent(&self) -> usize {
        self.rows.values().filter(|r| !r.sent).count()
    }

    /// Every row.
    pub fn rows(&self) -> impl Iterator<Item = &OutboxRow<P>> {
        self.rows.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_relay_finds_every_unsent_row_in_order() {
        let mut o = Outbox::default();
        let a = o.push("t", 1, "a");
        let b = o.push("t", 2, "b");
        assert_eq!(o.next_unsent().unwrap().seq, a);
        o.publishing(a);
        o.mark_sent(a);
        assert_eq!(o.next_unsent().unwrap().seq, b);
        o.publishing(b);
        // crash before mark_sent: the row is still unsent and goes out again
        assert_eq!(o.next_unsent().unwrap().seq, b);
        o.publishing(b);
        o.mark_sent(b);
        assert_eq!(o.unsent(), 0);
        assert_eq!(
            o.rows().map(|r| r.publishes).collect::<Vec<_>>(),
            vec![1, 2]
        );
    }
}
