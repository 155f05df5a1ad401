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
//! ([`crate::wire::Msg::AskDecision`]), which answers from its log.
//!
//! Bug knobs: [`BUG_DECISION_NOT_LOGGED`] (#17), [`BUG_NO_RECOVERY`] (#16),
//! [`BUG_STALE_VOTE`] (#20), and in the
//! participants `2pc-participant-timeout-abort` (#18) and `2pc-prepare-not-durable` (#19).

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use crate::knobs::BugKnob;
use crate::services::holdings::{BUG_PREPARE_NOT_DURABLE, BUG_TIMEOUT_ABORT};
use crate::services::order::{Flow, OrderService};
use crate::system::{ProtocolSpec, Uses};
use crate::wire::OrderRequest;

mod commit;
mod decision;
mod prepare;

use commit::phase2;
use decision::log_decision;
use prepare::phase1;

/// Bug knob (#17): the coordinator keeps its decision in memory only; after a crash,
/// recovery finds no decision and presumes abort although commits went out.
pub const BUG_DECISION_NOT_LOGGED: &str = "2pc-decision-not-logged";
/// Bug knob (#20): a participant whose vote does not come in time is counted with the last
/// vote it gave — for another transaction.
pub const BUG_STALE_VOTE: &str = "2pc-stale-vote";
/// Bug knob (#16): the coordinator does not resume in-doubt transactions after a restart.
pub const BUG_NO_RECOVERY: &str = "2pc-no-recovery";

/// 2pc's bug knobs, each with the invariants that catch it.
pub const BUGS: &[BugKnob] = &[
    BugKnob {
        name: BUG_DECISION_NOT_LOGGED,
        rows: &[17],
        about: "the decision is kept in memory; a restarted coordinator presumes abort after commits went out",
        breaks: &["atomic-commit"],
    },
    BugKnob {
        name: BUG_TIMEOUT_ABORT,
        rows: &[18],
        about: "a participant rolls back a branch prepared too long instead of asking the coordinator",
        breaks: &["atomic-commit"],
    },
    BugKnob {
        name: BUG_PREPARE_NOT_DURABLE,
        rows: &[19],
        about: "a participant votes yes without a durable prepare; a crash forgets the branch",
        breaks: &["atomic-commit"],
    },
    BugKnob {
        name: BUG_STALE_VOTE,
        rows: &[20],
        about: "a vote that does not come in time is taken from the participant's last vote, of another transaction",
        breaks: &["atomic-commit"],
    },
    BugKnob {
        name: BUG_NO_RECOVERY,
        rows: &[16],
        about: "a restarted coordinator never resumes in-doubt transactions",
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
    participant: None,
    pays: true,
    uses_broker: false,
    subscriptions: &[],
    participant_loop: None,
};

/// The 2pc flow.
pub struct TwoPhase;

impl Flow for TwoPhase {
    fn drive(&self, svc: OrderService, r: OrderRequest) -> Pin<Box<dyn Future<Output = ()>>> {
        Box::pin(async move {
            let order = r.order;
            if let Some(commit) = self_decision(&svc, order) {
                phase2(&svc, &r, commit).await;
                return;
            }
            let yes = phase1(&svc, &r).await;
            let Some(commit) = log_decision(&svc, order, yes) else {
                return; // down: recovery takes over
            };
            svc.ctx.crash_point("2pc.after_decision_logged").await;
            phase2(&svc, &r, commit).await;
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
                    let Some(logged) = log_decision(&svc, r.order, false) else {
                        return;
                    };
                    logged
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
        .or_else(|| svc.memory.borrow().decisions.get(order))
}
