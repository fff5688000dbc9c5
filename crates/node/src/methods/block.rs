//! Blocks: every slot the node passes through is a block (a `leash_warpSlot` skips the slots
//! between), recorded with its blockhash, parent and time; its transactions are those recorded
//! in that slot. Ledgers written before blocks were recorded have no blocks for their earlier
//! slots (answered as missing, like a validator's purged ledger).

use serde_json::{json, Value};
use solana_hash::Hash;
use solana_rpc_client_types::config::{RpcBlockConfig, RpcBlockProductionConfig};
use solana_signature::Signature;
use solana_transaction_status_client_types::{TransactionDetails, UiTransactionEncoding};

use super::transaction::transaction_with_meta;
use crate::{
    chain::{Chain, BLOCKHASH_VALIDITY_SLOTS, SLOTS_PER_EPOCH},
    jsonrpc::{context, nth, optional, required, RpcError, RpcResult},
};

/// The widest range `getBlocks` answers, as validators.
const MAX_GET_BLOCKS_RANGE: u64 = 500_000;

fn not_available(slot: u64) -> RpcError {
    RpcError::new(-32004, format!("Block not available for slot {slot}"))
}

pub fn get_block(chain: &Chain, params: &Value) -> RpcResult {
    let slot: u64 = required(params, 0, "a slot")?;
    let config = match nth(params, 1) {
        Some(Value::String(_)) => RpcBlockConfig {
            encoding: Some(required(params, 1, "an encoding")?),
            ..Default::default()
        },
        _ => optional::<RpcBlockConfig>(params, 1)?,
    };
    if slot > chain.slot() {
        return Err(not_available(slot));
    }
    let Some(block) = chain.store().block(slot)? else {
        return Err(RpcError::new(
            -32009,
            format!("Slot {slot} was skipped, or missing in long-term storage"),
        ));
    };
    let encoding = config.encoding.unwrap_or(UiTransactionEncoding::Json);
    let details = config.transaction_details.unwrap_or_default();
    let signatures = chain.store().slot_signatures(slot)?;
    let mut value = json!({
        "blockhash": Hash::new_from_array(block.blockhash).to_string(),
        "previousBlockhash": Hash::new_from_array(block.previous_blockhash).to_string(),
        "parentSlot": block.parent_slot,
        "blockTime": block.block_time,
        "blockHeight": slot,
    });
    match details {
        TransactionDetails::None => {}
        TransactionDetails::Signatures => {
            value["signatures"] = json!(signatures
                .iter()
                .map(|s| Signature::from(*s).to_string())
                .collect::<Vec<_>>());
        }
        TransactionDetails::Full | TransactionDetails::Accounts => {
            let mut transactions = Vec::with_capacity(signatures.len());
            for signature in &signatures {
                let Some(record) = chain.store().transaction(signature)? else {
                    continue;
                };
                if details == TransactionDetails::Full {
                    transactions.push(transaction_with_meta(
                        &record,
                        encoding,
                        config.max_supported_transaction_version,
                    )?);
                } else {
                    // `accounts`: the signatures and account list, and the balances.
                    let full = transaction_with_meta(
                        &record,
                        UiTransactionEncoding::JsonParsed,
                        config.max_supported_transaction_version,
                    )?;
                    let meta = &full["meta"];
                    transactions.push(json!({
                        "transaction": {
                            "signatures": full["transaction"]["signatures"],
                            "accountKeys": full["transaction"]["message"]["accountKeys"],
                        },
                        "meta": {
                            "err": meta["err"],
                            "status": meta["status"],
                            "fee": meta["fee"],
                            "preBalances": meta["preBalances"],
                            "postBalances": meta["postBalances"],
                            "preTokenBalances": meta["preTokenBalances"],
                            "postTokenBalances": meta["postTokenBalances"],
                        },
                    }));
                    if let (Some(version), Some(last)) =
                        (full.get("version"), transactions.last_mut())
                    {
                        last["version"] = version.clone();
                    }
                }
            }
            value["transactions"] = json!(transactions);
        }
    }
    // No stake, no votes: a block here pays no rewards.
    if config.rewards.unwrap_or(true) {
        value["rewards"] = json!([]);
    }
    Ok(value)
}

pub fn get_blocks(chain: &Chain, params: &Value) -> RpcResult {
    let start: u64 = required(params, 0, "a start slot")?;
    let end = match nth(params, 1) {
        Some(Value::Number(_)) => required::<u64>(params, 1, "an end slot")?,
        _ => chain.slot(),
    }
    .min(chain.slot());
    if end.saturating_sub(start) > MAX_GET_BLOCKS_RANGE {
        return Err(RpcError::invalid_params(format!(
            "Slot range too large; max {MAX_GET_BLOCKS_RANGE}"
        )));
    }
    let slots = chain.store().block_slots(start, end, usize::MAX)?;
    Ok(json!(slots))
}

