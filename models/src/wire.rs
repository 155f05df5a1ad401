//! The order system's messages: what clients, the order service, stock, points, the card
//! gateway and the broker say to each other.

use serde::{Deserialize, Serialize};

use crate::store::gateway::{Card, Charge, GatewayCall, GatewayReply};
use crate::store::holdings::Answer;
use crate::store::topic_log::Record;

/// An order as the client submits it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRequest {
    pub order: u64,
    pub user: u32,
    /// (sku, quantity).
    pub lines: Vec<(u32, u32)>,
    pub points: i64,
    pub amount: i64,
    pub card: Card,
}

/// What an order came to.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Outcome {
    Confirmed,
    Cancelled { reason: String },
}

/// Where an order stands, as the order service reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    /// Not known to the order service (never placed, or placing was lost).
    Unknown,
    Pending,
    Done(Outcome),
}

/// An event on the broker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BusEvent {
    OrderPlaced(OrderRequest),
    Step { order: u64, step: String, ok: bool },
}

/// Every message of the order system.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Msg {
    // client -> order
    NewOrderId,
    OrderId {
        order: u64,
    },
    Place(OrderRequest),
    Accepted {
        order: u64,
    },
    Status {
        order: u64,
    },
    StatusIs {
        order: u64,
        status: Status,
    },
    /// The service's store failed with an error other than a lock conflict (reported as a
    /// store fault): the request was not applied.
    Failed {
        error: String,
    },
    // order -> stock / points: reserve (sku or user, quantity) lines, confirm, cancel. Confirm
    // and cancel carry the try's lines, as TCC frameworks hand every phase the try's context;
    // a correct participant goes by its own held rows and fence, never by them.
    Reserve {
        order: u64,
        lines: Vec<(u32, i64)>,
    },
    Confirm {
        order: u64,
        lines: Vec<(u32, i64)>,
    },
    Cancel {
        order: u64,
        lines: Vec<(u32, i64)>,
    },
    Answer {
        order: u64,
        answer: Answer,
    },
    // order -> stock / points: one-phase take (1pc)
    Take {
        order: u64,
        lines: Vec<(u32, i64)>,
    },
    // order (2PC coordinator) -> stock / points: XA branch of the order
    Prepare {
        order: u64,
        lines: Vec<(u32, i64)>,
    },
    Commit {
        order: u64,
    },
    Rollback {
        order: u64,
    },
    // participant in doubt -> coordinator
    AskDecision {
        order: u64,
    },
    /// The logged decision (commit = true), or None while undecided.
    DecisionIs {
        order: u64,
        decision: Option<bool>,
    },
    // -> card gateway
    Pay {
        key: String,
        call: GatewayCall,
    },
    Paid {
        key: String,
        reply: GatewayReply,
    },
    QueryCharge {
        key: String,
    },
    ChargeIs {
        key: String,
        charge: Option<Charge>,
    },
    // worker -> lock host (see [`crate::lock`]): take the order's lock for `owner`, with a
    // lease of `lease_ms` (none: it never expires); release it if `owner` holds it; delete it
    // whoever holds it; who holds it.
    LockTake {
        order: u64,
        owner: String,
        lease_ms: Option<u64>,
    },
    /// Taken: the holder's fencing token (each take gets a greater one).
    LockTaken {
        order: u64,
        token: u64,
    },
    /// Held by `owner`, whose lease has not expired.
    LockHeld {
        order: u64,
        owner: String,
    },
    LockRelease {
        order: u64,
        owner: String,
    },
    LockDelete {
        order: u64,
        by: String,
    },
    /// Whether a lock was removed.
    LockReleased {
        order: u64,
        released: bool,
    },
    LockGet {
        order: u64,
    },
    LockIs {
        order: u64,
        owner: Option<String>,
        token: Option<u64>,
    },
    // worker -> stock / points / card gateway: a request made under a lock holding of `order`,
    // carrying its fencing token; a store that has seen a greater token for the order refuses
    // it ([`Msg::Stale`]) and applies nothing.
    Fenced {
        order: u64,
        token: u64,
        body: Box<Msg>,
    },
    /// Refused: the request's token is older than one the store has seen for the order.
    Stale {
        order: u64,
        token: u64,
        seen: u64,
    },
    // worker -> card gateway: every charge and authorization of an order (what a lock holder
    // looks up before it pays: a previous holder may have paid already).
    OrderCharges {
        order: u64,
    },
    ChargesOf {
        order: u64,
        charges: Vec<Charge>,
    },
    // -> broker
    Publish {
        topic: String,
        key: u64,
        event: BusEvent,
    },
    Published {
        offset: u64,
    },
    Fetch {
        group: String,
        topic: String,
        max: u32,
    },
    Records {
        records: Vec<Record<BusEvent>>,
    },
    CommitOffset {
        group: String,
        topic: String,
        offset: u64,
    },
    OffsetCommitted,
}

