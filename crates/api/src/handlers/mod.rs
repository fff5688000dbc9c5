//! The handlers, by resource. Each parses its input once, calls one `leash-client` operation
//! on a blocking thread, and answers its typed report; the route table ([`crate::routes`])
//! says which route each serves and with what scope.

pub mod api_keys;
pub mod audit_log;
pub mod bodies;
pub mod dashboard;
pub mod live;
pub mod passkey;
pub mod requests;
pub mod sessions;
pub mod system;
pub mod transactions;
pub mod wallets;

pub use bodies::*;

use std::sync::Arc;

use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    Extension,
};
use leash_client::{
    input::parse_address, Action, Amount, BuiltExecute, Client, PolicyInput, Prepared,
    RawInstruction, RequestStatus, SessionRequestList, SessionRequestView, SessionView, TokenRef,
    WalletRef,
};
use leash_sdk::policy::{format_time, PolicyFile, PolicySummary};
use serde::{Deserialize, Serialize};
use solana_program::pubkey::Pubkey;
use solana_signer::Signer;
use solana_transaction::Transaction;

use crate::{
    admin,
    audit::Export,
    auth::keys::{self, Caller, Scope},
    body::Json,
    error::{ApiCode, ApiError, ApiResult},
    state::AppState,
    store::{Filing, KeyRecord, RequestRow},
};

pub type St = State<Arc<AppState>>;

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
pub async fn blocking<T: Send + 'static>(
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
pub async fn prepared<R: Serialize + Send + Clone + 'static>(
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
pub async fn prepared_noting<R: Serialize + Send + Clone + 'static>(
    state: &Arc<AppState>,
    caller: &Caller,
    event: &str,
    resource: String,
    prepared: Prepared<R>,
    extra: serde_json::Map<String, serde_json::Value>,
) -> ApiResult<Response> {
    let summary = prepared.summary.clone();
    let report = prepared.report.clone();
    // A passkey wallet's operation: the server's signer pays, the passkey answers challenges
    // (docs/api.md, "Passkey owners").
    let is_passkey = prepared.fee_payer == leash_sdk::passkey::SECP256R1_PROGRAM_ID;
    let (fee_payer, transactions, challenges) = if is_passkey {
        let payer = passkey::payer_for(state, caller)?;
        let (transactions, challenges) =
            blocking(state, None, move |c| c.passkey_unsigned(&prepared, &payer)).await?;
        (payer.to_string(), transactions, Some(challenges))
    } else {
        let fee_payer = prepared.fee_payer.to_string();
        let transactions =
            blocking(state, None, move |c| c.unsigned_transactions(&prepared)).await?;
        (fee_payer, transactions, None)
    };
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
        passkey: challenges,
    })
}

/// An optional address field: absent, or a valid address.
fn optional_address(field: &'static str, text: Option<&str>) -> ApiResult<Option<Pubkey>> {
    text.map(|t| address(field, t)).transpose()
}

/// The wallet at `text`, named by the name this API kept for it when that name is the one its
/// address derives from (else as [`WalletRef::at`] names it).
pub async fn wallet_ref(state: &Arc<AppState>, text: &str) -> ApiResult<WalletRef> {
    let wallet = address("wallet", text)?;
    let kept = kept_name(state, &wallet.to_string()).await;
    blocking(state, None, move |c| {
        let found = WalletRef::at(c, &wallet)?;
        Ok(match kept {
            Some(name) => found.named(c.program_id(), &name),
            None => found,
        })
    })
    .await
}

/// The name this API keeps for `address`; a store failure only loses the name (logged).
pub async fn kept_name(state: &Arc<AppState>, address: &str) -> Option<String> {
    let address = address.to_string();
    match state.store(move |s| s.name_of(&address)).await {
        Ok(name) => name,
        Err(e) => {
            eprintln!("leash serve: reading a kept name: {e}");
            None
        }
    }
}

/// Keeps `name` for `address`; a failure is logged, not the caller's (the name is a courtesy).
pub async fn keep_name(state: &Arc<AppState>, address: &str, kind: &'static str, name: &str) {
    if name.trim().is_empty() {
        return;
    }
    let (address, name) = (address.to_string(), name.trim().to_string());
    if let Err(e) = state
        .store(move |s| s.set_name(&address, kind, &name))
        .await
    {
        eprintln!("leash serve: keeping a {kind} name: {e}");
    }
}

pub async fn session_of(state: &Arc<AppState>, text: &str) -> ApiResult<(Pubkey, WalletRef)> {
    let session = address("session", text)?;
    let (wallet, _) = blocking(state, None, move |c| c.session_at(&session)).await?;
    Ok((session, wallet))
}

/// A prepare on one session: its wallet found from the chain, `f` run on a blocking thread,
/// the answer audited as `event` on the session.
pub async fn prepare_on_session<R: Serialize + Send + Clone + 'static>(
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
pub async fn prepare_on_wallet<R: Serialize + Send + Clone + 'static>(
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

/// 405 in the envelope, for a method a path does not take.
pub async fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed()
}

/// 404 in the envelope, for paths no route serves.
pub async fn fallback() -> ApiError {
    ApiError::no_route()
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
