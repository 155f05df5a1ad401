//! The card gateway's books: an external payment provider with the two shapes real gateways
//! offer — a direct charge (captured at once, refundable by charge id) and an authorization
//! (money held, later captured or voided). Every call carries an idempotency key: a retry
//! with the same key and payload gets the stored first response; the same key with another
//! payload is rejected; any charge or authorization can be queried by key. Declines come from
//! the card the workload chose.
//!
//! The gateway reports its money to the run's journal in the same call that moves it
//! (authorized, captured, voided, refunded), every decline as a refusal, and every call it
//! rejects as the caller's error (a key reused with another payload, a capture, void or refund
//! that does not apply) as a store fault. A replay reports nothing: nothing moved.

use std::collections::BTreeMap;

use dtx_invariants::{LedgerEvent, Refusal};
use dtx_sim::Durable;
use serde::{Deserialize, Serialize};

use crate::journal::Journal;
use crate::store::fence_tokens::FenceTokens;

/// The participant name the gateway reports under.
pub const NAME: &str = "payment";

/// A card, as the workload issues it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Card {
    /// Pays.
    Good,
    /// Every charge or authorization is declined.
    Declining,
}

/// A gateway request (the payload an idempotency key is bound to).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum GatewayCall {
    /// Charge and capture at once.
    Charge { order: u64, amount: i64, card: Card },
    /// Hold money on the card.
    Authorize { order: u64, amount: i64, card: Card },
    /// Take the held money of authorization `charge`.
    Capture { charge: u64 },
    /// Release the held money of authorization `charge`.
    Void { charge: u64 },
    /// Give back `amount` of captured charge `charge`.
    Refund { charge: u64, amount: i64 },
    /// An unreferenced refund: give `amount` back to the card for `order`, naming no charge
    /// (real gateways offer it as a "credit"). Recorded as a charge of its own that captured
    /// nothing and refunded `amount`; only a bug knob uses it.
    Credit { order: u64, amount: i64 },
}

/// The gateway's answer (stored per idempotency key).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum GatewayReply {
    /// Charge or authorization `charge` succeeded.
    Approved { charge: u64 },
    /// The card declined.
    Declined,
    /// Capture, void or refund applied.
    Done { charge: u64 },
    /// The call does not apply (unknown charge, wrong state, refund above captured).
    Refused { reason: String },
    /// The idempotency key was used before with another payload.
    KeyReused { key: String },
}

/// One charge or authorization at the provider.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Charge {
    pub id: u64,
    pub order: u64,
    pub key: String,
    pub amount: i64,
    /// Held on the card (authorization), not yet captured or voided.
    pub authorized: bool,
    pub captured: i64,
    pub voided: bool,
    pub refunded: i64,
}

/// The provider's durable books.
#[derive(Clone, Debug, Default)]
pub struct Gateway {
    journal: Journal,
    charges: BTreeMap<u64, Charge>,
    keys: BTreeMap<String, (GatewayCall, GatewayReply)>,
    next: u64,
    /// The fencing tokens its requests carried under the lock.
    pub tokens: FenceTokens,
}

impl Durable for Gateway {
    // Every call is applied atomically: a crash loses nothing that was answered.
    fn crashed(&mut self) {}
}

impl Gateway {
    /// An empty gateway reporting to `journal`.
    pub fn new(journal: Journal) -> Self {
        Gateway {
            journal,
            ..Gateway::default()
        }
    }

    /// Apply `call` under idempotency key `key`, reporting what it did. Returns the reply and
    /// whether it was a replay of a stored response.
    pub fn apply(&mut self, key: &str, call: &GatewayCall) -> (GatewayReply, bool) {
        if let Some((first, reply)) = self.keys.get(key) {
            if first == call {
                return (reply.clone(), true);
            }
            let reused = GatewayReply::KeyReused {
                key: key.to_string(),
            };
            self.report(call, &reused);
            return (reused, false);
        }
        let reply = self.execute(key, call);
        self.keys
            .insert(key.to_string(), (call.clone(), reply.clone()));
        self.report(call, &reply);
        (reply, false)
    }

    /// The order a call is about (through its charge, for capture, void and refund).
    fn order_of(&self, call: &GatewayCall) -> Option<u64> {
        match *call {
            GatewayCall::Charge { order, .. }
            | GatewayCall::Authorize { order, .. }
            | GatewayCall::Credit { order, .. } => Some(order),
            GatewayCall::Capture { charge }
            | GatewayCall::Void { charge }
            | GatewayCall::Refund { charge, .. } => self.charges.get(&charge).map(|c| c.order),
        }
    }

