//! The order system's business metrics: one order's numbers checked by hand against its
//! timeline, every contract name on every run of every protocol, counts that add up, no fault
//! cancels without faults, and the same numbers for the same seed.

use std::collections::BTreeSet;

use dtx_models::metrics::{COUNTS, SAMPLES};
use dtx_models::protocols::{one_pc, saga_choreo, saga_orch, tcc, two_pc};
use dtx_models::system::{OrderSystem, ProtocolSpec};
use dtx_models::workload::WorkloadShape;
use dtx_sim::{run, FaultPreset, Metrics, Plan, Seed, SimConfig, Start};

const PROTOCOLS: [(&str, ProtocolSpec); 5] = [
    ("1pc", one_pc::SPEC),
    ("2pc", two_pc::SPEC),
    ("tcc", tcc::SPEC),
    ("saga-orch", saga_orch::SPEC),
    ("saga-choreo", saga_choreo::SPEC),
];

/// Seed `seed`'s plan with no faults and only workload item `keep` (of the default 12).
fn only(seed: u64, keep: u32) -> Plan {
    let mut plan = Plan::calm(Seed(seed), 20_000);
    plan.skip = (0..12).filter(|i| *i != keep).collect::<BTreeSet<u32>>();
    plan
}

fn metrics_of(spec: ProtocolSpec, start: Start, config: &SimConfig) -> Metrics {
    let mut s = OrderSystem::new(spec);
    run(&mut s, start, config).unwrap().report.metrics
}

fn samples(m: &Metrics, name: &str) -> Vec<u64> {
    m.samples[name].clone()
}

/// 2pc, seed 0, order 1 alone (workload item 0), no faults. Its timeline
/// (`dtx run --case` of this plan `--trace`, the order's lines):
///
/// ```text
///  850ms  ledger   L2 OrderCreated { order: 1, .. }
///  850ms  ledger   L3 Branch { order: 1, participant: "order", state: Prepared }
///  900ms  ledger   L4 Branch { order: 1, participant: "stock", state: Prepared }
///  900ms  ledger   L5 Branch { order: 1, participant: "points", state: Prepared }
/// 1150ms  ledger   L6 ChargeAuthorized { charge: 1, order: 1, key: "2pc-1-auth", amount: 5 }
/// 1200ms  ledger   L7 Decision { order: 1, commit: true, .. }
/// 1250ms  ledger   L8 StockTaken { sku: 0, order: 1, qty: 1 }
/// 1250ms  ledger   L9 StockTaken { sku: 2, order: 1, qty: 2 }
/// 1250ms  ledger   L10 Branch { order: 1, participant: "stock", state: Committed }
/// 1350ms  ledger   L11 PointsTaken { user: 2, order: 1, points: 8 }
/// 1350ms  ledger   L12 Branch { order: 1, participant: "points", state: Committed }
/// 1650ms  ledger   L13 ChargeCaptured { charge: 1, order: 1, key: "2pc-1-auth", amount: 5 }
/// 1750ms  ledger   L14 OrderStatus { order: 1, status: Confirmed }
/// 1750ms  ledger   L15 Branch { order: 1, participant: "order", state: Committed }
/// ```
///
/// 29 datagrams are sent, #1 `NewOrderId` the only one naming no order: 28 messages.
/// Latency 850 → 1750 = 900 ms (also the span). Holds, in the order they end: stock
/// 900 → 1250 = 350, points 900 → 1350 = 450 (the takes at commit end nothing). In doubt:
/// stock 350, points 450, the card authorization 1150 → 1650 = 500, the order's own branch
/// 850 → 1750 = 900.
#[test]
fn one_2pc_order_without_faults_has_the_numbers_its_timeline_shows() {
    let m = metrics_of(two_pc::SPEC, Start::Plan(only(0, 0)), &SimConfig::default());
    let counts: Vec<(&str, u64)> = COUNTS.iter().map(|n| (*n, m.counts[*n])).collect();
    assert_eq!(
        counts,
        [
            ("orders", 1),
            ("confirmed", 1),
            ("cancelled", 0),
            ("cancelled_business", 0),
            ("cancelled_fault", 0),
            ("messages", 28),
            ("compensations", 0),
            ("span_ms", 900),
        ]
    );
    assert_eq!(samples(&m, "latency_ms"), [900]);
    assert_eq!(samples(&m, "holding_ms"), [350, 450]);
    assert_eq!(samples(&m, "in_doubt_ms"), [350, 450, 500, 900]);
}

