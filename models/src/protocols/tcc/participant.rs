//! A TCC participant (stock, points): try, confirm and cancel, each one local transaction of
//! the holdings book that writes the fence log row of (order, branch) with the business change
//! — try fences `tried` (refused if a cancel fenced the branch first: anti-hanging), confirm
//! is answered from a `confirmed` fence and refused on a `cancelled` one, a cancel with no try
//! before it fences `cancelled` and changes nothing (an empty rollback), a repeated cancel is
//! answered from its fence. The bug knobs that break the fence log live here.

use dtx_sim::{Disk, HostCtx, HostDown};

use crate::knobs::Knobs;
use crate::store::holdings::{self, naive, Answer, HoldingsDb, Refusal};
use crate::store::local_db::{DbError, TxnId};
use crate::wire::Msg;

/// Bug knob (#5, #6): no fence log against empty rollback and hanging — a cancel that finds no
/// try "releases" the request's lines anyway, and a try after a cancel reserves.
pub const BUG_NO_FENCE: &str = "tcc-no-fence";
/// Bug knob (#7): confirm does not ask its fence whether it confirmed already — a re-sent
/// confirm (its acknowledgement lost, or duplicated) sells and spends again.
pub const BUG_NON_IDEMPOTENT_CONFIRM: &str = "tcc-non-idempotent-confirm";
/// Bug knob (#9): the fence is written in a transaction of its own after the business change —
/// a crash between the two leaves a change with no fence, and its retry applies it again.
pub const BUG_FENCE_OUTSIDE_TX: &str = "tcc-fence-outside-tx";

/// Apply a try (`Reserve`), confirm or cancel for `order` at this participant.
pub fn apply(
    ctx: &HostCtx,
    db: &Disk<HoldingsDb>,
    order: u64,
    body: &Msg,
    knobs: Knobs,
) -> Result<Result<Answer, DbError>, HostDown> {
    let answer = if knobs.on(BUG_FENCE_OUTSIDE_TX) {
        fence_apart(db, order, body)?
    } else {
        db.write(|d| holdings::local(d, |d, t| in_tx(d, t, order, body, knobs)))?
    };
    match (body, &answer) {
        (Msg::Reserve { .. }, Ok(Answer::Refused(Refusal::Cancelled))) => {
            ctx.probe("tcc.hanging_try_refused")
        }
        (Msg::Cancel { .. }, Ok(Answer::Fenced)) => ctx.probe("tcc.empty_rollback"),
        (Msg::Confirm { .. }, Ok(Answer::Replayed)) => ctx.probe("tcc.duplicate_confirm_absorbed"),
        (Msg::Cancel { .. }, Ok(Answer::Replayed)) => ctx.probe("tcc.duplicate_cancel_absorbed"),
        _ => {}
    }
    Ok(answer)
}

/// The operation inside local transaction `t`, fence and business change together.
fn in_tx(
    d: &mut HoldingsDb,
    t: TxnId,
    order: u64,
    body: &Msg,
    knobs: Knobs,
) -> Result<Answer, DbError> {
    let no_fence = knobs.on(BUG_NO_FENCE);
    match body {
        Msg::Reserve { lines, .. } if no_fence => naive::reserve_unfenced_in(d, t, order, lines),
        Msg::Reserve { lines, .. } => holdings::reserve_in(d, t, order, lines),
        Msg::Confirm { lines, .. } if knobs.on(BUG_NON_IDEMPOTENT_CONFIRM) => {
            naive::confirm_by_lines_in(d, t, order, lines)
        }
        Msg::Confirm { .. } => holdings::confirm_in(d, t, order),
        Msg::Cancel { lines, .. } if no_fence => naive::cancel_by_lines_in(d, t, order, lines),
        Msg::Cancel { .. } => holdings::cancel_in(d, t, order),
        other => unreachable!("a TCC participant applies try, confirm and cancel, not {other:?}"),
    }
}

/// The bug of [`BUG_FENCE_OUTSIDE_TX`]: the business change in one durable write, its fence in
/// the next.
fn fence_apart(
    db: &Disk<HoldingsDb>,
    order: u64,
    body: &Msg,
) -> Result<Result<Answer, DbError>, HostDown> {
    let done = db.write(|d| {
        holdings::local(d, |d, t| match body {
            Msg::Reserve { lines, .. } => naive::reserve_apart_in(d, t, order, lines),
            Msg::Confirm { .. } => naive::confirm_apart_in(d, t, order),
            _ => naive::cancel_apart_in(d, t, order),
        })
    })?;
    let (answer, fence) = match done {
        Ok(done) => done,
        Err(e) => return Ok(Err(e)),
    };
    if let Some(value) = fence {
        if let Err(e) = db.write(|d| naive::write_fence(d, order, value))? {
            return Ok(Err(e));
        }
    }
    Ok(Ok(answer))
}
