//! dtx-invariants: the specification of the order system — the ledger vocabulary and one
//! named checker per invariant of CATALOGUE.md. It depends on nothing of ours (serde only),
//! so it can be read and tested alone.
//!
//! # The invariants, exactly as checked
//!
//! Safety, after every committed ledger event ([`Monitor::apply`], incremental):
//!
//! - **stock-conserved**: for every sku s, available(s) + Σ_o reserved(s,o) + sold(s) =
//!   initial(s), and available(s), every reserved(s,o) and sold(s) are ≥ 0. Also checked on
//!   the snapshot's rows at the end of the run.
//! - **points-conserved**: for every user u, balance(u) + Σ_o held(u,o) + spent(u) =
//!   initial(u), and balance(u), every held(u,o) and spent(u) are ≥ 0. Also on the snapshot.
//! - **single-charge**: for every order o, net(o) = Σ captured − Σ refunded over o's charges
//!   is 0 or amount(o); at most one captured, unrefunded charge per order; a refund never
//!   exceeds what its charge captured.
//! - **effects-once**: for every (order, participant, op), applied at most once; no cancel
//!   without a try before it; no try after a cancel; never both confirm and cancel of one
//!   branch.
//! - **atomic-commit**: for every 2PC transaction, no participant commits while another rolls
//!   back; a participant commits only after every participant (of the logged decision)
//!   prepared; the logged decision never changes, and no branch goes against it.
//!
//! At quiescence — after heal, when nothing is in flight ([`check_end`] with
//! `quiescent = true`), on the [`Snapshot`]:
//!
//! - **no-unmatched-charge**: net(o) > 0 ⇒ status(o) = Confirmed, with net from the gateway's
//!   ledger, not the order service's belief.
//! - **confirmed-settled**: Confirmed o ⇒ net(o) = amount(o), every line of o sold for o,
//!   points(o) spent for o.
//! - **cancelled-clean**: Cancelled o ⇒ net(o) = 0, no stock reserved or sold for o, no points
//!   held or spent for o.
//! - **nothing-in-flight**: no prepared XA branch, no stock reservation, no held points, no
//!   open card authorization, no undelivered outbox row.
//! - **client-truth**: what a client was told about o equals status(o).
//!
//! Liveness — at the deadline after heal (and at quiescence), on the snapshot:
//!
//! - **terminated**: every order is Confirmed or Cancelled.
//! - **answered**: every order a client submitted has been answered.
//!
//! [`Invariant::statement`] gives the same statements at run time.

pub mod checkers;
mod event;
mod ids;
mod invariant;
mod monitor;
mod snapshot;
mod violation;

pub use event::{BranchState, LedgerEvent, Op, OrderStatus, Told};
pub use ids::{ChargeId, ClientId, OrderId, Sku, UserId};
pub use invariant::{Invariant, Phase};
pub use monitor::{check_end, Monitor};
pub use snapshot::{ChargeRecord, OrderRecord, PointsRow, Snapshot, StockRow};
pub use violation::{Entity, Violation};
