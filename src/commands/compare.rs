//! `dtx compare`: the same seeds through several protocols, for several numbers of concurrent
//! clients and fault presets; business metrics side by side in compare.json, compare.md and
//! SVG charts under `--out`. Exit 0 when done (violations are reported, not failed on), 2 on
//! bad input, 130 when interrupted (what finished is written).

use std::path::PathBuf;
use std::process::ExitCode;

use dtx_models::workload::WorkloadShape;
use dtx_sim::{FaultPreset, Seed};

use crate::campaign::{self, default_jobs};
use crate::compare::{self, Grid};
use crate::exit::{Outcome, Usage};
use crate::registry::{self, Target};
use crate::workload::Workload;

use super::count::{at_least_one, jobs};
use super::workload_args::WorkloadArgs;

/// What the command does (`--help`).
pub const LONG_ABOUT: &str = "\
Which protocol, for how many users? Runs the same seeds through several protocols, for every
number of concurrent clients and every fault preset asked for: the same seed gives every
protocol the same orders and the same fault plan. Measures, in simulated time, from the ledger
and the trace: confirm rate, cancels by cause (a business rule, or a fault or timeout),
place-to-outcome latency (p50, p95, p99), messages per order, how long stock and points were
unavailable to other orders because of each order (holding time), time in doubt, compensations
per order, confirmed orders per simulated second. Failing seeds are counted as violations and
reported; they do not fail the command (dtx campaign hunts them).

Under --out it writes:
  compare.json  \"schema\": \"dtx.compare/1\", the settings and one row per protocol x clients x
                preset with every figure
  compare.md    a table per preset, the baseline marked, and the command that made it
  *.svg         per preset: throughput and p99 latency against clients (a line per protocol),
                mean holding time per protocol (a bar per client count)
Figures do not depend on --jobs.";

/// The help text after the arguments (`--help`).
pub const EXAMPLES: &str = "\
Examples:
  dtx compare --seeds 300 --clients 1,4,16
  dtx compare --protocols 2pc,tcc --clients 1,2,4,8 --faults none --out calm
  dtx compare --protocols saga-orch,saga-choreo --skus 1 --orders-per-client 8

Exit codes: 0 done (violations are reported, not a failure), 2 bad input, 130 interrupted
(the cells that finished are written).";

/// Client counts compare runs by default.
const CLIENTS: [usize; 5] = [1, 2, 4, 8, 16];
/// Fault presets compare runs by default.
const FAULTS: [FaultPreset; 2] = [FaultPreset::None, FaultPreset::Default];

#[derive(clap::Args)]
pub struct Args {
    /// Comma-separated protocols (default: every order-system protocol but the harness
    /// self-tests, and with --lock only those that run under it, 2pc and tcc; the baseline
    /// 1pc is marked as such). Example: --protocols 1pc,2pc,tcc
    #[arg(long, value_name = "P,Q,…", value_delimiter = ',')]
    protocols: Vec<String>,
    /// Seeds per cell, at least 1: every cell runs the same ones. Example: --seeds 300
    #[arg(long, value_name = "N", default_value = "100", allow_negative_numbers = true,
          value_parser = at_least_one::<u64>)]
    seeds: u64,
    /// First seed, decimal or 0x hex. Example: --start 0x5eed
    #[arg(long, value_name = "S", default_value = "0")]
    start: Seed,
    /// Worker threads, 1 to 1024 (default: every core). The figures do not depend on it.
    #[arg(long, value_name = "J", allow_negative_numbers = true, value_parser = jobs)]
    jobs: Option<u64>,
    /// Output directory for compare.json, compare.md and the charts; new or empty.
    #[arg(long, value_name = "DIR", default_value = "dtx-compare")]
    out: PathBuf,
    #[command(flatten)]
    workload: WorkloadArgs,
}

/// The protocols named (in the registry's order), or the default ones; with `--lock`, the
/// default ones are those that run under the lock, and a protocol named that does not is bad
/// input.
fn protocols(named: &[String], shape: WorkloadShape) -> Result<Vec<Target>, Usage> {
    let takes = |t: Target| {
        t.with_workload(Workload {
            shape,
            ..Workload::default()
        })
    };
    if named.is_empty() {
        return Ok(registry::protocols()
            .iter()
            .filter(|p| p.order_system() && !p.self_test)
            .map(|p| Target::new(p, None))
            .filter(|t| takes(*t).is_ok())
            .collect());
    }
    let mut found = Vec::new();
    for name in named {
        if name.trim().is_empty() {
            return Err(Usage("--protocols has an empty name".into()));
        }
        let t = Target::find(name.trim(), None)?;
        if !t.protocol.order_system() {
            return Err(Usage(format!(
                "protocol {} is not an order system: compare measures orders",
                t.protocol.name
            )));
        }
        takes(t).map_err(Usage)?;
        found.push(t);
    }
    let position = |t: &Target| {
        registry::protocols()
            .iter()
            .position(|p| p.name == t.protocol.name)
    };
    found.sort_by_key(position);
    found.dedup_by_key(|t| t.protocol.name);
    Ok(found)
}

