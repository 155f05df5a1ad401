//! The order system as a dtx-sim scenario: the order, stock, points, payment and broker
//! hosts, the workload's clients, and the end-of-run checks over the durable state and the
//! journal. The protocol is the order service's [`Flow`].

use std::rc::Rc;

use dtx_sim::{Disk, End, HostSet, Metrics, Scenario, Topology, Trace, Violation};

use dtx_invariants::{check_end, Monitor};

use crate::journal::Journal;
use crate::knobs::Knobs;
use crate::lock::{self, store::LockStore, workers};
use crate::services::client::Route;
use crate::services::holdings::{self as holdings_service, Apply, Book};
pub use crate::services::holdings::{ParticipantLoop, Uses};
use crate::services::order::{self, Flow, OrderDb};
use crate::services::{broker, client, payment};
use crate::snapshot::{self, Stores};
use crate::store::gateway::Gateway;
use crate::store::holdings::{self, HoldingsDb};
use crate::store::orders;
use crate::store::topic_log::TopicLog;
use crate::wire::BusEvent;
use crate::workload::{Workload, WorkloadShape};

mod busy;

/// What a protocol adds to the system: its flow, and its crash points and probes.
#[derive(Clone, Copy)]
pub struct ProtocolSpec {
    pub flow: fn() -> Rc<dyn Flow>,
    /// (host, crash point) pairs its code passes.
    pub crash_points: &'static [(&'static str, &'static str)],
    pub probes: &'static [&'static str],
    /// Which participant operations it uses (their probes count as reachable).
    pub uses: Uses,
    /// Its own way of applying reserve, confirm and cancel at stock and points (with its bug
    /// knobs), if the book's is not the one.
    pub participant: Option<Apply>,
    /// Whether it calls the card gateway (its probes count as reachable, its host holds
    /// state and its link to the order service carries traffic).
    pub pays: bool,
    /// Whether its services talk through the broker (otherwise the broker is idle: no fault
    /// is drawn on it or its links).
    pub uses_broker: bool,
    /// The (consumer group, topic) pairs its consumers read: an event not yet consumed by
    /// every group that reads its topic is work left.
    pub subscriptions: &'static [(&'static str, &'static str)],
    /// A loop it runs at stock and points for as long as an incarnation lives (an event
    /// consumer and outbox relay, say), if any.
    pub participant_loop: Option<ParticipantLoop>,
}

/// The durable state of one run.
pub struct Built {
    pub workload: Workload,
    pub stock: Disk<HoldingsDb>,
    pub points: Disk<HoldingsDb>,
    pub gateway: Disk<Gateway>,
    pub broker: Disk<TopicLog<BusEvent>>,
    pub orders: Disk<OrderDb>,
    /// The lock host's keys, under the lock.
    pub lock: Option<Disk<LockStore>>,
    pub journal: Journal,
}

/// The order system under one protocol.
pub struct OrderSystem {
    pub shape: WorkloadShape,
    pub protocol: ProtocolSpec,
    pub knobs: Knobs,
    pub built: Option<Built>,
}

/// Server hosts.
pub const SERVERS: [&str; 5] = [order::HOST, "stock", "points", payment::HOST, broker::HOST];

/// How long the workload keeps placing orders (simulated ms): fault start times fall inside
/// it. Measured on calm runs (no faults) of seeds 0–199: 2pc asks for its last order
/// (`ClientAsked`) at a median of 10.5 s (p80 12.2 s, p90 12.8 s), 1pc at 7.0 s (p90 7.8 s):
/// about 3 s of think time plus some 2 s per order. Under faults placing stretches far beyond
/// (2pc median 32 s), so faults that start within this period always meet work under way.
/// `tests/order_system.rs` keeps it between the calm median and p80 + 2 s. That is for the
/// default 4 orders per client: [`busy_ms`] scales it to the shape.
pub const BUSY_MS: u64 = 12_000;

/// The busy period of a workload shape: [`BUSY_MS`] per 4 orders per client, since each
/// client places its orders one after another (calm 2pc, 3 clients: 1 order asked for its
/// last at a median of 1.4 s, 8 orders at 22.7 s, p80 24 s). More clients at once do not
/// lengthen it: 16 clients slow 2pc's placing through lock waits (median 20 s for 4 orders
/// each) but not tcc's (9.7 s), and faults that start earlier still meet work under way.
pub fn busy_ms(shape: &WorkloadShape) -> u64 {
    BUSY_MS * shape.orders_per_client.max(1) as u64 / 4
}

impl OrderSystem {
    /// The system under `protocol` with the default workload shape.
    pub fn new(protocol: ProtocolSpec) -> Self {
        OrderSystem {
            shape: WorkloadShape::default(),
            protocol,
            knobs: Knobs::NONE,
            built: None,
        }
    }

