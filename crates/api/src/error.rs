//! The error envelope of docs/api.md: `{"error": {"code", "message", "hint"?, "details"?},
//! "request_id"}` with the status the code calls for. No stack traces, no secrets: messages are
//! written here or come from `leash-client`, which never quotes a secret.

use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use leash_client::{ClientError, ErrorCode, Figures};
use serde::Serialize;

/// What went wrong, as the API answers it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    /// snake_case, stable.
    pub code: String,
    pub message: String,
    pub hint: Option<String>,
    /// Boxed: errors travel through every `Result`, details come with few of them.
    pub details: Option<Box<Details>>,
    /// Seconds, for 429.
    pub retry_after: Option<u64>,
}

/// The figures behind an error: the field at fault, the program's code, a spending limit's
/// numbers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Details {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub program_code: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none", flatten)]
    pub figures: Option<Figures>,
}

/// The envelope as serialized.
#[derive(Serialize)]
pub struct Envelope<'a> {
    pub error: Body<'a>,
    pub request_id: &'a str,
}

#[derive(Serialize)]
pub struct Body<'a> {
    pub code: &'a str,
    pub message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<&'a Details>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code: code.to_string(),
            message: message.into(),
            hint: None,
            details: None,
            retry_after: None,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> ApiError {
        self.hint = Some(hint.into());
        self
    }

    pub fn field(mut self, field: impl Into<String>) -> ApiError {
        self.details.get_or_insert_with(Box::default).field = Some(field.into());
        self
    }

    /// 400 `invalid_input` naming `field`.
    pub fn invalid(field: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_input", message).field(field)
    }

    /// 404 in the envelope, for paths no route serves.
    pub fn no_route() -> ApiError {
        ApiError::not_found("no such route").hint("see /openapi.json for the routes")
    }

    /// 405 in the envelope, for a method a path does not take.
    pub fn method_not_allowed() -> ApiError {
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "this path does not take this method",
        )
        .hint("see /openapi.json for the routes")
    }

    /// 413: a body over `limit` bytes.
    pub fn too_large(limit: usize) -> ApiError {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the request body is larger than {limit} bytes"),
        )
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// A failure of this server (the store): said plainly, without internals.
    pub fn internal(what: &str) -> ApiError {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("internal error: {what}"),
        )
        .hint("retry; if it persists, the server's log has the request id")
    }

    /// A `leash-client` error, with `field` naming the input it concerns if it is an input
    /// error.
    pub fn from_client(error: ClientError, field: Option<&str>) -> ApiError {
        let (status, code) = match error.code {
            ErrorCode::Program(program) if error.program_code.is_none() => {
                // Found by reading state, not refused by the chain: the session is not there.
                if program == leash_sdk::LeashError::SessionNotRegistered {
                    (StatusCode::NOT_FOUND, "session_not_found".to_string())
                } else {
                    (StatusCode::UNPROCESSABLE_ENTITY, snake(program))
                }
            }
            ErrorCode::Program(program) => (StatusCode::UNPROCESSABLE_ENTITY, snake(program)),
            ErrorCode::InvalidInput => (StatusCode::BAD_REQUEST, "invalid_input".into()),
            ErrorCode::InvalidPolicy => (StatusCode::BAD_REQUEST, "invalid_policy".into()),
            ErrorCode::InvalidToken => (StatusCode::BAD_REQUEST, "invalid_token".into()),
            ErrorCode::ProgramMismatch => (StatusCode::BAD_REQUEST, "program_mismatch".into()),
            ErrorCode::ProgramNotFound => (StatusCode::NOT_FOUND, "program_not_found".into()),
            ErrorCode::ProgramDiffers => (StatusCode::CONFLICT, "program_differs".into()),
            ErrorCode::NoWallet => (StatusCode::NOT_FOUND, "wallet_not_found".into()),
            ErrorCode::Signer => (StatusCode::BAD_REQUEST, "signer_mismatch".into()),
            ErrorCode::Unreachable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "cluster_unavailable".into(),
            ),
            ErrorCode::Rpc => (StatusCode::BAD_GATEWAY, "cluster_error".into()),
            ErrorCode::Timeout => (StatusCode::GATEWAY_TIMEOUT, "confirmation_timeout".into()),
            ErrorCode::Expired => (StatusCode::GATEWAY_TIMEOUT, "transaction_expired".into()),
            ErrorCode::TransactionFailed => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "transaction_failed".into(),
            ),
            ErrorCode::RequestNotFound => {
                (StatusCode::NOT_FOUND, "session_request_not_found".into())
            }
            ErrorCode::RequestDenied => (StatusCode::CONFLICT, "session_request_denied".into()),
            ErrorCode::RequestApproved => (StatusCode::CONFLICT, "session_request_approved".into()),
            ErrorCode::RequestExpired => (StatusCode::GONE, "session_request_expired".into()),
            // A client talking to another API: never this server's own failure mode.
            ErrorCode::Api | ErrorCode::ApiKey => (StatusCode::BAD_GATEWAY, "upstream_api".into()),
            ErrorCode::NoSession
            | ErrorCode::NoKeypair
            | ErrorCode::NoToken
            | ErrorCode::NoHome
            | ErrorCode::Io
            | ErrorCode::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "internal".into()),
        };
        let mut details = Details {
            program_code: error.program_code,
            figures: error.figures.map(|f| *f),
            ..Details::default()
        };
        if matches!(
            error.code,
            ErrorCode::InvalidInput | ErrorCode::InvalidPolicy | ErrorCode::InvalidToken
        ) {
            details.field = field.map(str::to_string);
        }
        let empty = details == Details::default();
        ApiError {
            status,
            code,
            // Flag names of the CLI read as the API's field names.
            message: error.message.replace("--", ""),
            hint: error.hint,
            details: (!empty).then(|| Box::new(details)),
            retry_after: None,
        }
    }

    /// The answer, with `request_id` in the envelope and the `X-Request-Id` header.
    pub fn into_response_with(self, request_id: &str) -> Response {
        let envelope = Envelope {
            error: Body {
                code: &self.code,
                message: &self.message,
                hint: self.hint.as_deref(),
                details: self.details.as_deref(),
            },
            request_id,
        };
        let body = serde_json::to_vec(&envelope).unwrap_or_else(|_| {
            br#"{"error":{"code":"internal","message":"internal error"}}"#.to_vec()
        });
        let mut response = (
            self.status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            body,
        )
            .into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if let Ok(id) = HeaderValue::from_str(request_id) {
            response.headers_mut().insert("x-request-id", id);
        }
        response
    }
}

