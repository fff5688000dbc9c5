//! Holder commands: a bot or agent acting through an imported session token.

use base64::{prelude::BASE64_STANDARD, Engine};
use leash_sdk::{
    amount::{format_amount, parse_amount},
    errors::limit_figures,
    instruction as ix, policy, spl,
    state::{self, Session, Wallet, NATIVE_SOL_MINT},
    token::SessionToken,
    LeashError,
};
use serde::Deserialize;
use serde_json::{json, Value};
use solana_keypair::Keypair;
use solana_message::Message;
use solana_program::{
    instruction::{AccountMeta, Instruction, InstructionError},
    pubkey::Pubkey,
};
use solana_signer::Signer;
use solana_transaction::Transaction;
use solana_transaction_error::TransactionError;

use crate::{
    context::{Ctx, Globals},
    error::{program_error, CliError, CliResult},
    output::{policy_text, Out},
    owner::{balances, now, status},
    paths,
};

/// The holder's session: token, key, context on its cluster.
pub struct Holder {
    pub token: SessionToken,
    pub key: Keypair,
    pub wallet: Pubkey,
    pub vault: Pubkey,
    pub session: Pubkey,
    pub ctx: Ctx,
}

impl Holder {
    pub fn load(globals: &Globals) -> CliResult<Holder> {
        let token = Ctx::session_token()?;
        let invalid =
            |e: leash_sdk::token::TokenError| CliError::new("InvalidToken", e.to_string());
        let key = token.keypair().map_err(invalid)?;
        let wallet = token.wallet().map_err(invalid)?;
        let session = token.session().map_err(invalid)?;
        let (vault, _) = state::vault_address(&wallet);
        let ctx = Ctx::new(globals, Some(&token.cluster))?;
        Ok(Holder {
            token,
            key,
            wallet,
            vault,
            session,
            ctx,
        })
    }

    fn state(&self) -> CliResult<(Session, Wallet)> {
        let session = self
            .ctx
            .client
            .get_account(&self.session)
            .ok()
            .and_then(|a| Session::decode(&a.data))
            .ok_or_else(|| program_error(LeashError::SessionNotRegistered, &[], &|_| None))?;
        let wallet = self
            .ctx
            .client
            .get_account(&self.wallet)
            .ok()
            .and_then(|a| Wallet::decode(&a.data))
            .ok_or_else(|| {
                CliError::new(
                    "NoWallet",
                    format!(
                        "the token's wallet {} does not exist on {}",
                        self.wallet, self.ctx.cluster
                    ),
                )
            })?;
        Ok((session, wallet))
    }
}

pub fn import(globals: &Globals, text: &str) -> CliResult<()> {
    let token = SessionToken::decode(text)
        .map_err(|e| CliError::new("InvalidToken", format!("not a valid session token: {e}")))?;
    let path = paths::token_file()?;
    paths::write_private(&path, token.encode().as_bytes())?;
    let key = token
        .keypair()
        .map_err(|e| CliError::new("InvalidToken", e.to_string()))?;
    let overridden = std::env::var("LEASH_TOKEN").is_ok_and(|t| !t.trim().is_empty());
    let out = Out::plain(globals.json);
    out.result(
        json!({"imported": true, "path": path.display().to_string(), "session": token.session, "session_key": key.pubkey().to_string(), "wallet": token.wallet, "cluster": token.cluster, "label": token.label}),
        format!(
            "Imported session {} (key {}) for wallet {} on {}\nStored in {} (readable by you only){}",
            token.session,
            key.pubkey(),
            token.wallet,
            token.cluster,
            path.display(),
            if overridden { "\nnote: LEASH_TOKEN is set and takes precedence over the imported token" } else { "" }
        ),
    );
    Ok(())
}

