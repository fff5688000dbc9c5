//! Clock and Rent, on SBF and natively.
//!
//! On SBF these are the `sol_get_*_sysvar` syscalls. Off-chain, `solana-get-sysvar` has no
//! syscall stub (it reports `UnsupportedSysvar`), so the native runtime adapter installs a
//! provider here that reads the executing transaction's sysvar cache.

use solana_program::{clock::Clock, program_error::ProgramError, rent::Rent};

/// The current Clock.
pub fn clock() -> Result<Clock, ProgramError> {
    #[cfg(target_os = "solana")]
    {
        use solana_program::sysvar::Sysvar;
        Clock::get()
    }
    #[cfg(not(target_os = "solana"))]
    {
        native::provider()
            .and_then(|p| (p.clock)())
            .ok_or(ProgramError::UnsupportedSysvar)
    }
}

/// The current Rent.
pub fn rent() -> Result<Rent, ProgramError> {
    #[cfg(target_os = "solana")]
    {
        use solana_program::sysvar::Sysvar;
        Rent::get()
    }
    #[cfg(not(target_os = "solana"))]
    {
        native::provider()
            .and_then(|p| (p.rent)())
            .ok_or(ProgramError::UnsupportedSysvar)
    }
}

/// The hook the native runtime adapter fills.
#[cfg(not(target_os = "solana"))]
pub mod native {
    use super::*;
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

    pub(super) fn provider() -> Option<&'static SysvarProvider> {
        PROVIDER.get()
    }
}
