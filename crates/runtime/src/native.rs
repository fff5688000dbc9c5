//! Running an SBF-style program natively as a LiteSVM builtin (docs/program.md, "How it runs here").
//!
//! There is no SBF toolchain on our machines, so the program is compiled for the host. The
//! adapter does what the SBF loader would: serializes the instruction's accounts in the SBF input
//! ABI, deserializes them into `AccountInfo`s, calls the program's `process_instruction`, and
//! writes changed accounts back. Syscalls go through `solana_program::program_stubs`, which this
//! module routes into the executing transaction: CPI with PDA signers, logs and `sol_log_data`,
//! return data, stack height and processed sibling instructions. Clock and Rent go through
//! `leash_program::sysvars::native`, because `solana-get-sysvar` has no off-chain stub.
//!
//! The technique follows `solana-program-test`'s `invoke_builtin_function`, without depending on
//! it and without its `unwrap()`s: a failure inside a syscall becomes an instruction error, and a
//! panic in the program fails the transaction with `ProgramFailedToComplete`.

use std::{
    cell::{Cell, RefCell},
    collections::HashSet,
    panic::AssertUnwindSafe,
    sync::Once,
};

use solana_program::{
    account_info::AccountInfo,
    clock::Clock,
    entrypoint::ProgramResult,
    instruction::{AccountMeta, Instruction, InstructionError},
    program_error::ProgramError,
    program_stubs::{self, SyscallStubs},
    pubkey::Pubkey,
    rent::Rent,
};
use solana_program_runtime::solana_sbpf::vm::ContextObject;
use solana_program_runtime::{
    invoke_context::InvokeContext, serialization::serialize_parameters, stable_log,
};
use solana_transaction_context::IndexOfAccount;

/// The signature of a program's `process_instruction`.
pub type ProcessInstruction = fn(&Pubkey, &[AccountInfo], &[u8]) -> ProgramResult;

thread_local! {
    /// The `InvokeContext` of the instruction executing on this thread (0 = none).
    static INVOKE_CONTEXT: Cell<usize> = const { Cell::new(0) };
    /// The exact runtime error of the last failed CPI, for errors `ProgramError` cannot carry.
    static CPI_ERROR: RefCell<Option<(InstructionError, ProgramError)>> = const { RefCell::new(None) };
}

/// Runs `f` with the current thread's invoke context, if an instruction is executing.
fn with_invoke_context<R>(f: impl FnOnce(&mut InvokeContext<'_, '_>) -> R) -> Option<R> {
    let ptr = INVOKE_CONTEXT.with(|c| c.get());
    if ptr == 0 {
        return None;
    }
    // SAFETY: `ptr` was stored by `invoke_native` from a live `&mut InvokeContext` and is reset
    // before that borrow ends. Syscalls run synchronously inside the program call, on this
    // thread, while `invoke_native` does not touch the context, so there is one user at a time.
    #[allow(unsafe_code)]
    let invoke_context = unsafe { &mut *(ptr as *mut InvokeContext<'_, '_>) };
    Some(f(invoke_context))
}

/// Restores the previous invoke context when dropped (nested native calls, panics).
struct ContextGuard(usize);

impl ContextGuard {
    fn enter(invoke_context: &mut InvokeContext) -> ContextGuard {
        let ptr = invoke_context as *mut InvokeContext as usize;
        ContextGuard(INVOKE_CONTEXT.with(|c| c.replace(ptr)))
    }
}

impl Drop for ContextGuard {
    fn drop(&mut self) {
        INVOKE_CONTEXT.with(|c| c.set(self.0));
    }
}

/// Installs the syscall stubs and the sysvar provider once per process.
pub fn install_stubs() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        program_stubs::set_syscall_stubs(Box::new(NativeStubs));
        leash_program::sysvars::native::install(leash_program::sysvars::native::SysvarProvider {
            clock: current_clock,
            rent: current_rent,
        });
    });
}

fn current_clock() -> Option<Clock> {
    with_invoke_context(|ic| ic.environment_config.sysvar_cache().get_clock().ok())
        .flatten()
        .map(|c| (*c).clone())
}

