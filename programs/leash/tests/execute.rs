//! `Execute`: the order of checks, outcome-based accounting and its boundaries.

#![allow(clippy::result_large_err)] // LiteSVM's own result type

mod common;

use common::*;
use leash_program::{error::LeashError, event::LeashEvent, state::NATIVE_SOL_MINT};
use solana_signer::Signer;

#[test]
fn session_transfers_usdc_and_sol_within_limits() {
    let mut env = Env::new();
    let key = env.create_session(policy(&env));
    let fee_payer_before = env.lamports(&key.pubkey());
    let vault_before = env.lamports(&env.vault);
    let result = env.execute(
        &key,
        &[env.usdc_out(4 * USDC + 500_000), env.sol_out(SOL / 2)],
    );
    assert_ok(&result);
    assert_eq!(env.token_balance(&env.recipient_usdc), 4_500_000);
    assert_eq!(
        env.lamports(&env.vault),
        vault_before - SOL / 2,
        "fees never come out of the vault"
    );
    assert!(
        env.lamports(&key.pubkey()) < fee_payer_before,
        "the session key pays its fee"
    );
    let session = env.session(&key.pubkey());
    assert_eq!((session.uses, session.nonce), (1, 1));
    assert_eq!(session.spent[0].total, 4_500_000);
    assert_eq!(session.spent[1].total, SOL / 2);
    // The SessionUsed event carries the measured outflows.
    let logs = result.unwrap().logs;
    let data = logs
        .iter()
        .find_map(|l| l.strip_prefix("Program data: "))
        .expect("event");
    let bytes = base64_decode(data);
    assert_eq!(
        LeashEvent::decode(&bytes),
        Some(LeashEvent::SessionUsed {
            session: env.session_address(&key.pubkey()),
            uses: 1,
            nonce: 1,
            outflows: vec![(NATIVE_SOL_MINT, SOL / 2), (env.usdc, 4_500_000)],
        })
    );
}

#[test]
fn limit_exactly_at_remaining_passes_and_one_unit_over_fails() {
    let mut env = Env::new();
    let key = env.create_session(policy(&env));
    for _ in 0..4 {
        assert_ok(&env.execute(&key, &[env.usdc_out(10 * USDC)]));
    }
    // 40 of 50 used: 10 USDC + 1 unit is refused, exactly 10 passes.
    let over = env.execute(&key, &[env.usdc_out(5 * USDC), env.usdc_out(5 * USDC + 1)]);
    assert_leash_err(&over, LeashError::PerTxLimitExceeded);
    assert_ok(&env.execute(&key, &[env.usdc_out(10 * USDC)]));
    assert_leash_err(
        &env.execute(&key, &[env.usdc_out(1)]),
        LeashError::SpendingLimitExceeded,
    );
    assert_eq!(env.session(&key.pubkey()).spent[0].total, 50 * USDC);
    assert_eq!(env.token_balance(&env.recipient_usdc), 50 * USDC);
}

fn base64_decode(s: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut buf, mut bits) = (0u32, 0);
    for c in s.bytes().filter(|c| *c != b'=') {
        let v = ALPHABET.iter().position(|a| *a == c).unwrap() as u32;
        buf = (buf << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
        }
    }
    out
}

#[test]
fn validity_window_edges() {
    let mut env = Env::new();
    let mut p = policy(&env);
    p.valid_after = START_TIME + 100;
    p.valid_until = START_TIME + 200;
    let key = env.create_session(p);
    env.set_time(START_TIME + 99);
    assert_leash_err(
        &env.execute(&key, &[env.usdc_out(1)]),
        LeashError::SessionNotYetActive,
    );
    env.set_time(START_TIME + 100);
    assert_ok(&env.execute(&key, &[env.usdc_out(1)]));
    env.set_time(START_TIME + 199);
    assert_ok(&env.execute(&key, &[env.usdc_out(1)]));
    env.set_time(START_TIME + 200);
    assert_leash_err(
        &env.execute(&key, &[env.usdc_out(1)]),
        LeashError::SessionExpired,
    );
}

#[test]
fn expiry_slot_edge() {
    let mut env = Env::new();
    let mut p = policy(&env);
    p.expiry_slot = env.slot() + 50;
    let key = env.create_session(p.clone());
    env.set_slot(p.expiry_slot - 1);
    assert_ok(&env.execute(&key, &[env.usdc_out(1)]));
    env.set_slot(p.expiry_slot);
    assert_leash_err(
        &env.execute(&key, &[env.usdc_out(1)]),
        LeashError::SessionExpired,
    );
}

