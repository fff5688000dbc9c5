//! Value model v3 (docs/program.md, "The value model" and its table "Who else can move it"):
//! only value nobody but the vault can move is netted as the vault's own. One regression test
//! per attack of issue 18, each played as an attacker holding a session token who also prepares
//! the ground — accounts handed to the vault with authorities kept, instructions before and
//! after the `Execute` in the same transaction — with the README quickstart's policy. Each
//! asserts the exact refusal and that nothing moved, or what a legitimate counterpart is charged.

#![allow(clippy::result_large_err)] // LiteSVM's own result type

mod common;

use common::*;
use leash_program::{
    error::LeashError,
    instruction as ix,
    state::{Policy, SpendLimit, NATIVE_SOL_MINT, UNLIMITED},
};
use leash_sdk::spl;
use solana_keypair::Keypair;
use solana_program::{instruction::Instruction, pubkey::Pubkey};
use solana_signer::Signer;
use solana_system_interface::instruction as system_ix;
use spl_token_2022_interface::instruction as t22;

const TOKEN: Pubkey = spl::TOKEN_PROGRAM_ID;
const SYSTEM: Pubkey = solana_system_interface::program::ID;

/// The README quickstart's policy: SPL Token and System; USDC 5 per transaction, 8 in total;
/// SOL 0.5 in total.
fn quickstart(env: &Env) -> Policy {
    policy_with(
        vec![TOKEN, SYSTEM],
        vec![
            limit(env.usdc, 5 * USDC, 8 * USDC),
            limit(NATIVE_SOL_MINT, UNLIMITED, SOL / 2),
        ],
        4,
    )
}

/// The attacker's preparation, to run before the `Execute` in the same transaction: a new USDC
/// account owned by the attacker, its close authority set to the attacker, then its owner
/// handed to the vault (token programs keep a non-native account's close authority when its
/// owner changes, and giving an account away needs no signature of the vault's).
fn hand_over_with_close_authority(
    env: &Env,
    attacker: &Pubkey,
    account: &Pubkey,
) -> Vec<Instruction> {
    let rent = env.svm.minimum_balance_for_rent_exemption(spl::ACCOUNT_LEN);
    vec![
        system_ix::create_account(attacker, account, rent, spl::ACCOUNT_LEN as u64, &TOKEN),
        spl::initialize_account3(&TOKEN, account, &env.usdc, attacker),
        spl::set_authority(
            &TOKEN,
            account,
            Some(attacker),
            spl::AuthorityType::CloseAccount,
            attacker,
        ),
        spl::set_authority(
            &TOKEN,
            account,
            Some(&env.vault),
            spl::AuthorityType::AccountOwner,
            attacker,
        ),
    ]
}

/// One transaction, paid and signed by the session key (the attacker): `before`, the session's
/// `Execute` of `calls`, `after`.
fn attack(
    env: &mut Env,
    key: &Keypair,
    before: Vec<Instruction>,
    calls: &[Instruction],
    after: Vec<Instruction>,
    signers: &[&Keypair],
) -> TxResult {
    let mut all = before;
    all.push(ix::execute(
        &env.program_id,
        &key.pubkey(),
        &env.wallet,
        None,
        calls,
    ));
    all.extend(after);
    env.send(&all, key, signers)
}

/// The close-authority attack in one transaction: `account` prepared and handed to the vault
/// with the attacker as close authority, the session's `calls`, then `account` closed to the
/// attacker.
fn close_authority_attack(
    env: &mut Env,
    key: &Keypair,
    account: &Keypair,
    calls: &[Instruction],
) -> TxResult {
    let attacker = key.pubkey();
    let prepare = hand_over_with_close_authority(env, &attacker, &account.pubkey());
    let close = spl::close_account(&TOKEN, &account.pubkey(), &attacker, &attacker);
    attack(env, key, prepare, calls, vec![close], &[account])
}

