//! `LocalDb`: one service's database, with the crash semantics of MySQL/InnoDB and its XA.
//!
//! - Local transactions are ACID: writes are private to their transaction until commit, every
//!   written (or read-for-update) row is locked, and a conflicting transaction fails at once
//!   with [`DbError::LockConflict`] naming the row and the holder — never a silent overwrite.
//! - A crash ([`Durable::crashed`]) drops every transaction that is not prepared, with its
//!   locks; committed rows survive.
//! - XA branches: `xa_start` / `xa_end` / `xa_prepare` / `xa_commit` / `xa_rollback` /
//!   `xa_recover`. A prepared branch is durable: it survives a crash with its locks held until
//!   it is committed or rolled back, and `xa_recover` lists it.
//! - Ledger events are attached to a transaction and published on commit only, so a rolled
//!   back or crashed transaction leaves no trace in the ledger.

use std::collections::BTreeMap;
use std::fmt::Debug;

use dtx_sim::Durable;

/// A local transaction's id (unique per database, across crashes).
pub type TxnId = u64;

/// A global (XA) transaction id: the 2PC transaction this branch belongs to.
pub type Xid = u64;

/// Why a database operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DbError {
    /// Another transaction holds the row's lock.
    #[error("row {key} is locked by transaction {holder}")]
    LockConflict { key: String, holder: TxnId },
    /// The transaction does not exist (never began, ended, or dropped by a crash).
    #[error("no transaction {0} (ended, or lost in a crash)")]
    NoSuchTxn(TxnId),
    /// The transaction is prepared or ended: it takes no more reads for update or writes.
    #[error("transaction {txn} is {state}, not active")]
    NotActive { txn: TxnId, state: &'static str },
    /// No branch with this xid.
    #[error("no XA branch {0}")]
    NoSuchBranch(Xid),
    /// A branch with this xid already exists.
    #[error("XA branch {0} already exists")]
    DuplicateXid(Xid),
    /// The branch is not in the state the call needs.
    #[error("XA branch {xid} is {state}; {call} needs {needs}")]
    BranchState {
        xid: Xid,
        state: &'static str,
        call: &'static str,
        needs: &'static str,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Active,
    /// XA: `xa_end` called, waiting for prepare (or one-phase commit).
    Idle,
    Prepared,
}

impl State {
    fn name(self) -> &'static str {
        match self {
            State::Active => "active",
            State::Idle => "idle",
            State::Prepared => "prepared",
        }
    }
}

#[derive(Clone, Debug)]
struct Txn<K, V, E> {
    writes: BTreeMap<K, Option<V>>,
    events: Vec<E>,
    xid: Option<Xid>,
    state: State,
}

/// One service's database: rows `K -> V`, ledger events `E`.
#[derive(Clone, Debug)]
pub struct LocalDb<K, V, E> {
    rows: BTreeMap<K, V>,
    locks: BTreeMap<K, TxnId>,
    txns: BTreeMap<TxnId, Txn<K, V, E>>,
    next_txn: TxnId,
    ledger: Vec<E>,
}

impl<K, V, E> Default for LocalDb<K, V, E> {
    fn default() -> Self {
        LocalDb {
            rows: BTreeMap::new(),
            locks: BTreeMap::new(),
            txns: BTreeMap::new(),
            next_txn: 1,
            ledger: Vec::new(),
        }
    }
}

