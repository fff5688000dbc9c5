//! The routes of docs/api.md: one table ([`ROUTES`]) says each route's method, path, scope,
//! request and answer schemas and whether it needs an `Idempotency-Key`; the auth layer, the
//! OpenAPI document and the tests read it. Handlers parse their input once, call one
//! `leash-client` operation on a blocking thread, and answer its typed report.

use std::sync::Arc;

use axum::{
    extract::{Path, Query, State},
    http::{Method, StatusCode},
    response::{IntoResponse, Response},
    routing::{delete, get, post},
    Extension, Router,
};
use leash_client::{
    input::parse_address, owner, Action, Amount, BuiltExecute, Client, PolicyInput, Prepared,
    RawInstruction, RequestStatus, SessionRequestList, SessionRequestView, SessionView, TokenRef,
    UnsignedTransaction, WalletRef,
};
use leash_sdk::{
    amount::format_amount,
    policy::{format_time, PolicyFile, PolicySummary},
    state::Session,
};
use serde::{Deserialize, Serialize};
use solana_program::pubkey::Pubkey;
use solana_signer::Signer;
use solana_transaction::Transaction;

use crate::{
    audit::{self, Verification},
    body::Json,
    dashboard,
    error::{ApiError, ApiResult},
    keys::{self, Scope},
    middleware::Caller,
    store::{AuditRow, Filing, KeyRecord, RequestRow},
    AppState,
};

/// One route: what the auth layer enforces and the OpenAPI document says.
#[derive(Debug, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    /// axum's form (`{session}`), which is also OpenAPI's.
    pub path: &'static str,
    /// `None`: no key needed.
    pub scope: Option<Scope>,
    pub operation_id: &'static str,
    pub summary: &'static str,
    /// Component schema of the body, if any.
    pub request: Option<&'static str>,
    /// Component schema of the 2xx answer.
    pub response: &'static str,
    pub success: u16,
    pub idempotency_required: bool,
    /// A key with this scope passes too, and the handler shows it only what it filed itself
    /// (`request` keys reading their own session requests).
    pub also: Option<Scope>,
    /// In `/openapi.json`. `/mcp` is not: it speaks MCP (JSON-RPC over streamable HTTP), whose
    /// own specification describes it, not a REST body of ours.
    pub openapi: bool,
    /// Its answer carries a secret shown once (a new API key): never kept for idempotent
    /// replay; a replay answers 409 `idempotency_secret_shown_once`.
    pub secret_answer: bool,
}

const fn route(
    method: &'static str,
    path: &'static str,
    scope: Option<Scope>,
    operation_id: &'static str,
    summary: &'static str,
    request: Option<&'static str>,
    response: &'static str,
) -> Route {
    Route {
        method,
        path,
        scope,
        operation_id,
        summary,
        request,
        response,
        success: 200,
        idempotency_required: false,
        also: None,
        openapi: true,
        secret_answer: false,
    }
}

const R: Option<Scope> = Some(Scope::Read);
const W: Option<Scope> = Some(Scope::Write);
const A: Option<Scope> = Some(Scope::Admin);
const Q: Option<Scope> = Some(Scope::Request);

