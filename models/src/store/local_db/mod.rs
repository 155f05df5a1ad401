//! `LocalDb`: one service's database, with the crash semantics of MySQL/InnoDB — its rows,
//! row locks and local transactions, and the reporting every change goes through. Its XA
//! branches (`xa_start` … `xa_recover`) are the `xa` module's.
//!
//! - Local transactions are ACID: writes are private to their transaction until commit, every
//!   written (or read-for-update) row is locked, and a conflicting transaction fails at once
//!   with [`DbError::LockConflict`] naming the row and the holder — never a silent overwrite.
//! - A crash ([`Durable::crashed`]) drops every transaction that is not prepared, with its
//!   locks; committed rows survive, and so do prepared XA branches (unless prepared without
//!   durability, see [`LocalDb::xa_prepare_volatile`]).
//!
//! The database reports to the run's [`Journal`] under the name it is configured with, from
//! inside the call that makes the change (so inside the caller's one `Disk` write):
//! - on commit, the ledger events of the transaction: those its store module attached
//!   (`LocalDb::emit`, visible to store modules only) and those its row reporter derives
//!   from each committed row change ([`LocalDb::on_commit`]); never for a transaction that
//!   rolled back or died in a crash;
//! - every XA branch state: `xa_prepare` → Prepared, `xa_commit` → Committed, `xa_rollback`
//!   → RolledBack (and a branch prepared without durability that a crash forgets → RolledBack);
//! - every error other than a lock conflict, as a `StoreFault`: such an error is a bug of the
//!   caller, never a reason to stay silent.

use std::collections::BTreeMap;
use std::fmt::Debug;

use dtx_invariants::{BranchState, LedgerEvent};
use dtx_sim::Durable;

use crate::journal::Journal;

mod messages;
mod xa;

pub use messages::Mailbox;

/// A local transaction's id (unique per database, across crashes).
pub type TxnId = u64;

/// A global (XA) transaction id: the 2PC transaction this branch belongs to (the order id).
pub type Xid = u64;

/// Derives the ledger events of one committed row change: (key, before, after).
pub type Reporter<K, V> = fn(&str, &K, Option<&V>, Option<&V>) -> Vec<LedgerEvent>;

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

impl DbError {
    /// A lock conflict: the caller may retry; every other error is a bug of the caller.
    pub fn is_lock_conflict(&self) -> bool {
        matches!(self, DbError::LockConflict { .. })
    }
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
struct Txn<K, V> {
    writes: BTreeMap<K, Option<V>>,
    events: Vec<LedgerEvent>,
    xid: Option<Xid>,
    state: State,
    /// Prepared without durability: a crash forgets it (a bug knob's store).
    volatile: bool,
    /// Outbox rows and consumed event ids, kept with the rows on commit ([`messages`]).
    messages: messages::Staged,
}

/// One service's database: rows `K -> V`, reporting to a journal.
#[derive(Clone)]
pub struct LocalDb<K, V> {
    name: String,
    journal: Journal,
    reporter: Option<Reporter<K, V>>,
    rows: BTreeMap<K, V>,
    locks: BTreeMap<K, TxnId>,
    txns: BTreeMap<TxnId, Txn<K, V>>,
    next_txn: TxnId,
    /// The transactional outbox and the consumed-event inbox ([`messages`]).
    mailbox: messages::Mailbox,
}

impl<K: Debug, V: Debug> Debug for LocalDb<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalDb")
            .field("name", &self.name)
            .field("rows", &self.rows)
            .field("locks", &self.locks)
            .field("txns", &self.txns.len())
            .finish()
    }
}

impl<K, V> Default for LocalDb<K, V> {
    fn default() -> Self {
        LocalDb {
            name: String::new(),
            journal: Journal::default(),
            reporter: None,
            rows: BTreeMap::new(),
            locks: BTreeMap::new(),
            txns: BTreeMap::new(),
            next_txn: 1,
            mailbox: messages::Mailbox::default(),
        }
    }
}

