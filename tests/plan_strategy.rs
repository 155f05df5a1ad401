//! Proptest over explicit fault plans (`dtx_sim::strategy`), with proptest's own shrinking:
//! 2pc keeps every invariant under generated plans, and a 2pc bug knob found by proptest
//! shrinks to a plan with fewer faults that still breaks the knob's invariant. Generation is
//! seeded (`rng_seed`), so both tests see the same plans every time.

use dtx_models::protocols::two_pc;
use dtx_models::services::holdings::BUG_PREPARE_NOT_DURABLE;
use dtx_models::system::OrderSystem;
use dtx_sim::strategy::plans;
use dtx_sim::{run, Plan, RunReport, Scenario, SimConfig, Start};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestError, TestRunner};

fn run_2pc(bug: Option<&'static str>, plan: Plan) -> RunReport {
    let mut system = OrderSystem::new(two_pc::SPEC).with_bug(bug);
    run(&mut system, Start::Plan(plan), &SimConfig::default())
        .expect("generated plans are valid for the topology")
        .report
}

fn topology() -> dtx_sim::Topology {
    OrderSystem::new(two_pc::SPEC).topology()
}

proptest! {
    #![proptest_config(Config {
        cases: 48,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(0x5eed),
        ..Config::default()
    })]

    #[test]
    fn two_phase_commit_keeps_every_invariant_under_generated_plans(
        plan in plans(&topology(), 20_000, 10)
    ) {
        let r = run_2pc(None, plan.clone());
        prop_assert!(r.is_clean(), "{:?}\n{plan}", r.violations);
    }
}

#[test]
fn proptest_shrinks_a_bug_knob_failure_to_a_smaller_plan_with_the_same_invariant() {
    let bug = BUG_PREPARE_NOT_DURABLE;
    let mut runner = TestRunner::new(Config {
        cases: 256,
        failure_persistence: None,
        // Generation is seeded like everything else here: the test is the same every time.
        rng_seed: RngSeed::Fixed(0x5eed),
        ..Config::default()
    });
    let first: std::cell::RefCell<Option<Plan>> = Default::default();
    let result = runner.run(&plans(&topology(), 20_000, 12), |plan| {
        let r = run_2pc(Some(bug), plan.clone());
        if r.violations.iter().any(|v| v.invariant == "atomic-commit") {
            first.borrow_mut().get_or_insert(plan);
            return Err(TestCaseError::fail("atomic-commit"));
        }
        Ok(())
    });
    let Err(TestError::Fail(_, minimal)) = result else {
        panic!("--bug {bug} survived 256 generated plans: {result:?}");
    };
    let r = run_2pc(Some(bug), minimal.clone());
    assert!(
        r.violations.iter().any(|v| v.invariant == "atomic-commit"),
        "the shrunk plan still fails the same way"
    );
    let first = first.into_inner().expect("a failure was found");
    assert!(
        minimal.faults.len() < first.faults.len(),
        "not shrunk: first failing plan\n{first}\nshrunk\n{minimal}"
    );
    assert!(
        minimal
            .faults
            .iter()
            .any(|f| matches!(&f.effect, dtx_sim::Effect::Crash { host } | dtx_sim::Effect::CrashPoint { host, .. } | dtx_sim::Effect::Boundary { host, .. } if host == "stock" || host == "points")),
        "the bug needs a participant to crash:\n{minimal}"
    );
}