/// Session state for people and machines (shared with the owner's `session show`).
pub fn print_session(
    ctx: &Ctx,
    address: &Pubkey,
    session: &Session,
    wallet: &Wallet,
) -> CliResult<()> {
    let slot = ctx.client.get_slot().unwrap_or(0);
    let now = now(ctx);
    let summary = policy::summarize(&session.policy, Some(&session.spent), ctx);
    let value = json!({
        "session": address.to_string(),
        "session_key": session.session_key.to_string(),
        "wallet": session.wallet.to_string(),
        "registered": true,
        "status": status(session, wallet, now, slot),
        "valid_after": summary["valid_after"],
        "valid_until": summary["valid_until"],
        "expiry_slot": summary["expiry_slot"],
        "uses": session.uses,
        "max_uses": summary["max_uses"],
        "nonce": session.nonce,
        "policy": summary,
    });
    let text = format!(
        "Session:     {address}\nRegistered:  yes\nStatus:      {}\nValid until: {}\nSlot bound:  {}\nUses:        {} / {}\nNonce:       {}\n{}",
        status(session, wallet, now, slot),
        summary["valid_until"].as_str().unwrap_or_default(),
        if session.policy.expiry_slot == 0 { "none".to_string() } else { format!("slot {} (now {slot})", session.policy.expiry_slot) },
        session.uses,
        if session.policy.max_uses == u64::MAX { "unlimited".to_string() } else { session.policy.max_uses.to_string() },
        session.nonce,
        policy_text(&summary),
    );
    Out::new(ctx).result(value, text);
    Ok(())
}

pub fn status_cmd(globals: &Globals) -> CliResult<()> {
    let holder = Holder::load(globals)?;
    match holder.state() {
        Ok((session, wallet)) => print_session(&holder.ctx, &holder.session, &session, &wallet),
        Err(e) if e.code == "SessionNotRegistered" => {
            Out::new(&holder.ctx).result(
                json!({"session": holder.session.to_string(), "registered": false, "status": "not registered"}),
                format!("Session:    {}\nRegistered: no (never created, or closed)", holder.session),
            );
            Ok(())
        }
        Err(e) => Err(e),
    }
}

pub fn whoami(globals: &Globals) -> CliResult<()> {
    let holder = Holder::load(globals)?;
    let state = holder.state().ok();
    let slot = holder.ctx.client.get_slot().unwrap_or(0);
    let now = now(&holder.ctx);
    let status = state
        .as_ref()
        .map(|(s, w)| status(s, w, now, slot))
        .unwrap_or("not registered");
    let fee_balance = holder
        .ctx
        .client
        .get_balance(&holder.key.pubkey())
        .unwrap_or(0);
    Out::new(&holder.ctx).result(
        json!({
            "session_key": holder.key.pubkey().to_string(),
            "session": holder.session.to_string(),
            "wallet": holder.wallet.to_string(),
            "vault": holder.vault.to_string(),
            "cluster": holder.ctx.cluster,
            "url": holder.ctx.url,
            "label": holder.token.label,
            "status": status,
            "fee_balance": format_amount(fee_balance, 9),
        }),
        format!(
            "Session key: {}\nSession:     {}\nWallet:      {}\nVault:       {}\nCluster:     {} ({})\nLabel:       {}\nStatus:      {status}\nFee balance: {} SOL",
            holder.key.pubkey(),
            holder.session,
            holder.wallet,
            holder.vault,
            holder.ctx.cluster,
            holder.ctx.url,
            if holder.token.label.is_empty() { "-" } else { &holder.token.label },
            format_amount(fee_balance, 9),
        ),
    );
    Ok(())
}

pub fn policy_show(globals: &Globals) -> CliResult<()> {
    let holder = Holder::load(globals)?;
    let (session, _) = holder.state()?;
    let summary = policy::summarize(&session.policy, Some(&session.spent), &holder.ctx);
    Out::new(&holder.ctx).result(summary.clone(), policy_text(&summary));
    Ok(())
}

