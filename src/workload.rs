//! What a run's clients do and which faults it meets, beyond the protocol: the workload shape
//! (concurrent clients, orders per client, skus, the lock, double submission) and the fault
//! preset. A target carries one;
//! the default is the shape and preset every seed had before the options existed, so default
//! runs keep their trace hashes, and only options that differ from it are ever written out
//! (reproduction lines, case files).

use dtx_models::workload::WorkloadShape;
use dtx_sim::{FaultPreset, SimConfig};
use serde::Serialize;

/// A workload shape and a fault preset.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Workload {
    pub shape: WorkloadShape,
    pub faults: FaultPreset,
}

impl Workload {
    /// The shape, only when it is not the default (what case files record).
    pub fn shape_if_set(&self) -> Option<WorkloadShape> {
        (self.shape != WorkloadShape::default()).then_some(self.shape)
    }

    /// The simulation settings of a run under this workload.
    pub fn config(&self) -> SimConfig {
        SimConfig {
            faults: self.faults,
            ..SimConfig::default()
        }
    }

    /// The options that differ from the default, as `dtx` takes them: ` --clients 5 --lock
    /// --faults none` (empty for the default).
    pub fn args(&self) -> String {
        let d = Workload::default();
        let mut s = String::new();
        if self.shape.clients != d.shape.clients {
            s.push_str(&format!(" --clients {}", self.shape.clients));
        }
        if self.shape.orders_per_client != d.shape.orders_per_client {
            s.push_str(&format!(
                " --orders-per-client {}",
                self.shape.orders_per_client
            ));
        }
        if self.shape.skus != d.shape.skus {
            s.push_str(&format!(" --skus {}", self.shape.skus));
        }
        if self.shape.lock != d.shape.lock {
            s.push_str(" --lock");
        }
        if self.shape.double_submit != d.shape.double_submit {
            s.push_str(" --double-submit");
        }
        if self.faults != d.faults {
            s.push_str(&format!(" --faults {}", self.faults));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_options_that_differ_are_written() {
        assert_eq!(Workload::default().args(), "");
        assert_eq!(Workload::default().shape_if_set(), None);
        let mut w = Workload {
            faults: FaultPreset::Heavy,
            ..Workload::default()
        };
        w.shape.clients = 5;
        w.shape.skus = 1;
        assert_eq!(w.args(), " --clients 5 --skus 1 --faults heavy");
        assert_eq!(w.shape_if_set().map(|s| s.clients), Some(5));
        assert_eq!(w.config().faults, FaultPreset::Heavy);
        w.shape.lock = true;
        w.shape.double_submit = true;
        assert_eq!(
            w.args(),
            " --clients 5 --skus 1 --lock --double-submit --faults heavy"
        );
        let only_lock = Workload {
            shape: WorkloadShape {
                lock: true,
                ..WorkloadShape::default()
            },
            ..Workload::default()
        };
        assert_eq!(only_lock.args(), " --lock");
        assert!(only_lock.shape_if_set().is_some_and(|s| s.lock));
    }
}
