//! `leash node`: a local Solana-compatible JSON-RPC node on LiteSVM with the Leash program, SPL
//! Token, Token-2022 and ATA, a faucet, a local USDC, and a durable ledger (docs/node.md).
//!
//! Layers, bottom up (no module names one above it; `scripts/check-modules` checks): `store`
//! (the ledger) · `jsonrpc` (errors, envelope, parameters) · `parsed`, `encoding`, `limits`,
//! `genesis`, `cost` ·
//! `chain` (the bank: executes, stages, commits) · `events` (what a commit made durable) ·
//! `executor` (the thread that owns the chain, commits and publishes) · `methods` (HTTP
//! JSON-RPC) and `pubsub` (WebSocket) · this file (listeners).

pub mod chain;
pub mod cost;
pub mod encoding;
pub mod error;
pub mod events;
pub mod executor;
pub mod genesis;
pub mod jsonrpc;
pub mod limits;
pub mod methods;
pub mod parsed;
pub mod pubsub;
pub mod store;

use std::{
    future::Future,
    net::{IpAddr, SocketAddr},
    path::PathBuf,
    time::Duration,
};

use axum::{
    body::Bytes,
    extract::{rejection::BytesRejection, DefaultBodyLimit, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use serde_json::Value;

pub use chain::TokenInfo;
pub use error::NodeError;
pub use executor::{ChainInfo, Executor};
pub use leash_runtime::SplToken;
pub use limits::Limits;

/// How to run a node.
#[derive(Clone, Debug)]
pub struct NodeConfig {
    pub ledger: PathBuf,
    pub reset: bool,
    pub bind: IpAddr,
    /// PubSub listens on `rpc_port + 1`. 0 picks a free port whose next port is free too (after
    /// 16 tries, PubSub takes any free port; `Node::ws_url` has it).
    pub rpc_port: u16,
    /// Slot length; `None` = slots move only by `leash_warpSlot`.
    pub slot_time: Option<Duration>,
    /// Whether `leash_warpSlot` and `leash_setUnixTimestamp` answer (`--allow-time-travel`);
    /// without it they are refused with -32601.
    pub allow_time_travel: bool,
    /// Slots `finalized` lags `confirmed` (`--finality-lag`), as on a real cluster: statuses,
    /// `getSlot`/`getBlockHeight`/`getLatestBlockhash` at `finalized`, and preflight at
    /// `finalized` (which then knows no blockhash newer than the finalized slot). 0: this node
    /// finalizes at once.
    pub finality_lag: u64,
    /// The program at SPL Token's address (`--spl-token`) for a new ledger; `None` = p-token.
    /// A ledger keeps the one it was created with: naming another is refused.
    pub spl_token: Option<SplToken>,
}

/// A node that is listening.
pub struct Node {
    pub url: String,
    pub address: SocketAddr,
    /// WebSocket PubSub, on `rpc_port + 1` (see [`NodeConfig::rpc_port`]).
    pub ws_url: String,
    pub info: ChainInfo,
    executor: Executor,
    allow_time_travel: bool,
    listener: tokio::net::TcpListener,
    ws_listener: tokio::net::TcpListener,
    executor_thread: std::thread::JoinHandle<()>,
    limits: Limits,
}

impl Node {
    /// Opens the ledger and binds the RPC port.
    pub async fn bind(config: NodeConfig) -> Result<Node, NodeError> {
        // Many idle clients should meet the idle timeout, not a low default open-file limit.
        limits::raise_open_file_limit();
        let (executor, info, executor_thread) = Executor::start(
            config.ledger.clone(),
            config.reset,
            config.slot_time,
            config.finality_lag,
            config.spl_token,
        )?;
        let (listener, ws_listener) = match bind_ports(config.bind, config.rpc_port).await {
            Ok(listeners) => listeners,
            Err(e) => {
                executor.shutdown();
                return Err(e);
            }
        };
        let address = listener.local_addr()?;
        let ws_address = ws_listener.local_addr()?;
        Ok(Node {
            url: format!("http://{address}"),
            address,
            ws_url: format!("ws://{ws_address}"),
            info,
            executor,
            allow_time_travel: config.allow_time_travel,
            listener,
            ws_listener,
            executor_thread,
            limits: Limits::default(),
        })
    }

    /// Replaces the default limits (docs/node.md "Limits").
    pub fn with_limits(mut self, limits: Limits) -> Node {
        self.limits = limits;
        self
    }

    /// Serves until `shutdown` completes, then commits and stops the executor.
    pub async fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), NodeError> {
        let app = Router::new()
            .route("/", axum::routing::post(rpc_endpoint))
            .route("/health", get(|| async { "ok" }))
            .layer(DefaultBodyLimit::max(self.limits.max_body_bytes))
            .layer(axum::middleware::from_fn(limits::mark_in_flight))
            .with_state(Endpoint {
                rpc: methods::Rpc {
                    executor: self.executor.clone(),
                    allow_time_travel: self.allow_time_travel,
                    addresses: methods::Addresses {
                        rpc: Some(self.address),
                        pubsub: self.ws_listener.local_addr().ok(),
                    },
                },
                limits: self.limits.clone(),
            });
        let (stop, stopped) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            shutdown.await;
            let _ = stop.send(true);
        });
        let pubsub = tokio::spawn(pubsub::serve(
            limits::GuardedListener::new(
                self.ws_listener,
                self.limits.connections(true),
                "leash node (PubSub)",
            ),
            self.executor.clone(),
            stopped.clone(),
            self.limits.idle_timeout,
        ));
        let mut http_stopped = stopped;
        let listener = limits::GuardedListener::new(
            self.listener,
            self.limits.connections(false),
            "leash node",
        );
        let app = app.into_make_service_with_connect_info::<limits::Connection>();
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = http_stopped.wait_for(|stop| *stop).await;
            })
            .await;
        let _ = pubsub.await;
        self.executor.shutdown();
        let _ = tokio::task::spawn_blocking(move || self.executor_thread.join()).await;
        Ok(served?)
    }
}

