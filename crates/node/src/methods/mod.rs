//! The JSON-RPC methods the node answers: [`Method`] names each one, decides whether it reads or
//! writes the chain and dispatches it to its family's module: [`accounts`], [`send`],
//! [`status`], [`chain`] (slots, blockhashes, epoch, health), [`transaction`], [`block`],
//! [`cluster`] (what one node that is its own cluster honestly answers) and [`control`] (the
//! `leash_*` methods). [`crate::rpc`] keeps the JSON-RPC envelope.

pub mod accounts;
pub mod block;
pub mod chain;
pub mod cluster;
pub mod control;
pub mod send;
pub mod status;
pub mod transaction;

use serde_json::{json, Value};

use crate::{
    executor::Access,
    rpc::{Addresses, Rpc, RpcError, RpcResult},
};

/// One table: each method's variant, its JSON-RPC name and how it uses the chain: `Write`
/// changes it; `Read` shows state that may include transactions not yet durable (its answer waits
/// until they are); `Deferred` reads the durable ledger once what was executed before it is
/// durable; `Instant` shows nothing a crash could take back (the clock, identities, blocks).
macro_rules! methods {
    ($($variant:ident = $name:literal, $access:ident;)*) => {
        /// A JSON-RPC method the node answers.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Method {
            $($variant,)*
        }

        impl Method {
            /// Every method, in the table's order.
            pub const ALL: &'static [Method] = &[$(Method::$variant,)*];

            /// The method named `name` (exactly, as JSON-RPC names are case-sensitive).
            pub fn parse(name: &str) -> Option<Method> {
                match name {
                    $($name => Some(Method::$variant),)*
                    _ => None,
                }
            }

            /// Its JSON-RPC name.
            pub fn name(self) -> &'static str {
                match self {
                    $(Method::$variant => $name,)*
                }
            }

            /// How it uses the chain: the one place that decides how the executor runs it.
            pub fn access(self) -> Access {
                match self {
                    $(Method::$variant => Access::$access,)*
                }
            }
        }
    };
}

methods! {
    // The chain's clock and identity.
    GetHealth = "getHealth", Instant;
    GetVersion = "getVersion", Instant;
    GetSlot = "getSlot", Instant;
    GetBlockHeight = "getBlockHeight", Instant;
    GetTransactionCount = "getTransactionCount", Read;
    GetGenesisHash = "getGenesisHash", Instant;
    GetBlockTime = "getBlockTime", Instant;
    GetEpochInfo = "getEpochInfo", Instant;
    GetLatestBlockhash = "getLatestBlockhash", Instant;
    IsBlockhashValid = "isBlockhashValid", Instant;
    GetFeeForMessage = "getFeeForMessage", Instant;
    GetMinimumBalanceForRentExemption = "getMinimumBalanceForRentExemption", Instant;
    // Accounts.
    GetBalance = "getBalance", Read;
    GetAccountInfo = "getAccountInfo", Read;
    GetMultipleAccounts = "getMultipleAccounts", Read;
    GetProgramAccounts = "getProgramAccounts", Read;
    GetTokenAccountBalance = "getTokenAccountBalance", Read;
    GetTokenSupply = "getTokenSupply", Read;
    GetTokenAccountsByOwner = "getTokenAccountsByOwner", Read;
    // Sending.
    SendTransaction = "sendTransaction", Write;
    SimulateTransaction = "simulateTransaction", Read;
    RequestAirdrop = "requestAirdrop", Write;
    // Signatures and transactions.
    GetSignatureStatuses = "getSignatureStatuses", Deferred;
    GetSignaturesForAddress = "getSignaturesForAddress", Deferred;
    GetTransaction = "getTransaction", Deferred;
    // Blocks.
    GetBlock = "getBlock", Deferred;
    GetBlocks = "getBlocks", Instant;
    GetBlocksWithLimit = "getBlocksWithLimit", Instant;
    MinimumLedgerSlot = "minimumLedgerSlot", Instant;
    GetFirstAvailableBlock = "getFirstAvailableBlock", Instant;
    GetRecentPrioritizationFees = "getRecentPrioritizationFees", Instant;
    GetRecentPerformanceSamples = "getRecentPerformanceSamples", Instant;
    GetBlockProduction = "getBlockProduction", Instant;
    // The cluster.
    GetEpochSchedule = "getEpochSchedule", Instant;
    GetSupply = "getSupply", Read;
    GetLargestAccounts = "getLargestAccounts", Read;
    GetTokenLargestAccounts = "getTokenLargestAccounts", Read;
    GetStakeMinimumDelegation = "getStakeMinimumDelegation", Instant;
    GetVoteAccounts = "getVoteAccounts", Instant;
    GetClusterNodes = "getClusterNodes", Instant;
    GetIdentity = "getIdentity", Instant;
    GetSlotLeader = "getSlotLeader", Instant;
    GetSlotLeaders = "getSlotLeaders", Instant;
    GetLeaderSchedule = "getLeaderSchedule", Instant;
    GetInflationGovernor = "getInflationGovernor", Instant;
    // Namespaced control methods for local development and tests.
    LeashGetTokenList = "leash_getTokenList", Instant;
    LeashGetFaucet = "leash_getFaucet", Instant;
    LeashMintTokens = "leash_mintTokens", Write;
    LeashWarpSlot = "leash_warpSlot", Write;
    LeashSetUnixTimestamp = "leash_setUnixTimestamp", Write;
    LeashDropTransactions = "leash_dropTransactions", Write;
}

