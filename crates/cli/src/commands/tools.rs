//! `leash tools list`: the holder commands as an OpenAI function-calling schema, for agents.

use clap::Subcommand;
use serde_json::{json, Value};

use crate::{error::CliResult, render::print_json};

#[derive(Subcommand)]
pub enum ToolsCommand {
    /// OpenAI function-calling schema of the holder commands
    List,
}

pub fn exec(command: ToolsCommand) -> CliResult<()> {
    match command {
        ToolsCommand::List => print_json(&tools()),
    }
}

/// The holder commands as OpenAI function-calling tools.
fn tools() -> Value {
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
