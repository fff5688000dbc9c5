//! JSON-RPC 2.0: request parsing, Solana's error shapes, and the methods.
//!
//! Every method reads or changes the chain on the executor thread ([`crate::executor`]); reads
//! see only committed transactions, writes are answered after their commit. Decoding
//! transactions and encoding `getProgramAccounts` happen in the request's task instead.

use base64::{prelude::BASE64_STANDARD, Engine};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use solana_account::{Account, ReadableAccount};
use solana_account_decoder_client_types::UiAccountEncoding;
use solana_hash::Hash;
use solana_message::VersionedMessage;
use solana_program::pubkey::Pubkey;
use solana_rpc_client_types::{
    config::{
        RpcAccountInfoConfig, RpcProgramAccountsConfig, RpcSendTransactionConfig,
        RpcSignaturesForAddressConfig, RpcSimulateTransactionConfig, RpcTokenAccountsFilter,
    },
    filter::RpcFilterType,
};
use solana_signature::Signature;
use solana_transaction::versioned::VersionedTransaction;
use solana_transaction_error::TransactionError;
use solana_transaction_status_client_types::UiTransactionEncoding;

use crate::{
    chain::{signature_bytes, Chain, SendError, MAX_WARP_SLOTS, SLOTS_PER_EPOCH},
    encoding::{token_amount, ui_account},
    executor::{Access, Executor},
    limits, methods,
    store::StoreError,
};
use leash_sdk::{spl, token_account};

/// The Agave version whose runtime (through LiteSVM) executes transactions here.
pub const SOLANA_CORE_VERSION: &str = "4.2.2";
/// Largest serialized transaction a validator accepts.
const PACKET_DATA_SIZE: usize = 1232;

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

fn decode_transaction(
    encoded: &str,
    encoding: Option<UiTransactionEncoding>,
) -> Result<VersionedTransaction, RpcError> {
    limits::check_encoded_transaction(encoded, encoding)?;
    let bytes = match encoding.unwrap_or(UiTransactionEncoding::Base58) {
        UiTransactionEncoding::Base58 | UiTransactionEncoding::Binary => bs58::decode(encoded)
            .into_vec()
            .map_err(|e| RpcError::invalid_params(format!("invalid base58 encoding: {e}")))?,
        UiTransactionEncoding::Base64 => BASE64_STANDARD
            .decode(encoded)
            .map_err(|e| RpcError::invalid_params(format!("invalid base64 encoding: {e}")))?,
        other => {
            return Err(RpcError::invalid_params(format!(
                "unsupported encoding: {other}. Supported encodings: base58, base64"
            )))
        }
    };
    if bytes.len() > PACKET_DATA_SIZE {
        return Err(RpcError::invalid_params(format!(
            "transaction too large: {} bytes (max: {PACKET_DATA_SIZE} bytes)",
            bytes.len()
        )));
    }
    let tx: VersionedTransaction = bincode::deserialize(&bytes)
        .map_err(|e| RpcError::invalid_params(format!("failed to deserialize transaction: {e}")))?;
    tx.sanitize()
        .map_err(|e| RpcError::invalid_params(format!("invalid transaction: {e}")))?;
    Ok(tx)
}

// ---------------------------------------------------------------------------------------------
// Errors of sendTransaction.

fn simulation_result(
    err: Option<&TransactionError>,
    meta: Option<&litesvm::types::TransactionMetadata>,
) -> Value {
    let return_data = meta.filter(|m| !m.return_data.data.is_empty()).map(|m| {
        json!({"programId": m.return_data.program_id.to_string(), "data": [BASE64_STANDARD.encode(&m.return_data.data), "base64"]})
    });
    json!({
        "err": err,
        "logs": meta.map(|m| m.logs.clone()).unwrap_or_default(),
        "accounts": null,
        "unitsConsumed": meta.map(|m| m.compute_units_consumed).unwrap_or(0),
        "returnData": return_data,
        "innerInstructions": null,
        "replacementBlockhash": null,
        "fee": meta.map(|m| m.fee),
    })
}

