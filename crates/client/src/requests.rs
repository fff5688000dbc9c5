//! Agent-requested sessions (docs/agents.md): an agent with no session asks the owner's API for
//! one, and picks it up once the owner approves.
//!
//! - Agent: [`request_session`] makes the session key here, files the request
//!   (`POST /v1/session-requests`, scope `request`) and keeps the key's secret under
//!   `LEASH_HOME/requests/<id>.json` (0600); [`request_status`] asks how it went and, once
//!   approved, assembles the `lsk1_` token here and stores it as `leash session import` does.
//!   The secret never leaves this machine.
//! - Owner: [`list_requests`], [`show_request`], [`approve_request`] (the API prepares the
//!   `CreateSession` for the agent's key, with the policy as asked or edited; the owner signs
//!   here; the API submits) and [`deny_request`].
//! - The API's answers are the types below ([`SessionRequestView`] …), shared with `leash serve`.
//!
//! The HTTP client is blocking: an async caller runs these on a blocking thread
//! (`tokio::task::spawn_blocking`).

use std::{fmt, path::PathBuf, time::Duration};

use leash_sdk::{policy::PolicyFile, policy::PolicySummary, session_token::SessionToken};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use solana_keypair::Keypair;
use solana_program::pubkey::Pubkey;
use solana_signer::Signer;
use solana_transaction::Transaction;

use crate::{
    error::{ClientError, ErrorCode, Result},
    home,
    input::{Amount, PolicyInput},
    owner::SessionCreated,
    wire::{
        ApproveSessionRequest, DenySessionRequest, FileSessionRequest, PreparedAnswer,
        SubmitRequest, Submitted,
    },
    UnsignedTransaction,
};

/// Where `leash serve` listens unless `LEASH_API_URL` says otherwise.
pub const DEFAULT_API_URL: &str = "http://127.0.0.1:8787";
/// The longest reason (characters) the API accepts.
pub const MAX_REASON_CHARS: usize = 500;
/// The longest deny note (characters).
pub const MAX_NOTE_CHARS: usize = 500;

// ---------------------------------------------------------------------------------------------
// The API's address and key.

/// An API key (`lk_…`): shown to nobody — `Debug` and `Display` print only its prefix.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(key: impl Into<String>) -> ApiKey {
        ApiKey(key.into().trim().to_string())
    }

    /// The key itself, for the `Authorization` header only.
    fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix: String = self.0.chars().take(5).collect();
        write!(f, "{prefix}…(redacted)")
    }
}

/// The owner's Leash API: its URL and the key to call it with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiEndpoint {
    /// `http(s)://host:port`, without a trailing slash.
    pub url: String,
    pub api_key: Option<ApiKey>,
}

impl ApiEndpoint {
    /// `url` checked (http or https); `api_key` as given.
    pub fn new(url: &str, api_key: Option<&str>) -> Result<ApiEndpoint> {
        let url = url.trim().trim_end_matches('/');
        if !(url.starts_with("http://") || url.starts_with("https://")) || url.len() <= 8 {
            return Err(
                ClientError::input(format!("the API URL {url:?} is not an http(s) URL")).with_hint(
                    format!("pass --api-url or set LEASH_API_URL, e.g. {DEFAULT_API_URL}"),
                ),
            );
        }
        Ok(ApiEndpoint {
            url: url.to_string(),
            api_key: api_key
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .map(ApiKey::new),
        })
    }

    /// `LEASH_API_URL` (default [`DEFAULT_API_URL`]) and `LEASH_API_KEY`.
    pub fn from_env() -> Result<ApiEndpoint> {
        let url = std::env::var("LEASH_API_URL")
            .ok()
            .filter(|u| !u.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_API_URL.to_string());
        let key = std::env::var("LEASH_API_KEY").ok();
        ApiEndpoint::new(&url, key.as_deref())
    }

