//! The dashboard's sign-in cookie and its CSRF token (docs/dashboard.md).
//!
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
    http::{header, HeaderMap, HeaderValue, Method},
    response::{IntoResponse, Response},
};
use sha2::{Digest, Sha256};

use crate::{
    auth::keys::hash_key,
    error::{ApiCode, ApiError},
    state::AppState,
    store::KeyRecord,
};

/// The cookie's name.
pub const COOKIE: &str = "leash_dashboard";
/// The header a cookie-authenticated change carries.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// How long a sign-in lasts.
pub const SIGN_IN_TTL_SECS: i64 = 8 * 3600;

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
                ApiCode::SignInExpired,
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
            return Err(ApiError::new(ApiCode::CsrfTokenMissing,
                "a change made with the dashboard's sign-in cookie needs the X-CSRF-Token header",
            )
            .hint("send the csrf_token the sign-in answered (GET /v1/dashboard/session gives it again)")
            .into_response());
        };
        let sent = sent.to_str().unwrap_or("");
        if !same(sent, &csrf_token(cookie)) {
            return Err(ApiError::new(
                ApiCode::CsrfTokenInvalid,
                "the X-CSRF-Token header does not belong to this sign-in",
            )
            .hint("reload the dashboard: it fetches the current token")
            .into_response());
        }
    }
    Ok(record)
}

/// The `Set-Cookie` value carrying `value` for `max_age` seconds (`""`, 0 clears it).
pub fn set_cookie(value: &str, max_age: i64) -> HeaderValue {
    // Not `Secure`: `leash serve` speaks plain HTTP on loopback; behind a TLS proxy the proxy
    // may add it. SameSite=Strict keeps it off every cross-site request.
    HeaderValue::from_str(&format!(
        "{COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("leash_dashboard=; Max-Age=0; Path=/"))
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
}
