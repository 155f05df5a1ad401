//! A saga participant (stock, points): each forward step and each compensation is one local
//! transaction of the holdings book, fenced per order — reserve (stock), take (points),
//! confirm (the stock, after the pivot), and the compensation, which releases a reservation
//! or returns what was taken, and fences the order even when it finds nothing, so a forward
//! step that lands after its compensation (a hanging saga) is refused. The bug knob that
//! drops that guard lives here.

use dtx_sim::{Disk, HostCtx, HostDown};

use crate::knobs::Knobs;
use crate::store::holdings::{self, naive, Answer, HoldingsDb, Refusal};
use crate::store::local_db::DbError;
use crate::wire::Msg;

/// Bug knob (#12): no guard against a hanging saga — a compensation that finds nothing to undo
/// writes no fence, and a forward step does not heed a compensation's fence — so a forward
/// step delayed (or duplicated) past its compensation lands, and nobody undoes it.
pub const BUG_NO_HANGING_GUARD: &str = "saga-no-hanging-guard";

/// Apply a forward step or a compensation for `order` at this participant.
pub fn apply(
    ctx: &HostCtx,
    db: &Disk<HoldingsDb>,
    order: u64,
    body: &Msg,
    knobs: Knobs,
) -> Result<Result<Answer, DbError>, HostDown> {
    let guard = !knobs.on(BUG_NO_HANGING_GUARD);
    let answer = db.write(|d| {
        holdings::local(d, |d, t| match body {
            Msg::Reserve { lines, .. } if !guard => naive::reserve_unfenced_in(d, t, order, lines),
            Msg::Take { lines, .. } if !guard => naive::take_unfenced_in(d, t, order, lines),
            Msg::Reserve { lines, .. } => holdings::reserve_in(d, t, order, lines),
            Msg::Take { lines, .. } => holdings::take_in(d, t, order, lines),
            Msg::Confirm { .. } => holdings::confirm_in(d, t, order),
            Msg::Cancel { .. } => holdings::compensate_in(d, t, order, guard),
            other => {
                unreachable!("a saga participant applies steps and compensations, not {other:?}")
            }
        })
    })?;
    if let (Msg::Reserve { .. } | Msg::Take { .. }, Ok(Answer::Refused(Refusal::Cancelled))) =
        (body, &answer)
    {
        ctx.probe("saga.late_step_refused");
    }
    Ok(answer)
}
