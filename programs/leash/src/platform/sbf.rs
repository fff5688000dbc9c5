//! The SBF build: pinocchio's zero-copy account views over the runtime's input buffer, its CPI,
//! and the syscalls. `no_std`; the heap is pinocchio's bump allocator.

#![allow(unsafe_code)]

use crate::list::Vec;
use core::marker::PhantomData;

use core::mem::MaybeUninit;

use pinocchio::{
    cpi::{self, invoke_signed_with_slice, Seed, Signer},
    instruction::{InstructionAccount, InstructionView},
    AccountView, Resize,
};

use super::{
    Clock, CpiAccount, ProgramError, ProgramResult, Pubkey, SiblingCounts, SiblingInstruction,
};

/// Seeds one signer may use (`MAX_SEEDS`); the program signs with at most four.
const MAX_SIGNER_SEEDS: usize = 16;

/// One account passed to the instruction.
#[repr(transparent)]
pub struct Account<'info>(AccountView, PhantomData<&'info ()>);

impl<'info> Account<'info> {
    /// The accounts as pinocchio's entrypoint hands them over.
    pub fn from_views(views: &'info [AccountView]) -> &'info [Account<'info>] {
        // SAFETY: `Account` is `repr(transparent)` over `AccountView` (the `PhantomData` is a
        // zero-sized marker), so the two slices have the same layout and length.
        unsafe { core::slice::from_raw_parts(views.as_ptr().cast::<Account<'info>>(), views.len()) }
    }

    pub fn key(&self) -> &Pubkey {
        self.0.address()
    }

    /// Whether `other` is the same account (a repeated entry of the instruction's list): the
    /// entrypoint points repeated entries at one account record, so one pointer compare.
    pub fn is_same(&self, other: &Account) -> bool {
        core::ptr::eq(self.0.account_ptr(), other.0.account_ptr())
    }

    pub fn owner(&self) -> &Pubkey {
        self.0.owner()
    }

    pub fn is_signer(&self) -> bool {
        self.0.is_signer()
    }

    pub fn is_writable(&self) -> bool {
        self.0.is_writable()
    }

    pub fn lamports(&self) -> u64 {
        self.0.lamports()
    }

    pub fn set_lamports(&self, lamports: u64) -> ProgramResult {
        let mut view = self.0;
        view.set_lamports(lamports);
        Ok(())
    }

    pub fn data_len(&self) -> usize {
        self.0.data_len()
    }

    pub fn data_is_empty(&self) -> bool {
        self.0.is_data_empty()
    }

    /// The account's data. Borrows are not tracked on SBF (the program never holds a read and a
    /// write of one account at once; the native build's `RefCell`s check that in every test).
    pub fn data(&self) -> Result<&[u8], ProgramError> {
        // SAFETY: see above; the slice is the account's data region of `data_len` bytes.
        Ok(unsafe { self.0.borrow_unchecked() })
    }

    /// The data of an account the calls cannot change (this program's own: only it writes
    /// them, and no call may invoke it), read across the calls: in place here; the native
    /// build copies it into `copy` (its `RefCell`s may be written back by a call).
    pub fn data_across_calls<'b>(
        &'b self,
        _copy: &'b mut Vec<u8>,
    ) -> Result<&'b [u8], ProgramError> {
        self.data()
    }

    /// The data, borrowed for as long as the account list: the value model reads the accounts
    /// after the calls in place (see `accounting::Capture::pair`).
    pub fn data_after_calls(&self) -> &'info [u8] {
        // SAFETY: the account's data region of `data_len` bytes in the input buffer, which
        // lives for the whole instruction; the caller writes no account while it reads.
        unsafe { core::slice::from_raw_parts(self.0.data_ptr(), self.0.data_len()) }
    }

    pub fn data_mut(&self) -> Result<&mut [u8], ProgramError> {
        let mut view = self.0;
        // SAFETY: as for `data`; the runtime gave this instruction the buffer to write.
        Ok(unsafe { core::slice::from_raw_parts_mut(view.data_mut_ptr(), view.data_len()) })
    }

    pub fn resize(&self, len: usize) -> ProgramResult {
        let mut view = self.0;
        view.resize(len)
    }

    pub fn assign(&self, owner: &Pubkey) {
        let mut view = self.0;
        // SAFETY: no reference from `owner()` of this account is alive across this call (the
        // program assigns only when closing a session, after its last read).
        unsafe { view.assign(owner) };
    }
}

