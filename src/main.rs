//! `dtx`: the front door of dtxsim. See DESIGN.md's command contract and `dtx --help`.

mod campaign;
mod case;
mod coverage;
mod demo;
mod registry;
mod shrink;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use clap::{Parser, Subcommand};
use dtx_sim::{run, RunReport, Seed, SimConfig, Start};

use campaign::{Shard, Spec};
use case::{Case, Expect};
use registry::Target;

#[derive(Parser)]
#[command(
    name = "dtx",
    version,
    about = "Deterministic simulation testing of distributed transactions",
    after_help = registry::catalogue()
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run one seed.
    Run {
        #[arg(long)]
        protocol: String,
        /// The seed: decimal or 0x hex.
        #[arg(long)]
        seed: Seed,
        #[arg(long)]
        bug: Option<String>,
        /// Print the report as one JSON object.
        #[arg(long)]
        json: bool,
        /// Print the plan and the trace timeline.
        #[arg(long)]
        trace: bool,
        /// Write the run as a Mermaid sequence diagram to FILE.
        #[arg(long, value_name = "FILE")]
        mermaid: Option<PathBuf>,
        /// With --mermaid: only the messages about this order id (order-system protocols).
        #[arg(long, value_name = "ID")]
        order: Option<u64>,
    },
    /// Run many seeds in parallel; write report.json, summary.md and failures/.
    Campaign {
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
    },
    /// Shrink a failing seed to a minimal case file.
    Shrink {
        #[arg(long)]
        protocol: String,
        #[arg(long)]
        seed: Seed,
        #[arg(long)]
        bug: Option<String>,
        #[arg(long)]
        out: PathBuf,
    },
    /// Re-run a saved case.
    Replay { case: PathBuf },
    /// Every bug knob: seeds and time to first detection.
    Mutants {
        #[arg(long)]
        json: bool,
        /// Give up on a knob after this many seeds.
        #[arg(long, default_value = "500")]
        max_seeds: u64,
    },
}

/// Bad input: one line, exit code 2.
struct Usage(String);

impl<E: std::fmt::Display> From<E> for Usage {
    fn from(e: E) -> Self {
        Usage(e.to_string())
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            // clap's message, without its usage and help hints, on one line.
            let text = e.render().to_string();
            let line: Vec<&str> = text
                .lines()
                .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more"))
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect();
            eprintln!("dtx: {}", line.join(" ").trim_start_matches("error: "));
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        None => main_job(),
        Some(Command::Run {
            protocol,
            seed,
            bug,
            json,
            trace,
            mermaid,
            order,
        }) => run_one(&protocol, bug.as_deref(), seed, json, trace, mermaid, order),
        Some(Command::Campaign {
            protocol,
            bug,
            seeds,
            start,
            duration,
            jobs,
            shard,
            out,
        }) => campaign_cmd(
            &protocol,
            bug.as_deref(),
            seeds,
            start,
            duration,
            jobs,
            shard,
            out,
        ),
        Some(Command::Shrink {
            protocol,
            seed,
            bug,
            out,
        }) => shrink_cmd(&protocol, bug.as_deref(), seed, &out),
        Some(Command::Replay { case }) => replay_cmd(&case),
        Some(Command::Mutants { json, max_seeds }) => mutants_cmd(json, max_seeds),
    };
    match result {
        Ok(code) => code,
        Err(Usage(msg)) => {
            eprintln!("dtx: {msg}");
            ExitCode::from(2)
        }
    }
}

