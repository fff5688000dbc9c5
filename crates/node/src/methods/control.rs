//! The namespaced `leash_*` control methods for local development and tests: the token list, the
//! faucet, minting, and (with `--allow-time-travel`) moving the slot or the clock.

use serde_json::{json, Value};

use super::send::send_error;
use crate::{
    chain::{Chain, MAX_WARP_SLOTS},
    jsonrpc::{parse_pubkey, pubkey, required, RpcError, RpcResult},
};

pub fn mint_tokens(chain: &mut Chain, params: &Value) -> RpcResult {
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

pub fn warp_slot(chain: &mut Chain, params: &Value) -> RpcResult {
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

/// Loses the next `n` transactions sent with `sendTransaction`: each is answered with its
/// signature, as a real RPC node answers before forwarding, and never executed — what a packet
/// lost on the way to the leader looks like to a client (tests of rebroadcast).
pub fn drop_transactions(chain: &mut Chain, params: &Value) -> RpcResult {
    let n: u64 = required(params, 0, "how many transactions to lose")?;
    chain.drop_next_transactions(n);
    Ok(json!(n))
}

pub fn set_unix_timestamp(chain: &mut Chain, params: &Value) -> RpcResult {
    let unix_timestamp: i64 = required(params, 0, "a unix timestamp in seconds")?;
    chain.set_unix_timestamp(unix_timestamp);
    Ok(json!(chain.unix_timestamp()))
}
