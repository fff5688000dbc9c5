//! JSON-RPC 2.0 as Solana speaks it, shared by the HTTP methods ([`crate::methods`]) and PubSub
//! ([`crate::pubsub`]): error objects and codes, the response envelope, the `{context, value}`
//! wrapper, parameter parsing and the configuration fields every method reads (`commitment`,
//! `minContextSlot`). The bottom layer of the node: it knows no chain (docs/node.md, "Layers").

use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use solana_program::pubkey::Pubkey;
use solana_signature::Signature;

use crate::store::StoreError;

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
    /// The `error` member of a response.
    pub fn to_json(&self) -> Value {
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

/// `{context: {slot, apiVersion}, value}`, the shape of every answer tied to a slot.
pub fn context(slot: u64, value: impl serde::Serialize) -> RpcResult {
    Ok(json!({
        "context": {"slot": slot, "apiVersion": SOLANA_CORE_VERSION},
        "value": serde_json::to_value(value).map_err(|e| RpcError::internal(e.to_string()))?,
    }))
}

/// A PubSub notification's `{context: {slot}, value}`: Agave's subscriptions send no
/// `apiVersion` there (only HTTP answers carry it), so neither does this node.
pub fn notification_context(slot: u64, value: Value) -> Value {
    json!({"context": {"slot": slot}, "value": value})
}

// ---------------------------------------------------------------------------------------------
// Parameters.

pub fn nth(params: &Value, i: usize) -> Option<&Value> {
    params
        .as_array()
        .and_then(|a| a.get(i))
        .filter(|v| !v.is_null())
}

pub fn required<T: DeserializeOwned>(params: &Value, i: usize, what: &str) -> Result<T, RpcError> {
    let value = nth(params, i)
        .ok_or_else(|| RpcError::invalid_params(format!("missing parameter {i}: {what}")))?;
    serde_json::from_value(value.clone())
        .map_err(|e| RpcError::invalid_params(format!("invalid parameter {i} ({what}): {e}")))
}

pub fn optional<T: DeserializeOwned + Default>(params: &Value, i: usize) -> Result<T, RpcError> {
    match nth(params, i) {
        None => Ok(T::default()),
        Some(value) => serde_json::from_value(value.clone()).map_err(|e| {
            RpcError::invalid_params(format!("invalid configuration (parameter {i}): {e}"))
        }),
    }
}

pub fn pubkey(params: &Value, i: usize) -> Result<Pubkey, RpcError> {
    let text: String = required(params, i, "a base-58 address")?;
    parse_pubkey(&text)
}

pub fn parse_pubkey(text: &str) -> Result<Pubkey, RpcError> {
    text.parse().map_err(|_| {
        RpcError::invalid_params(format!("Invalid param: {text:?} is not a valid address"))
    })
}

pub fn parse_signature(text: &str) -> Result<Signature, RpcError> {
    text.parse().map_err(|_| {
        RpcError::invalid_params(format!("Invalid param: {text:?} is not a valid signature"))
    })
}

// ---------------------------------------------------------------------------------------------
// The envelope.

/// The response to a request with `id` (`null` when the request had none to read).
pub fn response(id: Option<Value>, result: RpcResult) -> Value {
    let id = id.unwrap_or(Value::Null);
    match result {
        Ok(value) => json!({"jsonrpc": "2.0", "result": value, "id": id}),
        Err(error) => json!({"jsonrpc": "2.0", "error": error.to_json(), "id": id}),
    }
}

/// A request object, checked: its method name and parameters (`null` or an array).
pub struct Request {
    pub id: Option<Value>,
    pub method: String,
    pub params: Value,
}

impl Request {
    /// Reads a request object; a malformed one is answered with the error the envelope gets.
    pub fn parse(request: &Value) -> Result<Request, (Option<Value>, RpcError)> {
        let id = request.get("id").cloned();
        let Some(object) = request.as_object() else {
            return Err((
                id,
                RpcError::invalid_request("a request must be a JSON object"),
            ));
        };
        if object.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
            return Err((id, RpcError::invalid_request("\"jsonrpc\" must be \"2.0\"")));
        }
        let Some(method) = object.get("method").and_then(Value::as_str) else {
            return Err((id, RpcError::invalid_request("\"method\" must be a string")));
        };
        let params = object.get("params").cloned().unwrap_or(Value::Null);
        if !(params.is_null() || params.is_array()) {
            return Err((id, RpcError::invalid_params("\"params\" must be an array")));
        }
        Ok(Request {
            id,
            method: method.to_string(),
            params,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Configuration fields.

/// Whether a request is at `finalized`: its configuration object's `key` (`commitment`, or
/// `preflightCommitment` for `sendTransaction`) says `finalized` (or the old `max`/`root`), or
/// no object sets it — Solana's default commitment is `finalized`.
pub fn at_finalized(params: &Value, key: &str) -> bool {
    let set = params.as_array().and_then(|params| {
        params
            .iter()
            .find_map(|p| p.get(key).and_then(Value::as_str))
    });
    matches!(set, None | Some("finalized" | "max" | "root"))
}

/// Whether a configuration object among `params` sets `"commitment": "processed"`.
pub fn asks_processed(params: &Value) -> bool {
    params.as_array().is_some_and(|params| {
        params
            .iter()
            .any(|p| p.get("commitment").and_then(Value::as_str) == Some("processed"))
    })
}

/// `minContextSlot`, on every method whose configuration takes it: refused with -32016 while the
/// node's `slot` is below it.
pub fn check_min_context_slot(slot: u64, params: &Value) -> Result<(), RpcError> {
    let Some(params) = params.as_array() else {
        return Ok(());
    };
    let wanted = params
        .iter()
        .filter_map(|p| p.get("minContextSlot"))
        .filter_map(Value::as_u64)
        .max();
    match wanted {
        Some(min) if min > slot => Err(RpcError {
            code: -32016,
            message: "Minimum context slot has not been reached".into(),
            data: Some(json!({"contextSlot": slot})),
        }),
        _ => Ok(()),
    }
}
