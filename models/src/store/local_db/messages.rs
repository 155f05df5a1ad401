//! The messages a `LocalDb` keeps with its rows: a transactional outbox (events to publish,
//! staged by a transaction and kept only if it commits, so the business change and the event
//! that announces it are one local transaction) and an inbox (the ids of the events a consumer
//! has applied, recorded in the same transaction as their effect, so a redelivered event is
//! recognised and ignored). Outbox sequence numbers are drawn like a database sequence: when
//! the row is written, not when its transaction commits — a row can commit after a row with a
//! higher number (a late row), which is why the relay scans for unsent rows.

use std::collections::BTreeSet;
use std::fmt::Debug;

use super::{DbError, LocalDb, TxnId};
use crate::store::outbox::Outbox;
use crate::wire::BusEvent;

/// What a transaction staged: outbox rows (sequence, topic, key, event) and consumed ids.
#[derive(Clone, Debug, Default)]
pub(super) struct Staged {
    rows: Vec<(u64, String, u64, BusEvent)>,
    consumed: Vec<String>,
}

/// The committed outbox and inbox of a database.
#[derive(Clone, Debug, Default)]
pub struct Mailbox {
    outbox: Outbox<BusEvent>,
    inbox: BTreeSet<String>,
    /// The next outbox sequence number (a sequence: never rolled back).
    next_seq: u64,
}

impl Mailbox {
    pub(super) fn keep(&mut self, staged: Staged) {
        for (seq, topic, key, event) in staged.rows {
            self.outbox.insert(seq, &topic, key, event);
        }
        self.inbox.extend(staged.consumed);
    }
}

impl<K, V> LocalDb<K, V>
where
    K: Ord + Clone + Debug,
    V: Clone,
{
    /// Draw the next outbox sequence number (not transactional, like a database sequence).
    pub fn next_outbox_seq(&mut self) -> u64 {
        self.mailbox.next_seq += 1;
        self.mailbox.next_seq
    }

    /// Stage outbox row `seq` (drawn earlier with [`LocalDb::next_outbox_seq`]) in `txn`.
    pub fn publish_at(
        &mut self,
        txn: TxnId,
        seq: u64,
        topic: &str,
        key: u64,
        event: BusEvent,
    ) -> Result<(), DbError> {
        self.active(txn)?
            .messages
            .rows
            .push((seq, topic.to_string(), key, event));
        Ok(())
    }

    /// Stage an outbox row in `txn`, numbered now.
    pub fn publish_in(
        &mut self,
        txn: TxnId,
        topic: &str,
        key: u64,
        event: BusEvent,
    ) -> Result<(), DbError> {
        let seq = self.next_outbox_seq();
        self.publish_at(txn, seq, topic, key, event)
    }

    /// Record event `id` consumed in `txn`: false if it was consumed before (a redelivery).
    pub fn consume_in(&mut self, txn: TxnId, id: &str) -> Result<bool, DbError> {
        if self.consumed(id) {
            return Ok(false);
        }
        let staged = &mut self.active(txn)?.messages.consumed;
        if staged.iter().any(|c| c == id) {
            return Ok(false);
        }
        staged.push(id.to_string());
        Ok(true)
    }

    /// Whether event `id` was consumed (committed).
    pub fn consumed(&self, id: &str) -> bool {
        self.mailbox.inbox.contains(id)
    }

    /// The committed outbox.
    pub fn outbox(&self) -> &Outbox<BusEvent> {
        &self.mailbox.outbox
    }

    /// The committed outbox, for its relay.
    pub fn outbox_mut(&mut self) -> &mut Outbox<BusEvent> {
        &mut self.mailbox.outbox
    }
}

#[cfg(test)]
mod tests {
    use crate::store::local_db::LocalDb;
    use crate::wire::BusEvent;

    fn placed(order: u64) -> BusEvent {
        BusEvent::Step {
            order,
            step: "placed".into(),
            ok: true,
        }
    }

    #[test]
    fn outbox_rows_and_consumed_ids_are_kept_only_if_their_transaction_commits() {
        let mut db: LocalDb<u32, i64> = LocalDb::default();
        let t = db.begin();
        db.put(t, 1, 10).unwrap();
        db.publish_in(t, "orders", 1, placed(1)).unwrap();
        assert!(db.consume_in(t, "e1").unwrap());
        assert!(
            !db.consume_in(t, "e1").unwrap(),
            "seen in the same transaction"
        );
        db.rollback(t);
        assert_eq!(db.outbox().unsent(), 0);
        assert!(!db.consumed("e1"));
        let t = db.begin();
        db.publish_in(t, "orders", 1, placed(1)).unwrap();
        assert!(db.consume_in(t, "e1").unwrap());
        db.commit(t).unwrap();
        assert_eq!(db.outbox().unsent(), 1);
        let t = db.begin();
        assert!(!db.consume_in(t, "e1").unwrap(), "a redelivery");
        db.rollback(t);
    }

    #[test]
    fn a_row_numbered_early_commits_late_and_is_still_unsent() {
        let mut db: LocalDb<u32, i64> = LocalDb::default();
        let early = db.next_outbox_seq();
        let t = db.begin();
        db.publish_in(t, "t", 2, placed(2)).unwrap();
        db.commit(t).unwrap();
        let seq = db.outbox().next_unsent().unwrap().seq;
        db.outbox_mut().mark_sent(seq);
        let t = db.begin();
        db.publish_at(t, early, "t", 1, placed(1)).unwrap();
        db.commit(t).unwrap();
        assert_eq!(db.outbox().next_unsent().unwrap().seq, early);
        assert!(early < seq);
    }
}
