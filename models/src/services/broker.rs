//! The broker as a host: a durable topic log with consumer-group offsets (at-least-once: a
//! consumer that did not commit its offset fetches the same records again).

use dtx_sim::{Disk, HostCtx, Net};

use crate::store::topic_log::TopicLog;
use crate::wire::{BusEvent, Msg};

/// Host name.
pub const HOST: &str = "broker";

/// Serve the log.
pub async fn serve(ctx: HostCtx, log: Disk<TopicLog<BusEvent>>) {
    let net: Net<Msg> = ctx.bind().await;
    loop {
        let req = net.recv().await;
        let reply = match &req.body {
            Msg::Publish { topic, key, event } => {
                let Ok(offset) = log.write(|l| l.append(topic, *key, event.clone())) else {
                    continue;
                };
                Msg::Published { offset }
            }
            Msg::Fetch { group, topic, max } => Msg::Records {
                records: log.read(|l| l.fetch(group, topic, *max as usize)),
            },
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
