//! Attacks on a session: each must fail with the error docs/program.md ("Instructions") gives, and change nothing.

#![allow(clippy::result_large_err)] // LiteSVM's own result type

mod common;

use common::*;
use leash_program::{
    error::LeashError,
    instruction::{self as ix, Call, CallAccount, LeashInstruction},
    state::{self, Authority},
};
use leash_sdk::spl;
use solana_account::Account;
use solana_keypair::Keypair;
use solana_program::{instruction::AccountMeta, pubkey::Pubkey};
use solana_signer::Signer;
use solana_transaction_error::TransactionError;

/// An `Execute` of one USDC transfer by `key`, with accounts 0–3 replaced as given.
fn execute_ix(env: &Env, key: &Pubkey, amount: u64) -> solana_program::instruction::Instruction {
    ix::execute(
        &env.program_id,
        key,
        &env.wallet,
        None,
        &[env.usdc_out(amount)],
    )
}

/// Copies an account to a new address with the same owner and data (a forgery).
fn forge_copy(env: &mut Env, from: &Pubkey, owner: Pubkey) -> Pubkey {
    let original = env.account(from).unwrap();
    let forged = Pubkey::new_unique();
    env.svm
        .set_account(
            forged,
            Account {
                lamports: original.lamports,
                data: original.data,
                owner,
                executable: false,
                rent_epoch: 0,
            },
        )
        .unwrap();
    forged
}

#[test]
fn stranger_cannot_sign_with_someone_elses_session() {
    let mut env = Env::new();
    let key = env.create_session(policy(&env));
    let stranger = Keypair::new();
    env.svm.airdrop(&stranger.pubkey(), SOL).unwrap();
    // The stranger signs in the session key's place.
    let mut forged = execute_ix(&env, &key.pubkey(), USDC);
    forged.accounts[0] = AccountMeta::new_readonly(stranger.pubkey(), true);
    assert_leash_err(
        &env.send(&[forged], &stranger, &[]),
        LeashError::SessionKeyMismatch,
    );
    // The session key's account is named but does not sign.
    let mut unsigned = execute_ix(&env, &key.pubkey(), USDC);
    unsigned.accounts[0].is_signer = false;
    assert_leash_err(
        &env.send(&[unsigned], &stranger, &[]),
        LeashError::SessionKeyMismatch,
    );
    assert_eq!(env.token_balance(&env.recipient_usdc), 0);
    assert_eq!(env.session(&key.pubkey()).uses, 0);
}

#[test]
fn session_of_wallet_a_cannot_act_on_wallet_b() {
    let mut env = Env::new();
    let key = env.create_session(policy(&env));
    let other_owner = Keypair::new();
    env.svm.airdrop(&other_owner.pubkey(), 10 * SOL).unwrap();
    let (wallet_b, vault_b) = env.create_wallet_for(&other_owner, [9; 32]);
    let session_a = env.session_address(&key.pubkey());
    let mut ix = ix::execute(
        &env.program_id,
        &key.pubkey(),
        &wallet_b,
        None,
        &[env.sol_out(1)],
    );
    ix.accounts[2] = AccountMeta::new(session_a, false);
    assert_eq!(ix.accounts[3].pubkey, vault_b);
    assert_leash_err(&env.send(&[ix], &key, &[]), LeashError::WalletMismatch);
}

