//! The books of a reservable resource — stock per sku, points per user — with the
//! try/confirm/cancel shape every protocol here builds on: reserve moves units from
//! available to held-for-an-order, confirm moves them to used (sold, spent), cancel gives
//! them back. Each operation is one local transaction on the service's `LocalDb` (or an XA
//! branch) and is idempotent per order through a fence row: a replayed reserve, confirm or
//! cancel is answered from the fence; a cancel or rollback that finds nothing (an empty
//! rollback) fences the order so a late reserve or prepare is refused instead of hanging.
//!
//! The book reports what it does, in the transaction that does it: every move of units
//! (reserved, sold, released, taken), every effect it applies (try, confirm, cancel), every
//! empty cancel or rollback it fences, and every refusal for lack of units with the numbers it
//! saw. Branch states come from the `LocalDb`'s XA calls.
//!
//! This module owns what a book is: its rows, fence values, moves and how the ledger names
//! them, the answers and refusals of its operations, and its committed views. The operations
//! are its children's: `book` reserves, confirms, cancels and takes in local transactions;
//! `branch` prepares, commits and rolls back XA branches; `naive` holds the wrong versions of
//! try, confirm and cancel that TCC bug knobs use, and the unfenced take of a saga knob (each still
//! reporting what it does);
//! `compensate` undoes whatever an order holds or took (a saga's compensation).

use std::fmt;
use std::ops::{Deref, DerefMut};

use dtx_invariants::LedgerEvent;
use dtx_sim::Durable;
use serde::{Deserialize, Serialize};

use super::local_db::LocalDb;
use crate::journal::Journal;
use crate::store::fence_tokens::FenceTokens;

mod book;
mod branch;
mod compensate;
pub mod naive;

pub use book::{cancel_in, confirm_in, local, reserve_in, take_in};
pub use branch::{commit_branch, prepare_branch, rollback_branch};
pub use compensate::compensate_in;

/// Which book: stock per sku or points per user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Book {
    Stock,
    Points,
}

impl Book {
    /// Host name (and probe prefix, and participant name in the ledger).
    pub fn host(self) -> &'static str {
        match self {
            Book::Stock => "stock",
            Book::Points => "points",
        }
    }

    /// A move of this book as a ledger event.
    pub fn event(self, m: &Move) -> LedgerEvent {
        use LedgerEvent as L;
        match (self, m.clone()) {
            (Book::Stock, Move::Reserve { id, order, qty }) => L::StockReserved {
                sku: id,
                order,
                qty,
            },
            (Book::Stock, Move::Confirm { id, order, qty }) => L::StockSold {
                sku: id,
                order,
                qty,
            },
            (Book::Stock, Move::Release { id, order, qty }) => L::StockReleased {
                sku: id,
                order,
                qty,
            },
            (Book::Stock, Move::Take { id, order, qty }) => L::StockTaken {
                sku: id,
                order,
                qty,
            },
            (Book::Stock, Move::Return { id, order, qty }) => L::StockReturned {
                sku: id,
                order,
                qty,
            },
            (Book::Points, Move::Return { id, order, qty }) => L::PointsRefunded {
                user: id,
                order,
                points: qty,
            },
            (Book::Points, Move::Reserve { id, order, qty }) => L::PointsHeld {
                user: id,
                order,
                points: qty,
            },
            (Book::Points, Move::Confirm { id, order, qty }) => L::PointsSpent {
                user: id,
                order,
                points: qty,
            },
            (Book::Points, Move::Release { id, order, qty }) => L::PointsReleased {
                user: id,
                order,
                points: qty,
            },
            (Book::Points, Move::Take { id, order, qty }) => L::PointsTaken {
                user: id,
                order,
                points: qty,
            },
        }
    }

    /// A refusal for lack of units, as a ledger refusal.
    fn short(self, id: u32, wanted: i64, available: i64) -> dtx_invariants::Refusal {
        use dtx_invariants::Refusal as R;
        match self {
            Book::Stock => R::Short {
                sku: id,
                wanted,
                available,
            },
            Book::Points => R::PointsShort {
                user: id,
                wanted,
                balance: available,
            },
        }
    }
}

/// Rows of a holdings book (`id` is a sku or a user).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Row {
    Available(u32),
    Held(u32, u64),
    Used(u32),
    /// Used for one order (sold to it, spent on it).
    UsedFor(u32, u64),
    /// Per order: where its branch stands.
    Fence(u64),
}

/// A fence's value.
pub mod fence {
    pub const RESERVED: i64 = 1;
    pub const CONFIRMED: i64 = 2;
    pub const CANCELLED: i64 = 3;
}

/// A move of units (book-neutral; [`Book::event`] names it in the ledger).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Move {
    /// `qty` of `id` went from available to held for `order`.
    Reserve { id: u32, order: u64, qty: i64 },
    /// `qty` of `id` held for `order` became used.
    Confirm { id: u32, order: u64, qty: i64 },
    /// `qty` of `id` held for `order` went back to available.
    Release { id: u32, order: u64, qty: i64 },
    /// `qty` of `id` went from available straight to used for `order` (one-phase, or an
    /// XA branch that committed).
    Take { id: u32, order: u64, qty: i64 },
    /// `qty` of `id` used for `order` went back to available (a saga's compensation).
    Return { id: u32, order: u64, qty: i64 },
}

