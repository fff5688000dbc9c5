//! Bounded work for every request (DESIGN.md §4, docs/node.md "Limits"): the request body, the
//! calls per batch, the bytes per response, encoded transaction sizes checked before decoding,
//! idle connections timed out, and the open-file limit raised at start.

use std::{
    future::Future,
    io,
    pin::Pin,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    task::{Context, Poll},
    time::{Duration, Instant},
};

use solana_account_decoder_client_types::{UiAccountEncoding, UiDataSliceConfig};
use solana_rpc_client_types::config::RpcAccountInfoConfig;
use solana_transaction::versioned::VersionedTransaction;
use solana_transaction_status_client_types::UiTransactionEncoding;
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::{TcpListener, TcpStream},
    time::Sleep,
};

use crate::rpc::RpcError;

/// Largest base58 string that can encode a 1,232-byte transaction (Agave's `MAX_BASE58_SIZE`).
pub const MAX_BASE58_SIZE: usize = 1683;
/// Largest base64 string that can encode a 1,232-byte transaction (Agave's `MAX_BASE64_SIZE`).
pub const MAX_BASE64_SIZE: usize = 1644;
/// Largest serialized transaction a validator accepts.
pub const PACKET_DATA_SIZE: usize = 1232;
/// Agave's code for a scan that was aborted because its results exceeded a limit.
pub const SCAN_LIMIT_CODE: i64 = -32012;

/// What one request may cost.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest request body, in bytes (HTTP 413 past it).
    pub max_body_bytes: usize,
    /// Most calls in one batch.
    pub max_batch_calls: usize,
    /// Most bytes of JSON answered to one HTTP request, all calls of a batch together.
    pub max_response_bytes: usize,
    /// A connection with no bytes moving for this long is closed.
    pub idle_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 4 * 1024 * 1024,
            max_batch_calls: 100,
            max_response_bytes: 64 * 1024 * 1024,
            idle_timeout: Duration::from_secs(60),
        }
    }
}

