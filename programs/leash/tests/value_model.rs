//! Value model v2 (docs/program.md, "The value model", with the exact rules): one regression test per
//! finding of issue 7, each asserting the exact error the program returns and that a refused
//! transaction moved nothing, plus the legitimate counterpart charged exactly what moved.

#![allow(clippy::result_large_err)] // LiteSVM's own result type

mod common;

use common::*;
use leash_program::{
    error::LeashError,
    instruction as ix,
    state::{SpendLimit, NATIVE_SOL_MINT, UNLIMITED},
};
use leash_sdk::spl;
use solana_keypair::Keypair;
use solana_program::{instruction::Instruction, pubkey::Pubkey};
use solana_signer::Signer;
use solana_system_interface::instruction as system_ix;
use spl_token_2022_interface::{
    extension::{
        memo_transfer::instruction as memo_ix, transfer_fee::instruction as fee_ix, ExtensionType,
    },
    instruction as t22,
    state::{Account as TokenAccountState, Mint as MintState},
};

const TOKEN: Pubkey = spl::TOKEN_PROGRAM_ID;
const TOKEN_2022: Pubkey = spl::TOKEN_2022_PROGRAM_ID;
const SYSTEM: Pubkey = solana_system_interface::program::ID;

/// A Token-2022 builder's instruction sent to SPL Token instead (same wire format).
fn on_spl_token(mut ix: Instruction) -> Instruction {
    ix.program_id = TOKEN;
    ix
}

fn usdc_limit(env: &Env) -> SpendLimit {
    limit(env.usdc, 10 * USDC, 50 * USDC)
}

/// A policy allowing `programs` whose only limit is the USDC one.
fn usdc_only(env: &Env, programs: Vec<Pubkey>) -> leash_program::state::Policy {
    policy_with(programs, vec![usdc_limit(env)], 4)
}

fn mint_len(extensions: &[ExtensionType]) -> usize {
    ExtensionType::try_calculate_account_len::<MintState>(extensions).unwrap()
}

fn account_len(extensions: &[ExtensionType]) -> usize {
    ExtensionType::try_calculate_account_len::<TokenAccountState>(extensions).unwrap()
}

// ---- 1. Mint authority ------------------------------------------------------------------------

#[test]
fn vault_mint_authority_cannot_mint_or_hand_off_authorities() {
    let mut env = Env::new();
    let vault = env.vault;
    let mint = env.create_mint_with(&TOKEN, 6, &vault, Some(&vault));
    let outsider = Pubkey::new_unique();
    let outsider_account = env.create_ata(&outsider, &mint, &TOKEN);
    let key = env.create_session(usdc_only(&env, vec![TOKEN]));
    let watched = snapshot(&env, &[mint, outsider_account]);

    let mint_ix = spl::mint_to(&TOKEN, &mint, &outsider_account, &vault, 10u64.pow(15));
    assert_leash_err(&env.execute(&key, &[mint_ix]), LeashError::TokenNotInPolicy);
    for authority_type in [
        spl::AuthorityType::MintTokens,
        spl::AuthorityType::FreezeAccount,
    ] {
        let hand_off = spl::set_authority(&TOKEN, &mint, Some(&outsider), authority_type, &vault);
        assert_leash_err(
            &env.execute(&key, &[hand_off]),
            LeashError::ForbiddenAuthorityChange,
        );
    }
    assert_unchanged(&env, &watched);
    assert_eq!(env.session(&key.pubkey()).uses, 0);
}

#[test]
fn minting_with_a_limit_is_charged_the_supply_increase() {
    let mut env = Env::new();
    let vault = env.vault;
    let mint = env.create_mint_with(&TOKEN, 6, &vault, None);
    let outsider_account = env.create_ata(&Pubkey::new_unique(), &mint, &TOKEN);
    let key = env.create_session(policy_with(vec![TOKEN], vec![limit(mint, 100, 1_000)], 4));
    let mint_ix = |amount| spl::mint_to(&TOKEN, &mint, &outsider_account, &vault, amount);

    assert_ok(&env.execute(&key, &[mint_ix(60)]));
    assert_eq!(env.supply(&mint), 60);
    assert_eq!(spent_of(&env, &key.pubkey(), &mint).0, 60);

    let watched = snapshot(&env, &[mint, outsider_account]);
    assert_leash_err(
        &env.execute(&key, &[mint_ix(101)]),
        LeashError::PerTxLimitExceeded,
    );
    assert_unchanged(&env, &watched);
    assert_eq!(spent_of(&env, &key.pubkey(), &mint).0, 60);
}

// ---- 2. Delegations to the vault --------------------------------------------------------------

/// A third party's USDC account holding `balance`, with the vault approved for `delegated`.
fn delegated_to_vault(env: &mut Env, balance: u64, delegated: u64) -> Pubkey {
    let third = funded_keypair(env);
    let usdc = env.usdc;
    let account = env.create_token_account(&third.pubkey(), &usdc, &TOKEN);
    env.mint_to(&TOKEN, &usdc, &account, balance);
    let vault = env.vault;
    let approve = spl::approve(&TOKEN, &account, &vault, &third.pubkey(), delegated);
    assert_ok(&env.send_signed(&[approve], &third));
    account
}