pub fn balance(globals: &Globals, token: Option<&str>) -> CliResult<()> {
    let holder = Holder::load(globals)?;
    let mut rows = balances(&holder.ctx, &holder.vault)?;
    if let Some(token) = token {
        let token = holder.ctx.token(token)?;
        let mint = if token.mint == NATIVE_SOL_MINT {
            "SOL".to_string()
        } else {
            token.mint.to_string()
        };
        rows.retain(|(_, m, _, _)| *m == mint);
        if rows.is_empty() {
            rows.push((token.symbol.clone(), mint, 0, token.decimals));
        }
    }
    let value: Vec<Value> = rows
        .iter()
        .map(|(s, m, a, d)| json!({"token": s, "mint": m, "balance": format_amount(*a, *d), "base_units": a.to_string(), "decimals": d}))
        .collect();
    let text = rows
        .iter()
        .map(|(s, _, a, d)| format!("{} {s}", format_amount(*a, *d)))
        .collect::<Vec<_>>()
        .join("\n");
    Out::new(&holder.ctx).result(
        json!({"vault": holder.vault.to_string(), "balances": value}),
        format!("Vault {}\n{text}", holder.vault),
    );
    Ok(())
}

/// The instructions of a transfer: an `Execute` moving `amount` of `token` from the vault to
/// `to`, preceded — for tokens — by an idempotent creation of the recipient's token account,
/// paid by the session key (never by the vault).
fn transfer_instructions(
    holder: &Holder,
    to: &Pubkey,
    amount: &str,
    token: &str,
) -> CliResult<Vec<Instruction>> {
    let ctx = &holder.ctx;
    let token = ctx.token(token)?;
    let base = parse_amount(amount, token.decimals)
        .map_err(|e| CliError::input(format!("--amount: {e}")))?;
    if base == 0 {
        return Err(CliError::input("--amount must be more than 0"));
    }
    if token.mint == NATIVE_SOL_MINT {
        let transfer = solana_system_interface::instruction::transfer(&holder.vault, to, base);
        return Ok(vec![ix::execute(
            &holder.key.pubkey(),
            &holder.wallet,
            None,
            &[transfer],
        )]);
    }
    let program = ctx.token_program(&token.mint)?;
    let from = spl::associated_token_address(&holder.vault, &token.mint, &program);
    // A token account of this mint may be given directly; otherwise `to` is a wallet address.
    let direct = ctx
        .client
        .get_account(to)
        .ok()
        .and_then(|a| leash_sdk::token_account::parse(&a.owner, &a.data))
        .filter(|view| view.mint == token.mint);
    let mut instructions = Vec::new();
    let destination = match direct {
        Some(_) => *to,
        None => {
            instructions.push(spl::create_associated_token_account_idempotent(
                &holder.key.pubkey(),
                to,
                &token.mint,
                &program,
            ));
            spl::associated_token_address(to, &token.mint, &program)
        }
    };
    let transfer = spl::transfer_checked(
        &program,
        &from,
        &token.mint,
        &destination,
        &holder.vault,
        base,
        token.decimals,
    );
    instructions.push(ix::execute(
        &holder.key.pubkey(),
        &holder.wallet,
        None,
        &[transfer],
    ));
    Ok(instructions)
}

/// One instruction as JSON: `{"program": ADDRESS, "accounts": [{"pubkey": ADDRESS|"vault",
/// "is_signer": bool, "is_writable": bool}], "data": BASE64}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonInstruction {
    program: String,
    #[serde(default)]
    accounts: Vec<JsonAccount>,
    #[serde(default)]
    data: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonAccount {
    pubkey: String,
    #[serde(default, alias = "signer")]
    is_signer: bool,
    #[serde(default, alias = "writable")]
    is_writable: bool,
}

/// Reads `text`, `@file` or `-` (stdin).
fn read_arg(text: &str) -> CliResult<String> {
    if text == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
            .map_err(|e| CliError::input(format!("cannot read stdin: {e}")))?;
        return Ok(s);
    }
    match text.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| CliError::input(format!("cannot read {path}: {e}"))),
        None => Ok(text.to_string()),
    }
}

