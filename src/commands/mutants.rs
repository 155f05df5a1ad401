//! `dtx mutants`: every bug knob run seed after seed until an invariant its catalogue row
//! names fires; seeds and wall time to first detection. Exit 0 when every knob was caught.

use dtx_sim::{run, Seed, SimConfig, Start};

use super::count::at_least_one;
use crate::exit::{verdict, Outcome};
use crate::registry::{self, Target};

/// The schema of `dtx mutants --json`.
const SCHEMA: &str = "dtx.mutants/1";

/// What the command does (`--help`).
pub const LONG_ABOUT: &str =
    "Mutation testing of the checkers: turn on each bug knob of each protocol in \
turn and run seeds 0, 1, 2, … until an invariant the knob's catalogue row names is violated. \
Prints, per knob, the seeds and wall time to first detection and the line that reproduces it; \
a knob not caught within --max-seeds is MISSED.";

/// The help text after the arguments (`--help`).
pub const EXAMPLES: &str = "\
Examples:
  dtx mutants
  dtx mutants --max-seeds 50
  dtx mutants --json | jq '.knobs[] | select(.detected | not)'

Exit codes: 0 every knob was caught, 1 some knob was missed, 2 bad input.
Catalogue rows #N: see docs/catalogue.md.";

#[derive(clap::Args)]
pub struct Args {
    /// Print one JSON object ({"schema": "dtx.mutants/1", "knobs": [...]}) instead of a table.
    #[arg(long)]
    json: bool,
    /// Give up on a knob after this many seeds (at least 1).
    #[arg(long, value_name = "N", default_value = "500",
          value_parser = at_least_one::<u64>)]
    max_seeds: u64,
}

#[allow(clippy::disallowed_methods)] // wall time to first detection is what mutants reports
pub fn execute(a: Args) -> Outcome {
    let (json, max_seeds) = (a.json, a.max_seeds);
    let config = SimConfig::default();
    let mut rows = Vec::new();
    for p in registry::protocols() {
        for bug in p.bugs() {
            let target = Target::new(p, Some(bug));
            let started = std::time::Instant::now();
            let found = (0..max_seeds).find_map(|s| {
                let r = run(&mut *target.scenario(), Start::Seed(Seed(s)), &config).ok()?;
                r.report
                    .violations
                    .iter()
                    .find(|v| bug.breaks.contains(&v.invariant.as_str()))
                    .map(|v| (Seed(s), v.invariant.clone()))
            });
            rows.push(serde_json::json!({
                "protocol": p.name,
                "bug": bug.name,
                "rows": bug.rows,
                "detected": found.is_some(),
                "seeds_to_detection": found.as_ref().map(|(s, _)| s.0 + 1),
                "seed": found.as_ref().map(|(s, _)| s.to_string()),
                "invariant": found.as_ref().map(|(_, i)| i.clone()),
                "wall_ms": started.elapsed().as_millis() as u64,
                "repro": found.as_ref().map(|(s, _)| target.repro(*s)),
            }));
        }
    }
    let all = rows.iter().all(|r| r["detected"] == true);
    if json {
        crate::outln!(
            "{}",
            serde_json::json!({ "schema": SCHEMA, "max_seeds": max_seeds, "knobs": rows })
        );
    } else {
        crate::outln!(
            "{:<16} {:<36} {:<8} {:>8} {:>9} invariant",
            "protocol",
            "bug",
            "rows",
            "seeds",
            "wall ms"
        );
        for r in &rows {
            let rows: Vec<String> = r["rows"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|n| format!("#{n}"))
                .collect();
            crate::outln!(
                "{:<16} {:<36} {:<8} {:>8} {:>9} {}",
                r["protocol"].as_str().unwrap_or(""),
                r["bug"].as_str().unwrap_or(""),
                if rows.is_empty() {
                    "-".to_string()
                } else {
                    rows.join(",")
                },
                r["seeds_to_detection"]
                    .as_u64()
                    .map_or("MISSED".to_string(), |n| n.to_string()),
                r["wall_ms"],
                r["invariant"].as_str().unwrap_or("-")
            );
        }
    }
    Ok(verdict(all))
}