#[test]
fn transfers_through_a_delegation_to_the_vault_are_charged() {
    let mut env = Env::new();
    let delegated = delegated_to_vault(&mut env, 500 * USDC, 500 * USDC);
    let key = env.create_session(policy(&env));
    let (vault, recipient_usdc, usdc) = (env.vault, env.recipient_usdc, env.usdc);
    let through_delegation =
        |amount| spl::transfer(&TOKEN, &delegated, &recipient_usdc, &vault, amount);
    let watched = snapshot(&env, &[delegated, recipient_usdc, env.vault_usdc]);

    assert_leash_err(
        &env.execute(&key, &[through_delegation(500 * USDC)]),
        LeashError::PerTxLimitExceeded,
    );
    assert_unchanged(&env, &watched);

    assert_ok(&env.execute(&key, &[through_delegation(10 * USDC)]));
    assert_eq!(env.token_balance(&delegated), 490 * USDC);
    assert_eq!(env.token_balance(&recipient_usdc), 10 * USDC);
    assert_eq!(spent_of(&env, &key.pubkey(), &usdc).0, 10 * USDC);
}

#[test]
fn a_delegation_spent_to_zero_is_charged_only_what_moved() {
    let mut env = Env::new();
    // 500 in the account, 7 delegated: spending the 7 clears the delegate (SPL Token).
    let delegated = delegated_to_vault(&mut env, 500 * USDC, 7 * USDC);
    let key = env.create_session(policy(&env));
    let transfer = spl::transfer(
        &TOKEN,
        &delegated,
        &env.recipient_usdc,
        &env.vault,
        7 * USDC,
    );
    assert_ok(&env.execute(&key, &[transfer]));
    let data = env.data(&delegated);
    assert_eq!(&data[72..76], &[0, 0, 0, 0], "the delegate is cleared");
    assert_eq!(env.token_balance(&delegated), 493 * USDC);
    assert_eq!(spent_of(&env, &key.pubkey(), &env.usdc).0, 7 * USDC);
}

// ---- 3. Token-2022 permanent delegate = vault -------------------------------------------------

/// A Token-2022 mint whose permanent delegate is the vault; a third party's account of it
/// holding 1 000 and an outsider's empty one.
fn permanent_delegate_setup(env: &mut Env) -> (Pubkey, Pubkey, Pubkey) {
    let vault = env.vault;
    let authority = env.mint_authority.pubkey();
    let mint = env.create_mint_2022_ext(
        &TOKEN_2022,
        mint_len(&[ExtensionType::PermanentDelegate]),
        |mint| vec![t22::initialize_permanent_delegate(&TOKEN_2022, mint, &vault).unwrap()],
        6,
        &authority,
        None,
    );
    let third_account = env.create_ata(&Pubkey::new_unique(), &mint, &TOKEN_2022);
    env.mint_to(&TOKEN_2022, &mint, &third_account, 1_000);
    let outsider_account = env.create_ata(&Pubkey::new_unique(), &mint, &TOKEN_2022);
    (mint, third_account, outsider_account)
}

/// Value the vault destroys as permanent delegate left what it controls: charged.
#[test]
fn permanent_delegate_burns_are_charged() {
    let mut env = Env::new();
    let vault = env.vault;
    let (mint, third_account, _) = permanent_delegate_setup(&mut env);
    let burn = |amount| spl::burn(&TOKEN_2022, &third_account, &mint, &vault, amount);
    let watched = snapshot(&env, &[third_account, mint]);

    let limited = env.create_session(policy_with(
        vec![TOKEN_2022],
        vec![limit(mint, UNLIMITED, 100)],
        4,
    ));
    assert_leash_err(
        &env.execute(&limited, &[burn(777)]),
        LeashError::SpendingLimitExceeded,
    );
    let unlisted = env.create_session(usdc_only(&env, vec![TOKEN_2022]));
    assert_leash_err(
        &env.execute(&unlisted, &[burn(777)]),
        LeashError::TokenNotInPolicy,
    );
    assert_unchanged(&env, &watched);

    assert_ok(&env.execute(&limited, &[burn(60)]));
    assert_eq!(env.token_balance(&third_account), 940);
    assert_eq!(spent_of(&env, &limited.pubkey(), &mint).0, 60);
}

/// Finding 3 as the issue states it: 777 moved by the vault, as permanent delegate, from a
/// third party's account to an outsider's. Both accounts are the permanent delegate's to move,
/// but only the vault's own accounts are netted: the third party's loss is charged account by
/// account, the outsider's gain is not subtracted (it is theirs to spend).
#[test]
fn permanent_delegate_transfers_to_an_outsider_are_charged() {
    let mut env = Env::new();
    let vault = env.vault;
    let (mint, third_account, outsider_account) = permanent_delegate_setup(&mut env);
    let take = |amount| {
        spl::transfer_checked(
            &TOKEN_2022,
            &third_account,
            &mint,
            &outsider_account,
            &vault,
            amount,
            6,
        )
    };
    let watched = snapshot(&env, &[third_account, outsider_account]);
    let limited = env.create_session(policy_with(
        vec![TOKEN_2022],
        vec![limit(mint, UNLIMITED, 100)],
        4,
    ));
    assert_leash_err(
        &env.execute(&limited, &[take(777)]),
        LeashError::SpendingLimitExceeded,
    );
    let unlisted = env.create_session(usdc_only(&env, vec![TOKEN_2022]));
    assert_leash_err(
        &env.execute(&unlisted, &[take(777)]),
        LeashError::TokenNotInPolicy,
    );
    assert_unchanged(&env, &watched);
}

