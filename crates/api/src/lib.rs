//! `leash serve`: the HTTP API of docs/api.md for owners and services, a face of `leash-client`.
//!
//! - Owners preview → prepare (unsigned transactions + a human summary) → sign anywhere →
//!   submit; reads give status and `used / limit` per mint. Holders who sign elsewhere get an
//!   unsigned `Execute` from `execute/build`. No secret ever reaches this process: owners sign
//!   in their wallet, session keys stay with their holders, API keys are stored hashed.
//! - Every route, with its scope, is one row of [`routes::ROUTES`]; `/openapi.json` is built
//!   from it.
//! - Errors are one envelope ([`error::ApiError`]) with a `request_id`; every §3.4 program
//!   error has its own code.
//! - The store ([`store::Store`], SQLite under `LEASH_HOME`) holds API keys, idempotency records
//!   and the hash-chained, signed audit log ([`audit`]).

pub mod admin;
pub mod assets;
pub mod audit;
pub mod auth;
pub mod body;
pub mod error;
pub mod handlers;
pub mod idempotency;
pub mod live;
pub mod openapi;
pub mod request_id;
pub mod route;
pub mod routes;
pub mod state;
pub mod store;

pub use admin::append_audit;
pub use auth::keys;
pub use state::{AppState, BODY_LIMIT, SIGN_IN_RATE};

use std::{net::SocketAddr, path::PathBuf, sync::Arc};

use axum::{extract::DefaultBodyLimit, middleware::from_fn_with_state, Router};
use leash_client::{Client, Cluster};
use solana_keypair::Keypair;

use crate::{
    keys::{RateLimit, Scope},
    store::Store,
};

/// Where the API keeps its files: `$LEASH_HOME/api` (else `~/.config/leash/api`).
pub fn default_dir() -> leash_client::Result<PathBuf> {
    Ok(leash_client::home::config_dir()?.join("api"))
}

/// The store file and the audit key in `dir`.
pub fn store_path(dir: &std::path::Path) -> PathBuf {
    dir.join("leash-api.sqlite3")
}

pub fn audit_key_path(dir: &std::path::Path) -> PathBuf {
    dir.join("audit-key.json")
}

/// The audit key in `dir`, created (0600) on first use.
pub fn audit_key(dir: &std::path::Path) -> leash_client::Result<Keypair> {
    let path = audit_key_path(dir);
    if path.exists() {
        leash_client::home::read_keypair(&path)
    } else {
        let key = Keypair::new();
        leash_client::home::write_keypair(&path, &key)?;
        Ok(key)
    }
}

pub use leash_net::ConnectionLimits;

/// The API's router over `state`.
pub fn app(state: Arc<AppState>) -> Router {
    // MCP for agents on the API's cluster, with this process's session token (docs/agents.md).
    // Every acting call that runs is audited as `mcp.<tool>` by the key that made it.
    let audited = state.clone();
    let hook: leash_mcp::AuditHook = Arc::new(move |acted: leash_mcp::Acted| {
        let state = audited.clone();
        Box::pin(async move {
            let resource = match &acted.session {
                Some(session) => format!("session/{session}"),
                None => "mcp".to_string(),
            };
            let payload = serde_json::json!({
                "tool": acted.tool,
                "arguments": acted.arguments,
                "outcome": acted.outcome,
            });
            let actor = acted.actor.as_deref().unwrap_or("unknown");
            // A failed write is logged by `audit`; the call itself has already run.
            let _ = state
                .audit(actor, &format!("mcp.{}", acted.tool), &resource, payload)
                .await;
        })
    });
    let mcp = leash_mcp::http_service(
        leash_mcp::LeashMcp::http(Some(state.client.cluster().clone()))
            .with_program(state.client.program())
            .with_settings(state.client.settings())
            .with_audit(hook),
        BODY_LIMIT,
    );
    routes::router()
        .route(
            "/mcp",
            axum::routing::post_service(mcp).layer(axum::middleware::from_fn(handlers::mcp_grant)),
        )
        .fallback(handlers::fallback)
        .method_not_allowed_fallback(handlers::method_not_allowed)
        .layer(from_fn_with_state(state.clone(), idempotency::idempotency))
        .layer(from_fn_with_state(state.clone(), auth::auth))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn(request_id::layer))
        .with_state(state)
}

/// The store: PostgreSQL at `database_url` if given, else the SQLite file in `dir`.
pub fn open_store(dir: &std::path::Path, database_url: Option<&str>) -> store::StoreResult<Store> {
    match database_url {
        Some(url) => Store::postgres(url),
        None => Store::open(&store_path(dir)),
    }
}

