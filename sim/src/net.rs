//! The message layer: typed messages in envelopes over `turmoil::net` UDP, one socket per
//! host, a receive loop that applies the link faults, and request/response calls with
//! timeouts and bounded retries that services use instead of writing their own loops.
//!
//! Never TCP: turmoil's TCP has no retransmission, so one lost segment would hang a
//! connection forever.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::rc::Rc;
use std::time::Duration;

use rand::Rng;
use tokio::sync::{mpsc, oneshot, Mutex};
use turmoil::net::UdpSocket;

use crate::call::{CallError, CallPolicy};
use crate::engine::Arrival;
use crate::envelope::{decode_body, decode_header, encode, Header, Kind, Message};
use crate::host::HostCtx;
use crate::trace::{DropReason, EventKind, HostId};

/// The UDP port every host's message layer binds.
pub const PORT: u16 = 7000;

/// A request or one-way message that reached this host.
#[derive(Debug, Clone)]
pub struct Incoming<M> {
    /// Who sent it.
    pub from: HostId,
    /// The caller's call id (0 for one-way messages).
    pub call: u64,
    /// Request (answer it with [`Net::reply`]) or one-way.
    pub kind: Kind,
    /// The message.
    pub body: M,
}

/// A host's endpoint on the simulated network. Bind it once per incarnation.
pub struct Net<M: Message> {
    inner: Rc<Inner<M>>,
}

impl<M: Message> Clone for Net<M> {
    fn clone(&self) -> Self {
        Net {
            inner: self.inner.clone(),
        }
    }
}

struct Inner<M> {
    ctx: HostCtx,
    socket: UdpSocket,
    pending: RefCell<BTreeMap<u64, oneshot::Sender<M>>>,
    requests_tx: mpsc::UnboundedSender<Incoming<M>>,
    requests_rx: Mutex<mpsc::UnboundedReceiver<Incoming<M>>>,
    next_call: Cell<u64>,
}

impl HostCtx {
    /// Bind this host's message endpoint and start its receive loop.
    pub async fn bind<M: Message>(&self) -> Net<M> {
        let socket = UdpSocket::bind(SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), PORT))
            .await
            .unwrap_or_else(|e| {
                panic!("host {} could not bind its message port: {e}", self.name())
            });
        let (requests_tx, requests_rx) = mpsc::unbounded_channel();
        let inner = Rc::new(Inner {
            ctx: self.clone(),
            socket,
            pending: RefCell::new(BTreeMap::new()),
            requests_tx,
            requests_rx: Mutex::new(requests_rx),
            next_call: Cell::new(1),
        });
        self.spawn(receive_loop(inner.clone()));
        Net { inner }
    }
}

impl<M: Message> Net<M> {
    /// The host this endpoint belongs to.
    pub fn ctx(&self) -> &HostCtx {
        &self.inner.ctx
    }

    /// The next request or one-way message for this host. Meant for one server loop.
    pub async fn recv(&self) -> Incoming<M> {
        let mut rx = self.inner.requests_rx.lock().await;
        match rx.recv().await {
            Some(m) => m,
            // The sender lives in `inner`, which we hold: the channel cannot close.
            None => std::future::pending().await,
        }
    }

    /// Send a one-way message.
    pub fn send(&self, to: &str, body: &M) -> Result<(), CallError> {
        let to = self.resolve(to)?;
        self.transmit(to, 0, Kind::OneWay, body);
        Ok(())
    }

    /// Answer a request. A one-way message has nobody waiting: answering it sends nothing.
    pub fn reply(&self, request: &Incoming<M>, body: &M) {
        if request.kind != Kind::OneWay {
            self.transmit(request.from, request.call, Kind::Response, body);
        }
    }

    /// Call `to` and wait for its response, retrying per `policy`. Every attempt carries the
    /// same call id, so a late response to any attempt answers the call; the callee may see
    /// the request more than once and must be idempotent where that matters.
    pub async fn call(&self, to: &str, body: &M, policy: &CallPolicy) -> Result<M, CallError> {
        let to_id = self.resolve(to)?;
        let call = (u64::from(self.inner.ctx.incarnation()) << 40) | self.inner.next_call.get();
        self.inner.next_call.set(self.inner.next_call.get() + 1);
        let (tx, mut rx) = oneshot::channel();
        self.inner.pending.borrow_mut().insert(call, tx);
        let _forget = Forget {
            pending: &self.inner.pending,
            call,
        };
        let host = self.inner.ctx.engine.host(self.inner.ctx.id).clone();
        let _under_way = UnderWay::new(&host.calls);
        let attempts = policy.attempts.max(1);
        for attempt in 0..attempts {
            self.transmit(to_id, call, Kind::Request, body);
            let wait = Duration::from_millis(policy.timeout_ms);
            // Replies reach a paused host only once it resumes (the receive loop waits), and
            // a timeout that expires during a pause is acted on only after it.
            let answered = tokio::time::timeout(wait, &mut rx).await;
            host.gate().await;
            if let Ok(Ok(resp)) = answered {
                return Ok(resp);
            }
            if attempt + 1 < attempts {
                let base = policy.backoff(attempt);
                let jitter = self.inner.ctx.random(|r| r.random_range(0..=base / 2));
                let pause = Duration::from_millis(base + jitter);
                let answered = tokio::time::timeout(pause, &mut rx).await;
                host.gate().await;
                if let Ok(Ok(resp)) = answered {
                    return Ok(resp);
                }
            }
        }
        Err(CallError::Timeout {
            to: to.to_string(),
            attempts,
        })
    }

