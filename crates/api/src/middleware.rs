//! What every request goes through after routing: its route's entry in [`crate::routes::ROUTES`]
//! (scope, idempotency), the API key and its scope, the key's rate limit, and for POSTs the
//! idempotency record.

use std::sync::Arc;

use axum::{
    body::{to_bytes, Body},
    extract::{Request, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use sha2::{Digest, Sha256};

use crate::{
    dashboard,
    error::ApiError,
    keys::{allows, hash_key},
    routes::{route_for, Route},
    store::{Idempotent, KeyRecord},
    AppState, BODY_LIMIT,
};

/// The caller, once authenticated: the key's record (never the key).
#[derive(Clone, Debug)]
pub struct Caller(pub KeyRecord);

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
        if method == Method::GET && dashboard::is_page(path) {
            return next.run(request).await;
        }
        if [Method::GET, Method::POST, Method::DELETE]
            .iter()
            .any(|m| route_for(m, path).is_some())
        {
            return crate::routes::method_not_allowed().await.into_response();
        }
        return crate::routes::fallback().await.into_response();
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
                    return sign_in_limited(wait).into_response();
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
                        StatusCode::UNAUTHORIZED,
                        "invalid_api_key",
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
            let Some(cookie) = dashboard::cookie(request.headers()) else {
                return ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "missing_api_key",
                    "this route needs an API key",
                )
                .hint("send `Authorization: Bearer lk_…` or `X-Api-Key: lk_…`; `leash api-key create` makes one")
                .into_response();
            };
            match dashboard::authenticate(&state, request.method(), request.headers(), &cookie)
                .await
            {
                Ok(record) => {
                    request
                        .extensions_mut()
                        .insert(dashboard::CookieAuth(cookie));
                    record
                }
                Err(refused) => return refused,
            }
        }
    };
    if !allows(&record.scopes, needed) && !route.also.is_some_and(|s| allows(&record.scopes, s)) {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "scope_missing",
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
        return rate_limited(
            "too many requests for this API key",
            "wait for Retry-After seconds",
            wait,
        )
        .into_response();
    }
    request.extensions_mut().insert(Caller(record));
    request.extensions_mut().insert(route);
    next.run(request).await
}

