//! The tools: what an MCP client sees in `tools/list` (name, description, input and output
//! schemas, annotations) and how a call's arguments become a `leash-client` [`Action`] — parsed
//! once, here, before any work.

use std::sync::Arc;

use leash_client::{
    input::parse_address, Action, Amount, ClientError, PolicyInput, RawInstruction, TokenRef,
};
use rmcp::model::{JsonObject, Tool, ToolAnnotations};
use serde::Deserialize;
use serde_json::{json, Value};
use solana_program::pubkey::Pubkey;

/// The safe loop every acting tool's description repeats: agents read descriptions, not docs.
const SAFE_LOOP: &str = "Safe loop: call session_status first (is the session active, how much \
     is left), then simulate the exact action, and only then act; on an error read its code, \
     hint and figures before retrying.";

/// A parsed call: which operation, with its arguments as `leash-client` types.
#[derive(Debug, PartialEq)]
pub enum Call {
    Whoami,
    Balance(Option<TokenRef>),
    PolicyShow,
    SessionStatus,
    Simulate(Action),
    /// `transfer`, `execute` or `multicall`.
    Act(Action),
    Revoke,
    /// Ask the owner's API for a session (`wallet`: else the current token's wallet).
    RequestSession {
        wallet: Option<Pubkey>,
        policy: PolicyInput,
        reason: String,
        expires_in_seconds: Option<u64>,
    },
    /// How a request stands; once approved its token is stored for the next calls.
    RequestStatus {
        id: String,
    },
}

impl Call {
    /// Does this call change anything — on chain, with the owner, or the stored token — and
    /// so need the `write` scope over HTTP?
    pub fn acts(&self) -> bool {
        matches!(
            self,
            Call::Act(_) | Call::Revoke | Call::RequestSession { .. } | Call::RequestStatus { .. }
        )
    }
}

/// What a tool call's arguments failed to be: the agent gets it as an `invalid_input` error.
pub fn parse(name: &str, arguments: Option<&JsonObject>) -> Result<Option<Call>, ClientError> {
    let args = Value::Object(arguments.cloned().unwrap_or_default());
    let call = match name {
        "whoami" => {
            no_arguments::<NoArgs>(args)?;
            Call::Whoami
        }
        "policy_show" => {
            no_arguments::<NoArgs>(args)?;
            Call::PolicyShow
        }
        "session_status" => {
            no_arguments::<NoArgs>(args)?;
            Call::SessionStatus
        }
        "revoke" => {
            no_arguments::<NoArgs>(args)?;
            Call::Revoke
        }
        "balance" => {
            let a: BalanceArgs = arguments_of(name, args)?;
            Call::Balance(a.token.as_deref().map(TokenRef::new))
        }
        "transfer" => Call::Act(arguments_of::<TransferArgs>(name, args)?.action()?),
        "execute" => Call::Act(arguments_of::<ExecuteArgs>(name, args)?.action()?),
        "multicall" => Call::Act(arguments_of::<MulticallArgs>(name, args)?.action()?),
        "simulate" => Call::Simulate(arguments_of::<SimulateArgs>(name, args)?.action()?),
        "request_session" => arguments_of::<RequestSessionArgs>(name, args)?.call()?,
        "request_status" => Call::RequestStatus {
            id: arguments_of::<RequestStatusArgs>(name, args)?.id,
        },
        _ => return Ok(None),
    };
    Ok(Some(call))
}

fn arguments_of<T: for<'de> Deserialize<'de>>(tool: &str, args: Value) -> Result<T, ClientError> {
    serde_json::from_value(args).map_err(|e| {
        ClientError::input(format!("{tool}: {e}"))
            .with_hint("the tool's inputSchema (tools/list) lists its arguments")
    })
}