#[test]
fn sol_moved_into_a_vault_token_account_whose_close_authority_was_kept_is_charged() {
    let mut env = Env::new();
    let vault = env.vault;
    let key = env.create_session(quickstart(&env));
    let attacker = key.pubkey();
    let x = Keypair::new();
    let vault_lamports = env.lamports(&vault);
    let attacker_lamports = env.lamports(&attacker);
    let watched = snapshot(&env, &[vault, x.pubkey(), env.vault_usdc]);

    // Every lamport of the vault into X, then X closed to the attacker: before v3 X was netted
    // with the vault (outflow 0) and the vault was emptied.
    let result = close_authority_attack(
        &mut env,
        &key,
        &x,
        &[system_ix::transfer(&vault, &x.pubkey(), vault_lamports)],
    );
    assert_leash_err(&result, LeashError::SpendingLimitExceeded);
    assert_unchanged(&env, &watched);
    let fee = result.unwrap_err().meta.fee;
    assert_eq!(env.lamports(&attacker), attacker_lamports - fee);
    assert_eq!(spent_of(&env, &attacker, &NATIVE_SOL_MINT).0, 0);

    // Within the limit the same moves land, and the session is charged what the attacker took.
    let x = Keypair::new();
    let attacker_lamports = env.lamports(&attacker);
    let result = close_authority_attack(
        &mut env,
        &key,
        &x,
        &[system_ix::transfer(&vault, &x.pubkey(), SOL / 5)],
    );
    assert_ok(&result);
    let fee = result.unwrap().fee;
    assert_eq!(env.lamports(&attacker), attacker_lamports - fee + SOL / 5);
    assert_eq!(env.lamports(&vault), vault_lamports - SOL / 5);
    assert_eq!(spent_of(&env, &attacker, &NATIVE_SOL_MINT).0, SOL / 5);
}

#[test]
fn excess_lamports_withdrawn_into_such_an_account_are_charged() {
    let mut env = Env::new();
    let (vault, vault_usdc, owner) = (env.vault, env.vault_usdc, env.owner.pubkey());
    assert_ok(&env.owner_send(&[system_ix::transfer(&owner, &vault_usdc, 3 * SOL)]));
    let key = env.create_session(quickstart(&env));
    let attacker = key.pubkey();
    let x = Keypair::new();
    let watched = snapshot(&env, &[vault, vault_usdc, x.pubkey()]);
    let withdraw = |to: &Pubkey| {
        let mut ix = t22::withdraw_excess_lamports(
            &spl::TOKEN_2022_PROGRAM_ID,
            &vault_usdc,
            to,
            &vault,
            &[],
        )
        .unwrap();
        ix.program_id = TOKEN;
        ix
    };

    let result = close_authority_attack(&mut env, &key, &x, &[withdraw(&x.pubkey())]);
    assert_leash_err(&result, LeashError::SpendingLimitExceeded);
    assert_unchanged(&env, &watched);
    assert_eq!(spent_of(&env, &attacker, &NATIVE_SOL_MINT).0, 0);
}

#[test]
fn tokens_moved_into_a_vault_account_with_an_owner_set_delegate_are_charged() {
    let mut env = Env::new();
    let (vault, usdc, vault_usdc) = (env.vault, env.usdc, env.vault_usdc);
    // The owner once approved a delegate on a second vault account (a DEX, a payroll bot...);
    // the attacker holds that delegation and a session token.
    let delegate = funded_keypair(&mut env);
    let delegated = env.create_token_account(&vault, &usdc, &TOKEN);
    let approve = spl::approve(&TOKEN, &delegated, &delegate.pubkey(), &vault, 100 * USDC);
    let owner = env.owner.pubkey();
    assert_ok(&env.owner_send(&[ix::owner_execute(
        &env.program_id,
        &owner,
        &env.wallet,
        &[approve],
    )]));
    let loot = env.create_ata(&delegate.pubkey(), &usdc, &TOKEN);
    let key = env.create_session(quickstart(&env));
    let take = |amount| spl::transfer(&TOKEN, &delegated, &loot, &delegate.pubkey(), amount);
    let watched = snapshot(&env, &[vault_usdc, delegated, loot]);

    // 50 USDC "between two vault accounts", then taken by the delegate: was charged 0.
    let move_in = |amount| spl::transfer(&TOKEN, &vault_usdc, &delegated, &vault, amount);
    let result = attack(
        &mut env,
        &key,
        vec![],
        &[move_in(50 * USDC)],
        vec![take(50 * USDC)],
        &[&delegate],
    );
    assert_leash_err(&result, LeashError::PerTxLimitExceeded);
    assert_unchanged(&env, &watched);

    // Within the per-transaction bound it is charged what moved into the delegated account.
    assert_ok(&attack(
        &mut env,
        &key,
        vec![],
        &[move_in(4 * USDC)],
        vec![take(4 * USDC)],
        &[&delegate],
    ));
    assert_eq!(env.token_balance(&loot), 4 * USDC);
    assert_eq!(spent_of(&env, &key.pubkey(), &usdc).0, 4 * USDC);
}

