//! Sending: `sendTransaction`, `simulateTransaction` and the faucet's `requestAirdrop`, with
//! Solana's error shapes for refused transactions. Transactions are decoded (and their size
//! checked first) in the request's task, never on the executor.

use base64::{prelude::BASE64_STANDARD, Engine};
use serde_json::{json, Value};
use solana_rpc_client_types::config::{
    RpcAccountInfoConfig, RpcSendTransactionConfig, RpcSimulateTransactionConfig,
};
use solana_transaction::versioned::VersionedTransaction;
use solana_transaction_error::TransactionError;
use solana_transaction_status_client_types::UiTransactionEncoding;

use super::{accounts::encode, table::Method};
use crate::{
    chain::{Chain, SendError},
    executor::Executor,
    jsonrpc::{
        check_min_context_slot, context, optional, parse_pubkey, pubkey, required, RpcError,
        RpcResult,
    },
    limits,
};

/// Largest serialized transaction a validator accepts.
const PACKET_DATA_SIZE: usize = 1232;

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
        // A validator reports 0 for a transaction that did not load (its other figures null).
        "loadedAccountsDataSize": 0,
        "preBalances": null,
        "postBalances": null,
        "preTokenBalances": null,
        "postTokenBalances": null,
        "loadedAddresses": null,
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

/// How a refused send answers; a ledger failure through the typed [`RpcError::from`].
pub(crate) fn send_error(e: SendError) -> RpcError {
    match e {
        SendError::AlreadyProcessed => preflight_error(&TransactionError::AlreadyProcessed, None),
        SendError::BlockhashNotFound => preflight_error(&TransactionError::BlockhashNotFound, None),
        SendError::SignatureFailure => {
            RpcError::new(-32003, "Transaction signature verification failure")
        }
        SendError::Rejected(err) => preflight_error(&err, None),
        SendError::Preflight {
            err,
            meta,
            loaded_accounts_data_size,
        } => {
            let mut error = preflight_error(&err, Some(&meta));
            // As a validator: the loaded size with the failure, its balances null.
            if let Some(data) = error.data.as_mut() {
                data["loadedAccountsDataSize"] = json!(loaded_accounts_data_size);
            }
            error
        }
        SendError::Unsupported(why) => RpcError::invalid_params(why),
        SendError::Faucet(why) => RpcError::internal(why),
        SendError::Store(e) => RpcError::from(e),
    }
}

// ---------------------------------------------------------------------------------------------
// The methods.

pub async fn send_transaction(executor: &Executor, params: Value) -> RpcResult {
    let encoded: String = required(&params, 0, "an encoded transaction")?;
    let config: RpcSendTransactionConfig = optional(&params, 1)?;
    let tx = decode_transaction(&encoded, config.encoding)?;
    // A write runs once: the job is taken on its first (only) call.
    let mut tx = Some(tx);
    executor
        .run(Method::SendTransaction.access(), move |chain| {
            check_min_context_slot(chain.slot(), &params)?;
            let tx = tx
                .take()
                .ok_or_else(|| RpcError::internal("a transaction was sent twice"))?;
            // Preflight at `finalized` (the default) sees only finalized blockhashes: on a
            // lagging node one read at `confirmed` is "not found" there, as on a validator.
            if !config.skip_preflight
                && crate::jsonrpc::at_finalized(&params, "preflightCommitment")
                && chain.is_blockhash_valid(tx.message.recent_blockhash())
                && !chain.is_blockhash_finalized(tx.message.recent_blockhash())
            {
                return Err(send_error(SendError::BlockhashNotFound));
            }
            if chain.take_drop() {
                let signature = tx.signatures.first().copied().unwrap_or_default();
                return Ok(json!(signature.to_string()));
            }
            let signature = tx.signatures.first().copied().unwrap_or_default();
            match chain.send_transaction(tx, !config.skip_preflight) {
                Ok(landed) => Ok(json!(landed.to_string())),
                // Without preflight a validator's RPC checks nothing and forwards: a duplicate,
                // an unknown blockhash or a bad signature is answered with the signature and
                // never lands (the leader drops it), so a rebroadcast loop does not throw.
                Err(
                    SendError::AlreadyProcessed
                    | SendError::BlockhashNotFound
                    | SendError::SignatureFailure
                    | SendError::Rejected(_),
                ) if config.skip_preflight => Ok(json!(signature.to_string())),
                Err(e) => Err(send_error(e)),
            }
        })
        .await
}

