//! Owner commands: airdrop, wallets, and the sessions of a wallet.

use std::path::Path;

use leash_sdk::{
    amount::{format_amount, parse_amount},
    instruction as ix,
    policy::{self, ResolvedToken, TokenResolver},
    spl,
    state::{self, Authority, Session, Wallet, NATIVE_SOL_MINT},
    sweep,
    token::SessionToken,
};
use serde::Serialize;
use serde_json::{json, Value};
use solana_keypair::Keypair;
use solana_program::{hash::hashv, instruction::Instruction, pubkey::Pubkey};
use solana_rpc_client_types::{
    config::{RpcAccountInfoConfig, RpcProgramAccountsConfig},
    filter::{Memcmp, RpcFilterType},
};
use solana_signer::Signer;

use crate::{
    context::{short, Ctx},
    error::{CliError, CliResult},
    output::{print_json, Out},
    paths,
};

/// The salt of a named wallet: sha256 of the UTF-8 name ("default" unless `--name`).
pub fn wallet_salt(name: &str) -> [u8; 32] {
    hashv(&[name.as_bytes()]).to_bytes()
}

pub struct WalletRef {
    pub name: String,
    pub address: Pubkey,
    pub vault: Pubkey,
}

pub fn wallet_ref(owner: &Pubkey, name: &str) -> WalletRef {
    let (address, _) = state::wallet_address(&Authority::Ed25519(*owner), &wallet_salt(name));
    let (vault, _) = state::vault_address(&address);
    WalletRef {
        name: name.to_string(),
        address,
        vault,
    }
}

fn load_wallet(ctx: &Ctx, wallet: &WalletRef) -> CliResult<Wallet> {
    let account = ctx.client.get_account(&wallet.address).map_err(|_| {
        CliError::new(
            "NoWallet",
            format!(
                "wallet {:?} ({}) does not exist on {}",
                wallet.name, wallet.address, ctx.cluster
            ),
        )
        .with_hint("create it with `leash wallet create`")
    })?;
    Wallet::decode(&account.data).ok_or_else(|| {
        CliError::new(
            "NoWallet",
            format!("{} is not a Leash wallet", wallet.address),
        )
    })
}

/// Session address from a session address or a session key.
fn session_of(ctx: &Ctx, wallet: &WalletRef, text: &str) -> CliResult<(Pubkey, Session)> {
    let key: Pubkey = text
        .parse()
        .map_err(|_| CliError::input(format!("{text:?} is not a session address")))?;
    for candidate in [key, state::session_address(&wallet.address, &key).0] {
        if let Ok(account) = ctx.client.get_account(&candidate) {
            if let Some(session) = Session::decode(&account.data) {
                return Ok((candidate, session));
            }
        }
    }
    Err(CliError::new(
        "SessionNotRegistered",
        format!("no session {text} on {}", ctx.cluster),
    )
    .with_hint("list sessions with `leash session list`"))
}

pub fn airdrop(ctx: &Ctx, amount: &str, token: &str, to: Option<Pubkey>) -> CliResult<()> {
    let owner_key = match to {
        Some(to) => to,
        None => ctx.owner()?.pubkey(),
    };
    let token = ctx.token(token)?;
    let base = parse_amount(amount, token.decimals)
        .map_err(|e| CliError::input(format!("--amount: {e}")))?;
    let signature = if token.mint == NATIVE_SOL_MINT {
        ctx.client
            .request_airdrop(&owner_key, base)
            .map_err(|e| ctx.rpc(e))?
    } else {
        if !ctx.is_localnet() {
            return Err(CliError::input(format!(
                "token airdrops exist only on the local node; {} has no {} faucet",
                ctx.cluster, token.symbol
            )));
        }
        let request = solana_rpc_client_types::request::RpcRequest::Custom {
            method: "leash_mintTokens",
        };
        let text: String = ctx
            .client
            .send(
                request,
                json!([owner_key.to_string(), token.mint.to_string(), base]),
            )
            .map_err(|e| ctx.rpc(e))?;
        text.parse()
            .map_err(|_| CliError::new("Rpc", "the node answered an invalid signature"))?
    };
    ctx.client
        .confirm_transaction(&signature)
        .map_err(|e| ctx.rpc(e))?;
    let out = Out::new(ctx);
    out.result(
        json!({"signature": signature.to_string(), "to": owner_key.to_string(), "amount": amount, "token": token.symbol}),
        format!("Airdropped {} {} to {owner_key}\nSignature: {signature}", format_amount(base, token.decimals), token.symbol),
    );
    Ok(())
}

