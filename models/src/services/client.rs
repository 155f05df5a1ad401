//! A client host: the workload. For each of its orders it records that it wants an order id
//! and obtains one, records what it asks for under that id and submits the order (retrying
//! on timeout with the same id), then asks for its status until it hears an outcome, and
//! records what it was told. These are the client's own records (what it asked, what it was
//! told), journaled as it makes them.

use std::time::Duration;

use dtx_sim::{CallPolicy, HostCtx, Net};

use dtx_invariants::{Asked, LedgerEvent, Told};

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

/// Place `orders` — (seq: the order's index in the client's list, spec) — one after the
/// other.
pub async fn run(ctx: HostCtx, client: u32, orders: Vec<(u32, OrderSpec)>, journal: Journal) {
    let net: Net<Msg> = ctx.bind().await;
    for (seq, spec) in orders {
        ctx.sleep(Duration::from_millis(spec.think_ms)).await;
        // An id first; a lost answer only wastes an id.
        journal.record(LedgerEvent::ClientWantsId { client, seq });
        let order = loop {
            if let Ok(Msg::OrderId { order }) =
                net.call(order::HOST, &Msg::NewOrderId, &POLICY).await
            {
                break order;
            }
        };
        journal.record(LedgerEvent::ClientAsked {
            client,
            seq,
            order,
            request: Asked {
                user: spec.user,
                lines: spec.lines.clone(),
                points: spec.points,
                amount: spec.amount,
            },
        });
        let request = Msg::Place(OrderRequest {
            order,
            user: spec.user,
            lines: spec.lines.clone(),
            points: spec.points,
            amount: spec.amount,
            card: spec.card,
        });
        let accepted = |r: &Result<Msg, _>| matches!(r, Ok(Msg::Accepted { .. }));
        let mut placed = accepted(&net.call(order::HOST, &request, &POLICY).await);
        // Ask until told; resubmit (same id) while the order service does not know it.
        loop {
            match net.call(order::HOST, &Msg::Status { order }, &POLICY).await {
                Ok(Msg::StatusIs {
                    status: Status::Done(outcome),
                    ..
                }) => {
                    journal.record(LedgerEvent::ClientTold {
                        client,
                        order,
                        told: match outcome {
                            Outcome::Confirmed => Told::Confirmed,
                            Outcome::Cancelled { .. } => Told::Cancelled,
                        },
                    });
                    break;
                }
                Ok(Msg::StatusIs {
                    status: Status::Unknown,
                    ..
                }) if !placed => {
                    placed = accepted(&net.call(order::HOST, &request, &POLICY).await);
                }
                _ => ctx.sleep(Duration::from_millis(500)).await,
            }
        }
    }
}
