//! The engine's side of "a verdict that cannot lie": runs settle from state (a chatty
//! background loop neither blocks quiescence nor escapes judgement), the tail after quiescence
//! is stepped and handed to the scenario, boundary crashes separate writes that have no await
//! between them, a pause stops one host's timers while the world moves on, and datagrams in
//! flight to a crashed host reach its next incarnation.

mod support;

use dtx_sim::{run, Effect, EventKind, Fault, Plan, Run, Side, Start};
use support::{config, fault, plan, Mode, Pinger, CLIENT, SERVER};

fn go(p: &mut Pinger, plan: Plan) -> Run {
    let window = plan.window_ms;
    run(p, Start::Plan(plan), &config(window)).expect("plan fits")
}

fn quiescent_at(r: &Run) -> u64 {
    r.trace
        .events
        .iter()
        .find(|e| matches!(e.kind, EventKind::Quiescent))
        .map(|e| e.at_ms)
        .expect("the run became quiescent")
}

#[test]
fn a_chatty_background_loop_still_settles_and_the_run_is_judged() {
    let mut p = Pinger::new(Mode::OneWay, 10);
    p.chatty = true;
    p.ticker_ms = Some(100);
    let r = go(&mut p, plan(3_000, vec![]));
    assert!(r.report.quiescent, "{:?}", r.report.busy);
    let ends = p.ends.borrow();
    assert_eq!(ends.len(), 1, "the scenario's check ran once");
    let q = quiescent_at(&r);
    assert_eq!(ends[0].quiescent_at_ms, Some(q));
    assert!(
        ends[0].at_ms >= q + config(3_000).tail_ms,
        "the tail was stepped"
    );
    let chatter_after = r
        .trace
        .events
        .iter()
        .filter(|e| e.at_ms > q && matches!(e.kind, EventKind::Send { .. }))
        .count();
    assert!(
        chatter_after > 20,
        "the background loop kept sending ({chatter_after})"
    );
    let ticks_after = p.read_ledger(|l| l.ticks.iter().filter(|t| **t > q).count());
    assert!(ticks_after > 20, "background writes go on in the tail");
}

#[test]
fn a_finished_run_leaves_nothing_alive_that_holds_its_clock() {
    // State outside the hosts keeps the clock (the order system's journal does, inside every
    // store): it must not keep the engine, and so the whole run, alive after the run.
    let mut p = Pinger::new(Mode::OneWay, 3);
    let r = go(&mut p, plan(1_000, vec![]));
    assert!(r.report.stats.sim_ms > 1_000);
    let clock = p.clock.borrow().clone().expect("built");
    assert_eq!(clock.now_ms(), 0, "the engine outlived its run");
}

#[test]
fn a_change_after_quiescence_reaches_the_scenario_check() {
    let mut p = Pinger::new(Mode::OneWay, 5);
    p.late_write_ms = Some(1_000);
    let r = go(&mut p, plan(2_000, vec![]));
    let late: Vec<_> = r
        .report
        .violations
        .iter()
        .filter(|v| v.invariant == "settled")
        .collect();
    assert_eq!(late.len(), 1, "{:?}", r.report.violations);
    assert!(late[0].detail.contains("after quiescence"));
}

#[test]
fn a_run_that_never_settles_names_what_is_busy() {
    // The client pings for longer than the deadline: it is never done.
    let mut p = Pinger::new(Mode::OneWay, 1_000);
    let r = go(&mut p, plan(1_000, vec![]));
    assert!(!r.report.quiescent);
    assert!(
        r.report
            .busy
            .iter()
            .any(|b| b.contains("clients not done: client")),
        "{:?}",
        r.report.busy
    );
    let ends = p.ends.borrow();
    assert_eq!(ends.len(), 1, "an unsettled run is still judged");
    assert_eq!(ends[0].quiescent_at_ms, None);
    assert_eq!(ends[0].busy, r.report.busy);
}

fn boundary(nth: u32, side: Side) -> (Run, Pinger) {
    let mut p = Pinger::new(Mode::OneWay, 5);
    p.start_ms = 200;
    let b = Effect::Boundary {
        host: SERVER.into(),
        nth,
        side,
    };
    let r = go(&mut p, plan(3_000, vec![fault(0, 500, b)]));
    (r, p)
}