/// Every route, once.
pub static ROUTES: &[Route] = &[
    route(
        "GET",
        "/health",
        None,
        "health",
        "Liveness and whether the cluster answers",
        None,
        "Health",
    ),
    route(
        "GET",
        "/openapi.json",
        None,
        "openapi",
        "This document",
        None,
        "OpenApi",
    ),
    route(
        "GET",
        "/v1/info",
        R,
        "info",
        "Program id, cluster and version",
        None,
        "Info",
    ),
    route(
        "POST",
        "/v1/wallets/prepare",
        W,
        "prepare_wallet",
        "Create an owner's wallet (unsigned transaction + summary)",
        Some("PrepareWalletRequest"),
        "Prepared",
    ),
    route(
        "GET",
        "/v1/wallets/{wallet}",
        R,
        "show_wallet",
        "A wallet: vault, balances, sessions",
        None,
        "WalletReport",
    ),
    route(
        "GET",
        "/v1/owners/{owner}/wallets",
        R,
        "owner_wallets",
        "The wallets an owner holds",
        None,
        "OwnerWallets",
    ),
    route(
        "POST",
        "/v1/sessions/preview",
        R,
        "preview_session",
        "Normalized policy, session address, warnings and rent; nothing is sent",
        Some("PreviewSessionRequest"),
        "SessionPreview",
    ),
    route(
        "POST",
        "/v1/sessions/prepare",
        W,
        "prepare_session",
        "Register a session for a key the caller holds (unsigned transaction + summary)",
        Some("PrepareSessionRequest"),
        "Prepared",
    ),
    route(
        "GET",
        "/v1/wallets/{wallet}/sessions",
        R,
        "list_sessions",
        "A wallet's sessions with status and used / limit per mint",
        None,
        "SessionList",
    ),
    route(
        "GET",
        "/v1/sessions/{session}",
        R,
        "show_session",
        "One session: status, uses, used / limit per mint",
        None,
        "SessionView",
    ),
    route(
        "POST",
        "/v1/sessions/{session}/revoke/prepare",
        W,
        "prepare_revoke",
        "Revoke a session",
        Some("EmptyRequest"),
        "Prepared",
    ),
    route(
        "POST",
        "/v1/sessions/{session}/update/prepare",
        W,
        "prepare_update",
        "Replace a session's policy; refused on chain if the session was used since expected_uses",
        Some("UpdateSessionRequest"),
        "Prepared",
    ),
    route(
        "POST",
        "/v1/sessions/{session}/close/prepare",
        W,
        "prepare_close",
        "Close a session; its rent returns to who paid it",
        Some("EmptyRequest"),
        "Prepared",
    ),
    route(
        "POST",
        "/v1/wallets/{wallet}/revoke-all/prepare",
        W,
        "prepare_revoke_all",
        "Revoke every session of the wallet",
        Some("EmptyRequest"),
        "Prepared",
    ),
    route(
        "POST",
        "/v1/wallets/{wallet}/deposit/prepare",
        W,
        "prepare_deposit",
        "Move SOL or a token from the owner into the vault",
        Some("DepositRequest"),
        "Prepared",
    ),
    route(
        "POST",
        "/v1/wallets/{wallet}/withdraw/prepare",
        W,
        "prepare_withdraw",
        "Move SOL or a token out of the vault (owner authority)",
        Some("WithdrawRequest"),
        "Prepared",
    ),
    route(
        "POST",
        "/v1/wallets/{wallet}/sweep/prepare",
        W,
        "prepare_sweep",
        "Recover SOL sent by mistake to the wallet or session accounts",
        Some("SweepRequest"),
        "Prepared",
    ),
    route(
        "POST",
        "/v1/sessions/{session}/simulate",
        R,
        "simulate",
        "Would the session's action pass, and if not which bound stops it",
        Some("ActionRequest"),
        "Simulation",
    ),
    route(
        "POST",
        "/v1/sessions/{session}/execute/build",
        W,
        "build_execute",
        "An unsigned Execute for the session key to sign elsewhere",
        Some("ActionRequest"),
        "BuiltExecute",
    ),
    Route {
        success: 200,
        idempotency_required: true,
        ..route(
            "POST",
            "/v1/transactions/submit",
            W,
            "submit",
            "Send a signed transaction; confirmed, program refusals mapped",
            Some("SubmitRequest"),
            "Submitted",
        )
    },
    Route {
        success: 201,
        ..route(
            "POST",
            "/v1/session-requests",
            Q,
            "file_session_request",
            "An agent asks the owner for a session for its own key (docs/agents.md)",
            Some("FileSessionRequest"),
            "SessionRequest",
        )
    },
    route(
        "GET",
        "/v1/session-requests",
        R,
        "list_session_requests",
        "Session requests, newest first, with their derived status; `status` filters",
        None,
        "SessionRequestList",
    ),
    Route {
        also: Q,
        ..route(
            "GET",
            "/v1/session-requests/{id}",
            R,
            "show_session_request",
            "One session request: pending, approved (with the policy granted), denied (with the note) or expired; a `request` key sees only its own",
            None,
            "SessionRequest",
        )
    },
    route(
        "POST",
        "/v1/session-requests/{id}/approve/prepare",
        W,
        "prepare_approve_session_request",
        "Approve a session request: the CreateSession for the agent's key, with the policy as asked or replaced (unsigned transaction + summary)",
        Some("ApproveSessionRequest"),
        "Prepared",
    ),
    route(
        "POST",
        "/v1/session-requests/{id}/deny",
        W,
        "deny_session_request",
        "Deny a session request, with a note for the agent",
        Some("DenySessionRequest"),
        "SessionRequest",
    ),
    route(
        "GET",
        "/v1/sessions/{session}/events",
        R,
        "session_events",
        "A session's on-chain events (created, each use with what it spent, updated, revoked, closed), newest first",
        None,
        "SessionActivity",
    ),
    route(
        "POST",
        "/v1/dev/airdrop",
        W,
        "dev_airdrop",
        "SOL from the local node's faucet (refused on any other cluster)",
        Some("AirdropRequest"),
        "Airdropped",
    ),
    route(
        "POST",
        "/v1/dashboard/sign-in",
        None,
        "dashboard_sign_in",
        "Trade an API key for the dashboard's HttpOnly sign-in cookie and its CSRF token",
        Some("SignInRequest"),
        "DashboardSession",
    ),
    route(
        "GET",
        "/v1/dashboard/session",
        R,
        "dashboard_session",
        "Who is signed in, the CSRF token again, and what this server offers",
        None,
        "DashboardSession",
    ),
    route(
        "POST",
        "/v1/dashboard/sign-out",
        R,
        "dashboard_sign_out",
        "End the dashboard's sign-in and clear its cookie",
        Some("EmptyRequest"),
        "SignedOut",
    ),
    route(
        "GET",
        "/v1/api-keys",
        A,
        "list_keys",
        "API keys (never the keys themselves)",
        None,
        "KeyList",
    ),
    Route {
        success: 201,
        secret_answer: true,
        ..route(
            "POST",
            "/v1/api-keys",
            A,
            "create_key",
            "A new API key, shown once",
            Some("CreateKeyRequest"),
            "KeyCreated",
        )
    },
    route(
        "DELETE",
        "/v1/api-keys/{id}",
        A,
        "revoke_key",
        "Revoke an API key",
        None,
        "KeyRevoked",
    ),
    route(
        "GET",
        "/v1/audit/log",
        A,
        "audit_log",
        "Audit entries after `after` (at most `limit`), with the audit key",
        None,
        "AuditExport",
    ),
    route(
        "GET",
        "/v1/audit/verify",
        A,
        "audit_verify",
        "Verify the audit chain: links, hashes and signatures",
        None,
        "Verification",
    ),
    // The holder's tools for agents (docs/agents.md): any `read` key may
    // connect and read; transfer, execute, multicall and revoke need `write` (checked per tool
    // call by leash-mcp, from the grant [`mcp_grant`] gives it).
    Route {
        openapi: false,
        ..route(
            "POST",
            "/mcp",
            R,
            "mcp",
            "MCP over streamable HTTP (stateless): the session holder's tools, with the server's session token",
            None,
            "JsonRpc",
        )
    },
];

/// The route serving `method` on a request `path`: its segments match the pattern's (a
/// `{param}` matches any one segment); of several, the one with the most literal segments
/// (`/v1/sessions/preview` before `/v1/sessions/{session}`), as the router decides.
pub fn route_for(method: &Method, path: &str) -> Option<&'static Route> {
    let segments: Vec<&str> = path.split('/').collect();
    ROUTES
        .iter()
        .filter(|r| r.method == method.as_str())
        .filter_map(|r| {
            let pattern: Vec<&str> = r.path.split('/').collect();
            if pattern.len() != segments.len() {
                return None;
            }
            let mut literal = 0;
            for (p, s) in pattern.iter().zip(&segments) {
                if p.starts_with('{') {
                    if s.is_empty() {
                        return None;
                    }
                } else if p == s {
                    literal += 1;
                } else {
                    return None;
                }
            }
            Some((literal, r))
        })
        .max_by_key(|(literal, _)| *literal)
        .map(|(_, r)| r)
}

type St = State<Arc<AppState>>;

/// The router of every route in [`ROUTES`].
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/health", get(health))
        .route("/openapi.json", get(openapi))
        .route("/v1/info", get(info))
        .route("/v1/wallets/prepare", post(prepare_wallet))
        .route("/v1/wallets/{wallet}", get(show_wallet))
        .route("/v1/owners/{owner}/wallets", get(owner_wallets))
        .route("/v1/sessions/preview", post(preview_session))
        .route("/v1/sessions/prepare", post(prepare_session))
        .route("/v1/wallets/{wallet}/sessions", get(list_sessions))
        .route("/v1/sessions/{session}", get(show_session))
        .route(
            "/v1/sessions/{session}/revoke/prepare",
            post(prepare_revoke),
        )
        .route(
            "/v1/sessions/{session}/update/prepare",
            post(prepare_update),
        )
        .route("/v1/sessions/{session}/close/prepare", post(prepare_close))
        .route(
            "/v1/wallets/{wallet}/revoke-all/prepare",
            post(prepare_revoke_all),
        )
        .route(
            "/v1/wallets/{wallet}/deposit/prepare",
            post(prepare_deposit),
        )
        .route(
            "/v1/wallets/{wallet}/withdraw/prepare",
            post(prepare_withdraw),
        )
        .route("/v1/wallets/{wallet}/sweep/prepare", post(prepare_sweep))
        .route("/v1/sessions/{session}/simulate", post(simulate))
        .route("/v1/sessions/{session}/execute/build", post(build_execute))
        .route("/v1/transactions/submit", post(submit))
        .route(
            "/v1/session-requests",
            get(list_requests).post(file_request),
        )
        .route("/v1/session-requests/{id}", get(show_request))
        .route(
            "/v1/session-requests/{id}/approve/prepare",
            post(prepare_approve_request),
        )
        .route("/v1/session-requests/{id}/deny", post(deny_request))
        .route("/v1/api-keys", get(list_keys).post(create_key))
        .route("/v1/api-keys/{id}", delete(revoke_key))
        .route("/v1/audit/log", get(audit_log))
        .route("/v1/audit/verify", get(audit_verify))
        .route("/v1/sessions/{session}/events", get(session_events))
        .route("/v1/dev/airdrop", post(dev_airdrop))
        .route("/v1/dashboard/sign-in", post(dashboard::sign_in))
        .route("/v1/dashboard/session", get(dashboard::session))
        .route("/v1/dashboard/sign-out", post(dashboard::sign_out))
        // The dashboard's page and files (not API routes: no key, not in the document).
        .route("/", get(dashboard::index))
        .route("/assets/{file}", get(dashboard::assets))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_find_their_route() {
        let post = Method::POST;
        let get = Method::GET;
        assert_eq!(
            route_for(&post, "/v1/sessions/preview").map(|r| r.operation_id),
            Some("preview_session")
        );
        assert_eq!(
            route_for(&get, "/v1/sessions/abc").map(|r| r.operation_id),
            Some("show_session")
        );
        assert_eq!(
            route_for(&post, "/v1/sessions/abc/execute/build").map(|r| r.scope),
            Some(Some(Scope::Write))
        );
        assert_eq!(route_for(&get, "/v1/sessions/"), None);
        assert_eq!(route_for(&get, "/v1/nothing"), None);
        assert_eq!(route_for(&Method::DELETE, "/v1/info"), None);
    }
}

