//! What the CLI says when something goes wrong: a message, a hint, a stable code, an exit code.
//! Program errors get the DESIGN.md §3.4 message with the figures the program logged.

use std::fmt;

use leash_sdk::{
    amount::format_amount,
    errors::{hint, limit_figures},
    LeashError,
};
use serde_json::json;
use solana_program::instruction::InstructionError;
use solana_rpc_client_api::client_error::{Error as ClientError, ErrorKind};
use solana_rpc_client_types::request::{RpcError, RpcResponseErrorData};
use solana_transaction_error::TransactionError;

#[derive(Debug)]
pub struct CliError {
    /// Stable, machine-readable: a program error name (`SpendingLimitExceeded`) or a CLI code
    /// (`InvalidInput`, `NoSession`, `Rpc`, …).
    pub code: String,
    pub message: String,
    pub hint: Option<String>,
    /// The program's custom error code, when the chain refused.
    pub program_code: Option<u32>,
}

pub type CliResult<T> = Result<T, CliError>;

impl CliError {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        CliError {
            code: code.into(),
            message: message.into(),
            hint: None,
            program_code: None,
        }
    }

    pub fn input(message: impl Into<String>) -> Self {
        Self::new("InvalidInput", message)
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn json(&self) -> serde_json::Value {
        let mut value = json!({"code": self.code, "message": self.message, "hint": self.hint});
        if let Some(code) = self.program_code {
            value["program_code"] = json!(code);
        }
        value
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Error: {}", self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\nhint: {hint}")?;
        }
        Ok(())
    }
}

/// Decimals of a mint for figures (SOL = default key, 9).
pub type DecimalsOf<'a> = &'a dyn Fn(&solana_program::pubkey::Pubkey) -> Option<(String, u8)>;

/// A program error with its message, figures and hint.
pub fn program_error(error: LeashError, logs: &[String], decimals_of: DecimalsOf) -> CliError {
    let mut message = error.message().to_string();
    if let Some(figures) = limit_figures(logs) {
        let (symbol, decimals) =
            decimals_of(&figures.mint).unwrap_or((figures.mint.to_string(), 0));
        let amount = |v: u64| format_amount(v, decimals);
        message = match error {
            LeashError::PerTxLimitExceeded => format!(
                "{message} ({} {symbol} in this transaction, {} limit)",
                amount(figures.amount),
                amount(figures.limit)
            ),
            _ => format!(
                "{message} ({} used, {} limit; this transaction needs {} {symbol})",
                amount(figures.used),
                amount(figures.limit),
                amount(figures.amount)
            ),
        };
    }
    CliError {
        code: error.name().to_string(),
        message,
        hint: Some(hint(error).to_string()),
        program_code: Some(error.code()),
    }
}

/// Logs of a failed preflight, if the error carries them.
pub fn preflight_logs(error: &ClientError) -> Vec<String> {
    match error.kind() {
        ErrorKind::RpcError(RpcError::RpcResponseError {
            data: RpcResponseErrorData::SendTransactionPreflightFailure(result),
            ..
        }) => result.logs.clone().unwrap_or_default(),
        _ => vec![],
    }
}

/// Turns a transaction error (with the logs it produced) into what the user reads.
pub fn transaction_error(
    err: &TransactionError,
    logs: &[String],
    decimals_of: DecimalsOf,
) -> CliError {
    if let TransactionError::InstructionError(_, InstructionError::Custom(code)) = err {
        if let Some(error) = LeashError::from_code(*code) {
            return program_error(error, logs, decimals_of);
        }
    }
    let detail = logs
        .iter()
        .rev()
        .find(|l| l.contains("failed") || l.contains("insufficient") || l.contains("Error"))
        .map(|l| format!(" ({})", l.trim_start_matches("Program log: ")))
        .unwrap_or_default();
    let hint = match err {
        TransactionError::InsufficientFundsForFee | TransactionError::AccountNotFound => {
            Some("the fee payer has no SOL: the owner tops up the session key (leash wallet deposit / airdrop on localnet)")
        }
        TransactionError::BlockhashNotFound => Some("the transaction took too long to send; retry"),
        _ => None,
    };
    let mut e = CliError::new(
        "TransactionFailed",
        format!("transaction failed: {err}{detail}"),
    );
    e.hint = hint.map(str::to_string);
    e
}

/// Any RPC error: program errors mapped, transport errors explained.
pub fn rpc_error(error: ClientError, decimals_of: DecimalsOf) -> CliError {
    if let Some(err) = error.get_transaction_error() {
        return transaction_error(&err, &preflight_logs(&error), decimals_of);
    }
    match error.kind() {
        ErrorKind::Reqwest(e) if e.is_connect() || e.is_timeout() => CliError::new(
            "Unreachable",
            format!(
                "cannot reach the cluster{}",
                e.url().map(|u| format!(" at {u}")).unwrap_or_default()
            ),
        )
        .with_hint("start the local chain with `leash node`, or pass --url"),
        _ => CliError::new("Rpc", format!("RPC error: {error}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use solana_program::pubkey::Pubkey;

    #[test]
    fn spending_limit_message_has_figures_and_hint() {
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
        assert_eq!(e.code, "SpendingLimitExceeded");
        assert_eq!(e.json()["program_code"], 6008);
        let shown = e.to_string();
        assert!(shown.starts_with("Error: Spending limit exceeded") && shown.contains("\nhint: "));
    }

    #[test]
    fn every_program_code_maps_to_its_message() {
        for error in LeashError::ALL {
            let err = TransactionError::InstructionError(0, InstructionError::Custom(error.code()));
            let e = transaction_error(&err, &[], &|_| None);
            assert_eq!(e.message, error.message());
            assert_eq!(e.code, error.name());
        }
    }
}
