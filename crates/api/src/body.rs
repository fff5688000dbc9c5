//! JSON bodies: parsed into typed requests (`deny_unknown_fields`), an error naming the field at
//! fault; an empty body reads as `{}`; oversized bodies are 413.

use axum::{
    body::Bytes,
    extract::{FromRequest, Request},
    http::StatusCode,
};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A typed JSON request body.
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(request, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                crate::middleware::too_large()
            } else {
                ApiError::invalid("body", "the request body could not be read")
            }
        })?;
        parse(&bytes).map(Json)
    }
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
    fn errors_name_the_field() {
        let e = parse::<Req>(br#"{"amount": "1", "extra": 2}"#).unwrap_err();
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
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
