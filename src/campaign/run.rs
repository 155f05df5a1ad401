//! The run loop of one target's campaign: worker threads take seeds in turn and run one
//! simulation each; the collector saves each failing seed's case file as it arrives, then
//! folds outcomes into the aggregates strictly in seed order (through the reorder buffer), so
//! the report, the case files and the `--max-failures` cut do not depend on `--jobs`. Ends
//! when the range is done, the budget runs out, enough failures are found, or the stop flag
//! (Ctrl-C, SIGTERM) is set; the seeds under way always finish.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use dtx_sim::{run, SimConfig, Start};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::campaign::cases::CaseFiles;
use crate::campaign::groups::{Group, Groups, Shrunk};
use crate::campaign::reorder::Reorder;
use crate::campaign::report::{End, TargetReport};
use crate::campaign::signature::Signature;
use crate::campaign::tally::{Outcome, Tally};
use crate::campaign::Spec;
use crate::coverage::RunCoverage;

/// A target's finished campaign.
#[derive(Debug)]
pub struct Finished {
    pub report: TargetReport,
    /// Wall-clock seconds it took (the only figure that differs between equal campaigns).
    pub wall_secs: f64,
}

/// Why workers stop taking seeds.
#[derive(Default)]
struct Flags {
    /// The budget ran out.
    out_of_time: AtomicBool,
    /// A worker found the end of the range.
    exhausted: AtomicBool,
    /// The collector wants no more seeds (enough failures, or it cannot write).
    halt: AtomicBool,
}

/// Run one target's campaign. `stop` ends it early (Ctrl-C, SIGTERM); `cases` is where the
/// failures go (shared by the targets of one campaign).
#[allow(clippy::disallowed_methods)] // wall clock for the budget and the figures, not the sims
pub fn campaign(
    spec: &Spec,
    config: &SimConfig,
    stop: &AtomicBool,
    cases: &mut CaseFiles,
) -> std::io::Result<Finished> {
    let started = Instant::now();
    let deadline = spec.duration.map(|d| started + d);
    let bar = progress_bar(spec);
    let next = AtomicU64::new(0);
    let flags = Flags::default();
    let (tx, rx) = mpsc::channel::<(u64, Outcome)>();
    let mut collector = Collector {
        spec,
        config,
        cases,
        tally: Tally::new(&spec.target),
        groups: Groups::default(),
        reorder: Reorder::default(),
        cut: false,
        bar: &bar,
    };
    let mut io_error = None;
    std::thread::scope(|scope| {
        for _ in 0..spec.jobs.max(1) {
            let tx = tx.clone();
            let (next, flags) = (&next, &flags);
            scope.spawn(move || loop {
                if stop.load(Ordering::SeqCst)
                    || flags.halt.load(Ordering::SeqCst)
                    || flags.out_of_time.load(Ordering::SeqCst)
                {
                    break;
                }
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    flags.out_of_time.store(true, Ordering::SeqCst);
                    break;
                }
                let k = next.fetch_add(1, Ordering::SeqCst);
                let Some(seed) = spec.seed(k) else {
                    flags.exhausted.store(true, Ordering::SeqCst);
                    break;
                };
                let r = run(&mut *spec.target.scenario(), Start::Seed(seed), config)
                    .expect("generated plans fit");
                let failed = !r.report.violations.is_empty();
                let outcome = Outcome {
                    coverage: RunCoverage::of(&r.report),
                    seed: r.report.seed,
                    trace_hash: r.report.trace_hash,
                    violations: r.report.violations,
                    probes: r.report.probes,
                    died_at: r.report.died_at,
                    sim_ms: r.report.stats.sim_ms,
                    metrics: r.report.metrics,
                    plan: failed.then_some(r.plan),
                };
                if tx.send((k, outcome)).is_err() {
                    break;
                }
            });
        }
        drop(tx);
        for (k, outcome) in rx {
            if let Err(e) = collector.arrived(k, outcome) {
                flags.halt.store(true, Ordering::SeqCst);
                io_error.get_or_insert(e);
            }
            if collector.cut {
                flags.halt.store(true, Ordering::SeqCst);
            }
        }
    });
    bar.finish_and_clear();
    if let Some(e) = io_error {
        return Err(e);
    }
    let Collector {
        tally,
        groups,
        cut,
        cases,
        ..
    } = collector;
    cases.drop_unreported(|s| groups.contains(s))?;
    let end = if cut {
        End::MaxFailures
    } else if flags.exhausted.load(Ordering::SeqCst) {
        // Every seed of the range was taken, and every seed taken finishes.
        End::Range
    } else if stop.load(Ordering::SeqCst) {
        End::Interrupted
    } else {
        End::Budget
    };
    Ok(Finished {
        report: TargetReport::new(&spec.target, end, tally, groups.into_list()),
        wall_secs: started.elapsed().as_secs_f64(),
    })
}

