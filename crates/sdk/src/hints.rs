//! Program errors as people read them: the documented message (docs/program.md, "Errors"), the figures the program
//! logged, and a recovery hint.

use leash_program::{
    accounting::{LimitViolation, RecipientViolation},
    calls::InstructionViolation,
};
use solana_program::pubkey::Pubkey;

use crate::LeashError;

/// The figures of a failed limit check, read back from a failed transaction's logs with the
/// program's own reader ([`LimitViolation::from_log`]).
pub fn limit_figures(logs: &[String]) -> Option<LimitViolation> {
    logs.iter().find_map(|line| LimitViolation::from_log(line))
}

/// A refused recipient and the recipients its limit lists, read back from a failed
/// transaction's logs ([`RecipientViolation::from_log`]).
pub fn recipient_figures(logs: &[String]) -> Option<(RecipientViolation, Vec<Pubkey>)> {
    let violation = logs.iter().find_map(|l| RecipientViolation::from_log(l))?;
    Some((violation, RecipientViolation::listed_in_log(logs)))
}

/// A refused instruction and the prefixes its program's rule allows, read back from a failed
/// transaction's logs ([`InstructionViolation::from_log`]).
pub fn instruction_figures(logs: &[String]) -> Option<(InstructionViolation, Vec<Vec<u8>>)> {
    let violation = logs
        .iter()
        .find_map(|l| InstructionViolation::from_log(l))?;
    Some((violation, InstructionViolation::allowed_in_log(logs)))
}

/// The recovery hint for a program error.
pub fn hint(error: LeashError) -> &'static str {
    match error {
        LeashError::Unauthorized => "only the wallet's owner (or, for revoke, the session itself) can do this; check --keypair",
        LeashError::SessionNotRegistered => "the session was never created or has been closed; ask the owner for a new session token",
        LeashError::SessionRevoked => "this session was revoked; ask the owner for a new session",
        LeashError::SessionExpired => "ask the owner for a new session or a longer validity (leash session update)",
        LeashError::SessionNotYetActive => "wait until the session's start time (see leash session status)",
        LeashError::MaxUsesReached => "ask the owner for more uses (leash session update) or a new session",
        LeashError::ProgramNotAllowed => "the policy does not allow this program; ask the owner to add it (leash session update)",
        LeashError::TooManyCalls => "split the calls over several transactions (see max calls per transaction in leash policy show)",
        LeashError::SpendingLimitExceeded => "ask the owner for a new session or a higher limit",
        LeashError::PerTxLimitExceeded => "send a smaller amount per transaction, or ask the owner for a higher per-transaction limit",
        LeashError::PeriodLimitExceeded => "wait for the next period (see leash policy show) or ask the owner for a higher allowance",
        LeashError::TokenNotInPolicy => "the policy has no limit for this token; ask the owner to add one",
        LeashError::ForbiddenAuthorityChange => "sessions may not approve delegates, change owners or close the vault's token accounts; the owner can",
        LeashError::NonceMismatch => "the session was used at the same time elsewhere; retry",
        LeashError::InvalidPolicy => "check the policy (leash session create --policy FILE --preview)",
        LeashError::WalletMismatch => "this session belongs to another wallet; check the token",
        LeashError::InvalidAccount => "an account in the transaction is not what Leash expects; check addresses, or report a bug",
        LeashError::SessionKeyMismatch => "the signing key is not this session's key; check LEASH_TOKEN or the imported token",
        LeashError::SessionStillActive => "revoke the session first, or close it as the owner",
        LeashError::ArithmeticOverflow => "an amount is too large; use smaller amounts",
        LeashError::RecipientNotAllowed => "send only to a listed recipient (see leash policy show), or ask the owner to list this one (leash session update)",
        LeashError::InstructionNotAllowed => "the policy allows only some instructions of this program (see leash policy show); ask the owner to add this one",
        LeashError::PasskeyAssertionInvalid => "sign again with the wallet's passkey: the assertion must be made for this very instruction, just before it, on the site the passkey belongs to",
        LeashError::PasskeyAssertionExpired => "the passkey's signature is older than its last valid slot (about two minutes); sign again",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use solana_program::pubkey::Pubkey;

    #[test]
    fn reads_the_figures_the_program_logs() {
        let mint = Pubkey::new_unique();
        let logs = vec![
            "Program LeashSessionKeys111111111111111111111111111 invoke [1]".to_string(),
            format!("Program log: SpendingLimitExceeded: mint {mint} amount 5000000 used 4500000 limit 8000000"),
        ];
        assert_eq!(
            limit_figures(&logs),
            Some(LimitViolation {
                error: LeashError::SpendingLimitExceeded,
                mint,
                amount: 5_000_000,
                used: 4_500_000,
                limit: 8_000_000
            })
        );
        assert_eq!(limit_figures(&["Program log: hello".into()]), None);
        for e in LeashError::ALL {
            assert!(!hint(e).is_empty());
        }
    }
}
