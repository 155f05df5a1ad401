//! The comparison's report, `compare.json` (`"schema": "dtx.compare/1"`): the grid it ran
//! and the command that runs it again, whether it was interrupted, one row per protocol ×
//! clients × preset finished, and the wall-clock figures (the only part that differs between
//! equal comparisons, kept under `wall`).

use std::path::Path;

use serde::Serialize;

use super::grid::Grid;
use super::row::Row;

/// The schema name of a comparison report.
pub const SCHEMA: &str = "dtx.compare/1";

/// Wall-clock figures.
#[derive(Clone, Debug, Serialize)]
pub struct Wall {
    pub secs: f64,
    pub jobs: usize,
}

/// The comparison report.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub schema: &'static str,
    pub command: String,
    /// Stopped by Ctrl-C or SIGTERM: the rows are the cells that finished.
    pub interrupted: bool,
    pub settings: Grid,
    pub rows: Vec<Row>,
    pub wall: Wall,
}

impl Report {
    /// Write compare.json, compare.md and the charts into `out`; the file names written.
    pub fn write(&self, out: &Path) -> std::io::Result<Vec<String>> {
        std::fs::create_dir_all(out)?;
        let json = serde_json::to_string_pretty(self).expect("reports serialize");
        std::fs::write(out.join("compare.json"), json + "\n")?;
        std::fs::write(out.join("compare.md"), super::markdown::markdown(self))?;
        let mut written = vec!["compare.json".to_string(), "compare.md".to_string()];
        for (name, svg) in super::charts::charts(self) {
            std::fs::write(out.join(&name), svg)?;
            written.push(name);
        }
        Ok(written)
    }
}
