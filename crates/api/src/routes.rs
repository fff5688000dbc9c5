//! The routes of docs/api.md: one table ([`ROUTES`]) says each route's method, path, scope,
//! request and answer schemas, whether it needs an `Idempotency-Key`, and which handler serves
//! it. The router ([`router`]), the auth layer ([`route_for`]), the OpenAPI document and the
//! tests all read it, so no route is listed twice.

use std::{collections::BTreeMap, sync::Arc};

use axum::{
    http::Method,
    response::{IntoResponse, Response},
    routing::{delete, get, post, MethodRouter},
    Router,
};

use crate::{
    assets,
    auth::keys::Scope,
    handlers,
    route::{route, schema, Route},
    state::AppState,
};

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
        schema::<handlers::Health>,
    )
    .serves(|| get(handlers::system::health)),
    route(
        "GET",
        "/openapi.json",
        None,
        "openapi",
        "This document",
        None,
        schema::<serde_json::Map<String, serde_json::Value>>,
    )
    .serves(|| get(openapi_document)),
    route(
        "GET",
        "/v1/info",
        R,
        "info",
        "Program id, cluster and version",
        None,
        schema::<leash_client::owner::Info>,
    )
    .serves(|| get(handlers::system::info)),
    route(
        "POST",
        "/v1/wallets/prepare",
        W,
        "prepare_wallet",
        "Create an owner's wallet (unsigned transaction + summary)",
        Some(schema::<handlers::PrepareWalletRequest>),
        schema::<handlers::PreparedAnswer<serde_json::Value>>,
    )
    .serves(|| post(handlers::wallets::prepare_wallet)),
    route(
        "GET",
        "/v1/wallets/{wallet}",
        R,
        "show_wallet",
        "A wallet: vault, balances, sessions",
        None,
        schema::<leash_client::owner::WalletReport>,
    )
    .serves(|| get(handlers::wallets::show_wallet)),
    route(
        "GET",
        "/v1/accounts/{address}/balances",
        R,
        "account_balances",
        "What an address holds: SOL and its associated token accounts (an owner's own balances)",
        None,
        schema::<leash_client::owner::AccountBalances>,
    )
    .serves(|| get(handlers::wallets::account_balances)),
    route(
        "GET",
        "/v1/owners/{owner}/wallets",
        R,
        "owner_wallets",
        "The wallets an owner holds",
        None,
        schema::<handlers::OwnerWallets>,
    )
    .serves(|| get(handlers::wallets::owner_wallets)),
    route(
        "POST",
        "/v1/sessions/preview",
        R,
        "preview_session",
        "Normalized policy, session address, warnings and rent; nothing is sent",
        Some(schema::<handlers::PreviewSessionRequest>),
        schema::<leash_client::owner::SessionPreview>,
    )
    .serves(|| post(handlers::sessions::preview_session)),
    route(
        "POST",
        "/v1/sessions/prepare",
        W,
        "prepare_session",
        "Register a session for a key the caller holds (unsigned transaction + summary)",
        Some(schema::<handlers::PrepareSessionRequest>),
        schema::<handlers::PreparedAnswer<serde_json::Value>>,
    )
    .serves(|| post(handlers::sessions::prepare_session)),
    route(
        "GET",
        "/v1/wallets/{wallet}/sessions",
        R,
        "list_sessions",
        "A wallet's sessions with status and used / limit per mint",
        None,
        schema::<handlers::SessionListAnswer>,
    )
    .serves(|| get(handlers::sessions::list_sessions)),
    route(
        "GET",
        "/v1/sessions/{session}",
        R,
        "show_session",
        "One session: status, uses, used / limit per mint",
        None,
        schema::<leash_client::SessionView>,
    )
    .serves(|| get(handlers::sessions::show_session)),
    route(
        "POST",
        "/v1/sessions/{session}/revoke/prepare",
        W,
        "prepare_revoke",
        "Revoke a session",
        Some(schema::<handlers::EmptyRequest>),
        schema::<handlers::PreparedAnswer<serde_json::Value>>,
    )
    .serves(|| post(handlers::sessions::prepare_revoke)),
    route(
        "POST",
        "/v1/sessions/{session}/update/prepare",
        W,
        "prepare_update",
        "Replace a session's policy; refused on chain if the session was used since expected_uses",
        Some(schema::<handlers::UpdateSessionRequest>),
        schema::<handlers::PreparedAnswer<serde_json::Value>>,
    )
    .serves(|| post(handlers::sessions::prepare_update)),
    route(
        "POST",
        "/v1/sessions/{session}/close/prepare",
        W,
        "prepare_close",
        "Close a session; its rent returns to who paid it",
        Some(schema::<handlers::EmptyRequest>),
        schema::<handlers::PreparedAnswer<serde_json::Value>>,
    )
    .serves(|| post(handlers::sessions::prepare_close)),
    route(
        "POST",
        "/v1/wallets/{wallet}/revoke-all/prepare",
        W,
        "prepare_revoke_all",
        "Revoke every session of the wallet",
        Some(schema::<handlers::EmptyRequest>),
        schema::<handlers::PreparedAnswer<serde_json::Value>>,
    )
    .serves(|| post(handlers::sessions::prepare_revoke_all)),
    route(
        "POST",
        "/v1/wallets/{wallet}/deposit/prepare",
        W,
        "prepare_deposit",
        "Move SOL or a token from the owner into the vault",
        Some(schema::<handlers::DepositRequest>),
        schema::<handlers::PreparedAnswer<serde_json::Value>>,
    )
    .serves(|| post(handlers::wallets::prepare_deposit)),
    route(
        "POST",
        "/v1/wallets/{wallet}/withdraw/prepare",
        W,
        "prepare_withdraw",
        "Move SOL or a token out of the vault (owner authority)",
        Some(schema::<handlers::WithdrawRequest>),
        schema::<handlers::PreparedAnswer<serde_json::Value>>,
    )
    .serves(|| post(handlers::wallets::prepare_withdraw)),
    route(
        "POST",
        "/v1/wallets/{wallet}/sweep/prepare",
        W,
        "prepare_sweep",
        "Recover SOL sent by mistake to the wallet or session accounts",
        Some(schema::<handlers::SweepRequest>),
        schema::<handlers::PreparedAnswer<serde_json::Value>>,
    )
    .serves(|| post(handlers::wallets::prepare_sweep)),
    route(
        "POST",
        "/v1/sessions/{session}/simulate",
        R,
        "simulate",
        "Would the session's action pass, and if not which bound stops it",
        Some(schema::<handlers::ActionRequest>),
        schema::<leash_client::holder::Simulation>,
    )
    .serves(|| post(handlers::transactions::simulate)),
    route(
        "POST",
        "/v1/sessions/{session}/execute/build",
        W,
        "build_execute",
        "An unsigned Execute for the session key to sign elsewhere",
        Some(schema::<handlers::ActionRequest>),
        schema::<leash_client::BuiltExecute>,
    )
    .serves(|| post(handlers::transactions::build_execute)),
    Route {
        success: 200,
        idempotency_required: true,
        ..route(
            "POST",
            "/v1/transactions/submit",
            W,
            "submit",
            "Send a signed transaction; confirmed, program refusals mapped",
            Some(schema::<handlers::SubmitRequest>),
            schema::<handlers::Submitted>,
        )
    .serves(|| post(handlers::transactions::submit))
    },
    route(
        "POST",
        "/v1/passkey/wallets",
        A,
        "create_passkey_wallet",
        "Create the wallet of a passkey the browser registered; the server's signer pays (docs/api.md, \"Passkey owners\")",
        Some(schema::<leash_client::wire::PasskeyWalletRequest>),
        schema::<leash_client::owner::WalletCreated>,
    )
    .serves(|| post(handlers::passkey::create_wallet)),
    route(
        "POST",
        "/v1/passkey/wallets/prepare",
        W,
        "prepare_passkey_wallet",
        "Prepare the wallet of a passkey the browser registered, paid by the Leash-Fee-Payer key",
        Some(schema::<leash_client::wire::PasskeyWalletRequest>),
        schema::<handlers::PreparedAnswer<serde_json::Value>>,
    )
    .serves(|| post(handlers::passkey::prepare_wallet)),
    route(
        "POST",
        "/v1/passkey/complete",
        W,
        "passkey_complete",
        "A prepared passkey transaction with its assertions in place, for its fee payer to sign",
        Some(schema::<leash_client::wire::PasskeySubmitRequest>),
        schema::<leash_client::wire::PasskeyCompleted>,
    )
    .serves(|| post(handlers::passkey::complete)),
    Route {
        idempotency_required: true,
        ..route(
            "POST",
            "/v1/passkey/submit",
            A,
            "passkey_submit",
            "Complete a prepared passkey transaction with its assertions; the server's signer pays, signs and sends",
            Some(schema::<leash_client::wire::PasskeySubmitRequest>),
            schema::<handlers::Submitted>,
        )
    .serves(|| post(handlers::passkey::submit))
    },
    Route {
        success: 201,
        ..route(
            "POST",
            "/v1/session-requests",
            Q,
            "file_session_request",
            "An agent asks the owner for a session for its own key (docs/agents.md)",
            Some(schema::<handlers::FileSessionRequest>),
            schema::<leash_client::SessionRequestView>,
        )
    .serves(|| post(handlers::requests::file_request))
    },
    route(
        "GET",
        "/v1/session-requests",
        R,
        "list_session_requests",
        "Session requests, newest first, with their derived status; `status` filters",
        None,
        schema::<leash_client::SessionRequestList>,
    )
    .queried_by(schema::<handlers::RequestQuery>)
    .serves(|| get(handlers::requests::list_requests)),
    Route {
        also: Q,
        ..route(
            "GET",
            "/v1/session-requests/{id}",
            R,
            "show_session_request",
            "One session request: pending, approved (with the policy granted), denied (with the note) or expired; a `request` key sees only its own",
            None,
            schema::<leash_client::SessionRequestView>,
        )
    .serves(|| get(handlers::requests::show_request))
    },
    route(
        "POST",
        "/v1/session-requests/{id}/approve/prepare",
        W,
        "prepare_approve_session_request",
        "Approve a session request: the CreateSession for the agent's key, with the policy as asked or replaced (unsigned transaction + summary)",
        Some(schema::<handlers::ApproveSessionRequest>),
        schema::<handlers::PreparedAnswer<serde_json::Value>>,
    )
    .serves(|| post(handlers::requests::prepare_approve_request)),
    route(
        "POST",
        "/v1/session-requests/{id}/deny",
        W,
        "deny_session_request",
        "Deny a session request, with a note for the agent",
        Some(schema::<handlers::DenySessionRequest>),
        schema::<leash_client::SessionRequestView>,
    )
    .serves(|| post(handlers::requests::deny_request)),
    route(
        "GET",
        "/v1/sessions/{session}/events",
        R,
        "session_events",
        "A session's on-chain events (created, each use with what it spent, updated, revoked, closed), newest first",
        None,
        schema::<leash_client::SessionActivity>,
    )
    .serves(|| get(handlers::sessions::session_events)),
    route(
        "POST",
        "/v1/dev/airdrop",
        W,
        "dev_airdrop",
        "SOL from the local node's faucet (refused on any other cluster)",
        Some(schema::<handlers::AirdropRequest>),
        schema::<leash_client::owner::Airdropped>,
    )
    .serves(|| post(handlers::system::dev_airdrop)),
    route(
        "POST",
        "/v1/dashboard/sign-in",
        None,
        "dashboard_sign_in",
        "Trade an API key for the dashboard's HttpOnly sign-in cookie and its CSRF token",
        Some(schema::<handlers::dashboard::SignInRequest>),
        schema::<handlers::dashboard::DashboardSession>,
    )
    .serves(|| post(handlers::dashboard::sign_in)),
    route(
        "GET",
        "/v1/dashboard/session",
        R,
        "dashboard_session",
        "Who is signed in, the CSRF token again, and what this server offers",
        None,
        schema::<handlers::dashboard::DashboardSession>,
    )
    .serves(|| get(handlers::dashboard::session)),
    route(
        "POST",
        "/v1/dashboard/sign-out",
        R,
        "dashboard_sign_out",
        "End the dashboard's sign-in and clear its cookie",
        Some(schema::<handlers::EmptyRequest>),
        schema::<handlers::dashboard::SignedOut>,
    )
    .serves(|| post(handlers::dashboard::sign_out)),
    route(
        "GET",
        "/v1/api-keys",
        A,
        "list_keys",
        "API keys (never the keys themselves)",
        None,
        schema::<handlers::KeyList>,
    )
    .serves(|| get(handlers::api_keys::list_keys)),
    Route {
        success: 201,
        secret_answer: true,
        ..route(
            "POST",
            "/v1/api-keys",
            A,
            "create_key",
            "A new API key, shown once",
            Some(schema::<handlers::CreateKeyRequest>),
            schema::<handlers::KeyCreated>,
        )
    .serves(|| post(handlers::api_keys::create_key))
    },
    route(
        "DELETE",
        "/v1/api-keys/{id}",
        A,
        "revoke_key",
        "Revoke an API key",
        None,
        schema::<handlers::KeyRevoked>,
    )
    .serves(|| delete(handlers::api_keys::revoke_key)),
    route(
        "GET",
        "/v1/audit/log",
        A,
        "audit_log",
        "Audit entries after `after` (at most `limit`), with the audit key",
        None,
        schema::<crate::audit::Export>,
    )
    .queried_by(schema::<handlers::AuditQuery>)
    .serves(|| get(handlers::audit_log::audit_log)),
    route(
        "GET",
        "/v1/audit/verify",
        A,
        "audit_verify",
        "Verify the audit chain: links, hashes and signatures",
        None,
        schema::<crate::audit::Verification>,
    )
    .serves(|| get(handlers::audit_log::audit_verify)),
    route(
        "GET",
        "/v1/events",
        R,
        "events",
        "Live events as Server-Sent Events (`text/event-stream`): each `id:` is the event's number, `event:` its type, `data:` this schema; reconnect with `Last-Event-ID` to get what was missed",
        None,
        schema::<crate::live::EventEnvelope>,
    )
    .queried_by(schema::<handlers::live::EventsQuery>)
    .serves(|| get(handlers::live::events)),
    Route {
        success: 201,
        secret_answer: true,
        ..route(
            "POST",
            "/v1/webhooks",
            A,
            "create_webhook",
            "A webhook for `events` (all if omitted), of one wallet or all; its `whsec_` secret is shown once",
            Some(schema::<leash_client::wire::CreateWebhookRequest>),
            schema::<leash_client::wire::WebhookCreated>,
        )
        .serves(|| post(handlers::live::create_webhook))
    },
    route(
        "GET",
        "/v1/webhooks",
        A,
        "list_webhooks",
        "Webhooks (never their secrets)",
        None,
        schema::<leash_client::wire::WebhookList>,
    )
    .serves(|| get(handlers::live::list_webhooks)),
    route(
        "DELETE",
        "/v1/webhooks/{id}",
        A,
        "remove_webhook",
        "Remove a webhook and its delivery log",
        None,
        schema::<leash_client::wire::WebhookRemoved>,
    )
    .serves(|| delete(handlers::live::remove_webhook)),
    route(
        "POST",
        "/v1/webhooks/{id}/disable",
        A,
        "disable_webhook",
        "Stop delivering to a webhook (events meanwhile are not queued for it)",
        None,
        schema::<leash_client::wire::WebhookChanged>,
    )
    .serves(|| post(handlers::live::disable_webhook)),
    route(
        "POST",
        "/v1/webhooks/{id}/enable",
        A,
        "enable_webhook",
        "Deliver to a webhook again",
        None,
        schema::<leash_client::wire::WebhookChanged>,
    )
    .serves(|| post(handlers::live::enable_webhook)),
    route(
        "POST",
        "/v1/webhooks/{id}/test",
        A,
        "test_webhook",
        "Send a signed `webhook.test` message now; the receiver's answer",
        None,
        schema::<leash_client::wire::WebhookTested>,
    )
    .serves(|| post(handlers::live::test_webhook)),
    route(
        "GET",
        "/v1/webhooks/{id}/deliveries",
        A,
        "webhook_deliveries",
        "The newest deliveries (pending, delivered, dead), each with its attempts",
        None,
        schema::<leash_client::wire::DeliveryList>,
    )
    .serves(|| get(handlers::live::deliveries)),
    Route {
        success: 202,
        ..route(
            "POST",
            "/v1/webhooks/{id}/deliveries/{delivery}/redeliver",
            A,
            "redeliver",
            "Queue a delivery again (a dead letter included)",
            None,
            schema::<leash_client::wire::DeliveryWithAttempts>,
        )
        .serves(|| post(handlers::live::redeliver))
    },
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
            schema::<serde_json::Value>,
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

