//! `dtx campaign`: many seeds of one protocol (or of every non-baseline one) in parallel; one
//! combined report.json, summary.md and one case file per failure signature under `--out`,
//! JUnit XML on request. Exit 0 clean, 1 failures found, 2 bad input, 130 interrupted.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use dtx_sim::Seed;

use crate::campaign::{self, default_jobs, CaseFiles, End, Report, Settings, Shard, Spec};
use crate::exit::{verdict, Outcome, Usage};
use crate::registry::{self, Target};

use super::count::{at_least_one, jobs};
use super::workload_args::WorkloadArgs;

const ABOUT: &str = "Run many seeds in parallel; write report.json, summary.md and failures/.";

const LONG_ABOUT: &str = "\
Run many seeds of one protocol (or of every non-baseline protocol) in parallel, one
simulation per thread, over a seed range or until a wall-clock budget runs out.

Failing seeds are grouped by failure signature (protocol, bug, invariant of the first
violation, kind of the ledger event after which it first broke). Under --out it writes:
  report.json   one combined report (\"schema\": \"dtx.campaign/1\"), every target in it
  summary.md    a one-line verdict, the signatures as a table (also appended to
                $GITHUB_STEP_SUMMARY when that is set)
  failures/     one replayable case file per signature: its lowest failing seed
Reports do not depend on --jobs.";

const EXIT_CODES: &str = "\
Exit codes:
  0    no failing seed (the range ran, or the --duration budget ran out)
  1    failing seeds found (also when --max-failures stopped the campaign)
  2    bad input: one line on stderr naming the value (e.g. --seeds 0, a non-empty --out)
  130  interrupted by Ctrl-C, SIGTERM or SIGHUP: the seeds under way finished and the
       reports were written first

Examples:
  dtx campaign --protocol 2pc --seeds 100000 --out nightly
  dtx campaign --protocol all --duration 10m --shard 0/4 --out shard-0 --junit junit.xml
  dtx campaign --protocol 2pc --bug 2pc-decision-not-logged --max-failures 20 --shrink";

#[derive(clap::Args)]
#[command(about = ABOUT, long_about = LONG_ABOUT, after_long_help = EXIT_CODES)]
pub struct Args {
    /// A protocol, or `all`: every protocol but the baselines (whose violations are
    /// expected), with a workload shape those without one (demo-transfer), and with --lock
    /// those that do not run under it (all but 2pc and tcc); a --duration budget is shared
    /// out evenly between them. Example: --protocol 2pc
    #[arg(long, value_name = "P|all")]
    protocol: String,
    /// Turn on one of the protocol's bug knobs (needs one --protocol, not `all`). Example:
    /// --bug 2pc-decision-not-logged
    #[arg(long, value_name = "B")]
    bug: Option<String>,
    /// Seeds in the range, at least 1 (default 1000; unbounded with --duration alone).
    /// Example: --seeds 100000
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = at_least_one::<u64>)]
    seeds: Option<u64>,
    /// First seed, decimal or 0x hex. Example: --start 0x5eed
    #[arg(long, value_name = "S", default_value = "0")]
    start: Seed,
    /// Wall-clock budget; running out is a normal end (exit 0 or 1, not "interrupted").
    /// Example: --duration 10m
    #[arg(long, value_name = "D", value_parser = budget)]
    duration: Option<Duration>,
    /// Worker threads, 1 to 1024 (default: every core). Reports do not depend on it.
    /// Example: --jobs 4
    #[arg(long, value_name = "J", allow_negative_numbers = true, value_parser = jobs)]
    jobs: Option<u64>,
    /// This machine's part of the seed range, I/N: seeds start+I, start+I+N, … Example:
    /// --shard 0/4
    #[arg(long, value_name = "I/N", default_value = "0/1")]
    shard: Shard,
    /// Output directory for report.json, summary.md and failures/; it must be new or empty
    /// unless --append is given. Example: --out nightly-0
    #[arg(long, value_name = "DIR", default_value = "dtx-campaign")]
    out: PathBuf,
    /// Allow a non-empty --out: case files already there are kept (a signature found again
    /// keeps its earlier file) and listed in the report, never counted as this campaign's.
    /// Example: --out nightly --append
    #[arg(long)]
    append: bool,
    /// Shrink the case file of each new failure signature (its lowest failing seed) to a
    /// minimal plan; the case keeps the original seed. Example: --shrink
    #[arg(long)]
    shrink: bool,
    /// Stop once N failing seeds are found, counted in seed order (a normal end: exit 1, the
    /// report says it stopped). At least 1. Example: --max-failures 20
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = at_least_one::<u64>)]
    max_failures: Option<u64>,
    /// Also write the report as JUnit XML (one testsuite per target, one failed testcase per
    /// failure signature); `-` writes it to stdout in place of the summary. Example: --junit
    /// junit.xml
    #[arg(long, value_name = "FILE|-")]
    junit: Option<String>,
    #[command(flatten)]
    workload: WorkloadArgs,
}

