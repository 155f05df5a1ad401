//! The lock host's key store: keys with an owner, an optional expiry (simulated ms) and the
//! fencing token of the take that set them; set-if-absent (a key whose lease has expired is
//! absent), get, delete, delete-if-owner; a counter that hands every successful take a greater
//! token. Durable (see the doc of [`LockStore`]). Reports every take and every removal to the
//! run's journal in the same write.

use std::collections::{BTreeMap, BTreeSet};

use dtx_invariants::LedgerEvent;
use dtx_sim::Durable;

use crate::journal::Journal;

/// One key's holding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holding {
    pub owner: String,
    /// The fencing token of the take that set it.
    pub token: u64,
    /// End of the lease (simulated ms); none: it never expires.
    pub expires_at_ms: Option<u64>,
}

impl Holding {
    /// Whether its lease still runs at `now_ms` (it has expired at `expires_at_ms` exactly).
    pub fn live_at(&self, now_ms: u64) -> bool {
        self.expires_at_ms.is_none_or(|end| end > now_ms)
    }
}

/// The key store.
///
/// Durable: the keys and the token counter survive a crash of the lock host, as they do in
/// Redis run with `appendonly yes` and `appendfsync always` (every command is on disk before
/// it is answered). Both matter. A store that forgot its counter would hand out old tokens
/// again, and the stores' fences, which refuse only a token older than one they have seen,
/// would wave a stale holder through. A store that forgot its keys would let a second worker
/// in while the first still holds the lock. Every call is applied whole in one durable write,
/// so a crash has nothing uncommitted to drop.
#[derive(Clone, Debug, Default)]
pub struct LockStore {
    journal: Journal,
    keys: BTreeMap<String, Holding>,
    /// The last token handed out (0: none yet).
    tokens: u64,
    /// Owners whose holding is over (released, deleted, or replaced once its lease ran out).
    /// Each take names an owner of its own (see `services::guard`), so a take by one of them
    /// is a late duplicate of a take that already ran its course — a datagram the network
    /// delayed or duplicated — and is refused: granted, it would hold the lock for no one.
    spent: BTreeSet<String>,
}

impl Durable for LockStore {
    // Every call is applied atomically: a crash loses nothing that was answered.
    fn crashed(&mut self) {}
}

impl LockStore {
    /// An empty store reporting to `journal`.
    pub fn new(journal: Journal) -> Self {
        LockStore {
            journal,
            ..LockStore::default()
        }
    }

    /// Set `key` for `owner` at `now_ms` if it is absent or its lease has expired
    /// (`expires_at_ms` ≤ `now_ms`), with a lease of `lease_ms` (none: it never expires), under
    /// the next token. Ok((token, whether an unreleased holding whose lease had expired was
    /// replaced)); Err(the holder) when another owner holds it. A take by the owner of a live
    /// holding (a retry whose first answer was lost) is answered with the holding's token and
    /// changes nothing: no new token, no longer lease, nothing reported.
    pub fn take(
        &mut self,
        key: &str,
        owner: &str,
        lease_ms: Option<u64>,
        now_ms: u64,
    ) -> Result<(u64, bool), String> {
        if self.spent.contains(owner) {
            return Err(owner.to_string());
        }
        let expired = match self.keys.get(key) {
            Some(h) if h.live_at(now_ms) && h.owner == owner => return Ok((h.token, false)),
            Some(h) if h.live_at(now_ms) => return Err(h.owner.clone()),
            Some(_) => true,
            None => false,
        };
        self.tokens += 1;
        let holding = Holding {
            owner: owner.to_string(),
            token: self.tokens,
            expires_at_ms: lease_ms.map(|l| now_ms.saturating_add(l)),
        };
        if let Some(old) = self.keys.get(key) {
            self.spent.insert(old.owner.clone());
        }
        self.journal.record(LedgerEvent::LockTaken {
            key: key.to_string(),
            owner: owner.to_string(),
            token: holding.token,
            at_ms: now_ms,
            expires_at_ms: holding.expires_at_ms,
        });
        self.keys.insert(key.to_string(), holding);
        Ok((self.tokens, expired))
    }

    /// Remove `key` if `owner` holds it (delete-if-owner); whether it did. A holding whose
    /// lease has expired is still its owner's until another takes the key, so its owner may
    /// remove it too.
    pub fn release(&mut self, key: &str, owner: &str, now_ms: u64) -> bool {
        if self.keys.get(key).is_none_or(|h| h.owner != owner) {
            return false;
        }
        self.remove(key, owner, now_ms)
    }