impl<K, V> LocalDb<K, V>
where
    K: Ord + Clone + Debug,
    V: Clone,
{
    /// A database holding `rows` (committed, as if loaded before the run).
    pub fn with_rows(rows: impl IntoIterator<Item = (K, V)>) -> Self {
        LocalDb {
            rows: rows.into_iter().collect(),
            ..Self::default()
        }
    }

    /// Report to `journal` as participant (store) `name`.
    pub fn reporting(mut self, name: &str, journal: Journal) -> Self {
        self.name = name.to_string();
        self.journal = journal;
        self
    }

    /// Derive ledger events from every committed row change with `reporter`.
    pub fn on_commit(mut self, reporter: Reporter<K, V>) -> Self {
        self.reporter = Some(reporter);
        self
    }

    /// The name it reports under.
    pub fn name(&self) -> &str {
        &self.name
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

    /// Transactions alive (active, idle or prepared).
    pub fn open_transactions(&self) -> usize {
        self.txns.len()
    }

    // ---- reporting -----------------------------------------------------------------------

    /// Report `error` as a store fault (unless it is a lock conflict) and hand it back.
    fn fault(&self, error: DbError) -> DbError {
        let order = match &error {
            DbError::LockConflict { .. } => return error,
            DbError::NoSuchBranch(x) | DbError::DuplicateXid(x) => Some(*x),
            DbError::BranchState { xid, .. } => Some(*xid),
            DbError::NoSuchTxn(t) | DbError::NotActive { txn: t, .. } => {
                self.txns.get(t).and_then(|t| t.xid)
            }
        };
        self.journal.record(LedgerEvent::StoreFault {
            store: self.name.clone(),
            order,
            error: error.to_string(),
        });
        error
    }

    fn branch_event(&self, xid: Xid, state: BranchState) {
        self.journal.record(LedgerEvent::Branch {
            order: xid,
            participant: self.name.clone(),
            state,
        });
    }

    /// Attach a ledger event to `txn`: reported if and when it commits. Store modules only:
    /// what a change reports is the store's business, never its caller's.
    pub(in crate::store) fn emit(&mut self, txn: TxnId, event: LedgerEvent) -> Result<(), DbError> {
        self.active(txn)?.events.push(event);
        Ok(())
    }

    /// Report `event` now, whatever becomes of the transaction at hand (a refusal with the
    /// numbers it was decided on). Store modules only.
    pub(in crate::store) fn report(&self, event: LedgerEvent) {
        self.journal.record(event);
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
                volatile: false,
                messages: messages::Staged::default(),
            },
        );
        id
    }

    fn active(&mut self, txn: TxnId) -> Result<&mut Txn<K, V>, DbError> {
        let state = match self.txns.get(&txn) {
            None => return Err(self.fault(DbError::NoSuchTxn(txn))),
            Some(t) => t.state,
        };
        if state != State::Active {
            return Err(self.fault(DbError::NotActive {
                txn,
                state: state.name(),
            }));
        }
        Ok(self.txns.get_mut(&txn).expect("checked"))
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

    /// Commit a local transaction: its writes become visible, its locks are released, its
    /// ledger events are reported.
    pub fn commit(&mut self, txn: TxnId) -> Result<(), DbError> {
        let in_branch = match self.txns.get(&txn) {
            None => return Err(self.fault(DbError::NoSuchTxn(txn))),
            Some(t) => t.xid.is_some(),
        };
        if in_branch {
            return Err(self.fault(DbError::NotActive {
                txn,
                state: "an XA branch (use xa_commit)",
            }));
        }
        self.active(txn)?;
        self.apply(txn);
        Ok(())
    }

    /// Roll a transaction back: its writes and events vanish, its locks are released.
    pub fn rollback(&mut self, txn: TxnId) {
        self.txns.remove(&txn);
        self.locks.retain(|_, holder| *holder != txn);
    }

    fn apply(&mut self, txn: TxnId) {
        let t = self.txns.remove(&txn).expect("checked by the caller");
        let mut events = Vec::new();
        for (k, w) in t.writes {
            if let Some(report) = self.reporter {
                events.extend(report(&self.name, &k, self.rows.get(&k), w.as_ref()));
            }
            match w {
                Some(v) => self.rows.insert(k, v),
                None => self.rows.remove(&k),
            };
        }
        self.locks.retain(|_, holder| *holder != txn);
        self.mailbox.keep(t.messages);
        events.extend(t.events);
        self.journal.record_all(events);
    }

    /// Run `work` in one local transaction: commit if it returns Ok, roll back otherwise.
    pub fn transact<R>(
        &mut self,
        work: impl FnOnce(&mut Self, TxnId) -> Result<R, DbError>,
    ) -> Result<R, DbError> {
        let txn = self.begin();
        match work(self, txn) {
            Ok(r) => {
                self.commit(txn)?;
                Ok(r)
            }
            Err(e) => {
                self.rollback(txn);
                Err(e)
            }
        }
    }
}

