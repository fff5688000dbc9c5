//! Transactions as `getTransaction` and `getBlock` show them: `base64`, `base58`, `json` and
//! `jsonParsed`, with inner instructions and token balances.

use base64::{prelude::BASE64_STANDARD, Engine};
use serde_json::{json, Value};
use solana_message::VersionedMessage;
use solana_program::pubkey::Pubkey;
use solana_rpc_client_types::config::RpcTransactionConfig;
use solana_transaction::versioned::VersionedTransaction;
use solana_transaction_status_client_types::UiTransactionEncoding;

use super::status::status;
use crate::{
    chain::{signature_bytes, Chain},
    encoding::token_amount,
    jsonrpc::{nth, optional, parse_signature, required, RpcError, RpcResult},
    parsed::parse_instruction,
    store::{InnerIx, LoadedAddresses, TokenBalance, TxRecord},
};

/// Which transaction versions the caller accepts (`maxSupportedTransactionVersion`).
fn check_version(tx: &VersionedTransaction, max_version: Option<u8>) -> Result<(), RpcError> {
    if matches!(tx.message, VersionedMessage::Legacy(_)) {
        return Ok(());
    }
    match max_version {
        Some(_) => Ok(()),
        None => Err(RpcError::new(
            -32015,
            "Transaction version (0) is not supported by the requesting client. Please try the \
             request again with the following configuration parameter: \
             \"maxSupportedTransactionVersion\": 0",
        )),
    }
}

fn version(tx: &VersionedTransaction) -> Value {
    match &tx.message {
        VersionedMessage::Legacy(_) => json!("legacy"),
        VersionedMessage::V0(_) => json!(0),
        _ => json!(1),
    }
}

/// `preTokenBalances` / `postTokenBalances`. Read back from a validator's ledger
/// (`from_ledger`), a zero balance's `uiAmount` is `null` (the stored form keeps no float for
/// zero) while `uiAmountString` is `"0"`; a simulation reports it as `0.0`.
pub fn ui_token_balances(balances: &[TokenBalance], from_ledger: bool) -> Value {
    json!(balances
        .iter()
        .map(|b| {
            let mut ui_token_amount = token_amount(b.amount, b.decimals);
            if from_ledger && b.amount == 0 {
                ui_token_amount.ui_amount = None;
            }
            json!({
                "accountIndex": b.account_index,
                "mint": Pubkey::new_from_array(b.mint).to_string(),
                "uiTokenAmount": ui_token_amount,
                "owner": Pubkey::new_from_array(b.owner).to_string(),
                "programId": Pubkey::new_from_array(b.program).to_string(),
            })
        })
        .collect::<Vec<_>>())
}

/// The accounts of an instruction as addresses (indexes out of range are skipped).
fn addresses(keys: &[Pubkey], indexes: &[u8]) -> Vec<Pubkey> {
    indexes
        .iter()
        .filter_map(|i| keys.get(usize::from(*i)).copied())
        .collect()
}

/// The stack height of a transaction's own instructions (inner ones are 2 and up).
const TOP_LEVEL_STACK_HEIGHT: u32 = 1;

/// `innerInstructions`: parsed (jsonParsed, simulations) or with account indexes (json).
pub fn ui_inner_instructions(inner: &[(u8, Vec<InnerIx>)], keys: &[Pubkey], parsed: bool) -> Value {
    let render = |ix: &InnerIx| {
        let height = Some(u32::from(ix.stack_height));
        match keys.get(usize::from(ix.program_id_index)) {
            Some(program) if parsed => {
                parse_instruction(program, &addresses(keys, &ix.accounts), &ix.data, height)
            }
            _ => json!({
                "programIdIndex": ix.program_id_index,
                "accounts": ix.accounts,
                "data": bs58::encode(&ix.data).into_string(),
                "stackHeight": height,
            }),
        }
    };
    json!(inner
        .iter()
        .map(|(index, ixs)| json!({
            "index": index,
            "instructions": ixs.iter().map(render).collect::<Vec<_>>(),
        }))
        .collect::<Vec<_>>())
}

/// `loadedAddresses` as the RPC writes it.
pub fn ui_loaded_addresses(loaded: &LoadedAddresses) -> Value {
    let text = |keys: &[[u8; 32]]| -> Vec<String> {
        keys.iter()
            .map(|k| Pubkey::new_from_array(*k).to_string())
            .collect()
    };
    json!({"writable": text(&loaded.writable), "readonly": text(&loaded.readonly)})
}