// ---------------------------------------------------------------------------------------------
// Requests.

fn default_wallet_name() -> String {
    "default".to_string()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrepareWalletRequest {
    /// The owner's address (base58); the owner signs and pays.
    pub owner: String,
    /// The wallet's name (its address is derived from the owner and the name).
    #[serde(default = "default_wallet_name")]
    pub name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreviewSessionRequest {
    pub wallet: String,
    /// The session's public key; its secret stays with the holder.
    pub session_key: String,
    pub policy: PolicyFile,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrepareSessionRequest {
    pub wallet: String,
    pub session_key: String,
    pub policy: PolicyFile,
    /// SOL sent to the session key for its fees (decimal string, default "0.01").
    #[serde(default)]
    pub top_up: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateSessionRequest {
    pub policy: PolicyFile,
    /// The session's use count the owner saw; the program refuses the update if it moved.
    #[serde(default)]
    pub expected_uses: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmptyRequest {}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepositRequest {
    pub amount: String,
    pub token: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WithdrawRequest {
    pub amount: String,
    pub token: String,
    #[serde(default)]
    pub to: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepRequest {
    #[serde(default)]
    pub to: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferRequest {
    pub to: String,
    pub amount: String,
    pub token: String,
}

/// What the session is asked to do: exactly one of `transfer`, `execute`, `multicall`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ActionRequest {
    Transfer(TransferRequest),
    Execute(serde_json::Value),
    Multicall(Vec<serde_json::Value>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmitRequest {
    /// base64 of a signed wire transaction.
    pub transaction: String,
    /// Sign with the server's local signer (`leash serve --signer`) before sending; needs the
    /// `admin` scope.
    #[serde(default)]
    pub sign_with_local_signer: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateKeyRequest {
    pub name: String,
    pub scopes: Vec<Scope>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSessionRequest {
    pub wallet: String,
    /// The agent's session public key; its secret never leaves the agent.
    pub session_key: String,
    pub policy: PolicyFile,
    /// What the session is for, for the owner (1–500 characters).
    pub reason: String,
    /// How long the owner has to decide (1 s – 7 days, default 1 day).
    #[serde(default)]
    pub expires_in_seconds: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApproveSessionRequest {
    /// The owner's edit: a full replacement of the policy asked for.
    #[serde(default)]
    pub policy: Option<PolicyFile>,
    /// SOL sent to the agent's key for its fees (decimal string, default "0.01").
    #[serde(default)]
    pub top_up: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DenySessionRequest {
    /// Why, for the agent (at most 500 characters).
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestQuery {
    #[serde(default)]
    pub status: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AirdropRequest {
    /// Who receives the SOL (base58).
    pub to: String,
    /// Decimal SOL, at most 100.
    pub amount: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    #[serde(default)]
    pub after: Option<i64>,
    #[serde(default)]
    pub limit: Option<i64>,
    /// `true`: the newest `limit` entries (still oldest first); `after` must not be given.
    #[serde(default)]
    pub newest: Option<bool>,
}

// ---------------------------------------------------------------------------------------------
// Answers.

#[derive(Serialize)]
pub struct Health {
    pub status: &'static str,
    pub cluster: String,
    pub cluster_reachable: bool,
}

/// A prepared owner operation: unsigned transactions (sign each with the owner's key, in
/// order, then submit), what they do, and the report they give once sent.
#[derive(Serialize)]
pub struct PreparedAnswer<R: Serialize> {
    pub summary: String,
    pub fee_payer: String,
    pub transactions: Vec<UnsignedTransaction>,
    pub report: R,
}

#[derive(Serialize)]
pub struct PreviewAnswer {
    #[serde(flatten)]
    pub preview: owner::SessionPreview,
    pub wallet_exists: bool,
    /// The session account's rent-exempt deposit, paid by the owner, returned on close.
    pub rent: String,
    pub rent_lamports: u64,
}

#[derive(Serialize)]
pub struct SessionListAnswer {
    pub wallet: String,
    pub sessions: Vec<SessionView>,
}

#[derive(Serialize)]
pub struct WalletEntry {
    pub wallet: String,
    pub vault: String,
}

#[derive(Serialize)]
pub struct OwnerWallets {
    pub owner: String,
    pub wallets: Vec<WalletEntry>,
}

#[derive(Serialize)]
pub struct Submitted {
    pub signature: String,
    pub status: &'static str,
}

#[derive(Serialize)]
pub struct KeyCreated {
    /// The key: shown this once, stored only as its SHA-256.
    pub key: String,
    #[serde(flatten)]
    pub record: KeyRecord,
}

#[derive(Serialize)]
pub struct KeyList {
    pub keys: Vec<KeyRecord>,
}

#[derive(Serialize)]
pub struct KeyRevoked {
    pub id: String,
    pub revoked: bool,
}

#[derive(Serialize)]
pub struct AuditExport {
    pub audit_key: String,
    pub entries: Vec<AuditRow>,
}

// ---------------------------------------------------------------------------------------------
// Input, parsed once.

fn address(field: &str, text: &str) -> ApiResult<Pubkey> {
    parse_address(text)
        .map_err(|_| ApiError::invalid(field, format!("{field}: {text:?} is not a base58 address")))
}

fn amount(field: &'static str, text: &str) -> ApiResult<Amount> {
    Amount::parse(text, field).map_err(|e| ApiError::from_client(e, Some(field)))
}

fn policy(file: PolicyFile) -> PolicyInput {
    PolicyInput {
        origin: "policy".to_string(),
        file,
    }
}

fn action(request: ActionRequest) -> ApiResult<Action> {
    Ok(match request {
        ActionRequest::Transfer(t) => Action::Transfer {
            to: address("transfer.to", &t.to)?,
            amount: amount("transfer.amount", &t.amount)?,
            token: TokenRef::new(&t.token),
        },
        ActionRequest::Execute(raw) => Action::Execute(
            RawInstruction::parse_one(&raw.to_string())
                .map_err(|e| ApiError::from_client(e, Some("execute")))?,
        ),
        ActionRequest::Multicall(raw) => Action::Multicall(
            RawInstruction::parse_many(&serde_json::Value::Array(raw).to_string())
                .map_err(|e| ApiError::from_client(e, Some("multicall")))?,
        ),
    })
}

/// Runs a blocking `leash-client` call off the async workers; its error mapped, naming
/// `field` for input errors.
async fn blocking<T: Send + 'static>(
    state: &Arc<AppState>,
    field: Option<&'static str>,
    f: impl FnOnce(&Client) -> leash_client::Result<T> + Send + 'static,
) -> ApiResult<T> {
    let client = state.client.clone();
    tokio::task::spawn_blocking(move || f(&client))
        .await
        .map_err(|_| ApiError::internal("an operation stopped unexpectedly"))?
        .map_err(|e| ApiError::from_client(e, field))
}

fn json<T: Serialize>(status: StatusCode, value: &T) -> Response {
    (status, axum::Json(value)).into_response()
}

fn ok<T: Serialize>(value: &T) -> ApiResult<Response> {
    Ok(json(StatusCode::OK, value))
}

/// A prepared operation's answer, audited as `event` on `resource`.
async fn prepared<R: Serialize + Send + Clone + 'static>(
    state: &Arc<AppState>,
    caller: &Caller,
    event: &str,
    resource: String,
    prepared: Prepared<R>,
) -> ApiResult<Response> {
    prepared_noting(
        state,
        caller,
        event,
        resource,
        prepared,
        serde_json::Map::new(),
    )
    .await
}

/// As [`prepared`], with `extra` fields in the audit entry's payload.
async fn prepared_noting<R: Serialize + Send + Clone + 'static>(
    state: &Arc<AppState>,
    caller: &Caller,
    event: &str,
    resource: String,
    prepared: Prepared<R>,
    extra: serde_json::Map<String, serde_json::Value>,
) -> ApiResult<Response> {
    let summary = prepared.summary.clone();
    let fee_payer = prepared.fee_payer.to_string();
    let report = prepared.report.clone();
    let transactions = blocking(state, None, move |c| c.unsigned_transactions(&prepared)).await?;
    let mut payload = serde_json::json!({
        "summary": summary,
        "fee_payer": fee_payer,
        "transactions": transactions.len(),
    });
    if let Some(o) = payload.as_object_mut() {
        o.extend(extra);
    }
    state.audit(&caller.0.id, event, &resource, payload).await?;
    ok(&PreparedAnswer {
        summary,
        fee_payer,
        transactions,
        report,
    })
}

// ---------------------------------------------------------------------------------------------
// Handlers.

async fn health(State(state): St) -> ApiResult<Response> {
    let reachable = blocking(&state, None, |c| Ok(c.slot().is_ok())).await?;
    ok(&Health {
        status: "ok",
        cluster: state.client.cluster().url.clone(),
        cluster_reachable: reachable,
    })
}

async fn openapi() -> ApiResult<Response> {
    ok(&crate::openapi::document())
}

async fn info(State(state): St) -> ApiResult<Response> {
    ok(&state.client.info())
}

async fn prepare_wallet(
    State(state): St,
    Extension(caller): Extension<Caller>,
    Json(request): Json<PrepareWalletRequest>,
) -> ApiResult<Response> {
    let owner = address("owner", &request.owner)?;
    if request.name.is_empty() || request.name.len() > 64 {
        return Err(ApiError::invalid("name", "name must be 1–64 bytes"));
    }
    let name = request.name.clone();
    let p = blocking(&state, None, move |c| {
        c.prepare_create_wallet(&owner, &name)
    })
    .await?;
    let resource = format!("wallet/{}", p.report.wallet);
    prepared(&state, &caller, "wallet.prepare", resource, p).await
}

/// An optional address field: absent, or a valid address.
fn optional_address(field: &'static str, text: Option<&str>) -> ApiResult<Option<Pubkey>> {
    text.map(|t| address(field, t)).transpose()
}

async fn wallet_ref(state: &Arc<AppState>, text: &str) -> ApiResult<WalletRef> {
    let wallet = address("wallet", text)?;
    blocking(state, None, move |c| WalletRef::at(c, &wallet)).await
}

async fn show_wallet(State(state): St, Path(wallet): Path<String>) -> ApiResult<Response> {
    let wallet = wallet_ref(&state, &wallet).await?;
    ok(&blocking(&state, None, move |c| c.show_wallet(&wallet)).await?)
}

async fn owner_wallets(State(state): St, Path(owner): Path<String>) -> ApiResult<Response> {
    let key = address("owner", &owner)?;
    let wallets = blocking(&state, None, move |c| c.wallets_of(&key)).await?;
    ok(&OwnerWallets {
        owner: key.to_string(),
        wallets: wallets
            .into_iter()
            .map(|w| WalletEntry {
                wallet: w.address.to_string(),
                vault: w.vault.to_string(),
            })
            .collect(),
    })
}

async fn preview_session(
    State(state): St,
    Json(request): Json<PreviewSessionRequest>,
) -> ApiResult<Response> {
    let wallet = address("wallet", &request.wallet)?;
    let session_key = address("session_key", &request.session_key)?;
    let policy = policy(request.policy);
    let answer = blocking(&state, Some("policy"), move |c| {
        // The wallet need not exist yet: previewing comes before creating.
        let (wallet, exists) = match WalletRef::at(c, &wallet) {
            Ok(w) => (w, true),
            Err(e) if e.code == leash_client::ErrorCode::NoWallet => (
                WalletRef {
                    name: wallet.to_string(),
                    owner: Pubkey::default(),
                    address: wallet,
                    vault: leash_sdk::state::vault_address(&wallet, c.program_id()).0,
                },
                false,
            ),
            Err(e) => return Err(e),
        };
        let mut preview = c.preview_session(&wallet, &policy, &session_key)?;
        if !exists {
            preview.warnings.push(format!(
                "the wallet {} does not exist yet: create it before preparing the session",
                wallet.address
            ));
        }
        let len = Session::encoded_len_for(&preview.normalized);
        let rent = c
            .rpc()
            .get_minimum_balance_for_rent_exemption(len)
            .map_err(|_| {
                leash_client::ClientError::new(
                    leash_client::ErrorCode::Unreachable,
                    "cannot reach the cluster for the rent",
                )
            })?;
        Ok(PreviewAnswer {
            preview,
            wallet_exists: exists,
            rent: format_amount(rent, 9),
            rent_lamports: rent,
        })
    })
    .await?;
    ok(&answer)
}

async fn prepare_session(
    State(state): St,
    Extension(caller): Extension<Caller>,
    Json(request): Json<PrepareSessionRequest>,
) -> ApiResult<Response> {
    let wallet = address("wallet", &request.wallet)?;
    let session_key = address("session_key", &request.session_key)?;
    let top_up = amount("top_up", request.top_up.as_deref().unwrap_or("0.01"))?;
    top_up
        .base_units(9)
        .map_err(|e| ApiError::from_client(e, Some("top_up")))?;
    let policy = policy(request.policy);
    let p = blocking(&state, Some("policy"), move |c| {
        let wallet = WalletRef::at(c, &wallet)?;
        c.prepare_create_session(&wallet, &policy, &session_key, &top_up)
    })
    .await?;
    let resource = format!("session/{}", p.report.session);
    prepared(&state, &caller, "session.prepare", resource, p).await
}

async fn list_sessions(State(state): St, Path(wallet): Path<String>) -> ApiResult<Response> {
    let wallet = wallet_ref(&state, &wallet).await?;
    let address = wallet.address.to_string();
    let sessions = blocking(&state, None, move |c| c.session_views_at(&wallet)).await?;
    ok(&SessionListAnswer {
        wallet: address,
        sessions,
    })
}

async fn session_of(state: &Arc<AppState>, text: &str) -> ApiResult<(Pubkey, WalletRef)> {
    let session = address("session", text)?;
    let (wallet, _) = blocking(state, None, move |c| c.session_at(&session)).await?;
    Ok((session, wallet))
}

async fn show_session(State(state): St, Path(session): Path<String>) -> ApiResult<Response> {
    let (session, wallet) = session_of(&state, &session).await?;
    ok(&blocking(&state, None, move |c| c.show_session(&wallet, &session)).await?)
}

/// A prepare on one session: its wallet found from the chain, `f` run on a blocking thread,
/// the answer audited as `event` on the session.
async fn prepare_on_session<R: Serialize + Send + Clone + 'static>(
    state: &Arc<AppState>,
    caller: &Caller,
    session: &str,
    event: &str,
    field: Option<&'static str>,
    f: impl FnOnce(&Client, &WalletRef, &Pubkey) -> leash_client::Result<Prepared<R>> + Send + 'static,
) -> ApiResult<Response> {
    let (session, wallet) = session_of(state, session).await?;
    let p = blocking(state, field, move |c| f(c, &wallet, &session)).await?;
    prepared(state, caller, event, format!("session/{session}"), p).await
}

/// A prepare on one wallet (named by its address), as [`prepare_on_session`].
async fn prepare_on_wallet<R: Serialize + Send + Clone + 'static>(
    state: &Arc<AppState>,
    caller: &Caller,
    wallet: &str,
    event: &str,
    field: Option<&'static str>,
    f: impl FnOnce(&Client, &WalletRef) -> leash_client::Result<Prepared<R>> + Send + 'static,
) -> ApiResult<Response> {
    let wallet = wallet_ref(state, wallet).await?;
    let resource = format!("wallet/{}", wallet.address);
    let p = blocking(state, field, move |c| f(c, &wallet)).await?;
    prepared(state, caller, event, resource, p).await
}

async fn prepare_revoke(
    State(state): St,
    Extension(caller): Extension<Caller>,
    Path(session): Path<String>,
    Json(_): Json<EmptyRequest>,
) -> ApiResult<Response> {
    prepare_on_session(
        &state,
        &caller,
        &session,
        "session.revoke.prepare",
        None,
        |c, w, s| c.prepare_revoke_session(w, s),
    )
    .await
}

async fn prepare_update(
    State(state): St,
    Extension(caller): Extension<Caller>,
    Path(session): Path<String>,
    Json(request): Json<UpdateSessionRequest>,
) -> ApiResult<Response> {
    let policy = policy(request.policy);
    let expected = request.expected_uses;
    prepare_on_session(
        &state,
        &caller,
        &session,
        "session.update.prepare",
        Some("policy"),
        move |c, w, s| c.prepare_update_session(w, s, &policy, expected),
    )
    .await
}

async fn prepare_close(
    State(state): St,
    Extension(caller): Extension<Caller>,
    Path(session): Path<String>,
    Json(_): Json<EmptyRequest>,
) -> ApiResult<Response> {
    prepare_on_session(
        &state,
        &caller,
        &session,
        "session.close.prepare",
        None,
        |c, w, s| c.prepare_close_session(w, s),
    )
    .await
}

async fn prepare_revoke_all(
    State(state): St,
    Extension(caller): Extension<Caller>,
    Path(wallet): Path<String>,
    Json(_): Json<EmptyRequest>,
) -> ApiResult<Response> {
    prepare_on_wallet(
        &state,
        &caller,
        &wallet,
        "wallet.revoke_all.prepare",
        None,
        |c, w| c.prepare_revoke_all_sessions(w),
    )
    .await
}

async fn prepare_deposit(
    State(state): St,
    Extension(caller): Extension<Caller>,
    Path(wallet): Path<String>,
    Json(request): Json<DepositRequest>,
) -> ApiResult<Response> {
    let amount = amount("amount", &request.amount)?;
    let token = TokenRef::new(&request.token);
    prepare_on_wallet(
        &state,
        &caller,
        &wallet,
        "wallet.deposit.prepare",
        Some("amount"),
        move |c, w| c.prepare_deposit(w, &amount, &token),
    )
    .await
}

async fn prepare_withdraw(
    State(state): St,
    Extension(caller): Extension<Caller>,
    Path(wallet): Path<String>,
    Json(request): Json<WithdrawRequest>,
) -> ApiResult<Response> {
    let amount = amount("amount", &request.amount)?;
    let token = TokenRef::new(&request.token);
    let to = optional_address("to", request.to.as_deref())?;
    prepare_on_wallet(
        &state,
        &caller,
        &wallet,
        "wallet.withdraw.prepare",
        Some("amount"),
        move |c, w| c.prepare_withdraw(w, &amount, &token, to),
    )
    .await
}

async fn prepare_sweep(
    State(state): St,
    Extension(caller): Extension<Caller>,
    Path(wallet): Path<String>,
    Json(request): Json<SweepRequest>,
) -> ApiResult<Response> {
    let to = optional_address("to", request.to.as_deref())?;
    prepare_on_wallet(
        &state,
        &caller,
        &wallet,
        "wallet.sweep.prepare",
        Some("to"),
        move |c, w| c.prepare_sweep(w, to),
    )
    .await
}

async fn simulate(
    State(state): St,
    Path(session): Path<String>,
    Json(request): Json<ActionRequest>,
) -> ApiResult<Response> {
    let session = address("session", &session)?;
    let action = action(request)?;
    ok(&blocking(&state, Some("action"), move |c| {
        c.simulate_execute(&session, &action)
    })
    .await?)
}

async fn build_execute(
    State(state): St,
    Extension(caller): Extension<Caller>,
    Path(session): Path<String>,
    Json(request): Json<ActionRequest>,
) -> ApiResult<Response> {
    let session = address("session", &session)?;
    let action = action(request)?;
    let built: BuiltExecute = blocking(&state, Some("action"), move |c| {
        c.build_execute(&session, &action)
    })
    .await?;
    state
        .audit(
            &caller.0.id,
            "execute.build",
            &format!("session/{session}"),
            serde_json::json!({ "what": built.what }),
        )
        .await?;
    ok(&built)
}

async fn submit(
    State(state): St,
    Extension(caller): Extension<Caller>,
    Json(request): Json<SubmitRequest>,
) -> ApiResult<Response> {
    use base64::Engine;
    let bytes = base64::prelude::BASE64_STANDARD
        .decode(request.transaction.trim())
        .map_err(|_| ApiError::invalid("transaction", "transaction must be base64"))?;
    let mut tx: Transaction = bincode::deserialize(&bytes).map_err(|_| {
        ApiError::invalid(
            "transaction",
            "transaction is not a wire-format Solana transaction",
        )
    })?;
    let mut local_signer = None;
    if request.sign_with_local_signer {
        if !crate::keys::allows(&caller.0.scopes, Scope::Admin) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "scope_missing",
                "signing with the local signer needs the `admin` scope",
            )
            .field("sign_with_local_signer"));
        }
        let Some(signer) = state.signer() else {
            return Err(ApiError::invalid(
                "sign_with_local_signer",
                "this server has no local signer",
            )
            .hint("start it with `leash serve --signer KEYPAIR`, or sign elsewhere"));
        };
        let blockhash = tx.message.recent_blockhash;
        tx.try_partial_sign(&[signer], blockhash).map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "signer_mismatch",
                format!(
                    "the local signer {} is not a signer of this transaction",
                    signer.pubkey()
                ),
            )
            .field("transaction")
        })?;
        local_signer = Some(signer.pubkey().to_string());
    }
    if tx.signatures.is_empty()
        || tx
            .signatures
            .iter()
            .any(|s| *s == solana_signature::Signature::default())
    {
        return Err(ApiError::invalid(
            "transaction",
            "transaction is not signed by every signer it names",
        )
        .hint("sign the prepared transaction with the owner's (or session) key first"));
    }
    let message = tx.message_data();
    let verified = tx
        .signatures
        .iter()
        .zip(tx.message.account_keys.iter())
        .all(|(signature, key)| signature.verify(key.as_ref(), &message));
    if !verified {
        return Err(ApiError::invalid(
            "transaction",
            "a signature of the transaction does not verify",
        )
        .hint("sign the transaction's message as prepared, without changing it"));
    }
    let first = tx.signatures[0].to_string();
    let outcome = blocking(&state, None, move |c| c.submit(&tx)).await;
    let mut payload = match &outcome {
        Ok(signature) => {
            serde_json::json!({ "signature": signature.to_string(), "status": "confirmed" })
        }
        Err(e) => serde_json::json!({ "signature": first, "status": "failed", "code": e.code }),
    };
    if let (Some(signer), Some(o)) = (local_signer, payload.as_object_mut()) {
        o.insert("local_signer".into(), serde_json::Value::String(signer));
    }
    state
        .audit(
            &caller.0.id,
            "transaction.submit",
            &format!("transaction/{first}"),
            payload,
        )
        .await?;
    let signature = outcome?;
    ok(&Submitted {
        signature: signature.to_string(),
        status: "confirmed",
    })
}

// ---------------------------------------------------------------------------------------------
// Session requests (docs/agents.md). The store keeps what was asked and the owner's denial; the
// chain says whether it was approved: the session for the request's key exists.

/// Requests a key may have neither denied nor past their deadline.
pub const OPEN_REQUESTS_PER_KEY: i64 = 20;
/// The most requests a list shows.
const REQUEST_LIST_LIMIT: i64 = 200;
const DEFAULT_REQUEST_TTL_SECS: u64 = 24 * 3600;
const MAX_REQUEST_TTL_SECS: u64 = 7 * 24 * 3600;

/// A stored request with its status derived: `granted` is the session registered for its key,
/// if any.
fn request_view(
    row: &RequestRow,
    granted: Option<SessionView>,
    now: i64,
    client: &Client,
) -> ApiResult<SessionRequestView> {
    let corrupt = |_| ApiError::internal("a stored session request cannot be read");
    let policy_file: PolicyFile = serde_json::from_str(&row.policy_file).map_err(corrupt)?;
    let policy: PolicySummary = serde_json::from_str(&row.policy).map_err(corrupt)?;
    let status = if granted.is_some() {
        RequestStatus::Approved
    } else if row.denied_at.is_some() {
        RequestStatus::Denied
    } else if now >= row.expires_at {
        RequestStatus::Expired
    } else {
        RequestStatus::Pending
    };
    let (granted_policy, session_status) = match granted {
        Some(view) => (Some(view.policy), Some(view.status)),
        None => (None, None),
    };
    Ok(SessionRequestView {
        id: row.id.clone(),
        status,
        wallet: row.wallet.clone(),
        session_key: row.session_key.clone(),
        session: row.session.clone(),
        policy,
        policy_file,
        reason: row.reason.clone(),
        created_at: format_time(row.created_at),
        expires_at: format_time(row.expires_at),
        filed_by: row.filed_by.clone(),
        cluster: client.cluster().token_label(),
        program_id: client.program_id().to_string(),
        granted_policy,
        session_status,
        denied_at: row.denied_at.map(format_time),
        // A denial's note only: an approved request whose denial lost the race has none.
        note: if status == RequestStatus::Denied {
            row.note.clone()
        } else {
            None
        },
    })
}

/// Rows with their status derived from the chain.
async fn request_views(
    state: &Arc<AppState>,
    rows: Vec<RequestRow>,
) -> ApiResult<Vec<SessionRequestView>> {
    let granted = blocking(state, None, move |c| {
        rows.into_iter()
            .map(|row| {
                let session = parse_address(&row.session)?;
                Ok((c.granted_session(&session)?, row))
            })
            .collect::<leash_client::Result<Vec<_>>>()
    })
    .await?;
    let now = crate::store::now();
    granted
        .into_iter()
        .map(|(g, row)| request_view(&row, g, now, &state.client))
        .collect()
}

fn request_id(text: &str) -> ApiResult<String> {
    leash_client::requests::parse_request_id(text).map_err(|e| ApiError::from_client(e, Some("id")))
}

fn request_not_found(id: &str) -> ApiError {
    ApiError::from_client(
        leash_client::ClientError::new(
            leash_client::ErrorCode::RequestNotFound,
            format!("no session request {id}"),
        )
        .with_hint("`leash session requests list` shows them"),
        None,
    )
}

/// Request `id`, its status derived; 404 if unknown.
async fn load_request(
    state: &Arc<AppState>,
    id: &str,
) -> ApiResult<(RequestRow, SessionRequestView)> {
    let row = {
        let id = id.to_string();
        state.store(move |s| s.request(&id)).await
    }
    .map_err(|_| ApiError::internal("the request store cannot be read"))?
    .ok_or_else(|| request_not_found(id))?;
    let view = request_views(state, vec![row.clone()])
        .await?
        .pop()
        .ok_or_else(|| ApiError::internal("a request vanished"))?;
    Ok((row, view))
}

/// Refuses to act on a request that is no longer pending: 409 approved or denied, 410 expired.
fn still_pending(view: &SessionRequestView) -> ApiResult<()> {
    use leash_client::{ClientError, ErrorCode};
    let error = match view.status {
        RequestStatus::Pending => return Ok(()),
        RequestStatus::Approved => ClientError::new(
            ErrorCode::RequestApproved,
            format!(
                "session request {} is approved already: the session {} exists",
                view.id, view.session
            ),
        )
        .with_hint("change its policy with the session's update, or revoke it"),
        RequestStatus::Denied => ClientError::new(
            ErrorCode::RequestDenied,
            format!("session request {} was denied", view.id),
        )
        .with_hint("the agent files a new request if it still needs a session"),
        RequestStatus::Expired => ClientError::new(
            ErrorCode::RequestExpired,
            format!(
                "session request {} expired at {} without an approval",
                view.id, view.expires_at
            ),
        )
        .with_hint("the agent files a new request if it still needs a session"),
    };
    Err(ApiError::from_client(error, None))
}

async fn file_request(
    State(state): St,
    Extension(caller): Extension<Caller>,
    Json(request): Json<FileSessionRequest>,
) -> ApiResult<Response> {
    let wallet = address("wallet", &request.wallet)?;
    let session_key = address("session_key", &request.session_key)?;
    leash_client::requests::check_reason(&request.reason)
        .map_err(|e| ApiError::from_client(e, Some("reason")))?;
    let ttl = request
        .expires_in_seconds
        .unwrap_or(DEFAULT_REQUEST_TTL_SECS);
    if !(1..=MAX_REQUEST_TTL_SECS).contains(&ttl) {
        return Err(ApiError::invalid(
            "expires_in_seconds",
            format!("expires_in_seconds must be 1–{MAX_REQUEST_TTL_SECS} (7 days)"),
        ));
    }
    let policy_file = serde_json::to_string(&request.policy)
        .map_err(|_| ApiError::internal("the policy cannot be encoded"))?;
    let policy = policy(request.policy);
    // The policy is checked as a preview checks it; the wallet must exist; the key must be new.
    let (preview, exists) = blocking(&state, Some("policy"), move |c| {
        let wallet = WalletRef::at(c, &wallet)?;
        let preview = c.preview_session(&wallet, &policy, &session_key)?;
        let session = parse_address(&preview.session)?;
        Ok((preview, c.account(&session)?.is_some()))
    })
    .await?;
    if exists {
        return Err(ApiError::invalid(
            "session_key",
            format!("a session for the key {session_key} exists already"),
        )
        .hint("generate a new session key for each request"));
    }
    let mut id = [0u8; 8];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut id);
    let now = crate::store::now();
    let row = RequestRow {
        id: format!(
            "sreq_{}",
            id.iter().map(|b| format!("{b:02x}")).collect::<String>()
        ),
        filed_by: caller.0.id.clone(),
        wallet: preview.wallet.clone(),
        session_key: preview.session_key.clone(),
        session: preview.session.clone(),
        policy_file,
        policy: serde_json::to_string(&preview.policy)
            .map_err(|_| ApiError::internal("the policy cannot be encoded"))?,
        reason: request.reason.clone(),
        created_at: now,
        expires_at: now.saturating_add(i64::try_from(ttl).unwrap_or(i64::MAX)),
        denied_at: None,
        note: None,
    };
    let inserted = {
        let row = row.clone();
        state
            .store(move |s| s.insert_request(&row, OPEN_REQUESTS_PER_KEY))
            .await
    }
    .map_err(|_| ApiError::internal("the request store cannot be written"))?;
    match inserted {
        Filing::Filed => {}
        Filing::TooMany => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "too_many_pending_requests",
                format!(
                    "this API key has {OPEN_REQUESTS_PER_KEY} session requests neither denied nor expired"
                ),
            )
            .hint("wait for the owner to answer, or for requests to expire"))
        }
        Filing::KeyHasOpenRequest(open) => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "session_request_open",
                format!("the session key {session_key} has an open request already: {open}"),
            )
            .field("session_key")
            .hint("wait for the owner's answer to that request (its status), or file with a new session key"))
        }
    }
    state
        .audit(
            &caller.0.id,
            "session_request.create",
            &format!("session_request/{}", row.id),
            serde_json::json!({
                "wallet": row.wallet,
                "session_key": row.session_key,
                "session": row.session,
                "reason": row.reason,
                "expires_at": row.expires_at,
            }),
        )
        .await?;
    let view = request_view(&row, None, now, &state.client)?;
    Ok(json(StatusCode::CREATED, &view))
}

