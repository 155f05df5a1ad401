//! The broker's books: a durable, append-only log per topic and committed offsets per
//! consumer group — Kafka's shape with one partition per topic, so order per key (indeed
//! total order) is preserved. Delivery is at least once: a consumer reads from its group's
//! committed offset, so whatever it read but did not commit before crashing comes again.

use std::collections::BTreeMap;

use dtx_sim::Durable;
use serde::{Deserialize, Serialize};

/// One record of a topic.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record<P> {
    /// Position in the topic, from 0.
    pub offset: u64,
    /// The key the producer gave (an order id, say).
    pub key: u64,
    /// The event.
    pub payload: P,
}

/// Topics and consumer offsets.
#[derive(Clone, Debug)]
pub struct TopicLog<P> {
    topics: BTreeMap<String, Vec<Record<P>>>,
    offsets: BTreeMap<(String, String), u64>,
}

impl<P> Default for TopicLog<P> {
    fn default() -> Self {
        TopicLog {
            topics: BTreeMap::new(),
            offsets: BTreeMap::new(),
        }
    }
}

impl<P: 'static> Durable for TopicLog<P> {
    // Appends and offset commits are atomic: nothing acknowledged is lost.
    fn crashed(&mut self) {}
}

impl<P: Clone> TopicLog<P> {
    /// Append to `topic`; returns the record's offset.
    pub fn append(&mut self, topic: &str, key: u64, payload: P) -> u64 {
        let log = self.topics.entry(topic.to_string()).or_default();
        let offset = log.len() as u64;
        log.push(Record {
            offset,
            key,
            payload,
        });
        offset
    }

    /// Up to `max` records of `topic` from `group`'s committed offset on.
    pub fn fetch(&self, group: &str, topic: &str, max: usize) -> Vec<Record<P>> {
        let from = self.committed(group, topic) as usize;
        self.topics
            .get(topic)
            .map(|log| log.iter().skip(from).take(max).cloned().collect())
            .unwrap_or_default()
    }

    /// `group` has processed everything before `offset` (commits never move backwards).
    pub fn commit(&mut self, group: &str, topic: &str, offset: u64) {
        let at = self
            .offsets
            .entry((group.to_string(), topic.to_string()))
            .or_insert(0);
        *at = (*at).max(offset);
    }

    /// `group`'s committed offset in `topic`.
    pub fn committed(&self, group: &str, topic: &str) -> u64 {
        self.offsets
            .get(&(group.to_string(), topic.to_string()))
            .copied()
            .unwrap_or(0)
    }

    /// Every record of `topic`.
    pub fn records(&self, topic: &str) -> &[Record<P>] {
        self.topics.get(topic).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Records of `topic` that `group` has not committed past.
    pub fn lag(&self, group: &str, topic: &str) -> u64 {
        (self.records(topic).len() as u64).saturating_sub(self.committed(group, topic))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_consumer_that_crashes_before_committing_gets_the_records_again() {
        let mut log = TopicLog::default();
        for k in 0..3 {
            log.append("orders", k, format!("placed {k}"));
        }
        let first = log.fetch("stock", "orders", 10);
        assert_eq!(first.len(), 3);
        log.commit("stock", "orders", 1); // processed record 0, then crashed
        log.crashed();
        let again = log.fetch("stock", "orders", 10);
        assert_eq!(
            again,
            first[1..].to_vec(),
            "records 1 and 2 are redelivered"
        );
        assert_eq!(log.lag("stock", "orders"), 2);
        assert_eq!(
            log.fetch("points", "orders", 10).len(),
            3,
            "groups are independent"
        );
    }

    #[test]
    fn order_per_key_is_preserved_and_commits_never_go_back() {
        let mut log = TopicLog::default();
        for (k, e) in [
            (1, "reserve"),
            (2, "reserve"),
            (1, "cancel"),
            (2, "confirm"),
        ] {
            log.append("t", k, e);
        }
        let of = |key| -> Vec<&str> {
            log.fetch("g", "t", 10)
                .into_iter()
                .filter(|r| r.key == key)
                .map(|r| r.payload)
                .collect()
        };
        assert_eq!(of(1), vec!["reserve", "cancel"]);
        assert_eq!(of(2), vec!["reserve", "confirm"]);
        log.commit("g", "t", 3);
        log.commit("g", "t", 1);
        assert_eq!(log.committed("g", "t"), 3);
    }
}