#[test]
fn substituted_wallet_accounts_are_refused() {
    let mut env = Env::new();
    let key = env.create_session(policy(&env));
    let session = env.session_address(&key.pubkey());
    // Wrong owner: a system account.
    let mut ix = execute_ix(&env, &key.pubkey(), USDC);
    ix.accounts[1] = AccountMeta::new_readonly(env.recipient, false);
    assert_leash_err(&env.send(&[ix], &key, &[]), LeashError::InvalidAccount);
    // Wrong type: the session account in the wallet's place.
    let mut ix = execute_ix(&env, &key.pubkey(), USDC);
    ix.accounts[1] = AccountMeta::new_readonly(session, false);
    assert_leash_err(&env.send(&[ix], &key, &[]), LeashError::InvalidAccount);
    // Wrong PDA: a copy of the wallet, owned by Leash, at another address.
    let wallet = env.wallet;
    let program_id = env.program_id;
    let forged = forge_copy(&mut env, &wallet, program_id);
    let mut ix = execute_ix(&env, &key.pubkey(), USDC);
    ix.accounts[1] = AccountMeta::new_readonly(forged, false);
    assert_leash_err(&env.send(&[ix], &key, &[]), LeashError::InvalidAccount);
}

#[test]
fn a_second_deployment_of_the_same_elf_owns_nothing_of_the_first() {
    // One ELF at two addresses on one chain (a fork, or someone deploying their own copy): each
    // judges accounts by the id the runtime invokes it at, so the copy cannot act on the first
    // deployment's wallet or session, not even with the session key's signature.
    let mut env = Env::new();
    let key = env.create_session(policy(&env));
    let copy = Keypair::new().pubkey();
    leash_runtime::add_leash_program(
        &mut env.svm,
        leash_runtime::ProgramBuild::from_env().unwrap(),
        &copy,
    );
    let session = env.session_address(&key.pubkey());
    let watched = [
        env.wallet,
        session,
        env.vault,
        env.vault_usdc,
        env.recipient_usdc,
    ];
    let before = snapshot(&env, &watched);
    let mut through_copy = execute_ix(&env, &key.pubkey(), USDC);
    through_copy.program_id = copy;
    assert_leash_err(
        &env.send(&[through_copy], &key, &[]),
        LeashError::InvalidAccount,
    );
    let revoke = ix::revoke_all_sessions(&copy, &env.owner.pubkey(), &env.wallet);
    assert_leash_err(&env.owner_send(&[revoke]), LeashError::InvalidAccount);
    assert_unchanged(&env, &before);
    // And the first deployment still works.
    assert_ok(&env.send(&[execute_ix(&env, &key.pubkey(), USDC)], &key, &[]));
}

#[test]
fn substituted_vaults_are_refused() {
    let mut env = Env::new();
    let key = env.create_session(policy(&env));
    let other_owner = Keypair::new();
    env.svm.airdrop(&other_owner.pubkey(), 10 * SOL).unwrap();
    let (_, vault_b) = env.create_wallet_for(&other_owner, [1; 32]);
    for substitute in [vault_b, env.recipient, key.pubkey()] {
        let mut ix = ix::execute(
            &env.program_id,
            &key.pubkey(),
            &env.wallet,
            None,
            &[env.sol_out(1)],
        );
        ix.accounts[3] = AccountMeta::new(substitute, false);
        assert_leash_err(&env.send(&[ix], &key, &[]), LeashError::InvalidAccount);
    }
    // A read-only vault is refused too.
    let mut ix = execute_ix(&env, &key.pubkey(), USDC);
    ix.accounts[3].is_writable = false;
    assert_leash_err(&env.send(&[ix], &key, &[]), LeashError::InvalidAccount);
}

#[test]
fn substituted_session_accounts_are_refused() {
    let mut env = Env::new();
    let key = env.create_session(policy(&env));
    let session = env.session_address(&key.pubkey());
    let wallet = env.wallet;
    let system_copy = forge_copy(&mut env, &session, solana_system_interface::program::ID);
    let program_id = env.program_id;
    let leash_copy = forge_copy(&mut env, &session, program_id);
    // Wrong owner, wrong type (the wallet), wrong PDA (a Leash-owned copy).
    for substitute in [system_copy, wallet, leash_copy, Pubkey::new_unique()] {
        let mut ix = execute_ix(&env, &key.pubkey(), USDC);
        ix.accounts[2] = AccountMeta::new(substitute, false);
        assert_leash_err(
            &env.send(&[ix], &key, &[]),
            LeashError::SessionNotRegistered,
        );
    }
}