    /// Remove whatever holding `key` has, whoever holds it, at `by`'s request (Redis `DEL`);
    /// whether there was one.
    pub fn delete(&mut self, key: &str, by: &str, now_ms: u64) -> bool {
        self.remove(key, by, now_ms)
    }

    /// Remove `key`'s holding. Only the removal of a live holding is reported: one whose lease
    /// has run out freed the lock already (a take would have replaced it), and its late
    /// release — a holder that was cut off from the lock host, say — changes nothing.
    fn remove(&mut self, key: &str, by: &str, now_ms: u64) -> bool {
        let Some(h) = self.keys.remove(key) else {
            return false;
        };
        self.spent.insert(h.owner.clone());
        if !h.live_at(now_ms) {
            return true;
        }
        self.journal.record(LedgerEvent::LockReleased {
            key: key.to_string(),
            by: by.to_string(),
            owner: h.owner,
            token: h.token,
            at_ms: now_ms,
        });
        true
    }

    /// The live holding of `key` at `now_ms`: (owner, token).
    pub fn get(&self, key: &str, now_ms: u64) -> Option<(String, u64)> {
        self.keys
            .get(key)
            .filter(|h| h.live_at(now_ms))
            .map(|h| (h.owner.clone(), h.token))
    }

    /// Every key's holding, live or expired (for snapshots and tests).
    pub fn holdings(&self) -> &BTreeMap<String, Holding> {
        &self.keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dtx_invariants::{Invariant, Monitor};

    const K: &str = "order-1";

    fn store() -> (LockStore, Journal) {
        let journal = Journal::default();
        (LockStore::new(journal.clone()), journal)
    }

    fn events(journal: &Journal) -> Vec<LedgerEvent> {
        journal.entries().iter().map(|(_, e)| e.clone()).collect()
    }

    /// The invariants the journal's events break, as the run's monitor sees them.
    fn broken(journal: &Journal) -> Vec<Invariant> {
        let mut m = Monitor::new(&BTreeMap::new(), &BTreeMap::new());
        for (at, e) in journal.entries().iter() {
            m.apply(*at, e);
        }
        m.violations().iter().map(|v| v.invariant).collect()
    }

    fn taken(owner: &str, token: u64, at_ms: u64, expires_at_ms: Option<u64>) -> LedgerEvent {
        LedgerEvent::LockTaken {
            key: K.into(),
            owner: owner.into(),
            token,
            at_ms,
            expires_at_ms,
        }
    }

    fn released(by: &str, owner: &str, token: u64, at_ms: u64) -> LedgerEvent {
        LedgerEvent::LockReleased {
            key: K.into(),
            by: by.into(),
            owner: owner.into(),
            token,
            at_ms,
        }
    }

    #[test]
    fn a_free_key_is_taken_under_ever_greater_tokens() {
        let (mut s, j) = store();
        assert_eq!(s.take(K, "w1", Some(3_000), 10), Ok((1, false)));
        assert!(s.release(K, "w1", 20));
        assert_eq!(s.take(K, "w2", None, 30), Ok((2, false)));
        assert_eq!(s.take("order-2", "w3", Some(5), 40), Ok((3, false)));
        assert_eq!(
            events(&j),
            vec![
                taken("w1", 1, 10, Some(3_010)),
                released("w1", "w1", 1, 20),
                taken("w2", 2, 30, None),
                LedgerEvent::LockTaken {
                    key: "order-2".into(),
                    owner: "w3".into(),
                    token: 3,
                    at_ms: 40,
                    expires_at_ms: Some(45),
                },
            ]
        );
    }

    #[test]
    fn a_held_key_is_refused_with_its_holder_until_its_lease_expires() {
        let (mut s, j) = store();
        assert_eq!(s.take(K, "w1", Some(3_000), 0), Ok((1, false)));
        assert_eq!(s.take(K, "w2", Some(3_000), 2_999), Err("w1".into()));
        // Expired at the end of the lease exactly; w1 never released: the take replaces it.
        assert_eq!(s.take(K, "w2", Some(3_000), 3_000), Ok((2, true)));
        assert_eq!(
            events(&j),
            vec![
                taken("w1", 1, 0, Some(3_000)),
                taken("w2", 2, 3_000, Some(6_000))
            ]
        );
    }

    #[test]
    fn a_key_without_expiry_is_held_forever() {
        let (mut s, _) = store();
        assert_eq!(s.take(K, "w1", None, 0), Ok((1, false)));
        assert_eq!(s.take(K, "w2", None, u64::MAX), Err("w1".into()));
        assert_eq!(s.get(K, u64::MAX), Some(("w1".into(), 1)));
    }

    #[test]
    fn a_retried_take_of_the_live_holder_gets_its_token_again_and_changes_nothing() {
        let (mut s, j) = store();
        assert_eq!(s.take(K, "w1", Some(3_000), 0), Ok((1, false)));
        assert_eq!(s.take(K, "w1", Some(3_000), 1_000), Ok((1, false)));
        assert_eq!(events(&j), vec![taken("w1", 1, 0, Some(3_000))]);
        // The lease was not extended: at its end the key is free again.
        assert_eq!(s.get(K, 3_000), None);
        // A take of the same owner after its own lease expired is a new take.
        assert_eq!(s.take(K, "w1", Some(3_000), 3_000), Ok((2, true)));
        assert_eq!(events(&j).len(), 2);
    }

    #[test]
    fn release_removes_only_the_holders_key() {
        let (mut s, j) = store();
        assert!(!s.release(K, "w1", 0), "nothing to release");
        s.take(K, "w1", Some(3_000), 0).unwrap();
        assert!(!s.release(K, "w2", 10), "w2 does not hold it");
        assert_eq!(s.get(K, 10), Some(("w1".into(), 1)));
        assert!(s.release(K, "w1", 20));
        assert!(!s.release(K, "w1", 30), "already released");
        assert_eq!(s.get(K, 30), None);
        assert_eq!(
            events(&j),
            vec![taken("w1", 1, 0, Some(3_000)), released("w1", "w1", 1, 20)]
        );
    }

    #[test]
    fn a_late_duplicate_of_a_take_whose_holding_is_over_is_refused() {
        let (mut s, j) = store();
        s.take(K, "w1", Some(100), 0).unwrap();
        assert!(s.release(K, "w1", 50));
        assert_eq!(s.take(K, "w1", Some(100), 60), Err("w1".into()));
        s.take(K, "w2", Some(100), 70).unwrap();
        // w2's lease runs out and w3 takes over: w2's take is over too.
        s.take(K, "w3", Some(100), 200).unwrap();
        assert_eq!(s.take(K, "w2", Some(100), 400), Err("w2".into()));
        assert_eq!(
            events(&j).len(),
            4,
            "two takes, a release, a take; nothing for the refusals"
        );
    }

    #[test]
    fn an_expired_holding_is_still_its_owners_to_release_until_another_takes_it() {
        let (mut s, j) = store();
        s.take(K, "w1", Some(100), 0).unwrap();
        assert!(s.release(K, "w1", 500));
        s.take(K, "w1b", Some(100), 600).unwrap();
        s.take(K, "w2", Some(100), 800).unwrap();
        assert!(!s.release(K, "w1b", 850), "w2's now");
        assert_eq!(s.get(K, 850), Some(("w2".into(), 3)));
        // The release of a holding whose lease ran out is not reported: the lock was free.
        assert_eq!(events(&j)[1], taken("w1b", 2, 600, Some(700)));
        assert_eq!(events(&j).len(), 3);
        assert!(broken(&j).is_empty());
    }

    #[test]
    fn delete_removes_whoever_holds_it_and_says_whose_it_was() {
        let (mut s, j) = store();
        assert!(!s.delete(K, "w1", 0), "nothing to delete");
        s.take(K, "w2", Some(3_000), 0).unwrap();
        assert!(s.delete(K, "w1", 10));
        assert_eq!(s.get(K, 10), None);
        assert_eq!(s.take(K, "w3", Some(3_000), 20), Ok((2, false)));
        assert_eq!(
            events(&j),
            vec![
                taken("w2", 1, 0, Some(3_000)),
                released("w1", "w2", 1, 10),
                taken("w3", 2, 20, Some(3_020)),
            ]
        );
        assert_eq!(broken(&j), [Invariant::LockExclusive]);
    }

    #[test]
    fn get_sees_only_a_live_holding() {
        let (mut s, _) = store();
        assert_eq!(s.get(K, 0), None);
        s.take(K, "w1", Some(100), 0).unwrap();
        assert_eq!(s.get(K, 99), Some(("w1".into(), 1)));
        assert_eq!(s.get(K, 100), None);
        assert_eq!(
            s.holdings()[K].owner,
            "w1",
            "kept until replaced or removed"
        );
    }
}
