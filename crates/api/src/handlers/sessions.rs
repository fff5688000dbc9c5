//! Sessions: preview, prepare, list, show, revoke, update, close, revoke-all, and activity.

use super::*;

pub async fn preview_session(
    State(state): St,
    Json(request): Json<PreviewSessionRequest>,
) -> ApiResult<Response> {
    let wallet = address("wallet", &request.wallet)?;
    let session_key = address("session_key", &request.session_key)?;
    let policy = policy(request.policy);
    let preview = blocking(&state, Some("policy"), move |c| {
        c.preview_session(&wallet, &policy, &session_key)
    })
    .await?;
    ok(&preview)
}

pub async fn prepare_session(
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
    let label = request.policy.label.clone();
    let policy = policy(request.policy);
    let p = blocking(&state, Some("policy"), move |c| {
        let wallet = WalletRef::at(c, &wallet)?;
        c.prepare_create_session(&wallet, &policy, &session_key, &top_up)
    })
    .await?;
    if let Some(label) = &label {
        keep_name(&state, &p.report.session, "session", label).await;
    }
    let resource = format!("session/{}", p.report.session);
    prepared(&state, &caller, "session.prepare", resource, p).await
}

pub async fn list_sessions(State(state): St, Path(wallet): Path<String>) -> ApiResult<Response> {
    let wallet = wallet_ref(&state, &wallet).await?;
    let address = wallet.address.to_string();
    let mut sessions = blocking(&state, None, move |c| c.session_views_at(&wallet)).await?;
    for view in sessions.iter_mut() {
        view.label = kept_name(&state, &view.session).await;
    }
    ok(&SessionListAnswer {
        wallet: address,
        sessions,
    })
}

pub async fn show_session(State(state): St, Path(session): Path<String>) -> ApiResult<Response> {
    let (session, wallet) = session_of(&state, &session).await?;
    let mut view = blocking(&state, None, move |c| c.show_session(&wallet, &session)).await?;
    view.label = kept_name(&state, &view.session).await;
    ok(&view)
}

pub async fn prepare_revoke(
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

pub async fn prepare_update(
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

pub async fn prepare_close(
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

pub async fn prepare_revoke_all(
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

/// How many transactions the activity view reads.
const ACTIVITY_LIMIT: usize = 50;

pub async fn session_events(State(state): St, Path(session): Path<String>) -> ApiResult<Response> {
    // The session must exist (a 404 for a wrong address); its history is then read.
    let (session, _) = session_of(&state, &session).await?;
    ok(&blocking(&state, None, move |c| {
        c.session_activity(&session, ACTIVITY_LIMIT)
    })
    .await?)
}