#[test]
fn calls_into_leash_itself_or_unlisted_programs_are_refused() {
    let mut env = Env::new();
    let key = env.create_session(policy(&env));
    // A session trying to revoke-all through its own Execute.
    let inner = ix::revoke_all_sessions(&env.program_id, &env.owner.pubkey(), &env.wallet);
    assert_leash_err(&env.execute(&key, &[inner]), LeashError::ProgramNotAllowed);
    // Token-2022 is not in the allowed list.
    let inner = spl::transfer(
        &spl::TOKEN_2022_PROGRAM_ID,
        &env.vault_usdc,
        &env.recipient_usdc,
        &env.vault,
        1,
    );
    assert_leash_err(&env.execute(&key, &[inner]), LeashError::ProgramNotAllowed);
    // A policy that lists Leash is refused outright.
    let mut p = policy(&env);
    p.allowed_programs.push(env.program_id);
    let owner = env.owner.insecure_clone();
    let create = ix::create_session(
        &env.program_id,
        &owner.pubkey(),
        &owner.pubkey(),
        &env.wallet,
        &Pubkey::new_unique(),
        p,
    );
    assert_leash_err(&env.owner_send(&[create]), LeashError::InvalidPolicy);
}

#[test]
fn token_authority_changes_on_vault_accounts_are_refused() {
    let mut env = Env::new();
    let key = env.create_session(policy(&env));
    let attacker = Pubkey::new_unique();
    let (vault, usdc, token) = (env.vault, env.vault_usdc, spl::TOKEN_PROGRAM_ID);
    let attempts = vec![
        ("approve", spl::approve(&token, &usdc, &attacker, &vault, 1)),
        (
            "set owner",
            spl::set_authority(
                &token,
                &usdc,
                Some(&attacker),
                spl::AuthorityType::AccountOwner,
                &vault,
            ),
        ),
        (
            "set close authority",
            spl::set_authority(
                &token,
                &usdc,
                Some(&attacker),
                spl::AuthorityType::CloseAccount,
                &vault,
            ),
        ),
    ];
    for (what, inner) in attempts {
        let result = env.execute(&key, &[inner]);
        assert_leash_err(&result, LeashError::ForbiddenAuthorityChange);
        let logs = result.unwrap_err().meta.logs.join("\n");
        assert!(logs.contains("vault token account"), "{what}: {logs}");
    }
    // Closing an (empty) vault token account, rent to the attacker.
    let empty = env.create_token_account(&vault, &env.usdc.clone(), &token);
    let close = spl::close_account(&token, &empty, &attacker, &vault);
    assert_leash_err(
        &env.execute(&key, &[close]),
        LeashError::ForbiddenAuthorityChange,
    );
    assert!(env.account(&empty).is_some());
    let state =
        leash_program::token_account::parse(&token, &env.account(&usdc).unwrap().data).unwrap();
    assert_eq!(
        (state.owner, state.delegate, state.close_authority),
        (vault, None, None)
    );
}

#[test]
fn new_vault_token_account_with_a_delegate_is_refused() {
    // A token account created in the same transaction, made the vault's, given a delegate and
    // filled from the vault: it was not in the "before" snapshot, so without the check on new
    // accounts the delegate could drain it later without any session.
    let mut env = Env::new();
    let key = env.create_session(policy(&env));
    let attacker = Pubkey::new_unique();
    let fresh = Keypair::new();
    let rent = env.svm.minimum_balance_for_rent_exemption(spl::ACCOUNT_LEN);
    let token = spl::TOKEN_PROGRAM_ID;
    let create = solana_system_interface::instruction::create_account(
        &key.pubkey(),
        &fresh.pubkey(),
        rent,
        spl::ACCOUNT_LEN as u64,
        &token,
    );
    let calls = [
        spl::initialize_account3(&token, &fresh.pubkey(), &env.usdc, &env.vault),
        spl::approve(&token, &fresh.pubkey(), &attacker, &env.vault, u64::MAX),
        spl::transfer(
            &token,
            &env.vault_usdc,
            &fresh.pubkey(),
            &env.vault,
            5 * USDC,
        ),
    ];
    let execute = ix::execute(&env.program_id, &key.pubkey(), &env.wallet, None, &calls);
    let result = env.send(&[create, execute], &key, &[&fresh]);
    assert_leash_err(&result, LeashError::ForbiddenAuthorityChange);
    assert_eq!(env.token_balance(&env.vault_usdc), 1_000 * USDC);
}