    /// One HTTP client for the process: a blocking client starts its own runtime thread, too
    /// much to pay per call (an MCP server calls on every `request_status`).
    fn http() -> Result<reqwest::blocking::Client> {
        static HTTP: std::sync::OnceLock<reqwest::blocking::Client> = std::sync::OnceLock::new();
        if let Some(client) = HTTP.get() {
            return Ok(client.clone());
        }
        let client = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(120))
            .build()
            .map_err(|e| ClientError::internal(format!("cannot make an HTTP client: {e}")))?;
        Ok(HTTP.get_or_init(|| client).clone())
    }

    /// Calls `method path` with `body` (JSON) and, for POSTs, an `Idempotency-Key`; the answer
    /// parsed, or the API's error envelope as a [`ClientError`].
    pub(crate) fn call<T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&serde_json::Value>,
        idempotency_key: Option<&str>,
    ) -> Result<T> {
        let url = format!("{}{path}", self.url);
        let mut request = Self::http()?.request(method, &url);
        if let Some(key) = &self.api_key {
            request = request.bearer_auth(key.expose());
        }
        if let Some(key) = idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().map_err(|e| {
            ClientError::new(
                ErrorCode::Unreachable,
                format!(
                    "cannot reach the Leash API at {}{}",
                    self.url,
                    if e.is_timeout() { " (timed out)" } else { "" }
                ),
            )
            .with_hint("start it with `leash serve`, or pass --api-url / set LEASH_API_URL")
        })?;
        let status = response.status();
        let bytes = response.bytes().map_err(|_| {
            ClientError::new(
                ErrorCode::Unreachable,
                format!("the Leash API at {} stopped answering", self.url),
            )
        })?;
        if status.is_success() {
            return serde_json::from_slice(&bytes).map_err(|e| {
                ClientError::new(
                    ErrorCode::Api,
                    format!(
                        "the answer of {url} is not what this leash expects ({e}); is it a Leash API of the same version?"
                    ),
                )
            });
        }
        Err(api_error(
            &self.url,
            status.as_u16(),
            &bytes,
            self.api_key.is_some(),
        ))
    }

    pub(crate) fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.call(reqwest::Method::GET, path, None, None)
    }

    pub(crate) fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &impl Serialize,
        idempotency_key: &str,
    ) -> Result<T> {
        let body = serde_json::to_value(body)
            .map_err(|e| ClientError::internal(format!("cannot encode the request: {e}")))?;
        self.call(
            reqwest::Method::POST,
            path,
            Some(&body),
            Some(idempotency_key),
        )
    }
}

/// The API's error envelope (docs/api.md).
#[derive(Deserialize)]
struct Envelope {
    error: EnvelopeError,
}

#[derive(Deserialize)]
struct EnvelopeError {
    code: String,
    message: String,
    #[serde(default)]
    hint: Option<String>,
    #[serde(default)]
    details: Option<serde_json::Value>,
}

/// An API error as a typed [`ClientError`]: the request outcomes, key problems and the
/// program's refusals get their own codes; anything else is [`ErrorCode::Api`].
fn api_error(url: &str, status: u16, body: &[u8], had_key: bool) -> ClientError {
    let Ok(Envelope { error }) = serde_json::from_slice::<Envelope>(body) else {
        return ClientError::new(
            ErrorCode::Api,
            format!("the API at {url} answered HTTP {status} without a Leash error"),
        )
        .with_hint("check --api-url / LEASH_API_URL points at `leash serve`");
    };
    let program = error
        .details
        .as_ref()
        .and_then(|d| d.get("program_code"))
        .and_then(serde_json::Value::as_u64)
        .and_then(|c| u32::try_from(c).ok());
    let code = match error.code.as_str() {
        "session_request_not_found" => ErrorCode::RequestNotFound,
        "session_request_denied" => ErrorCode::RequestDenied,
        "session_request_expired" => ErrorCode::RequestExpired,
        "session_request_approved" => ErrorCode::RequestApproved,
        "missing_api_key" | "invalid_api_key" | "scope_missing" => ErrorCode::ApiKey,
        "invalid_policy" => ErrorCode::InvalidPolicy,
        "invalid_input" => ErrorCode::InvalidInput,
        "wallet_not_found" => ErrorCode::NoWallet,
        "cluster_unavailable" => ErrorCode::Unreachable,
        _ => match program.and_then(leash_sdk::LeashError::from_code) {
            Some(e) => ErrorCode::Program(e),
            None => ErrorCode::Api,
        },
    };
    let hint = match (error.code.as_str(), had_key) {
        ("missing_api_key", false) => Some(
            "set LEASH_API_KEY (or pass --api-key) to a key the owner made with `leash api-key create`"
                .to_string(),
        ),
        _ => error.hint,
    };
    ClientError {
        code,
        message: error.message,
        hint,
        program_code: program,
        figures: None,
        recipient: None,
        instruction: None,
    }
}

