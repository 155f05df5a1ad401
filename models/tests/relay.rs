//! The relay under the engine: a crash between publish and mark-sent publishes the row
//! again (a duplicate on the broker), and no row is ever lost.

use std::time::Duration;

use dtx_models::services::{broker, relay};
use dtx_models::store::outbox::Outbox;
use dtx_models::store::topic_log::TopicLog;
use dtx_models::wire::{BusEvent, Msg};
use dtx_sim::{
    run, Disk, Durable, Effect, End, Fault, HostSet, Net, Plan, Scenario, Seed, SimConfig, Start,
    Topology, Violation,
};

#[derive(Default)]
struct Producer {
    outbox: Outbox<BusEvent>,
}

impl Durable for Producer {
    fn crashed(&mut self) {}
}

impl relay::HasOutbox for Producer {
    fn outbox(&self) -> &Outbox<BusEvent> {
        &self.outbox
    }
    fn outbox_mut(&mut self) -> &mut Outbox<BusEvent> {
        &mut self.outbox
    }
}

#[derive(Default)]
struct RelayRun {
    log: Option<Disk<TopicLog<BusEvent>>>,
    producer: Option<Disk<Producer>>,
}

const ROWS: u64 = 6;

impl Scenario for RelayRun {
    fn topology(&self) -> Topology {
        Topology {
            servers: vec!["producer".into(), broker::HOST.into()],
            clients: vec!["clock".into()],
            crash_points: vec![("producer".into(), relay::AFTER_PUBLISH.into())],
            ..Topology::default()
        }
    }

    fn build(&mut self, hosts: &mut HostSet<'_>) {
        let mut p = Producer::default();
        for k in 0..ROWS {
            p.outbox.push(
                "orders",
                k,
                BusEvent::Step {
                    order: k,
                    step: "placed".into(),
                    ok: true,
                },
            );
        }
        let producer = hosts.disk("producer", p);
        let log = hosts.disk(broker::HOST, TopicLog::default());
        self.producer = Some(producer.clone());
        self.log = Some(log.clone());
        hosts.server("producer", move |ctx| {
            let producer = producer.clone();
            async move {
                let net: Net<Msg> = ctx.bind().await;
                relay::relay(ctx, net, producer, 100).await;
            }
        });
        hosts.server(broker::HOST, move |ctx| broker::serve(ctx, log.clone()));
        hosts.client("clock", |ctx| async move {
            ctx.sleep(Duration::from_secs(15)).await;
        });
    }

    fn busy(&self) -> Vec<String> {
        let unsent = self.producer.as_ref().unwrap().read(|p| p.outbox.unsent());
        if unsent == 0 {
            Vec::new()
        } else {
            vec![format!("{unsent} outbox rows unpublished")]
        }
    }

    fn check(&self, _end: &End) -> Vec<Violation> {
        Vec::new()
    }
}

#[test]
fn a_crash_between_publish_and_mark_sent_duplicates_and_never_loses() {
    let mut plan = Plan::calm(Seed(3), 10_000);
    plan.faults.push(Fault {
        at_ms: 0,
        duration_ms: 1_000,
        effect: Effect::CrashPoint {
            host: "producer".into(),
            point: relay::AFTER_PUBLISH.into(),
        },
    });
    let mut s = RelayRun::default();
    let r = run(&mut s, Start::Plan(plan), &SimConfig::default()).unwrap();
    assert!(r.report.is_clean() && r.report.quiescent, "{:?}", r.report);
    assert_eq!(r.report.probes.get("relay.republished"), Some(&1));
    let keys: Vec<u64> = s
        .log
        .unwrap()
        .read(|l| l.records("orders").iter().map(|x| x.key).collect());
    assert_eq!(
        keys,
        vec![0, 0, 1, 2, 3, 4, 5],
        "row 0 published twice, every row present, in order"
    );
    assert_eq!(s.producer.unwrap().read(|p| p.outbox.unsent()), 0);
}

#[test]
fn under_random_faults_every_row_reaches_the_broker() {
    for seed in 0..40 {
        let mut s = RelayRun::default();
        let r = run(
            &mut s,
            Start::Seed(Seed(seed)),
            &SimConfig {
                window_ms: 8_000,
                ..SimConfig::default()
            },
        )
        .unwrap();
        assert!(r.report.quiescent, "seed {seed}");
        let mut keys: Vec<u64> = s
            .log
            .unwrap()
            .read(|l| l.records("orders").iter().map(|x| x.key).collect());
        keys.dedup();
        let distinct: std::collections::BTreeSet<u64> = keys.iter().copied().collect();
        assert_eq!(distinct, (0..ROWS).collect(), "seed {seed}: lost a row");
    }
}
