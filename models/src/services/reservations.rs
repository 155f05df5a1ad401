//! The reservation resolver, a TCC participant's own recovery: a reservation still tried
//! (fenced as reserved, neither confirmed nor cancelled) one look after it was first seen has
//! waited too long for its confirm or cancel. The participant asks the order service for the
//! order's recorded decision and applies it with its own confirm or cancel. It never decides
//! alone: while no decision is recorded, the reservation waits.

use std::time::Duration;

use dtx_sim::{CallPolicy, Disk, HostCtx, Net};

use super::holdings::Apply;
use crate::knobs::Knobs;
use crate::services::order;
use crate::store::holdings::{self, Answer, HoldingsDb};
use crate::wire::Msg;

/// How often the resolver looks at tried reservations; one tried across two looks is asked
/// about.
pub const EVERY_MS: u64 = 2_000;

const ASK: CallPolicy = CallPolicy {
    timeout_ms: 1_000,
    attempts: 2,
    backoff_ms: 200,
    max_backoff_ms: 1_000,
};

/// The recorded decision for `order` (confirm = true), if the order service answers with one.
async fn ask(net: &Net<Msg>, order: u64) -> Option<bool> {
    match net
        .call(order::HOST, &Msg::AskDecision { order }, &ASK)
        .await
    {
        Ok(Msg::DecisionIs { order: o, decision }) if o == order => decision,
        _ => None,
    }
}

/// Resolve reservations left tried, applying decisions with `own`.
pub async fn resolve(ctx: HostCtx, net: Net<Msg>, db: Disk<HoldingsDb>, knobs: Knobs, own: Apply) {
    let name = db.read(|d| d.book()).host();
    let mut seen: Vec<u64> = Vec::new();
    loop {
        ctx.sleep(Duration::from_millis(EVERY_MS)).await;
        let tried = db.read(holdings::tried);
        let overdue: Vec<u64> = tried.iter().copied().filter(|o| seen.contains(o)).collect();
        seen = tried;
        for order in overdue {
            ctx.probe(&format!("{name}.reservation_asked"));
            let Some(confirm) = ask(&net, order).await else {
                continue;
            };
            // The order service's confirm or cancel may have come while we asked.
            if !db.read(|d| holdings::tried(d).contains(&order)) {
                continue;
            }
            let lines = db.read(|d| holdings::held_for(d, order));
            let msg = if confirm {
                Msg::Confirm { order, lines }
            } else {
                Msg::Cancel { order, lines }
            };
            if let Ok(Ok(Answer::Done)) = own(&ctx, &db, order, &msg, knobs) {
                ctx.probe(&format!("{name}.reservation_resolved"));
            }
        }
    }
}
