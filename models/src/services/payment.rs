//! The card gateway as a host: applies calls under their idempotency keys, answers queries by
//! key. It can succeed and then lose its reply: the crash point `payment.after_apply` sits
//! between the durable apply and the reply. The gateway's books report the money themselves.
//! Under the lock it checks fencing tokens and answers what charges an order has.

use dtx_sim::{Disk, HostCtx, Net};

use crate::knobs::Knobs;
use crate::lock;
use crate::store::gateway::{Gateway, GatewayReply};
use crate::wire::Msg;

/// Host name.
pub const HOST: &str = "payment";
/// Crash points.
pub const CRASH_POINTS: &[&str] = &["payment.after_apply"];
/// Probes every protocol that pays reaches (a retried call answered from its key).
pub const PROBES: &[&str] = &["payment.idempotent_replay"];
/// Probe of protocols that query charges by key (list it in the protocol's own probes).
pub const QUERIED: &str = "payment.queried";
/// Anomaly probe: a key reused with another payload (a protocol bug; never expected).
pub const KEY_REUSED: &str = "payment.key_reused";

/// Serve the gateway. Under the lock a request comes fenced: one whose token is older than one
/// seen for its order is refused ([`Msg::Stale`]) — unless the knob
/// [`lock::BUG_TOKEN_IGNORED`] is on, when the token is not even looked at.
pub async fn serve(ctx: HostCtx, gateway: Disk<Gateway>, knobs: Knobs) {
    let net: Net<Msg> = ctx.bind().await;
    loop {
        let req = net.recv().await;
        let body = match &req.body {
            Msg::Fenced { body, .. } if knobs.on(lock::BUG_TOKEN_IGNORED) => &**body,
            _ => match lock::fence::admit(&ctx, &net, &req, &gateway, |g| &mut g.tokens) {
                Some(body) => body,
                None => continue,
            },
        };
        match body {
            Msg::Pay { key, call } => {
                let applied = gateway.write(|g| g.apply(key, call));
                let Ok((reply, replay)) = applied else {
                    continue;
                };
                if replay {
                    ctx.probe("payment.idempotent_replay");
                }
                if matches!(reply, GatewayReply::KeyReused { .. }) {
                    ctx.probe(KEY_REUSED);
                }
                ctx.crash_point("payment.after_apply").await;
                net.reply(
                    &req,
                    &Msg::Paid {
                        key: key.clone(),
                        reply,
                    },
                );
            }
            Msg::QueryCharge { key } => {
                ctx.probe(QUERIED);
                let charge = gateway.read(|g| g.query(key).cloned());
                net.reply(
                    &req,
                    &Msg::ChargeIs {
                        key: key.clone(),
                        charge,
                    },
                );
            }
            Msg::OrderCharges { order } => {
                let charges =
                    gateway.read(|g| g.charges().filter(|c| c.order == *order).cloned().collect());
                net.reply(
                    &req,
                    &Msg::ChargesOf {
                        order: *order,
                        charges,
                    },
                );
            }
            _ => {}
        }
    }
}
