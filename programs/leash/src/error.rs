//! Custom program errors, codes 6000–6023 (docs/program.md, "Errors").

use crate::platform::ProgramError;

/// Every way Leash refuses an instruction. The discriminant is the custom error code the
/// runtime reports (`InstructionError::Custom(code)`); clients map it back with
/// [`LeashError::from_code`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum LeashError {
    Unauthorized = 6000,
    SessionNotRegistered = 6001,
    SessionRevoked = 6002,
    SessionExpired = 6003,
    SessionNotYetActive = 6004,
    MaxUsesReached = 6005,
    ProgramNotAllowed = 6006,
    TooManyCalls = 6007,
    SpendingLimitExceeded = 6008,
    PerTxLimitExceeded = 6009,
    PeriodLimitExceeded = 6010,
    TokenNotInPolicy = 6011,
    ForbiddenAuthorityChange = 6012,
    NonceMismatch = 6013,
    InvalidPolicy = 6014,
    WalletMismatch = 6015,
    InvalidAccount = 6016,
    SessionKeyMismatch = 6017,
    SessionStillActive = 6018,
    ArithmeticOverflow = 6019,
    RecipientNotAllowed = 6020,
    InstructionNotAllowed = 6021,
    PasskeyAssertionInvalid = 6022,
    PasskeyAssertionExpired = 6023,
}

impl LeashError {
    /// All errors, in code order.
    pub const ALL: [LeashError; 24] = [
        LeashError::Unauthorized,
        LeashError::SessionNotRegistered,
        LeashError::SessionRevoked,
        LeashError::SessionExpired,
        LeashError::SessionNotYetActive,
        LeashError::MaxUsesReached,
        LeashError::ProgramNotAllowed,
        LeashError::TooManyCalls,
        LeashError::SpendingLimitExceeded,
        LeashError::PerTxLimitExceeded,
        LeashError::PeriodLimitExceeded,
        LeashError::TokenNotInPolicy,
        LeashError::ForbiddenAuthorityChange,
        LeashError::NonceMismatch,
        LeashError::InvalidPolicy,
        LeashError::WalletMismatch,
        LeashError::InvalidAccount,
        LeashError::SessionKeyMismatch,
        LeashError::SessionStillActive,
        LeashError::ArithmeticOverflow,
        LeashError::RecipientNotAllowed,
        LeashError::InstructionNotAllowed,
        LeashError::PasskeyAssertionInvalid,
        LeashError::PasskeyAssertionExpired,
    ];

    /// The custom error code.
    pub const fn code(self) -> u32 {
        self as u32
    }

    /// The error for a custom error code, if it is one of ours.
    pub fn from_code(code: u32) -> Option<LeashError> {
        Self::ALL.iter().copied().find(|e| e.code() == code)
    }

    /// The error named `name` (as [`LeashError::name`] spells it), if it is one of ours.
    #[cfg(not(target_arch = "bpf"))]
    pub fn from_name(name: &str) -> Option<LeashError> {
        Self::ALL.iter().copied().find(|e| e.name() == name)
    }

    /// The error's name as docs/program.md ("Errors") spells it.
    pub const fn name(self) -> &'static str {
        match self {
            LeashError::Unauthorized => "Unauthorized",
            LeashError::SessionNotRegistered => "SessionNotRegistered",
            LeashError::SessionRevoked => "SessionRevoked",
            LeashError::SessionExpired => "SessionExpired",
            LeashError::SessionNotYetActive => "SessionNotYetActive",
            LeashError::MaxUsesReached => "MaxUsesReached",
            LeashError::ProgramNotAllowed => "ProgramNotAllowed",
            LeashError::TooManyCalls => "TooManyCalls",
            LeashError::SpendingLimitExceeded => "SpendingLimitExceeded",
            LeashError::PerTxLimitExceeded => "PerTxLimitExceeded",
            LeashError::PeriodLimitExceeded => "PeriodLimitExceeded",
            LeashError::TokenNotInPolicy => "TokenNotInPolicy",
            LeashError::ForbiddenAuthorityChange => "ForbiddenAuthorityChange",
            LeashError::NonceMismatch => "NonceMismatch",
            LeashError::InvalidPolicy => "InvalidPolicy",
            LeashError::WalletMismatch => "WalletMismatch",
            LeashError::InvalidAccount => "InvalidAccount",
            LeashError::SessionKeyMismatch => "SessionKeyMismatch",
            LeashError::SessionStillActive => "SessionStillActive",
            LeashError::ArithmeticOverflow => "ArithmeticOverflow",
            LeashError::RecipientNotAllowed => "RecipientNotAllowed",
            LeashError::InstructionNotAllowed => "InstructionNotAllowed",
            LeashError::PasskeyAssertionInvalid => "PasskeyAssertionInvalid",
            LeashError::PasskeyAssertionExpired => "PasskeyAssertionExpired",
        }
    }

    /// The short human message of docs/program.md ("Errors"), without figures (clients add them).
    pub const fn message(self) -> &'static str {
        match self {
            LeashError::Unauthorized => "Signer is not allowed to do this",
            LeashError::SessionNotRegistered => "Session not registered",
            LeashError::SessionRevoked => "Session revoked",
            LeashError::SessionExpired => "Session expired",
            LeashError::SessionNotYetActive => "Session not yet active",
            LeashError::MaxUsesReached => "Session has no uses left",
            LeashError::ProgramNotAllowed => "Program not allowed by policy",
            LeashError::TooManyCalls => "Too many calls in transaction",
            LeashError::SpendingLimitExceeded => "Spending limit exceeded",
            LeashError::PerTxLimitExceeded => "Per-transaction limit exceeded",
            LeashError::PeriodLimitExceeded => "Periodic allowance exceeded",
            LeashError::TokenNotInPolicy => "Token not in spending policy",
            LeashError::ForbiddenAuthorityChange => {
                "Session may not change token account authorities"
            }
            LeashError::NonceMismatch => "Nonce mismatch (replayed or out of order)",
            LeashError::InvalidPolicy => "Invalid policy",
            LeashError::WalletMismatch => "Session belongs to another wallet",
            LeashError::InvalidAccount => "Wrong or unexpected account",
            LeashError::SessionKeyMismatch => "Signer is not this session's key",
            LeashError::SessionStillActive => "Only the owner can close an active session",
            LeashError::ArithmeticOverflow => "Arithmetic overflow",
            LeashError::RecipientNotAllowed => "Value went to a recipient the policy does not list",
            LeashError::InstructionNotAllowed => "Instruction not allowed for this program",
            LeashError::PasskeyAssertionInvalid => {
                "Passkey assertion missing or not for this instruction"
            }
            LeashError::PasskeyAssertionExpired => "Passkey assertion past its last valid slot",
        }
    }
}

impl core::fmt::Display for LeashError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{} ({})", self.message(), self.code())
    }
}

impl From<LeashError> for ProgramError {
    fn from(e: LeashError) -> Self {
        ProgramError::Custom(e.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_contiguous_from_6000() {
        for (i, e) in LeashError::ALL.iter().enumerate() {
            assert_eq!(e.code() as usize, 6000 + i, "{}", e.name());
            assert_eq!(LeashError::from_code(e.code()), Some(*e));
        }
        assert_eq!(LeashError::from_code(5999), None);
        assert_eq!(LeashError::from_code(6024), None);
    }

    #[test]
    fn converts_to_custom_program_error() {
        assert_eq!(
            ProgramError::from(LeashError::SpendingLimitExceeded),
            ProgramError::Custom(6008)
        );
    }
}
