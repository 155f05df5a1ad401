//! A worker's hold on one order under the lock ([`crate::lock`]): the fencing token its take
//! got, the requests it sends to stock, points and the card gateway under it (each carries the
//! token, so a store that has seen a newer holder's refuses it), and how it pays under it.
//!
//! Paying under the lock is seed 002's way: the authorization's idempotency key names the
//! holding (`2pc-7-auth-t3`), as seed 002 uses its lock's value as the request id. The gateway
//! then deduplicates one holder's retries, not two holders' — the lock and the fences are what
//! keep a second authorization out. Before it authorizes, a holder asks the gateway for the
//! order's charges (a fenced request: from then on an older holder is refused there) and takes
//! over an authorization a previous holder made. Before it captures or voids, it sends its own
//! authorization again, if it made one (a late original of it is then a replay), and settles
//! every open authorization of the order.
//!
//! A holder that a store refuses (a newer holder's token was there first) stops driving at
//! once ([`Holding::superseded`], see [`crate::services::guard`]): the order is the newer
//! holder's.

use std::cell::RefCell;
use std::rc::Rc;

use dtx_sim::{CallError, CallPolicy};
use tokio::sync::Notify;

use crate::lock;
use crate::services::order::OrderService;
use crate::services::payment;
use crate::store::gateway::GatewayReply;
use crate::wire::Msg;

/// A hold on one order's lock.
#[derive(Clone, Debug)]
pub struct Holding {
    pub order: u64,
    /// The take's fencing token.
    pub token: u64,
    /// Whether requests carry the token (not with [`lock::BUG_EXPIRY_NO_FENCING`]).
    pub fenced: bool,
    /// The authorization this holding sent, if it sent one (sent again before settling).
    own: Rc<RefCell<Option<Msg>>>,
    /// Signalled when a store refused the token: a newer holder drives the order now.
    pub superseded: Rc<Notify>,
}

/// How long to keep asking the gateway.
#[derive(Clone, Copy, Debug)]
pub enum Patience {
    /// Within the order service's delivery budget ([`OrderService::deliver`]).
    Budget,
    /// Until answered.
    UntilAnswered,
}

impl OrderService {
    /// This service driving `order` under a lock holding with `token`.
    pub fn under(&self, order: u64, token: u64) -> OrderService {
        OrderService {
            holding: Some(Holding {
                order,
                token,
                fenced: lock::fencing(self.knobs),
                own: Rc::new(RefCell::new(None)),
                superseded: Rc::new(Notify::new()),
            }),
            ..self.clone()
        }
    }

    /// `msg` as it goes out: wrapped with the holding's token under a fenced holding.
    fn wrap(&self, msg: &Msg) -> Msg {
        match &self.holding {
            Some(h) if h.fenced => Msg::Fenced {
                order: h.order,
                token: h.token,
                body: Box::new(msg.clone()),
            },
            _ => msg.clone(),
        }
    }

    /// Call a participant or the gateway (under the holding's token, if any). A refusal of
    /// the token signals [`Holding::superseded`] and is an error: whatever the holder does
    /// before it stops, it never takes a refused request for done.
    pub async fn call(&self, to: &str, msg: &Msg, policy: &CallPolicy) -> Result<Msg, CallError> {
        let reply = self.net.call(to, &self.wrap(msg), policy).await;
        if let (Ok(Msg::Stale { token, seen, .. }), Some(h)) = (&reply, &self.holding) {
            h.superseded.notify_one();
            return Err(CallError::Refused {
                to: to.to_string(),
                reason: format!("token {token} is older than {seen}"),
            });
        }
        reply
    }

    /// Send to a participant or the gateway without waiting (under the holding's token).
    pub fn send(&self, to: &str, msg: &Msg) -> Result<(), CallError> {
        self.net.send(to, &self.wrap(msg))
    }

    /// Ask the gateway with `patience`.
    async fn ask_gateway(&self, msg: &Msg, patience: Patience) -> Option<Msg> {
        match patience {
            Patience::Budget => self.deliver(payment::HOST, msg, None).await,
            Patience::UntilAnswered => Some(self.call_until_answered(payment::HOST, msg).await),
        }
    }
}

/// The key of a capture or void of `charge`, under `base` (`2pc-7-capture`): under the lock
/// one per charge, since a holder may settle an authorization another holder made.
pub fn settle_key(svc: &OrderService, base: String, charge: u64) -> String {
    match &svc.holding {
        Some(_) => format!("{base}-c{charge}"),
        None => base,
    }
}

/// The order's card authorization under the lock, for `authorize` (the protocol's
/// `Msg::Pay` of an authorization under its per-order key): one a previous holder made, found
/// at the gateway, or a new one under this holding's key. The gateway's answer as to an
/// authorization — `Paid { Approved }` for one that holds money, another `Paid` for one voided
/// or declined — or the call's error (a superseded holder's is [`CallError::Refused`]).
pub async fn authorize(
    svc: &OrderService,
    authorize: &Msg,
    policy: &CallPolicy,
) -> Result<Msg, CallError> {
    let Some(h) = svc.holding.clone() else {
        return svc.call(payment::HOST, authorize, policy).await;
    };
    let found = svc
        .call(payment::HOST, &Msg::OrderCharges { order: h.order }, policy)
        .await?;
    let Msg::ChargesOf { charges, .. } = found else {
        return Ok(found);
    };
    if let Some(c) = charges.first() {
        let reply = if c.voided {
            GatewayReply::Refused {
                reason: format!("authorization {} was voided", c.id),
            }
        } else {
            GatewayReply::Approved { charge: c.id }
        };
        return Ok(Msg::Paid {
            key: c.key.clone(),
            reply,
        });
    }
    let Msg::Pay { key, call } = authorize else {
        return svc.call(payment::HOST, authorize, policy).await;
    };
    let mine = Msg::Pay {
        key: format!("{key}-t{}", h.token),
        call: call.clone(),
    };
    *h.own.borrow_mut() = Some(mine.clone());
    svc.call(payment::HOST, &mine, policy).await
}

/// Under the lock: every authorization of the order still open (neither captured nor voided),
/// after this holding's own authorization went out again (so a late original of it is a
/// replay). None if the budget ran out (or, within it, the holder was superseded: its
/// requests are refused).
pub async fn open_authorizations(svc: &OrderService, patience: Patience) -> Option<Vec<u64>> {
    let h = svc.holding.clone()?;
    let own = h.own.borrow().clone();
    if let Some(own) = own {
        svc.ask_gateway(&own, patience).await?;
    }
    match svc
        .ask_gateway(&Msg::OrderCharges { order: h.order }, patience)
        .await?
    {
        Msg::ChargesOf { charges, .. } => Some(
            charges
                .iter()
                .filter(|c| c.authorized)
                .map(|c| c.id)
                .collect(),
        ),
        _ => Some(Vec::new()), // not the gateway's answer to it: nothing known to settle
    }
}
