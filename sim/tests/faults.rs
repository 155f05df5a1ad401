//! Every fault kind happens and has its effect, on explicit plans of the ping scenario.

mod support;

use std::collections::BTreeSet;

use dtx_sim::{run, DropReason, Effect, EventKind, Plan, Run, Seed, Start};
use support::{config, fault, plan, Mode, Pinger, CLIENT, POINT, SERVER};

const FOREVER: u64 = 1_000_000_000;

fn hosts(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

fn go(p: &mut Pinger, plan: Plan, window: u64) -> Run {
    let r = run(p, Start::Plan(plan), &config(window)).expect("plan fits");
    assert!(r.report.is_clean(), "{:?}", r.report.violations);
    r
}

fn drops(r: &Run, reason: DropReason) -> usize {
    r.trace
        .events
        .iter()
        .filter(|e| matches!(&e.kind, EventKind::Drop { reason: x, .. } if *x == reason))
        .count()
}

/// When fault `index` started and ended, from the trace.
fn span(r: &Run, index: u32) -> (u64, u64) {
    let at = |start: bool| {
        r.trace
            .events
            .iter()
            .find(|e| match &e.kind {
                EventKind::FaultStart { index: i, .. } => start && *i == index,
                EventKind::FaultEnd { index: i, .. } => !start && *i == index,
                _ => false,
            })
            .map(|e| e.at_ms)
            .expect("fault started and ended")
    };
    (at(true), at(false))
}

/// Time each ping was sent, from the trace labels.
fn sent_at(r: &Run, n: u64) -> u64 {
    let label = format!("Ping({n})");
    r.trace
        .events
        .iter()
        .find(|e| matches!(&e.kind, EventKind::Send { label: l, .. } if *l == label))
        .map(|e| e.at_ms)
        .expect("ping sent")
}

#[test]
fn a_partitioned_datagram_is_not_delivered() {
    let mut p = Pinger::new(Mode::OneWay, 20);
    let part = Effect::Partition {
        a: hosts(&[SERVER]),
        b: hosts(&[CLIENT]),
    };
    let r = go(&mut p, plan(5_000, vec![fault(500, 1_000, part)]), 5_000);
    let got: BTreeSet<u64> = p.arrivals().into_iter().collect();
    // The partition starts with the first datagram it touches from 500ms on, and lasts 1s.
    let (start, end) = span(&r, 0);
    assert!((500..=600).contains(&start), "started at {start}ms");
    assert!(
        end >= start + 1_000 && end <= start + 1_100,
        "ended at {end}ms"
    );
    for n in 0..20 {
        let t = sent_at(&r, n);
        if (start..end).contains(&t) {
            assert!(
                !got.contains(&n),
                "ping {n} sent at {t}ms crossed the partition"
            );
        }
        if !(start - 150..end).contains(&t) {
            assert!(
                got.contains(&n),
                "ping {n} sent at {t}ms outside the partition was lost"
            );
        }
    }
    assert!(drops(&r, DropReason::Partition) >= 8);
}

#[test]
fn isolation_cuts_a_host_off() {
    let mut p = Pinger::new(Mode::OneWay, 20);
    let iso = Effect::Isolate {
        host: SERVER.into(),
    };
    let r = go(&mut p, plan(5_000, vec![fault(500, 1_000, iso)]), 5_000);
    let got: BTreeSet<u64> = p.arrivals().into_iter().collect();
    for n in 0..20 {
        if (500..1_500).contains(&sent_at(&r, n)) {
            assert!(!got.contains(&n), "ping {n} reached an isolated host");
        }
    }
    assert!(
        got.len() >= 8,
        "pings outside the isolation arrive: {got:?}"
    );
}

#[test]
fn a_one_way_partition_blocks_one_direction_only() {
    // Server -> client blocked: every request arrives, no response does.
    let mut p = Pinger::new(Mode::Call, 4);
    let oneway = Effect::OneWay {
        from: hosts(&[SERVER]),
        to: hosts(&[CLIENT]),
    };
    go(
        &mut p,
        plan(30_000, vec![fault(0, FOREVER, oneway)]),
        30_000,
    );
    let got: BTreeSet<u64> = p.arrivals().into_iter().collect();
    assert_eq!(
        got,
        (0..4).collect(),
        "requests cross a server->client one-way partition"
    );
    assert!(
        p.answers.borrow().iter().all(|(_, a)| a.is_none()),
        "a response crossed it"
    );

    // Client -> server blocked: nothing arrives.
    let mut p = Pinger::new(Mode::Call, 4);
    let oneway = Effect::OneWay {
        from: hosts(&[CLIENT]),
        to: hosts(&[SERVER]),
    };
    go(
        &mut p,
        plan(30_000, vec![fault(0, FOREVER, oneway)]),
        30_000,
    );
    assert!(p.arrivals().is_empty());

    // No partition: every call is answered.
    let mut p = Pinger::new(Mode::Call, 4);
    go(&mut p, plan(30_000, vec![]), 30_000);
    assert!(p.answers.borrow().iter().all(|(n, a)| *a == Some(*n)));
}

#[test]
fn held_datagrams_arrive_after_release_and_out_of_order() {
    let mut p = Pinger::new(Mode::OneWay, 12);
    p.interval_ms = 20;
    let hold = Effect::Hold {
        a: CLIENT.into(),
        b: SERVER.into(),
    };
    let r = go(&mut p, plan(5_000, vec![fault(0, 1_000, hold)]), 5_000);
    let arrivals = p.arrivals();
    let times: Vec<u64> = p.read_ledger(|l| l.before.iter().map(|(_, t)| *t).collect());
    assert_eq!(arrivals.len(), 12, "every held ping arrives: {arrivals:?}");
    assert!(
        times.iter().all(|t| *t >= 1_000),
        "arrived before release: {times:?}"
    );
    let mut sorted = arrivals.clone();
    sorted.sort();
    assert_eq!(sorted, (0..12).collect::<Vec<_>>());
    // Release reorders: the datagrams leave the hold in another order than they entered it.
    let uids = |held: bool| -> Vec<u64> {
        r.trace
            .events
            .iter()
            .filter_map(|e| match e.kind {
                EventKind::Hold { uid, .. } if held => Some(uid),
                EventKind::Release { uid, .. } if !held => Some(uid),
                _ => None,
            })
            .collect()
    };
    let (entered, left) = (uids(true), uids(false));
    assert_eq!(entered.len(), 12);
    assert_eq!(
        left.iter().copied().collect::<BTreeSet<_>>(),
        entered.iter().copied().collect()
    );
    assert_ne!(entered, left, "release kept the hold's order");
    let holds = r
        .trace
        .events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Hold { .. }));
    assert_eq!(holds.count(), 12);
}

