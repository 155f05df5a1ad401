//! The workload a seed generates: a small catalogue (so skus are contended), a few users with
//! points, and several clients placing orders concurrently. About one order in five fails for
//! a business reason — not enough stock, not enough points, a declining card — so that
//! compensation paths run in every seed. With business failures switched off
//! ([`WorkloadShape::business_failures`]) no order is meant to fail: every card pays and the
//! stores hold enough for every order at once, so any failure is caused by a fault.
//! Printable as a table.

use std::fmt;

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::store::gateway::Card;
use dtx_sim::Streams;

/// One order a client will place.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderSpec {
    /// The user placing it.
    pub user: u32,
    /// (sku, quantity) lines.
    pub lines: Vec<(u32, u32)>,
    /// Points to spend.
    pub points: i64,
    /// Amount to charge to the card.
    pub amount: i64,
    /// The card.
    pub card: Card,
    /// Pause before placing it (simulated ms after the previous one ended).
    pub think_ms: u64,
}

/// Everything a run's clients will do, and the initial ledgers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Workload {
    /// Initial stock per sku (index = sku).
    pub stock: Vec<i64>,
    /// Initial points per user (index = user).
    pub points: Vec<i64>,
    /// Orders per client (index = client).
    pub clients: Vec<Vec<OrderSpec>>,
}

/// Shape of generated workloads (case files record it when it is not the default).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkloadShape {
    pub clients: usize,
    pub orders_per_client: usize,
    pub skus: usize,
    pub users: usize,
    /// Orders that must fail on a business rule (more than any sku holds, more points than
    /// anyone has, a declining card). False: none, and stock and points cover every order.
    pub business_failures: bool,
    /// Two order-service workers behind a lock host: a worker takes the order's lock (a
    /// lease, with a fencing token the stores check) before driving it. See [`crate::lock`].
    #[serde(default)]
    pub lock: bool,
    /// Clients submit every order twice — to both workers when there are two (a double click,
    /// or a retry on the other worker).
    #[serde(default)]
    pub double_submit: bool,
}

impl Default for WorkloadShape {
    fn default() -> Self {
        WorkloadShape {
            clients: 3,
            orders_per_client: 4,
            skus: 4,
            users: 3,
            business_failures: true,
            lock: false,
            double_submit: false,
        }
    }
}

impl WorkloadShape {
    /// Orders in all.
    pub fn orders(&self) -> usize {
        self.clients * self.orders_per_client
    }

    /// By how much stock and points are multiplied (at least 1) so that, whatever the shape,
    /// orders run short about as often as the default's 12 orders do over 4 skus and 3
    /// users: the demand on each sku grows with the orders and shrinks with the skus, on
    /// each user's points with the orders and the users. 1 for the default shape, so its
    /// workloads are unchanged; 16 clients × 4 orders over 1 sku get 22 times the stock,
    /// and stay as contended on that sku's rows as ever.
    pub fn supply_scale(&self) -> (i64, i64) {
        let demand = self.orders() as u64;
        let scale = |per: u64, over: usize| (demand * per).div_ceil(12 * over.max(1) as u64);
        (
            scale(4, self.skus).max(1) as i64,
            scale(3, self.users).max(1) as i64,
        )
    }
}

impl Workload {
    /// The workload of a seed (drawn from its `workload` stream).
    pub fn generate(streams: &Streams, shape: WorkloadShape) -> Self {
        let mut rng = streams.workload();
        let (more_stock, more_points) = shape.supply_scale();
        let stock: Vec<i64> = (0..shape.skus)
            .map(|_| rng.random_range(3..=8) * more_stock)
            .collect();
        let points: Vec<i64> = (0..shape.users)
            .map(|_| rng.random_range(20..=60) * more_points)
            .collect();
        let clients = (0..shape.clients)
            .map(|_| {
                (0..shape.orders_per_client)
                    .map(|_| {
                        let n_lines = rng.random_range(1..=3);
                        let mut lines: Vec<(u32, u32)> = Vec::new();
                        for _ in 0..n_lines {
                            let sku = rng.random_range(0..shape.skus) as u32;
                            if !lines.iter().any(|(s, _)| *s == sku) {
                                lines.push((sku, rng.random_range(1..=2)));
                            }
                        }
                        let user = rng.random_range(0..shape.users) as u32;
                        let mut points = rng.random_range(0..=10);
                        let mut card = Card::Good;
                        // About one order in five is meant to fail on a business rule.
                        match rng.random_range(0..15) {
                            _ if !shape.business_failures => {}
                            // more than any sku holds
                            0 => lines[0].1 += 10 * more_stock as u32,
                            // more points than anyone has
                            1 => points += 1_000 * more_points,
                            2 => card = Card::Declining, // the card declines
                            _ => {}
                        }
                        lines.sort();
                        OrderSpec {
                            user,
                            lines,
                            points,
                            amount: rng.random_range(5..=100),
                            card,
                            think_ms: rng.random_range(0..=1_500),
                        }
                    })
                    .collect()
            })
            .collect();
        let mut w = Workload {
            stock,
            points,
            clients,
        };
        if !shape.business_failures {
            w.cover_every_order();
        }
        w
    }

