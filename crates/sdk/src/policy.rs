//! Policy files (TOML, JSON accepted) and the human-readable policy summary.
//!
//! ```toml
//! label = "trading-bot"
//! expires_in = "2h"                     # or valid_until = "2026-12-01T00:00:00Z" (or unix seconds)
//! max_uses = 100                        # default: unlimited
//! max_calls_per_tx = 4                  # default: 4
//! allowed_programs = ["spl-token", "system"]
//!
//! [[limits]]
//! token = "USDC"                        # "SOL", a symbol, or a mint address
//! per_tx = "5"                          # exact decimal amounts, in the token's units
//! total = "100"
//! daily = "20"                          # or: period = "1h", per_period = "5"
//! recipients = ["<owner address>"]      # where it may land (default: anywhere)
//!
//! [[program_rules]]
//! program = "spl-token"                 # must be in allowed_programs too
//! instructions = ["transfer_checked"]   # names of well-known programs, or hex prefixes
//! ```
//!
//! Amounts are exact decimal strings converted with the mint's decimals; no floating point.

use std::fmt;

use serde::{Deserialize, Serialize};
use solana_program::pubkey::Pubkey;

use crate::{
    amount::{format_amount, parse_amount},
    names,
};
use leash_program::state::{
    Policy, PolicyViolation, ProgramRule, SpendLimit, MAX_ALLOWED_PROGRAMS,
    MAX_PREFIXES_PER_PROGRAM, MAX_RECIPIENTS, MAX_RECIPIENTS_PER_LIMIT, MAX_SPEND_LIMITS,
    NATIVE_SOL_MINT, UNLIMITED,
};

/// Validity when a policy file names none.
pub const DEFAULT_VALIDITY_SECS: u64 = 24 * 3600;
/// How far back `valid_after` is set when a file names none (tolerates clock skew).
const VALID_AFTER_SLACK_SECS: i64 = 60;
/// Longer validity than this is flagged.
const LONG_VALIDITY_SECS: i64 = 7 * 24 * 3600;
/// More programs than this is flagged.
const WIDE_PROGRAM_LIST: usize = 4;

/// A policy file (docs/cli.md, "Policy files"): `policy.toml`, or the same fields as JSON.
/// Its JSON Schema (`schemars`) is what the OpenAPI document and the MCP tools publish.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Policy")]
pub struct PolicyFile {
    /// A name for the session, carried in its token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Validity from now, e.g. "2h", "1d" (default 24h); or give valid_until.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<String>,
    /// Usable from this time (RFC 3339 or unix seconds); default a minute ago.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_after: Option<TimeSpec>,
    /// Unusable from this time (RFC 3339 or unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<TimeSpec>,
    /// Unusable from this slot; 0 or absent: no slot bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry_slot: Option<u64>,
    /// How many Execute transactions in all; absent: unlimited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_uses: Option<u64>,
    /// Inner calls per Execute, at least 1 (default 4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_calls_per_tx: Option<u8>,
    /// Programs the session may call: known names (system, spl-token, memo, …) or addresses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_programs: Vec<String>,
    /// Spending limits, one per token; a token without one cannot leave the vault.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub limits: Vec<LimitEntry>,
    /// Which instructions the session may call on an allowed program (absent: any).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub program_rules: Vec<ProgramRuleEntry>,
}

/// The instructions a session may call on one allowed program.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgramRuleEntry {
    /// A known program name (spl-token, system, …) or an address; it must be in
    /// allowed_programs too.
    pub program: String,
    /// Instruction names of well-known programs (transfer_checked, transfer, create_idempotent,
    /// …) or hex prefixes of 1 to 8 bytes of the call data ("e517cb97"); at most 8.
    pub instructions: Vec<String>,
}

/// An absolute time: RFC 3339 text or unix seconds.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, schemars::JsonSchema)]
#[serde(untagged)]
pub enum TimeSpec {
    Unix(i64),
    Text(String),
}

/// One token's spending limit; amounts are decimal text ("4.5") or "unlimited".
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LimitEntry {
    /// SOL, a known symbol (USDC) or a mint address.
    pub token: String,
    /// The most one transaction may spend.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_tx: Option<String>,
    /// The most the session may spend in all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<String>,
    /// The most per day (a 1d period); or give period with per_period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daily: Option<String>,
    /// The period's length, e.g. "1h", "7d"; goes with per_period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<String>,
    /// The most per period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_period: Option<String>,
    /// Where this token may land: owner addresses of the receiving token accounts (for SOL,
    /// the receiving accounts). Absent or empty: anywhere. At most 8 (16 over all limits).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recipients: Vec<String>,
}

/// A token as the policy needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedToken {
    pub symbol: String,
    pub mint: Pubkey,
    pub decimals: u8,
}

impl ResolvedToken {
    pub fn sol() -> ResolvedToken {
        ResolvedToken {
            symbol: "SOL".into(),
            mint: NATIVE_SOL_MINT,
            decimals: 9,
        }
    }
}

/// Finds tokens by symbol or mint (the CLI asks the cluster; tests use a table).
pub trait TokenResolver {
    fn resolve(&self, token: &str) -> Result<ResolvedToken, String>;
    /// The token of a mint, for display; `None` when unknown.
    fn by_mint(&self, mint: &Pubkey) -> Option<ResolvedToken>;
}

