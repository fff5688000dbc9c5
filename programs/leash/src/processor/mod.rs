//! Instruction processing, one module per instruction (in the manner of p-token's
//! `processor/`). Each module parses its accounts into a struct and checks them as one ordered,
//! named list before it changes anything (in the manner of Squads v4's `validate()`); the order
//! of `Execute`'s checks is part of the contract (docs/program.md, "Instructions"), because clients map the first
//! failing check to a message.

mod close_session;
mod create_session;
mod create_wallet;
mod execute;
mod owner_execute;
mod revoke_all_sessions;
mod revoke_session;
mod sweep_lamports;
mod update_session;

use crate::{
    error::LeashError,
    instruction::{self, PlainInstruction},
    leash_log,
    log::{Key, Num},
    passkey,
    platform::{
        address_eq, derive_address, invoke_signed, layout_mut, processed_sibling_instruction,
        stack_height, Account, CpiAccount, ProgramError, ProgramResult, Pubkey, SYSTEM_PROGRAM_ID,
        TRANSACTION_LEVEL_STACK_HEIGHT,
    },
    state::{
        AnyWalletLayout, Authority, PasskeyWalletLayout, SessionView, Wallet, WalletLayout,
        WalletView, SESSION_SEED, VAULT_SEED,
    },
};

/// The native builtin's handler (crates/runtime), over solana-program's `AccountInfo`s.
#[cfg(not(target_arch = "bpf"))]
pub fn process_instruction(
    program_id: &Pubkey,
    accounts: &[solana_program::account_info::AccountInfo],
    data: &[u8],
) -> ProgramResult {
    process(program_id, Account::from_infos(accounts), data)
}

/// The instruction handler of both builds.
#[inline(always)] // six arguments (see `Invocation`)
pub fn process(program_id: &Pubkey, accounts: &[Account], data: &[u8]) -> ProgramResult {
    dispatch(&Invocation {
        program_id,
        accounts,
        data,
    })
}

/// One instruction as the entrypoint hands it over. Passed by reference because an SBPF v0
/// call carries at most five registers, and two slices and a returned `Result` already take
/// five; functions with more arguments are `#[inline(always)]` into their caller.
pub struct Invocation<'a, 'info> {
    pub program_id: &'a Pubkey,
    pub accounts: &'a [Account<'info>],
    pub data: &'a [u8],
}

// Not inlined into the entrypoint: each SBPF v0 call frame is 4 KiB, and the entrypoint's already
// holds the account views.
#[inline(never)]
fn dispatch(invocation: &Invocation) -> ProgramResult {
    let Invocation {
        program_id,
        accounts,
        data,
    } = *invocation;
    // No check against a compiled-in id: the runtime only runs this code for the account it is
    // deployed at, and every check below is made against that address (docs/deploy.md).
    // Every instruction's data is read in place; none is decoded through borsh.
    if let Some((expected_nonce, calls)) = instruction::execute_view(data) {
        return execute::process(
            program_id,
            accounts,
            &execute::ExecuteArgs {
                expected_nonce,
                calls,
            },
        );
    }
    if let Some(calls) = instruction::owner_execute_view(data) {
        return owner_execute::process(invocation, calls);
    }
    if let Some((session_key, policy, bump)) = instruction::create_session_view(data) {
        return create_session::process(
            invocation,
            create_session::CreateSessionArgs {
                session_key: *session_key,
                policy,
                bump,
            },
        );
    }
    if let Some((policy, expected_uses)) = instruction::update_session_view(data) {
        return update_session::process(
            invocation,
            update_session::UpdateSessionArgs {
                policy,
                expected_uses,
            },
        );
    }
    match instruction::plain_view(data).ok_or(ProgramError::InvalidInstructionData)? {
        PlainInstruction::CreateWallet { owner, salt } => {
            create_wallet::process(program_id, accounts, owner, *salt)
        }
        PlainInstruction::RevokeSession => revoke_session::process(invocation),
        PlainInstruction::RevokeAllSessions => revoke_all_sessions::process(invocation),
        PlainInstruction::CloseSession => close_session::process(invocation),
        PlainInstruction::SweepLamports => sweep_lamports::process(invocation),
    }
}

