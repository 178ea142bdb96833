//! Accepting connections with limits, as nginx does with `client_header_timeout`,
//! `keepalive_timeout` and `worker_connections`: a client gets a few seconds to send its
//! request head, and the keep-alive timeout to take its answer and then to send another;
//! past the cap, the connection idle the longest is closed to make room, so silent sockets
//! cannot lock everyone out. A request whose body trickles in slower than
//! [`BODY_FLOOR`] (Apache's `mod_reqtimeout` `MinRate`) counts as idle too, and one address
//! holds at most `[server] max_connections_per_address` (nginx `limit_conn`): past it, that
//! address's own stalled connection makes room, or the new one is refused, so one client
//! cannot take the others' places. On shutdown, connections with no request in flight are
//! closed at once and the others finish theirs.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::{Body, Bytes, Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use super::input::BodyTimeout;
use crate::config::ServerConfig;
use crate::metrics::Metrics;
use crate::throttle::Throttle;

/// The largest request head read, in bytes (nginx: 4 buffers of 8 KiB); a longer one is
/// answered 431. It also bounds what a half-sent header holds in memory.
const MAX_HEAD_BYTES: usize = 32 * 1024;
/// After `accept` fails (out of file descriptors, most often), wait this long before
/// trying again rather than spinning.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Bytes a second under which a body in progress counts as stalled, once it has had
/// [`BODY_GRACE`] to get going.
const BODY_FLOOR: f64 = 500.0;
const BODY_GRACE: Duration = Duration::from_secs(2);

/// How far the body of the request in flight has come.
struct BodyProgress {
    started: Instant,
    received: u64,
    done: bool,
}

impl BodyProgress {
    /// Whether the body, still arriving, is under the floor at `now`.
    fn stalled(&self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.started);
        !self.done
            && elapsed >= BODY_GRACE
            && (self.received as f64) < BODY_FLOOR * elapsed.as_secs_f64()
    }
}

/// One open connection, as the accept loop sees it.
struct Conn {
    /// The client's address, for the per-address cap.
    ip: IpAddr,
    /// Requests in flight; 0 while the client is idle or still sending a head.
    busy: AtomicUsize,
    /// When the last request ended, or the connection opened.
    idle_since: Mutex<Instant>,
    /// Whether a request was answered: from then on the keep-alive timeout applies to the
    /// quiet between requests (before it, the head timeout does).
    answered: AtomicBool,
    /// Closes the connection at once, whatever it is doing.
    close: CancellationToken,
    /// The body of the request in flight while it arrives; `None` without one.
    body: Mutex<Option<BodyProgress>>,
}

impl Conn {
    fn new(ip: IpAddr) -> Conn {
        Conn {
            ip,
            busy: AtomicUsize::new(0),
            idle_since: Mutex::new(Instant::now()),
            answered: AtomicBool::new(false),
            close: CancellationToken::new(),
            body: Mutex::new(None),
        }
    }

    fn idle_since(&self) -> Option<Instant> {
        if self.busy.load(Ordering::Acquire) > 0 {
            return None;
        }
        self.idle_since.lock().ok().map(|t| *t)
    }

    /// Since when the connection has made no progress worth its place: idle, or waiting
    /// on a body that trickles under the floor (since the body began).
    fn stalled_since(&self, now: Instant) -> Option<Instant> {
        if let Some(t) = self.idle_since() {
            return Some(t);
        }
        let body = self.body.lock().ok()?;
        body.as_ref().filter(|b| b.stalled(now)).map(|b| b.started)
    }

    fn body_progress(&self, f: impl FnOnce(&mut BodyProgress)) {
        if let Ok(mut body) = self.body.lock() {
            if let Some(b) = body.as_mut() {
                f(b);
            }
        }
    }
}

/// A request body that tells its connection how far it has come.
struct Metered {
    inner: Incoming,
    conn: Arc<Conn>,
}

impl Body for Metered {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                let n = frame.data_ref().map_or(0, Bytes::len) as u64;
                let end = self.inner.is_end_stream();
                self.conn.body_progress(|b| {
                    b.received += n;
                    b.done |= end;
                });
            }
            Poll::Ready(_) => self.conn.body_progress(|b| b.done = true),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Every open connection by id.
#[derive(Default)]
struct Registry {
    conns: Mutex<HashMap<u64, Arc<Conn>>>,
    next_id: AtomicU64,
}

impl Registry {
    /// Connections open and not told to close, from `ip` when given.
    fn len(&self, ip: Option<IpAddr>) -> usize {
        self.conns.lock().map_or(0, |c| {
            c.values()
                .filter(|c| !c.close.is_cancelled() && ip.is_none_or(|ip| c.ip == ip))
                .count()
        })
    }

    fn add(&self, conn: Arc<Conn>) -> u64 {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut c) = self.conns.lock() {
            c.insert(id, conn);
        }
        id
    }

    fn remove(&self, id: u64) {
        if let Ok(mut c) = self.conns.lock() {
            c.remove(&id);
        }
    }

    /// Closes the connection stalled the longest (from `ip` when given); false when every
    /// one is making progress.
    fn shed_one(&self, ip: Option<IpAddr>) -> bool {
        let Ok(conns) = self.conns.lock() else {
            return false;
        };
        let now = Instant::now();
        // One already told to close still counts until its task ends: pass over it.
        let oldest = conns
            .values()
            .filter(|c| !c.close.is_cancelled() && ip.is_none_or(|ip| c.ip == ip))
            .filter_map(|c| c.stalled_since(now).map(|t| (t, c)))
            .min_by_key(|(t, _)| *t);
        match oldest {
            Some((_, c)) => {
                c.close.cancel();
                true
            }
            None => false,
        }
    }
}

