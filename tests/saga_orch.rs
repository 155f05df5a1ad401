//! saga-orch's claims, each with the plan or seeds that exercise it: a capture whose reply is
//! lost is found by asking the gateway (and with `saga-timeout-as-failure` the same plan
//! cancels a paid order); and seeded runs under every fault are clean. Seeded runs honour
//! `DTX_SEED`, `DTX_SEEDS` (default 200) and `DTX_SEED_START`.

mod support;

use dtx_models::protocols::saga_orch;
use dtx_sim::{Effect, Fault, Plan, RunReport, Seed, Start};
use support::{broke, one_order, probe, seeds};

fn report(bug: Option<&'static str>, start: Start) -> RunReport {
    support::report(saga_orch::SPEC, bug, start)
}

/// Client 0's first order with seed 8 (2 of sku 3, 10 points, 29 on a good card): its capture
/// leaves at 1150 ms and the gateway captures at 1200 ms. Every datagram from payment to order
/// is dropped from 1180 ms for 3.5 s: the capture's reply and the replies to its two retries
/// (replays at the gateway) are lost. The step's budget runs out at about 4.75 s, after the
/// cut: the saga asks the gateway by key and finds the capture.
fn capture_reply_lost() -> Plan {
    one_order(
        8,
        vec![Fault {
            at_ms: 1_180,
            duration_ms: 3_500,
            effect: Effect::OneWay {
                from: vec!["payment".into()],
                to: vec!["order".into()],
            },
        }],
    )
}

#[test]
fn a_capture_whose_reply_is_lost_is_found_by_asking_the_gateway() {
    let r = report(None, Start::Plan(capture_reply_lost()));
    assert!(r.is_clean(), "{:?}", r.violations);
    assert!(r.quiescent);
    assert_eq!(probe(&r, "saga.unknown_resolved_by_query"), 1);
    assert_eq!(probe(&r, "payment.queried"), 1);
    assert_eq!(
        probe(&r, "saga.compensation_run"),
        0,
        "the order is confirmed"
    );
}

#[test]
fn taking_the_lost_reply_as_failure_cancels_a_paid_order() {
    let r = report(
        Some(saga_orch::BUG_TIMEOUT_AS_FAILURE),
        Start::Plan(capture_reply_lost()),
    );
    assert!(
        broke(&r).contains("no-unmatched-charge"),
        "{:?}",
        r.violations
    );
    assert_eq!(probe(&r, "saga.unknown_resolved_by_query"), 0);
}

#[test]
fn seeded_runs_under_every_fault_are_clean_and_settle() {
    for s in seeds(200) {
        let r = report(None, Start::Seed(Seed(s)));
        assert!(
            r.is_clean() && r.quiescent,
            "seed {s}: {:?}; reproduce: cargo run --release -- run --protocol saga-orch --seed {s}",
            r.violations
        );
    }
}