pub async fn simulate_transaction(executor: &Executor, params: Value) -> RpcResult {
    let encoded: String = required(&params, 0, "an encoded transaction")?;
    let config: RpcSimulateTransactionConfig = optional(&params, 1)?;
    let tx = decode_transaction(&encoded, config.encoding)?;
    if config.sig_verify && config.replace_recent_blockhash {
        return Err(RpcError::invalid_params(
            "sigVerify may not be used with replaceRecentBlockhash",
        ));
    }
    executor
        .run(
            super::table::access(Method::SimulateTransaction, &params),
            move |chain| {
                check_min_context_slot(chain.slot(), &params)?;
                let finalized = crate::jsonrpc::at_finalized(&params, "commitment");
                simulate(chain, tx.clone(), &config, finalized)
            },
        )
        .await
}

fn simulate(
    chain: &mut Chain,
    mut tx: VersionedTransaction,
    config: &RpcSimulateTransactionConfig,
    finalized: bool,
) -> RpcResult {
    let mut replacement = Value::Null;
    if config.replace_recent_blockhash {
        let (hash, last_valid) = chain.latest_blockhash();
        tx.message.set_recent_blockhash(hash);
        replacement = json!({"blockhash": hash.to_string(), "lastValidBlockHeight": last_valid});
    } else if !chain.is_durable_nonce(&tx)
        && (!chain.is_blockhash_valid(tx.message.recent_blockhash())
            || (finalized && !chain.is_blockhash_finalized(tx.message.recent_blockhash())))
    {
        let mut value = simulation_result(Some(&TransactionError::BlockhashNotFound), None);
        value["replacementBlockhash"] = Value::Null;
        return context(chain.slot(), value);
    }
    if config.sig_verify && tx.verify_with_results().iter().any(|ok| !ok) {
        // As Agave: a bad signature is the JSON-RPC error, not a simulated failure.
        return Err(RpcError::new(
            -32003,
            "Transaction signature verification failure",
        ));
    }
    // A table that cannot be read fails the simulation itself, with the runtime's error.
    let simulation = chain.simulate(tx, config.sig_verify);
    let (meta, post_accounts) = (&simulation.meta, &simulation.post_accounts);
    let mut value = simulation_result(simulation.err.as_ref(), Some(meta));
    value["replacementBlockhash"] = replacement;
    value["loadedAddresses"] = super::transaction::ui_loaded_addresses(&simulation.loaded);
    value["loadedAccountsDataSize"] = json!(simulation.loaded_accounts_data_size);
    let balances = &simulation.balances;
    value["preBalances"] = json!(balances.pre);
    value["postBalances"] = json!(balances.post);
    value["preTokenBalances"] = super::transaction::ui_token_balances(&balances.pre_token, false);
    value["postTokenBalances"] = super::transaction::ui_token_balances(&balances.post_token, false);
    if config.inner_instructions {
        let inner = crate::chain::inner_instructions(&meta.inner_instructions);
        value["innerInstructions"] =
            super::transaction::ui_inner_instructions(&inner, &simulation.keys, true);
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
                    .map(|acc| encode(chain, &address, &acc, &account_config))
                    .transpose()
            })
            .collect::<Result<Vec<_>, RpcError>>()?;
        value["accounts"] = json!(accounts);
    }
    context(chain.slot(), value)
}

pub fn request_airdrop(chain: &mut Chain, params: &Value) -> RpcResult {
    let address = pubkey(params, 0)?;
    let lamports: u64 = required(params, 1, "lamports")?;
    let signature = chain.airdrop(&address, lamports).map_err(send_error)?;
    Ok(json!(signature.to_string()))
}
