//! Link faults over a run: arming a link fault when its time comes, starting it with the first
//! datagram it touches, ending it, holding datagrams on held links and releasing them shuffled,
//! and healing every link.

use rand::seq::SliceRandom;

use crate::engine::{Engine, Held};
use crate::envelope::Header;
use crate::links::{LinkEffect, Links};
use crate::trace::{EventKind, HostId};

impl Engine {
    pub(crate) fn hold(&self, header: Header, bytes: Vec<u8>) {
        self.held.borrow_mut().push(Held { header, bytes });
    }

    pub(crate) fn held_count(&self) -> usize {
        self.held.borrow().len()
    }

    /// Release every held datagram whose link no longer holds, in shuffled order.
    pub(crate) fn release_unheld(&self) {
        let links = self.links.borrow();
        let mut held = self.held.borrow_mut();
        let (mut go, stay): (Vec<Held>, Vec<Held>) = held
            .drain(..)
            .partition(|h| !links.held(h.header.from, h.header.to));
        *held = stay;
        drop(held);
        drop(links);
        go.shuffle(&mut *self.reorder.borrow_mut());
        for h in go {
            let (uid, from, to) = (h.header.uid, h.header.from, h.header.to);
            self.record(EventKind::Release { uid, from, to });
            self.stats.borrow_mut().released += 1;
            let host = self.host(to);
            host.released
                .borrow_mut()
                .push_back((h.header, h.bytes, true));
            host.wake.notify_one();
        }
    }

    pub(crate) fn start_link_fault(&self, index: u32, effects: Vec<LinkEffect>) {
        self.active.borrow_mut().insert(index, effects);
        self.rebuild_links();
    }

    /// A link fault's time has come: it starts with the first datagram it would touch, so a
    /// fault on a link never starts while that link is idle.
    pub(crate) fn arm_link_fault(&self, index: u32, desc: String, effects: Vec<LinkEffect>) {
        self.armed_links.borrow_mut().push((index, desc, effects));
    }

    /// A datagram is about to go `from -> to`: start every armed link fault that touches it.
    pub(crate) fn start_armed_links(&self, from: HostId, to: HostId) {
        let touches = |e: &LinkEffect| {
            e.blocks(from, to) || e.holds(from, to) || e.loses(from, to) || e.duplicates(from, to)
        };
        let due: Vec<(u32, String, Vec<LinkEffect>)> = {
            let mut armed = self.armed_links.borrow_mut();
            if armed.is_empty() {
                return;
            }
            let (due, wait): (Vec<_>, Vec<_>) = armed
                .drain(..)
                .partition(|(_, _, effects)| effects.iter().any(touches));
            *armed = wait;
            due
        };
        for (index, desc, effects) in due {
            self.record(EventKind::FaultStart { index, desc });
            self.stats.borrow_mut().faults += 1;
            self.started.borrow_mut().push(index);
            self.start_link_fault(index, effects);
        }
    }

    pub(crate) fn end_link_fault(&self, index: u32) {
        if self.active.borrow_mut().remove(&index).is_some() {
            self.rebuild_links();
            self.release_unheld();
        }
    }

    fn rebuild_links(&self) {
        let active = self.active.borrow();
        *self.links.borrow_mut() = Links::from_effects(self.hosts.len(), active.values().flatten());
    }

    /// Heal: every link healthy, every held datagram released, no crash point or boundary
    /// crash armed.
    pub(crate) fn heal_links(&self) -> Vec<u32> {
        let ended: Vec<u32> = self.active.borrow().keys().copied().collect();
        self.active.borrow_mut().clear();
        self.armed_links.borrow_mut().clear();
        self.rebuild_links();
        self.release_unheld();
        self.armed.borrow_mut().clear();
        for h in &self.hosts {
            h.writes.borrow_mut().disarm();
        }
        ended
    }
}
