//! Quiescence, from state and not from silence: a run is quiescent when every client is done,
//! nothing is held on the network or queued for a host's code, and the scenario says its
//! state is settled ([`crate::Scenario::busy`] is empty). Datagrams in flight do not block it:
//! background loops (relays, resolvers) may keep polling. After the verdict the engine steps a
//! tail; whatever the system commits in it is the scenario's `settled` violation.
//!
//! When the liveness deadline passes first, this names what was still busy.

use turmoil::Sim;

use crate::engine::Engine;
use crate::trace::{DropReason, EventKind};

/// Datagrams released to a client whose workload finished would wait forever: they are lost,
/// as on a closed socket.
pub(crate) fn drain_finished_clients(engine: &Engine, sim: &mut Sim<'static>) {
    for host in &engine.hosts {
        if host.released.borrow().is_empty() || sim.is_host_running(host.name.as_str()) {
            continue;
        }
        let lost: Vec<_> = host.released.borrow_mut().drain(..).collect();
        for (header, _, _) in lost {
            engine.record(EventKind::Drop {
                uid: header.uid,
                from: header.from,
                to: header.to,
                reason: DropReason::ReceiverDown,
            });
            engine.stats.borrow_mut().dropped += 1;
        }
    }
}

/// Is the network quiet enough for quiescence: nothing held on a link, nothing queued for a
/// host's code?
pub(crate) fn nothing_held(engine: &Engine) -> bool {
    engine.held_count() == 0 && engine.hosts.iter().all(|h| h.released.borrow().is_empty())
}

/// What the engine sees busy: clients not done, datagrams held or queued or on the wire,
/// hosts down, paused or with calls under way.
pub(crate) fn engine_busy(engine: &Engine, sim: &mut Sim<'static>) -> Vec<String> {
    let mut busy = Vec::new();
    let clients: Vec<&str> = engine
        .hosts
        .iter()
        .filter(|h| h.is_client && sim.is_host_running(h.name.as_str()))
        .map(|h| h.name.as_str())
        .collect();
    if !clients.is_empty() {
        busy.push(format!("clients not done: {}", clients.join(", ")));
    }
    let held = engine.held_count();
    if held > 0 {
        busy.push(format!("{held} datagrams held on links"));
    }
    let queued: usize = engine.hosts.iter().map(|h| h.released.borrow().len()).sum();
    if queued > 0 {
        busy.push(format!("{queued} datagrams queued for hosts' code"));
    }
    let wire = engine.on_the_wire();
    if wire > 0 {
        busy.push(format!("{wire} datagrams in flight to servers"));
    }
    let with = |pred: &dyn Fn(&crate::host::HostState) -> bool| -> Vec<String> {
        engine
            .hosts
            .iter()
            .filter(|h| pred(h))
            .map(|h| h.name.clone())
            .collect()
    };
    let calling = with(&|h| h.calls.get() > 0 && !h.is_client);
    if !calling.is_empty() {
        busy.push(format!("retries under way at {}", calling.join(", ")));
    }
    let down = with(&|h| h.down.get());
    if !down.is_empty() {
        busy.push(format!("hosts down: {}", down.join(", ")));
    }
    let paused = with(&|h| h.paused.get());
    if !paused.is_empty() {
        busy.push(format!("hosts paused: {}", paused.join(", ")));
    }
    busy
}
