//! Property tests: random legal event sequences (id requests and requests of clients,
//! reserve/confirm/cancel of stock and points, true refusals, declined cards, empty cancels,
//! charges, interleaved across orders) fire no checker, neither incrementally nor at the end;
//! the same sequences with one injected illegal event fire the checker that owns it.

use std::collections::BTreeMap;

use dtx_invariants::{
    check_end, Asked, Invariant, LedgerEvent, Monitor, Op, OrderRecord, OrderStatus, Refusal,
    Snapshot, Told,
};
use proptest::prelude::*;

const SKUS: u32 = 3;
const USERS: u32 = 2;
const STOCK: i64 = 4;
const POINTS: i64 = 15;

/// One order's plan: lines, points, amount, whether it ends confirmed, whether its card
/// declines.
#[derive(Clone, Debug)]
struct OrderPlan {
    lines: Vec<(u32, u32)>,
    user: u32,
    points: i64,
    amount: i64,
    confirm: bool,
    declining: bool,
}

fn order_plan() -> impl Strategy<Value = OrderPlan> {
    (
        proptest::collection::btree_map(0..SKUS, 1u32..=2, 1..=2),
        0..USERS,
        0i64..=6,
        1i64..=50,
        any::<bool>(),
        proptest::bool::weighted(0.2),
    )
        .prop_map(
            |(lines, user, points, amount, confirm, declining)| OrderPlan {
                lines: lines.into_iter().collect(),
                user,
                points,
                amount,
                confirm,
                declining,
            },
        )
}

/// Interleave the orders' steps (the schedule picks which order moves next) and emit the
/// legal events, reserving only what is available. Returns the events and the end snapshot.
fn interpret(plans: &[OrderPlan], schedule: &[usize]) -> (Vec<LedgerEvent>, Snapshot) {
    let mut snap = Snapshot {
        initial_stock: (0..SKUS).map(|s| (s, STOCK)).collect(),
        initial_points: (0..USERS).map(|u| (u, POINTS)).collect(),
        ..Snapshot::default()
    };
    for s in 0..SKUS {
        snap.stock.entry(s).or_default().available = STOCK;
    }
    for u in 0..USERS {
        snap.points.entry(u).or_default().balance = POINTS;
    }
    let mut step = vec![0usize; plans.len()];
    let mut ok = vec![true; plans.len()];
    let mut ev = Vec::new();
    let mut cursor = schedule.iter().cycle();
    while step.iter().zip(plans).any(|(s, _)| *s < 5) {
        let o = cursor.next().map_or(0, |x| x % plans.len());
        if step[o] >= 5 {
            // Pick the next unfinished order.
            let Some(next) = (0..plans.len()).find(|i| step[*i] < 5) else {
                break;
            };
            advance(next, &plans[next], &mut step, &mut ok, &mut ev, &mut snap);
        } else {
            advance(o, &plans[o], &mut step, &mut ok, &mut ev, &mut snap);
        }
    }
    (ev, snap)
}

