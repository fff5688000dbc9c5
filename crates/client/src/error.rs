//! What goes wrong, typed: a [`ErrorCode`], the message people read, a recovery hint, and for
//! spending limits the figures (which bound, used, limit, needed). Program refusals carry the
//! documented message (docs/program.md, "Errors") with the figures the program logged. No error ever carries a secret.

use std::fmt;

use leash_sdk::{
    amount::format_amount,
    hints::{hint, instruction_figures, limit_figures, recipient_figures},
    names, LeashError,
};
use serde::{Serialize, Serializer};
use solana_program::{instruction::InstructionError, pubkey::Pubkey};
use solana_rpc_client_api::client_error::{Error as RpcClientError, ErrorKind};
use solana_rpc_client_types::request::{RpcError, RpcResponseErrorData};
use solana_transaction_error::TransactionError;

/// Stable, machine-readable: a program error, or what went wrong around it. Serialized as its
/// name (`"SpendingLimitExceeded"`, `"InvalidInput"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    /// The program refused (or, reading state, found what it would refuse with).
    Program(LeashError),
    /// An argument is malformed: an amount, an address, a token, an instruction.
    InvalidInput,
    /// A policy file is unreadable or does not make a valid policy.
    InvalidPolicy,
    /// A session token is malformed.
    InvalidToken,
    /// The session token names another Leash program than the one named explicitly
    /// (`--program-id`, `LEASH_PROGRAM_ID`).
    ProgramMismatch,
    /// No Leash program at the address in use, or not the committed one (`leash program`).
    ProgramNotFound,
    /// The program's on-chain bytes are not the committed ELF (`leash program verify`).
    ProgramDiffers,
    /// No session token: neither `LEASH_TOKEN` nor an imported one.
    NoSession,
    /// The owner's wallet does not exist on the cluster.
    NoWallet,
    /// The owner's keypair file is missing or unreadable.
    NoKeypair,
    /// No stored token for a session (`session export`).
    NoToken,
    /// Neither `HOME` nor `LEASH_HOME` is set.
    NoHome,
    /// The signer passed for an owner operation cannot sign it (wrong key, or it refused).
    Signer,
    /// The cluster cannot be reached.
    Unreachable,
    /// The cluster answered with an error that is not a transaction's.
    Rpc,
    /// A transaction was not confirmed in time.
    Timeout,
    /// A transaction's blockhash expired before it landed: it never can, nothing was spent.
    Expired,
    /// A transaction failed for a reason that is not a Leash program error.
    TransactionFailed,
    /// A file could not be written or read.
    Io,
    /// A bug: something that cannot happen did.
    Internal,
    /// The Leash API (`leash serve`) refused or failed for a reason without its own code.
    Api,
    /// The Leash API needs a key, does not know this one, or the key lacks the scope.
    ApiKey,
    /// No session request with this id (or not one this API key filed).
    RequestNotFound,
    /// The owner denied the session request.
    RequestDenied,
    /// The session request expired before the owner approved it.
    RequestExpired,
    /// The session request is approved already (its session exists).
    RequestApproved,
}

impl ErrorCode {
    /// The code as the HTTP API and the MCP tools spell it: `SpendingLimitExceeded` →
    /// `spending_limit_exceeded`.
    pub fn snake_name(self) -> String {
        let name = self.name();
        let mut out = String::with_capacity(name.len() + 4);
        for (i, c) in name.chars().enumerate() {
            if c.is_ascii_uppercase() {
                if i > 0 {
                    out.push('_');
                }
                out.push(c.to_ascii_lowercase());
            } else {
                out.push(c);
            }
        }
        out
    }

