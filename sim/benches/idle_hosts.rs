//! Benchmark: the cost of simulated time. For N hosts over T simulated seconds, the bare
//! turmoil floor (hosts that only sleep), the engine with idle hosts (bound to the message
//! layer, waiting), and the engine with chatty hosts (each calls the next every 100 ms).
//! Reports wall time, simulated seconds per wall second, and the engine/floor ratio.
//!
//! `cargo bench -p dtx-sim --bench idle_hosts` (add `-- quick` for a short run).

#![allow(clippy::disallowed_methods)] // wall-clock timing is the point of a benchmark

use std::time::{Duration, Instant};

use dtx_sim::{
    run, CallPolicy, End, HostSet, Plan, Scenario, Seed, SimConfig, Start, Topology, Violation,
};

struct Idle {
    servers: usize,
    secs: u64,
    chatty: bool,
}

impl Scenario for Idle {
    fn topology(&self) -> Topology {
        Topology {
            servers: (0..self.servers).map(|i| format!("h{i}")).collect(),
            clients: vec!["client".into()],
            crash_points: vec![],
            ..Topology::default()
        }
    }

    fn build(&mut self, hosts: &mut HostSet<'_>) {
        let n = self.servers;
        for i in 0..n {
            let chatty = self.chatty;
            hosts.server(&format!("h{i}"), move |ctx| async move {
                let net = ctx.bind::<u64>().await;
                if chatty {
                    let caller = net.clone();
                    ctx.spawn(async move {
                        let next = format!("h{}", (i + 1) % n);
                        for k in 0.. {
                            let _ = caller.call(&next, &k, &CallPolicy::default()).await;
                            caller.ctx().sleep(Duration::from_millis(100)).await;
                        }
                    });
                }
                loop {
                    let req = net.recv().await;
                    net.reply(&req, &req.body);
                }
            });
        }
        let secs = self.secs;
        hosts.client("client", move |ctx| async move {
            ctx.sleep(Duration::from_secs(secs)).await;
        });
    }

    fn check(&self, _end: &End) -> Vec<Violation> {
        Vec::new()
    }
}

#[allow(clippy::disallowed_methods)] // bare turmoil, no engine: tokio's sleep is the floor
fn floor(hosts: usize, secs: u64, tick: u64) -> Duration {
    let mut sim = turmoil::Builder::new()
        .tick_duration(Duration::from_millis(tick))
        .simulation_duration(Duration::from_secs(secs * 2))
        .rng_seed(1)
        .build();
    for i in 0..hosts {
        sim.host(format!("h{i}"), || async {
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }
    sim.client("client", async move {
        tokio::time::sleep(Duration::from_secs(secs)).await;
        Ok(())
    });
    let t = Instant::now();
    sim.run().unwrap();
    t.elapsed()
}

fn engine(servers: usize, secs: u64, chatty: bool, config: &SimConfig) -> Duration {
    let mut s = Idle {
        servers,
        secs,
        chatty,
    };
    // A calm plan whose window outlasts the workload: pure stepping cost.
    let plan = Plan::calm(Seed(1), secs * 1000 + 1000);
    let t = Instant::now();
    let r = run(&mut s, Start::Plan(plan), config).unwrap();
    let e = t.elapsed();
    assert!(r.report.stats.sim_ms >= secs * 1000);
    e
}

fn best(mut f: impl FnMut() -> Duration, reps: usize) -> Duration {
    (0..reps).map(|_| f()).min().unwrap()
}

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    let (secs, reps) = if quick { (50, 1) } else { (200, 3) };
    let config = SimConfig::default();
    let tick = config.tick_ms;
    println!("tick {tick} ms, {secs} simulated s per run, best of {reps}");
    println!(
        "{:>6} {:>12} {:>12} {:>8} {:>12} {:>8} {:>12}",
        "hosts", "floor s", "floor sim/s", "idle s", "idle sim/s", "idle/fl", "chatty sim/s"
    );
    for hosts in [2usize, 9, 16] {
        let f = best(|| floor(hosts - 1, secs, tick), reps);
        let i = best(|| engine(hosts - 1, secs, false, &config), reps);
        let c = best(|| engine(hosts - 1, secs, true, &config), reps);
        let rate = |d: Duration| secs as f64 / d.as_secs_f64();
        println!(
            "{hosts:>6} {:>12.3} {:>12.0} {:>8.3} {:>12.0} {:>8.2} {:>12.0}",
            f.as_secs_f64(),
            rate(f),
            i.as_secs_f64(),
            rate(i),
            i.as_secs_f64() / f.as_secs_f64(),
            rate(c)
        );
    }
}
