//! The JSON-RPC 2.0 envelope: request objects, ids, Solana's error shapes and parameter parsing.
//! What each method does is in [`crate::methods`], which also decides whether it reads or writes.
//!
//! Every method reads or changes the chain on the executor thread ([`crate::executor`]); reads
//! see only committed transactions, writes are answered after their commit. Decoding
//! transactions and encoding `getProgramAccounts` happen in the request's task instead.

use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use solana_program::pubkey::Pubkey;
use solana_signature::Signature;

use crate::{chain::Chain, executor::Executor, methods, store::StoreError};

/// The Agave version whose runtime (through LiteSVM) executes transactions here.
pub const SOLANA_CORE_VERSION: &str = "4.2.2";

#[derive(Clone, Debug, PartialEq)]
pub struct RpcError {
    pub code: i64,
    pub message: String,
    pub data: Option<Value>,
}

pub type RpcResult = Result<Value, RpcError>;

impl RpcError {
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        RpcError {
            code,
            message: message.into(),
            data: None,
        }
    }
    pub fn parse_error() -> Self {
        Self::new(-32700, "Parse error")
    }
    pub fn invalid_request(why: &str) -> Self {
        Self::new(-32600, format!("Invalid request: {why}"))
    }
    pub fn method_not_found(method: &str) -> Self {
        Self::new(-32601, format!("Method not found: {method}"))
    }
    pub fn invalid_params(why: impl Into<String>) -> Self {
        Self::new(-32602, why)
    }
    pub fn internal(why: impl Into<String>) -> Self {
        Self::new(-32603, why)
    }
    fn to_json(&self) -> Value {
        let mut error = json!({"code": self.code, "message": self.message});
        if let Some(data) = &self.data {
            error["data"] = data.clone();
        }
        error
    }
}

/// A write refused for a full disk answers -32005 with what to do; other ledger failures are
/// internal errors.
impl From<StoreError> for RpcError {
    fn from(e: StoreError) -> Self {
        if e.is_disk_full() {
            let message = match e {
                StoreError::Closed(cause) => cause.to_string(),
                e => e.to_string(),
            };
            RpcError::new(DISK_FULL, message)
        } else {
            RpcError::internal(e.to_string())
        }
    }
}

/// The JSON-RPC error code of a write refused because the ledger's disk is full.
pub const DISK_FULL: i64 = -32005;

pub(crate) fn context(chain: &Chain, value: impl serde::Serialize) -> RpcResult {
    Ok(json!({
        "context": {"slot": chain.slot(), "apiVersion": SOLANA_CORE_VERSION},
        "value": serde_json::to_value(value).map_err(|e| RpcError::internal(e.to_string()))?,
    }))
}

// ---------------------------------------------------------------------------------------------
// Parameters.

pub(crate) fn nth(params: &Value, i: usize) -> Option<&Value> {
    params
        .as_array()
        .and_then(|a| a.get(i))
        .filter(|v| !v.is_null())
}

pub(crate) fn required<T: DeserializeOwned>(
    params: &Value,
    i: usize,
    what: &str,
) -> Result<T, RpcError> {
    let value = nth(params, i)
        .ok_or_else(|| RpcError::invalid_params(format!("missing parameter {i}: {what}")))?;
    serde_json::from_value(value.clone())
        .map_err(|e| RpcError::invalid_params(format!("invalid parameter {i} ({what}): {e}")))
}

pub(crate) fn optional<T: DeserializeOwned + Default>(
    params: &Value,
    i: usize,
) -> Result<T, RpcError> {
    match nth(params, i) {
        None => Ok(T::default()),
        Some(value) => serde_json::from_value(value.clone()).map_err(|e| {
            RpcError::invalid_params(format!("invalid configuration (parameter {i}): {e}"))
        }),
    }
}

pub(crate) fn pubkey(params: &Value, i: usize) -> Result<Pubkey, RpcError> {
    let text: String = required(params, i, "a base-58 address")?;
    parse_pubkey(&text)
}

pub(crate) fn parse_pubkey(text: &str) -> Result<Pubkey, RpcError> {
    text.parse().map_err(|_| {
        RpcError::invalid_params(format!("Invalid param: {text:?} is not a valid address"))
    })
}

pub(crate) fn parse_signature(text: &str) -> Result<Signature, RpcError> {
    text.parse().map_err(|_| {
        RpcError::invalid_params(format!("Invalid param: {text:?} is not a valid signature"))
    })
}

// ---------------------------------------------------------------------------------------------
// Requests.

/// What the JSON-RPC endpoint serves: the executor, and which optional methods answer.
#[derive(Clone)]
pub struct Rpc {
    pub executor: Executor,
    /// `leash_warpSlot` and `leash_setUnixTimestamp` answer only with `--allow-time-travel`.
    pub allow_time_travel: bool,
    /// Where this node listens, for `getClusterNodes`.
    pub addresses: Addresses,
}

/// The node's RPC and PubSub addresses (`getClusterNodes` lists them).
#[derive(Clone, Copy, Debug, Default)]
pub struct Addresses {
    pub rpc: Option<std::net::SocketAddr>,
    pub pubsub: Option<std::net::SocketAddr>,
}

/// Answers one parsed JSON-RPC request object; `None` for a notification (no `id`).
pub async fn handle_request(rpc: &Rpc, request: Value) -> Option<Value> {
    let id = request.get("id").cloned();
    let response = |result: RpcResult| -> Value {
        let id = id.clone().unwrap_or(Value::Null);
        match result {
            Ok(value) => json!({"jsonrpc": "2.0", "result": value, "id": id}),
            Err(error) => json!({"jsonrpc": "2.0", "error": error.to_json(), "id": id}),
        }
    };
    let Some(object) = request.as_object() else {
        return Some(response(Err(RpcError::invalid_request(
            "a request must be a JSON object",
        ))));
    };
    if object.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Some(response(Err(RpcError::invalid_request(
            "\"jsonrpc\" must be \"2.0\"",
        ))));
    }
    let Some(method) = object
        .get("method")
        .and_then(Value::as_str)
        .map(str::to_string)
    else {
        return Some(response(Err(RpcError::invalid_request(
            "\"method\" must be a string",
        ))));
    };
    let params = object.get("params").cloned().unwrap_or(Value::Null);
    if !(params.is_null() || params.is_array()) {
        return Some(response(Err(RpcError::invalid_params(
            "\"params\" must be an array",
        ))));
    }
    let is_notification = id.is_none();
    let result = methods::dispatch(rpc, &method, params).await;
    (!is_notification).then(|| response(result))
}