async fn list_requests(
    State(state): St,
    query: Result<Query<RequestQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    let Query(query) = query.map_err(|e| ApiError::invalid("query", e.body_text()))?;
    let wanted = query
        .status
        .as_deref()
        .map(RequestStatus::parse)
        .transpose()
        .map_err(|e| ApiError::from_client(e, Some("status")))?;
    let rows = state
        .store(|s| s.requests(REQUEST_LIST_LIMIT))
        .await
        .map_err(|_| ApiError::internal("the request store cannot be read"))?;
    let requests = request_views(&state, rows)
        .await?
        .into_iter()
        .filter(|v| wanted.is_none_or(|w| v.status == w))
        .collect();
    ok(&SessionRequestList { requests })
}

async fn show_request(
    State(state): St,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = request_id(&id)?;
    let (row, view) = load_request(&state, &id).await?;
    // A `request` key reads what it filed; that another key's request exists is not its news.
    if !keys::allows(&caller.0.scopes, Scope::Read) && row.filed_by != caller.0.id {
        return Err(request_not_found(&id));
    }
    ok(&view)
}

async fn prepare_approve_request(
    State(state): St,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    Json(request): Json<ApproveSessionRequest>,
) -> ApiResult<Response> {
    let id = request_id(&id)?;
    let top_up = amount("top_up", request.top_up.as_deref().unwrap_or("0.01"))?;
    top_up
        .base_units(9)
        .map_err(|e| ApiError::from_client(e, Some("top_up")))?;
    let (_, view) = load_request(&state, &id).await?;
    still_pending(&view)?;
    // Unedited, the owner signs what the request showed: the policy as normalized when filed
    // (its times absolute), not the file normalized again now.
    let edited = request.policy.is_some();
    let policy = policy(
        request
            .policy
            .unwrap_or_else(|| view.policy.to_file(view.policy_file.label.clone())),
    );
    let wallet = address("wallet", &view.wallet)?;
    let session_key = address("session_key", &view.session_key)?;
    let p = blocking(&state, Some("policy"), move |c| {
        let wallet = WalletRef::at(c, &wallet)?;
        c.prepare_create_session(&wallet, &policy, &session_key, &top_up)
    })
    .await?;
    let mut extra = serde_json::Map::new();
    extra.insert("policy_edited".into(), serde_json::Value::Bool(edited));
    extra.insert("session".into(), serde_json::Value::String(view.session));
    prepared_noting(
        &state,
        &caller,
        "session_request.approve.prepare",
        format!("session_request/{id}"),
        p,
        extra,
    )
    .await
}

