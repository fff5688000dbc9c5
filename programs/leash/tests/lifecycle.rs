//! Owner operations: sessions created, revoked (one and all), updated, closed; OwnerExecute.

#![allow(clippy::result_large_err)] // LiteSVM's own result type

mod common;

use common::*;
use leash_program::{
    error::LeashError,
    instruction as ix,
    state::{self, Session, SpendLimit, NATIVE_SOL_MINT},
};
use solana_keypair::Keypair;
use solana_program::pubkey::Pubkey;
use solana_signer::Signer;

#[test]
fn create_session_records_policy_epoch_and_payer() {
    let mut env = Env::new();
    let p = policy(&env);
    let key = env.create_session(p.clone());
    let session = env.session(&key.pubkey());
    assert_eq!(session.policy, p);
    assert_eq!(
        (session.uses, session.nonce, session.epoch, session.revoked),
        (0, 0, 0, false)
    );
    assert_eq!(session.rent_payer, env.owner.pubkey());
    assert_eq!(session.created_at, START_TIME);
    let account = env.account(&env.session_address(&key.pubkey())).unwrap();
    assert_eq!(
        account.data.len(),
        Session::encoded_len_for(&p),
        "allocated at exactly its size"
    );
    assert_eq!(account.owner, env.program_id);
    // Registering the same key twice fails without touching the first.
    let owner = env.owner.insecure_clone();
    let again = ix::create_session(
        &env.program_id,
        &owner.pubkey(),
        &owner.pubkey(),
        &env.wallet,
        &key.pubkey(),
        p,
    );
    assert!(env.owner_send(&[again]).is_err());
    assert_eq!(env.session(&key.pubkey()), session);
}

