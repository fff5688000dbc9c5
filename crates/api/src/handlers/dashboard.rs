//! The dashboard's sign-in, session and sign-out (docs/dashboard.md); the cookie and CSRF rules
//! are in [`crate::auth::cookie`].

use axum::{
    http::{header, StatusCode},
    Extension,
};
use rand::RngCore;

use super::*;
use crate::{
    auth::cookie::{csrf_token, set_cookie, CookieAuth, SIGN_IN_TTL_SECS},
    auth::keys::{allows, hash_key},
    store::now,
};

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInRequest {
    /// The API key (`lk_…`); only its hash is looked up, it is not kept.
    pub api_key: String,
}

/// A key as the dashboard shows it.
#[derive(Serialize, schemars::JsonSchema)]
pub struct KeyInfo {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub scopes: Vec<String>,
}

impl From<&KeyRecord> for KeyInfo {
    fn from(r: &KeyRecord) -> Self {
        KeyInfo {
            id: r.id.clone(),
            name: r.name.clone(),
            prefix: r.prefix.clone(),
            scopes: r.scopes.clone(),
        }
    }
}

/// What the page needs to know about this server and its sign-in.
#[derive(Serialize, schemars::JsonSchema)]
pub struct DashboardSession {
    pub key: KeyInfo,
    /// For `X-CSRF-Token`; `null` when the request came with a key header, not the cookie.
    pub csrf_token: Option<String>,
    /// Unix seconds; `null` for a key header.
    pub expires_at: Option<i64>,
    pub program_id: String,
    /// `localnet`, `devnet`, `mainnet` or `custom`.
    pub cluster: String,
    pub cluster_url: String,
    /// The cluster as a session token records it (docs/cli.md, "Session token").
    pub token_cluster: String,
    /// The local signer's address (`leash serve --signer`), if any.
    pub signer: Option<String>,
    /// Whether `POST /v1/dev/airdrop` works here (a local node).
    pub airdrop: bool,
    pub version: String,
}

fn session_answer(state: &AppState, record: &KeyRecord, cookie: Option<&str>) -> DashboardSession {
    let cluster = state.client.cluster();
    DashboardSession {
        key: record.into(),
        csrf_token: cookie.map(csrf_token),
        expires_at: None,
        program_id: state.client.program_id().to_string(),
        cluster: cluster.name.clone(),
        cluster_url: cluster.url.clone(),
        token_cluster: cluster.token_label(),
        signer: state
            .signer()
            .map(|s| solana_signer::Signer::pubkey(s).to_string()),
        airdrop: cluster.is_localnet(),
        version: env!("CARGO_PKG_VERSION").to_string(),
    }
}

/// Audits a refused sign-in (rate-limited per address and key before it gets here, so the
/// log cannot be flooded faster than the limits allow).
async fn failed_sign_in(state: &Arc<AppState>, actor: &str, reason: &str) {
    let _ = state
        .audit(
            actor,
            "dashboard.sign_in_failed",
            "dashboard",
            serde_json::json!({ "reason": reason }),
        )
        .await;
}

/// `POST /v1/dashboard/sign-in`.
pub async fn sign_in(
    State(state): State<Arc<AppState>>,
    Json(request): Json<SignInRequest>,
) -> ApiResult<Response> {
    let hash = hash_key(request.api_key.trim());
    state
        .sign_in_limiter
        .take(&format!("key:{hash}"))
        .map_err(ApiError::sign_in_limited)?;
    let found = state
        .store(move |s| s.key_by_hash(&hash))
        .await
        .map_err(|_| ApiError::internal("the key store cannot be read"))?;
    let Some(record) = found else {
        // A failed sign-in is on record (never what was typed: it may be most of a real key).
        failed_sign_in(&state, "anonymous", "unknown or revoked key").await;
        return Err(ApiError::new(ApiCode::InvalidApiKey,
            "the API key is unknown or revoked",
        )
        .field("api_key")
        .hint("paste the whole key (lk_…) that `leash serve` printed on its first start, or one from `leash api-key create`"));
    };
    if !allows(&record.scopes, Scope::Read) {
        failed_sign_in(&state, &record.id, "the key has no read scope").await;
        return Err(ApiError::new(
            ApiCode::ScopeMissing,
            format!(
                "the dashboard needs a key with the `read` scope; this key has {}",
                record.scopes.join(", ")
            ),
        )
        .field("api_key")
        .hint("use a read, write or admin key (`leash api-key create --scope write`)"));
    }
    let mut secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let cookie = format!("lds_{}", bs58::encode(secret).into_string());
    let expires_at = now() + SIGN_IN_TTL_SECS;
    {
        let (hash, id) = (hash_key(&cookie), record.id.clone());
        state
            .store(move |s| s.insert_dashboard_session(&hash, &id, expires_at))
            .await
            .map_err(|_| ApiError::internal("the sign-in cannot be stored"))?;
    }
    state
        .audit(
            &record.id,
            "dashboard.sign_in",
            &format!("api_key/{}", record.id),
            serde_json::json!({ "expires_at": expires_at }),
        )
        .await?;
    let mut answer = session_answer(&state, &record, Some(&cookie));
    answer.expires_at = Some(expires_at);
    let mut response = (StatusCode::OK, axum::Json(answer)).into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, set_cookie(&cookie, SIGN_IN_TTL_SECS));
    Ok(response)
}

/// `GET /v1/dashboard/session`: who is signed in, the CSRF token again (after a reload), and
/// what this server offers.
pub async fn session(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    cookie: Option<Extension<CookieAuth>>,
) -> ApiResult<Response> {
    let cookie = cookie.map(|Extension(CookieAuth(c))| c);
    Ok(axum::Json(session_answer(&state, &caller.0, cookie.as_deref())).into_response())
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct SignedOut {
    pub signed_out: bool,
}

/// `POST /v1/dashboard/sign-out`: ends the cookie's sign-in (with a key header there is none
/// to end) and clears the cookie.
pub async fn sign_out(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    cookie: Option<Extension<CookieAuth>>,
    Json(_): Json<EmptyRequest>,
) -> ApiResult<Response> {
    let ended = match cookie {
        Some(Extension(CookieAuth(cookie))) => {
            let hash = hash_key(&cookie);
            state
                .store(move |s| s.delete_dashboard_session(&hash))
                .await
                .map_err(|_| ApiError::internal("the sign-in cannot be removed"))?
        }
        None => false,
    };
    if ended {
        state
            .audit(
                &caller.0.id,
                "dashboard.sign_out",
                &format!("api_key/{}", caller.0.id),
                serde_json::json!({}),
            )
            .await?;
    }
    let mut response =
        (StatusCode::OK, axum::Json(SignedOut { signed_out: ended })).into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, set_cookie("", 0));
    Ok(response)
}