    fn resolve(&self, name: &str) -> Result<HostId, CallError> {
        self.inner
            .ctx
            .host_id(name)
            .ok_or_else(|| CallError::UnknownHost(name.to_string()))
    }

    fn transmit(&self, to: HostId, call: u64, kind: Kind, body: &M) {
        let ctx = &self.inner.ctx;
        let engine = &ctx.engine;
        let label = match kind {
            Kind::Request => format!("call {call:#x} {body:?}"),
            Kind::Response => format!("reply {call:#x} {body:?}"),
            Kind::OneWay => format!("{body:?}"),
        };
        let (uid, copies) = engine.on_send(ctx.id, to, label);
        if copies == 0 {
            return;
        }
        engine.host(ctx.id).last_traffic_ms.set(engine.now_ms());
        let header = Header {
            uid,
            from: ctx.id,
            to,
            sent_at_ms: engine.now_ms(),
            call,
            kind,
        };
        let bytes = encode(&header, body);
        let addr = engine
            .addr(to)
            .expect("every host has an address once built");
        engine.on_wire(to, uid, copies as u32, &bytes);
        for _ in 0..copies {
            // A send error means the link does not exist (a host sending to itself): the
            // datagram is simply lost, as UDP would lose it.
            let _ = self.inner.socket.try_send_to(&bytes, addr);
        }
    }
}

/// Counts a host's calls under way (retries in progress) for as long as the call lives.
struct UnderWay<'a>(&'a Cell<u32>);

impl<'a> UnderWay<'a> {
    fn new(calls: &'a Cell<u32>) -> Self {
        calls.set(calls.get() + 1);
        UnderWay(calls)
    }
}

impl Drop for UnderWay<'_> {
    fn drop(&mut self) {
        self.0.set(self.0.get().saturating_sub(1));
    }
}

/// Removes a call's pending entry however the call ends (answered, timed out, cancelled).
struct Forget<'a, M> {
    pending: &'a RefCell<BTreeMap<u64, oneshot::Sender<M>>>,
    call: u64,
}

impl<M> Drop for Forget<'_, M> {
    fn drop(&mut self) {
        self.pending.borrow_mut().remove(&self.call);
    }
}

/// Probe: a late or duplicated response reached a caller that no longer waits for it.
pub const STALE_REPLY_IGNORED: &str = "net.stale_reply_ignored";

async fn receive_loop<M: Message>(inner: Rc<Inner<M>>) {
    let engine = inner.ctx.engine.clone();
    let host = engine.host(inner.ctx.id).clone();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let next = host.released.borrow_mut().pop_front();
        let (bytes, released, from_socket) = match next {
            Some((_, bytes, released)) => (bytes, released, false),
            None => {
                tokio::select! {
                    biased;
                    _ = host.wake.notified() => continue,
                    r = inner.socket.recv_from(&mut buf) => match r {
                        Ok((n, _)) => (buf[..n].to_vec(), false, true),
                        Err(_) => continue,
                    },
                }
            }
        };
        let Some((header, body)) = decode_header(&bytes) else {
            continue;
        };
        if from_socket && !engine.off_wire(header.to, header.uid) {
            continue; // a copy that already reached this incarnation at restart
        }
        // A paused host takes no delivery until it resumes.
        host.gate().await;
        match engine.on_arrival(&header, released) {
            Arrival::Drop => {}
            Arrival::Hold => engine.hold(header, bytes),
            Arrival::Deliver => match decode_body::<M>(body) {
                Some(body) => dispatch(&inner, header, body),
                None => engine.record(EventKind::Drop {
                    uid: header.uid,
                    from: header.from,
                    to: header.to,
                    reason: DropReason::Garbled,
                }),
            },
        }
    }
}

fn dispatch<M: Message>(inner: &Inner<M>, header: Header, body: M) {
    match header.kind {
        Kind::Response => {
            // No waiter: a late or duplicated response to a call already answered (or given
            // up on) is ignored.
            match inner.pending.borrow_mut().remove(&header.call) {
                Some(tx) => {
                    let _ = tx.send(body);
                }
                None => inner.ctx.probe(STALE_REPLY_IGNORED),
            }
        }
        Kind::Request | Kind::OneWay => {
            let _ = inner.requests_tx.send(Incoming {
                from: header.from,
                call: header.call,
                kind: header.kind,
                body,
            });
        }
    }
}
