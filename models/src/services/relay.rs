//! The outbox relay: a task on the host that owns an outbox. It publishes the oldest unsent
//! row to the broker, retrying forever, then marks it sent; it scans for unsent rows rather
//! than keeping a cursor. A crash between publish and mark-sent (crash point
//! `relay.after_publish`) publishes the row again after restart: duplicates, never loss.
//! A row numbered below one already published (it committed late) is still found: probe
//! `relay.late_row_published`. With [`Cursor::SkipsLate`] (a bug knob's relay) it keeps a
//! cursor at the highest row published and never looks behind it.

use std::time::Duration;

use dtx_sim::{CallPolicy, Disk, Durable, HostCtx, Net};

use crate::services::broker;
use crate::store::outbox::Outbox;
use crate::wire::{BusEvent, Msg};

/// The crash point between publishing a row and marking it sent.
pub const AFTER_PUBLISH: &str = "relay.after_publish";
/// Probes.
pub const PROBES: &[&str] = &["relay.republished", "relay.publish_retried"];
/// Probe: a row that committed after a higher-numbered row was published, published.
pub const LATE_ROW: &str = "relay.late_row_published";

/// One publish attempt; the relay retries it after [`RETRY_MS`], forever.
const PUBLISH: CallPolicy = CallPolicy {
    timeout_ms: 1_000,
    attempts: 1,
    backoff_ms: 0,
    max_backoff_ms: 0,
};
/// The pause before a publish is retried.
const RETRY_MS: u64 = 300;

/// How the relay finds the next row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cursor {
    /// Scan for the oldest unsent row (the rule: nothing is skipped).
    Scans,
    /// Keep a cursor at the highest row published and look only above it (#22).
    SkipsLate,
}

/// Durable state that holds an outbox.
pub trait HasOutbox: Durable {
    fn outbox(&self) -> &Outbox<BusEvent>;
    fn outbox_mut(&mut self) -> &mut Outbox<BusEvent>;
}

/// Relay `disk`'s outbox to the broker until the host dies. Idle polls every `idle_ms`.
pub async fn relay<T: HasOutbox>(ctx: HostCtx, net: Net<Msg>, disk: Disk<T>, idle_ms: u64) {
    relay_with(ctx, net, disk, idle_ms, Cursor::Scans).await
}

/// Relay `disk`'s outbox, finding rows as `cursor` says.
pub async fn relay_with<T: HasOutbox>(
    ctx: HostCtx,
    net: Net<Msg>,
    disk: Disk<T>,
    idle_ms: u64,
    cursor: Cursor,
) {
    let mut highest = 0;
    loop {
        let next = disk.read(|d| match cursor {
            Cursor::Scans => d.outbox().next_unsent().cloned(),
            Cursor::SkipsLate => d.outbox().next_unsent_after(highest).cloned(),
        });
        let Some(row) = next else {
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
            if let Ok(Msg::Published { .. }) = net.call(broker::HOST, &publish, &PUBLISH).await {
                break;
            }
            ctx.probe("relay.publish_retried");
            ctx.sleep(Duration::from_millis(RETRY_MS)).await;
        }
        if row.seq < highest {
            ctx.probe(LATE_ROW);
        }
        highest = highest.max(row.seq);
        ctx.crash_point(AFTER_PUBLISH).await;
        if disk.write(|d| d.outbox_mut().mark_sent(row.seq)).is_err() {
            return;
        }
    }
}

impl<K, V> HasOutbox for crate::store::local_db::LocalDb<K, V>
where
    K: Ord + Clone + std::fmt::Debug + 'static,
    V: Clone + 'static,
{
    fn outbox(&self) -> &Outbox<BusEvent> {
        crate::store::local_db::LocalDb::outbox(self)
    }
    fn outbox_mut(&mut self) -> &mut Outbox<BusEvent> {
        crate::store::local_db::LocalDb::outbox_mut(self)
    }
}

impl HasOutbox for crate::store::holdings::HoldingsDb {
    fn outbox(&self) -> &Outbox<BusEvent> {
        (**self).outbox()
    }
    fn outbox_mut(&mut self) -> &mut Outbox<BusEvent> {
        (**self).outbox_mut()
    }
}
