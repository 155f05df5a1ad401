//! A small test-only scenario for the engine's own tests: a client pings a server (one-way
//! datagrams or request/response calls); the server commits what it received to a disk, with
//! a crash point between two durable writes. Knobs make it panic in a spawned task or write a
//! nondeterministic value into the trace.

#![allow(dead_code)]

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use dtx_sim::{
    CallPolicy, Clock, Disk, Durable, Effect, End, Fault, HostCtx, HostSet, Plan, Scenario, Seed,
    SimConfig, Topology, Violation,
};
use serde::{Deserialize, Serialize};

pub const SERVER: &str = "server";
pub const CLIENT: &str = "client";
pub const POINT: &str = "server.between_writes";

#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Msg {
    Ping(u64),
    Pong(u64),
}

/// The server's durable state.
#[derive(Default, Debug)]
pub struct Ledger {
    /// Pings committed before the crash point, with arrival time.
    pub before: Vec<(u64, u64)>,
    /// Pings committed after the crash point.
    pub after: Vec<u64>,
    /// An open (uncommitted) write: dropped by a crash.
    pub staged: Option<u64>,
    /// Times the server's ticker task woke.
    pub ticks: Vec<u64>,
    /// Times of writes the server made after the client finished.
    pub late: Vec<u64>,
    /// How many times the host crashed (told by the engine).
    pub crashes: u32,
}

impl Durable for Ledger {
    fn crashed(&mut self) {
        self.staged = None;
        self.crashes += 1;
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// One-way pings, no answer.
    OneWay,
    /// Calls: the server answers each ping with a pong.
    Call,
}

/// What the client got back: (ping, pong or None for a timeout).
pub type Answers = Rc<RefCell<Vec<(u64, Option<u64>)>>>;

#[derive(Clone)]
pub struct Pinger {
    pub mode: Mode,
    pub pings: u64,
    pub interval_ms: u64,
    /// Start pinging at this time.
    pub start_ms: u64,
    /// A task spawned by the server panics on this ping.
    pub panic_on: Option<u64>,
    /// The server's main future panics on this ping.
    pub main_panic_on: Option<u64>,
    /// The server writes std HashMap iteration order into the trace.
    pub nondeterministic: bool,
    pub ledger: Option<Disk<Ledger>>,
    /// What the client got back: (ping, pong or None for a timeout).
    pub answers: Answers,
    /// The server runs a background task that writes the time to its ledger every this many
    /// ms, forever (a chatty poller: it must not keep the run from settling).
    pub ticker_ms: Option<u64>,
    /// The server keeps calling itself every 100 ms forever (background traffic).
    pub chatty: bool,
    /// The server commits one more write this long after the client finished (a change in
    /// the tail that the scenario's check must be able to see).
    pub late_write_ms: Option<u64>,
    /// What the scenario's check saw: the `End` it was given.
    pub ends: Rc<RefCell<Vec<End>>>,
    /// The run's clock, as state outside the hosts keeps it (a journal would).
    pub clock: Rc<RefCell<Option<Clock>>>,
}

impl Pinger {
    pub fn new(mode: Mode, pings: u64) -> Self {
        Pinger {
            mode,
            pings,
            interval_ms: 100,
            start_ms: 0,
            panic_on: None,
            main_panic_on: None,
            nondeterministic: false,
            ledger: None,
            answers: Rc::new(RefCell::new(Vec::new())),
            ticker_ms: None,
            chatty: false,
            late_write_ms: None,
            ends: Rc::new(RefCell::new(Vec::new())),
            clock: Rc::new(RefCell::new(None)),
        }
    }

    pub fn read_ledger<R>(&self, f: impl FnOnce(&Ledger) -> R) -> R {
        self.ledger.as_ref().expect("built").read(f)
    }

    /// Arrival order of committed pings.
    pub fn arrivals(&self) -> Vec<u64> {
        self.read_ledger(|l| l.before.iter().map(|(n, _)| *n).collect())
    }
}

/// A plan of seed 11 with exactly these faults.
pub fn plan(window_ms: u64, faults: Vec<Fault>) -> Plan {
    let mut p = Plan::calm(Seed(11), window_ms);
    p.faults = faults;
    p
}

/// A fault at `at_ms` lasting `duration_ms`.
pub fn fault(at_ms: u64, duration_ms: u64, effect: Effect) -> Fault {
    Fault {
        at_ms,
        duration_ms,
        effect,
    }
}

/// A config with a short window so tests run fast.
pub fn config(window_ms: u64) -> SimConfig {
    SimConfig {
        window_ms,
        deadline_ms: 20_000,
        ..SimConfig::default()
    }
}

impl Scenario for Pinger {
    fn topology(&self) -> Topology {
        Topology {
            servers: vec![SERVER.into()],
            clients: vec![CLIENT.into()],
            crash_points: vec![(SERVER.into(), POINT.into())],
            ..Topology::default()
        }
    }

