//! `dtx compare`: the same seeds — the same orders and the same fault plans — through several
//! protocols, for several numbers of concurrent clients and fault presets, and their business
//! metrics side by side.
//!
//! One concept per file: `grid` (what to run: protocols × clients × presets, and the command
//! that asks for it), `run` (each cell through the campaign run loop, in order), `row` (one
//! cell's figures from its aggregated metrics), `report` (compare.json), `markdown`
//! (compare.md), `charts` (the SVGs).

mod charts;
mod grid;
mod markdown;
mod report;
mod row;
mod run;

pub use grid::Grid;
pub use markdown::markdown;
pub use run::run;