impl<K, V, E> LocalDb<K, V, E>
where
    K: Ord + Clone + Debug,
    V: Clone,
    E: Clone,
{
    /// A database holding `rows` (committed, as if loaded before the run).
    pub fn with_rows(rows: impl IntoIterator<Item = (K, V)>) -> Self {
        LocalDb {
            rows: rows.into_iter().collect(),
            ..Self::default()
        }
    }

    // ---- committed view ------------------------------------------------------------------

    /// A committed row.
    pub fn read(&self, key: &K) -> Option<&V> {
        self.rows.get(key)
    }

    /// Every committed row, in key order.
    pub fn rows(&self) -> impl Iterator<Item = (&K, &V)> {
        self.rows.iter()
    }

    /// Every ledger event committed so far, in commit order.
    pub fn ledger(&self) -> &[E] {
        &self.ledger
    }

    /// Transactions alive (active, idle or prepared).
    pub fn open_transactions(&self) -> usize {
        self.txns.len()
    }

    // ---- local transactions --------------------------------------------------------------

    /// Begin a local transaction.
    pub fn begin(&mut self) -> TxnId {
        let id = self.next_txn;
        self.next_txn += 1;
        self.txns.insert(
            id,
            Txn {
                writes: BTreeMap::new(),
                events: Vec::new(),
                xid: None,
                state: State::Active,
            },
        );
        id
    }

    fn active(&mut self, txn: TxnId) -> Result<&mut Txn<K, V, E>, DbError> {
        let t = self.txns.get_mut(&txn).ok_or(DbError::NoSuchTxn(txn))?;
        if t.state != State::Active {
            return Err(DbError::NotActive {
                txn,
                state: t.state.name(),
            });
        }
        Ok(t)
    }

    fn lock(&mut self, txn: TxnId, key: &K) -> Result<(), DbError> {
        self.active(txn)?;
        match self.locks.get(key) {
            Some(&holder) if holder != txn => Err(DbError::LockConflict {
                key: format!("{key:?}"),
                holder,
            }),
            Some(_) => Ok(()),
            None => {
                self.locks.insert(key.clone(), txn);
                Ok(())
            }
        }
    }

    /// Read a row as `txn` sees it (its own writes first), without locking.
    pub fn get(&self, txn: TxnId, key: &K) -> Option<V> {
        if let Some(t) = self.txns.get(&txn) {
            if let Some(w) = t.writes.get(key) {
                return w.clone();
            }
        }
        self.rows.get(key).cloned()
    }

    /// Read a row and lock it for the rest of the transaction (`SELECT … FOR UPDATE`).
    pub fn get_for_update(&mut self, txn: TxnId, key: &K) -> Result<Option<V>, DbError> {
        self.lock(txn, key)?;
        Ok(self.get(txn, key))
    }

    /// Write a row (locks it).
    pub fn put(&mut self, txn: TxnId, key: K, value: V) -> Result<(), DbError> {
        self.lock(txn, &key)?;
        self.active(txn)?.writes.insert(key, Some(value));
        Ok(())
    }

    /// Delete a row (locks it).
    pub fn delete(&mut self, txn: TxnId, key: K) -> Result<(), DbError> {
        self.lock(txn, &key)?;
        self.active(txn)?.writes.insert(key, None);
        Ok(())
    }

    /// Attach a ledger event to `txn`: published if and when it commits.
    pub fn emit(&mut self, txn: TxnId, event: E) -> Result<(), DbError> {
        self.active(txn)?.events.push(event);
        Ok(())
    }

    /// Commit a local transaction: its writes become visible, its locks are released, its
    /// ledger events are published (and returned).
    pub fn commit(&mut self, txn: TxnId) -> Result<Vec<E>, DbError> {
        let t = self.txns.get(&txn).ok_or(DbError::NoSuchTxn(txn))?;
        if t.xid.is_some() {
            return Err(DbError::NotActive {
                txn,
                state: "an XA branch (use xa_commit)",
            });
        }
        self.active(txn)?;
        Ok(self.apply(txn))
    }

    /// Roll a transaction back: its writes and events vanish, its locks are released.
    pub fn rollback(&mut self, txn: TxnId) {
        self.txns.remove(&txn);
        self.locks.retain(|_, holder| *holder != txn);
    }

    fn apply(&mut self, txn: TxnId) -> Vec<E> {
        let t = self.txns.remove(&txn).expect("checked by the caller");
        for (k, w) in t.writes {
            match w {
                Some(v) => self.rows.insert(k, v),
                None => self.rows.remove(&k),
            };
        }
        self.locks.retain(|_, holder| *holder != txn);
        self.ledger.extend(t.events.iter().cloned());
        t.events
    }

    /// Run `work` in one local transaction: commit if it returns Ok, roll back otherwise.
    pub fn transact<R>(
        &mut self,
        work: impl FnOnce(&mut Self, TxnId) -> Result<R, DbError>,
    ) -> Result<(R, Vec<E>), DbError> {
        let txn = self.begin();
        match work(self, txn) {
            Ok(r) => Ok((r, self.commit(txn)?)),
            Err(e) => {
                self.rollback(txn);
                Err(e)
            }
        }
    }

    // ---- XA ------------------------------------------------------------------------------

    fn branch(&self, xid: Xid) -> Result<(TxnId, State), DbError> {
        self.txns
            .iter()
            .find(|(_, t)| t.xid == Some(xid))
            .map(|(id, t)| (*id, t.state))
            .ok_or(DbError::NoSuchBranch(xid))
    }

    /// `XA START xid`: begin a branch; use the returned transaction for its work.
    pub fn xa_start(&mut self, xid: Xid) -> Result<TxnId, DbError> {
        if self.branch(xid).is_ok() {
            return Err(DbError::DuplicateXid(xid));
        }
        let txn = self.begin();
        self.txns.get_mut(&txn).expect("just begun").xid = Some(xid);
        Ok(txn)
    }

    /// `XA END xid`: the branch's work is done.
    pub fn xa_end(&mut self, xid: Xid) -> Result<(), DbError> {
        let (txn, state) = self.branch(xid)?;
        self.expect_state(xid, state, State::Active, "xa_end")?;
        self.txns.get_mut(&txn).expect("found").state = State::Idle;
        Ok(())
    }

    /// `XA PREPARE xid`: the branch becomes durable, keeping its locks across crashes.
    pub fn xa_prepare(&mut self, xid: Xid) -> Result<(), DbError> {
        let (txn, state) = self.branch(xid)?;
        self.expect_state(xid, state, State::Idle, "xa_prepare")?;
        self.txns.get_mut(&txn).expect("found").state = State::Prepared;
        Ok(())
    }

    /// `XA COMMIT xid [ONE PHASE]`: commit a prepared branch (or an idle one, one-phase).
    pub fn xa_commit(&mut self, xid: Xid, one_pc: bool) -> Result<Vec<E>, DbError> {
        let (txn, state) = self.branch(xid)?;
        let needs = if one_pc { State::Idle } else { State::Prepared };
        self.expect_state(xid, state, needs, "xa_commit")?;
        Ok(self.apply(txn))
    }

    /// `XA ROLLBACK xid`: undo a branch (idle or prepared).
    pub fn xa_rollback(&mut self, xid: Xid) -> Result<(), DbError> {
        let (txn, state) = self.branch(xid)?;
        if state == State::Active {
            return Err(DbError::BranchState {
                xid,
                state: state.name(),
                call: "xa_rollback",
                needs: "idle or prepared",
            });
        }
        self.rollback(txn);
        Ok(())
    }

    /// The state of branch `xid` (`active`, `idle`, `prepared`), if it exists.
    pub fn xa_state(&self, xid: Xid) -> Option<&'static str> {
        self.branch(xid).ok().map(|(_, s)| s.name())
    }

    /// `XA RECOVER`: every prepared branch, by xid.
    pub fn xa_recover(&self) -> Vec<Xid> {
        self.txns
            .values()
            .filter(|t| t.state == State::Prepared)
            .filter_map(|t| t.xid)
            .collect()
    }

    fn expect_state(
        &self,
        xid: Xid,
        state: State,
        needs: State,
        call: &'static str,
    ) -> Result<(), DbError> {
        if state == needs {
            Ok(())
        } else {
            Err(DbError::BranchState {
                xid,
                state: state.name(),
                call,
                needs: needs.name(),
            })
        }
    }
}