    pub fn name(self) -> &'static str {
        match self {
            ErrorCode::Program(error) => error.name(),
            ErrorCode::InvalidInput => "InvalidInput",
            ErrorCode::InvalidPolicy => "InvalidPolicy",
            ErrorCode::InvalidToken => "InvalidToken",
            ErrorCode::ProgramMismatch => "ProgramMismatch",
            ErrorCode::ProgramNotFound => "ProgramNotFound",
            ErrorCode::ProgramDiffers => "ProgramDiffers",
            ErrorCode::NoSession => "NoSession",
            ErrorCode::NoWallet => "NoWallet",
            ErrorCode::NoKeypair => "NoKeypair",
            ErrorCode::NoToken => "NoToken",
            ErrorCode::NoHome => "NoHome",
            ErrorCode::Signer => "Signer",
            ErrorCode::Unreachable => "Unreachable",
            ErrorCode::Rpc => "Rpc",
            ErrorCode::Timeout => "Timeout",
            ErrorCode::Expired => "Expired",
            ErrorCode::TransactionFailed => "TransactionFailed",
            ErrorCode::Io => "Io",
            ErrorCode::Internal => "Internal",
            ErrorCode::Api => "Api",
            ErrorCode::ApiKey => "ApiKey",
            ErrorCode::RequestNotFound => "RequestNotFound",
            ErrorCode::RequestDenied => "RequestDenied",
            ErrorCode::RequestExpired => "RequestExpired",
            ErrorCode::RequestApproved => "RequestApproved",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// A string: the code's name (a program error's, as docs/program.md spells it, or one of the
/// client's own codes).
impl schemars::JsonSchema for ErrorCode {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ErrorCode".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "A program error's name (SpendingLimitExceeded, …) or the client's own code (InvalidInput, NoWallet, Expired, …)",
        })
    }
}

/// Which bound of a spending limit stopped a transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Bound {
    PerTransaction,
    Total,
    Period,
}

/// The numbers behind a spending-limit refusal, as exact decimals of the token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Figures {
    pub bound: Bound,
    /// A symbol, or the mint address.
    pub token: String,
    /// `"SOL"` for native SOL, else the mint address.
    pub mint: String,
    /// What this transaction would move.
    pub needed: String,
    /// What was already used of the bound (0 for a per-transaction bound).
    pub used: String,
    pub limit: String,
    /// How much more than the bound allows.
    pub over_by: String,
}

/// Value that arrived where the policy does not let it go (`RecipientNotAllowed`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct RecipientRefusal {
    /// A symbol, or the mint address.
    pub token: String,
    /// `"SOL"` for native SOL, else the mint address.
    pub mint: String,
    /// The account that would have gained.
    pub account: String,
    /// Who had to be listed: the token account's owner, or for SOL the account itself.
    pub recipient: String,
    /// What it would have gained, an exact decimal of the token.
    pub amount: String,
    /// The recipients the token's limit lists.
    pub listed: Vec<String>,
}

/// An instruction its program's rule does not allow (`InstructionNotAllowed`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct InstructionRefusal {
    /// The program's address.
    pub program: String,
    /// Its well-known name, if it has one.
    pub program_name: Option<String>,
    /// The refused instruction: its name where known, else the hex of its first bytes.
    pub instruction: String,
    /// What the rule allows: names where known, else hex prefixes.
    pub allowed: Vec<String>,
}

/// An operation's failure.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ClientError {
    pub code: ErrorCode,
    pub message: String,
    pub hint: Option<String>,
    /// The program's custom error code, when the chain refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub program_code: Option<u32>,
    /// Boxed: errors travel through every `Result`, figures come with few of them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub figures: Option<Box<Figures>>,
    /// The account and listed recipients behind a `RecipientNotAllowed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipient: Option<Box<RecipientRefusal>>,
    /// The instruction and allowed ones behind an `InstructionNotAllowed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instruction: Option<Box<InstructionRefusal>>,
}

pub type Result<T, E = ClientError> = std::result::Result<T, E>;

impl ClientError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ClientError {
            code,
            message: message.into(),
            hint: None,
            program_code: None,
            figures: None,
            recipient: None,
            instruction: None,
        }
    }

    /// Malformed input.
    pub fn input(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidInput, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Internal, message)
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// The program error this is, if the chain refused.
    pub fn program_error(&self) -> Option<LeashError> {
        match self.code {
            ErrorCode::Program(error) if self.program_code.is_some() => Some(error),
            _ => None,
        }
    }
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ClientError {}

/// The symbol and decimals of a mint, for figures in messages (native SOL: `("SOL", 9)`).
pub(crate) type DescribeMint<'a> = &'a dyn Fn(&Pubkey) -> Option<(String, u8)>;