fn current_rent() -> Option<Rent> {
    with_invoke_context(|ic| ic.environment_config.sysvar_cache().get_rent().ok())
        .flatten()
        .map(|r| (*r).clone())
}

/// Executes the current instruction with `process` as the program, the way the SBF loader would
/// execute a compiled program.
pub fn invoke_native(
    process: ProcessInstruction,
    invoke_context: &mut InvokeContext,
) -> Result<(), InstructionError> {
    install_stubs();
    let log_collector = invoke_context.get_log_collector();
    let direct_pointers = invoke_context
        .get_feature_set()
        .direct_account_pointers_in_program_input;

    let instruction_context = invoke_context
        .transaction_context
        .get_current_instruction_context()?;
    let program_id = *instruction_context.get_program_key()?;
    let account_indices: HashSet<IndexOfAccount> =
        (0..instruction_context.get_number_of_instruction_accounts()).collect();
    // No VM: no address-space adjustments or direct mapping to emulate.
    let (mut parameter_bytes, _regions, _metadata, _data_offset) =
        serialize_parameters(&instruction_context, false, false, direct_pointers)?;

    let compute_meter_prev = invoke_context.get_remaining();
    let guard = ContextGuard::enter(invoke_context);
    CPI_ERROR.with(|e| e.borrow_mut().take());
    let buffer = parameter_bytes.as_slice_mut();
    if buffer.is_empty() {
        return Err(InstructionError::InvalidArgument);
    }
    // SAFETY: `serialize_parameters` produced this buffer in the SBF input ABI, with the
    // alignment and realloc padding `deserialize` expects; it outlives `account_infos`.
    #[allow(unsafe_code)]
    let (_, account_infos, input) =
        unsafe { solana_program_entrypoint::deserialize(buffer.as_mut_ptr()) };
    let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
        process(&program_id, &account_infos, input)
    }));
    drop(guard);

    let result = match outcome {
        Ok(Ok(())) => Ok(()),
        Ok(Err(program_error)) => {
            let cpi_error = CPI_ERROR.with(|e| e.borrow_mut().take());
            Err(match cpi_error {
                Some((exact, converted)) if converted == program_error => exact,
                _ => InstructionError::from(u64::from(program_error)),
            })
        }
        Err(_panic) => Err(InstructionError::ProgramFailedToComplete),
    };
    // The lines the SBF loader adds after the program ran. `invoke [n]` before it and
    // `success` / `failed: …` after it come from the runtime's dispatch of this builtin
    // (`InvokeContext::process_executable_chain`), as they do around the SBF loader.
    let consumed = compute_meter_prev.saturating_sub(invoke_context.get_remaining());
    if let Some(collector) = &log_collector {
        collector.borrow_mut().log(&format!(
            "Program {program_id} consumed {consumed} of {compute_meter_prev} compute units"
        ));
    }
    let (_, return_data) = invoke_context.transaction_context.get_return_data();
    if !return_data.is_empty() {
        stable_log::program_return(&log_collector, &program_id, return_data);
    }
    result?;

    // Commit the program's changes to writable accounts.
    let instruction_context = invoke_context
        .transaction_context
        .get_current_instruction_context()?;
    for index in account_indices {
        let mut account = instruction_context.try_borrow_instruction_account(index)?;
        let Some(info) = account_infos
            .iter()
            .find(|info| info.key == account.get_key())
        else {
            continue;
        };
        if !account.is_writable() {
            // What the SBF loader would refuse, refused here too rather than dropped silently.
            if account.get_lamports() != info.lamports() {
                return Err(InstructionError::ReadonlyLamportChange);
            }
            let data = info
                .try_borrow_data()
                .map_err(|_| InstructionError::AccountBorrowFailed)?;
            if account.get_data() != *data {
                return Err(InstructionError::ReadonlyDataModified);
            }
            if account.get_owner() != info.owner {
                return Err(InstructionError::ModifiedProgramId);
            }
            continue;
        }
        if account.get_lamports() != info.lamports() {
            account.set_lamports(info.lamports())?;
        }
        let data = info
            .try_borrow_data()
            .map_err(|_| InstructionError::AccountBorrowFailed)?;
        if account.get_data() != *data {
            account.can_data_be_resized(data.len())?;
            account.set_data_from_slice(&data)?;
        }
        if account.get_owner() != info.owner {
            account.set_owner(info.owner.as_ref())?;
        }
    }
    Ok(())
}

