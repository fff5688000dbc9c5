//! The JSON-RPC methods the node answers: [`Method`] names each one, decides whether it reads or
//! writes the chain and dispatches it to its family's module: [`accounts`], [`send`],
//! [`status`], [`chain`] (slots, blockhashes, epoch, health), [`transaction`], [`block`],
//! [`cluster`] (what one node that is its own cluster honestly answers) and [`control`] (the
//! `leash_*` methods). [`crate::jsonrpc`] keeps the JSON-RPC envelope; [`table`] the list.

pub mod accounts;
pub mod block;
pub mod chain;
pub mod cluster;
pub mod control;
pub mod send;
pub mod status;
pub mod transaction;

use serde_json::{json, Value};

mod table;

pub use cluster::Addresses;
pub use table::{access, Method};

use crate::{
    executor::Executor,
    jsonrpc::{self, at_finalized, check_min_context_slot, Request, RpcError, RpcResult},
};

/// What the JSON-RPC endpoint serves: the executor, and which optional methods answer.
#[derive(Clone)]
pub struct Rpc {
    pub executor: Executor,
    /// `leash_warpSlot` and `leash_setUnixTimestamp` answer only with `--allow-time-travel`.
    pub allow_time_travel: bool,
    /// Where this node listens, for `getClusterNodes`.
    pub addresses: Addresses,
}

/// Answers one parsed JSON-RPC request object; `None` for a notification (no `id`).
///
/// Every method reads or changes the chain on the executor thread ([`crate::executor`]); reads
/// see only committed transactions, writes are answered after their commit. Decoding
/// transactions and encoding `getProgramAccounts` happen in the request's task instead.
pub async fn handle_request(rpc: &Rpc, request: Value) -> Option<Value> {
    let request = match Request::parse(&request) {
        Ok(request) => request,
        Err((id, error)) => return Some(jsonrpc::response(id, Err(error))),
    };
    let result = dispatch(rpc, &request.method, request.params).await;
    // A notification (no id) gets no answer.
    request
        .id
        .is_some()
        .then(|| jsonrpc::response(request.id, result))
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
        Method::SendTransaction => send::send_transaction(&rpc.executor, params).await,
        Method::SimulateTransaction => send::simulate_transaction(&rpc.executor, params).await,
        Method::GetProgramAccounts => accounts::get_program_accounts(&rpc.executor, params).await,
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

/// Runs `method` on the chain (on the executor thread).
fn call(
    chain: &mut crate::chain::Chain,
    method: Method,
    params: &Value,
    addresses: Addresses,
) -> RpcResult {
    check_min_context_slot(chain.slot(), params)?;
    if method.needs_confirmed() && crate::jsonrpc::asks_processed(params) {
        // As Agave: these read what is at least confirmed; `processed` is refused, not ignored.
        return Err(RpcError::invalid_params(
            "Method does not support commitment below `confirmed`",
        ));
    }
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
        Method::GetTokenAccountsByDelegate => {
            accounts::get_token_accounts_by_delegate(chain, params)
        }
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
        Method::GetInflationRate => Ok(cluster::inflation_rate(chain)),
        // This node takes no snapshots: Agave's answer when it has none.
        Method::GetHighestSnapshotSlot => Err(RpcError::new(-32008, "No snapshot")),
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
