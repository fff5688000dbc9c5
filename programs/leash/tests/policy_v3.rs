//! Policy v3 (docs/program.md, "Recipients" and "Instruction rules"): where value may land and
//! which instructions may be called, judged on the real program. Each refusal asserts its error,
//! that nothing moved, and the figures the program logs; each legitimate counterpart passes.

#![allow(clippy::result_large_err)] // LiteSVM's own result type

mod common;

use common::*;
use leash_program::{
    accounting::RecipientViolation,
    calls::InstructionViolation,
    error::LeashError,
    instruction as ix,
    state::{Policy, ProgramRule, Session, SpendLimit, NATIVE_SOL_MINT, SESSION_LAYOUT_VERSION},
};
use leash_sdk::spl;
use solana_keypair::Keypair;
use solana_program::pubkey::Pubkey;
use solana_signer::Signer;
use solana_system_interface::instruction as system_ix;
use spl_token_2022_interface::{
    extension::{transfer_fee::instruction as fee_ix, ExtensionType},
    state::{Account as TokenAccountState, Mint as MintState},
};

const TOKEN: Pubkey = spl::TOKEN_PROGRAM_ID;
const TOKEN_2022: Pubkey = spl::TOKEN_2022_PROGRAM_ID;
const SYSTEM: Pubkey = solana_system_interface::program::ID;
const ATA: Pubkey = spl::ASSOCIATED_TOKEN_PROGRAM_ID;

/// A USDC limit (10 per transaction, 50 in all) that lists `recipients`.
fn usdc_to(env: &Env, recipients: Vec<Pubkey>) -> SpendLimit {
    SpendLimit {
        recipients,
        ..limit(env.usdc, 10 * USDC, 50 * USDC)
    }
}

/// A SOL limit (1 SOL per transaction, 2 in all) that lists `recipients`.
fn sol_to(recipients: Vec<Pubkey>) -> SpendLimit {
    SpendLimit {
        recipients,
        ..limit(NATIVE_SOL_MINT, SOL, 2 * SOL)
    }
}

fn logs(result: &TxResult) -> Vec<String> {
    match result {
        Ok(meta) => meta.logs.clone(),
        Err(failed) => failed.meta.logs.clone(),
    }
}

fn refused_recipient(result: &TxResult) -> (RecipientViolation, Vec<Pubkey>) {
    assert_leash_err(result, LeashError::RecipientNotAllowed);
    let logs = logs(result);
    let violation = logs
        .iter()
        .find_map(|l| RecipientViolation::from_log(l))
        .unwrap_or_else(|| panic!("no RecipientNotAllowed line in {logs:#?}"));
    (violation, RecipientViolation::listed_in_log(&logs))
}

