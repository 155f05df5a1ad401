//! `dtx`: the front door of dtxsim.
//!
//! At this stage the order-system protocols are not in yet; the binary runs the engine demo
//! (a two-bank transfer, see `demo.rs`): `dtx` runs a short campaign with a determinism
//! self-check, `dtx run --seed S` runs one seed.

mod demo;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use dtx_sim::{run, self_check, RunReport, Seed, SimConfig, Start};

#[derive(Parser)]
#[command(
    name = "dtx",
    version,
    about = "Deterministic simulation testing of distributed transactions"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run one seed of the engine demo.
    Run {
        /// The seed: decimal or 0x hex.
        #[arg(long)]
        seed: Seed,
        /// Print the report as one JSON object.
        #[arg(long)]
        json: bool,
        /// Print the plan and the trace timeline.
        #[arg(long)]
        trace: bool,
        /// Write the run as a Mermaid sequence diagram to FILE.
        #[arg(long, value_name = "FILE")]
        mermaid: Option<std::path::PathBuf>,
    },
}

fn repro(seed: Seed) -> String {
    format!("cargo run --release -- run --seed {seed}")
}

fn run_one(seed: Seed, json: bool, trace: bool, mermaid: Option<std::path::PathBuf>) -> ExitCode {
    let config = SimConfig::default();
    let r = run(&mut demo::Transfer::default(), Start::Seed(seed), &config)
        .expect("generated plans always fit their scenario");
    if trace {
        print!("{}", r.plan);
        print!("{}", r.trace.timeline());
    }
    if let Some(path) = mermaid {
        if let Err(e) = std::fs::write(&path, dtx_sim::mermaid::render(&r.trace, None)) {
            eprintln!("dtx: cannot write '{}': {e}", path.display());
            return ExitCode::from(2);
        }
    }
    if json {
        let mut v = serde_json::to_value(&r.report).expect("reports serialize");
        v["protocol"] = "demo-transfer".into();
        v["bug"] = serde_json::Value::Null;
        v["trace_hash"] = format!("{:#018x}", r.report.trace_hash).into();
        println!("{v}");
    } else {
        print_report(&r.report);
    }
    if r.report.is_clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn print_report(r: &RunReport) {
    println!(
        "seed {}  trace {:#018x}  {} ms simulated  sent {} delivered {} dropped {} dup {} held {} crashes {}",
        r.seed,
        r.trace_hash,
        r.stats.sim_ms,
        r.stats.sent,
        r.stats.delivered,
        r.stats.dropped,
        r.stats.duplicated,
        r.stats.held,
        r.stats.crashes
    );
    for v in &r.violations {
        println!("  VIOLATION {} at {}ms: {}", v.invariant, v.at_ms, v.detail);
    }
    if !r.violations.is_empty() {
        println!("  reproduce: {}", repro(r.seed));
    }
}

#[allow(clippy::disallowed_methods)] // wall time for the seeds-per-second figure only
fn main_job() -> ExitCode {
    let config = SimConfig::default();
    let seeds = 300u64;
    let start = std::time::Instant::now();
    let (mut failed, mut sim_ms) = (0u64, 0u64);
    let mut probes = std::collections::BTreeMap::new();
    for s in 0..seeds {
        let r = run(
            &mut demo::Transfer::default(),
            Start::Seed(Seed(s)),
            &config,
        )
        .expect("generated plans always fit their scenario");
        sim_ms += r.report.stats.sim_ms;
        for (k, n) in &r.report.probes {
            *probes.entry(k.clone()).or_insert(0u64) += n;
        }
        if !r.report.is_clean() {
            failed += 1;
            print_report(&r.report);
        }
    }
    let wall = start.elapsed().as_secs_f64();
    println!("engine demo (two-bank transfer), {seeds} seeds, every fault kind in the swarm:");
    println!(
        "  {failed} seeds with violations; {:.0} seeds/s, {:.0} simulated s per wall s",
        seeds as f64 / wall,
        sim_ms as f64 / 1000.0 / wall
    );
    for (k, n) in probes {
        println!("  probe {k}: {n}");
    }
    for s in [0u64, 1, 2] {
        match self_check(demo::Transfer::default, Seed(s), &config) {
            Ok(Ok(hash)) => println!("  self-check seed {s}: deterministic, trace {hash:#018x}"),
            Ok(Err(d)) => {
                println!("  {d}");
                return ExitCode::from(1);
            }
            Err(e) => {
                eprintln!("dtx: {e}");
                return ExitCode::from(2);
            }
        }
    }
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        None => main_job(),
        Some(Command::Run {
            seed,
            json,
            trace,
            mermaid,
        }) => run_one(seed, json, trace, mermaid),
    }
}