#[test]
fn a_move_between_two_clean_vault_token_accounts_is_still_charged_nothing() {
    let mut env = Env::new();
    let (vault, usdc, vault_usdc) = (env.vault, env.usdc, env.vault_usdc);
    let second = env.create_token_account(&vault, &usdc, &TOKEN);
    // A close authority of the vault itself keeps an account clean.
    let set_close = spl::set_authority(
        &TOKEN,
        &second,
        Some(&vault),
        spl::AuthorityType::CloseAccount,
        &vault,
    );
    let owner = env.owner.pubkey();
    assert_ok(&env.owner_send(&[ix::owner_execute(
        &env.program_id,
        &owner,
        &env.wallet,
        &[set_close],
    )]));
    let key = env.create_session(quickstart(&env));
    let rent = env.svm.minimum_balance_for_rent_exemption(spl::ACCOUNT_LEN);
    let vault_lamports = env.lamports(&vault);
    assert_ok(&env.execute(
        &key,
        &[
            spl::transfer(&TOKEN, &vault_usdc, &second, &vault, 200 * USDC),
            system_ix::transfer(&vault, &second, 3 * SOL),
        ],
    ));
    assert_eq!(env.token_balance(&second), 200 * USDC);
    assert_eq!(env.lamports(&second), rent + 3 * SOL);
    assert_eq!(env.lamports(&vault), vault_lamports - 3 * SOL);
    assert_eq!(spent_of(&env, &key.pubkey(), &usdc).0, 0);
    assert_eq!(spent_of(&env, &key.pubkey(), &NATIVE_SOL_MINT).0, 0);
}

#[test]
fn a_nonce_account_the_vault_authorizes_cannot_be_handed_to_the_holder() {
    let mut env = Env::new();
    let (vault, owner) = (env.vault, env.owner.pubkey());
    let nonce = Keypair::new();
    let rent = env.svm.minimum_balance_for_rent_exemption(80);
    let create = system_ix::create_nonce_account(&owner, &nonce.pubkey(), &vault, rent + 2 * SOL);
    assert_ok(&env.send_signed(&create, &nonce));
    let nonce = nonce.pubkey();
    let key = env.create_session(quickstart(&env));
    let attacker = key.pubkey();
    let watched = snapshot(&env, &[vault, nonce]);
    let authorize = system_ix::authorize_nonce_account(&nonce, &vault, &attacker);

    // Re-authorized to the holder (no lamport moves: was charged 0), then withdrawn by it.
    let withdraw = system_ix::withdraw_nonce_account(&nonce, &attacker, &attacker, rent + 2 * SOL);
    let result = attack(
        &mut env,
        &key,
        vec![],
        std::slice::from_ref(&authorize),
        vec![withdraw],
        &[],
    );
    assert_leash_err(&result, LeashError::ForbiddenAuthorityChange);
    assert_unchanged(&env, &watched);
    // Alone, too.
    assert_leash_err(
        &env.execute(&key, &[authorize]),
        LeashError::ForbiddenAuthorityChange,
    );
    assert_unchanged(&env, &watched);
    // To the vault itself it is no change at all, and withdrawing stays charged.
    assert_ok(&env.execute(
        &key,
        &[
            system_ix::authorize_nonce_account(&nonce, &vault, &vault),
            system_ix::withdraw_nonce_account(&nonce, &vault, &attacker, SOL / 4),
        ],
    ));
    assert_eq!(spent_of(&env, &attacker, &NATIVE_SOL_MINT).0, SOL / 4);
}