#[test]
fn max_uses_and_max_calls() {
    let mut env = Env::new();
    let mut p = policy(&env);
    p.max_uses = 2;
    p.max_calls_per_tx = 2;
    let key = env.create_session(p);
    let three = [env.usdc_out(1), env.usdc_out(1), env.usdc_out(1)];
    assert_leash_err(&env.execute(&key, &three), LeashError::TooManyCalls);
    assert_leash_err(&env.execute(&key, &[]), LeashError::TooManyCalls);
    assert_ok(&env.execute(&key, &three[..2]));
    assert_ok(&env.execute(&key, &three[..1]));
    assert_leash_err(&env.execute(&key, &three[..1]), LeashError::MaxUsesReached);
    // A failed use is not counted.
    assert_eq!(env.session(&key.pubkey()).uses, 2);
}

#[test]
fn token_without_a_limit_is_refused_and_unlimited_limits_meter_only() {
    let mut env = Env::new();
    let mut p = policy(&env);
    p.limits.retain(|l| l.mint == NATIVE_SOL_MINT);
    let key = env.create_session(p.clone());
    assert_leash_err(
        &env.execute(&key, &[env.usdc_out(1)]),
        LeashError::TokenNotInPolicy,
    );
    // u64::MAX everywhere: no bound, but still metered.
    p.limits = vec![leash_program::state::SpendLimit::unlimited(env.usdc)];
    let key = env.create_session(p);
    assert_ok(&env.execute(&key, &[env.usdc_out(1_000 * USDC)]));
    assert_eq!(env.session(&key.pubkey()).spent[0].total, 1_000 * USDC);
}

#[test]
fn outflow_is_summed_across_calls_and_accounts_of_one_mint() {
    let mut env = Env::new();
    let (vault, usdc, token) = (env.vault, env.usdc, leash_sdk::spl::TOKEN_PROGRAM_ID);
    let second = env.create_token_account(&vault, &usdc, &token);
    env.mint_to(&token, &usdc, &second, 100 * USDC);
    let key = env.create_session(policy(&env));
    // 6 + 5 from two accounts = 11 > 10 per tx.
    let from_second =
        leash_sdk::spl::transfer(&token, &second, &env.recipient_usdc, &vault, 5 * USDC);
    assert_leash_err(
        &env.execute(&key, &[env.usdc_out(6 * USDC), from_second.clone()]),
        LeashError::PerTxLimitExceeded,
    );
    // A move between the vault's own accounts is not spend.
    let internal = leash_sdk::spl::transfer(&token, &env.vault_usdc, &second, &vault, 500 * USDC);
    assert_ok(&env.execute(&key, &[internal, env.usdc_out(4 * USDC), from_second]));
    assert_eq!(env.session(&key.pubkey()).spent[0].total, 9 * USDC);
}

#[test]
fn inflows_are_ignored_but_minting_by_the_vault_is_charged() {
    let mut env = Env::new();
    let token = leash_sdk::spl::TOKEN_PROGRAM_ID;
    // A mint whose authority is the vault: minting is value created by the vault's signature,
    // charged as an outflow of that mint even when minted to the vault itself (value model v2,
    // conservative); the tokens arriving in the vault refund nothing.
    let vault = env.vault;
    let minted = {
        let mint = solana_keypair::Keypair::new();
        let owner = env.owner.insecure_clone();
        let rent = env
            .svm
            .minimum_balance_for_rent_exemption(leash_sdk::spl::MINT_LEN);
        let create = solana_system_interface::instruction::create_account(
            &owner.pubkey(),
            &mint.pubkey(),
            rent,
            leash_sdk::spl::MINT_LEN as u64,
            &token,
        );
        let init = leash_sdk::spl::initialize_mint2(&token, &mint.pubkey(), &vault, None, 0);
        assert_ok(&env.send(&[create, init], &owner, &[&mint]));
        mint.pubkey()
    };
    let vault_minted = env.create_ata(&vault, &minted, &token);
    let mint_in = leash_sdk::spl::mint_to(&token, &minted, &vault_minted, &vault, 1_000);
    let key = env.create_session(policy(&env));
    assert_leash_err(
        &env.execute(&key, &[mint_in.clone(), env.usdc_out(2 * USDC)]),
        LeashError::TokenNotInPolicy,
    );
    let mut p = policy(&env);
    p.limits
        .push(leash_program::state::SpendLimit::unlimited(minted));
    let key = env.create_session(p);
    assert_ok(&env.execute(&key, &[mint_in, env.usdc_out(2 * USDC)]));
    assert_eq!(env.token_balance(&vault_minted), 1_000);
    let session = env.session(&key.pubkey());
    assert_eq!(session.spent[0].total, 2 * USDC);
    assert_eq!(session.spent[2].total, 1_000);
    // Tokens received later do not refund the limit either.
    env.mint_to(
        &token,
        &env.usdc.clone(),
        &env.vault_usdc.clone(),
        10 * USDC,
    );
    assert_eq!(env.session(&key.pubkey()).spent[0].total, 2 * USDC);
}