/// Refuses an encoded transaction longer than any 1,232-byte transaction encodes to, before any
/// decoding (base58 decoding is quadratic in the length), with Agave's message.
pub fn check_encoded_transaction(
    encoded: &str,
    encoding: Option<UiTransactionEncoding>,
) -> Result<(), RpcError> {
    let (name, max) = match encoding.unwrap_or(UiTransactionEncoding::Base58) {
        UiTransactionEncoding::Base58 | UiTransactionEncoding::Binary => {
            ("base58", MAX_BASE58_SIZE)
        }
        UiTransactionEncoding::Base64 => ("base64", MAX_BASE64_SIZE),
        // Other encodings are refused by the decoder without decoding anything.
        _ => return Ok(()),
    };
    if encoded.len() > max {
        return Err(RpcError::invalid_params(format!(
            "{name} encoded {} too large: {} bytes (max: encoded/raw {max}/{PACKET_DATA_SIZE})",
            std::any::type_name::<VersionedTransaction>(),
            encoded.len(),
        )));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The response budget of one HTTP request.

/// Bytes of JSON one HTTP request may still be answered with.
#[derive(Debug)]
pub struct Budget {
    limit: usize,
    used: AtomicUsize,
}

tokio::task_local! {
    /// The budget of the HTTP request being answered (set by the endpoint).
    pub static BUDGET: Budget;
}

impl Budget {
    pub fn new(limit: usize) -> Budget {
        Budget {
            limit,
            used: AtomicUsize::new(0),
        }
    }

    pub fn remaining(&self) -> usize {
        self.limit.saturating_sub(self.used.load(Ordering::Relaxed))
    }

    /// Takes `bytes` from the budget; false (and nothing taken) if they do not fit.
    pub fn charge(&self, bytes: usize) -> bool {
        if bytes > self.remaining() {
            return false;
        }
        self.used.fetch_add(bytes, Ordering::Relaxed);
        true
    }

    pub fn limit(&self) -> usize {
        self.limit
    }
}

/// The current request's remaining budget and its limit; outside a request, the default limit.
pub fn remaining_budget() -> (usize, usize) {
    BUDGET
        .try_with(|b| (b.remaining(), b.limit()))
        .unwrap_or_else(|_| {
            let limit = Limits::default().max_response_bytes;
            (limit, limit)
        })
}

/// The error for an answer that would not fit the response budget.
pub fn too_large(limit: usize, scan: bool) -> RpcError {
    let what = if scan {
        "scan aborted: the accounts found"
    } else {
        "response too large: the answer"
    };
    RpcError::new(
        SCAN_LIMIT_CODE,
        format!(
            "{what} would exceed the node's limit of {limit} bytes per request ({} MiB, all calls \
             of a batch together); narrow the request with filters (memcmp, dataSize) or a \
             dataSlice, or split the batch",
            limit / (1024 * 1024)
        ),
    )
}

/// A generous estimate of the JSON bytes of one keyed account whose data is `data_len` bytes.
pub fn estimated_account_json(
    data_len: usize,
    encoding: UiAccountEncoding,
    slice: Option<&UiDataSliceConfig>,
) -> usize {
    const OVERHEAD: usize = 256;
    let len = match slice {
        Some(s) => data_len.saturating_sub(s.offset).min(s.length),
        None => data_len,
    };
    OVERHEAD
        + match encoding {
            UiAccountEncoding::Binary | UiAccountEncoding::Base58 => len * 138 / 100 + 1,
            UiAccountEncoding::JsonParsed => (len.div_ceil(3) * 4).max(1024),
            UiAccountEncoding::Base64 | UiAccountEncoding::Base64Zstd => len.div_ceil(3) * 4,
        }
}

/// Refuses, before encoding, accounts whose answer would exceed the default response limit
/// (methods that run whole on the executor; the endpoint still enforces the request's budget).
pub fn check_estimate(
    data_lens: impl Iterator<Item = usize>,
    config: &RpcAccountInfoConfig,
) -> Result<(), RpcError> {
    let encoding = config.encoding.unwrap_or(UiAccountEncoding::Binary);
    let limit = Limits::default().max_response_bytes;
    let mut total = 0usize;
    for len in data_lens {
        total += estimated_account_json(len, encoding, config.data_slice.as_ref());
        if total > limit {
            return Err(too_large(limit, true));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Connections.

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

/// The RPC listener: connections idle longer than the timeout are closed, and running out of
/// file descriptors is logged (once per episode, at most once a minute) instead of silently
/// stalling; the node retries as connections close.
pub struct IdleListener {
    inner: TcpListener,
    idle_timeout: Duration,
    last_logged: Option<Instant>,
    refusing: bool,
}

impl IdleListener {
    pub fn new(inner: TcpListener, idle_timeout: Duration) -> IdleListener {
        IdleListener {
            inner,
            idle_timeout,
            last_logged: None,
            refusing: false,
        }
    }
}

impl axum::serve::Listener for IdleListener {
    type Io = IdleStream;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, address)) => {
                    self.refusing = false;
                    let _ = stream.set_nodelay(true);
                    return (IdleStream::new(stream, self.idle_timeout), address);
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::ConnectionRefused
                            | io::ErrorKind::ConnectionAborted
                            | io::ErrorKind::ConnectionReset
                    ) => {}
                Err(e) => {
                    let quiet = self
                        .last_logged
                        .is_some_and(|at| at.elapsed() < Duration::from_secs(60));
                    if !self.refusing && !quiet {
                        let hint = if matches!(e.raw_os_error(), Some(23 | 24)) {
                            format!(
                                " (open-file limit {}); new connections wait until idle ones \
                                 time out ({} s) or close",
                                raise_open_file_limit()
                                    .map_or_else(|| "unknown".into(), |n| n.to_string()),
                                self.idle_timeout.as_secs_f64()
                            )
                        } else {
                            String::new()
                        };
                        eprintln!("leash node: cannot accept a connection: {e}{hint}");
                        self.last_logged = Some(Instant::now());
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

/// A TCP stream that fails with `TimedOut` once no byte has moved for the idle timeout while
/// no request of the connection is being answered.
pub struct IdleStream {
    inner: TcpStream,
    idle_timeout: Duration,
    deadline: Pin<Box<Sleep>>,
    in_flight: Arc<AtomicUsize>,
}

impl IdleStream {
    fn new(inner: TcpStream, idle_timeout: Duration) -> IdleStream {
        IdleStream {
            inner,
            idle_timeout,
            deadline: Box::pin(tokio::time::sleep(idle_timeout)),
            in_flight: Arc::new(AtomicUsize::new(0)),
        }
    }

    fn moved(&mut self) {
        let at = tokio::time::Instant::now() + self.idle_timeout;
        self.deadline.as_mut().reset(at);
    }

    fn expired(&mut self, cx: &mut Context<'_>) -> bool {
        if self.deadline.as_mut().poll(cx).is_pending() {
            return false;
        }
        if self.in_flight.load(Ordering::Acquire) == 0 {
            return true;
        }
        // A request is being answered: not idle; look again a timeout from now.
        self.moved();
        let _ = self.deadline.as_mut().poll(cx);
        false
    }
}

/// The requests in flight on one connection (axum connect info); a handler holds an
/// [`InFlight`] while it answers, so a slow answer does not count as idleness.
#[derive(Clone, Debug)]
pub struct Connection(Arc<AtomicUsize>);

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, IdleListener>>
    for Connection
{
    fn connect_info(stream: axum::serve::IncomingStream<'_, IdleListener>) -> Self {
        Connection(stream.io().in_flight.clone())
    }
}

impl Connection {
    pub fn begin(&self) -> InFlight {
        self.0.fetch_add(1, Ordering::AcqRel);
        InFlight(self.0.clone())
    }
}

/// A request being answered; ends when dropped.
pub struct InFlight(Arc<AtomicUsize>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

fn idle_error() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "idle connection timed out")
}

impl AsyncRead for IdleStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    self.moved();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending if self.expired(cx) => Poll::Ready(Err(idle_error())),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncWrite for IdleStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.inner).poll_write(cx, buf) {
            Poll::Ready(Ok(n)) => {
                self.moved();
                Poll::Ready(Ok(n))
            }
            Poll::Pending if self.expired(cx) => Poll::Ready(Err(idle_error())),
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
                self.moved();
                Poll::Ready(Ok(n))
            }
            Poll::Pending if self.expired(cx) => Poll::Ready(Err(idle_error())),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_sizes_are_checked_before_decoding() {
        let long = "z".repeat(MAX_BASE58_SIZE + 1);
        let e = check_encoded_transaction(&long, None).unwrap_err();
        assert_eq!(e.code, -32602);
        assert!(e.message.starts_with("base58 encoded "), "{}", e.message);
        assert!(e
            .message
            .ends_with("too large: 1684 bytes (max: encoded/raw 1683/1232)"));
        let e = check_encoded_transaction(
            &"A".repeat(MAX_BASE64_SIZE + 1),
            Some(UiTransactionEncoding::Base64),
        )
        .unwrap_err();
        assert!(e
            .message
            .contains("1645 bytes (max: encoded/raw 1644/1232)"));
        assert!(check_encoded_transaction(&"z".repeat(MAX_BASE58_SIZE), None).is_ok());
    }

    #[test]
    fn the_budget_refuses_what_does_not_fit() {
        let budget = Budget::new(10);
        assert!(budget.charge(6));
        assert!(!budget.charge(5));
        assert!(budget.charge(4));
        assert_eq!(budget.remaining(), 0);
    }
}