pub fn wallet_create(ctx: &Ctx, name: &str) -> CliResult<()> {
    let owner = ctx.owner()?;
    let wallet = wallet_ref(&owner.pubkey(), name);
    let out = Out::new(ctx);
    let existed = ctx.client.get_account(&wallet.address).is_ok();
    let signature = if existed {
        None
    } else {
        let create = ix::create_wallet(&owner.pubkey(), &owner.pubkey(), wallet_salt(name));
        Some(ctx.send(&[create], &[&owner])?)
    };
    let value = json!({
        "wallet": wallet.address.to_string(),
        "vault": wallet.vault.to_string(),
        "owner": owner.pubkey().to_string(),
        "name": name,
        "created": !existed,
        "signature": signature.map(|s| s.to_string()),
    });
    let verb = if existed { "already exists" } else { "created" };
    out.result(
        value,
        format!("Wallet {name:?} {verb}\nWallet: {}\nVault:  {}  (send SOL and tokens here, or use `leash wallet deposit`)", wallet.address, wallet.vault),
    );
    Ok(())
}

/// SOL and every token account of `owner` (the vault), as (symbol, mint, amount, decimals).
pub fn balances(ctx: &Ctx, holder: &Pubkey) -> CliResult<Vec<(String, String, u64, u8)>> {
    let mut out = vec![(
        "SOL".to_string(),
        "SOL".to_string(),
        ctx.client.get_balance(holder).map_err(|e| ctx.rpc(e))?,
        9,
    )];
    for program in [spl::TOKEN_PROGRAM_ID, spl::TOKEN_2022_PROGRAM_ID] {
        let accounts = ctx
            .client
            .get_token_accounts_by_owner(
                holder,
                solana_rpc_client_types::request::TokenAccountsFilter::ProgramId(program),
            )
            .map_err(|e| ctx.rpc(e))?;
        for keyed in accounts {
            let Some((mint, amount)) = token_holding(&program, &keyed.account.data) else {
                continue;
            };
            let token = ctx.by_mint(&mint);
            let (symbol, decimals) = token
                .map(|t| (t.symbol, t.decimals))
                .unwrap_or((short(&mint), 0));
            out.push((symbol, mint.to_string(), amount, decimals));
        }
    }
    Ok(out)
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

pub fn wallet_show(ctx: &Ctx, name: &str) -> CliResult<()> {
    let owner = ctx.owner()?;
    let wallet = wallet_ref(&owner.pubkey(), name);
    let state = load_wallet(ctx, &wallet)?;
    let balances = balances(ctx, &wallet.vault)?;
    let sessions = list_sessions(ctx, &wallet)?;
    let out = Out::new(ctx);
    let now = now(ctx);
    let active = sessions
        .iter()
        .filter(|(_, s)| status(s, &state, now, 0) == "active")
        .count();
    let value = json!({
        "name": name,
        "wallet": wallet.address.to_string(),
        "vault": wallet.vault.to_string(),
        "owner": owner.pubkey().to_string(),
        "epoch": state.epoch,
        "balances": balances.iter().map(|(s, m, a, d)| json!({"token": s, "mint": m, "amount": format_amount(*a, *d), "base_units": a.to_string()})).collect::<Vec<_>>(),
        "sessions": sessions.len(),
        "active_sessions": active,
    });
    let mut text = format!("Wallet {name:?}\n  Address: {}\n  Vault:   {}\n  Owner:   {}\n  Sessions: {} ({active} active)\n  Balances:", wallet.address, wallet.vault, owner.pubkey(), sessions.len());
    for (symbol, _, amount, decimals) in &balances {
        text.push_str(&format!(
            "\n    {} {symbol}",
            format_amount(*amount, *decimals)
        ));
    }
    out.result(value, text);
    Ok(())
}

fn token_transfer_ixs(
    ctx: &Ctx,
    token: &ResolvedToken,
    from_owner: &Pubkey,
    to_owner: &Pubkey,
    payer: &Pubkey,
    amount: u64,
) -> CliResult<(Instruction, Instruction)> {
    let program = ctx.token_program(&token.mint)?;
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

pub fn wallet_deposit(ctx: &Ctx, name: &str, amount: &str, token: &str) -> CliResult<()> {
    let owner = ctx.owner()?;
    let wallet = wallet_ref(&owner.pubkey(), name);
    load_wallet(ctx, &wallet)?;
    let token = ctx.token(token)?;
    let base = parse_amount(amount, token.decimals)
        .map_err(|e| CliError::input(format!("--amount: {e}")))?;
    let ixs = if token.mint == NATIVE_SOL_MINT {
        vec![solana_system_interface::instruction::transfer(
            &owner.pubkey(),
            &wallet.vault,
            base,
        )]
    } else {
        let (create, transfer) = token_transfer_ixs(
            ctx,
            &token,
            &owner.pubkey(),
            &wallet.vault,
            &owner.pubkey(),
            base,
        )?;
        vec![create, transfer]
    };
    let signature = ctx.send(&ixs, &[&owner])?;
    Out::new(ctx).result(
        json!({"signature": signature.to_string(), "amount": format_amount(base, token.decimals), "token": token.symbol, "vault": wallet.vault.to_string()}),
        format!("Deposited {} {} into the vault {}\nSignature: {signature}", format_amount(base, token.decimals), token.symbol, wallet.vault),
    );
    Ok(())
}

pub fn wallet_withdraw(
    ctx: &Ctx,
    name: &str,
    amount: &str,
    token: &str,
    to: Option<Pubkey>,
) -> CliResult<()> {
    let owner = ctx.owner()?;
    let wallet = wallet_ref(&owner.pubkey(), name);
    load_wallet(ctx, &wallet)?;
    let to = to.unwrap_or(owner.pubkey());
    let token = ctx.token(token)?;
    let base = parse_amount(amount, token.decimals)
        .map_err(|e| CliError::input(format!("--amount: {e}")))?;
    let ixs = if token.mint == NATIVE_SOL_MINT {
        vec![ix::owner_execute(
            &owner.pubkey(),
            &wallet.address,
            &[solana_system_interface::instruction::transfer(
                &wallet.vault,
                &to,
                base,
            )],
        )]
    } else {
        let (create, transfer) =
            token_transfer_ixs(ctx, &token, &wallet.vault, &to, &owner.pubkey(), base)?;
        vec![
            create,
            ix::owner_execute(&owner.pubkey(), &wallet.address, &[transfer]),
        ]
    };
    let signature = ctx.send(&ixs, &[&owner])?;
    Out::new(ctx).result(
        json!({"signature": signature.to_string(), "amount": format_amount(base, token.decimals), "token": token.symbol, "to": to.to_string()}),
        format!("Withdrew {} {} to {to}\nSignature: {signature}", format_amount(base, token.decimals), token.symbol),
    );
    Ok(())
}

/// One account `leash wallet sweep` took lamports from.
#[derive(Serialize)]
pub struct SweptAccount {
    pub address: String,
    /// `wallet` or `session`.
    pub kind: &'static str,
    /// SOL, exact decimal.
    pub amount: String,
    pub lamports: u64,
}

/// What `leash wallet sweep` did (`--json`).
#[derive(Serialize)]
pub struct SweepReport {
    pub wallet: String,
    pub recipient: String,
    /// Whether anything lay above the rent-exempt minimum (and so was sent).
    pub swept: bool,
    /// SOL moved in total, exact decimal.
    pub amount: String,
    pub lamports: u64,
    /// The accounts swept, the wallet first; accounts at their minimum are not listed.
    pub accounts: Vec<SweptAccount>,
    /// One per transaction (at most 20 sessions each).
    pub signatures: Vec<String>,
}

impl SweepReport {
    fn text(&self) -> String {
        if !self.swept {
            return "Nothing to sweep: the wallet account and its sessions hold only their rent-exempt minimum".into();
        }
        let sessions = self.accounts.iter().filter(|a| a.kind == "session").count();
        let mut sources = Vec::new();
        if self.accounts.iter().any(|a| a.kind == "wallet") {
            sources.push("the wallet".to_string());
        }
        match sessions {
            0 => {}
            1 => sources.push("1 session".into()),
            n => sources.push(format!("{n} sessions")),
        }
        let mut text = format!(
            "Swept {} SOL from {} to {}",
            self.amount,
            sources.join(" and "),
            self.recipient
        );
        for signature in &self.signatures {
            text.push_str(&format!("\nSignature: {signature}"));
        }
        text
    }
}

/// Moves the lamports above the rent-exempt minimum out of the wallet account and its session
/// accounts (SOL sent there by mistake) to `to`, default the owner.
pub fn wallet_sweep(ctx: &Ctx, name: &str, to: Option<Pubkey>) -> CliResult<()> {
    let owner = ctx.owner()?;
    let wallet = wallet_ref(&owner.pubkey(), name);
    load_wallet(ctx, &wallet)?;
    let recipient = to.unwrap_or(owner.pubkey());
    let wallet_account = ctx
        .client
        .get_account(&wallet.address)
        .map_err(|e| ctx.rpc(e))?;
    let sessions = session_accounts(ctx, &wallet)?;
    if recipient == wallet.address || sessions.iter().any(|(a, _, _)| *a == recipient) {
        return Err(CliError::input(format!(
            "--to {recipient} is the wallet account or one of its sessions; lamports cannot be swept into it"
        ))
        .with_hint("omit --to to sweep to the owner, or pass another address (the vault works)"));
    }

    // One rent query per distinct data size.
    let mut minimums = std::collections::BTreeMap::new();
    let mut minimum = |len: usize| -> CliResult<u64> {
        if let Some(m) = minimums.get(&len) {
            return Ok(*m);
        }
        let m = ctx
            .client
            .get_minimum_balance_for_rent_exemption(len)
            .map_err(|e| ctx.rpc(e))?;
        minimums.insert(len, m);
        Ok(m)
    };
    let mut accounts = Vec::new();
    let wallet_excess =
        sweep::excess_lamports(wallet_account.lamports, minimum(wallet_account.data.len())?);
    if wallet_excess > 0 {
        accounts.push((wallet.address, "wallet", wallet_excess));
    }
    let mut swept_sessions = Vec::new();
    for (address, lamports, data) in &sessions {
        let excess = sweep::excess_lamports(*lamports, minimum(data.len())?);
        if excess > 0 {
            accounts.push((*address, "session", excess));
            swept_sessions.push(*address);
        }
    }
    let lamports = accounts
        .iter()
        .try_fold(0u64, |sum, (_, _, l)| sum.checked_add(*l))
        .ok_or_else(|| CliError::new("Internal", "the lamports to sweep overflow a u64"))?;

    let mut signatures = Vec::new();
    if lamports > 0 {
        for sweep_ix in sweep::sweep_instructions(
            &owner.pubkey(),
            &wallet.address,
            &recipient,
            &swept_sessions,
        ) {
            signatures.push(ctx.send(&[sweep_ix], &[&owner])?.to_string());
        }
    }
    let report = SweepReport {
        wallet: wallet.address.to_string(),
        recipient: recipient.to_string(),
        swept: lamports > 0,
        amount: format_amount(lamports, 9),
        lamports,
        accounts: accounts
            .iter()
            .map(|(address, kind, lamports)| SweptAccount {
                address: address.to_string(),
                kind,
                amount: format_amount(*lamports, 9),
                lamports: *lamports,
            })
            .collect(),
        signatures,
    };
    let value = serde_json::to_value(&report)
        .map_err(|e| CliError::new("Internal", format!("cannot encode the report: {e}")))?;
    Out::new(ctx).result(value, report.text());
    Ok(())
}

pub fn now(ctx: &Ctx) -> i64 {
    // The chain's clock: the latest block time, else the local clock.
    ctx.client
        .get_slot()
        .ok()
        .and_then(|slot| ctx.client.get_block_time(slot).ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0)
        })
}

