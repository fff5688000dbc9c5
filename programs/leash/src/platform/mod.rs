//! What the program needs from the runtime it runs in: its accounts, cross-program calls, logs,
//! sysvars, hashing and the instruction stack. One program, two builds (docs/program.md, "How it runs here"):
//!
//! - on SBF (`target_arch = "bpf"`, built by scripts/build-sbf) it is `no_std` and these are
//!   pinocchio's zero-copy account views and the syscalls ([`sbf`](self));
//! - natively (the LiteSVM builtin, and the library the SDK and clients link) they are
//!   solana-program's `AccountInfo` and the syscall stubs crates/runtime installs.
//!
//! Everything above this module — the processor, the calls, the value model — is the same code
//! in both builds; a difference in behaviour between them is a bug (the suites run on both).

use crate::list::Vec;

/// Address equality by four 64-bit compares: `==` on the bytes is a `bcmp` call, which the value
/// model's many lookups pay for on SBF.
pub use solana_address::address_eq;
pub use solana_address::Address as Pubkey;
pub use solana_program_error::{ProgramError, ProgramResult};

mod bytes;
#[cfg(not(target_arch = "bpf"))]
pub use bytes::bytes_of;
pub use bytes::{layout, layout_mut, layouts, layouts_mut, Bytes};

#[cfg(not(target_arch = "bpf"))]
mod native;
#[cfg(not(target_arch = "bpf"))]
pub use native::*;

#[cfg(target_arch = "bpf")]
mod list;
#[cfg(target_arch = "bpf")]
pub use list::List;
#[cfg(target_arch = "bpf")]
mod sbf;
#[cfg(target_arch = "bpf")]
pub use sbf::*;

/// The System program (all zeroes).
pub const SYSTEM_PROGRAM_ID: Pubkey = Pubkey::new_from_array([0; 32]);

/// `get_stack_height()` of a top-level instruction.
pub const TRANSACTION_LEVEL_STACK_HEIGHT: u64 = 1;

/// Seeds per address the program derives with (the runtime allows 16).
const MAX_PROGRAM_SEEDS: usize = 3;

/// The marker the runtime hashes into every program-derived address.
const PDA_MARKER: &[u8] = b"ProgramDerivedAddress";

/// How much data and how many accounts a processed sibling instruction has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SiblingCounts {
    pub data: u64,
    pub accounts: u64,
}

/// The slot and time of the executing transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Clock {
    pub slot: u64,
    pub unix_timestamp: i64,
}

/// One account of a cross-program call, in the callee's account order.
#[derive(Clone, Copy)]
pub struct CpiAccount<'a, 'info> {
    pub account: &'a Account<'info>,
    pub is_writable: bool,
    pub is_signer: bool,
}

impl<'a, 'info> CpiAccount<'a, 'info> {
    /// A writable account the callee needs the program's (or the transaction's) signature for.
    pub fn writable_signer(account: &'a Account<'info>) -> Self {
        CpiAccount {
            account,
            is_writable: true,
            is_signer: true,
        }
    }

    /// A writable account.
    pub fn writable(account: &'a Account<'info>) -> Self {
        CpiAccount {
            account,
            is_writable: true,
            is_signer: false,
        }
    }
}

/// A processed instruction at the current stack height (`sol_get_processed_sibling_instruction`).
pub struct SiblingInstruction {
    pub program_id: Pubkey,
    pub data: Vec<u8>,
    pub accounts: Vec<Pubkey>,
}

