//! `compare.md`: the command that made it, then one table per fault preset — a row per
//! protocol and client count, the baseline marked — and the charts beside it.

use std::fmt::Write;

use super::charts;
use super::report::Report;
use super::row::Row;

/// A figure with `digits` decimals, or `-` when there is none.
fn f(v: Option<f64>, digits: usize) -> String {
    v.map_or("-".into(), |x| format!("{x:.digits$}"))
}

/// A whole figure, or `-`.
fn u(v: Option<u64>) -> String {
    v.map_or("-".into(), |x| x.to_string())
}

fn line(r: &Row) -> String {
    let name = if r.baseline {
        format!("{} (baseline)", r.protocol)
    } else {
        r.protocol.clone()
    };
    format!(
        "| {name} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
        r.clients,
        r.runs,
        r.violations,
        f(r.confirm_rate.map(|x| x * 100.0), 1),
        r.cancelled_business,
        r.cancelled_fault,
        u(r.latency_p50_ms),
        u(r.latency_p95_ms),
        u(r.latency_p99_ms),
        f(r.messages_per_order, 1),
        f(r.holding_mean_ms, 0),
        u(r.holding_max_ms),
        f(r.in_doubt_mean_ms, 0),
        f(r.compensations_per_order, 2),
        f(r.confirmed_per_sec, 2),
    )
}

/// The Markdown report.
pub fn markdown(report: &Report) -> String {
    let mut s = String::from("# dtx compare\n\n");
    let g = &report.settings;
    let _ = writeln!(s, "```\n{}\n```\n", report.command);
    let _ = writeln!(
        s,
        "{} seeds per cell (the same seeds, so the same orders, in every cell); {} orders per client, {} skus{}. \
Times are simulated milliseconds; latency is placing an order to its outcome; holding is how long \
stock or points were unavailable to other orders because of one order; in doubt is a prepared or \
tried branch waiting for its outcome. Violations count failing seeds{}.",
        g.seeds,
        g.orders_per_client,
        g.skus,
        match (g.lock, g.double_submit) {
            (true, true) => "; under the lock (two workers), every order submitted twice",
            (true, false) => "; under the lock (two workers)",
            (false, true) => "; every order submitted twice",
            (false, false) => "",
        },
        g.baseline
            .as_ref()
            .map(|b| format!(" ({b} is the baseline: its violations are expected)"))
            .unwrap_or_default()
    );
    if report.interrupted {
        s.push_str("\n**Interrupted**: only the cells that finished are shown.\n");
    }
    for preset in &g.faults {
        let _ = writeln!(s, "\n## Faults: {preset}\n");
        s.push_str("| protocol | clients | runs | violations | confirmed % | business cancels | fault cancels | p50 ms | p95 ms | p99 ms | messages / order | holding mean ms | holding max ms | in doubt mean ms | compensations / order | confirmed / s |\n");
        s.push_str("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
        for r in report.rows.iter().filter(|r| r.faults == *preset) {
            s.push_str(&line(r));
            s.push('\n');
        }
        s.push('\n');
        for (name, title) in charts::names(*preset) {
            let _ = writeln!(s, "![{title}]({name})");
        }
    }
    s
}