impl IntoResponse for ApiError {
    /// Rendered with the id of the request being answered (the request-id layer's task-local).
    fn into_response(self) -> Response {
        let id = crate::request_id::current();
        self.into_response_with(&id)
    }
}

/// `SpendingLimitExceeded` → `spending_limit_exceeded`.
pub fn snake(program: leash_sdk::LeashError) -> String {
    ErrorCode::Program(program).snake_name()
}

#[cfg(test)]
mod tests {
    use super::*;
    use leash_sdk::LeashError;

    #[test]
    fn every_program_error_has_its_own_code() {
        let mut codes = std::collections::BTreeSet::new();
        for error in LeashError::ALL {
            let client = ClientError {
                code: ErrorCode::Program(error),
                message: error.message().to_string(),
                hint: None,
                program_code: Some(error.code()),
                figures: None,
            };
            let api = ApiError::from_client(client, None);
            assert_eq!(api.status, StatusCode::UNPROCESSABLE_ENTITY, "{error:?}");
            assert_eq!(api.code, snake(error));
            assert_eq!(api.details.and_then(|d| d.program_code), Some(error.code()));
            codes.insert(api.code);
        }
        assert_eq!(codes.len(), LeashError::ALL.len());
        assert!(codes.contains("spending_limit_exceeded"));
        assert!(codes.contains("session_key_mismatch"));
    }

    #[test]
    fn the_cluster_down_is_503_and_lookups_are_404() {
        let down = ClientError::new(ErrorCode::Unreachable, "cannot reach the cluster");
        let e = ApiError::from_client(down, None);
        assert_eq!(
            (e.status, e.code.as_str()),
            (StatusCode::SERVICE_UNAVAILABLE, "cluster_unavailable")
        );
        let missing = ClientError::new(
            ErrorCode::Program(LeashError::SessionNotRegistered),
            "no session",
        );
        let e = ApiError::from_client(missing, None);
        assert_eq!(e.status, StatusCode::NOT_FOUND);
        let bad = ClientError::input("--amount must be more than 0");
        let e = ApiError::from_client(bad, Some("amount"));
        assert_eq!(e.message, "amount must be more than 0");
        assert_eq!(e.details.and_then(|d| d.field).as_deref(), Some("amount"));
    }
}
