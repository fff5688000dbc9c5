//! The dashboard's files (docs/dashboard.md): plain ES modules, CSS and one HTML page under
//! `crates/api/dashboard/`, committed as written (no build step) and embedded with
//! `include_bytes!`, so `cargo install` alone serves them (no CDN, no npm). Served at `/` and
//! `/assets/…` under a strict Content-Security-Policy, without a key.

use axum::{
    extract::Path,
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};

use crate::error::ApiError;

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
        "ui.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../dashboard/ui.js"),
    ),
    (
        "policy-editor.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../dashboard/policy-editor.js"),
    ),
    (
        "page-sign-in.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../dashboard/page-sign-in.js"),
    ),
    (
        "page-wallets.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../dashboard/page-wallets.js"),
    ),
    (
        "page-new-session.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../dashboard/page-new-session.js"),
    ),
    (
        "page-requests.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../dashboard/page-requests.js"),
    ),
    (
        "page-session.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../dashboard/page-session.js"),
    ),
    (
        "page-audit.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../dashboard/page-audit.js"),
    ),
    (
        "page-webhooks.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../dashboard/page-webhooks.js"),
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
        "passkey.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../dashboard/passkey.js"),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_is_embedded_with_its_type() {
        for name in [
            "index.html",
            "app.js",
            "style.css",
            "wallet.js",
            "keys.js",
            "passkey.js",
            "api.js",
            "ui.js",
            "policy-editor.js",
            "page-sign-in.js",
            "page-wallets.js",
            "page-new-session.js",
            "page-requests.js",
            "page-session.js",
            "page-audit.js",
            "page-webhooks.js",
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