/// Tells an account's first appearance in an instruction's list from a repeat, walking the list
/// in order: one compare each. The runtime serializes each distinct account once, in list
/// order, and pinocchio's entrypoint points a repeated entry at the earlier record, so a first
/// appearance is exactly an entry whose record lies past every record seen before it.
pub struct FirstAppearances {
    highest: usize,
}

impl FirstAppearances {
    pub fn new() -> Self {
        FirstAppearances { highest: 0 }
    }

    /// Whether `accounts[position]` appears there for the first time; positions must be asked
    /// in increasing order.
    pub fn is_first(&mut self, accounts: &[Account], position: usize) -> bool {
        let Some(account) = accounts.get(position) else {
            return false;
        };
        let record = account.0.account_ptr() as usize;
        if record > self.highest {
            self.highest = record;
            return true;
        }
        false
    }
}

/// Accounts one call can pass through the stack tables of [`invoke_signed_iter`]; a call with
/// more goes through the heap.
const STACK_CPI_ACCOUNTS: usize = 16;
/// Seeds of the one signer the stack path signs for (the vault's are three).
const STACK_SIGNER_SEEDS: usize = 4;

/// Calls `program` with `accounts` and `data`, the program signing for each of `signer_seeds`.
/// Inlined: more than the five arguments an SBPF v0 call can carry.
#[inline(always)]
pub fn invoke_signed<'info>(
    program: &Account<'info>,
    accounts: &[CpiAccount<'_, 'info>],
    data: &[u8],
    signer_seeds: &[&[&[u8]]],
) -> ProgramResult {
    invoke_signed_iter(program, accounts.iter().copied(), data, signer_seeds)
}

/// [`invoke_signed`] over the accounts an iterator gives: up to 16 accounts and one signer of
/// up to four seeds, the instruction and account tables are built on the stack, and the call
/// goes to the runtime without pinocchio's per-account borrow checks (the program holds no
/// borrow of any account's data across a call: see `Account::data`).
#[inline(always)]
pub fn invoke_signed_iter<'a, 'info: 'a>(
    program: &Account<'info>,
    accounts: impl ExactSizeIterator<Item = CpiAccount<'a, 'info>> + Clone,
    data: &[u8],
    signer_seeds: &[&[&[u8]]],
) -> ProgramResult {
    let n = accounts.len();
    let one_signer = match signer_seeds {
        [] => Some(&[][..]),
        [seeds] if seeds.len() <= STACK_SIGNER_SEEDS => Some(*seeds),
        _ => None,
    };
    let (Some(seeds), true) = (one_signer, n <= STACK_CPI_ACCOUNTS) else {
        return invoke_signed_heap(program, accounts, data, signer_seeds);
    };
    let mut metas = [const { MaybeUninit::<InstructionAccount>::uninit() }; STACK_CPI_ACCOUNTS];
    let mut views = [const { MaybeUninit::<cpi::CpiAccount>::uninit() }; STACK_CPI_ACCOUNTS];
    for ((meta, view), a) in metas.iter_mut().zip(views.iter_mut()).zip(accounts) {
        meta.write(InstructionAccount::new(
            a.account.key(),
            a.is_writable,
            a.is_signer,
        ));
        view.write(cpi::CpiAccount::from(&a.account.0));
    }
    let mut fixed = [const { MaybeUninit::<Seed>::uninit() }; STACK_SIGNER_SEEDS];
    for (slot, seed) in fixed.iter_mut().zip(seeds) {
        slot.write(Seed::from(*seed));
    }
    // SAFETY: the loops above initialised the first `n` metas and views (`n` is the iterator's
    // exact length, at most the tables' size) and the first `seeds.len()` seeds; `MaybeUninit<T>`
    // has `T`'s layout.
    let (metas, views, seeds) = unsafe {
        (
            core::slice::from_raw_parts(metas.as_ptr().cast::<InstructionAccount>(), n),
            core::slice::from_raw_parts(views.as_ptr().cast::<cpi::CpiAccount>(), n),
            core::slice::from_raw_parts(fixed.as_ptr().cast::<Seed>(), seeds.len()),
        )
    };
    let signer = [Signer::from(seeds)];
    let signers = if signer_seeds.is_empty() {
        &signer[..0]
    } else {
        &signer[..]
    };
    let instruction = InstructionView {
        program_id: program.key(),
        data,
        accounts: metas,
    };
    // SAFETY: `views` are the accounts `metas` name, in order; no `&mut` borrow of any of
    // their data or lamports is alive (the program takes none across a call).
    unsafe { cpi::invoke_signed_unchecked(&instruction, views, signers) };
    Ok(())
}