#[test]
fn vault_cannot_be_reassigned_or_allocated() {
    let mut env = Env::new();
    let key = env.create_session(policy(&env));
    let assign = solana_system_interface::instruction::assign(&env.vault, &Pubkey::new_unique());
    assert_leash_err(
        &env.execute(&key, &[assign]),
        LeashError::ForbiddenAuthorityChange,
    );
    let allocate = solana_system_interface::instruction::allocate(&env.vault, 8);
    assert_leash_err(
        &env.execute(&key, &[allocate]),
        LeashError::ForbiddenAuthorityChange,
    );
    let vault = env.account(&env.vault).unwrap();
    assert_eq!(
        (vault.owner, vault.data.len()),
        (solana_system_interface::program::ID, 0)
    );
}

#[test]
fn session_key_cannot_revoke_others_revoke_all_or_change_policies() {
    let mut env = Env::new();
    let key = env.create_session(policy(&env));
    let other = env.create_session(policy(&env));
    let other_session = env.session_address(&other.pubkey());
    let own_session = env.session_address(&key.pubkey());
    let wallet = env.wallet;
    let revoke_other = ix::revoke_session(&env.program_id, &key.pubkey(), &wallet, &other_session);
    assert_leash_err(
        &env.send(&[revoke_other], &key, &[]),
        LeashError::Unauthorized,
    );
    // Signing as "owner" of revoke-all.
    let revoke_all = ix::revoke_all_sessions(&env.program_id, &key.pubkey(), &wallet);
    assert_leash_err(
        &env.send(&[revoke_all], &key, &[]),
        LeashError::Unauthorized,
    );
    // Widening its own policy, even for its own renewal.
    let mut wider = policy(&env);
    wider.valid_until += 86_400 * 365;
    wider.limits.clear();
    let update = ix::update_session(
        &env.program_id,
        &key.pubkey(),
        &wallet,
        &own_session,
        &key.pubkey(),
        wider,
        None,
    );
    assert_leash_err(&env.send(&[update], &key, &[]), LeashError::Unauthorized);
    assert!(!env.session(&other.pubkey()).revoked);
    assert_eq!(env.wallet_state().epoch, 0);
    assert_eq!(env.session(&key.pubkey()).policy, policy(&env));
}

#[test]
fn non_owner_cannot_create_wallets_sessions_or_owner_execute() {
    let mut env = Env::new();
    let attacker = Keypair::new();
    env.svm.airdrop(&attacker.pubkey(), 10 * SOL).unwrap();
    let victim = env.owner.pubkey();
    // A wallet at the victim's address for a fresh salt, without the victim's signature.
    let mut create = ix::create_wallet(&env.program_id, &attacker.pubkey(), &victim, [5; 32]);
    create.accounts[1].is_signer = false;
    assert_leash_err(
        &env.send(&[create], &attacker, &[]),
        LeashError::Unauthorized,
    );
    // The attacker's own authority, aimed at the victim's wallet address.
    let (victim_wallet, _) =
        state::wallet_address(&Authority::Ed25519(victim), &[5; 32], &env.program_id);
    let mut create = ix::create_wallet(
        &env.program_id,
        &attacker.pubkey(),
        &attacker.pubkey(),
        [5; 32],
    );
    create.accounts[2] = AccountMeta::new(victim_wallet, false);
    assert_leash_err(
        &env.send(&[create], &attacker, &[]),
        LeashError::InvalidAccount,
    );
    // The victim can still create it afterwards.
    let owner = env.owner.insecure_clone();
    assert_ok(&env.send(
        &[ix::create_wallet(
            &env.program_id,
            &victim,
            &victim,
            [5; 32],
        )],
        &owner,
        &[],
    ));
    // A session on the victim's wallet.
    let session = ix::create_session(
        &env.program_id,
        &attacker.pubkey(),
        &attacker.pubkey(),
        &env.wallet,
        &attacker.pubkey(),
        policy(&env),
    );
    assert_leash_err(
        &env.send(&[session], &attacker, &[]),
        LeashError::Unauthorized,
    );
    // Full authority over the vault.
    let drain = ix::owner_execute(
        &env.program_id,
        &attacker.pubkey(),
        &env.wallet,
        &[env.sol_out(SOL)],
    );
    assert_leash_err(
        &env.send(&[drain], &attacker, &[]),
        LeashError::Unauthorized,
    );
}

