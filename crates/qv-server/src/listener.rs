//! The HTTP listener: connection caps, timeouts and draining.
//!
//! `axum::serve` accepts every connection and never times out a client
//! that sends nothing, so ~20k idle or half-sent connections exhausted the
//! process's file descriptors. Here each accepted connection first takes a
//! permit from a global cap (`max_connections`, derived from the
//! file-descriptor limit, which [`raise_fd_limit`] lifts to its hard maximum)
//! and a slot under its client address's cap (`max_connections_per_ip`, IPv6
//! by /64); a connection over either cap is closed at once. Both are held by
//! the socket itself ([`Guarded`]), so a connection upgraded to a WebSocket
//! still counts until its socket closes.
//!
//! Connections speak HTTP/1.1 or, when they open with the HTTP/2 preface
//! (h2c with prior knowledge, as gRPC clients do in plaintext), HTTP/2. The
//! protocol is told from the first bytes, which must arrive within
//! `header_read_timeout_s`. HTTP/1.1 has a header read timeout that also
//! bounds idle keep-alive (a client must start and finish each request's
//! headers within `header_read_timeout_s`), request headers capped at
//! [`MAX_HEADER_BYTES`], and upgrades for the event stream. HTTP/2 has at
//! most [`H2_MAX_STREAMS`] concurrent streams per connection, the same
//! header cap, keep-alive pings that drop dead peers, and closes (GOAWAY)
//! once no stream has been open for `header_read_timeout_s`, so an idle
//! HTTP/2 connection holds its place under the caps no longer than an idle
//! HTTP/1.1 one. Requests whose content type is `application/grpc*` go to
//! the gRPC routes ([`crate::grpc`]), the rest to the REST app. Request
//! bodies are bounded in time by a middleware layer (`body_read_timeout_s`,
//! see [`crate::api::with_middleware`]). On shutdown each connection
//! finishes its in-flight requests and closes.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tower::ServiceExt;

use crate::config::Config;
use crate::metrics::Metrics;

/// Largest request head (request line and headers); larger ones get 431.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// Most headers in one request.
const MAX_HEADERS: usize = 64;

/// Most concurrent HTTP/2 streams (requests) on one connection: the
/// connection caps would mean little if one connection could carry any
/// number of requests at once.
pub const H2_MAX_STREAMS: u32 = 100;

/// How often an HTTP/2 connection is pinged, and how long a ping may go
/// unanswered before the connection is dropped (a dead peer of a long
/// `WatchJob` stream would otherwise hold its place forever).
const H2_KEEP_ALIVE: Duration = Duration::from_secs(30);
const H2_KEEP_ALIVE_TIMEOUT: Duration = Duration::from_secs(20);

/// The client connection preface of HTTP/2.
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// File descriptors kept free of client connections (database pool, data
/// files, the listener, logs).
const RESERVED_FDS: u64 = 256;

/// Raises the soft limit on open files to the hard limit (as servers do at
/// start) and returns the soft limit now in effect, if it can be read.
pub fn raise_fd_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: `lim` is a valid, writable rlimit for the call's duration.
        if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
            return None;
        }
        if lim.rlim_cur < lim.rlim_max {
            let raised = libc::rlimit { rlim_cur: lim.rlim_max, rlim_max: lim.rlim_max };
            // SAFETY: `raised` is a valid rlimit; failure leaves the limit as it was.
            if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
                lim.rlim_cur = lim.rlim_max;
            }
        }
        // `rlim_t` is u64 on Linux but not on every Unix.
        #[allow(clippy::unnecessary_cast)]
        Some(lim.rlim_cur as u64)
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// The global connection cap: the configured one, else what the
/// file-descriptor limit leaves after [`RESERVED_FDS`] (at least 64).
pub fn max_connections(config: &Config, fd_limit: Option<u64>) -> usize {
    if config.max_connections > 0 {
        return config.max_connections;
    }
    let fds = fd_limit.unwrap_or(1024);
    let free = fds.saturating_sub(RESERVED_FDS).max(64);
    usize::try_from(free.min(1_000_000)).unwrap_or(1_000_000)
}

/// Caps and timeouts of the listener.
#[derive(Debug)]
pub struct ConnLimits {
    total: Arc<Semaphore>,
    max_total: usize,
    per_ip_max: usize,
    per_ip: Arc<Mutex<HashMap<IpAddr, usize>>>,
    header_timeout: Duration,
}

impl ConnLimits {
    /// Limits from the configuration (`fd_limit` from [`raise_fd_limit`]).
    pub fn new(config: &Config, fd_limit: Option<u64>) -> ConnLimits {
        let max_total = max_connections(config, fd_limit);
        ConnLimits {
            total: Arc::new(Semaphore::new(max_total)),
            max_total,
            per_ip_max: config.max_connections_per_ip.max(1),
            per_ip: Arc::default(),
            header_timeout: Duration::from_secs(config.header_read_timeout_s.max(1)),
        }
    }

