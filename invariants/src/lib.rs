//! dtx-invariants: the specification of the order system — the ledger vocabulary and one
//! named checker per invariant of CATALOGUE.md. It depends on nothing of ours (serde only),
//! so it can be read and tested alone.
//!
//! # The invariants, exactly as checked
//!
//! Safety, after every committed ledger event ([`Monitor::apply`], incremental; each
//! (invariant, entity) reported once, at the event after which it first broke):
//!
//! - **stock-conserved**: for every sku s, available(s) + Σ_o reserved(s,o) + sold(s) =
//!   initial(s), and available(s), every reserved(s,o) and sold(s) are ≥ 0. Also checked on
//!   the snapshot's rows at the end of the run.
//! - **points-conserved**: for every user u, balance(u) + Σ_o held(u,o) + spent(u) =
//!   initial(u), and balance(u), every held(u,o) and spent(u) are ≥ 0. Also on the snapshot.
//! - **single-charge**: for every order o, net(o) = Σ captured − Σ refunded over o's charges
//!   is 0 or amount(o); at most one captured, unrefunded charge per order; a refund never
//!   exceeds what its charge captured.
//! - **effects-once**: for every branch (order, participant) and op, applied at most once —
//!   a 2PC `Branch` state counts as its op (Prepared ≈ prepare, Committed ≈ commit,
//!   RolledBack ≈ rollback), apart from the `Effect` events reported with it; no cancel
//!   without a try before it; no try (or prepare) after a cancel (or rollback), an
//!   [`LedgerEvent::EmptyCancel`] included (hanging); no empty cancel after a try or prepare
//!   of the branch; never both confirm and cancel, nor commit and rollback, of one branch. An
//!   empty cancel is not a cancel effect, and may be repeated.
//! - **atomic-commit**: for every 2PC transaction, no participant commits while another rolls
//!   back; a participant commits only after a decision to commit was logged and every
//!   participant of it (itself included) prepared; no participant rolls back against a logged
//!   commit; every `Decision` event is a write of the decision log and must write the first
//!   decision again.
//! - **refusal-truthful**: a `Refused` event's numbers are true of the ledger at that instant:
//!   `Short` only if its `available` is the sku's availability (tracked from the stock events
//!   as in stock-conserved) and `wanted > available`; `PointsShort` likewise against the
//!   user's balance; `Declined` only for an order created with `declining_card`.
//! - **store-sound**: every `StoreFault` event is a violation.
//! - **lock-exclusive**: a lock is held by one owner at a time: a `LockTaken` of a key is
//!   legal only when the key is free (never taken, or released) or its holding's lease has
//!   expired at the take's time (`expires_at_ms` ≤ `at_ms`; none never expires); a
//!   `LockReleased` is legal only when `by` is the holder (`owner`).
//!
//! At the end of every run, quiescent or not ([`check_end`], on the [`Snapshot`]; every
//! finding returned, none deduplicated). Conservation on the stores' rows (above), then the
//! quiescence invariants — on a run that did not settle, whatever it left in flight breaks
//! them too:
//!
//! - **no-unmatched-charge**: net(o) > 0 ⇒ status(o) = Confirmed, with net from the gateway's
//!   ledger, not the order service's belief.
//! - **confirmed-settled**: Confirmed o ⇒ net(o) = amount(o), every line of o sold for o,
//!   points(o) spent for o.
//! - **cancelled-clean**: Cancelled o ⇒ net(o) = 0, no stock reserved or sold for o, no points
//!   held or spent for o.
//! - **nothing-in-flight**: no prepared XA branch, no stock reservation, no held points, no
//!   open card authorization, no undelivered outbox row.
//! - **client-truth**: what a client was told about o equals status(o), and o's record has the
//!   user, lines, points and amount that client asked for under o (two clients handed one id
//!   cannot both be told the truth); a told outcome of an order the ledger lacks, or the
//!   client never asked for, breaks it.
//!
//! and the liveness invariants (the end of the run is the deadline after heal):
//!
//! - **terminated**: every order is Confirmed or Cancelled.
//! - **answered**: every id request (client, seq) was handed an id, and every order a client
//!   submitted was told its outcome.
//! - **settled**: nothing is busy at the end (one violation naming all that is), and no ledger
//!   event happened after quiescence (one violation each).
//!
//! [`Invariant::statement`] gives the same statements at run time.

pub mod checkers;
mod end;
mod event;
mod ids;
mod invariant;
mod monitor;
mod snapshot;
#[cfg(test)]
mod testkit;
mod violation;

pub use end::check_end;
pub use event::{Asked, BranchState, LedgerEvent, Op, OrderStatus, Refusal, Told};
pub use ids::{ChargeId, ClientId, OrderId, Sku, UserId};
pub use invariant::{Invariant, Phase};
pub use monitor::Monitor;
pub use snapshot::{ChargeRecord, OrderRecord, PointsRow, Snapshot, StockRow};
pub use violation::{after_event_kind, after_event_note, Entity, Violation};
