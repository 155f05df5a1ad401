//! The trivial driver (not a transaction protocol): reserve the order's stock, then release
//! it, and cancel the order. It proves the parts — services, stores, message layer, recovery
//! — sound under every fault before real protocols use them: stock must be conserved and
//! nothing may stay reserved.

use std::future::Future;
use std::pin::Pin;

use std::rc::Rc;

use crate::services::order::{Flow, OrderService};
use crate::system::{ProtocolSpec, Uses};
use crate::wire::{Msg, OrderRequest, Outcome};

/// Crash points of the driver.
pub const CRASH_POINTS: &[&str] = &["driver.after_reserve"];

/// The driver as a protocol of the order system.
pub const SPEC: ProtocolSpec = ProtocolSpec {
    flow: || Rc::new(Driver),
    crash_points: &[("order", "driver.after_reserve")],
    probes: &[],
    uses: Uses::Tcc,
};

/// The driver flow.
pub struct Driver;

impl Flow for Driver {
    fn drive(&self, svc: OrderService, request: OrderRequest) -> Pin<Box<dyn Future<Output = ()>>> {
        Box::pin(async move {
            let order = request.order;
            let lines: Vec<(u32, i64)> = request
                .lines
                .iter()
                .map(|(s, q)| (*s, i64::from(*q)))
                .collect();
            svc.call_until_answered("stock", &Msg::Reserve { order, lines })
                .await;
            svc.ctx.crash_point("driver.after_reserve").await;
            svc.call_until_answered("stock", &Msg::Cancel { order })
                .await;
            svc.settle(
                order,
                Outcome::Cancelled {
                    reason: "the driver releases every reservation".into(),
                },
            );
        })
    }
}