// ---------------------------------------------------------------------------------------------
// Account checks shared by the instructions.

fn invalid_account(what: &str) -> ProgramError {
    leash_log!("wrong or unexpected account: ", what);
    LeashError::InvalidAccount.into()
}

/// A wallet account: owned by this program and of type Wallet. Its address is not derived
/// again here (two `sol_sha256`s): the wallet's key is a seed of its vault, so every use of the
/// wallet's funds checks it through [`check_vault`], and an instruction that does not move funds
/// can only change the copy it is given. Only this program writes an account it owns, and it
/// writes a wallet's type byte only into the account it has just created at the wallet's PDA;
/// an account someone else assigns to the program starts zeroed, which is no type
/// (docs/program.md, "Account checks").
#[inline(never)] // one copy for every instruction
fn load_wallet(program_id: &Pubkey, wallet: &Account) -> Result<Wallet, ProgramError> {
    check_wallet_owner(program_id, wallet)?;
    Wallet::decode(&wallet.data()?).ok_or_else(not_a_wallet)
}

/// [`load_wallet`]'s checks, and of the wallet only its vault's bump and its epoch, read in
/// place (what `Execute` needs; copying the wallet out cost more).
fn wallet_vault_bump_and_epoch(
    program_id: &Pubkey,
    wallet: &Account,
) -> Result<(u8, u32), ProgramError> {
    check_wallet_owner(program_id, wallet)?;
    let data = wallet.data()?;
    let view = WalletView::parse(&data).ok_or_else(not_a_wallet)?;
    Ok((view.vault_bump(), view.epoch()))
}

fn check_wallet_owner(program_id: &Pubkey, wallet: &Account) -> ProgramResult {
    if !address_eq(wallet.owner(), program_id) {
        return Err(invalid_account("wallet is not owned by the Leash program"));
    }
    Ok(())
}

fn not_a_wallet() -> ProgramError {
    invalid_account("wallet account is not a Leash wallet")
}

/// The vault of the wallet at `wallet_key` whose vault bump is `vault_bump`: its PDA, writable.
fn check_vault(
    program_id: &Pubkey,
    wallet_key: &Pubkey,
    vault_bump: u8,
    vault: &Account,
) -> ProgramResult {
    let expected = derive_address(&[VAULT_SEED, wallet_key.as_ref()], vault_bump, program_id);
    if !expected.is_some_and(|e| address_eq(&e, vault.key())) {
        return Err(invalid_account("vault is not this wallet's vault"));
    }
    check_writable(vault, "vault must be writable")
}

/// The seeds the program signs for the vault with.
fn vault_seeds<'a>(wallet_key: &'a Pubkey, bump: &'a [u8; 1]) -> [&'a [u8]; 3] {
    [VAULT_SEED, wallet_key.as_ref(), bump]
}

/// The session account's data, if the account is owned by this program (else
/// `SessionNotRegistered`), for [`session_view`].
fn session_data<'a>(
    program_id: &Pubkey,
    session: &'a Account,
) -> Result<impl core::ops::Deref<Target = [u8]> + 'a, ProgramError> {
    check_session_owner(program_id, session)?;
    session.data()
}

/// The session account is owned by this program (else `SessionNotRegistered`).
fn check_session_owner(program_id: &Pubkey, session: &Account) -> ProgramResult {
    if !address_eq(session.owner(), program_id) {
        return Err(LeashError::SessionNotRegistered.into());
    }
    Ok(())
}

/// `data`, the data of `session` ([`session_data`]), read in place as a session at its PDA
/// ([`load_session`] without decoding it whole).
#[inline(never)] // one copy for the owner instructions; `Execute` inlines its own
fn session_view<'d>(
    program_id: &Pubkey,
    session: &Account,
    data: &'d [u8],
) -> Result<SessionView<'d>, ProgramError> {
    session_view_inlined(program_id, session, data)
}

