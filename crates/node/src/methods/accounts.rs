//! Accounts: `getAccountInfo`, `getMultipleAccounts`, `getBalance`, `getProgramAccounts` and the
//! SPL Token queries (`getTokenAccountBalance`, `getTokenSupply`, `getTokenAccountsByOwner`).

use serde_json::{json, Value};
use solana_account::{Account, ReadableAccount};
use solana_account_decoder_client_types::UiAccountEncoding;
use solana_program::pubkey::Pubkey;
use solana_rpc_client_types::{
    config::{RpcAccountInfoConfig, RpcProgramAccountsConfig, RpcTokenAccountsFilter},
    filter::RpcFilterType,
};

use super::table::Method;
use crate::{
    chain::Chain,
    encoding::{ui_account, ui_token_amount},
    executor::{Access, Executor},
    jsonrpc::{
        check_min_context_slot, context, optional, parse_pubkey, pubkey, required, RpcError,
        RpcResult, SOLANA_CORE_VERSION,
    },
    limits,
};
use leash_sdk::token_account;

pub fn get_balance(chain: &Chain, params: &Value) -> RpcResult {
    let address = pubkey(params, 0)?;
    context(
        chain.slot(),
        chain.account(&address).map(|a| a.lamports).unwrap_or(0),
    )
}

pub fn get_account_info(chain: &Chain, params: &Value) -> RpcResult {
    let address = pubkey(params, 0)?;
    let config: RpcAccountInfoConfig = optional(params, 1)?;
    let account = chain
        .account(&address)
        .map(|a| encode(chain, &address, &a, &config))
        .transpose()?;
    context(chain.slot(), account)
}

pub fn get_multiple_accounts(chain: &Chain, params: &Value) -> RpcResult {
    let addresses: Vec<String> = required(params, 0, "an array of addresses")?;
    if addresses.len() > 100 {
        return Err(RpcError::invalid_params(
            "Too many inputs provided; max 100",
        ));
    }
    let config: RpcAccountInfoConfig = optional(params, 1)?;
    let found = addresses
        .iter()
        .map(|a| {
            let address = parse_pubkey(a)?;
            Ok((address, chain.account(&address)))
        })
        .collect::<Result<Vec<_>, RpcError>>()?;
    limits::check_estimate(
        found
            .iter()
            .filter_map(|(_, a)| a.as_ref())
            .map(|a| a.data.len()),
        &config,
    )?;
    let accounts = found
        .iter()
        .map(|(address, acc)| {
            acc.as_ref()
                .map(|acc| encode(chain, address, acc, &config))
                .transpose()
        })
        .collect::<Result<Vec<_>, _>>()?;
    context(chain.slot(), accounts)
}

pub fn get_token_account_balance(chain: &Chain, params: &Value) -> RpcResult {
    let address = pubkey(params, 0)?;
    let account = chain
        .account(&address)
        .ok_or_else(|| RpcError::invalid_params("Invalid param: could not find account"))?;
    let view = token_account::parse(&account.owner, &account.data)
        .ok_or_else(|| RpcError::invalid_params("Invalid param: not a Token account"))?;
    let mint = chain
        .mint_display(&view.mint)
        .ok_or_else(|| RpcError::invalid_params("Invalid param: could not find mint"))?;
    context(chain.slot(), ui_token_amount(view.amount, &mint))
}

pub fn get_token_supply(chain: &Chain, params: &Value) -> RpcResult {
    let mint = pubkey(params, 0)?;
    let account = chain
        .account(&mint)
        .ok_or_else(|| RpcError::invalid_params("Invalid param: could not find mint"))?;
    let not_a_mint = || RpcError::invalid_params("Invalid param: not a Token mint");
    let view = token_account::parse_mint(&account.owner, &account.data).ok_or_else(not_a_mint)?;
    let display = chain.mint_display(&mint).ok_or_else(not_a_mint)?;
    context(chain.slot(), ui_token_amount(view.supply, &display))
}