/// The general path: any number of accounts and signers, tables on the heap.
fn invoke_signed_heap<'a, 'info: 'a>(
    program: &Account<'info>,
    accounts: impl Iterator<Item = CpiAccount<'a, 'info>> + Clone,
    data: &[u8],
    signer_seeds: &[&[&[u8]]],
) -> ProgramResult {
    let metas: Vec<InstructionAccount> = accounts
        .clone()
        .map(|a| InstructionAccount::new(a.account.key(), a.is_writable, a.is_signer))
        .collect();
    let views: Vec<&AccountView> = accounts.map(|a| &a.account.0).collect();
    let instruction = InstructionView {
        program_id: program.key(),
        data,
        accounts: &metas,
    };
    let seeds: Vec<[Seed; MAX_SIGNER_SEEDS]> = signer_seeds
        .iter()
        .map(|seeds| {
            let mut fixed: [Seed; MAX_SIGNER_SEEDS] = core::array::from_fn(|_| Seed::from(&[][..]));
            for (slot, seed) in fixed.iter_mut().zip(seeds.iter()) {
                *slot = Seed::from(*seed);
            }
            fixed
        })
        .collect();
    let signers: Vec<Signer> = seeds
        .iter()
        .zip(signer_seeds)
        .map(|(fixed, given)| Signer::from(&fixed[..given.len().min(MAX_SIGNER_SEEDS)]))
        .collect();
    invoke_signed_with_slice(&instruction, &views, &signers)
}

/// `Program log: <message>`.
pub fn log(message: &str) {
    // SAFETY: pointer and length of a live `str`.
    unsafe { pinocchio::syscalls::sol_log_(message.as_ptr(), message.len() as u64) }
}

/// A log line given as bytes, which must be UTF-8 (the syscall refuses anything else).
pub fn log_bytes(message: &[u8]) {
    // SAFETY: pointer and length of a live slice.
    unsafe { pinocchio::syscalls::sol_log_(message.as_ptr(), message.len() as u64) }
}

/// `Program data: <base64 fields>`.
pub fn log_data(fields: &[&[u8]]) {
    // SAFETY: a slice of slices is the (pointer, length) array the syscall reads.
    unsafe { pinocchio::syscalls::sol_log_data(fields.as_ptr().cast::<u8>(), fields.len() as u64) }
}

/// sha256 of the concatenated `parts`.
pub fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut hash = [0u8; 32];
    // SAFETY: as `log_data`; the result is written into 32 bytes we own.
    unsafe {
        pinocchio::syscalls::sol_sha256(
            parts.as_ptr().cast::<u8>(),
            parts.len() as u64,
            hash.as_mut_ptr(),
        );
    }
    hash
}

// The dedicated sysvar syscalls: every cluster and LiteSVM serve them (the generic
// `sol_get_sysvar` is newer and LiteSVM 0.16 answers it with `UnsupportedSysvar`).

pub fn clock() -> Result<Clock, ProgramError> {
    // `Clock` (repr C): slot, epoch_start_timestamp, epoch, leader_schedule_epoch, unix_timestamp.
    let mut clock = [0u64; 5];
    // SAFETY: the syscall writes the 40-byte `Clock` into the buffer we own.
    #[allow(deprecated)]
    let status = unsafe { pinocchio::syscalls::sol_get_clock_sysvar(clock.as_mut_ptr().cast()) };
    if status != 0 {
        return Err(ProgramError::UnsupportedSysvar);
    }
    Ok(Clock {
        slot: clock[0],
        unix_timestamp: clock[4] as i64,
    })
}

pub fn minimum_balance(data_len: usize) -> Result<u64, ProgramError> {
    // `Rent` (repr C): lamports_per_byte u64, exemption_threshold [u8; 8] (an f64),
    // burn_percent u8, padding.
    let mut rent = [0u64; 3];
    // SAFETY: the syscall writes the 24-byte `Rent` into the buffer we own.
    #[allow(deprecated)]
    let status = unsafe { pinocchio::syscalls::sol_get_rent_sysvar(rent.as_mut_ptr().cast()) };
    if status != 0 {
        return Err(ProgramError::UnsupportedSysvar);
    }
    super::rent_exempt_minimum(rent[0], rent[1].to_le_bytes(), data_len)
}