impl<K, V> Durable for LocalDb<K, V>
where
    K: Ord + Clone + Debug + 'static,
    V: Clone + 'static,
{
    fn crashed(&mut self) {
        let lost: Vec<(TxnId, Option<Xid>)> = self
            .txns
            .iter()
            .filter(|(_, t)| t.state != State::Prepared || t.volatile)
            .map(|(id, t)| (*id, t.xid.filter(|_| t.state == State::Prepared)))
            .collect();
        for (txn, forgotten) in lost {
            self.rollback(txn);
            // A branch that reported Prepared and is gone now was rolled back by the crash.
            if let Some(xid) = forgotten {
                self.branch_event(xid, BranchState::RolledBack);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dtx_invariants::OrderStatus;

    pub(super) type Db = LocalDb<&'static str, i64>;

    pub(super) fn db() -> (Db, Journal) {
        let j = Journal::default();
        (
            LocalDb::with_rows([("a", 10), ("b", 20)]).reporting("stock", j.clone()),
            j,
        )
    }

    /// A stand-in ledger event, told apart by `order`.
    pub(super) fn ev(order: u64) -> LedgerEvent {
        LedgerEvent::OrderStatus {
            order,
            status: OrderStatus::Confirmed,
        }
    }

    pub(super) fn events(j: &Journal) -> Vec<LedgerEvent> {
        j.entries().iter().map(|(_, e)| e.clone()).collect()
    }

    #[test]
    fn commit_survives_a_crash_and_reports_its_events() {
        let (mut d, j) = db();
        d.transact(|d, t| {
            d.put(t, "a", 7)?;
            d.emit(t, ev(7))
        })
        .unwrap();
        assert_eq!(events(&j), vec![ev(7)]);
        d.crashed();
        assert_eq!(d.read(&"a"), Some(&7));
        assert_eq!(events(&j), vec![ev(7)]);
    }

    #[test]
    fn a_row_reporter_sees_every_committed_change_with_its_before_and_after() {
        fn report(store: &str, k: &&str, old: Option<&i64>, new: Option<&i64>) -> Vec<LedgerEvent> {
            vec![LedgerEvent::StoreFault {
                store: store.into(),
                order: None,
                error: format!("{k} {old:?} -> {new:?}"),
            }]
        }
        let (d, j) = db();
        let mut d = d.on_commit(report);
        d.transact(|d, t| {
            d.put(t, "a", 1)?;
            d.delete(t, "b")?;
            d.put(t, "c", 3)
        })
        .unwrap();
        let said: Vec<String> = events(&j)
            .into_iter()
            .map(|e| match e {
                LedgerEvent::StoreFault { error, .. } => error,
                other => panic!("{other}"),
            })
            .collect();
        assert_eq!(
            said,
            vec![
                "a Some(10) -> Some(1)",
                "b Some(20) -> None",
                "c None -> Some(3)"
            ]
        );
        let t = d.begin();
        d.put(t, "a", 5).unwrap();
        d.rollback(t);
        assert_eq!(j.entries().len(), 3, "nothing reported for a rollback");
    }

    #[test]
    fn uncommitted_work_is_invisible_and_lost_in_a_crash() {
        let (mut d, j) = db();
        let t = d.begin();
        d.put(t, "a", 99).unwrap();
        d.emit(t, ev(99)).unwrap();
        assert_eq!(
            d.get(t, &"a"),
            Some(99),
            "a transaction reads its own writes"
        );
        assert_eq!(d.read(&"a"), Some(&10), "others do not");
        d.crashed();
        assert_eq!(d.read(&"a"), Some(&10));
        assert!(events(&j).is_empty(), "no ledger event without commit");
        assert_eq!(d.commit(t), Err(DbError::NoSuchTxn(t)));
        let t2 = d.begin();
        d.put(t2, "a", 1)
            .expect("the crashed transaction's lock is gone");
    }

    #[test]
    fn rollback_leaves_nothing() {
        let (mut d, j) = db();
        let err = d
            .transact(|d, t| {
                d.put(t, "a", 0)?;
                d.emit(t, ev(1))?;
                Err::<(), _>(DbError::LockConflict {
                    key: "x".into(),
                    holder: 0,
                })
            })
            .unwrap_err();
        assert!(err.is_lock_conflict());
        assert_eq!(d.read(&"a"), Some(&10));
        assert!(events(&j).is_empty());
        assert_eq!(d.open_transactions(), 0);
    }

    #[test]
    fn a_conflicting_write_fails_with_the_row_and_the_holder_and_is_no_fault() {
        let (mut d, j) = db();
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
        assert!(
            events(&j).is_empty(),
            "a lock conflict is not a store fault"
        );
    }

    #[test]
    fn every_error_but_a_lock_conflict_is_reported_as_a_store_fault() {
        let (mut d, j) = db();
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
        assert_eq!(d.xa_rollback(9), Err(DbError::NoSuchBranch(9)));
        assert_eq!(d.commit(77), Err(DbError::NoSuchTxn(77)));
        let faults: Vec<(String, Option<u64>, String)> = events(&j)
            .into_iter()
            .map(|e| match e {
                LedgerEvent::StoreFault {
                    store,
                    order,
                    error,
                } => (store, order, error),
                other => panic!("{other}"),
            })
            .collect();
        assert_eq!(faults.len(), 7, "{faults:?}");
        assert!(faults.iter().all(|(s, _, _)| s == "stock"));
        assert_eq!(
            faults[0],
            ("stock".into(), Some(1), "XA branch 1 already exists".into())
        );
        assert_eq!(faults[5].1, Some(9));
        assert_eq!(faults[6].1, None);
        d.xa_commit(1, true).unwrap();
        assert_eq!(
            j.entries().len(),
            8,
            "then the one-phase commit's Committed"
        );
    }
}
