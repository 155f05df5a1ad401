//! The subcommands of `dtx`, one file each (as cargo lays out its own): each file owns its
//! arguments and what the command does. `main.rs` only parses and dispatches.

pub mod campaign;
pub mod main_job;
pub mod mutants;
pub mod replay;
pub mod run;
pub mod shrink;

use clap::Subcommand;

use crate::exit::Outcome;

#[derive(Subcommand)]
pub enum Command {
    /// Run one seed.
    Run(run::Args),
    /// Run many seeds in parallel; write report.json, summary.md and failures/.
    Campaign(campaign::Args),
    /// Shrink a failing seed to a minimal case file.
    Shrink(shrink::Args),
    /// Re-run a saved case.
    Replay(replay::Args),
    /// Every bug knob: seeds and time to first detection.
    Mutants(mutants::Args),
}

impl Command {
    /// Run the command.
    pub fn execute(self) -> Outcome {
        match self {
            Command::Run(a) => run::execute(a),
            Command::Campaign(a) => campaign::execute(a),
            Command::Shrink(a) => shrink::execute(a),
            Command::Replay(a) => replay::execute(a),
            Command::Mutants(a) => mutants::execute(a),
        }
    }
}