// ---- 4. Seeded addresses ----------------------------------------------------------------------

#[test]
fn transfers_out_of_the_vaults_seeded_addresses_are_charged_as_sol() {
    let mut env = Env::new();
    let vault = env.vault;
    let seeded = Pubkey::create_with_seed(&vault, "savings", &SYSTEM).unwrap();
    env.svm.airdrop(&seeded, 5 * SOL).unwrap();
    let recipient = env.recipient;
    let out = |lamports| {
        system_ix::transfer_with_seed(
            &seeded,
            &vault,
            "savings".to_string(),
            &SYSTEM,
            &recipient,
            lamports,
        )
    };
    let watched = snapshot(&env, &[seeded, recipient, vault]);

    let no_sol = env.create_session(usdc_only(&env, vec![SYSTEM]));
    assert_leash_err(
        &env.execute(&no_sol, &[out(5 * SOL)]),
        LeashError::TokenNotInPolicy,
    );
    let one_sol_per_tx = env.create_session(policy(&env));
    assert_leash_err(
        &env.execute(&one_sol_per_tx, &[out(2 * SOL)]),
        LeashError::PerTxLimitExceeded,
    );
    assert_unchanged(&env, &watched);

    assert_ok(&env.execute(&one_sol_per_tx, &[out(SOL / 2)]));
    assert_eq!(env.lamports(&seeded), 5 * SOL - SOL / 2);
    assert_eq!(
        spent_of(&env, &one_sol_per_tx.pubkey(), &NATIVE_SOL_MINT).0,
        SOL / 2
    );
}

// ---- 5. Rent above the minimum in a vault token account ---------------------------------------

#[test]
fn withdrawing_excess_lamports_of_a_vault_token_account_is_charged_as_sol() {
    let mut env = Env::new();
    let (vault, vault_usdc, recipient) = (env.vault, env.vault_usdc, env.recipient);
    let owner = env.owner.pubkey();
    assert_ok(&env.owner_send(&[system_ix::transfer(&owner, &vault_usdc, 2 * SOL)]));
    let rent = env.svm.minimum_balance_for_rent_exemption(spl::ACCOUNT_LEN);
    assert_eq!(env.lamports(&vault_usdc), rent + 2 * SOL);
    let withdraw = on_spl_token(
        t22::withdraw_excess_lamports(&TOKEN_2022, &vault_usdc, &recipient, &vault, &[]).unwrap(),
    );
    let watched = snapshot(&env, &[vault_usdc, recipient, vault]);

    let no_sol = env.create_session(usdc_only(&env, vec![TOKEN]));
    assert_leash_err(
        &env.execute(&no_sol, std::slice::from_ref(&withdraw)),
        LeashError::TokenNotInPolicy,
    );
    assert_unchanged(&env, &watched);

    let with_sol = env.create_session(policy_with(
        vec![TOKEN],
        vec![usdc_limit(&env), limit(NATIVE_SOL_MINT, 3 * SOL, 10 * SOL)],
        4,
    ));
    assert_ok(&env.execute(&with_sol, &[withdraw]));
    assert_eq!(env.lamports(&vault_usdc), rent);
    assert_eq!(env.lamports(&recipient), 2 * SOL);
    assert_eq!(
        spent_of(&env, &with_sol.pubkey(), &NATIVE_SOL_MINT).0,
        2 * SOL
    );
}

// ---- 6. Batch ---------------------------------------------------------------------------------

#[test]
fn each_instruction_of_a_token_batch_counts_as_a_call() {
    let mut env = Env::new();
    let transfers: Vec<Instruction> = (0..3).map(|_| env.usdc_out(USDC)).collect();
    let batch = token_batch(&TOKEN, &transfers);
    let watched = snapshot(&env, &[env.vault_usdc, env.recipient_usdc]);

    let one_call = env.create_session(policy_with(vec![TOKEN], vec![usdc_limit(&env)], 1));
    assert_leash_err(
        &env.execute(&one_call, std::slice::from_ref(&batch)),
        LeashError::TooManyCalls,
    );
    assert_unchanged(&env, &watched);

    let three_calls = env.create_session(policy_with(vec![TOKEN], vec![usdc_limit(&env)], 3));
    assert_ok(&env.execute(&three_calls, &[batch]));
    assert_eq!(env.token_balance(&env.recipient_usdc), 3 * USDC);
    assert_eq!(spent_of(&env, &three_calls.pubkey(), &env.usdc).0, 3 * USDC);
}

// ---- 7. Clock rewind --------------------------------------------------------------------------