fn preflight_error(
    err: &TransactionError,
    meta: Option<&litesvm::types::TransactionMetadata>,
) -> RpcError {
    RpcError {
        code: -32002,
        message: format!("Transaction simulation failed: {err}"),
        data: Some(simulation_result(Some(err), meta)),
    }
}

fn send_error(e: SendError) -> RpcError {
    match e {
        SendError::AlreadyProcessed => preflight_error(&TransactionError::AlreadyProcessed, None),
        SendError::BlockhashNotFound => preflight_error(&TransactionError::BlockhashNotFound, None),
        SendError::SignatureFailure => {
            RpcError::new(-32003, "Transaction signature verification failure")
        }
        SendError::Rejected(err) => preflight_error(&err, None),
        SendError::Preflight { err, meta } => preflight_error(&err, Some(&meta)),
        SendError::Unsupported(why) => RpcError::invalid_params(why),
        SendError::Faucet(why) => RpcError::internal(why),
        SendError::Store(e) => RpcError::from(e),
    }
}

// ---------------------------------------------------------------------------------------------
// Dispatch.

/// What the JSON-RPC endpoint serves: the executor, and which optional methods answer.
#[derive(Clone)]
pub struct Rpc {
    pub executor: Executor,
    /// `leash_warpSlot` and `leash_setUnixTimestamp` answer only with `--allow-time-travel`.
    pub allow_time_travel: bool,
    /// The RPC address, for `getClusterNodes`.
    pub address: Option<std::net::SocketAddr>,
}

/// The control methods that move the chain's slot or clock at will.
const TIME_TRAVEL_METHODS: [&str; 2] = ["leash_warpSlot", "leash_setUnixTimestamp"];

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
    let result = dispatch(rpc, &method, params).await;
    (!is_notification).then(|| response(result))
}

async fn dispatch(rpc: &Rpc, method: &str, params: Value) -> RpcResult {
    if !rpc.allow_time_travel && TIME_TRAVEL_METHODS.contains(&method) {
        // Moving time expires blockhashes and sessions for every client of the node: only a
        // node started for that (tests, local experiments) offers it.
        return Err(RpcError::new(
            -32601,
            format!("{method} is disabled: start the node with --allow-time-travel"),
        ));
    }
    let access = match method {
        "sendTransaction"
        | "requestAirdrop"
        | "leash_mintTokens"
        | "leash_warpSlot"
        | "leash_setUnixTimestamp" => Access::Write,
        _ => Access::Read,
    };
    // Decoding and heavy encoding happen here, in the request's task, never on the executor.
    match method {
        "sendTransaction" => return send_transaction(rpc, params).await,
        "simulateTransaction" => return simulate_transaction(rpc, params).await,
        "getProgramAccounts" => return get_program_accounts(rpc, params).await,
        _ => {}
    }
    let method = method.to_string();
    let address = rpc.address;
    rpc.executor
        .run(access, move |chain| call(chain, &method, &params, address))
        .await
}

/// Runs `job` on the executor and hands back its typed answer.
async fn query<T: Send + 'static>(
    executor: &Executor,
    access: Access,
    job: impl FnOnce(&mut Chain) -> Result<T, RpcError> + Send + 'static,
) -> Result<T, RpcError> {
    let (sender, receiver) = tokio::sync::oneshot::channel();
    executor
        .run(access, move |chain| {
            let _ = sender.send(job(chain));
            Ok(Value::Null)
        })
        .await?;
    receiver
        .await
        .unwrap_or_else(|_| Err(RpcError::internal("the node is shutting down")))
}

/// Runs CPU-heavy work (encoding many accounts) off the async workers and the executor.
async fn off_executor<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, RpcError> + Send + 'static,
) -> Result<T, RpcError> {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|e| Err(RpcError::internal(e.to_string())))
}