async fn deny_request(
    State(state): St,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    Json(request): Json<DenySessionRequest>,
) -> ApiResult<Response> {
    let id = request_id(&id)?;
    if let Some(note) = &request.note {
        if note.chars().count() > leash_client::requests::MAX_NOTE_CHARS
            || note.chars().any(|c| c.is_control() && c != '\n')
        {
            return Err(ApiError::invalid(
                "note",
                "note must be at most 500 characters, without control characters",
            ));
        }
    }
    let (_, view) = load_request(&state, &id).await?;
    still_pending(&view)?;
    let denied = {
        let (id, note) = (id.clone(), request.note.clone());
        state
            .store(move |s| s.deny_request(&id, note.as_deref()))
            .await
    }
    .map_err(|_| ApiError::internal("the request store cannot be written"))?;
    if !denied {
        // Denied by someone else meanwhile.
        let (_, view) = load_request(&state, &id).await?;
        still_pending(&view)?;
    }
    state
        .audit(
            &caller.0.id,
            "session_request.deny",
            &format!("session_request/{id}"),
            serde_json::json!({ "note": request.note }),
        )
        .await?;
    let (_, view) = load_request(&state, &id).await?;
    ok(&view)
}

async fn list_keys(State(state): St) -> ApiResult<Response> {
    let keys = state
        .store(|s| s.keys())
        .await
        .map_err(|_| ApiError::internal("the key store cannot be read"))?;
    ok(&KeyList { keys })
}