#[test]
fn a_clock_set_back_does_not_reopen_an_earlier_window() {
    let mut env = Env::new();
    let periodic = SpendLimit {
        recipients: vec![],
        mint: env.usdc,
        per_tx: 10 * USDC,
        total: UNLIMITED,
        period_secs: 100,
        per_period: 10 * USDC,
    };
    let key = env.create_session(policy_with(vec![TOKEN], vec![periodic], 4));
    assert_eq!(env.session(&key.pubkey()).created_at, START_TIME);
    let out = env.usdc_out(10 * USDC);

    assert_ok(&env.execute(&key, std::slice::from_ref(&out)));
    env.set_time(START_TIME + 100);
    assert_ok(&env.execute(&key, std::slice::from_ref(&out)));
    env.set_time(START_TIME + 50);
    let watched = snapshot(&env, &[env.vault_usdc, env.recipient_usdc]);
    assert_leash_err(
        &env.execute(&key, std::slice::from_ref(&out)),
        LeashError::PeriodLimitExceeded,
    );
    assert_unchanged(&env, &watched);
    assert_eq!(
        spent_of(&env, &key.pubkey(), &env.usdc),
        (20 * USDC, 1, 10 * USDC)
    );
}

// ---- 8. Griefing without spending -------------------------------------------------------------

#[test]
fn session_cannot_require_memos_on_a_vault_token_2022_account() {
    let mut env = Env::new();
    let (vault, wallet, owner) = (env.vault, env.wallet, env.owner.pubkey());
    let authority = env.mint_authority.pubkey();
    let mint = env.create_mint_with(&TOKEN_2022, 6, &authority, None);
    let account = env.create_token_account_len(
        &vault,
        &mint,
        &TOKEN_2022,
        account_len(&[ExtensionType::MemoTransfer]),
    );
    // The owner allocates the extension (enable, then disable): memos are not required.
    let enable =
        memo_ix::enable_required_transfer_memos(&TOKEN_2022, &account, &vault, &[]).unwrap();
    let disable =
        memo_ix::disable_required_transfer_memos(&TOKEN_2022, &account, &vault, &[]).unwrap();
    assert_ok(&env.owner_send(&[ix::owner_execute(
        &env.program_id,
        &owner,
        &wallet,
        &[enable.clone(), disable],
    )]));
    let key = env.create_session(usdc_only(&env, vec![TOKEN_2022]));
    let watched = snapshot(&env, &[account]);
    assert_leash_err(
        &env.execute(&key, &[enable]),
        LeashError::ForbiddenAuthorityChange,
    );
    assert_unchanged(&env, &watched);
}

#[test]
fn session_cannot_reallocate_a_vault_token_2022_account() {
    let mut env = Env::new();
    let vault = env.vault;
    let authority = env.mint_authority.pubkey();
    let mint = env.create_mint_with(&TOKEN_2022, 6, &authority, None);
    let account = env.create_token_account(&vault, &mint, &TOKEN_2022);
    let realloc = t22::reallocate(
        &TOKEN_2022,
        &account,
        &vault,
        &vault,
        &[],
        &[ExtensionType::MemoTransfer],
    )
    .unwrap();
    let key = env.create_session(policy_with(
        vec![TOKEN_2022],
        vec![limit(NATIVE_SOL_MINT, SOL, SOL)],
        4,
    ));
    let watched = snapshot(&env, &[account, vault]);
    assert_leash_err(
        &env.execute(&key, &[realloc]),
        LeashError::ForbiddenAuthorityChange,
    );
    assert_unchanged(&env, &watched);
}

#[test]
fn session_cannot_revoke_an_owner_set_delegate() {
    let mut env = Env::new();
    let (vault, wallet, vault_usdc, owner) =
        (env.vault, env.wallet, env.vault_usdc, env.owner.pubkey());
    let delegate = Pubkey::new_unique();
    let approve = spl::approve(&TOKEN, &vault_usdc, &delegate, &vault, 100 * USDC);
    assert_ok(&env.owner_send(&[ix::owner_execute(
        &env.program_id,
        &owner,
        &wallet,
        &[approve],
    )]));
    let key = env.create_session(policy(&env));
    let revoke = on_spl_token(t22::revoke(&TOKEN_2022, &vault_usdc, &vault, &[]).unwrap());
    let watched = snapshot(&env, &[vault_usdc]);
    assert_leash_err(
        &env.execute(&key, &[revoke]),
        LeashError::ForbiddenAuthorityChange,
    );
    assert_unchanged(&env, &watched);
}

#[test]
fn session_cannot_approve_reassign_or_close_vault_token_accounts() {
    let mut env = Env::new();
    let (vault, vault_usdc, usdc) = (env.vault, env.vault_usdc, env.usdc);
    let attacker = Pubkey::new_unique();
    let empty = env.create_token_account(&vault, &usdc, &TOKEN);
    let key = env.create_session(policy(&env));
    let attempts = [
        spl::approve(&TOKEN, &vault_usdc, &attacker, &vault, 1),
        spl::set_authority(
            &TOKEN,
            &vault_usdc,
            Some(&attacker),
            spl::AuthorityType::AccountOwner,
            &vault,
        ),
        spl::close_account(&TOKEN, &empty, &attacker, &vault),
    ];
    let watched = snapshot(&env, &[vault_usdc, empty, attacker]);
    for attempt in attempts {
        assert_leash_err(
            &env.execute(&key, &[attempt]),
            LeashError::ForbiddenAuthorityChange,
        );
    }
    assert_unchanged(&env, &watched);
}

