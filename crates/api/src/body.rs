//! JSON bodies: parsed into typed requests (`deny_unknown_fields`), an error naming the field at
//! fault; an empty body reads as `{}`; oversized bodies are 413; a body without
//! `Content-Type: application/json` is 415.

use axum::{
    body::Bytes,
    extract::{FromRequest, Request},
    http::{header, StatusCode},
};
use serde::de::DeserializeOwned;

use crate::error::{ApiCode, ApiError};

/// A typed JSON request body.
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(is_json);
        let bytes = Bytes::from_request(request, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::too_large(crate::state::BODY_LIMIT)
            } else {
                ApiError::invalid("body", "the request body could not be read")
            }
        })?;
        // A body must say it is JSON: a cross-site form can send a JSON-looking text/plain body
        // with no preflight, so the type is part of the contract (an empty body needs none).
        if !json && !bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::new(
                ApiCode::UnsupportedMediaType,
                "the request body must be JSON, sent with Content-Type: application/json",
            )
            .hint("add the header `Content-Type: application/json`"));
        }
        parse(&bytes).map(Json)
    }
}

/// `application/json` or a `+json` type, parameters (charset) allowed.
fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Parses `bytes` as `T`, naming the field at fault.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        bytes
    };
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let message = inner.to_string();
        // serde's own text, without the position suffix people do not need.
        let message = match message.rfind(" at line ") {
            Some(i) => message[..i].to_string(),
            None => message,
        };
        let field = if path == "." {
            "body".to_string()
        } else {
            path
        };
        if inner.is_syntax() || inner.is_eof() {
            ApiError::invalid("body", format!("the body is not valid JSON: {message}"))
                .hint("send a JSON object with Content-Type: application/json")
        } else {
            ApiError::invalid(&field, format!("{field}: {message}"))
                .hint("see /openapi.json for this route's request schema")
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Req {
        amount: String,
        #[serde(default)]
        inner: Option<Inner>,
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        n: u64,
    }

    #[test]
    fn json_types_are_recognized() {
        assert!(is_json("application/json"));
        assert!(is_json("Application/JSON; charset=utf-8"));
        assert!(is_json("application/merge-patch+json"));
        assert!(!is_json("text/plain"));
        assert!(!is_json("application/x-www-form-urlencoded"));
        assert!(!is_json(""));
    }

    #[test]
    fn errors_name_the_field() {
        let e = parse::<Req>(br#"{"amount": "1", "extra": 2}"#).unwrap_err();
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
        assert!(e.message.contains("unknown field `extra`"), "{}", e.message);
        let e = parse::<Req>(br#"{"amount": 5}"#).unwrap_err();
        assert_eq!(e.details.unwrap().field.as_deref(), Some("amount"));
        let e = parse::<Req>(br#"{"amount": "1", "inner": {"n": "x"}}"#).unwrap_err();
        assert_eq!(e.details.unwrap().field.as_deref(), Some("inner.n"));
        let e = parse::<Req>(br#"{"amount": "#).unwrap_err();
        assert!(e.message.starts_with("the body is not valid JSON"));
        let e = parse::<Req>(b"").unwrap_err();
        assert!(
            e.message.contains("missing field `amount`"),
            "{}",
            e.message
        );
    }
}
