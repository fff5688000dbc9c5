//! The dashboard (docs/dashboard.md): its files, embedded in the binary and served at `/` and
//! `/assets/…` under a strict Content-Security-Policy, and its sign-in.
//!
//! - **Files.** Plain ES modules, CSS and one HTML page under `crates/api/dashboard/`, committed
//!   as written (no build step), embedded with `include_bytes!`: `cargo install` alone serves
//!   them, no CDN, no npm.
//! - **Sign-in.** `POST /v1/dashboard/sign-in` takes an API key once and answers a cookie
//!   (`HttpOnly; SameSite=Strict; Path=/`) naming a sign-in kept in the store as its SHA-256,
//!   so it holds across API instances sharing a store. The cookie acts as that key, with
//!   exactly its scopes, until it lapses, the key is revoked, or `sign-out`.
//! - **CSRF.** A request authenticated by the cookie that changes anything (any method but
//!   GET/HEAD) must carry `X-CSRF-Token`, which is derived from the cookie
//!   (`sha256("leash-dashboard-csrf" ‖ 0 ‖ cookie)`): the page learns it from the sign-in answer
//!   or `GET /v1/dashboard/session`, which another site can neither read (no CORS) nor compute
//!   (the cookie is HttpOnly). Nothing more needs storing.

use std::sync::Arc;

use axum::{
    extract::{Path, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    response::{IntoResponse, Response},
    Extension,
};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{
    body::Json,
    error::{ApiError, ApiResult},
    keys::{allows, hash_key, Scope},
    middleware::Caller,
    store::{now, KeyRecord},
    AppState,
};

/// The cookie's name.
pub const COOKIE: &str = "leash_dashboard";
/// The header a cookie-authenticated change carries.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// How long a sign-in lasts.
pub const SIGN_IN_TTL_SECS: i64 = 8 * 3600;

/// What the dashboard's pages may load: only this server's own scripts, styles and API;
/// wallet icons come as `data:` URLs (the Wallet Standard's form).
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The embedded files: name, content type, bytes.
static ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "index.html",
        "text/html; charset=utf-8",
        include_bytes!("../dashboard/index.html"),
    ),
    (
        "style.css",
        "text/css; charset=utf-8",
        include_bytes!("../dashboard/style.css"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../dashboard/app.js"),
    ),
    (
        "api.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../dashboard/api.js"),
    ),
    (
        "wallet.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../dashboard/wallet.js"),
    ),
    (
        "keys.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../dashboard/keys.js"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_bytes!("../dashboard/favicon.svg"),
    ),
];

/// `LEASH_DASHBOARD_DIR`: serve the files of the embedded list from this directory instead
/// (working on the dashboard without rebuilding); only the listed names are read.
fn override_dir() -> Option<std::path::PathBuf> {
    std::env::var_os("LEASH_DASHBOARD_DIR").map(std::path::PathBuf::from)
}

fn asset(name: &str) -> Option<Response> {
    let (name, content_type, bytes) = ASSETS.iter().find(|(n, _, _)| *n == name)?;
    let body: axum::body::Body = match override_dir().and_then(|d| std::fs::read(d.join(name)).ok())
    {
        Some(bytes) => bytes.into(),
        None => (*bytes).into(),
    };
    let mut response = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        body,
    )
        .into_response();
    response
        .headers_mut()
        .insert("content-security-policy", HeaderValue::from_static(CSP));
    Some(response)
}

/// Whether `path` is one of the dashboard's public files (`/`, `/assets/{file}`): the only GETs
/// outside [`crate::routes::ROUTES`], served without a key.
pub fn is_page(path: &str) -> bool {
    path == "/"
        || path
            .strip_prefix("/assets/")
            .is_some_and(|file| !file.is_empty() && !file.contains('/'))
}

/// `GET /`: the page.
pub async fn index() -> Response {
    asset("index.html").unwrap_or_else(|| ApiError::not_found("no page").into_response())
}

/// `GET /assets/{file}`.
pub async fn assets(Path(file): Path<String>) -> Response {
    asset(&file).unwrap_or_else(|| {
        ApiError::not_found(format!("no dashboard file {file:?}"))
            .hint("the dashboard is at /")
            .into_response()
    })
}

