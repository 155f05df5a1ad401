//! `2pc`, XA-style two-phase commit with the order service as coordinator.
//!
//! Phase 1 prepares XA branches on order (the order row, set to Confirmed inside the branch),
//! stock and points, and authorizes the card at the gateway (the prepared payment: captured
//! on commit, voided on abort). The decision — commit only if every vote is yes — is logged
//! durably in the order database before any phase-2 message. Phase 2 sends commit or rollback
//! to every participant until each acknowledges (phase-2 operations are idempotent), then
//! applies the coordinator's own order branch last, so an order leaves Pending only when its
//! transaction is finished — and the client, who polls the order's status, hears the outcome
//! only after the decision is durable.
//!
//! Recovery: on restart the coordinator resumes every pending order: with a logged decision it
//! finishes phase 2; without one it presumes abort (and logs it). Participants never decide
//! alone on a prepared branch: their in-doubt resolver asks the coordinator
//! ([`Msg::AskDecision`]), which answers from its log.
//!
//! Bug knobs: [`BUG_DECISION_NOT_LOGGED`] (#17), [`BUG_NO_RECOVERY`] (#16), and in the
//! participants `2pc-participant-timeout-abort` (#18) and `2pc-prepare-not-durable` (#19).

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use dtx_invariants::{BranchState, LedgerEvent};
use dtx_sim::CallPolicy;

use crate::knobs::BugKnob;
use crate::services::holdings::{BUG_PREPARE_NOT_DURABLE, BUG_TIMEOUT_ABORT};
use crate::services::order::{Flow, OrderKey, OrderService, OrderVal};
use crate::services::payment;
use crate::store::gateway::{GatewayCall, GatewayReply};
use crate::store::holdings::Answer;
use crate::system::{ProtocolSpec, Uses};
use crate::wire::{Msg, OrderRequest, Outcome, Status};

/// Bug knob (#17): the coordinator keeps its decision in memory only; after a crash,
/// recovery finds no decision and presumes abort although commits went out.
pub const BUG_DECISION_NOT_LOGGED: &str = "2pc-decision-not-logged";
/// Bug knob (#16): the coordinator does not resume in-doubt transactions after a restart.
pub const BUG_NO_RECOVERY: &str = "2pc-no-recovery";

/// 2pc's bug knobs, each with the invariants that catch it.
pub const BUGS: &[BugKnob] = &[
    BugKnob {
        name: BUG_DECISION_NOT_LOGGED,
        about: "#17: the decision is kept in memory; a restarted coordinator presumes abort after commits went out",
        breaks: &["atomic-commit"],
    },
    BugKnob {
        name: BUG_TIMEOUT_ABORT,
        about: "#18: a participant rolls back a branch prepared too long instead of asking the coordinator",
        breaks: &["atomic-commit"],
    },
    BugKnob {
        name: BUG_PREPARE_NOT_DURABLE,
        about: "#19: a participant votes yes without a durable prepare; a crash forgets the branch",
        breaks: &["atomic-commit"],
    },
    BugKnob {
        name: BUG_NO_RECOVERY,
        about: "#16: a restarted coordinator never resumes in-doubt transactions",
        breaks: &["terminated"],
    },
];

/// The XA participants (the card authorization is the fourth, prepared-payment participant).
pub const BRANCHES: [&str; 3] = ["order", "stock", "points"];

/// 2pc as a protocol of the order system.
pub const SPEC: ProtocolSpec = ProtocolSpec {
    flow: || Rc::new(TwoPhase),
    crash_points: &[
        ("order", "2pc.after_order_prepared"),
        ("order", "2pc.after_prepare_sent"),
        ("order", "2pc.after_vote_stock"),
        ("order", "2pc.after_vote_points"),
        ("order", "2pc.after_vote_payment"),
        ("order", "2pc.after_decision_logged"),
        ("order", "2pc.after_commit_sent_stock"),
        ("order", "2pc.after_commit_sent_points"),
        ("order", "2pc.after_commit_sent_payment"),
        ("order", "2pc.after_rollback_sent_stock"),
        ("order", "2pc.after_rollback_sent_points"),
        ("order", "2pc.after_rollback_sent_payment"),
    ],
    probes: &[
        "2pc.in_doubt_resolved_on_recovery",
        "2pc.presumed_abort",
        "2pc.phase2_retry",
        dtx_sim::STALE_REPLY_IGNORED,
        "2pc.voted_no",
        "2pc.vote_timeout",
    ],
    uses: Uses::Xa,
    pays: true,
};