#[test]
fn tokens_land_only_at_listed_owners() {
    let mut env = Env::new();
    let listed = env.recipient;
    let key = env.create_session(policy_with(
        vec![TOKEN, SYSTEM, ATA],
        vec![usdc_to(&env, vec![listed]), sol_to(vec![])],
        4,
    ));
    // To the listed owner's existing account: charged as usual.
    assert_ok(&env.execute(&key, &[env.usdc_out(3 * USDC)]));
    assert_eq!(env.token_balance(&env.recipient_usdc), 3 * USDC);
    assert_eq!(spent_of(&env, &key.pubkey(), &env.usdc).0, 3 * USDC);

    // To a stranger: refused, nothing moved, the account and the listed owner logged.
    let stranger = Pubkey::new_unique();
    let usdc = env.usdc;
    let stranger_usdc = env.create_ata(&stranger, &usdc, &TOKEN);
    let out = spl::transfer(&TOKEN, &env.vault_usdc, &stranger_usdc, &env.vault, USDC);
    let watched = snapshot(&env, &[env.vault_usdc, stranger_usdc, env.vault]);
    let result = env.execute(&key, &[out]);
    let (violation, listed_logged) = refused_recipient(&result);
    assert_eq!(
        violation,
        RecipientViolation {
            mint: env.usdc,
            account: stranger_usdc,
            recipient: stranger,
            amount: USDC,
        }
    );
    assert_eq!(listed_logged, vec![listed]);
    assert_unchanged(&env, &watched);
    assert_eq!(env.session(&key.pubkey()).uses, 1, "a refusal uses nothing");

    // To the listed owner's new associated account, created in the same Execute (the vault
    // pays its rent; the SOL limit lists nobody, so SOL may go anywhere).
    let second = env.create_mint(&TOKEN, 6);
    let vault_second = env.create_ata(&env.vault.clone(), &second, &TOKEN);
    env.mint_to(&TOKEN, &second, &vault_second, 100 * USDC);
    let key = env.create_session(policy_with(
        vec![TOKEN, SYSTEM, ATA],
        vec![
            SpendLimit {
                recipients: vec![listed],
                ..limit(second, 10 * USDC, 50 * USDC)
            },
            sol_to(vec![]),
        ],
        4,
    ));
    let listed_second = spl::associated_token_address(&listed, &second, &TOKEN);
    let create =
        spl::create_associated_token_account_idempotent(&env.vault, &listed, &second, &TOKEN);
    let pay = spl::transfer(&TOKEN, &vault_second, &listed_second, &env.vault, 2 * USDC);
    assert_ok(&env.execute(&key, &[create, pay]));
    assert_eq!(env.token_balance(&listed_second), 2 * USDC);
}

#[test]
fn sol_lands_only_at_listed_accounts_even_through_a_seeded_account() {
    let mut env = Env::new();
    let listed = env.recipient;
    let key = env.create_session(policy_with(vec![SYSTEM], vec![sol_to(vec![listed])], 4));
    assert_ok(&env.execute(&key, &[env.sol_out(SOL / 10)]));
    assert_eq!(env.lamports(&listed), SOL / 10);

    let stranger = Pubkey::new_unique();
    let direct = system_ix::transfer(&env.vault, &stranger, SOL / 10);
    let (violation, _) = refused_recipient(&env.execute(&key, &[direct]));
    assert_eq!(
        (violation.account, violation.recipient, violation.amount),
        (stranger, stranger, SOL / 10)
    );

    // Through an address the vault signs for with a seed: funded from the vault, then paid on
    // with `TransferWithSeed` in the same Execute. The seeded account is not the vault's own
    // value, so both its gain and the stranger's are judged: refused at the first.
    let seed = "leash-v3";
    let seeded = Pubkey::create_with_seed(&env.vault, seed, &SYSTEM).unwrap();
    let fund = system_ix::transfer(&env.vault, &seeded, SOL / 10);
    let pass_on = system_ix::transfer_with_seed(
        &seeded,
        &env.vault,
        seed.to_string(),
        &SYSTEM,
        &stranger,
        SOL / 10,
    );
    let watched = snapshot(&env, &[env.vault, seeded, stranger]);
    let (violation, listed_logged) = refused_recipient(&env.execute(&key, &[fund, pass_on]));
    assert_eq!(violation.mint, NATIVE_SOL_MINT);
    assert!([seeded, stranger].contains(&violation.account));
    assert_eq!(listed_logged, vec![listed]);
    assert_unchanged(&env, &watched);

    // Value already at the seeded address (sent there earlier) and passed on to a stranger.
    env.svm.airdrop(&seeded, SOL / 10).unwrap();
    let pass_on = system_ix::transfer_with_seed(
        &seeded,
        &env.vault,
        seed.to_string(),
        &SYSTEM,
        &stranger,
        SOL / 20,
    );
    let (violation, _) = refused_recipient(&env.execute(&key, &[pass_on]));
    assert_eq!(violation.account, stranger);
}

