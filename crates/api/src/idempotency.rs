//! Idempotency (docs/api.md, "Idempotency"): a POST with an `Idempotency-Key` is answered
//! once; a replay gets the recorded answer, a different request under the same key 422.

use std::sync::Arc;

use axum::{
    body::{to_bytes, Body},
    extract::{Request, State},
    http::{header, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use sha2::{Digest, Sha256};

use crate::{
    auth::keys::Caller,
    error::{ApiCode, ApiError},
    route::Route,
    state::{AppState, BODY_LIMIT},
    store::Idempotent,
};

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
    let (Some(route), Some(Caller(caller, _))) = (route, caller) else {
        return next.run(request).await;
    };
    let key = match request.headers().get("idempotency-key") {
        None if route.idempotency_required => {
            return ApiError::new(
                ApiCode::IdempotencyKeyRequired,
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
        return ApiError::too_large(BODY_LIMIT).into_response();
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
                return ApiError::new(ApiCode::IdempotencySecretShownOnce,
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
                ApiCode::IdempotencyInProgress,
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

fn collision() -> ApiError {
    ApiError::new(
        ApiCode::IdempotencyCollision,
        "this Idempotency-Key was used with a different request",
    )
    .field("Idempotency-Key")
    .hint("use a new key for a new operation")
}
