//! The cluster, which is this one node: its identity leads every slot, it has no votes, no
//! stake rewards and no fee market; supply is the sum of every account it holds.

use serde_json::{json, Value};
use solana_message::Message;
use solana_program::{instruction::Instruction, pubkey::Pubkey};
use solana_rpc_client_types::config::{
    RpcLargestAccountsConfig, RpcLargestAccountsFilter, RpcLeaderScheduleConfig, RpcSupplyConfig,
};
use solana_transaction::{versioned::VersionedTransaction, Transaction};

use crate::{
    chain::{Chain, SLOTS_PER_EPOCH},
    encoding::ui_token_amount,
    jsonrpc::{context, nth, optional, pubkey, required, RpcError, RpcResult, SOLANA_CORE_VERSION},
};
use leash_sdk::token_account;

/// How many accounts `getLargestAccounts` and `getTokenLargestAccounts` list, as validators.
const LARGEST: usize = 20;
const STAKE_PROGRAM: Pubkey =
    solana_program::pubkey!("Stake11111111111111111111111111111111111111");

/// 432 000 slots per epoch from slot 0, no warm-up (what `getEpochInfo` counts with).
pub fn epoch_schedule() -> Value {
    json!({
        "slotsPerEpoch": SLOTS_PER_EPOCH,
        "leaderScheduleSlotOffset": SLOTS_PER_EPOCH,
        "warmup": false,
        "firstNormalEpoch": 0,
        "firstNormalSlot": 0,
    })
}

/// The defaults of Solana's inflation governor; this node never pays inflation rewards.
pub fn inflation_governor() -> Value {
    json!({
        "initial": 0.08,
        "terminal": 0.015,
        "taper": 0.15,
        "foundation": 0.05,
        "foundationTerm": 7.0,
    })
}

/// `getInflationRate`: the rates of the schedule [`inflation_governor`] describes for the
/// current epoch, as a validator computes them (the total tapers yearly to the terminal rate;
/// the foundation's share lasts its term; validators take the rest). This node pays no
/// rewards (one node, no stake), but it answers what a cluster with this schedule would.
pub fn inflation_rate(chain: &Chain) -> Value {
    const INITIAL: f64 = 0.08;
    const TERMINAL: f64 = 0.015;
    const TAPER: f64 = 0.15;
    const FOUNDATION: f64 = 0.05;
    const FOUNDATION_TERM: f64 = 7.0;
    // 2.5 slots a second (160 ticks a second, 64 a slot) over a year of 365.242199 days.
    const SLOTS_PER_YEAR: f64 = 365.242_199 * 24.0 * 3600.0 * 160.0 / 64.0;
    let epoch = chain.slot() / SLOTS_PER_EPOCH;
    let year = (epoch * SLOTS_PER_EPOCH) as f64 / SLOTS_PER_YEAR;
    let total = (INITIAL * (1.0 - TAPER).powf(year)).max(TERMINAL);
    let foundation = if year < FOUNDATION_TERM {
        total * FOUNDATION
    } else {
        0.0
    };
    json!({
        "epoch": epoch,
        "foundation": foundation,
        "total": total,
        "validator": total - foundation,
    })
}

/// All lamports are circulating: no account is marked non-circulating here.
pub fn supply(chain: &Chain, params: &Value) -> RpcResult {
    let _config: RpcSupplyConfig = optional(params, 0)?;
    let total = chain
        .all_accounts()
        .fold(0u64, |sum, (_, lamports)| sum.saturating_add(lamports));
    context(
        chain.slot(),
        json!({
            "total": total,
            "circulating": total,
            "nonCirculating": 0,
            "nonCirculatingAccounts": [],
        }),
    )
}

pub fn largest_accounts(chain: &Chain, params: &Value) -> RpcResult {
    let config: RpcLargestAccountsConfig = optional(params, 0)?;
    let mut accounts: Vec<(Pubkey, u64)> = match config.filter {
        Some(RpcLargestAccountsFilter::NonCirculating) => vec![],
        _ => chain.all_accounts().collect(),
    };
    accounts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    accounts.truncate(LARGEST);
    context(
        chain.slot(),
        accounts
            .iter()
            .map(
                |(address, lamports)| json!({"address": address.to_string(), "lamports": lamports}),
            )
            .collect::<Vec<_>>(),
    )
}

