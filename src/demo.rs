//! The engine demo: a two-bank transfer, the smallest system that shows what dtx-sim does
//! until the order system lands. Clients move money from `bank-a` to `bank-b`: withdraw
//! (idempotent by transfer id, durable), then deposit (idempotent by transfer id, retried
//! until acknowledged). Its invariant, `money-conserved`, says that at quiescence the two
//! balances add up to what they started with and no transfer is stuck half-way.
//!
//! Bug knob `demo-no-idempotency`: the banks forget which transfers they applied, so a
//! retried or duplicated withdraw or deposit moves the money twice.

use std::collections::BTreeMap;
use std::time::Duration;

use dtx_sim::{
    CallPolicy, Disk, Durable, End, HostCtx, HostSet, Net, Scenario, Topology, Violation,
};
use serde::{Deserialize, Serialize};

const BANKS: [&str; 2] = ["bank-a", "bank-b"];
const CLIENTS: [&str; 2] = ["client-0", "client-1"];
const INITIAL: i64 = 1_000;
const AFTER_WITHDRAW: &str = "bank.after_withdraw_commit";
const MONEY_CONSERVED: &str = "money-conserved";
const APPLIED_ONCE: &str = "applied-once";

/// The demo's invariants with their statements, as `dtx list` shows them.
pub const INVARIANTS: [(&str, &str); 2] = [
    (
        MONEY_CONSERVED,
        "at the end of the run, the two banks' balances add up to what they started with",
    ),
    (
        APPLIED_ONCE,
        "at the end of the run, each bank's balance is its initial balance plus each transfer it applied, once",
    ),
];

/// Messages of the demo.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Msg {
    Withdraw { id: u64, amount: i64 },
    Deposit { id: u64, amount: i64 },
    Done { id: u64 },
}

/// A bank's durable books: balance and the transfers it applied (for idempotency).
#[derive(Debug, Default)]
pub struct Books {
    balance: i64,
    applied: BTreeMap<u64, i64>,
}

impl Durable for Books {
    fn crashed(&mut self) {}
}

/// Transfers per client.
const TRANSFERS: u64 = 5;

/// The demo scenario.
#[derive(Default)]
pub struct Transfer {
    /// Bug knob: banks apply every request, duplicates included.
    pub no_idempotency: bool,
    books: Vec<Disk<Books>>,
}

impl Transfer {
    /// The demo, with or without its bug knob.
    pub fn new(no_idempotency: bool) -> Self {
        Transfer {
            no_idempotency,
            books: Vec::new(),
        }
    }
}

/// The probes the demo's code can reach.
pub const PROBES: &[&str] = &["bank.duplicate_request"];

impl Scenario for Transfer {
    fn topology(&self) -> Topology {
        Topology {
            servers: BANKS.iter().map(|s| s.to_string()).collect(),
            clients: CLIENTS.iter().map(|s| s.to_string()).collect(),
            crash_points: BANKS
                .iter()
                .map(|b| (b.to_string(), AFTER_WITHDRAW.to_string()))
                .collect(),
            // Every client calls both banks; the banks hold the money.
            links: CLIENTS
                .iter()
                .flat_map(|c| BANKS.iter().map(|b| (c.to_string(), b.to_string())))
                .collect(),
            stateful: BANKS.iter().map(|s| s.to_string()).collect(),
            busy_ms: 4_000,
        }
    }

    fn build(&mut self, hosts: &mut HostSet<'_>) {
        self.books.clear();
        for bank in BANKS {
            let books = hosts.disk(
                bank,
                Books {
                    balance: INITIAL,
                    applied: BTreeMap::new(),
                },
            );
            self.books.push(books.clone());
            let forgetful = self.no_idempotency;
            hosts.server(bank, move |ctx| serve(ctx, books.clone(), forgetful));
        }
        for (c, client) in CLIENTS.iter().enumerate() {
            let ids: Vec<u64> = (0..TRANSFERS)
                .map(|k| c as u64 * TRANSFERS + k)
                .filter(|id| !hosts.skipped(*id as u32))
                .collect();
            hosts.client(client, move |ctx| transfers(ctx, c as u64, ids));
        }
    }

    fn workload_items(&self) -> u32 {
        (CLIENTS.len() as u64 * TRANSFERS) as u32
    }

    fn check(&self, end: &End) -> Vec<Violation> {
        let a = self.books[0].read(|b| (b.balance, b.applied.clone()));
        let b = self.books[1].read(|b| (b.balance, b.applied.clone()));
        let mut out = Vec::new();
        if a.0 + b.0 != 2 * INITIAL {
            out.push(Violation::new(
                MONEY_CONSERVED,
                format!(
                    "bank-a {} + bank-b {} = {} ≠ {}",
                    a.0,
                    b.0,
                    a.0 + b.0,
                    2 * INITIAL
                ),
                end.at_ms,
            ));
        }
        for (bank, (balance, applied)) in BANKS.iter().zip([&a, &b]) {
            let once: i64 = applied.values().sum();
            if *balance != INITIAL + once {
                out.push(Violation::new(
                    APPLIED_ONCE,
                    format!(
                        "{bank}: balance {balance} ≠ {INITIAL} {once:+} (its {} transfers applied once each)",
                        applied.len()
                    ),
                    end.at_ms,
                ));
            }
        }
        if !end.quiescent {
            out.push(Violation::new(
                "terminated",
                "transfers still running at the liveness deadline",
                end.at_ms,
            ));
        }
        out
    }
}

async fn serve(ctx: HostCtx, books: Disk<Books>, forgetful: bool) {
    let net: Net<Msg> = ctx.bind().await;
    loop {
        let req = net.recv().await;
        let (id, delta) = match req.body {
            Msg::Withdraw { id, amount } => (id, -amount),
            Msg::Deposit { id, amount } => (id, amount),
            Msg::Done { .. } => continue,
        };
        let fresh = books.write(|b| {
            if b.applied.contains_key(&id) && !forgetful {
                return false;
            }
            b.applied.insert(id, delta);
            b.balance += delta;
            true
        });
        match fresh {
            Ok(true) => {}
            Ok(false) => ctx.probe("bank.duplicate_request"),
            Err(_) => continue,
        }
        if delta < 0 {
            ctx.crash_point(AFTER_WITHDRAW).await;
        }
        net.reply(&req, &Msg::Done { id });
    }
}

async fn transfers(ctx: HostCtx, client: u64, ids: Vec<u64>) {
    let net: Net<Msg> = ctx.bind().await;
    let patient = CallPolicy {
        timeout_ms: 500,
        attempts: u32::MAX,
        backoff_ms: 200,
        max_backoff_ms: 2_000,
    };
    for id in ids {
        let amount = 10 + (id % 7) as i64;
        // Withdraw and deposit are both retried until acknowledged: with idempotent banks
        // this is safe, and the engine's heal guarantees it ends.
        let _ = net
            .call("bank-a", &Msg::Withdraw { id, amount }, &patient)
            .await;
        let _ = net
            .call("bank-b", &Msg::Deposit { id, amount }, &patient)
            .await;
        ctx.sleep(Duration::from_millis(300 + 100 * client)).await;
    }
}