fn verdict(clean: bool) -> ExitCode {
    if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn report_json(target: &Target, r: &RunReport) -> serde_json::Value {
    let mut v = serde_json::to_value(r).expect("reports serialize");
    v["protocol"] = target.protocol.name.into();
    v["bug"] = target.bug.map(|b| b.name).into();
    v["seed"] = r.seed.to_string().into();
    v["trace_hash"] = format!("{:#018x}", r.trace_hash).into();
    v["repro"] = target.repro(r.seed).into();
    v
}

fn print_report(target: &Target, r: &RunReport) {
    println!(
        "{target} seed {}: trace {:#018x}, {} ms simulated, sent {} delivered {} dropped {} duplicated {} held {} crashes {}{}",
        r.seed,
        r.trace_hash,
        r.stats.sim_ms,
        r.stats.sent,
        r.stats.delivered,
        r.stats.dropped,
        r.stats.duplicated,
        r.stats.held,
        r.stats.crashes,
        if r.quiescent {
            ", quiescent".to_string()
        } else {
            format!(", NOT quiescent (busy: {})", r.busy.join("; "))
        }
    );
    for v in &r.violations {
        println!("  VIOLATION {} at {}ms: {}", v.invariant, v.at_ms, v.detail);
    }
    if !r.violations.is_empty() {
        println!("  reproduce: {}", target.repro(r.seed));
    }
}

fn run_one(
    protocol: &str,
    bug: Option<&str>,
    seed: Seed,
    json: bool,
    trace: bool,
    mermaid: Option<PathBuf>,
    order: Option<u64>,
) -> Result<ExitCode, Usage> {
    let target = Target::find(protocol, bug)?;
    let r = run(
        &mut *target.scenario(),
        Start::Seed(seed),
        &SimConfig::default(),
    )?;
    if trace {
        print!("{}", r.plan.render(&r.report.bitten));
        print!("{}", r.trace.timeline());
    }
    if let Some(path) = mermaid {
        let about = order.map(|o| move |label: &str| dtx_models::wire::mentions_order(label, o));
        let text =
            dtx_sim::mermaid::render(&r.trace, about.as_ref().map(|f| f as &dyn Fn(&str) -> bool));
        std::fs::write(&path, text)
            .map_err(|e| Usage(format!("cannot write '{}': {e}", path.display())))?;
    }
    if json {
        println!("{}", report_json(&target, &r.report));
    } else {
        print_report(&target, &r.report);
    }
    Ok(verdict(r.report.is_clean()))
}

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

fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[allow(clippy::too_many_arguments)]
fn campaign_cmd(
    protocol: &str,
    bug: Option<&str>,
    seeds: Option<u64>,
    start: Seed,
    duration: Option<Duration>,
    jobs: Option<usize>,
    shard: Shard,
    out: PathBuf,
) -> Result<ExitCode, Usage> {
    let stop = campaign::ctrl_c_flag();
    let mut clean = true;
    let targets = targets(protocol, bug)?;
    let share = duration.map(|d| d / targets.len() as u32);
    for target in targets {
        let spec = Spec {
            target,
            start: start.0,
            seeds: seeds.or(if duration.is_some() { None } else { Some(1000) }),
            duration: share,
            jobs: jobs.unwrap_or_else(default_jobs),
            shard,
            out: Some(if protocol == "all" {
                out.join(target.protocol.name)
            } else {
                out.clone()
            }),
            verbose: true,
        };
        let report = campaign::campaign(&spec, &SimConfig::default(), &stop).map_err(|e| {
            Usage(format!(
                "cannot write campaign output under '{}': {e}",
                out.display()
            ))
        })?;
        print!("{}", campaign::summary_md(&report));
        clean &= report.failed == 0;
        if report.interrupted {
            return Ok(ExitCode::from(130));
        }
    }
    Ok(verdict(clean))
}

fn shrink_cmd(
    protocol: &str,
    bug: Option<&str>,
    seed: Seed,
    out: &std::path::Path,
) -> Result<ExitCode, Usage> {
    let target = Target::find(protocol, bug)?;
    let config = SimConfig::default();
    let first = run(&mut *target.scenario(), Start::Seed(seed), &config)?;
    let Some(v) = first.report.violations.first() else {
        println!("{target} seed {seed} does not fail: nothing to shrink");
        return Ok(ExitCode::from(1));
    };
    let invariant = v.invariant.clone();
    let shrunk = shrink::shrink(&target, first.plan.clone(), &invariant, &config);
    let case = Case {
        protocol: target.protocol.name.to_string(),
        bug: target.bug.map(|b| b.name.to_string()),
        seed,
        plan: shrunk.plan,
        expect: Expect {
            must_fail: true,
            invariant: Some(invariant.clone()),
        },
        repro: target.repro(seed),
        note: String::new(),
    };
    case.save(out)
        .map_err(|e| Usage(format!("cannot write '{}': {e}", out.display())))?;
    let items = target.scenario().workload_items();
    println!(
        "shrunk {target} seed {seed} ({invariant}) in {} runs: faults {} -> {}, workload items {} -> {}",
        shrunk.runs,
        first.plan.faults.len(),
        case.plan.faults.len(),
        items,
        items - case.plan.skip.len() as u32
    );
    print!("{}", case.plan);
    println!(
        "case written to {}; replay: cargo run --release -- replay {}",
        out.display(),
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn replay_cmd(path: &std::path::Path) -> Result<ExitCode, Usage> {
    let (case, target) = Case::load(path)?;
    let r = case.replay(&target, &SimConfig::default());
    print_report(&target, &r.report);
    match case.verdict(&r) {
        Ok(()) => println!("  as the case expects"),
        Err(why) => println!("  NOT as the case expects: {why}"),
    }
    Ok(verdict(r.report.is_clean()))
}

#[allow(clippy::disallowed_methods)] // wall time to first detection is what mutants reports
fn mutants_cmd(json: bool, max_seeds: u64) -> Result<ExitCode, Usage> {
    let config = SimConfig::default();
    let mut rows = Vec::new();
    for p in registry::protocols() {
        for bug in p.bugs {
            let target = Target {
                protocol: p,
                bug: Some(bug),
            };
            let started = std::time::Instant::now();
            let found = (0..max_seeds).find_map(|s| {
                let r = run(&mut *target.scenario(), Start::Seed(Seed(s)), &config).ok()?;
                r.report
                    .violations
                    .iter()
                    .find(|v| bug.breaks.contains(&v.invariant.as_str()))
                    .map(|v| (s, v.invariant.clone()))
            });
            rows.push(serde_json::json!({
                "protocol": p.name,
                "bug": bug.name,
                "detected": found.is_some(),
                "seeds_to_detection": found.as_ref().map(|(s, _)| s + 1),
                "invariant": found.as_ref().map(|(_, i)| i.clone()),
                "wall_ms": started.elapsed().as_millis() as u64,
                "repro": found.as_ref().map(|(s, _)| target.repro(Seed(*s))),
            }));
        }
    }
    let all = rows.iter().all(|r| r["detected"] == true);
    if json {
        println!("{}", serde_json::Value::Array(rows));
    } else {
        println!(
            "{:<16} {:<28} {:>8} {:>9} invariant",
            "protocol", "bug", "seeds", "wall ms"
        );
        for r in &rows {
            println!(
                "{:<16} {:<28} {:>8} {:>9} {}",
                r["protocol"].as_str().unwrap_or(""),
                r["bug"].as_str().unwrap_or(""),
                r["seeds_to_detection"]
                    .as_u64()
                    .map_or("MISSED".to_string(), |n| n.to_string()),
                r["wall_ms"],
                r["invariant"].as_str().unwrap_or("-")
            );
        }
    }
    Ok(verdict(all))
}

/// Seeds per protocol in the main job.
const MAIN_JOB_SEEDS: u64 = 1000;

fn main_job() -> Result<ExitCode, Usage> {
    let stop = AtomicBool::new(false);
    let config = SimConfig::default();
    println!(
        "{:<16} {:>6} {:>8} {:<40} {:>8} {:>10} {:>9} {:>9} {:>9}",
        "protocol",
        "seeds",
        "failed",
        "violations by invariant",
        "probes",
        "crash pts",
        "unsettled",
        "no-fault",
        "seeds/s"
    );
    let mut ok = true;
    for p in registry::protocols() {
        let spec = Spec {
            target: Target {
                protocol: p,
                bug: None,
            },
            start: 0,
            seeds: Some(MAIN_JOB_SEEDS),
            duration: None,
            jobs: default_jobs(),
            shard: Shard { index: 0, count: 1 },
            out: None,
            verbose: false,
        };
        let r = campaign::campaign(&spec, &config, &stop)
            .map_err(|e| Usage(format!("campaign failed: {e}")))?;
        let by: Vec<String> = r
            .violations_by_invariant
            .iter()
            .map(|(k, n)| format!("{k}:{n}"))
            .collect();
        let reached = r.probes.values().filter(|n| **n > 0).count();
        let hit = r.crash_points.len() - r.crash_points_never_hit.len();
        println!(
            "{:<16} {:>6} {:>8} {:<40} {:>8} {:>10} {:>9} {:>9} {:>9.0}{}",
            p.name,
            r.runs,
            r.failed,
            if by.is_empty() {
                "-".into()
            } else {
                by.join(" ")
            },
            format!("{reached}/{}", r.probes.len()),
            format!("{hit}/{}", r.crash_points.len()),
            r.coverage.unsettled_runs,
            r.coverage.runs_without_fault_effect,
            r.seeds_per_sec,
            if p.baseline {
                "  (baseline: violations expected)"
            } else {
                ""
            }
        );
        if p.baseline && r.failed == 0 {
            // A baseline that stops failing means the faults stopped biting (or the checkers
            // went blind): the main job is not green on that.
            ok = false;
            println!(
                "  BASELINE CLEAN: {} showed no violation in {} seeds; the harness would miss what it exists to find",
                p.name, r.runs
            );
        }
        if !p.baseline && r.failed > 0 {
            ok = false;
            for f in &r.failures {
                println!(
                    "  FAIL seed {} {}: {}\n    reproduce: {}",
                    f.seed,
                    f.invariants.join(", "),
                    f.detail,
                    f.repro
                );
            }
        }
    }
    Ok(verdict(ok))
}
