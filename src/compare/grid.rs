//! What a comparison runs: the protocols (the baseline first), the client counts, the fault
//! presets, the shape options shared by every cell (`--lock` and `--double-submit` among
//! them), and the seed range every cell runs — the same seeds in every cell. Also the `dtx compare` line that asks for exactly this.

use dtx_sim::{FaultPreset, Seed};
use serde::Serialize;

use crate::registry::Target;
use crate::workload::Workload;

/// The cells to run and the seeds of each.
#[derive(Clone, Debug, Serialize)]
pub struct Grid {
    /// The protocols, in the registry's order.
    pub protocols: Vec<String>,
    /// The baseline among them (violations expected), if it is one of them.
    pub baseline: Option<String>,
    pub clients: Vec<usize>,
    pub faults: Vec<FaultPreset>,
    pub orders_per_client: usize,
    pub skus: usize,
    /// `--lock`: every cell runs under seed 002's lock (2pc and tcc only).
    pub lock: bool,
    /// `--double-submit`: every cell's clients submit each order twice.
    pub double_submit: bool,
    pub start: Seed,
    pub seeds: u64,
    #[serde(skip)]
    pub targets: Vec<Target>,
}

impl Grid {
    /// Every cell, preset by preset, then client count, then protocol: the target (with its
    /// workload) and the preset.
    pub fn cells(&self) -> Vec<(Target, usize, FaultPreset)> {
        let mut cells = Vec::new();
        for &faults in &self.faults {
            for &clients in &self.clients {
                for t in &self.targets {
                    let mut w = Workload {
                        faults,
                        ..Workload::default()
                    };
                    w.shape.clients = clients;
                    w.shape.orders_per_client = self.orders_per_client;
                    w.shape.skus = self.skus;
                    w.shape.lock = self.lock;
                    w.shape.double_submit = self.double_submit;
                    let target = t
                        .with_workload(w)
                        .expect("protocols checked against the shape when the grid was made");
                    cells.push((target, clients, faults));
                }
            }
        }
        cells
    }

    /// The `dtx compare` line that runs this grid (`--jobs` and `--out` change nothing in it).
    pub fn command(&self) -> String {
        let list = |v: Vec<String>| v.join(",");
        format!(
            "dtx compare --protocols {} --seeds {} --start {} --clients {} --faults {} --orders-per-client {} --skus {}{}{}",
            self.protocols.join(","),
            self.seeds,
            self.start,
            list(self.clients.iter().map(|c| c.to_string()).collect()),
            list(self.faults.iter().map(|f| f.to_string()).collect()),
            self.orders_per_client,
            self.skus,
            if self.lock { " --lock" } else { "" },
            if self.double_submit {
                " --double-submit"
            } else {
                ""
            }
        )
    }
}
