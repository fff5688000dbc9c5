//! The tools: what an MCP client sees in `tools/list` (name, description, input and output
//! schemas, annotations) and how a call's arguments become a `leash-client` [`Action`] — parsed
//! once, here, before any work.

use std::sync::Arc;

use leash_client::{
    input::{parse_address, JsonInstruction},
    Action, Amount, ClientError, PolicyInput, RawInstruction, TokenRef,
};
use leash_sdk::policy::PolicyFile;
use rmcp::model::{JsonObject, Tool, ToolAnnotations};
use schemars::{generate::SchemaSettings, JsonSchema};
use serde::Deserialize;
use serde_json::Value;
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
    /// A dry run; the raw program logs only when asked (`include_logs`).
    Simulate {
        action: Action,
        include_logs: bool,
    },
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

/// The tools that change something — on chain, with the owner, or the stored token — and so
/// need the `write` scope over HTTP; a key that only reads is not offered them.
pub const ACTING_TOOLS: [&str; 6] = [
    "transfer",
    "execute",
    "multicall",
    "revoke",
    "request_session",
    "request_status",
];

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
        "simulate" => {
            let a = arguments_of::<SimulateArgs>(name, args)?;
            Call::Simulate {
                action: a.action()?,
                include_logs: a.include_logs.unwrap_or(false),
            }
        }
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
    serde_json::from_value(args).map_err(|e| {
        ClientError::input(format!("this tool takes no arguments: {e}"))
            .with_hint("call it with an empty arguments object: {}")
    })
}

/// No arguments.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct NoArgs {}