/// A program refusal with its §3.4 message, the figures the program logged, and the hint.
pub(crate) fn program_error(
    error: LeashError,
    logs: &[String],
    describe: DescribeMint,
) -> ClientError {
    let mut message = error.message().to_string();
    let mut figures = None;
    let bound = match error {
        LeashError::PerTxLimitExceeded => Some(Bound::PerTransaction),
        LeashError::SpendingLimitExceeded => Some(Bound::Total),
        LeashError::PeriodLimitExceeded => Some(Bound::Period),
        _ => None,
    };
    if let Some(logged) = limit_figures(logs) {
        let (symbol, decimals) = describe(&logged.mint).unwrap_or((logged.mint.to_string(), 0));
        let amount = |v: u64| format_amount(v, decimals);
        message = match error {
            LeashError::PerTxLimitExceeded => format!(
                "{message} ({} {symbol} in this transaction, {} limit)",
                amount(logged.amount),
                amount(logged.limit)
            ),
            _ => format!(
                "{message} ({} used, {} limit; this transaction needs {} {symbol})",
                amount(logged.used),
                amount(logged.limit),
                amount(logged.amount)
            ),
        };
        if let Some(bound) = bound {
            let over_by = match bound {
                Bound::PerTransaction => logged.amount.saturating_sub(logged.limit),
                _ => logged
                    .used
                    .saturating_add(logged.amount)
                    .saturating_sub(logged.limit),
            };
            figures = Some(Box::new(Figures {
                bound,
                token: symbol,
                mint: if logged.mint == leash_sdk::state::NATIVE_SOL_MINT {
                    "SOL".to_string()
                } else {
                    logged.mint.to_string()
                },
                needed: amount(logged.amount),
                used: amount(logged.used),
                limit: amount(logged.limit),
                over_by: amount(over_by),
            }));
        }
    }
    let mut recipient = None;
    if let (LeashError::RecipientNotAllowed, Some((logged, listed))) =
        (error, recipient_figures(logs))
    {
        let (symbol, decimals) = describe(&logged.mint).unwrap_or((logged.mint.to_string(), 0));
        let amount = format_amount(logged.amount, decimals);
        let listed: Vec<String> = listed.iter().map(Pubkey::to_string).collect();
        let whose = if logged.recipient == logged.account {
            String::new()
        } else {
            format!(", owned by {}", logged.recipient)
        };
        message = format!(
            "{message} ({amount} {symbol} to account {}{whose}; listed: {})",
            logged.account,
            listed.join(", ")
        );
        recipient = Some(Box::new(RecipientRefusal {
            token: symbol,
            mint: if logged.mint == leash_sdk::state::NATIVE_SOL_MINT {
                "SOL".to_string()
            } else {
                logged.mint.to_string()
            },
            account: logged.account.to_string(),
            recipient: logged.recipient.to_string(),
            amount,
            listed,
        }));
    }
    let mut instruction = None;
    if let (LeashError::InstructionNotAllowed, Some((logged, allowed))) =
        (error, instruction_figures(logs))
    {
        let program_name = names::program_name(&logged.program).map(str::to_string);
        let label = |prefix: &[u8]| {
            // A refused call's first bytes name it when one of the program's names is their
            // prefix (a name's bytes are never longer than the 8 logged).
            names::instruction_names(&logged.program)
                .iter()
                .find(|(_, p)| prefix.starts_with(p))
                .map(|(n, _)| n.to_string())
                .unwrap_or_else(|| names::instruction_label(&logged.program, prefix))
        };
        let refused = label(&logged.data);
        let allowed: Vec<String> = allowed
            .iter()
            .map(|p| names::instruction_label(&logged.program, p))
            .collect();
        message = format!(
            "{message} ({refused} on {}; allowed: {})",
            program_name
                .clone()
                .unwrap_or_else(|| logged.program.to_string()),
            allowed.join(", ")
        );
        instruction = Some(Box::new(InstructionRefusal {
            program: logged.program.to_string(),
            program_name,
            instruction: refused,
            allowed,
        }));
    }
    let mut hint_text = hint(error).to_string();
    if error == LeashError::ProgramNotAllowed {
        // The program names the program it refused (`program <p> is not allowed`).
        if let Some(program) = logs.iter().find_map(|l| {
            l.trim_start_matches("Program log: ")
                .strip_prefix("program ")?
                .strip_suffix(" is not allowed")
        }) {
            let named = program
                .parse::<Pubkey>()
                .ok()
                .and_then(|p| names::program_name(&p));
            message = match named {
                Some(name) => format!("{message} ({name}, {program})"),
                None => format!("{message} ({program})"),
            };
            hint_text = format!(
                "the policy does not allow this program ({}); ask the owner to add it (leash session update)",
                named.unwrap_or(program)
            );
        }
    }
    if error == LeashError::InvalidAccount {
        // The program says which account rule broke (`wrong or unexpected account: …`).
        if let Some(what) = logs.iter().find_map(|l| {
            l.trim_start_matches("Program log: ")
                .strip_prefix("wrong or unexpected account: ")
        }) {
            message = format!("{message} ({what})");
            if what.contains("read-only account writable") {
                hint_text = "an address the instruction writes to is read-only in this transaction: a program id or sysvar cannot receive a transfer; check the recipient".to_string();
            }
        }
    }
    ClientError {
        code: ErrorCode::Program(error),
        message,
        hint: Some(hint_text),
        program_code: Some(error.code()),
        figures,
        recipient,
        instruction,
    }
}

