//! `1pc`, the naive baseline: the order service calls stock, points and the card gateway in
//! sequence, each committing locally at once (take, take, direct charge). On an error it marks
//! the order cancelled and stops — nothing already done is undone, and a timeout is taken as
//! a failure. The harness must find its violations: stock or points kept by cancelled orders
//! (cancelled-clean), and customers charged for cancelled orders (no-unmatched-charge).

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use dtx_sim::CallPolicy;

use crate::services::order::{Flow, OrderService};
use crate::store::gateway::{GatewayCall, GatewayReply};
use crate::store::holdings::Answer;
use crate::system::{ProtocolSpec, Uses};
use crate::wire::{Msg, OrderRequest, Outcome};

/// 1pc as a protocol of the order system.
pub const SPEC: ProtocolSpec = ProtocolSpec {
    flow: || Rc::new(OnePhase),
    crash_points: &[("order", "1pc.after_stock"), ("order", "1pc.after_points")],
    probes: &["1pc.gave_up"],
    uses: Uses::Take,
    participant: None,
    pays: true,
    uses_broker: false,
    subscriptions: &[],
    participant_loop: None,
};

/// Each call gets a few tries; then the order is cancelled.
const POLICY: CallPolicy = CallPolicy {
    timeout_ms: 1_000,
    attempts: 3,
    backoff_ms: 200,
    max_backoff_ms: 1_000,
};

/// The 1pc flow.
pub struct OnePhase;

async fn take(
    svc: &OrderService,
    to: &str,
    order: u64,
    lines: Vec<(u32, i64)>,
) -> Result<(), String> {
    match svc.net.call(to, &Msg::Take { order, lines }, &POLICY).await {
        Ok(Msg::Answer {
            answer: Answer::Done | Answer::Replayed,
            ..
        }) => Ok(()),
        Ok(Msg::Answer {
            answer: Answer::Refused(r),
            ..
        }) => Err(format!("{to}: {r}")),
        Ok(other) => Err(format!("{to}: unexpected {other:?}")),
        Err(e) => {
            svc.ctx.probe("1pc.gave_up");
            Err(e.to_string())
        }
    }
}

impl Flow for OnePhase {
    fn drive(&self, svc: OrderService, request: OrderRequest) -> Pin<Box<dyn Future<Output = ()>>> {
        Box::pin(async move {
            let order = request.order;
            let lines = request
                .lines
                .iter()
                .map(|(s, q)| (*s, i64::from(*q)))
                .collect();
            let outcome = async {
                take(&svc, "stock", order, lines).await?;
                svc.ctx.crash_point("1pc.after_stock").await;
                take(&svc, "points", order, vec![(request.user, request.points)]).await?;
                svc.ctx.crash_point("1pc.after_points").await;
                let call = Msg::Pay {
                    key: format!("1pc-{order}"),
                    call: GatewayCall::Charge {
                        order,
                        amount: request.amount,
                        card: request.card,
                    },
                };
                match svc
                    .net
                    .call(crate::services::payment::HOST, &call, &POLICY)
                    .await
                {
                    Ok(Msg::Paid {
                        reply: GatewayReply::Approved { .. },
                        ..
                    }) => Ok(()),
                    Ok(Msg::Paid { reply, .. }) => Err(format!("card: {reply:?}")),
                    Ok(other) => Err(format!("card: unexpected {other:?}")),
                    Err(e) => {
                        svc.ctx.probe("1pc.gave_up");
                        Err(e.to_string())
                    }
                }
            }
            .await;
            svc.settle(
                order,
                match outcome {
                    Ok(()) => Outcome::Confirmed,
                    Err(reason) => Outcome::Cancelled { reason },
                },
            );
        })
    }
}