impl Method {
    /// The test controls, answered only with `--allow-time-travel`: moving the chain's slot or
    /// clock at will, and losing transactions on purpose.
    pub fn moves_time(self) -> bool {
        matches!(
            self,
            Method::LeashWarpSlot | Method::LeashSetUnixTimestamp | Method::LeashDropTransactions
        )
    }
}

/// Answers `name` with `params`: unknown methods -32601; decoding and heavy encoding
/// (`sendTransaction`, `simulateTransaction`, `getProgramAccounts`) in the request's task, the
/// rest wholly on the executor.
pub async fn dispatch(rpc: &Rpc, name: &str, params: Value) -> RpcResult {
    let method = Method::parse(name).ok_or_else(|| RpcError::method_not_found(name))?;
    if method.moves_time() && !rpc.allow_time_travel {
        // Moving time expires blockhashes and sessions for every client of the node: only a
        // node started for that (tests, local experiments) offers it.
        return Err(RpcError::new(
            -32601,
            format!(
                "{} is disabled: start the node with --allow-time-travel",
                method.name()
            ),
        ));
    }
    match method {
        Method::SendTransaction => send::send_transaction(rpc, params).await,
        Method::SimulateTransaction => send::simulate_transaction(rpc, params).await,
        Method::GetProgramAccounts => accounts::get_program_accounts(rpc, params).await,
        _ => {
            let addresses = rpc.addresses;
            let awaits = awaited_signatures(method, &params);
            rpc.executor
                .run_awaiting(access(method, &params), awaits, move |chain| {
                    call(chain, method, &params, addresses)
                })
                .await
        }
    }
}

/// How the executor runs `method` with `params`: a read that asks for `processed` is answered at
/// once, with whatever the executor has executed (as a validator's processed bank).
pub fn access(method: Method, params: &Value) -> Access {
    match method.access() {
        Access::Read | Access::Deferred if asks_processed(params) => Access::Instant,
        access => access,
    }
}

/// The transactions a status or `getTransaction` call asks about: the executor waits for their
/// commits only. Unparsable ones are left to the method to refuse.
fn awaited_signatures(method: Method, params: &Value) -> Vec<[u8; 64]> {
    let parse = |s: &Value| {
        let signature = s.as_str()?.parse::<solana_signature::Signature>().ok()?;
        Some(crate::chain::signature_bytes(&signature))
    };
    match method {
        Method::GetSignatureStatuses => params
            .get(0)
            .and_then(Value::as_array)
            .map(|signatures| signatures.iter().take(256).filter_map(parse).collect())
            .unwrap_or_default(),
        Method::GetTransaction => params.get(0).and_then(parse).into_iter().collect(),
        _ => Vec::new(),
    }
}

/// Whether a request is at `finalized`: its configuration object's `key` (`commitment`, or
/// `preflightCommitment` for `sendTransaction`) says `finalized` (or the old `max`/`root`), or
/// no object sets it — Solana's default commitment is `finalized`.
pub(crate) fn at_finalized(params: &Value, key: &str) -> bool {
    let set = params.as_array().and_then(|params| {
        params
            .iter()
            .find_map(|p| p.get(key).and_then(Value::as_str))
    });
    matches!(set, None | Some("finalized" | "max" | "root"))
}

/// Whether a configuration object among `params` sets `"commitment": "processed"`.
fn asks_processed(params: &Value) -> bool {
    params.as_array().is_some_and(|params| {
        params
            .iter()
            .any(|p| p.get("commitment").and_then(Value::as_str) == Some("processed"))
    })
}

