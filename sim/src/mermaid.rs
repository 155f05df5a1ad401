//! The trace as a Mermaid `sequenceDiagram`: hosts are participants, delivered datagrams are
//! arrows, lost ones are crossed arrows marked with why, faults, crashes and probes are notes.

use std::collections::BTreeMap;

use crate::trace::{EventKind, HostId, Trace};

/// Which datagrams to draw: all, or only those whose label `only` accepts (the messages of
/// one order, say).
pub fn render(trace: &Trace, only: Option<&dyn Fn(&str) -> bool>) -> String {
    let mut out = String::from("sequenceDiagram\n");
    for (i, name) in trace.hosts.iter().enumerate() {
        out.push_str(&format!("    participant h{i} as {}\n", clean(name)));
    }
    let all: Vec<String> = (0..trace.hosts.len()).map(|i| format!("h{i}")).collect();
    let span = if all.len() > 1 {
        format!("{},{}", all[0], all[all.len() - 1])
    } else {
        all.first().cloned().unwrap_or_default()
    };
    let p = |h: &HostId| format!("h{}", h.0);
    let mut labels: BTreeMap<u64, String> = BTreeMap::new();
    let wanted = |label: &str| only.is_none_or(|o| o(label));
    for e in &trace.events {
        let t = e.at_ms;
        match &e.kind {
            EventKind::Send { uid, label, .. } => {
                if wanted(label) {
                    labels.insert(*uid, clean(label));
                }
            }
            EventKind::Deliver { uid, from, to } => {
                if let Some(l) = labels.get(uid) {
                    out.push_str(&format!("    {}->>{}: {t}ms {l}\n", p(from), p(to)));
                }
            }
            EventKind::Drop {
                uid,
                from,
                to,
                reason,
            } => {
                if let Some(l) = labels.get(uid) {
                    out.push_str(&format!(
                        "    {}-x{}: {t}ms LOST ({}) {l}\n",
                        p(from),
                        p(to),
                        reason.name()
                    ));
                }
            }
            EventKind::Duplicate { uid, from, .. } => {
                if labels.contains_key(uid) {
                    out.push_str(&format!(
                        "    Note over {}: {t}ms duplicated #{uid}\n",
                        p(from)
                    ));
                }
            }
            EventKind::Hold { uid, to, .. } => {
                if labels.contains_key(uid) {
                    out.push_str(&format!("    Note over {}: {t}ms held #{uid}\n", p(to)));
                }
            }
            EventKind::FaultStart { index, desc } => {
                out.push_str(&format!(
                    "    Note over {span}: {t}ms fault {index}: {}\n",
                    clean(desc)
                ));
            }
            EventKind::FaultEnd { index, desc } => {
                out.push_str(&format!(
                    "    Note over {span}: {t}ms fault {index} ends: {}\n",
                    clean(desc)
                ));
            }
            EventKind::Heal => out.push_str(&format!("    Note over {span}: {t}ms HEAL\n")),
            EventKind::Crash { host, point } => out.push_str(&format!(
                "    Note over {}: {t}ms CRASH{}\n",
                p(host),
                point
                    .as_ref()
                    .map(|x| format!(" at {}", clean(x)))
                    .unwrap_or_default()
            )),
            EventKind::Restart { host, incarnation } => out.push_str(&format!(
                "    Note over {}: {t}ms restart ({incarnation})\n",
                p(host)
            )),
            EventKind::Probe { host, name } => out.push_str(&format!(
                "    Note over {}: {t}ms probe {}\n",
                p(host),
                clean(name)
            )),
            EventKind::Panic { message, .. } => out.push_str(&format!(
                "    Note over {span}: {t}ms PANIC {}\n",
                clean(message)
            )),
            EventKind::Release { .. }
            | EventKind::Redeliver { .. }
            | EventKind::Quiescent
            | EventKind::CrashPointPassed { .. }
            | EventKind::App { .. } => {}
        }
    }
    out
}

/// Mermaid treats `;`, `#` and line breaks specially in message text.
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            ';' | '#' | '\n' | '\r' => ' ',
            c => c,
        })
        .collect()
}