fn advance(
    o: usize,
    p: &OrderPlan,
    step: &mut [usize],
    ok: &mut [bool],
    ev: &mut Vec<LedgerEvent>,
    snap: &mut Snapshot,
) {
    let order = o as u64;
    match step[o] {
        0 => {
            // Client 0's o-th order: it asks for an id, is handed o, submits.
            let seq = o as u32;
            let request = Asked {
                user: p.user,
                lines: p.lines.clone(),
                points: p.points,
                amount: p.amount,
            };
            ev.push(LedgerEvent::ClientWantsId { client: 0, seq });
            ev.push(LedgerEvent::OrderCreated {
                order,
                user: p.user,
                lines: p.lines.clone(),
                points: p.points,
                amount: p.amount,
                declining_card: p.declining,
            });
            ev.push(LedgerEvent::ClientAsked {
                client: 0,
                seq,
                order,
                request: request.clone(),
            });
            snap.id_requests.push((0, seq));
            snap.orders.insert(
                order,
                OrderRecord {
                    user: p.user,
                    lines: p.lines.clone(),
                    points: p.points,
                    amount: p.amount,
                    status: OrderStatus::Pending,
                },
            );
            snap.asked.push((0, seq, order, request));
        }
        1 => {
            // Try: reserve every line and hold the points, or nothing at all.
            let fits = p
                .lines
                .iter()
                .all(|(s, q)| snap.stock[s].available >= i64::from(*q))
                && snap.points[&p.user].balance >= p.points;
            ok[o] = fits && p.confirm;
            if !fits {
                // Refuse with the true numbers of the first shortage.
                let refusal = p
                    .lines
                    .iter()
                    .find(|(s, q)| snap.stock[s].available < i64::from(*q))
                    .map_or(
                        Refusal::PointsShort {
                            user: p.user,
                            wanted: p.points,
                            balance: snap.points[&p.user].balance,
                        },
                        |(s, q)| Refusal::Short {
                            sku: *s,
                            wanted: i64::from(*q),
                            available: snap.stock[s].available,
                        },
                    );
                ev.push(LedgerEvent::Refused {
                    order,
                    participant: "stock".into(),
                    refusal,
                });
            } else {
                for (s, q) in &p.lines {
                    let row = snap.stock.get_mut(s).unwrap();
                    row.available -= i64::from(*q);
                    row.reserved.insert(order, i64::from(*q));
                    ev.push(LedgerEvent::StockReserved {
                        sku: *s,
                        order,
                        qty: i64::from(*q),
                    });
                }
                let row = snap.points.get_mut(&p.user).unwrap();
                row.balance -= p.points;
                row.held.insert(order, p.points);
                ev.push(LedgerEvent::PointsHeld {
                    user: p.user,
                    order,
                    points: p.points,
                });
                ev.push(LedgerEvent::Effect {
                    order,
                    participant: "stock".into(),
                    op: Op::Try,
                });
            }
        }
        2 => {
            // Pay (only for orders going ahead); a declining card refuses.
            if ok[o] && p.declining {
                ok[o] = false;
                ev.push(LedgerEvent::Refused {
                    order,
                    participant: "payment".into(),
                    refusal: Refusal::Declined,
                });
            } else if ok[o] {
                snap.charges.push(dtx_invariants::ChargeRecord {
                    charge: order,
                    order,
                    key: format!("o{order}"),
                    amount: p.amount,
                    open_authorization: false,
                    captured: p.amount,
                    voided: false,
                    refunded: 0,
                });
                ev.push(LedgerEvent::ChargeCaptured {
                    charge: order,
                    order,
                    key: format!("o{order}"),
                    amount: p.amount,
                });
            }
        }
        3 => {
            let reserved = snap.stock.values().any(|r| r.reserved.contains_key(&order));
            for (s, q) in &p.lines {
                let row = snap.stock.get_mut(s).unwrap();
                if row.reserved.remove(&order).is_some() {
                    if ok[o] {
                        row.sold += i64::from(*q);
                        row.sold_by_order.insert(order, i64::from(*q));
                        ev.push(LedgerEvent::StockSold {
                            sku: *s,
                            order,
                            qty: i64::from(*q),
                        });
                    } else {
                        row.available += i64::from(*q);
                        ev.push(LedgerEvent::StockReleased {
                            sku: *s,
                            order,
                            qty: i64::from(*q),
                        });
                    }
                }
            }
            let row = snap.points.get_mut(&p.user).unwrap();
            if let Some(h) = row.held.remove(&order) {
                if ok[o] {
                    row.spent += h;
                    row.spent_by_order.insert(order, h);
                    ev.push(LedgerEvent::PointsSpent {
                        user: p.user,
                        order,
                        points: h,
                    });
                } else {
                    row.balance += h;
                    ev.push(LedgerEvent::PointsReleased {
                        user: p.user,
                        order,
                        points: h,
                    });
                }
            }
            if reserved {
                let op = if ok[o] { Op::Confirm } else { Op::Cancel };
                ev.push(LedgerEvent::Effect {
                    order,
                    participant: "stock".into(),
                    op,
                });
            } else {
                // Nothing was tried: the cancel finds nothing to undo and fences the branch.
                ev.push(LedgerEvent::EmptyCancel {
                    order,
                    participant: "stock".into(),
                    op: Op::Cancel,
                });
            }
        }
        _ => {
            let (status, told) = if ok[o] {
                (OrderStatus::Confirmed, Told::Confirmed)
            } else {
                (OrderStatus::Cancelled, Told::Cancelled)
            };
            ev.push(LedgerEvent::OrderStatus { order, status });
            ev.push(LedgerEvent::ClientTold {
                client: 0,
                order,
                told,
            });
            snap.orders.get_mut(&order).unwrap().status = status;
            snap.told.push((0, order, told));
        }
    }
    step[o] += 1;
}