static CAP_LOG: Throttle = Throttle::new(Duration::from_secs(10));
static ACCEPT_LOG: Throttle = Throttle::new(Duration::from_secs(10));
static ADDRESS_LOG: Throttle = Throttle::new(Duration::from_secs(10));

/// Serves `router` on `listener` until `shutdown` is cancelled and every connection closed.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ServerConfig,
    metrics: Arc<Metrics>,
    shutdown: CancellationToken,
) {
    let registry = Arc::new(Registry::default());
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let accepted = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                metrics.accept_errors.fetch_add(1, Ordering::Relaxed);
                if let Some(held_back) = ACCEPT_LOG.admit(Instant::now()) {
                    tracing::error!(error = %e, earlier_errors_not_logged = held_back, "could not accept a connection");
                }
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        if registry.len(Some(peer.ip())) >= limits.max_connections_per_address {
            if registry.shed_one(Some(peer.ip())) {
                metrics.connections_shed.fetch_add(1, Ordering::Relaxed);
            } else {
                metrics.connections_refused.fetch_add(1, Ordering::Relaxed);
                if let Some(held_back) = ADDRESS_LOG.admit(Instant::now()) {
                    tracing::warn!(
                        cap = limits.max_connections_per_address,
                        address = %peer.ip(),
                        earlier_not_logged = held_back,
                        "one address holds its cap of connections, all making progress: refusing its new one"
                    );
                }
                drop(stream);
                continue;
            }
        }
        if registry.len(None) >= limits.max_connections {
            let shed = registry.shed_one(None);
            if shed {
                metrics.connections_shed.fetch_add(1, Ordering::Relaxed);
            }
            if let Some(held_back) = CAP_LOG.admit(Instant::now()) {
                tracing::warn!(
                    cap = limits.max_connections,
                    earlier_not_logged = held_back,
                    "connection cap reached: {}",
                    if shed {
                        "closing the connection idle the longest"
                    } else {
                        "every connection is busy, refusing the new one"
                    }
                );
            }
            if !shed {
                metrics.connections_refused.fetch_add(1, Ordering::Relaxed);
                drop(stream);
                continue;
            }
        }
        let conn = Arc::new(Conn::new(peer.ip()));
        let id = registry.add(conn.clone());
        let (limits, registry, metrics, router, shutdown) = (
            limits.clone(),
            registry.clone(),
            metrics.clone(),
            router.clone(),
            shutdown.clone(),
        );
        connections.spawn(async move {
            metrics.connections_open.fetch_add(1, Ordering::Relaxed);
            serve_connection(stream, peer, router, &limits, &conn, &shutdown).await;
            metrics.connections_open.fetch_sub(1, Ordering::Relaxed);
            registry.remove(id);
        });
    }
    drop(listener);
    while connections.join_next().await.is_some() {}
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    limits: &ServerConfig,
    conn: &Arc<Conn>,
    shutdown: &CancellationToken,
) {
    let _ = stream.set_nodelay(true);
    let tracked = conn.clone();
    let body_timeout = BodyTimeout(limits.body_timeout);
    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let (mut parts, inner) = req.into_parts();
        parts.extensions.insert(ConnectInfo(peer));
        parts.extensions.insert(body_timeout);
        if let Ok(mut body) = tracked.body.lock() {
            *body = (!inner.is_end_stream()).then(|| BodyProgress {
                started: Instant::now(),
                received: 0,
                done: false,
            });
        }
        let body = Metered {
            inner,
            conn: tracked.clone(),
        };
        let req = hyper::Request::from_parts(parts, axum::body::Body::new(body));
        let router = router.clone();
        let tracked = tracked.clone();
        tracked.busy.fetch_add(1, Ordering::AcqRel);
        async move {
            let answer = tower::ServiceExt::oneshot(router, req).await;
            // From here the answer is hyper's to write: a client that does not take it
            // within the keep-alive timeout is closed like an idle one.
            if let Ok(mut t) = tracked.idle_since.lock() {
                *t = Instant::now();
            }
            if let Ok(mut body) = tracked.body.lock() {
                *body = None;
            }
            tracked.answered.store(true, Ordering::Release);
            tracked.busy.fetch_sub(1, Ordering::AcqRel);
            answer
        }
    });
    let http = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(MAX_HEAD_BYTES)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(http);
    let mut stopping = false;
    // The keep-alive clock is looked at lazily, when its timer fires, rather than woken at
    // the end of every request: a request ending only moves `idle_since`, and a timer that
    // fires early is set again from it.
    loop {
        let check_at = keepalive_check(conn, limits.keepalive_timeout, Instant::now());
        tokio::select! {
            _ = http.as_mut() => return,
            () = conn.close.cancelled() => return,
            () = shutdown.cancelled(), if !stopping => {
                if conn.idle_since().is_some() {
                    return;
                }
                http.as_mut().graceful_shutdown();
                stopping = true;
            }
            () = tokio::time::sleep_until(tokio::time::Instant::from_std(check_at)) => {
                if conn.idle_since().is_some_and(|t| t.elapsed() >= limits.keepalive_timeout)
                    && conn.answered.load(Ordering::Acquire)
                {
                    return;
                }
            }
        }
    }
}

/// When to look at the keep-alive clock next: when an idle connection's keep-alive runs
/// out; while a request is in flight or none was answered yet (the head timeout applies
/// then), one keep-alive from `now`.
fn keepalive_check(conn: &Conn, keepalive: Duration, now: Instant) -> Instant {
    match conn.idle_since() {
        Some(t) if conn.answered.load(Ordering::Acquire) => (t + keepalive).max(now),
        _ => now + keepalive,
    }
}
