//! Instruction processing, one module per instruction (in the manner of p-token's
//! `processor/`). Each module parses its accounts into a struct and checks them as one ordered,
//! named list before it changes anything (in the manner of Squads v4's `validate()`); the order
//! of `Execute`'s checks is part of the contract (DESIGN.md §3.3), because clients map the first
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

use solana_program::{
    account_info::AccountInfo,
    entrypoint::ProgramResult,
    program::{invoke, invoke_signed},
    program_error::ProgramError,
    pubkey::Pubkey,
};
use solana_system_interface::instruction as system_instruction;

use crate::{
    error::LeashError,
    instruction::LeashInstruction,
    leash_log,
    state::{authority_hash, encode_into, Session, Wallet, SESSION_SEED, VAULT_SEED, WALLET_SEED},
};

/// The program entrypoint's handler.
pub fn process_instruction(
    program_id: &Pubkey,
    accounts: &[AccountInfo],
    data: &[u8],
) -> ProgramResult {
    if *program_id != crate::ID {
        return Err(ProgramError::IncorrectProgramId);
    }
    let instruction = LeashInstruction::unpack(data).ok_or(ProgramError::InvalidInstructionData)?;
    match instruction {
        LeashInstruction::CreateWallet { owner, salt } => {
            create_wallet::process(accounts, owner, salt)
        }
        LeashInstruction::CreateSession {
            session_key,
            policy,
        } => create_session::process(accounts, session_key, policy),
        LeashInstruction::Execute {
            expected_nonce,
            calls,
        } => execute::process(accounts, expected_nonce, &calls),
        LeashInstruction::RevokeSession => revoke_session::process(accounts),
        LeashInstruction::RevokeAllSessions => revoke_all_sessions::process(accounts),
        LeashInstruction::UpdateSession {
            policy,
            expected_uses,
        } => update_session::process(accounts, policy, expected_uses),
        LeashInstruction::CloseSession => close_session::process(accounts),
        LeashInstruction::OwnerExecute { calls } => owner_execute::process(accounts, &calls),
        LeashInstruction::SweepLamports => sweep_lamports::process(accounts),
    }
}

// ---------------------------------------------------------------------------------------------
// Account checks shared by the instructions.

fn invalid_account(what: &str) -> ProgramError {
    leash_log!("wrong or unexpected account: {what}");
    LeashError::InvalidAccount.into()
}

/// A wallet account: owned by this program, of type Wallet, at its PDA.
fn load_wallet(wallet: &AccountInfo) -> Result<Wallet, ProgramError> {
    if *wallet.owner != crate::ID {
        return Err(invalid_account("wallet is not owned by the Leash program"));
    }
    let state = Wallet::decode(&wallet.try_borrow_data()?)
        .ok_or_else(|| invalid_account("wallet account is not a Leash wallet"))?;
    let expected = Pubkey::create_program_address(
        &[
            WALLET_SEED,
            &authority_hash(&state.owner),
            &state.salt,
            &[state.bump],
        ],
        &crate::ID,
    )
    .map_err(|_| invalid_account("wallet address"))?;
    if expected != *wallet.key {
        return Err(invalid_account("wallet is not at its address"));
    }
    Ok(state)
}

/// The vault of `wallet`: its PDA, writable.
fn check_vault(wallet_key: &Pubkey, wallet: &Wallet, vault: &AccountInfo) -> ProgramResult {
    let expected = Pubkey::create_program_address(
        &[VAULT_SEED, wallet_key.as_ref(), &[wallet.vault_bump]],
        &crate::ID,
    )
    .map_err(|_| invalid_account("vault address"))?;
    if expected != *vault.key {
        return Err(invalid_account("vault is not this wallet's vault"));
    }
    check_writable(vault, "vault must be writable")
}

/// The seeds the program signs for the vault with.
fn vault_seeds<'a>(wallet_key: &'a Pubkey, bump: &'a [u8; 1]) -> [&'a [u8]; 3] {
    [VAULT_SEED, wallet_key.as_ref(), bump]
}