/// Found in the audit after the nested accounts: a System account at a seeded address of the
/// vault's is metered as it is debited, but giving it data (`AllocateWithSeed`, the vault signing
/// as base) moved nothing and was charged nothing, though anyone may then make it a nonce account
/// of their own.
#[test]
fn a_seeded_address_of_the_vault_given_data_is_charged_whole() {
    let mut env = Env::new();
    let vault = env.vault;
    // The owner's SOL at an address the vault signs for through `create_with_seed`.
    let seeded = Pubkey::create_with_seed(&vault, "savings", &SYSTEM).unwrap();
    env.svm.airdrop(&seeded, 2 * SOL).unwrap();
    let key = env.create_session(quickstart(&env));
    let attacker = key.pubkey();
    let watched = snapshot(&env, &[vault, seeded]);
    let allocate = system_ix::allocate_with_seed(&seeded, &vault, "savings", 80, &SYSTEM);

    // Given 80 bytes of data (no lamport moves: was charged 0), the address is no longer the
    // vault's: after the `Execute` the holder makes it a nonce account of its own, to empty it
    // once the blockhash it stored has expired.
    let result = attack(
        &mut env,
        &key,
        vec![],
        std::slice::from_ref(&allocate),
        vec![initialize_nonce_account(&seeded, &attacker)],
        &[],
    );
    assert_leash_err(&result, LeashError::SpendingLimitExceeded);
    assert_unchanged(&env, &watched);
    assert_leash_err(
        &env.execute(&key, std::slice::from_ref(&allocate)),
        LeashError::SpendingLimitExceeded,
    );
    assert_unchanged(&env, &watched);

    // Made a nonce account of the vault's in the same `Execute`, it stays the vault's: nothing
    // charged. Given data alone, within the limits, all of it is charged.
    let durable = env.create_session(policy_with(
        vec![SYSTEM],
        vec![limit(NATIVE_SOL_MINT, UNLIMITED, 3 * SOL)],
        4,
    ));
    assert_ok(&env.execute(
        &durable,
        &[allocate, initialize_nonce_account(&seeded, &vault)],
    ));
    assert_eq!(spent_of(&env, &durable.pubkey(), &NATIVE_SOL_MINT).0, 0);
    let other = Pubkey::create_with_seed(&vault, "parked", &SYSTEM).unwrap();
    env.svm.airdrop(&other, SOL).unwrap();
    let allocate = system_ix::allocate_with_seed(&other, &vault, "parked", 80, &SYSTEM);
    // (An address assigned with a seed is derived with its new owner.)
    let for_token = Pubkey::create_with_seed(&vault, "parked", &TOKEN).unwrap();
    env.svm.airdrop(&for_token, SOL).unwrap();
    let assign = system_ix::assign_with_seed(&for_token, &vault, "parked", &TOKEN);
    // Where the SOL limit lists recipients, what leaves the vault's reach arrives at the
    // address itself, which is not listed: refused, given data or assigned away alike.
    let fenced = env.create_session(policy_with(
        vec![SYSTEM],
        vec![SpendLimit {
            recipients: vec![env.recipient],
            ..limit(NATIVE_SOL_MINT, UNLIMITED, 3 * SOL)
        }],
        4,
    ));
    let watched = snapshot(&env, &[vault, other, for_token]);
    for call in [&allocate, &assign] {
        assert_leash_err(
            &env.execute(&fenced, std::slice::from_ref(call)),
            LeashError::RecipientNotAllowed,
        );
        assert_unchanged(&env, &watched);
    }
    assert_ok(&env.execute(&durable, &[allocate]));
    assert_eq!(spent_of(&env, &durable.pubkey(), &NATIVE_SOL_MINT).0, SOL);
}

#[test]
fn changing_a_limits_period_recomputes_its_window_in_the_new_unit() {
    let mut env = Env::new();
    let usdc = env.usdc;
    let per_minute = SpendLimit {
        recipients: vec![],
        mint: usdc,
        per_tx: UNLIMITED,
        total: UNLIMITED,
        period_secs: 60,
        per_period: 10 * USDC,
    };
    let mut policy = policy_with(vec![TOKEN], vec![per_minute], 4);
    policy.valid_until = START_TIME + 30 * 86_400;
    let key = env.create_session(policy.clone());
    // A day and a half of minutes later: window 2160 in minutes.
    env.set_time(START_TIME + 129_600);
    let four = env.usdc_out(4 * USDC);
    assert_ok(&env.execute(&key, &[four]));
    assert_eq!(
        spent_of(&env, &key.pubkey(), &usdc),
        (4 * USDC, 2_160, 4 * USDC)
    );

    // "Per minute" becomes "per day": the window is day 1 now, and what this minute spent stays.
    policy.limits[0].period_secs = 86_400;
    let owner = env.owner.pubkey();
    let session = env.session_address(&key.pubkey());
    let update = ix::update_session(
        &env.program_id,
        &owner,
        &env.wallet,
        &session,
        &owner,
        policy,
        None,
    );
    assert_ok(&env.owner_send(&[update]));
    assert_eq!(
        spent_of(&env, &key.pubkey(), &usdc),
        (4 * USDC, 1, 4 * USDC)
    );
    let over = env.usdc_out(7 * USDC);
    assert_leash_err(&env.execute(&key, &[over]), LeashError::PeriodLimitExceeded);
    // The next day the daily allowance comes back (before the fix the minute index, 2160, kept
    // every day's window "in the past" for six years).
    env.set_time(START_TIME + 2 * 86_400);
    let ten = env.usdc_out(10 * USDC);
    assert_ok(&env.execute(&key, &[ten]));
    assert_eq!(
        spent_of(&env, &key.pubkey(), &usdc),
        (14 * USDC, 2, 10 * USDC)
    );
}

