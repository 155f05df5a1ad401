//! Producing an event: as an outbox row staged in the local transaction of the change it
//! announces (the rule: the relay publishes it, at least once), or — with
//! [`BUG_DUAL_WRITE`] — published straight to the broker after the commit, so a crash between
//! the two loses it.

use dtx_sim::{HostCtx, Net};

use crate::knobs::Knobs;
use crate::services::{broker, order::PERSISTENT};
use crate::store::local_db::{DbError, LocalDb, TxnId};
use crate::wire::{BusEvent, Msg};

/// Bug knob (#21): a dual write — the service commits its change, then publishes the event
/// to the broker itself instead of through the outbox; a crash in between loses the event.
pub const BUG_DUAL_WRITE: &str = "choreo-dual-write";

/// An event to publish: (topic, key, event).
pub type Emit = (&'static str, u64, BusEvent);

/// Stage `emit` in `txn` as outbox row `seq` (a fresh number if None); with
/// [`BUG_DUAL_WRITE`] push it onto `direct` instead, to publish after the commit.
pub fn stage<K, V>(
    db: &mut LocalDb<K, V>,
    txn: TxnId,
    knobs: Knobs,
    seq: Option<u64>,
    emit: Emit,
    direct: &mut Vec<Emit>,
) -> Result<(), DbError>
where
    K: Ord + Clone + std::fmt::Debug,
    V: Clone,
{
    if knobs.on(BUG_DUAL_WRITE) {
        direct.push(emit);
        return Ok(());
    }
    let (topic, key, event) = emit;
    match seq {
        Some(seq) => db.publish_at(txn, seq, topic, key, event),
        None => db.publish_in(txn, topic, key, event),
    }
}

/// Publish `emits` straight to the broker (the dual write), each until acknowledged.
pub async fn publish_direct(ctx: &HostCtx, net: &Net<Msg>, emits: Vec<Emit>) {
    for (topic, key, event) in emits {
        let publish = Msg::Publish {
            topic: topic.to_string(),
            key,
            event,
        };
        while net.call(broker::HOST, &publish, &PERSISTENT).await.is_err() {
            ctx.probe("relay.publish_retried");
        }
    }
}