    /// The global cap in effect.
    pub fn max_total(&self) -> usize {
        self.max_total
    }

    /// Takes a global permit and a per-address slot, or `None` when the
    /// connection is over a cap.
    fn admit(&self, ip: IpAddr) -> Option<(OwnedSemaphorePermit, IpSlot)> {
        let permit = self.total.clone().try_acquire_owned().ok()?;
        let key = ip_key(ip);
        let mut map = self.per_ip.lock().unwrap_or_else(|e| e.into_inner());
        let n = map.entry(key).or_insert(0);
        if *n >= self.per_ip_max {
            return None;
        }
        *n += 1;
        Some((permit, IpSlot { map: self.per_ip.clone(), key }))
    }
}

/// IPv4 addresses count one by one, IPv6 by /64 (one host usually holds a
/// whole /64); IPv4-mapped IPv6 addresses as IPv4.
fn ip_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// A connection's place under its address's cap, given back on drop.
#[derive(Debug)]
struct IpSlot {
    map: Arc<Mutex<HashMap<IpAddr, usize>>>,
    key: IpAddr,
}

impl Drop for IpSlot {
    fn drop(&mut self) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = map.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.key);
            }
        }
    }
}

/// A client socket holding its places under the caps: they are given back
/// when the socket closes, after an upgrade to a WebSocket too.
#[derive(Debug)]
struct Guarded {
    stream: TcpStream,
    _permit: OwnedSemaphorePermit,
    _slot: IpSlot,
}

impl AsyncRead for Guarded {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Guarded {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

/// Accepts and serves connections until `shutdown` turns true, then lets
/// open connections finish their in-flight request and waits for them.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    grpc: Option<Router>,
    limits: Arc<ConnLimits>,
    metrics: Arc<Metrics>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut refused_logged = tokio::time::Instant::now() - Duration::from_secs(60);
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = stopped(&mut shutdown) => break,
        };
        let (stream, addr) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of descriptors or a connection reset before accept:
                // back off briefly instead of spinning.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Some((permit, slot)) = limits.admit(addr.ip()) else {
            metrics.connection_refused();
            if refused_logged.elapsed() > Duration::from_secs(10) {
                refused_logged = tokio::time::Instant::now();
                tracing::warn!(client = %addr.ip(), "connection cap reached: closing new connections");
            }
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let io = Guarded { stream, _permit: permit, _slot: slot };
        let routes = Routes { rest: app.clone(), grpc: grpc.clone() };
        tokio::spawn(serve_connection(io, addr, routes, limits.clone(), shutdown.clone()));
    }
    drop(listener);
    // Every permit back: each connection (and WebSocket) has closed.
    let all = u32::try_from(limits.max_total).unwrap_or(u32::MAX);
    let _ = limits.total.acquire_many(all).await;
}

/// Resolves when `shutdown` turns true (or its sender is gone); the
/// watch's read guard never lives across an await.
async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|v| *v).await.map(|_| ());
}

/// Where a connection's requests go.
#[derive(Clone, Debug)]
struct Routes {
    rest: Router,
    grpc: Option<Router>,
}

