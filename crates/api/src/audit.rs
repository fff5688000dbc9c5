//! The audit log: an append-only hash chain, each entry signed.
//!
//! `entry_hash = sha256(prev_hash ‖ canonical JSON of {seq, ts, actor, event_type, resource,
//! payload})` (hex), the first entry's `prev_hash` being 64 zeros; `signature` is the audit
//! key's ed25519 signature of the entry hash's 32 bytes (base58). Canonical JSON: object keys
//! sorted, no whitespace. Changing, removing or reordering any entry breaks the chain from there
//! on; forging a consistent chain needs the audit key (0600 under `LEASH_HOME`).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use solana_keypair::Keypair;
use solana_program::pubkey::Pubkey;
use solana_signature::Signature;
use solana_signer::Signer;

/// A stored audit entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct AuditRow {
    pub seq: i64,
    pub ts: i64,
    pub actor: String,
    pub event_type: String,
    pub resource: String,
    /// Canonical JSON text.
    pub payload: String,
    pub prev_hash: String,
    pub entry_hash: String,
    pub signature: String,
}

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// `value` as canonical JSON: keys sorted at every level, no whitespace.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                if let Some(v) = map.get(key) {
                    write_canonical(v, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The hash of an entry chained to `prev_hash`.
pub fn entry_hash(
    prev_hash: &str,
    seq: i64,
    ts: i64,
    actor: &str,
    event_type: &str,
    resource: &str,
    payload: &Value,
) -> String {
    let body = serde_json::json!({
        "seq": seq,
        "ts": ts,
        "actor": actor,
        "event_type": event_type,
        "resource": resource,
        "payload": payload,
    });
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(canonical_json(&body).as_bytes());
    hex(&hasher.finalize())
}

fn hash_bytes(entry_hash: &str) -> Option<[u8; 32]> {
    if entry_hash.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, chunk) in entry_hash.as_bytes().chunks(2).enumerate() {
        let text = std::str::from_utf8(chunk).ok()?;
        out[i] = u8::from_str_radix(text, 16).ok()?;
    }
    Some(out)
}

/// A new entry, chained and signed.
#[allow(clippy::too_many_arguments)]
pub fn make_entry(
    key: &Keypair,
    seq: i64,
    prev_hash: &str,
    ts: i64,
    actor: &str,
    event_type: &str,
    resource: &str,
    payload: &Value,
) -> AuditRow {
    let hash = entry_hash(prev_hash, seq, ts, actor, event_type, resource, payload);
    let signature = hash_bytes(&hash)
        .map(|bytes| key.sign_message(&bytes).to_string())
        .unwrap_or_default();
    AuditRow {
        seq,
        ts,
        actor: actor.to_string(),
        event_type: event_type.to_string(),
        resource: resource.to_string(),
        payload: canonical_json(payload),
        prev_hash: prev_hash.to_string(),
        entry_hash: hash,
        signature,
    }
}

/// What verifying a chain found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Verification {
    pub valid: bool,
    pub entries: usize,
    /// The last entry's hash (the chain's head), when valid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub head: Option<String>,
    /// The audit key the signatures were checked against.
    pub audit_key: String,
    /// The first entry that does not verify, and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_invalid_seq: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Checks the chain from its start: sequence, links, hashes and signatures by `audit_key`.
pub fn verify(rows: &[AuditRow], audit_key: &Pubkey) -> Verification {
    let fail = |seq: i64, reason: String| Verification {
        valid: false,
        entries: rows.len(),
        head: None,
        audit_key: audit_key.to_string(),
        first_invalid_seq: Some(seq),
        reason: Some(reason),
    };
    let mut prev = GENESIS.to_string();
    for (i, row) in rows.iter().enumerate() {
        let expected_seq = i64::try_from(i).unwrap_or(i64::MAX).saturating_add(1);
        if row.seq != expected_seq {
            return fail(
                row.seq,
                format!("entry {expected_seq} is missing (found seq {})", row.seq),
            );
        }
        if row.prev_hash != prev {
            return fail(
                row.seq,
                "prev_hash does not link to the entry before".into(),
            );
        }
        let Ok(payload) = serde_json::from_str::<Value>(&row.payload) else {
            return fail(row.seq, "payload is not JSON".into());
        };
        let hash = entry_hash(
            &prev,
            row.seq,
            row.ts,
            &row.actor,
            &row.event_type,
            &row.resource,
            &payload,
        );
        if hash != row.entry_hash {
            return fail(
                row.seq,
                "entry_hash does not match the entry's content".into(),
            );
        }
        let signed = hash_bytes(&hash).zip(row.signature.parse::<Signature>().ok());
        match signed {
            Some((bytes, signature)) if signature.verify(audit_key.as_ref(), &bytes) => {}
            _ => return fail(row.seq, "signature is not the audit key's".into()),
        }
        prev = hash;
    }
    Verification {
        valid: true,
        entries: rows.len(),
        head: rows.last().map(|r| r.entry_hash.clone()),
        audit_key: audit_key.to_string(),
        first_invalid_seq: None,
        reason: None,
    }
}

/// An export of the log: what `leash audit verify` checks offline.
#[derive(Clone, Debug, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Export {
    pub audit_key: String,
    pub entries: Vec<AuditRow>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(key: &Keypair, n: i64) -> Vec<AuditRow> {
        let mut rows: Vec<AuditRow> = Vec::new();
        for seq in 1..=n {
            let prev = rows
                .last()
                .map(|r| r.entry_hash.clone())
                .unwrap_or_else(|| GENESIS.into());
            rows.push(make_entry(
                key,
                seq,
                &prev,
                100 + seq,
                "key_1",
                "session.prepare",
                "session/x",
                &serde_json::json!({"b": 1, "a": [seq]}),
            ));
        }
        rows
    }

    #[test]
    fn canonical_json_sorts_keys() {
        let v = serde_json::json!({"b": {"d": 1, "c": "x"}, "a": [true, null]});
        assert_eq!(
            canonical_json(&v),
            r#"{"a":[true,null],"b":{"c":"x","d":1}}"#
        );
    }

    #[test]
    fn a_chain_verifies_and_every_tampering_is_found() {
        let key = Keypair::new();
        let rows = chain(&key, 4);
        assert!(verify(&rows, &key.pubkey()).valid);
        assert_eq!(
            verify(&rows, &key.pubkey()).head,
            Some(rows[3].entry_hash.clone())
        );

        let mut edited = rows.clone();
        edited[1].payload = r#"{"a":[9],"b":1}"#.into();
        let v = verify(&edited, &key.pubkey());
        assert_eq!((v.valid, v.first_invalid_seq), (false, Some(2)));

        let mut removed = rows.clone();
        removed.remove(2);
        assert_eq!(verify(&removed, &key.pubkey()).first_invalid_seq, Some(4));

        // Recomputing the hashes without the key: the signatures give it away.
        let forger = Keypair::new();
        let mut forged = rows.clone();
        forged[2].actor = "someone".into();
        for i in 2..4 {
            let prev = forged[i - 1].entry_hash.clone();
            let r = &forged[i];
            let payload: Value = serde_json::from_str(&r.payload).unwrap();
            forged[i] = make_entry(
                &forger,
                r.seq,
                &prev,
                r.ts,
                &r.actor,
                &r.event_type,
                &r.resource,
                &payload,
            );
        }
        let v = verify(&forged, &key.pubkey());
        assert_eq!((v.valid, v.first_invalid_seq), (false, Some(3)));
        assert!(v.reason.unwrap().contains("signature"));
    }
}