// ---- The next hole: authorities over lamports outside the token programs --------------------
/// Found after the list: a stake account whose withdrawer is the vault (the owner
/// staked from the vault) is debitable by the vault's signature, but it is neither a System nor
/// a token account — a session allowed the Stake program withdrew from it, or handed its
/// withdrawer to the holder, and was charged nothing.
#[test]
fn a_stake_account_the_vault_withdraws_from_is_charged_and_keeps_its_authorities() {
    let mut env = Env::new();
    let stake = env.create_vault_stake(2 * SOL);
    let rent = env.svm.minimum_balance_for_rent_exemption(STAKE_STATE_LEN);
    withdrawals_are_charged_and_the_withdrawer_kept(
        &mut env,
        STAKE_PROGRAM,
        stake,
        rent,
        stake_withdraw,
        stake_authorize_withdrawer,
    );
}

/// Found in the audit after the seeded addresses: the Stake and Vote programs let a base key sign
/// for an authority derived from it (`AuthorizeWithSeed`). An owner's stake or vote account whose
/// withdrawer is an address derived from the vault is the vault's to hand over, though its
/// withdrawer is not the vault: a session allowed the program handed it to the holder, charged
/// nothing, and the holder withdrew it in the same transaction.
#[test]
fn a_withdrawer_derived_from_the_vault_cannot_be_handed_over() {
    let mut env = Env::new();
    let vault = env.vault;
    let seed = "staking";
    let derived = Pubkey::create_with_seed(&vault, seed, &SYSTEM).unwrap();
    let stake = env.create_initialized(STAKE_STATE_LEN, 2 * SOL, &STAKE_PROGRAM, &[], |s| {
        stake_initialize(s, &vault, &derived)
    });
    let node = Keypair::new();
    let vote = env.create_initialized(VOTE_STATE_LEN, 2 * SOL, &VOTE_PROGRAM, &[&node], |v| {
        vote_initialize(v, &node.pubkey(), &vault, &derived)
    });
    let key = env.create_session(policy_with(
        vec![STAKE_PROGRAM, VOTE_PROGRAM, SYSTEM],
        vec![limit(NATIVE_SOL_MINT, UNLIMITED, SOL / 2)],
        4,
    ));
    let attacker = key.pubkey();
    let watched = snapshot(&env, &[vault, stake, vote]);
    let hand_over = |new: &Pubkey| {
        [
            stake_authorize_withdrawer_with_seed(&stake, &vault, seed, &SYSTEM, new),
            vote_authorize_withdrawer_with_seed(&vote, &vault, seed, &SYSTEM, new),
        ]
    };
    let take = [
        stake_withdraw(&stake, &attacker, &attacker, env.lamports(&stake)),
        vote_withdraw(&vote, &attacker, &attacker, env.lamports(&vote)),
    ];
    for (call, take) in hand_over(&attacker).into_iter().zip(take) {
        let result = attack(&mut env, &key, vec![], &[call], vec![take], &[]);
        assert_leash_err(&result, LeashError::ForbiddenAuthorityChange);
        assert_unchanged(&env, &watched);
    }
    // Nor split off first (the vault is the staker) into a stake account the holder prepared,
    // and the new account's withdrawer handed over: it had none before the calls.
    let part = Keypair::new();
    let rent = env.svm.minimum_balance_for_rent_exemption(STAKE_STATE_LEN);
    let prepare = system_ix::create_account(
        &attacker,
        &part.pubkey(),
        rent,
        STAKE_STATE_LEN as u64,
        &STAKE_PROGRAM,
    );
    let split_off = [
        stake_split(&stake, &vault, SOL, &part.pubkey()),
        stake_authorize_withdrawer_with_seed(&part.pubkey(), &vault, seed, &SYSTEM, &attacker),
    ];
    let take = stake_withdraw(&part.pubkey(), &attacker, &attacker, rent + SOL);
    let result = attack(
        &mut env,
        &key,
        vec![prepare],
        &split_off,
        vec![take],
        &[&part],
    );
    assert_leash_err(&result, LeashError::ForbiddenAuthorityChange);
    assert_unchanged(&env, &watched);

    // Handed to the vault itself, each becomes the vault's: nothing left, nothing charged; a
    // withdrawal is then charged as for any account the vault withdraws from.
    assert_ok(&env.execute(&key, &hand_over(&vault)));
    assert_eq!(spent_of(&env, &attacker, &NATIVE_SOL_MINT).0, 0);
    assert_ok(&env.execute(&key, &[stake_withdraw(&stake, &vault, &attacker, SOL / 4)]));
    assert_eq!(spent_of(&env, &attacker, &NATIVE_SOL_MINT).0, SOL / 4);
}