#[test]
fn a_duplicated_datagram_arrives_twice() {
    let mut p = Pinger::new(Mode::OneWay, 10);
    let dup = Effect::Duplicate {
        a: CLIENT.into(),
        b: SERVER.into(),
        permille: 1000,
    };
    let r = go(&mut p, plan(5_000, vec![fault(0, FOREVER, dup)]), 5_000);
    let mut got = p.arrivals();
    got.sort();
    let twice: Vec<u64> = (0..10).flat_map(|n| [n, n]).collect();
    assert_eq!(got, twice);
    assert_eq!(r.report.stats.duplicated, 10);
}

#[test]
fn loss_loses_datagrams_at_its_rate() {
    let mut p = Pinger::new(Mode::OneWay, 10);
    let all = Effect::Loss {
        a: CLIENT.into(),
        b: SERVER.into(),
        permille: 1000,
    };
    let r = go(&mut p, plan(5_000, vec![fault(0, FOREVER, all)]), 5_000);
    assert!(p.arrivals().is_empty());
    assert_eq!(drops(&r, DropReason::Loss), 10);

    let mut p = Pinger::new(Mode::OneWay, 40);
    p.interval_ms = 20;
    let half = Effect::Loss {
        a: CLIENT.into(),
        b: SERVER.into(),
        permille: 500,
    };
    go(&mut p, plan(5_000, vec![fault(0, FOREVER, half)]), 5_000);
    let n = p.arrivals().len();
    assert!((8..=32).contains(&n), "{n} of 40 arrived at 50% loss");
}

