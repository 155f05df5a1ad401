//! The run as a Mermaid `sequenceDiagram`: hosts are participants, delivered datagrams are
//! arrows, lost ones are crossed arrows marked with why; faults, crashes, restarts, probes,
//! quiescence and the violations (over every participant, where they first broke) are notes.
//! What is drawn is what [`crate::focus::select`] shows, so the diagram and the timeline agree.
//!
//! Text is escaped with Mermaid's entity codes (`#35;` for `#`, `#59;` for `;` …): a bare `#`
//! or `;` would end the text, and ids like `#341` would be lost.
//!
//! Size: Mermaid refuses to draw a diagram over [`MERMAID_LIMIT`] characters. A diagram over it
//! is folded, gently first: repeated runs (the same arrows or notes between the same hosts, a
//! block of up to four lines) become one line each, marked `×N` with the time span; if it is
//! still too long, between two landmarks (faults, heal, crashes, restarts, quiescence,
//! violations) every like message (the same label, call id aside, between the same hosts) is
//! drawn once, marked `×N`, where it first occurred: background polling collapses to a line per
//! kind; then, if need be, the same with like meaning alike whatever the numbers in the label
//! (shown as `…`). If it is still too long it is cut, and a final note says so; the violations
//! are drawn after the cut all the same.

use crate::focus::{select, Focus, Shown};
use crate::fold::{fold_between_landmarks, fold_runs, Item, Place};
use crate::report::Violation;
use crate::trace::{EventKind, Trace};

/// Mermaid's default `maxTextSize`: a longer diagram is not rendered at all.
pub const MERMAID_LIMIT: usize = 50_000;

/// The diagram of `trace`, with `violations` where they first broke, narrowed to `focus`,
/// within [`MERMAID_LIMIT`] characters.
pub fn render(trace: &Trace, violations: &[Violation], focus: Option<&Focus<'_>>) -> String {
    render_within(trace, violations, focus, MERMAID_LIMIT)
}

/// [`render`], within `limit` characters.
pub fn render_within(
    trace: &Trace,
    violations: &[Violation],
    focus: Option<&Focus<'_>>,
    limit: usize,
) -> String {
    let items = items(select(trace, violations, focus));
    // Only the hosts something happens at are drawn (an idle client or broker is noise).
    let mut used = std::collections::BTreeSet::new();
    for i in &items {
        match i.place {
            Place::Arrow { from, to, .. } => {
                used.insert(from);
                used.insert(to);
            }
            Place::Over(h) => {
                used.insert(h);
            }
            Place::All => {}
        }
    }
    if used.is_empty() {
        used.extend((0..trace.hosts.len()).filter_map(|h| u16::try_from(h).ok()));
    }
    let span = match (used.first(), used.last()) {
        (Some(a), Some(b)) if a != b => format!("h{a},h{b}"),
        (Some(a), _) => format!("h{a}"),
        _ => "h0".to_string(),
    };
    let mut head = String::from("sequenceDiagram\n");
    for &h in &used {
        head.push_str(&format!(
            "    participant h{h} as {}\n",
            esc(trace.host(crate::trace::HostId(h)))
        ));
    }
    if let Some(f) = focus {
        head.push_str(&format!("    Note over {span}: {}\n", esc(&f.banner())));
    }
    let fits = |items: &[Item], head: &str| {
        head.len() + items.iter().map(|i| i.line(&span).len()).sum::<usize>() <= limit
    };
    if fits(&items, &head) {
        return draw(&head, &items, &span, limit);
    }
    let note = |what: &str| {
        format!(
            "    Note over {span}: {}\n",
            esc(&format!(
                "folded: ×N marks N {what} drawn once, with the time from the first to the last"
            ))
        )
    };
    let runs = fold_runs(items);
    let folded =
        head.clone() + &note("repetitions of a run of like messages between the same hosts,");
    if fits(&runs, &folded) {
        return draw(&folded, &runs, &span, limit);
    }
    let kinds = fold_between_landmarks(runs);
    let folded = head.clone()
        + &note("like messages (same label, same hosts) between two faults, crashes or restarts,");
    if fits(&kinds, &folded) {
        return draw(&folded, &kinds, &span, limit);
    }
    let shapes = fold_between_landmarks(kinds.into_iter().map(Item::numberless).collect());
    let folded = head
        + &note("like messages (same label whatever its numbers, shown as …; same hosts) between two faults, crashes or restarts,");
    draw(&folded, &shapes, &span, limit)
}