/// Logs of a failed preflight, if the error carries them.
pub(crate) fn preflight_logs(error: &RpcClientError) -> Vec<String> {
    match error.kind() {
        ErrorKind::RpcError(RpcError::RpcResponseError {
            data: RpcResponseErrorData::SendTransactionPreflightFailure(result),
            ..
        }) => result.logs.clone().unwrap_or_default(),
        _ => vec![],
    }
}

/// A failed transaction (with the logs it produced) as people read it.
pub(crate) fn transaction_error(
    err: &TransactionError,
    logs: &[String],
    describe: DescribeMint,
) -> ClientError {
    if let TransactionError::InstructionError(_, InstructionError::Custom(code)) = err {
        if let Some(error) = LeashError::from_code(*code) {
            return program_error(error, logs, describe);
        }
    }
    let detail = logs
        .iter()
        .rev()
        .find(|l| l.contains("failed") || l.contains("insufficient") || l.contains("Error"))
        .map(|l| format!(" ({})", l.trim_start_matches("Program log: ")))
        .unwrap_or_default();
    // A token program refusing for want of tokens (SPL Token / Token-2022 error 1): said so, with
    // where test tokens come from.
    let short_of_tokens = matches!(
        err,
        TransactionError::InstructionError(_, InstructionError::Custom(1))
    ) && logs.iter().any(|l| {
        let token_program = l.starts_with("Program TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA ")
            || l.starts_with("Program TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb ");
        token_program && l.ends_with("failed: custom program error: 0x1")
    });
    if short_of_tokens {
        let mut error = ClientError::new(
            ErrorCode::TransactionFailed,
            "not enough tokens: the account the tokens come from holds less than this amount",
        );
        error.hint = Some(
            "check the balance first; on a local node, `leash airdrop --token USDC` (or the dashboard's test-token airdrop) gives test USDC".to_string(),
        );
        return error;
    }
    let hint = match err {
        TransactionError::InsufficientFundsForFee | TransactionError::AccountNotFound => {
            Some("the fee payer has no SOL: the owner tops up the session key (leash wallet deposit / airdrop on localnet)")
        }
        TransactionError::BlockhashNotFound => Some("the transaction took too long to send; retry"),
        // The Leash program refuses data it cannot decode with this: most often a program
        // deployed before the client's wire format (policy v3 changed `CreateSession` and
        // `UpdateSession`).
        TransactionError::InstructionError(_, InstructionError::InvalidInstructionData) => {
            Some("if the failing program is Leash, the program on this cluster may be an older build than this client: compare them with `leash program verify` and upgrade with `leash program upgrade`")
        }
        _ => None,
    };
    let mut error = ClientError::new(
        ErrorCode::TransactionFailed,
        format!("transaction failed: {err}{detail}"),
    );
    error.hint = hint.map(str::to_string);
    error
}