async fn send_transaction(rpc: &Rpc, params: Value) -> RpcResult {
    let encoded: String = required(&params, 0, "an encoded transaction")?;
    let config: RpcSendTransactionConfig = optional(&params, 1)?;
    let tx = decode_transaction(&encoded, config.encoding)?;
    rpc.executor
        .run(Access::Write, move |chain| {
            methods::check_min_context_slot(chain, &params)?;
            let signature = chain
                .send_transaction(tx, !config.skip_preflight)
                .map_err(send_error)?;
            Ok(json!(signature.to_string()))
        })
        .await
}

/// Runs `method` on the chain (on the executor thread).
fn call(
    chain: &mut Chain,
    method: &str,
    params: &Value,
    address: Option<std::net::SocketAddr>,
) -> RpcResult {
    methods::check_min_context_slot(chain, params)?;
    match method {
        "getHealth" => Ok(json!("ok")),
        "getVersion" => Ok(
            json!({"solana-core": SOLANA_CORE_VERSION, "feature-set": 0, "leash": env!("CARGO_PKG_VERSION")}),
        ),
        "getSlot" | "getBlockHeight" => Ok(json!(chain.slot())),
        "getTransactionCount" => Ok(json!(chain.transaction_count())),
        "getGenesisHash" => Ok(json!(chain.genesis_hash())),
        "getBlockTime" => {
            let slot: u64 = required(params, 0, "a slot")?;
            if slot > chain.slot() {
                return Err(RpcError::new(
                    -32004,
                    format!("Block not available for slot {slot}"),
                ));
            }
            // The current slot's time exactly; an earlier block's recorded time; earlier slots
            // with no recorded block (older ledgers) estimated at 400 ms per slot.
            if let Some(block) = (slot < chain.slot())
                .then(|| chain.store().block(slot))
                .transpose()
                .map_err(|e| RpcError::internal(e.to_string()))?
                .flatten()
            {
                return Ok(json!(block.block_time));
            }
            let behind =
                i64::try_from((chain.slot() - slot).saturating_mul(2) / 5).unwrap_or(i64::MAX);
            Ok(json!(chain.unix_timestamp().saturating_sub(behind)))
        }
        "getEpochInfo" => {
            let slot = chain.slot();
            Ok(json!({
                "absoluteSlot": slot,
                "blockHeight": slot,
                "epoch": slot / SLOTS_PER_EPOCH,
                "slotIndex": slot % SLOTS_PER_EPOCH,
                "slotsInEpoch": SLOTS_PER_EPOCH,
                "transactionCount": chain.transaction_count(),
            }))
        }
        "getLatestBlockhash" => {
            let (hash, last_valid) = chain.latest_blockhash();
            context(
                chain,
                json!({"blockhash": hash.to_string(), "lastValidBlockHeight": last_valid}),
            )
        }
        "isBlockhashValid" => {
            let text: String = required(params, 0, "a blockhash")?;
            let hash: Hash = text.parse().map_err(|_| {
                RpcError::invalid_params(format!("Invalid param: {text:?} is not a blockhash"))
            })?;
            context(chain, chain.is_blockhash_valid(&hash))
        }
        "getFeeForMessage" => {
            let encoded: String = required(params, 0, "a base64 message")?;
            let bytes = BASE64_STANDARD
                .decode(&encoded)
                .map_err(|e| RpcError::invalid_params(format!("invalid base64: {e}")))?;
            let message: VersionedMessage = bincode::deserialize(&bytes).map_err(|e| {
                RpcError::invalid_params(format!("failed to deserialize message: {e}"))
            })?;
            let fee = chain
                .is_blockhash_valid(message.recent_blockhash())
                .then(|| {
                    u64::from(message.header().num_required_signatures)
                        * chain.lamports_per_signature()
                });
            context(chain, fee)
        }
        "getMinimumBalanceForRentExemption" => {
            let len: usize = required(params, 0, "a data length")?;
            Ok(json!(chain.minimum_balance_for_rent_exemption(len)))
        }
        "getBalance" => {
            let address = pubkey(params, 0)?;
            context(
                chain,
                chain.account(&address).map(|a| a.lamports).unwrap_or(0),
            )
        }
        "getAccountInfo" => {
            let address = pubkey(params, 0)?;
            let config: RpcAccountInfoConfig = optional(params, 1)?;
            let account = chain
                .account(&address)
                .map(|a| encode(chain, &a, &config))
                .transpose()?;
            context(chain, account)
        }
        "getMultipleAccounts" => {
            let addresses: Vec<String> = required(params, 0, "an array of addresses")?;
            if addresses.len() > 100 {
                return Err(RpcError::invalid_params(
                    "Too many inputs provided; max 100",
                ));
            }
            let config: RpcAccountInfoConfig = optional(params, 1)?;
            let found = addresses
                .iter()
                .map(|a| Ok(chain.account(&parse_pubkey(a)?)))
                .collect::<Result<Vec<_>, RpcError>>()?;
            limits::check_estimate(found.iter().flatten().map(|a| a.data.len()), &config)?;
            let accounts = found
                .iter()
                .map(|acc| {
                    acc.as_ref()
                        .map(|acc| encode(chain, acc, &config))
                        .transpose()
                })
                .collect::<Result<Vec<_>, _>>()?;
            context(chain, accounts)
        }
        "getTokenAccountBalance" => {
            let address = pubkey(params, 0)?;
            let account = chain
                .account(&address)
                .ok_or_else(|| RpcError::invalid_params("Invalid param: could not find account"))?;
            let view = token_account::parse(&account.owner, &account.data)
                .ok_or_else(|| RpcError::invalid_params("Invalid param: not a Token account"))?;
            let decimals = mint_decimals(chain, &view.mint)
                .ok_or_else(|| RpcError::invalid_params("Invalid param: could not find mint"))?;
            context(chain, token_amount(view.amount, decimals))
        }
        "getTokenSupply" => {
            let mint = pubkey(params, 0)?;
            let account = chain
                .account(&mint)
                .ok_or_else(|| RpcError::invalid_params("Invalid param: could not find mint"))?;
            let decimals = spl::mint_decimals(&account.data)
                .filter(|_| token_account::is_token_program(&account.owner))
                .ok_or_else(|| RpcError::invalid_params("Invalid param: not a Token mint"))?;
            let supply = u64::from_le_bytes(account.data[36..44].try_into().unwrap_or_default());
            context(chain, token_amount(supply, decimals))
        }
        "getTokenAccountsByOwner" => get_token_accounts_by_owner(chain, params),
        "requestAirdrop" => {
            let address = pubkey(params, 0)?;
            let lamports: u64 = required(params, 1, "lamports")?;
            let signature = chain.airdrop(&address, lamports).map_err(send_error)?;
            Ok(json!(signature.to_string()))
        }
        "getSignatureStatuses" => {
            let signatures: Vec<String> = required(params, 0, "an array of signatures")?;
            if signatures.len() > 256 {
                return Err(RpcError::invalid_params(
                    "Too many inputs provided; max 256",
                ));
            }
            let statuses = signatures
                .iter()
                .map(|s| {
                    let signature = parse_signature(s)?;
                    let record = chain
                        .store()
                        .transaction(&signature_bytes(&signature))
                        .map_err(|e| RpcError::internal(e.to_string()))?;
                    Ok(record.map(|r| {
                        json!({
                            "slot": r.slot,
                            "confirmations": null,
                            "err": r.err,
                            "status": status(&r.err),
                            "confirmationStatus": "finalized",
                        })
                    }))
                })
                .collect::<Result<Vec<_>, RpcError>>()?;
            context(chain, statuses)
        }
        "getTransaction" => methods::transaction::get_transaction(chain, params),
        "getSignaturesForAddress" => get_signatures_for_address(chain, params),
        // Namespaced control methods for local development and tests.
        "leash_getTokenList" => Ok(json!(chain.tokens())),
        "leash_getFaucet" => Ok(json!(chain.faucet().to_string())),
        "leash_mintTokens" => {
            let owner = pubkey(params, 0)?;
            let token: String = required(params, 1, "a mint address or token symbol")?;
            let amount: u64 = required(params, 2, "an amount in base units")?;
            let mint = match chain
                .tokens()
                .iter()
                .find(|t| t.symbol.eq_ignore_ascii_case(&token))
            {
                Some(t) => parse_pubkey(&t.mint)?,
                None => parse_pubkey(&token)?,
            };
            let signature = chain
                .mint_tokens(&owner, &mint, amount)
                .map_err(send_error)?;
            Ok(json!(signature.to_string()))
        }
        "leash_warpSlot" => {
            let slot: u64 = required(params, 0, "a slot")?;
            let current = chain.slot();
            if slot < current {
                return Err(RpcError::invalid_params(format!(
                    "cannot warp back to slot {slot}; the chain is at slot {current}"
                )));
            }
            // Bounded so that the slot stays far from u64::MAX, where it could no longer move.
            let furthest = current.saturating_add(MAX_WARP_SLOTS);
            if slot > furthest {
                return Err(RpcError::invalid_params(format!(
                    "cannot warp to slot {slot}: a warp moves at most {MAX_WARP_SLOTS} slots \
                     ahead; the chain is at slot {current}, so the furthest is slot {furthest}"
                )));
            }
            chain.advance_slot(slot);
            Ok(json!(chain.slot()))
        }
        "leash_setUnixTimestamp" => {
            let unix_timestamp: i64 = required(params, 0, "a unix timestamp in seconds")?;
            chain.set_unix_timestamp(unix_timestamp);
            Ok(json!(chain.unix_timestamp()))
        }
        other => methods::call(chain, other, params, address)
            .unwrap_or_else(|| Err(RpcError::method_not_found(other))),
    }
}