/// A policy file that is wrong, with what to fix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyError(pub String);

impl std::fmt::Display for PolicyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PolicyError {}

fn err<T>(message: impl Into<String>) -> Result<T, PolicyError> {
    Err(PolicyError(message.into()))
}

/// Parses a policy file; `json` selects JSON instead of TOML.
pub fn parse_policy_file(text: &str, json: bool) -> Result<PolicyFile, PolicyError> {
    if json {
        serde_json::from_str(text).map_err(|e| PolicyError(format!("invalid JSON policy: {e}")))
    } else {
        toml::from_str(text)
            .map_err(|e| PolicyError(format!("invalid TOML policy: {}", e.message())))
    }
}

fn parse_duration(what: &str, text: &str) -> Result<u64, PolicyError> {
    humantime::parse_duration(text)
        .map(|d| d.as_secs())
        .map_err(|_| {
            PolicyError(format!(
                "{what} = {text:?} is not a duration (examples: \"30m\", \"2h\", \"7d\")"
            ))
        })
}

fn parse_time(what: &str, spec: &TimeSpec) -> Result<i64, PolicyError> {
    match spec {
        TimeSpec::Unix(seconds) => Ok(*seconds),
        TimeSpec::Text(text) => humantime::parse_rfc3339_weak(text)
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_secs() as i64)
            .ok_or_else(|| PolicyError(format!("{what} = {text:?} is not a time (use RFC 3339, e.g. \"2026-12-01T00:00:00Z\", or unix seconds)"))),
    }
}

/// A normalized policy: what goes on chain, its summary, and warnings for the owner.
#[derive(Clone, Debug)]
pub struct NormalizedPolicy {
    pub policy: Policy,
    pub label: Option<String>,
    pub warnings: Vec<String>,
}