/// tcc, seed 1, order 1 alone (workload item 8: its card declines), no faults:
///
/// ```text
///  350ms  ledger   L2 OrderCreated { order: 1, .., declining_card: true }
///  450ms  ledger   L3 StockReserved { sku: 1, order: 1, qty: 1 }
///  450ms  ledger   L4 Effect { order: 1, participant: "stock", op: Try }
///  550ms  ledger   L5 PointsHeld { user: 1, order: 1, points: 6 }
///  550ms  ledger   L6 Effect { order: 1, participant: "points", op: Try }
///  700ms  ledger   L7 Refused { order: 1, participant: "payment", refusal: Declined }
///  750ms  ledger   L8 Decision { order: 1, commit: false, .. }
///  800ms  ledger   L9 StockReleased { sku: 1, order: 1, qty: 1 }
///  800ms  ledger   L10 Effect { order: 1, participant: "stock", op: Cancel }
///  900ms  ledger   L11 PointsReleased { user: 1, order: 1, points: 6 }
///  900ms  ledger   L12 Effect { order: 1, participant: "points", op: Cancel }
/// 1150ms  ledger   L13 OrderStatus { order: 1, status: Cancelled }
/// ```
///
/// 22 datagrams, all but #1 `NewOrderId` about the order: 21 messages. Cancelled for a
/// business reason (the refusal), latency 350 → 1150 = 800 ms. Two compensations (the
/// releases); holds and tries stock 450 → 800 = 350, points 550 → 900 = 350; the declined
/// authorization held nothing.
#[test]
fn one_tcc_order_whose_card_declines_is_a_business_cancel_with_two_compensations() {
    let m = metrics_of(tcc::SPEC, Start::Plan(only(1, 8)), &SimConfig::default());
    let counts: Vec<(&str, u64)> = COUNTS.iter().map(|n| (*n, m.counts[*n])).collect();
    assert_eq!(
        counts,
        [
            ("orders", 1),
            ("confirmed", 0),
            ("cancelled", 1),
            ("cancelled_business", 1),
            ("cancelled_fault", 0),
            ("messages", 21),
            ("compensations", 2),
            ("span_ms", 800),
        ]
    );
    assert_eq!(samples(&m, "latency_ms"), [800]);
    assert_eq!(samples(&m, "holding_ms"), [350, 350]);
    assert_eq!(samples(&m, "in_doubt_ms"), [350, 350]);
}

#[test]
fn every_name_is_filled_on_every_run_of_every_protocol_and_the_counts_add_up() {
    for (name, spec) in PROTOCOLS {
        for seed in 0..4 {
            let mut s = OrderSystem::new(spec);
            let r = run(&mut s, Start::Seed(Seed(seed)), &SimConfig::default()).unwrap();
            let m = &r.report.metrics;
            let at = format!("{name} seed {seed}");
            let counts: BTreeSet<&str> = m.counts.keys().map(String::as_str).collect();
            let lists: BTreeSet<&str> = m.samples.keys().map(String::as_str).collect();
            assert_eq!(counts, COUNTS.into_iter().collect(), "{at}");
            assert_eq!(lists, SAMPLES.into_iter().collect(), "{at}");
            let c = |n: &str| m.counts[n];
            let outcomes = m.samples["latency_ms"].len() as u64;
            assert_eq!(c("confirmed") + c("cancelled"), outcomes, "{at}");
            assert!(outcomes <= c("orders"), "{at}");
            assert_eq!(
                c("cancelled_business") + c("cancelled_fault"),
                c("cancelled"),
                "{at}"
            );
            assert_eq!(c("orders"), 12, "{at}: every order is placed");
            assert!(c("messages") >= 2 * c("orders"), "{at}");
            let longest = m.samples["latency_ms"].iter().max().copied();
            assert!(longest <= Some(c("span_ms")), "{at}");
            if name.starts_with("saga") {
                assert!(m.samples["in_doubt_ms"].is_empty(), "{at}: no tried branch");
            }
        }
    }
}

/// Without faults and without business failures nothing is refused, so no cancel is a
/// business one; and nothing else cancels either — except 2pc with concurrent clients, whose
/// prepared branches hold their locks: two orders each holding what the other waits for
/// (seed 0: order 2 prepared at points and waiting on stock, order 3 the other way round)
/// both abort on their timeouts, fault cancels without a fault. With one client 2pc cancels
/// nothing.
#[test]
fn without_faults_or_business_failures_only_2pc_lock_waits_cancel() {
    let config = SimConfig {
        faults: FaultPreset::None,
        ..SimConfig::default()
    };
    for (name, spec) in PROTOCOLS {
        for clients in [1, 3] {
            let mut cancelled = 0;
            for seed in 0..6 {
                let mut s = OrderSystem::new(spec);
                s.shape = WorkloadShape {
                    clients,
                    business_failures: false,
                    ..WorkloadShape::default()
                };
                let r = run(&mut s, Start::Seed(Seed(seed)), &config).unwrap();
                let m = &r.report.metrics;
                let at = format!("{name} × {clients} seed {seed}");
                assert!(r.report.is_clean(), "{at}: {:?}", r.report.violations);
                assert_eq!(m.counts["cancelled_business"], 0, "{at}");
                assert_eq!(
                    m.counts["confirmed"] + m.counts["cancelled"],
                    m.counts["orders"],
                    "{at}"
                );
                cancelled += m.counts["cancelled_fault"];
            }
            let concurrent_2pc = name == "2pc" && clients > 1;
            assert_eq!(
                cancelled > 0,
                concurrent_2pc,
                "{name} × {clients}: {cancelled}"
            );
        }
    }
}

#[test]
fn a_seed_measures_the_same_twice() {
    for (name, spec) in PROTOCOLS {
        let a = metrics_of(spec, Start::Seed(Seed(7)), &SimConfig::default());
        let b = metrics_of(spec, Start::Seed(Seed(7)), &SimConfig::default());
        assert_eq!(a, b, "{name}");
    }
}
