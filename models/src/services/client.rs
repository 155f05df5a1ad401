//! A client host: the workload. For each of its orders it records that it wants an order id
//! and obtains one, records what it asks for under that id and submits the order (retrying
//! on timeout with the same id), then asks for its status until it hears an outcome, and
//! records what it was told. These are the client's own records (what it asked, what it was
//! told), journaled as it makes them.

use std::time::Duration;

use dtx_sim::{CallPolicy, HostCtx, Net};

use dtx_invariants::{Asked, LedgerEvent, Told};

use crate::journal::Journal;
use crate::wire::{Msg, OrderRequest, Outcome, Status};
use crate::workload::OrderSpec;

const POLICY: CallPolicy = CallPolicy {
    timeout_ms: 1_000,
    attempts: 4,
    backoff_ms: 300,
    max_backoff_ms: 2_000,
};

/// Where a client sends its requests: the order service's workers (one, or two under the
/// lock), and whether it submits every order twice.
#[derive(Clone, Debug)]
pub struct Route {
    /// The workers, the client's own first: a request that goes unanswered is tried on the
    /// next one (a client retrying on the other worker).
    pub workers: Vec<String>,
    /// Submit every order twice: to the next worker too (a retry on the other one), or again
    /// to the one worker there is (a double click).
    pub double_submit: bool,
}

impl Route {
    /// Client `client`'s route to `workers` (it starts at worker `client` mod their count).
    pub fn to(workers: &[String], client: u32, double_submit: bool) -> Route {
        let mut workers = workers.to_vec();
        let first = client as usize % workers.len().max(1);
        workers.rotate_left(first);
        Route {
            workers,
            double_submit,
        }
    }
}

/// Place `orders` — (seq: the order's index in the client's list, spec) — one after the
/// other, by `route`.
pub async fn run(
    ctx: HostCtx,
    client: u32,
    orders: Vec<(u32, OrderSpec)>,
    journal: Journal,
    route: Route,
) {
    let net: Net<Msg> = ctx.bind().await;
    let workers = route.workers.clone();
    // The worker asked now; the next one after a request goes unanswered.
    let mut at = 0usize;
    let next = |i: usize| (i + 1) % workers.len();
    for (seq, spec) in orders {
        ctx.sleep(Duration::from_millis(spec.think_ms)).await;
        // An id first; a lost answer only wastes an id.
        journal.record(LedgerEvent::ClientWantsId { client, seq });
        let order = loop {
            match net.call(&workers[at], &Msg::NewOrderId, &POLICY).await {
                Ok(Msg::OrderId { order }) => break order,
                Err(_) => at = next(at),
                Ok(_) => {}
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
        // Submit (twice with double submission: to the next worker too).
        let submit = |at: usize| {
            let (net, request, workers) = (net.clone(), request.clone(), workers.clone());
            let double = route.double_submit;
            async move {
                let mut placed = accepted(&net.call(&workers[at], &request, &POLICY).await);
                if double {
                    let again = (at + 1) % workers.len();
                    placed |= accepted(&net.call(&workers[again], &request, &POLICY).await);
                }
                placed
            }
        };
        let mut placed = submit(at).await;
        // Ask until told; resubmit (same id) while the order service does not know it.
        loop {
            match net
                .call(&workers[at], &Msg::Status { order }, &POLICY)
                .await
            {
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
                    placed = submit(at).await;
                }
                Err(_) => {
                    at = next(at);
                    ctx.sleep(Duration::from_millis(500)).await;
                }
                _ => ctx.sleep(Duration::from_millis(500)).await,
            }
        }
    }
}