/// The router of every route in [`ROUTES`] (rows sharing a path share one method router), plus
/// the dashboard's page and files, which are not API routes: no key, not in the document.
pub fn router() -> Router<Arc<AppState>> {
    let mut by_path: BTreeMap<&str, MethodRouter<Arc<AppState>>> = BTreeMap::new();
    for route in ROUTES {
        let Some(handler) = route.handler else {
            continue;
        };
        let serving = match by_path.remove(route.path) {
            Some(other) => other.merge(handler()),
            None => handler(),
        };
        by_path.insert(route.path, serving);
    }
    by_path
        .into_iter()
        .fold(Router::new(), |router, (path, serving)| {
            router.route(path, serving)
        })
        .route("/", get(assets::index))
        .route("/assets/{file}", get(assets::assets))
}

/// `GET /openapi.json`: the document, generated from this table.
async fn openapi_document() -> Response {
    axum::Json(crate::openapi::document(ROUTES)).into_response()
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
        assert!(route_for(&get, "/v1/sessions/").is_none());
        assert!(route_for(&get, "/v1/nothing").is_none());
        assert!(route_for(&Method::DELETE, "/v1/info").is_none());
    }

    #[test]
    fn every_route_but_mcp_has_its_handler() {
        for route in ROUTES {
            assert_eq!(
                route.handler.is_some(),
                route.path != "/mcp",
                "{} {}",
                route.method,
                route.path
            );
        }
    }
}