/// The grid the arguments ask for.
fn grid(a: &Args) -> Result<Grid, Usage> {
    let shape: WorkloadShape = a.workload.shape(1);
    let targets = protocols(&a.protocols, shape)?;
    let mut clients = if a.workload.clients.is_empty() {
        CLIENTS.to_vec()
    } else {
        a.workload.clients.clone()
    };
    clients.sort_unstable();
    clients.dedup();
    let mut faults = Vec::new();
    for f in if a.workload.faults.is_empty() {
        &FAULTS[..]
    } else {
        &a.workload.faults[..]
    } {
        if !faults.contains(f) {
            faults.push(*f);
        }
    }
    Ok(Grid {
        protocols: targets
            .iter()
            .map(|t| t.protocol.name.to_string())
            .collect(),
        baseline: targets
            .iter()
            .find(|t| t.protocol.baseline)
            .map(|t| t.protocol.name.to_string()),
        clients,
        faults,
        orders_per_client: shape.orders_per_client,
        skus: shape.skus,
        lock: shape.lock,
        double_submit: shape.double_submit,
        start: a.start,
        seeds: a.seeds,
        targets,
    })
}

pub fn execute(a: Args) -> Outcome {
    let grid = grid(&a)?;
    campaign::prepare_out(&a.out, false).map_err(Usage)?;
    let cannot_write = |e: std::io::Error| {
        Usage(format!(
            "cannot write compare output under '{}': {e}",
            a.out.display()
        ))
    };
    let stop = campaign::stop_flag();
    let jobs = a.jobs.map_or_else(default_jobs, |j| j as usize);
    let report = compare::run(&grid, jobs, &stop).map_err(cannot_write)?;
    let written = report.write(&a.out).map_err(cannot_write)?;
    crate::out!("{}", compare::markdown(&report));
    crate::outln!(
        "\nwritten to {}: {} ({:.1} s, {} jobs)",
        a.out.display(),
        written.join(", "),
        report.wall.secs,
        jobs
    );
    if report.interrupted {
        return Ok(ExitCode::from(130));
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(targets: &[Target]) -> Vec<&'static str> {
        targets.iter().map(|t| t.protocol.name).collect()
    }

    fn found(named: &[&str], shape: WorkloadShape) -> Vec<Target> {
        let named: Vec<String> = named.iter().map(|n| n.to_string()).collect();
        protocols(&named, shape).unwrap_or_else(|e| panic!("{}", e.0))
    }

    #[test]
    fn under_the_lock_compare_runs_the_protocols_it_runs_under_and_refuses_others() {
        let plain = WorkloadShape::default();
        assert_eq!(
            names(&found(&[], plain)),
            ["1pc", "2pc", "tcc", "saga-orch", "saga-choreo"]
        );
        let lock = WorkloadShape {
            lock: true,
            double_submit: true,
            ..plain
        };
        assert_eq!(names(&found(&[], lock)), ["2pc", "tcc"]);
        assert_eq!(names(&found(&["tcc", "2pc"], lock)), ["2pc", "tcc"]);
        let Err(e) = protocols(&["saga-choreo".to_string()], lock) else {
            panic!("saga-choreo does not run under the lock");
        };
        assert!(e.0.ends_with("; got saga-choreo"), "{}", e.0);
        let grid = Grid {
            protocols: vec!["2pc".into()],
            baseline: None,
            clients: vec![1, 4],
            faults: vec![FaultPreset::None],
            orders_per_client: 4,
            skus: 4,
            lock: true,
            double_submit: true,
            start: Seed(0),
            seeds: 1,
            targets: found(&["2pc"], lock),
        };
        assert!(grid.command().ends_with(" --skus 4 --lock --double-submit"));
        for (t, clients, _) in grid.cells() {
            assert!(t.workload.shape.lock && t.workload.shape.double_submit);
            assert_eq!(t.workload.shape.clients, clients);
        }
    }
}
