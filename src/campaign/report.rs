//! The campaign report, `report.json` (`"schema": "dtx.campaign/1"`): ONE document for the
//! whole campaign — the verdict, why it ended, its settings and totals, one entry per target
//! (every protocol of `--protocol all`) with its failure signatures, coverage and business
//! metrics (aggregated as `dtx compare` aggregates them), what
//! `--append` found in the directory, and the wall-clock figures (the only part that differs
//! between equal campaigns, kept under `wall`).

use std::collections::BTreeMap;
use std::path::Path;

use dtx_models::workload::WorkloadShape;
use dtx_sim::{FaultPreset, Seed};
use serde::{Deserialize, Serialize};

use crate::campaign::groups::Group;
use crate::campaign::tally::{never, Tally};
use crate::coverage::Coverage;
use crate::metrics::MetricsSummary;
use crate::registry::Target;

/// The schema name of a campaign report.
pub const SCHEMA: &str = "dtx.campaign/1";

/// How a target's campaign (or the whole campaign) ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum End {
    /// Every seed of the range ran.
    Range,
    /// The `--duration` budget ran out (a normal end).
    Budget,
    /// `--max-failures` failing seeds were found (a normal end).
    MaxFailures,
    /// Ctrl-C or SIGTERM: the seeds under way finished, the rest did not run.
    Interrupted,
    /// Not started: the campaign had stopped before this target's turn.
    NotRun,
}

/// Pass, fail, or nothing ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Pass,
    Fail,
    NotRun,
}

/// One target's part of the report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TargetReport {
    pub protocol: String,
    pub bug: Option<String>,
    pub verdict: Verdict,
    pub end: End,
    pub runs: u64,
    /// Failing seeds.
    pub failed: u64,
    /// The failing seeds grouped by signature, first found first.
    pub signatures: Vec<Group>,
    /// Seeds violating each invariant (a seed counts once per invariant).
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
    /// Business metrics over the runs: counts summed, samples (simulated ms) summarized.
    pub metrics: MetricsSummary,
}

impl TargetReport {
    /// The report of a finished target.
    pub fn new(target: &Target, end: End, tally: Tally, signatures: Vec<Group>) -> Self {
        TargetReport {
            protocol: target.protocol.name.to_string(),
            bug: target.bug.map(|b| b.name.to_string()),
            verdict: if tally.failed > 0 {
                Verdict::Fail
            } else {
                Verdict::Pass
            },
            end,
            runs: tally.runs,
            failed: tally.failed,
            signatures,
            violations_by_invariant: tally.by_invariant.clone(),
            probes_never_reached: never(&tally.probes),
            crash_points_never_hit: never(&tally.died_at),
            campaign_hash: tally.campaign_hash(),
            simulated_secs: tally.sim_ms as f64 / 1000.0,
            metrics: tally.metrics.summary(),
            probes: tally.probes,
            crash_points: tally.died_at,
            coverage: tally.coverage,
        }
    }

    /// A target the campaign did not get to.
    pub fn not_run(target: &Target) -> Self {
        let mut r = TargetReport::new(target, End::NotRun, Tally::new(target), Vec::new());
        r.verdict = Verdict::NotRun;
        r
    }

    /// `2pc` or `2pc --bug B`.
    pub fn name(&self) -> String {
        match &self.bug {
            Some(b) => format!("{} --bug {b}", self.protocol),
            None => self.protocol.clone(),
        }
    }
}

/// What the campaign was asked to do.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// `--protocol` as given (a protocol or `all`).
    pub protocol: String,
    pub bug: Option<String>,
    pub start: Seed,
    /// Seeds in the range (None: until the budget runs out).
    pub seeds: Option<u64>,
    pub duration: Option<String>,
    pub shard: String,
    pub max_failures: Option<u64>,
    pub shrink: bool,
    pub append: bool,
    /// The workload shape of the runs (`--clients`, `--orders-per-client`, `--skus`).
    pub shape: WorkloadShape,
    /// The fault preset (`--faults`).
    pub faults: FaultPreset,
}

/// Sums over the targets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    pub runs: u64,
    pub failed: u64,
    pub signatures: u64,
    pub simulated_secs: f64,
}

/// What `--append` found in the output directory before the campaign started. None of it is
/// counted as this campaign's.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Earlier {
    /// A report.json was there (this report replaces it).
    pub report: bool,
    /// Case files in failures/ (kept; a signature found again keeps its earlier file).
    pub case_files: Vec<String>,
}

/// Wall-clock figures: the only part that differs between equal campaigns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Wall {
    pub secs: f64,
    pub seeds_per_sec: f64,
    pub jobs: usize,
}

/// The campaign report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema: String,
    pub verdict: Verdict,
    /// True: stopped by Ctrl-C or SIGTERM (exit 130).
    pub interrupted: bool,
    /// How the campaign ended (the first target that did not finish its range says why).
    pub end: End,
    /// Why it ended early, for people (None: every target ran its range).
    pub stopped: Option<String>,
    pub settings: Settings,
    pub totals: Totals,
    pub targets: Vec<TargetReport>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earlier: Option<Earlier>,
    pub wall: Wall,
}

impl Report {
    /// The report over `targets`.
    pub fn new(
        settings: Settings,
        targets: Vec<TargetReport>,
        earlier: Option<Earlier>,
        wall_secs: f64,
        jobs: usize,
    ) -> Self {
        let totals = Totals {
            runs: targets.iter().map(|t| t.runs).sum(),
            failed: targets.iter().map(|t| t.failed).sum(),
            signatures: targets.iter().map(|t| t.signatures.len() as u64).sum(),
            simulated_secs: targets.iter().map(|t| t.simulated_secs).sum(),
        };
        let end = targets
            .iter()
            .map(|t| t.end)
            .find(|e| *e != End::Range)
            .unwrap_or(End::Range);
        let stopped = match end {
            End::Range | End::NotRun => None,
            End::Budget => Some(format!(
                "the --duration budget of {} ran out",
                settings.duration.as_deref().unwrap_or("?")
            )),
            End::MaxFailures => Some(format!(
                "--max-failures {} failing seeds were found",
                settings.max_failures.unwrap_or(0)
            )),
            End::Interrupted => {
                Some("interrupted (Ctrl-C or SIGTERM); the seeds under way finished".into())
            }
        };
        Report {
            schema: SCHEMA.into(),
            verdict: if totals.failed > 0 {
                Verdict::Fail
            } else {
                Verdict::Pass
            },
            interrupted: end == End::Interrupted,
            end,
            stopped,
            settings,
            wall: Wall {
                secs: wall_secs,
                seeds_per_sec: if wall_secs > 0.0 {
                    totals.runs as f64 / wall_secs
                } else {
                    0.0
                },
                jobs,
            },
            totals,
            targets,
            earlier,
        }
    }

    /// Write `report.json` and `summary.md` into `out`, and append the summary to
    /// `$GITHUB_STEP_SUMMARY` when that is set (GitHub Actions shows it on the run's page).
    pub fn write(&self, out: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(out)?;
        let json = serde_json::to_string_pretty(self).expect("reports serialize");
        std::fs::write(out.join("report.json"), json + "\n")?;
        let md = crate::campaign::summary::markdown(self);
        std::fs::write(out.join("summary.md"), &md)?;
        if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)?;
            f.write_all(md.as_bytes())?;
            f.write_all(b"\n")?;
        }
        Ok(())
    }
}