    /// The system with bug knob `bug` turned on.
    pub fn with_bug(mut self, bug: Option<&'static str>) -> Self {
        self.knobs = Knobs(bug);
        self
    }

    /// Whether orders run under the lock: asked for, or a lock bug knob is on.
    pub fn locked(&self) -> bool {
        self.shape.lock || lock::knob_on(self.knobs)
    }

    /// The order service's workers: the order host, and the second one under the lock.
    fn workers(&self) -> Vec<String> {
        if self.locked() {
            workers::workers()
        } else {
            vec![order::HOST.to_string()]
        }
    }

    fn clients(&self) -> Vec<String> {
        (0..self.shape.clients)
            .map(|c| format!("client-{c}"))
            .collect()
    }

    /// Every probe the system's code can reach.
    pub fn probes(protocol: &ProtocolSpec) -> Vec<String> {
        let mut p: Vec<String> = order::PROBES.iter().map(|s| s.to_string()).collect();
        for book in [Book::Stock, Book::Points] {
            p.extend(holdings_service::probes_of(book, protocol.uses));
        }
        if protocol.pays {
            p.extend(payment::PROBES.iter().map(|s| s.to_string()));
        }
        p.extend(protocol.probes.iter().map(|s| s.to_string()));
        p
    }

    fn built(&self) -> &Built {
        self.built.as_ref().expect("checked after a run")
    }

    /// The servers the protocol keeps busy: order, stock, points, and the gateway and the
    /// broker if it uses them.
    fn stateful(&self) -> Vec<String> {
        let mut hosts = vec![order::HOST, "stock", "points"];
        if self.protocol.pays {
            hosts.push(payment::HOST);
        }
        if self.protocol.uses_broker {
            hosts.push(broker::HOST);
        }
        if self.locked() {
            hosts.extend(workers::hosts());
        }
        hosts.into_iter().map(String::from).collect()
    }

    /// The links that carry traffic: every client to the order service, the order service to
    /// each participant (the participants' in-doubt questions go back over the same links),
    /// and every service to the broker if the protocol uses it (the card gateway, external,
    /// never talks to the broker).
    fn links(&self) -> Vec<(String, String)> {
        let workers = self.workers();
        let mut links: Vec<(String, String)> = Vec::new();
        for c in self.clients() {
            links.extend(workers.iter().map(|w| (c.clone(), w.clone())));
        }
        let servers = self.stateful();
        for w in &workers {
            for s in &servers {
                if !workers.contains(s) && s != broker::HOST {
                    links.push((w.clone(), s.clone()));
                }
            }
        }
        if self.protocol.uses_broker {
            for s in &servers {
                if s != broker::HOST && s != payment::HOST {
                    links.push((s.clone(), broker::HOST.to_string()));
                }
            }
        }
        links
    }
}

impl Scenario for OrderSystem {
    fn topology(&self) -> Topology {
        let mut crash_points: Vec<(String, String)> = order::CRASH_POINTS
            .iter()
            .map(|p| (order::HOST.to_string(), p.to_string()))
            .collect();
        for book in [Book::Stock, Book::Points] {
            crash_points.extend(
                holdings_service::crash_points(book, self.protocol.uses)
                    .into_iter()
                    .map(|p| (book.host().to_string(), p)),
            );
        }
        if self.protocol.pays {
            crash_points.extend(
                payment::CRASH_POINTS
                    .iter()
                    .map(|p| (payment::HOST.to_string(), p.to_string())),
            );
        }
        crash_points.extend(
            self.protocol
                .crash_points
                .iter()
                .map(|(h, p)| (h.to_string(), p.to_string())),
        );
        if self.locked() {
            // The second worker runs the order service's code: it passes the same points.
            let second: Vec<(String, String)> = crash_points
                .iter()
                .filter(|(h, _)| h == order::HOST)
                .map(|(_, p)| (workers::SECOND.to_string(), p.clone()))
                .collect();
            crash_points.extend(second);
        }
        let mut servers: Vec<String> = SERVERS.iter().map(|s| s.to_string()).collect();
        if self.locked() {
            servers.extend(workers::hosts().iter().map(|s| s.to_string()));
        }
        Topology {
            servers,
            clients: self.clients(),
            crash_points,
            links: self.links(),
            stateful: self.stateful(),
            busy_ms: busy_ms(&self.shape),
        }
    }

    fn workload_items(&self) -> u32 {
        self.shape.orders() as u32
    }

