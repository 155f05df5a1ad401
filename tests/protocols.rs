//! Protocol claims, each with the seed or plan that exercises it: every 2pc, tcc, saga-orch and
//! saga-choreo bug knob is
//! caught by the invariant its catalogue row names within a bounded seed range; the 1pc baseline is
//! caught leaving stock with cancelled orders and charging for them; 2pc blocking while its
//! coordinator is down is not a violation, blocking after it restarts is.

use std::collections::BTreeSet;

use dtx_models::protocols::{one_pc, saga_choreo, saga_orch, tcc, two_pc};
use dtx_models::system::{OrderSystem, ProtocolSpec};
use dtx_sim::{run, Effect, Fault, FaultKind, Plan, RunReport, Seed, SimConfig, Start};

/// Seeds a knob gets to show itself in.
const BOUND: u64 = 500;

fn report(spec: ProtocolSpec, bug: Option<&'static str>, start: Start) -> RunReport {
    let mut system = OrderSystem::new(spec).with_bug(bug);
    run(&mut system, start, &SimConfig::default())
        .unwrap()
        .report
}

/// The first seed below `bound` whose violations include one of `wanted`, with what it broke.
fn first_catch(
    spec: ProtocolSpec,
    bug: Option<&'static str>,
    wanted: &[&str],
    bound: u64,
) -> Option<(u64, BTreeSet<String>)> {
    (0..bound).find_map(|s| {
        let r = report(spec, bug, Start::Seed(Seed(s)));
        let broke: BTreeSet<String> = r.violations.iter().map(|v| v.invariant.clone()).collect();
        wanted
            .iter()
            .any(|w| broke.contains(*w))
            .then_some((s, broke))
    })
}

#[test]
fn every_2pc_bug_knob_is_caught_by_the_invariant_its_catalogue_row_names() {
    for bug in two_pc::BUGS {
        let found = first_catch(two_pc::SPEC, Some(bug.name), bug.breaks, BOUND);
        let (seed, broke) = found.unwrap_or_else(|| {
            panic!(
                "--bug {} not caught by {:?} in seeds 0..{BOUND}",
                bug.name, bug.breaks
            )
        });
        eprintln!(
            "--bug {} caught at seed {} ({broke:?}); reproduce: cargo run --release -- run --protocol 2pc --seed {} --bug {}",
            bug.name,
            Seed(seed),
            Seed(seed),
            bug.name
        );
    }
}

/// Seeds a tcc knob gets: each is caught within a few (see `dtx mutants`), so the bound is
/// kept small and `cargo test` fast.
const TCC_BOUND: u64 = 50;

#[test]
fn every_tcc_bug_knob_is_caught_by_the_invariant_its_catalogue_row_names() {
    for bug in tcc::BUGS {
        let found = first_catch(tcc::SPEC, Some(bug.name), bug.breaks, TCC_BOUND);
        let (seed, broke) = found.unwrap_or_else(|| {
            panic!(
                "--bug {} not caught by {:?} in seeds 0..{TCC_BOUND}",
                bug.name, bug.breaks
            )
        });
        eprintln!(
            "--bug {} caught at seed {} ({broke:?}); reproduce: cargo run --release -- run --protocol tcc --seed {} --bug {}",
            bug.name,
            Seed(seed),
            Seed(seed),
            bug.name
        );
    }
}

/// Seeds a saga-orch knob gets: each is caught within a few dozen (see `dtx mutants`).
const SAGA_BOUND: u64 = 100;

#[test]
fn every_saga_orch_bug_knob_is_caught_by_the_invariant_its_catalogue_row_names() {
    for bug in saga_orch::BUGS {
        let found = first_catch(saga_orch::SPEC, Some(bug.name), bug.breaks, SAGA_BOUND);
        let (seed, broke) = found.unwrap_or_else(|| {
            panic!(
                "--bug {} not caught by {:?} in seeds 0..{SAGA_BOUND}",
                bug.name, bug.breaks
            )
        });
        eprintln!(
            "--bug {} caught at seed {} ({broke:?}); reproduce: cargo run --release -- run --protocol saga-orch --seed {} --bug {}",
            bug.name,
            Seed(seed),
            Seed(seed),
            bug.name
        );
    }
}

/// Seeds a saga-choreo knob gets: each is caught within a few (see `dtx mutants`).
const CHOREO_BOUND: u64 = 100;