#[test]
fn invalid_policies_are_refused() {
    let mut env = Env::new();
    let owner = env.owner.insecure_clone();
    let base = policy(&env);
    let mut cases = Vec::new();
    let mut p = base.clone();
    p.valid_until = p.valid_after;
    cases.push(p);
    let mut p = base.clone();
    p.max_calls_per_tx = 0;
    cases.push(p);
    let mut p = base.clone();
    p.limits.push(SpendLimit::unlimited(NATIVE_SOL_MINT));
    cases.push(p);
    let mut p = base.clone();
    p.allowed_programs = (0..17).map(|_| Pubkey::new_unique()).collect();
    cases.push(p);
    let mut p = base;
    p.limits = (0..9)
        .map(|_| SpendLimit::unlimited(Pubkey::new_unique()))
        .collect();
    cases.push(p);
    for p in cases {
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
}

#[test]
fn wallet_creation_survives_a_prefunded_address() {
    // Someone sends lamports to the wallet's future address to block a plain CreateAccount.
    let mut env = Env::new();
    let owner = Keypair::new();
    env.svm.airdrop(&owner.pubkey(), 10 * SOL).unwrap();
    let (wallet, _) = leash_program::state::wallet_address(
        &leash_program::state::Authority::Ed25519(owner.pubkey()),
        &[3; 32],
        &env.program_id,
    );
    env.svm.airdrop(&wallet, 1_000_000).unwrap();
    env.create_wallet_for(&owner, [3; 32]);
    let state = leash_program::state::Wallet::decode(&env.account(&wallet).unwrap().data).unwrap();
    assert_eq!(state.owner.signer_key(), Some(&owner.pubkey()));
    // A second creation of the same wallet fails.
    let again = ix::create_wallet(&env.program_id, &owner.pubkey(), &owner.pubkey(), [3; 32]);
    assert!(env.send(&[again], &owner, &[]).is_err());
}

#[test]
fn session_key_revokes_itself_and_owner_revokes_any() {
    let mut env = Env::new();
    let a = env.create_session(policy(&env));
    let b = env.create_session(policy(&env));
    let wallet = env.wallet;
    let session_a = env.session_address(&a.pubkey());
    let session_b = env.session_address(&b.pubkey());
    assert_ok(&env.send(
        &[ix::revoke_session(
            &env.program_id,
            &a.pubkey(),
            &wallet,
            &session_a,
        )],
        &a,
        &[],
    ));
    assert_leash_err(
        &env.execute(&a, &[env.usdc_out(1)]),
        LeashError::SessionRevoked,
    );
    assert_ok(&env.execute(&b, &[env.usdc_out(1)]));
    let owner = env.owner.pubkey();
    assert_ok(&env.owner_send(&[ix::revoke_session(
        &env.program_id,
        &owner,
        &wallet,
        &session_b,
    )]));
    assert_leash_err(
        &env.execute(&b, &[env.usdc_out(1)]),
        LeashError::SessionRevoked,
    );
    // A revoked session cannot be revived by an update.
    let update = ix::update_session(
        &env.program_id,
        &owner,
        &wallet,
        &session_b,
        &owner,
        policy(&env),
        None,
    );
    assert_leash_err(&env.owner_send(&[update]), LeashError::SessionRevoked);
}

#[test]
fn revoke_all_stops_every_existing_session_at_once() {
    let mut env = Env::new();
    let keys: Vec<Keypair> = (0..3).map(|_| env.create_session(policy(&env))).collect();
    let owner = env.owner.pubkey();
    let wallet = env.wallet;
    assert_ok(&env.owner_send(&[ix::revoke_all_sessions(&env.program_id, &owner, &wallet)]));
    assert_eq!(env.wallet_state().epoch, 1);
    for key in &keys {
        assert_leash_err(
            &env.execute(key, &[env.usdc_out(1)]),
            LeashError::SessionRevoked,
        );
    }
    // Sessions created afterwards work; the stranger may now close the old ones.
    let fresh = env.create_session(policy(&env));
    assert_ok(&env.execute(&fresh, &[env.usdc_out(1)]));
    let stranger = Keypair::new();
    env.svm.airdrop(&stranger.pubkey(), SOL).unwrap();
    let session = env.session_address(&keys[0].pubkey());
    assert_ok(&env.send(
        &[ix::close_session(
            &env.program_id,
            &stranger.pubkey(),
            &wallet,
            &session,
            &owner,
        )],
        &stranger,
        &[],
    ));
    // Re-registering a revoked key is a fresh session with fresh counters.
    let p = policy(&env);
    let create = ix::create_session(
        &env.program_id,
        &owner,
        &owner,
        &wallet,
        &keys[0].pubkey(),
        p,
    );
    assert_ok(&env.owner_send(&[create]));
    assert_ok(&env.execute(&keys[0], &[env.usdc_out(1)]));
}

#[test]
fn update_replaces_policy_keeps_spent_and_resizes() {
    let mut env = Env::new();
    let key = env.create_session(policy(&env));
    assert_ok(&env.execute(&key, &[env.usdc_out(10 * USDC), env.sol_out(SOL / 4)]));
    let owner = env.owner.pubkey();
    let (wallet, session) = (env.wallet, env.session_address(&key.pubkey()));
    // Stale expected_uses: the session was used since the owner looked.
    let mut wider = policy(&env);
    wider.limits[0].total = 100 * USDC;
    wider.limits.retain(|l| l.mint != NATIVE_SOL_MINT);
    wider
        .limits
        .push(SpendLimit::unlimited(Pubkey::new_unique()));
    wider
        .limits
        .push(SpendLimit::unlimited(Pubkey::new_unique()));
    wider
        .allowed_programs
        .extend((0..8).map(|_| Pubkey::new_unique()));
    let stale = ix::update_session(
        &env.program_id,
        &owner,
        &wallet,
        &session,
        &owner,
        wider.clone(),
        Some(0),
    );
    assert_leash_err(&env.owner_send(&[stale]), LeashError::NonceMismatch);
    let update = ix::update_session(
        &env.program_id,
        &owner,
        &wallet,
        &session,
        &owner,
        wider.clone(),
        Some(1),
    );
    assert_ok(&env.owner_send(&[update]));
    let state = env.session(&key.pubkey());
    assert_eq!(state.policy, wider);
    assert_eq!(state.spent.len(), 3);
    assert_eq!(
        state.spent[0].total,
        10 * USDC,
        "USDC stays: its spend carries over"
    );
    assert_eq!(state.spent[1].total, 0);
    let account = env.account(&session).unwrap();
    assert_eq!(account.data.len(), state.encoded_len());
    assert!(
        account.lamports
            >= env
                .svm
                .minimum_balance_for_rent_exemption(account.data.len())
    );
    // The raised total is usable; SOL is no longer in the policy.
    for _ in 0..9 {
        assert_ok(&env.execute(&key, &[env.usdc_out(10 * USDC)]));
    }
    assert_leash_err(
        &env.execute(&key, &[env.usdc_out(1)]),
        LeashError::SpendingLimitExceeded,
    );
    assert_leash_err(
        &env.execute(&key, &[env.sol_out(1)]),
        LeashError::TokenNotInPolicy,
    );
    // Narrowing shrinks the account again.
    let mut narrow = policy(&env);
    narrow.allowed_programs.truncate(1);
    let update = ix::update_session(
        &env.program_id,
        &owner,
        &wallet,
        &session,
        &owner,
        narrow.clone(),
        None,
    );
    assert_ok(&env.owner_send(&[update]));
    assert_eq!(
        env.account(&session).unwrap().data.len(),
        Session::encoded_len_for(&narrow)
    );
    assert_leash_err(
        &env.execute(&key, &[env.sol_out(1)]),
        LeashError::ProgramNotAllowed,
    );
    // An invalid replacement is refused.
    let mut bad = narrow;
    bad.max_calls_per_tx = 0;
    let update = ix::update_session(
        &env.program_id,
        &owner,
        &wallet,
        &session,
        &owner,
        bad,
        None,
    );
    assert_leash_err(&env.owner_send(&[update]), LeashError::InvalidPolicy);
}

#[test]
fn owner_closes_any_time_and_the_session_is_gone() {
    let mut env = Env::new();
    let key = env.create_session(policy(&env));
    let owner = env.owner.pubkey();
    let (wallet, session) = (env.wallet, env.session_address(&key.pubkey()));
    let rent = env.lamports(&session);
    let before = env.lamports(&owner);
    let close = ix::close_session(&env.program_id, &owner, &wallet, &session, &owner);
    let fee = env.owner_send(&[close]).map(|m| m.fee).expect("close");
    assert_eq!(env.lamports(&owner), before + rent - fee);
    assert!(env.account(&session).is_none());
    assert_leash_err(
        &env.execute(&key, &[env.usdc_out(1)]),
        LeashError::SessionNotRegistered,
    );
}

#[test]
fn expired_sessions_may_be_closed_by_anyone() {
    let mut env = Env::new();
    let key = env.create_session(policy(&env));
    let (wallet, session, owner) = (
        env.wallet,
        env.session_address(&key.pubkey()),
        env.owner.pubkey(),
    );
    let close = ix::close_session(&env.program_id, &key.pubkey(), &wallet, &session, &owner);
    assert_leash_err(
        &env.send(std::slice::from_ref(&close), &key, &[]),
        LeashError::SessionStillActive,
    );
    env.set_time(policy(&env).valid_until);
    assert_ok(&env.send(&[close], &key, &[]));
}

#[test]
fn owner_execute_has_full_authority_without_limits() {
    let mut env = Env::new();
    let owner = env.owner.pubkey();
    let wallet = env.wallet;
    let vault_lamports = env.lamports(&env.vault);
    let withdraw = [env.usdc_out(600 * USDC), env.sol_out(5 * SOL)];
    assert_ok(&env.owner_send(&[ix::owner_execute(
        &env.program_id,
        &owner,
        &wallet,
        &withdraw,
    )]));
    assert_eq!(env.token_balance(&env.recipient_usdc), 600 * USDC);
    assert_eq!(env.lamports(&env.vault), vault_lamports - 5 * SOL);
    // Even the owner may not route calls back into Leash.
    let inner = ix::revoke_all_sessions(&env.program_id, &owner, &wallet);
    assert_leash_err(
        &env.owner_send(&[ix::owner_execute(
            &env.program_id,
            &owner,
            &wallet,
            &[inner],
        )]),
        LeashError::ProgramNotAllowed,
    );
    // And the owner may set authorities a session may not.
    let delegate = Pubkey::new_unique();
    let approve = leash_sdk::spl::approve(
        &leash_sdk::spl::TOKEN_PROGRAM_ID,
        &env.vault_usdc,
        &delegate,
        &env.vault,
        1,
    );
    assert_ok(&env.owner_send(&[ix::owner_execute(
        &env.program_id,
        &owner,
        &wallet,
        &[approve],
    )]));
}

#[test]
fn a_failed_execute_changes_nothing_but_the_fee() {
    let mut env = Env::new();
    let key = env.create_session(policy(&env));
    let session = env.session_address(&key.pubkey());
    let before = (
        env.account(&session),
        env.account(&env.vault),
        env.account(&env.vault_usdc),
        env.account(&env.recipient_usdc),
    );
    let payer_before = env.lamports(&key.pubkey());
    let failed = env.execute(&key, &[env.usdc_out(10 * USDC), env.sol_out(2 * SOL)]);
    assert_leash_err(&failed, LeashError::PerTxLimitExceeded);
    let fee = failed.unwrap_err().meta.fee;
    let after = (
        env.account(&session),
        env.account(&env.vault),
        env.account(&env.vault_usdc),
        env.account(&env.recipient_usdc),
    );
    assert_eq!(before, after);
    assert_eq!(env.lamports(&key.pubkey()), payer_before - fee);
}

/// The largest policy the program accepts (16 programs, 8 limits) is created, used, updated and
/// closed — on SBF, within the default 32 KiB heap (docs/program.md, "Heap").
#[test]
fn the_largest_policy_fits_every_instruction() {
    let mut env = Env::new();
    let mut largest = policy(&env);
    largest.allowed_programs.extend(
        (largest.allowed_programs.len()..state::MAX_ALLOWED_PROGRAMS).map(|_| Pubkey::new_unique()),
    );
    largest.limits.extend(
        (largest.limits.len()..state::MAX_SPEND_LIMITS)
            .map(|_| SpendLimit::unlimited(Pubkey::new_unique())),
    );
    assert_eq!(largest.allowed_programs.len(), 16);
    assert_eq!(largest.limits.len(), 8);
    let key = env.create_session(largest.clone());
    assert_eq!(env.session(&key.pubkey()).policy, largest);
    let calls = [
        env.usdc_out(USDC),
        env.sol_out(SOL / 100),
        env.usdc_out(USDC),
        env.usdc_out(USDC),
    ];
    assert_ok(&env.execute(&key, &calls));
    let owner = env.owner.pubkey();
    let session = env.session_address(&key.pubkey());
    let update = ix::update_session(
        &env.program_id,
        &owner,
        &env.wallet,
        &session,
        &owner,
        largest,
        Some(1),
    );
    assert_ok(&env.owner_send(&[update]));
    let close = ix::close_session(&env.program_id, &owner, &env.wallet, &session, &owner);
    assert_ok(&env.owner_send(&[close]));
}