/// active, expired, revoked, not yet active, used up.
pub fn status(session: &Session, wallet: &Wallet, now: i64, slot: u64) -> &'static str {
    if session.is_revoked(wallet) {
        "revoked"
    } else if session.is_expired(now, slot) {
        "expired"
    } else if now < session.policy.valid_after {
        "not yet active"
    } else if session.uses >= session.policy.max_uses {
        "used up"
    } else {
        "active"
    }
}

pub fn list_sessions(ctx: &Ctx, wallet: &WalletRef) -> CliResult<Vec<(Pubkey, Session)>> {
    Ok(session_accounts(ctx, wallet)?
        .into_iter()
        .filter_map(|(address, _, data)| Some((address, Session::decode(&data)?)))
        .collect())
}

/// The wallet's session accounts as stored: address, lamports and data.
fn session_accounts(ctx: &Ctx, wallet: &WalletRef) -> CliResult<Vec<(Pubkey, u64, Vec<u8>)>> {
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
    let accounts = ctx
        .client
        .get_program_ui_accounts_with_config(&leash_sdk::PROGRAM_ID, config)
        .map_err(|e| ctx.rpc(e))?;
    Ok(accounts
        .into_iter()
        .filter_map(|(address, account)| Some((address, account.lamports, account.data.decode()?)))
        .collect())
}