pub fn get_blocks_with_limit(chain: &Chain, params: &Value) -> RpcResult {
    let start: u64 = required(params, 0, "a start slot")?;
    let limit: u64 = required(params, 1, "a limit")?;
    if limit > MAX_GET_BLOCKS_RANGE {
        return Err(RpcError::invalid_params(format!(
            "Limit too large; max {MAX_GET_BLOCKS_RANGE}"
        )));
    }
    let slots = chain
        .store()
        .block_slots(start, chain.slot(), limit as usize)?;
    Ok(json!(slots))
}

/// `minimumLedgerSlot` and `getFirstAvailableBlock`: the first recorded block.
pub fn first_block(chain: &Chain) -> RpcResult {
    let first = chain.store().first_block()?;
    Ok(json!(first.unwrap_or(chain.slot())))
}

/// No fee market on one node: every recent block's prioritization fee is 0.
/// `getRecentPrioritizationFees`, as Agave's fee cache answers it: for each of the last 150
/// blocks, the lowest compute-unit price (µlamports) a transaction in it paid, raised to the
/// lowest price paid by the transactions writing each given account (0 where none did).
pub fn recent_prioritization_fees(chain: &Chain, params: &Value) -> RpcResult {
    let mut accounts = Vec::new();
    if let Some(addresses) = nth(params, 0) {
        let addresses: Vec<String> = serde_json::from_value(addresses.clone())
            .map_err(|e| RpcError::invalid_params(format!("invalid addresses: {e}")))?;
        if addresses.len() > 128 {
            return Err(RpcError::invalid_params(
                "Too many inputs provided; max 128",
            ));
        }
        for address in &addresses {
            accounts.push(crate::jsonrpc::parse_pubkey(address)?);
        }
    }
    let start = chain
        .slot()
        .saturating_sub(BLOCKHASH_VALIDITY_SLOTS.saturating_sub(1));
    let slots = chain.store().block_slots(start, chain.slot(), usize::MAX)?;
    let mut fees = Vec::with_capacity(slots.len());
    for slot in slots {
        let mut block_min: Option<u64> = None;
        let mut account_min: Vec<Option<u64>> = vec![None; accounts.len()];
        for signature in chain.store().slot_signatures(slot)? {
            let Some(record) = chain.store().transaction(&signature)? else {
                continue;
            };
            let Ok(tx) = bincode::deserialize::<solana_transaction::versioned::VersionedTransaction>(
                &record.transaction,
            ) else {
                continue;
            };
            let Ok(budget) = super::chain::compute_budget(&tx.message) else {
                continue;
            };
            let price = budget.compute_unit_price;
            block_min = Some(block_min.map_or(price, |m| m.min(price)));
            let keys = tx.message.static_account_keys();
            for (i, account) in accounts.iter().enumerate() {
                let writes = keys.iter().enumerate().any(|(k, key)| {
                    key == account
                        && tx.message.is_maybe_writable_with_reserved_addresses(
                            k,
                            None::<&std::collections::HashSet<solana_program::pubkey::Pubkey>>,
                        )
                }) || record
                    .loaded_addresses
                    .writable
                    .contains(&account.to_bytes());
                if writes {
                    account_min[i] = Some(account_min[i].map_or(price, |m| m.min(price)));
                }
            }
        }
        let fee = account_min
            .iter()
            .flatten()
            .fold(block_min.unwrap_or(0), |fee, account| fee.max(*account));
        fees.push(json!({"slot": slot, "prioritizationFee": fee}));
    }
    Ok(Value::Array(fees))
}

/// The node keeps no performance samples.
pub fn recent_performance_samples(_chain: &Chain, params: &Value) -> RpcResult {
    if let Some(limit) = nth(params, 0) {
        let limit: usize = serde_json::from_value(limit.clone())
            .map_err(|e| RpcError::invalid_params(format!("invalid limit: {e}")))?;
        if limit > 720 {
            return Err(RpcError::invalid_params("Invalid limit; max 720"));
        }
    }
    Ok(json!([]))
}

/// Every slot's leader is this node; it produced the blocks it recorded.
pub fn block_production(chain: &Chain, params: &Value) -> RpcResult {
    let config: RpcBlockProductionConfig = optional(params, 0)?;
    let identity = chain.identity().to_string();
    let current = chain.slot();
    let (first, last) = match &config.range {
        Some(range) => (range.first_slot, range.last_slot.unwrap_or(current)),
        None => (current - current % SLOTS_PER_EPOCH, current),
    };
    if last < first {
        return Err(RpcError::invalid_params(format!(
            "lastSlot, {last}, cannot be less than firstSlot, {first}"
        )));
    }
    if last > current {
        return Err(RpcError::invalid_params(format!(
            "lastSlot, {last}, cannot be greater than the current slot, {current}"
        )));
    }
    let mut by_identity = serde_json::Map::new();
    if config.identity.as_deref().is_none_or(|i| i == identity) {
        let produced = chain.store().block_slots(first, last, usize::MAX)?.len();
        let leader_slots = last - first + 1;
        by_identity.insert(identity, json!([leader_slots, produced]));
    }
    context(
        chain.slot(),
        json!({"byIdentity": by_identity, "range": {"firstSlot": first, "lastSlot": last}}),
    )
}