/// `Idempotency-Key` for POSTs (docs/api.md): the same key and body replay the stored answer
/// byte for byte with `Idempotent-Replay: true`; the same key with another body is 422
/// `idempotency_collision`; a duplicate while the first runs is 409 `idempotency_in_progress`.
/// 2xx and 4xx answers are kept 24 h (purged on a timer, [`crate::purge_expired`]); a 5xx
/// releases the key. An answer carrying a secret is never kept: its replay is 409.
pub async fn idempotency(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    let route = request.extensions().get::<&'static Route>().copied();
    let caller = request.extensions().get::<Caller>().cloned();
    let (Some(route), Some(Caller(caller))) = (route, caller) else {
        return next.run(request).await;
    };
    let key = match request.headers().get("idempotency-key") {
        None if route.idempotency_required => {
            return ApiError::new(
                StatusCode::BAD_REQUEST,
                "idempotency_key_required",
                format!("{} needs an Idempotency-Key header", route.path),
            )
            .field("Idempotency-Key")
            .hint("send a unique key of 8–200 characters per intended operation, e.g. a UUID")
            .into_response()
        }
        None => return next.run(request).await,
        Some(value) => match value.to_str() {
            Ok(text)
                if (8..=200).contains(&text.len())
                    && text.bytes().all(|b| b.is_ascii_graphic()) =>
            {
                text.to_string()
            }
            _ => {
                return ApiError::invalid(
                    "Idempotency-Key",
                    "Idempotency-Key must be 8–200 visible ASCII characters",
                )
                .into_response()
            }
        },
    };
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, BODY_LIMIT).await else {
        return too_large().into_response();
    };
    let mut hasher = Sha256::new();
    hasher.update(parts.method.as_str().as_bytes());
    hasher.update([0]);
    hasher.update(parts.uri.path().as_bytes());
    hasher.update([0]);
    hasher.update(&bytes);
    let request_hash: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();

    let claim = {
        let (id, key, hash) = (caller.id.clone(), key.clone(), request_hash.clone());
        state
            .store(move |s| s.claim_idempotency(&id, &key, &hash))
            .await
    };
    match claim {
        Err(e) => {
            eprintln!("leash serve: {} {e}", crate::request_id::current());
            ApiError::internal("the idempotency store cannot be written").into_response()
        }
        Ok(Idempotent::Done {
            request_hash: stored,
            status,
            content_type,
            body,
        }) => {
            if stored != request_hash {
                return collision().into_response();
            }
            if content_type == SECRET_SHOWN_ONCE {
                return ApiError::new(
                    StatusCode::CONFLICT,
                    "idempotency_secret_shown_once",
                    "this Idempotency-Key's answer carried a secret, which is shown once and never stored",
                )
                .hint("the first answer had it; if it was lost, revoke that key and create another with a new Idempotency-Key")
                .into_response();
            }
            if let Err(e) = state
                .audit(
                    &caller.id,
                    "idempotency.replay",
                    parts.uri.path(),
                    serde_json::json!({ "status": status }),
                )
                .await
            {
                return e.into_response();
            }
            let mut response = Response::new(Body::from(body));
            *response.status_mut() =
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            if let Ok(value) = HeaderValue::from_str(&content_type) {
                response.headers_mut().insert(header::CONTENT_TYPE, value);
            }
            response
                .headers_mut()
                .insert("idempotent-replay", HeaderValue::from_static("true"));
            response
        }
        Ok(Idempotent::InProgress {
            request_hash: stored,
        }) => {
            if stored != request_hash {
                return collision().into_response();
            }
            ApiError::new(
                StatusCode::CONFLICT,
                "idempotency_in_progress",
                "a request with this Idempotency-Key is still running",
            )
            .hint("retry after it finishes: the same key then replays its answer")
            .into_response()
        }
        Ok(Idempotent::Claimed) => {
            let request = Request::from_parts(parts, Body::from(bytes));
            let response = next.run(request).await;
            let (parts, body) = response.into_parts();
            let id = caller.id.clone();
            let Ok(bytes) = to_bytes(body, usize::MAX).await else {
                let _ = state.store(move |s| s.release_idempotency(&id, &key)).await;
                return ApiError::internal("the answer could not be read").into_response();
            };
            let status = parts.status.as_u16();
            let stored = if parts.status.is_server_error() {
                state.store(move |s| s.release_idempotency(&id, &key)).await
            } else {
                let (content_type, body) = if route.secret_answer && parts.status.is_success() {
                    // The key is taken, so a retry cannot make a second effect; the answer is
                    // not kept (it would sit in the store in plaintext).
                    (SECRET_SHOWN_ONCE.to_string(), axum::body::Bytes::new())
                } else {
                    let content_type = parts
                        .headers
                        .get(header::CONTENT_TYPE)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("application/json")
                        .to_string();
                    (content_type, bytes.clone())
                };
                state
                    .store(move |s| s.finish_idempotency(&id, &key, status, &content_type, &body))
                    .await
            };
            if let Err(e) = stored {
                eprintln!("leash serve: {} {e}", crate::request_id::current());
            }
            Response::from_parts(parts, Body::from(bytes))
        }
    }
}

/// The content type an idempotency row records, with no body, for an answer that carried a
/// secret ([`Route::secret_answer`]).
const SECRET_SHOWN_ONCE: &str = "application/x-leash-secret-shown-once";

/// 429 `rate_limited` with `Retry-After` (whole seconds, at least 1).
fn rate_limited(message: &str, hint: &str, wait: std::time::Duration) -> ApiError {
    let mut e = ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message).hint(hint);
    e.retry_after = Some(wait.as_secs().max(1));
    e
}

/// 429 for too many sign-ins.
pub fn sign_in_limited(wait: std::time::Duration) -> ApiError {
    rate_limited(
        "too many sign-in attempts",
        "wait for Retry-After seconds, then sign in with the whole key",
        wait,
    )
}

fn collision() -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_collision",
        "this Idempotency-Key was used with a different request",
    )
    .field("Idempotency-Key")
    .hint("use a new key for a new operation")
}

pub fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("the request body is larger than {BODY_LIMIT} bytes"),
    )
}
