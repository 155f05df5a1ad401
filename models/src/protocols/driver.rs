//! The trivial driver (not a transaction protocol): reserve the order's stock and points, then
//! release both, and cancel the order. It proves the parts — services, stores, message layer,
//! recovery — sound under every fault before real protocols use them: stock and points must
//! be conserved and nothing may stay reserved.

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
    uses: Uses::ReserveCancel,
    participant: None,
    pays: false,
    uses_broker: false,
    subscriptions: &[],
    participant_loop: None,
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
            let points = vec![(request.user, request.points)];
            let reserve = |lines: &Vec<(u32, i64)>| Msg::Reserve {
                order,
                lines: lines.clone(),
            };
            svc.call_until_answered("stock", &reserve(&lines)).await;
            svc.call_until_answered("points", &reserve(&points)).await;
            svc.ctx.crash_point("driver.after_reserve").await;
            for (to, lines) in [("stock", lines), ("points", points)] {
                svc.call_until_answered(to, &Msg::Cancel { order, lines })
                    .await;
            }
            svc.settle(
                order,
                Outcome::Cancelled {
                    reason: "the driver releases every reservation".into(),
                },
            );
        })
    }
}