/// Phase 1: a participant that does not vote within this gives a no.
const VOTE: CallPolicy = CallPolicy {
    timeout_ms: 1_000,
    attempts: 3,
    backoff_ms: 200,
    max_backoff_ms: 1_000,
};

/// Phase 2's first try; after it the message is retried until acknowledged.
const FIRST_TRY: CallPolicy = CallPolicy {
    timeout_ms: 1_000,
    attempts: 1,
    backoff_ms: 0,
    max_backoff_ms: 0,
};

/// The 2pc flow.
pub struct TwoPhase;

fn auth_call(r: &OrderRequest) -> Msg {
    Msg::Pay {
        key: format!("2pc-{}-auth", r.order),
        call: GatewayCall::Authorize {
            order: r.order,
            amount: r.amount,
            card: r.card,
        },
    }
}

fn branch_event(order: u64, state: BranchState) -> LedgerEvent {
    LedgerEvent::Branch {
        order,
        participant: "order".into(),
        state,
    }
}

/// Prepare the coordinator's own branch: the order row set to Confirmed inside XA branch
/// `order`. False if the host is down or the branch cannot be prepared.
fn prepare_own(svc: &OrderService, r: &OrderRequest) -> bool {
    let (order, now) = (r.order, svc.ctx.now_ms());
    let journal = svc.journal.clone();
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
                db.emit(
                    txn,
                    LedgerEvent::OrderStatus {
                        order,
                        status: dtx_invariants::OrderStatus::Confirmed,
                    },
                )?;
                db.xa_end(order)?;
                db.xa_prepare(order)
            })();
            if work.is_err() {
                db.rollback(txn);
                return false;
            }
            journal.commit(now, [branch_event(order, BranchState::Prepared)]);
            true
        })
        .unwrap_or(false)
}