#[test]
fn stranger_cannot_close_an_active_session_but_may_close_an_ended_one() {
    let mut env = Env::new();
    let key = env.create_session(policy(&env));
    let session = env.session_address(&key.pubkey());
    let stranger = Keypair::new();
    env.svm.airdrop(&stranger.pubkey(), SOL).unwrap();
    let owner = env.owner.pubkey();
    let close = ix::close_session(
        &env.program_id,
        &stranger.pubkey(),
        &env.wallet,
        &session,
        &owner,
    );
    assert_leash_err(
        &env.send(std::slice::from_ref(&close), &stranger, &[]),
        LeashError::SessionStillActive,
    );
    // Rent must go back to whoever paid it.
    let wallet = env.wallet;
    let wrong_payee = ix::close_session(
        &env.program_id,
        &stranger.pubkey(),
        &wallet,
        &session,
        &stranger.pubkey(),
    );
    assert_ok(&env.send(
        &[ix::revoke_session(
            &env.program_id,
            &key.pubkey(),
            &wallet,
            &session,
        )],
        &key,
        &[],
    ));
    assert_leash_err(
        &env.send(&[wrong_payee], &stranger, &[]),
        LeashError::InvalidAccount,
    );
    let rent = env.lamports(&session);
    let owner_before = env.lamports(&owner);
    assert_ok(&env.send(&[close], &stranger, &[]));
    assert_eq!(env.lamports(&owner), owner_before + rent);
    assert!(env.account(&session).is_none());
}

#[test]
fn replayed_or_out_of_order_executes_are_refused() {
    let mut env = Env::new();
    let key = env.create_session(policy(&env));
    let wallet = env.wallet;
    let first = ix::execute(
        &env.program_id,
        &key.pubkey(),
        &wallet,
        Some(0),
        &[env.usdc_out(USDC)],
    );
    assert_ok(&env.send(std::slice::from_ref(&first), &key, &[]));
    // The same intent again, in a new transaction: the nonce has moved on.
    assert_leash_err(&env.send(&[first], &key, &[]), LeashError::NonceMismatch);
    assert_leash_err(
        &env.execute_on(&key, &wallet, Some(5), &[env.usdc_out(1)]),
        LeashError::NonceMismatch,
    );
    assert_ok(&env.execute_on(&key, &wallet, Some(1), &[env.usdc_out(1)]));
    // The very same signed transaction is rejected by the runtime as already processed.
    let tx = solana_transaction::Transaction::new(
        &[&key],
        solana_message::Message::new(
            &[ix::execute(
                &env.program_id,
                &key.pubkey(),
                &wallet,
                Some(2),
                &[env.usdc_out(1)],
            )],
            Some(&key.pubkey()),
        ),
        env.svm.latest_blockhash(),
    );
    assert!(env.svm.send_transaction(tx.clone()).is_ok());
    let again = env.svm.send_transaction(tx).unwrap_err();
    assert_eq!(again.err, TransactionError::AlreadyProcessed);
    assert_eq!(env.session(&key.pubkey()).nonce, 3);
}