/// The RPC listener and PubSub's on the next port, as solana-test-validator (web3.js derives the
/// WebSocket URL as rpc-port + 1). With `rpc_port` 0, free ports are tried until a pair is found
/// (a few attempts), else PubSub gets any free port.
async fn bind_ports(
    bind: IpAddr,
    rpc_port: u16,
) -> Result<(tokio::net::TcpListener, tokio::net::TcpListener), NodeError> {
    use tokio::net::TcpListener;
    let listen = |port: u16, what: &'static str| async move {
        let address = SocketAddr::new(bind, port);
        TcpListener::bind(address)
            .await
            .map_err(|source| NodeError::Listen {
                address,
                what,
                source,
            })
    };
    if rpc_port != 0 {
        let rpc = listen(rpc_port, "").await?;
        let ws_port = rpc_port
            .checked_add(1)
            .ok_or(NodeError::NoPubSubPort { rpc_port })?;
        return Ok((rpc, listen(ws_port, " (WebSocket PubSub)").await?));
    }
    for _ in 0..16 {
        let rpc = listen(0, "").await?;
        let port = rpc.local_addr()?.port();
        if let Some(next) = port.checked_add(1) {
            if let Ok(ws) = listen(next, "").await {
                return Ok((rpc, ws));
            }
        }
    }
    Ok((
        listen(0, "").await?,
        listen(0, " (WebSocket PubSub)").await?,
    ))
}

#[derive(Clone)]
struct Endpoint {
    rpc: methods::Rpc,
    limits: Limits,
}

fn json_response(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn error_body(error: jsonrpc::RpcError) -> String {
    jsonrpc::response(None, Err(error)).to_string()
}

async fn rpc_endpoint(
    State(endpoint): State<Endpoint>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let limits = &endpoint.limits;
    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
            let status = rejection.status();
            let why = if status == StatusCode::PAYLOAD_TOO_LARGE {
                format!(
                    "the request body exceeds the node's limit of {} bytes",
                    limits.max_body_bytes
                )
            } else {
                rejection.body_text()
            };
            return json_response(status, error_body(jsonrpc::RpcError::invalid_request(&why)));
        }
    };
    let request: Value = match serde_json::from_slice(&body) {
        Ok(value) => value,
        Err(_) => {
            return json_response(StatusCode::OK, error_body(jsonrpc::RpcError::parse_error()))
        }
    };
    drop(body);
    let budget = limits::Budget::new(limits.max_response_bytes);
    limits::BUDGET
        .scope(budget, async move {
            let rpc = &endpoint.rpc;
            match request {
                Value::Array(requests) if requests.is_empty() => json_response(
                    StatusCode::OK,
                    error_body(jsonrpc::RpcError::invalid_request("empty batch")),
                ),
                Value::Array(requests) if requests.len() > limits.max_batch_calls => {
                    let why = format!(
                        "a batch of {} calls exceeds the node's limit of {} calls per batch",
                        requests.len(),
                        limits.max_batch_calls
                    );
                    json_response(
                        StatusCode::OK,
                        error_body(jsonrpc::RpcError::invalid_request(&why)),
                    )
                }
                Value::Array(requests) => {
                    let mut answers = Vec::with_capacity(requests.len());
                    for request in requests {
                        if let Some(answer) = answer_within_budget(rpc, request).await {
                            answers.push(answer);
                        }
                    }
                    // All notifications: nothing to say (JSON-RPC 2.0; Agave answers an empty
                    // body too).
                    if answers.is_empty() {
                        return json_response(StatusCode::OK, String::new());
                    }
                    json_response(StatusCode::OK, format!("[{}]", answers.join(",")))
                }
                request => match answer_within_budget(rpc, request).await {
                    Some(answer) => json_response(StatusCode::OK, answer),
                    None => json_response(StatusCode::OK, String::new()),
                },
            }
        })
        .await
}

/// Answers one call as JSON text, charged to the request's response budget; an answer that does
/// not fit is replaced by an error naming the limit.
async fn answer_within_budget(rpc: &methods::Rpc, request: Value) -> Option<String> {
    let response = methods::handle_request(rpc, request).await?;
    let text = response.to_string();
    let id = response.get("id").cloned();
    drop(response);
    let (fits, limit) = limits::BUDGET.with(|b| (b.charge(text.len()), b.limit()));
    if fits {
        return Some(text);
    }
    Some(jsonrpc::response(id, Err(limits::too_large(limit, false))).to_string())
}

/// A node on a background runtime, for tests and benchmarks; stops when dropped.
pub struct BackgroundNode {
    pub url: String,
    pub ws_url: String,
    pub info: ChainInfo,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl BackgroundNode {
    pub fn start(config: NodeConfig) -> Result<BackgroundNode, NodeError> {
        Self::start_with_limits(config, Limits::default())
    }

    pub fn start_with_limits(
        config: NodeConfig,
        limits: Limits,
    ) -> Result<BackgroundNode, NodeError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let node = runtime.block_on(Node::bind(config))?.with_limits(limits);
        let (url, ws_url, info) = (node.url.clone(), node.ws_url.clone(), node.info.clone());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let _ = runtime.block_on(node.serve(async {
                let _ = stopped.await;
            }));
        });
        Ok(BackgroundNode {
            url,
            ws_url,
            info,
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for BackgroundNode {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
