//! `summary.md`: the campaign report for people and for CI job summaries. It starts with a
//! one-line verdict, lists the failure signatures as a table, folds long parts into
//! `<details>` blocks, caps its rows (saying how many are not shown) and never grows past
//! SUMMARY_CAP bytes, well under GitHub's 1 MiB job-summary limit, however many seeds failed.

use crate::campaign::groups::Group;
use crate::campaign::report::{End, Report, TargetReport, Verdict};

/// The summary never grows past this many bytes.
pub const SUMMARY_CAP: usize = 100 * 1024;
/// Signature rows shown in the open table; further ones go into a `<details>` block.
const ROWS_OPEN: usize = 20;
/// Signature rows shown at all; the rest are only counted (report.json has them all).
const ROWS_MAX: usize = 200;
/// Longest text in a table cell.
const CELL_MAX: usize = 240;

/// The report as Markdown.
pub fn markdown(r: &Report) -> String {
    let mut s = verdict_line(r);
    s.push_str("\n\n");
    s.push_str(&settings_line(r));
    let rows: Vec<(&TargetReport, &Group)> = r
        .targets
        .iter()
        .flat_map(|t| t.signatures.iter().map(move |g| (t, g)))
        .collect();
    if !rows.is_empty() {
        s.push_str("\n## Failures by signature\n\n");
        let table = |rows: &[(&TargetReport, &Group)]| {
            let mut t = String::from(
                "| target | signature | failing seeds | first seed | case file | reproduce | shrink |\n|---|---|---:|---|---|---|---|\n",
            );
            for (target, g) in rows {
                t.push_str(&row(target, g));
            }
            t
        };
        let open = rows.len().min(ROWS_OPEN);
        s.push_str(&table(&rows[..open]));
        let shown = rows.len().min(ROWS_MAX);
        if shown > open {
            s.push_str(&format!(
                "\n<details><summary>{} more signatures</summary>\n\n{}\n</details>\n",
                shown - open,
                table(&rows[open..shown])
            ));
        }
        if rows.len() > shown {
            s.push_str(&format!(
                "\n{} more signatures not shown; report.json lists them all.\n",
                rows.len() - shown
            ));
        }
        s.push_str(
            "\nEach signature keeps one case file (its lowest failing seed): `dtx replay FILE` re-runs it.\n",
        );
    }
    if let Some(e) = &r.earlier {
        s.push_str(&format!(
            "\nThe output directory already held {}{} case file(s) from earlier campaigns; they are kept and not counted here.\n",
            if e.report { "a report.json (replaced) and " } else { "" },
            e.case_files.len()
        ));
    }
    s.push_str("\n## Targets\n");
    for t in &r.targets {
        s.push_str(&target_details(t));
    }
    s.push_str(&format!(
        "\n{:.0} seeds/s on {} threads, {:.1} wall s.\n",
        r.wall.seeds_per_sec, r.wall.jobs, r.wall.secs
    ));
    cap(s)
}

/// `**FAIL** — 2pc: 3 failing seeds in 2 signatures of 1,000 runs`.
pub fn verdict_line(r: &Report) -> String {
    let runs = format!("{} runs", thousands(r.totals.runs));
    let of = if r.targets.len() == 1 {
        r.targets[0].name()
    } else {
        format!("{} targets", r.targets.len())
    };
    let mut line = match r.verdict {
        Verdict::Fail => {
            let failing: Vec<String> = r
                .targets
                .iter()
                .filter(|t| t.failed > 0)
                .map(|t| {
                    format!(
                        "{}: {} in {}",
                        t.name(),
                        plural(t.failed, "failing seed"),
                        plural(t.signatures.len() as u64, "signature")
                    )
                })
                .collect();
            let shown = failing.len().min(5);
            let mut text = failing[..shown].join(", ");
            if failing.len() > shown {
                text.push_str(&format!(" and {} more", failing.len() - shown));
            }
            if r.targets.len() == 1 {
                format!("**FAIL** — {text} of {runs}")
            } else {
                format!("**FAIL** — {text}; {runs} of {of}")
            }
        }
        _ => format!("**PASS** — no failing seed in {runs} of {of}"),
    };
    match r.end {
        End::Interrupted => line.push_str(" (interrupted)"),
        End::MaxFailures => line.push_str(" (stopped at --max-failures)"),
        _ => {}
    }
    line
}