async fn create_key(
    State(state): St,
    Extension(caller): Extension<Caller>,
    Json(request): Json<CreateKeyRequest>,
) -> ApiResult<Response> {
    if !keys::valid_name(&request.name) {
        return Err(ApiError::invalid(
            "name",
            "name must be 1–64 printable characters",
        ));
    }
    if request.scopes.is_empty() {
        return Err(
            ApiError::invalid("scopes", "scopes must name at least one scope")
                .hint("read, write, admin or request"),
        );
    }
    let (name, scopes) = (request.name.clone(), request.scopes.clone());
    let new = state
        .store(move |s| keys::create_key(s, &name, &scopes))
        .await
        .map_err(|_| ApiError::internal("the key store cannot be written"))?;
    state
        .audit(
            &caller.0.id,
            "api_key.create",
            &format!("api_key/{}", new.record.id),
            serde_json::json!({ "name": new.record.name, "scopes": new.record.scopes }),
        )
        .await?;
    Ok(json(
        StatusCode::CREATED,
        &KeyCreated {
            key: new.key,
            record: new.record,
        },
    ))
}

async fn revoke_key(
    State(state): St,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let revoked = {
        let id = id.clone();
        state.store(move |s| s.revoke_key(&id)).await
    }
    .map_err(|_| ApiError::internal("the key store cannot be written"))?;
    if !revoked {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "api_key_not_found",
            format!("no live API key {id:?}"),
        ));
    }
    state
        .audit(
            &caller.0.id,
            "api_key.revoke",
            &format!("api_key/{id}"),
            serde_json::json!({}),
        )
        .await?;
    ok(&KeyRevoked { id, revoked: true })
}