/// [`session_view`], inlined into its caller: `Execute`'s, where a call (and the view returned
/// through memory) cost ~150 CU (docs/program.md, "Compute units").
#[inline(always)]
fn session_view_inlined<'d>(
    program_id: &Pubkey,
    session: &Account,
    data: &'d [u8],
) -> Result<SessionView<'d>, ProgramError> {
    let view = SessionView::parse(data).ok_or(LeashError::SessionNotRegistered)?;
    check_session_address(
        program_id,
        session,
        view.wallet(),
        view.session_key(),
        view.head().fixed.bump,
    )?;
    Ok(view)
}

/// The session account is at the PDA of its wallet and key.
#[inline(always)] // more than five arguments (see `Invocation`)
fn check_session_address(
    program_id: &Pubkey,
    session: &Account,
    wallet: &Pubkey,
    session_key: &Pubkey,
    bump: u8,
) -> ProgramResult {
    let expected = derive_address(
        &[SESSION_SEED, wallet.as_ref(), session_key.as_ref()],
        bump,
        program_id,
    );
    if !expected.is_some_and(|e| address_eq(&e, session.key())) {
        leash_log!("session account is not at its address");
        return Err(LeashError::SessionNotRegistered.into());
    }
    Ok(())
}

/// The session belongs to `wallet`.
fn check_session_wallet(session: &SessionView, wallet: &Pubkey) -> ProgramResult {
    if !address_eq(session.wallet(), wallet) {
        return Err(LeashError::WalletMismatch.into());
    }
    Ok(())
}

/// The wallet's owner authorized this instruction: its Ed25519 key signed it as `owner`, or,
/// for a passkey wallet, `owner` is the secp256r1 program and the instruction just before is
/// that precompile's check of an assertion over this instruction's challenge
/// (docs/program.md, "Passkey owners"). A passkey's owner nonce moves on, in `wallet` and in
/// its account, so the assertion cannot authorize anything again.
#[inline(never)] // one copy for every owner instruction
fn authorize_owner(
    invocation: &Invocation,
    wallet_account: &Account,
    wallet: &mut Wallet,
    owner: &Account,
) -> ProgramResult {
    let passkey = match &wallet.owner {
        Authority::Ed25519(key) => {
            if !owner.is_signer() || !address_eq(owner.key(), key) {
                leash_log!(
                    Key(owner.key()),
                    " is not the wallet owner, or did not sign"
                );
                return Err(LeashError::Unauthorized.into());
            }
            return Ok(());
        }
        Authority::Secp256r1(passkey) => *passkey,
    };
    // 1. The owner account says "a passkey's assertion": the precompile's id.
    if !address_eq(owner.key(), &passkey::SECP256R1_PROGRAM_ID) {
        leash_log!(
            "this wallet is owned by a passkey: its owner account is the secp256r1 program, ",
            "after that program's check of the assertion"
        );
        return Err(LeashError::Unauthorized.into());
    }
    // 2. A top-level instruction: the instruction before it is then the transaction's, and
    // nothing calls Leash with an assertion made for another caller's instruction.
    if stack_height() != TRANSACTION_LEVEL_STACK_HEIGHT {
        leash_log!("a passkey authorizes top-level instructions only");
        return Err(LeashError::Unauthorized.into());
    }
    // 3. The wallet is writable: its owner nonce moves on.
    check_writable(
        wallet_account,
        "a passkey wallet must be writable (its owner nonce)",
    )?;
    // 4. The instruction just before is the precompile's, in the layout read here.
    let previous = processed_sibling_instruction(0)
        .filter(|ix| address_eq(&ix.program_id, &passkey::SECP256R1_PROGRAM_ID));
    let Some(previous) = previous else {
        leash_log!("passkey assertion: no secp256r1 instruction just before this one");
        return Err(LeashError::PasskeyAssertionInvalid.into());
    };
    let Some(assertion) = passkey::parse_precompile(&previous.data) else {
        leash_log!("passkey assertion: the secp256r1 instruction is not in Leash's layout");
        return Err(LeashError::PasskeyAssertionInvalid.into());
    };
    // 5. Not past its last valid slot.
    let slot = crate::sysvars::clock()?.slot;
    if slot > assertion.last_valid_slot {
        leash_log!(
            "passkey assertion: valid to slot ",
            Num(assertion.last_valid_slot),
            ", now ",
            Num(slot),
            "; sign again"
        );
        return Err(LeashError::PasskeyAssertionExpired.into());
    }
    // 6. Over this instruction, this wallet's next nonce and that slot; by this passkey.
    let challenge = passkey::challenge(
        invocation.program_id,
        wallet.owner_nonce,
        assertion.last_valid_slot,
        invocation.accounts.iter().map(|a| a.key()),
        invocation.data,
    )
    .ok_or_else(|| invalid_account("too many accounts for a passkey-authorized instruction"))?;
    if let Err(refusal) = passkey::check(&assertion, &passkey, &challenge) {
        leash_log!(refusal.describe());
        return Err(LeashError::PasskeyAssertionInvalid.into());
    }
    wallet.owner_nonce = wallet
        .owner_nonce
        .checked_add(1)
        .ok_or(LeashError::ArithmeticOverflow)?;
    write_wallet(wallet_account, wallet)
}