fn progress_bar(spec: &Spec) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(spec.total(), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {prefix} [{bar:30}] {pos}/{len} seeds {per_sec} {msg}",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar.set_prefix(spec.target.to_string());
    bar
}

/// The collector thread's state.
struct Collector<'a> {
    spec: &'a Spec,
    config: &'a SimConfig,
    cases: &'a mut CaseFiles,
    tally: Tally,
    groups: Groups,
    reorder: Reorder<(u64, Outcome)>,
    /// `--max-failures` reached: seeds after the cut are not this campaign's.
    cut: bool,
    bar: &'a ProgressBar,
}

impl Collector<'_> {
    /// Seed number `k` finished: save its case file if it is the lowest of its signature yet,
    /// then fold every outcome that is next in seed order.
    fn arrived(&mut self, k: u64, o: Outcome) -> std::io::Result<()> {
        if self.cut {
            return Ok(());
        }
        if let Some(first) = o.violations.first() {
            let sig = Signature::of(&self.spec.target, first);
            self.cases.offer(&self.spec.target, &sig, &o)?;
        }
        self.reorder.push(k, (k, o));
        while let Some((_, o)) = self.reorder.pop() {
            if self.cut {
                break;
            }
            self.fold(o)?;
        }
        self.bar.set_position(self.tally.runs);
        self.bar
            .set_message(format!("{} failed", self.tally.failed));
        Ok(())
    }

    /// Fold the next seed in order.
    fn fold(&mut self, mut o: Outcome) -> std::io::Result<()> {
        self.tally.add(&o);
        let Some(first) = o.violations.first() else {
            return Ok(());
        };
        let target = &self.spec.target;
        let sig = Signature::of(target, first);
        if self.groups.add(target, &sig, &o) {
            let group = self.groups.get_mut(&sig).expect("just added");
            group.case = self.cases.relative(&sig);
            group.case_from_earlier = self.cases.kept_from_earlier(&sig);
            // The first seed of a signature in seed order is its lowest: its case file is
            // final now, and shrinking it does not depend on --jobs.
            if self.spec.shrink && group.case.is_some() && !group.case_from_earlier {
                if let Some(plan) = o.plan.take() {
                    let faults_before = plan.faults.len();
                    let s = crate::shrink::shrink(target, plan, &sig.invariant, self.config);
                    group.shrunk = Some(Shrunk {
                        faults_before,
                        faults_after: s.plan.faults.len(),
                        items_skipped: s.plan.skip.len(),
                        runs: s.runs,
                    });
                    self.cases.save_shrunk(target, &sig, &o, s.plan)?;
                }
            }
            // With a case file on disk, the next step starts from it, not from the seed. The
            // report names it relative to the report's directory (like `case`), so the report
            // does not depend on where --out is; the terminal line names it from here.
            if let Some(case) = &group.case {
                group.shrink = if group.shrunk.is_some() {
                    format!("shrunk already; look: dtx replay {case} --trace")
                } else {
                    format!("dtx shrink {case} --out {}-shrunk.json", sig.id())
                };
            }
            if self.spec.verbose {
                let path = self.cases.path(&sig);
                let group = &*group;
                self.bar.suspend(|| announce(group, path.as_deref()));
            }
        }
        if self
            .spec
            .max_failures
            .is_some_and(|n| self.tally.failed >= n)
        {
            self.cut = true;
        }
        Ok(())
    }
}

/// A new failure signature, as it is found.
fn announce(g: &Group, path: Option<&std::path::Path>) {
    crate::outln!(
        "FAIL {} (new signature), seed {}: {}",
        g.signature,
        g.first_seed(),
        g.detail
    );
    if let Some(p) = path {
        crate::outln!(
            "  case: {}{}",
            p.display(),
            if g.case_from_earlier {
                " (kept from an earlier campaign)"
            } else {
                ""
            }
        );
    }
    if let Some(s) = &g.shrunk {
        crate::outln!(
            "  shrunk: faults {} -> {}, {} workload items left out ({} runs)",
            s.faults_before,
            s.faults_after,
            s.items_skipped,
            s.runs
        );
    }
    let shrink = match (path, &g.case) {
        (Some(p), Some(case)) => g.shrink.replacen(case, &p.display().to_string(), 1),
        _ => g.shrink.clone(),
    };
    crate::outln!("  reproduce: {}\n  shrink: {shrink}", g.repro);
}