#[test]
fn a_delegated_pull_lands_only_at_listed_owners() {
    let mut env = Env::new();
    let listed = env.recipient;
    // Someone else's USDC account that delegated 20 USDC to the vault.
    let holder = funded_keypair(&mut env);
    let usdc = env.usdc;
    let holder_usdc = env.create_ata(&holder.pubkey(), &usdc, &TOKEN);
    env.mint_to(&TOKEN, &usdc, &holder_usdc, 50 * USDC);
    let approve = spl::approve(
        &TOKEN,
        &holder_usdc,
        &env.vault,
        &holder.pubkey(),
        20 * USDC,
    );
    assert_ok(&env.send_signed(&[approve], &holder));
    let key = env.create_session(policy_with(
        vec![TOKEN],
        vec![usdc_to(&env, vec![listed])],
        4,
    ));
    let stranger = Pubkey::new_unique();
    let stranger_usdc = env.create_ata(&stranger, &usdc, &TOKEN);
    let pull = spl::transfer(&TOKEN, &holder_usdc, &stranger_usdc, &env.vault, 5 * USDC);
    let watched = snapshot(&env, &[holder_usdc, stranger_usdc]);
    let (violation, _) = refused_recipient(&env.execute(&key, &[pull]));
    assert_eq!(
        (violation.account, violation.recipient),
        (stranger_usdc, stranger)
    );
    assert_unchanged(&env, &watched);
    // The same pull to the listed owner passes and is charged.
    let pull = spl::transfer(
        &TOKEN,
        &holder_usdc,
        &env.recipient_usdc,
        &env.vault,
        5 * USDC,
    );
    assert_ok(&env.execute(&key, &[pull]));
    assert_eq!(spent_of(&env, &key.pubkey(), &usdc).0, 5 * USDC);
}

/// A vault-owned account the attacker handed over with its close authority kept is not the
/// vault's own value: tokens moved into it must be listed like any other destination.
#[test]
fn a_prepared_vault_account_is_not_a_listed_destination() {
    let mut env = Env::new();
    let attacker = funded_keypair(&mut env);
    let usdc = env.usdc;
    let trap = env.create_token_account(&attacker.pubkey(), &usdc, &TOKEN);
    let keep_close = spl::set_authority(
        &TOKEN,
        &trap,
        Some(&attacker.pubkey()),
        spl::AuthorityType::CloseAccount,
        &attacker.pubkey(),
    );
    let hand_over = spl::set_authority(
        &TOKEN,
        &trap,
        Some(&env.vault),
        spl::AuthorityType::AccountOwner,
        &attacker.pubkey(),
    );
    assert_ok(&env.send_signed(&[keep_close, hand_over], &attacker));
    let key = env.create_session(policy_with(
        vec![TOKEN],
        vec![usdc_to(&env, vec![env.recipient])],
        4,
    ));
    let into_trap = spl::transfer(&TOKEN, &env.vault_usdc, &trap, &env.vault, 5 * USDC);
    let (violation, _) = refused_recipient(&env.execute(&key, &[into_trap]));
    assert_eq!((violation.account, violation.recipient), (trap, env.vault));
}

#[test]
fn a_token_2022_transfer_with_fee_lands_at_the_listed_owner() {
    let mut env = Env::new();
    let vault = env.vault;
    let authority = env.mint_authority.pubkey();
    let mint_len =
        ExtensionType::try_calculate_account_len::<MintState>(&[ExtensionType::TransferFeeConfig])
            .unwrap();
    let mint = env.create_mint_2022_ext(
        &TOKEN_2022,
        mint_len,
        |mint| {
            vec![fee_ix::initialize_transfer_fee_config(
                &TOKEN_2022,
                mint,
                None,
                None,
                100, // 1%
                1_000_000,
            )
            .unwrap()]
        },
        6,
        &authority,
        None,
    );
    let account_len = ExtensionType::try_calculate_account_len::<TokenAccountState>(&[
        ExtensionType::TransferFeeAmount,
    ])
    .unwrap();
    let vault_account = env.create_token_account_len(&vault, &mint, &TOKEN_2022, account_len);
    env.mint_to(&TOKEN_2022, &mint, &vault_account, 100 * USDC);
    let listed = env.recipient;
    let listed_account = env.create_token_account_len(&listed, &mint, &TOKEN_2022, account_len);
    let stranger = Pubkey::new_unique();
    let stranger_account = env.create_token_account_len(&stranger, &mint, &TOKEN_2022, account_len);
    let key = env.create_session(policy_with(
        vec![TOKEN_2022],
        vec![SpendLimit {
            recipients: vec![listed],
            ..limit(mint, 10 * USDC, 50 * USDC)
        }],
        4,
    ));
    let pay = |to: &Pubkey| {
        fee_ix::transfer_checked_with_fee(
            &TOKEN_2022,
            &vault_account,
            &mint,
            to,
            &vault,
            &[],
            10 * USDC,
            6,
            USDC / 10,
        )
        .unwrap()
    };
    assert_ok(&env.execute(&key, &[pay(&listed_account)]));
    // The listed owner gained the amount less the fee withheld in its account; the session is
    // charged the whole amount that left.
    assert_eq!(env.token_balance(&listed_account), 10 * USDC - USDC / 10);
    assert_eq!(spent_of(&env, &key.pubkey(), &mint).0, 10 * USDC);
    let (violation, _) = refused_recipient(&env.execute(&key, &[pay(&stranger_account)]));
    assert_eq!(
        (violation.account, violation.amount),
        (stranger_account, 10 * USDC - USDC / 10)
    );
}