/// Any RPC error: program errors mapped, transport errors explained.
pub(crate) fn rpc_error(error: RpcClientError, describe: DescribeMint) -> ClientError {
    if let Some(err) = error.get_transaction_error() {
        return transaction_error(&err, &preflight_logs(&error), describe);
    }
    match error.kind() {
        ErrorKind::Reqwest(e) if e.is_connect() || e.is_timeout() => ClientError::new(
            ErrorCode::Unreachable,
            format!(
                "cannot reach the cluster{}",
                e.url().map(|u| format!(" at {u}")).unwrap_or_default()
            ),
        )
        .with_hint("start the local chain with `leash node`, or pass --url"),
        _ => ClientError::new(ErrorCode::Rpc, format!("RPC error: {error}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spending_limit_error_has_message_figures_and_hint() {
        let mint = Pubkey::new_unique();
        let logs = vec![format!("Program log: SpendingLimitExceeded: mint {mint} amount 5000000 used 4500000 limit 8000000")];
        let e = program_error(LeashError::SpendingLimitExceeded, &logs, &|m| {
            (*m == mint).then(|| ("USDC".to_string(), 6))
        });
        assert_eq!(
            e.message,
            "Spending limit exceeded (4.5 used, 8 limit; this transaction needs 5 USDC)"
        );
        assert_eq!(
            e.hint.as_deref(),
            Some("ask the owner for a new session or a higher limit")
        );
        assert_eq!(
            e.code,
            ErrorCode::Program(LeashError::SpendingLimitExceeded)
        );
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["code"], "SpendingLimitExceeded");
        assert_eq!(json["program_code"], 6008);
        assert_eq!(json["figures"]["bound"], "total");
        assert_eq!(json["figures"]["over_by"], "1.5");
        assert_eq!(json["figures"]["needed"], "5");
    }

    #[test]
    fn a_token_program_short_of_tokens_is_said_so_with_where_test_tokens_come_from() {
        let err = TransactionError::InstructionError(1, InstructionError::Custom(1));
        let logs = vec![
            "Program TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA invoke [1]".to_string(),
            "Program TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA failed: custom program error: 0x1"
                .to_string(),
        ];
        let error = transaction_error(&err, &logs, &|_| None);
        assert!(
            error.message.starts_with("not enough tokens"),
            "{}",
            error.message
        );
        assert!(error
            .hint
            .as_deref()
            .unwrap_or("")
            .contains("airdrop --token USDC"));
        // Another program's error 1 is not read as the token program's.
        let other = vec![
            "Program Other111111111111111111111111111111111 failed: custom program error: 0x1"
                .to_string(),
        ];
        assert!(transaction_error(&err, &other, &|_| None)
            .message
            .starts_with("transaction failed"));
    }

    #[test]
    fn every_program_code_maps_to_its_message_and_name() {
        for error in LeashError::ALL {
            let err = TransactionError::InstructionError(0, InstructionError::Custom(error.code()));
            let e = transaction_error(&err, &[], &|_| None);
            assert_eq!(e.message, error.message());
            assert_eq!(e.code.name(), error.name());
            assert_eq!(e.program_error(), Some(error));
            assert!(e.figures.is_none(), "no logs, no figures");
        }
        let demoted = program_error(
            LeashError::InvalidAccount,
            &[
                "Program log: wrong or unexpected account: call marks a read-only account writable"
                    .to_string(),
            ],
            &|_| None,
        );
        assert_eq!(
            demoted.message,
            "Wrong or unexpected account (call marks a read-only account writable)"
        );
        assert!(demoted
            .hint
            .as_deref()
            .unwrap_or_default()
            .contains("program id or sysvar"));
        let stale = transaction_error(
            &TransactionError::InstructionError(1, InstructionError::InvalidInstructionData),
            &[],
            &|_| None,
        );
        assert!(stale
            .hint
            .as_deref()
            .unwrap_or_default()
            .contains("leash program verify"));
        let other = transaction_error(&TransactionError::AccountInUse, &[], &|_| None);
        assert_eq!(other.code, ErrorCode::TransactionFailed);
        assert_eq!(other.program_error(), None);
    }
}