/// Turns a policy file into the on-chain policy, relative to `now` (unix seconds), for the
/// Leash program at `program_id` (which no policy may allow).
pub fn normalize(
    file: &PolicyFile,
    resolver: &dyn TokenResolver,
    now: i64,
    program_id: &Pubkey,
) -> Result<NormalizedPolicy, PolicyError> {
    let valid_after = match &file.valid_after {
        Some(spec) => parse_time("valid_after", spec)?,
        None => now.saturating_sub(VALID_AFTER_SLACK_SECS),
    };
    let valid_until = match (&file.expires_in, &file.valid_until) {
        (Some(_), Some(_)) => return err("give either expires_in or valid_until, not both"),
        (Some(text), None) => now.saturating_add(parse_duration("expires_in", text)? as i64),
        (None, Some(spec)) => parse_time("valid_until", spec)?,
        (None, None) => now.saturating_add(DEFAULT_VALIDITY_SECS as i64),
    };
    if valid_until <= now {
        return err("the session would already be expired: choose a later valid_until or a positive expires_in");
    }
    let max_calls_per_tx = file.max_calls_per_tx.unwrap_or(4);
    if file.max_uses == Some(0) {
        return err("max_uses = 0 would make the session unusable; omit it for unlimited");
    }
    let mut allowed_programs = Vec::new();
    for entry in &file.allowed_programs {
        let program = names::program_by_name(entry)
            .or_else(|| entry.parse().ok())
            .ok_or_else(|| PolicyError(format!("allowed_programs: {entry:?} is neither a known program name ({}) nor an address", known_program_names())))?;
        // The default deployment too, wherever this policy is for (the program's own rule,
        // below, knows only its own address).
        if program == leash_program::DEFAULT_ID {
            return Err(word(PolicyViolation::AllowsLeash, file, &[], &[]));
        }
        allowed_programs.push(program);
    }
    let mut limits = Vec::new();
    let mut symbols = Vec::new();
    let mut warnings = Vec::new();
    for entry in &file.limits {
        let token = if entry.token.eq_ignore_ascii_case("SOL") {
            ResolvedToken::sol()
        } else {
            resolver.resolve(&entry.token).map_err(PolicyError)?
        };
        let amount = |field: &str, value: &Option<String>| -> Result<u64, PolicyError> {
            match value {
                None => Ok(UNLIMITED),
                Some(text) if text.eq_ignore_ascii_case("unlimited") => Ok(UNLIMITED),
                Some(text) => parse_amount(text, token.decimals).map_err(|e| {
                    PolicyError(format!(
                        "limits ({}): {field} = {text:?}: {e}",
                        token.symbol
                    ))
                }),
            }
        };
        let per_tx = amount("per_tx", &entry.per_tx)?;
        let total = amount("total", &entry.total)?;
        let (period_secs, per_period) = match (&entry.daily, &entry.period, &entry.per_period) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
                return err(format!(
                    "limits ({}): give daily, or period with per_period, not both",
                    token.symbol
                ))
            }
            (Some(daily), None, None) => (86_400u64, amount("daily", &Some(daily.clone()))?),
            (None, Some(period), Some(per_period)) => (
                parse_duration("period", period)?,
                amount("per_period", &Some(per_period.clone()))?,
            ),
            (None, Some(_), None) | (None, None, Some(_)) => {
                return err(format!(
                    "limits ({}): period and per_period go together",
                    token.symbol
                ))
            }
            (None, None, None) => (0, 0),
        };
        let period_secs = u32::try_from(period_secs)
            .map_err(|_| PolicyError(format!("limits ({}): period is too long", token.symbol)))?;
        if per_tx == UNLIMITED && total == UNLIMITED && period_secs == 0 {
            warnings.push(format!(
                "no bound on {}: the session may spend all of it (set per_tx, total or daily)",
                token.symbol
            ));
        }
        let mut recipients = Vec::new();
        for text in &entry.recipients {
            let key = text.trim().parse::<Pubkey>().map_err(|_| {
                PolicyError(format!(
                    "limits ({}): recipients: {text:?} is not an address",
                    token.symbol
                ))
            })?;
            recipients.push(key);
        }
        symbols.push(token.symbol.clone());
        limits.push(SpendLimit {
            mint: token.mint,
            per_tx,
            total,
            period_secs,
            per_period,
            recipients,
        });
    }
    let mut program_rules = Vec::new();
    let mut rule_names = Vec::new();
    for entry in &file.program_rules {
        let program = names::program_by_name(&entry.program)
            .or_else(|| entry.program.trim().parse().ok())
            .ok_or_else(|| {
                PolicyError(format!(
                    "program_rules: {:?} is neither a known program name ({}) nor an address",
                    entry.program,
                    known_program_names()
                ))
            })?;
        if entry.instructions.is_empty() {
            return err(format!(
                "program_rules ({}): list at least one instruction, or drop the rule to allow every instruction",
                entry.program
            ));
        }
        let mut prefixes = Vec::new();
        let mut any = false;
        for name in &entry.instructions {
            match names::instruction_by_name(&program, name) {
                Ok(names::InstructionSpec::Prefix(prefix)) => {
                    if !prefixes.contains(&prefix) {
                        prefixes.push(prefix);
                    }
                }
                Ok(names::InstructionSpec::Any) => any = true,
                Err(e) => {
                    return err(format!("program_rules ({}): {e}", entry.program));
                }
            }
        }
        // Memo's one instruction is every memo: no rule narrows it.
        if !any {
            rule_names.push(entry.program.clone());
            program_rules.push(ProgramRule { program, prefixes });
        }
    }
    if limits.is_empty() {
        warnings.push("no spending limits: this session cannot move SOL or tokens out of the vault (any outflow fails with \"Token not in spending policy\")".into());
    }
    if allowed_programs.is_empty() {
        warnings.push("no allowed programs: this session cannot execute anything".into());
    }
    if valid_until.saturating_sub(valid_after) > LONG_VALIDITY_SECS {
        warnings.push(format!(
            "long validity: more than {} days; prefer short sessions",
            LONG_VALIDITY_SECS / 86_400
        ));
    }
    if allowed_programs.len() > WIDE_PROGRAM_LIST {
        warnings.push(format!(
            "wide program list: {} programs allowed; allow only what the holder needs",
            allowed_programs.len()
        ));
    }
    warnings.extend(recipient_warnings(&limits, &symbols, &allowed_programs));
    let policy = Policy {
        valid_after,
        valid_until,
        expiry_slot: file.expiry_slot.unwrap_or(0),
        max_uses: file.max_uses.unwrap_or(UNLIMITED),
        max_calls_per_tx,
        allowed_programs,
        limits,
        program_rules,
    };
    // The program's rules, checked by the program's own code (one home), worded for people.
    policy
        .validate(program_id)
        .map_err(|violation| word(violation, file, &symbols, &rule_names))?;
    Ok(NormalizedPolicy {
        policy,
        label: file.label.clone(),
        warnings,
    })
}

/// What the owner should know about where value may land (docs/program.md, "Recipients"): a
/// token that may go to anyone, and for a listed one, what else must be listed.
fn recipient_warnings(
    limits: &[SpendLimit],
    symbols: &[String],
    programs: &[Pubkey],
) -> Vec<String> {
    // The well-known programs move value only where their instruction says; any other (a swap,
    // a lending market) may pay part of it to accounts of its own.
    let well_known = |p: &Pubkey| names::program_name(p).is_some_and(|n| n != "leash");
    let other_programs = programs.iter().any(|p| !well_known(p));
    let mut warnings = Vec::new();
    let anywhere: Vec<&str> = limits
        .iter()
        .zip(symbols)
        .filter(|(l, _)| l.recipients.is_empty())
        .map(|(_, s)| s.as_str())
        .collect();
    if !anywhere.is_empty() {
        warnings.push(format!(
            "{} may go to anyone: add recipients to bound where {} land",
            anywhere.join(", "),
            if anywhere.len() == 1 {
                "it may"
            } else {
                "they may"
            }
        ));
    }
    for (limit, symbol) in limits.iter().zip(symbols) {
        let is_sol = limit.mint == NATIVE_SOL_MINT;
        if limit.recipients.is_empty() {
            continue;
        }
        if other_programs {
            warnings.push(format!(
                "{symbol} may only land at listed recipients: a swap's pool or a program's fee account that receives {symbol} must be listed too"
            ));
        }
        if is_sol {
            warnings.push("SOL may only land at listed accounts: rent the vault pays for a new account (a recipient's token account) is SOL sent to it".into());
        }
    }
    warnings
}