#[test]
fn every_saga_choreo_bug_knob_is_caught_by_the_invariant_its_catalogue_row_names() {
    for bug in saga_choreo::BUGS {
        let found = first_catch(saga_choreo::SPEC, Some(bug.name), bug.breaks, CHOREO_BOUND);
        let (seed, broke) = found.unwrap_or_else(|| {
            panic!(
                "--bug {} not caught by {:?} in seeds 0..{CHOREO_BOUND}",
                bug.name, bug.breaks
            )
        });
        eprintln!(
            "--bug {} caught at seed {} ({broke:?}); reproduce: cargo run --release -- run --protocol saga-choreo --seed {} --bug {}",
            bug.name,
            Seed(seed),
            Seed(seed),
            bug.name
        );
    }
}

#[test]
fn the_1pc_baseline_is_caught_keeping_goods_and_money_of_cancelled_orders() {
    let goods = first_catch(
        one_pc::SPEC,
        None,
        &["cancelled-clean", "stock-conserved"],
        BOUND,
    );
    assert!(
        goods.is_some(),
        "1pc never caught leaving stock or points with a cancelled order"
    );
    let money = first_catch(one_pc::SPEC, None, &["no-unmatched-charge"], BOUND);
    assert!(
        money.is_some(),
        "1pc never caught charging for an order it did not confirm"
    );
}

/// The coordinator dies right after logging its first decision and stays down 12 s.
fn coordinator_down(seed: u64) -> Plan {
    Plan {
        seed: Seed(seed),
        window_ms: 20_000,
        swarm: BTreeSet::from([FaultKind::CrashPoint]),
        faults: vec![Fault {
            at_ms: 0,
            duration_ms: 12_000,
            effect: Effect::CrashPoint {
                host: "order".into(),
                point: "2pc.after_decision_logged".into(),
            },
        }],
        skip: BTreeSet::new(),
    }
}

#[test]
fn blocking_while_the_coordinator_is_down_is_no_violation_but_after_its_restart_it_is() {
    let plan = coordinator_down(7);
    let r = report(two_pc::SPEC, None, Start::Plan(plan.clone()));
    assert!(r.is_clean(), "{:?}", r.violations);
    let probe = |r: &RunReport, p: &str| r.probes.get(p).copied().unwrap_or(0);
    assert!(
        probe(&r, "stock.in_doubt_asked") + probe(&r, "points.in_doubt_asked") > 0,
        "participants were never blocked in doubt: the plan does not exercise blocking"
    );
    assert!(probe(&r, "2pc.in_doubt_resolved_on_recovery") > 0);
    let r = report(
        two_pc::SPEC,
        Some(two_pc::BUG_NO_RECOVERY),
        Start::Plan(plan),
    );
    assert!(
        r.violations.iter().any(|v| v.invariant == "terminated"),
        "{:?}",
        r.violations
    );
}

/// 1pc with the workload's business failures switched off: every card pays and no order has
/// to fail on a business rule.
fn faults_only_1pc(start: Start) -> RunReport {
    let mut system = OrderSystem::new(one_pc::SPEC);
    system.shape.business_failures = false;
    run(&mut system, start, &SimConfig::default())
        .unwrap()
        .report
}

#[test]
fn the_1pc_baseline_keeps_failing_because_of_faults() {
    // Without faults and without business failures, 1pc has nothing to get wrong …
    for s in 0..20 {
        let r = faults_only_1pc(Start::Plan(Plan::calm(Seed(s), 20_000)));
        assert!(
            r.is_clean(),
            "seed {s}: calm 1pc without business failures broke {:?}",
            r.violations
        );
    }
    // … so when it charges for an order it did not confirm ("payment succeeded, reply
    // lost"), a fault did it.
    const FAULT_BOUND: u64 = 300;
    let caught = (0..FAULT_BOUND).find(|s| {
        faults_only_1pc(Start::Seed(Seed(*s)))
            .violations
            .iter()
            .any(|v| v.invariant == "no-unmatched-charge")
    });
    let seed = caught.unwrap_or_else(|| {
        panic!("1pc without business failures never broke no-unmatched-charge in seeds 0..{FAULT_BOUND}")
    });
    eprintln!("1pc without business failures: no-unmatched-charge caught at seed {seed}");
}