/// Syscalls for natively compiled programs, backed by the executing transaction.
struct NativeStubs;

impl SyscallStubs for NativeStubs {
    fn sol_log(&self, message: &str) {
        with_invoke_context(|ic| stable_log::program_log(&ic.get_log_collector(), message));
    }

    fn sol_log_data(&self, fields: &[&[u8]]) {
        with_invoke_context(|ic| stable_log::program_data(&ic.get_log_collector(), fields));
    }

    fn sol_invoke_signed(
        &self,
        instruction: &Instruction,
        account_infos: &[AccountInfo],
        signers_seeds: &[&[&[u8]]],
    ) -> ProgramResult {
        let result = with_invoke_context(|ic| cpi(ic, instruction, account_infos, signers_seeds))
            .unwrap_or(Err(InstructionError::GenericError));
        result.map_err(|exact| {
            let converted =
                ProgramError::try_from(exact.clone()).unwrap_or(ProgramError::InvalidArgument);
            CPI_ERROR.with(|e| *e.borrow_mut() = Some((exact, converted.clone())));
            converted
        })
    }

    fn sol_get_return_data(&self) -> Option<(Pubkey, Vec<u8>)> {
        with_invoke_context(|ic| {
            let (program_id, data) = ic.transaction_context.get_return_data();
            (*program_id, data.to_vec())
        })
    }

    fn sol_set_return_data(&self, data: &[u8]) {
        with_invoke_context(|ic| {
            let caller = ic
                .transaction_context
                .get_current_instruction_context()
                .and_then(|c| c.get_program_key().copied());
            if let Ok(caller) = caller {
                let _ = ic
                    .transaction_context
                    .set_return_data(caller, data.to_vec());
            }
        });
    }

    fn sol_get_stack_height(&self) -> u64 {
        with_invoke_context(|ic| ic.get_stack_height() as u64).unwrap_or(0)
    }

    fn sol_get_processed_sibling_instruction(&self, index: usize) -> Option<Instruction> {
        with_invoke_context(|ic| processed_sibling_instruction(ic, index).ok().flatten()).flatten()
    }
}