impl<K, V, E> Durable for LocalDb<K, V, E>
where
    K: Ord + Clone + Debug + 'static,
    V: Clone + 'static,
    E: Clone + 'static,
{
    fn crashed(&mut self) {
        let lost: Vec<TxnId> = self
            .txns
            .iter()
            .filter(|(_, t)| t.state != State::Prepared)
            .map(|(id, _)| *id)
            .collect();
        for txn in lost {
            self.rollback(txn);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Db = LocalDb<&'static str, i64, &'static str>;

    fn db() -> Db {
        LocalDb::with_rows([("a", 10), ("b", 20)])
    }

    #[test]
    fn commit_survives_a_crash_and_publishes_its_events() {
        let mut d = db();
        let ((), events) = d
            .transact(|d, t| {
                d.put(t, "a", 7)?;
                d.emit(t, "a=7")
            })
            .unwrap();
        assert_eq!(events, vec!["a=7"]);
        d.crashed();
        assert_eq!(d.read(&"a"), Some(&7));
        assert_eq!(d.ledger(), &["a=7"]);
    }

    #[test]
    fn uncommitted_work_is_invisible_and_lost_in_a_crash() {
        let mut d = db();
        let t = d.begin();
        d.put(t, "a", 99).unwrap();
        d.emit(t, "a=99").unwrap();
        assert_eq!(
            d.get(t, &"a"),
            Some(99),
            "a transaction reads its own writes"
        );
        assert_eq!(d.read(&"a"), Some(&10), "others do not");
        d.crashed();
        assert_eq!(d.read(&"a"), Some(&10));
        assert!(d.ledger().is_empty(), "no ledger event without commit");
        assert_eq!(d.commit(t), Err(DbError::NoSuchTxn(t)));
        let t2 = d.begin();
        d.put(t2, "a", 1)
            .expect("the crashed transaction's lock is gone");
    }

    #[test]
    fn rollback_leaves_nothing() {
        let mut d = db();
        let err = d
            .transact(|d, t| {
                d.put(t, "a", 0)?;
                d.emit(t, "x")?;
                Err::<(), _>(DbError::NoSuchBranch(0))
            })
            .unwrap_err();
        assert_eq!(err, DbError::NoSuchBranch(0));
        assert_eq!(d.read(&"a"), Some(&10));
        assert!(d.ledger().is_empty());
        assert_eq!(d.open_transactions(), 0);
    }

    #[test]
    fn a_conflicting_write_fails_with_the_row_and_the_holder() {
        let mut d = db();
        let t1 = d.begin();
        let t2 = d.begin();
        d.get_for_update(t1, &"a").unwrap();
        let err = d.put(t2, "a", 5).unwrap_err();
        assert_eq!(
            err,
            DbError::LockConflict {
                key: "\"a\"".into(),
                holder: t1
            }
        );
        assert!(err.to_string().contains("locked by transaction"));
        d.put(t2, "b", 5).unwrap();
        d.commit(t1).unwrap();
        d.put(t2, "a", 5).expect("lock released by commit");
        d.commit(t2).unwrap();
        assert_eq!((d.read(&"a"), d.read(&"b")), (Some(&5), Some(&5)));
    }

    #[test]
    fn a_prepared_branch_survives_a_crash_with_its_locks_and_is_recovered() {
        let mut d = db();
        let t = d.xa_start(42).unwrap();
        d.put(t, "a", 0).unwrap();
        d.emit(t, "a=0").unwrap();
        d.xa_end(42).unwrap();
        d.xa_prepare(42).unwrap();
        let idle = d.xa_start(43).unwrap();
        d.put(idle, "b", 0).unwrap();
        d.crashed();
        assert_eq!(
            d.xa_recover(),
            vec![42],
            "only the prepared branch survives"
        );
        let other = d.begin();
        assert!(
            matches!(d.put(other, "a", 1), Err(DbError::LockConflict { holder, .. }) if holder == t)
        );
        d.put(other, "b", 1)
            .expect("the unprepared branch's lock died with it");
        assert_eq!(d.read(&"a"), Some(&10), "prepared is not committed");
        assert!(d.ledger().is_empty());
        assert_eq!(d.xa_commit(42, false).unwrap(), vec!["a=0"]);
        assert_eq!(d.read(&"a"), Some(&0));
        assert!(d.xa_recover().is_empty());
        d.rollback(other);
        let again = d.begin();
        d.put(again, "a", 3).expect("commit released the lock");
    }

    #[test]
    fn a_recovered_branch_can_be_rolled_back() {
        let mut d = db();
        let t = d.xa_start(7).unwrap();
        d.put(t, "b", 0).unwrap();
        d.xa_end(7).unwrap();
        d.xa_prepare(7).unwrap();
        d.crashed();
        assert_eq!(d.xa_recover(), vec![7]);
        d.xa_rollback(7).unwrap();
        assert_eq!(d.read(&"b"), Some(&20));
        assert!(d.xa_recover().is_empty());
        assert_eq!(d.xa_rollback(7), Err(DbError::NoSuchBranch(7)));
    }

    #[test]
    fn xa_calls_out_of_order_are_refused() {
        let mut d = db();
        let t = d.xa_start(1).unwrap();
        assert_eq!(d.xa_start(1), Err(DbError::DuplicateXid(1)));
        assert!(matches!(d.xa_prepare(1), Err(DbError::BranchState { .. })));
        assert!(matches!(
            d.xa_commit(1, false),
            Err(DbError::BranchState { .. })
        ));
        assert!(d.commit(t).is_err(), "an XA branch does not commit locally");
        d.xa_end(1).unwrap();
        assert!(matches!(d.put(t, "a", 1), Err(DbError::NotActive { .. })));
        assert_eq!(d.xa_commit(1, true).unwrap(), Vec::<&str>::new());
    }
}
