//! The stock service under the engine, driven by a scripted caller: a store error other than
//! a lock conflict is reported as a store fault and answered explicitly (never with silence),
//! and an empty rollback fences the branch so that a prepare arriving after it votes no and
//! creates nothing.

use std::cell::RefCell;
use std::rc::Rc;

use dtx_invariants::{LedgerEvent, Op};
use dtx_models::journal::Journal;
use dtx_models::knobs::Knobs;
use dtx_models::services::holdings::{self, Book, Uses};
use dtx_models::store::holdings::{open, Answer, HoldingsDb, Refusal};
use dtx_models::wire::Msg;
use dtx_sim::{
    run, CallPolicy, Disk, End, HostSet, Net, Plan, Scenario, Seed, SimConfig, Start, Topology,
    Violation,
};

const ONCE: CallPolicy = CallPolicy {
    timeout_ms: 1_000,
    attempts: 1,
    backoff_ms: 0,
    max_backoff_ms: 0,
};

/// The stock service and a caller that sends `script` in order, keeping the answers.
struct Scripted {
    script: Vec<Msg>,
    answers: Rc<RefCell<Vec<Option<Answer>>>>,
    journal: Option<Journal>,
    stock: Option<Disk<HoldingsDb>>,
}

impl Scripted {
    fn new(script: Vec<Msg>) -> Self {
        Scripted {
            script,
            answers: Rc::default(),
            journal: None,
            stock: None,
        }
    }

    fn events(&self) -> Vec<LedgerEvent> {
        let j = self.journal.as_ref().unwrap();
        let e = j.entries();
        e.iter().map(|(_, e)| e.clone()).collect()
    }
}

impl Scenario for Scripted {
    fn topology(&self) -> Topology {
        Topology {
            servers: vec!["stock".into(), "order".into()],
            clients: vec!["caller".into()],
            ..Topology::default()
        }
    }

    fn build(&mut self, hosts: &mut HostSet<'_>) {
        let journal = Journal::new(hosts.clock());
        let stock = hosts.disk("stock", open(Book::Stock, [(0, 5)], journal.clone()));
        self.journal = Some(journal);
        self.stock = Some(stock.clone());
        hosts.server("stock", move |ctx| {
            holdings::serve(ctx, stock.clone(), Knobs::NONE, Uses::Xa, None, None)
        });
        // The coordinator is never asked here (no branch stays prepared): an idle host.
        hosts.server("order", |ctx| async move {
            let _net: Net<Msg> = ctx.bind().await;
        });
        let (script, answers) = (self.script.clone(), self.answers.clone());
        hosts.client("caller", move |ctx| async move {
            let net: Net<Msg> = ctx.bind().await;
            for msg in script {
                let answer = match net.call("stock", &msg, &ONCE).await {
                    Ok(Msg::Answer { answer, .. }) => Some(answer),
                    _ => None,
                };
                answers.borrow_mut().push(answer);
            }
        });
    }

    fn check(&self, _end: &End) -> Vec<Violation> {
        Vec::new()
    }
}

fn play(script: Vec<Msg>) -> (Scripted, Vec<Option<Answer>>) {
    let mut s = Scripted::new(script);
    let r = run(
        &mut s,
        Start::Plan(Plan::calm(Seed(1), 5_000)),
        &SimConfig::default(),
    )
    .unwrap();
    assert!(r.report.is_clean(), "{:?}", r.report.violations);
    let answers = s.answers.borrow().clone();
    (s, answers)
}

#[test]
fn a_commit_of_a_branch_that_does_not_exist_is_a_store_fault_answered_explicitly() {
    let (s, answers) = play(vec![Msg::Commit { order: 9 }]);
    assert!(
        matches!(&answers[..], [Some(Answer::Failed { error })] if error.contains("no XA branch 9")),
        "an explicit failure, not silence: {answers:?}"
    );
    assert_eq!(
        s.events(),
        vec![LedgerEvent::StoreFault {
            store: "stock".into(),
            order: Some(9),
            error: "no XA branch 9".into()
        }]
    );
}

#[test]
fn a_prepare_after_an_empty_rollback_votes_no_and_creates_no_branch() {
    let (s, answers) = play(vec![
        Msg::Rollback { order: 4 },
        Msg::Prepare {
            order: 4,
            lines: vec![(0, 1)],
        },
    ]);
    assert_eq!(
        answers,
        vec![
            Some(Answer::Fenced),
            Some(Answer::Refused(Refusal::Cancelled))
        ]
    );
    assert_eq!(
        s.events(),
        vec![LedgerEvent::EmptyCancel {
            order: 4,
            participant: "stock".into(),
            op: Op::Rollback
        }]
    );
    assert!(s.stock.unwrap().read(|d| d.xa_recover().is_empty()));
}

#[test]
fn a_short_prepare_votes_no_with_the_numbers_the_store_saw() {
    let (s, answers) = play(vec![Msg::Prepare {
        order: 2,
        lines: vec![(0, 7)],
    }]);
    assert_eq!(
        answers,
        vec![Some(Answer::Refused(Refusal::Short {
            id: 0,
            wanted: 7,
            available: 5
        }))]
    );
    assert_eq!(
        s.events(),
        vec![LedgerEvent::Refused {
            order: 2,
            participant: "stock".into(),
            refusal: dtx_invariants::Refusal::Short {
                sku: 0,
                wanted: 7,
                available: 5
            }
        }]
    );
}