pub(crate) fn status(err: &Option<TransactionError>) -> Value {
    match err {
        None => json!({"Ok": null}),
        Some(e) => json!({"Err": e}),
    }
}

fn mint_decimals(chain: &Chain, mint: &Pubkey) -> Option<u8> {
    let account = chain.account(mint)?;
    token_account::is_token_program(&account.owner)
        .then(|| spl::mint_decimals(&account.data))
        .flatten()
}

fn encode(chain: &Chain, account: &Account, config: &RpcAccountInfoConfig) -> RpcResult {
    let encoding = config.encoding.unwrap_or(UiAccountEncoding::Binary);
    let ui = ui_account(account, encoding, config.data_slice, &|mint| {
        mint_decimals(chain, mint)
    })?;
    serde_json::to_value(ui).map_err(|e| RpcError::internal(e.to_string()))
}

fn keyed(
    chain: &Chain,
    accounts: Vec<(Pubkey, Account)>,
    config: &RpcAccountInfoConfig,
) -> Result<Vec<Value>, RpcError> {
    limits::check_estimate(accounts.iter().map(|(_, a)| a.data.len()), config)?;
    accounts
        .into_iter()
        .map(|(address, account)| {
            Ok(json!({"pubkey": address.to_string(), "account": encode(chain, &account, config)?}))
        })
        .collect()
}

