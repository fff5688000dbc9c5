//! The error envelope of docs/api.md: `{"error": {"code", "message", "hint"?, "details"?},
//! "request_id"}` with the status the code calls for. No stack traces, no secrets: messages are
//! written here or come from `leash-client`, which never quotes a secret.

use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use leash_client::{ClientError, ErrorCode, Figures, InstructionRefusal, RecipientRefusal};
use leash_sdk::LeashError;
use serde::Serialize;

/// What went wrong, as the API answers it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    /// Stable; its status goes with it.
    pub code: ApiCode,
    pub message: String,
    pub hint: Option<String>,
    /// Boxed: errors travel through every `Result`, details come with few of them.
    pub details: Option<Box<Details>>,
    /// Seconds, for 429.
    pub retry_after: Option<u64>,
}

/// The figures behind an error: the field at fault, the program's code, a spending limit's
/// numbers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Details {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub program_code: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none", flatten)]
    pub figures: Option<Figures>,
    /// A `recipient_not_allowed`'s account and the listed recipients.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipient: Option<RecipientRefusal>,
    /// An `instruction_not_allowed`'s program, instruction and the allowed ones.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instruction: Option<InstructionRefusal>,
}

/// The envelope as serialized.
#[derive(Serialize, schemars::JsonSchema)]
#[schemars(rename = "Error")]
pub struct Envelope<'a> {
    pub error: Body<'a>,
    /// Also in the `X-Request-Id` header; the server's log names it.
    pub request_id: &'a str,
}

/// The envelope's schema in the OpenAPI document.
pub type ErrorAnswer = Envelope<'static>;

#[derive(Serialize, schemars::JsonSchema)]
#[schemars(rename = "ErrorBody")]
pub struct Body<'a> {
    /// snake_case and stable, one per program error (`spending_limit_exceeded`, …); docs/api.md
    /// lists them all with their status.
    pub code: &'a str,
    pub message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<&'a Details>,
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Every `error.code` this API answers, with its status: one table, so a code always comes with
/// the same status and docs/api.md can list them all ([`ApiCode::ALL`]). A program refusal is
/// [`ApiCode::Program`], named after the program's error in snake_case, 422.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApiCode {
    Program(LeashError),
    Other(OtherCode),
}

macro_rules! codes {
    ($($variant:ident = $name:literal, $status:ident, $meaning:literal;)*) => {
        /// The codes that are not program refusals.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum OtherCode {
            $(#[doc = $meaning] $variant,)*
        }

        impl OtherCode {
            pub const ALL: &'static [OtherCode] = &[$(OtherCode::$variant,)*];

            pub const fn name(self) -> &'static str {
                match self { $(OtherCode::$variant => $name,)* }
            }

            pub const fn status(self) -> StatusCode {
                match self { $(OtherCode::$variant => StatusCode::$status,)* }
            }

            /// What it means, for docs/api.md.
            pub const fn meaning(self) -> &'static str {
                match self { $(OtherCode::$variant => $meaning,)* }
            }
        }

        #[allow(non_upper_case_globals)]
        impl ApiCode {
            $(pub const $variant: ApiCode = ApiCode::Other(OtherCode::$variant);)*
        }
    };
}