fn no_arguments<T: for<'de> Deserialize<'de>>(args: Value) -> Result<T, ClientError> {
    serde_json::from_value(args)
        .map_err(|e| ClientError::input(format!("this tool takes no arguments: {e}")))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoArgs {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BalanceArgs {
    token: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TransferArgs {
    to: String,
    amount: String,
    token: Option<String>,
}

impl TransferArgs {
    fn action(&self) -> Result<Action, ClientError> {
        transfer(&self.to, &self.amount, self.token.as_deref())
    }
}

fn transfer(to: &str, amount: &str, token: Option<&str>) -> Result<Action, ClientError> {
    Ok(Action::Transfer {
        to: parse_address(to).map_err(|e| ClientError::input(format!("to: {}", e.message)))?,
        amount: Amount::parse(amount, "amount")?,
        token: TokenRef::new(token.unwrap_or("SOL")),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExecuteArgs {
    instruction: Value,
}

impl ExecuteArgs {
    fn action(&self) -> Result<Action, ClientError> {
        Ok(Action::Execute(instruction(&self.instruction)?))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MulticallArgs {
    instructions: Vec<Value>,
}

impl MulticallArgs {
    fn action(&self) -> Result<Action, ClientError> {
        instructions(&self.instructions)
    }
}

/// One instruction object, through the one parser every face uses.
fn instruction(value: &Value) -> Result<RawInstruction, ClientError> {
    RawInstruction::from_value(value)
}

fn instructions(values: &[Value]) -> Result<Action, ClientError> {
    if values.is_empty() {
        return Err(ClientError::input(
            "instructions is empty: give at least one",
        ));
    }
    Ok(Action::Multicall(
        values.iter().map(instruction).collect::<Result<_, _>>()?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestSessionArgs {
    wallet: Option<String>,
    policy: Value,
    reason: String,
    expires_in_seconds: Option<u64>,
}

impl RequestSessionArgs {
    fn call(self) -> Result<Call, ClientError> {
        let wallet = self
            .wallet
            .as_deref()
            .map(|w| {
                parse_address(w).map_err(|e| ClientError::input(format!("wallet: {}", e.message)))
            })
            .transpose()?;
        if !self.policy.is_object() {
            return Err(ClientError::input(
                "policy must be an object: the policy file as JSON (expires_in, limits, …)",
            ));
        }
        // The one policy parser every face uses; the file format is JSON here.
        let policy = PolicyInput::parse("policy", &self.policy.to_string(), true)?;
        Ok(Call::RequestSession {
            wallet,
            policy,
            reason: self.reason,
            expires_in_seconds: self.expires_in_seconds,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestStatusArgs {
    id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
enum SimulatedKind {
    Transfer,
    Execute,
    Multicall,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SimulateArgs {
    action: SimulatedKind,
    to: Option<String>,
    amount: Option<String>,
    token: Option<String>,
    instruction: Option<Value>,
    instructions: Option<Vec<Value>>,
}

impl SimulateArgs {
    fn action(&self) -> Result<Action, ClientError> {
        let transfer_fields = [
            ("to", self.to.is_some()),
            ("amount", self.amount.is_some()),
            ("token", self.token.is_some()),
        ];
        match self.action {
            SimulatedKind::Transfer => {
                stray(
                    &[
                        ("instruction", self.instruction.is_some()),
                        ("instructions", self.instructions.is_some()),
                    ],
                    "transfer",
                )?;
                let to = self
                    .to
                    .as_deref()
                    .ok_or_else(|| missing("to", "transfer"))?;
                let amount = self
                    .amount
                    .as_deref()
                    .ok_or_else(|| missing("amount", "transfer"))?;
                transfer(to, amount, self.token.as_deref())
            }
            SimulatedKind::Execute => {
                stray(&transfer_fields, "execute")?;
                stray(&[("instructions", self.instructions.is_some())], "execute")?;
                let ix = self
                    .instruction
                    .as_ref()
                    .ok_or_else(|| missing("instruction", "execute"))?;
                Ok(Action::Execute(instruction(ix)?))
            }
            SimulatedKind::Multicall => {
                stray(&transfer_fields, "multicall")?;
                stray(&[("instruction", self.instruction.is_some())], "multicall")?;
                let ixs = self
                    .instructions
                    .as_ref()
                    .ok_or_else(|| missing("instructions", "multicall"))?;
                instructions(ixs)
            }
        }
    }
}

fn missing(field: &str, action: &str) -> ClientError {
    ClientError::input(format!("simulate: action \"{action}\" needs \"{field}\""))
}

/// An argument given for another action than the one simulated: refused, not ignored.
fn stray(fields: &[(&str, bool)], action: &str) -> Result<(), ClientError> {
    match fields.iter().find(|(_, present)| *present) {
        Some((field, _)) => Err(ClientError::input(format!(
            "simulate: \"{field}\" does not apply to action \"{action}\""
        ))),
        None => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------------
// What tools/list says.

fn object(properties: Value, required: &[&str]) -> Value {
    json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    })
}

/// A report's schema: the fields a client may rely on; others may be added.
fn report(properties: Value, required: &[&str]) -> Value {
    json!({ "type": "object", "properties": properties, "required": required })
}

fn input_schemas() -> (Value, Value, Value, Value) {
    let token = json!({"type": "string", "description": "SOL (default), a token symbol such as USDC, or a mint address"});
    let amount = json!({"type": "string", "pattern": "^[0-9]+(\\.[0-9]+)?$", "description": "exact decimal amount in the token's units, e.g. \"4.5\" (a string: no floating point)"});
    let address = json!({"type": "string", "description": "recipient: a base-58 wallet address (its token account is created if needed) or a token account of the mint"});
    let instruction = json!({
        "type": "object",
        "description": "one Solana instruction, the vault signing",
        "properties": {
            "program": {"type": "string", "description": "program address or well-known name (system, spl-token, token-2022, memo)"},
            "accounts": {"type": "array", "items": {
                "type": "object",
                "properties": {
                    "pubkey": {"type": "string", "description": "an address, or \"vault\" for the wallet's vault"},
                    "is_signer": {"type": "boolean"},
                    "is_writable": {"type": "boolean"}
                },
                "required": ["pubkey"],
                "additionalProperties": false
            }},
            "data": {"type": "string", "description": "instruction data, base64"}
        },
        "required": ["program"],
        "additionalProperties": false
    });
    (token, amount, address, instruction)
}

fn string() -> Value {
    json!({"type": "string"})
}

fn limits_schema() -> Value {
    json!({"type": "array", "description": "spending limits: exact decimals of the token, or \"unlimited\"", "items": report(json!({
        "token": string(), "mint": string(), "decimals": {"type": "integer"},
        "per_tx": string(), "total": string(),
        "period": {"type": ["string", "null"]}, "per_period": {"type": ["string", "null"]},
        "used": string(), "used_in_period": string(), "period_index": {"type": "integer"}
    }), &["token", "mint", "per_tx", "total"])})
}

fn policy_schema() -> Value {
    report(
        json!({
            "valid_after": string(), "valid_until": string(),
            "expiry_slot": {"type": ["integer", "null"]},
            "max_uses": {"type": ["integer", "null"]},
            "max_calls_per_tx": {"type": "integer"},
            "allowed_programs": {"type": "array", "items": report(json!({"address": string(), "name": {"type": ["string", "null"]}}), &["address"])},
            "limits": limits_schema()
        }),
        &["valid_until", "allowed_programs", "limits"],
    )
}

fn acted_schema() -> Value {
    report(
        json!({
            "signature": {"type": "string", "description": "the confirmed transaction's signature"},
            "uses": {"type": "integer", "description": "the session's uses after this one"},
            "limits": limits_schema()
        }),
        &["signature", "uses", "limits"],
    )
}

/// A tool that changes state but destroys nothing (filing a request, storing its token).
fn additive(title: &str, idempotent: bool) -> ToolAnnotations {
    ToolAnnotations::with_title(title)
        .read_only(false)
        .destructive(false)
        .idempotent(idempotent)
        .open_world(true)
}

fn annotations(title: &str, read_only: bool, idempotent: bool) -> ToolAnnotations {
    // Every tool talks to a Solana cluster: an open world.
    let a = ToolAnnotations::with_title(title)
        .read_only(read_only)
        .open_world(true);
    if read_only {
        a
    } else {
        a.destructive(true).idempotent(idempotent)
    }
}

fn tool(
    name: &'static str,
    description: String,
    input: Value,
    output: Value,
    annotations: ToolAnnotations,
) -> Tool {
    let as_object = |v: Value| match v {
        Value::Object(map) => Arc::new(map),
        _ => Arc::new(JsonObject::new()),
    };
    let title = annotations.title.clone().unwrap_or_default();
    Tool::new(name, description, as_object(input))
        .with_title(title)
        .with_raw_output_schema(as_object(output))
        .with_annotations(annotations)
}

/// Every tool, in the order an agent would use them.
/// The tools that ask an owner for a session through the owner's API: offered by `leash mcp`
/// (stdio, the agent's own machine), not by `/mcp` on `leash serve` (docs/agents.md).
pub const REQUEST_TOOLS: [&str; 2] = ["request_session", "request_status"];

pub fn catalog() -> Vec<Tool> {
    let (token, amount, address, instruction) = input_schemas();
    let none = object(json!({}), &[]);
    let simulation = report(
        json!({
            "would_succeed": {"type": "boolean"},
            "units_consumed": {"type": ["integer", "null"]},
            "code": {"type": "string", "description": "why it would fail (as the real call's error code)"},
            "program_code": {"type": ["integer", "null"]},
            "message": string(),
            "hint": {"type": ["string", "null"]},
            "over_by": {"type": ["object", "null"], "properties": {"amount": string(), "token": string()}},
            "figures": {"type": "object"},
            "logs": {"type": "array", "items": string()}
        }),
        &["would_succeed"],
    );
    vec![
        tool(
            "session_status",
            format!("Is this agent's session registered and active; valid until, slot bound, uses / max uses, nonce, and its policy with used / limit per token. Read-only. Call it first. {SAFE_LOOP}"),
            none.clone(),
            report(json!({
                "session": string(), "registered": {"type": "boolean"},
                "status": {"type": "string", "description": "active, revoked, not yet active, expired, used up, or not registered"},
                "session_key": string(), "wallet": string(),
                "valid_after": string(), "valid_until": string(),
                "expiry_slot": {"type": ["integer", "null"]},
                "uses": {"type": "integer"}, "max_uses": {"type": ["integer", "null"]},
                "nonce": {"type": "integer"}, "policy": policy_schema()
            }), &["session", "registered", "status"]),
            annotations("Session status", true, true),
        ),
        tool(
            "whoami",
            "Who this agent is on chain: the session key (public), session, wallet, vault, the Leash program it lives under, cluster, label, status, and the session key's SOL for fees. Read-only.".into(),
            none.clone(),
            report(json!({
                "session_key": string(), "session": string(), "wallet": string(), "vault": string(),
                "program_id": string(), "cluster": string(), "url": string(), "label": string(), "status": string(),
                "fee_balance": {"type": "string", "description": "SOL held by the session key, which pays fees"}
            }), &["session_key", "session", "wallet", "vault", "status"]),
            annotations("Who am I", true, true),
        ),
        tool(
            "policy_show",
            "The session's bounds: spending limits per token as used / limit (total, per transaction, per period), period windows, allowed programs, validity and max uses. Read-only.".into(),
            none.clone(),
            policy_schema(),
            annotations("Session policy", true, true),
        ),
        tool(
            "balance",
            "Balances of the wallet's vault (what the session spends from): SOL and tokens, or one token. Read-only.".into(),
            object(json!({"token": token.clone()}), &[]),
            report(json!({
                "vault": string(),
                "balances": {"type": "array", "items": report(json!({
                    "token": string(), "mint": string(), "balance": string(),
                    "base_units": string(), "decimals": {"type": "integer"}
                }), &["token", "mint", "balance"])}
            }), &["vault", "balances"]),
            annotations("Vault balance", true, true),
        ),
        tool(
            "simulate",
            format!("Dry-run an action exactly as transfer/execute/multicall would send it, without sending: would it pass, and if not which bound stops it (code, message, hint, over_by, figures). A refusal is a normal result (would_succeed false), not an error. Read-only. {SAFE_LOOP}"),
            object(json!({
                "action": {"type": "string", "enum": ["transfer", "execute", "multicall"], "description": "which action to dry-run; give that action's arguments beside it"},
                "to": address.clone(), "amount": amount.clone(), "token": token.clone(),
                "instruction": instruction.clone(),
                "instructions": {"type": "array", "items": instruction.clone(), "minItems": 1}
            }), &["action"]),
            simulation,
            annotations("Simulate an action", true, true),
        ),
        tool(
            "transfer",
            format!("Send SOL or a token from the wallet's vault to an address, within the session's limits; waits for confirmation and returns the signature and the limits' used / limit after it. Moves funds: simulate first. {SAFE_LOOP}"),
            object(json!({"to": address, "amount": amount, "token": token}), &["to", "amount"]),
            acted_schema(),
            annotations("Transfer from the vault", false, false),
        ),
        tool(
            "execute",
            format!("Run one raw Solana instruction through the session, the vault signing; only programs the policy allows, within its limits. Waits for confirmation. Can move funds: simulate first. {SAFE_LOOP}"),
            object(json!({"instruction": instruction.clone()}), &["instruction"]),
            acted_schema(),
            annotations("Execute an instruction", false, false),
        ),
        tool(
            "multicall",
            format!("Run several raw instructions atomically (all or none) through the session, the vault signing. Waits for confirmation. Can move funds: simulate first. {SAFE_LOOP}"),
            object(json!({"instructions": {"type": "array", "items": instruction, "minItems": 1}}), &["instructions"]),
            acted_schema(),
            annotations("Execute several instructions", false, false),
        ),
        tool(
            "revoke",
            "Revoke this session for good, when the task is done: it can never act again (the owner must create a new one). Irreversible.".into(),
            none,
            report(json!({"session": string(), "revoked": {"type": "boolean"}, "signature": string()}), &["session", "revoked"]),
            annotations("Revoke this session", false, true),
        ),
        tool(
            "request_session",
            "No session, or it ran out? Ask the wallet's owner for one: a session key is made on this machine (its secret never leaves it) and a request is filed with the owner's Leash API (LEASH_API_URL, LEASH_API_KEY with the `request` scope) with the policy you need and why. Returns a request id; the owner approves (possibly narrower), or denies. Then call request_status. Ask only for what the task needs.".into(),
            object(json!({
                "wallet": {"type": "string", "description": "the wallet (base-58) to act on; default: the current session's wallet"},
                "policy": {
                    "type": "object",
                    "description": "the policy asked for, as a Leash policy file in JSON: expires_in (\"2h\"), max_uses, max_calls_per_tx, allowed_programs ([\"spl-token\", \"system\"]), limits ([{token, per_tx, total, period, per_period}] with decimal strings), label",
                    "properties": {
                        "label": string(), "expires_in": string(), "valid_after": string(), "valid_until": string(),
                        "expiry_slot": {"type": "integer"}, "max_uses": {"type": "integer"}, "max_calls_per_tx": {"type": "integer"},
                        "allowed_programs": {"type": "array", "items": string()},
                        "limits": {"type": "array", "items": {"type": "object", "properties": {
                            "token": string(), "per_tx": string(), "total": string(), "period": string(), "per_period": string()
                        }, "required": ["token"]}}
                    }
                },
                "reason": {"type": "string", "minLength": 1, "maxLength": 500, "description": "what the session is for, for the owner"},
                "expires_in_seconds": {"type": "integer", "minimum": 1, "maximum": 604800, "description": "how long the owner has to decide (default one day)"}
            }), &["policy", "reason"]),
            report(json!({
                "id": string(), "status": string(), "wallet": string(), "session_key": string(),
                "session": string(), "expires_at": string(), "policy": policy_schema(),
                "key_file": {"type": "string", "description": "where the key waits (0600); never sent"}
            }), &["id", "status", "session_key"]),
            additive("Ask the owner for a session", false),
        ),
        tool(
            "request_status",
            "How a session request stands: pending (ask again later), approved (the token is made here from the kept key and stored; every tool uses the new session from the next call, within granted_policy, which may be narrower than asked), denied (with the owner's note) or expired. Then follow the safe loop: session_status first.".into(),
            object(json!({"id": {"type": "string", "description": "the request id (sreq_…) request_session returned"}}), &["id"]),
            report(json!({
                "id": string(),
                "status": {"type": "string", "enum": ["pending", "approved", "denied", "expired"]},
                "wallet": string(), "session": string(), "session_key": string(), "expires_at": string(),
                "requested_policy": policy_schema(), "granted_policy": policy_schema(),
                "note": string(), "token_file": string(),
                "next": {"type": "string", "description": "what to do next"}
            }), &["id", "status", "next"]),
            additive("Session request status", true),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: Value) -> JsonObject {
        match v {
            Value::Object(m) => m,
            _ => panic!("not an object"),
        }
    }

    const TO: &str = "11111111111111111111111111111112";

    #[test]
    fn every_tool_in_the_catalog_parses_and_unknown_names_do_not() {
        for tool in catalog() {
            assert!(tool.annotations.is_some(), "{}", tool.name);
            assert!(tool.output_schema.is_some(), "{}", tool.name);
            assert_eq!(tool.input_schema["type"], "object");
            let example = match tool.name.as_ref() {
                "transfer" => json!({"to": TO, "amount": "1.5", "token": "USDC"}),
                "execute" => json!({"instruction": {"program": "memo", "data": "aGk="}}),
                "multicall" => json!({"instructions": [{"program": "memo", "data": "aGk="}]}),
                "simulate" => json!({"action": "transfer", "to": TO, "amount": "1"}),
                "balance" => json!({"token": "SOL"}),
                "request_session" => {
                    json!({"policy": {"expires_in": "1h", "limits": [{"token": "USDC", "total": "3"}]}, "reason": "pay"})
                }
                "request_status" => json!({"id": "sreq_1"}),
                _ => json!({}),
            };
            let call = parse(&tool.name, Some(&args(example))).unwrap();
            assert!(call.is_some(), "{}", tool.name);
            let read_only = tool.annotations.as_ref().unwrap().read_only_hint == Some(true);
            if !read_only {
                assert!(tool
                    .annotations
                    .as_ref()
                    .unwrap()
                    .destructive_hint
                    .is_some());
            }
            assert_eq!(call.unwrap().acts(), !read_only, "{}", tool.name);
        }
        assert_eq!(parse("nope", None).unwrap(), None);
    }

    #[test]
    fn bad_arguments_are_invalid_input_naming_the_field() {
        let cases = [
            ("transfer", json!({"to": TO})),
            ("transfer", json!({"to": "x", "amount": "1"})),
            ("transfer", json!({"to": TO, "amount": "-1"})),
            ("transfer", json!({"to": TO, "amount": "1", "extra": 1})),
            ("whoami", json!({"x": 1})),
            ("execute", json!({"instruction": "memo"})),
            ("multicall", json!({"instructions": []})),
            ("simulate", json!({"action": "transfer", "to": TO})),
            (
                "simulate",
                json!({"action": "execute", "to": TO, "instruction": {"program": "memo"}}),
            ),
            ("simulate", json!({"action": "burn"})),
            (
                "request_session",
                json!({"policy": "expires_in = 1", "reason": "x"}),
            ),
            (
                "request_session",
                json!({"policy": {"limits": 3}, "reason": "x"}),
            ),
            (
                "request_session",
                json!({"wallet": "w", "policy": {}, "reason": "x"}),
            ),
            ("request_status", json!({})),
        ];
        for (name, a) in cases {
            let e = parse(name, Some(&args(a.clone()))).unwrap_err();
            assert!(
                matches!(
                    e.code,
                    leash_client::ErrorCode::InvalidInput | leash_client::ErrorCode::InvalidPolicy
                ),
                "{name} {a}: {e:?}"
            );
        }
        let e = parse(
            "simulate",
            Some(&args(json!({"action": "transfer", "to": TO}))),
        )
        .unwrap_err();
        assert!(e.message.contains("amount"), "{}", e.message);
    }
}
