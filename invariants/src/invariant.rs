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
    RefusalTruthful,
    StoreSound,
    LockExclusive,
    NoUnmatchedCharge,
    ConfirmedSettled,
    CancelledClean,
    NothingInFlight,
    ClientTruth,
    Terminated,
    Answered,
    Settled,
}

/// When an invariant is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Phase {
    /// After every committed ledger event.
    Safety,
    /// At the end of every run, on the snapshot. Meant for quiescence (after heal, nothing in
    /// flight); on a run that did not settle, whatever it left in flight breaks them too.
    Quiescence,
    /// At the deadline after heal (the end of the run), on the snapshot.
    Liveness,
}

impl Invariant {
    /// Every invariant.
    pub const ALL: [Invariant; 16] = [
        Invariant::StockConserved,
        Invariant::PointsConserved,
        Invariant::SingleCharge,
        Invariant::EffectsOnce,
        Invariant::AtomicCommit,
        Invariant::RefusalTruthful,
        Invariant::StoreSound,
        Invariant::LockExclusive,
        Invariant::NoUnmatchedCharge,
        Invariant::ConfirmedSettled,
        Invariant::CancelledClean,
        Invariant::NothingInFlight,
        Invariant::ClientTruth,
        Invariant::Terminated,
        Invariant::Answered,
        Invariant::Settled,
    ];

    /// The stable kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            Invariant::StockConserved => "stock-conserved",
            Invariant::PointsConserved => "points-conserved",
            Invariant::SingleCharge => "single-charge",
            Invariant::EffectsOnce => "effects-once",
            Invariant::AtomicCommit => "atomic-commit",
            Invariant::RefusalTruthful => "refusal-truthful",
            Invariant::StoreSound => "store-sound",
            Invariant::LockExclusive => "lock-exclusive",
            Invariant::NoUnmatchedCharge => "no-unmatched-charge",
            Invariant::ConfirmedSettled => "confirmed-settled",
            Invariant::CancelledClean => "cancelled-clean",
            Invariant::NothingInFlight => "nothing-in-flight",
            Invariant::ClientTruth => "client-truth",
            Invariant::Terminated => "terminated",
            Invariant::Answered => "answered",
            Invariant::Settled => "settled",
        }
    }

    /// When it is checked.
    pub fn phase(self) -> Phase {
        use Invariant::*;
        match self {
            StockConserved | PointsConserved | SingleCharge | EffectsOnce | AtomicCommit
            | RefusalTruthful | StoreSound | LockExclusive => Phase::Safety,
            NoUnmatchedCharge | ConfirmedSettled | CancelledClean | NothingInFlight
            | ClientTruth => Phase::Quiescence,
            Terminated | Answered | Settled => Phase::Liveness,
        }
    }

    /// The statement, exactly as checked.
    pub fn statement(self) -> &'static str {
        use Invariant::*;
        match self {
            StockConserved => "for every sku s: available(s) + Σ_o reserved(s,o) + sold(s) = initial(s), and available(s), every reserved(s,o) and sold(s) are ≥ 0 (after every event, and on the stores' rows at the end of the run)",
            PointsConserved => "for every user u: balance(u) + Σ_o held(u,o) + spent(u) = initial(u), and balance(u), every held(u,o) and spent(u) are ≥ 0 (after every event, and on the stores' rows at the end of the run)",
            SingleCharge => "for every order o: net(o) = Σ captured − Σ refunded over o's charges is 0 or amount(o); at most one captured, unrefunded charge per order; a refund never exceeds what its charge captured",
            EffectsOnce => "for every branch (order, participant) and op: applied at most once, a 2PC branch state counting as its op (Prepared ≈ prepare, Committed ≈ commit, RolledBack ≈ rollback); no cancel without a try before it; no try (or prepare) after a cancel (or rollback), an empty one included; no empty cancel after a try or prepare; never both confirm and cancel, nor commit and rollback, of one branch",
            AtomicCommit => "for every 2PC transaction: no participant commits while another rolls back; a participant commits only after a decision to commit was logged and every participant of it, itself included, prepared; no participant rolls back against a logged commit; every write of the decision log writes the first decision again",
            RefusalTruthful => "every refusal names its reason with its numbers, and they are true of the ledger at that instant: \"short\" only when the available it names is the sku's availability and wanted > available; \"points short\" only when the balance it names is the user's balance and wanted > balance; \"declined\" only for an order created with a declining card",
            StoreSound => "no store reports an error other than a lock conflict (duplicate branch id, missing branch, broken store invariant): every store fault is a violation",
            LockExclusive => "a lock is held by one owner at a time: taken only when free or when its holder's lease has expired, and released only by its holder",
            NoUnmatchedCharge => "at the end of the run, for every order o: net(o) > 0 ⇒ status(o) = Confirmed (net from the gateway's ledger, not the order service's belief)",
            ConfirmedSettled => "at the end of the run, Confirmed o ⇒ net(o) = amount(o), every line of o sold for o, points(o) spent for o",
            CancelledClean => "at the end of the run, Cancelled o ⇒ net(o) = 0, no stock reserved or sold for o, no points held or spent for o",
            NothingInFlight => "at the end of the run: no prepared XA branch, no stock reservation, no held points, no open card authorization, no undelivered outbox row",
            ClientTruth => "at the end of the run, what a client was told about o (confirmed / cancelled) equals status(o), and o's record holds the user, lines, points and amount that client asked for under o",
            Terminated => "at the end of the run (the deadline after heal), every order is Confirmed or Cancelled",
            Answered => "at the end of the run, every client request has been answered: every request for an order id was handed an id, and every order a client submitted was told its outcome",
            Settled => "the run reaches quiescence within the deadline after heal (nothing busy at the end), and no ledger event happens after it",
        }
    }
}

impl fmt::Display for Invariant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
