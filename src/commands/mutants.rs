//! `dtx mutants`: every bug knob run seed after seed until the invariant its catalogue row
//! names fires; seeds and wall time to first detection.

use dtx_sim::{run, Seed, SimConfig, Start};

use crate::exit::{verdict, Outcome};
use crate::registry::{self, Target};

#[derive(clap::Args)]
pub struct Args {
    #[arg(long)]
    json: bool,
    /// Give up on a knob after this many seeds.
    #[arg(long, default_value = "500")]
    max_seeds: u64,
}

#[allow(clippy::disallowed_methods)] // wall time to first detection is what mutants reports
pub fn execute(a: Args) -> Outcome {
    let (json, max_seeds) = (a.json, a.max_seeds);
    let config = SimConfig::default();
    let mut rows = Vec::new();
    for p in registry::protocols() {
        for bug in p.bugs {
            let target = Target {
                protocol: p,
                bug: Some(bug),
            };
            let started = std::time::Instant::now();
            let found = (0..max_seeds).find_map(|s| {
                let r = run(&mut *target.scenario(), Start::Seed(Seed(s)), &config).ok()?;
                r.report
                    .violations
                    .iter()
                    .find(|v| bug.breaks.contains(&v.invariant.as_str()))
                    .map(|v| (s, v.invariant.clone()))
            });
            rows.push(serde_json::json!({
                "protocol": p.name,
                "bug": bug.name,
                "detected": found.is_some(),
                "seeds_to_detection": found.as_ref().map(|(s, _)| s + 1),
                "invariant": found.as_ref().map(|(_, i)| i.clone()),
                "wall_ms": started.elapsed().as_millis() as u64,
                "repro": found.as_ref().map(|(s, _)| target.repro(Seed(*s))),
            }));
        }
    }
    let all = rows.iter().all(|r| r["detected"] == true);
    if json {
        crate::outln!("{}", serde_json::Value::Array(rows));
    } else {
        crate::outln!(
            "{:<16} {:<28} {:>8} {:>9} invariant",
            "protocol",
            "bug",
            "seeds",
            "wall ms"
        );
        for r in &rows {
            crate::outln!(
                "{:<16} {:<28} {:>8} {:>9} {}",
                r["protocol"].as_str().unwrap_or(""),
                r["bug"].as_str().unwrap_or(""),
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