    fn build(&mut self, hosts: &mut HostSet<'_>) {
        let workload = Workload::generate(&hosts.streams(), self.shape);
        let journal = Journal::new(hosts.clock());
        let index = |v: &[i64]| -> Vec<(u32, i64)> {
            v.iter().enumerate().map(|(i, n)| (i as u32, *n)).collect()
        };
        let stock = hosts.disk(
            "stock",
            holdings::open(Book::Stock, index(&workload.stock), journal.clone()),
        );
        let points = hosts.disk(
            "points",
            holdings::open(Book::Points, index(&workload.points), journal.clone()),
        );
        let gateway = hosts.disk(payment::HOST, Gateway::new(journal.clone()));
        let log = hosts.disk(broker::HOST, TopicLog::default());
        let orders = hosts.disk(order::HOST, orders::open(journal.clone()));
        let flow = (self.protocol.flow)();
        let knobs = self.knobs;
        let locked = self.locked();
        let mut workers = vec![(order::HOST, orders.clone())];
        let mut lock_keys = None;
        if locked {
            workers.push((workers::SECOND, hosts.shared_disk(&orders, workers::SECOND)));
            let store = hosts.disk(lock::HOST, LockStore::new(journal.clone()));
            lock_keys = Some(store.clone());
            hosts.server(lock::HOST, move |ctx| {
                lock::service::serve(ctx, store.clone())
            });
        }
        for (worker, orders) in workers {
            let (flow, journal) = (flow.clone(), journal.clone());
            hosts.server(worker, move |ctx| {
                order::serve(
                    ctx,
                    orders.clone(),
                    journal.clone(),
                    flow.clone(),
                    knobs,
                    locked,
                )
            });
        }
        let (uses, own) = (self.protocol.uses, self.protocol.participant);
        let background = self.protocol.participant_loop;
        for (book, disk) in [(Book::Stock, &stock), (Book::Points, &points)] {
            let disk = disk.clone();
            hosts.server(book.host(), move |ctx| {
                holdings_service::serve(ctx, disk.clone(), knobs, uses, own, background)
            });
        }
        {
            let gateway = gateway.clone();
            hosts.server(payment::HOST, move |ctx| {
                payment::serve(ctx, gateway.clone(), knobs)
            });
        }
        {
            let log = log.clone();
            hosts.server(broker::HOST, move |ctx| broker::serve(ctx, log.clone()));
        }
        for (c, name) in self.clients().iter().enumerate() {
            let per = self.shape.orders_per_client;
            let orders: Vec<(u32, _)> = workload.clients[c]
                .iter()
                .enumerate()
                .filter(|(i, _)| !hosts.skipped((c * per + i) as u32))
                .map(|(i, o)| (i as u32, o.clone()))
                .collect();
            let journal = journal.clone();
            let route = Route::to(&self.workers(), c as u32, self.shape.double_submit);
            hosts.client(name, move |ctx| {
                client::run(ctx, c as u32, orders, journal, route)
            });
        }
        self.built = Some(Built {
            workload,
            stock,
            points,
            gateway,
            broker: log,
            orders,
            lock: lock_keys,
            journal,
        });
    }

    fn busy(&self) -> Vec<String> {
        self.work_left()
    }

    fn check(&self, end: &End) -> Vec<Violation> {
        let b = self.built();
        let (initial_stock, initial_points) = snapshot::initial(&b.workload);
        let mut monitor = Monitor::new(&initial_stock, &initial_points);
        for (at_ms, event) in b.journal.entries().iter() {
            monitor.apply(*at_ms, event);
        }
        let mut snap = snapshot::take(&Stores {
            workload: &b.workload,
            orders: &b.orders,
            stock: &b.stock,
            points: &b.points,
            gateway: &b.gateway,
            journal: &b.journal,
        });
        snap.busy = end.busy.clone();
        if let Some(q) = end.quiescent_at_ms {
            snap.after_quiescence = b
                .journal
                .entries()
                .iter()
                .filter(|(at, _)| *at > q)
                .map(|(at, e)| (*at, e.to_string()))
                .collect();
        }
        let mut found: Vec<dtx_invariants::Violation> = monitor.violations().to_vec();
        found.extend(check_end(&snap, end.at_ms));
        found
            .into_iter()
            .map(|v| match v.after_event {
                // `L<i>`: the journal index, which is the ledger event's number in the trace.
                Some((i, e)) => Violation::new(
                    v.invariant.name(),
                    format!("{} {}", v.detail, dtx_invariants::after_event_note(i, &e)),
                    v.at_ms,
                )
                .after_ledger(i as u64),
                None => Violation::new(v.invariant.name(), v.detail, v.at_ms),
            })
            .collect()
    }

    /// The run's business metrics: see [`crate::metrics`].
    fn metrics(&self, trace: &Trace) -> Metrics {
        crate::metrics::measure(&self.built().journal.entries(), trace, self.protocol.uses)
    }
}