codes! {
    InvalidInput = "invalid_input", BAD_REQUEST, "an input is malformed or out of range; `details.field` names it";
    InvalidPolicy = "invalid_policy", BAD_REQUEST, "the policy breaks a rule";
    InvalidToken = "invalid_token", BAD_REQUEST, "a session token cannot be read";
    ProgramMismatch = "program_mismatch", BAD_REQUEST, "a token or request names another Leash deployment";
    SignerMismatch = "signer_mismatch", BAD_REQUEST, "the transaction's signer is not who must sign";
    IdempotencyKeyRequired = "idempotency_key_required", BAD_REQUEST, "this route needs an `Idempotency-Key`";
    AirdropUnavailable = "airdrop_unavailable", BAD_REQUEST, "the dev faucet works only on a local node";
    MissingApiKey = "missing_api_key", UNAUTHORIZED, "no API key and no dashboard sign-in";
    InvalidApiKey = "invalid_api_key", UNAUTHORIZED, "the API key is unknown or revoked";
    SignInExpired = "sign_in_expired", UNAUTHORIZED, "the dashboard sign-in has ended";
    ScopeMissing = "scope_missing", FORBIDDEN, "the key lacks the route's scope";
    CsrfTokenMissing = "csrf_token_missing", FORBIDDEN, "a cookie-authenticated change without `X-CSRF-Token`";
    CsrfTokenInvalid = "csrf_token_invalid", FORBIDDEN, "an `X-CSRF-Token` of another sign-in";
    NotFound = "not_found", NOT_FOUND, "no such route or resource";
    WalletNotFound = "wallet_not_found", NOT_FOUND, "no Leash wallet at the address";
    SessionNotFound = "session_not_found", NOT_FOUND, "no session at the address";
    ProgramNotFound = "program_not_found", NOT_FOUND, "no Leash program at the configured address";
    ApiKeyNotFound = "api_key_not_found", NOT_FOUND, "no API key with that id";
    SessionRequestNotFound = "session_request_not_found", NOT_FOUND, "no session request with that id";
    WebhookNotFound = "webhook_not_found", NOT_FOUND, "no webhook with that id";
    DeliveryNotFound = "delivery_not_found", NOT_FOUND, "no delivery with that id for the webhook";
    MethodNotAllowed = "method_not_allowed", METHOD_NOT_ALLOWED, "the path does not take the method";
    ProgramDiffers = "program_differs", CONFLICT, "the deployed program is not the expected build";
    IdempotencyInProgress = "idempotency_in_progress", CONFLICT, "the same `Idempotency-Key` is still running";
    IdempotencySecretShownOnce = "idempotency_secret_shown_once", CONFLICT, "a replay of an answer that carried a secret";
    SessionRequestOpen = "session_request_open", CONFLICT, "the key has an open request already";
    TooManyPendingRequests = "too_many_pending_requests", CONFLICT, "the key has too many open requests";
    SessionRequestDenied = "session_request_denied", CONFLICT, "the request was denied";
    SessionRequestApproved = "session_request_approved", CONFLICT, "the request was approved already";
    SessionRequestExpired = "session_request_expired", GONE, "the request passed its deadline";
    PayloadTooLarge = "payload_too_large", PAYLOAD_TOO_LARGE, "the body is over the limit";
    UnsupportedMediaType = "unsupported_media_type", UNSUPPORTED_MEDIA_TYPE, "the body is not JSON";
    IdempotencyCollision = "idempotency_collision", UNPROCESSABLE_ENTITY, "an `Idempotency-Key` reused for another request";
    TransactionFailed = "transaction_failed", UNPROCESSABLE_ENTITY, "the cluster refused the transaction";
    RateLimited = "rate_limited", TOO_MANY_REQUESTS, "too many requests; `Retry-After` says when to retry";
    Internal = "internal", INTERNAL_SERVER_ERROR, "this server failed (its log has the request id)";
    UpstreamApi = "upstream_api", BAD_GATEWAY, "another Leash API answered an error";
    ClusterError = "cluster_error", BAD_GATEWAY, "the cluster answered an error";
    ClusterUnavailable = "cluster_unavailable", SERVICE_UNAVAILABLE, "the cluster cannot be reached";
    ConfirmationTimeout = "confirmation_timeout", GATEWAY_TIMEOUT, "no confirmation in time";
    TransactionExpired = "transaction_expired", GATEWAY_TIMEOUT, "the blockhash expired before the transaction landed; nothing was spent";
}

impl Serialize for ApiCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.name())
    }
}