// ---------------------------------------------------------------------------------------------
// What the API answers (shared with `leash serve`).

/// Where a request stands. Derived, not only stored: `approved` as soon as the session for the
/// request's key exists on chain (however the owner made it), `denied` when the owner denied
/// it, `expired` past its deadline unapproved, else `pending`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    Pending,
    Approved,
    Denied,
    Expired,
}

impl RequestStatus {
    pub const ALL: [RequestStatus; 4] = [
        RequestStatus::Pending,
        RequestStatus::Approved,
        RequestStatus::Denied,
        RequestStatus::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Pending => "pending",
            RequestStatus::Approved => "approved",
            RequestStatus::Denied => "denied",
            RequestStatus::Expired => "expired",
        }
    }

    pub fn parse(text: &str) -> Result<RequestStatus> {
        RequestStatus::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| {
                ClientError::input(format!(
                    "status {text:?} is not one of pending, approved, denied, expired"
                ))
            })
    }
}

impl fmt::Display for RequestStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad`: tables align it.
        f.pad(self.as_str())
    }
}

/// A session request as the API shows it. Never holds a secret: only the session's public key.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SessionRequestView {
    /// `sreq_` + hex.
    pub id: String,
    pub status: RequestStatus,
    pub wallet: String,
    /// The agent's session public key.
    pub session_key: String,
    /// The session's address (PDA of wallet and key).
    pub session: String,
    /// The policy asked for, normalized when filed (relative times count from then).
    pub policy: PolicySummary,
    /// The policy file asked for, as filed (an editor starts from it). An approval without
    /// edits registers `policy`, the normalization shown, not this file normalized again.
    pub policy_file: PolicyFile,
    pub reason: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub expires_at: String,
    /// The API key id that filed it.
    pub filed_by: String,
    /// The cluster the session lives on, as a token records it.
    pub cluster: String,
    /// The Leash program the session lives under (empty from an API older than the field:
    /// the default id).
    #[serde(default)]
    pub program_id: String,
    /// Approved: the policy registered on chain (the owner may have narrowed it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granted_policy: Option<PolicySummary>,
    /// Approved: the session's status on chain (`active`, `revoked`, `expired` …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_status: Option<String>,
    /// Denied: when, and the owner's note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub denied_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl fmt::Display for SessionRequestView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Request:     {}\nStatus:      {}\nWallet:      {}\nSession key: {}\nSession:     {}\nReason:      {}\nFiled:       {} (by {})\nExpires:     {}",
            self.id,
            self.status,
            self.wallet,
            self.session_key,
            self.session,
            self.reason,
            self.created_at,
            self.filed_by,
            self.expires_at
        )?;
        if let Some(note) = &self.note {
            write!(f, "\nDenied note: {note}")?;
        }
        match (&self.granted_policy, &self.session_status) {
            (Some(granted), status) => write!(
                f,
                "\nSession status: {}\nGranted policy:\n{granted}",
                status.as_deref().unwrap_or("unknown")
            ),
            (None, _) => write!(f, "\nRequested policy:\n{}", self.policy),
        }
    }
}

/// `GET /v1/session-requests`: newest first.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SessionRequestList {
    pub requests: Vec<SessionRequestView>,
}

impl fmt::Display for SessionRequestList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.requests.is_empty() {
            return f.write_str("No session requests");
        }
        write!(
            f,
            "{:<21} {:<9} {:<44} {:<20} reason",
            "id", "status", "wallet", "expires"
        )?;
        for r in &self.requests {
            // One line per request: a reason's newlines would break the table.
            let reason: String = r
                .reason
                .chars()
                .take(40)
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            write!(
                f,
                "\n{:<21} {:<9} {:<44} {:<20} {}",
                r.id, r.status, r.wallet, r.expires_at, reason
            )?;
        }
        Ok(())
    }
}

/// A prepared approval: the `CreateSession` (and fee top-up) for the agent's key, unsigned.
pub type PreparedApproval = PreparedAnswer<SessionCreated>;

// ---------------------------------------------------------------------------------------------
// The agent's side.

/// What [`request_session`] filed: no secret, only where to look next.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct SessionRequestFiled {
    pub id: String,
    pub status: RequestStatus,
    pub wallet: String,
    pub session_key: String,
    pub session: String,
    pub expires_at: String,
    /// The policy asked for, as the API normalized it.
    pub policy: PolicySummary,
    /// Where the session key waits for the approval (0600; never sent anywhere).
    pub key_file: String,
}

impl fmt::Display for SessionRequestFiled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Session request {} filed ({})\nWallet:      {}\nSession key: {}\nExpires:     {}\nThe owner approves it with `leash session requests approve {}`; then run `leash session request-status {}`.",
            self.id, self.status, self.wallet, self.session_key, self.expires_at, self.id, self.id
        )
    }
}

/// What [`request_status`] found, and what it did about it.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct SessionRequestStatus {
    pub id: String,
    pub status: RequestStatus,
    pub wallet: String,
    pub session: String,
    pub session_key: String,
    pub expires_at: String,
    /// The policy asked for.
    pub requested_policy: PolicySummary,
    /// Approved: the policy registered on chain (possibly narrower than asked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub granted_policy: Option<PolicySummary>,
    /// Denied: the owner's note.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Approved: where the session token is stored (0600) — `leash whoami` and the holder
    /// operations use it. Never the token itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_file: Option<String>,
    /// What to do next, for a person or an agent.
    pub next: String,
}

impl fmt::Display for SessionRequestStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Request {}: {}\nWallet:  {}\nSession: {}",
            self.id, self.status, self.wallet, self.session
        )?;
        if let Some(note) = &self.note {
            write!(f, "\nOwner's note: {note}")?;
        }
        if let Some(granted) = &self.granted_policy {
            write!(f, "\nGranted policy:\n{granted}")?;
        }
        if let Some(path) = &self.token_file {
            write!(f, "\nToken stored in {path} (readable by you only)")?;
        }
        write!(f, "\n{}", self.next)
    }
}

/// The session key of a request, kept here until the request is settled.
#[derive(Serialize, Deserialize, schemars::JsonSchema)]
struct PendingKey {
    /// Empty until the API gave the id.
    id: String,
    wallet: String,
    session_key: String,
    /// base58 of the 64-byte keypair.
    secret: String,
}

/// The directory of pending request keys: `$LEASH_HOME/requests`.
pub fn requests_dir() -> Result<PathBuf> {
    Ok(home::config_dir()?.join("requests"))
}

/// A request id, checked before it names a file or a URL path: `sreq_` + 1–64 hex digits.
pub fn parse_request_id(text: &str) -> Result<String> {
    let text = text.trim();
    let ok = text.strip_prefix("sreq_").is_some_and(|h| {
        !h.is_empty() && h.len() <= 64 && h.bytes().all(|b| b.is_ascii_hexdigit())
    });
    if ok {
        Ok(text.to_string())
    } else {
        Err(ClientError::input(format!(
            "{text:?} is not a session request id (sreq_ followed by hex digits)"
        )))
    }
}

fn key_file(id: &str) -> Result<PathBuf> {
    Ok(requests_dir()?.join(format!("{id}.json")))
}

fn write_pending(path: &std::path::Path, pending: &PendingKey) -> Result<()> {
    let json = serde_json::to_vec(pending)
        .map_err(|e| ClientError::internal(format!("cannot encode a pending key: {e}")))?;
    home::write_private(path, &json)
}

fn read_pending(id: &str) -> Result<Option<Keypair>> {
    let path = key_file(id)?;
    let text = match std::fs::read(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(ClientError::new(
                ErrorCode::Io,
                format!("cannot read {}: {e}", path.display()),
            ))
        }
    };
    // serde's message could quote the secret: keep ours only.
    let pending: PendingKey = serde_json::from_slice(&text).map_err(|_| {
        ClientError::new(
            ErrorCode::Io,
            format!("{} is not a pending request key", path.display()),
        )
    })?;
    let bytes = bs58::decode(&pending.secret).into_vec().map_err(|_| {
        ClientError::new(
            ErrorCode::Io,
            format!("{} holds no valid key", path.display()),
        )
    })?;
    Keypair::try_from(bytes.as_slice()).map(Some).map_err(|_| {
        ClientError::new(
            ErrorCode::Io,
            format!("{} holds no valid key", path.display()),
        )
    })
}

fn remove_pending(id: &str) -> Result<()> {
    let path = key_file(id)?;
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(ClientError::new(
            ErrorCode::Io,
            format!("cannot remove {}: {e}", path.display()),
        )),
    }
}

/// Checks a reason: 1–[`MAX_REASON_CHARS`] characters, no control characters but newlines.
pub fn check_reason(reason: &str) -> Result<()> {
    let n = reason.trim().chars().count();
    if n == 0 || reason.chars().count() > MAX_REASON_CHARS {
        return Err(ClientError::input(format!(
            "the reason must be 1–{MAX_REASON_CHARS} characters (it is {})",
            reason.chars().count()
        ))
        .with_hint("say in a sentence what the session is for: the owner reads it"));
    }
    if reason.chars().any(|c| c.is_control() && c != '\n') {
        return Err(ClientError::input(
            "the reason must not contain control characters",
        ));
    }
    Ok(())
}

/// Files a request for a session on `wallet` under `policy`: makes the session key here, files
/// the request with the owner's API (scope `request`), and keeps the key (0600) until
/// [`request_status`] finds the request settled. The answer never carries the secret.
pub fn request_session(
    api: &ApiEndpoint,
    wallet: &Pubkey,
    policy: &PolicyInput,
    reason: &str,
) -> Result<SessionRequestFiled> {
    request_session_for(api, wallet, policy, reason, None)
}

/// As [`request_session`], asking that the request expire after `expires_in_seconds`
/// (default: one day).
pub fn request_session_for(
    api: &ApiEndpoint,
    wallet: &Pubkey,
    policy: &PolicyInput,
    reason: &str,
    expires_in_seconds: Option<u64>,
) -> Result<SessionRequestFiled> {
    check_reason(reason)?;
    let key = Keypair::new();
    let session_key = key.pubkey();
    // The key is on disk before the request exists, so no approved request can lack its key.
    let staging = requests_dir()?.join(format!("pending-{session_key}.json"));
    let mut pending = PendingKey {
        id: String::new(),
        wallet: wallet.to_string(),
        session_key: session_key.to_string(),
        secret: bs58::encode(key.to_bytes()).into_string(),
    };
    write_pending(&staging, &pending)?;
    let body = FileSessionRequest {
        wallet: wallet.to_string(),
        session_key: session_key.to_string(),
        policy: policy.file.clone(),
        reason: reason.to_string(),
        expires_in_seconds,
    };
    // The key is new, so it names this request uniquely: a retry of the same call replays.
    let filed: Result<SessionRequestView> = api.post(
        "/v1/session-requests",
        &body,
        &format!("request-{session_key}"),
    );
    let view = match filed {
        Ok(view) => view,
        Err(e) => {
            // Refused: no request holds this key. Unreachable mid-call: the request may exist,
            // so the key stays (0600) rather than be lost.
            if e.code != ErrorCode::Unreachable {
                let _ = std::fs::remove_file(&staging);
            }
            return Err(e);
        }
    };
    let id = parse_request_id(&view.id)?;
    if view.session_key != session_key.to_string() {
        return Err(ClientError::new(
            ErrorCode::Api,
            "the API filed the request for another session key",
        ));
    }
    pending.id = id.clone();
    let path = key_file(&id)?;
    write_pending(&path, &pending)?;
    let _ = std::fs::remove_file(&staging);
    Ok(SessionRequestFiled {
        id,
        status: view.status,
        wallet: view.wallet,
        session_key: view.session_key,
        session: view.session,
        expires_at: view.expires_at,
        policy: view.policy,
        key_file: path.display().to_string(),
    })
}

/// Asks the API how request `id` stands. Approved: the token is made here from the kept key
/// and stored as `leash session import` stores it (0600), and the kept key is removed. Denied
/// or expired: said so (with the owner's note), and the kept key is removed — it can never be
/// registered through this request. Pending: nothing changes.
pub fn request_status(api: &ApiEndpoint, id: &str) -> Result<SessionRequestStatus> {
    let id = parse_request_id(id)?;
    let view: SessionRequestView = api.get(&format!("/v1/session-requests/{id}"))?;
    let mut status = SessionRequestStatus {
        id: id.clone(),
        status: view.status,
        wallet: view.wallet.clone(),
        session: view.session.clone(),
        session_key: view.session_key.clone(),
        expires_at: view.expires_at.clone(),
        requested_policy: view.policy.clone(),
        granted_policy: view.granted_policy.clone(),
        note: view.note.clone(),
        token_file: None,
        next: String::new(),
    };
    match view.status {
        RequestStatus::Pending => {
            status.next = format!(
                "Waiting for the owner (until {}); ask again later.",
                view.expires_at
            );
        }
        RequestStatus::Denied => {
            remove_pending(&id)?;
            status.next =
                "The owner denied this request; file a new one only if the note invites it."
                    .to_string();
        }
        RequestStatus::Expired => {
            remove_pending(&id)?;
            status.next =
                "The request expired before the owner approved it; file a new one if still needed."
                    .to_string();
        }
        RequestStatus::Approved => {
            status.token_file = Some(store_approved(&id, &view)?);
            status.next = "Approved: `leash whoami` and the holder operations now use this session, within the granted policy.".to_string();
        }
    }
    Ok(status)
}

/// Makes and stores the token of approved request `id`; the path it is in.
fn store_approved(id: &str, view: &SessionRequestView) -> Result<String> {
    let Some(key) = read_pending(id)? else {
        // Picked up before: the stored token is this session's.
        let path = home::token_file()?;
        let stored = std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| SessionToken::decode(&t).ok())
            .is_some_and(|t| t.session.to_string() == view.session);
        if stored {
            return Ok(path.display().to_string());
        }
        return Err(ClientError::new(
            ErrorCode::NoToken,
            format!(
                "request {id} is approved, but its session key is not on this machine (LEASH_HOME {})",
                home::config_dir()?.display()
            ),
        )
        .with_hint("run request-status where the request was filed (same LEASH_HOME)"));
    };
    if key.pubkey().to_string() != view.session_key {
        return Err(ClientError::new(
            ErrorCode::Api,
            format!("the API says request {id} is for another session key than the one kept here"),
        ));
    }
    let wallet: Pubkey = view
        .wallet
        .parse()
        .map_err(|_| ClientError::new(ErrorCode::Api, "the API's wallet is not an address"))?;
    let policy = view.granted_policy.as_ref().unwrap_or(&view.policy);
    let label = view
        .policy_file
        .label
        .clone()
        .unwrap_or_else(|| format!("request {id}"));
    let snapshot = serde_json::to_value(policy)
        .map_err(|e| ClientError::internal(format!("cannot encode the policy: {e}")))?;
    let program_id = match view.program_id.as_str() {
        "" => leash_sdk::DEFAULT_PROGRAM_ID,
        text => text.parse().map_err(|_| {
            ClientError::new(ErrorCode::Api, "the API's program id is not an address")
        })?,
    };
    let token = SessionToken::new(&program_id, &key, &wallet, &view.cluster, &label, snapshot);
    if token.session.to_string() != view.session {
        return Err(ClientError::new(
            ErrorCode::Api,
            "the API's session address is not the PDA of its wallet and key",
        ));
    }
    let imported = home::import_session_token(&token.encode())?;
    remove_pending(id)?;
    Ok(imported.path)
}

// ---------------------------------------------------------------------------------------------
// The owner's side.

/// `GET /v1/session-requests[?status=…]` (scope `read`).
pub fn list_requests(
    api: &ApiEndpoint,
    status: Option<RequestStatus>,
) -> Result<SessionRequestList> {
    let query = status
        .map(|s| format!("?status={}", s.as_str()))
        .unwrap_or_default();
    api.get(&format!("/v1/session-requests{query}"))
}

/// `GET /v1/session-requests/{id}`.
pub fn show_request(api: &ApiEndpoint, id: &str) -> Result<SessionRequestView> {
    let id = parse_request_id(id)?;
    api.get(&format!("/v1/session-requests/{id}"))
}

/// The unsigned `CreateSession` approving request `id` (scope `write`): for the agent's key,
/// under `policy` when given (the owner's edit; a full replacement), else the policy asked
/// for; `top_up` SOL to the key for its fees (the API's default when `None`).
pub fn prepare_approval(
    api: &ApiEndpoint,
    id: &str,
    policy: Option<&PolicyInput>,
    top_up: Option<&Amount>,
) -> Result<PreparedApproval> {
    let id = parse_request_id(id)?;
    let body = ApproveSessionRequest {
        policy: policy.map(|p| p.file.clone()),
        top_up: top_up.map(|a| a.as_str().to_string()),
    };
    // Unique per call: a prepare only reads, and a fresh blockhash each time is what we want.
    let nonce = Keypair::new().pubkey();
    api.post(
        &format!("/v1/session-requests/{id}/approve/prepare"),
        &body,
        &format!("approve-{nonce}"),
    )
}

/// What [`approve_request`] did: the session registered for the agent's key. No token: only
/// the agent holds the key, and makes its token when it asks for the status.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct RequestApproved {
    pub id: String,
    pub approved: bool,
    pub session: String,
    pub session_key: String,
    pub wallet: String,
    /// The policy registered (as edited, if it was).
    pub policy: PolicySummary,
    pub signatures: Vec<String>,
    pub warnings: Vec<String>,
}

impl fmt::Display for RequestApproved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Approved request {}: session {} registered for the agent's key {}
Wallet: {}
{}",
            self.id, self.session, self.session_key, self.wallet, self.policy
        )?;
        for signature in &self.signatures {
            write!(
                f,
                "
Signature: {signature}"
            )?;
        }
        write!(
            f,
            "
The agent picks it up with `leash session request-status {}`.",
            self.id
        )
    }
}

/// Approves request `id`: the API prepares the `CreateSession` for the agent's key
/// ([`prepare_approval`]), `owner` signs it here, the API submits it.
pub fn approve_request(
    api: &ApiEndpoint,
    id: &str,
    policy: Option<&PolicyInput>,
    top_up: Option<&Amount>,
    owner: &dyn Signer,
) -> Result<RequestApproved> {
    let prepared = prepare_approval(api, id, policy, top_up)?;
    if prepared.fee_payer != owner.pubkey().to_string() {
        return Err(ClientError::new(
            ErrorCode::Signer,
            format!(
                "the keypair {} is not the owner {} of this request's wallet",
                owner.pubkey(),
                prepared.fee_payer
            ),
        )
        .with_hint("pass --keypair with the wallet owner's keypair"));
    }
    let mut signatures = Vec::new();
    for unsigned in &prepared.transactions {
        let signed = sign_unsigned(unsigned, owner)?;
        let submitted: Submitted = api.post(
            "/v1/transactions/submit",
            &SubmitRequest {
                transaction: signed,
                sign_with_local_signer: false,
            },
            &format!("submit-{}", signature_of(unsigned, owner)?),
        )?;
        signatures.push(submitted.signature);
    }
    let report = prepared.report;
    Ok(RequestApproved {
        id: parse_request_id(id)?,
        approved: true,
        session: report.session,
        session_key: report.session_key,
        wallet: report.wallet,
        policy: report.policy,
        signatures,
        warnings: report.warnings,
    })
}

fn decode_unsigned(unsigned: &UnsignedTransaction) -> Result<Transaction> {
    use base64::Engine;
    let bytes = base64::prelude::BASE64_STANDARD
        .decode(&unsigned.transaction)
        .map_err(|_| ClientError::new(ErrorCode::Api, "a prepared transaction is not base64"))?;
    bincode::deserialize(&bytes).map_err(|_| {
        ClientError::new(
            ErrorCode::Api,
            "a prepared transaction is not a Solana transaction",
        )
    })
}

/// The owner's signature of `unsigned`'s message: names the submit for idempotency.
fn signature_of(unsigned: &UnsignedTransaction, owner: &dyn Signer) -> Result<String> {
    let tx = decode_unsigned(unsigned)?;
    owner
        .try_sign_message(&tx.message_data())
        .map(|s| s.to_string())
        .map_err(|e| ClientError::new(ErrorCode::Signer, format!("the owner cannot sign: {e}")))
}

/// Signs `unsigned` with `owner`; base64 of the signed wire transaction.
fn sign_unsigned(unsigned: &UnsignedTransaction, owner: &dyn Signer) -> Result<String> {
    use base64::Engine;
    let mut tx = decode_unsigned(unsigned)?;
    let blockhash = tx.message.recent_blockhash;
    tx.try_partial_sign(&[owner], blockhash).map_err(|e| {
        ClientError::new(
            ErrorCode::Signer,
            format!("the owner {} cannot sign the approval: {e}", owner.pubkey()),
        )
    })?;
    let bytes = bincode::serialize(&tx)
        .map_err(|e| ClientError::internal(format!("cannot encode a transaction: {e}")))?;
    Ok(base64::prelude::BASE64_STANDARD.encode(bytes))
}

/// Denies request `id` with an optional note for the agent (scope `write`).
pub fn deny_request(api: &ApiEndpoint, id: &str, note: Option<&str>) -> Result<SessionRequestView> {
    let id = parse_request_id(id)?;
    if let Some(note) = note {
        if note.chars().count() > MAX_NOTE_CHARS {
            return Err(ClientError::input(format!(
                "the note must be at most {MAX_NOTE_CHARS} characters"
            )));
        }
    }
    let body = DenySessionRequest {
        note: note.map(str::to_string),
    };
    let nonce = Keypair::new().pubkey();
    api.post(
        &format!("/v1/session-requests/{id}/deny"),
        &body,
        &format!("deny-{nonce}"),
    )
}

// ---------------------------------------------------------------------------------------------
// What the API derives a request's status from.

impl crate::Client {
    /// The session registered at `session`, if any: what an approved request was granted
    /// (whoever created it: the CLI, the dashboard, a local signer).
    pub fn granted_session(&self, session: &Pubkey) -> Result<Option<crate::SessionView>> {
        match self.account(session)? {
            Some(account) if account.owner == *self.program_id() => {
                let (wallet, _) = self.session_at(session)?;
                self.show_session(&wallet, session).map(Some)
            }
            _ => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_key_never_prints() {
        let api = ApiEndpoint::new("http://127.0.0.1:8787/", Some("lk_supersecretvalue")).unwrap();
        assert_eq!(api.url, "http://127.0.0.1:8787");
        let shown = format!("{api:?} {}", api.api_key.as_ref().unwrap());
        assert!(!shown.contains("supersecret"), "{shown}");
        assert!(ApiEndpoint::new("127.0.0.1:8787", None).is_err());
    }

    #[test]
    fn request_ids_are_checked_before_naming_files() {
        assert_eq!(parse_request_id(" sreq_00ff ").unwrap(), "sreq_00ff");
        for bad in [
            "sreq_",
            "sreq_../x",
            "../sreq_00",
            "sreq_zz",
            "req_00ff",
            "x",
        ] {
            assert!(parse_request_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn api_errors_keep_their_meaning() {
        let body = br#"{"error":{"code":"session_request_expired","message":"request req_1 expired","hint":"file a new one"},"request_id":"r"}"#;
        let e = api_error("http://x", 410, body, true);
        assert_eq!(e.code, ErrorCode::RequestExpired);
        assert_eq!(e.message, "request req_1 expired");
        let body =
            br#"{"error":{"code":"missing_api_key","message":"needs a key"},"request_id":"r"}"#;
        let e = api_error("http://x", 401, body, false);
        assert_eq!(e.code, ErrorCode::ApiKey);
        assert!(e.hint.unwrap().contains("LEASH_API_KEY"));
        let body = br#"{"error":{"code":"spending_limit_exceeded","message":"m","details":{"program_code":6008}},"request_id":"r"}"#;
        let e = api_error("http://x", 422, body, true);
        assert_eq!(e.code.name(), "SpendingLimitExceeded");
        assert_eq!(
            api_error("http://x", 502, b"<html>", true).code,
            ErrorCode::Api
        );
    }

    #[test]
    fn reasons_are_bounded() {
        assert!(check_reason("pay the weekly invoices").is_ok());
        assert!(check_reason("  ").is_err());
        assert!(check_reason(&"x".repeat(MAX_REASON_CHARS + 1)).is_err());
        assert!(check_reason("a\u{7}b").is_err());
        assert!(check_reason("line one\nline two").is_ok());
    }
}
