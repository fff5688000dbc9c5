//! Bounded work for every request (docs/node.md, "Limits"): the request body, the
//! calls per batch, the bytes per response, encoded transaction sizes checked before decoding,
//! idle connections timed out, and the open-file limit raised at start.

use std::{
    sync::atomic::{AtomicUsize, Ordering},
    time::Duration,
};

use crate::jsonrpc::RpcError;
use solana_account_decoder_client_types::{UiAccountEncoding, UiDataSliceConfig};
use solana_rpc_client_types::config::RpcAccountInfoConfig;
use solana_transaction::versioned::VersionedTransaction;
use solana_transaction_status_client_types::UiTransactionEncoding;

/// Largest base58 string that can encode a 1,232-byte transaction (Agave's `MAX_BASE58_SIZE`).
pub const MAX_BASE58_SIZE: usize = 1683;
/// Largest base64 string that can encode a 1,232-byte transaction (Agave's `MAX_BASE64_SIZE`).
pub const MAX_BASE64_SIZE: usize = 1644;
/// Largest serialized transaction a validator accepts.
pub const PACKET_DATA_SIZE: usize = 1232;
/// Agave's code for a scan that was aborted because its results exceeded a limit.
pub const SCAN_LIMIT_CODE: i64 = -32012;

/// What one request may cost.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest request body, in bytes (HTTP 413 past it).
    pub max_body_bytes: usize,
    /// Most calls in one batch.
    pub max_batch_calls: usize,
    /// Most bytes of JSON answered to one HTTP request, all calls of a batch together.
    pub max_response_bytes: usize,
    /// A connection with no bytes moving for this long is closed.
    pub idle_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 4 * 1024 * 1024,
            max_batch_calls: 100,
            max_response_bytes: 64 * 1024 * 1024,
            idle_timeout: Duration::from_secs(60),
        }
    }
}

