//! Method families beyond the core account and transaction methods of [`crate::rpc`]:
//! transactions ([`transaction`]), blocks ([`block`]) and the cluster ([`cluster`]): what one
//! node that is its own cluster honestly answers.

pub mod block;
pub mod cluster;
pub mod transaction;

use serde_json::{json, Value};

use crate::{
    chain::Chain,
    rpc::{RpcError, RpcResult},
};

/// The methods of this module's families; `None` for a method none of them has.
pub fn call(
    chain: &mut Chain,
    method: &str,
    params: &Value,
    address: Option<std::net::SocketAddr>,
) -> Option<RpcResult> {
    Some(match method {
        "getBlock" => block::get_block(chain, params),
        "getBlocks" => block::get_blocks(chain, params),
        "getBlocksWithLimit" => block::get_blocks_with_limit(chain, params),
        "minimumLedgerSlot" | "getFirstAvailableBlock" => block::first_block(chain),
        "getRecentPrioritizationFees" => block::recent_prioritization_fees(chain, params),
        "getRecentPerformanceSamples" => block::recent_performance_samples(chain, params),
        "getBlockProduction" => block::block_production(chain, params),
        "getEpochSchedule" => Ok(cluster::epoch_schedule()),
        "getSupply" => cluster::supply(chain, params),
        "getLargestAccounts" => cluster::largest_accounts(chain, params),
        "getTokenLargestAccounts" => cluster::token_largest_accounts(chain, params),
        "getStakeMinimumDelegation" => cluster::stake_minimum_delegation(chain),
        "getVoteAccounts" => Ok(json!({"current": [], "delinquent": []})),
        "getClusterNodes" => Ok(cluster::cluster_nodes(chain, address)),
        "getIdentity" => Ok(json!({"identity": chain.identity().to_string()})),
        "getSlotLeader" => Ok(json!(chain.identity().to_string())),
        "getSlotLeaders" => cluster::slot_leaders(chain, params),
        "getLeaderSchedule" => cluster::leader_schedule(chain, params),
        "getInflationGovernor" => Ok(cluster::inflation_governor()),
        _ => return None,
    })
}

/// `minContextSlot`, on every method whose configuration takes it: refused with -32016 while the
/// node's slot is below it.
pub fn check_min_context_slot(chain: &Chain, params: &Value) -> Result<(), RpcError> {
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