/// The sign-in cookie's value, if the request has one.
pub fn cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// The CSRF token that goes with a cookie.
pub fn csrf_token(cookie: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"leash-dashboard-csrf");
    hasher.update([0]);
    hasher.update(cookie.as_bytes());
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Equal without saying where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A request authenticated by the cookie (not by a key header): the cookie, for sign-out and
/// for the CSRF token.
#[derive(Clone, Debug)]
pub struct CookieAuth(pub String);

/// Checks a cookie-authenticated request: its sign-in is live, and a change carries the CSRF
/// token. The key record it acts as, or the answer refusing it.
pub async fn authenticate(
    state: &Arc<AppState>,
    method: &Method,
    headers: &HeaderMap,
    cookie: &str,
) -> Result<KeyRecord, Response> {
    let hash = hash_key(cookie);
    let record =
        match state.store(move |s| s.dashboard_key(&hash)).await {
            Ok(Some(record)) => record,
            Ok(None) => return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "sign_in_expired",
                "this dashboard sign-in has ended (signed out, lapsed, or its API key was revoked)",
            )
            .hint("sign in again with an API key")
            .into_response()),
            Err(e) => {
                eprintln!("leash serve: {} {e}", crate::request_id::current());
                return Err(ApiError::internal("the key store cannot be read").into_response());
            }
        };
    if method != Method::GET && method != Method::HEAD {
        let Some(sent) = headers.get(CSRF_HEADER) else {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "csrf_token_missing",
                "a change made with the dashboard's sign-in cookie needs the X-CSRF-Token header",
            )
            .hint("send the csrf_token the sign-in answered (GET /v1/dashboard/session gives it again)")
            .into_response());
        };
        let sent = sent.to_str().unwrap_or("");
        if !same(sent, &csrf_token(cookie)) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "csrf_token_invalid",
                "the X-CSRF-Token header does not belong to this sign-in",
            )
            .hint("reload the dashboard: it fetches the current token")
            .into_response());
        }
    }
    Ok(record)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignInRequest {
    /// The API key (`lk_…`); only its hash is looked up, it is not kept.
    pub api_key: String,
}

/// A key as the dashboard shows it.
#[derive(Serialize)]
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
#[derive(Serialize)]
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

fn set_cookie(value: &str, max_age: i64) -> HeaderValue {
    // Not `Secure`: `leash serve` speaks plain HTTP on loopback; behind a TLS proxy the proxy
    // may add it. SameSite=Strict keeps it off every cross-site request.
    HeaderValue::from_str(&format!(
        "{COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("leash_dashboard=; Max-Age=0; Path=/"))
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
        .map_err(crate::middleware::sign_in_limited)?;
    let record = state
        .store(move |s| s.key_by_hash(&hash))
        .await
        .map_err(|_| ApiError::internal("the key store cannot be read"))?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_api_key",
                "the API key is unknown or revoked",
            )
            .field("api_key")
            .hint("paste the whole key (lk_…) that `leash serve` printed on its first start, or one from `leash api-key create`")
        })?;
    if !allows(&record.scopes, Scope::Read) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "scope_missing",
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

#[derive(Serialize)]
pub struct SignedOut {
    pub signed_out: bool,
}

/// `POST /v1/dashboard/sign-out`: ends the cookie's sign-in (with a key header there is none
/// to end) and clears the cookie.
pub async fn sign_out(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    cookie: Option<Extension<CookieAuth>>,
    Json(_): Json<crate::routes::EmptyRequest>,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; leash_dashboard=lds_x; b=2"),
        );
        assert_eq!(cookie(&headers).as_deref(), Some("lds_x"));
        headers.insert(header::COOKIE, HeaderValue::from_static("leash_dashboard="));
        assert_eq!(cookie(&headers), None);
    }

    #[test]
    fn csrf_tokens_belong_to_their_cookie() {
        assert_eq!(csrf_token("a"), csrf_token("a"));
        assert_ne!(csrf_token("a"), csrf_token("b"));
        assert!(same(&csrf_token("a"), &csrf_token("a")));
        assert!(!same(&csrf_token("a"), &csrf_token("b")));
        assert!(!same("ab", "abc"));
    }

    #[test]
    fn every_file_is_embedded_with_its_type() {
        for name in [
            "index.html",
            "app.js",
            "style.css",
            "wallet.js",
            "keys.js",
            "api.js",
        ] {
            let r = asset(name).unwrap_or_else(|| panic!("{name}"));
            assert_eq!(
                r.headers()["content-security-policy"],
                HeaderValue::from_static(CSP)
            );
        }
        assert!(asset("../Cargo.toml").is_none());
    }
}
