//! The broker as a host: a durable topic log with consumer-group offsets (at-least-once: a
//! consumer that did not commit its offset fetches the same records again). Probe
//! `broker.redelivered` marks a fetch that hands a group records it was handed before.

use std::collections::BTreeMap;

use dtx_sim::{Disk, HostCtx, Net};

use crate::store::topic_log::TopicLog;
use crate::wire::{BusEvent, Msg};

/// Host name.
pub const HOST: &str = "broker";
/// Probes.
pub const PROBES: &[&str] = &["broker.redelivered"];

/// Serve the log.
pub async fn serve(ctx: HostCtx, log: Disk<TopicLog<BusEvent>>) {
    let net: Net<Msg> = ctx.bind().await;
    // Per (group, topic): the end of what this incarnation handed out.
    let mut handed: BTreeMap<(String, String), u64> = BTreeMap::new();
    loop {
        let req = net.recv().await;
        let reply = match &req.body {
            Msg::Publish { topic, key, event } => {
                let Ok(offset) = log.write(|l| l.append(topic, *key, event.clone())) else {
                    continue;
                };
                Msg::Published { offset }
            }
            Msg::Fetch { group, topic, max } => {
                let records = log.read(|l| l.fetch(group, topic, *max as usize));
                let end = handed.entry((group.clone(), topic.clone())).or_insert(0);
                if records.first().is_some_and(|r| r.offset < *end) {
                    ctx.probe("broker.redelivered");
                }
                if let Some(last) = records.last() {
                    *end = (*end).max(last.offset + 1);
                }
                Msg::Records { records }
            }
            Msg::CommitOffset {
                group,
                topic,
                offset,
            } => {
                if log.write(|l| l.commit(group, topic, *offset)).is_err() {
                    continue;
                }
                Msg::OffsetCommitted
            }
            _ => continue,
        };
        net.reply(&req, &reply);
    }
}
