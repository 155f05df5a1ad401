//! The order system as a dtx-sim scenario: the order, stock, points, payment and broker
//! hosts, the workload's clients, and the end-of-run checks over the durable state and the
//! journal. The protocol is the order service's [`Flow`].

use std::rc::Rc;

use dtx_sim::{Disk, End, HostSet, Scenario, Topology, Violation};

use crate::journal::{Entry, Journal};
use crate::services::holdings::{self as holdings_service, Book};
use crate::services::order::{self, Flow, OrderDb};
use crate::services::{broker, client, payment};
use crate::store::gateway::Gateway;
use crate::store::holdings::{self, HoldingsDb};
use crate::store::topic_log::TopicLog;
use crate::wire::{BusEvent, Status};
use crate::workload::{Workload, WorkloadShape};

/// What a protocol adds to the system: its flow, and its crash points and probes.
#[derive(Clone, Copy)]
pub struct ProtocolSpec {
    pub flow: fn() -> Rc<dyn Flow>,
    /// (host, crash point) pairs its code passes.
    pub crash_points: &'static [(&'static str, &'static str)],
    pub probes: &'static [&'static str],
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
            built: None,
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
        p.extend(holdings_service::probes(Book::Stock));
        p.extend(holdings_service::probes(Book::Points));
        p.extend(payment::PROBES.iter().map(|s| s.to_string()));
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
                holdings_service::crash_points(book)
                    .into_iter()
                    .map(|p| (book.host().to_string(), p)),
            );
        }
        crash_points.extend(
            payment::CRASH_POINTS
                .iter()
                .map(|p| (payment::HOST.to_string(), p.to_string())),
        );
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
        {
            let (orders, journal) = (orders.clone(), journal.clone());
            hosts.server(order::HOST, move |ctx| {
                order::serve(ctx, orders.clone(), journal.clone(), flow.clone())
            });
        }
        for (book, disk) in [(Book::Stock, &stock), (Book::Points, &points)] {
            let (disk, journal) = (disk.clone(), journal.clone());
            hosts.server(book.host(), move |ctx| {
                holdings_service::serve(ctx, book, disk.clone(), journal.clone())
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
        let mut v = Vec::new();
        for (book, disk, initial) in [
            ("sku", &b.stock, &b.workload.stock),
            ("user", &b.points, &b.workload.points),
        ] {
            for (id, init) in initial.iter().enumerate() {
                let (avail, held, used) = disk.read(|db| holdings::totals(db, id as u32));
                let name = if book == "sku" {
                    "stock-conserved"
                } else {
                    "points-conserved"
                };
                if avail + held + used != *init || avail < 0 {
                    v.push(Violation::new(
                        name,
                        format!("{book} {id}: available {avail} + held {held} + used {used} = {} ≠ initial {init}", avail + held + used),
                        end.at_ms,
                    ));
                }
                if held != 0 && end.quiescent {
                    v.push(Violation::new(
                        "nothing-in-flight",
                        format!("{book} {id}: {held} still held at quiescence"),
                        end.at_ms,
                    ));
                }
            }
        }
        let pending = b.orders.read(order::pending);
        for p in &pending {
            v.push(Violation::new(
                "terminated",
                format!("order {} still pending", p.order),
                end.at_ms,
            ));
        }
        let journal = b.journal.entries();
        for (_, e) in journal.iter() {
            if let Entry::Told {
                client,
                order,
                outcome,
            } = e
            {
                let truth = b
                    .orders
                    .read(|db| match db.read(&order::OrderKey::Order(*order)) {
                        Some(order::OrderVal::Order { status, .. }) => status.clone(),
                        _ => Status::Unknown,
                    });
                if truth != Status::Done(outcome.clone()) {
                    v.push(Violation::new(
                        "client-truth",
                        format!("client {client} was told order {order} is {outcome:?}; the ledger says {truth:?}"),
                        end.at_ms,
                    ));
                }
            }
        }
        for (_, e) in journal.iter() {
            if let Entry::Asked { client, order } = e {
                let told = journal
                    .iter()
                    .any(|(_, t)| matches!(t, Entry::Told { order: o, .. } if o == order));
                if !told {
                    v.push(Violation::new(
                        "answered",
                        format!("client {client} never heard of order {order}"),
                        end.at_ms,
                    ));
                }
            }
        }
        v
    }
}
