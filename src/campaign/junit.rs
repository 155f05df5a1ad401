//! `--junit FILE|-`: the campaign as JUnit XML, so any CI shows findings as failed tests. One
//! testsuite per target; one failed testcase per failure signature (its message, case file,
//! reproduction and shrink lines); one passing testcase for a clean target; a skipped one for
//! a target the campaign did not get to.

use quick_junit::{NonSuccessKind, Report as Junit, TestCase, TestCaseStatus, TestSuite};

use crate::campaign::report::{Report, Verdict};
use crate::campaign::summary::thousands;

/// The report as JUnit XML.
pub fn junit(r: &Report) -> String {
    let mut junit = Junit::new("dtx campaign");
    for t in &r.targets {
        let name = t.name();
        let mut suite = TestSuite::new(name.clone());
        for g in &t.signatures {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status
                .set_message(format!(
                    "{} failing seed(s), first {}: {}",
                    thousands(g.count),
                    g.first_seed(),
                    g.detail
                ))
                .set_type(g.invariant.clone())
                .set_description(format!(
                    "signature: {}\ncase: {}\nreproduce: {}\nshrink: {}\nseeds: {}{}\n",
                    g.signature,
                    g.case.as_deref().unwrap_or("(no --out)"),
                    g.repro,
                    g.shrink,
                    g.seeds
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(" "),
                    if g.seeds_not_listed > 0 {
                        format!(" and {} more", g.seeds_not_listed)
                    } else {
                        String::new()
                    }
                ));
            let mut case = TestCase::new(g.signature.clone(), status);
            case.set_classname(name.clone());
            suite.add_test_case(case);
        }
        let clean = match t.verdict {
            Verdict::Pass => Some(TestCaseStatus::success()),
            Verdict::NotRun => {
                let mut s = TestCaseStatus::skipped();
                s.set_message("the campaign stopped before this target's turn");
                Some(s)
            }
            Verdict::Fail => None,
        };
        if let Some(status) = clean {
            let mut case = TestCase::new(
                format!("no failing seed in {} runs", thousands(t.runs)),
                status,
            );
            case.set_classname(name.clone());
            suite.add_test_case(case);
        }
        junit.add_test_suite(suite);
    }
    junit.to_string().expect("JUnit reports serialize")
}