#[test]
fn token_2022_accounts_are_counted() {
    let mut env = Env::new();
    let token22 = leash_sdk::spl::TOKEN_2022_PROGRAM_ID;
    let mint = env.create_mint(&token22, 6);
    let vault = env.vault;
    let vault_account = env.create_ata(&vault, &mint, &token22);
    env.mint_to(&token22, &mint, &vault_account, 100 * USDC);
    let recipient = env.recipient;
    let recipient_account = env.create_ata(&recipient, &mint, &token22);
    let mut p = policy(&env);
    p.allowed_programs.push(token22);
    p.limits.push(leash_program::state::SpendLimit {
        recipients: vec![],
        mint,
        per_tx: 3 * USDC,
        total: 5 * USDC,
        period_secs: 0,
        per_period: 0,
    });
    let key = env.create_session(p);
    let out = |amount| {
        leash_sdk::spl::transfer_checked(
            &token22,
            &vault_account,
            &mint,
            &recipient_account,
            &vault,
            amount,
            6,
        )
    };
    assert_leash_err(
        &env.execute(&key, &[out(3 * USDC + 1)]),
        LeashError::PerTxLimitExceeded,
    );
    assert_ok(&env.execute(&key, &[out(3 * USDC)]));
    assert_leash_err(
        &env.execute(&key, &[out(2 * USDC + 1)]),
        LeashError::SpendingLimitExceeded,
    );
    assert_ok(&env.execute(&key, &[out(2 * USDC)]));
    assert_eq!(env.session(&key.pubkey()).spent[2].total, 5 * USDC);
    assert_eq!(env.token_balance(&recipient_account), 5 * USDC);
}

#[test]
fn period_allowance_resets_exactly_at_the_window_edge() {
    let mut env = Env::new();
    let mut p = policy(&env);
    p.limits[0] = leash_program::state::SpendLimit {
        recipients: vec![],
        mint: env.usdc,
        per_tx: u64::MAX,
        total: u64::MAX,
        period_secs: 86_400,
        per_period: 20 * USDC,
    };
    p.valid_until = START_TIME + 10 * 86_400;
    let key = env.create_session(p);
    let created_at = env.session(&key.pubkey()).created_at;
    assert_ok(&env.execute(&key, &[env.usdc_out(20 * USDC)]));
    env.set_time(created_at + 86_399);
    assert_leash_err(
        &env.execute(&key, &[env.usdc_out(1)]),
        LeashError::PeriodLimitExceeded,
    );
    env.set_time(created_at + 86_400);
    assert_ok(&env.execute(&key, &[env.usdc_out(20 * USDC)]));
    assert_leash_err(
        &env.execute(&key, &[env.usdc_out(1)]),
        LeashError::PeriodLimitExceeded,
    );
    let spent = env.session(&key.pubkey()).spent[0];
    assert_eq!(
        (spent.total, spent.period_index, spent.in_period),
        (40 * USDC, 1, 20 * USDC)
    );
}

#[test]
fn cumulative_spend_past_u64_max_saturates_an_unlimited_total() {
    let mut env = Env::new();
    let token = leash_sdk::spl::TOKEN_PROGRAM_ID;
    let mint = env.create_mint(&token, 0);
    let vault = env.vault;
    let vault_account = env.create_ata(&vault, &mint, &token);
    let holder = solana_keypair::Keypair::new();
    env.svm.airdrop(&holder.pubkey(), SOL).unwrap();
    let holder_account = env.create_ata(&holder.pubkey(), &mint, &token);
    env.mint_to(&token, &mint, &vault_account, u64::MAX);
    let mut p = policy(&env);
    p.limits = vec![leash_program::state::SpendLimit::unlimited(mint)];
    let key = env.create_session(p);
    let out =
        |amount| leash_sdk::spl::transfer(&token, &vault_account, &holder_account, &vault, amount);
    assert_ok(&env.execute(&key, &[out(u64::MAX)]));
    // The tokens come back, and one more unit out pushes spent.total past u64::MAX: an
    // unlimited total saturates instead of failing (value model v2, rule 7).
    let back = leash_sdk::spl::transfer(
        &token,
        &holder_account,
        &vault_account,
        &holder.pubkey(),
        u64::MAX,
    );
    assert_ok(&env.send(&[back], &holder, &[]));
    assert_ok(&env.execute(&key, &[out(1)]));
    assert_eq!(env.session(&key.pubkey()).spent[0].total, u64::MAX);
}

