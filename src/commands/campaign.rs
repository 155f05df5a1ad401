//! `dtx campaign`: many seeds of one protocol (or of every non-baseline one) in parallel,
//! each target's reports written under `--out`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use dtx_sim::{Seed, SimConfig};

use crate::campaign::{self, default_jobs, Shard, Spec};
use crate::exit::{verdict, Outcome, Usage};
use crate::registry::{self, Target};

#[derive(clap::Args)]
pub struct Args {
    /// A protocol, or `all` (every protocol but the baselines, whose violations are
    /// expected; a --duration budget is shared out evenly between them).
    #[arg(long)]
    protocol: String,
    #[arg(long)]
    bug: Option<String>,
    /// Seeds in the range (default 1000; unbounded with --duration alone).
    #[arg(long)]
    seeds: Option<u64>,
    /// First seed.
    #[arg(long, default_value = "0")]
    start: Seed,
    /// Wall-clock budget, e.g. 30s, 10m.
    #[arg(long, value_parser = humantime::parse_duration)]
    duration: Option<Duration>,
    /// Worker threads (default: every core).
    #[arg(long)]
    jobs: Option<usize>,
    /// This machine's part of the seed range, I/N.
    #[arg(long, default_value = "0/1")]
    shard: Shard,
    /// Output directory.
    #[arg(long, default_value = "dtx-campaign")]
    out: PathBuf,
}

/// The targets `--protocol` (and `--bug`) name.
fn targets(protocol: &str, bug: Option<&str>) -> Result<Vec<Target>, Usage> {
    if protocol == "all" {
        if bug.is_some() {
            return Err(Usage("--bug needs one --protocol, not 'all'".into()));
        }
        // Baselines fail by design: a fuzzing campaign over `all` leaves them out.
        Ok(registry::protocols()
            .iter()
            .filter(|p| !p.baseline)
            .map(|p| Target {
                protocol: p,
                bug: None,
            })
            .collect())
    } else {
        Ok(vec![Target::find(protocol, bug)?])
    }
}

pub fn execute(a: Args) -> Outcome {
    let stop = campaign::ctrl_c_flag();
    let mut clean = true;
    let targets = targets(&a.protocol, a.bug.as_deref())?;
    let share = a.duration.map(|d| d / targets.len() as u32);
    for target in targets {
        let spec = Spec {
            target,
            start: a.start.0,
            seeds: a.seeds.or(if a.duration.is_some() {
                None
            } else {
                Some(1000)
            }),
            duration: share,
            jobs: a.jobs.unwrap_or_else(default_jobs),
            shard: a.shard,
            out: Some(if a.protocol == "all" {
                a.out.join(target.protocol.name)
            } else {
                a.out.clone()
            }),
            verbose: true,
        };
        let report = campaign::campaign(&spec, &SimConfig::default(), &stop).map_err(|e| {
            Usage(format!(
                "cannot write campaign output under '{}': {e}",
                a.out.display()
            ))
        })?;
        crate::out!("{}", campaign::summary_md(&report));
        clean &= report.failed == 0;
        if report.interrupted {
            return Ok(ExitCode::from(130));
        }
    }
    Ok(verdict(clean))
}