#[test]
fn a_boundary_crash_separates_two_writes_with_no_await_between_them() {
    // The server writes `before`, then `staged`, with no await in between.
    let (r, p) = boundary(1, Side::After);
    let crash = r
        .trace
        .events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Crash { point, .. } => point.clone(),
            _ => None,
        })
        .expect("the server crashed");
    assert_eq!(crash, "after its 1st write");
    let (before, after, crashes) =
        p.read_ledger(|l| (l.before.clone(), l.after.clone(), l.crashes));
    assert_eq!(
        before.first().map(|b| b.0),
        Some(0),
        "the 1st write happened"
    );
    assert!(
        !after.contains(&0),
        "nothing after the 1st write of ping 0 ran"
    );
    assert_eq!(crashes, 1);
    assert_eq!(r.report.boundary_crashes.get(SERVER), Some(&1));
    assert_eq!(r.report.faults["boundary"].bitten, 1);

    let (r, p) = boundary(1, Side::Before);
    let before = p.read_ledger(|l| l.before.clone());
    assert!(
        !before.iter().any(|b| b.0 == 0),
        "the 1st write did not happen: {before:?}"
    );
    assert_eq!(r.report.boundary_crashes.get(SERVER), Some(&1));

    let (_, p) = boundary(2, Side::Before);
    let (before, after) = p.read_ledger(|l| (l.before.clone(), l.after.clone()));
    assert_eq!(before.first().map(|b| b.0), Some(0), "write 1 happened");
    assert!(
        !after.contains(&0),
        "write 2 (staged) and what follows did not"
    );
}

#[test]
fn a_pause_delays_one_hosts_timers_while_the_world_moves_on() {
    let mut p = Pinger::new(Mode::OneWay, 40);
    p.ticker_ms = Some(100);
    let pause = Effect::Pause {
        host: SERVER.into(),
    };
    let r = go(&mut p, plan(6_000, vec![fault(1_000, 2_000, pause)]));
    assert!(r.report.is_clean(), "{:?}", r.report.violations);
    let ticks = p.read_ledger(|l| l.ticks.clone());
    let gap = ticks.windows(2).map(|w| w[1] - w[0]).max().expect("ticks");
    assert!(
        gap >= 1_900,
        "the server's timer waited out the pause: {gap}ms"
    );
    assert!(
        !ticks.iter().any(|t| (1_100..3_000).contains(t)),
        "no tick while paused: {ticks:?}"
    );
    // The client went on sending during the pause; the server took those pings only after.
    let arrivals = p.read_ledger(|l| l.before.clone());
    let sent_during: Vec<u64> = r
        .trace
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Send { label, from, .. }
                if (1_100..2_900).contains(&e.at_ms) && r.trace.host(*from) == CLIENT =>
            {
                label
                    .strip_prefix("Ping(")
                    .and_then(|l| l.strip_suffix(')'))
                    .and_then(|n| n.parse::<u64>().ok())
            }
            _ => None,
        })
        .collect();
    assert!(sent_during.len() >= 10, "{sent_during:?}");
    for n in &sent_during {
        let at = arrivals.iter().find(|(m, _)| m == n).map(|(_, at)| *at);
        assert!(
            at.is_some_and(|at| at >= 3_000),
            "ping {n} sent during the pause was taken at {at:?}"
        );
    }
    assert_eq!(r.report.faults["pause"].bitten, 1);
}

#[test]
fn a_datagram_on_the_wire_at_a_crash_reaches_the_next_incarnation() {
    let mut p = Pinger::new(Mode::OneWay, 60);
    p.interval_ms = 25;
    let crashes: Vec<Fault> = (0..6)
        .map(|i| {
            fault(
                300 + 200 * i,
                100,
                Effect::Crash {
                    host: SERVER.into(),
                },
            )
        })
        .collect();
    let r = go(&mut p, plan(3_000, crashes));
    let redelivered: Vec<(u64, u64)> = r
        .trace
        .events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Redeliver { uid, .. } => Some((uid, e.at_ms)),
            _ => None,
        })
        .collect();
    assert!(
        !redelivered.is_empty(),
        "no datagram was on the wire at a crash"
    );
    for (uid, at) in &redelivered {
        let sent = r
            .trace
            .events
            .iter()
            .find(|e| matches!(e.kind, EventKind::Send { uid: u, .. } if u == *uid))
            .expect("sent");
        assert!(sent.at_ms < *at, "sent before the restart");
        assert!(
            r.trace.events.iter().any(|e| e.at_ms >= *at
                && matches!(e.kind, EventKind::Deliver { uid: u, .. } if u == *uid)),
            "datagram #{uid} redelivered at {at}ms reached the server's code"
        );
    }
    // Each ping is committed at most once per delivery: no copy arrives twice.
    let delivered: Vec<u64> = r
        .trace
        .events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Deliver { uid, .. } => Some(uid),
            _ => None,
        })
        .collect();
    let mut unique = delivered.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        delivered.len(),
        "a datagram was delivered twice"
    );
}
