//! The audit log: entries and the chain's verification.

use super::*;

pub async fn audit_log(
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
        .admin("", move |admin| {
            admin::audit_page(admin.store, after, limit, newest)
        })
        .await?;
    ok(&Export {
        audit_key: state.audit_key_pubkey().to_string(),
        entries,
    })
}

pub async fn audit_verify(State(state): St) -> ApiResult<Response> {
    let key = state.audit_key_pubkey();
    let verification = state
        .admin("", move |admin| admin::verify_audit(admin.store, &key))
        .await?;
    ok(&verification)
}