#[test]
fn session_cannot_freeze_accounts_of_a_mint_the_vault_freezes() {
    let mut env = Env::new();
    let vault = env.vault;
    let authority = env.mint_authority.pubkey();
    let mint = env.create_mint_with(&TOKEN, 6, &authority, Some(&vault));
    let third_account = env.create_ata(&Pubkey::new_unique(), &mint, &TOKEN);
    env.mint_to(&TOKEN, &mint, &third_account, 1_000);
    let key = env.create_session(usdc_only(&env, vec![TOKEN]));
    let freeze =
        on_spl_token(t22::freeze_account(&TOKEN_2022, &third_account, &mint, &vault, &[]).unwrap());
    let watched = snapshot(&env, &[third_account, mint]);
    assert_leash_err(
        &env.execute(&key, &[freeze]),
        LeashError::ForbiddenAuthorityChange,
    );
    assert_unchanged(&env, &watched);
}

#[test]
fn sol_stranded_in_the_wallet_account_is_swept_by_the_owner_only() {
    let mut env = Env::new();
    let (vault, wallet, recipient) = (env.vault, env.wallet, env.recipient);
    let key = env.create_session(policy(&env));
    let wallet_rent = env
        .svm
        .minimum_balance_for_rent_exemption(env.data(&wallet).len());
    assert_eq!(env.lamports(&wallet), wallet_rent);

    // The session strands half a SOL in the wallet account: charged as SOL, within the limit.
    let strand = system_ix::transfer(&vault, &wallet, SOL / 2);
    assert_ok(&env.execute(&key, &[strand]));
    assert_eq!(env.lamports(&wallet), wallet_rent + SOL / 2);
    assert_eq!(spent_of(&env, &key.pubkey(), &NATIVE_SOL_MINT).0, SOL / 2);

    // A stranger cannot sweep.
    let stranger = funded_keypair(&mut env);
    let sweep = ix::sweep_lamports(
        &env.program_id,
        &stranger.pubkey(),
        &wallet,
        &stranger.pubkey(),
        &[],
    );
    assert_leash_err(
        &env.send(&[sweep], &stranger, &[]),
        LeashError::Unauthorized,
    );
    // The owner cannot list another wallet's session.
    let other_owner = funded_keypair(&mut env);
    let (other_wallet, _) = env.create_wallet_for(&other_owner, [7; 32]);
    let other_key = Pubkey::new_unique();
    let create_other = ix::create_session(
        &env.program_id,
        &other_owner.pubkey(),
        &other_owner.pubkey(),
        &other_wallet,
        &other_key,
        policy(&env),
    );
    assert_ok(&env.send(&[create_other], &other_owner, &[]));
    let other_session =
        leash_program::state::session_address(&other_wallet, &other_key, &env.program_id).0;
    let owner = env.owner.pubkey();
    let sweep = ix::sweep_lamports(
        &env.program_id,
        &owner,
        &wallet,
        &recipient,
        &[other_session],
    );
    assert_leash_err(&env.owner_send(&[sweep]), LeashError::WalletMismatch);
    assert_eq!(env.lamports(&wallet), wallet_rent + SOL / 2);

    // The owner recovers it.
    let sweep = ix::sweep_lamports(&env.program_id, &owner, &wallet, &recipient, &[]);
    assert_ok(&env.owner_send(&[sweep]));
    assert_eq!(env.lamports(&wallet), wallet_rent);
    assert_eq!(env.lamports(&recipient), SOL / 2);
}

// ---- 9. Edges ---------------------------------------------------------------------------------

/// Key bytes laid out so that a Token-2022 multisig (m = 1, n = 6) over them reads, at token
/// account offsets, as an initialized Token-2022 account of `mint` owned by `owner` holding
/// `amount`: mint at 0..32 is `[m, n, 1, signer0[..29]]`, owner at 32..64, amount at 64..72,
/// delegate tag at 72..76 = 0, state at 108 = 1, close tag at 129..133 = 0, byte 165 = 2.
fn disguised_multisig_signers(owner: &Pubkey, amount: u64) -> (Pubkey, Vec<Pubkey>) {
    let mut image = [0u8; MULTISIG_LEN];
    for (i, b) in image.iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(31).wrapping_add(7);
    }
    image[0] = 1; // m
    image[1] = 6; // n
    image[2] = 1; // is_initialized
    image[32..64].copy_from_slice(owner.as_ref());
    image[64..72].copy_from_slice(&amount.to_le_bytes());
    image[72..76].fill(0);
    image[108] = 1;
    image[129..133].fill(0);
    image[165] = 2;
    let mint = Pubkey::new_from_array(image[0..32].try_into().unwrap());
    let signers = (0..6)
        .map(|i| Pubkey::new_from_array(image[3 + 32 * i..35 + 32 * i].try_into().unwrap()))
        .collect();
    (mint, signers)
}