/// Runs `method` on the chain (on the executor thread).
fn call(
    chain: &mut crate::chain::Chain,
    method: Method,
    params: &Value,
    addresses: Addresses,
) -> RpcResult {
    check_min_context_slot(chain, params)?;
    match method {
        Method::GetHealth => Ok(json!("ok")),
        Method::GetVersion => Ok(chain::version()),
        Method::GetSlot | Method::GetBlockHeight if at_finalized(params, "commitment") => {
            Ok(json!(chain.finalized_slot()))
        }
        Method::GetSlot | Method::GetBlockHeight => Ok(json!(chain.slot())),
        Method::GetTransactionCount => Ok(json!(chain.transaction_count())),
        Method::GetGenesisHash => Ok(json!(chain.genesis_hash())),
        Method::GetBlockTime => chain::get_block_time(chain, params),
        Method::GetEpochInfo => Ok(chain::epoch_info(chain)),
        Method::GetLatestBlockhash => chain::latest_blockhash(chain, params),
        Method::IsBlockhashValid => chain::is_blockhash_valid(chain, params),
        Method::GetFeeForMessage => chain::fee_for_message(chain, params),
        Method::GetMinimumBalanceForRentExemption => {
            chain::minimum_balance_for_rent_exemption(chain, params)
        }
        Method::GetBalance => accounts::get_balance(chain, params),
        Method::GetAccountInfo => accounts::get_account_info(chain, params),
        Method::GetMultipleAccounts => accounts::get_multiple_accounts(chain, params),
        Method::GetTokenAccountBalance => accounts::get_token_account_balance(chain, params),
        Method::GetTokenSupply => accounts::get_token_supply(chain, params),
        Method::GetTokenAccountsByOwner => accounts::get_token_accounts_by_owner(chain, params),
        Method::RequestAirdrop => send::request_airdrop(chain, params),
        Method::GetSignatureStatuses => status::get_signature_statuses(chain, params),
        Method::GetSignaturesForAddress => status::get_signatures_for_address(chain, params),
        Method::GetTransaction => transaction::get_transaction(chain, params),
        Method::GetBlock => block::get_block(chain, params),
        Method::GetBlocks => block::get_blocks(chain, params),
        Method::GetBlocksWithLimit => block::get_blocks_with_limit(chain, params),
        Method::MinimumLedgerSlot | Method::GetFirstAvailableBlock => block::first_block(chain),
        Method::GetRecentPrioritizationFees => block::recent_prioritization_fees(chain, params),
        Method::GetRecentPerformanceSamples => block::recent_performance_samples(chain, params),
        Method::GetBlockProduction => block::block_production(chain, params),
        Method::GetEpochSchedule => Ok(cluster::epoch_schedule()),
        Method::GetSupply => cluster::supply(chain, params),
        Method::GetLargestAccounts => cluster::largest_accounts(chain, params),
        Method::GetTokenLargestAccounts => cluster::token_largest_accounts(chain, params),
        Method::GetStakeMinimumDelegation => cluster::stake_minimum_delegation(chain),
        Method::GetVoteAccounts => Ok(json!({"current": [], "delinquent": []})),
        Method::GetClusterNodes => Ok(cluster::cluster_nodes(chain, addresses)),
        Method::GetIdentity => Ok(json!({"identity": chain.identity().to_string()})),
        Method::GetSlotLeader => Ok(json!(chain.identity().to_string())),
        Method::GetSlotLeaders => cluster::slot_leaders(chain, params),
        Method::GetLeaderSchedule => cluster::leader_schedule(chain, params),
        Method::GetInflationGovernor => Ok(cluster::inflation_governor()),
        Method::LeashGetTokenList => Ok(json!(chain.tokens())),
        Method::LeashGetFaucet => Ok(json!(chain.faucet().to_string())),
        Method::LeashMintTokens => control::mint_tokens(chain, params),
        Method::LeashWarpSlot => control::warp_slot(chain, params),
        Method::LeashDropTransactions => control::drop_transactions(chain, params),
        Method::LeashSetUnixTimestamp => control::set_unix_timestamp(chain, params),
        // Answered in the request's task by `dispatch`, never here.
        Method::SendTransaction | Method::SimulateTransaction | Method::GetProgramAccounts => Err(
            RpcError::internal(format!("{} is not answered on the executor", method.name())),
        ),
    }
}

/// `minContextSlot`, on every method whose configuration takes it: refused with -32016 while the
/// node's slot is below it.
pub fn check_min_context_slot(chain: &crate::chain::Chain, params: &Value) -> Result<(), RpcError> {
    let Some(params) = params.as_array() else {
        return Ok(());
    };
    let wanted = params
        .iter()
        .filter_map(|p| p.get("minContextSlot"))
        .filter_map(Value::as_u64)
        .max();
    match wanted {
        Some(min) if min > chain.slot() => Err(RpcError {
            code: -32016,
            message: "Minimum context slot has not been reached".into(),
            data: Some(json!({"contextSlot": chain.slot()})),
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_method_parses_back_from_its_name() {
        let mut names = std::collections::HashSet::new();
        for &method in Method::ALL {
            assert_eq!(Method::parse(method.name()), Some(method));
            assert!(names.insert(method.name()), "{} twice", method.name());
        }
        assert_eq!(Method::parse("getslot"), None);
        assert_eq!(Method::parse("nope"), None);
    }

    #[test]
    fn writes_are_exactly_the_methods_that_change_the_chain() {
        let writes: Vec<&str> = Method::ALL
            .iter()
            .filter(|m| m.access() == Access::Write)
            .map(|m| m.name())
            .collect();
        assert_eq!(
            writes,
            [
                "sendTransaction",
                "requestAirdrop",
                "leash_mintTokens",
                "leash_warpSlot",
                "leash_setUnixTimestamp",
                "leash_dropTransactions"
            ]
        );
        assert!(Method::ALL
            .iter()
            .filter(|m| m.moves_time())
            .all(|m| m.access() == Access::Write));
    }
}
