//! Instruction processing. Each handler checks its accounts explicitly and in a fixed order
//! before it changes anything (DESIGN.md §3.3); the order of `Execute`'s checks is part of the
//! contract because clients map the first failing check to a message.

use solana_program::{
    account_info::AccountInfo,
    entrypoint::ProgramResult,
    instruction::{
        get_processed_sibling_instruction, get_stack_height, AccountMeta, Instruction,
        TRANSACTION_LEVEL_STACK_HEIGHT,
    },
    program::{invoke, invoke_signed},
    program_error::ProgramError,
    pubkey::Pubkey,
};
use solana_system_interface::instruction as system_instruction;

use crate::{
    accounting::{self, Snapshot},
    error::LeashError,
    event::LeashEvent,
    instruction::{Call, LeashInstruction, EXECUTE_VAULT_INDEX, OWNER_EXECUTE_VAULT_INDEX},
    leash_log,
    state::{
        authority_hash, encode_into, session_address, Authority, Policy, Session, Spent, Wallet,
        LAYOUT_VERSION, SESSION_ACCOUNT_TYPE, SESSION_SEED, VAULT_SEED, WALLET_ACCOUNT_TYPE,
        WALLET_SEED,
    },
    token_account,
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
        LeashInstruction::CreateWallet { owner, salt } => create_wallet(accounts, owner, salt),
        LeashInstruction::CreateSession {
            session_key,
            policy,
        } => create_session(accounts, session_key, policy),
        LeashInstruction::Execute {
            expected_nonce,
            calls,
        } => execute(accounts, expected_nonce, &calls),
        LeashInstruction::RevokeSession => revoke_session(accounts),
        LeashInstruction::RevokeAllSessions => revoke_all_sessions(accounts),
        LeashInstruction::UpdateSession {
            policy,
            expected_uses,
        } => update_session(accounts, policy, expected_uses),
        LeashInstruction::CloseSession => close_session(accounts),
        LeashInstruction::OwnerExecute { calls } => owner_execute(accounts, &calls),
        // Implemented with the processor's per-instruction modules (value model v2).
        LeashInstruction::SweepLamports => Err(ProgramError::InvalidInstructionData),
    }
}

// ---------------------------------------------------------------------------------------------
// Account checks shared by the handlers.

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

