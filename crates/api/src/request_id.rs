//! A request id on every answer: `X-Request-Id`, and `request_id` in error envelopes. Held in a
//! task-local for the request's future, so handlers' errors carry it without passing it around.

use axum::{extract::Request, http::HeaderValue, middleware::Next, response::Response};
use rand::RngCore;

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request being answered (`"req_unknown"` outside one).
pub fn current() -> String {
    REQUEST_ID
        .try_with(Clone::clone)
        .unwrap_or_else(|_| "req_unknown".to_string())
}

fn new_id() -> String {
    let mut bytes = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!(
        "req_{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    )
}

/// Gives the request an id, answers with it, and adds the security headers.
pub async fn layer(request: Request, next: Next) -> Response {
    let id = new_id();
    let mut response = REQUEST_ID.scope(id.clone(), next.run(request)).await;
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&id) {
        headers.insert("x-request-id", value);
    }
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    headers.insert("cache-control", HeaderValue::from_static("no-store"));
    // The dashboard's pages set their own (crate::dashboard::CSP); everything else loads
    // nothing.
    headers
        .entry("content-security-policy")
        .or_insert(HeaderValue::from_static(
            "default-src 'none'; frame-ancestors 'none'",
        ));
    response
}