    /// Raise stock and points so that every order can be served at once (no order fails on
    /// a business rule, whatever the interleaving).
    fn cover_every_order(&mut self) {
        let (mut units, mut points) = (vec![0; self.stock.len()], vec![0; self.points.len()]);
        for (_, _, o) in self.orders() {
            for (sku, qty) in &o.lines {
                units[*sku as usize] += i64::from(*qty);
            }
            points[o.user as usize] += o.points;
        }
        for (have, need) in self.stock.iter_mut().zip(units) {
            *have = (*have).max(need);
        }
        for (have, need) in self.points.iter_mut().zip(points) {
            *have = (*have).max(need);
        }
    }

    /// Every order, as (client, index in client, spec).
    pub fn orders(&self) -> impl Iterator<Item = (usize, usize, &OrderSpec)> {
        self.clients
            .iter()
            .enumerate()
            .flat_map(|(c, os)| os.iter().enumerate().map(move |(i, o)| (c, i, o)))
    }
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |v: &[i64]| {
            v.iter()
                .enumerate()
                .map(|(i, n)| format!("{i}:{n}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        writeln!(f, "stock  {}", list(&self.stock))?;
        writeln!(f, "points {}", list(&self.points))?;
        writeln!(
            f,
            "{:<7} {:<4} {:<20} {:>6} {:>6} {:<9} {:>6}",
            "client", "user", "lines (sku x qty)", "points", "amount", "card", "think"
        )?;
        for (c, _, o) in self.orders() {
            let lines = o
                .lines
                .iter()
                .map(|(s, q)| format!("{s}x{q}"))
                .collect::<Vec<_>>()
                .join(" ");
            writeln!(
                f,
                "{:<7} {:<4} {:<20} {:>6} {:>6} {:<9} {:>4}ms",
                c,
                o.user,
                lines,
                o.points,
                o.amount,
                format!("{:?}", o.card),
                o.think_ms
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dtx_sim::Seed;

    #[test]
    fn a_seed_gives_the_same_workload_and_it_prints_as_a_table() {
        let s = Streams::new(Seed(9));
        let a = Workload::generate(&s, WorkloadShape::default());
        assert_eq!(a, Workload::generate(&s, WorkloadShape::default()));
        assert_ne!(
            a,
            Workload::generate(&Streams::new(Seed(10)), WorkloadShape::default())
        );
        let table = a.to_string();
        assert!(table.starts_with("stock  0:"), "{table}");
        assert_eq!(table.lines().count(), 3 + 12);
    }

    #[test]
    fn skus_and_users_are_contended_and_some_orders_fail_by_design_whatever_the_shape() {
        let shape = |clients, orders_per_client, skus| WorkloadShape {
            clients,
            orders_per_client,
            skus,
            ..WorkloadShape::default()
        };
        for shape in [
            WorkloadShape::default(),
            shape(16, 4, 4),
            shape(16, 4, 1),
            shape(1, 4, 4),
        ] {
            doomed_share(shape);
        }
    }

    fn doomed_share(shape: WorkloadShape) {
        let (mut doomed, mut total) = (0, 0);
        for seed in 0..100 {
            let w = Workload::generate(&Streams::new(Seed(seed)), shape);
            assert_eq!(w.orders().count(), shape.orders());
            assert_eq!(w.stock.len(), shape.skus);
            for (_, _, o) in w.orders() {
                total += 1;
                let too_many = o
                    .lines
                    .iter()
                    .any(|(s, q)| i64::from(*q) > w.stock[*s as usize]);
                let too_few_points = o.points > w.points[o.user as usize];
                if too_many || too_few_points || o.card == Card::Declining {
                    doomed += 1;
                }
            }
        }
        let share = doomed as f64 / total as f64;
        assert!(
            (0.12..0.3).contains(&share),
            "{shape:?}: {doomed} of {total} doomed"
        );
    }

    #[test]
    fn without_business_failures_every_card_pays_and_the_stores_cover_every_order() {
        let shape = WorkloadShape {
            business_failures: false,
            ..WorkloadShape::default()
        };
        for seed in 0..100 {
            let w = Workload::generate(&Streams::new(Seed(seed)), shape);
            let with = Workload::generate(&Streams::new(Seed(seed)), WorkloadShape::default());
            assert_eq!(w.clients.len(), with.clients.len());
            let mut units = vec![0; w.stock.len()];
            let mut points = vec![0; w.points.len()];
            for (_, _, o) in w.orders() {
                assert_eq!(o.card, Card::Good, "seed {seed}");
                for (s, q) in &o.lines {
                    units[*s as usize] += i64::from(*q);
                }
                points[o.user as usize] += o.points;
            }
            assert!(
                units.iter().zip(&w.stock).all(|(n, h)| n <= h),
                "seed {seed}"
            );
            assert!(
                points.iter().zip(&w.points).all(|(n, h)| n <= h),
                "seed {seed}"
            );
        }
    }
}