/// The vault of `wallet`: its PDA, system-owned.
fn check_vault(wallet_key: &Pubkey, wallet: &Wallet, vault: &AccountInfo) -> ProgramResult {
    let expected = Pubkey::create_program_address(
        &[VAULT_SEED, wallet_key.as_ref(), &[wallet.vault_bump]],
        &crate::ID,
    )
    .map_err(|_| invalid_account("vault address"))?;
    if expected != *vault.key {
        return Err(invalid_account("vault is not this wallet's vault"));
    }
    if !vault.is_writable {
        return Err(invalid_account("vault must be writable"));
    }
    Ok(())
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

// ---------------------------------------------------------------------------------------------
// Creating program accounts.

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
    let top_up = required.saturating_sub(target.lamports());
    if top_up > 0 {
        let ix = system_instruction::transfer(payer.key, target.key, top_up);
        invoke(
            &ix,
            &[payer.clone(), target.clone(), system_program.clone()],
        )?;
    }
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

// ---------------------------------------------------------------------------------------------
// 0. CreateWallet

fn create_wallet(accounts: &[AccountInfo], owner: Authority, salt: [u8; 32]) -> ProgramResult {
    let [payer, owner_account, wallet, system_program, ..] = accounts else {
        return Err(ProgramError::NotEnoughAccountKeys);
    };
    if !payer.is_signer {
        return Err(ProgramError::MissingRequiredSignature);
    }
    check_writable(payer, "payer must be writable")?;
    if !owner_account.is_signer || owner_account.key != owner.signer_key() {
        leash_log!("the wallet's owner must sign its creation");
        return Err(LeashError::Unauthorized.into());
    }
    check_writable(wallet, "wallet must be writable")?;
    check_system_program(system_program)?;
    let owner_hash = authority_hash(&owner);
    let (expected, bump) =
        Pubkey::find_program_address(&[WALLET_SEED, &owner_hash, &salt], &crate::ID);
    if expected != *wallet.key {
        return Err(invalid_account(
            "wallet is not the PDA of this owner and salt",
        ));
    }
    let (_, vault_bump) = crate::state::vault_address(wallet.key);
    let clock = crate::sysvars::clock()?;
    create_pda_account(
        payer,
        wallet,
        system_program,
        Wallet::LEN,
        &[WALLET_SEED, &owner_hash, &salt, &[bump]],
    )?;
    let state = Wallet {
        account_type: WALLET_ACCOUNT_TYPE,
        version: LAYOUT_VERSION,
        bump,
        vault_bump,
        owner,
        salt,
        epoch: 0,
        created_slot: clock.slot,
    };
    encode_into(&state, &mut wallet.try_borrow_mut_data()?)?;
    LeashEvent::WalletCreated {
        wallet: *wallet.key,
        owner,
    }
    .emit();
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// 1. CreateSession

fn create_session(accounts: &[AccountInfo], session_key: Pubkey, policy: Policy) -> ProgramResult {
    let [payer, owner, wallet_account, session_account, system_program, ..] = accounts else {
        return Err(ProgramError::NotEnoughAccountKeys);
    };
    let wallet = load_wallet(wallet_account)?;
    check_owner(&wallet, owner)?;
    if !payer.is_signer {
        return Err(ProgramError::MissingRequiredSignature);
    }
    check_writable(payer, "payer must be writable")?;
    check_writable(session_account, "session must be writable")?;
    check_system_program(system_program)?;
    policy.validate()?;
    let (expected, bump) = session_address(wallet_account.key, &session_key);
    if expected != *session_account.key {
        return Err(invalid_account(
            "session is not the PDA of this wallet and session key",
        ));
    }
    let clock = crate::sysvars::clock()?;
    let session = Session {
        account_type: SESSION_ACCOUNT_TYPE,
        version: LAYOUT_VERSION,
        bump,
        wallet: *wallet_account.key,
        session_key,
        rent_payer: *payer.key,
        created_slot: clock.slot,
        created_at: clock.unix_timestamp,
        epoch: wallet.epoch,
        revoked: false,
        uses: 0,
        nonce: 0,
        spent: vec![Spent::default(); policy.limits.len()],
        policy,
    };
    create_pda_account(
        payer,
        session_account,
        system_program,
        session.encoded_len(),
        &[
            SESSION_SEED,
            wallet_account.key.as_ref(),
            session_key.as_ref(),
            &[bump],
        ],
    )?;
    write_session(session_account, &session)?;
    LeashEvent::SessionCreated {
        wallet: *wallet_account.key,
        session: *session_account.key,
        session_key,
    }
    .emit();
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// 2. Execute

fn execute(accounts: &[AccountInfo], expected_nonce: Option<u64>, calls: &[Call]) -> ProgramResult {
    let [session_key, wallet_account, session_account, vault, ..] = accounts else {
        return Err(ProgramError::NotEnoughAccountKeys);
    };
    // 1. The wallet and its vault.
    let wallet = load_wallet(wallet_account)?;
    check_vault(wallet_account.key, &wallet, vault)?;
    // 2. The session account.
    let mut session = load_session(session_account)?;
    check_writable(session_account, "session must be writable")?;
    // 3. Of this wallet.
    check_session_wallet(&session, wallet_account.key)?;
    // 4. Signed by its key.
    if !session_key.is_signer || *session_key.key != session.session_key {
        return Err(LeashError::SessionKeyMismatch.into());
    }
    // 5. Not revoked, alone or by epoch.
    if session.is_revoked(&wallet) {
        return Err(LeashError::SessionRevoked.into());
    }
    // 6–7. Inside its validity window and slot bound.
    let clock = crate::sysvars::clock()?;
    let now = clock.unix_timestamp;
    if now < session.policy.valid_after {
        return Err(LeashError::SessionNotYetActive.into());
    }
    if session.is_expired(now, clock.slot) {
        return Err(LeashError::SessionExpired.into());
    }
    // 8. Uses left.
    if session.uses >= session.policy.max_uses {
        return Err(LeashError::MaxUsesReached.into());
    }
    // 9. Replay and ordering.
    if let Some(expected) = expected_nonce {
        if expected != session.nonce {
            leash_log!(
                "expected nonce {expected}, session nonce is {}",
                session.nonce
            );
            return Err(LeashError::NonceMismatch.into());
        }
    }
    // 10. Call count, counted per transaction: one Execute per session per transaction, and
    // only as a top-level instruction, so per-transaction bounds cannot be multiplied.
    if calls.is_empty() || calls.len() > usize::from(session.policy.max_calls_per_tx) {
        return Err(LeashError::TooManyCalls.into());
    }
    check_single_execute(session_account.key)?;
    // 11. Programs.
    check_call_programs(accounts, calls, Some(&session.policy.allowed_programs))?;
    check_call_accounts(accounts, calls, EXECUTE_VAULT_INDEX)?;

    let before = snapshot(accounts, vault)?;
    let seeds: &[&[u8]] = &[
        VAULT_SEED,
        wallet_account.key.as_ref(),
        &[wallet.vault_bump],
    ];
    for call in calls {
        run_call(accounts, call, seeds)?;
    }
    let after = snapshot(accounts, vault)?;

    if *vault.owner != solana_system_interface::program::ID || !vault.data_is_empty() {
        leash_log!("the vault must stay a system account without data");
        return Err(LeashError::ForbiddenAuthorityChange.into());
    }
    accounting::check_authorities(&before, &after)?;
    let outflows = accounting::outflows(&before, &after)?;
    accounting::charge(
        &session.policy,
        &mut session.spent,
        &outflows,
        now,
        session.created_at,
    )
    .map_err(|v| {
        leash_log!(
            "{}: mint {} amount {} used {} limit {}",
            v.error.name(),
            v.mint,
            v.amount,
            v.used,
            v.limit
        );
        ProgramError::from(v.error)
    })?;
    session.uses = session
        .uses
        .checked_add(1)
        .ok_or(LeashError::ArithmeticOverflow)?;
    session.nonce = session
        .nonce
        .checked_add(1)
        .ok_or(LeashError::ArithmeticOverflow)?;
    write_session(session_account, &session)?;
    LeashEvent::SessionUsed {
        session: *session_account.key,
        uses: session.uses,
        nonce: session.nonce,
        outflows,
    }
    .emit();
    Ok(())
}

/// Refuses an `Execute` that is not a top-level instruction, or that follows another `Execute`
/// of the same session in the same transaction.
fn check_single_execute(session: &Pubkey) -> ProgramResult {
    if get_stack_height() != TRANSACTION_LEVEL_STACK_HEIGHT {
        leash_log!("Execute must be a top-level instruction");
        return Err(LeashError::TooManyCalls.into());
    }
    let mut index = 0;
    while let Some(sibling) = get_processed_sibling_instruction(index) {
        let is_execute = sibling.program_id == crate::ID && sibling.data.first() == Some(&2);
        if is_execute && sibling.accounts.get(2).map(|m| &m.pubkey) == Some(session) {
            leash_log!("only one Execute per session per transaction");
            return Err(LeashError::TooManyCalls.into());
        }
        index = index.saturating_add(1);
    }
    Ok(())
}

/// Every call's program exists, is never Leash itself and, for sessions, is allowed.
fn check_call_programs(
    accounts: &[AccountInfo],
    calls: &[Call],
    allowed: Option<&[Pubkey]>,
) -> ProgramResult {
    for call in calls {
        let program = accounts
            .get(usize::from(call.program))
            .ok_or_else(|| invalid_account("call program index out of range"))?;
        let permitted = allowed.is_none_or(|allowed| allowed.contains(program.key));
        if *program.key == crate::ID || !permitted {
            leash_log!("program {} is not allowed", program.key);
            return Err(LeashError::ProgramNotAllowed.into());
        }
    }
    Ok(())
}

/// Call accounts exist, ask for no privilege the outer instruction lacks, and only the vault is
/// marked signer.
fn check_call_accounts(accounts: &[AccountInfo], calls: &[Call], vault_index: u8) -> ProgramResult {
    for call in calls {
        for account in &call.accounts {
            let outer = accounts
                .get(usize::from(account.index))
                .ok_or_else(|| invalid_account("call account index out of range"))?;
            if account.writable && !outer.is_writable {
                return Err(invalid_account("call marks a read-only account writable"));
            }
            if account.signer && account.index != vault_index {
                return Err(invalid_account("only the vault may sign inner calls"));
            }
        }
    }
    Ok(())
}

/// The vault's lamports and every distinct passed token account the vault owns.
fn snapshot(accounts: &[AccountInfo], vault: &AccountInfo) -> Result<Snapshot, ProgramError> {
    let mut token_accounts = Vec::new();
    for (i, account) in accounts.iter().enumerate() {
        if accounts[..i].iter().any(|a| a.key == account.key) {
            continue;
        }
        if !token_account::is_token_program(account.owner) {
            continue;
        }
        let data = account.try_borrow_data()?;
        if let Some(view) = token_account::parse(account.owner, &data) {
            if view.owner == *vault.key {
                token_accounts.push((*account.key, view));
            }
        }
    }
    Ok(Snapshot {
        vault_lamports: vault.lamports(),
        token_accounts,
    })
}

/// Invokes one call with the vault as PDA signer.
fn run_call(accounts: &[AccountInfo], call: &Call, vault_seeds: &[&[u8]]) -> ProgramResult {
    let program = accounts
        .get(usize::from(call.program))
        .ok_or_else(|| invalid_account("call program index out of range"))?;
    let mut metas = Vec::with_capacity(call.accounts.len());
    let mut infos = Vec::with_capacity(call.accounts.len().saturating_add(1));
    for account in &call.accounts {
        let info = accounts
            .get(usize::from(account.index))
            .ok_or_else(|| invalid_account("call account index out of range"))?;
        metas.push(AccountMeta {
            pubkey: *info.key,
            is_signer: account.signer,
            is_writable: account.writable,
        });
        infos.push(info.clone());
    }
    infos.push(program.clone());
    let instruction = Instruction {
        program_id: *program.key,
        accounts: metas,
        data: call.data.clone(),
    };
    invoke_signed(&instruction, &infos, &[vault_seeds])
}

// ---------------------------------------------------------------------------------------------
// 3. RevokeSession

fn revoke_session(accounts: &[AccountInfo]) -> ProgramResult {
    let [authority, wallet_account, session_account, ..] = accounts else {
        return Err(ProgramError::NotEnoughAccountKeys);
    };
    let wallet = load_wallet(wallet_account)?;
    let mut session = load_session(session_account)?;
    check_writable(session_account, "session must be writable")?;
    check_session_wallet(&session, wallet_account.key)?;
    let is_owner = authority.key == wallet.owner.signer_key();
    let is_own_key = *authority.key == session.session_key;
    if !authority.is_signer || !(is_owner || is_own_key) {
        leash_log!("only the owner or the session's own key may revoke it");
        return Err(LeashError::Unauthorized.into());
    }
    if session.revoked {
        leash_log!("session was already revoked");
    }
    session.revoked = true;
    write_session(session_account, &session)?;
    LeashEvent::SessionRevoked {
        session: *session_account.key,
        by: *authority.key,
    }
    .emit();
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// 4. RevokeAllSessions

fn revoke_all_sessions(accounts: &[AccountInfo]) -> ProgramResult {
    let [owner, wallet_account, ..] = accounts else {
        return Err(ProgramError::NotEnoughAccountKeys);
    };
    let mut wallet = load_wallet(wallet_account)?;
    check_owner(&wallet, owner)?;
    check_writable(wallet_account, "wallet must be writable")?;
    wallet.epoch = wallet
        .epoch
        .checked_add(1)
        .ok_or(LeashError::ArithmeticOverflow)?;
    encode_into(&wallet, &mut wallet_account.try_borrow_mut_data()?)?;
    LeashEvent::AllSessionsRevoked {
        wallet: *wallet_account.key,
        epoch: wallet.epoch,
    }
    .emit();
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// 5. UpdateSession

fn update_session(
    accounts: &[AccountInfo],
    policy: Policy,
    expected_uses: Option<u64>,
) -> ProgramResult {
    let [owner, wallet_account, session_account, payer, system_program, ..] = accounts else {
        return Err(ProgramError::NotEnoughAccountKeys);
    };
    let wallet = load_wallet(wallet_account)?;
    check_owner(&wallet, owner)?;
    let mut session = load_session(session_account)?;
    check_writable(session_account, "session must be writable")?;
    check_session_wallet(&session, wallet_account.key)?;
    if !payer.is_signer {
        return Err(ProgramError::MissingRequiredSignature);
    }
    check_writable(payer, "payer must be writable")?;
    check_system_program(system_program)?;
    if session.is_revoked(&wallet) {
        leash_log!("a revoked session cannot be updated; create a new one");
        return Err(LeashError::SessionRevoked.into());
    }
    if let Some(expected) = expected_uses {
        if expected != session.uses {
            leash_log!("expected {expected} uses, session has {}", session.uses);
            return Err(LeashError::NonceMismatch.into());
        }
    }
    policy.validate()?;

    // Spent counters carry over for mints that stay in the policy.
    session.spent = policy
        .limits
        .iter()
        .map(|limit| {
            session
                .policy
                .limit_for(&limit.mint)
                .and_then(|(i, _)| session.spent.get(i).copied())
                .unwrap_or_default()
        })
        .collect();
    session.policy = policy;

    let new_len = session.encoded_len();
    let required = crate::sysvars::rent()?.minimum_balance(new_len);
    let top_up = required.saturating_sub(session_account.lamports());
    if top_up > 0 {
        let ix = system_instruction::transfer(payer.key, session_account.key, top_up);
        invoke(
            &ix,
            &[
                payer.clone(),
                session_account.clone(),
                system_program.clone(),
            ],
        )?;
    }
    // A shrinking session keeps its surplus lamports; they return to rent_payer on close.
    session_account.resize(new_len)?;
    write_session(session_account, &session)?;
    LeashEvent::SessionUpdated {
        session: *session_account.key,
    }
    .emit();
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// 6. CloseSession

fn close_session(accounts: &[AccountInfo]) -> ProgramResult {
    let [authority, wallet_account, session_account, rent_payer, ..] = accounts else {
        return Err(ProgramError::NotEnoughAccountKeys);
    };
    let wallet = load_wallet(wallet_account)?;
    let session = load_session(session_account)?;
    check_writable(session_account, "session must be writable")?;
    check_session_wallet(&session, wallet_account.key)?;
    if *rent_payer.key != session.rent_payer {
        return Err(invalid_account(
            "rent_payer is not the account that paid the session's rent",
        ));
    }
    check_writable(rent_payer, "rent_payer must be writable")?;
    if !authority.is_signer {
        return Err(LeashError::Unauthorized.into());
    }
    let is_owner = authority.key == wallet.owner.signer_key();
    if !is_owner {
        let clock = crate::sysvars::clock()?;
        let ended =
            session.is_revoked(&wallet) || session.is_expired(clock.unix_timestamp, clock.slot);
        if !ended {
            return Err(LeashError::SessionStillActive.into());
        }
    }
    let lamports = session_account.lamports();
    let refunded = rent_payer
        .lamports()
        .checked_add(lamports)
        .ok_or(LeashError::ArithmeticOverflow)?;
    **rent_payer.try_borrow_mut_lamports()? = refunded;
    **session_account.try_borrow_mut_lamports()? = 0;
    session_account.resize(0)?;
    session_account.assign(&solana_system_interface::program::ID);
    LeashEvent::SessionClosed {
        session: *session_account.key,
    }
    .emit();
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// 7. OwnerExecute

fn owner_execute(accounts: &[AccountInfo], calls: &[Call]) -> ProgramResult {
    let [owner, wallet_account, vault, ..] = accounts else {
        return Err(ProgramError::NotEnoughAccountKeys);
    };
    let wallet = load_wallet(wallet_account)?;
    check_vault(wallet_account.key, &wallet, vault)?;
    check_owner(&wallet, owner)?;
    check_call_programs(accounts, calls, None)?;
    check_call_accounts(accounts, calls, OWNER_EXECUTE_VAULT_INDEX)?;
    let seeds: &[&[u8]] = &[
        VAULT_SEED,
        wallet_account.key.as_ref(),
        &[wallet.vault_bump],
    ];
    for call in calls {
        run_call(accounts, call, seeds)?;
    }
    Ok(())
}