/// A broken rule of [`Policy::validate`], said in the policy file's terms: which field, which
/// entry, and what to do.
fn word(
    violation: PolicyViolation,
    file: &PolicyFile,
    symbols: &[String],
    rules: &[String],
) -> PolicyError {
    let token = |index: usize| symbols.get(index).map(String::as_str).unwrap_or("a token");
    let rule = |index: usize| rules.get(index).map(String::as_str).unwrap_or("a rule");
    PolicyError(match violation {
        PolicyViolation::EndsBeforeItStarts => {
            "the session would expire before it starts: valid_until must be after valid_after".into()
        }
        PolicyViolation::NoCallsPerTransaction => "max_calls_per_tx must be at least 1".into(),
        PolicyViolation::TooManyPrograms => {
            format!("allowed_programs: at most {MAX_ALLOWED_PROGRAMS} programs")
        }
        PolicyViolation::AllowsLeash => "allowed_programs: the Leash program itself can never be allowed (a session may not manage sessions)".into(),
        PolicyViolation::DuplicateProgram { index } => format!(
            "allowed_programs: {:?} names a program already listed; list each program once",
            file.allowed_programs.get(index).map(String::as_str).unwrap_or("an entry")
        ),
        PolicyViolation::TooManyLimits => format!("limits: at most {MAX_SPEND_LIMITS} tokens"),
        PolicyViolation::DuplicateMint { index } => format!("limits: {} appears twice", token(index)),
        PolicyViolation::TooManyRecipients { limit } if limit < symbols.len() => format!(
            "limits ({}): at most {MAX_RECIPIENTS_PER_LIMIT} recipients per token",
            token(limit)
        ),
        PolicyViolation::TooManyRecipients { .. } => {
            format!("limits: at most {MAX_RECIPIENTS} recipients over all tokens")
        }
        PolicyViolation::DuplicateRecipient { limit } => format!(
            "limits ({}): a recipient is listed twice; list each once",
            token(limit)
        ),
        PolicyViolation::DuplicateProgramRule { index } => format!(
            "program_rules: {} has two rules; merge their instructions into one",
            rule(index)
        ),
        PolicyViolation::RuleForUnlistedProgram { index } => format!(
            "program_rules ({}): the program is not in allowed_programs; add it there too",
            rule(index)
        ),
        PolicyViolation::BadPrefixes { index } => format!(
            "program_rules ({}): at most {MAX_PREFIXES_PER_PROGRAM} instructions, each 1 to 8 bytes",
            rule(index)
        ),
    })
}

fn known_program_names() -> String {
    let mut names: Vec<&str> = names::PROGRAMS
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| *n != "leash")
        .collect();
    names.dedup();
    names.join(", ")
}

/// RFC 3339 (UTC, seconds) of unix seconds.
pub fn format_time(unix: i64) -> String {
    if unix < 0 {
        return unix.to_string();
    }
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(unix as u64);
    humantime::format_rfc3339_seconds(time).to_string()
}

/// "1d", "2h", "90s" for a period in seconds.
pub fn format_period(secs: u32) -> String {
    match secs {
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3_600 == 0 => format!("{}h", s / 3_600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// The human-readable snapshot of a policy (and, given its `spent` counters, of its use): what
/// a token carries, `policy show --json` prints, and [`fmt::Display`] shows people.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PolicySummary {
    /// RFC 3339, UTC.
    pub valid_after: String,
    pub valid_until: String,
    /// `None`: no slot bound.
    pub expiry_slot: Option<u64>,
    /// `None`: unlimited.
    pub max_uses: Option<u64>,
    pub max_calls_per_tx: u8,
    pub allowed_programs: Vec<ProgramSummary>,
    pub limits: Vec<LimitSummary>,
}

impl PolicySummary {
    /// The policy file that normalizes back to exactly this summary — absolute times, programs
    /// and tokens by address, every bound written out — so what an owner was shown is what is
    /// signed (an approved session request registers the policy as normalized when filed).
    pub fn to_file(&self, label: Option<String>) -> PolicyFile {
        PolicyFile {
            label,
            expires_in: None,
            valid_after: Some(TimeSpec::Text(self.valid_after.clone())),
            valid_until: Some(TimeSpec::Text(self.valid_until.clone())),
            expiry_slot: self.expiry_slot,
            max_uses: self.max_uses,
            max_calls_per_tx: Some(self.max_calls_per_tx),
            allowed_programs: self
                .allowed_programs
                .iter()
                .map(|p| p.address.clone())
                .collect(),
            program_rules: self
                .allowed_programs
                .iter()
                .filter(|p| !p.instructions.is_empty())
                .map(|p| ProgramRuleEntry {
                    program: p.address.clone(),
                    instructions: p.instructions.clone(),
                })
                .collect(),
            limits: self
                .limits
                .iter()
                .map(|l| LimitEntry {
                    token: l.mint.clone(),
                    per_tx: Some(l.per_tx.clone()),
                    total: Some(l.total.clone()),
                    daily: None,
                    period: l.period.clone(),
                    per_period: l.per_period.clone(),
                    recipients: l.recipients.clone(),
                })
                .collect(),
        }
    }
}

/// An allowed program, with its well-known name if it has one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ProgramSummary {
    pub address: String,
    pub name: Option<String>,
    /// The only instructions the session may call on it, by name where known, else as hex
    /// prefixes; empty: any.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub instructions: Vec<String>,
}

/// One spending limit; amounts are exact decimals in the token's units, or `"unlimited"`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LimitSummary {
    /// A symbol, or the mint address when the token is unknown.
    pub token: String,
    /// `"SOL"` for native SOL, else the mint address.
    pub mint: String,
    pub decimals: u8,
    pub per_tx: String,
    pub total: String,
    /// `"1d"`, `"2h"`; `None` without a periodic allowance.
    pub period: Option<String>,
    pub per_period: Option<String>,
    /// Where this token may land (token-account owners; for SOL, accounts); empty: anywhere.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recipients: Vec<String>,
    /// What the session has spent in total (only when the session's counters were given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used: Option<String>,
    /// What it has spent in the current window (periodic limits only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used_in_period: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period_index: Option<u64>,
}

