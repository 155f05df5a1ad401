//! The workload options — `--clients`, `--orders-per-client`, `--skus`, `--lock`,
//! `--double-submit`, `--faults` — one set of arguments flattened into `run`, `shrink`,
//! `campaign` and `compare`. One value each for the commands that run one workload; `compare`
//! takes comma-separated lists of clients and presets and runs every combination (the flags
//! apply to every cell). Left out, each is the default workload's, so default runs keep their
//! trace hashes.

use dtx_models::workload::WorkloadShape;
use dtx_sim::FaultPreset;

use super::count::at_least_one;
use crate::exit::Usage;
use crate::registry::Target;
use crate::workload::Workload;

/// The workload options (flattened).
#[derive(clap::Args, Clone, Debug, Default)]
pub struct WorkloadArgs {
    /// Concurrent clients (users placing orders), at least 1 (default 3; compare takes a
    /// comma-separated list, default 1,2,4,8,16). Example: --clients 8
    #[arg(long, value_name = "N", value_delimiter = ',', allow_negative_numbers = true,
          value_parser = at_least_one::<usize>)]
    pub clients: Vec<usize>,
    /// Orders each client places, one after another, at least 1 (default 4). Example:
    /// --orders-per-client 10
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = at_least_one::<usize>)]
    pub orders_per_client: Option<usize>,
    /// Skus in the catalogue, at least 1 (default 4): fewer skus, more contention. Example:
    /// --skus 1
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = at_least_one::<usize>)]
    pub skus: Option<usize>,
    /// Two order-service workers behind a lock host (seed 002's Redis lock): a worker takes an
    /// order's lock — a lease with a fencing token the stores check — before driving it; 2pc
    /// and tcc only (another protocol is refused; campaign --protocol all, and compare
    /// without --protocols, run just those two). Each lock bug knob turns it on by itself.
    #[arg(long)]
    pub lock: bool,
    /// Clients submit every order twice, to both workers under --lock (a double click, or a
    /// retry on the other worker); without --lock, twice to the one order service.
    #[arg(long)]
    pub double_submit: bool,
    /// Fault preset: none (calm), default (the swarm: each fault kind on or off per seed) or
    /// heavy (every kind, twice as many) (default: default; compare takes a comma-separated
    /// list, default none,default). Example: --faults none
    #[arg(long, value_name = "PRESET", value_delimiter = ',')]
    pub faults: Vec<FaultPreset>,
}

impl WorkloadArgs {
    /// The shape with `clients` concurrent clients and the other options (`--lock` and
    /// `--double-submit` included) applied.
    pub fn shape(&self, clients: usize) -> WorkloadShape {
        let d = WorkloadShape::default();
        WorkloadShape {
            clients,
            orders_per_client: self.orders_per_client.unwrap_or(d.orders_per_client),
            skus: self.skus.unwrap_or(d.skus),
            lock: self.lock,
            double_submit: self.double_submit,
            ..d
        }
    }

    /// The one workload a command that runs one asks for (a list is bad input).
    pub fn single(&self, command: &str) -> Result<Workload, Usage> {
        if self.clients.len() > 1 || self.faults.len() > 1 {
            return Err(Usage(format!(
                "{command} takes one --clients and one --faults value; dtx compare takes lists"
            )));
        }
        Ok(Workload {
            shape: self.shape(
                self.clients
                    .first()
                    .copied()
                    .unwrap_or(WorkloadShape::default().clients),
            ),
            faults: self.faults.first().copied().unwrap_or_default(),
        })
    }

    /// `target` under the one workload asked for.
    pub fn apply(&self, target: Target, command: &str) -> Result<Target, Usage> {
        target.with_workload(self.single(command)?).map_err(Usage)
    }
}
