//! Session requests (docs/agents.md): an agent files, the owner approves or denies.

use super::*;
use leash_client::live::EventType;

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
pub async fn request_views(
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
pub async fn load_request(
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

pub async fn file_request(
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
        let preview = c.preview_session(&wallet.address, &policy, &session_key)?;
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
            return Err(ApiError::new(ApiCode::TooManyPendingRequests,
                format!(
                    "this API key has {OPEN_REQUESTS_PER_KEY} session requests neither denied nor expired"
                ),
            )
            .hint("wait for the owner to answer, or for requests to expire"))
        }
        Filing::KeyHasOpenRequest(open) => {
            return Err(ApiError::new(ApiCode::SessionRequestOpen,
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
    note_request_event(&state, EventType::RequestFiled, &row).await;
    let view = request_view(&row, None, now, &state.client)?;
    Ok(json(StatusCode::CREATED, &view))
}

pub async fn list_requests(
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

pub async fn show_request(
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

pub async fn prepare_approve_request(
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

pub async fn deny_request(
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
    let (row, view) = load_request(&state, &id).await?;
    note_request_event(&state, EventType::RequestDenied, &row).await;
    ok(&view)
}

/// Stores a `request.*` event for `row` and wakes the streams; a failure is logged, not the
/// caller's (the request itself was recorded).
async fn note_request_event(state: &Arc<AppState>, event_type: EventType, row: &RequestRow) {
    let row = row.clone();
    let stored = state
        .store(move |s| {
            crate::live::record_request(
                s,
                event_type,
                &row.id,
                &row.wallet,
                &row.session,
                serde_json::json!({ "session_key": row.session_key, "reason": row.reason, "note": row.note }),
            )
        })
        .await;
    match stored {
        Ok(_) => state.events_changed.notify_waiters(),
        Err(e) => eprintln!("leash serve: recording a {event_type} event: {e}"),
    }
}
