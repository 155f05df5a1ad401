//! The subcommands of `dtx`, one file each (as cargo lays out its own): each file owns its
//! arguments and what the command does. `main.rs` only parses and dispatches.

pub mod campaign;
pub mod compare;
pub mod count;
pub mod list;
pub mod main_job;
pub mod mutants;
pub mod replay;
pub mod run;
pub mod seed_args;
pub mod shrink;
pub mod workload_args;

use clap::Subcommand;

use crate::exit::Outcome;

#[derive(Subcommand)]
pub enum Command {
    /// List protocols, bug knobs, invariants with their statements, and fault kinds.
    #[command(long_about = list::LONG_ABOUT, after_long_help = list::EXAMPLES)]
    List(list::Args),
    /// Run one seed (or a case file's plan) and show it.
    #[command(long_about = run::LONG_ABOUT, after_long_help = run::EXAMPLES)]
    Run(run::Args),
    /// Re-run a case file and check it behaves as it expects.
    #[command(long_about = replay::LONG_ABOUT, after_long_help = replay::EXAMPLES)]
    Replay(replay::Args),
    /// Shrink a failing seed or case file to a minimal case file.
    #[command(long_about = shrink::LONG_ABOUT, after_long_help = shrink::EXAMPLES)]
    Shrink(shrink::Args),
    /// Run many seeds in parallel; write report.json, summary.md and failures/.
    Campaign(campaign::Args),
    /// Run the same seeds through several protocols, client counts and fault presets; compare
    /// their business metrics (compare.json, compare.md, SVG charts).
    #[command(long_about = compare::LONG_ABOUT, after_long_help = compare::EXAMPLES)]
    Compare(compare::Args),
    /// Run every bug knob until it is caught: seeds and time to first detection.
    #[command(long_about = mutants::LONG_ABOUT, after_long_help = mutants::EXAMPLES)]
    Mutants(mutants::Args),
}

impl Command {
    /// Run the command.
    pub fn execute(self) -> Outcome {
        match self {
            Command::List(a) => list::execute(a),
            Command::Run(a) => run::execute(a),
            Command::Campaign(a) => campaign::execute(a),
            Command::Shrink(a) => shrink::execute(a),
            Command::Replay(a) => replay::execute(a),
            Command::Mutants(a) => mutants::execute(a),
            Command::Compare(a) => compare::execute(a),
        }
    }
}
