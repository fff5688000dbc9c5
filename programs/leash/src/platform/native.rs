//! The native build: solana-program's `AccountInfo`, and the syscall stubs that crates/runtime
//! installs (`program_stubs`), which route CPIs, logs and the instruction stack into the
//! executing LiteSVM transaction.

use alloc::vec::Vec;
use core::cell::{Ref, RefMut};

use solana_program::{
    account_info::AccountInfo,
    instruction::{AccountMeta, Instruction},
};

use super::{
    Clock, CpiAccount, ProgramError, ProgramResult, Pubkey, SiblingCounts, SiblingInstruction,
};

/// Tells an account's first appearance in an instruction's list from a repeat (see the SBF
/// build's, which is one compare; here each earlier entry is compared).
#[derive(Default)]
pub struct FirstAppearances;

impl FirstAppearances {
    pub fn new() -> Self {
        FirstAppearances
    }

    /// Whether `accounts[position]` appears there for the first time.
    pub fn is_first(&mut self, accounts: &[Account], position: usize) -> bool {
        let (Some(earlier), Some(account)) = (accounts.get(..position), accounts.get(position))
        else {
            return false;
        };
        !earlier.iter().any(|a| a.is_same(account))
    }
}

/// One account passed to the instruction.
#[repr(transparent)]
pub struct Account<'info>(AccountInfo<'info>);

impl<'info> Account<'info> {
    /// The accounts as the native entrypoint hands them over.
    pub fn from_infos<'a>(infos: &'a [AccountInfo<'info>]) -> &'a [Account<'info>] {
        // SAFETY: `Account` is `repr(transparent)` over `AccountInfo`, so the two slices have
        // the same layout, length and lifetime.
        #[allow(unsafe_code)]
        unsafe {
            core::slice::from_raw_parts(infos.as_ptr().cast::<Account<'info>>(), infos.len())
        }
    }

    pub fn key(&self) -> &Pubkey {
        self.0.key
    }

    /// Whether `other` is the same account (a repeated entry of the instruction's list).
    pub fn is_same(&self, other: &Account) -> bool {
        super::address_eq(self.0.key, other.0.key)
    }

    pub fn owner(&self) -> &Pubkey {
        self.0.owner
    }

    pub fn is_signer(&self) -> bool {
        self.0.is_signer
    }

    pub fn is_writable(&self) -> bool {
        self.0.is_writable
    }

    pub fn lamports(&self) -> u64 {
        self.0.lamports()
    }

    pub fn set_lamports(&self, lamports: u64) -> ProgramResult {
        **self.0.try_borrow_mut_lamports()? = lamports;
        Ok(())
    }

    pub fn data_len(&self) -> usize {
        self.0.data_len()
    }

    pub fn data_is_empty(&self) -> bool {
        self.0.data_is_empty()
    }

    pub fn data(&self) -> Result<Ref<'_, [u8]>, ProgramError> {
        Ok(Ref::map(self.0.try_borrow_data()?, |data| &**data))
    }

    /// The data of an account the calls cannot change (this program's own: only it writes
    /// them, and no call may invoke it), read across the calls: copied into `copy`, since a
    /// call passed the account writes its bytes back through the `RefCell` (the SBF build
    /// reads it in place).
    pub fn data_across_calls<'b>(&self, copy: &'b mut Vec<u8>) -> Result<&'b [u8], ProgramError> {
        copy.clear();
        copy.extend_from_slice(&self.data()?);
        Ok(copy.as_slice())
    }

    /// The data, borrowed for as long as the account list: the value model reads the accounts
    /// after the calls in place (see `accounting::Capture::pair`).
    pub fn data_after_calls(&self) -> &'info [u8] {
        // SAFETY: the `RefCell` holds a `&'info mut [u8]`, so the slice lives for `'info`; the
        // caller reads it only after the calls have returned and writes no account while
        // the result is alive, so no `RefMut` of it is alive meanwhile.
        #[allow(unsafe_code)]
        unsafe {
            &**self.0.data.as_ptr()
        }
    }

    pub fn data_mut(&self) -> Result<RefMut<'_, [u8]>, ProgramError> {
        Ok(RefMut::map(self.0.try_borrow_mut_data()?, |data| {
            &mut **data
        }))
    }

    pub fn resize(&self, len: usize) -> ProgramResult {
        self.0.resize(len)
    }

    pub fn assign(&self, owner: &Pubkey) {
        self.0.assign(owner)
    }
}

