//! The HTTP API's request bodies and the answers both sides read (docs/api.md): one Rust type
//! per body, which the API deserializes, this crate's API client serializes, and whose JSON
//! Schema (`schemars`) the OpenAPI document and the MCP tools publish — so the three cannot
//! drift. Addresses and amounts are text here; the API parses them once, at the edge.

use leash_sdk::policy::PolicyFile;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::client::UnsignedTransaction;

fn default_wallet_name() -> String {
    "default".to_string()
}

/// `POST /v1/wallets/prepare`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PrepareWalletRequest {
    /// The owner's address (base58); the owner signs and pays.
    pub owner: String,
    /// The wallet's name, default "default" (the address derives from owner and name).
    #[serde(default = "default_wallet_name")]
    pub name: String,
}

/// `POST /v1/sessions/preview`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewSessionRequest {
    /// The wallet's address.
    pub wallet: String,
    /// The session's public key; its secret stays with the holder.
    pub session_key: String,
    pub policy: PolicyFile,
}

/// `POST /v1/sessions/prepare`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PrepareSessionRequest {
    /// The wallet's address.
    pub wallet: String,
    /// The session's public key; its secret stays with the holder.
    pub session_key: String,
    pub policy: PolicyFile,
    /// SOL sent to the session key for its fees (decimal text, default "0.01").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_up: Option<String>,
}

/// `POST /v1/sessions/{session}/update/prepare`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSessionRequest {
    pub policy: PolicyFile,
    /// The session's use count the owner saw; the program refuses the update if it moved
    /// (default: read now).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_uses: Option<u64>,
}

/// A body with nothing in it (`{}`): the path says it all.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EmptyRequest {}

/// `POST /v1/wallets/{wallet}/deposit/prepare`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DepositRequest {
    /// Decimal amount, e.g. "4.5".
    pub amount: String,
    /// SOL, a known symbol (USDC) or a mint address.
    pub token: String,
}

/// `POST /v1/wallets/{wallet}/withdraw/prepare`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawRequest {
    /// Decimal amount.
    pub amount: String,
    /// SOL, a symbol or a mint.
    pub token: String,
    /// The recipient (default the owner).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
}

/// `POST /v1/wallets/{wallet}/sweep/prepare`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SweepRequest {
    /// The recipient (default the owner).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
}

/// A transfer out of the vault.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferRequest {
    /// A wallet address, or a token account of the mint.
    pub to: String,
    /// Decimal amount.
    pub amount: String,
    /// SOL, a symbol or a mint.
    pub token: String,
}

/// What the session is asked to do: exactly one of `transfer`, `execute`, `multicall`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ActionRequest {
    Transfer(TransferRequest),
    /// One instruction: `{program, accounts: [{pubkey (or "vault"), is_signer, is_writable}],
    /// data (base64)}`.
    Execute(#[schemars(with = "crate::input::JsonInstruction")] serde_json::Value),
    /// Several instructions, run in order in one `Execute`.
    Multicall(
        #[schemars(with = "Vec<crate::input::JsonInstruction>", length(min = 1))]
        Vec<serde_json::Value>,
    ),
}

/// `POST /v1/transactions/submit`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitRequest {
    /// base64 of a signed wire transaction.
    pub transaction: String,
    /// Sign with the server's local signer (`leash serve --signer`) before sending; needs the
    /// `admin` scope.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sign_with_local_signer: bool,
}

/// `POST /v1/session-requests` (docs/agents.md).
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FileSessionRequest {
    /// The wallet's address.
    pub wallet: String,
    /// The agent's session public key; its secret never leaves the agent.
    pub session_key: String,
    pub policy: PolicyFile,
    /// What the session is for, for the owner (1–500 characters).
    #[schemars(length(min = 1, max = 500))]
    pub reason: String,
    /// How long the owner has to decide, in seconds (at most 7 days; default 1 day).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 604_800))]
    pub expires_in_seconds: Option<u64>,
}

/// `POST /v1/session-requests/{id}/approve/prepare`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveSessionRequest {
    /// The owner's edit: a full replacement of the policy asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<PolicyFile>,
    /// SOL sent to the agent's key for its fees (decimal text, default "0.01").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_up: Option<String>,
}

/// `POST /v1/session-requests/{id}/deny`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DenySessionRequest {
    /// Why, for the agent (at most 500 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 500))]
    pub note: Option<String>,
}