#[test]
fn instruction_rules_refuse_unlisted_instructions_before_any_call() {
    let mut env = Env::new();
    let rule = ProgramRule {
        program: TOKEN,
        prefixes: vec![vec![12]], // transfer_checked
    };
    let key = env.create_session(Policy {
        program_rules: vec![rule],
        ..policy(&env)
    });
    let checked = spl::transfer_checked(
        &TOKEN,
        &env.vault_usdc,
        &env.usdc,
        &env.recipient_usdc,
        &env.vault,
        USDC,
        6,
    );
    assert_ok(&env.execute(&key, std::slice::from_ref(&checked)));

    // `transfer` (3) is not listed: refused with the program and the data's first bytes.
    let watched = snapshot(&env, &[env.vault_usdc, env.recipient_usdc]);
    let result = env.execute(&key, &[env.usdc_out(USDC)]);
    assert_leash_err(&result, LeashError::InstructionNotAllowed);
    let logs = logs(&result);
    let violation = logs
        .iter()
        .find_map(|l| InstructionViolation::from_log(l))
        .expect("an InstructionNotAllowed line");
    assert_eq!(violation.program, TOKEN);
    assert_eq!(violation.data[0], 3);
    assert_eq!(InstructionViolation::allowed_in_log(&logs), vec![vec![12]]);
    // Before any call ran: no inner invocation in the logs.
    assert!(
        !logs
            .iter()
            .any(|l| l.contains(&format!("Program {TOKEN} invoke"))),
        "{logs:#?}"
    );
    assert_unchanged(&env, &watched);

    // A Batch is judged by what it carries: all transfer_checked passes, one transfer fails.
    let all_checked = token_batch(&TOKEN, &[checked.clone(), checked.clone()]);
    assert_ok(&env.execute(&key, &[all_checked]));
    let mixed = token_batch(&TOKEN, &[checked, env.usdc_out(USDC)]);
    assert_leash_err(
        &env.execute(&key, &[mixed]),
        LeashError::InstructionNotAllowed,
    );
    // A program without a rule keeps every instruction.
    assert_ok(&env.execute(&key, &[env.sol_out(SOL / 100)]));
}

