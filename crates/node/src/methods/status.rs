//! Signatures: `getSignatureStatuses` and `getSignaturesForAddress`, from the ledger's records.
//! Every recorded transaction is finalized — this node is its own supermajority — unless the
//! node lags finality (`--finality-lag`), where it is `confirmed` until its slot is. A
//! transaction executed but not yet durable (its group commit in flight) is `processed`.

use serde_json::{json, Value};
use solana_rpc_client_types::config::RpcSignaturesForAddressConfig;
use solana_signature::Signature;
use solana_transaction_error::TransactionError;

use crate::{
    chain::{signature_bytes, Chain},
    jsonrpc::{context, optional, parse_signature, pubkey, required, RpcError, RpcResult},
};

/// A transaction's `status` field: `{"Ok": null}` or `{"Err": …}`.
pub(crate) fn status(err: &Option<TransactionError>) -> Value {
    match err {
        None => json!({"Ok": null}),
        Some(e) => json!({"Err": e}),
    }
}

pub fn get_signature_statuses(chain: &Chain, params: &Value) -> RpcResult {
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
            let bytes = signature_bytes(&signature);
            // Executed but not yet durable: `processed` (what a crash could still take back).
            if let Some((slot, err)) = chain.processed(&bytes) {
                return Ok(Some(json!({
                    "slot": slot,
                    "confirmations": 0,
                    "err": err,
                    "status": status(&err.cloned()),
                    "confirmationStatus": "processed",
                })));
            }
            let record = chain.store().transaction(&bytes)?;
            let finalized = chain.finalized_slot();
            Ok(record.map(|r| {
                // On a lagging node (`--finality-lag`) a durable transaction is `confirmed`
                // until its slot is finalized.
                let (confirmations, level) = if r.slot <= finalized {
                    (Value::Null, "finalized")
                } else {
                    (json!(chain.slot().saturating_sub(r.slot)), "confirmed")
                };
                json!({
                    "slot": r.slot,
                    "confirmations": confirmations,
                    "err": r.err,
                    "status": status(&r.err),
                    "confirmationStatus": level,
                })
            }))
        })
        .collect::<Result<Vec<_>, RpcError>>()?;
    context(chain.slot(), statuses)
}

pub fn get_signatures_for_address(chain: &Chain, params: &Value) -> RpcResult {
    let address = pubkey(params, 0)?;
    let config: RpcSignaturesForAddressConfig = optional(params, 1)?;
    let limit = config.limit.unwrap_or(1000);
    if limit == 0 || limit > 1000 {
        return Err(RpcError::invalid_params("Invalid limit; max 1000"));
    }
    let store = chain.store();
    let sequence_of = |text: &str| -> Result<Option<u64>, RpcError> {
        let signature = parse_signature(text)?;
        let record = store.transaction(&signature_bytes(&signature))?;
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
    let signatures = store.signatures_for_address(&address, before, limit)?;
    let mut out = Vec::new();
    for signature in signatures {
        let Some(record) = store.transaction(&signature)? else {
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