/// Refuses an encoded transaction longer than any 1,232-byte transaction encodes to, before any
/// decoding (base58 decoding is quadratic in the length), with Agave's message.
pub fn check_encoded_transaction(
    encoded: &str,
    encoding: Option<UiTransactionEncoding>,
) -> Result<(), RpcError> {
    let (name, max) = match encoding.unwrap_or(UiTransactionEncoding::Base58) {
        UiTransactionEncoding::Base58 | UiTransactionEncoding::Binary => {
            ("base58", MAX_BASE58_SIZE)
        }
        UiTransactionEncoding::Base64 => ("base64", MAX_BASE64_SIZE),
        // Other encodings are refused by the decoder without decoding anything.
        _ => return Ok(()),
    };
    if encoded.len() > max {
        return Err(RpcError::invalid_params(format!(
            "{name} encoded {} too large: {} bytes (max: encoded/raw {max}/{PACKET_DATA_SIZE})",
            std::any::type_name::<VersionedTransaction>(),
            encoded.len(),
        )));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The response budget of one HTTP request.

/// Bytes of JSON one HTTP request may still be answered with.
#[derive(Debug)]
pub struct Budget {
    limit: usize,
    used: AtomicUsize,
}

tokio::task_local! {
    /// The budget of the HTTP request being answered (set by the endpoint).
    pub static BUDGET: Budget;
}

impl Budget {
    pub fn new(limit: usize) -> Budget {
        Budget {
            limit,
            used: AtomicUsize::new(0),
        }
    }

    pub fn remaining(&self) -> usize {
        self.limit.saturating_sub(self.used.load(Ordering::Relaxed))
    }

    /// Takes `bytes` from the budget; false (and nothing taken) if they do not fit.
    pub fn charge(&self, bytes: usize) -> bool {
        if bytes > self.remaining() {
            return false;
        }
        self.used.fetch_add(bytes, Ordering::Relaxed);
        true
    }

    pub fn limit(&self) -> usize {
        self.limit
    }
}

/// The current request's remaining budget and its limit; outside a request, the default limit.
pub fn remaining_budget() -> (usize, usize) {
    BUDGET
        .try_with(|b| (b.remaining(), b.limit()))
        .unwrap_or_else(|_| {
            let limit = Limits::default().max_response_bytes;
            (limit, limit)
        })
}

/// The error for an answer that would not fit the response budget.
pub fn too_large(limit: usize, scan: bool) -> RpcError {
    let what = if scan {
        "scan aborted: the accounts found"
    } else {
        "response too large: the answer"
    };
    RpcError::new(
        SCAN_LIMIT_CODE,
        format!(
            "{what} would exceed the node's limit of {limit} bytes per request ({} MiB, all calls \
             of a batch together); narrow the request with filters (memcmp, dataSize) or a \
             dataSlice, or split the batch",
            limit / (1024 * 1024)
        ),
    )
}

/// A generous estimate of the JSON bytes of one keyed account whose data is `data_len` bytes.
pub fn estimated_account_json(
    data_len: usize,
    encoding: UiAccountEncoding,
    slice: Option<&UiDataSliceConfig>,
) -> usize {
    const OVERHEAD: usize = 256;
    let len = match slice {
        Some(s) => data_len.saturating_sub(s.offset).min(s.length),
        None => data_len,
    };
    OVERHEAD
        + match encoding {
            UiAccountEncoding::Binary | UiAccountEncoding::Base58 => len * 138 / 100 + 1,
            UiAccountEncoding::JsonParsed => (len.div_ceil(3) * 4).max(1024),
            UiAccountEncoding::Base64 | UiAccountEncoding::Base64Zstd => len.div_ceil(3) * 4,
        }
}

/// Refuses, before encoding, accounts whose answer would exceed the default response limit
/// (methods that run whole on the executor; the endpoint still enforces the request's budget).
pub fn check_estimate(
    data_lens: impl Iterator<Item = usize>,
    config: &RpcAccountInfoConfig,
) -> Result<(), RpcError> {
    let encoding = config.encoding.unwrap_or(UiAccountEncoding::Binary);
    let limit = Limits::default().max_response_bytes;
    let mut total = 0usize;
    for len in data_lens {
        total += estimated_account_json(len, encoding, config.data_slice.as_ref());
        if total > limit {
            return Err(too_large(limit, true));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Connections: the guards are leash-net's, shared with `leash serve`.

pub use leash_net::{mark_in_flight, raise_open_file_limit, Connection, GuardedListener};

impl Limits {
    /// The connection guards of the RPC port (`websocket` false) or the PubSub port: the idle
    /// timeout given, a header timeout of at most 10 s, the default caps.
    pub fn connections(&self, websocket: bool) -> leash_net::ConnectionLimits {
        leash_net::ConnectionLimits {
            idle_timeout: self.idle_timeout,
            header_timeout: self.idle_timeout.min(Duration::from_secs(10)),
            websocket,
            ..leash_net::ConnectionLimits::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_sizes_are_checked_before_decoding() {
        let long = "z".repeat(MAX_BASE58_SIZE + 1);
        let e = check_encoded_transaction(&long, None).unwrap_err();
        assert_eq!(e.code, -32602);
        assert!(e.message.starts_with("base58 encoded "), "{}", e.message);
        assert!(e
            .message
            .ends_with("too large: 1684 bytes (max: encoded/raw 1683/1232)"));
        let e = check_encoded_transaction(
            &"A".repeat(MAX_BASE64_SIZE + 1),
            Some(UiTransactionEncoding::Base64),
        )
        .unwrap_err();
        assert!(e
            .message
            .contains("1645 bytes (max: encoded/raw 1644/1232)"));
        assert!(check_encoded_transaction(&"z".repeat(MAX_BASE58_SIZE), None).is_ok());
    }

    #[test]
    fn the_budget_refuses_what_does_not_fit() {
        let budget = Budget::new(10);
        assert!(budget.charge(6));
        assert!(!budget.charge(5));
        assert!(budget.charge(4));
        assert_eq!(budget.remaining(), 0);
    }
}