/// How `leash serve` runs.
pub struct Config {
    pub cluster: Cluster,
    /// The Leash program on `cluster` (docs/deploy.md).
    pub program: leash_client::ProgramChoice,
    /// Commitment and priority fee of what the server sends and prepares.
    pub settings: leash_client::transaction::SendSettings,
    /// Holds the SQLite store and the audit key (instances sharing a PostgreSQL store share
    /// this key file too).
    pub dir: PathBuf,
    /// `postgres://…`: the store is there instead of SQLite.
    pub database_url: Option<String>,
    /// The local signer (`--signer`): submit signs with it when an admin asks.
    pub signer: Option<Keypair>,
    pub listen: SocketAddr,
    pub rate: RateLimit,
    /// Webhook delivery: private addresses allowed or not, retries (docs/api.md, "Webhooks").
    pub webhooks: live::WebhookSettings,
}

/// An API ready to serve: its state, and the admin key made on first start (print it once).
pub struct Prepared {
    pub state: Arc<AppState>,
    pub first_admin_key: Option<String>,
}

/// Opens the store (creating it and the audit key on first use) and, if it holds no key yet,
/// makes one admin key.
pub fn prepare(config: Config) -> Result<Prepared, String> {
    // Many clients should meet the connection guards, not a low default open-file limit.
    leash_net::raise_open_file_limit();
    let store =
        open_store(&config.dir, config.database_url.as_deref()).map_err(|e| e.to_string())?;
    let key = audit_key(&config.dir).map_err(|e| e.message)?;
    let first_admin_key = if store.key_count().map_err(|e| e.to_string())? == 0 {
        let new = keys::create_key(&store, "admin (first start)", &[Scope::Admin])
            .map_err(|e| e.to_string())?;
        append_audit(
            &store,
            &key,
            "leash serve",
            "api_key.create",
            &format!("api_key/{}", new.record.id),
            &serde_json::json!({ "name": new.record.name, "scopes": new.record.scopes }),
        )
        .map_err(|e| e.to_string())?;
        Some(new.key)
    } else {
        None
    };
    let state = Arc::new(
        AppState::new(
            Client::with_program(config.cluster.clone(), config.program)
                .with_settings(config.settings),
            Arc::new(store),
            key,
            config.rate,
        )
        .with_signer(config.signer)
        .with_webhooks(config.webhooks),
    );
    Ok(Prepared {
        state,
        first_admin_key,
    })
}

/// How often expired idempotency records are purged.
const PURGE_EVERY: std::time::Duration = std::time::Duration::from_secs(600);

/// Purges expired idempotency records every [`PURGE_EVERY`] while the server runs (a claim
/// purges too, but a quiet server would otherwise keep them). Holds the state weakly, and
/// touches it only on a blocking thread: a PostgreSQL client must never be dropped on the
/// runtime, and the last reference may be this one.
pub async fn purge_expired(state: std::sync::Weak<AppState>) {
    let mut timer = tokio::time::interval(PURGE_EVERY);
    loop {
        timer.tick().await;
        let Some(state) = state.upgrade() else {
            return;
        };
        let _ = tokio::task::spawn_blocking(move || {
            if let Err(e) = state.store.purge_expired_idempotency() {
                eprintln!("leash serve: purging idempotency records: {e}");
            }
        })
        .await;
    }
}

/// Serves `state` on `listener` until `shutdown` resolves, with the default connection guards
/// (docs/api.md "Limits").
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, state, ConnectionLimits::default(), shutdown).await
}

/// [`serve`] with other connection guards: idle and header timeouts, caps in total and per
/// address, descriptors in reserve (leash-net).
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    state: Arc<AppState>,
    connections: ConnectionLimits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let starting = state.clone();
    let _ = tokio::task::spawn_blocking(move || live::start_cursor(&starting)).await;
    // Held until everything below has stopped, then dropped on a blocking thread: the state's
    // last reference must not go on the runtime, where a PostgreSQL client cannot be dropped.
    let keep = state.clone();
    let purge = tokio::spawn(purge_expired(Arc::downgrade(&state)));
    let watcher = tokio::spawn(live::watch(Arc::downgrade(&state)));
    let deliverer = tokio::spawn(live::deliver(Arc::downgrade(&state)));
    let listener = leash_net::GuardedListener::new(listener, connections, "leash serve");
    let app = app(state)
        .layer(axum::middleware::from_fn(leash_net::mark_in_flight))
        .into_make_service_with_connect_info::<leash_net::Connection>();
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    purge.abort();
    // The watcher and the deliverer end their round (a delivery under way is not cut off),
    // then stop; aborted only if that takes longer than a delivery may.
    keep.stopping
        .store(true, std::sync::atomic::Ordering::Relaxed);
    keep.events_changed.notify_waiters();
    let (watcher_abort, deliverer_abort) = (watcher.abort_handle(), deliverer.abort_handle());
    let finished = tokio::time::timeout(std::time::Duration::from_secs(20), async {
        let _ = watcher.await;
        let _ = deliverer.await;
    })
    .await;
    if finished.is_err() {
        watcher_abort.abort();
        deliverer_abort.abort();
    }
    let _ = tokio::task::spawn_blocking(move || drop(keep)).await;
    served
}
