//! Program logs that reach the transaction's log messages on SBF and in the native runtime.
//!
//! `solana_program::msg!` prints to stdout when compiled natively; these helpers go through the
//! syscall stubs instead, which the native runtime adapter routes into the transaction's logs.

/// Log a message (`Program log: …`).
pub fn sol_log(message: &str) {
    #[cfg(target_os = "solana")]
    solana_program::log::sol_log(message);
    #[cfg(not(target_os = "solana"))]
    solana_program::program_stubs::sol_log(message);
}

/// Log binary fields (`Program data: <base64> …`), used for events.
pub fn sol_log_data(fields: &[&[u8]]) {
    solana_program::log::sol_log_data(fields);
}

/// `format!`-style logging through [`sol_log`].
#[macro_export]
macro_rules! leash_log {
    ($($arg:tt)*) => {
        $crate::log::sol_log(&::std::format!($($arg)*))
    };
}
