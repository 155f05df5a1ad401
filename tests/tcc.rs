//! tcc's claims, each with the plan or seeds that exercise it: a cancel that reaches stock
//! before its try fences the branch and the late try is refused (and without the fence log the
//! same plan breaks conservation and effects-once); an order service that dies after recording
//! its decision re-sends it after restart; a participant cut off from its confirm resolves its
//! reservation by asking; and seeded runs under every fault are clean. Seeded runs honour
//! `DTX_SEED`, `DTX_SEEDS` (default 200) and `DTX_SEED_START`.

mod support;

use dtx_models::protocols::tcc;
use std::collections::BTreeSet;

use dtx_sim::{Effect, Fault, FaultKind, Plan, RunReport, Seed, Start};
use support::{broke, one_order, probe, seeds};

fn report(bug: Option<&'static str>, start: Start) -> RunReport {
    support::report(tcc::SPEC, bug, start)
}

/// The order's try to stock leaves at 450 ms; every datagram between order and stock is held
/// from 400 ms for 6 s. The try and its two retries are held, the order service gives up on
/// stock at about 4.4 s and decides cancel; its cancels are held too. At 6.8 s the hold ends
/// and the held datagrams arrive shuffled — with seed 8, the first cancel first, then the
/// three tries, then the retried cancel.
fn cancel_before_try() -> Plan {
    one_order(
        8,
        vec![Fault {
            at_ms: 400,
            duration_ms: 6_000,
            effect: Effect::Hold {
                a: "order".into(),
                b: "stock".into(),
            },
        }],
    )
}

#[test]
fn a_cancel_that_arrives_before_its_try_fences_the_branch_and_the_late_try_is_refused() {
    let r = report(None, Start::Plan(cancel_before_try()));
    assert!(r.is_clean(), "{:?}", r.violations);
    assert!(r.quiescent);
    assert_eq!(
        probe(&r, "tcc.empty_rollback"),
        2,
        "stock and points each cancel a branch they never tried"
    );
    assert_eq!(
        probe(&r, "tcc.hanging_try_refused"),
        3,
        "the try and its two retries arrive after the cancel and are refused"
    );
    assert_eq!(probe(&r, "stock.reserve_after_cancel"), 3);
}

#[test]
fn without_the_fence_log_the_same_plan_releases_what_was_never_reserved_and_the_try_hangs() {
    let r = report(Some(tcc::BUG_NO_FENCE), Start::Plan(cancel_before_try()));
    let b = broke(&r);
    assert!(
        b.contains("stock-conserved") && b.contains("effects-once"),
        "{:?}",
        r.violations
    );
    let said = |s: &str| r.violations.iter().any(|v| v.detail.contains(s));
    assert!(
        said("released more than was reserved"),
        "{:?}",
        r.violations
    );
    assert!(said("with no Try before it (empty rollback)"));
    assert!(said("Try applied after Cancel (hanging)"));
}

/// The order service dies right after recording its decision and stays down 8 s.
#[test]
fn a_decision_recorded_before_a_crash_is_delivered_after_the_restart() {
    let plan = one_order(
        7,
        vec![Fault {
            at_ms: 0,
            duration_ms: 8_000,
            effect: Effect::CrashPoint {
                host: "order".into(),
                point: "tcc.after_decision".into(),
            },
        }],
    );
    let r = report(None, Start::Plan(plan.clone()));
    assert!(r.is_clean(), "{:?}", r.violations);
    assert_eq!(probe(&r, "tcc.decision_resent_after_restart"), 1);
    assert!(
        probe(&r, "stock.reservation_asked") + probe(&r, "points.reservation_asked") > 0,
        "participants asked about their reservations while the order service was down"
    );
    let r = report(Some(tcc::BUG_NO_PENDING_RECOVERY), Start::Plan(plan));
    assert!(broke(&r).contains("terminated"), "{:?}", r.violations);
}

/// Stock is cut off from the order service for 14 s right after the decision: the confirm to
/// stock runs out of budget, the scheduler drives the order again; points, waiting behind
/// stock, asks about its reservation and confirms it itself.
#[test]
fn a_confirm_out_of_budget_is_delivered_by_the_scheduler_and_a_waiting_participant_asks() {
    let plan = one_order(
        7,
        vec![Fault {
            at_ms: 1_050,
            duration_ms: 14_000,
            effect: Effect::Partition {
                a: vec!["order".into()],
                b: vec!["stock".into()],
            },
        }],
    );
    let r = report(None, Start::Plan(plan));
    assert!(r.is_clean(), "{:?}", r.violations);
    assert!(probe(&r, "tcc.phase2_gave_up") > 0, "{:?}", r.probes);
    assert!(probe(&r, "tcc.pending_recovered") > 0);
    assert!(
        probe(&r, "points.reservation_resolved") > 0,
        "{:?}",
        r.probes
    );
}

#[test]
fn tcc_keeps_every_invariant_under_every_fault() {
    let mut failures = Vec::new();
    let mut kinds = BTreeSet::new();
    for s in seeds(200) {
        let r = report(None, Start::Seed(Seed(s)));
        kinds.extend(r.faults.keys().cloned());
        if !r.is_clean() {
            failures.push(format!(
                "seed {}: {:?}\n  reproduce: cargo run --release -- run --protocol tcc --seed {}",
                Seed(s),
                r.violations,
                Seed(s)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    if seeds(200).len() >= 50 {
        assert_eq!(
            kinds.len(),
            FaultKind::ALL.len(),
            "every fault kind was planned: {kinds:?}"
        );
    }
}