pub fn stack_height() -> u64 {
    // SAFETY: no arguments.
    unsafe { pinocchio::syscalls::sol_get_stack_height() }
}

/// `ProcessedSiblingInstruction`: the lengths the syscall reads and writes back.
#[repr(C)]
#[derive(Default)]
struct SiblingLengths {
    data_len: u64,
    accounts_len: u64,
}

/// `AccountMeta` as the syscall writes it.
#[repr(C)]
#[derive(Clone, Copy)]
struct RawAccountMeta {
    pubkey: [u8; 32],
    is_signer: u8,
    is_writable: u8,
}

/// The data and account counts of the processed sibling instruction at `index` (0 = the one
/// just before), if there is one: the syscall's first call alone, which reports the lengths
/// (the program id and the rest are written only by a call whose buffers fit them).
pub fn processed_sibling_counts(index: usize) -> Option<SiblingCounts> {
    let mut lengths = SiblingLengths::default();
    let mut program_id = [0u8; 32];
    // SAFETY: zero lengths: the syscall writes only the lengths.
    let found = unsafe {
        pinocchio::syscalls::sol_get_processed_sibling_instruction(
            index as u64,
            (&mut lengths as *mut SiblingLengths).cast::<u8>(),
            program_id.as_mut_ptr(),
            core::ptr::null_mut(),
            core::ptr::null_mut(),
        )
    };
    (found != 0).then_some(SiblingCounts {
        data: lengths.data_len,
        accounts: lengths.accounts_len,
    })
}

/// The processed sibling instruction at `index`, whole: its counts first, then a second call
/// with buffers that fit them.
pub fn processed_sibling_instruction(index: usize) -> Option<SiblingInstruction> {
    let counts = processed_sibling_counts(index)?;
    let mut lengths = SiblingLengths {
        data_len: counts.data,
        accounts_len: counts.accounts,
    };
    let mut program_id = [0u8; 32];
    let mut data = super::List::zeroed(usize::try_from(lengths.data_len).ok()?);
    let blank = RawAccountMeta {
        pubkey: [0; 32],
        is_signer: 0,
        is_writable: 0,
    };
    let mut metas = crate::list![blank; usize::try_from(lengths.accounts_len).ok()?];
    // SAFETY: the buffers hold exactly the lengths the first call reported.
    unsafe {
        pinocchio::syscalls::sol_get_processed_sibling_instruction(
            index as u64,
            (&mut lengths as *mut SiblingLengths).cast::<u8>(),
            program_id.as_mut_ptr(),
            data.as_mut_ptr(),
            metas.as_mut_ptr().cast::<u8>(),
        );
    }
    Some(SiblingInstruction {
        program_id: Pubkey::new_from_array(program_id),
        data,
        accounts: metas
            .iter()
            .map(|m| Pubkey::new_from_array(m.pubkey))
            .collect(),
    })
}

/// `Program consumption: <n> units remaining` (for profiling).
pub fn log_compute_units() {
    // SAFETY: no arguments.
    unsafe { pinocchio::syscalls::sol_log_compute_units_() }
}

/// `memcmp`/`bcmp`/`memcpy` for LLVM: compiler-builtins' are byte loops (~100 CU for one 32-byte
/// address compare; the value model compares many addresses and copies many token-account views).
/// Short regions go eight bytes at a time, long ones (64 bytes and more) through the `sol_mem*_`
/// syscalls (10 CU plus one per 250 bytes: a fixed cost short ones would not repay). Strong
/// definitions here take precedence over compiler-builtins' weak ones; memmove/memset stay theirs.
mod mem {
    use core::{ffi::c_void, ptr::read_unaligned};

    use pinocchio::syscalls::sol_memcmp_;

    /// From here on the syscall is cheaper than the loop.
    const SYSCALL_FROM: usize = 64;

