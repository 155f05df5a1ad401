//! dtx-sim: the deterministic simulation engine of dtxsim. It knows nothing of orders.
//!
//! One `u64` [`Seed`] fully determines a run: it generates the fault [`Plan`] (swarm testing
//! over partitions, one-way partitions, isolation, loss, hold/release, duplication, crashes
//! and named crash points), seeds turmoil and every random stream, and therefore the whole
//! [`Trace`] and its hash.
//!
//! A system under test implements [`Scenario`]: it declares a [`Topology`] and builds its
//! hosts on a [`HostSet`]. Host code talks through [`Net`] (typed messages over simulated UDP,
//! calls with timeouts and retries), keeps durable state on a [`Disk`], and marks crash points
//! and probes through its [`HostCtx`]. [`run`] runs one seed or plan and returns a
//! [`RunReport`]; [`self_check`] runs a seed twice and names the first divergent event.
//!
//! Files, one concept each: `seed` (seeds and streams), `hash` (the stable trace hash), `trace`
//! (events), `focus` (what a rendering shows: a filter, violations in place), `timeline` (the
//! text timeline), `mermaid` (sequence diagrams), `fold` (diagrams to size), `plan` (faults),
//! `swarm` (plan generation), `links` (link fault state), `link_faults` (link faults over a
//! run), `crash_point` (named crash points), `boundary` (crashes at durable writes), `bite`
//! (which faults had an effect), `engine` (shared run state), `host` (what host code sees, the
//! pause gate), `envelope` (wire format), `net` (message layer), `wire` (datagrams on their
//! way, redelivered at restart), `call` (retry policy), `disk` (durable state), `panic` (panic
//! capture), `scenario` (the contract), `config` (tick and windows), `inject` (starting and
//! ending faults), `quiescence` (when a run has settled), `runner` (one run), `report` (its
//! results), `selfcheck` (determinism).

mod bite;
mod boundary;
mod call;
mod config;
mod crash_point;
mod disk;
mod engine;
mod envelope;
mod focus;
mod fold;
mod hash;
mod host;
mod inject;
mod link_faults;
mod links;
pub mod mermaid;
mod metrics;
mod net;
mod panic;
mod plan;
mod quiescence;
mod report;
mod runner;
mod scenario;
mod seed;
mod selfcheck;
#[cfg(feature = "proptest")]
pub mod strategy;
pub mod swarm;
pub mod timeline;
mod trace;
mod wire;

pub use bite::{every_kind, FaultTally};
pub use boundary::{ordinal, Side};
pub use call::{CallError, CallPolicy};
pub use config::{FaultPreset, SimConfig};
pub use disk::{Disk, Durable, HostDown};
pub use envelope::{Kind, Message};
pub use focus::{select, Focus, Shown};
pub use hash::Fnv64;
pub use host::HostCtx;
pub use metrics::Metrics;
pub use net::{Incoming, Net, PORT, STALE_REPLY_IGNORED};
pub use plan::{Effect, Fault, FaultKind, Plan, PlanError};
pub use report::{engine_invariants, RunReport, Stats, Violation};
pub use runner::{run, Run, Start};
pub use scenario::{Clock, End, HostSet, Scenario, Topology};
pub use seed::{Seed, SeedParseError, Streams};
pub use selfcheck::{first_difference, self_check, Divergence};
pub use trace::{DropReason, Event, EventKind, HostId, Trace};
