//! Request bodies and answers of the handlers (docs/api.md). The bodies the library's API client
//! sends too are `leash_client::wire`'s, re-exported here; the API's own follow. Each derives
//! its JSON Schema, which `/openapi.json` publishes.

use schemars::JsonSchema;

use super::*;

pub use leash_client::wire::*;

// ---------------------------------------------------------------------------------------------
// Requests only the API reads.

/// `POST /v1/api-keys`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateKeyRequest {
    /// 1–64 printable characters, to recognise the key by.
    pub name: String,
    /// At least one of read, write (also reads), admin (everything), request.
    #[schemars(length(min = 1))]
    pub scopes: Vec<Scope>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestQuery {
    /// Only requests with this status.
    #[serde(default)]
    #[schemars(extend("enum" = ["pending", "approved", "denied", "expired"]))]
    pub status: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Entries after this sequence number (default 0: from the start).
    #[serde(default)]
    pub after: Option<i64>,
    /// At most this many entries (default 1000).
    #[serde(default)]
    #[schemars(range(min = 1, max = 10_000))]
    pub limit: Option<i64>,
    /// `true`: the newest `limit` entries (still oldest first); `after` must not be given.
    #[serde(default)]
    pub newest: Option<bool>,
}

// ---------------------------------------------------------------------------------------------
// Answers.

#[derive(Serialize, JsonSchema)]
pub struct Health {
    pub status: &'static str,
    pub cluster: String,
    pub cluster_reachable: bool,
}

#[derive(Serialize, JsonSchema)]
pub struct SessionListAnswer {
    pub wallet: String,
    pub sessions: Vec<SessionView>,
}

#[derive(Serialize, JsonSchema)]
pub struct WalletEntry {
    pub wallet: String,
    pub vault: String,
}

#[derive(Serialize, JsonSchema)]
pub struct OwnerWallets {
    pub owner: String,
    pub wallets: Vec<WalletEntry>,
}

#[derive(Serialize, JsonSchema)]
pub struct KeyCreated {
    /// The key: shown this once, stored only as its SHA-256.
    pub key: String,
    #[serde(flatten)]
    pub record: KeyRecord,
}

#[derive(Serialize, JsonSchema)]
pub struct KeyList {
    pub keys: Vec<KeyRecord>,
}

#[derive(Serialize, JsonSchema)]
pub struct KeyRevoked {
    pub id: String,
    pub revoked: bool,
}
