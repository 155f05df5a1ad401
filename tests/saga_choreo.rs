//! saga-choreo's claims, each with the plan or seeds that exercise it: a consumer that dies
//! after its local commit and before its offset commit gets the event again and its inbox
//! ignores it (and without dedup it applies twice); the order service dying between the
//! commit of an order and its publication loses nothing through the outbox (and a dual
//! write loses the event); seeded runs under every fault are clean. Seeded runs honour
//! `DTX_SEED`, `DTX_SEEDS` (default 100) and `DTX_SEED_START`.

mod support;

use dtx_models::protocols::saga_choreo;
use dtx_sim::{Effect, Fault, Plan, RunReport, Seed, Start};
use support::{broke, probe, seeds};

fn report(bug: Option<&'static str>, start: Start) -> RunReport {
    support::report(saga_choreo::SPEC, bug, start)
}

/// One order (client 0's first with seed 8: 2 of sku 3, 10 points, a good card; the other
/// eleven skipped), and the host `host` dying the first time it passes `point`.
fn one_order_dying_at(host: &str, point: &str) -> Plan {
    let faults = vec![Fault {
        at_ms: 0,
        duration_ms: 2_000,
        effect: Effect::CrashPoint {
            host: host.into(),
            point: point.into(),
        },
    }];
    Plan {
        seed: Seed(8),
        window_ms: 20_000,
        swarm: faults.iter().map(|f| f.effect.kind()).collect(),
        faults,
        skip: (1..12).collect(),
    }
}

#[test]
fn a_consumer_dying_before_its_offset_commit_gets_the_event_again_and_ignores_it() {
    let plan = || one_order_dying_at("stock", "choreo.stock.after_commit");
    let r = report(None, Start::Plan(plan()));
    assert!(r.is_clean() && r.quiescent, "{:?}", r.violations);
    assert!(probe(&r, "choreo.redelivered_after_crash") >= 1);
    assert!(probe(&r, "choreo.duplicate_ignored") >= 1);
    let r = report(
        Some(saga_choreo::BUG_NON_IDEMPOTENT_CONSUMER),
        Start::Plan(plan()),
    );
    assert!(broke(&r).contains("effects-once"), "{:?}", r.violations);
}

#[test]
fn the_order_service_dying_between_commit_and_publish_loses_nothing_through_the_outbox() {
    let plan = || one_order_dying_at("order", "choreo.after_place_commit");
    let r = report(None, Start::Plan(plan()));
    assert!(r.is_clean() && r.quiescent, "{:?}", r.violations);
    let r = report(Some(saga_choreo::BUG_DUAL_WRITE), Start::Plan(plan()));
    assert!(broke(&r).contains("terminated"), "{:?}", r.violations);
}

#[test]
fn seeded_runs_under_every_fault_are_clean_and_settle() {
    for s in seeds(100) {
        let r = report(None, Start::Seed(Seed(s)));
        assert!(
            r.is_clean() && r.quiescent,
            "seed {s}: {:?}; reproduce: cargo run --release -- run --protocol saga-choreo --seed {s}",
            r.violations
        );
    }
}
