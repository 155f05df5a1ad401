//! The order system as a scenario: the traffic and state it declares to the fault generator,
//! the busy period, what it names as still busy, the client records, and the rule that
//! protocol code never reports ledger events (the stores do).

use std::collections::BTreeSet;

use dtx_invariants::LedgerEvent;
use dtx_models::protocols::{driver, one_pc, two_pc};
use dtx_models::store::gateway::Card;
use dtx_models::system::{OrderSystem, BUSY_MS};
use dtx_sim::{run, Plan, Scenario, Seed, SimConfig, Start};

fn events(s: &OrderSystem) -> Vec<(u64, LedgerEvent)> {
    s.built.as_ref().unwrap().journal.entries().clone()
}

#[test]
fn faults_are_drawn_over_the_links_and_hosts_the_protocol_uses() {
    let t = OrderSystem::new(two_pc::SPEC).topology();
    let links: BTreeSet<(String, String)> = t.links.iter().cloned().collect();
    let want: BTreeSet<(String, String)> = [
        ("client-0", "order"),
        ("client-1", "order"),
        ("client-2", "order"),
        ("order", "stock"),
        ("order", "points"),
        ("order", "payment"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(links, want);
    assert_eq!(t.stateful, vec!["order", "stock", "points", "payment"]);
    assert_eq!(t.busy_ms, BUSY_MS);
    let d = OrderSystem::new(driver::SPEC).topology();
    assert!(
        !d.stateful.contains(&"payment".to_string()),
        "the driver never pays"
    );
    assert!(!d
        .links
        .iter()
        .any(|(a, b)| a == "payment" || b == "payment"));
}

#[test]
fn under_faults_2pc_settles_and_every_client_request_is_recorded_and_answered() {
    for seed in 0..30 {
        let mut s = OrderSystem::new(two_pc::SPEC);
        let r = run(&mut s, Start::Seed(Seed(seed)), &SimConfig::default()).unwrap();
        assert!(
            r.report.is_clean(),
            "seed {seed}: {:?}",
            r.report.violations
        );
        assert!(r.report.quiescent, "seed {seed}: {:?}", r.report.busy);
        assert!(s.busy().is_empty(), "seed {seed}: {:?}", s.busy());
        let e = events(&s);
        let wants = e
            .iter()
            .filter(|(_, e)| matches!(e, LedgerEvent::ClientWantsId { .. }))
            .count();
        let asked: Vec<(u32, u32, u64)> = e
            .iter()
            .filter_map(|(_, e)| match e {
                LedgerEvent::ClientAsked {
                    client, seq, order, ..
                } => Some((*client, *seq, *order)),
                _ => None,
            })
            .collect();
        let told = e
            .iter()
            .filter(|(_, e)| matches!(e, LedgerEvent::ClientTold { .. }))
            .count();
        assert_eq!((wants, asked.len(), told), (12, 12, 12), "seed {seed}");
        let seqs: BTreeSet<(u32, u32)> = asked.iter().map(|(c, q, _)| (*c, *q)).collect();
        assert_eq!(seqs.len(), 12, "one seq per order of each client");
        // The order service learns the card from the request and reports it.
        let w = &s.built.as_ref().unwrap().workload;
        for (_, e) in &e {
            if let LedgerEvent::OrderCreated {
                order,
                declining_card,
                ..
            } = e
            {
                let (c, q, _) = asked.iter().find(|(_, _, o)| o == order).unwrap();
                let card = w.clients[*c as usize][*q as usize].card;
                assert_eq!(*declining_card, card == Card::Declining, "seed {seed}");
            }
        }
    }
}

#[test]
fn what_is_still_busy_is_named_when_a_run_does_not_settle() {
    let mut named = 0;
    for seed in 0..40 {
        let mut s = OrderSystem::new(two_pc::SPEC).with_bug(Some(two_pc::BUG_NO_RECOVERY));
        let r = run(&mut s, Start::Seed(Seed(seed)), &SimConfig::default()).unwrap();
        if r.report.quiescent {
            continue;
        }
        let busy = s.busy();
        assert!(
            busy.iter().any(|b| b.contains("orders pending: ")),
            "seed {seed}: {busy:?}"
        );
        assert!(
            busy.iter().any(|b| b.contains("not told about order")),
            "seed {seed}: {busy:?}"
        );
        assert!(
            r.report.violations.iter().any(|v| v.invariant == "settled"),
            "seed {seed}: {:?}",
            r.report.violations
        );
        named += 1;
    }
    assert!(named > 0, "no seed left an order pending");
}

#[test]
fn the_busy_period_covers_the_placing_of_orders_in_calm_runs() {
    let mut last: Vec<u64> = (0..60)
        .map(|seed| {
            let mut s = OrderSystem::new(two_pc::SPEC);
            run(
                &mut s,
                Start::Plan(Plan::calm(Seed(seed), 20_000)),
                &SimConfig::default(),
            )
            .unwrap();
            events(&s)
                .iter()
                .filter(|(_, e)| matches!(e, LedgerEvent::ClientAsked { .. }))
                .map(|(t, _)| *t)
                .max()
                .unwrap()
        })
        .collect();
    last.sort();
    let (median, p80) = (last[30], last[48]);
    assert!(
        median < BUSY_MS && BUSY_MS <= p80 + 2_000 && BUSY_MS >= median,
        "last order asked for: median {median} ms, p80 {p80} ms; busy period {BUSY_MS} ms"
    );
}

#[test]
fn without_business_failures_calm_1pc_runs_are_clean() {
    for seed in 0..20 {
        let mut s = OrderSystem::new(one_pc::SPEC);
        s.shape.business_failures = false;
        let r = run(
            &mut s,
            Start::Plan(Plan::calm(Seed(seed), 20_000)),
            &SimConfig::default(),
        )
        .unwrap();
        assert!(
            r.report.is_clean(),
            "seed {seed}: {:?}",
            r.report.violations
        );
        let refused = events(&s)
            .iter()
            .filter(|(_, e)| matches!(e, LedgerEvent::Refused { .. }))
            .count();
        assert_eq!(refused, 0, "seed {seed}");
    }
}

#[test]
fn protocol_code_reports_nothing_itself() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/protocols");
    let mut files = vec![root];
    while let Some(p) = files.pop() {
        if p.is_dir() {
            files.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        let text = std::fs::read_to_string(&p).unwrap();
        for word in ["LedgerEvent", "Journal", "journal"] {
            assert!(
                !text.contains(word),
                "{} names {word}: protocol code must leave reporting to the stores",
                p.display()
            );
        }
    }
}
