//! The arguments that name one seeded run — `--protocol P --seed S [--bug B]` and the
//! workload options — shared by the commands that take either them or a case file (`run`,
//! `shrink`; a case file carries its own workload shape).

use dtx_sim::Seed;

use crate::exit::Usage;
use crate::registry::Target;

use super::workload_args::WorkloadArgs;

/// `--protocol P --seed S [--bug B]` (flattened; the command's ArgGroup makes them the
/// alternative to a case file).
#[derive(clap::Args)]
pub struct SeedArgs {
    /// The protocol (see `dtx list`).
    #[arg(long, value_name = "P", requires = "seed")]
    pub protocol: Option<String>,
    /// The seed: decimal or 0x hex, 0 to 2^64-1. One seed is one whole run.
    #[arg(
        long,
        value_name = "S",
        requires = "protocol",
        allow_negative_numbers = true
    )]
    pub seed: Option<Seed>,
    /// Turn on this bug knob of the protocol (see `dtx list`); `shrink` keeps an invariant
    /// the knob's catalogue row names.
    #[arg(long, value_name = "B", requires = "protocol")]
    pub bug: Option<String>,
    #[command(flatten)]
    pub workload: WorkloadArgs,
}

/// The ids of the arguments a case file replaces (its plan, protocol, bug and shape).
pub const NOT_WITH_A_CASE: [&str; 9] = [
    "protocol",
    "seed",
    "bug",
    "clients",
    "orders_per_client",
    "skus",
    "lock",
    "double_submit",
    "faults",
];

impl SeedArgs {
    /// The target and seed named, or bad input saying what `command` needs.
    pub fn target(&self, command: &str) -> Result<(Target, Seed), Usage> {
        let (Some(protocol), Some(seed)) = (&self.protocol, self.seed) else {
            return Err(Usage(format!(
                "{command} needs --protocol and --seed, or a case file"
            )));
        };
        let target = Target::find(protocol, self.bug.as_deref())?;
        Ok((self.workload.apply(target, command)?, seed))
    }
}