#[test]
fn policies_with_rules_are_validated_on_chain() {
    let mut env = Env::new();
    let owner = env.owner.insecure_clone();
    let create = |env: &Env, policy: Policy| {
        ix::create_session(
            &env.program_id,
            &owner.pubkey(),
            &owner.pubkey(),
            &env.wallet,
            &Keypair::new().pubkey(),
            policy,
        )
    };
    // A rule for a program the policy does not allow.
    let unlisted = Policy {
        program_rules: vec![ProgramRule {
            program: ATA,
            prefixes: vec![vec![1]],
        }],
        ..policy(&env)
    };
    let ix = create(&env, unlisted);
    assert_leash_err(&env.owner_send(&[ix]), LeashError::InvalidPolicy);
    // Nine recipients on one limit.
    let mut crowded = policy(&env);
    crowded.limits[0].recipients = (0..9).map(|_| Pubkey::new_unique()).collect();
    let ix = create(&env, crowded);
    assert_leash_err(&env.owner_send(&[ix]), LeashError::InvalidPolicy);
    // An empty prefix.
    let empty = Policy {
        program_rules: vec![ProgramRule {
            program: TOKEN,
            prefixes: vec![vec![]],
        }],
        ..policy(&env)
    };
    let ix = create(&env, empty);
    assert_leash_err(&env.owner_send(&[ix]), LeashError::InvalidPolicy);
}

/// Sessions created before policy v3 are stored in layout version 1: they stay readable and
/// executable, revoke in place, and `UpdateSession` moves them to version 2.
#[test]
fn version_1_sessions_keep_working_and_update_moves_them_to_version_2() {
    let mut env = Env::new();
    let key = env.create_session(policy(&env));
    let address = env.session_address(&key.pubkey());
    let session = env.session(&key.pubkey());
    assert_eq!(session.version, SESSION_LAYOUT_VERSION);
    // Rewrite it as an older program would have stored it.
    let v1 = session.encode_v1().expect("no v3 rules");
    let mut account = env.account(&address).unwrap();
    assert_eq!(
        v1.len() + 4 * session.policy.limits.len() + 4,
        account.data.len()
    );
    account.data = v1.clone();
    env.svm.set_account(address, account).unwrap();
    assert_eq!(env.session(&key.pubkey()).version, 1);

    assert_ok(&env.execute(&key, &[env.usdc_out(2 * USDC)]));
    let used: Session = env.session(&key.pubkey());
    assert_eq!((used.version, used.uses), (1, 1));
    assert_eq!(spent_of(&env, &key.pubkey(), &env.usdc).0, 2 * USDC);
    assert_eq!(env.account(&address).unwrap().data.len(), v1.len());

    // The owner narrows it to a listed recipient: the session moves to version 2, keeps its
    // counters, and the new rule holds.
    let owner = env.owner.insecure_clone();
    let mut narrowed = policy(&env);
    narrowed.limits[0].recipients = vec![env.recipient];
    let update = ix::update_session(
        &env.program_id,
        &owner.pubkey(),
        &env.wallet,
        &address,
        &owner.pubkey(),
        narrowed.clone(),
        Some(1),
    );
    assert_ok(&env.owner_send(&[update]));
    let moved = env.session(&key.pubkey());
    assert_eq!(moved.version, SESSION_LAYOUT_VERSION);
    assert_eq!(moved.policy, narrowed);
    assert_eq!(spent_of(&env, &key.pubkey(), &env.usdc).0, 2 * USDC);
    let stranger = Pubkey::new_unique();
    let usdc = env.usdc;
    let stranger_usdc = env.create_ata(&stranger, &usdc, &TOKEN);
    let out = spl::transfer(&TOKEN, &env.vault_usdc, &stranger_usdc, &env.vault, USDC);
    assert_leash_err(&env.execute(&key, &[out]), LeashError::RecipientNotAllowed);

    // A version-1 session revokes in place.
    let other = env.create_session(policy(&env));
    let other_address = env.session_address(&other.pubkey());
    let mut account = env.account(&other_address).unwrap();
    account.data = env.session(&other.pubkey()).encode_v1().unwrap();
    env.svm.set_account(other_address, account).unwrap();
    let revoke = ix::revoke_session(
        &env.program_id,
        &owner.pubkey(),
        &env.wallet,
        &other_address,
    );
    assert_ok(&env.owner_send(&[revoke]));
    let revoked = env.session(&other.pubkey());
    assert!(revoked.revoked);
    assert_eq!(revoked.version, 1);
    assert_leash_err(
        &env.execute(&other, &[env.usdc_out(USDC)]),
        LeashError::SessionRevoked,
    );
}
