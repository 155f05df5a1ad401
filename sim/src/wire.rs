//! The wire: every datagram on its way to a host, until that host's socket takes it. What is
//! still on the wire to a host when it restarts reaches its new incarnation, as real UDP
//! delivers datagrams in flight to a restarted process (turmoil alone would lose those that
//! arrive before the new process binds its socket); a copy turmoil still brings afterwards
//! is not delivered a second time.

use std::collections::BTreeMap;

use crate::trace::HostId;

/// Datagrams on the wire, per destination host: uid -> (copies, bytes).
#[derive(Debug, Default)]
pub(crate) struct Wire(Vec<BTreeMap<u64, (u32, Vec<u8>)>>);

impl Wire {
    pub(crate) fn new(hosts: usize) -> Self {
        Wire(vec![BTreeMap::new(); hosts])
    }

    /// `copies` copies of datagram `uid` went on the wire to `to`.
    pub(crate) fn put(&mut self, to: HostId, uid: u64, copies: u32, bytes: &[u8]) {
        self.0[usize::from(to.0)]
            .entry(uid)
            .or_insert_with(|| (0, bytes.to_vec()))
            .0 += copies;
    }

    /// A copy of datagram `uid` came off the wire at `to`'s socket. False: that copy already
    /// reached `to`'s new incarnation when it restarted.
    pub(crate) fn take(&mut self, to: HostId, uid: u64) -> bool {
        let map = &mut self.0[usize::from(to.0)];
        match map.get_mut(&uid) {
            None => false,
            Some((n, _)) => {
                *n -= 1;
                if *n == 0 {
                    map.remove(&uid);
                }
                true
            }
        }
    }

    /// How many copies are on the wire to `to`.
    pub(crate) fn count(&self, to: HostId) -> usize {
        self.0[usize::from(to.0)]
            .values()
            .map(|(n, _)| *n as usize)
            .sum()
    }

    /// Everything on the wire to `to`, taken off it (for redelivery at restart), by uid.
    pub(crate) fn drain(&mut self, to: HostId) -> Vec<(u64, u32, Vec<u8>)> {
        std::mem::take(&mut self.0[usize::from(to.0)])
            .into_iter()
            .map(|(uid, (n, bytes))| (uid, n, bytes))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_come_off_once_and_a_drained_datagram_is_not_taken_again() {
        let mut w = Wire::new(2);
        let to = HostId(1);
        w.put(to, 7, 2, b"x");
        w.put(to, 8, 1, b"y");
        assert_eq!(w.count(to), 3);
        assert!(w.take(to, 7));
        assert_eq!(w.count(to), 2);
        let drained = w.drain(to);
        assert_eq!(drained, vec![(7, 1, b"x".to_vec()), (8, 1, b"y".to_vec())]);
        assert!(!w.take(to, 7), "redelivered already");
        assert!(!w.take(to, 8));
        assert_eq!(w.count(to), 0);
    }
}
