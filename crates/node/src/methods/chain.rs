//! The chain's clock and identity: health, version, slot and block height, epoch, blockhashes,
//! fees, rent and block times.

use base64::{prelude::BASE64_STANDARD, Engine};
use serde_json::{json, Value};
use solana_hash::Hash;
use solana_message::VersionedMessage;

use crate::{
    chain::{Chain, SLOTS_PER_EPOCH},
    jsonrpc::{context, required, RpcError, RpcResult, SOLANA_CORE_VERSION},
};

/// The identifier of the runtime's feature set, as a validator reports it: the first four bytes
/// of the hash over its features (every one active here).
pub fn feature_set() -> u32 {
    let id = agave_feature_set::ID.to_bytes();
    u32::from_le_bytes([id[0], id[1], id[2], id[3]])
}

/// `getVersion`; `leash` names this node's own version beside the runtime's.
pub fn version() -> Value {
    json!({"solana-core": SOLANA_CORE_VERSION, "feature-set": feature_set(), "leash": env!("CARGO_PKG_VERSION")})
}

pub fn get_block_time(chain: &Chain, params: &Value) -> RpcResult {
    let slot: u64 = required(params, 0, "a slot")?;
    if slot > chain.slot() {
        return Err(RpcError::new(
            -32004,
            format!("Block not available for slot {slot}"),
        ));
    }
    // The current slot's time exactly; an earlier block's recorded time; earlier slots with no
    // recorded block (older ledgers) estimated at 400 ms per slot.
    if let Some(block) = (slot < chain.slot())
        .then(|| chain.store().block(slot))
        .transpose()?
        .flatten()
    {
        return Ok(json!(block.block_time));
    }
    let behind = i64::try_from((chain.slot() - slot).saturating_mul(2) / 5).unwrap_or(i64::MAX);
    Ok(json!(chain.unix_timestamp().saturating_sub(behind)))
}

pub fn epoch_info(chain: &Chain) -> Value {
    let slot = chain.slot();
    json!({
        "absoluteSlot": slot,
        "blockHeight": slot,
        "epoch": slot / SLOTS_PER_EPOCH,
        "slotIndex": slot % SLOTS_PER_EPOCH,
        "slotsInEpoch": SLOTS_PER_EPOCH,
        "transactionCount": chain.transaction_count(),
    })
}

pub fn latest_blockhash(chain: &Chain, params: &Value) -> RpcResult {
    // At `finalized` on a lagging node: the newest blockhash of a finalized slot.
    let (hash, last_valid) = if crate::jsonrpc::at_finalized(params, "commitment") {
        chain.finalized_blockhash()
    } else {
        chain.latest_blockhash()
    };
    context(
        chain.slot(),
        json!({"blockhash": hash.to_string(), "lastValidBlockHeight": last_valid}),
    )
}

pub fn is_blockhash_valid(chain: &Chain, params: &Value) -> RpcResult {
    let text: String = required(params, 0, "a blockhash")?;
    let hash: Hash = text.parse().map_err(|_| {
        RpcError::invalid_params(format!("Invalid param: {text:?} is not a blockhash"))
    })?;
    context(chain.slot(), chain.is_blockhash_valid(&hash))
}

pub fn fee_for_message(chain: &Chain, params: &Value) -> RpcResult {
    let encoded: String = required(params, 0, "a base64 message")?;
    let bytes = BASE64_STANDARD
        .decode(&encoded)
        .map_err(|e| RpcError::invalid_params(format!("invalid base64: {e}")))?;
    let message: VersionedMessage = bincode::deserialize(&bytes)
        .map_err(|e| RpcError::invalid_params(format!("failed to deserialize message: {e}")))?;
    let fee = if chain.is_blockhash_valid(message.recent_blockhash()) {
        Some(
            u64::from(message.header().num_required_signatures)
                .saturating_mul(chain.lamports_per_signature())
                .saturating_add(prioritization_fee(&message)?),
        )
    } else {
        None
    };
    context(chain.slot(), fee)
}

/// The prioritization fee of `message`: its compute-unit price times its compute-unit limit
/// (asked for, or the runtime's default for its instructions), as the runtime charges it —
/// computed by the runtime's own compute-budget code.
fn prioritization_fee(message: &VersionedMessage) -> Result<u64, RpcError> {
    Ok(compute_budget(message)?.get_prioritization_fee())
}

/// `message`'s compute budget (limit, price) as the runtime reads it from its instructions.
pub(crate) fn compute_budget(
    message: &VersionedMessage,
) -> Result<solana_compute_budget::compute_budget_limits::ComputeBudgetLimits, RpcError> {
    let keys = message.static_account_keys();
    let mut instructions = Vec::with_capacity(message.instructions().len());
    for ix in message.instructions() {
        let program = keys.get(usize::from(ix.program_id_index)).ok_or_else(|| {
            RpcError::invalid_params("invalid message: a program index is out of range")
        })?;
        instructions.push((
            program,
            solana_svm_transaction::instruction::SVMInstruction::from(ix),
        ));
    }
    let limits = solana_compute_budget_instruction::instructions_processor::process_compute_budget_instructions(
        instructions.into_iter(),
        &agave_feature_set::FeatureSet::all_enabled(),
    )
    .map_err(|e| RpcError::invalid_params(format!("invalid compute budget instructions: {e}")))?;
    Ok(limits)
}

pub fn minimum_balance_for_rent_exemption(chain: &Chain, params: &Value) -> RpcResult {
    let len: usize = required(params, 0, "a data length")?;
    Ok(json!(chain.minimum_balance_for_rent_exemption(len)))
}