/// A session account: owned by this program, of type Session, at its PDA.
fn load_session(session: &AccountInfo) -> Result<Session, ProgramError> {
    if *session.owner != crate::ID {
        return Err(LeashError::SessionNotRegistered.into());
    }
    let state =
        Session::decode(&session.try_borrow_data()?).ok_or(LeashError::SessionNotRegistered)?;
    let expected = Pubkey::create_program_address(
        &[
            SESSION_SEED,
            state.wallet.as_ref(),
            state.session_key.as_ref(),
            &[state.bump],
        ],
        &crate::ID,
    );
    if expected.as_ref() != Ok(session.key) {
        leash_log!("session account is not at its address");
        return Err(LeashError::SessionNotRegistered.into());
    }
    Ok(state)
}

/// The session belongs to `wallet`.
fn check_session_wallet(session: &Session, wallet: &Pubkey) -> ProgramResult {
    if session.wallet != *wallet {
        return Err(LeashError::WalletMismatch.into());
    }
    Ok(())
}

/// `owner` signed and is the wallet's owner.
fn check_owner(wallet: &Wallet, owner: &AccountInfo) -> ProgramResult {
    if !owner.is_signer || owner.key != wallet.owner.signer_key() {
        leash_log!("{} is not the wallet owner, or did not sign", owner.key);
        return Err(LeashError::Unauthorized.into());
    }
    Ok(())
}

fn check_signer(account: &AccountInfo) -> ProgramResult {
    if !account.is_signer {
        return Err(ProgramError::MissingRequiredSignature);
    }
    Ok(())
}

fn check_writable(account: &AccountInfo, what: &str) -> ProgramResult {
    if !account.is_writable {
        return Err(invalid_account(what));
    }
    Ok(())
}

fn check_system_program(account: &AccountInfo) -> ProgramResult {
    if *account.key != solana_system_interface::program::ID {
        return Err(invalid_account("expected the System program"));
    }
    Ok(())
}

fn write_session(account: &AccountInfo, session: &Session) -> ProgramResult {
    encode_into(session, &mut account.try_borrow_mut_data()?)
}

fn write_wallet(account: &AccountInfo, wallet: &Wallet) -> ProgramResult {
    encode_into(wallet, &mut account.try_borrow_mut_data()?)
}

/// Creates `target` as a rent-exempt account of `space` bytes owned by this program, signing
/// with `seeds`. Works when someone pre-funded the address (which would make a plain
/// `CreateAccount` fail and could be used to block wallet creation).
fn create_pda_account<'a>(
    payer: &AccountInfo<'a>,
    target: &AccountInfo<'a>,
    system_program: &AccountInfo<'a>,
    space: usize,
    seeds: &[&[u8]],
) -> ProgramResult {
    if *target.owner != solana_system_interface::program::ID || !target.data_is_empty() {
        return Err(ProgramError::AccountAlreadyInitialized);
    }
    let required = crate::sysvars::rent()?.minimum_balance(space);
    let space_u64 = u64::try_from(space).map_err(|_| LeashError::ArithmeticOverflow)?;
    if target.lamports() == 0 {
        let ix = system_instruction::create_account(
            payer.key,
            target.key,
            required,
            space_u64,
            &crate::ID,
        );
        return invoke_signed(
            &ix,
            &[payer.clone(), target.clone(), system_program.clone()],
            &[seeds],
        );
    }
    top_up_rent(payer, target, system_program, required)?;
    let accounts = [target.clone(), system_program.clone()];
    invoke_signed(
        &system_instruction::allocate(target.key, space_u64),
        &accounts,
        &[seeds],
    )?;
    invoke_signed(
        &system_instruction::assign(target.key, &crate::ID),
        &accounts,
        &[seeds],
    )
}

/// Transfers from `payer` what `target` lacks of `required` lamports.
fn top_up_rent<'a>(
    payer: &AccountInfo<'a>,
    target: &AccountInfo<'a>,
    system_program: &AccountInfo<'a>,
    required: u64,
) -> ProgramResult {
    let top_up = required.saturating_sub(target.lamports());
    if top_up == 0 {
        return Ok(());
    }
    let ix = system_instruction::transfer(payer.key, target.key, top_up);
    invoke(
        &ix,
        &[payer.clone(), target.clone(), system_program.clone()],
    )
}
