//! What an order system still has under way, read from its durable state: pending orders,
//! held stock and points, prepared XA branches, open card authorizations, unpublished outbox
//! rows, unconsumed events, unanswered clients and, under the lock, locks whose lease still
//! runs. A run is quiescent only when this is empty.

use std::collections::BTreeSet;

use super::OrderSystem;
use crate::services::order;
use crate::store::holdings::Row;

impl OrderSystem {
    /// The work left in the durable state (see [`Scenario::busy`]).
    pub(super) fn work_left(&self) -> Vec<String> {
        let Some(b) = self.built.as_ref() else {
            return Vec::new();
        };
        let mut busy = Vec::new();
        let pending: Vec<u64> = b
            .orders
            .read(|db| order::pending(db).iter().map(|r| r.order).collect());
        if !pending.is_empty() {
            let ids: Vec<String> = pending.iter().map(u64::to_string).collect();
            busy.push(format!("{} orders pending: {}", ids.len(), ids.join(", ")));
        }
        for (what, disk) in [("stock reservation", &b.stock), ("points hold", &b.points)] {
            disk.read(|db| {
                let held: BTreeSet<u64> = db
                    .rows()
                    .filter_map(|(r, _)| match r {
                        Row::Held(_, o) => Some(*o),
                        _ => None,
                    })
                    .collect();
                busy.extend(held.into_iter().map(|o| format!("{what} of order {o}")));
            });
        }
        let mut prepared: Vec<(u64, &str)> = b
            .orders
            .read(|db| db.xa_recover())
            .into_iter()
            .map(|x| (x, order::HOST))
            .collect();
        for (name, disk) in [("stock", &b.stock), ("points", &b.points)] {
            prepared.extend(
                disk.read(|db| db.xa_recover())
                    .into_iter()
                    .map(|x| (x, name)),
            );
        }
        busy.extend(
            prepared
                .into_iter()
                .map(|(o, at)| format!("prepared XA branch of order {o} at {at}")),
        );
        b.gateway.read(|g| {
            busy.extend(
                g.charges()
                    .filter(|c| c.authorized)
                    .map(|c| format!("open card authorization of order {}", c.order)),
            );
        });
        let mut unsent: Vec<(&str, Vec<u64>)> = vec![(
            order::HOST,
            b.orders.read(|db| {
                db.outbox()
                    .rows()
                    .filter(|r| !r.sent)
                    .map(|r| r.seq)
                    .collect()
            }),
        )];
        for (name, disk) in [("stock", &b.stock), ("points", &b.points)] {
            unsent.push((
                name,
                disk.read(|db| {
                    db.outbox()
                        .rows()
                        .filter(|r| !r.sent)
                        .map(|r| r.seq)
                        .collect()
                }),
            ));
        }
        for (at, seqs) in unsent {
            busy.extend(
                seqs.iter()
                    .map(|q| format!("outbox row #{q} of {at} unpublished")),
            );
        }
        for (group, topic) in self.protocol.subscriptions {
            let lag = b.broker.read(|l| l.lag(group, topic));
            if lag > 0 {
                busy.push(format!(
                    "{lag} events of topic {topic} not consumed by {group}"
                ));
            }
        }
        // A lock held (its lease running) is a drive under way, or its release still to come.
        if let Some(keys) = &b.lock {
            let now = b.journal.now_ms();
            keys.read(|k| {
                busy.extend(
                    k.holdings()
                        .iter()
                        .filter(|(_, h)| h.live_at(now))
                        .map(|(key, h)| format!("lock {key} held by {}", h.owner)),
                );
            });
        }
        for (client, _, order) in b.journal.unanswered() {
            busy.push(match order {
                None => format!("client {client} waits for an id"),
                Some(o) => format!("client {client} not told about order {o}"),
            });
        }
        busy
    }
}
