//! Fault coverage of a campaign: per fault kind, how many planned faults had an effect (a
//! fault that touches nothing is wasted CPU), how many runs saw no fault bite at all, how many
//! runs never settled, and at which hosts boundary crashes (deaths between two durable
//! writes) happened, against the hosts that write at all.

use std::collections::BTreeMap;

use dtx_sim::{every_kind, FaultTally, RunReport};
use serde::{Deserialize, Serialize};

/// What one run contributes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunCoverage {
    pub faults: BTreeMap<String, FaultTally>,
    pub quiescent: bool,
    pub boundary_crashes: BTreeMap<String, u64>,
    pub writes: BTreeMap<String, u64>,
}

impl RunCoverage {
    /// The coverage part of a run's report.
    pub fn of(r: &RunReport) -> Self {
        RunCoverage {
            faults: r.faults.clone(),
            quiescent: r.quiescent,
            boundary_crashes: r.boundary_crashes.clone(),
            writes: r.writes.clone(),
        }
    }

    fn any_bite(&self) -> bool {
        self.faults.values().any(|t| t.bitten > 0)
    }
}

/// A campaign's fault coverage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coverage {
    /// Per fault kind (every kind listed): planned and had an effect.
    pub faults: BTreeMap<String, FaultTally>,
    /// Runs in which no planned fault had any effect.
    pub runs_without_fault_effect: u64,
    /// Runs that did not become quiescent by the deadline.
    pub unsettled_runs: u64,
    /// Per host that wrote durably in some run: how often it died at a write boundary.
    pub boundary_crashes: BTreeMap<String, u64>,
}

impl Default for Coverage {
    fn default() -> Self {
        Coverage {
            faults: every_kind(),
            runs_without_fault_effect: 0,
            unsettled_runs: 0,
            boundary_crashes: BTreeMap::new(),
        }
    }
}

impl Coverage {
    /// Count one run.
    pub fn add(&mut self, run: &RunCoverage) {
        for (kind, t) in &run.faults {
            self.faults.entry(kind.clone()).or_default().add(*t);
        }
        if !run.any_bite() {
            self.runs_without_fault_effect += 1;
        }
        if !run.quiescent {
            self.unsettled_runs += 1;
        }
        for host in run.writes.keys() {
            self.boundary_crashes.entry(host.clone()).or_insert(0);
        }
        for (host, n) in &run.boundary_crashes {
            *self.boundary_crashes.entry(host.clone()).or_insert(0) += n;
        }
    }

    /// Hosts that write durably but never died at a write boundary.
    pub fn writers_never_boundary_crashed(&self) -> Vec<String> {
        self.boundary_crashes
            .iter()
            .filter(|(_, n)| **n == 0)
            .map(|(h, _)| h.clone())
            .collect()
    }

    /// The share of planned faults of `kind` that had an effect (None: none planned).
    pub fn share(&self, kind: &str) -> Option<f64> {
        let t = self.faults.get(kind)?;
        (t.planned > 0).then(|| t.bitten as f64 / t.planned as f64)
    }

    /// The fault table and the boundary-crash line, as Markdown.
    pub fn markdown(&self, runs: u64) -> String {
        let mut s = String::from(
            "| fault kind | planned | had an effect | share |\n|---|---:|---:|---:|\n",
        );
        for (kind, t) in &self.faults {
            let share = self
                .share(kind)
                .map(|x| format!("{:.0}%", 100.0 * x))
                .unwrap_or_else(|| "—".into());
            s.push_str(&format!(
                "| {kind} | {} | {} | {share} |\n",
                t.planned, t.bitten
            ));
        }
        let pct = |n: u64| {
            if runs == 0 {
                0.0
            } else {
                100.0 * n as f64 / runs as f64
            }
        };
        s.push_str(&format!(
            "\nRuns with no fault effect at all: {} of {runs} ({:.1}%). Runs that never settled: {} ({:.1}%).\n",
            self.runs_without_fault_effect,
            pct(self.runs_without_fault_effect),
            self.unsettled_runs,
            pct(self.unsettled_runs),
        ));
        let per_host: Vec<String> = self
            .boundary_crashes
            .iter()
            .map(|(h, n)| format!("{h} {n}"))
            .collect();
        s.push_str(&format!(
            "Boundary crashes per writing host: {}.\n",
            if per_host.is_empty() {
                "no host wrote".to_string()
            } else {
                per_host.join(", ")
            }
        ));
        let never = self.writers_never_boundary_crashed();
        if !never.is_empty() {
            s.push_str(&format!(
                "Writing hosts never crashed at a write boundary: {}.\n",
                never.join(", ")
            ));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_bites_runs_without_effect_and_boundary_hosts() {
        let mut c = Coverage::default();
        let mut a = RunCoverage {
            quiescent: true,
            ..RunCoverage::default()
        };
        a.faults.insert(
            "loss".into(),
            FaultTally {
                planned: 2,
                bitten: 1,
            },
        );
        a.writes.insert("stock".into(), 5);
        a.writes.insert("order".into(), 9);
        a.boundary_crashes.insert("order".into(), 1);
        let mut b = RunCoverage::default();
        b.faults.insert(
            "pause".into(),
            FaultTally {
                planned: 1,
                bitten: 0,
            },
        );
        c.add(&a);
        c.add(&b);
        assert_eq!(c.runs_without_fault_effect, 1);
        assert_eq!(c.unsettled_runs, 1);
        assert_eq!(c.share("loss"), Some(0.5));
        assert_eq!(c.share("pause"), Some(0.0));
        assert_eq!(c.share("crash"), None);
        assert_eq!(
            c.writers_never_boundary_crashed(),
            vec!["stock".to_string()]
        );
        let md = c.markdown(2);
        assert!(md.contains("| loss | 2 | 1 | 50% |"), "{md}");
        assert!(
            md.contains("no fault effect at all: 1 of 2 (50.0%)"),
            "{md}"
        );
        assert!(
            md.contains("never crashed at a write boundary: stock"),
            "{md}"
        );
    }
}
