//! Clock and Rent, on SBF and natively.
//!
//! On SBF these are the sysvar syscalls. Off-chain, `solana-get-sysvar` has no syscall stub (it
//! reports `UnsupportedSysvar`), so the native runtime adapter installs a provider here that
//! reads the executing transaction's sysvar cache.

use crate::platform::{self, ProgramError};

pub use crate::platform::Clock;

/// The current Clock.
pub fn clock() -> Result<Clock, ProgramError> {
    platform::clock()
}

/// The rent-exempt minimum for `data_len` bytes of account data.
pub fn minimum_balance(data_len: usize) -> Result<u64, ProgramError> {
    platform::minimum_balance(data_len)
}

/// The hook the native runtime adapter fills.
#[cfg(not(target_arch = "bpf"))]
pub mod native {
    use solana_program::{clock::Clock, rent::Rent};
    use std::sync::OnceLock;

    /// Reads sysvars of the transaction being executed on the current thread.
    #[derive(Clone, Copy, Debug)]
    pub struct SysvarProvider {
        pub clock: fn() -> Option<Clock>,
        pub rent: fn() -> Option<Rent>,
    }

    static PROVIDER: OnceLock<SysvarProvider> = OnceLock::new();

    /// Installs the provider; the first one installed stays.
    pub fn install(provider: SysvarProvider) {
        let _ = PROVIDER.set(provider);
    }

    pub(crate) fn provider() -> Option<&'static SysvarProvider> {
        PROVIDER.get()
    }
}
