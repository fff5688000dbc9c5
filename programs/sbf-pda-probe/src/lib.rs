//! Measures on SBPF v0 what it costs to check that an account is a Leash wallet's vault, reading the
//! wallet zero-copy in the docs/program.md layout (docs/sbf.md):
//!
//! | data\[0\] | check |
//! |---|---|
//! | 0 | none (the baseline: entrypoint, account checks, zero-copy wallet read) |
//! | 1 | `find_program_address(["vault", wallet])` (what the landed program does) |
//! | 2 | `create_program_address(["vault", wallet, [vault_bump]])` (stored bump, syscall) |
//! | 3 | `derive_address(["vault", wallet], vault_bump)` (stored bump, sha256 only, no curve check) |
//! | 4 | compare with a vault address stored in the wallet (32 bytes after the §3 layout) |
//!
//! Accounts: `[wallet, vault]`; the wallet is owned by this program. Any mismatch fails the
//! instruction, so a passing run proves the check agreed with the host's derivation.

#![no_std]

use pinocchio::{address::address_eq, error::ProgramError, AccountView, Address, ProgramResult};

pinocchio::program_entrypoint!(process_instruction, 2);
pinocchio::nostd_panic_handler!();

/// Vault PDA seed prefix (`state::VAULT_SEED`).
pub const VAULT_SEED: &[u8] = b"vault";
/// Wallet account type byte (`state::WALLET_ACCOUNT_TYPE`).
pub const WALLET_ACCOUNT_TYPE: u8 = 1;
/// Layout version (`state::LAYOUT_VERSION`).
pub const LAYOUT_VERSION: u8 = 1;
/// Size of a wallet in the §3 layout (`state::Wallet::LEN`).
pub const WALLET_LEN: usize = 81;
/// Offset of `vault_bump` in a wallet.
pub const VAULT_BUMP_OFFSET: usize = 3;
/// Offset of the stored vault address in the probe's extended wallet (mode 4).
pub const STORED_VAULT_OFFSET: usize = WALLET_LEN;

/// A zero-copy view of the fixed-size head of a wallet account.
#[repr(C)]
pub struct WalletHead {
    pub account_type: u8,
    pub version: u8,
    pub bump: u8,
    pub vault_bump: u8,
    /// Borsh `Authority`: variant tag (0 = Ed25519) then the key.
    pub owner_tag: u8,
    pub owner: [u8; 32],
    pub salt: [u8; 32],
    pub epoch: [u8; 4],
    pub created_slot: [u8; 8],
}

const _: () = assert!(core::mem::size_of::<WalletHead>() == WALLET_LEN);
const _: () = assert!(core::mem::align_of::<WalletHead>() == 1);

/// The instruction handler.
pub fn process_instruction(
    program_id: &Address,
    accounts: &mut [AccountView],
    data: &[u8],
) -> ProgramResult {
    let [wallet, vault] = accounts else {
        return Err(ProgramError::NotEnoughAccountKeys);
    };
    if !wallet.owned_by(program_id) {
        return Err(ProgramError::IncorrectProgramId);
    }
    let bytes = wallet.try_borrow()?;
    if bytes.len() < WALLET_LEN {
        return Err(ProgramError::InvalidAccountData);
    }
    // SAFETY: `WalletHead` is `repr(C)` of byte fields only (alignment 1, every bit pattern valid)
    // and `bytes` holds at least `WALLET_LEN` bytes, borrowed for as long as `head` lives.
    let head = unsafe { &*(bytes.as_ptr() as *const WalletHead) };
    if head.account_type != WALLET_ACCOUNT_TYPE || head.version != LAYOUT_VERSION {
        return Err(ProgramError::InvalidAccountData);
    }
    let wallet_key = wallet.address().as_ref();
    let vault = vault.address();
    // Every comparison is `address_eq` (four u64 loads and compares); `==` on `Address` or on byte
    // slices goes through a byte-wise `memcmp` that costs ~100 CU more on SBF.
    let ok = match data.first().copied().unwrap_or(0) {
        0 => true,
        1 => {
            let (found, bump) = syscalls::find(&[VAULT_SEED, wallet_key], program_id)?;
            address_eq(&found, vault) && bump == head.vault_bump
        }
        2 => {
            let created =
                syscalls::create(&[VAULT_SEED, wallet_key, &[head.vault_bump]], program_id)?;
            address_eq(&created, vault)
        }
        3 => {
            let derived = Address::derive_address(
                &[VAULT_SEED, wallet_key],
                Some(head.vault_bump),
                program_id,
            );
            address_eq(&derived, vault)
        }
        4 => {
            let stored: &[u8; 32] = bytes
                .get(STORED_VAULT_OFFSET..STORED_VAULT_OFFSET + 32)
                .and_then(|slice| slice.try_into().ok())
                .ok_or(ProgramError::InvalidAccountData)?;
            address_eq(&Address::new_from_array(*stored), vault)
        }
        _ => return Err(ProgramError::InvalidInstructionData),
    };
    if ok {
        Ok(())
    } else {
        Err(ProgramError::InvalidSeeds)
    }
}

/// The PDA syscalls, which exist only on the SBF target (the host build is for lints only).
mod syscalls {
    use pinocchio::{error::ProgramError, Address};

    #[cfg(target_arch = "bpf")]
    pub fn find(seeds: &[&[u8]], program_id: &Address) -> Result<(Address, u8), ProgramError> {
        Ok(Address::find_program_address(seeds, program_id))
    }

    #[cfg(target_arch = "bpf")]
    pub fn create(seeds: &[&[u8]], program_id: &Address) -> Result<Address, ProgramError> {
        Address::create_program_address(seeds, program_id).map_err(|_| ProgramError::InvalidSeeds)
    }

    #[cfg(not(target_arch = "bpf"))]
    pub fn find(_seeds: &[&[u8]], _program_id: &Address) -> Result<(Address, u8), ProgramError> {
        Err(ProgramError::InvalidInstructionData)
    }

    #[cfg(not(target_arch = "bpf"))]
    pub fn create(_seeds: &[&[u8]], _program_id: &Address) -> Result<Address, ProgramError> {
        Err(ProgramError::InvalidInstructionData)
    }
}
