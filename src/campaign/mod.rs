//! Campaigns: many seeds of one or more targets in parallel (one simulation per thread), a
//! seed range or a wall-clock budget, `--shard I/N` for spreading one campaign over machines.
//! Failing seeds are grouped by failure signature, one case file per signature on disk the
//! moment it is met; one combined `report.json`, a capped `summary.md`, JUnit on request.
//! Reports do not depend on `--jobs`, and memory does not grow with the number of seeds.
//!
//! One concept per file: `spec` (what to run), `shard`, `run` (the run loop), `reorder` (seed
//! order), `tally` (aggregates), `signature` and `groups` (failure grouping), `cases` (case
//! files), `out_dir` (`--out` and `--append`), `report`, `summary` (Markdown), `junit`,
//! `stop` (Ctrl-C and SIGTERM).

mod cases;
mod groups;
mod junit;
mod out_dir;
mod reorder;
mod report;
mod run;
mod shard;
mod signature;
mod spec;
mod stop;
mod summary;
mod tally;

pub use cases::CaseFiles;
pub use junit::junit;
pub use out_dir::prepare as prepare_out;
pub use report::{End, Report, Settings, TargetReport};
pub use run::campaign;
pub use shard::Shard;
pub use spec::{default_jobs, Spec};
pub use stop::stop_flag;
pub use summary::markdown as summary_md;
