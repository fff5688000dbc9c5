//! Connection guards for Leash's servers — the node's JSON-RPC and PubSub ports and `leash
//! serve` (docs/node.md "Limits", docs/api.md "Limits"). Without them a client that opens
//! connections and sends nothing holds them for ever: a few hundred idle keep-alive
//! connections, or a slow trickle of header bytes, and no new client is answered.
//!
//! [`GuardedListener`] wraps a `TcpListener` for `axum::serve`:
//! - **idle timeout**: a connection on which no byte moved for `idle_timeout` while none of its
//!   requests is being answered is closed;
//! - **header timeout**: from the first byte of a request until its handler starts (or an answer
//!   is written), at most `header_timeout` (a "slowloris" that trickles a header in is closed);
//!   on a WebSocket server, only until the upgrade is answered;
//! - **caps**: at most `max_connections` open connections in total — never more than the
//!   open-file limit less `reserve_fds`, kept for the store, logs and outbound calls — and at
//!   most `max_per_peer` from one IP address (never more than half the total), so one client
//!   cannot take every slot. The total is shared by every guarded listener of the process (the
//!   descriptors are the process's), the per-address count is each listener's. A connection
//!   over a cap is answered `503` with `Retry-After: 1` and closed at once.
//!
//! [`mark_in_flight`] marks the requests being answered (axum connect info), so a slow upload
//! or answer never counts as idleness.

use std::{
    collections::HashMap,
    future::Future,
    io,
    net::{IpAddr, SocketAddr},
    pin::Pin,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
    task::{Context, Poll},
    time::{Duration, Instant},
};

use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::{TcpListener, TcpStream},
    time::Sleep,
};

/// What a server's connections may cost.
#[derive(Clone, Debug)]
pub struct ConnectionLimits {
    /// A connection with no bytes moving for this long (and nothing being answered) is closed.
    pub idle_timeout: Duration,
    /// From a request's first byte until its handler starts or an answer is written.
    pub header_timeout: Duration,
    /// Open connections in total (further clamped by the open-file limit).
    pub max_connections: usize,
    /// Open connections from one IP address (further clamped to half the total).
    pub max_per_peer: usize,
    /// File descriptors never used for connections (at most a quarter of the open-file limit).
    pub reserve_fds: usize,
    /// WebSocket server: after the upgrade, frames are not requests (the header timeout ends
    /// with the first answer written).
    pub websocket: bool,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            idle_timeout: Duration::from_secs(60),
            header_timeout: Duration::from_secs(10),
            max_connections: 4096,
            max_per_peer: 256,
            reserve_fds: 64,
            websocket: false,
        }
    }
}

impl ConnectionLimits {
    /// (total cap, per-peer cap) under an open-file limit of `nofile` (if known).
    pub fn caps(&self, nofile: Option<u64>) -> (usize, usize) {
        // The reserve is at most a quarter of the descriptors, so a low limit still serves.
        let by_files = nofile.map_or(usize::MAX, |n| {
            let n = usize::try_from(n).unwrap_or(usize::MAX);
            n.saturating_sub(self.reserve_fds.min(n / 4))
        });
        let total = self.max_connections.min(by_files).max(1);
        let per_peer = self.max_per_peer.min((total / 2).max(1));
        (total, per_peer)
    }
}

/// Raises the open-file soft limit to the hard limit; returns the limit now in force.
#[cfg(unix)]
pub fn raise_open_file_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read and write the struct passed by pointer.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return None;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit = raised;
            }
        }
    }
    #[allow(clippy::unnecessary_cast)] // rlim_t is not u64 everywhere
    Some(limit.rlim_cur as u64)
}

#[cfg(not(unix))]
pub fn raise_open_file_limit() -> Option<u64> {
    None
}

/// Open connections of every guarded listener of this process: descriptors are the process's,
/// so the servers of one process (`leash up`: RPC, PubSub, API) share the total cap.
static OPEN: AtomicUsize = AtomicUsize::new(0);

/// Open connections of one listener per peer, and of all listeners in total.
#[derive(Debug)]
struct Counts {
    total: &'static AtomicUsize,
    per_peer: Mutex<HashMap<IpAddr, usize>>,
}

impl Default for Counts {
    fn default() -> Self {
        Counts {
            total: &OPEN,
            per_peer: Mutex::default(),
        }
    }
}