fn settings_line(r: &Report) -> String {
    let st = &r.settings;
    let mut s = format!(
        "Campaign `--protocol {}`{}, shard {}, seeds from {} ({}).",
        st.protocol,
        st.bug
            .as_ref()
            .map(|b| format!(" `--bug {b}`"))
            .unwrap_or_default(),
        st.shard,
        st.start,
        match (st.seeds, &st.duration) {
            (Some(n), Some(d)) => format!("{} in range, budget {d}", thousands(n)),
            (Some(n), None) => format!("{} in range", thousands(n)),
            (None, Some(d)) => format!("budget {d}"),
            (None, None) => "unbounded".into(),
        }
    );
    if let Some(why) = &r.stopped {
        s.push_str(&format!(" Ended early: {why}."));
    }
    s.push('\n');
    s
}

fn row(t: &TargetReport, g: &Group) -> String {
    let mut sig = cell(&g.signature);
    if let Some(sh) = &g.shrunk {
        sig.push_str(&format!(
            " (shrunk: {}→{} faults)",
            sh.faults_before, sh.faults_after
        ));
    }
    format!(
        "| {} | {} | {} | `{}` | {} | `{}` | `{}` |\n",
        cell(&t.name()),
        sig,
        thousands(g.count),
        g.first_seed(),
        g.case
            .as_deref()
            .map(|c| format!("`{}`", cell(c)))
            .unwrap_or_else(|| "—".into()),
        cell(&g.repro),
        cell(&g.shrink),
    )
}

fn target_details(t: &TargetReport) -> String {
    let mut s = format!(
        "\n<details><summary>{}: {} — {} runs, {} failed, {}; campaign hash {}</summary>\n\n",
        t.name(),
        match t.verdict {
            Verdict::Pass => "pass",
            Verdict::Fail => "FAIL",
            Verdict::NotRun => "not run",
        },
        thousands(t.runs),
        thousands(t.failed),
        match t.end {
            End::Range => "range done",
            End::Budget => "budget ran out",
            End::MaxFailures => "stopped at --max-failures",
            End::Interrupted => "interrupted",
            End::NotRun => "not started",
        },
        t.campaign_hash
    );
    if !t.violations_by_invariant.is_empty() {
        s.push_str("| invariant | seeds violating |\n|---|---:|\n");
        for (k, n) in &t.violations_by_invariant {
            s.push_str(&format!("| {k} | {n} |\n"));
        }
        s.push('\n');
    }
    s.push_str(&format!(
        "Probes reached: {} of {}. Crash points hit: {} of {}.\n",
        t.probes.len() - t.probes_never_reached.len(),
        t.probes.len(),
        t.crash_points.len() - t.crash_points_never_hit.len(),
        t.crash_points.len()
    ));
    if !t.probes_never_reached.is_empty() {
        s.push_str(&format!(
            "Blind spots (probes never reached): {}.\n",
            cell(&t.probes_never_reached.join(", "))
        ));
    }
    if !t.crash_points_never_hit.is_empty() {
        s.push_str(&format!(
            "Crash points never hit: {}.\n",
            cell(&t.crash_points_never_hit.join(", "))
        ));
    }
    s.push('\n');
    s.push_str(&t.coverage.markdown(t.runs));
    s.push_str("\n</details>\n");
    s
}

/// Text fit for one table cell: no pipes or newlines, at most CELL_MAX characters.
fn cell(text: &str) -> String {
    let mut s: String = text
        .chars()
        .take(CELL_MAX)
        .map(|c| if c == '\n' { ' ' } else { c })
        .collect();
    if text.chars().count() > CELL_MAX {
        s.push('…');
    }
    s.replace('|', "\\|")
}