    /// Report what applying `call` did (not for replays).
    fn report(&self, call: &GatewayCall, reply: &GatewayReply) {
        let event = match reply {
            GatewayReply::Approved { charge } | GatewayReply::Done { charge } => {
                self.charges.get(charge).map(|c| ledger_event(call, c))
            }
            GatewayReply::Declined => self.order_of(call).map(|order| LedgerEvent::Refused {
                order,
                participant: NAME.to_string(),
                refusal: Refusal::Declined,
            }),
            GatewayReply::Refused { reason } => Some(self.fault(call, reason.clone())),
            GatewayReply::KeyReused { key } => Some(self.fault(
                call,
                format!("idempotency key {key} reused with another payload: {call:?}"),
            )),
        };
        self.journal.record_all(event);
    }

    fn fault(&self, call: &GatewayCall, error: String) -> LedgerEvent {
        LedgerEvent::StoreFault {
            store: NAME.to_string(),
            order: self.order_of(call),
            error,
        }
    }

    fn execute(&mut self, key: &str, call: &GatewayCall) -> GatewayReply {
        let refuse = |reason: String| GatewayReply::Refused { reason };
        match *call {
            GatewayCall::Charge { card, .. } | GatewayCall::Authorize { card, .. }
                if card == Card::Declining =>
            {
                GatewayReply::Declined
            }
            GatewayCall::Charge { order, amount, .. }
            | GatewayCall::Authorize { order, amount, .. } => {
                self.next += 1;
                let id = self.next;
                let direct = matches!(call, GatewayCall::Charge { .. });
                self.charges.insert(
                    id,
                    Charge {
                        id,
                        order,
                        key: key.to_string(),
                        amount,
                        authorized: !direct,
                        captured: if direct { amount } else { 0 },
                        voided: false,
                        refunded: 0,
                    },
                );
                GatewayReply::Approved { charge: id }
            }
            GatewayCall::Capture { charge } => match self.charges.get_mut(&charge) {
                Some(c) if c.authorized => {
                    c.authorized = false;
                    c.captured = c.amount;
                    GatewayReply::Done { charge }
                }
                Some(c) => refuse(format!(
                    "charge {charge} is not an open authorization (captured {}, voided {})",
                    c.captured, c.voided
                )),
                None => refuse(format!("no charge {charge}")),
            },
            GatewayCall::Void { charge } => match self.charges.get_mut(&charge) {
                Some(c) if c.authorized => {
                    c.authorized = false;
                    c.voided = true;
                    GatewayReply::Done { charge }
                }
                Some(c) => refuse(format!(
                    "charge {charge} is not an open authorization (captured {}, voided {})",
                    c.captured, c.voided
                )),
                None => refuse(format!("no charge {charge}")),
            },
            GatewayCall::Refund { charge, amount } => match self.charges.get_mut(&charge) {
                Some(c) if amount > 0 && c.refunded + amount <= c.captured => {
                    c.refunded += amount;
                    GatewayReply::Done { charge }
                }
                Some(c) => refuse(format!(
                    "refund of {amount} on charge {charge} exceeds captured {} - refunded {}",
                    c.captured, c.refunded
                )),
                None => refuse(format!("no charge {charge}")),
            },
            GatewayCall::Credit { order, amount } => {
                self.next += 1;
                let id = self.next;
                self.charges.insert(
                    id,
                    Charge {
                        id,
                        order,
                        key: key.to_string(),
                        amount,
                        authorized: false,
                        captured: 0,
                        voided: false,
                        refunded: amount,
                    },
                );
                GatewayReply::Done { charge: id }
            }
        }
    }

    /// The charge or authorization made under idempotency key `key`, if any.
    pub fn query(&self, key: &str) -> Option<&Charge> {
        match self.keys.get(key) {
            Some((_, GatewayReply::Approved { charge })) => self.charges.get(charge),
            _ => None,
        }
    }

    /// Charge `id`.
    pub fn charge(&self, id: u64) -> Option<&Charge> {
        self.charges.get(&id)
    }

    /// Every charge, by id (the provider's ledger: the truth about money).
    pub fn charges(&self) -> impl Iterator<Item = &Charge> {
        self.charges.values()
    }
}