impl Counts {
    fn admit(self: &Arc<Self>, peer: IpAddr, total: usize, per_peer: usize) -> Option<Slot> {
        let mut peers = self.per_peer.lock().unwrap_or_else(|p| p.into_inner());
        let mine = peers.get(&peer).copied().unwrap_or(0);
        // Reserve a place in the shared total first, so racing listeners cannot overshoot it.
        let open = self.total.fetch_add(1, Ordering::AcqRel);
        if open >= total || mine >= per_peer {
            self.total.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        peers.insert(peer, mine + 1);
        Some(Slot {
            counts: self.clone(),
            peer,
        })
    }
}

/// One admitted connection; frees its place when dropped.
#[derive(Debug)]
struct Slot {
    counts: Arc<Counts>,
    peer: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut peers = self
            .counts
            .per_peer
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(n) = peers.get_mut(&self.peer) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                peers.remove(&self.peer);
            }
        }
        self.counts.total.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The listener `axum::serve` runs on: see the crate's documentation.
pub struct GuardedListener {
    inner: TcpListener,
    limits: ConnectionLimits,
    counts: Arc<Counts>,
    total_cap: usize,
    per_peer_cap: usize,
    /// Names the server in its log lines (`leash node`, `leash serve`).
    server: &'static str,
    last_logged: Option<Instant>,
    refusing: bool,
}

impl GuardedListener {
    /// Guards `inner`; raises the open-file soft limit and sizes the caps under it.
    pub fn new(inner: TcpListener, limits: ConnectionLimits, server: &'static str) -> Self {
        let (total_cap, per_peer_cap) = limits.caps(raise_open_file_limit());
        GuardedListener {
            inner,
            limits,
            counts: Arc::default(),
            total_cap,
            per_peer_cap,
            server,
            last_logged: None,
            refusing: false,
        }
    }

    /// Logs at most once a minute.
    fn log(&mut self, line: impl FnOnce() -> String) {
        if self
            .last_logged
            .is_some_and(|at| at.elapsed() < Duration::from_secs(60))
        {
            return;
        }
        eprintln!("{}: {}", self.server, line());
        self.last_logged = Some(Instant::now());
    }
}

/// What a connection over a cap is told before it is closed.
const OVER_CAP: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\
Retry-After: 1\r\nContent-Type: text/plain\r\nContent-Length: 43\r\n\r\n\
too many open connections; retry in a while";

impl axum::serve::Listener for GuardedListener {
    type Io = GuardedStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, address)) => {
                    self.refusing = false;
                    let peer = address.ip();
                    let Some(slot) = self.counts.admit(peer, self.total_cap, self.per_peer_cap)
                    else {
                        // Best effort, never waiting: the socket is closed right after.
                        let _ = stream.try_write(OVER_CAP);
                        drop(stream);
                        let (total, per_peer) = (self.total_cap, self.per_peer_cap);
                        self.log(|| {
                            format!(
                                "refusing connections: at most {total} open, {per_peer} per \
                                 address (the latest from {peer})"
                            )
                        });
                        continue;
                    };
                    let _ = stream.set_nodelay(true);
                    return (GuardedStream::new(stream, slot, &self.limits), address);
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::ConnectionRefused
                            | io::ErrorKind::ConnectionAborted
                            | io::ErrorKind::ConnectionReset
                    ) => {}
                Err(e) => {
                    if !self.refusing {
                        let idle = self.limits.idle_timeout.as_secs_f64();
                        self.log(|| {
                            let hint = if matches!(e.raw_os_error(), Some(23 | 24)) {
                                format!(
                                    " (open-file limit {}); new connections wait until idle \
                                     ones time out ({idle} s) or close",
                                    raise_open_file_limit()
                                        .map_or_else(|| "unknown".into(), |n| n.to_string()),
                                )
                            } else {
                                String::new()
                            };
                            format!("cannot accept a connection: {e}{hint}")
                        });
                    }
                    self.refusing = true;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// A TCP stream that fails with `TimedOut` once idle or slow past its limits (see the crate's
/// documentation); it holds its place under the caps until dropped.
pub struct GuardedStream {
    inner: TcpStream,
    _slot: Slot,
    idle_timeout: Duration,
    header_timeout: Duration,
    websocket: bool,
    deadline: Pin<Box<Sleep>>,
    last_moved: tokio::time::Instant,
    /// Since when a request's bytes have been arriving with nothing answered or being answered.
    header_since: Option<tokio::time::Instant>,
    answered: bool,
    in_flight: Arc<AtomicUsize>,
}

impl GuardedStream {
    fn new(inner: TcpStream, slot: Slot, limits: &ConnectionLimits) -> GuardedStream {
        GuardedStream {
            inner,
            _slot: slot,
            idle_timeout: limits.idle_timeout,
            header_timeout: limits.header_timeout,
            websocket: limits.websocket,
            deadline: Box::pin(tokio::time::sleep(limits.idle_timeout)),
            last_moved: tokio::time::Instant::now(),
            header_since: None,
            answered: false,
            in_flight: Arc::new(AtomicUsize::new(0)),
        }
    }

    fn rearm(&mut self) {
        let idle = self.last_moved + self.idle_timeout;
        let at = match self.header_since {
            Some(since) => idle.min(since + self.header_timeout),
            None => idle,
        };
        self.deadline.as_mut().reset(at);
    }

    fn read_some(&mut self) {
        self.last_moved = tokio::time::Instant::now();
        let request_bytes = !self.websocket || !self.answered;
        if self.header_since.is_none()
            && request_bytes
            && self.in_flight.load(Ordering::Acquire) == 0
        {
            self.header_since = Some(self.last_moved);
        }
        self.rearm();
    }

    fn wrote_some(&mut self) {
        self.last_moved = tokio::time::Instant::now();
        self.header_since = None;
        self.answered = true;
        self.rearm();
    }

    fn expired(&mut self, cx: &mut Context<'_>) -> bool {
        if self.deadline.as_mut().poll(cx).is_pending() {
            return false;
        }
        if self.in_flight.load(Ordering::Acquire) == 0 {
            return true;
        }
        // A request is being answered: neither idle nor slow; look again a timeout from now.
        self.header_since = None;
        self.last_moved = tokio::time::Instant::now();
        self.rearm();
        let _ = self.deadline.as_mut().poll(cx);
        false
    }
}

/// One connection as handlers see it (axum connect info): its peer, and its requests in
/// flight — a handler holds an [`InFlight`] while it answers, so a slow answer does not count
/// as idleness.
#[derive(Clone, Debug)]
pub struct Connection {
    in_flight: Arc<AtomicUsize>,
    peer: SocketAddr,
}

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, GuardedListener>>
    for Connection
{
    fn connect_info(stream: axum::serve::IncomingStream<'_, GuardedListener>) -> Self {
        Connection {
            in_flight: stream.io().in_flight.clone(),
            peer: *stream.remote_addr(),
        }
    }
}

impl Connection {
    pub fn begin(&self) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        InFlight(self.in_flight.clone())
    }

    /// The client's address.
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }
}