/// Whether `account` stands for a passkey owner (the secp256r1 program's id in an owner or
/// authority slot): revoke and close then take the owner's path.
fn is_passkey_slot(account: &Account) -> bool {
    address_eq(account.key(), &passkey::SECP256R1_PROGRAM_ID)
}

fn check_signer(account: &Account) -> ProgramResult {
    if !account.is_signer() {
        return Err(ProgramError::MissingRequiredSignature);
    }
    Ok(())
}

fn check_writable(account: &Account, what: &str) -> ProgramResult {
    if !account.is_writable() {
        return Err(invalid_account(what));
    }
    Ok(())
}

fn check_system_program(account: &Account) -> ProgramResult {
    if !address_eq(account.key(), &SYSTEM_PROGRAM_ID) {
        return Err(invalid_account("expected the System program"));
    }
    Ok(())
}

/// Writes `wallet` into its account's data, in place (the account is exactly the size of a
/// wallet of its owner's kind).
fn write_wallet(account: &Account, wallet: &Wallet) -> ProgramResult {
    let mut data = account.data_mut()?;
    if data.len() != Wallet::len_for(&wallet.owner) {
        return Err(ProgramError::AccountDataTooSmall);
    }
    match wallet.to_layout() {
        AnyWalletLayout::Ed25519(layout) => {
            let stored: &mut WalletLayout =
                layout_mut(&mut data).ok_or(ProgramError::AccountDataTooSmall)?;
            *stored = layout;
        }
        AnyWalletLayout::Passkey(layout) => {
            let stored: &mut PasskeyWalletLayout =
                layout_mut(&mut data).ok_or(ProgramError::AccountDataTooSmall)?;
            *stored = layout;
        }
    }
    Ok(())
}

/// Creates `target` as a rent-exempt account of `space` bytes owned by `program_id`, signing
/// with `seeds`. Works when someone pre-funded the address (which would make a plain
/// `CreateAccount` fail and could be used to block wallet creation).
#[inline(always)] // more than five arguments (see `Invocation`)
fn create_pda_account<'info>(
    program_id: &Pubkey,
    payer: &Account<'info>,
    target: &Account<'info>,
    system_program: &Account<'info>,
    space: usize,
    seeds: &[&[u8]],
) -> ProgramResult {
    if *target.owner() != SYSTEM_PROGRAM_ID || !target.data_is_empty() {
        return Err(ProgramError::AccountAlreadyInitialized);
    }
    let required = crate::sysvars::minimum_balance(space)?;
    let space_u64 = u64::try_from(space).map_err(|_| LeashError::ArithmeticOverflow)?;
    if target.lamports() == 0 {
        let data = system_call::create_account(required, space_u64, program_id);
        let accounts = [
            CpiAccount::writable_signer(payer),
            CpiAccount::writable_signer(target),
        ];
        return invoke_signed(system_program, &accounts, &data, &[seeds]);
    }
    top_up_rent(payer, target, system_program, required)?;
    let accounts = [CpiAccount::writable_signer(target)];
    invoke_signed(
        system_program,
        &accounts,
        &system_call::allocate(space_u64),
        &[seeds],
    )?;
    invoke_signed(
        system_program,
        &accounts,
        &system_call::assign(program_id),
        &[seeds],
    )
}