/// The `ping N volatile=V durable=D` records of the server, in order.
fn server_records(r: &Run) -> Vec<(u64, u64, u64, u64)> {
    r.trace
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::App { text, .. } => {
                let nums: Vec<u64> = text
                    .split(|c: char| !c.is_ascii_digit())
                    .filter(|s| !s.is_empty())
                    .map(|s| s.parse().unwrap())
                    .collect();
                Some((e.at_ms, nums[0], nums[1], nums[2]))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn a_crash_loses_volatile_state_and_keeps_durable_state() {
    let mut p = Pinger::new(Mode::OneWay, 30);
    let crash = Effect::Crash {
        host: SERVER.into(),
    };
    let r = go(
        &mut p,
        plan(10_000, vec![fault(1_000, 1_000, crash)]),
        10_000,
    );
    let recs = server_records(&r);
    let before: Vec<_> = recs.iter().filter(|x| x.0 < 1_000).collect();
    let after: Vec<_> = recs.iter().filter(|x| x.0 >= 2_000).collect();
    assert!(before.len() >= 5 && after.len() >= 5, "{recs:?}");
    let last = before.last().unwrap();
    let first = after.first().unwrap();
    assert_eq!(
        last.2, last.3,
        "before the crash volatile and durable agree"
    );
    assert_eq!(first.2, 1, "volatile counter survived the crash: {first:?}");
    assert_eq!(
        first.3,
        last.3 + 1,
        "durable count lost by the crash: {last:?} {first:?}"
    );
    assert!(
        recs.iter().all(|x| x.0 < 1_000 || x.0 >= 2_000),
        "served while down"
    );
    assert_eq!(p.read_ledger(|l| l.crashes), 1);
    assert!(drops(&r, DropReason::ReceiverDown) >= 8);
    assert_eq!((r.report.stats.crashes, r.report.stats.restarts), (1, 1));
}

#[test]
fn a_crash_point_kills_the_host_exactly_there() {
    let mut p = Pinger::new(Mode::OneWay, 10);
    let point = Effect::CrashPoint {
        host: SERVER.into(),
        point: POINT.into(),
    };
    let r = go(&mut p, plan(10_000, vec![fault(300, 500, point)]), 10_000);
    let crash_at = r
        .trace
        .events
        .iter()
        .position(|e| matches!(&e.kind, EventKind::Crash { point: Some(x), .. } if x == POINT))
        .expect("the crash point fired");
    // The last thing the server did before dying was commit the write before the point.
    let server = r.trace.hosts.iter().position(|h| h == SERVER).unwrap() as u16;
    let last_act = r.trace.events[..crash_at]
        .iter()
        .rev()
        .find(|e| match &e.kind {
            EventKind::App { host, .. } | EventKind::CrashPointPassed { host, .. } => {
                host.0 == server
            }
            EventKind::Send { from, .. } => from.0 == server,
            _ => false,
        })
        .unwrap();
    let EventKind::App { text, .. } = &last_act.kind else {
        panic!("server acted after the point: {:?}", last_act.kind)
    };
    let victim: u64 = text.split_whitespace().nth(1).unwrap().parse().unwrap();
    p.read_ledger(|l| {
        assert!(
            l.before.iter().any(|(n, _)| *n == victim),
            "write before the point lost"
        );
        assert!(!l.after.contains(&victim), "write after the point happened");
        assert_eq!(l.staged, None, "uncommitted write survived the crash");
        assert_eq!(l.crashes, 1);
        // Pings before the victim passed the point and committed both writes.
        assert!(l.after.iter().all(|n| *n != victim));
    });
    assert!(
        victim >= 2,
        "armed from 300ms: pings before it pass ({victim})"
    );
    let passed = r
        .trace
        .events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::CrashPointPassed { .. }))
        .count();
    assert!(passed >= 2);
    assert_eq!(r.report.stats.restarts, 1);
}

