//! Business metrics of one run, read from the ledger the stores committed and the trace,
//! never from protocol code: [`measure`] fills every name of [`COUNTS`] and [`SAMPLES`] on
//! every run (a count at 0, a sample list empty, when nothing happened), in simulated ms.
//!
//! How each is derived (`at` is the commit time the journal stamped):
//!
//! - `orders`: `OrderCreated` events. An order's *outcome* is its first `OrderStatus` event
//!   to Confirmed or Cancelled; `confirmed` and `cancelled` count orders by it (an order with
//!   no outcome counts in neither).
//! - `cancelled_business`: cancelled orders that met a business refusal — a `Refused` event of
//!   the order (stock short, points short, the card declined: the only refusals the ledger
//!   names); `cancelled_fault`: every other cancel (faults, timeouts, unknown outcomes).
//! - `messages`: trace `Send` events whose label is about some order
//!   ([`wire::mentions_an_order`]: it names one or carries its payment key). Retries and
//!   replies count; duplicates the network makes do not (they are no `Send`).
//! - `compensations`: the stores giving back what an order held or took — a release or
//!   return of stock, a release or refund of points (one per store, order and commit,
//!   whatever the number of skus), the rollback of a prepared stock or points branch, the
//!   void of a card authorization, the refund of a charge. Empty cancels and rollbacks (there
//!   was nothing to give back) are not compensations.
//! - `span_ms`: from the first `OrderCreated` to the last outcome (0 without an outcome), so
//!   throughput is `confirmed / (span_ms / 1000)`.
//! - `latency_ms`: one per order with an outcome: `OrderCreated` → its outcome.
//! - `holding_ms`: one per hold of stock or points by an order (per book and order, however
//!   many skus): units reserved (`StockReserved`, `PointsHeld`) or a prepared XA branch
//!   (`Branch Prepared` at stock or points: its locks and taken units are unavailable to
//!   other orders) until sold, spent, released, committed or rolled back. Units taken outside
//!   a branch (`StockTaken`, `PointsTaken`: 1pc, a saga's points) are sold at once: they are a
//!   hold only if given back (`StockReturned`, `PointsRefunded`), from the take until then.
//!   The `StockTaken` of a prepared branch committing is part of its commit. A hold still
//!   open when the run ends lasts until the end of the trace.
//! - `in_doubt_ms`: one per prepared or tried branch, until its outcome: an XA branch
//!   (2pc: order, stock, points) from `Branch Prepared` until `Committed` or `RolledBack`;
//!   under TCC ([`Uses::Tcc`]) an `Effect Try` at stock or points until its
//!   `Confirm` or `Cancel`; and, for every protocol, a card authorization (`ChargeAuthorized`,
//!   the prepared or tried payment) until captured or voided. A saga's forward step is no
//!   tried branch (it is applied, then confirmed or compensated), so sagas have none. A
//!   branch still open at the end lasts until the end of the trace.

use std::collections::{BTreeMap, BTreeSet};

use dtx_invariants::{BranchState, LedgerEvent, Op, OrderStatus};
use dtx_sim::{EventKind, Metrics, Trace};

use crate::system::Uses;
use crate::wire;

/// Every count [`measure`] fills.
pub const COUNTS: [&str; 8] = [
    "orders",
    "confirmed",
    "cancelled",
    "cancelled_business",
    "cancelled_fault",
    "messages",
    "compensations",
    "span_ms",
];

/// Every sample list [`measure`] fills (simulated ms).
pub const SAMPLES: [&str; 3] = ["latency_ms", "holding_ms", "in_doubt_ms"];

/// What the ledger says of one order.
#[derive(Default)]
struct Order {
    created: Option<u64>,
    /// The first outcome: (at, confirmed).
    outcome: Option<(u64, bool)>,
    refused: bool,
}

/// How one book's units are held by an order.
#[derive(Clone, Copy)]
enum Hold {
    /// Reserved, or taken in a prepared branch, since `at`: a hold whatever follows.
    Held(u64),
    /// Taken outside a branch at `at`: a hold only if given back.
    Taken(u64),
}

/// Windows open per key since a time; closing one records its length.
struct Windows<K>(BTreeMap<K, u64>);

impl<K: Ord> Windows<K> {
    fn open(&mut self, k: K, at: u64) {
        self.0.entry(k).or_insert(at);
    }

    fn close(&mut self, k: &K, at: u64, out: &mut Vec<u64>) {
        if let Some(since) = self.0.remove(k) {
            out.push(at.saturating_sub(since));
        }
    }
}

/// The books whose units orders hold, as the ledger's participants name them.
fn book(participant: &str) -> Option<&'static str> {
    match participant {
        "stock" => Some("stock"),
        "points" => Some("points"),
        _ => None,
    }
}

