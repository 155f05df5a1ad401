//! The order system as a dtx-sim scenario: the order, stock, points, payment and broker
//! hosts, the workload's clients, and the end-of-run checks over the durable state and the
//! journal. The protocol is the order service's [`Flow`].

use std::rc::Rc;

use dtx_sim::{Disk, End, HostSet, Scenario, Topology, Violation};

use dtx_invariants::{check_end, Monitor};

use crate::journal::Journal;
use crate::knobs::Knobs;
pub use crate::services::holdings::Uses;
use crate::services::holdings::{self as holdings_service, Book};
use crate::services::order::{self, Flow, OrderDb};
use crate::services::{broker, client, payment};
use crate::snapshot::{self, Stores};
use crate::store::gateway::Gateway;
use crate::store::holdings::{self, HoldingsDb};
use crate::store::topic_log::TopicLog;
use crate::wire::BusEvent;
use crate::workload::{Workload, WorkloadShape};

/// What a protocol adds to the system: its flow, and its crash points and probes.
#[derive(Clone, Copy)]
pub struct ProtocolSpec {
    pub flow: fn() -> Rc<dyn Flow>,
    /// (host, crash point) pairs its code passes.
    pub crash_points: &'static [(&'static str, &'static str)],
    pub probes: &'static [&'static str],
    /// Which participant operations it uses (their probes count as reachable).
    pub uses: Uses,
    /// Whether it calls the card gateway (its probes count as reachable).
    pub pays: bool,
}

/// The durable state of one run.
pub struct Built {
    pub workload: Workload,
    pub stock: Disk<HoldingsDb>,
    pub points: Disk<HoldingsDb>,
    pub gateway: Disk<Gateway>,
    pub broker: Disk<TopicLog<BusEvent>>,
    pub orders: Disk<OrderDb>,
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
        Topology {
            servers: SERVERS.iter().map(|s| s.to_string()).collect(),
            clients: self.clients(),
            crash_points,
        }
    }

    fn workload_items(&self) -> u32 {
        (self.shape.clients * self.shape.orders_per_client) as u32
    }

    fn build(&mut self, hosts: &mut HostSet<'_>) {
        let workload = Workload::generate(&hosts.streams(), self.shape);
        let journal = Journal::default();
        let stock = hosts.disk(
            "stock",
            holdings::open(
                workload
                    .stock
                    .iter()
                    .enumerate()
                    .map(|(i, n)| (i as u32, *n)),
            ),
        );
        let points = hosts.disk(
            "points",
            holdings::open(
                workload
                    .points
                    .iter()
                    .enumerate()
                    .map(|(i, n)| (i as u32, *n)),
            ),
        );
        let gateway = hosts.disk(payment::HOST, Gateway::default());
        let log = hosts.disk(broker::HOST, TopicLog::default());
        let orders = hosts.disk(order::HOST, OrderDb::default());
        let flow = (self.protocol.flow)();
        let knobs = self.knobs;
        {
            let (orders, journal) = (orders.clone(), journal.clone());
            hosts.server(order::HOST, move |ctx| {
                order::serve(ctx, orders.clone(), journal.clone(), flow.clone(), knobs)
            });
        }
        for (book, disk) in [(Book::Stock, &stock), (Book::Points, &points)] {
            let (disk, journal) = (disk.clone(), journal.clone());
            hosts.server(book.host(), move |ctx| {
                holdings_service::serve(ctx, book, disk.clone(), journal.clone(), knobs)
            });
        }
        {
            let (gateway, journal) = (gateway.clone(), journal.clone());
            hosts.server(payment::HOST, move |ctx| {
                payment::serve(ctx, gateway.clone(), journal.clone())
            });
        }
        {
            let log = log.clone();
            hosts.server(broker::HOST, move |ctx| broker::serve(ctx, log.clone()));
        }
        for (c, name) in self.clients().iter().enumerate() {
            let per = self.shape.orders_per_client;
            let orders: Vec<_> = workload.clients[c]
                .iter()
                .enumerate()
                .filter(|(i, _)| !hosts.skipped((c * per + i) as u32))
                .map(|(_, o)| o.clone())
                .collect();
            let journal = journal.clone();
            hosts.client(name, move |ctx| client::run(ctx, c as u32, orders, journal));
        }
        self.built = Some(Built {
            workload,
            stock,
            points,
            gateway,
            broker: log,
            orders,
            journal,
        });
    }

    fn settled(&self) -> bool {
        self.built().orders.read(|db| order::pending(db).is_empty())
    }

    fn check(&self, end: &End) -> Vec<Violation> {
        let b = self.built();
        let (initial_stock, initial_points) = snapshot::initial(&b.workload);
        let mut monitor = Monitor::new(&initial_stock, &initial_points);
        for (at_ms, event) in b.journal.entries().iter() {
            monitor.apply(*at_ms, event);
        }
        let snap = snapshot::take(&Stores {
            workload: &b.workload,
            orders: &b.orders,
            stock: &b.stock,
            points: &b.points,
            gateway: &b.gateway,
            journal: &b.journal,
        });
        let mut found: Vec<dtx_invariants::Violation> = monitor.violations().to_vec();
        found.extend(check_end(&snap, end.at_ms, end.quiescent));
        found
            .into_iter()
            .map(|v| {
                let after = v
                    .after_event
                    .map(|(i, e)| format!(" (first broken after ledger event #{i}: {e})"))
                    .unwrap_or_default();
                Violation::new(v.invariant.name(), format!("{}{after}", v.detail), v.at_ms)
            })
            .collect()
    }
}