/// What `getProgramAccounts` found on the executor, for encoding in the request's task.
struct FoundAccounts {
    slot: u64,
    accounts: Vec<(Pubkey, Account)>,
    decimals: std::collections::HashMap<Pubkey, Option<u8>>,
}

/// Scans on the executor (stopping once the answer would exceed the request's response budget),
/// then encodes in a blocking task: a big read does not hold the executor while it is encoded.
async fn get_program_accounts(rpc: &Rpc, params: Value) -> RpcResult {
    let program = pubkey(&params, 0)?;
    let config: RpcProgramAccountsConfig = optional(&params, 1)?;
    let filters = config.filters.clone().unwrap_or_default();
    for filter in &filters {
        filter
            .verify()
            .map_err(|e| RpcError::invalid_params(format!("Invalid param: {e}")))?;
    }
    let (remaining, limit) = limits::remaining_budget();
    let account_config = config.account_config.clone();
    let encoding = account_config.encoding.unwrap_or(UiAccountEncoding::Binary);
    let slice = account_config.data_slice;
    let found = query(&rpc.executor, Access::Read, move |chain| {
        methods::check_min_context_slot(chain, &params)?;
        let (mut estimate, mut too_large) = (0usize, false);
        let mut accounts = Vec::new();
        // Matches are copied only while the answer would fit the budget.
        chain.scan_program_accounts(&program, |address, account| {
            if !filters
                .iter()
                .all(|f| filter_allows(f, account.owner(), account.data()))
            {
                return true;
            }
            estimate +=
                limits::estimated_account_json(account.data().len(), encoding, slice.as_ref());
            too_large = estimate > remaining;
            if !too_large {
                accounts.push((*address, Account::from(account.clone())));
            }
            !too_large
        });
        if too_large {
            return Err(limits::too_large(limit, true));
        }
        accounts.sort_by_key(|(address, _)| *address);
        let mut decimals = std::collections::HashMap::new();
        if encoding == UiAccountEncoding::JsonParsed {
            for (_, account) in &accounts {
                if let Some(view) = token_account::parse(&account.owner, &account.data) {
                    decimals
                        .entry(view.mint)
                        .or_insert_with(|| mint_decimals(chain, &view.mint));
                }
            }
        }
        Ok(FoundAccounts {
            slot: chain.slot(),
            accounts,
            decimals,
        })
    })
    .await?;
    off_executor(move || {
        let decimals = |mint: &Pubkey| found.decimals.get(mint).copied().flatten();
        let values = found
            .accounts
            .iter()
            .map(|(address, account)| {
                let ui = ui_account(account, encoding, slice, &decimals)?;
                Ok(json!({"pubkey": address.to_string(), "account": ui}))
            })
            .collect::<Result<Vec<_>, RpcError>>()?;
        if config.with_context.unwrap_or(false) {
            Ok(json!({
                "context": {"slot": found.slot, "apiVersion": SOLANA_CORE_VERSION},
                "value": values,
            }))
        } else {
            Ok(json!(values))
        }
    })
    .await
}

