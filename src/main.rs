//! `dtx`: the front door of dtxsim. See DESIGN.md's command contract and `dtx --help`.
//! This file only parses and dispatches; each command lives in `commands/`.

// Standard output goes through `out!`/`outln!`, which a closed pipe cannot crash.
#![deny(clippy::print_stdout)]

mod campaign;
mod case;
mod commands;
mod compare;
mod coverage;
mod demo;
mod exit;
mod metrics;
mod out;
mod registry;
mod show;
mod shrink;
mod workload;

use std::process::ExitCode;

use clap::Parser;

use commands::Command;
use exit::Usage;

const LONG_ABOUT: &str = "\
Deterministic simulation testing of distributed transactions. One 64-bit seed determines a \
whole run of an order system under a protocol (1pc, 2pc, tcc, saga-orch, saga-choreo): the \
fault plan, every latency and every random draw. Invariant checkers judge each run; a failure \
replays bit for bit from its seed, and shrinks to a minimal case file.

With no command, dtx runs the main job: 1,000 seeds of every protocol, one table row each.";

const AFTER_HELP: &str = "\
Exit codes:
  0    clean, or as expected
  1    a violation found, or not as expected
  2    bad input (one line on stderr)
  130  interrupted by Ctrl-C or SIGTERM (reports are written first)

Catalogue rows #N: see docs/catalogue.md. Protocols, bug knobs, invariants: dtx list.";

const EXAMPLES: &str = "\
Examples:
  dtx                                            the main job
  dtx list
  dtx run --protocol 2pc --seed 42 --trace
  dtx campaign --protocol tcc --bug tcc-no-fence --seeds 200
  dtx shrink --protocol 2pc --seed 0x2a --bug 2pc-stale-vote --out case.json
  dtx replay case.json --trace
  dtx mutants";

#[derive(Parser)]
#[command(
    name = "dtx",
    version,
    about = "Deterministic simulation testing of distributed transactions",
    long_about = LONG_ABOUT,
    after_help = AFTER_HELP,
    after_long_help = format!("{EXAMPLES}\n\n{AFTER_HELP}\n\n{}", registry::catalogue())
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
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
            // Lines join with "; ", except after a line that introduces the next.
            let mut one = String::new();
            for l in line {
                if !one.is_empty() {
                    one.push_str(if one.ends_with(':') { " " } else { "; " });
                }
                one.push_str(l);
            }
            eprintln!("dtx: {}", one.trim_start_matches("error: "));
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        None => commands::main_job::execute(),
        Some(command) => command.execute(),
    };
    match result {
        Ok(code) => code,
        Err(Usage(msg)) => {
            eprintln!("dtx: {msg}");
            ExitCode::from(2)
        }
    }
}