/// How the protocols' payment idempotency keys start, before the order id: `"1pc-7"`,
/// `"2pc-7-auth"`, `"tcc-7-capture"`, `"saga-7-refund"`, `"choreo-7-capture"`.
const KEY_PREFIXES: [&str; 4] = ["pc-", "tcc-", "saga-", "choreo-"];

/// Whether a message label (a message's `Debug` form) is about order `order`: it names the
/// order (`order: 7`) or carries one of its payment idempotency keys (`"2pc-7-auth"`,
/// `"tcc-7-capture"`, `"saga-7-capture"`).
pub fn mentions_order(label: &str, order: u64) -> bool {
    let follows_number = |needle: &str, ends: &[char]| {
        label.match_indices(needle).any(|(i, m)| {
            label[i + m.len()..]
                .chars()
                .next()
                .is_some_and(|c| ends.contains(&c))
        })
    };
    follows_number(&format!("order: {order}"), &[',', ' ', '}'])
        || KEY_PREFIXES
            .iter()
            .any(|k| follows_number(&format!("{k}{order}"), &['-', '"']))
}

/// Whether a message label is about some order: it names one (`order: 7`) or carries a
/// payment idempotency key of one — what [`mentions_order`] finds for some order id.
pub fn mentions_an_order(label: &str) -> bool {
    let number_after = |needle: &str| {
        label.match_indices(needle).any(|(i, m)| {
            let rest = &label[i + m.len()..];
            let digits = rest.chars().take_while(char::is_ascii_digit).count();
            digits > 0 && rest[digits..].starts_with([',', ' ', '}', '-', '"'])
        })
    };
    number_after("order: ") || KEY_PREFIXES.iter().any(|k| number_after(k))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_order_is_found_by_its_id_and_its_payment_keys_and_not_by_a_longer_id() {
        assert!(mentions_order(
            "call 0x1 Reserve { order: 7, lines: [] }",
            7
        ));
        assert!(mentions_order("reply 0x1 StatusIs { order: 7 }", 7));
        assert!(mentions_order(
            r#"reply 0x2 Paid { key: "2pc-7-auth", reply: Approved { charge: 1 } }"#,
            7
        ));
        assert!(mentions_order(
            r#"call 0x3 Pay { key: "1pc-7", call: Charge }"#,
            7
        ));
        assert!(!mentions_order(
            "call 0x1 Reserve { order: 17, lines: [] }",
            7
        ));
        assert!(!mentions_order(
            "call 0x1 Reserve { order: 70, lines: [] }",
            7
        ));
        assert!(!mentions_order(r#"Pay { key: "2pc-71-auth" }"#, 7));
        assert!(mentions_order(
            r#"call 0x4 Pay { key: "tcc-7-void", call: Void { charge: 2 } }"#,
            7
        ));
        assert!(!mentions_order(r#"Pay { key: "tcc-71-auth" }"#, 7));
        assert!(mentions_order(
            r#"reply 0x5 Paid { key: "saga-7-capture", reply: Done { charge: 3 } }"#,
            7
        ));
        assert!(mentions_order(r#"Paid { key: "choreo-7-capture" }"#, 7));
    }

    #[test]
    fn a_label_is_about_some_order_when_it_names_one_or_carries_its_key() {
        for about in [
            "call 0x1 Reserve { order: 17, lines: [] }",
            "reply 0x2 OrderId { order: 3 }",
            r#"reply 0x2 Paid { key: "2pc-7-auth", reply: Approved { charge: 1 } }"#,
            r#"reply 0x5 Paid { key: "saga-12-refund", reply: Done { charge: 3 } }"#,
            r#"Publish { topic: "orders", key: 4, event: OrderPlaced(OrderRequest { order: 4, user: 0 }) }"#,
        ] {
            assert!(mentions_an_order(about), "{about}");
        }
        for not in [
            "call 0x1 NewOrderId",
            r#"call 0x3 Fetch { group: "stock", topic: "orders", max: 8 }"#,
            "reply 0x3 Published { offset: 4 }",
            "reply 0x4 Failed { error: \"no order: x\" }",
        ] {
            assert!(!mentions_an_order(not), "{not}");
        }
    }
}