fn filter_allows(filter: &RpcFilterType, owner: &Pubkey, data: &[u8]) -> bool {
    match filter {
        RpcFilterType::DataSize(size) => data.len() as u64 == *size,
        RpcFilterType::Memcmp(memcmp) => memcmp.bytes_match(data),
        RpcFilterType::TokenAccountState => token_account::parse(owner, data).is_some(),
    }
}

fn get_token_accounts_by_owner(chain: &Chain, params: &Value) -> RpcResult {
    let owner = pubkey(params, 0)?;
    let filter: RpcTokenAccountsFilter =
        required(params, 1, "{\"mint\": …} or {\"programId\": …}")?;
    let config: RpcAccountInfoConfig = optional(params, 2)?;
    let (programs, mint) = match filter {
        RpcTokenAccountsFilter::Mint(mint) => {
            let mint = parse_pubkey(&mint)?;
            let account = chain
                .account(&mint)
                .ok_or_else(|| RpcError::invalid_params("Invalid param: could not find mint"))?;
            (vec![account.owner], Some(mint))
        }
        RpcTokenAccountsFilter::ProgramId(program) => {
            let program = parse_pubkey(&program)?;
            if !token_account::is_token_program(&program) {
                return Err(RpcError::invalid_params(
                    "Invalid param: unrecognized Token program id",
                ));
            }
            (vec![program], None)
        }
    };
    let mut accounts: Vec<(Pubkey, Account)> = programs
        .iter()
        .flat_map(|p| chain.program_accounts(p))
        .filter(|(_, account)| {
            token_account::parse(&account.owner, &account.data)
                .is_some_and(|view| view.owner == owner && mint.is_none_or(|m| view.mint == m))
        })
        .collect();
    accounts.sort_by_key(|(address, _)| *address);
    let values = keyed(chain, accounts, &config)?;
    context(chain, values)
}