async fn audit_log(
    State(state): St,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    let Query(query) = query.map_err(|e| ApiError::invalid("query", e.body_text()))?;
    let limit = query.limit.unwrap_or(1000);
    if !(1..=10_000).contains(&limit) {
        return Err(ApiError::invalid("limit", "limit must be 1–10000"));
    }
    let newest = query.newest.unwrap_or(false);
    if newest && query.after.is_some() {
        return Err(ApiError::invalid(
            "newest",
            "give either after (page forward) or newest=true (the last entries), not both",
        ));
    }
    let after = query.after.unwrap_or(0);
    let entries = state
        .store(move |s| {
            if newest {
                s.audit_newest(limit)
            } else {
                s.audit(after, limit)
            }
        })
        .await
        .map_err(|_| ApiError::internal("the audit log cannot be read"))?;
    ok(&AuditExport {
        audit_key: state.audit_key_pubkey().to_string(),
        entries,
    })
}

async fn audit_verify(State(state): St) -> ApiResult<Response> {
    let rows = state
        .store(|s| s.audit_all())
        .await
        .map_err(|_| ApiError::internal("the audit log cannot be read"))?;
    let verification: Verification = audit::verify(&rows, &state.audit_key_pubkey());
    ok(&verification)
}

/// How many transactions the activity view reads.
const ACTIVITY_LIMIT: usize = 50;