/// An account the vault withdraws from, funded with 2 SOL above `rent`, under a session allowed
/// `program` with 0.5 SOL in total: a withdrawal to the holder over the limit is refused, the
/// withdrawer handed to the holder (then withdrawn by it in the same transaction) is refused,
/// and a withdrawal within the limit is charged what left. Returns the session key.
fn withdrawals_are_charged_and_the_withdrawer_kept(
    env: &mut Env,
    program: Pubkey,
    account: Pubkey,
    rent: u64,
    withdraw: fn(&Pubkey, &Pubkey, &Pubkey, u64) -> Instruction,
    authorize: fn(&Pubkey, &Pubkey, &Pubkey) -> Instruction,
) -> Keypair {
    let vault = env.vault;
    let key = env.create_session(policy_with(
        vec![program, SYSTEM],
        vec![limit(NATIVE_SOL_MINT, UNLIMITED, SOL / 2)],
        4,
    ));
    let attacker = key.pubkey();
    let watched = snapshot(env, &[vault, account]);

    // Withdrawn to the holder: was charged 0.
    assert_leash_err(
        &env.execute(&key, &[withdraw(&account, &vault, &attacker, SOL)]),
        LeashError::SpendingLimitExceeded,
    );
    assert_unchanged(env, &watched);
    // The withdrawer handed to the holder (no lamport moves), then withdrawn by it.
    let result = attack(
        env,
        &key,
        vec![],
        &[authorize(&account, &vault, &attacker)],
        vec![withdraw(&account, &attacker, &attacker, 2 * SOL)],
        &[],
    );
    assert_leash_err(&result, LeashError::ForbiddenAuthorityChange);
    assert_unchanged(env, &watched);
    // Within the limit, a withdrawal is charged what left.
    assert_ok(&env.execute(&key, &[withdraw(&account, &vault, &attacker, SOL / 4)]));
    assert_eq!(spent_of(env, &attacker, &NATIVE_SOL_MINT).0, SOL / 4);
    assert_eq!(env.lamports(&account), rent + 2 * SOL - SOL / 4);
    key
}

/// Found on the last look as an attacker: with the vault as withdrawer and no lockup in force,
/// a session allowed the Stake program could set a lockup to the end of time with a custodian
/// of its own — no lamport moves, nothing charged, and the owner's stake is held to ransom.
/// The terms of a stake account whose lamports the vault controls stay as they are.
#[test]
fn a_session_cannot_lock_the_owners_stake_under_its_own_custodian() {
    let mut env = Env::new();
    let vault = env.vault;
    let stake = env.create_vault_stake(2 * SOL);
    let key = env.create_session(policy_with(
        vec![STAKE_PROGRAM, SYSTEM],
        vec![limit(NATIVE_SOL_MINT, UNLIMITED, SOL / 2)],
        4,
    ));
    let watched = snapshot(&env, &[vault, stake]);
    let lock = stake_set_lockup(&stake, &vault, u64::MAX, &key.pubkey());
    assert_leash_err(
        &env.execute(&key, &[lock]),
        LeashError::ForbiddenAuthorityChange,
    );
    assert_unchanged(&env, &watched);
    // Nor with the vault as custodian: the terms are the owner's to set, with OwnerExecute.
    let lock = stake_set_lockup(&stake, &vault, u64::MAX, &vault);
    assert_leash_err(
        &env.execute(&key, &[lock]),
        LeashError::ForbiddenAuthorityChange,
    );
    assert_unchanged(&env, &watched);
}

