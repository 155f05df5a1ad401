//! The order system under any workload shape: as many clients, orders per client and skus as
//! asked (16 clients on 1 sku, 1 client alone), every order placed and answered, runs clean
//! and settled under faults, the busy period in proportion to the orders per client.

use dtx_models::protocols::{tcc, two_pc};
use dtx_models::system::{busy_ms, OrderSystem, ProtocolSpec, BUSY_MS};
use dtx_models::workload::WorkloadShape;
use dtx_sim::{run, Scenario, Seed, SimConfig, Start};

fn shape(clients: usize, orders_per_client: usize, skus: usize) -> WorkloadShape {
    WorkloadShape {
        clients,
        orders_per_client,
        skus,
        ..WorkloadShape::default()
    }
}

fn runs_clean(spec: ProtocolSpec, shape: WorkloadShape, seeds: u64) {
    for seed in 0..seeds {
        let mut s = OrderSystem::new(spec);
        s.shape = shape;
        let t = s.topology();
        assert_eq!(t.clients.len(), shape.clients);
        assert_eq!(s.workload_items() as usize, shape.orders());
        let r = run(&mut s, Start::Seed(Seed(seed)), &SimConfig::default()).unwrap();
        let at = format!("{shape:?} seed {seed}");
        assert!(r.report.is_clean(), "{at}: {:?}", r.report.violations);
        assert!(r.report.quiescent, "{at}: {:?}", r.report.busy);
        let m = &r.report.metrics;
        assert_eq!(m.counts["orders"], shape.orders() as u64, "{at}");
        assert_eq!(
            m.counts["confirmed"] + m.counts["cancelled"],
            shape.orders() as u64,
            "{at}: every order has an outcome"
        );
        let b = s.built.as_ref().unwrap();
        assert_eq!(b.workload.stock.len(), shape.skus, "{at}");
        assert!(b.journal.unanswered().is_empty(), "{at}");
    }
}

#[test]
fn sixteen_clients_on_one_sku_and_one_client_alone_run_clean_and_settle() {
    for spec in [two_pc::SPEC, tcc::SPEC] {
        runs_clean(spec, shape(16, 4, 1), 3);
        runs_clean(spec, shape(1, 4, 4), 6);
        runs_clean(spec, shape(5, 2, 2), 4);
    }
}

#[test]
fn the_busy_period_grows_with_the_orders_per_client_only() {
    assert_eq!(busy_ms(&WorkloadShape::default()), BUSY_MS);
    assert_eq!(busy_ms(&shape(16, 4, 1)), BUSY_MS);
    assert_eq!(busy_ms(&shape(3, 8, 4)), 2 * BUSY_MS);
    assert_eq!(busy_ms(&shape(3, 1, 4)), BUSY_MS / 4);
    let mut s = OrderSystem::new(two_pc::SPEC);
    s.shape = shape(2, 2, 4);
    assert_eq!(s.topology().busy_ms, BUSY_MS / 2);
}