#[test]
fn two_executes_of_one_session_in_one_transaction_are_refused() {
    // Otherwise per-transaction bounds (per_tx, max_calls_per_tx) could be multiplied.
    let mut env = Env::new();
    let key = env.create_session(policy(&env));
    let a = ix::execute(
        &env.program_id,
        &key.pubkey(),
        &env.wallet,
        None,
        &[env.usdc_out(10 * USDC)],
    );
    let b = ix::execute(
        &env.program_id,
        &key.pubkey(),
        &env.wallet,
        None,
        &[env.usdc_out(10 * USDC)],
    );
    assert_leash_err(&env.send(&[a, b], &key, &[]), LeashError::TooManyCalls);
    assert_eq!(env.token_balance(&env.recipient_usdc), 0);
}

#[test]
fn inner_calls_cannot_claim_privileges_the_outer_instruction_lacks() {
    let mut env = Env::new();
    let key = env.create_session(policy(&env));
    let wallet = env.wallet;
    // Only the vault may sign: the session key (index 0) marked signer is refused.
    let mut ix = ix::execute(
        &env.program_id,
        &key.pubkey(),
        &wallet,
        None,
        &[env.usdc_out(USDC)],
    );
    let mut data = LeashInstruction::unpack(&ix.data).unwrap();
    if let LeashInstruction::Execute { calls, .. } = &mut data {
        calls[0].accounts.push(CallAccount {
            index: 0,
            writable: false,
            signer: true,
        });
    }
    ix.data = data.pack();
    assert_leash_err(&env.send(&[ix], &key, &[]), LeashError::InvalidAccount);
    // Writable on an account the transaction passed read-only (the wallet, index 1).
    let mut ix = ix::execute(
        &env.program_id,
        &key.pubkey(),
        &wallet,
        None,
        &[env.usdc_out(USDC)],
    );
    let mut data = LeashInstruction::unpack(&ix.data).unwrap();
    if let LeashInstruction::Execute { calls, .. } = &mut data {
        calls[0].accounts.push(CallAccount {
            index: 1,
            writable: true,
            signer: false,
        });
    }
    ix.data = data.pack();
    assert_leash_err(&env.send(&[ix], &key, &[]), LeashError::InvalidAccount);
    // Indices past the account list.
    let bogus = LeashInstruction::Execute {
        expected_nonce: None,
        calls: vec![Call {
            program: 200,
            accounts: vec![],
            data: vec![],
        }],
    };
    let mut ix = ix::execute(
        &env.program_id,
        &key.pubkey(),
        &wallet,
        None,
        &[env.usdc_out(USDC)],
    );
    ix.data = bogus.pack();
    assert_leash_err(&env.send(&[ix], &key, &[]), LeashError::InvalidAccount);
}

/// A program that forwards its instruction to Leash by CPI, passing its accounts on.
fn relay(
    _program_id: &Pubkey,
    accounts: &[solana_program::account_info::AccountInfo],
    data: &[u8],
) -> solana_program::entrypoint::ProgramResult {
    let metas = accounts[1..]
        .iter()
        .map(|a| AccountMeta {
            pubkey: *a.key,
            is_signer: a.is_signer,
            is_writable: a.is_writable,
        })
        .collect();
    // The relay's first account is the Leash program it calls.
    let ix = solana_program::instruction::Instruction {
        program_id: *accounts[0].key,
        accounts: metas,
        data: data.to_vec(),
    };
    solana_program::program::invoke(&ix, accounts)
}

leash_runtime::native_builtin!(RelayBuiltin, relay);

