//! Delivering a request that must get through — a compensation, or the completion after the
//! pivot: sent until the participant answers, within a budget. A participant out of reach
//! longer (a fault may last 24 s) is left to the saga scheduler, which resumes the saga from
//! its log later — nothing is given up, only handed over.

use dtx_sim::CallPolicy;

use crate::services::order::OrderService;
use crate::wire::Msg;

/// The first attempt; after it, [`BUDGET`].
const FIRST: CallPolicy = CallPolicy {
    timeout_ms: 1_000,
    attempts: 1,
    backoff_ms: 0,
    max_backoff_ms: 0,
};

/// Retries after the first attempt: about 10 s, then the scheduler takes over.
const BUDGET: CallPolicy = CallPolicy {
    timeout_ms: 1_000,
    attempts: 5,
    backoff_ms: 300,
    max_backoff_ms: 2_000,
};

/// Send `msg` to `to` until answered: the answer, or None if the budget ran out. Reaches
/// probe `retried`, if given, when the first attempt goes unanswered.
pub(super) async fn until_acked(
    svc: &OrderService,
    to: &str,
    msg: &Msg,
    retried: Option<&str>,
) -> Option<Msg> {
    if let Ok(reply) = svc.net.call(to, msg, &FIRST).await {
        return Some(reply);
    }
    if let Some(probe) = retried {
        svc.ctx.probe(probe);
    }
    svc.net.call(to, msg, &BUDGET).await.ok()
}