/// Calls `program` with `accounts` and `data`, the program signing for each of `signer_seeds`.
pub fn invoke_signed<'info>(
    program: &Account<'info>,
    accounts: &[CpiAccount<'_, 'info>],
    data: &[u8],
    signer_seeds: &[&[&[u8]]],
) -> ProgramResult {
    invoke_signed_iter(program, accounts.iter().copied(), data, signer_seeds)
}

/// [`invoke_signed`] over the accounts an iterator gives.
pub fn invoke_signed_iter<'a, 'info: 'a>(
    program: &Account<'info>,
    accounts: impl ExactSizeIterator<Item = CpiAccount<'a, 'info>> + Clone,
    data: &[u8],
    signer_seeds: &[&[&[u8]]],
) -> ProgramResult {
    let instruction = Instruction {
        program_id: *program.key(),
        accounts: accounts
            .clone()
            .map(|a| AccountMeta {
                pubkey: *a.account.key(),
                is_signer: a.is_signer,
                is_writable: a.is_writable,
            })
            .collect(),
        data: data.to_vec(),
    };
    let mut infos: Vec<AccountInfo> = accounts.map(|a| a.account.0.clone()).collect();
    infos.push(program.0.clone());
    solana_program::program::invoke_signed(&instruction, &infos, signer_seeds)
}

/// `Program log: <message>`.
pub fn log(message: &str) {
    solana_program::program_stubs::sol_log(message);
}

/// A log line given as bytes, which must be UTF-8 (as on chain; anything else logs nothing).
pub fn log_bytes(message: &[u8]) {
    log(core::str::from_utf8(message).unwrap_or_default());
}

/// `Program data: <base64 fields>`.
pub fn log_data(fields: &[&[u8]]) {
    solana_program::log::sol_log_data(fields);
}

/// sha256 of the concatenated `parts`.
pub fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    solana_program::hash::hashv(parts).to_bytes()
}

pub fn clock() -> Result<Clock, ProgramError> {
    crate::sysvars::native::provider()
        .and_then(|p| (p.clock)())
        .map(|clock| Clock {
            slot: clock.slot,
            unix_timestamp: clock.unix_timestamp,
        })
        .ok_or(ProgramError::UnsupportedSysvar)
}

pub fn minimum_balance(data_len: usize) -> Result<u64, ProgramError> {
    let rent = crate::sysvars::native::provider()
        .and_then(|p| (p.rent)())
        .ok_or(ProgramError::UnsupportedSysvar)?;
    rent.try_minimum_balance(data_len)
        .ok_or(ProgramError::InvalidArgument)
}

pub fn stack_height() -> u64 {
    solana_program::instruction::get_stack_height() as u64
}

/// The data and account counts of the processed sibling instruction at `index` (see the SBF
/// build's).
pub fn processed_sibling_counts(index: usize) -> Option<SiblingCounts> {
    processed_sibling_instruction(index).map(|ix| SiblingCounts {
        data: ix.data.len() as u64,
        accounts: ix.accounts.len() as u64,
    })
}

pub fn processed_sibling_instruction(index: usize) -> Option<SiblingInstruction> {
    solana_program::instruction::get_processed_sibling_instruction(index).map(|ix| {
        SiblingInstruction {
            program_id: ix.program_id,
            data: ix.data,
            accounts: ix.accounts.into_iter().map(|meta| meta.pubkey).collect(),
        }
    })
}

/// Compute units are nominal natively: nothing to log.
pub fn log_compute_units() {}