/// The address that `seeds` and `bump` derive for `program_id`: the sha256 the runtime's
/// `create_program_address` computes, without its curve check. The program only uses it to
/// recognise accounts it created itself at addresses `find_program_address` chose (the bump is
/// stored in the account), so the result is the PDA; it costs one `sol_sha256` (~200 CU on SBF)
/// where `create_program_address` costs ~1,500 (docs/sbf.md).
pub fn derive_address(seeds: &[&[u8]], bump: u8, program_id: &Pubkey) -> Option<Pubkey> {
    let bump = [bump];
    // The program derives with at most three seeds: a table of six hash parts, not the
    // runtime's sixteen (filling an 18-slice table cost more than the hash).
    let parts: [&[u8]; MAX_PROGRAM_SEEDS + 3] = match *seeds {
        [a] => [a, &bump, program_id.as_ref(), PDA_MARKER, &[], &[]],
        [a, b] => [a, b, &bump, program_id.as_ref(), PDA_MARKER, &[]],
        [a, b, c] => [a, b, c, &bump, program_id.as_ref(), PDA_MARKER],
        _ => return None,
    };
    // Only the parts used: the syscall charges for every part, empty ones too.
    let used = parts.get(..seeds.len().saturating_add(3))?;
    Some(Pubkey::new_from_array(sha256(used)))
}

/// Rent-exempt minimum of an account holding `data_len` bytes, from the Rent sysvar's fields,
/// without floating point: the exemption threshold is one of the two values clusters have used
/// (2.0 before SIMD-0194, 1.0 with the per-byte rate doubled after it).
#[cfg_attr(not(target_arch = "bpf"), allow(dead_code))]
pub(crate) fn rent_exempt_minimum(
    lamports_per_byte: u64,
    exemption_threshold: [u8; 8],
    data_len: usize,
) -> Result<u64, ProgramError> {
    /// Bytes the runtime charges per account besides its data.
    const ACCOUNT_STORAGE_OVERHEAD: u64 = 128;
    let years: u64 = if exemption_threshold == 2.0f64.to_le_bytes() {
        2
    } else if exemption_threshold == 1.0f64.to_le_bytes() {
        1
    } else {
        return Err(ProgramError::UnsupportedSysvar);
    };
    let bytes = u64::try_from(data_len)
        .ok()
        .and_then(|len| len.checked_add(ACCOUNT_STORAGE_OVERHEAD))
        .ok_or(ProgramError::InvalidArgument)?;
    // By division, not `checked_mul`: a 64-bit overflow check is a 128-bit multiply, a libcall
    // SBPF v0 lacks.
    let per_year_limit = u64::MAX.checked_div(years).unwrap_or(0);
    let rate = lamports_per_byte;
    let bytes_limit = per_year_limit.checked_div(rate).unwrap_or(u64::MAX);
    if rate > per_year_limit || bytes > bytes_limit {
        return Err(ProgramError::InvalidArgument);
    }
    // Bounded just above; `wrapping_mul` because an overflow-checked `*` is the libcall again.
    Ok(bytes.wrapping_mul(rate).wrapping_mul(years))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derive_address_is_create_program_address() {
        let program = crate::DEFAULT_ID;
        let wallet = Pubkey::new_from_array([7; 32]);
        let (pda, bump) = Pubkey::find_program_address(&[b"vault", wallet.as_ref()], &program);
        assert_eq!(
            derive_address(&[b"vault", wallet.as_ref()], bump, &program),
            Some(pda)
        );
    }

    #[test]
    fn rent_matches_solana_rent() {
        #[allow(deprecated)]
        let before_simd_0194 = solana_program::rent::Rent {
            lamports_per_byte: 3_480,
            exemption_threshold: 2.0f64.to_le_bytes(),
            burn_percent: 50,
        };
        for rent in [solana_program::rent::Rent::default(), before_simd_0194] {
            for len in [0usize, 81, 500, 10_240] {
                #[allow(deprecated)]
                let threshold = rent.exemption_threshold;
                assert_eq!(
                    rent_exempt_minimum(rent.lamports_per_byte, threshold, len),
                    Ok(rent.minimum_balance(len))
                );
            }
        }
        assert_eq!(
            rent_exempt_minimum(u64::MAX, 2.0f64.to_le_bytes(), 1),
            Err(ProgramError::InvalidArgument)
        );
        assert_eq!(
            rent_exempt_minimum(3_480, 1.5f64.to_le_bytes(), 1),
            Err(ProgramError::UnsupportedSysvar)
        );
    }
}
