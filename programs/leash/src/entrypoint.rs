//! The SBF entrypoint: pinocchio's, over the runtime's input buffer without copying.

use pinocchio::{AccountView, Address, ProgramResult};

use crate::platform::Account;

pinocchio::program_entrypoint!(process_instruction);
pinocchio::default_allocator!();
pinocchio::nostd_panic_handler!();

#[inline(always)] // more than five arguments (see `processor::Invocation`)
fn process_instruction(
    program_id: &Address,
    accounts: &mut [AccountView],
    data: &[u8],
) -> ProgramResult {
    crate::processor::process(program_id, Account::from_views(accounts), data)
}
