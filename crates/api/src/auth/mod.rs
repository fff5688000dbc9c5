//! Who is calling and whether the route lets them (docs/api.md, "Auth"): the request's route in
//! [`crate::routes::ROUTES`] (its scope), the API key from `Authorization: Bearer` or
//! `X-Api-Key` (else the dashboard's sign-in cookie, [`cookie`], with its CSRF token), the
//! key's scope, and the key's rate limit. Keys themselves are [`keys`].

pub mod cookie;
pub mod keys;

use std::sync::Arc;

use axum::{
    extract::{Request, State},
    http::{header, HeaderMap, Method},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::{
    assets,
    auth::keys::{allows, hash_key, Caller},
    error::{ApiCode, ApiError},
    routes::route_for,
    state::AppState,
};

fn api_key(headers: &HeaderMap) -> Option<&str> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let text = value.to_str().ok()?;
        let (scheme, key) = text.split_once(' ')?;
        return scheme.eq_ignore_ascii_case("bearer").then(|| key.trim());
    }
    headers.get("x-api-key").and_then(|v| v.to_str().ok())
}

/// Authenticates and authorizes by the route's scope, then applies the key's rate limit.
pub async fn auth(
    State(state): State<Arc<AppState>>,
    mut request: Request,
    next: Next,
) -> Response {
    // Fail closed: every (method, path) is placed before a handler runs. HEAD is judged as the
    // GET it runs (axum answers HEAD with the GET handler); anything unplaced is refused here.
    let method = if request.method() == Method::HEAD {
        Method::GET
    } else {
        request.method().clone()
    };
    let path = request.uri().path();
    let Some(route) = route_for(&method, path) else {
        if method == Method::GET && assets::is_page(path) {
            return next.run(request).await;
        }
        if [Method::GET, Method::POST, Method::DELETE]
            .iter()
            .any(|m| route_for(m, path).is_some())
        {
            return ApiError::method_not_allowed().into_response();
        }
        return ApiError::no_route().into_response();
    };
    let Some(needed) = route.scope else {
        if route.operation_id == "dashboard_sign_in" {
            // Guessing keys costs time: sign-ins per client address (and, in the handler,
            // per key tried).
            let peer = request
                .extensions()
                .get::<axum::extract::ConnectInfo<leash_net::Connection>>()
                .map(|info| info.0.peer().ip().to_string());
            if let Some(peer) = peer {
                if let Err(wait) = state.sign_in_limiter.take(&format!("peer:{peer}")) {
                    return ApiError::sign_in_limited(wait).into_response();
                }
            }
        }
        return next.run(request).await;
    };
    // A key header wins; else the dashboard's sign-in cookie (docs/dashboard.md), which must bring
    // the CSRF token on changes.
    let record = match api_key(request.headers()) {
        Some(key) => {
            let hash = hash_key(key);
            match state.store(move |s| s.key_by_hash(&hash)).await {
                Ok(Some(record)) => record,
                Ok(None) => {
                    return ApiError::new(
                        ApiCode::InvalidApiKey,
                        "the API key is unknown or revoked",
                    )
                    .hint("`leash api-key list` shows the live keys")
                    .into_response()
                }
                Err(e) => {
                    eprintln!("leash serve: {} {e}", crate::request_id::current());
                    return ApiError::internal("the key store cannot be read").into_response();
                }
            }
        }
        None => {
            let Some(cookie) = cookie::cookie(request.headers()) else {
                return ApiError::new(ApiCode::MissingApiKey,
                    "this route needs an API key",
                )
                .hint("send `Authorization: Bearer lk_…` or `X-Api-Key: lk_…`; `leash api-key create` makes one")
                .into_response();
            };
            match cookie::authenticate(&state, request.method(), request.headers(), &cookie).await {
                Ok(record) => {
                    request.extensions_mut().insert(cookie::CookieAuth(cookie));
                    record
                }
                Err(refused) => return refused,
            }
        }
    };
    if !allows(&record.scopes, needed) && !route.also.is_some_and(|s| allows(&record.scopes, s)) {
        return ApiError::new(
            ApiCode::ScopeMissing,
            format!(
                "{} {} needs the `{}` scope; this key has {}",
                route.method,
                route.path,
                needed.as_str(),
                if record.scopes.is_empty() {
                    "none".to_string()
                } else {
                    record.scopes.join(", ")
                }
            ),
        )
        .hint("use a key with that scope (`leash api-key create --scope …`)")
        .into_response();
    }
    if let Err(wait) = state.limiter.take(&record.id) {
        return ApiError::rate_limited(
            "too many requests for this API key",
            "wait for Retry-After seconds",
            wait,
        )
        .into_response();
    }
    let fee_payer = match request.headers().get("leash-fee-payer") {
        None => keys::FeePayer(None),
        Some(value) => match value
            .to_str()
            .ok()
            .and_then(|v| leash_client::input::parse_address(v.trim()).ok())
        {
            Some(payer) => keys::FeePayer(Some(payer)),
            None => {
                return ApiError::invalid(
                    "Leash-Fee-Payer",
                    "the Leash-Fee-Payer header must be a base58 address",
                )
                .into_response()
            }
        },
    };
    request.extensions_mut().insert(Caller(record, fee_payer));
    request.extensions_mut().insert(route);
    next.run(request).await
}
