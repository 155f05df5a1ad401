//! Traces of the order system that explain a failure: ledger events in the timeline with the
//! number violations cite, violations right after the event they first broke after, time
//! that never goes backwards, one order's timeline, and a Mermaid diagram of the biggest
//! failing knob run that Mermaid will draw.

use dtx_models::protocols::{saga_choreo, saga_orch, tcc, two_pc};
use dtx_models::system::{OrderSystem, ProtocolSpec};
use dtx_models::wire::mentions_order;
use dtx_sim::{mermaid, run, timeline, EventKind, Focus, Run, Seed, SimConfig, Start, Violation};

fn run_of(spec: ProtocolSpec, bug: Option<&'static str>, seed: u64) -> Run {
    let mut s = OrderSystem::new(spec).with_bug(bug);
    run(&mut s, Start::Seed(Seed(seed)), &SimConfig::default()).unwrap()
}

/// A bug knob's first failing seed (as `dtx mutants` finds it): its violation cites a ledger
/// event.
fn decision_not_logged() -> Run {
    run_of(two_pc::SPEC, Some("2pc-decision-not-logged"), 0)
}

/// The first violation of `r` that cites a ledger event, and that event's number.
fn citing(r: &Run) -> (&Violation, u64) {
    let v = r
        .report
        .violations
        .iter()
        .find(|v| v.after_ledger.is_some())
        .expect("a violation citing a ledger event");
    (v, v.after_ledger.unwrap())
}

#[test]
fn the_ledger_event_a_violation_cites_is_in_the_timeline_under_the_same_number() {
    let r = decision_not_logged();
    let (v, n) = citing(&r);
    // The detail names it the way the timeline does: "ledger event L16: Decision { … })".
    let cited = format!("ledger event L{n}: ");
    let at = v.detail.find(&cited).expect("the detail cites L<n>") + cited.len();
    let cited_text = v.detail[at..].strip_suffix(')').unwrap();
    let in_trace: Vec<&str> = r
        .trace
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Ledger { n: m, text } if *m == n => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(in_trace, [cited_text], "ledger event L{n}");
    // Numbered from 0, one number each, in commit order.
    let numbers: Vec<u64> = r
        .trace
        .events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Ledger { n, .. } => Some(n),
            _ => None,
        })
        .collect();
    assert!(!numbers.is_empty());
    assert!(numbers.iter().enumerate().all(|(i, n)| *n == i as u64));
}

#[test]
fn a_violation_is_marked_in_the_timeline_right_after_the_ledger_event_it_first_broke_after() {
    let r = decision_not_logged();
    let (v, n) = citing(&r);
    let text = timeline::render(&r.trace, &r.report.violations, None);
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let ledger = lines
        .iter()
        .position(|l| l.contains(&format!("ledger   L{n} ")))
        .unwrap_or_else(|| panic!("no ledger L{n} in\n{text}"));
    assert_eq!(
        lines[ledger + 1],
        format!("{}ms  VIOLATION {}: {}", v.at_ms, v.invariant, v.detail),
    );
    // Every violation is in the timeline once.
    for v in &r.report.violations {
        let line = format!("VIOLATION {}: {}", v.invariant, v.detail);
        assert_eq!(lines.iter().filter(|l| l.ends_with(&line)).count(), 1);
    }
}

#[test]
fn trace_time_never_goes_backwards() {
    for (name, spec) in [
        ("2pc", two_pc::SPEC),
        ("tcc", tcc::SPEC),
        ("saga-orch", saga_orch::SPEC),
        ("saga-choreo", saga_choreo::SPEC),
    ] {
        for seed in 0..4 {
            let r = run_of(spec, None, seed);
            let e = &r.trace.events;
            if let Some(i) = (1..e.len()).find(|&i| e[i].at_ms < e[i - 1].at_ms) {
                panic!(
                    "{name} seed {seed}: back in time:\n{}\n{}",
                    r.trace.describe(&e[i - 1]),
                    r.trace.describe(&e[i])
                );
            }
        }
    }
}

