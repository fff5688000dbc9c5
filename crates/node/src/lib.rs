//! `leash node`: a local Solana-compatible JSON-RPC node on LiteSVM with the Leash program, SPL
//! Token, Token-2022 and ATA, a faucet, a local USDC, and a durable ledger (DESIGN.md §4,
//! docs/node.md).

pub mod chain;
pub mod encoding;
pub mod executor;
pub mod methods;
pub mod parsed;
pub mod pubsub;
pub mod rpc;
pub mod store;

use std::{
    future::Future,
    net::{IpAddr, SocketAddr},
    path::PathBuf,
    time::Duration,
};

use axum::{
    body::Bytes, extract::State, http::header, response::IntoResponse, routing::get, Router,
};
use serde_json::Value;

pub use chain::TokenInfo;
pub use executor::{ChainInfo, Executor};

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
}

impl Node {
    /// Opens the ledger and binds the RPC port.
    pub async fn bind(config: NodeConfig) -> Result<Node, String> {
        let (executor, info, executor_thread) =
            Executor::start(config.ledger.clone(), config.reset, config.slot_time)
                .map_err(|e| e.to_string())?;
        let (listener, ws_listener) = match bind_ports(config.bind, config.rpc_port).await {
            Ok(listeners) => listeners,
            Err(e) => {
                executor.shutdown();
                return Err(e);
            }
        };
        let address = listener.local_addr().map_err(|e| e.to_string())?;
        let ws_address = ws_listener.local_addr().map_err(|e| e.to_string())?;
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
        })
    }

    /// Serves until `shutdown` completes, then commits and stops the executor.
    pub async fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), String> {
        let app = Router::new()
            .route("/", axum::routing::post(rpc_endpoint))
            .route("/health", get(|| async { "ok" }))
            .with_state(rpc::Rpc {
                executor: self.executor.clone(),
                allow_time_travel: self.allow_time_travel,
                address: Some(self.address),
            });
        let (stop, stopped) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            shutdown.await;
            let _ = stop.send(true);
        });
        let pubsub = tokio::spawn(pubsub::serve(
            self.ws_listener,
            self.executor.clone(),
            stopped.clone(),
        ));
        let mut http_stopped = stopped;
        let served = axum::serve(self.listener, app)
            .with_graceful_shutdown(async move {
                let _ = http_stopped.wait_for(|stop| *stop).await;
            })
            .await;
        let _ = pubsub.await;
        self.executor.shutdown();
        let _ = tokio::task::spawn_blocking(move || self.executor_thread.join()).await;
        served.map_err(|e| e.to_string())
    }
}

/// The RPC listener and PubSub's on the next port, as solana-test-validator (web3.js derives the
/// WebSocket URL as rpc-port + 1). With `rpc_port` 0, free ports are tried until a pair is found
/// (a few attempts), else PubSub gets any free port.
async fn bind_ports(
    bind: IpAddr,
    rpc_port: u16,
) -> Result<(tokio::net::TcpListener, tokio::net::TcpListener), String> {
    use tokio::net::TcpListener;
    let listen = |port: u16, what: &'static str| async move {
        let address = SocketAddr::new(bind, port);
        TcpListener::bind(address)
            .await
            .map_err(|e| format!("cannot listen on {address}{what}: {e}"))
    };
    if rpc_port != 0 {
        let rpc = listen(rpc_port, "").await?;
        let ws_port = rpc_port.checked_add(1).ok_or_else(|| {
            format!("no port for WebSocket PubSub after RPC port {rpc_port} (it uses rpc-port + 1)")
        })?;
        return Ok((rpc, listen(ws_port, " (WebSocket PubSub)").await?));
    }
    for _ in 0..16 {
        let rpc = listen(0, "").await?;
        let port = rpc.local_addr().map_err(|e| e.to_string())?.port();
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

async fn rpc_endpoint(State(rpc): State<rpc::Rpc>, body: Bytes) -> impl IntoResponse {
    let json = |value: Value| {
        (
            [(header::CONTENT_TYPE, "application/json")],
            value.to_string(),
        )
    };
    let request: Value = match serde_json::from_slice(&body) {
        Ok(value) => value,
        Err(_) => {
            return json(serde_json::json!({
                "jsonrpc": "2.0",
                "error": {"code": -32700, "message": "Parse error"},
                "id": null
            }))
        }
    };
    match request {
        Value::Array(requests) if requests.is_empty() => json(serde_json::json!({
            "jsonrpc": "2.0",
            "error": {"code": -32600, "message": "Invalid request: empty batch"},
            "id": null
        })),
        Value::Array(requests) => {
            let mut responses = Vec::with_capacity(requests.len());
            for request in requests {
                if let Some(response) = rpc::handle_request(&rpc, request).await {
                    responses.push(response);
                }
            }
            json(Value::Array(responses))
        }
        request => match rpc::handle_request(&rpc, request).await {
            Some(response) => json(response),
            None => json(Value::Null),
        },
    }
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
    pub fn start(config: NodeConfig) -> Result<BackgroundNode, String> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        let node = runtime.block_on(Node::bind(config))?;
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