/// Rewrites a session's state in place (test setup only).
fn edit_session(
    env: &mut Env,
    key: &solana_program::pubkey::Pubkey,
    edit: impl FnOnce(&mut leash_program::state::Session),
) {
    let address = env.session_address(key);
    let mut account = env.account(&address).unwrap();
    let mut session = leash_program::state::Session::decode(&account.data).unwrap();
    edit(&mut session);
    account.data = borsh::to_vec(&session).unwrap();
    env.svm.set_account(address, account).unwrap();
}

#[test]
fn checks_run_in_the_documented_order() {
    use leash_program::instruction as ix;
    use solana_program::instruction::AccountMeta;
    let mut env = Env::new();
    let mut p = policy(&env);
    p.valid_after = START_TIME + 100;
    p.valid_until = START_TIME + 200;
    p.max_uses = 1;
    p.max_calls_per_tx = 1;
    let key = env.create_session(p);
    let stranger = solana_keypair::Keypair::new();
    env.svm.airdrop(&stranger.pubkey(), SOL).unwrap();
    edit_session(&mut env, &key.pubkey(), |s| {
        s.revoked = true;
        s.uses = 1;
    });
    env.set_time(START_TIME + 50);
    let memo = solana_program::pubkey!("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr");
    let disallowed = solana_program::instruction::Instruction {
        program_id: memo,
        accounts: vec![],
        data: b"x".to_vec(),
    };
    // Everything wrong at once; each fix reveals the next check in docs/program.md's order.
    let base = ix::execute(
        &env.program_id,
        &key.pubkey(),
        &env.wallet,
        Some(7),
        &[disallowed.clone(), disallowed],
    );
    let mut tx = base.clone();
    tx.accounts[3] = AccountMeta::new(env.recipient, false);
    tx.accounts[2] = AccountMeta::new(stranger.pubkey(), false);
    tx.accounts[0] = AccountMeta::new_readonly(stranger.pubkey(), true);
    assert_leash_err(
        &env.send(std::slice::from_ref(&tx), &stranger, &[]),
        LeashError::InvalidAccount,
    );
    tx.accounts[3] = base.accounts[3].clone();
    assert_leash_err(
        &env.send(std::slice::from_ref(&tx), &stranger, &[]),
        LeashError::SessionNotRegistered,
    );
    tx.accounts[2] = base.accounts[2].clone();
    assert_leash_err(
        &env.send(std::slice::from_ref(&tx), &stranger, &[]),
        LeashError::SessionKeyMismatch,
    );
    assert_leash_err(
        &env.send(std::slice::from_ref(&base), &key, &[]),
        LeashError::SessionRevoked,
    );
    edit_session(&mut env, &key.pubkey(), |s| s.revoked = false);
    assert_leash_err(
        &env.send(std::slice::from_ref(&base), &key, &[]),
        LeashError::SessionNotYetActive,
    );
    env.set_time(START_TIME + 200);
    assert_leash_err(
        &env.send(std::slice::from_ref(&base), &key, &[]),
        LeashError::SessionExpired,
    );
    env.set_time(START_TIME + 150);
    assert_leash_err(
        &env.send(std::slice::from_ref(&base), &key, &[]),
        LeashError::MaxUsesReached,
    );
    edit_session(&mut env, &key.pubkey(), |s| s.uses = 0);
    assert_leash_err(
        &env.send(std::slice::from_ref(&base), &key, &[]),
        LeashError::NonceMismatch,
    );
    edit_session(&mut env, &key.pubkey(), |s| s.nonce = 7);
    assert_leash_err(
        &env.send(std::slice::from_ref(&base), &key, &[]),
        LeashError::TooManyCalls,
    );
    edit_session(&mut env, &key.pubkey(), |s| s.policy.max_calls_per_tx = 2);
    assert_leash_err(
        &env.send(std::slice::from_ref(&base), &key, &[]),
        LeashError::ProgramNotAllowed,
    );
    edit_session(&mut env, &key.pubkey(), |s| {
        s.policy.allowed_programs.push(memo)
    });
    assert_ok(&env.send(&[base], &key, &[]));
    assert_eq!(env.session(&key.pubkey()).nonce, 8);
}