impl ApiCode {
    /// The code as the envelope spells it.
    pub fn name(self) -> std::borrow::Cow<'static, str> {
        match self {
            ApiCode::Program(error) => std::borrow::Cow::Owned(snake(error)),
            ApiCode::Other(code) => std::borrow::Cow::Borrowed(code.name()),
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            ApiCode::Program(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiCode::Other(code) => code.status(),
        }
    }
}

impl ApiError {
    pub fn new(code: ApiCode, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
            hint: None,
            details: None,
            retry_after: None,
        }
    }

    /// The HTTP status the code calls for.
    pub fn status(&self) -> StatusCode {
        self.code.status()
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
        ApiError::new(ApiCode::InvalidInput, message).field(field)
    }

    /// 404 in the envelope, for paths no route serves.
    pub fn no_route() -> ApiError {
        ApiError::not_found("no such route").hint("see /openapi.json for the routes")
    }

    /// 405 in the envelope, for a method a path does not take.
    pub fn method_not_allowed() -> ApiError {
        ApiError::new(
            ApiCode::MethodNotAllowed,
            "this path does not take this method",
        )
        .hint("see /openapi.json for the routes")
    }

    /// 413: a body over `limit` bytes.
    pub fn too_large(limit: usize) -> ApiError {
        ApiError::new(
            ApiCode::PayloadTooLarge,
            format!("the request body is larger than {limit} bytes"),
        )
    }

    /// 429 `rate_limited` with `Retry-After` (whole seconds, at least 1).
    pub fn rate_limited(message: &str, hint: &str, wait: std::time::Duration) -> ApiError {
        let mut e = ApiError::new(ApiCode::RateLimited, message).hint(hint);
        e.retry_after = Some(wait.as_secs().max(1));
        e
    }

    /// 429 for too many sign-ins.
    pub fn sign_in_limited(wait: std::time::Duration) -> ApiError {
        ApiError::rate_limited(
            "too many sign-in attempts",
            "wait for Retry-After seconds, then sign in with the whole key",
            wait,
        )
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(ApiCode::NotFound, message)
    }

    /// A failure of this server (the store): said plainly, without internals.
    pub fn internal(what: &str) -> ApiError {
        ApiError::new(ApiCode::Internal, format!("internal error: {what}"))
            .hint("retry; if it persists, the server's log has the request id")
    }

    /// A `leash-client` error, with `field` naming the input it concerns if it is an input
    /// error.
    pub fn from_client(error: ClientError, field: Option<&str>) -> ApiError {
        let code = match error.code {
            ErrorCode::Program(program) if error.program_code.is_none() => {
                // Found by reading state, not refused by the chain: the session is not there.
                if program == LeashError::SessionNotRegistered {
                    ApiCode::SessionNotFound
                } else {
                    ApiCode::Program(program)
                }
            }
            ErrorCode::Program(program) => ApiCode::Program(program),
            ErrorCode::InvalidInput => ApiCode::InvalidInput,
            ErrorCode::InvalidPolicy => ApiCode::InvalidPolicy,
            ErrorCode::InvalidToken => ApiCode::InvalidToken,
            ErrorCode::ProgramMismatch => ApiCode::ProgramMismatch,
            ErrorCode::ProgramNotFound => ApiCode::ProgramNotFound,
            ErrorCode::ProgramDiffers => ApiCode::ProgramDiffers,
            ErrorCode::NoWallet => ApiCode::WalletNotFound,
            ErrorCode::Signer => ApiCode::SignerMismatch,
            ErrorCode::Unreachable => ApiCode::ClusterUnavailable,
            ErrorCode::Rpc => ApiCode::ClusterError,
            ErrorCode::Timeout => ApiCode::ConfirmationTimeout,
            ErrorCode::Expired => ApiCode::TransactionExpired,
            ErrorCode::TransactionFailed => ApiCode::TransactionFailed,
            ErrorCode::RequestNotFound => ApiCode::SessionRequestNotFound,
            ErrorCode::RequestDenied => ApiCode::SessionRequestDenied,
            ErrorCode::RequestApproved => ApiCode::SessionRequestApproved,
            ErrorCode::RequestExpired => ApiCode::SessionRequestExpired,
            // A client talking to another API: never this server's own failure mode.
            ErrorCode::Api | ErrorCode::ApiKey => ApiCode::UpstreamApi,
            ErrorCode::NoSession
            | ErrorCode::NoKeypair
            | ErrorCode::NoToken
            | ErrorCode::NoHome
            | ErrorCode::Io
            | ErrorCode::Internal => ApiCode::Internal,
        };
        let mut details = Details {
            program_code: error.program_code,
            figures: error.figures.map(|f| *f),
            recipient: error.recipient.map(|r| *r),
            instruction: error.instruction.map(|i| *i),
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
        let code = self.code.name();
        let envelope = Envelope {
            error: Body {
                code: &code,
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
            self.status(),
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            body,
        )
            .into_response();
        if self.status() == StatusCode::UNAUTHORIZED {
            // Every 401 says how to authenticate (RFC 9110), as the MCP authorization
            // specification expects of `/mcp`: clients tell "no key" from a bad one.
            let challenge = if code == "missing_api_key" {
                r#"Bearer realm="leash""#
            } else {
                r#"Bearer realm="leash", error="invalid_token""#
            };
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
        }
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
pub fn snake(program: LeashError) -> String {
    ErrorCode::Program(program).snake_name()
}

#[cfg(test)]
mod tests {
    use super::*;

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
                recipient: None,
                instruction: None,
            };
            let api = ApiError::from_client(client, None);
            assert_eq!(api.status(), StatusCode::UNPROCESSABLE_ENTITY, "{error:?}");
            assert_eq!(api.code.name(), snake(error));
            assert_eq!(api.details.and_then(|d| d.program_code), Some(error.code()));
            codes.insert(api.code.name().into_owned());
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
            (e.status(), e.code),
            (StatusCode::SERVICE_UNAVAILABLE, ApiCode::ClusterUnavailable)
        );
        let missing = ClientError::new(
            ErrorCode::Program(LeashError::SessionNotRegistered),
            "no session",
        );
        let e = ApiError::from_client(missing, None);
        assert_eq!(e.status(), StatusCode::NOT_FOUND);
        let bad = ClientError::input("--amount must be more than 0");
        let e = ApiError::from_client(bad, Some("amount"));
        assert_eq!(e.message, "amount must be more than 0");
        assert_eq!(e.details.and_then(|d| d.field).as_deref(), Some("amount"));
    }

    #[test]
    fn every_code_is_named_once() {
        let mut names = std::collections::BTreeSet::new();
        for code in OtherCode::ALL {
            assert!(names.insert(code.name()), "{} twice", code.name());
            assert!(!code.meaning().is_empty());
        }
        // A program refusal is named after the program's error; the one name the API's own
        // codes share is `invalid_policy` (a policy refused before sending, 400, or by the
        // program, 422): the same fault either way.
        let mut programs = std::collections::BTreeSet::new();
        for error in LeashError::ALL {
            let name = ApiCode::Program(error).name().into_owned();
            assert!(
                !names.contains(name.as_str()) || name == "invalid_policy",
                "{name} is also one of the API's own codes"
            );
            assert!(programs.insert(name));
        }
    }

    /// docs/api.md lists every code with its status.
    #[test]
    fn the_docs_list_every_code() {
        let docs = include_str!("../../../docs/api.md");
        for code in OtherCode::ALL {
            assert!(
                docs.contains(&format!("`{}`", code.name())),
                "docs/api.md does not list {}",
                code.name()
            );
        }
        for error in LeashError::ALL {
            let name = ApiCode::Program(error).name();
            assert!(
                docs.contains(&format!("`{name}`")),
                "docs/api.md lacks {name}"
            );
        }
    }
}