#[test]
fn same_seed_same_trace_with_ledger_events() {
    let a = decision_not_logged();
    let b = decision_not_logged();
    assert_eq!(a.report.trace_hash, b.report.trace_hash);
    assert_eq!(a.trace.events, b.trace.events);
}

#[test]
fn one_orders_timeline_keeps_its_messages_ledger_events_and_tied_probes_only() {
    let r = run_of(two_pc::SPEC, None, 1);
    let order = 3;
    let about = move |t: &str| mentions_order(t, order);
    let focus = Focus {
        name: format!("order {order}"),
        about: &about,
    };
    let all = timeline::render(&r.trace, &r.report.violations, None);
    let one = timeline::render(&r.trace, &r.report.violations, Some(&focus));
    assert!(one.starts_with("filtered: only order 3"), "{one}");
    let lines = |t: &str, kind: &str| -> Vec<String> {
        t.lines()
            .filter(|l| l.split_whitespace().nth(1) == Some(kind))
            .map(str::to_string)
            .collect()
    };
    let sends = lines(&one, "send");
    assert!(sends.len() > 5, "{one}");
    assert!(sends.iter().all(|l| mentions_order(l, order)), "{one}");
    let ledger = lines(&one, "ledger");
    assert!(!ledger.is_empty());
    assert!(ledger.iter().all(|l| mentions_order(l, order)), "{one}");
    assert!(lines(&all, "ledger").len() > ledger.len());
    // Probes: only those tied to order 3 — some, and fewer than in the whole run.
    let (probes, every_probe) = (lines(&one, "probe"), lines(&all, "probe"));
    assert!(!probes.is_empty(), "{one}");
    assert!(probes.len() < every_probe.len() / 2, "{one}");
    // Each kept probe follows (same host, same instant) a message of order 3 in the whole
    // timeline.
    let all_lines: Vec<&str> = all.lines().collect();
    for p in &probes {
        let i = all_lines.iter().position(|l| l == p).unwrap();
        let host = p.split_whitespace().nth(2).unwrap();
        let when = p.split_whitespace().next().unwrap();
        let before = all_lines[..i]
            .iter()
            .rev()
            .take_while(|l| l.split_whitespace().next() == Some(when))
            .find(|l| {
                let w: Vec<&str> = l.split_whitespace().collect();
                (w[1] == "deliver" && w[4] == host) || (w[1] == "send" && w[2] == host)
            });
        let before = before.unwrap_or_else(|| panic!("probe not tied: {p}"));
        let uid = before.split_whitespace().nth(5).unwrap();
        let send = all_lines
            .iter()
            .find(|l| l.contains(" send ") && l.split_whitespace().nth(5) == Some(uid))
            .unwrap();
        assert!(mentions_order(send, order), "{p} follows {send}");
    }
}

#[test]
fn the_biggest_bug_knob_diagram_fits_mermaids_limit_and_shows_the_violation() {
    // The biggest of the knobs' first failing runs (`dtx mutants`): 255,165 characters of
    // Mermaid before folding.
    let r = run_of(saga_choreo::SPEC, Some("choreo-relay-skips-late-rows"), 1);
    let text = mermaid::render(&r.trace, &r.report.violations, None);
    assert!(
        text.len() < mermaid::MERMAID_LIMIT,
        "{} characters",
        text.len()
    );
    assert!(!r.report.violations.is_empty());
    for v in &r.report.violations {
        let note = mermaid::esc(&format!("VIOLATION {}: {}", v.invariant, v.detail));
        assert!(
            text.lines()
                .any(|l| l.trim_start().starts_with("Note over h0,h") && l.ends_with(&note)),
            "no note for {v:?}"
        );
    }
    assert!(text.contains("×"), "nothing folded");
    // Every '#' starts an entity code.
    for (i, _) in text.match_indices('#') {
        let code: String = text[i + 1..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        assert!(
            !code.is_empty() && text[i + 1 + code.len()..].starts_with(';'),
            "bare # at {i}: {}",
            &text[i.saturating_sub(40)..(i + 40).min(text.len())]
        );
    }
}
