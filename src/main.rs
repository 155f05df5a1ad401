//! `dtx`: the front door of dtxsim. See DESIGN.md's command contract and `dtx --help`.
//! This file only parses and dispatches; each command lives in `commands/`.

// Standard output goes through `out!`/`outln!`, which a closed pipe cannot crash.
#![deny(clippy::print_stdout)]

mod campaign;
mod case;
mod commands;
mod coverage;
mod demo;
mod exit;
mod out;
mod registry;
mod show;
mod shrink;

use std::process::ExitCode;

use clap::Parser;

use commands::Command;
use exit::Usage;

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