async fn session_events(State(state): St, Path(session): Path<String>) -> ApiResult<Response> {
    // The session must exist (a 404 for a wrong address); its history is then read.
    let (session, _) = session_of(&state, &session).await?;
    ok(&blocking(&state, None, move |c| {
        c.session_activity(&session, ACTIVITY_LIMIT)
    })
    .await?)
}

/// The most SOL one airdrop asks the local faucet for.
const AIRDROP_MAX_LAMPORTS: u64 = 100_000_000_000;

async fn dev_airdrop(
    State(state): St,
    Extension(caller): Extension<Caller>,
    Json(request): Json<AirdropRequest>,
) -> ApiResult<Response> {
    if !state.client.cluster().is_localnet() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "airdrop_unavailable",
            format!(
                "airdrops come from the local node's faucet; this server talks to {}",
                state.client.cluster().name
            ),
        )
        .hint(
            "fund the owner from a faucet of that cluster, or start `leash up` for a local node",
        ));
    }
    let to = address("to", &request.to)?;
    let amount = amount("amount", &request.amount)?;
    let lamports = amount
        .base_units(9)
        .map_err(|e| ApiError::from_client(e, Some("amount")))?;
    if lamports == 0 || lamports > AIRDROP_MAX_LAMPORTS {
        return Err(ApiError::invalid(
            "amount",
            "amount must be more than 0 and at most 100 SOL",
        ));
    }
    let dropped = blocking(&state, Some("amount"), move |c| {
        c.airdrop(&to, &amount, &TokenRef::Sol)
    })
    .await?;
    state
        .audit(
            &caller.0.id,
            "dev.airdrop",
            &format!("account/{to}"),
            serde_json::json!({ "amount": dropped.amount, "signature": dropped.signature }),
        )
        .await?;
    ok(&dropped)
}

/// 405 in the envelope, for a method a path does not take.
pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this path does not take this method",
    )
    .hint("see /openapi.json for the routes")
}

/// 404 in the envelope, for paths no route serves.
pub async fn fallback() -> ApiError {
    ApiError::not_found("no such route").hint("see /openapi.json for the routes")
}

/// `/mcp`: tells leash-mcp what the caller's key allows and who it is (for the audit log). The
/// auth layer has already checked `read`; acting tools need `write`, which leash-mcp checks per
/// call.
pub async fn mcp_grant(
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let caller = request.extensions().get::<Caller>().map(|c| c.0.clone());
    // Not authenticated: no grant, which leash-mcp refuses.
    if let Some(record) = caller {
        let grant = if keys::allows(&record.scopes, Scope::Write) {
            leash_mcp::Grant::Write
        } else {
            leash_mcp::Grant::Read
        };
        request.extensions_mut().insert(grant);
        request.extensions_mut().insert(leash_mcp::Actor(record.id));
    }
    next.run(request).await
}
