//! The lock host: serves takes, releases, deletes and gets from its key store, at the
//! simulated time of each request. A request whose write finds the host down is not answered
//! (the caller times out, as it would against a dead Redis). Its tests drive it under the
//! engine through a worker's side ([`super::client`]), with crashes of the lock host.

use dtx_sim::{Disk, HostCtx, Net};

use super::store::LockStore;
use crate::wire::Msg;

/// Serve the lock.
pub async fn serve(ctx: HostCtx, store: Disk<LockStore>) {
    let net: Net<Msg> = ctx.bind().await;
    loop {
        let req = net.recv().await;
        let now = ctx.now_ms();
        let reply = match &req.body {
            Msg::LockTake {
                order,
                owner,
                lease_ms,
            } => {
                let key = super::key(*order);
                let Ok(taken) = store.write(|s| s.take(&key, owner, *lease_ms, now)) else {
                    continue;
                };
                match taken {
                    Ok((token, expired_while_held)) => {
                        if expired_while_held {
                            ctx.probe(super::EXPIRED_WHILE_HELD);
                        }
                        Msg::LockTaken {
                            order: *order,
                            token,
                        }
                    }
                    Err(holder) => Msg::LockHeld {
                        order: *order,
                        owner: holder,
                    },
                }
            }
            Msg::LockRelease { order, owner } => {
                let key = super::key(*order);
                let Ok(released) = store.write(|s| s.release(&key, owner, now)) else {
                    continue;
                };
                Msg::LockReleased {
                    order: *order,
                    released,
                }
            }
            Msg::LockDelete { order, by } => {
                let key = super::key(*order);
                let Ok(released) = store.write(|s| s.delete(&key, by, now)) else {
                    continue;
                };
                Msg::LockReleased {
                    order: *order,
                    released,
                }
            }
            Msg::LockGet { order } => {
                let holding = store.read(|s| s.get(&super::key(*order), now));
                let (owner, token) = holding.unzip();
                Msg::LockIs {
                    order: *order,
                    owner,
                    token,
                }
            }
            _ => continue,
        };
        net.reply(&req, &reply);
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;
    use std::time::Duration;

    use dtx_invariants::LedgerEvent as L;
    use dtx_sim::{
        run, CallPolicy, Effect, End, Fault, HostSet, Plan, RunReport, Scenario, Seed, Side,
        SimConfig, Start, Topology, Violation,
    };

    use super::*;
    use crate::journal::Journal;
    use crate::knobs::Knobs;
    use crate::lock::client::{release, take, Take};
    use crate::lock::{BUG_NO_EXPIRY, BUG_RELEASE_NOT_OWNER, EXPIRED_WHILE_HELD, HOST, LEASE_MS};

    /// One step of a worker's script, on order 1.
    #[derive(Clone)]
    enum S {
        Take(&'static str),
        Release(&'static str),
        Get,
        Sleep(u64),
    }

    /// The lock host and one client host playing `script` under `knobs`.
    #[derive(Default)]
    struct Scripted {
        script: Vec<S>,
        knobs: Knobs,
        /// What each take and get was answered.
        said: Rc<RefCell<Vec<String>>>,
        journal: Option<Journal>,
    }

    impl Scenario for Scripted {
        fn topology(&self) -> Topology {
            Topology {
                servers: vec![HOST.into()],
                clients: vec!["worker".into()],
                ..Topology::default()
            }
        }

        fn build(&mut self, hosts: &mut HostSet<'_>) {
            let journal = Journal::new(hosts.clock());
            let store = hosts.disk(HOST, LockStore::new(journal.clone()));
            self.journal = Some(journal);
            hosts.server(HOST, move |ctx| serve(ctx, store.clone()));
            let (script, knobs, said) = (self.script.clone(), self.knobs, self.said.clone());
            hosts.client("worker", move |ctx| async move {
                let net: Net<Msg> = ctx.bind().await;
                for step in script {
                    let answer = match step {
                        S::Take(owner) => match take(&net, 1, owner, knobs).await {
                            Take::Taken(token) => format!("taken #{token}"),
                            Take::Held(owner) => format!("held by {owner}"),
                            Take::Unreachable => "unreachable".to_string(),
                        },
                        S::Get => {
                            let get = Msg::LockGet { order: 1 };
                            match net.call(HOST, &get, &CallPolicy::once(1_000)).await {
                                Ok(Msg::LockIs {
                                    owner: Some(o),
                                    token: Some(t),
                                    ..
                                }) => format!("is {o} #{t}"),
                                other => format!("{other:?}"),
                            }
                        }
                        S::Release(owner) => {
                            release(&net, 1, owner, knobs).await;
                            continue;
                        }
                        S::Sleep(ms) => {
                            ctx.sleep(Duration::from_millis(ms)).await;
                            continue;
                        }
                    };
                    said.borrow_mut().push(answer);
                }
            });
        }

        fn check(&self, _end: &End) -> Vec<Violation> {
            Vec::new()
        }
    }

    /// Play `script` under `knobs` with `faults`: what was said, the ledger (in short), the
    /// report.
    fn play(
        script: Vec<S>,
        knobs: Knobs,
        faults: Vec<Fault>,
    ) -> (Vec<String>, Vec<String>, RunReport) {
        let mut s = Scripted {
            script,
            knobs,
            ..Scripted::default()
        };
        let mut plan = Plan::calm(Seed(1), 10_000);
        plan.faults = faults;
        let r = run(&mut s, Start::Plan(plan), &SimConfig::default()).unwrap();
        assert!(r.report.is_clean(), "{:?}", r.report.violations);
        let journal = s.journal.unwrap();
        let ledger = journal
            .entries()
            .iter()
            .map(|(_, e)| match e {
                L::LockTaken {
                    owner,
                    token,
                    expires_at_ms,
                    ..
                } => {
                    format!("take {owner} #{token} lease {}", expires_at_ms.is_some())
                }
                L::LockReleased {
                    by, owner, token, ..
                } => format!("del by {by} of {owner} #{token}"),
                other => format!("{other}"),
            })
            .collect();
        let said = s.said.borrow().clone();
        (said, ledger, r.report)
    }

    #[test]
    fn a_lock_is_taken_refused_released_and_taken_again() {
        let script = vec![
            S::Take("w1"),
            S::Get,
            S::Take("w2"),
            S::Release("w2"),
            S::Release("w1"),
            S::Get,
            S::Take("w2"),
        ];
        let (said, ledger, _) = play(script, Knobs::NONE, vec![]);
        let free = "Ok(LockIs { order: 1, owner: None, token: None })";
        assert_eq!(
            said,
            ["taken #1", "is w1 #1", "held by w1", free, "taken #2"]
        );
        let taken = [
            "take w1 #1 lease true",
            "del by w1 of w1 #1",
            "take w2 #2 lease true",
        ];
        assert_eq!(ledger, taken);
    }

    #[test]
    fn a_lease_runs_out_and_the_next_take_replaces_it() {
        let script = vec![S::Take("w1"), S::Sleep(LEASE_MS), S::Get, S::Take("w2")];
        let (said, _, report) = play(script, Knobs::NONE, vec![]);
        let free = "Ok(LockIs { order: 1, owner: None, token: None })";
        assert_eq!(said, ["taken #1", free, "taken #2"]);
        assert_eq!(report.probes.get(EXPIRED_WHILE_HELD), Some(&1));
    }

    #[test]
    fn without_expiry_the_lock_is_never_free() {
        let script = vec![S::Take("w1"), S::Sleep(5 * LEASE_MS), S::Take("w2"), S::Get];
        let (said, ledger, _) = play(script, Knobs(Some(BUG_NO_EXPIRY)), vec![]);
        assert_eq!(said, ["taken #1", "held by w1", "is w1 #1"]);
        assert_eq!(ledger, ["take w1 #1 lease false"]);
    }

    #[test]
    fn release_not_owner_deletes_another_holders_lock() {
        let script = vec![S::Take("w1"), S::Release("w2"), S::Take("w3")];
        let (said, ledger, _) = play(script, Knobs(Some(BUG_RELEASE_NOT_OWNER)), vec![]);
        assert_eq!(said, ["taken #1", "taken #2"]);
        let taken = [
            "take w1 #1 lease true",
            "del by w2 of w1 #1",
            "take w3 #2 lease true",
        ];
        assert_eq!(ledger, taken);
    }

    /// The lock host dies at its first write (`side`) and is back `down_ms` later.
    fn crash(side: Side, down_ms: u64) -> Vec<Fault> {
        let host = HOST.into();
        let effect = Effect::Boundary { host, nth: 1, side };
        vec![Fault {
            at_ms: 0,
            duration_ms: down_ms,
            effect,
        }]
    }

    #[test]
    fn a_take_whose_answer_died_with_the_host_is_retried_and_keys_and_tokens_survive() {
        // The host dies right after writing w1's take, before answering: w1 hears nothing (a
        // take is asked once), its take again finds its own holding (same token, nothing new
        // reported), w2 finds it held, and after the release the counter goes on from 1.
        let script = vec![
            S::Take("w1"),
            S::Take("w1"),
            S::Take("w2"),
            S::Release("w1"),
            S::Take("w2"),
        ];
        let (said, ledger, report) = play(script, Knobs::NONE, crash(Side::After, 500));
        assert_eq!(report.boundary_crashes.get(HOST), Some(&1), "{report:?}");
        assert_eq!(said, ["unreachable", "taken #1", "held by w1", "taken #2"]);
        let taken = [
            "take w1 #1 lease true",
            "del by w1 of w1 #1",
            "take w2 #2 lease true",
        ];
        assert_eq!(ledger, taken);
    }

    #[test]
    fn a_take_the_host_is_down_for_is_unreachable() {
        // Down right before its first write, back after every attempt gave up.
        let (said, ledger, report) =
            play(vec![S::Take("w1")], Knobs::NONE, crash(Side::Before, 9_000));
        assert_eq!(report.boundary_crashes.get(HOST), Some(&1), "{report:?}");
        assert_eq!(said, ["unreachable"]);
        assert!(ledger.is_empty());
    }
}
