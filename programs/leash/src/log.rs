//! Program logs that reach the transaction's log messages on SBF and in the native runtime.
//!
//! `solana_program::msg!` prints to stdout when compiled natively; these go through the
//! platform's log syscall instead, which the native runtime adapter routes into the
//! transaction's logs.

/// Log a message (`Program log: …`).
pub fn sol_log(message: &str) {
    crate::platform::log(message);
}

/// Log binary fields (`Program data: <base64> …`), used for events.
pub fn sol_log_data(fields: &[&[u8]]) {
    crate::platform::log_data(fields);
}

/// `format!`-style logging through [`sol_log`]. Formatting is costly on SBF: used on refusal
/// paths only, never on an `Execute` that succeeds.
#[macro_export]
macro_rules! leash_log {
    ($($arg:tt)*) => {
        $crate::log::sol_log(&::alloc::format!($($arg)*))
    };
}
