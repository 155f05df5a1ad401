//! XA branches on a [`LocalDb`]: `XA START` / `END` / `PREPARE` / `COMMIT` / `ROLLBACK` /
//! `RECOVER`, as MySQL/InnoDB runs them. A branch is a local transaction tagged with its xid;
//! prepared, it is durable: it survives a crash with its locks held until it is committed or
//! rolled back, and `xa_recover` lists it — unless it was prepared without durability (a bug
//! knob's store), which a crash forgets. Each call reports the branch state it reaches
//! (Prepared, Committed, RolledBack) to the database's journal.

use std::fmt::Debug;

use dtx_invariants::BranchState;

use super::{DbError, LocalDb, State, TxnId, Xid};

impl<K, V> LocalDb<K, V>
where
    K: Ord + Clone + Debug,
    V: Clone,
{
    fn find_branch(&self, xid: Xid) -> Option<(TxnId, State)> {
        self.txns
            .iter()
            .find(|(_, t)| t.xid == Some(xid))
            .map(|(id, t)| (*id, t.state))
    }

    fn branch(&self, xid: Xid) -> Result<(TxnId, State), DbError> {
        self.find_branch(xid)
            .ok_or_else(|| self.fault(DbError::NoSuchBranch(xid)))
    }

    /// `XA START xid`: begin a branch; use the returned transaction for its work.
    pub fn xa_start(&mut self, xid: Xid) -> Result<TxnId, DbError> {
        if self.find_branch(xid).is_some() {
            return Err(self.fault(DbError::DuplicateXid(xid)));
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
    /// Reports the branch Prepared.
    pub fn xa_prepare(&mut self, xid: Xid) -> Result<(), DbError> {
        self.prepare(xid, false)
    }

    /// `XA PREPARE xid` on a store that does not make it durable (a bug knob: the branch
    /// votes yes, and a crash forgets it). Reports the branch Prepared.
    pub fn xa_prepare_volatile(&mut self, xid: Xid) -> Result<(), DbError> {
        self.prepare(xid, true)
    }

    fn prepare(&mut self, xid: Xid, volatile: bool) -> Result<(), DbError> {
        let (txn, state) = self.branch(xid)?;
        self.expect_state(xid, state, State::Idle, "xa_prepare")?;
        let t = self.txns.get_mut(&txn).expect("found");
        t.state = State::Prepared;
        t.volatile = volatile;
        self.branch_event(xid, BranchState::Prepared);
        Ok(())
    }

    /// `XA COMMIT xid [ONE PHASE]`: commit a prepared branch (or an idle one, one-phase).
    /// Reports its ledger events, then the branch Committed.
    pub fn xa_commit(&mut self, xid: Xid, one_pc: bool) -> Result<(), DbError> {
        let (txn, state) = self.branch(xid)?;
        let needs = if one_pc { State::Idle } else { State::Prepared };
        self.expect_state(xid, state, needs, "xa_commit")?;
        self.apply(txn);
        self.branch_event(xid, BranchState::Committed);
        Ok(())
    }

    /// `XA ROLLBACK xid`: undo a branch (idle or prepared). Reports the branch RolledBack.
    pub fn xa_rollback(&mut self, xid: Xid) -> Result<(), DbError> {
        let (txn, state) = self.branch(xid)?;
        if state == State::Active {
            return Err(self.fault(DbError::BranchState {
                xid,
                state: state.name(),
                call: "xa_rollback",
                needs: "idle or prepared",
            }));
        }
        self.rollback(txn);
        self.branch_event(xid, BranchState::RolledBack);
        Ok(())
    }

    /// The state of branch `xid` (`active`, `idle`, `prepared`), if it exists.
    pub fn xa_state(&self, xid: Xid) -> Option<&'static str> {
        self.find_branch(xid).map(|(_, s)| s.name())
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
            Err(self.fault(DbError::BranchState {
                xid,
                state: state.name(),
                call,
                needs: needs.name(),
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{db, ev, events};
    use super::*;
    use dtx_invariants::LedgerEvent;
    use dtx_sim::Durable;

    fn branch(order: u64, state: BranchState) -> LedgerEvent {
        LedgerEvent::Branch {
            order,
            participant: "stock".into(),
            state,
        }
    }

    #[test]
    fn xa_calls_report_their_branch_states() {
        let (mut d, j) = db();
        let t = d.xa_start(42).unwrap();
        d.put(t, "a", 0).unwrap();
        d.emit(t, ev(42)).unwrap();
        d.xa_end(42).unwrap();
        assert!(events(&j).is_empty(), "nothing before prepare");
        d.xa_prepare(42).unwrap();
        assert_eq!(events(&j), vec![branch(42, BranchState::Prepared)]);
        d.xa_commit(42, false).unwrap();
        assert_eq!(
            events(&j),
            vec![
                branch(42, BranchState::Prepared),
                ev(42),
                branch(42, BranchState::Committed)
            ]
        );
        let t = d.xa_start(43).unwrap();
        d.put(t, "b", 0).unwrap();
        d.xa_end(43).unwrap();
        d.xa_prepare(43).unwrap();
        d.xa_rollback(43).unwrap();
        assert_eq!(
            events(&j)[3..],
            [
                branch(43, BranchState::Prepared),
                branch(43, BranchState::RolledBack)
            ]
        );
        assert_eq!(d.read(&"b"), Some(&20));
    }

    #[test]
    fn a_prepared_branch_survives_a_crash_with_its_locks_and_is_recovered() {
        let (mut d, j) = db();
        let t = d.xa_start(42).unwrap();
        d.put(t, "a", 0).unwrap();
        d.emit(t, ev(42)).unwrap();
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
        assert_eq!(events(&j), vec![branch(42, BranchState::Prepared)]);
        d.xa_commit(42, false).unwrap();
        assert_eq!(d.read(&"a"), Some(&0));
        assert!(d.xa_recover().is_empty());
        d.rollback(other);
        let again = d.begin();
        d.put(again, "a", 3).expect("commit released the lock");
    }

    #[test]
    fn a_volatile_prepare_is_forgotten_by_a_crash_which_reports_it_rolled_back() {
        let (mut d, j) = db();
        let t = d.xa_start(5).unwrap();
        d.put(t, "a", 0).unwrap();
        d.xa_end(5).unwrap();
        d.xa_prepare_volatile(5).unwrap();
        assert_eq!(d.xa_recover(), vec![5], "prepared, until a crash");
        d.crashed();
        assert!(d.xa_recover().is_empty());
        assert_eq!(
            events(&j),
            vec![
                branch(5, BranchState::Prepared),
                branch(5, BranchState::RolledBack)
            ]
        );
    }

    #[test]
    fn a_recovered_branch_can_be_rolled_back() {
        let (mut d, _) = db();
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
}