#[test]
fn a_multisig_is_never_read_as_a_vault_token_account() {
    let mut env = Env::new();
    let vault = env.vault;
    // The disguised multisig would read as a vault account of `mint` holding 1 000 units.
    let (mint, signers) = disguised_multisig_signers(&vault, 1_000 * USDC);
    // Put a real SPL Token mint at that address (its address is all the token program checks).
    let template = env.create_mint(&TOKEN, 6);
    let template = env.account(&template).unwrap();
    env.svm.set_account(mint, template).unwrap();
    let vault_account = env.create_ata(&vault, &mint, &TOKEN);
    env.mint_to(&TOKEN, &mint, &vault_account, 1_000 * USDC);
    let recipient_account = env.create_ata(&env.recipient.clone(), &mint, &TOKEN);

    let seed = "mask";
    let multisig = Pubkey::create_with_seed(&vault, seed, &TOKEN_2022).unwrap();
    let rent = env.svm.minimum_balance_for_rent_exemption(MULTISIG_LEN);
    let calls = |amount| {
        vec![
            system_ix::create_account_with_seed(
                &vault,
                &multisig,
                &vault,
                seed,
                rent,
                MULTISIG_LEN as u64,
                &TOKEN_2022,
            ),
            initialize_multisig2(&TOKEN_2022, &multisig, &signers, 1),
            spl::transfer(&TOKEN, &vault_account, &recipient_account, &vault, amount),
        ]
    };
    let key = env.create_session(policy_with(
        vec![SYSTEM, TOKEN, TOKEN_2022],
        vec![
            limit(mint, 10 * USDC, 50 * USDC),
            limit(NATIVE_SOL_MINT, SOL, 2 * SOL),
        ],
        4,
    ));
    let watched = snapshot(&env, &[vault_account, recipient_account, multisig, vault]);
    assert_leash_err(
        &env.execute(&key, &calls(500 * USDC)),
        LeashError::PerTxLimitExceeded,
    );
    assert_unchanged(&env, &watched);

    assert_ok(&env.execute(&key, &calls(10 * USDC)));
    let created = env.data(&multisig);
    assert_eq!(created.len(), MULTISIG_LEN);
    assert_eq!(&created[32..64], vault.as_ref(), "the disguise is in place");
    assert_eq!(created[165], 2);
    assert_eq!(spent_of(&env, &key.pubkey(), &mint).0, 10 * USDC);
    assert_eq!(spent_of(&env, &key.pubkey(), &NATIVE_SOL_MINT).0, rent);
}

#[test]
fn an_unlimited_total_saturates_instead_of_overflowing() {
    let mut env = Env::new();
    let vault = env.vault;
    let mint = env.create_mint(&TOKEN, 0);
    let vault_account = env.create_ata(&vault, &mint, &TOKEN);
    env.mint_to(&TOKEN, &mint, &vault_account, u64::MAX);
    let outsider = funded_keypair(&mut env);
    let outsider_account = env.create_ata(&outsider.pubkey(), &mint, &TOKEN);
    let key = env.create_session(policy_with(
        vec![TOKEN],
        vec![SpendLimit::unlimited(mint)],
        4,
    ));
    let half = u64::MAX / 2 + 1;
    let out = spl::transfer(&TOKEN, &vault_account, &outsider_account, &vault, half);
    assert_ok(&env.execute(&key, std::slice::from_ref(&out)));
    assert_eq!(spent_of(&env, &key.pubkey(), &mint).0, half);
    // The outsider sends it back; the session spends it again: 2 × half > u64::MAX.
    let back = spl::transfer(
        &TOKEN,
        &outsider_account,
        &vault_account,
        &outsider.pubkey(),
        half,
    );
    assert_ok(&env.send_signed(&[back], &outsider));
    assert_ok(&env.execute(&key, &[out]));
    assert_eq!(spent_of(&env, &key.pubkey(), &mint).0, u64::MAX);
    assert_eq!(env.token_balance(&outsider_account), half);
}

#[test]
fn tokens_of_a_multisig_the_vault_signs_for_are_charged() {
    let mut env = Env::new();
    let vault = env.vault;
    let multisig = env.create_multisig(&TOKEN, &[Pubkey::new_unique(), vault], 1);
    let mint = env.create_mint(&TOKEN, 6);
    let multisig_account = env.create_token_account(&multisig, &mint, &TOKEN);
    env.mint_to(&TOKEN, &mint, &multisig_account, 100 * USDC);
    let outsider_account = env.create_ata(&Pubkey::new_unique(), &mint, &TOKEN);
    let out = |amount| {
        with_multisig_authority(
            spl::transfer(
                &TOKEN,
                &multisig_account,
                &outsider_account,
                &multisig,
                amount,
            ),
            2,
            &multisig,
            &[vault],
        )
    };
    let watched = snapshot(&env, &[multisig_account, outsider_account]);
    let unlisted = env.create_session(usdc_only(&env, vec![TOKEN]));
    assert_leash_err(
        &env.execute(&unlisted, &[out(50 * USDC)]),
        LeashError::TokenNotInPolicy,
    );
    let limited = env.create_session(policy_with(
        vec![TOKEN],
        vec![limit(mint, 10 * USDC, 50 * USDC)],
        4,
    ));
    assert_leash_err(
        &env.execute(&limited, &[out(50 * USDC)]),
        LeashError::PerTxLimitExceeded,
    );
    assert_unchanged(&env, &watched);

    assert_ok(&env.execute(&limited, &[out(10 * USDC)]));
    assert_eq!(env.token_balance(&outsider_account), 10 * USDC);
    assert_eq!(spent_of(&env, &limited.pubkey(), &mint).0, 10 * USDC);
}