fn message_json(tx: &VersionedTransaction, parsed: bool, loaded: &LoadedAddresses) -> Value {
    let message = &tx.message;
    let keys = message.static_account_keys();
    let mut out = if parsed {
        let mut account_keys: Vec<Value> = keys
            .iter()
            .enumerate()
            .map(|(i, key)| {
                json!({
                    "pubkey": key.to_string(),
                    "writable": message.is_maybe_writable_with_reserved_addresses(
                        i,
                        None::<&std::collections::HashSet<Pubkey>>,
                    ),
                    "signer": message.is_signer(i),
                    "source": "transaction",
                })
            })
            .collect();
        let table_key = |key: &[u8; 32], writable: bool| {
            json!({
                "pubkey": Pubkey::new_from_array(*key).to_string(),
                "writable": writable,
                "signer": false,
                "source": "lookupTable",
            })
        };
        account_keys.extend(loaded.writable.iter().map(|k| table_key(k, true)));
        account_keys.extend(loaded.readonly.iter().map(|k| table_key(k, false)));
        let all_keys = crate::chain::account_keys(tx, loaded);
        let instructions: Vec<Value> = message
            .instructions()
            .iter()
            .map(|ix| match all_keys.get(usize::from(ix.program_id_index)) {
                // Top-level instructions run at stack height 1, as Agave records them.
                Some(program) => parse_instruction(
                    program,
                    &addresses(&all_keys, &ix.accounts),
                    &ix.data,
                    Some(TOP_LEVEL_STACK_HEIGHT),
                ),
                None => Value::Null,
            })
            .collect();
        json!({
            "accountKeys": account_keys,
            "recentBlockhash": message.recent_blockhash().to_string(),
            "instructions": instructions,
        })
    } else {
        let header = message.header();
        let instructions: Vec<Value> = message
            .instructions()
            .iter()
            .map(|ix| {
                json!({
                    "programIdIndex": ix.program_id_index,
                    "accounts": ix.accounts,
                    "data": bs58::encode(&ix.data).into_string(),
                    "stackHeight": TOP_LEVEL_STACK_HEIGHT,
                })
            })
            .collect();
        json!({
            "header": {
                "numRequiredSignatures": header.num_required_signatures,
                "numReadonlySignedAccounts": header.num_readonly_signed_accounts,
                "numReadonlyUnsignedAccounts": header.num_readonly_unsigned_accounts,
            },
            "accountKeys": keys.iter().map(|k| k.to_string()).collect::<Vec<_>>(),
            "recentBlockhash": message.recent_blockhash().to_string(),
            "instructions": instructions,
        })
    };
    if let VersionedMessage::V0(v0) = message {
        out["addressTableLookups"] = json!(v0
            .address_table_lookups
            .iter()
            .map(|lookup| json!({
                "accountKey": lookup.account_key.to_string(),
                "writableIndexes": lookup.writable_indexes,
                "readonlyIndexes": lookup.readonly_indexes,
            }))
            .collect::<Vec<_>>());
    }
    out
}

/// `{transaction, meta, version}` of a record (without `slot` and `blockTime`).
pub fn transaction_with_meta(
    record: &TxRecord,
    encoding: UiTransactionEncoding,
    max_version: Option<u8>,
) -> RpcResult {
    let tx: VersionedTransaction =
        bincode::deserialize(&record.transaction).map_err(|e| RpcError::internal(e.to_string()))?;
    check_version(&tx, max_version)?;
    let parsed = encoding == UiTransactionEncoding::JsonParsed;
    let transaction = match encoding {
        UiTransactionEncoding::Base64 => {
            json!([BASE64_STANDARD.encode(&record.transaction), "base64"])
        }
        UiTransactionEncoding::Base58 => {
            json!([bs58::encode(&record.transaction).into_string(), "base58"])
        }
        UiTransactionEncoding::Binary => json!(bs58::encode(&record.transaction).into_string()),
        UiTransactionEncoding::Json | UiTransactionEncoding::JsonParsed => json!({
            "signatures": tx.signatures.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            "message": message_json(&tx, parsed, &record.loaded_addresses),
        }),
    };
    let keys = &crate::chain::account_keys(&tx, &record.loaded_addresses);
    let mut meta = json!({
        "err": record.err,
        "status": status(&record.err),
        "fee": record.fee,
        "preBalances": record.pre_balances,
        "postBalances": record.post_balances,
        "innerInstructions": ui_inner_instructions(&record.details.inner_instructions, keys, parsed),
        "logMessages": record.logs,
        "preTokenBalances": ui_token_balances(&record.details.pre_token_balances, true),
        "postTokenBalances": ui_token_balances(&record.details.post_token_balances, true),
        "rewards": [],
        "computeUnitsConsumed": record.compute_units,
    });
    if let Some(cost_units) = record.cost_units {
        meta["costUnits"] = json!(cost_units);
    }
    if !parsed {
        meta["loadedAddresses"] = ui_loaded_addresses(&record.loaded_addresses);
    }
    if let Some((program, data)) = &record.return_data {
        meta["returnData"] = json!({
            "programId": Pubkey::new_from_array(*program).to_string(),
            "data": [BASE64_STANDARD.encode(data), "base64"],
        });
    }
    let mut answer = json!({"transaction": transaction, "meta": meta});
    // As Agave: `version` only for a client that said which versions it takes.
    if max_version.is_some() {
        answer["version"] = version(&tx);
    }
    Ok(answer)
}

/// `getTransaction`.
pub fn get_transaction(chain: &Chain, params: &Value) -> RpcResult {
    let text: String = required(params, 0, "a signature")?;
    let signature = parse_signature(&text)?;
    // The second parameter is a config object, or (deprecated) just an encoding string.
    let (encoding, max_version) = match nth(params, 1) {
        Some(Value::String(_)) => (
            required::<UiTransactionEncoding>(params, 1, "an encoding")?,
            None,
        ),
        _ => {
            let config = optional::<RpcTransactionConfig>(params, 1)?;
            (
                config.encoding.unwrap_or(UiTransactionEncoding::Json),
                config.max_supported_transaction_version,
            )
        }
    };
    let record = chain.store().transaction(&signature_bytes(&signature))?;
    let Some(record) = record else {
        return Ok(Value::Null);
    };
    let mut value = transaction_with_meta(&record, encoding, max_version)?;
    value["slot"] = json!(record.slot);
    value["blockTime"] = json!(record.block_time);
    Ok(value)
}
