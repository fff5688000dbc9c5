//! The owner's operations: the faucet, wallets (create, show, deposit, withdraw, sweep) and the
//! sessions of a wallet (preview, create, list, show, update, revoke, revoke all, close).
//!
//! Reads return a report. Writes are prepared ([`Prepared`]: instructions, a summary and the
//! report to be) for the caller to sign here ([`Client::sign_and_send`]) or elsewhere
//! ([`Client::unsigned_transactions`], then [`Client::submit`]).

use leash_sdk::{
    amount::format_amount,
    instruction as ix,
    policy::{self, NormalizedPolicy, ResolvedToken},
    spl,
    state::{self, Authority, Session, SessionStatus, Wallet, NATIVE_SOL_MINT},
    sweep,
};
use solana_program::{hash::hashv, instruction::Instruction, pubkey::Pubkey};
use solana_rpc_client_types::{
    config::{RpcAccountInfoConfig, RpcProgramAccountsConfig},
    filter::{Memcmp, RpcFilterType},
};

use crate::{
    client::{Client, Prepared},
    error::{ClientError, ErrorCode, Result},
    input::{Amount, PolicyInput, TokenRef},
    reports::{Holding, SessionView},
};

/// An address's balances (`GET /v1/accounts/{address}/balances`).
#[derive(Clone, Debug, serde::Serialize, schemars::JsonSchema)]
pub struct AccountBalances {
    pub address: String,
    pub balances: Vec<crate::reports::Balance>,
}

impl std::fmt::Display for AccountBalances {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.address)?;
        for b in &self.balances {
            write!(f, "\n{} {}", b.balance, b.token)?;
        }
        Ok(())
    }
}

/// The name the CLI, the API and the dashboard give a wallet when none is given.
pub const DEFAULT_WALLET_NAME: &str = "default";

/// An owner's wallet by name: its address and vault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WalletRef {
    pub name: String,
    /// The owner's key; for a passkey wallet the secp256r1 program (its owner account).
    pub owner: Pubkey,
    pub address: Pubkey,
    pub vault: Pubkey,
    /// The passkey that owns it, for a passkey wallet.
    pub passkey: Option<state::Passkey>,
}

impl WalletRef {
    /// The wallet `owner` calls `name` under the Leash program `program_id`: its salt is
    /// sha256 of the UTF-8 name.
    pub fn of(program_id: &Pubkey, owner: &Pubkey, name: &str) -> WalletRef {
        let salt = Self::salt(name);
        let (address, _) = state::wallet_address(&Authority::Ed25519(*owner), &salt, program_id);
        let (vault, _) = state::vault_address(&address, program_id);
        WalletRef {
            name: name.to_string(),
            owner: *owner,
            address,
            vault,
            passkey: None,
        }
    }

    /// The wallet at `address`, read from the cluster: its owner and vault. Its name is not
    /// stored on chain (only the salt, sha256 of the name): `default` is recognised from it,
    /// any other name is the address (see [`WalletRef::named`]).
    pub fn at(client: &Client, address: &Pubkey) -> Result<WalletRef> {
        let missing = || {
            ClientError::new(
                ErrorCode::NoWallet,
                format!("{address} is not a Leash wallet on {}", client.cluster()),
            )
        };
        let account = client.account(address)?.ok_or_else(missing)?;
        if account.owner != *client.program_id() {
            return Err(missing());
        }
        let wallet = Wallet::decode(&account.data).ok_or_else(missing)?;
        // A passkey wallet's owner account is the secp256r1 program (docs/program.md).
        let owner = match wallet.owner {
            Authority::Ed25519(key) => key,
            Authority::Secp256r1(_) => leash_sdk::passkey::SECP256R1_PROGRAM_ID,
        };
        let (vault, _) = state::vault_address(address, client.program_id());
        let name = if wallet.salt == Self::salt(DEFAULT_WALLET_NAME) {
            DEFAULT_WALLET_NAME.to_string()
        } else {
            address.to_string()
        };
        Ok(WalletRef {
            name,
            owner,
            address: *address,
            vault,
            passkey: match wallet.owner {
                Authority::Secp256r1(passkey) => Some(passkey),
                Authority::Ed25519(_) => None,
            },
        })
    }

    /// This wallet under `name`, if `name` is its name: the address derives from the owner
    /// and sha256(name), so a name kept elsewhere is checked against the chain, never trusted.
    pub fn named(mut self, program_id: &Pubkey, name: &str) -> WalletRef {
        let derived = match &self.passkey {
            Some(passkey) => WalletRef::of_passkey(program_id, passkey, name).address,
            None => WalletRef::of(program_id, &self.owner, name).address,
        };
        if derived == self.address {
            self.name = name.to_string();
        }
        self
    }