/// A session's counters (parallel to its policy's limits) as of `now`, to summarize its use.
#[derive(Clone, Copy, Debug)]
pub struct SpentAt<'a> {
    pub spent: &'a [leash_program::state::Spent],
    /// The chain's clock.
    pub now: i64,
    /// The session's `created_at`, where its windows are anchored.
    pub created_at: i64,
}

/// Summarizes `policy`, with the session's use when known. A periodic limit's "used in the
/// period" is the current window's ([`leash_program::accounting::in_window`], the rule the
/// program charges by): 0 once the window has rolled over, not the last window's spend.
pub fn summarize(
    policy: &Policy,
    spent: Option<SpentAt>,
    resolver: &dyn TokenResolver,
) -> PolicySummary {
    let bound = |value: u64, decimals: u8| -> String {
        if value == UNLIMITED {
            "unlimited".to_string()
        } else {
            format_amount(value, decimals)
        }
    };
    let limits = policy
        .limits
        .iter()
        .enumerate()
        .map(|(i, limit)| {
            let token = if limit.mint == NATIVE_SOL_MINT {
                Some(ResolvedToken::sol())
            } else {
                resolver.by_mint(&limit.mint)
            };
            let (symbol, decimals) = match &token {
                Some(t) => (t.symbol.clone(), t.decimals),
                None => (limit.mint.to_string(), 0),
            };
            let periodic = limit.period_secs != 0;
            let window = spent.and_then(|at| {
                let s = at.spent.get(i)?;
                let (index, in_period) = leash_program::accounting::in_window(
                    s,
                    limit.period_secs,
                    at.now,
                    at.created_at,
                );
                Some((s, index, in_period))
            });
            let spent = window.map(|(s, _, _)| s);
            LimitSummary {
                token: symbol,
                mint: if limit.mint == NATIVE_SOL_MINT {
                    "SOL".to_string()
                } else {
                    limit.mint.to_string()
                },
                decimals,
                per_tx: bound(limit.per_tx, decimals),
                total: bound(limit.total, decimals),
                period: periodic.then(|| format_period(limit.period_secs)),
                per_period: periodic.then(|| bound(limit.per_period, decimals)),
                recipients: limit.recipients.iter().map(Pubkey::to_string).collect(),
                used: spent.map(|s| format_amount(s.total, decimals)),
                used_in_period: window
                    .filter(|_| periodic)
                    .map(|(_, _, in_period)| format_amount(in_period, decimals)),
                period_index: window.filter(|_| periodic).map(|(_, index, _)| index),
            }
        })
        .collect();
    PolicySummary {
        valid_after: format_time(policy.valid_after),
        valid_until: format_time(policy.valid_until),
        expiry_slot: (policy.expiry_slot != 0).then_some(policy.expiry_slot),
        max_uses: (policy.max_uses != UNLIMITED).then_some(policy.max_uses),
        max_calls_per_tx: policy.max_calls_per_tx,
        allowed_programs: policy
            .allowed_programs
            .iter()
            .map(|p| ProgramSummary {
                address: p.to_string(),
                name: names::program_name(p).map(str::to_string),
                instructions: policy
                    .rule_for(p)
                    .map(|rule| {
                        rule.prefixes
                            .iter()
                            .map(|prefix| names::instruction_label(p, prefix))
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .collect(),
        limits,
    }
}

impl PolicySummary {
    /// The spending limits and allowed programs, without the validity lines: for a view that
    /// prints validity, slot bound and uses itself (a session's status).
    pub fn limits_and_programs(&self) -> LimitsAndPrograms<'_> {
        LimitsAndPrograms(self)
    }
}

/// [`PolicySummary::limits_and_programs`].
pub struct LimitsAndPrograms<'a>(&'a PolicySummary);

impl fmt::Display for LimitsAndPrograms<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let policy = self.0;
        write!(f, "Spending limits:")?;
        if policy.limits.is_empty() {
            write!(f, "\n  none (no SOL or token may leave the vault)")?;
        }
        for limit in &policy.limits {
            match &limit.used {
                Some(used) => write!(f, "\n  {}: {used} / {} used", limit.token, limit.total)?,
                None => write!(f, "\n  {}: total {}", limit.token, limit.total)?,
            }
            write!(f, ", per transaction {}", limit.per_tx)?;
            if let (Some(period), Some(per_period)) = (&limit.period, &limit.per_period) {
                let used = limit
                    .used_in_period
                    .as_ref()
                    .map(|u| format!("{u} / "))
                    .unwrap_or_default();
                write!(f, ", {used}{per_period} per {period}")?;
            }
            match limit.recipients.as_slice() {
                [] => write!(f, ", to anyone")?,
                listed => write!(f, ", only to {}", listed.join(", "))?,
            }
        }
        write!(f, "\nAllowed programs:")?;
        if policy.allowed_programs.is_empty() {
            write!(f, "\n  none")?;
        }
        for program in &policy.allowed_programs {
            match &program.name {
                Some(name) => write!(f, "\n  - {} ({name})", program.address)?,
                None => write!(f, "\n  - {}", program.address)?,
            }
            if !program.instructions.is_empty() {
                write!(f, ": only {}", program.instructions.join(", "))?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for PolicySummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Valid:      {} → {}\nSlot bound: {}\nMax uses:   {}\nCalls/tx:   {}",
            self.valid_after,
            self.valid_until,
            match self.expiry_slot {
                None => "none".to_string(),
                Some(slot) => format!("until slot {slot}"),
            },
            match self.max_uses {
                None => "unlimited".to_string(),
                Some(n) => n.to_string(),
            },
            self.max_calls_per_tx,
        )?;
        self.limits_and_programs().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Table;
    const USDC: Pubkey = solana_program::pubkey!("EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v");

    impl TokenResolver for Table {
        fn resolve(&self, token: &str) -> Result<ResolvedToken, String> {
            if token.eq_ignore_ascii_case("USDC") || token == USDC.to_string() {
                Ok(ResolvedToken {
                    symbol: "USDC".into(),
                    mint: USDC,
                    decimals: 6,
                })
            } else {
                Err(format!("unknown token {token:?}"))
            }
        }
        fn by_mint(&self, mint: &Pubkey) -> Option<ResolvedToken> {
            (*mint == USDC).then(|| ResolvedToken {
                symbol: "USDC".into(),
                mint: USDC,
                decimals: 6,
            })
        }
    }

    const NOW: i64 = 1_800_000_000;

    fn normalize_toml(text: &str) -> Result<NormalizedPolicy, PolicyError> {
        normalize(
            &parse_policy_file(text, false)?,
            &Table,
            NOW,
            &leash_program::DEFAULT_ID,
        )
    }

    #[test]
    fn a_summary_normalizes_back_to_its_policy_whenever_it_is_read() {
        let n = normalize_toml(
            r#"
            expires_in = "2h"
            expiry_slot = 900
            max_uses = 7
            max_calls_per_tx = 2
            allowed_programs = ["spl-token", "system"]
            [[limits]]
            token = "USDC"
            per_tx = "5.25"
            daily = "20"
            [[limits]]
            token = "SOL"
            total = "0.25"
            "#,
        )
        .unwrap();
        let summary = summarize(&n.policy, None, &Table);
        // An hour later "expires_in" would count from then; the summary's file does not.
        let again = normalize(
            &summary.to_file(None),
            &Table,
            NOW + 3600,
            &leash_program::DEFAULT_ID,
        )
        .unwrap();
        assert_eq!(again.policy, n.policy);
    }

    #[test]
    fn recipients_and_instruction_rules_resolve_summarize_and_round_trip() {
        let owner = Pubkey::new_unique();
        let text = format!(
            r#"
            expires_in = "2h"
            allowed_programs = ["spl-token", "system", "memo", "9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin"]
            [[limits]]
            token = "USDC"
            per_tx = "5"
            recipients = ["{owner}"]
            [[limits]]
            token = "SOL"
            total = "1"
            recipients = ["{owner}"]
            [[program_rules]]
            program = "spl-token"
            instructions = ["transfer_checked", "0x03", "transfer-checked"]
            [[program_rules]]
            program = "memo"
            instructions = ["memo"]
            [[program_rules]]
            program = "9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin"
            instructions = ["e517cb97"]
            "#
        );
        let n = normalize_toml(&text).unwrap();
        let p = &n.policy;
        assert_eq!(p.limits[0].recipients, vec![owner]);
        // Names and hex resolve to prefixes (a repeat dropped); Memo's `memo` is every memo.
        assert_eq!(p.program_rules.len(), 2, "{:?}", p.program_rules);
        assert_eq!(p.program_rules[0].program, crate::spl::TOKEN_PROGRAM_ID);
        assert_eq!(p.program_rules[0].prefixes, vec![vec![12], vec![3]]);
        assert_eq!(
            p.program_rules[1].prefixes,
            vec![vec![0xe5, 0x17, 0xcb, 0x97]]
        );
        // The warnings: a program that is not well known may take USDC or SOL somewhere
        // unlisted; rent is SOL.
        assert!(
            n.warnings
                .iter()
                .any(|w| w.contains("USDC may only land at listed recipients")),
            "{:?}",
            n.warnings
        );
        assert!(
            n.warnings.iter().any(|w| w.contains("rent the vault pays")),
            "{:?}",
            n.warnings
        );
        assert!(
            !n.warnings.iter().any(|w| w.contains("may go to anyone")),
            "{:?}",
            n.warnings
        );
        let summary = summarize(p, None, &Table);
        assert_eq!(summary.limits[0].recipients, vec![owner.to_string()]);
        assert_eq!(
            summary.allowed_programs[0].instructions,
            vec!["transfer_checked", "transfer"]
        );
        assert_eq!(summary.allowed_programs[3].instructions, vec!["e517cb97"]);
        let shown = summary.to_string();
        assert!(shown.contains(&format!("only to {owner}")), "{shown}");
        assert!(
            shown.contains("(spl-token): only transfer_checked, transfer"),
            "{shown}"
        );
        let again = normalize(
            &summary.to_file(None),
            &Table,
            NOW + 60,
            &leash_program::DEFAULT_ID,
        )
        .unwrap();
        assert_eq!(again.policy, n.policy);
        // A summary without them reads as it did (old tokens carry such summaries).
        let json =
            serde_json::to_value(summarize(&normalize_toml("").unwrap().policy, None, &Table))
                .unwrap();
        assert!(json["allowed_programs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p.get("instructions").is_none()));
    }

    #[test]
    fn policy_v3_mistakes_say_what_to_fix() {
        let owner = Pubkey::new_unique();
        let cases = [
            (
                r#"allowed_programs = ["system"]
                [[program_rules]]
                program = "spl-token"
                instructions = ["transfer"]"#.to_string(),
                "program_rules (spl-token): the program is not in allowed_programs; add it there too",
            ),
            (
                r#"allowed_programs = ["spl-token"]
                [[program_rules]]
                program = "spl-token"
                instructions = ["send"]"#.to_string(),
                "neither an instruction name (known: initialize_mint",
            ),
            (
                r#"allowed_programs = ["spl-token"]
                [[program_rules]]
                program = "spl-token"
                instructions = []"#.to_string(),
                "list at least one instruction",
            ),
            (
                r#"allowed_programs = ["spl-token"]
                [[program_rules]]
                program = "spl-token"
                instructions = ["transfer"]
                [[program_rules]]
                program = "token"
                instructions = ["approve"]"#.to_string(),
                "program_rules: token has two rules",
            ),
            (
                format!("[[limits]]\ntoken = \"USDC\"\nrecipients = [\"{owner}\", \"{owner}\"]"),
                "limits (USDC): a recipient is listed twice",
            ),
            (
                "[[limits]]\ntoken = \"SOL\"\nrecipients = [\"nobody\"]".to_string(),
                "limits (SOL): recipients: \"nobody\" is not an address",
            ),
            (
                format!(
                    "[[limits]]\ntoken = \"SOL\"\nrecipients = [{}]",
                    (0..9).map(|_| format!("\"{}\"", Pubkey::new_unique())).collect::<Vec<_>>().join(", ")
                ),
                "limits (SOL): at most 8 recipients per token",
            ),
        ];
        for (text, expected) in cases {
            let e = normalize_toml(&text).unwrap_err();
            assert!(e.0.contains(expected), "{text}: {e}");
        }
    }

    #[test]
    fn parses_the_documented_example() {
        let n = normalize_toml(
            r#"
            label = "bot"
            expires_in = "2h"
            max_uses = 100
            allowed_programs = ["spl-token", "system"]
            [[limits]]
            token = "USDC"
            per_tx = "5"
            total = "100"
            daily = "20.5"
            [[limits]]
            token = "SOL"
            total = "0.25"
            "#,
        )
        .unwrap();
        let p = &n.policy;
        assert_eq!(n.label.as_deref(), Some("bot"));
        assert_eq!((p.valid_after, p.valid_until), (NOW - 60, NOW + 7200));
        assert_eq!(p.max_uses, 100);
        assert_eq!(p.max_calls_per_tx, 4);
        assert_eq!(
            p.allowed_programs,
            vec![
                crate::spl::TOKEN_PROGRAM_ID,
                solana_system_interface::program::ID
            ]
        );
        assert_eq!(
            p.limits[0],
            SpendLimit {
                recipients: vec![],
                mint: USDC,
                per_tx: 5_000_000,
                total: 100_000_000,
                period_secs: 86_400,
                per_period: 20_500_000
            }
        );
        assert_eq!(
            p.limits[1],
            SpendLimit {
                recipients: vec![],
                mint: NATIVE_SOL_MINT,
                per_tx: UNLIMITED,
                total: 250_000_000,
                period_secs: 0,
                per_period: 0
            }
        );
        assert_eq!(
            n.warnings,
            ["USDC, SOL may go to anyone: add recipients to bound where they may land"]
        );
        let summary = summarize(p, None, &Table);
        let json = serde_json::to_value(&summary).unwrap();
        assert_eq!(json["limits"][0]["per_period"], "20.5");
        assert_eq!(json["limits"][0]["period"], "1d");
        assert_eq!(json["limits"][1]["per_tx"], "unlimited");
        assert_eq!(json["limits"][1]["period"], serde_json::Value::Null);
        assert!(json["limits"][0].get("used").is_none(), "no counters given");
        assert_eq!(json["allowed_programs"][0]["name"], "spl-token");
        assert_eq!(json["valid_until"], format_time(NOW + 7200));
        // Typed both ways: a token's snapshot reads back as the same summary.
        assert_eq!(
            serde_json::from_value::<PolicySummary>(json).unwrap(),
            summary
        );
        let spent = [
            leash_program::state::Spent {
                total: 4_500_000,
                period_index: 0,
                in_period: 1_500_000,
            },
            leash_program::state::Spent::default(),
        ];
        let at = |now: i64| SpentAt {
            spent: &spent,
            now,
            created_at: NOW,
        };
        let text = summarize(p, Some(at(NOW + 3_600)), &Table).to_string();
        assert!(
            text.contains("USDC: 4.5 / 100 used, per transaction 5, 1.5 / 20.5 per 1d"),
            "{text}"
        );
        // A day later the window has rolled over: what the program would charge against is 0,
        // and the view says so (it showed yesterday's 1.5 until the next Execute).
        let next_day = summarize(p, Some(at(NOW + 86_400 + 60)), &Table).to_string();
        assert!(
            next_day.contains("USDC: 4.5 / 100 used, per transaction 5, 0 / 20.5 per 1d"),
            "{next_day}"
        );
        assert!(
            text.contains("SOL: 0 / 0.25 used, per transaction unlimited"),
            "{text}"
        );
        assert!(text.contains("  - TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA (spl-token)"));
    }

    #[test]
    fn json_policies_and_absolute_times() {
        let file = parse_policy_file(
            r#"{"valid_until": "2027-02-15T00:00:00Z", "allowed_programs": ["TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"], "limits": [{"token": "USDC", "period": "1h", "per_period": "1"}]}"#,
            true,
        )
        .unwrap();
        let n = normalize(&file, &Table, NOW, &leash_program::DEFAULT_ID).unwrap();
        assert_eq!(n.policy.valid_until, 1_802_649_600);
        assert_eq!(
            (
                n.policy.limits[0].period_secs,
                n.policy.limits[0].per_period
            ),
            (3600, 1_000_000)
        );
        assert!(n.warnings.iter().any(|w| w.contains("long validity")));
        let n = normalize_toml("valid_until = 1800003600").unwrap();
        assert_eq!(n.policy.valid_until, 1_800_003_600);
        assert!(n.warnings.iter().any(|w| w.contains("no spending limits")));
    }

    #[test]
    fn mistakes_get_messages_that_say_what_to_fix() {
        let cases = [
            ("expires_in = \"soon\"", "not a duration"),
            (
                "expires_in = \"1h\"\nvalid_until = 1",
                "either expires_in or valid_until",
            ),
            ("valid_until = \"tomorrow\"", "not a time"),
            ("valid_until = 1700000000", "already be expired"),
            ("max_calls_per_tx = 0", "at least 1"),
            ("max_uses = 0", "unusable"),
            (
                "allowed_programs = [\"uniswap\"]",
                "neither a known program name",
            ),
            (
                "allowed_programs = [\"LeashSessionKeys111111111111111111111111111\"]",
                "never be allowed",
            ),
            ("[[limits]]\ntoken = \"DOGE\"", "unknown token"),
            (
                "[[limits]]\ntoken = \"USDC\"\nper_tx = \"1.0000001\"",
                "7 decimal places",
            ),
            ("[[limits]]\ntoken = \"USDC\"\ntotal = \"-1\"", "negative"),
            (
                "[[limits]]\ntoken = \"USDC\"\ndaily = \"1\"\nperiod = \"1h\"",
                "not both",
            ),
            (
                "[[limits]]\ntoken = \"USDC\"\nperiod = \"1h\"",
                "go together",
            ),
            (
                "[[limits]]\ntoken = \"USDC\"\n[[limits]]\ntoken = \"usdc\"",
                "appears twice",
            ),
            (
                "allowed_programs = [\"system\", \"11111111111111111111111111111111\"]",
                "\"11111111111111111111111111111111\" names a program already listed",
            ),
            (
                "valid_after = 4000000000\nvalid_until = 3999999999",
                "expire before it starts",
            ),
            ("expire_in = \"2h\"", "unknown field"),
            ("max_uses = \"ten\"", "invalid TOML"),
            ("this is not toml", "invalid TOML"),
        ];
        for (text, expected) in cases {
            let e = normalize_toml(text).unwrap_err();
            assert!(e.0.contains(expected), "{text:?}: {e}");
        }
        // Normalizing checks the program's own rules: what it lets through, the program takes.
        let ok = normalize_toml("allowed_programs = [\"system\", \"memo\"]\nmax_calls_per_tx = 1")
            .expect("a valid policy");
        assert_eq!(ok.policy.validate(&leash_program::DEFAULT_ID), Ok(()));
        assert!(parse_policy_file("{", true)
            .unwrap_err()
            .0
            .contains("invalid JSON"));
    }

    #[test]
    fn warnings_for_unbounded_long_and_wide_policies() {
        let n = normalize_toml(
            "expires_in = \"30d\"\nallowed_programs = [\"system\", \"spl-token\", \"token-2022\", \"memo\", \"ata\"]\n[[limits]]\ntoken = \"USDC\"",
        )
        .unwrap();
        let all = n.warnings.join("\n");
        for expected in ["no bound on USDC", "long validity", "wide program list"] {
            assert!(all.contains(expected), "{all}");
        }
    }
}