/// The shown events and violations as diagram lines (datagrams drawn at delivery or loss).
fn items(shown: Vec<Shown<'_>>) -> Vec<Item> {
    let mut labels: std::collections::BTreeMap<u64, String> = Default::default();
    let mut out = Vec::new();
    for s in shown {
        let e = match s {
            Shown::Event(e) => e,
            Shown::Violation(v) => {
                let mut item = Item::new(
                    v.at_ms,
                    Place::All,
                    format!("VIOLATION {}: {}", v.invariant, v.detail),
                )
                .landmark();
                item.violation = true;
                out.push(item);
                continue;
            }
        };
        let t = e.at_ms;
        let item = match &e.kind {
            EventKind::Send { uid, label, .. } => {
                labels.insert(*uid, without_call_id(label));
                continue;
            }
            EventKind::Deliver { uid, from, to } => {
                let Some(l) = labels.get(uid) else { continue };
                let (from, to, lost) = (from.0, to.0, false);
                Item::new(t, Place::Arrow { from, to, lost }, l.clone())
            }
            EventKind::Drop {
                uid,
                from,
                to,
                reason,
            } => {
                let Some(l) = labels.get(uid) else { continue };
                let (from, to, lost) = (from.0, to.0, true);
                let text = format!("LOST ({}) {l}", reason.name());
                Item::new(t, Place::Arrow { from, to, lost }, text)
            }
            EventKind::Duplicate { uid, from, .. } => {
                let mut i = Item::new(t, Place::Over(from.0), "duplicated".into());
                i.uid = Some(*uid);
                i
            }
            EventKind::Hold { uid, to, .. } => {
                let mut i = Item::new(t, Place::Over(to.0), "held".into());
                i.uid = Some(*uid);
                i
            }
            EventKind::Probe { host, name } => {
                Item::new(t, Place::Over(host.0), format!("probe {name}"))
            }
            EventKind::FaultStart { index, desc } => {
                Item::new(t, Place::All, format!("fault {index}: {desc}")).landmark()
            }
            EventKind::FaultEnd { index, desc } => {
                Item::new(t, Place::All, format!("fault {index} ends: {desc}")).landmark()
            }
            EventKind::Heal => Item::new(t, Place::All, "HEAL".into()).landmark(),
            EventKind::Quiescent => Item::new(
                t,
                Place::All,
                "quiescent: nothing may change from here".into(),
            )
            .landmark(),
            EventKind::Crash { host, point } => {
                let at = point
                    .as_ref()
                    .map(|x| format!(" at {x}"))
                    .unwrap_or_default();
                Item::new(t, Place::Over(host.0), format!("CRASH{at}")).landmark()
            }
            EventKind::Restart { host, incarnation } => {
                Item::new(t, Place::Over(host.0), format!("restart ({incarnation})")).landmark()
            }
            EventKind::Panic { message, .. } => {
                Item::new(t, Place::All, format!("PANIC {message}")).landmark()
            }
            EventKind::Release { .. }
            | EventKind::Redeliver { .. }
            | EventKind::CrashPointPassed { .. }
            | EventKind::App { .. }
            | EventKind::Ledger { .. } => continue,
        };
        out.push(item);
    }
    out
}

/// `call 0x1f Status { … }` → `call Status { … }`: the call id differs between like messages.
fn without_call_id(label: &str) -> String {
    for prefix in ["call 0x", "reply 0x"] {
        if let Some(rest) = label.strip_prefix(prefix) {
            let rest = rest.trim_start_matches(|c: char| c.is_ascii_hexdigit());
            return format!("{}{rest}", &prefix[..prefix.len() - 3]);
        }
    }
    label.to_string()
}

/// The diagram: `head`, then the items; cut with a final note if over `limit`, the violations
/// after the cut all the same.
fn draw(head: &str, items: &[Item], span: &str, limit: usize) -> String {
    let lines: Vec<String> = items.iter().map(|i| i.line(span)).collect();
    let mut out = String::with_capacity(limit.min(MERMAID_LIMIT));
    out.push_str(head);
    if head.len() + lines.iter().map(String::len).sum::<usize>() <= limit {
        lines.iter().for_each(|l| out.push_str(l));
        return out;
    }
    const CUT_NOTE: usize = 240;
    let mut reserve: usize = CUT_NOTE
        + items
            .iter()
            .zip(&lines)
            .filter(|(i, _)| i.violation)
            .map(|(_, l)| l.len())
            .sum::<usize>();
    let mut at = 0;
    while at < items.len() {
        let len = lines[at].len();
        if items[at].violation {
            reserve -= len;
        } else if out.len() + len + reserve > limit {
            break;
        }
        out.push_str(&lines[at]);
        at += 1;
    }
    let rest = &items[at..];
    let left = rest.iter().filter(|i| !i.violation).count();
    let when = rest.first().map_or(0, |i| i.first);
    out.push_str(&format!(
        "    Note over {span}: {}\n",
        esc(&format!(
            "CUT at {when}ms: {left} more lines not drawn (Mermaid draws at most {MERMAID_LIMIT} characters); narrow it with --order ID"
        ))
    ));
    for (i, l) in rest.iter().zip(&lines[at..]) {
        if i.violation {
            out.push_str(l);
        }
    }
    out
}