async fn simulate_transaction(rpc: &Rpc, params: Value) -> RpcResult {
    let encoded: String = required(&params, 0, "an encoded transaction")?;
    let config: RpcSimulateTransactionConfig = optional(&params, 1)?;
    let tx = decode_transaction(&encoded, config.encoding)?;
    if config.sig_verify && config.replace_recent_blockhash {
        return Err(RpcError::invalid_params(
            "sigVerify may not be used with replaceRecentBlockhash",
        ));
    }
    rpc.executor
        .run(Access::Read, move |chain| {
            methods::check_min_context_slot(chain, &params)?;
            simulate(chain, tx, &config)
        })
        .await
}

fn simulate(
    chain: &mut Chain,
    mut tx: VersionedTransaction,
    config: &RpcSimulateTransactionConfig,
) -> RpcResult {
    let mut replacement = Value::Null;
    if config.replace_recent_blockhash {
        let (hash, last_valid) = chain.latest_blockhash();
        tx.message.set_recent_blockhash(hash);
        replacement = json!({"blockhash": hash.to_string(), "lastValidBlockHeight": last_valid});
    } else if !chain.is_blockhash_valid(tx.message.recent_blockhash()) {
        let mut value = simulation_result(Some(&TransactionError::BlockhashNotFound), None);
        value["replacementBlockhash"] = Value::Null;
        return context(chain, value);
    }
    let keys = tx.message.static_account_keys().to_vec();
    let (err, meta, post_accounts) = chain.simulate(tx, config.sig_verify);
    let mut value = simulation_result(err.as_ref(), Some(&meta));
    value["replacementBlockhash"] = replacement;
    if config.inner_instructions {
        let inner = crate::chain::inner_instructions(&meta.inner_instructions);
        value["innerInstructions"] =
            methods::transaction::ui_inner_instructions(&inner, &keys, true);
    }
    if let Some(requested) = &config.accounts {
        let account_config = RpcAccountInfoConfig {
            encoding: requested.encoding,
            ..Default::default()
        };
        let accounts = requested
            .addresses
            .iter()
            .map(|a| {
                let address = parse_pubkey(a)?;
                let account = post_accounts
                    .iter()
                    .find(|(k, _)| *k == address)
                    .map(|(_, acc)| acc.clone())
                    .or_else(|| chain.account(&address));
                account
                    .map(|acc| encode(chain, &acc, &account_config))
                    .transpose()
            })
            .collect::<Result<Vec<_>, RpcError>>()?;
        value["accounts"] = json!(accounts);
    }
    context(chain, value)
}

fn get_signatures_for_address(chain: &Chain, params: &Value) -> RpcResult {
    let address = pubkey(params, 0)?;
    let config: RpcSignaturesForAddressConfig = optional(params, 1)?;
    let limit = config.limit.unwrap_or(1000);
    if limit == 0 || limit > 1000 {
        return Err(RpcError::invalid_params("Invalid limit; max 1000"));
    }
    let store = chain.store();
    let sequence_of = |text: &str| -> Result<Option<u64>, RpcError> {
        let signature = parse_signature(text)?;
        let record = store
            .transaction(&signature_bytes(&signature))
            .map_err(|e| RpcError::internal(e.to_string()))?;
        Ok(record.map(|r| r.sequence))
    };
    let before = config
        .before
        .as_deref()
        .map(sequence_of)
        .transpose()?
        .flatten();
    let until = config
        .until
        .as_deref()
        .map(sequence_of)
        .transpose()?
        .flatten();
    let signatures = store
        .signatures_for_address(&address, before, limit)
        .map_err(|e| RpcError::internal(e.to_string()))?;
    let mut out = Vec::new();
    for signature in signatures {
        let Some(record) = store
            .transaction(&signature)
            .map_err(|e| RpcError::internal(e.to_string()))?
        else {
            continue;
        };
        if until.is_some_and(|u| record.sequence <= u) {
            break;
        }
        out.push(json!({
            "signature": Signature::from(signature).to_string(),
            "slot": record.slot,
            "err": record.err,
            "memo": crate::parsed::memo(&record.transaction),
            "blockTime": record.block_time,
            "confirmationStatus": "finalized",
        }));
    }
    Ok(json!(out))
}