fn monitor(events: &[LedgerEvent]) -> Monitor {
    let mut m = Monitor::new(
        &(0..SKUS).map(|s| (s, STOCK)).collect(),
        &(0..USERS).map(|u| (u, POINTS)).collect::<BTreeMap<_, _>>(),
    );
    for (i, e) in events.iter().enumerate() {
        m.apply(i as u64, e);
    }
    m
}

/// Kinds of illegal event, each owned by one invariant.
#[derive(Clone, Copy, Debug)]
enum Illegal {
    DoubleRelease,
    Oversell,
    SecondCapture,
    RefundUncaptured,
    RepeatedEffect,
    OverspendPoints,
    LyingShortage,
    FalseDecline,
    StoreFault,
    HangingTry,
    EmptyCancelAfterTry,
    ChangedDecision,
}

fn illegal() -> impl Strategy<Value = Illegal> {
    prop_oneof![
        Just(Illegal::DoubleRelease),
        Just(Illegal::Oversell),
        Just(Illegal::SecondCapture),
        Just(Illegal::RefundUncaptured),
        Just(Illegal::RepeatedEffect),
        Just(Illegal::OverspendPoints),
        Just(Illegal::LyingShortage),
        Just(Illegal::FalseDecline),
        Just(Illegal::StoreFault),
        Just(Illegal::HangingTry),
        Just(Illegal::EmptyCancelAfterTry),
        Just(Illegal::ChangedDecision),
    ]
}

