//! A consumer group's loop: fetch each of its topics from the group's committed offset, hand
//! every record to the group's handler (which dedups by event id and applies the effect with
//! its outbox row in one local transaction), then commit the offset past it. At least once:
//! a crash after the handler's commit and before the offset commit redelivers the record, and
//! the inbox recognises it. With [`BUG_LOST_EVENT`] the offset is committed (the event
//! acknowledged) before it is processed, so a crash in between loses it.
//!
//! Crash points: `choreo.<group>.after_consume` (fetched, before the local commit) and
//! `choreo.<group>.after_commit` (committed, before the offset commit).

use std::collections::BTreeSet;
use std::future::Future;
use std::time::Duration;

use dtx_sim::{CallPolicy, HostCtx, HostDown, Net};

use super::produce::{publish_direct, Emit};
use crate::knobs::Knobs;
use crate::services::{broker, order::PERSISTENT};
use crate::store::topic_log::Record;
use crate::wire::{BusEvent, Msg};

/// Bug knob (#25): the consumer acknowledges an event (commits its offset) before processing
/// it; a crash in between loses the event for good.
pub const BUG_LOST_EVENT: &str = "choreo-lost-event";

/// How long a consumer with nothing to read waits before polling again.
pub const IDLE_MS: u64 = 200;
/// Records per fetch.
const BATCH: u32 = 8;

const POLL: CallPolicy = CallPolicy {
    timeout_ms: 500,
    attempts: 1,
    backoff_ms: 0,
    max_backoff_ms: 0,
};

/// A consumer group: its name and the topics it reads, in the order it polls them.
#[derive(Clone, Copy, Debug)]
pub struct Group {
    pub name: &'static str,
    pub topics: &'static [&'static str],
}

/// What the handler did with a record.
#[derive(Debug)]
pub enum Handled {
    /// Applied now (and its events staged); with the dual-write bug, these to publish.
    Applied {
        direct: Vec<Emit>,
        probe: Option<&'static str>,
    },
    /// Consumed before: a redelivery, ignored.
    Duplicate,
    /// Not for this group.
    Ignored,
}

/// Run `group` until the host dies, handling each record with `handle`.
pub async fn consume<H, F>(ctx: HostCtx, net: Net<Msg>, group: Group, knobs: Knobs, handle: H)
where
    H: Fn(Record<BusEvent>) -> F,
    F: Future<Output = Result<Handled, HostDown>>,
{
    let after_consume = format!("choreo.{}.after_consume", group.name);
    let after_commit = format!("choreo.{}.after_commit", group.name);
    // Topics whose offset this incarnation has committed already.
    let mut acked: BTreeSet<&str> = BTreeSet::new();
    loop {
        let mut idle = true;
        for &topic in group.topics {
            let fetch = Msg::Fetch {
                group: group.name.to_string(),
                topic: topic.to_string(),
                max: BATCH,
            };
            let Ok(Msg::Records { records }) = net.call(broker::HOST, &fetch, &POLL).await else {
                continue;
            };
            for record in records {
                idle = false;
                let next = record.offset + 1;
                if knobs.on(BUG_LOST_EVENT) {
                    commit_offset(&ctx, &net, group.name, topic, next).await;
                }
                ctx.crash_point(&after_consume).await;
                let Ok(handled) = handle(record).await else {
                    return;
                };
                match handled {
                    Handled::Applied { probe, .. } => {
                        if let Some(probe) = probe {
                            ctx.probe(probe);
                        }
                    }
                    Handled::Duplicate => {
                        ctx.probe("choreo.duplicate_ignored");
                        if !acked.contains(topic) {
                            ctx.probe("choreo.redelivered_after_crash");
                        }
                    }
                    Handled::Ignored => {}
                }
                ctx.crash_point(&after_commit).await;
                if let Handled::Applied { direct, .. } = handled {
                    publish_direct(&ctx, &net, direct).await;
                }
                if !knobs.on(BUG_LOST_EVENT) {
                    commit_offset(&ctx, &net, group.name, topic, next).await;
                }
                acked.insert(topic);
            }
        }
        if idle {
            ctx.sleep(Duration::from_millis(IDLE_MS)).await;
        }
    }
}

/// Commit `group`'s offset in `topic` to `offset`, until acknowledged.
async fn commit_offset(ctx: &HostCtx, net: &Net<Msg>, group: &str, topic: &str, offset: u64) {
    let commit = Msg::CommitOffset {
        group: group.to_string(),
        topic: topic.to_string(),
        offset,
    };
    while net.call(broker::HOST, &commit, &PERSISTENT).await.is_err() {
        ctx.sleep(Duration::from_millis(IDLE_MS)).await;
    }
}