/// The ledger event of an applied (not replayed) gateway call on charge `c`.
fn ledger_event(call: &GatewayCall, c: &Charge) -> LedgerEvent {
    let (charge, order, key) = (c.id, c.order, c.key.clone());
    match *call {
        GatewayCall::Authorize { amount, .. } => LedgerEvent::ChargeAuthorized {
            charge,
            order,
            key,
            amount,
        },
        GatewayCall::Charge { amount, .. } => LedgerEvent::ChargeCaptured {
            charge,
            order,
            key,
            amount,
        },
        GatewayCall::Capture { .. } => LedgerEvent::ChargeCaptured {
            charge,
            order,
            key,
            amount: c.captured,
        },
        GatewayCall::Void { .. } => LedgerEvent::ChargeVoided { charge, order },
        GatewayCall::Refund { amount, .. } | GatewayCall::Credit { amount, .. } => {
            LedgerEvent::ChargeRefunded {
                charge,
                order,
                amount,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn charge(order: u64, amount: i64) -> GatewayCall {
        GatewayCall::Charge {
            order,
            amount,
            card: Card::Good,
        }
    }

    #[test]
    fn the_same_key_captures_once_and_replays_the_first_response() {
        let mut g = Gateway::default();
        let (first, replay) = g.apply("o1-pay", &charge(1, 50));
        assert_eq!(
            (first.clone(), replay),
            (GatewayReply::Approved { charge: 1 }, false)
        );
        let (again, replay) = g.apply("o1-pay", &charge(1, 50));
        assert_eq!((again, replay), (first, true));
        assert_eq!(g.charges().count(), 1);
        assert_eq!(g.charges().map(|c| c.captured).sum::<i64>(), 50);
    }

    #[test]
    fn the_same_key_with_another_payload_is_rejected() {
        let mut g = Gateway::default();
        g.apply("k", &charge(1, 50));
        let (r, _) = g.apply("k", &charge(1, 60));
        assert_eq!(r, GatewayReply::KeyReused { key: "k".into() });
        assert_eq!(g.charges().count(), 1);
    }

    #[test]
    fn a_charge_whose_reply_was_lost_is_found_by_key() {
        let mut g = Gateway::default();
        g.apply("o7-pay", &charge(7, 30)); // the reply is lost on the way back
        let c = g.query("o7-pay").expect("the caller can ask what happened");
        assert_eq!((c.order, c.captured), (7, 30));
        assert!(g.query("o8-pay").is_none());
    }

    #[test]
    fn declines_authorizations_captures_voids_and_refunds() {
        let mut g = Gateway::default();
        let declined = GatewayCall::Authorize {
            order: 1,
            amount: 10,
            card: Card::Declining,
        };
        assert_eq!(g.apply("d", &declined).0, GatewayReply::Declined);
        assert!(g.query("d").is_none());
        let auth = GatewayCall::Authorize {
            order: 2,
            amount: 40,
            card: Card::Good,
        };
        let GatewayReply::Approved { charge } = g.apply("a", &auth).0 else {
            panic!()
        };
        assert!(g.query("a").unwrap().authorized);
        assert_eq!(
            g.apply("c", &GatewayCall::Capture { charge }).0,
            GatewayReply::Done { charge }
        );
        assert!(matches!(
            g.apply("v", &GatewayCall::Void { charge }).0,
            GatewayReply::Refused { .. }
        ));
        assert_eq!(g.query("a").unwrap().captured, 40);
        let refund = |amount| GatewayCall::Refund { charge, amount };
        assert_eq!(g.apply("r1", &refund(40)).0, GatewayReply::Done { charge });
        assert!(matches!(
            g.apply("r2", &refund(1)).0,
            GatewayReply::Refused { .. }
        ));
        let c = g.query("a").unwrap();
        assert_eq!((c.captured, c.refunded), (40, 40));
    }
}

#[cfg(test)]
mod reporting {
    use super::*;

    fn events(j: &Journal) -> Vec<LedgerEvent> {
        j.entries().iter().map(|(_, e)| e.clone()).collect()
    }

    #[test]
    fn money_declines_and_rejected_calls_are_reported_once_and_replays_not_at_all() {
        let j = Journal::default();
        let mut g = Gateway::new(j.clone());
        let auth = |order, card| GatewayCall::Authorize {
            order,
            amount: 40,
            card,
        };
        g.apply("a", &auth(2, Card::Good));
        g.apply("a", &auth(2, Card::Good));
        g.apply("d", &auth(3, Card::Declining));
        g.apply("d", &auth(3, Card::Declining));
        g.apply("c", &GatewayCall::Capture { charge: 1 });
        g.apply("v", &GatewayCall::Void { charge: 1 });
        g.apply("a", &auth(2, Card::Declining));
        let e = events(&j);
        assert_eq!(
            e[..3],
            [
                LedgerEvent::ChargeAuthorized {
                    charge: 1,
                    order: 2,
                    key: "a".into(),
                    amount: 40
                },
                LedgerEvent::Refused {
                    order: 3,
                    participant: "payment".into(),
                    refusal: Refusal::Declined
                },
                LedgerEvent::ChargeCaptured {
                    charge: 1,
                    order: 2,
                    key: "a".into(),
                    amount: 40
                },
            ]
        );
        assert!(
            matches!(&e[3], LedgerEvent::StoreFault { store, order: Some(2), error }
                if store == "payment" && error.contains("not an open authorization")),
            "{e:?}"
        );
        assert!(
            matches!(&e[4], LedgerEvent::StoreFault { order: Some(2), error, .. }
                if error.contains("reused")),
            "{e:?}"
        );
        assert_eq!(e.len(), 5);
    }
}