/// `--duration`: a humantime duration longer than zero.
fn budget(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s).map_err(|e| e.to_string())?;
    if d.is_zero() {
        return Err("a budget must be longer than 0, e.g. 30s or 10m".into());
    }
    Ok(d)
}

/// The targets `--protocol` (and `--bug`) name, under the workload options.
fn targets(protocol: &str, bug: Option<&str>, w: &WorkloadArgs) -> Result<Vec<Target>, Usage> {
    let workload = w.single("campaign")?;
    if protocol == "all" {
        if bug.is_some() {
            return Err(Usage("--bug needs one --protocol, not 'all'".into()));
        }
        // Baselines fail by design: a fuzzing campaign over `all` leaves them out, and the
        // protocols that do not take the workload asked for (no shape at all, or not the
        // lock).
        Ok(registry::protocols()
            .iter()
            .filter(|p| !p.baseline)
            .filter_map(|p| Target::new(p, None).with_workload(workload).ok())
            .collect())
    } else {
        Ok(vec![Target::find(protocol, bug)?
            .with_workload(workload)
            .map_err(Usage)?])
    }
}

pub fn execute(a: Args) -> Outcome {
    let targets = targets(&a.protocol, a.bug.as_deref(), &a.workload)?;
    let workload = a.workload.single("campaign")?;
    let earlier = campaign::prepare_out(&a.out, a.append).map_err(Usage)?;
    let cannot_write = |e: std::io::Error| {
        Usage(format!(
            "cannot write campaign output under '{}': {e}",
            a.out.display()
        ))
    };
    let stop = campaign::stop_flag();
    let known = earlier
        .as_ref()
        .map(|e| e.case_files.iter().cloned().collect())
        .unwrap_or_default();
    let mut cases = CaseFiles::new(Some(&a.out), known).map_err(cannot_write)?;
    let junit_to_stdout = a.junit.as_deref() == Some("-");
    let seeds = a.seeds.or(if a.duration.is_some() {
        None
    } else {
        Some(1000)
    });
    let jobs = a.jobs.map_or_else(default_jobs, |j| j as usize);
    let share = a.duration.map(|d| d / targets.len() as u32);

    let mut reports = Vec::new();
    let (mut failed, mut wall) = (0u64, 0.0);
    let mut halted = false;
    for target in &targets {
        if halted {
            reports.push(campaign::TargetReport::not_run(target));
            continue;
        }
        let spec = Spec {
            target: *target,
            start: a.start,
            seeds,
            duration: share,
            jobs,
            shard: a.shard,
            verbose: !junit_to_stdout,
            shrink: a.shrink,
            max_failures: a.max_failures.map(|n| n - failed),
        };
        let f =
            campaign::campaign(&spec, &target.config(), &stop, &mut cases).map_err(cannot_write)?;
        failed += f.report.failed;
        wall += f.wall_secs;
        halted = matches!(f.report.end, End::Interrupted | End::MaxFailures);
        reports.push(f.report);
    }
    let settings = Settings {
        protocol: a.protocol.clone(),
        bug: a.bug.clone(),
        start: a.start,
        seeds,
        duration: a
            .duration
            .map(|d| humantime::format_duration(d).to_string()),
        shard: a.shard.to_string(),
        max_failures: a.max_failures,
        shrink: a.shrink,
        append: a.append,
        shape: workload.shape,
        faults: workload.faults,
    };
    let report = Report::new(settings, reports, earlier, wall, jobs);
    report.write(&a.out).map_err(cannot_write)?;
    match a.junit.as_deref() {
        Some("-") => crate::out!("{}", campaign::junit(&report)),
        Some(file) => std::fs::write(file, campaign::junit(&report))
            .map_err(|e| Usage(format!("cannot write --junit '{file}': {e}")))?,
        None => {}
    }
    if !junit_to_stdout {
        crate::out!("{}", campaign::summary_md(&report));
    }
    if report.interrupted {
        return Ok(ExitCode::from(130));
    }
    Ok(verdict(report.totals.failed == 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(protocol: &str, w: &WorkloadArgs) -> Result<Vec<&'static str>, String> {
        targets(protocol, None, w)
            .map(|ts| ts.iter().map(|t| t.protocol.name).collect())
            .map_err(|e| e.0)
    }

    #[test]
    fn all_under_the_lock_is_2pc_and_tcc_and_one_other_protocol_is_refused() {
        let plain = WorkloadArgs::default();
        assert_eq!(
            names("all", &plain).unwrap(),
            [
                "2pc",
                "tcc",
                "saga-orch",
                "saga-choreo",
                "driver",
                "demo-transfer"
            ]
        );
        let lock = WorkloadArgs {
            lock: true,
            double_submit: true,
            ..WorkloadArgs::default()
        };
        assert_eq!(names("all", &lock).unwrap(), ["2pc", "tcc"]);
        assert_eq!(names("tcc", &lock).unwrap(), ["tcc"]);
        let e = names("saga-orch", &lock).unwrap_err();
        assert!(e.ends_with("; got saga-orch"), "{e}");
    }
}