fn parse_instruction(holder: &Holder, raw: JsonInstruction) -> CliResult<Instruction> {
    let address = |text: &str, what: &str| -> CliResult<Pubkey> {
        if text == "vault" {
            return Ok(holder.vault);
        }
        leash_sdk::names::program_by_name(text)
            .filter(|_| what == "program")
            .or_else(|| text.parse().ok())
            .ok_or_else(|| CliError::input(format!("{what} {text:?} is not an address")))
    };
    let data = BASE64_STANDARD
        .decode(raw.data.trim())
        .map_err(|_| CliError::input("\"data\" must be base64"))?;
    let accounts = raw
        .accounts
        .iter()
        .map(|a| {
            Ok(AccountMeta {
                pubkey: address(&a.pubkey, "account")?,
                is_signer: a.is_signer,
                is_writable: a.is_writable,
            })
        })
        .collect::<CliResult<Vec<_>>>()?;
    Ok(Instruction {
        program_id: address(&raw.program, "program")?,
        accounts,
        data,
    })
}

fn execute_instructions(holder: &Holder, calls: &str, many: bool) -> CliResult<Vec<Instruction>> {
    let text = read_arg(calls)?;
    let parsed: Vec<JsonInstruction> = if many {
        serde_json::from_str(&text).map_err(|e| {
            CliError::input(format!("--calls must be a JSON array of instructions: {e}"))
        })?
    } else {
        vec![serde_json::from_str(&text).map_err(|e| {
            CliError::input(format!(
                "--ix must be one JSON instruction {{\"program\", \"accounts\", \"data\"}}: {e}"
            ))
        })?]
    };
    if parsed.is_empty() {
        return Err(CliError::input("--calls is empty"));
    }
    let inner = parsed
        .into_iter()
        .map(|raw| parse_instruction(holder, raw))
        .collect::<CliResult<Vec<_>>>()?;
    Ok(vec![ix::execute(
        &holder.key.pubkey(),
        &holder.wallet,
        None,
        &inner,
    )])
}

/// What a holder command would send.
pub enum Action {
    Transfer {
        to: Pubkey,
        amount: String,
        token: String,
    },
    Execute {
        ix: String,
    },
    Multicall {
        calls: String,
    },
}

fn instructions_for(holder: &Holder, action: &Action) -> CliResult<Vec<Instruction>> {
    match action {
        Action::Transfer { to, amount, token } => transfer_instructions(holder, to, amount, token),
        Action::Execute { ix } => execute_instructions(holder, ix, false),
        Action::Multicall { calls } => execute_instructions(holder, calls, true),
    }
}

pub fn act(globals: &Globals, action: Action) -> CliResult<()> {
    let holder = Holder::load(globals)?;
    let instructions = instructions_for(&holder, &action)?;
    let signature = holder.ctx.send(&instructions, &[&holder.key])?;
    let (session, _) = holder.state()?;
    let summary = policy::summarize(&session.policy, Some(&session.spent), &holder.ctx);
    let text = match &action {
        Action::Transfer { to, amount, token } => format!(
            "Sent {amount} {} to {to}\nSignature: {signature}",
            token.to_ascii_uppercase()
        ),
        _ => format!("Executed\nSignature: {signature}"),
    };
    Out::new(&holder.ctx).result(json!({"signature": signature.to_string(), "uses": session.uses, "limits": summary["limits"]}), text);
    Ok(())
}