/// Which protocol a connection speaks, from its first bytes (peeked, so
/// they are still there for hyper); `None` when the client closed or sent
/// nothing in time.
async fn detect_h2(stream: &TcpStream, within: Duration) -> Option<bool> {
    let peek = async {
        let mut buf = [0u8; 24];
        loop {
            let n = stream.peek(&mut buf).await.ok()?;
            if n == 0 {
                return None;
            }
            if buf[..n] != H2_PREFACE[..n] {
                return Some(false);
            }
            if n == H2_PREFACE.len() {
                return Some(true);
            }
            // A preface split over segments: wait for the rest.
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    tokio::time::timeout(within, peek).await.ok().flatten()
}

/// Requests in flight on one HTTP/2 connection (a response counts until
/// its body is done or dropped) and when the last one ended.
#[derive(Debug)]
struct Activity {
    open: AtomicUsize,
    idle_since: Mutex<tokio::time::Instant>,
}

/// Counts one request in [`Activity`] while it lives.
#[derive(Debug)]
struct InFlight(Arc<Activity>);

impl InFlight {
    fn new(activity: &Arc<Activity>) -> InFlight {
        activity.open.fetch_add(1, Ordering::SeqCst);
        InFlight(activity.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        *self.0.idle_since.lock().unwrap_or_else(|e| e.into_inner()) = tokio::time::Instant::now();
        self.0.open.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn serve_connection(
    io: Guarded,
    addr: SocketAddr,
    routes: Routes,
    limits: Arc<ConnLimits>,
    mut shutdown: watch::Receiver<bool>,
) {
    let Some(h2) = detect_h2(&io.stream, limits.header_timeout).await else {
        return;
    };
    let activity = Arc::new(Activity {
        open: AtomicUsize::new(0),
        idle_since: Mutex::new(tokio::time::Instant::now()),
    });
    let tracked = activity.clone();
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(addr));
        let app = match &routes.grpc {
            Some(grpc) if crate::grpc::is_grpc(&req) => grpc.clone(),
            _ => routes.rest.clone(),
        };
        let guard = h2.then(|| InFlight::new(&tracked));
        let response = app.oneshot(req.map(axum::body::Body::new));
        async move {
            let response = response.await?;
            // The guard lives as long as the response body (a stream may be long).
            Ok::<_, std::convert::Infallible>(match guard {
                None => response,
                Some(guard) => response.map(|body| {
                    axum::body::Body::new(body.map_frame(move |f| {
                        let _ = &guard;
                        f
                    }))
                }),
            })
        }
    });
    if h2 {
        let mut builder = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
        builder
            .timer(TokioTimer::new())
            .max_concurrent_streams(H2_MAX_STREAMS)
            .max_header_list_size(u32::try_from(MAX_HEADER_BYTES).unwrap_or(u32::MAX))
            .keep_alive_interval(Some(H2_KEEP_ALIVE))
            .keep_alive_timeout(H2_KEEP_ALIVE_TIMEOUT);
        let conn = builder.serve_connection(TokioIo::new(io), service);
        tokio::pin!(conn);
        let idle = limits.header_timeout;
        let mut tick = tokio::time::interval(idle / 4);
        // Until the connection ends by itself (return), shutdown, or idleness.
        let idle_close = loop {
            tokio::select! {
                r = conn.as_mut() => {
                    if let Err(e) = r {
                        tracing::debug!(error = %e, client = %addr, "connection ended with an error");
                    }
                    return;
                }
                _ = stopped(&mut shutdown) => break false,
                _ = tick.tick() => {
                    let since = *activity.idle_since.lock().unwrap_or_else(|e| e.into_inner());
                    if activity.open.load(Ordering::SeqCst) == 0 && since.elapsed() >= idle {
                        break true;
                    }
                }
            }
        };
        // GOAWAY: open streams finish, no new ones start. hyper closes once
        // the peer acknowledges a ping; an idle peer that never does is
        // dropped after another `idle`.
        conn.as_mut().graceful_shutdown();
        if idle_close {
            let _ = tokio::time::timeout(idle, conn).await;
        } else {
            let _ = conn.await;
        }
        return;
    }
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_headers(MAX_HEADERS)
        .max_buf_size(MAX_HEADER_BYTES.max(8192));
    let conn = builder.serve_connection(TokioIo::new(io), service).with_upgrades();
    tokio::pin!(conn);
    tokio::select! {
        r = conn.as_mut() => {
            if let Err(e) = r {
                tracing::debug!(error = %e, client = %addr, "connection ended with an error");
            }
        }
        _ = stopped(&mut shutdown) => {
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_address_cap_and_release() {
        let config = Config { max_connections: 3, max_connections_per_ip: 2, ..Config::default() };
        let limits = ConnLimits::new(&config, None);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let a1 = limits.admit(a).expect("first from a");
        let a2 = limits.admit(a).expect("second from a");
        assert!(limits.admit(a).is_none(), "third from a is over the per-address cap");
        let b1 = limits.admit(b).expect("first from b");
        assert!(limits.admit(b).is_none(), "over the global cap of 3");
        drop(a1);
        let a3 = limits.admit(a).expect("a slot freed by a closed connection");
        drop((a2, a3, b1));
        assert!(limits.per_ip.lock().unwrap().is_empty(), "no slots left behind");
        assert_eq!(limits.total.available_permits(), 3);
    }

    #[test]
    fn ipv6_counts_by_64_and_mapped_ipv4_as_ipv4() {
        let k = |s: &str| ip_key(s.parse().unwrap());
        assert_eq!(k("2001:db8:1:2:aaaa::1"), k("2001:db8:1:2:bbbb::2"));
        assert_ne!(k("2001:db8:1:2::1"), k("2001:db8:1:3::1"));
        assert_eq!(k("::ffff:10.0.0.1"), k("10.0.0.1"));
    }

    #[test]
    fn default_cap_follows_the_descriptor_limit() {
        let config = Config::default();
        assert_eq!(max_connections(&config, Some(1024)), 768);
        assert_eq!(max_connections(&config, Some(100)), 64);
        let fixed = Config { max_connections: 10, ..Config::default() };
        assert_eq!(max_connections(&fixed, Some(1024)), 10);
    }
}