/// Whose token accounts `getTokenAccountsBy…` lists.
#[derive(Clone, Copy)]
pub enum Holder {
    Owner,
    Delegate,
}

pub fn get_token_accounts_by_owner(chain: &Chain, params: &Value) -> RpcResult {
    token_accounts_by(chain, params, Holder::Owner)
}

pub fn get_token_accounts_by_delegate(chain: &Chain, params: &Value) -> RpcResult {
    token_accounts_by(chain, params, Holder::Delegate)
}

/// The token accounts whose owner (or delegate) is the first parameter, of a mint or a token
/// program, in address order.
fn token_accounts_by(chain: &Chain, params: &Value, holder: Holder) -> RpcResult {
    let owner = pubkey(params, 0)?;
    let filter: RpcTokenAccountsFilter =
        required(params, 1, "{\"mint\": …} or {\"programId\": …}")?;
    let config: RpcAccountInfoConfig = optional(params, 2)?;
    let (programs, mint) = match filter {
        RpcTokenAccountsFilter::Mint(mint) => {
            let mint = parse_pubkey(&mint)?;
            let account = chain
                .account(&mint)
                .ok_or_else(|| RpcError::invalid_params("Invalid param: could not find mint"))?;
            (vec![account.owner], Some(mint))
        }
        RpcTokenAccountsFilter::ProgramId(program) => {
            let program = parse_pubkey(&program)?;
            if !token_account::is_token_program(&program) {
                return Err(RpcError::invalid_params(
                    "Invalid param: unrecognized Token program id",
                ));
            }
            (vec![program], None)
        }
    };
    let mut accounts: Vec<(Pubkey, Account)> = programs
        .iter()
        .flat_map(|p| chain.program_accounts(p))
        .filter(|(_, account)| {
            token_account::parse(&account.owner, &account.data).is_some_and(|view| {
                let held = match holder {
                    Holder::Owner => view.owner == owner,
                    Holder::Delegate => view.delegate == Some(owner),
                };
                held && mint.is_none_or(|m| view.mint == m)
            })
        })
        .collect();
    accounts.sort_by_key(|(address, _)| *address);
    let values = keyed(chain, accounts, &config)?;
    context(chain.slot(), values)
}

/// An account as `config` asks, jsonParsed token accounts shown as their mint says.
pub(crate) fn encode(
    chain: &Chain,
    address: &Pubkey,
    account: &Account,
    config: &RpcAccountInfoConfig,
) -> RpcResult {
    let encoding = config.encoding.unwrap_or(UiAccountEncoding::Binary);
    let ui = ui_account(address, account, encoding, config.data_slice, &|mint| {
        chain.mint_display(mint)
    })?;
    serde_json::to_value(ui).map_err(|e| RpcError::internal(e.to_string()))
}

fn keyed(
    chain: &Chain,
    accounts: Vec<(Pubkey, Account)>,
    config: &RpcAccountInfoConfig,
) -> Result<Vec<Value>, RpcError> {
    limits::check_estimate(accounts.iter().map(|(_, a)| a.data.len()), config)?;
    accounts
        .into_iter()
        .map(|(address, account)| {
            Ok(json!({"pubkey": address.to_string(), "account": encode(chain, &address, &account, config)?}))
        })
        .collect()
}

/// Whether an account (its owner and data) passes a `getProgramAccounts` or `programSubscribe`
/// filter.
pub(crate) fn filter_allows(filter: &RpcFilterType, owner: &Pubkey, data: &[u8]) -> bool {
    match filter {
        RpcFilterType::DataSize(size) => data.len() as u64 == *size,
        RpcFilterType::Memcmp(memcmp) => memcmp.bytes_match(data),
        RpcFilterType::TokenAccountState => token_account::parse(owner, data).is_some(),
    }
}

