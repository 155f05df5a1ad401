//! The invariants, by name, with the exact statement each checker checks.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A named property of the order system.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Invariant {
    StockConserved,
    PointsConserved,
    SingleCharge,
    EffectsOnce,
    AtomicCommit,
    NoUnmatchedCharge,
    ConfirmedSettled,
    CancelledClean,
    NothingInFlight,
    ClientTruth,
    Terminated,
    Answered,
}

/// When an invariant is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Phase {
    /// After every committed ledger event.
    Safety,
    /// At quiescence, after heal, when nothing is in flight.
    Quiescence,
    /// At the deadline after heal.
    Liveness,
}

impl Invariant {
    /// Every invariant.
    pub const ALL: [Invariant; 12] = [
        Invariant::StockConserved,
        Invariant::PointsConserved,
        Invariant::SingleCharge,
        Invariant::EffectsOnce,
        Invariant::AtomicCommit,
        Invariant::NoUnmatchedCharge,
        Invariant::ConfirmedSettled,
        Invariant::CancelledClean,
        Invariant::NothingInFlight,
        Invariant::ClientTruth,
        Invariant::Terminated,
        Invariant::Answered,
    ];

    /// The stable kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            Invariant::StockConserved => "stock-conserved",
            Invariant::PointsConserved => "points-conserved",
            Invariant::SingleCharge => "single-charge",
            Invariant::EffectsOnce => "effects-once",
            Invariant::AtomicCommit => "atomic-commit",
            Invariant::NoUnmatchedCharge => "no-unmatched-charge",
            Invariant::ConfirmedSettled => "confirmed-settled",
            Invariant::CancelledClean => "cancelled-clean",
            Invariant::NothingInFlight => "nothing-in-flight",
            Invariant::ClientTruth => "client-truth",
            Invariant::Terminated => "terminated",
            Invariant::Answered => "answered",
        }
    }

    /// When it is checked.
    pub fn phase(self) -> Phase {
        use Invariant::*;
        match self {
            StockConserved | PointsConserved | SingleCharge | EffectsOnce | AtomicCommit => {
                Phase::Safety
            }
            NoUnmatchedCharge | ConfirmedSettled | CancelledClean | NothingInFlight
            | ClientTruth => Phase::Quiescence,
            Terminated | Answered => Phase::Liveness,
        }
    }

    /// The statement, exactly as checked.
    pub fn statement(self) -> &'static str {
        use Invariant::*;
        match self {
            StockConserved => "for every sku s: available(s) + Σ_o reserved(s,o) + sold(s) = initial(s), and available(s) ≥ 0",
            PointsConserved => "for every user u: balance(u) + Σ_o held(u,o) + spent(u) = initial(u), and balance(u) ≥ 0",
            SingleCharge => "for every order o: net(o) = Σ captured − Σ refunded over o's charges is 0 or amount(o); at most one captured, unrefunded charge per order; a refund never exceeds what its charge captured",
            EffectsOnce => "for every (order, participant, op): applied at most once; no cancel without a try before it; no try after a cancel; never both confirm and cancel of one branch",
            AtomicCommit => "for every 2PC transaction: no participant commits while another rolls back; a participant commits only after every participant prepared; the logged decision never changes",
            NoUnmatchedCharge => "at quiescence, for every order o: net(o) > 0 ⇒ status(o) = Confirmed (net from the gateway's ledger, not the order service's belief)",
            ConfirmedSettled => "at quiescence, Confirmed o ⇒ net(o) = amount(o), every line of o sold for o, points(o) spent for o",
            CancelledClean => "at quiescence, Cancelled o ⇒ net(o) = 0, no stock reserved or sold for o, no points held or spent for o",
            NothingInFlight => "at quiescence: no prepared XA branch, no stock reservation, no held points, no open card authorization, no undelivered outbox row",
            ClientTruth => "at quiescence, what a client was told about o (confirmed / cancelled) equals status(o)",
            Terminated => "at the deadline after heal, every order is Confirmed or Cancelled",
            Answered => "at the deadline after heal, every order a client submitted has been answered",
        }
    }
}

impl fmt::Display for Invariant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