// ---- The next hole: vote and loader accounts --------------------------------------------------
/// Found after stake, by the same question ("which accounts does the vault's signature reach?"):
/// a vote account whose withdrawer is the vault (a validator operator's vault) is owned by the
/// Vote program, so the value model read it as another program's account and nothing of it as
/// the vault's — a session allowed the Vote program withdrew its lamports to the holder, or
/// handed the withdrawer over, and was charged nothing.
#[test]
fn a_vote_account_the_vault_withdraws_from_is_charged_and_keeps_its_withdrawer() {
    let mut env = Env::new();
    let vote = env.create_vault_vote(2 * SOL);
    let rent = env.svm.minimum_balance_for_rent_exemption(VOTE_STATE_LEN);
    let key = withdrawals_are_charged_and_the_withdrawer_kept(
        &mut env,
        VOTE_PROGRAM,
        vote,
        rent,
        vote_withdraw,
        vote_authorize_withdrawer,
    );
    // Withdrawn whole (the account reset to the default state): charged all of it.
    let vault = env.vault;
    let watched = snapshot(&env, &[vault, vote]);
    let whole = env.lamports(&vote);
    assert_leash_err(
        &env.execute(&key, &[vote_withdraw(&vote, &vault, &key.pubkey(), whole)]),
        LeashError::SpendingLimitExceeded,
    );
    assert_unchanged(&env, &watched);
}

/// The same for the upgradeable loader: a buffer (or a program's data) whose authority is the
/// vault can be closed by the vault's signature, its lamports to any recipient, and its
/// authority handed over — a session allowed the loader took the lamports uncharged.
#[test]
fn a_buffer_the_vault_may_close_is_charged_and_keeps_its_authority() {
    let mut env = Env::new();
    let vault = env.vault;
    let buffer = env.create_vault_buffer(64, SOL);
    let key = env.create_session(policy_with(
        vec![UPGRADEABLE_LOADER, SYSTEM],
        vec![limit(NATIVE_SOL_MINT, UNLIMITED, SOL / 2)],
        4,
    ));
    let attacker = key.pubkey();
    let watched = snapshot(&env, &[vault, buffer]);

    // Closed to the holder: was charged 0.
    assert_leash_err(
        &env.execute(&key, &[buffer_close(&buffer, &attacker, &vault)]),
        LeashError::SpendingLimitExceeded,
    );
    assert_unchanged(&env, &watched);
    // The authority handed to the holder (no lamport moves), then closed by it.
    let result = attack(
        &mut env,
        &key,
        vec![],
        &[loader_set_authority(&buffer, &vault, &attacker)],
        vec![buffer_close(&buffer, &attacker, &attacker)],
        &[],
    );
    assert_leash_err(&result, LeashError::ForbiddenAuthorityChange);
    assert_unchanged(&env, &watched);
    // Closed to the vault itself: its lamports stay the vault's, but a loader account is
    // charged as it decreases, as a stake account is (docs/program.md, "Who else can move it").
    let small = env.create_vault_buffer(0, 0);
    let lamports = env.lamports(&small);
    assert_ok(&env.execute(&key, &[buffer_close(&small, &vault, &vault)]));
    assert_eq!(spent_of(&env, &attacker, &NATIVE_SOL_MINT).0, lamports);
}

/// And for a deployed program whose upgrade authority is the vault: a session allowed the loader
/// may upgrade it (what allowing the loader is for), but not hand the authority over, and
/// closing it — its rent to any recipient — is charged.
#[test]
fn a_program_the_vault_may_upgrade_keeps_its_authority_and_closing_it_is_charged() {
    let mut env = Env::new();
    let vault = env.vault;
    let (program, program_data) = env.create_vault_program();
    let key = env.create_session(policy_with(
        vec![UPGRADEABLE_LOADER, SYSTEM],
        vec![limit(NATIVE_SOL_MINT, UNLIMITED, SOL / 2)],
        4,
    ));
    let attacker = key.pubkey();
    let watched = snapshot(&env, &[vault, program, program_data]);
    assert!(env.lamports(&program_data) > SOL, "the ELF's rent");

    assert_leash_err(
        &env.execute(
            &key,
            &[loader_set_authority(&program_data, &vault, &attacker)],
        ),
        LeashError::ForbiddenAuthorityChange,
    );
    assert_unchanged(&env, &watched);
    assert_leash_err(
        &env.execute(
            &key,
            &[program_close(&program_data, &attacker, &vault, &program)],
        ),
        LeashError::SpendingLimitExceeded,
    );
    assert_unchanged(&env, &watched);
}

