//! The snapshot: every service's durable state read straight from its store (not over the
//! network) into the invariants crate's [`Snapshot`], for the quiescence and liveness checks.

use std::collections::BTreeMap;

use dtx_invariants::{ChargeRecord, LedgerEvent, OrderRecord, PointsRow, Snapshot, StockRow};
use dtx_sim::Disk;

use crate::journal::Journal;
use crate::services::order::{self, OrderDb, OrderKey, OrderVal};
use crate::store::gateway::Gateway;
use crate::store::holdings::{self, HoldingsDb};
use crate::workload::Workload;

/// The stores a snapshot reads.
pub struct Stores<'a> {
    pub workload: &'a Workload,
    pub orders: &'a Disk<OrderDb>,
    pub stock: &'a Disk<HoldingsDb>,
    pub points: &'a Disk<HoldingsDb>,
    pub gateway: &'a Disk<Gateway>,
    pub journal: &'a Journal,
}

/// Initial stock per sku and points per user.
pub fn initial(workload: &Workload) -> (BTreeMap<u32, i64>, BTreeMap<u32, i64>) {
    let index = |v: &[i64]| v.iter().enumerate().map(|(i, n)| (i as u32, *n)).collect();
    (index(&workload.stock), index(&workload.points))
}

/// Read every store.
pub fn take(s: &Stores<'_>) -> Snapshot {
    let (initial_stock, initial_points) = initial(s.workload);
    let mut snap = Snapshot {
        initial_stock,
        initial_points,
        ..Snapshot::default()
    };
    s.orders.read(|db| {
        for (k, v) in db.rows() {
            if let (OrderKey::Order(o), OrderVal::Order { request, status }) = (k, v) {
                snap.orders.insert(
                    *o,
                    OrderRecord {
                        user: request.user,
                        lines: request.lines.clone(),
                        points: request.points,
                        amount: request.amount,
                        status: order::ledger_status(status),
                    },
                );
            }
        }
        for x in db.xa_recover() {
            snap.prepared_branches.push((x, order::HOST.to_string()));
        }
        for r in db.outbox().rows().filter(|r| !r.sent) {
            snap.undelivered_outbox
                .push((order::HOST.to_string(), r.seq));
        }
    });
    for sku in snap.initial_stock.keys().copied().collect::<Vec<_>>() {
        let r = s.stock.read(|db| holdings::rows_of(db, sku));
        snap.stock.insert(
            sku,
            StockRow {
                available: r.available,
                reserved: r.held.into_iter().collect(),
                sold: r.used,
                sold_by_order: r.used_for.into_iter().collect(),
            },
        );
    }
    for user in snap.initial_points.keys().copied().collect::<Vec<_>>() {
        let r = s.points.read(|db| holdings::rows_of(db, user));
        snap.points.insert(
            user,
            PointsRow {
                balance: r.available,
                held: r.held.into_iter().collect(),
                spent: r.used,
                spent_by_order: r.used_for.into_iter().collect(),
            },
        );
    }
    for (name, disk) in [("stock", s.stock), ("points", s.points)] {
        for x in disk.read(|db| db.xa_recover()) {
            snap.prepared_branches.push((x, name.to_string()));
        }
        for seq in disk.read(|db| {
            db.outbox()
                .rows()
                .filter(|r| !r.sent)
                .map(|r| r.seq)
                .collect::<Vec<_>>()
        }) {
            snap.undelivered_outbox.push((name.to_string(), seq));
        }
    }
    snap.charges = s.gateway.read(|g| {
        g.charges()
            .map(|c| ChargeRecord {
                charge: c.id,
                order: c.order,
                key: c.key.clone(),
                amount: c.amount,
                open_authorization: c.authorized,
                captured: c.captured,
                voided: c.voided,
                refunded: c.refunded,
            })
            .collect()
    });
    for (_, e) in s.journal.entries().iter() {
        match e {
            LedgerEvent::ClientWantsId { client, seq } => snap.id_requests.push((*client, *seq)),
            LedgerEvent::ClientAsked {
                client,
                seq,
                order,
                request,
            } => snap.asked.push((*client, *seq, *order, request.clone())),
            LedgerEvent::ClientTold {
                client,
                order,
                told,
            } => snap.told.push((*client, *order, *told)),
            _ => {}
        }
    }
    snap
}