// ---- 10. More of what the vault's signature reaches -------------------------------------------

#[test]
fn withdrawing_from_a_nonce_account_the_vault_authorizes_is_charged_as_sol() {
    let mut env = Env::new();
    let (vault, recipient, owner) = (env.vault, env.recipient, env.owner.pubkey());
    let nonce = Keypair::new();
    let rent = env.svm.minimum_balance_for_rent_exemption(80);
    let create = system_ix::create_nonce_account(&owner, &nonce.pubkey(), &vault, rent + 2 * SOL);
    assert_ok(&env.send_signed(&create, &nonce));
    let nonce = nonce.pubkey();
    let withdraw =
        |lamports| system_ix::withdraw_nonce_account(&nonce, &vault, &recipient, lamports);
    let watched = snapshot(&env, &[nonce, recipient, vault]);

    let no_sol = env.create_session(usdc_only(&env, vec![SYSTEM]));
    assert_leash_err(
        &env.execute(&no_sol, &[withdraw(SOL)]),
        LeashError::TokenNotInPolicy,
    );
    let one_sol_per_tx = env.create_session(policy(&env));
    assert_leash_err(
        &env.execute(&one_sol_per_tx, &[withdraw(3 * SOL / 2)]),
        LeashError::PerTxLimitExceeded,
    );
    assert_unchanged(&env, &watched);

    assert_ok(&env.execute(&one_sol_per_tx, &[withdraw(SOL / 2)]));
    assert_eq!(env.lamports(&recipient), SOL / 2);
    assert_eq!(
        spent_of(&env, &one_sol_per_tx.pubkey(), &NATIVE_SOL_MINT).0,
        SOL / 2
    );
}

#[test]
fn closing_a_third_partys_wrapped_sol_account_the_vault_may_close_is_refused() {
    let mut env = Env::new();
    let (vault, recipient) = (env.vault, env.recipient);
    let third = funded_keypair(&mut env);
    let wsol = env.create_token_account(&third.pubkey(), &spl::NATIVE_MINT, &TOKEN);
    let wrap = [
        system_ix::transfer(&third.pubkey(), &wsol, 2 * SOL),
        on_spl_token(t22::sync_native(&TOKEN_2022, &wsol).unwrap()),
        spl::set_authority(
            &TOKEN,
            &wsol,
            Some(&vault),
            spl::AuthorityType::CloseAccount,
            &third.pubkey(),
        ),
    ];
    assert_ok(&env.send_signed(&wrap, &third));
    assert_eq!(env.token_balance(&wsol), 2 * SOL);
    let key = env.create_session(policy(&env));
    let close = spl::close_account(&TOKEN, &wsol, &recipient, &vault);
    let watched = snapshot(&env, &[wsol, recipient]);
    assert_leash_err(
        &env.execute(&key, &[close]),
        LeashError::ForbiddenAuthorityChange,
    );
    assert_unchanged(&env, &watched);
}

#[test]
fn transfer_fee_authorities_of_the_vault_never_leave_it() {
    let mut env = Env::new();
    let vault = env.vault;
    let authority = env.mint_authority.pubkey();
    let mint = env.create_mint_2022_ext(
        &TOKEN_2022,
        mint_len(&[ExtensionType::TransferFeeConfig]),
        |mint| {
            vec![fee_ix::initialize_transfer_fee_config(
                &TOKEN_2022,
                mint,
                Some(&vault),
                Some(&vault),
                100,
                1_000,
            )
            .unwrap()]
        },
        6,
        &authority,
        None,
    );
    let outsider = Pubkey::new_unique();
    let key = env.create_session(usdc_only(&env, vec![TOKEN_2022]));
    let watched = snapshot(&env, &[mint]);
    for authority_type in [
        t22::AuthorityType::TransferFeeConfig,
        t22::AuthorityType::WithheldWithdraw,
    ] {
        let hand_off = t22::set_authority(
            &TOKEN_2022,
            &mint,
            Some(&outsider),
            authority_type,
            &vault,
            &[],
        )
        .unwrap();
        assert_leash_err(
            &env.execute(&key, &[hand_off]),
            LeashError::ForbiddenAuthorityChange,
        );
    }
    assert_unchanged(&env, &watched);
}

#[test]
fn closing_a_mint_the_vault_may_close_is_refused() {
    let mut env = Env::new();
    let vault = env.vault;
    let authority = env.mint_authority.pubkey();
    let mint = env.create_mint_2022_ext(
        &TOKEN_2022,
        mint_len(&[ExtensionType::MintCloseAuthority]),
        |mint| vec![t22::initialize_mint_close_authority(&TOKEN_2022, mint, Some(&vault)).unwrap()],
        6,
        &authority,
        None,
    );
    let recipient = env.recipient;
    let key22 = env.create_session(policy_with(
        vec![TOKEN_2022],
        vec![limit(NATIVE_SOL_MINT, SOL, 2 * SOL)],
        4,
    ));
    let close = t22::close_account(&TOKEN_2022, &mint, &recipient, &vault, &[]).unwrap();
    let watched = snapshot(&env, &[mint, recipient]);
    assert_leash_err(
        &env.execute(&key22, &[close]),
        LeashError::ForbiddenAuthorityChange,
    );
    assert_unchanged(&env, &watched);
}