/// Reads and normalizes a policy file.
pub fn load_policy(ctx: &Ctx, path: &Path) -> CliResult<policy::NormalizedPolicy> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        CliError::input(format!(
            "cannot read the policy file {}: {e}",
            path.display()
        ))
    })?;
    let json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let file = policy::parse_policy_file(&text, json).map_err(|e| {
        CliError::new("InvalidPolicy", format!("{}: {e}", path.display()))
            .with_hint("see docs/cli.md for the policy file format")
    })?;
    policy::normalize(&file, ctx, now(ctx))
        .map_err(|e| CliError::new("InvalidPolicy", format!("{}: {e}", path.display())))
}

pub struct CreateArgs<'a> {
    pub name: &'a str,
    pub policy: &'a Path,
    pub preview: bool,
    pub top_up: &'a str,
    pub label: Option<String>,
}

pub fn session_create(ctx: &Ctx, args: CreateArgs) -> CliResult<()> {
    let owner = ctx.owner()?;
    let wallet = wallet_ref(&owner.pubkey(), args.name);
    let normalized = load_policy(ctx, args.policy)?;
    let top_up =
        parse_amount(args.top_up, 9).map_err(|e| CliError::input(format!("--top-up: {e}")))?;
    let summary = policy::summarize(&normalized.policy, None, ctx);
    let key = Keypair::new();
    let (session, _) = state::session_address(&wallet.address, &key.pubkey());
    let label = args.label.or(normalized.label.clone()).unwrap_or_default();
    let out = Out::new(ctx);
    if args.preview {
        let value = json!({"preview": true, "wallet": wallet.address.to_string(), "session": session.to_string(), "session_key": key.pubkey().to_string(), "policy": summary, "warnings": normalized.warnings});
        let mut text = format!(
            "Preview (nothing sent)\nWallet:  {}\nSession: {session}\n{}",
            wallet.address,
            crate::output::policy_text(&summary)
        );
        for warning in &normalized.warnings {
            text.push_str(&format!("\nwarning: {warning}"));
        }
        out.result(value, text);
        return Ok(());
    }
    load_wallet(ctx, &wallet)?;
    for warning in &normalized.warnings {
        out.warn(warning);
    }
    let mut ixs = vec![ix::create_session(
        &owner.pubkey(),
        &owner.pubkey(),
        &wallet.address,
        &key.pubkey(),
        normalized.policy.clone(),
    )];
    if top_up > 0 {
        ixs.push(solana_system_interface::instruction::transfer(
            &owner.pubkey(),
            &key.pubkey(),
            top_up,
        ));
    }
    let signature = ctx.send(&ixs, &[&owner])?;
    let token = SessionToken::new(
        &key,
        &wallet.address,
        &ctx.url_for_token(),
        &label,
        summary.clone(),
    );
    let encoded = token.encode();
    // Kept (0600) so the owner can `leash session export` it later.
    paths::write_private(
        &paths::created_token_file(&session.to_string())?,
        encoded.as_bytes(),
    )?;
    if ctx.globals.json {
        print_json(
            &json!({"token": encoded, "session": session.to_string(), "wallet": wallet.address.to_string(), "policy": summary, "session_key": key.pubkey().to_string(), "signature": signature.to_string(), "warnings": normalized.warnings}),
        );
    } else {
        println!("Session created: {session}");
        println!("Session key:     {}", key.pubkey());
        println!("Wallet:          {}", wallet.address);
        println!(
            "Valid until:     {}",
            summary["valid_until"].as_str().unwrap_or_default()
        );
        println!();
        println!("Give this token to the bot or agent (it is a secret; anyone holding it can act within the policy):");
        println!("{encoded}");
    }
    Ok(())
}