/// Ask one participant to prepare; its vote.
async fn vote(svc: &OrderService, to: &str, order: u64, lines: Vec<(u32, i64)>) -> bool {
    match svc
        .net
        .call(to, &Msg::Prepare { order, lines }, &VOTE)
        .await
    {
        // Votes are matched to their transaction: a vote for another order is not this one's.
        Ok(Msg::Answer { order: o, answer }) if o == order => match answer {
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
        Ok(_) => false,
        Err(_) => {
            svc.ctx.probe("2pc.vote_timeout");
            false
        }
    }
}

async fn vote_payment(svc: &OrderService, r: &OrderRequest) -> bool {
    match svc.net.call(payment::HOST, &auth_call(r), &VOTE).await {
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

/// Log the decision (durably, unless the bug keeps it in memory). False if the host is down.
fn log_decision(svc: &OrderService, order: u64, commit: bool) -> bool {
    let event = LedgerEvent::Decision {
        order,
        commit,
        participants: BRANCHES.iter().map(|s| s.to_string()).collect(),
    };
    let now = svc.ctx.now_ms();
    if svc.knobs.on(BUG_DECISION_NOT_LOGGED) {
        if !svc.ctx.is_up() {
            return false;
        }
        svc.memory.borrow_mut().insert(order, commit);
        svc.journal.commit(now, [event]);
        return true;
    }
    let journal = svc.journal.clone();
    svc.db
        .write(|db| {
            let r = db.transact(|db, t| {
                if db.get_for_update(t, &OrderKey::Decision(order))?.is_some() {
                    return Ok(());
                }
                db.put(t, OrderKey::Decision(order), OrderVal::Decision(commit))?;
                db.emit(t, event.clone())
            });
            if let Ok(((), events)) = r {
                journal.commit(now, events);
                true
            } else {
                false
            }
        })
        .unwrap_or(false)
}

/// Send `msg` to `to` until acknowledged, after a crash point between the first send and the
/// wait for its acknowledgement.
async fn until_acked(svc: &OrderService, to: &str, msg: &Msg, point: &str) -> Msg {
    let _ = svc.net.send(to, msg);
    svc.ctx.crash_point(point).await;
    match svc.net.call(to, msg, &FIRST_TRY).await {
        Ok(reply) => reply,
        Err(_) => {
            svc.ctx.probe("2pc.phase2_retry");
            svc.call_until_answered(to, msg).await
        }
    }
}

/// Phase 2: apply `commit` everywhere, the coordinator's own branch last.
async fn phase2(svc: &OrderService, r: &OrderRequest, commit: bool) {
    let order = r.order;
    let word = if commit { "commit" } else { "rollback" };
    for p in ["stock", "points"] {
        let msg = if commit {
            Msg::Commit { order }
        } else {
            Msg::Rollback { order }
        };
        until_acked(svc, p, &msg, &format!("2pc.after_{word}_sent_{p}")).await;
    }
    // The card: claim the authorization's key (a replay returns the first authorization; a
    // late original arriving after this one finds the key taken), then capture or void it.
    if let Msg::Paid {
        reply: GatewayReply::Approved { charge },
        ..
    } = svc.call_until_answered(payment::HOST, &auth_call(r)).await
    {
        let (key, call) = if commit {
            (
                format!("2pc-{order}-capture"),
                GatewayCall::Capture { charge },
            )
        } else {
            (format!("2pc-{order}-void"), GatewayCall::Void { charge })
        };
        until_acked(
            svc,
            payment::HOST,
            &Msg::Pay { key, call },
            &format!("2pc.after_{word}_sent_payment"),
        )
        .await;
    }
    finish_own(svc, order, commit);
}

/// Commit or roll back the coordinator's own branch; on abort the order is cancelled.
fn finish_own(svc: &OrderService, order: u64, commit: bool) {
    let now = svc.ctx.now_ms();
    let journal = svc.journal.clone();
    let _ = svc.db.write(|db| {
        if db.xa_state(order).is_none() {
            return;
        }
        if commit {
            if let Ok(events) = db.xa_commit(order, false) {
                journal.commit(now, events);
                journal.commit(now, [branch_event(order, BranchState::Committed)]);
            }
        } else if db.xa_rollback(order).is_ok() {
            journal.commit(now, [branch_event(order, BranchState::RolledBack)]);
        }
    });
    if !commit {
        svc.settle(
            order,
            Outcome::Cancelled {
                reason: "2pc: aborted".into(),
            },
        );
    }
}

impl Flow for TwoPhase {
    fn drive(&self, svc: OrderService, r: OrderRequest) -> Pin<Box<dyn Future<Output = ()>>> {
        Box::pin(async move {
            let order = r.order;
            if let Some(commit) = self_decision(&svc, order) {
                phase2(&svc, &r, commit).await;
                return;
            }
            let lines: Vec<(u32, i64)> = r.lines.iter().map(|(s, q)| (*s, i64::from(*q))).collect();
            let points = vec![(r.user, r.points)];
            let own = prepare_own(&svc, &r);
            svc.ctx.crash_point("2pc.after_order_prepared").await;
            let _ = svc.net.send(
                "stock",
                &Msg::Prepare {
                    order,
                    lines: lines.clone(),
                },
            );
            let _ = svc.net.send(
                "points",
                &Msg::Prepare {
                    order,
                    lines: points.clone(),
                },
            );
            svc.ctx.crash_point("2pc.after_prepare_sent").await;
            let mut yes = own;
            if yes {
                yes = vote(&svc, "stock", order, lines).await;
                svc.ctx.crash_point("2pc.after_vote_stock").await;
            }
            if yes {
                yes = vote(&svc, "points", order, points).await;
                svc.ctx.crash_point("2pc.after_vote_points").await;
            }
            if yes {
                yes = vote_payment(&svc, &r).await;
                svc.ctx.crash_point("2pc.after_vote_payment").await;
            }
            if !log_decision(&svc, order, yes) {
                return; // down: recovery takes over
            }
            svc.ctx.crash_point("2pc.after_decision_logged").await;
            phase2(&svc, &r, yes).await;
        })
    }

    fn recover(&self, svc: OrderService, r: OrderRequest) -> Pin<Box<dyn Future<Output = ()>>> {
        Box::pin(async move {
            if svc.knobs.on(BUG_NO_RECOVERY) {
                return;
            }
            let commit = match self_decision(&svc, r.order) {
                Some(c) => {
                    svc.ctx.probe("2pc.in_doubt_resolved_on_recovery");
                    c
                }
                None => {
                    svc.ctx.probe("2pc.presumed_abort");
                    if !log_decision(&svc, r.order, false) {
                        return;
                    }
                    false
                }
            };
            phase2(&svc, &r, commit).await;
        })
    }

    fn decision(&self, svc: &OrderService, order: u64) -> Option<bool> {
        self_decision(svc, order)
    }
}

/// The decision as this coordinator knows it: logged, or (bug) only in memory.
fn self_decision(svc: &OrderService, order: u64) -> Option<bool> {
    svc.logged_decision(order)
        .or_else(|| svc.memory.borrow().get(&order).copied())
}