#[test]
fn execute_through_another_program_is_refused() {
    // Through a CPI, Execute could be repeated inside one transaction without the sibling check
    // seeing it; it must be a top-level instruction.
    use leash_runtime::BuiltinFunctionDefinition;
    let mut env = Env::new();
    let relay_id = Pubkey::new_unique();
    env.svm.add_builtin(
        relay_id,
        <RelayBuiltin as BuiltinFunctionDefinition<_>>::register,
    );
    let key = env.create_session(policy(&env));
    let inner = execute_ix(&env, &key.pubkey(), USDC);
    let mut accounts = vec![AccountMeta::new_readonly(env.program_id, false)];
    accounts.extend(inner.accounts.clone());
    let relayed = solana_program::instruction::Instruction {
        program_id: relay_id,
        accounts,
        data: inner.data.clone(),
    };
    assert_leash_err(&env.send(&[relayed], &key, &[]), LeashError::TooManyCalls);
    assert_eq!(env.token_balance(&env.recipient_usdc), 0);
    // The same instruction top-level works.
    assert_ok(&env.send(&[inner], &key, &[]));
}

/// The value model reads the accounts the calls may change — those a call passes writable —
/// so a call naming a repeated entry of the list must not hide its account: the vault's USDC
/// account listed where no call names it, then again at the end, where the transfer takes from
/// it. The transfer is charged, and over the per-transaction limit it is refused.
#[test]
fn a_call_through_a_repeated_entry_is_charged() {
    let mut env = Env::new();
    let key = env.create_session(policy(&env));
    let through_repeat = |env: &Env, amount: u64| {
        let mut ix = ix::execute(
            &env.program_id,
            &key.pubkey(),
            &env.wallet,
            None,
            &[env.usdc_out(amount)],
        );
        ix.accounts.push(AccountMeta::new(env.vault_usdc, false));
        let repeat = u8::try_from(ix.accounts.len() - 1).unwrap();
        let mut data = LeashInstruction::unpack(&ix.data).unwrap();
        if let LeashInstruction::Execute { calls, .. } = &mut data {
            let source = &mut calls[0].accounts[0];
            assert_eq!(
                ix.accounts[usize::from(source.index)].pubkey,
                env.vault_usdc
            );
            source.index = repeat;
        }
        ix.data = data.pack();
        ix
    };
    let before = env.token_balance(&env.vault_usdc);
    let ix = through_repeat(&env, 3 * USDC);
    assert_ok(&env.send(&[ix], &key, &[]));
    assert_eq!(env.token_balance(&env.vault_usdc), before - 3 * USDC);
    assert_eq!(env.session(&key.pubkey()).spent[0].total, 3 * USDC);
    let ix = through_repeat(&env, 11 * USDC);
    assert_leash_err(&env.send(&[ix], &key, &[]), LeashError::PerTxLimitExceeded);
}

/// The single-Execute check reads past the compute-budget instructions clients put in
/// (it skips, by their lengths alone, the siblings that cannot be an `Execute`).
#[test]
fn two_executes_between_compute_budget_instructions_are_refused() {
    let mut env = Env::new();
    let key = env.create_session(policy(&env));
    let budget = solana_program::pubkey!("ComputeBudget111111111111111111111111111111");
    let mut limit = vec![2];
    limit.extend_from_slice(&400_000u32.to_le_bytes());
    let limit = solana_program::instruction::Instruction::new_with_bytes(budget, &limit, vec![]);
    let mut price = vec![3];
    price.extend_from_slice(&1_000u64.to_le_bytes());
    let price = solana_program::instruction::Instruction::new_with_bytes(budget, &price, vec![]);
    let execute = |env: &Env| {
        ix::execute(
            &env.program_id,
            &key.pubkey(),
            &env.wallet,
            None,
            &[env.usdc_out(10 * USDC)],
        )
    };
    let (a, b) = (execute(&env), execute(&env));
    assert_leash_err(
        &env.send(&[limit, a, price, b], &key, &[]),
        LeashError::TooManyCalls,
    );
    assert_eq!(env.token_balance(&env.recipient_usdc), 0);
}