pub fn token_largest_accounts(chain: &Chain, params: &Value) -> RpcResult {
    let mint = pubkey(params, 0)?;
    let account = chain
        .account(&mint)
        .ok_or_else(|| RpcError::invalid_params("Invalid param: could not find mint"))?;
    let display = chain
        .mint_display(&mint)
        .ok_or_else(|| RpcError::invalid_params("Invalid param: not a Token mint"))?;
    let mut holders: Vec<(Pubkey, u64)> = chain
        .program_accounts(&account.owner)
        .into_iter()
        .filter_map(|(address, account)| {
            let view = token_account::parse(&account.owner, &account.data)?;
            (view.mint == mint).then_some((address, view.amount))
        })
        .collect();
    holders.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    holders.truncate(LARGEST);
    context(
        chain.slot(),
        holders
            .iter()
            .map(|(address, amount)| {
                let mut value = json!(ui_token_amount(*amount, &display));
                value["address"] = json!(address.to_string());
                value
            })
            .collect::<Vec<_>>(),
    )
}

/// Asks the stake program itself (its `GetMinimumDelegation` instruction, simulated).
pub fn stake_minimum_delegation(chain: &mut Chain) -> RpcResult {
    let instruction = Instruction::new_with_bytes(STAKE_PROGRAM, &13u32.to_le_bytes(), vec![]);
    let mut message = Message::new(&[instruction], Some(&chain.faucet()));
    message.recent_blockhash = chain.latest_blockhash().0;
    let tx = VersionedTransaction::from(Transaction::new_unsigned(message));
    let simulation = chain.simulate(tx, false);
    let data = &simulation.meta.return_data.data;
    match (simulation.err, <[u8; 8]>::try_from(data.as_slice())) {
        (None, Ok(bytes)) => context(chain.slot(), u64::from_le_bytes(bytes)),
        (err, _) => Err(RpcError::internal(format!(
            "the stake program did not answer GetMinimumDelegation: {err:?}"
        ))),
    }
}

/// The node's RPC and PubSub addresses (`getClusterNodes` lists them).
#[derive(Clone, Copy, Debug, Default)]
pub struct Addresses {
    pub rpc: Option<std::net::SocketAddr>,
    pub pubsub: Option<std::net::SocketAddr>,
}

pub fn cluster_nodes(chain: &Chain, addresses: Addresses) -> Value {
    json!([{
        "pubkey": chain.identity().to_string(),
        "gossip": null,
        "tvu": null,
        "tpu": null,
        "tpuQuic": null,
        "tpuForwards": null,
        "tpuForwardsQuic": null,
        "tpuVote": null,
        "serveRepair": null,
        "rpc": addresses.rpc.map(|a| a.to_string()),
        "pubsub": addresses.pubsub.map(|a| a.to_string()),
        "version": SOLANA_CORE_VERSION,
        "featureSet": super::chain::feature_set(),
        "shredVersion": 0,
    }])
}

pub fn slot_leaders(chain: &Chain, params: &Value) -> RpcResult {
    let _start: u64 = required(params, 0, "a start slot")?;
    let limit: u64 = required(params, 1, "a limit")?;
    if limit > 5000 {
        return Err(RpcError::invalid_params(
            "Invalid limit; max 5000".to_string(),
        ));
    }
    let identity = chain.identity().to_string();
    Ok(json!(vec![identity; limit as usize]))
}

/// This node leads every slot of every epoch; known for the current and the next epoch.
pub fn leader_schedule(chain: &Chain, params: &Value) -> RpcResult {
    let (slot, config) = match nth(params, 0) {
        Some(Value::Number(_)) => (
            Some(required::<u64>(params, 0, "a slot")?),
            optional::<RpcLeaderScheduleConfig>(params, 1)?,
        ),
        _ => (None, optional::<RpcLeaderScheduleConfig>(params, 0)?),
    };
    let epoch = slot.unwrap_or(chain.slot()) / SLOTS_PER_EPOCH;
    let current = chain.slot() / SLOTS_PER_EPOCH;
    if epoch > current.saturating_add(1) {
        return Ok(Value::Null);
    }
    let identity = chain.identity().to_string();
    let mut schedule = serde_json::Map::new();
    if config.identity.as_deref().is_none_or(|i| i == identity) {
        schedule.insert(identity, json!((0..SLOTS_PER_EPOCH).collect::<Vec<_>>()));
    }
    Ok(Value::Object(schedule))
}