/// Text as Mermaid draws it: characters that end or break message and note text (`#` starts
/// an entity or a comment, `;` ends a statement, `<` `>` are markup, quotes, `%`, line breaks)
/// become Mermaid entity codes.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '#' => out.push_str("#35;"),
            ';' => out.push_str("#59;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '"' => out.push_str("#quot;"),
            '\'' => out.push_str("#39;"),
            '%' => out.push_str("#37;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::HostId;

    /// `n` polls and replies between two hosts, a fault, a duplicate, then a violation.
    fn busy(n: u64) -> (Trace, Vec<Violation>) {
        let mut t = Trace::new(vec!["a".into(), "b".into()]);
        let (a, b) = (HostId(0), HostId(1));
        let mut uid = 0;
        let mut hop = |t: &mut Trace, at, from, to, label: String| {
            uid += 1;
            t.push(
                at,
                EventKind::Send {
                    uid,
                    from,
                    to,
                    label,
                },
            );
            t.push(at + 1, EventKind::Deliver { uid, from, to });
        };
        t.push(
            0,
            EventKind::FaultStart {
                index: 0,
                desc: "crash b; then <a>".into(),
            },
        );
        t.push(
            0,
            EventKind::Duplicate {
                uid: 341,
                from: a,
                to: b,
            },
        );
        for i in 0..n {
            hop(
                &mut t,
                10 * i,
                a,
                b,
                format!("call {:#x} Fetch {{ max: 10 }}", i),
            );
            hop(
                &mut t,
                10 * i + 2,
                b,
                a,
                format!("reply {:#x} Records {{ }}", i),
            );
            hop(&mut t, 10 * i + 4, a, b, format!("Status {{ order: {i} }}"));
        }
        t.settle();
        let v = vec![Violation::new(
            "x-conserved",
            "order 7: \"#341\" broke; badly",
            10 * n,
        )];
        (t, v)
    }

    #[test]
    fn text_is_escaped_so_ids_and_the_rest_of_the_line_survive() {
        let (t, v) = busy(1);
        let d = render(&t, &v, None);
        assert!(d.contains("duplicated #35;341"), "{d}");
        assert!(d.contains("crash b#59; then #lt;a#gt;"), "{d}");
        assert!(
            d.contains("VIOLATION x-conserved: order 7: #quot;#35;341#quot; broke#59; badly"),
            "{d}"
        );
        assert!(!d.contains(" #341"), "{d}");
        assert_eq!(esc("#;<>\"'%\n"), "#35;#59;#lt;#gt;#quot;#39;#37; ");
    }

    #[test]
    fn a_small_diagram_is_drawn_whole() {
        let (t, v) = busy(3);
        let d = render(&t, &v, None);
        assert!(!d.contains('×'), "{d}");
        assert_eq!(d.matches("h0->>h1: ").count(), 6, "{d}");
    }

    #[test]
    fn only_hosts_something_happens_at_are_drawn() {
        let mut t = Trace::new(vec!["a".into(), "idle".into(), "b".into()]);
        let (a, b) = (HostId(0), HostId(2));
        t.push(
            1,
            EventKind::Send {
                uid: 1,
                from: a,
                to: b,
                label: "Ping".into(),
            },
        );
        t.push(
            2,
            EventKind::Deliver {
                uid: 1,
                from: a,
                to: b,
            },
        );
        t.push(3, EventKind::Heal);
        let d = render(&t, &[], None);
        assert!(
            d.contains("participant h0 as a") && d.contains("participant h2 as b"),
            "{d}"
        );
        assert!(!d.contains("idle"), "{d}");
        assert!(d.contains("Note over h0,h2: 3ms HEAL"), "{d}");
    }

    #[test]
    fn repeated_traffic_is_folded_then_cut_and_the_violation_kept() {
        let (t, v) = busy(2_000);
        let whole = render_within(&t, &v, None, usize::MAX);
        assert!(whole.len() > MERMAID_LIMIT);
        let d = render(&t, &v, None);
        assert!(d.len() <= MERMAID_LIMIT, "{}", d.len());
        // Polls and replies drawn once each, ×2000; the statuses of 2000 orders as one line
        // with the numbers left out.
        assert!(
            d.contains("h0->>h1: 1..19991ms ×2000 call Fetch { max: 10 }"),
            "{d}"
        );
        assert!(
            d.contains("h1->>h0: 3..19993ms ×2000 reply Records { }"),
            "{d}"
        );
        assert!(
            d.contains("h0->>h1: 5..19995ms ×2000 Status { order: … }"),
            "{d}"
        );
        assert!(d.contains("folded: ×N"), "{d}");
        assert!(d.contains("VIOLATION x-conserved"), "{d}");
        // A tight limit: cut, said so, violation still drawn (last).
        let limit = d.len() - 100;
        let cut = render_within(&t, &v, None, limit);
        assert!(cut.len() <= limit, "{}", cut.len());
        assert!(cut.contains("CUT at "), "{cut}");
        assert!(cut.contains("--order ID"), "{cut}");
        assert!(
            cut.trim_end()
                .lines()
                .last()
                .unwrap()
                .contains("VIOLATION x-conserved"),
            "{cut}"
        );
    }
}
