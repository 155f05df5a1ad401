//! Campaigns: many seeds of one target in parallel (one simulation per thread), a seed range
//! or a wall-clock budget, `--shard I/N` for spreading one campaign over machines, a progress
//! bar on a terminal, `report.json` + `summary.md`, and every failure saved to `failures/` as
//! a replayable case the moment it is found. Reports do not depend on `--jobs`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use dtx_sim::{run, Fnv64, Seed, SimConfig, Start, Violation};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::{Deserialize, Serialize};

use crate::case::{Case, Expect};
use crate::coverage::{Coverage, RunCoverage};
use crate::registry::Target;

/// Which part of the seed space a campaign covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("malformed shard '{s}': expected I/N with 0 <= I < N, e.g. 0/4");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count) = (
            i.trim().parse::<u64>().map_err(|_| bad())?,
            n.trim().parse::<u64>().map_err(|_| bad())?,
        );
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// What to run.
#[derive(Clone, Debug)]
pub struct Spec {
    pub target: Target,
    /// First seed of the range.
    pub start: u64,
    /// Seeds in the (unsharded) range; None: until `duration` runs out.
    pub seeds: Option<u64>,
    /// Wall-clock budget.
    pub duration: Option<Duration>,
    pub jobs: usize,
    pub shard: Shard,
    /// Where report.json, summary.md and failures/ go (None: nothing written).
    pub out: Option<PathBuf>,
    /// Print each failure as it is found.
    pub verbose: bool,
}

impl Spec {
    /// The k-th seed of this shard: seeds `start + shard.index + k * shard.count`, so the
    /// shards of one range are disjoint and together cover it.
    fn seed(&self, k: u64) -> Option<u64> {
        let offset = self.shard.index + k * self.shard.count;
        match self.seeds {
            Some(n) if offset >= n => None,
            _ => self.start.checked_add(offset),
        }
    }
}

/// One seed's result, as the report keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub seed: Seed,
    pub trace_hash: u64,
    pub violations: Vec<Violation>,
    pub probes: BTreeMap<String, u64>,
    pub died_at: BTreeMap<String, u64>,
    pub sim_ms: u64,
    pub coverage: RunCoverage,
}

/// A failing seed in the report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    pub seed: Seed,
    pub invariants: Vec<String>,
    pub detail: String,
    pub case: String,
    pub repro: String,
}

/// The campaign report (`report.json`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Report {
    pub protocol: String,
    pub bug: Option<String>,
    pub start: u64,
    pub seeds: Option<u64>,
    pub shard: String,
    pub runs: u64,
    pub failed: u64,
    pub failures: Vec<Failure>,
    pub violations_by_invariant: BTreeMap<String, u64>,
    pub probes: BTreeMap<String, u64>,
    pub probes_never_reached: Vec<String>,
    /// How often a host died at each of the protocol's crash points.
    pub crash_points: BTreeMap<String, u64>,
    /// Crash points no run died at: claims of surviving them are untested.
    pub crash_points_never_hit: Vec<String>,
    /// Fault kinds planned and biting, runs without effect, unsettled runs, boundary crashes.
    pub coverage: Coverage,
    /// Hash over every (seed, trace hash) pair in seed order: equal campaigns, equal hash.
    pub campaign_hash: String,
    pub simulated_secs: f64,
    /// True: stopped by Ctrl-C (or the budget) before the range was done.
    pub interrupted: bool,
    /// Wall-clock figures: the only fields that differ between equal campaigns.
    pub wall_secs: f64,
    pub seeds_per_sec: f64,
}