pub fn session_list(ctx: &Ctx, name: &str) -> CliResult<()> {
    let owner = ctx.owner()?;
    let wallet = wallet_ref(&owner.pubkey(), name);
    let state = load_wallet(ctx, &wallet)?;
    let slot = ctx.client.get_slot().unwrap_or(0);
    let now = now(ctx);
    let mut sessions = list_sessions(ctx, &wallet)?;
    sessions.sort_by_key(|(_, s)| s.created_slot);
    let rows: Vec<Value> = sessions
        .iter()
        .map(|(address, s)| {
            json!({
                "session": address.to_string(),
                "session_key": s.session_key.to_string(),
                "status": status(s, &state, now, slot),
                "uses": s.uses,
                "max_uses": if s.policy.max_uses == u64::MAX { Value::Null } else { json!(s.policy.max_uses) },
                "valid_until": policy::format_time(s.policy.valid_until),
            })
        })
        .collect();
    let mut text = format!(
        "{:<46} {:<15} {:>6}  {}",
        "SESSION", "STATUS", "USES", "VALID UNTIL"
    );
    for row in &rows {
        text.push_str(&format!(
            "\n{:<46} {:<15} {:>6}  {}",
            row["session"].as_str().unwrap_or(""),
            row["status"].as_str().unwrap_or(""),
            row["uses"].as_u64().unwrap_or(0),
            row["valid_until"].as_str().unwrap_or("")
        ));
    }
    if rows.is_empty() {
        text = "No sessions. Create one with `leash session create --policy FILE`.".into();
    }
    Out::new(ctx).result(json!(rows), text);
    Ok(())
}