/// The run's metrics from its `journal` entries (commit time, event) and its `trace`, for a
/// protocol that `uses` these participant operations (which decide what a tried branch is).
pub fn measure(journal: &[(u64, LedgerEvent)], trace: &Trace, uses: Uses) -> Metrics {
    use LedgerEvent as L;
    let end = trace.events.last().map_or(0, |e| e.at_ms);
    let mut orders: BTreeMap<u64, Order> = BTreeMap::new();
    let mut holds: BTreeMap<(&'static str, u64), Hold> = BTreeMap::new();
    let mut holding = Vec::new();
    let mut doubt = Windows(BTreeMap::new());
    let mut in_doubt = Vec::new();
    // (at, store, order) of each giving back, so one commit over several skus counts once.
    let mut given_back: BTreeSet<(u64, &'static str, u64)> = BTreeSet::new();
    let mut close_hold = |holds: &mut BTreeMap<_, Hold>, key, at: u64, taken_back: bool| {
        match holds.get(&key) {
            Some(Hold::Held(since)) => holding.push(at.saturating_sub(*since)),
            Some(Hold::Taken(since)) if taken_back => holding.push(at.saturating_sub(*since)),
            _ => return false,
        }
        holds.remove(&key);
        true
    };
    for (at, e) in journal {
        let at = *at;
        match e {
            L::OrderCreated { order, .. } => {
                orders.entry(*order).or_default().created.get_or_insert(at);
            }
            L::OrderStatus { order, status } => {
                let o = orders.entry(*order).or_default();
                if o.outcome.is_none() && *status != OrderStatus::Pending {
                    o.outcome = Some((at, *status == OrderStatus::Confirmed));
                }
            }
            L::Refused { order, .. } => orders.entry(*order).or_default().refused = true,
            L::StockReserved { order, .. } => {
                holds.entry(("stock", *order)).or_insert(Hold::Held(at));
            }
            L::PointsHeld { order, .. } => {
                holds.entry(("points", *order)).or_insert(Hold::Held(at));
            }
            // Inside a prepared branch (its commit) the take changes nothing held.
            L::StockTaken { order, .. } => {
                holds.entry(("stock", *order)).or_insert(Hold::Taken(at));
            }
            L::PointsTaken { order, .. } => {
                holds.entry(("points", *order)).or_insert(Hold::Taken(at));
            }
            L::StockSold { order, .. } => {
                close_hold(&mut holds, ("stock", *order), at, false);
            }
            L::PointsSpent { order, .. } => {
                close_hold(&mut holds, ("points", *order), at, false);
            }
            L::StockReleased { order, .. } | L::StockReturned { order, .. } => {
                close_hold(&mut holds, ("stock", *order), at, true);
                given_back.insert((at, "stock", *order));
            }
            L::PointsReleased { order, .. } | L::PointsRefunded { order, .. } => {
                close_hold(&mut holds, ("points", *order), at, true);
                given_back.insert((at, "points", *order));
            }
            L::Branch {
                order,
                participant,
                state,
            } => {
                let key = (participant.as_str(), *order);
                match state {
                    BranchState::Prepared => doubt.open(key, at),
                    _ => doubt.close(&key, at, &mut in_doubt),
                }
                if let Some(b) = book(participant) {
                    match state {
                        BranchState::Prepared => {
                            holds.entry((b, *order)).or_insert(Hold::Held(at));
                        }
                        BranchState::Committed => {
                            close_hold(&mut holds, (b, *order), at, false);
                        }
                        BranchState::RolledBack => {
                            if close_hold(&mut holds, (b, *order), at, false) {
                                given_back.insert((at, b, *order));
                            }
                        }
                    }
                }
            }
            L::Effect {
                order,
                participant,
                op,
            } if uses == Uses::Tcc && book(participant).is_some() => {
                let key = (participant.as_str(), *order);
                match op {
                    Op::Try => doubt.open(key, at),
                    Op::Confirm | Op::Cancel => doubt.close(&key, at, &mut in_doubt),
                    _ => {}
                }
            }
            L::ChargeAuthorized { order, .. } => doubt.open(("payment", *order), at),
            L::ChargeCaptured { order, .. } => doubt.close(&("payment", *order), at, &mut in_doubt),
            L::ChargeVoided { order, .. } => {
                doubt.close(&("payment", *order), at, &mut in_doubt);
                given_back.insert((at, "payment", *order));
            }
            L::ChargeRefunded { order, .. } => {
                given_back.insert((at, "payment", *order));
            }
            _ => {}
        }
    }
    for hold in holds.values() {
        if let Hold::Held(since) = hold {
            holding.push(end.saturating_sub(*since));
        }
    }
    in_doubt.extend(doubt.0.values().map(|since| end.saturating_sub(*since)));

    let mut m = Metrics::default();
    for name in COUNTS {
        m.count(name, 0);
    }
    for name in SAMPLES {
        m.samples_of(name);
    }
    let (mut first, mut last) = (None::<u64>, None::<u64>);
    for o in orders.values() {
        let Some(created) = o.created else { continue };
        m.count("orders", 1);
        first = Some(first.map_or(created, |f| f.min(created)));
        let Some((at, confirmed)) = o.outcome else {
            continue;
        };
        last = Some(last.map_or(at, |l| l.max(at)));
        m.sample("latency_ms", at.saturating_sub(created));
        if confirmed {
            m.count("confirmed", 1);
        } else {
            m.count("cancelled", 1);
            let cause = if o.refused {
                "cancelled_business"
            } else {
                "cancelled_fault"
            };
            m.count(cause, 1);
        }
    }
    if let (Some(f), Some(l)) = (first, last) {
        m.count("span_ms", l.saturating_sub(f));
    }
    let messages = trace
        .events
        .iter()
        .filter(
            |e| matches!(&e.kind, EventKind::Send { label, .. } if wire::mentions_an_order(label)),
        )
        .count();
    m.count("messages", messages as u64);
    m.count("compensations", given_back.len() as u64);
    for v in holding {
        m.sample("holding_ms", v);
    }
    for v in in_doubt {
        m.sample("in_doubt_ms", v);
    }
    m
}