/// The exact decimal amount in the token's units, e.g. "4.5" (a string: no floating point).
const AMOUNT_PATTERN: &str = "^[0-9]+(\\.[0-9]+)?$";

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct BalanceArgs {
    /// SOL, a token symbol such as USDC, or a mint address; default: every token.
    token: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct TransferArgs {
    /// The recipient: a base-58 wallet address (its token account is created if needed) or a
    /// token account of the mint.
    to: String,
    /// The exact decimal amount in the token's units, e.g. "4.5" (a string: no floating point).
    #[schemars(pattern(AMOUNT_PATTERN))]
    amount: String,
    /// SOL (default), a token symbol such as USDC, or a mint address.
    token: Option<String>,
}

impl TransferArgs {
    fn action(&self) -> Result<Action, ClientError> {
        transfer(&self.to, &self.amount, self.token.as_deref())
    }
}

fn transfer(to: &str, amount: &str, token: Option<&str>) -> Result<Action, ClientError> {
    Ok(Action::Transfer {
        to: parse_address(to).map_err(|e| {
            ClientError::input(format!("to: {}", e.message))
                .with_hint("give the recipient as a base-58 address (32 bytes)")
        })?,
        amount: Amount::parse(amount, "amount")?,
        token: TokenRef::new(token.unwrap_or("SOL")),
    })
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ExecuteArgs {
    #[schemars(with = "JsonInstruction")]
    instruction: Value,
}

impl ExecuteArgs {
    fn action(&self) -> Result<Action, ClientError> {
        Ok(Action::Execute(instruction(&self.instruction)?))
    }
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct MulticallArgs {
    /// Run in order, atomically: all or none.
    #[schemars(with = "Vec<JsonInstruction>", length(min = 1))]
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
        return Err(
            ClientError::input("instructions is empty: give at least one")
                .with_hint("a multicall runs one or more instructions; for one, execute does too"),
        );
    }
    Ok(Action::Multicall(
        values.iter().map(instruction).collect::<Result<_, _>>()?,
    ))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RequestSessionArgs {
    /// The wallet (base-58) to act on; default: the current session's wallet.
    wallet: Option<String>,
    /// The policy asked for, as a Leash policy file in JSON (expires_in "2h", max_uses,
    /// allowed_programs ["spl-token", "system"], limits [{token, per_tx, total, daily}] with
    /// decimal strings, label).
    #[schemars(with = "PolicyFile")]
    policy: Value,
    /// What the session is for, for the owner.
    #[schemars(length(min = 1, max = 500))]
    reason: String,
    /// How long the owner has to decide, in seconds (default one day).
    #[schemars(range(min = 1, max = 604_800))]
    expires_in_seconds: Option<u64>,
}

impl RequestSessionArgs {
    fn call(self) -> Result<Call, ClientError> {
        let wallet = self
            .wallet
            .as_deref()
            .map(|w| {
                parse_address(w).map_err(|e| {
                    ClientError::input(format!("wallet: {}", e.message))
                        .with_hint("give the owner's wallet as a base-58 address, or leave it out to use the current session's")
                })
            })
            .transpose()?;
        if !self.policy.is_object() {
            return Err(ClientError::input(
                "policy must be an object: the policy file as JSON (expires_in, limits, …)",
            )
            .with_hint(r#"for example {"expires_in": "2h", "allowed_programs": ["spl-token"], "limits": [{"token": "USDC", "total": "10"}]}"#));
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

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RequestStatusArgs {
    /// The request id (sreq_…) request_session returned.
    id: String,
}

/// Which action to dry-run; give that action's arguments beside it.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
enum SimulatedKind {
    Transfer,
    Execute,
    Multicall,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct SimulateArgs {
    action: SimulatedKind,
    /// transfer: the recipient (a wallet address or a token account of the mint).
    to: Option<String>,
    /// transfer: the exact decimal amount, e.g. "4.5".
    #[schemars(pattern(AMOUNT_PATTERN))]
    amount: Option<String>,
    /// transfer: SOL (default), a symbol or a mint.
    token: Option<String>,
    /// execute: one instruction.
    #[schemars(with = "Option<JsonInstruction>")]
    instruction: Option<Value>,
    /// multicall: the instructions, in order.
    #[schemars(with = "Option<Vec<JsonInstruction>>", length(min = 1))]
    instructions: Option<Vec<Value>>,
    /// Also return the program's raw log lines (default false: the code, figures and summary
    /// say what an agent needs).
    include_logs: Option<bool>,
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
    ClientError::input(format!("simulate: action \"{action}\" needs \"{field}\"")).with_hint(
        format!("give \"{field}\" as the {action} tool takes it (its inputSchema in tools/list)"),
    )
}

/// An argument given for another action than the one simulated: refused, not ignored.
fn stray(fields: &[(&str, bool)], action: &str) -> Result<(), ClientError> {
    match fields.iter().find(|(_, present)| *present) {
        Some((field, _)) => Err(ClientError::input(format!(
            "simulate: \"{field}\" does not apply to action \"{action}\""
        ))
        .with_hint(format!(
            "leave \"{field}\" out, or simulate the action it belongs to"
        ))),
        None => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------------
// What tools/list says. Every schema is derived from the Rust type that reads the arguments or
// writes the answer (`schemars`), so a tool's schema cannot drift from what it does.

/// The input schema of a tool whose arguments `T` reads.
fn input<T: JsonSchema>() -> Value {
    schema::<T>(SchemaSettings::draft2020_12().for_deserialize())
}

/// The output schema of a tool answering `T` (its structured content). MCP wants an object at
/// the root: a report that is one of several shapes (`anyOf`) is an object in each of them.
fn output<T: JsonSchema>() -> Value {
    let mut schema = schema::<T>(SchemaSettings::draft2020_12().for_serialize());
    if let Some(root) = schema.as_object_mut() {
        root.entry("type").or_insert_with(|| "object".into());
    }
    schema
}

fn schema<T: JsonSchema>(mut settings: SchemaSettings) -> Value {
    // MCP's schemas are JSON Schema 2020-12 by default: no `$schema` needed.
    settings.meta_schema = None;
    settings
        .into_generator()
        .into_root_schema_for::<T>()
        .to_value()
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
    let mut tools = every_tool();
    // The policy's schema is stated once, in policy_show's output; elsewhere it is a reference
    // to it, so tools/list does not repeat it in every tool that shows a policy.
    for tool in tools.iter_mut().filter(|t| t.name != "policy_show") {
        if let Some(schema) = tool.output_schema.as_mut() {
            let mut value = Value::Object((**schema).clone());
            share_policy_schema(&mut value);
            if let Value::Object(map) = value {
                *schema = Arc::new(map);
            }
        }
    }
    tools
}

/// The name schemars gives the policy summary in `$defs`.
const POLICY_DEF: &str = "PolicySummary";

/// Replaces the policy summary's definition by a pointer to policy_show's, and drops the
/// definitions only it used.
fn share_policy_schema(schema: &mut Value) {
    let Some(defs) = schema.get_mut("$defs").and_then(Value::as_object_mut) else {
        return;
    };
    if !defs.contains_key(POLICY_DEF) {
        return;
    }
    defs.insert(
        POLICY_DEF.to_string(),
        serde_json::json!({
            "type": "object",
            "description": "The session's policy: the same object policy_show returns (see its output schema): spending limits per token as used / limit, validity, allowed programs, max uses.",
        }),
    );
    // Drop definitions nothing references any more (until none is left to drop).
    loop {
        let text = schema.to_string();
        let Some(defs) = schema.get_mut("$defs").and_then(Value::as_object_mut) else {
            return;
        };
        let unused: Vec<String> = defs
            .keys()
            .filter(|name| !text.contains(&format!("\"#/$defs/{name}\"")))
            .cloned()
            .collect();
        if unused.is_empty() {
            return;
        }
        for name in unused {
            defs.remove(&name);
        }
    }
}

fn every_tool() -> Vec<Tool> {
    vec![
        tool(
            "session_status",
            format!("Is this agent's session registered and active; valid until, slot bound, uses / max uses, nonce, and its policy with used / limit per token. Read-only. Call it first. {SAFE_LOOP}"),
            input::<NoArgs>(),
            output::<leash_client::holder::SessionStatusReport>(),
            annotations("Session status", true, true),
        ),
        tool(
            "whoami",
            "Who this agent is on chain: the session key (public), session, wallet, vault, the Leash program it lives under, cluster, label, status, and the session key's SOL for fees. Read-only.".into(),
            input::<NoArgs>(),
            output::<leash_client::holder::Whoami>(),
            annotations("Who am I", true, true),
        ),
        tool(
            "policy_show",
            "The session's bounds: spending limits per token as used / limit (total, per transaction, per period), period windows, allowed programs, validity and max uses. Read-only.".into(),
            input::<NoArgs>(),
            output::<leash_sdk::policy::PolicySummary>(),
            annotations("Session policy", true, true),
        ),
        tool(
            "balance",
            "Balances of the wallet's vault (what the session spends from): SOL and tokens, or one token. Read-only.".into(),
            input::<BalanceArgs>(),
            output::<leash_client::holder::Balances>(),
            annotations("Vault balance", true, true),
        ),
        tool(
            "simulate",
            format!("Dry-run an action exactly as transfer/execute/multicall would send it, without sending: would it pass, and if not which bound stops it (code, message, hint, over_by, figures). A refusal is a normal result (would_succeed false), not an error. Read-only. {SAFE_LOOP}"),
            input::<SimulateArgs>(),
            output::<leash_client::holder::Simulation>(),
            annotations("Simulate an action", true, true),
        ),
        tool(
            "transfer",
            format!("Send SOL or a token from the wallet's vault to an address, within the session's limits; waits for confirmation and returns the signature and the limits' used / limit after it. Moves funds: simulate first. {SAFE_LOOP}"),
            input::<TransferArgs>(),
            output::<leash_client::holder::Acted>(),
            annotations("Transfer from the vault", false, false),
        ),
        tool(
            "execute",
            format!("Run one raw Solana instruction through the session, the vault signing; only programs the policy allows, within its limits. Waits for confirmation. Can move funds: simulate first. {SAFE_LOOP}"),
            input::<ExecuteArgs>(),
            output::<leash_client::holder::Acted>(),
            annotations("Execute an instruction", false, false),
        ),
        tool(
            "multicall",
            format!("Run several raw instructions atomically (all or none) through the session, the vault signing. Waits for confirmation. Can move funds: simulate first. {SAFE_LOOP}"),
            input::<MulticallArgs>(),
            output::<leash_client::holder::Acted>(),
            annotations("Execute several instructions", false, false),
        ),
        tool(
            "revoke",
            "Revoke this session for good, when the task is done: it can never act again (the owner must create a new one). Irreversible.".into(),
            input::<NoArgs>(),
            output::<leash_client::owner::SessionRevoked>(),
            annotations("Revoke this session", false, true),
        ),
        tool(
            "request_session",
            "No session, or it ran out? Ask the wallet's owner for one: a session key is made on this machine (its secret never leaves it) and a request is filed with the owner's Leash API (LEASH_API_URL, LEASH_API_KEY with the `request` scope) with the policy you need and why. Returns a request id; the owner approves (possibly narrower), or denies. Then call request_status. Ask only for what the task needs.".into(),
            input::<RequestSessionArgs>(),
            output::<leash_client::SessionRequestFiled>(),
            additive("Ask the owner for a session", false),
        ),
        tool(
            "request_status",
            "How a session request stands: pending (ask again later), approved (the token is made here from the kept key and stored; every tool uses the new session from the next call, within granted_policy, which may be narrower than asked), denied (with the owner's note) or expired. Then follow the safe loop: session_status first.".into(),
            input::<RequestStatusArgs>(),
            output::<leash_client::SessionRequestStatus>(),
            additive("Session request status", true),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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

    /// The schemas are the types': a policy file's every field (`daily` too), an argument
    /// the parser refuses is refused by the schema, answers are objects.
    #[test]
    fn the_tools_schemas_are_derived_from_their_types() {
        let tools = catalog();
        let tool = |name: &str| tools.iter().find(|t| t.name == name).unwrap();
        let request = serde_json::to_value(&*tool("request_session").input_schema).unwrap();
        assert_eq!(request["additionalProperties"], json!(false));
        assert_eq!(request["required"], json!(["policy", "reason"]));
        let limit = &request["$defs"]["LimitEntry"]["properties"];
        for field in ["token", "per_tx", "total", "daily", "period", "per_period"] {
            assert!(limit.get(field).is_some(), "{field}: {request}");
        }
        let transfer = serde_json::to_value(&*tool("transfer").input_schema).unwrap();
        assert_eq!(
            transfer["properties"]["amount"]["pattern"],
            json!(AMOUNT_PATTERN)
        );
        let execute = serde_json::to_value(&*tool("execute").input_schema).unwrap();
        assert!(execute["$defs"]["JsonAccount"]["properties"]["is_writable"].is_object());
        for tool in &tools {
            let output = serde_json::to_value(tool.output_schema.as_deref().unwrap()).unwrap();
            assert_eq!(output["type"], "object", "{}: {output}", tool.name);
        }
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

#[cfg(test)]
mod shared_schema_tests {
    use super::*;

    fn refs(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref") {
                    out.push(r.clone());
                }
                map.values().for_each(|v| refs(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }

    #[test]
    fn the_policy_schema_is_stated_once_and_every_reference_resolves() {
        let full = serde_json::to_string(&every_tool()).unwrap().len();
        let shared = serde_json::to_string(&catalog()).unwrap().len();
        eprintln!("tools/list: {full} bytes with the policy repeated, {shared} shared");
        assert!(shared < full, "{shared} < {full}");
        for tool in catalog() {
            let schema = Value::Object((*tool.output_schema.clone().unwrap()).clone());
            let mut found = Vec::new();
            refs(&schema, &mut found);
            for r in found {
                let name = r.trim_start_matches("#/$defs/");
                assert!(
                    schema["$defs"].get(name).is_some(),
                    "{}: {r} unresolved",
                    tool.name
                );
            }
            let text = schema.to_string();
            if tool.name != "policy_show" && text.contains(POLICY_DEF) {
                assert!(
                    text.contains("the same object policy_show returns"),
                    "{}",
                    tool.name
                );
            }
        }
    }
}
