//! Request bodies and answers of the handlers (docs/api.md).

use super::*;

// ---------------------------------------------------------------------------------------------
// Requests.

fn default_wallet_name() -> String {
    "default".to_string()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrepareWalletRequest {
    /// The owner's address (base58); the owner signs and pays.
    pub owner: String,
    /// The wallet's name (its address is derived from the owner and the name).
    #[serde(default = "default_wallet_name")]
    pub name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreviewSessionRequest {
    pub wallet: String,
    /// The session's public key; its secret stays with the holder.
    pub session_key: String,
    pub policy: PolicyFile,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrepareSessionRequest {
    pub wallet: String,
    pub session_key: String,
    pub policy: PolicyFile,
    /// SOL sent to the session key for its fees (decimal string, default "0.01").
    #[serde(default)]
    pub top_up: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateSessionRequest {
    pub policy: PolicyFile,
    /// The session's use count the owner saw; the program refuses the update if it moved.
    #[serde(default)]
    pub expected_uses: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmptyRequest {}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepositRequest {
    pub amount: String,
    pub token: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WithdrawRequest {
    pub amount: String,
    pub token: String,
    #[serde(default)]
    pub to: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepRequest {
    #[serde(default)]
    pub to: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferRequest {
    pub to: String,
    pub amount: String,
    pub token: String,
}

/// What the session is asked to do: exactly one of `transfer`, `execute`, `multicall`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ActionRequest {
    Transfer(TransferRequest),
    Execute(serde_json::Value),
    Multicall(Vec<serde_json::Value>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmitRequest {
    /// base64 of a signed wire transaction.
    pub transaction: String,
    /// Sign with the server's local signer (`leash serve --signer`) before sending; needs the
    /// `admin` scope.
    #[serde(default)]
    pub sign_with_local_signer: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateKeyRequest {
    pub name: String,
    pub scopes: Vec<Scope>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSessionRequest {
    pub wallet: String,
    /// The agent's session public key; its secret never leaves the agent.
    pub session_key: String,
    pub policy: PolicyFile,
    /// What the session is for, for the owner (1–500 characters).
    pub reason: String,
    /// How long the owner has to decide (1 s – 7 days, default 1 day).
    #[serde(default)]
    pub expires_in_seconds: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApproveSessionRequest {
    /// The owner's edit: a full replacement of the policy asked for.
    #[serde(default)]
    pub policy: Option<PolicyFile>,
    /// SOL sent to the agent's key for its fees (decimal string, default "0.01").
    #[serde(default)]
    pub top_up: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DenySessionRequest {
    /// Why, for the agent (at most 500 characters).
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestQuery {
    #[serde(default)]
    pub status: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AirdropRequest {
    /// Who receives the SOL (base58).
    pub to: String,
    /// Decimal SOL, at most 100.
    pub amount: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    #[serde(default)]
    pub after: Option<i64>,
    #[serde(default)]
    pub limit: Option<i64>,
    /// `true`: the newest `limit` entries (still oldest first); `after` must not be given.
    #[serde(default)]
    pub newest: Option<bool>,
}

// ---------------------------------------------------------------------------------------------
// Answers.

#[derive(Serialize)]
pub struct Health {
    pub status: &'static str,
    pub cluster: String,
    pub cluster_reachable: bool,
}

/// A prepared owner operation: unsigned transactions (sign each with the owner's key, in
/// order, then submit), what they do, and the report they give once sent.
#[derive(Serialize)]
pub struct PreparedAnswer<R: Serialize> {
    pub summary: String,
    pub fee_payer: String,
    pub transactions: Vec<UnsignedTransaction>,
    pub report: R,
}

#[derive(Serialize)]
pub struct SessionListAnswer {
    pub wallet: String,
    pub sessions: Vec<SessionView>,
}

#[derive(Serialize)]
pub struct WalletEntry {
    pub wallet: String,
    pub vault: String,
}

#[derive(Serialize)]
pub struct OwnerWallets {
    pub owner: String,
    pub wallets: Vec<WalletEntry>,
}

#[derive(Serialize)]
pub struct Submitted {
    pub signature: String,
    pub status: &'static str,
}

#[derive(Serialize)]
pub struct KeyCreated {
    /// The key: shown this once, stored only as its SHA-256.
    pub key: String,
    #[serde(flatten)]
    pub record: KeyRecord,
}

#[derive(Serialize)]
pub struct KeyList {
    pub keys: Vec<KeyRecord>,
}

#[derive(Serialize)]
pub struct KeyRevoked {
    pub id: String,
    pub revoked: bool,
}