/// Runs `job` on the executor and hands back its typed answer, once the executor releases it
/// (a read's answer waits until the state it saw is durable; `job` may run again if that fails).
async fn query<T: Send + 'static>(
    executor: &Executor,
    access: Access,
    mut job: impl FnMut(&mut Chain) -> Result<T, RpcError> + Send + 'static,
) -> Result<T, RpcError> {
    let answer = std::sync::Arc::new(std::sync::Mutex::new(None));
    let slot = answer.clone();
    executor
        .run(access, move |chain| {
            let result = job(chain);
            let failed = result.as_ref().err().cloned();
            if let Ok(mut slot) = slot.lock() {
                *slot = Some(result);
            }
            failed.map_or(Ok(Value::Null), Err)
        })
        .await?;
    let result = answer.lock().ok().and_then(|mut slot| slot.take());
    result.unwrap_or_else(|| Err(RpcError::internal("the node is shutting down")))
}

/// Runs CPU-heavy work (encoding many accounts) off the async workers and the executor.
async fn off_executor<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, RpcError> + Send + 'static,
) -> Result<T, RpcError> {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|e| Err(RpcError::internal(e.to_string())))
}

/// What `getProgramAccounts` found on the executor, for encoding in the request's task.
struct FoundAccounts {
    slot: u64,
    accounts: Vec<(Pubkey, Account)>,
    mints: std::collections::HashMap<Pubkey, Option<crate::encoding::MintDisplay>>,
}

/// Scans on the executor (stopping once the answer would exceed the request's response budget),
/// then encodes in a blocking task: a big read does not hold the executor while it is encoded.
pub async fn get_program_accounts(executor: &Executor, params: Value) -> RpcResult {
    let program = pubkey(&params, 0)?;
    let config: RpcProgramAccountsConfig = optional(&params, 1)?;
    let filters = config.filters.clone().unwrap_or_default();
    for filter in &filters {
        filter
            .verify()
            .map_err(|e| RpcError::invalid_params(format!("Invalid param: {e}")))?;
    }
    let (remaining, limit) = limits::remaining_budget();
    let account_config = config.account_config.clone();
    let encoding = account_config.encoding.unwrap_or(UiAccountEncoding::Binary);
    let slice = account_config.data_slice;
    let access = super::table::access(Method::GetProgramAccounts, &params);
    let found = query(executor, access, move |chain| {
        check_min_context_slot(chain.slot(), &params)?;
        let (mut estimate, mut too_large) = (0usize, false);
        let mut accounts = Vec::new();
        // Matches are copied only while the answer would fit the budget.
        chain.scan_program_accounts(&program, |address, account| {
            if !filters
                .iter()
                .all(|f| filter_allows(f, account.owner(), account.data()))
            {
                return true;
            }
            estimate +=
                limits::estimated_account_json(account.data().len(), encoding, slice.as_ref());
            too_large = estimate > remaining;
            if !too_large {
                accounts.push((*address, Account::from(account.clone())));
            }
            !too_large
        });
        if too_large {
            return Err(limits::too_large(limit, true));
        }
        accounts.sort_by_key(|(address, _)| *address);
        let mut mints = std::collections::HashMap::new();
        if encoding == UiAccountEncoding::JsonParsed {
            for (_, account) in &accounts {
                if let Some(view) = token_account::parse(&account.owner, &account.data) {
                    mints
                        .entry(view.mint)
                        .or_insert_with(|| chain.mint_display(&view.mint));
                }
            }
        }
        Ok(FoundAccounts {
            slot: chain.slot(),
            accounts,
            mints,
        })
    })
    .await?;
    off_executor(move || {
        let mint_display = |mint: &Pubkey| found.mints.get(mint).copied().flatten();
        let values = found
            .accounts
            .iter()
            .map(|(address, account)| {
                let ui = ui_account(address, account, encoding, slice, &mint_display)?;
                Ok(json!({"pubkey": address.to_string(), "account": ui}))
            })
            .collect::<Result<Vec<_>, RpcError>>()?;
        if config.with_context.unwrap_or(false) {
            Ok(json!({
                "context": {"slot": found.slot, "apiVersion": SOLANA_CORE_VERSION},
                "value": values,
            }))
        } else {
            Ok(json!(values))
        }
    })
    .await
}