/// Middleware (`axum::middleware::from_fn`) marking every request as being answered on its
/// connection from before its body is read until its answer is made, so a slow upload or a slow
/// answer (a transaction waiting for its confirmation) is never taken for an idle or slow
/// connection. Without [`Connection`] connect info it does nothing.
pub async fn mark_in_flight(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let in_flight = request
        .extensions()
        .get::<axum::extract::ConnectInfo<Connection>>()
        .map(|axum::extract::ConnectInfo(connection)| connection.begin());
    let response = next.run(request).await;
    drop(in_flight);
    response
}

/// A request being answered; ends when dropped.
pub struct InFlight(Arc<AtomicUsize>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

fn timed_out() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "idle or slow connection timed out")
}

impl AsyncRead for GuardedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    self.read_some();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending if self.expired(cx) => Poll::Ready(Err(timed_out())),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncWrite for GuardedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.inner).poll_write(cx, buf) {
            Poll::Ready(Ok(n)) => {
                self.wrote_some();
                Poll::Ready(Ok(n))
            }
            Poll::Pending if self.expired(cx) => Poll::Ready(Err(timed_out())),
            other => other,
        }
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.inner).poll_write_vectored(cx, bufs) {
            Poll::Ready(Ok(n)) => {
                self.wrote_some();
                Poll::Ready(Ok(n))
            }
            Poll::Pending if self.expired(cx) => Poll::Ready(Err(timed_out())),
            other => other,
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(feature = "probe")]
pub mod probe;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_keep_descriptors_in_reserve_and_no_peer_takes_every_slot() {
        let limits = ConnectionLimits::default();
        assert_eq!(limits.caps(None), (4096, 256));
        assert_eq!(limits.caps(Some(1024)), (960, 256));
        assert_eq!(limits.caps(Some(128)), (96, 48));
        assert_eq!(limits.caps(Some(64)), (48, 24));
        assert_eq!(limits.caps(Some(2)), (2, 1));
    }

    #[test]
    fn a_slot_is_freed_when_dropped() {
        // A total of its own: the process-wide one is shared with the other tests.
        static TOTAL: AtomicUsize = AtomicUsize::new(0);
        let counts = Arc::new(Counts {
            total: &TOTAL,
            per_peer: Mutex::default(),
        });
        let peer: IpAddr = "127.0.0.2".parse().unwrap();
        let other: IpAddr = "127.0.0.3".parse().unwrap();
        let a = counts.admit(peer, 3, 2).expect("first");
        let b = counts.admit(peer, 3, 2).expect("second");
        assert!(counts.admit(peer, 3, 2).is_none(), "per-peer cap");
        let c = counts.admit(other, 3, 2).expect("another peer");
        assert!(counts.admit(other, 3, 2).is_none(), "total cap");
        drop(a);
        assert!(counts.admit(peer, 3, 2).is_some());
        drop((b, c));
        assert_eq!(counts.total.load(Ordering::Acquire), 0);
        assert!(counts.per_peer.lock().unwrap().is_empty());
    }
}