pub fn session_show(ctx: &Ctx, name: &str, session: &str) -> CliResult<()> {
    let owner = ctx.owner()?;
    let wallet = wallet_ref(&owner.pubkey(), name);
    let state = load_wallet(ctx, &wallet)?;
    let (address, session) = session_of(ctx, &wallet, session)?;
    crate::holder::print_session(ctx, &address, &session, &state)
}

pub fn session_update(ctx: &Ctx, name: &str, session: &str, policy_path: &Path) -> CliResult<()> {
    let owner = ctx.owner()?;
    let wallet = wallet_ref(&owner.pubkey(), name);
    load_wallet(ctx, &wallet)?;
    let (address, current) = session_of(ctx, &wallet, session)?;
    let normalized = load_policy(ctx, policy_path)?;
    for warning in &normalized.warnings {
        Out::new(ctx).warn(warning);
    }
    // Fails if the session was used after we read it: no silent swap under a live holder.
    let update = ix::update_session(
        &owner.pubkey(),
        &wallet.address,
        &address,
        &owner.pubkey(),
        normalized.policy.clone(),
        Some(current.uses),
    );
    let signature = ctx.send(&[update], &[&owner])?;
    let summary = policy::summarize(&normalized.policy, None, ctx);
    Out::new(ctx).result(
        json!({"session": address.to_string(), "signature": signature.to_string(), "policy": summary}),
        format!("Session {address} updated\n{}", crate::output::policy_text(&summary)),
    );
    Ok(())
}