/// Found on the sixth look as an attacker: tokens sent to the vault's associated token account
/// *as if it were a wallet* land in a nested associated account (owned by the vault's account,
/// not by the vault), which only the vault's signature can empty — the ATA program's
/// `RecoverNested` moves them into the vault's account and closes the nested one. Recovered and
/// sent on in one `Execute`, they netted against the vault's own account (in as much as out)
/// and the session was charged nothing. A nested account is debitable by the vault: its
/// decreases are charged, its tokens and its rent alike.
#[test]
fn tokens_recovered_from_a_nested_account_are_charged() {
    // 100 USDC someone sent to the vault's USDC account's address as a wallet.
    let (mut env, key, nested, holder_usdc) = nested_usdc(100 * USDC);
    let vault = env.vault;
    let watched = snapshot(&env, &[vault, env.vault_usdc, nested, holder_usdc]);
    let recover = recover_nested(&vault, &env.usdc, &env.usdc, &TOKEN);
    let take = spl::transfer(&TOKEN, &env.vault_usdc, &holder_usdc, &vault, 100 * USDC);

    // Recovered and sent to the holder in one `Execute`: was charged 0.
    assert_leash_err(
        &env.execute(&key, &[recover.clone(), take]),
        LeashError::PerTxLimitExceeded,
    );
    assert_unchanged(&env, &watched);
    // Recovered alone (the tokens stay the vault's): still charged as they leave the nested
    // account, as a stake withdrawal into the vault is.
    assert_leash_err(
        &env.execute(&key, &[recover]),
        LeashError::PerTxLimitExceeded,
    );
    assert_unchanged(&env, &watched);
    // Another token nested in the vault's USDC account, whose owner account the calls pass
    // read-only and leave as it was: recovered into the vault's account of that token and sent
    // on, it is charged too — to a mint without a limit.
    let other = env.create_mint(&TOKEN, 6);
    let vault_other = env.create_ata(&vault, &other, &TOKEN);
    let vault_usdc = env.vault_usdc;
    let nested_other = env.create_ata(&vault_usdc, &other, &TOKEN);
    env.mint_to(&TOKEN, &other, &nested_other, 50 * USDC);
    let holder_other = env.create_token_account(&key.pubkey(), &other, &TOKEN);
    let watched = snapshot(&env, &[vault, vault_other, nested_other, holder_other]);
    assert_leash_err(
        &env.execute(
            &key,
            &[
                recover_nested(&vault, &env.usdc, &other, &TOKEN),
                spl::transfer(&TOKEN, &vault_other, &holder_other, &vault, 50 * USDC),
            ],
        ),
        LeashError::TokenNotInPolicy,
    );
    assert_unchanged(&env, &watched);

    // Within the limits: 3 USDC recovered and sent on are charged 3 USDC, and the nested
    // account's rent (it lands in the vault) as SOL.
    let (mut env, key, nested, holder_usdc) = nested_usdc(3 * USDC);
    let (vault, vault_usdc) = (env.vault, env.vault_usdc);
    let (rent, vault_lamports) = (env.lamports(&nested), env.lamports(&vault));
    let calls = [
        recover_nested(&vault, &env.usdc, &env.usdc, &TOKEN),
        spl::transfer(&TOKEN, &vault_usdc, &holder_usdc, &vault, 3 * USDC),
    ];
    assert_ok(&env.execute(&key, &calls));
    let holder = key.pubkey();
    assert_eq!(env.token_balance(&holder_usdc), 3 * USDC);
    assert_eq!(env.token_balance(&vault_usdc), 1_000 * USDC);
    assert_eq!(env.lamports(&vault), vault_lamports + rent);
    assert_eq!(spent_of(&env, &holder, &env.usdc).0, 3 * USDC);
    assert_eq!(spent_of(&env, &holder, &NATIVE_SOL_MINT).0, rent);
}

/// The quickstart's limits with the ATA program allowed, and `amount` USDC in the nested
/// associated account of the vault's USDC account: (env, session key, nested account, the
/// holder's USDC account).
fn nested_usdc(amount: u64) -> (Env, Keypair, Pubkey, Pubkey) {
    let mut env = Env::new();
    let usdc = env.usdc;
    let key = env.create_session(policy_with(
        vec![TOKEN, SYSTEM, spl::ASSOCIATED_TOKEN_PROGRAM_ID],
        vec![
            limit(usdc, 5 * USDC, 8 * USDC),
            limit(NATIVE_SOL_MINT, UNLIMITED, SOL / 2),
        ],
        4,
    ));
    let vault_usdc = env.vault_usdc;
    let nested = env.create_ata(&vault_usdc, &usdc, &TOKEN);
    env.mint_to(&TOKEN, &usdc, &nested, amount);
    let holder_usdc = env.create_token_account(&key.pubkey(), &usdc, &TOKEN);
    (env, key, nested, holder_usdc)
}
