//! 2pc phase 1: the coordinator's own branch (the order row set to Confirmed inside XA branch
//! *o*), prepares sent to stock and points, and the votes — of stock, points and the card
//! gateway's authorization (the prepared payment).

use dtx_sim::CallPolicy;

use super::BUG_STALE_VOTE;
use crate::services::holding;
use crate::services::order::{OrderKey, OrderService, OrderVal};
use crate::store::gateway::{GatewayCall, GatewayReply};
use crate::store::holdings::Answer;
use crate::wire::{Msg, OrderRequest, Outcome, Status};

/// Phase 1: a participant that does not vote within this gives a no.
const VOTE: CallPolicy = CallPolicy {
    timeout_ms: 1_000,
    attempts: 3,
    backoff_ms: 200,
    max_backoff_ms: 1_000,
};

pub(super) fn auth_call(r: &OrderRequest) -> Msg {
    Msg::Pay {
        key: format!("2pc-{}-auth", r.order),
        call: GatewayCall::Authorize {
            order: r.order,
            amount: r.amount,
            card: r.card,
        },
    }
}

/// Prepare the coordinator's own branch: the order row set to Confirmed inside XA branch
/// `order`. False if the host is down or the branch cannot be prepared.
fn prepare_own(svc: &OrderService, r: &OrderRequest) -> bool {
    let order = r.order;
    let request = r.clone();
    svc.db
        .write(|db| {
            if db.xa_state(order) == Some("prepared") {
                return true;
            }
            let Ok(txn) = db.xa_start(order) else {
                return false;
            };
            let work = (|| {
                db.put(
                    txn,
                    OrderKey::Order(order),
                    OrderVal::Order {
                        request,
                        status: Status::Done(Outcome::Confirmed),
                    },
                )?;
                db.xa_end(order)?;
                db.xa_prepare(order)
            })();
            if work.is_err() {
                db.rollback(txn);
                return false;
            }
            true
        })
        .unwrap_or(false)
}

/// Ask one participant to prepare; its vote.
async fn vote(svc: &OrderService, to: &str, order: u64, lines: Vec<(u32, i64)>) -> bool {
    let heard = heard_vote(svc, to, order, lines).await;
    if let Some(yes) = heard {
        svc.memory
            .borrow_mut()
            .last_votes
            .insert(to.to_string(), yes);
        return yes;
    }
    svc.ctx.probe("2pc.vote_timeout");
    if svc.knobs.on(BUG_STALE_VOTE) {
        // The bug: no vote in time, so take the last one this participant gave, whatever
        // transaction it was for.
        if let Some(&stale) = svc.memory.borrow().last_votes.get(to) {
            return stale;
        }
    }
    false
}

/// The participant's vote on `order`, or None if none came in time.
async fn heard_vote(
    svc: &OrderService,
    to: &str,
    order: u64,
    lines: Vec<(u32, i64)>,
) -> Option<bool> {
    let reply = svc
        .call(to, &Msg::Prepare { order, lines }, &VOTE)
        .await
        .ok()?;
    Some(match reply {
        // Votes are matched to their transaction: a vote for another order is not this one's.
        Msg::Answer { order: o, answer } if o == order => match answer {
            // Replayed: the participant saw this prepare before (the first send, a retry or a
            // duplicate) and votes again; one vote per participant. A duplicated or late vote
            // datagram never reaches here: the call layer ignores it (probe
            // `net.stale_reply_ignored`).
            Answer::Done | Answer::Replayed => true,
            _ => {
                svc.ctx.probe("2pc.voted_no");
                false
            }
        },
        _ => false,
    })
}

async fn vote_payment(svc: &OrderService, r: &OrderRequest) -> bool {
    // Under the lock, an authorization a previous holder made counts (see `holding`).
    match holding::authorize(svc, &auth_call(r), &VOTE).await {
        Ok(Msg::Paid {
            reply: GatewayReply::Approved { .. },
            ..
        }) => true,
        Ok(_) => {
            svc.ctx.probe("2pc.voted_no");
            false
        }
        Err(_) => {
            svc.ctx.probe("2pc.vote_timeout");
            false
        }
    }
}

/// Phase 1: prepare the coordinator's own branch, send prepares, collect the votes of stock,
/// points and the card (stopping at the first no). True when every vote is yes.
pub(super) async fn phase1(svc: &OrderService, r: &OrderRequest) -> bool {
    let order = r.order;
    let lines: Vec<(u32, i64)> = r.lines.iter().map(|(s, q)| (*s, i64::from(*q))).collect();
    let points = vec![(r.user, r.points)];
    let own = prepare_own(svc, r);
    svc.ctx.crash_point("2pc.after_order_prepared").await;
    let _ = svc.send(
        "stock",
        &Msg::Prepare {
            order,
            lines: lines.clone(),
        },
    );
    let _ = svc.send(
        "points",
        &Msg::Prepare {
            order,
            lines: points.clone(),
        },
    );
    svc.ctx.crash_point("2pc.after_prepare_sent").await;
    let mut yes = own;
    if yes {
        yes = vote(svc, "stock", order, lines).await;
        svc.ctx.crash_point("2pc.after_vote_stock").await;
    }
    if yes {
        yes = vote(svc, "points", order, points).await;
        svc.ctx.crash_point("2pc.after_vote_points").await;
    }
    if yes {
        yes = vote_payment(svc, r).await;
        svc.ctx.crash_point("2pc.after_vote_payment").await;
    }
    yes
}