pub fn simulate(globals: &Globals, action: Action) -> CliResult<()> {
    let holder = Holder::load(globals)?;
    let instructions = instructions_for(&holder, &action)?;
    let ctx = &holder.ctx;
    let blockhash = ctx.client.get_latest_blockhash().map_err(|e| ctx.rpc(e))?;
    let tx = Transaction::new(
        &[&holder.key],
        Message::new(&instructions, Some(&holder.key.pubkey())),
        blockhash,
    );
    let result = ctx
        .client
        .simulate_transaction(&tx)
        .map_err(|e| ctx.rpc(e))?
        .value;
    let logs = result.logs.clone().unwrap_or_default();
    let out = Out::new(ctx);
    let Some(err) = result.err.map(TransactionError::from) else {
        out.result(
            json!({"would_succeed": true, "units_consumed": result.units_consumed, "logs": logs}),
            "Would succeed: every bound of the session allows it.".into(),
        );
        return Ok(());
    };
    let error = crate::error::transaction_error(&err, &logs, &|m| ctx.describe_mint(m));
    let mut over = None;
    if let (TransactionError::InstructionError(_, InstructionError::Custom(code)), Some(f)) =
        (&err, limit_figures(&logs))
    {
        let (symbol, decimals) = ctx
            .describe_mint(&f.mint)
            .unwrap_or((f.mint.to_string(), 0));
        let excess = match LeashError::from_code(*code) {
            Some(LeashError::PerTxLimitExceeded) => f.amount.saturating_sub(f.limit),
            _ => f.used.saturating_add(f.amount).saturating_sub(f.limit),
        };
        over = Some((format_amount(excess, decimals), symbol));
    }
    let value = json!({
        "would_succeed": false,
        "code": error.code,
        "program_code": error.program_code,
        "message": error.message,
        "hint": error.hint,
        "over_by": over.as_ref().map(|(a, s)| json!({"amount": a, "token": s})),
        "logs": logs,
    });
    let mut text = format!("Would fail: {}", error.message);
    if let Some((amount, symbol)) = &over {
        text.push_str(&format!("\nOver by {amount} {symbol}"));
    }
    if let Some(hint) = &error.hint {
        text.push_str(&format!("\nhint: {hint}"));
    }
    out.result(value, text);
    Ok(())
}

pub fn revoke(globals: &Globals) -> CliResult<()> {
    let holder = Holder::load(globals)?;
    let revoke = ix::revoke_session(&holder.key.pubkey(), &holder.wallet, &holder.session);
    let signature = holder.ctx.send(&[revoke], &[&holder.key])?;
    Out::new(&holder.ctx).result(
        json!({"session": holder.session.to_string(), "revoked": true, "signature": signature.to_string()}),
        format!("Session {} revoked; this token can no longer act", holder.session),
    );
    Ok(())
}

/// The holder commands as OpenAI function-calling tools.
pub fn tools() -> Value {
    let tool = |name: &str, description: &str, properties: Value, required: &[&str]| json!({"type": "function", "function": {"name": name, "description": description, "parameters": {"type": "object", "properties": properties, "required": required, "additionalProperties": false}}});
    let token = json!({"type": "string", "description": "SOL, a token symbol such as USDC, or a mint address", "default": "SOL"});
    let amount = json!({"type": "string", "description": "exact decimal amount in the token's units, e.g. \"4.5\""});
    let address = json!({"type": "string", "description": "a base-58 Solana address"});
    let instruction = json!({"type": "object", "properties": {
        "program": {"type": "string", "description": "program address or well-known name (system, spl-token, token-2022, memo)"},
        "accounts": {"type": "array", "items": {"type": "object", "properties": {"pubkey": {"type": "string", "description": "address, or \"vault\""}, "is_signer": {"type": "boolean"}, "is_writable": {"type": "boolean"}}, "required": ["pubkey"]}},
        "data": {"type": "string", "description": "instruction data, base64"}}, "required": ["program"]});
    json!([
        tool("leash_whoami", "Show the session key, wallet, vault, cluster and session status.", json!({}), &[]),
        tool("leash_session_status", "Whether the session is registered and active, its validity, slot bound, uses and nonce.", json!({}), &[]),
        tool("leash_policy_show", "The session's bounds: spending limits as used / limit, period windows, allowed programs.", json!({}), &[]),
        tool("leash_balance", "Balances of the wallet's vault (SOL and tokens).", json!({"token": token}), &[]),
        tool("leash_transfer", "Send SOL or a token from the vault, within the session's limits.", json!({"to": address, "amount": amount, "token": token}), &["to", "amount"]),
        tool("leash_execute", "Run one raw instruction through the session (the vault signs).", json!({"instruction": instruction}), &["instruction"]),
        tool("leash_multicall", "Run several raw instructions atomically through the session.", json!({"instructions": {"type": "array", "items": instruction}}), &["instructions"]),
        tool("leash_simulate_transfer", "Dry-run a transfer: would it pass, and if not which bound stops it and by how much.", json!({"to": address, "amount": amount, "token": token}), &["to", "amount"]),
        tool("leash_revoke", "Revoke this session for good (when the task is done).", json!({}), &[]),
    ])
}