    fn build(&mut self, hosts: &mut HostSet<'_>) {
        *self.clock.borrow_mut() = Some(hosts.clock());
        let ledger = hosts.disk(SERVER, Ledger::default());
        self.ledger = Some(ledger.clone());
        self.answers.borrow_mut().clear();
        let me = self.clone();
        hosts.server(SERVER, move |ctx| serve(ctx, ledger.clone(), me.clone()));
        let me = self.clone();
        hosts.client(CLIENT, move |ctx| ping(ctx, me));
    }

    fn check(&self, end: &End) -> Vec<Violation> {
        self.ends.borrow_mut().push(end.clone());
        let mut v = Vec::new();
        if let Some(q) = end.quiescent_at_ms {
            for at in self.read_ledger(|l| l.late.clone()) {
                if at > q {
                    v.push(Violation::new(
                        "settled",
                        format!("the server wrote at {at}ms, after quiescence at {q}ms"),
                        at,
                    ));
                }
            }
        }
        if !end.quiescent {
            v.push(Violation::new(
                "answered",
                "the client did not finish",
                end.at_ms,
            ));
        }
        v
    }
}

async fn serve(ctx: HostCtx, ledger: Disk<Ledger>, me: Pinger) {
    let net = ctx.bind::<Msg>().await;
    if let Some(every) = me.ticker_ms {
        let (ctx, ledger) = (ctx.clone(), ledger.clone());
        ctx.clone().spawn(async move {
            loop {
                ctx.sleep(Duration::from_millis(every)).await;
                let _ = ledger.write(|l| l.ticks.push(ctx.now_ms()));
            }
        });
    }
    if me.chatty {
        let net = net.clone();
        ctx.spawn(async move {
            loop {
                let _ = net.send(SERVER, &Msg::Ping(u64::MAX));
                net.ctx().sleep(Duration::from_millis(100)).await;
            }
        });
    }
    if let Some(after) = me.late_write_ms {
        let (ctx, ledger) = (ctx.clone(), ledger.clone());
        let done_at = me.start_ms + me.pings * me.interval_ms + 500;
        ctx.clone().spawn(async move {
            ctx.sleep(Duration::from_millis(done_at + after)).await;
            let _ = ledger.write(|l| l.late.push(ctx.now_ms()));
        });
    }
    let mut volatile = 0u64;
    loop {
        let req = net.recv().await;
        let Msg::Ping(n) = req.body else { continue };
        if n == u64::MAX {
            continue; // background chatter
        }
        volatile += 1;
        if me.nondeterministic && volatile == 1 {
            ctx.record(hash_order());
        }
        if me.panic_on == Some(n) {
            ctx.spawn(async move {
                panic!("sub-task gave up on ping {n}");
            });
        }
        if me.main_panic_on == Some(n) {
            panic!("server main task gave up on ping {n}");
        }
        let at = ctx.now_ms();
        if ledger.write(|l| l.before.push((n, at))).is_err() {
            continue;
        }
        let durable = ledger.read(|l| l.before.len());
        ctx.record(format!("ping {n} volatile={volatile} durable={durable}"));
        let _ = ledger.write(|l| l.staged = Some(n));
        ctx.crash_point(POINT).await;
        let _ = ledger.write(|l| {
            l.after.push(n);
            l.staged = None;
        });
        if req.kind == dtx_sim::Kind::Request {
            net.reply(&req, &Msg::Pong(n));
        }
    }
}

#[allow(clippy::disallowed_types)] // deliberately nondeterministic: the self-check must catch it
fn hash_order() -> String {
    let m: std::collections::HashMap<u32, ()> = (0..32).map(|i| (i, ())).collect();
    let order: Vec<String> = m.keys().map(|k| k.to_string()).collect();
    format!("order {}", order.join(","))
}

async fn ping(ctx: HostCtx, me: Pinger) {
    let net = ctx.bind::<Msg>().await;
    ctx.sleep(Duration::from_millis(me.start_ms)).await;
    let policy = CallPolicy {
        timeout_ms: 300,
        attempts: 2,
        backoff_ms: 100,
        max_backoff_ms: 200,
    };
    for n in 0..me.pings {
        match me.mode {
            Mode::OneWay => {
                net.send(SERVER, &Msg::Ping(n)).expect("server exists");
                ctx.sleep(Duration::from_millis(me.interval_ms)).await;
            }
            Mode::Call => {
                let answer = match net.call(SERVER, &Msg::Ping(n), &policy).await {
                    Ok(Msg::Pong(m)) => Some(m),
                    _ => None,
                };
                me.answers.borrow_mut().push((n, answer));
                ctx.sleep(Duration::from_millis(me.interval_ms)).await;
            }
        }
    }
    // Let the last datagrams land before the client is done.
    ctx.sleep(Duration::from_millis(500)).await;
}