/// `POST /v1/dev/airdrop` (a local node only).
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AirdropRequest {
    /// Who receives it (base58).
    pub to: String,
    /// Decimal amount, more than 0: at most 100 SOL, or 10,000 of a test token.
    pub amount: String,
    /// `SOL` (default) or a token of the local node's faucet (`USDC`), to its associated
    /// token account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

/// A prepared owner operation: unsigned transactions (sign each with the owner's key, in
/// order, then submit), what they do, and the report they give once sent.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[schemars(rename = "Prepared")]
pub struct PreparedAnswer<R> {
    pub summary: String,
    pub fee_payer: String,
    pub transactions: Vec<UnsignedTransaction>,
    /// What the operation reports once its transactions are sent.
    pub report: R,
    /// For a passkey wallet: the challenges its passkey must answer, in order (the
    /// transactions then go to `POST /v1/passkey/submit` with the assertions; the server's
    /// signer pays). Absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passkey: Option<Vec<crate::owner::PasskeyChallenge>>,
}

/// One WebAuthn assertion as a browser returns it (`navigator.credentials.get`), each part
/// base64url.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PasskeyAssertion {
    pub authenticator_data: String,
    pub client_data_json: String,
    /// The DER-encoded ECDSA signature.
    pub signature: String,
}

/// `POST /v1/passkey/submit`: a prepared passkey transaction and its assertions.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PasskeySubmitRequest {
    /// base64 of the unsigned transaction as prepared.
    pub transaction: String,
    /// One per challenge of this transaction, in order.
    pub assertions: Vec<PasskeyAssertion>,
}

/// `POST /v1/passkey/complete`'s answer: the transaction with the assertions in place, for its
/// fee payer to sign (its signature slot zeroed), then `POST /v1/transactions/submit`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct PasskeyCompleted {
    /// base64 of the wire transaction.
    pub transaction: String,
}

/// `POST /v1/passkey/wallets`: a wallet for a passkey the browser just registered.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PasskeyWalletRequest {
    /// 1–64 bytes; the wallet's salt is its sha256.
    pub name: String,
    /// base64url of the credential's public key, DER `SubjectPublicKeyInfo` (what
    /// `AuthenticatorAttestationResponse.getPublicKey()` gives), P-256.
    pub public_key: String,
    /// The relying party id the credential was made for (the dashboard's host name).
    pub rp_id: String,
    /// Every assertion must show user verification.
    #[serde(default)]
    pub user_verification: bool,
}

/// `POST /v1/transactions/submit`'s answer.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct Submitted {
    pub signature: String,
    /// `confirmed` (at the API's commitment).
    pub status: String,
}

// ---------------------------------------------------------------------------------------------
// Webhooks (docs/api.md, "Webhooks").

/// `POST /v1/webhooks`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhookRequest {
    /// Where deliveries go: an http(s) URL on a public address (private ones only with
    /// `leash serve --allow-private-webhooks`, on by default on a local node).
    pub url: String,
    /// Event types to deliver; omitted or empty means all.
    #[serde(default)]
    pub events: Vec<String>,
    /// Only this wallet's events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wallet: Option<String>,
}

/// A webhook (never its secret).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub struct Webhook {
    pub id: String,
    pub url: String,
    /// Event types it receives; empty = all.
    pub events: Vec<String>,
    /// Only this wallet's events, when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wallet: Option<String>,
    pub enabled: bool,
    pub created_at: i64,
}

/// `POST /v1/webhooks`' answer: the webhook and its secret, shown this once.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct WebhookCreated {
    #[serde(flatten)]
    pub webhook: Webhook,
    /// `whsec_…`: verify deliveries with it (any Standard Webhooks library).
    pub secret: String,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct WebhookList {
    pub webhooks: Vec<Webhook>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct WebhookChanged {
    pub id: String,
    pub enabled: bool,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct WebhookRemoved {
    pub id: String,
    pub removed: bool,
}

/// `POST /v1/webhooks/{id}/test`: how the receiver answered a signed `webhook.test`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct WebhookTested {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    pub ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One delivery of one event to one webhook.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub struct Delivery {
    pub id: String,
    pub webhook_id: String,
    pub event_id: i64,
    /// `pending` (retrying), `delivered`, or `dead` (gave up; redeliver to try again).
    pub state: String,
    pub attempts: i64,
    /// When the next attempt is due (pending).
    pub next_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_status: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    pub created_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<i64>,
}

/// One attempt of a delivery.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub struct DeliveryAttempt {
    pub attempt: i64,
    pub at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub duration_ms: i64,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct DeliveryWithAttempts {
    #[serde(flatten)]
    pub delivery: Delivery,
    /// Every attempt, in order.
    pub attempt_log: Vec<DeliveryAttempt>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct DeliveryList {
    pub deliveries: Vec<DeliveryWithAttempts>,
}