/// Cut the summary to SUMMARY_CAP bytes at a line end, closing open `<details>`.
fn cap(mut s: String) -> String {
    const NOTE: &str =
        "\n…summary cut here to stay under its size cap; report.json has everything.\n";
    if s.len() <= SUMMARY_CAP {
        return s;
    }
    let mut end = SUMMARY_CAP - NOTE.len() - 64;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    let end = s[..end].rfind('\n').map_or(end, |i| i + 1);
    s.truncate(end);
    let open = s
        .matches("<details>")
        .count()
        .saturating_sub(s.matches("</details>").count());
    s.push_str(NOTE);
    for _ in 0..open.min(4) {
        s.push_str("\n</details>\n");
    }
    s
}

/// `1,000`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut s = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            s.push(',');
        }
        s.push(c);
    }
    s
}

/// `1 signature`, `2 signatures`.
fn plural(n: u64, what: &str) -> String {
    format!("{} {what}{}", thousands(n), if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::campaign::report::Settings;
    use crate::campaign::tally::Tally;
    use crate::registry::Target;
    use dtx_sim::Seed;

    /// Six targets with 5,000 signatures each, long details, millions of failing seeds.
    fn huge_report() -> Report {
        let target = Target::find("demo-transfer", Some("demo-no-idempotency")).unwrap();
        let groups: Vec<Group> = (0..5000u64)
            .map(|i| Group {
                signature: format!("demo--inv-{i}--{}", "E".repeat(60)),
                invariant: format!("inv-{i}"),
                event: "E".repeat(60),
                count: 1000,
                seeds: (0..10).map(|k| Seed(i * 1000 + k)).collect(),
                seeds_not_listed: 990,
                detail: "detail | with pipes\n".repeat(100),
                invariants: vec![format!("inv-{i}")],
                case: Some(format!("failures/demo--inv-{i}.json")),
                case_from_earlier: false,
                repro: target.repro(Seed(i * 1000)),
                shrink: target.shrink_line(Seed(i * 1000)),
                shrunk: None,
            })
            .collect();
        let mut t = TargetReport::new(&target, End::Range, Tally::new(&target), groups);
        t.runs = 10_000_000;
        t.failed = 5_000_000;
        let settings = Settings {
            protocol: "all".into(),
            bug: None,
            start: Seed(0),
            seeds: Some(10_000_000),
            duration: None,
            shard: "0/1".into(),
            max_failures: None,
            shrink: false,
            append: false,
            shape: Default::default(),
            faults: Default::default(),
        };
        Report::new(settings, vec![t; 6], None, 1.0, 2)
    }

    #[test]
    fn a_huge_campaign_summary_starts_with_its_verdict_and_holds_the_cap() {
        let md = markdown(&huge_report());
        assert!(md.len() <= SUMMARY_CAP, "{} bytes", md.len());
        let first = md.lines().next().unwrap();
        assert!(first.starts_with("**FAIL** — demo-transfer --bug demo-no-idempotency: 5,000,000 failing seeds in 5,000 signatures"), "{first}");
        assert!(first.ends_with("60,000,000 runs of 6 targets"), "{first}");
        assert!(md.contains("more signatures not shown; report.json lists them all"));
        assert!(md.contains("<details><summary>"));
        assert_eq!(
            md.matches("<details>").count(),
            md.matches("</details>").count()
        );
    }

    #[test]
    fn numbers_get_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }

    #[test]
    fn the_cap_holds_and_closes_details() {
        let long = format!("<details>\n{}", "x".repeat(80) + "\n").repeat(3000);
        let out = cap(long);
        assert!(out.len() <= SUMMARY_CAP, "{}", out.len());
        assert!(out.contains("summary cut here"));
        assert!(out.ends_with("</details>\n"));
    }

    #[test]
    fn cells_lose_pipes_and_newlines_and_length() {
        assert_eq!(cell("a|b\nc"), "a\\|b c");
        assert!(cell(&"y".repeat(1000)).chars().count() <= CELL_MAX + 1);
    }
}
