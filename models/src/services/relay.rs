//! The outbox relay: a task on the host that owns an outbox. It publishes the oldest unsent
//! row to the broker, retrying forever, then marks it sent; it scans for unsent rows rather
//! than keeping a cursor. A crash between publish and mark-sent (crash point
//! `relay.after_publish`) publishes the row again after restart: duplicates, never loss.

use std::time::Duration;

use dtx_sim::{Disk, Durable, HostCtx, Net};

use crate::services::broker;
use crate::store::outbox::Outbox;
use crate::wire::{BusEvent, Msg};

/// The crash point between publishing a row and marking it sent.
pub const AFTER_PUBLISH: &str = "relay.after_publish";
/// Probes.
pub const PROBES: &[&str] = &["relay.republished", "relay.publish_retried"];

/// Durable state that holds an outbox.
pub trait HasOutbox: Durable {
    fn outbox(&self) -> &Outbox<BusEvent>;
    fn outbox_mut(&mut self) -> &mut Outbox<BusEvent>;
}

/// Relay `disk`'s outbox to the broker until the host dies. Idle polls every `idle_ms`.
pub async fn relay<T: HasOutbox>(ctx: HostCtx, net: Net<Msg>, disk: Disk<T>, idle_ms: u64) {
    loop {
        let Some(row) = disk.read(|d| d.outbox().next_unsent().cloned()) else {
            ctx.sleep(Duration::from_millis(idle_ms)).await;
            continue;
        };
        if row.publishes > 0 {
            ctx.probe("relay.republished");
        }
        if disk.write(|d| d.outbox_mut().publishing(row.seq)).is_err() {
            return;
        }
        let publish = Msg::Publish {
            topic: row.topic.clone(),
            key: row.key,
            event: row.payload.clone(),
        };
        loop {
            if let Ok(Msg::Published { .. }) = net
                .call(broker::HOST, &publish, &crate::services::order::PERSISTENT)
                .await
            {
                break;
            }
            ctx.probe("relay.publish_retried");
        }
        ctx.crash_point(AFTER_PUBLISH).await;
        if disk.write(|d| d.outbox_mut().mark_sent(row.seq)).is_err() {
            return;
        }
    }
}