/// Run a campaign. `stop` ends it early (Ctrl-C).
#[allow(clippy::disallowed_methods)] // wall clock for the budget and the figures, not the sims
pub fn campaign(spec: &Spec, config: &SimConfig, stop: &AtomicBool) -> std::io::Result<Report> {
    let failures_dir = spec.out.as_ref().map(|o| o.join("failures"));
    if let Some(dir) = &failures_dir {
        std::fs::create_dir_all(dir)?;
    }
    let started = std::time::Instant::now();
    let deadline = spec.duration.map(|d| started + d);
    let total = spec.seeds.map(|n| {
        let s = spec.shard;
        n / s.count + u64::from(n % s.count > s.index)
    });
    let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {prefix} [{bar:30}] {pos}/{len} seeds {per_sec} {msg}",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar.set_prefix(spec.target.to_string());

    let next = AtomicU64::new(0);
    let out_of_time = AtomicBool::new(false);
    let (tx, rx) = mpsc::channel::<(Outcome, Option<dtx_sim::Plan>)>();
    let mut outcomes: BTreeMap<u64, Outcome> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut io_error = None;
    std::thread::scope(|scope| {
        for _ in 0..spec.jobs.max(1) {
            let tx = tx.clone();
            let (next, out_of_time) = (&next, &out_of_time);
            scope.spawn(move || loop {
                if stop.load(Ordering::SeqCst) || out_of_time.load(Ordering::SeqCst) {
                    break;
                }
                if deadline.is_some_and(|d| std::time::Instant::now() >= d) {
                    out_of_time.store(true, Ordering::SeqCst);
                    break;
                }
                let k = next.fetch_add(1, Ordering::SeqCst);
                let Some(seed) = spec.seed(k) else { break };
                let r = run(
                    &mut *spec.target.scenario(),
                    Start::Seed(Seed(seed)),
                    config,
                )
                .expect("generated plans fit");
                let failed = !r.report.violations.is_empty();
                let coverage = RunCoverage::of(&r.report);
                let outcome = Outcome {
                    coverage,
                    seed: r.report.seed,
                    trace_hash: r.report.trace_hash,
                    violations: r.report.violations,
                    probes: r.report.probes,
                    died_at: r.report.died_at,
                    sim_ms: r.report.stats.sim_ms,
                };
                if tx.send((outcome, failed.then_some(r.plan))).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        // The failure is on disk before anything else hears of it.
        for (outcome, plan) in rx {
            if let (Some(plan), Some(dir)) = (plan.as_ref(), failures_dir.as_ref()) {
                match save_failure(spec, dir, &outcome, plan.clone()) {
                    Ok(f) => failures.push(f),
                    Err(e) => io_error = Some(e),
                }
            } else if plan.is_some() {
                failures.push(failure_entry(spec, &outcome, String::new()));
            }
            if plan.is_some() && spec.verbose {
                let f = failures.last().expect("just pushed");
                bar.suspend(|| {
                    crate::outln!(
                        "FAIL seed {} {}: {}\n  case: {}\n  reproduce: {}",
                        f.seed,
                        f.invariants.join(", "),
                        f.detail,
                        f.case,
                        f.repro
                    )
                });
            }
            bar.inc(1);
            bar.set_message(format!("{} failed", failures.len()));
            outcomes.insert(outcome.seed.0, outcome);
        }
    });
    bar.finish_and_clear();
    if let Some(e) = io_error {
        return Err(e);
    }
    failures.sort_by_key(|f| f.seed);
    let wall = started.elapsed().as_secs_f64();
    let interrupted =
        stop.load(Ordering::SeqCst) || (spec.seeds.is_some() && out_of_time.load(Ordering::SeqCst));
    let report = summarize(spec, &outcomes, failures, wall, interrupted);
    if let Some(out) = &spec.out {
        write_report(out, &report)?;
    }
    Ok(report)
}

fn failure_entry(spec: &Spec, o: &Outcome, case: String) -> Failure {
    let mut invariants: Vec<String> = o.violations.iter().map(|v| v.invariant.clone()).collect();
    invariants.dedup();
    Failure {
        seed: o.seed,
        invariants,
        detail: o
            .violations
            .first()
            .map(|v| v.detail.clone())
            .unwrap_or_default(),
        case,
        repro: spec.target.repro(o.seed),
    }
}

fn save_failure(
    spec: &Spec,
    dir: &Path,
    o: &Outcome,
    plan: dtx_sim::Plan,
) -> std::io::Result<Failure> {
    let path = dir.join(format!("{}-{}.json", spec.target.protocol.name, o.seed));
    let case = Case {
        protocol: spec.target.protocol.name.to_string(),
        bug: spec.target.bug.map(|b| b.name.to_string()),
        seed: o.seed,
        plan,
        expect: Expect {
            must_fail: true,
            invariant: o.violations.first().map(|v| v.invariant.clone()),
        },
        repro: spec.target.repro(o.seed),
        note: String::new(),
    };
    case.save(&path)?;
    Ok(failure_entry(spec, o, path.display().to_string()))
}

fn summarize(
    spec: &Spec,
    outcomes: &BTreeMap<u64, Outcome>,
    failures: Vec<Failure>,
    wall: f64,
    interrupted: bool,
) -> Report {
    let mut by_invariant = BTreeMap::new();
    let mut probes: BTreeMap<String, u64> = (spec.target.protocol.probes)()
        .into_iter()
        .map(|p| (p, 0))
        .collect();
    let mut died_at: BTreeMap<String, u64> = spec
        .target
        .scenario()
        .topology()
        .crash_points
        .into_iter()
        .map(|(_, p)| (p, 0))
        .collect();
    let mut hash = Fnv64::new();
    let mut sim_ms = 0u64;
    let mut coverage = Coverage::default();
    for o in outcomes.values() {
        coverage.add(&o.coverage);
        hash.write_u64(o.seed.0);
        hash.write_u64(o.trace_hash);
        sim_ms += o.sim_ms;
        let mut seen: Vec<&str> = o.violations.iter().map(|v| v.invariant.as_str()).collect();
        seen.sort();
        seen.dedup();
        for inv in seen {
            *by_invariant.entry(inv.to_string()).or_insert(0) += 1;
        }
        for (p, n) in &o.probes {
            *probes.entry(p.clone()).or_insert(0) += n;
        }
        for (p, n) in &o.died_at {
            *died_at.entry(p.clone()).or_insert(0) += n;
        }
    }
    let runs = outcomes.len() as u64;
    Report {
        protocol: spec.target.protocol.name.to_string(),
        bug: spec.target.bug.map(|b| b.name.to_string()),
        start: spec.start,
        seeds: spec.seeds,
        shard: spec.shard.to_string(),
        runs,
        failed: failures.len() as u64,
        failures,
        violations_by_invariant: by_invariant,
        probes_never_reached: never(&probes),
        probes,
        crash_points_never_hit: never(&died_at),
        crash_points: died_at,
        coverage,
        campaign_hash: format!("{:#018x}", hash.finish()),
        simulated_secs: sim_ms as f64 / 1000.0,
        interrupted,
        wall_secs: wall,
        seeds_per_sec: if wall > 0.0 { runs as f64 / wall } else { 0.0 },
    }
}

/// The names whose count is zero.
fn never(counts: &BTreeMap<String, u64>) -> Vec<String> {
    counts
        .iter()
        .filter(|(_, n)| **n == 0)
        .map(|(p, _)| p.clone())
        .collect()
}

fn write_report(out: &Path, r: &Report) -> std::io::Result<()> {
    std::fs::create_dir_all(out)?;
    let json = serde_json::to_string_pretty(r).expect("reports serialize");
    std::fs::write(out.join("report.json"), json + "\n")?;
    std::fs::write(out.join("summary.md"), summary_md(r))
}

/// The report as Markdown.
pub fn summary_md(r: &Report) -> String {
    let mut s = format!(
        "# Campaign: {}{}\n\nshard {}, seeds from {} ({}), {} runs, {} failed{}\n\n",
        r.protocol,
        r.bug
            .as_ref()
            .map(|b| format!(" --bug {b}"))
            .unwrap_or_default(),
        r.shard,
        r.start,
        r.seeds
            .map(|n| format!("{n} in range"))
            .unwrap_or_else(|| "time budget".into()),
        r.runs,
        r.failed,
        if r.interrupted { " (interrupted)" } else { "" }
    );
    s.push_str(&format!(
        "{:.0} seeds/s, {:.0} simulated s in {:.1} wall s; campaign hash {}\n\n",
        r.seeds_per_sec, r.simulated_secs, r.wall_secs, r.campaign_hash
    ));
    s.push_str("| invariant | seeds violating |\n|---|---:|\n");
    for (k, n) in &r.violations_by_invariant {
        s.push_str(&format!("| {k} | {n} |\n"));
    }
    s.push_str("\n| probe | reached |\n|---|---:|\n");
    for (k, n) in &r.probes {
        s.push_str(&format!("| {k} | {n} |\n"));
    }
    if !r.probes_never_reached.is_empty() {
        s.push_str(&format!(
            "\nBlind spots (probes never reached): {}\n",
            r.probes_never_reached.join(", ")
        ));
    }
    s.push_str("\n| crash point | hosts died there |\n|---|---:|\n");
    for (k, n) in &r.crash_points {
        s.push_str(&format!("| {k} | {n} |\n"));
    }
    if !r.crash_points_never_hit.is_empty() {
        s.push_str(&format!(
            "\nCrash points never hit: {}\n",
            r.crash_points_never_hit.join(", ")
        ));
    }
    s.push_str("\n## Faults\n\n");
    s.push_str(&r.coverage.markdown(r.runs));
    if !r.failures.is_empty() {
        s.push_str("\n## Failures\n\n");
        for f in &r.failures {
            s.push_str(&format!(
                "- seed {} — {}: {}\n  `{}`\n",
                f.seed,
                f.invariants.join(", "),
                f.detail,
                f.repro
            ));
        }
    }
    s
}

/// Worker threads by default: every core.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// A stop flag set by Ctrl-C.
pub fn ctrl_c_flag() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let f = flag.clone();
    // Only one handler per process; if one is set already, Ctrl-C keeps its default.
    let _ = ctrlc::set_handler(move || f.store(true, Ordering::SeqCst));
    flag
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_bad_ones_are_named() {
        assert_eq!(
            "1/3".parse::<Shard>().unwrap(),
            Shard { index: 1, count: 3 }
        );
        for bad in ["3/3", "1", "a/2", "0/0", "-1/2"] {
            let e = bad.parse::<Shard>().unwrap_err();
            assert!(e.contains(&format!("'{bad}'")), "{e}");
        }
    }
}