/// A holdings database: one book on a `LocalDb` reporting as the book's host.
#[derive(Clone, Debug)]
pub struct HoldingsDb {
    book: Book,
    db: LocalDb<Row, i64>,
    /// The fencing tokens its requests carried under the lock.
    pub tokens: FenceTokens,
}

impl HoldingsDb {
    /// Which book it keeps.
    pub fn book(&self) -> Book {
        self.book
    }
}

impl Deref for HoldingsDb {
    type Target = LocalDb<Row, i64>;
    fn deref(&self) -> &Self::Target {
        &self.db
    }
}

impl DerefMut for HoldingsDb {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.db
    }
}

impl Durable for HoldingsDb {
    fn crashed(&mut self) {
        self.db.crashed();
    }
}

/// How an operation ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Answer {
    /// Applied now.
    Done,
    /// Applied before: this is a replay.
    Replayed,
    /// Cancel or rollback found nothing to undo (an empty rollback): the order is fenced
    /// instead, so a late reserve or prepare will be refused.
    Fenced,
    /// Refused for a business reason.
    Refused(Refusal),
    /// The store failed with an error other than a lock conflict (reported as a store fault):
    /// nothing was applied.
    Failed { error: String },
}

/// Why an operation was refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Refusal {
    /// Not enough of `id`.
    Short {
        id: u32,
        wanted: i64,
        available: i64,
    },
    /// The order was cancelled here already (a late reserve, or confirm after cancel).
    Cancelled,
    /// The order was confirmed here already (cancel after confirm).
    Confirmed,
    /// Nothing reserved for the order (confirm without reserve).
    NothingReserved,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Short {
                id,
                wanted,
                available,
            } => write!(f, "{id}: wanted {wanted}, available {available}"),
            Refusal::Cancelled => write!(f, "already cancelled"),
            Refusal::Confirmed => write!(f, "already confirmed"),
            Refusal::NothingReserved => write!(f, "nothing reserved"),
        }
    }
}

/// Book `book` loaded with `available` units per id, reporting to `journal`.
pub fn open(
    book: Book,
    available: impl IntoIterator<Item = (u32, i64)>,
    journal: Journal,
) -> HoldingsDb {
    HoldingsDb {
        book,
        db: LocalDb::with_rows(available.into_iter().map(|(id, n)| (Row::Available(id), n)))
            .reporting(book.host(), journal),
        tokens: FenceTokens::default(),
    }
}
/// One id's committed rows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rows {
    pub available: i64,
    /// Held per order.
    pub held: Vec<(u64, i64)>,
    pub used: i64,
    /// Used per order.
    pub used_for: Vec<(u64, i64)>,
}

/// One id's committed rows: available, held per order, used, used per order.
pub fn rows_of(db: &HoldingsDb, id: u32) -> Rows {
    let mut rows = Rows::default();
    for (r, v) in db.rows() {
        match r {
            Row::Held(i, o) if *i == id => rows.held.push((*o, *v)),
            Row::UsedFor(i, o) if *i == id => rows.used_for.push((*o, *v)),
            _ => {}
        }
    }
    let get = |r: Row| db.read(&r).copied().unwrap_or(0);
    rows.available = get(Row::Available(id));
    rows.used = get(Row::Used(id));
    rows
}

/// Orders whose fence says tried (reserved, neither confirmed nor cancelled yet), committed.
pub fn tried(db: &HoldingsDb) -> Vec<u64> {
    db.rows()
        .filter_map(|(r, v)| match r {
            Row::Fence(o) if *v == fence::RESERVED => Some(*o),
            _ => None,
        })
        .collect()
}

/// What is held for `order`, per id, committed.
pub fn held_for(db: &HoldingsDb, order: u64) -> Vec<(u32, i64)> {
    db.rows()
        .filter_map(|(r, v)| match r {
            Row::Held(id, o) if *o == order => Some((*id, *v)),
            _ => None,
        })
        .collect()
}

/// Available, held (by order) and used units of `id`, committed.
pub fn totals(db: &HoldingsDb, id: u32) -> (i64, i64, i64) {
    let mut held = 0;
    for (r, v) in db.rows() {
        if matches!(r, Row::Held(i, _) if *i == id) {
            held += v;
        }
    }
    let get = |r: Row| db.read(&r).copied().unwrap_or(0);
    (get(Row::Available(id)), held, get(Row::Used(id)))
}
#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn stock(rows: impl IntoIterator<Item = (u32, i64)>) -> (HoldingsDb, Journal) {
        let j = Journal::default();
        (open(Book::Stock, rows, j.clone()), j)
    }

    pub(super) fn events(j: &Journal) -> Vec<LedgerEvent> {
        j.entries().iter().map(|(_, e)| e.clone()).collect()
    }
}