    pub fn salt(name: &str) -> [u8; 32] {
        hashv(&[name.as_bytes()]).to_bytes()
    }
}

mod passkey;
mod reports;

pub use passkey::{PasskeyChallenge, PasskeySigner, SoftwareOwner};
pub use reports::*;

// ---------------------------------------------------------------------------------------------
// Operations.

impl Client {
    /// The program id, the cluster and this library's version.
    pub fn info(&self) -> Info {
        Info {
            program_id: self.program_id().to_string(),
            program_id_source: self.program().source,
            cluster: self.cluster().name.clone(),
            url: self.cluster().url.clone(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }

    /// SOL from the cluster's faucet, or a local test token from the local node's.
    pub fn airdrop(&self, to: &Pubkey, amount: &Amount, token: &TokenRef) -> Result<Airdropped> {
        let token = self.token(token)?;
        let base = amount.base_units(token.decimals)?;
        let signature = if token.mint == NATIVE_SOL_MINT {
            // `requestAirdrop` sent as is: the RPC client's `request_airdrop` turns every
            // failure, an unreachable node included, into "the rate limit is reached".
            let text: String = self
                .rpc()
                .send(
                    solana_rpc_client_types::request::RpcRequest::RequestAirdrop,
                    serde_json::json!([to.to_string(), base]),
                )
                .map_err(|e| self.rpc_error(e))?;
            text.parse().map_err(|_| {
                ClientError::new(ErrorCode::Rpc, "the cluster answered an invalid signature")
            })?
        } else {
            if !self.cluster().is_localnet() {
                return Err(ClientError::input(format!(
                    "token airdrops exist only on the local node; {} has no {} faucet",
                    self.cluster_label(),
                    token.symbol
                )));
            }
            let request = solana_rpc_client_types::request::RpcRequest::Custom {
                method: "leash_mintTokens",
            };
            let text: String = self
                .rpc()
                .send(
                    request,
                    serde_json::json!([to.to_string(), token.mint.to_string(), base]),
                )
                .map_err(|e| self.rpc_error(e))?;
            text.parse().map_err(|_| {
                ClientError::new(ErrorCode::Rpc, "the node answered an invalid signature")
            })?
        };
        // Waited for at the client's commitment (`confirm_transaction` only looks once), so
        // the next transaction's preflight sees the credit.
        self.confirm(signature)?;
        Ok(Airdropped {
            signature: signature.to_string(),
            to: to.to_string(),
            amount: format_amount(base, token.decimals),
            token: token.symbol,
        })
    }

    /// The wallet account's state; `NoWallet` if it does not exist.
    pub fn load_wallet(&self, wallet: &WalletRef) -> Result<Wallet> {
        let account = self.rpc().get_account(&wallet.address).map_err(|_| {
            ClientError::new(
                ErrorCode::NoWallet,
                format!(
                    "wallet {:?} ({}) does not exist on {}",
                    wallet.name,
                    wallet.address,
                    self.cluster_label()
                ),
            )
            .with_hint("create it with `leash wallet create`")
        })?;
        Wallet::decode(&account.data).ok_or_else(|| {
            ClientError::new(
                ErrorCode::NoWallet,
                format!("{} is not a Leash wallet", wallet.address),
            )
        })
    }

    /// Creates the owner's wallet `name` and its vault; nothing to send if it exists.
    pub fn prepare_create_wallet(
        &self,
        owner: &Pubkey,
        name: &str,
    ) -> Result<Prepared<WalletCreated>> {
        let wallet = WalletRef::of(self.program_id(), owner, name);
        let create = ix::create_wallet(self.program_id(), owner, owner, WalletRef::salt(name));
        Ok(self.wallet_creation(&wallet, "wallet", owner.to_string(), owner, create))
    }

    /// The creation of `wallet` by `create`, paid by `fee_payer`, as `what` ("wallet",
    /// "passkey wallet"); nothing to send if it exists.
    pub(crate) fn wallet_creation(
        &self,
        wallet: &WalletRef,
        what: &str,
        owner_label: String,
        fee_payer: &Pubkey,
        create: solana_program::instruction::Instruction,
    ) -> Prepared<WalletCreated> {
        let name = &wallet.name;
        let exists = self.rpc().get_account(&wallet.address).is_ok();
        Prepared {
            summary: if exists {
                format!(
                    "Wallet {name:?} exists already at {}; nothing to sign",
                    wallet.address
                )
            } else {
                format!(
                    "Create the {what} {name:?} at {} with its vault {}",
                    wallet.address, wallet.vault
                )
            },
            fee_payer: *fee_payer,
            transactions: if exists { vec![] } else { vec![vec![create]] },
            report: WalletCreated {
                wallet: wallet.address.to_string(),
                vault: wallet.vault.to_string(),
                owner: owner_label,
                name: name.clone(),
                created: !exists,
                signature: None,
            },
        }
    }

    /// SOL and every token account of `holder` (a vault), SOL first.
    /// What `address` holds: SOL and the tokens of its associated token accounts (the owner's
    /// own balances, beside its wallets').
    pub fn account_balances(&self, address: &Pubkey) -> Result<AccountBalances> {
        Ok(AccountBalances {
            address: address.to_string(),
            balances: self
                .holdings(address)?
                .iter()
                .map(|h| crate::reports::Balance {
                    token: h.symbol.clone(),
                    mint: h.mint_text(),
                    balance: leash_sdk::amount::format_amount(h.amount, h.decimals),
                    base_units: h.amount.to_string(),
                    decimals: h.decimals,
                })
                .collect(),
        })
    }

    pub(crate) fn holdings(&self, holder: &Pubkey) -> Result<Vec<Holding>> {
        let mut out = vec![Holding {
            symbol: "SOL".to_string(),
            mint: None,
            amount: self
                .rpc()
                .get_balance(holder)
                .map_err(|e| self.rpc_error(e))?,
            decimals: 9,
        }];
        for program in [spl::TOKEN_PROGRAM_ID, spl::TOKEN_2022_PROGRAM_ID] {
            let accounts = self
                .rpc()
                .get_token_accounts_by_owner(
                    holder,
                    solana_rpc_client_types::request::TokenAccountsFilter::ProgramId(program),
                )
                .map_err(|e| self.rpc_error(e))?;
            for keyed in accounts {
                let Some((mint, amount)) = token_holding(&program, &keyed.account.data) else {
                    continue;
                };
                let (symbol, decimals) = leash_sdk::policy::TokenResolver::by_mint(self, &mint)
                    .map(|t| (t.symbol, t.decimals))
                    .unwrap_or((crate::client::short(&mint), 0));
                out.push(Holding {
                    symbol,
                    mint: Some(mint),
                    amount,
                    decimals,
                });
            }
        }
        Ok(out)
    }

    /// The wallet's addresses, balances and how many of its sessions are active.
    pub fn show_wallet(&self, wallet: &WalletRef) -> Result<WalletReport> {
        let owner = &wallet.owner;
        let name = wallet.name.as_str();
        let state = self.load_wallet(wallet)?;
        let balances = self.holdings(&wallet.vault)?;
        let sessions = self.sessions(wallet)?;
        let now = self.now();
        let slot = self.slot()?;
        let active = sessions
            .iter()
            .filter(|(_, s)| s.status(&state, now, slot) == SessionStatus::Active)
            .count();
        Ok(WalletReport {
            name: name.to_string(),
            wallet: wallet.address.to_string(),
            vault: wallet.vault.to_string(),
            owner: owner.to_string(),
            epoch: state.epoch,
            balances: balances
                .iter()
                .map(|h| WalletBalance {
                    token: h.symbol.clone(),
                    mint: h.mint_text(),
                    amount: format_amount(h.amount, h.decimals),
                    base_units: h.amount.to_string(),
                })
                .collect(),
            sessions: sessions.len(),
            active_sessions: active,
        })
    }

    /// A `transfer_checked` of `amount` from `from_owner`'s token account to `to_owner`'s,
    /// led by the idempotent creation of the latter, paid by `payer`.
    fn token_transfer(
        &self,
        token: &ResolvedToken,
        from_owner: &Pubkey,
        to_owner: &Pubkey,
        payer: &Pubkey,
        amount: u64,
    ) -> Result<(Instruction, Instruction)> {
        let program = self.token_program(&token.mint)?;
        let from = spl::associated_token_address(from_owner, &token.mint, &program);
        let to = spl::associated_token_address(to_owner, &token.mint, &program);
        let create =
            spl::create_associated_token_account_idempotent(payer, to_owner, &token.mint, &program);
        let transfer = spl::transfer_checked(
            &program,
            &from,
            &token.mint,
            &to,
            from_owner,
            amount,
            token.decimals,
        );
        Ok((create, transfer))
    }

    /// Moves SOL or a token from the owner into the vault.
    pub fn prepare_deposit(
        &self,
        wallet: &WalletRef,
        amount: &Amount,
        token: &TokenRef,
    ) -> Result<Prepared<Deposited>> {
        let owner = &wallet.owner;
        self.load_wallet(wallet)?;
        let token = self.token(token)?;
        let base = amount.base_units(token.decimals)?;
        let instructions = if token.mint == NATIVE_SOL_MINT {
            vec![solana_system_interface::instruction::transfer(
                owner,
                &wallet.vault,
                base,
            )]
        } else {
            let (create, transfer) =
                self.token_transfer(&token, owner, &wallet.vault, owner, base)?;
            vec![create, transfer]
        };
        let amount = format_amount(base, token.decimals);
        Ok(Prepared {
            summary: format!(
                "Deposit {amount} {} into the vault {}",
                token.symbol, wallet.vault
            ),
            fee_payer: *owner,
            transactions: vec![instructions],
            report: Deposited {
                signature: None,
                amount,
                token: token.symbol,
                vault: wallet.vault.to_string(),
            },
        })
    }

    /// Moves SOL or a token out of the vault under the owner's full authority (no limits), to
    /// `to` (default the owner).
    pub fn prepare_withdraw(
        &self,
        wallet: &WalletRef,
        amount: &Amount,
        token: &TokenRef,
        to: Option<Pubkey>,
    ) -> Result<Prepared<Withdrew>> {
        let owner = &wallet.owner;
        self.load_wallet(wallet)?;
        let to = to.unwrap_or(*owner);
        let token = self.token(token)?;
        let base = amount.base_units(token.decimals)?;
        let instructions = if token.mint == NATIVE_SOL_MINT {
            vec![ix::owner_execute(
                self.program_id(),
                owner,
                &wallet.address,
                &[solana_system_interface::instruction::transfer(
                    &wallet.vault,
                    &to,
                    base,
                )],
            )]
        } else {
            let (create, transfer) =
                self.token_transfer(&token, &wallet.vault, &to, owner, base)?;
            vec![
                create,
                ix::owner_execute(self.program_id(), owner, &wallet.address, &[transfer]),
            ]
        };
        let amount = format_amount(base, token.decimals);
        Ok(Prepared {
            summary: format!(
                "Withdraw {amount} {} from the vault {} to {to}",
                token.symbol, wallet.vault
            ),
            fee_payer: *owner,
            transactions: vec![instructions],
            report: Withdrew {
                signature: None,
                amount,
                token: token.symbol,
                to: to.to_string(),
            },
        })
    }

    /// Moves the lamports above the rent-exempt minimum out of the wallet account and its
    /// session accounts (SOL sent there by mistake) to `to`, default the owner.
    pub fn prepare_sweep(
        &self,
        wallet: &WalletRef,
        to: Option<Pubkey>,
    ) -> Result<Prepared<SweepReport>> {
        let owner = &wallet.owner;
        self.load_wallet(wallet)?;
        let recipient = to.unwrap_or(*owner);
        let wallet_account = self
            .rpc()
            .get_account(&wallet.address)
            .map_err(|e| self.rpc_error(e))?;
        let sessions = self.session_accounts(wallet)?;
        if recipient == wallet.address || sessions.iter().any(|(a, _, _)| *a == recipient) {
            return Err(ClientError::input(format!(
                "--to {recipient} is the wallet account or one of its sessions; lamports cannot be swept into it"
            ))
            .with_hint("omit --to to sweep to the owner, or pass another address (the vault works)"));
        }

        // One rent query per distinct data size.
        let mut minimums = std::collections::BTreeMap::new();
        let mut minimum = |len: usize| -> Result<u64> {
            if let Some(m) = minimums.get(&len) {
                return Ok(*m);
            }
            let m = self
                .rpc()
                .get_minimum_balance_for_rent_exemption(len)
                .map_err(|e| self.rpc_error(e))?;
            minimums.insert(len, m);
            Ok(m)
        };
        let mut accounts = Vec::new();
        let wallet_excess =
            sweep::excess_lamports(wallet_account.lamports, minimum(wallet_account.data.len())?);
        if wallet_excess > 0 {
            accounts.push((wallet.address, SweptKind::Wallet, wallet_excess));
        }
        let mut swept_sessions = Vec::new();
        for (address, lamports, data) in &sessions {
            let excess = sweep::excess_lamports(*lamports, minimum(data.len())?);
            if excess > 0 {
                accounts.push((*address, SweptKind::Session, excess));
                swept_sessions.push(*address);
            }
        }
        let lamports = accounts
            .iter()
            .try_fold(0u64, |sum, (_, _, l)| sum.checked_add(*l))
            .ok_or_else(|| ClientError::internal("the lamports to sweep overflow a u64"))?;
        let transactions = if lamports > 0 {
            sweep::sweep_instructions(
                self.program_id(),
                owner,
                &wallet.address,
                &recipient,
                &swept_sessions,
            )
            .into_iter()
            .map(|instruction| vec![instruction])
            .collect()
        } else {
            vec![]
        };
        let amount = format_amount(lamports, 9);
        Ok(Prepared {
            summary: format!(
                "Sweep {amount} SOL from the wallet {} and its sessions to {recipient}",
                wallet.address
            ),
            fee_payer: *owner,
            transactions,
            report: SweepReport {
                wallet: wallet.address.to_string(),
                recipient: recipient.to_string(),
                swept: lamports > 0,
                amount,
                lamports,
                accounts: accounts
                    .iter()
                    .map(|(address, kind, lamports)| SweptAccount {
                        address: address.to_string(),
                        kind: *kind,
                        amount: format_amount(*lamports, 9),
                        lamports: *lamports,
                    })
                    .collect(),
                signatures: vec![],
            },
        })
    }

    /// The wallet's session accounts as stored: address, lamports and data.
    fn session_accounts(&self, wallet: &WalletRef) -> Result<Vec<(Pubkey, u64, Vec<u8>)>> {
        let config = RpcProgramAccountsConfig {
            filters: Some(vec![
                RpcFilterType::Memcmp(Memcmp::new_base58_encoded(
                    0,
                    &[state::SESSION_ACCOUNT_TYPE],
                )),
                RpcFilterType::Memcmp(Memcmp::new_base58_encoded(
                    state::SESSION_WALLET_OFFSET,
                    wallet.address.as_ref(),
                )),
            ]),
            account_config: RpcAccountInfoConfig {
                encoding: Some(solana_account_decoder_client_types::UiAccountEncoding::Base64),
                ..Default::default()
            },
            ..Default::default()
        };
        let accounts = self
            .rpc()
            .get_program_ui_accounts_with_config(self.program_id(), config)
            .map_err(|e| self.rpc_error(e))?;
        Ok(accounts
            .into_iter()
            .filter_map(|(address, account)| {
                Some((address, account.lamports, account.data.decode()?))
            })
            .collect())
    }

    /// The wallet's sessions, decoded.
    fn sessions(&self, wallet: &WalletRef) -> Result<Vec<(Pubkey, Session)>> {
        Ok(self
            .session_accounts(wallet)?
            .into_iter()
            .filter_map(|(address, _, data)| Some((address, Session::decode(&data)?)))
            .collect())
    }

    /// A session of the wallet by its address or its session key.
    pub fn find_session(&self, wallet: &WalletRef, session: &Pubkey) -> Result<(Pubkey, Session)> {
        let derived = state::session_address(&wallet.address, session, self.program_id()).0;
        for candidate in [*session, derived] {
            if let Ok(account) = self.rpc().get_account(&candidate) {
                // Only the program's own accounts: anyone can write session-shaped bytes
                // into an account of theirs.
                if account.owner != *self.program_id() {
                    continue;
                }
                if let Some(decoded) = Session::decode(&account.data) {
                    return Ok((candidate, decoded));
                }
            }
        }
        Err(ClientError::new(
            ErrorCode::Program(leash_sdk::LeashError::SessionNotRegistered),
            format!("no session {session} on {}", self.cluster_label()),
        )
        .with_hint("list sessions with `leash session list`"))
    }

    /// What giving `current` the policy `new` means for what it has used already: spent
    /// counters carry over by mint and `uses` stays, so a total at or below what was spent, or
    /// `max_uses` at or below the uses, stops the session at once.
    pub fn update_warnings(&self, current: &Session, new: &state::Policy) -> Vec<String> {
        let mut warnings = Vec::new();
        for limit in &new.limits {
            let Some(spent) = current
                .policy
                .limits
                .iter()
                .position(|l| l.mint == limit.mint)
                .and_then(|i| current.spent.get(i))
            else {
                continue;
            };
            if limit.total != state::UNLIMITED && spent.total > 0 && limit.total <= spent.total {
                let (symbol, decimals) = self
                    .describe_mint(&limit.mint)
                    .unwrap_or_else(|| (limit.mint.to_string(), 0));
                warnings.push(format!(
                    "over limit: {symbol} total {} is not above the {} already spent; the session could spend no more {symbol}",
                    format_amount(limit.total, decimals),
                    format_amount(spent.total, decimals),
                ));
            }
        }
        if new.max_uses != state::UNLIMITED && current.uses > 0 && new.max_uses <= current.uses {
            warnings.push(format!(
                "over limit: max_uses {} is not above the {} uses so far; the session could not be used again",
                new.max_uses, current.uses
            ));
        }
        warnings
    }

    /// Normalizes a policy file against this cluster's tokens and clock.
    fn normalize(&self, policy: &PolicyInput) -> Result<NormalizedPolicy> {
        policy::normalize(&policy.file, self, self.now(), self.program_id()).map_err(|e| {
            ClientError::new(ErrorCode::InvalidPolicy, format!("{}: {e}", policy.origin))
        })
    }

    /// The normalized policy, the session's address for `session_key`, the rent its account
    /// takes, and warnings; nothing is sent. The wallet at `wallet` need not exist yet (a
    /// warning says so): previewing comes before creating.
    pub fn preview_session(
        &self,
        wallet: &Pubkey,
        policy: &PolicyInput,
        session_key: &Pubkey,
    ) -> Result<SessionPreview> {
        let (wallet, exists) = match WalletRef::at(self, wallet) {
            Ok(found) => (found, true),
            Err(e) if e.code == ErrorCode::NoWallet => (
                WalletRef {
                    name: wallet.to_string(),
                    owner: Pubkey::default(),
                    address: *wallet,
                    vault: state::vault_address(wallet, self.program_id()).0,
                    passkey: None,
                },
                false,
            ),
            Err(e) => return Err(e),
        };
        let mut preview = self.preview_for(&wallet, policy, session_key)?;
        preview.wallet_exists = exists;
        if !exists {
            preview.warnings.push(format!(
                "the wallet {} does not exist yet: create it before preparing the session",
                wallet.address
            ));
        }
        Ok(preview)
    }

    /// [`Client::preview_session`] for a wallet known to exist.
    pub(crate) fn preview_for(
        &self,
        wallet: &WalletRef,
        policy: &PolicyInput,
        session_key: &Pubkey,
    ) -> Result<SessionPreview> {
        let mut normalized = self.normalize(policy)?;
        let (session, _) = state::session_address(&wallet.address, session_key, self.program_id());
        // A session with this key exists already: this previews replacing its policy.
        if let Some(current) = self
            .account(&session)?
            .and_then(|account| Session::decode(&account.data))
        {
            normalized
                .warnings
                .push("this session exists already: this previews an update of its policy".into());
            normalized
                .warnings
                .extend(self.update_warnings(&current, &normalized.policy));
        }
        let rent = self
            .rpc()
            .get_minimum_balance_for_rent_exemption(Session::encoded_len_for(&normalized.policy))
            .map_err(|e| self.rpc_error(e))?;
        Ok(SessionPreview {
            preview: true,
            wallet: wallet.address.to_string(),
            wallet_exists: true,
            session: session.to_string(),
            session_key: session_key.to_string(),
            policy: policy::summarize(&normalized.policy, None, self),
            rent: format_amount(rent, 9),
            rent_lamports: rent,
            warnings: normalized.warnings,
            normalized: normalized.policy,
            label: normalized.label,
        })
    }

    /// Registers a session for `session_key` under `policy`, and sends `top_up` SOL to the key
    /// for its fees. The token is made by whoever holds the key ([`SessionCreated::token`] is
    /// empty here; [`crate::make_session_token`] fills it).
    pub fn prepare_create_session(
        &self,
        wallet: &WalletRef,
        policy: &PolicyInput,
        session_key: &Pubkey,
        top_up: &Amount,
    ) -> Result<Prepared<SessionCreated>> {
        let owner = &wallet.owner;
        let name = wallet.name.as_str();
        let preview = self.preview_for(wallet, policy, session_key)?;
        let top_up = top_up.base_units(9)?;
        self.load_wallet(wallet)?;
        let mut warnings = preview.warnings.clone();
        let key_balance = self.rpc().get_balance(session_key).unwrap_or(0);
        if let Some(warning) = self.fee_balance_warning(key_balance.saturating_add(top_up))? {
            warnings.push(warning);
        }
        let mut instructions = vec![ix::create_session(
            self.program_id(),
            owner,
            owner,
            &wallet.address,
            session_key,
            preview.normalized.clone(),
        )];
        if top_up > 0 {
            instructions.push(solana_system_interface::instruction::transfer(
                owner,
                session_key,
                top_up,
            ));
        }
        Ok(Prepared {
            summary: format!(
                "Register the session {} (key {session_key}) of wallet {name:?}, fees top-up {} SOL\n{}",
                preview.session,
                format_amount(top_up, 9),
                preview.policy
            ),
            fee_payer: *owner,
            transactions: vec![instructions],
            report: SessionCreated {
                token: None,
                session: preview.session,
                wallet: preview.wallet,
                policy: preview.policy,
                session_key: preview.session_key,
                signature: None,
                warnings,
                label: preview.label.unwrap_or_default(),
            },
        })
    }

    /// The wallet's sessions with their status, oldest first.
    pub fn list_sessions(&self, wallet: &WalletRef) -> Result<SessionList> {
        let state = self.load_wallet(wallet)?;
        let slot = self.slot()?;
        let now = self.now();
        let mut sessions = self.sessions(wallet)?;
        sessions.sort_by_key(|(_, s)| s.created_slot);
        Ok(SessionList(
            sessions
                .iter()
                .map(|(address, s)| SessionRow {
                    session: address.to_string(),
                    session_key: s.session_key.to_string(),
                    status: s.status(&state, now, slot).as_str().to_string(),
                    uses: s.uses,
                    max_uses: (s.policy.max_uses != u64::MAX).then_some(s.policy.max_uses),
                    valid_until: policy::format_time(s.policy.valid_until),
                })
                .collect(),
        ))
    }

    /// One session's state, status and policy with `used / limit`.
    pub fn show_session(&self, wallet: &WalletRef, session: &Pubkey) -> Result<SessionView> {
        let state = self.load_wallet(wallet)?;
        let (address, session) = self.find_session(wallet, session)?;
        self.session_view(&address, &session, &state)
    }

    /// A session as both faces show it.
    pub(crate) fn session_view(
        &self,
        address: &Pubkey,
        session: &Session,
        wallet: &Wallet,
    ) -> Result<SessionView> {
        let slot = self.slot()?;
        let now = self.now();
        let summary = policy::summarize(
            &session.policy,
            Some(policy::SpentAt {
                spent: &session.spent,
                now,
                created_at: session.created_at,
            }),
            self,
        );
        Ok(SessionView {
            label: None,
            session: address.to_string(),
            session_key: session.session_key.to_string(),
            wallet: session.wallet.to_string(),
            registered: true,
            status: session.status(wallet, now, slot).as_str().to_string(),
            valid_after: summary.valid_after.clone(),
            valid_until: summary.valid_until.clone(),
            expiry_slot: summary.expiry_slot,
            uses: session.uses,
            max_uses: summary.max_uses,
            nonce: session.nonce,
            policy: summary,
            slot,
        })
    }

    /// Replaces a session's policy; fails on chain if the session was used after it was read
    /// here (no silent swap under a live holder). `expected_uses` is the use count the owner
    /// saw (default: the count read now); the program refuses the update if the session was
    /// used since.
    pub fn prepare_update_session(
        &self,
        wallet: &WalletRef,
        session: &Pubkey,
        policy: &PolicyInput,
        expected_uses: Option<u64>,
    ) -> Result<Prepared<SessionUpdated>> {
        let owner = &wallet.owner;
        self.load_wallet(wallet)?;
        let (address, current) = self.find_session(wallet, session)?;
        let mut normalized = self.normalize(policy)?;
        normalized
            .warnings
            .extend(self.update_warnings(&current, &normalized.policy));
        let summary = policy::summarize(&normalized.policy, None, self);
        let update = ix::update_session(
            self.program_id(),
            owner,
            &wallet.address,
            &address,
            owner,
            normalized.policy,
            Some(expected_uses.unwrap_or(current.uses)),
        );
        Ok(Prepared {
            summary: format!("Replace the policy of session {address}\n{summary}"),
            fee_payer: *owner,
            transactions: vec![vec![update]],
            report: SessionUpdated {
                session: address.to_string(),
                signature: None,
                policy: summary,
                warnings: normalized.warnings,
            },
        })
    }

    /// Revokes one session of the wallet.
    pub fn prepare_revoke_session(
        &self,
        wallet: &WalletRef,
        session: &Pubkey,
    ) -> Result<Prepared<SessionRevoked>> {
        let owner = &wallet.owner;
        self.load_wallet(wallet)?;
        let (address, _) = self.find_session(wallet, session)?;
        Ok(Prepared {
            summary: format!("Revoke the session {address}"),
            fee_payer: *owner,
            transactions: vec![vec![ix::revoke_session(
                self.program_id(),
                owner,
                &wallet.address,
                &address,
            )]],
            report: SessionRevoked {
                session: address.to_string(),
                revoked: true,
                signature: None,
                by_holder: false,
            },
        })
    }

    /// Revokes every session of the wallet at once (its epoch moves on).
    pub fn prepare_revoke_all_sessions(
        &self,
        wallet: &WalletRef,
    ) -> Result<Prepared<AllSessionsRevoked>> {
        let owner = &wallet.owner;
        let name = wallet.name.as_str();
        let before = self.load_wallet(wallet)?;
        let epoch = before
            .epoch
            .checked_add(1)
            .ok_or_else(|| ClientError::internal("the wallet's epoch is at its maximum"))?;
        Ok(Prepared {
            summary: format!("Revoke every session of wallet {name:?} (epoch {epoch})"),
            fee_payer: *owner,
            transactions: vec![vec![ix::revoke_all_sessions(
                self.program_id(),
                owner,
                &wallet.address,
            )]],
            report: AllSessionsRevoked {
                wallet: wallet.address.to_string(),
                epoch,
                signature: None,
                name: name.to_string(),
            },
        })
    }

    /// Closes a session; its rent returns to whoever paid it.
    pub fn prepare_close_session(
        &self,
        wallet: &WalletRef,
        session: &Pubkey,
    ) -> Result<Prepared<SessionClosed>> {
        let owner = &wallet.owner;
        self.load_wallet(wallet)?;
        let (address, state) = self.find_session(wallet, session)?;
        Ok(Prepared {
            summary: format!("Close the session {address}; rent to {}", state.rent_payer),
            fee_payer: *owner,
            transactions: vec![vec![ix::close_session(
                self.program_id(),
                owner,
                &wallet.address,
                &address,
                &state.rent_payer,
            )]],
            report: SessionClosed {
                session: address.to_string(),
                closed: true,
                rent_to: state.rent_payer.to_string(),
                signature: None,
            },
        })
    }
}

impl Client {
    /// The wallets `owner` holds on this cluster, by address (names are not stored on chain).
    pub fn wallets_of(&self, owner: &Pubkey) -> Result<Vec<WalletRef>> {
        let config = RpcProgramAccountsConfig {
            filters: Some(vec![
                RpcFilterType::Memcmp(Memcmp::new_base58_encoded(0, &[state::WALLET_ACCOUNT_TYPE])),
                RpcFilterType::Memcmp(Memcmp::new_base58_encoded(
                    state::WALLET_OWNER_KEY_OFFSET,
                    owner.as_ref(),
                )),
            ]),
            account_config: RpcAccountInfoConfig {
                encoding: Some(solana_account_decoder_client_types::UiAccountEncoding::Base64),
                ..Default::default()
            },
            ..Default::default()
        };
        let accounts = self
            .rpc()
            .get_program_ui_accounts_with_config(self.program_id(), config)
            .map_err(|e| self.rpc_error(e))?;
        let mut wallets: Vec<(u64, WalletRef)> = accounts
            .into_iter()
            .filter_map(|(address, account)| {
                let wallet = Wallet::decode(&account.data.decode()?)?;
                let key = *wallet.owner.signer_key()?;
                (key == *owner).then(|| {
                    (
                        wallet.created_slot,
                        WalletRef {
                            name: address.to_string(),
                            owner: key,
                            address,
                            vault: state::vault_address(&address, self.program_id()).0,
                            passkey: None,
                        },
                    )
                })
            })
            .collect();
        wallets.sort_by_key(|(slot, w)| (*slot, w.address));
        Ok(wallets.into_iter().map(|(_, w)| w).collect())
    }

    /// The session at `address` and the wallet it belongs to.
    pub fn session_at(&self, address: &Pubkey) -> Result<(WalletRef, Session)> {
        let not_found = || {
            ClientError::new(
                ErrorCode::Program(leash_sdk::LeashError::SessionNotRegistered),
                format!("no session {address} on {}", self.cluster_label()),
            )
            .with_hint("list a wallet's sessions to find its address")
        };
        let session = self.leash_session(address)?.ok_or_else(not_found)?;
        let wallet = WalletRef::at(self, &session.wallet)?;
        Ok((wallet, session))
    }

    /// The session at `address` if a session of this program is there.
    pub fn leash_session(&self, address: &Pubkey) -> Result<Option<Session>> {
        Ok(self
            .account(address)?
            .filter(|a| a.owner == *self.program_id())
            .and_then(|a| Session::decode(&a.data)))
    }

    /// Every session of the wallet as [`SessionView`]s (status, `used / limit` per mint),
    /// oldest first.
    pub fn session_views_at(&self, wallet: &WalletRef) -> Result<Vec<SessionView>> {
        let state = self.load_wallet(wallet)?;
        let mut sessions = self.sessions(wallet)?;
        sessions.sort_by_key(|(_, s)| s.created_slot);
        sessions
            .iter()
            .map(|(address, s)| self.session_view(address, s, &state))
            .collect()
    }
}

/// (mint, amount) of a token account as the RPC returned it: binary, or jsonParsed (which
/// `getTokenAccountsByOwner` clients request).
fn token_holding(
    program: &Pubkey,
    data: &solana_account_decoder_client_types::UiAccountData,
) -> Option<(Pubkey, u64)> {
    use solana_account_decoder_client_types::UiAccountData;
    match data {
        UiAccountData::Json(parsed) => {
            let info = &parsed.parsed["info"];
            Some((
                info["mint"].as_str()?.parse().ok()?,
                info["tokenAmount"]["amount"].as_str()?.parse().ok()?,
            ))
        }
        other => {
            let view = leash_sdk::token_account::parse(program, &other.decode()?)?;
            Some((view.mint, view.amount))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_name_is_shown_only_if_the_address_derives_from_it() {
        let program = leash_sdk::DEFAULT_PROGRAM_ID;
        let owner = Pubkey::new_unique();
        let real = WalletRef::of(&program, &owner, "ops");
        let unnamed = WalletRef {
            name: real.address.to_string(),
            ..real.clone()
        };
        assert_eq!(unnamed.clone().named(&program, "ops").name, "ops");
        // A wrong or planted name is not shown.
        let planted = unnamed.clone().named(&program, "treasury");
        assert_eq!(planted.name, real.address.to_string());
        // Nor under another program.
        let elsewhere = unnamed.named(&Pubkey::new_unique(), "ops");
        assert_eq!(elsewhere.name, real.address.to_string());
    }
}