/// Withheld transfer fees are no token account's `amount` and withdrawing them changes no supply,
/// yet the vault as the mint's withdraw-withheld authority can move them to anyone: the fees
/// withheld in the mint and its passed accounts are metered as a pool of that mint.
#[test]
fn withheld_fees_the_vault_may_withdraw_are_charged() {
    let mut env = Env::new();
    let vault = env.vault;
    let authority = env.mint_authority.pubkey();
    let mint = env.create_mint_2022_ext(
        &TOKEN_2022,
        mint_len(&[ExtensionType::TransferFeeConfig]),
        |mint| {
            vec![fee_ix::initialize_transfer_fee_config(
                &TOKEN_2022,
                mint,
                None,
                Some(&vault),
                100,
                1_000,
            )
            .unwrap()]
        },
        6,
        &authority,
        None,
    );
    // A third party pays another a transfer whose 1% fee (1 000) is withheld in the receiver.
    let payer = funded_keypair(&mut env);
    let payer_account = env.create_ata(&payer.pubkey(), &mint, &TOKEN_2022);
    env.mint_to(&TOKEN_2022, &mint, &payer_account, 100_000);
    let payee_account = env.create_ata(&Pubkey::new_unique(), &mint, &TOKEN_2022);
    let pay = fee_ix::transfer_checked_with_fee(
        &TOKEN_2022,
        &payer_account,
        &mint,
        &payee_account,
        &payer.pubkey(),
        &[],
        100_000,
        6,
        1_000,
    )
    .unwrap();
    assert_ok(&env.send_signed(&[pay], &payer));
    let outsider_account = env.create_ata(&Pubkey::new_unique(), &mint, &TOKEN_2022);
    let withdraw = fee_ix::withdraw_withheld_tokens_from_accounts(
        &TOKEN_2022,
        &mint,
        &outsider_account,
        &vault,
        &[],
        &[&payee_account],
    )
    .unwrap();
    let key = env.create_session(usdc_only(&env, vec![TOKEN_2022]));
    let watched = snapshot(&env, &[payee_account, outsider_account, mint]);
    assert_leash_err(
        &env.execute(&key, &[withdraw]),
        LeashError::TokenNotInPolicy,
    );
    assert_unchanged(&env, &watched);
}

#[test]
fn nested_truncated_and_token_2022_batches_are_counted_per_instruction() {
    let mut env = Env::new();
    let one = env.usdc_out(USDC);
    // [transfer, Batch[transfer, transfer]] = 3 instructions.
    let nested = token_batch(
        &TOKEN,
        &[
            one.clone(),
            token_batch(&TOKEN, &[one.clone(), one.clone()]),
        ],
    );
    // One transfer, then a header cut short: 2 instructions.
    let mut truncated = token_batch(&TOKEN, std::slice::from_ref(&one));
    truncated.data.push(3);
    // Token-2022's discriminator 255 counts the same way.
    let mut batch_2022 = token_batch(&TOKEN, &[one.clone(), one]);
    batch_2022.program_id = TOKEN_2022;
    let watched = snapshot(&env, &[env.vault_usdc, env.recipient_usdc]);
    let two_calls = env.create_session(policy_with(
        vec![TOKEN, TOKEN_2022],
        vec![usdc_limit(&env)],
        2,
    ));
    assert_leash_err(
        &env.execute(&two_calls, &[nested]),
        LeashError::TooManyCalls,
    );
    let one_call = env.create_session(policy_with(
        vec![TOKEN, TOKEN_2022],
        vec![usdc_limit(&env)],
        1,
    ));
    for batch in [truncated, batch_2022] {
        assert_leash_err(&env.execute(&one_call, &[batch]), LeashError::TooManyCalls);
    }
    assert_unchanged(&env, &watched);
}

#[test]
fn assigning_a_seeded_address_away_is_charged_as_sol() {
    let mut env = Env::new();
    let vault = env.vault;
    // `AssignWithSeed` derives the address with the new owner.
    let seeded = Pubkey::create_with_seed(&vault, "parking", &TOKEN).unwrap();
    env.svm.airdrop(&seeded, 5 * SOL).unwrap();
    let assign = system_ix::assign_with_seed(&seeded, &vault, "parking", &TOKEN);
    let watched = snapshot(&env, &[seeded, vault]);
    let no_sol = env.create_session(usdc_only(&env, vec![SYSTEM]));
    assert_leash_err(
        &env.execute(&no_sol, std::slice::from_ref(&assign)),
        LeashError::TokenNotInPolicy,
    );
    let one_sol_per_tx = env.create_session(policy(&env));
    assert_leash_err(
        &env.execute(&one_sol_per_tx, &[assign]),
        LeashError::PerTxLimitExceeded,
    );
    assert_unchanged(&env, &watched);
}
