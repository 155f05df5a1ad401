//! Shrinking: delta debugging (ddmin) over a failing run's explicit plan — first its faults,
//! then its workload items (orders) — keeping every reduction under which the same invariant
//! still fails. The result replays bit for bit: it is a plan, not a seed. Which invariant is
//! kept: the case's, else the bug knob's, else the first violated.

use dtx_sim::{run, Plan, RunReport, SimConfig, Start};

use crate::registry::Target;

/// The outcome of a shrink.
#[derive(Debug)]
pub struct Shrunk {
    /// The smallest failing plan found.
    pub plan: Plan,
    /// Runs spent.
    pub runs: u32,
}

/// The invariant a shrink keeps failing: the one asked for (a case's expected invariant) if
/// the run violates it; else, with a bug knob, the first violated invariant its catalogue row
/// names (`bug.breaks`); else the first violated. None when the run is clean.
pub fn invariant_to_keep(
    target: &Target,
    report: &RunReport,
    asked: Option<&str>,
) -> Option<String> {
    let violated = |name: &str| report.violations.iter().any(|v| v.invariant == name);
    if let Some(inv) = asked.filter(|i| violated(i)) {
        return Some(inv.to_string());
    }
    let by_bug = target.bug.and_then(|b| {
        report
            .violations
            .iter()
            .find(|v| b.breaks.contains(&v.invariant.as_str()))
    });
    by_bug
        .or(report.violations.first())
        .map(|v| v.invariant.clone())
}

/// Does `plan` still violate `invariant`?
fn still_fails(target: &Target, plan: &Plan, invariant: &str, config: &SimConfig) -> bool {
    let r = run(&mut *target.scenario(), Start::Plan(plan.clone()), config)
        .expect("a reduction of a valid plan is valid");
    r.report.violations.iter().any(|v| v.invariant == invariant)
}

/// Shrink `plan` (which violates `invariant`) for `target`.
pub fn shrink(target: &Target, plan: Plan, invariant: &str, config: &SimConfig) -> Shrunk {
    let mut runs = 0u32;
    let mut best = plan;

    let faults = best.faults.clone();
    let base = best.clone();
    let kept = ddmin(faults, |subset| {
        runs += 1;
        let mut p = base.clone();
        p.faults = subset.to_vec();
        still_fails(target, &p, invariant, config)
    });
    best.faults = kept;

    let items: Vec<u32> = (0..target.scenario().workload_items())
        .filter(|i| !best.skip.contains(i))
        .collect();
    let base = best.clone();
    let all = items.clone();
    let kept = ddmin(items, |subset| {
        runs += 1;
        let mut p = base.clone();
        p.skip.extend(all.iter().filter(|i| !subset.contains(i)));
        still_fails(target, &p, invariant, config)
    });
    best.skip.extend(all.iter().filter(|i| !kept.contains(i)));
    Shrunk { plan: best, runs }
}

/// Zeller's ddmin: a 1-minimal subset of `items` for which `fails` holds (given that it
/// holds for `items`).
pub fn ddmin<T: Clone>(items: Vec<T>, mut fails: impl FnMut(&[T]) -> bool) -> Vec<T> {
    let mut current = items;
    let mut n = 2usize;
    while current.len() >= 2 {
        let chunk = current.len().div_ceil(n);
        let parts: Vec<Vec<T>> = current.chunks(chunk).map(<[T]>::to_vec).collect();
        let mut reduced = false;
        for (i, part) in parts.iter().enumerate() {
            if fails(part) {
                current = part.clone();
                n = 2;
                reduced = true;
                break;
            }
            let complement: Vec<T> = parts
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .flat_map(|(_, p)| p.iter().cloned())
                .collect();
            if parts.len() > 2 && fails(&complement) {
                current = complement;
                n = (n - 1).max(2);
                reduced = true;
                break;
            }
        }
        if !reduced {
            if n >= current.len() {
                break;
            }
            n = (n * 2).min(current.len());
        }
    }
    if current.len() == 1 && fails(&[]) {
        current.clear();
    }
    current
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ddmin_finds_the_pair_that_matters() {
        let items: Vec<u32> = (0..20).collect();
        let mut tests = 0;
        let min = ddmin(items, |s| {
            tests += 1;
            s.contains(&3) && s.contains(&17)
        });
        assert_eq!(min, vec![3, 17]);
        assert!(tests < 60, "{tests} tests");
    }

    #[test]
    fn ddmin_empties_when_nothing_is_needed() {
        assert!(ddmin(vec![1, 2, 3], |_| true).is_empty());
    }
}