#[test]
fn heal_repairs_links_restarts_hosts_and_releases_held_datagrams() {
    let mut p = Pinger::new(Mode::OneWay, 40);
    let faults = vec![
        fault(
            0,
            FOREVER,
            Effect::Crash {
                host: SERVER.into(),
            },
        ),
        fault(
            0,
            FOREVER,
            Effect::Loss {
                a: CLIENT.into(),
                b: SERVER.into(),
                permille: 1000,
            },
        ),
        fault(
            0,
            FOREVER,
            Effect::OneWay {
                from: hosts(&[CLIENT]),
                to: hosts(&[SERVER]),
            },
        ),
    ];
    let r = go(&mut p, plan(2_000, faults), 2_000);
    let heal = r
        .trace
        .events
        .iter()
        .find(|e| e.kind == EventKind::Heal)
        .unwrap();
    assert_eq!(heal.at_ms, 2_000);
    assert_eq!(r.report.stats.restarts, 1);
    let got: BTreeSet<u64> = p.arrivals().into_iter().collect();
    for n in 0..40 {
        let t = sent_at(&r, n);
        assert_eq!(got.contains(&n), t >= 2_000, "ping {n} sent at {t}ms");
    }

    // Held datagrams are released at heal even when the hold would last longer.
    let mut p = Pinger::new(Mode::OneWay, 5);
    let hold = Effect::Hold {
        a: CLIENT.into(),
        b: SERVER.into(),
    };
    go(&mut p, plan(1_000, vec![fault(0, FOREVER, hold)]), 1_000);
    let times: Vec<u64> = p.read_ledger(|l| l.before.iter().map(|(_, t)| *t).collect());
    assert_eq!(times.len(), 5);
    assert!(times.iter().all(|t| *t >= 1_000));
}

#[test]
fn generated_plans_exercise_every_fault_kind() {
    let mut kinds = BTreeSet::new();
    let (mut drops_seen, mut dups, mut holds, mut crashes) = (0, 0, 0, 0);
    for s in 0..40 {
        let mut p = Pinger::new(Mode::Call, 20);
        let r = run(&mut p, Start::Seed(Seed(s)), &config(4_000)).unwrap();
        kinds.extend(r.plan.faults.iter().map(|f| f.effect.kind()));
        drops_seen += r.report.stats.dropped;
        dups += r.report.stats.duplicated;
        holds += r.report.stats.held;
        crashes += r.report.stats.crashes;
    }
    assert_eq!(kinds.len(), dtx_sim::FaultKind::ALL.len(), "{kinds:?}");
    assert!(drops_seen > 0 && dups > 0 && holds > 0 && crashes > 0);
}

#[test]
fn a_plan_naming_an_unknown_host_or_point_is_rejected() {
    let mut p = Pinger::new(Mode::OneWay, 1);
    let bad = plan(
        1_000,
        vec![fault(
            0,
            1,
            Effect::Isolate {
                host: "nope".into(),
            },
        )],
    );
    let err = run(&mut p, Start::Plan(bad), &config(1_000)).unwrap_err();
    assert!(err.to_string().contains("'nope'"), "{err}");
    assert!(err.to_string().contains("server, client"), "{err}");
    let bad = plan(
        1_000,
        vec![fault(
            0,
            1,
            Effect::Crash {
                host: CLIENT.into(),
            },
        )],
    );
    assert!(run(&mut p, Start::Plan(bad), &config(1_000)).is_err());
    let bad = plan(
        1_000,
        vec![fault(
            0,
            1,
            Effect::CrashPoint {
                host: SERVER.into(),
                point: "nope".into(),
            },
        )],
    );
    let err = run(&mut p, Start::Plan(bad), &config(1_000)).unwrap_err();
    assert!(err.to_string().contains(POINT), "{err}");
}