    #[no_mangle]
    unsafe extern "C" fn memcmp(a: *const c_void, b: *const c_void, n: usize) -> i32 {
        let (a, b) = (a.cast::<u8>(), b.cast::<u8>());
        if n >= SYSCALL_FROM {
            let mut result = 0i32;
            // SAFETY: two valid regions of `n` bytes; the result goes to a local.
            unsafe { sol_memcmp_(a, b, n as u64, &mut result) };
            return result;
        }
        let mut i = 0usize;
        while i.wrapping_add(8) <= n {
            // SAFETY: `i + 8 <= n`, inside both regions.
            let (x, y) = unsafe {
                (
                    read_unaligned(a.add(i).cast::<u64>()),
                    read_unaligned(b.add(i).cast::<u64>()),
                )
            };
            if x != y {
                // The first differing byte decides, as byte order in memory (little-endian).
                let (x, y) = (x.swap_bytes(), y.swap_bytes());
                return if x < y { -1 } else { 1 };
            }
            i = i.wrapping_add(8);
        }
        while i < n {
            // SAFETY: `i < n`.
            let (x, y) = unsafe { (*a.add(i), *b.add(i)) };
            if x != y {
                return i32::from(x) - i32::from(y);
            }
            i = i.wrapping_add(1);
        }
        0
    }

    /// Copies of 64 bytes and more by the syscall; shorter ones in straight-line word moves
    /// (32, 16, 8, 4, 2, 1 bytes as the length's bits say): no loop, so LLVM's loop-idiom pass
    /// cannot turn the copy back into a `memcpy` call, and no stack temporary per word.
    #[no_mangle]
    unsafe extern "C" fn memcpy(dst: *mut c_void, src: *const c_void, n: usize) -> *mut c_void {
        let (d, s) = (dst.cast::<u8>(), src.cast::<u8>());
        if n >= SYSCALL_FROM {
            // SAFETY: the caller's contract is the syscall's: valid, non-overlapping regions.
            unsafe { pinocchio::syscalls::sol_memcpy_(d, s, n as u64) };
            return dst;
        }
        // `at` only grows by the sizes the bits of `n < 64` allow, so each move below stays
        // within the first `n` bytes of both regions.
        let mut at = 0usize;
        if n & 32 != 0 {
            // SAFETY: bytes 0..32 of both regions (`n >= 32`).
            unsafe {
                move_word::<u64>(d, s, 0);
                move_word::<u64>(d, s, 8);
                move_word::<u64>(d, s, 16);
                move_word::<u64>(d, s, 24);
            }
            at = 32;
        }
        if n & 16 != 0 {
            // SAFETY: `at + 16 <= n`, as below.
            unsafe {
                move_word::<u64>(d, s, at);
                move_word::<u64>(d, s, at.wrapping_add(8));
            }
            at = at.wrapping_add(16);
        }
        if n & 8 != 0 {
            // SAFETY: `at + 8 <= n` (the bits of `n` above this one are counted in `at`).
            unsafe { move_word::<u64>(d, s, at) };
            at = at.wrapping_add(8);
        }
        if n & 4 != 0 {
            // SAFETY: `at + 4 <= n` (the bits of `n` above this one are counted in `at`).
            unsafe { move_word::<u32>(d, s, at) };
            at = at.wrapping_add(4);
        }
        if n & 2 != 0 {
            // SAFETY: `at + 2 <= n` (the bits of `n` above this one are counted in `at`).
            unsafe { move_word::<u16>(d, s, at) };
            at = at.wrapping_add(2);
        }
        if n & 1 != 0 {
            // SAFETY: `at + 1 <= n` (the bits of `n` above this one are counted in `at`).
            unsafe { move_word::<u8>(d, s, at) };
        }
        dst
    }

    /// Moves one `T` from `s + at` to `d + at`, unaligned (SBF allows misaligned access, so
    /// this is one load and one store).
    ///
    /// # Safety
    /// `at + size_of::<T>()` bytes must be valid to read from `s` and to write at `d`.
    #[inline(always)]
    unsafe fn move_word<T: Copy>(d: *mut u8, s: *const u8, at: usize) {
        // SAFETY: the caller keeps `at + size_of::<T>()` inside both regions.
        unsafe {
            core::ptr::write_unaligned(d.add(at).cast::<T>(), read_unaligned(s.add(at).cast::<T>()))
        }
    }

    #[no_mangle]
    unsafe extern "C" fn bcmp(a: *const c_void, b: *const c_void, n: usize) -> i32 {
        // SAFETY: as `memcmp`.
        unsafe { memcmp(a, b, n) }
    }
}
