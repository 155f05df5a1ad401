//! A client host: the workload. For each of its orders it obtains an order id, submits the
//! order (retrying on timeout with the same id), then asks for its status until it hears an
//! outcome, and records what it asked and what it was told.

use std::time::Duration;

use dtx_sim::{CallPolicy, HostCtx, Net};

use dtx_invariants::{LedgerEvent, Told};

use crate::journal::Journal;
use crate::services::order;
use crate::wire::{Msg, OrderRequest, Outcome, Status};
use crate::workload::OrderSpec;

const POLICY: CallPolicy = CallPolicy {
    timeout_ms: 1_000,
    attempts: 4,
    backoff_ms: 300,
    max_backoff_ms: 2_000,
};

/// Place `orders` one after the other.
pub async fn run(ctx: HostCtx, client: u32, orders: Vec<OrderSpec>, journal: Journal) {
    let net: Net<Msg> = ctx.bind().await;
    for spec in orders {
        tokio::time::sleep(Duration::from_millis(spec.think_ms)).await;
        // An id first; a lost answer only wastes an id.
        let order = loop {
            if let Ok(Msg::OrderId { order }) =
                net.call(order::HOST, &Msg::NewOrderId, &POLICY).await
            {
                break order;
            }
        };
        journal.commit(ctx.now_ms(), [LedgerEvent::ClientAsked { client, order }]);
        let request = Msg::Place(OrderRequest {
            order,
            user: spec.user,
            lines: spec.lines.clone(),
            points: spec.points,
            amount: spec.amount,
            card: spec.card,
        });
        let mut placed = net.call(order::HOST, &request, &POLICY).await.is_ok();
        // Ask until told; resubmit (same id) while the order service does not know it.
        loop {
            match net.call(order::HOST, &Msg::Status { order }, &POLICY).await {
                Ok(Msg::StatusIs {
                    status: Status::Done(outcome),
                    ..
                }) => {
                    journal.commit(
                        ctx.now_ms(),
                        [LedgerEvent::ClientTold {
                            client,
                            order,
                            told: match outcome {
                                Outcome::Confirmed => Told::Confirmed,
                                Outcome::Cancelled { .. } => Told::Cancelled,
                            },
                        }],
                    );
                    break;
                }
                Ok(Msg::StatusIs {
                    status: Status::Unknown,
                    ..
                }) if !placed => {
                    placed = net.call(order::HOST, &request, &POLICY).await.is_ok();
                }
                _ => tokio::time::sleep(Duration::from_millis(500)).await,
            }
        }
    }
}
