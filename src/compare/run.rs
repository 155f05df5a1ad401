//! Running a comparison: each cell of the grid in turn through the campaign run loop (worker
//! threads, outcomes folded strictly in seed order, a progress bar on a terminal), so every
//! figure is the same whatever `--jobs` is. Failing seeds are counted, not saved: a
//! comparison measures, `dtx campaign` hunts. The stop flag (Ctrl-C, SIGTERM) ends it after
//! the seeds under way; the cell it cut short is left out.

use std::sync::atomic::AtomicBool;

use crate::campaign::{self, CaseFiles, End, Shard, Spec};

use super::grid::Grid;
use super::report::{Report, Wall};
use super::row::Row;

/// Run every cell of `grid` on `jobs` threads (until `stop` is set).
pub fn run(grid: &Grid, jobs: usize, stop: &AtomicBool) -> std::io::Result<Report> {
    let mut rows = Vec::new();
    let mut wall = 0.0;
    let mut interrupted = false;
    for (target, clients, faults) in grid.cells() {
        let spec = Spec {
            target,
            start: grid.start,
            seeds: Some(grid.seeds),
            duration: None,
            jobs,
            shard: Shard::ALL,
            verbose: false,
            shrink: false,
            max_failures: None,
        };
        let mut cases = CaseFiles::new(None, Default::default())?;
        let f = campaign::campaign(&spec, &target.config(), stop, &mut cases)?;
        wall += f.wall_secs;
        if f.report.end == End::Interrupted {
            interrupted = true;
            break;
        }
        let baseline = grid.baseline.as_deref() == Some(target.protocol.name);
        rows.push(Row::of(&f.report, baseline, clients, faults));
    }
    Ok(Report {
        schema: super::report::SCHEMA,
        command: grid.command(),
        interrupted,
        settings: grid.clone(),
        rows,
        wall: Wall { secs: wall, jobs },
    })
}