pub fn session_revoke(ctx: &Ctx, name: &str, session: &str) -> CliResult<()> {
    let owner = ctx.owner()?;
    let wallet = wallet_ref(&owner.pubkey(), name);
    load_wallet(ctx, &wallet)?;
    let (address, _) = session_of(ctx, &wallet, session)?;
    let signature = ctx.send(
        &[ix::revoke_session(
            &owner.pubkey(),
            &wallet.address,
            &address,
        )],
        &[&owner],
    )?;
    Out::new(ctx).result(json!({"session": address.to_string(), "revoked": true, "signature": signature.to_string()}), format!("Session {address} revoked"));
    Ok(())
}

pub fn session_revoke_all(ctx: &Ctx, name: &str) -> CliResult<()> {
    let owner = ctx.owner()?;
    let wallet = wallet_ref(&owner.pubkey(), name);
    let before = load_wallet(ctx, &wallet)?;
    let signature = ctx.send(
        &[ix::revoke_all_sessions(&owner.pubkey(), &wallet.address)],
        &[&owner],
    )?;
    Out::new(ctx).result(
        json!({"wallet": wallet.address.to_string(), "epoch": before.epoch + 1, "signature": signature.to_string()}),
        format!("All sessions of wallet {:?} revoked (epoch {})", name, before.epoch + 1),
    );
    Ok(())
}

pub fn session_close(ctx: &Ctx, name: &str, session: &str) -> CliResult<()> {
    let owner = ctx.owner()?;
    let wallet = wallet_ref(&owner.pubkey(), name);
    load_wallet(ctx, &wallet)?;
    let (address, state) = session_of(ctx, &wallet, session)?;
    let signature = ctx.send(
        &[ix::close_session(
            &owner.pubkey(),
            &wallet.address,
            &address,
            &state.rent_payer,
        )],
        &[&owner],
    )?;
    Out::new(ctx).result(
        json!({"session": address.to_string(), "closed": true, "rent_to": state.rent_payer.to_string(), "signature": signature.to_string()}),
        format!("Session {address} closed; rent returned to {}", state.rent_payer),
    );
    Ok(())
}

pub fn session_export(ctx: &Ctx, name: &str, session: &str) -> CliResult<()> {
    let owner = ctx.owner()?;
    let wallet = wallet_ref(&owner.pubkey(), name);
    let address = match session_of(ctx, &wallet, session) {
        Ok((address, _)) => address,
        Err(_) => session
            .parse()
            .map_err(|_| CliError::input(format!("{session:?} is not a session address")))?,
    };
    let path = paths::created_token_file(&address.to_string())?;
    let token = std::fs::read_to_string(&path).map_err(|_| {
        CliError::new("NoToken", format!("no stored token for session {address}")).with_hint(
            "only sessions created on this machine (with the same LEASH_HOME) can be exported",
        )
    })?;
    // Printing the secret is the point of this command.
    Out::new(ctx).result(
        json!({"session": address.to_string(), "token": token.trim()}),
        token.trim().to_string(),
    );
    Ok(())
}
