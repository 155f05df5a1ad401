//! A panic in a host task — the main future or a spawned sub-task, which turmoil would
//! swallow — becomes a violation in the report; the runner itself does not panic.

mod support;

use dtx_sim::{engine_invariants, run, Seed, Start};
use support::{config, Mode, Pinger};

#[test]
fn a_panic_in_a_spawned_sub_task_becomes_a_violation() {
    let mut p = Pinger::new(Mode::OneWay, 6);
    p.panic_on = Some(3);
    let r = run(
        &mut p,
        Start::Plan(dtx_sim::Plan::calm(Seed(1), 5_000)),
        &config(5_000),
    )
    .unwrap();
    let v = &r.report.violations;
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0].invariant, engine_invariants::HOST_PANIC);
    assert!(
        v[0].detail.contains("sub-task gave up on ping 3"),
        "{}",
        v[0].detail
    );
    assert!(r
        .trace
        .events
        .iter()
        .any(|e| matches!(e.kind, dtx_sim::EventKind::Panic { .. })));
}

#[test]
fn a_panic_in_a_host_main_task_becomes_a_violation() {
    let mut p = Pinger::new(Mode::OneWay, 6);
    p.main_panic_on = Some(2);
    let r = run(&mut p, Start::Seed(Seed(1)), &config(5_000)).unwrap();
    let v = &r.report.violations;
    assert!(!v.is_empty());
    assert_eq!(v[0].invariant, engine_invariants::HOST_PANIC);
    assert!(
        v[0].detail.contains("server main task gave up on ping 2"),
        "{}",
        v[0].detail
    );
}

#[test]
fn a_clean_run_has_no_violation() {
    let mut p = Pinger::new(Mode::Call, 6);
    let r = run(
        &mut p,
        Start::Plan(dtx_sim::Plan::calm(Seed(1), 5_000)),
        &config(5_000),
    )
    .unwrap();
    assert!(r.report.is_clean(), "{:?}", r.report.violations);
    assert!(r.report.quiescent);
}