/// A cross-program invocation from the native program: like the loader's CPI syscall, it syncs
/// the caller's `AccountInfo` changes into the transaction, runs the callee, and syncs the
/// callee's changes back into the caller's `AccountInfo`s.
fn cpi(
    invoke_context: &mut InvokeContext,
    instruction: &Instruction,
    account_infos: &[AccountInfo],
    signers_seeds: &[&[&[u8]]],
) -> Result<(), InstructionError> {
    let caller = *invoke_context
        .transaction_context
        .get_current_instruction_context()?
        .get_program_key()?;
    let signers = signers_seeds
        .iter()
        .map(|seeds| Pubkey::create_program_address(seeds, &caller))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| InstructionError::InvalidSeeds)?;
    // The callee's `invoke [n]` and `success` / `failed: …` come from `process_instruction`, as
    // for the SBF loader's CPI syscall.
    invoke_context.prepare_next_cpi_instruction(instruction.clone(), &signers)?;

    // Caller → transaction.
    let mut writable = Vec::new();
    {
        let transaction_context = &invoke_context.transaction_context;
        let caller_context = transaction_context.get_current_instruction_context()?;
        let callee_context = transaction_context.get_next_instruction_context()?;
        for callee_account in callee_context.instruction_accounts() {
            let index_in_transaction = callee_account.index_in_transaction;
            let key = transaction_context.get_key_of_account_at_index(index_in_transaction)?;
            let info_index = account_infos
                .iter()
                .position(|info| info.key == key)
                .ok_or(InstructionError::MissingAccount)?;
            let info = &account_infos[info_index];
            let index_in_caller =
                caller_context.get_index_of_account_in_instruction(index_in_transaction)?;
            let mut account = caller_context.try_borrow_instruction_account(index_in_caller)?;
            if account.get_lamports() != info.lamports() {
                account.set_lamports(info.lamports())?;
            }
            let data = info
                .try_borrow_data()
                .map_err(|_| InstructionError::AccountBorrowFailed)?;
            if account.get_data() != *data {
                account.can_data_be_resized(data.len())?;
                account.set_data_from_slice(&data)?;
            }
            // The owner last, so lamports and data could still be changed under the old one.
            if account.get_owner() != info.owner {
                account.set_owner(info.owner.as_ref())?;
            }
            if callee_account.is_writable() {
                writable.push((index_in_transaction, info_index));
            }
        }
    }

    let mut compute_units_consumed = 0;
    invoke_context.process_instruction(&mut compute_units_consumed, &mut Default::default())?;

    // Transaction → caller.
    let transaction_context = &invoke_context.transaction_context;
    let caller_context = transaction_context.get_current_instruction_context()?;
    for (index_in_transaction, info_index) in writable {
        let index_in_caller =
            caller_context.get_index_of_account_in_instruction(index_in_transaction)?;
        let account = caller_context.try_borrow_instruction_account(index_in_caller)?;
        let info = &account_infos[info_index];
        **info
            .try_borrow_mut_lamports()
            .map_err(|_| InstructionError::AccountBorrowFailed)? = account.get_lamports();
        if info.owner != account.get_owner() {
            info.assign(account.get_owner());
        }
        let new_data = account.get_data();
        if info.data_len() != new_data.len() {
            info.resize(new_data.len())
                .map_err(|_| InstructionError::InvalidRealloc)?;
        }
        info.try_borrow_mut_data()
            .map_err(|_| InstructionError::AccountBorrowFailed)?
            .copy_from_slice(new_data);
    }
    Ok(())
}

/// The `index`-th most recent successfully processed instruction at the current stack height
/// under the same caller, as the `sol_get_processed_sibling_instruction` syscall returns it.
fn processed_sibling_instruction(
    invoke_context: &InvokeContext,
    index: usize,
) -> Result<Option<Instruction>, InstructionError> {
    let transaction_context = &invoke_context.transaction_context;
    let stack_height = invoke_context.get_stack_height();
    let current_caller = transaction_context
        .get_current_instruction_context()?
        .get_index_of_caller();
    let range = if stack_height == 1 {
        0..transaction_context.next_top_level_instruction_index()
    } else {
        let end = transaction_context.get_instruction_trace_length();
        end.saturating_sub(transaction_context.number_of_cpis_in_trace())..end
    };
    let mut seen_at_height = 0usize;
    for index_in_trace in range.rev() {
        let context =
            transaction_context.get_instruction_context_at_index_in_trace(index_in_trace)?;
        if context.get_index_of_caller() != current_caller {
            continue;
        }
        if context.get_stack_height() < stack_height {
            break;
        }
        if context.get_stack_height() != stack_height {
            continue;
        }
        // The current instruction is the first one met; siblings come after it.
        if seen_at_height == index.saturating_add(1) {
            let mut accounts = Vec::new();
            for i in 0..context.get_number_of_instruction_accounts() {
                let index_in_transaction =
                    context.get_index_of_instruction_account_in_transaction(i)?;
                accounts.push(AccountMeta {
                    pubkey: *transaction_context
                        .get_key_of_account_at_index(index_in_transaction)?,
                    is_signer: context.is_instruction_account_signer(i)?,
                    is_writable: context.is_instruction_account_writable(i)?,
                });
            }
            return Ok(Some(Instruction {
                program_id: *context.get_program_key()?,
                accounts,
                data: context.get_instruction_data().to_vec(),
            }));
        }
        seen_at_height = seen_at_height.saturating_add(1);
    }
    Ok(None)
}