/// Transfers from `payer` what `target` lacks of `required` lamports.
fn top_up_rent<'info>(
    payer: &Account<'info>,
    target: &Account<'info>,
    system_program: &Account<'info>,
    required: u64,
) -> ProgramResult {
    let top_up = required.saturating_sub(target.lamports());
    if top_up == 0 {
        return Ok(());
    }
    let accounts = [
        CpiAccount::writable_signer(payer),
        CpiAccount::writable(target),
    ];
    invoke_signed(
        system_program,
        &accounts,
        &system_call::transfer(top_up),
        &[],
    )
}

/// The System program instructions the processor calls, in their bincode encoding (a `u32`
/// variant index, then the fields), written here rather than pulled from
/// `solana-system-interface`, which the SBF build does not link.
mod system_call {
    use crate::list::Vec;

    use crate::platform::Pubkey;

    const CREATE_ACCOUNT: u32 = 0;
    const ASSIGN: u32 = 1;
    const TRANSFER: u32 = 2;
    const ALLOCATE: u32 = 8;

    /// `CreateAccount { lamports, space, owner }`; accounts: funder (signer, writable), new
    /// account (signer, writable).
    pub fn create_account(lamports: u64, space: u64, owner: &Pubkey) -> Vec<u8> {
        let mut data = Vec::with_capacity(52);
        data.extend_from_slice(&CREATE_ACCOUNT.to_le_bytes());
        data.extend_from_slice(&lamports.to_le_bytes());
        data.extend_from_slice(&space.to_le_bytes());
        data.extend_from_slice(owner.as_ref());
        data
    }

    /// `Assign { owner }`; accounts: the account (signer, writable).
    pub fn assign(owner: &Pubkey) -> Vec<u8> {
        let mut data = Vec::with_capacity(36);
        data.extend_from_slice(&ASSIGN.to_le_bytes());
        data.extend_from_slice(owner.as_ref());
        data
    }

    /// `Transfer { lamports }`; accounts: from (signer, writable), to (writable).
    pub fn transfer(lamports: u64) -> Vec<u8> {
        let mut data = Vec::with_capacity(12);
        data.extend_from_slice(&TRANSFER.to_le_bytes());
        data.extend_from_slice(&lamports.to_le_bytes());
        data
    }

    /// `Allocate { space }`; accounts: the account (signer, writable).
    pub fn allocate(space: u64) -> Vec<u8> {
        let mut data = Vec::with_capacity(12);
        data.extend_from_slice(&ALLOCATE.to_le_bytes());
        data.extend_from_slice(&space.to_le_bytes());
        data
    }

    #[cfg(test)]
    mod tests {
        use solana_system_interface::instruction as system_instruction;

        use super::*;

        /// The hand-written encodings are solana-system-interface's.
        #[test]
        fn encodings_match_the_system_interface() {
            let a = Pubkey::new_from_array([1; 32]);
            let b = Pubkey::new_from_array([2; 32]);
            let owner = Pubkey::new_from_array([3; 32]);
            assert_eq!(
                create_account(7, 81, &owner),
                system_instruction::create_account(&a, &b, 7, 81, &owner).data
            );
            assert_eq!(assign(&owner), system_instruction::assign(&a, &owner).data);
            assert_eq!(transfer(9), system_instruction::transfer(&a, &b, 9).data);
            assert_eq!(allocate(81), system_instruction::allocate(&a, 81).data);
        }
    }
}