/// Inject an illegal event after position `at`; returns the invariant that must fire.
fn inject(events: &mut Vec<LedgerEvent>, kind: Illegal, at: usize) -> Invariant {
    let at = at % (events.len() + 1);
    let (event, inv) = match kind {
        Illegal::DoubleRelease => (
            LedgerEvent::StockReleased {
                sku: 0,
                order: 999,
                qty: 1,
            },
            Invariant::StockConserved,
        ),
        Illegal::Oversell => (
            LedgerEvent::StockTaken {
                sku: 1,
                order: 998,
                qty: STOCK + 1,
            },
            Invariant::StockConserved,
        ),
        Illegal::OverspendPoints => (
            LedgerEvent::PointsTaken {
                user: 0,
                order: 997,
                points: POINTS + 1,
            },
            Invariant::PointsConserved,
        ),
        Illegal::RefundUncaptured => (
            LedgerEvent::ChargeRefunded {
                charge: 5_000,
                order: 996,
                amount: 1,
            },
            Invariant::SingleCharge,
        ),
        Illegal::SecondCapture => {
            // Capture twice for the first charged order: two captured charges alive.
            let first = events
                .iter()
                .position(|e| matches!(e, LedgerEvent::ChargeCaptured { .. }));
            match first {
                Some(i) => {
                    let LedgerEvent::ChargeCaptured { order, amount, .. } = events[i].clone()
                    else {
                        unreachable!()
                    };
                    let at = i + 1 + at % (events.len() - i);
                    events.insert(
                        at,
                        LedgerEvent::ChargeCaptured {
                            charge: 7_000,
                            order,
                            key: "retry-with-fresh-key".into(),
                            amount,
                        },
                    );
                    return Invariant::SingleCharge;
                }
                None => (
                    LedgerEvent::ChargeRefunded {
                        charge: 5_001,
                        order: 995,
                        amount: 1,
                    },
                    Invariant::SingleCharge,
                ),
            }
        }
        Illegal::LyingShortage => (
            // Availability never exceeds the initial stock: this number is never true.
            LedgerEvent::Refused {
                order: 993,
                participant: "stock".into(),
                refusal: Refusal::Short {
                    sku: 2,
                    wanted: STOCK + 2,
                    available: STOCK + 1,
                },
            },
            Invariant::RefusalTruthful,
        ),
        Illegal::FalseDecline => (
            LedgerEvent::Refused {
                order: 992,
                participant: "payment".into(),
                refusal: Refusal::Declined,
            },
            Invariant::RefusalTruthful,
        ),
        Illegal::StoreFault => (
            LedgerEvent::StoreFault {
                store: "stock".into(),
                order: Some(991),
                error: "duplicate branch 991".into(),
            },
            Invariant::StoreSound,
        ),
        Illegal::HangingTry => {
            // A try lands after the branch's empty cancel (or a fresh branch's).
            let fence = events
                .iter()
                .position(|e| matches!(e, LedgerEvent::EmptyCancel { .. }));
            let (i, order) = match fence {
                Some(i) => {
                    let LedgerEvent::EmptyCancel { order, .. } = events[i] else {
                        unreachable!()
                    };
                    (i, order)
                }
                None => {
                    events.insert(
                        at,
                        LedgerEvent::EmptyCancel {
                            order: 990,
                            participant: "stock".into(),
                            op: Op::Cancel,
                        },
                    );
                    (at, 990)
                }
            };
            let later = i + 1 + at % (events.len() - i);
            events.insert(
                later,
                LedgerEvent::Effect {
                    order,
                    participant: "stock".into(),
                    op: Op::Try,
                },
            );
            return Invariant::EffectsOnce;
        }
        Illegal::EmptyCancelAfterTry => {
            let tried = events
                .iter()
                .position(|e| matches!(e, LedgerEvent::Effect { op: Op::Try, .. }));
            let Some(i) = tried else {
                // Nothing tried: a cancel with no try instead.
                events.insert(
                    at,
                    LedgerEvent::Effect {
                        order: 989,
                        participant: "stock".into(),
                        op: Op::Cancel,
                    },
                );
                return Invariant::EffectsOnce;
            };
            let LedgerEvent::Effect { order, .. } = events[i] else {
                unreachable!()
            };
            let later = i + 1 + at % (events.len() - i);
            events.insert(
                later,
                LedgerEvent::EmptyCancel {
                    order,
                    participant: "stock".into(),
                    op: Op::Cancel,
                },
            );
            return Invariant::EffectsOnce;
        }
        Illegal::ChangedDecision => {
            let decision = |commit| LedgerEvent::Decision {
                order: 988,
                commit,
                participants: vec!["stock".into()],
            };
            events.insert(at, decision(true));
            let later = at + 1 + at % (events.len() - at);
            events.insert(later, decision(false));
            return Invariant::AtomicCommit;
        }
        Illegal::RepeatedEffect => (
            LedgerEvent::Effect {
                order: 994,
                participant: "points".into(),
                op: Op::Cancel,
            },
            Invariant::EffectsOnce,
        ),
    };
    events.insert(at, event);
    inv
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn legal_sequences_fire_no_checker(plans in proptest::collection::vec(order_plan(), 1..8), schedule in proptest::collection::vec(0usize..8, 1..40)) {
        let (events, snap) = interpret(&plans, &schedule);
        prop_assert!(events.len() >= 4 * plans.len());
        let m = monitor(&events);
        prop_assert!(m.violations().is_empty(), "{:?}", m.violations());
        let end = check_end(&snap, 0);
        prop_assert!(end.is_empty(), "{:?}", end);
    }

    #[test]
    fn one_illegal_event_fires_its_checker(
        plans in proptest::collection::vec(order_plan(), 1..8),
        schedule in proptest::collection::vec(0usize..8, 1..40),
        kind in illegal(),
        at in 0usize..1000,
    ) {
        let (mut events, _) = interpret(&plans, &schedule);
        let expected = inject(&mut events, kind, at);
        let m = monitor(&events);
        prop_assert!(m.violations().iter().any(|v| v.invariant == expected), "{kind:?}: expected {expected}, got {:?}", m.violations());
    }
}
