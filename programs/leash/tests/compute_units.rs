//! Compute units of each instruction, from the SBF build of the program (whatever
//! `LEASH_PROGRAM` says: CU are only real on SBF, so this suite always runs the ELF).
//!
//! `cargo test -p leash-program --test compute_units -- --nocapture` prints the table that
//! README.md and docs/program.md quote; the assertions keep each figure under its budget, so a
//! change that costs more fails here and has to move the budget (and the docs) on purpose.

#![allow(clippy::result_large_err)] // LiteSVM's failed-transaction type, in the shared helpers

mod common;

use common::*;
use leash_program::instruction as ix;
use leash_runtime::ProgramBuild;
use leash_sdk::spl;
use solana_signer::Signer;

/// CU consumed by a transaction that must succeed.
fn cu(label: &str, result: &TxResult) -> u64 {
    assert_ok(result);
    let used = result
        .as_ref()
        .map(|m| m.compute_units_consumed)
        .unwrap_or(0);
    println!("| {label} | {used} |");
    used
}

#[test]
fn instructions_stay_within_their_compute_budgets() {
    std::env::set_var(leash_runtime::PROGRAM_BUILD_ENV, "sbf");
    assert_eq!(ProgramBuild::from_env(), Ok(ProgramBuild::Sbf));
    let mut env = Env::new();
    println!("| instruction (SBPF v0 build) | CU |\n|---|---|");

    // The baseline: the same USDC transfer signed by the token account's owner.
    let owner = env.owner.insecure_clone();
    let owner_usdc = env.create_ata(&owner.pubkey(), &env.usdc.clone(), &spl::TOKEN_PROGRAM_ID);
    env.mint_to(
        &spl::TOKEN_PROGRAM_ID,
        &env.usdc.clone(),
        &owner_usdc,
        100 * USDC,
    );
    let plain = spl::transfer(
        &spl::TOKEN_PROGRAM_ID,
        &owner_usdc,
        &env.recipient_usdc,
        &owner.pubkey(),
        USDC,
    );
    let plain_cu = cu(
        "plain SPL Token transfer (no Leash)",
        &env.owner_send(&[plain]),
    );

    let other_owner = funded_keypair(&mut env);
    let create_wallet = ix::create_wallet(
        &env.program_id,
        &other_owner.pubkey(),
        &other_owner.pubkey(),
        [7; 32],
    );
    let create_wallet_cu = cu(
        "CreateWallet",
        &env.send(&[create_wallet], &other_owner, &[]),
    );

    let key = solana_keypair::Keypair::new();
    env.svm.airdrop(&key.pubkey(), SOL).unwrap();
    let create = ix::create_session(
        &env.program_id,
        &owner.pubkey(),
        &owner.pubkey(),
        &env.wallet,
        &key.pubkey(),
        policy(&env),
    );
    let create_session_cu = cu(
        "CreateSession (2 programs, 2 limits)",
        &env.owner_send(&[create]),
    );

    let one = env.usdc_out(USDC);
    let execute_cu = cu("Execute: one SPL transfer", &env.execute(&key, &[one]));
    // As clients send it: after the compute-budget program's unit limit and price (each a
    // processed sibling the single-Execute check looks at).
    let budget = solana_program::pubkey!("ComputeBudget111111111111111111111111111111");
    let mut limit = vec![2];
    limit.extend_from_slice(&200_000u32.to_le_bytes());
    let mut price = vec![3];
    price.extend_from_slice(&1_000u64.to_le_bytes());
    let budgeted = [
        solana_program::instruction::Instruction::new_with_bytes(budget, &limit, vec![]),
        solana_program::instruction::Instruction::new_with_bytes(budget, &price, vec![]),
        ix::execute(
            &env.program_id,
            &key.pubkey(),
            &env.wallet,
            None,
            &[env.usdc_out(USDC)],
        ),
    ];
    let budgeted_cu = cu(
        "Execute: one SPL transfer after a unit limit and price",
        &env.send(&budgeted, &key, &[]),
    );

    // Policy v3: the same transfer under a session whose USDC limit lists its recipient (the
    // issue's bound: at most 600 CU over the same transfer without), then also under an SPL
    // Token rule allowing `transfer` only.
    let mut listed_policy = policy(&env);
    listed_policy.limits[0].recipients = vec![env.recipient];
    let listed = env.create_session(listed_policy);
    let listed_cu = cu(
        "Execute: one SPL transfer, 1 recipient listed",
        &env.execute(&listed, &[env.usdc_out(USDC)]),
    );
    let mut ruled_policy = policy(&env);
    ruled_policy.limits[0].recipients = vec![env.recipient];
    ruled_policy.program_rules = vec![leash_program::state::ProgramRule {
        program: spl::TOKEN_PROGRAM_ID,
        prefixes: vec![vec![3]],
    }];
    let ruled = env.create_session(ruled_policy);
    let ruled_cu = cu(
        "Execute: one SPL transfer, 1 recipient listed, 1 instruction rule",
        &env.execute(&ruled, &[env.usdc_out(USDC)]),
    );
    let size = |key: &solana_keypair::Keypair| {
        env.account(&env.session_address(&key.pubkey()))
            .map_or(0, |a| a.data.len())
    };
    let plain_session = env.session(&key.pubkey());
    println!(
        "\nSession sizes (2 programs, 2 limits): {} bytes (layout 1: {}), with 1 recipient and 1 rule: {} bytes",
        size(&key),
        plain_session.encode_v1().map_or(0, |v| v.len()),
        size(&ruled)
    );
    let sol_and_token = [env.sol_out(SOL / 100), env.usdc_out(USDC)];
    let both_cu = cu(
        "Execute: SOL + SPL transfer",
        &env.execute(&key, &sol_and_token),
    );
    let four = [
        env.usdc_out(USDC),
        env.usdc_out(USDC),
        env.sol_out(SOL / 100),
        env.usdc_out(USDC),
    ];
    let four_cu = cu("Execute: 4 calls", &env.execute(&key, &four));

    let update = ix::update_session(
        &env.program_id,
        &owner.pubkey(),
        &env.wallet,
        &env.session_address(&key.pubkey()),
        &owner.pubkey(),
        policy(&env),
        None,
    );
    let update_cu = cu("UpdateSession", &env.owner_send(&[update]));
    let revoke = ix::revoke_session(
        &env.program_id,
        &owner.pubkey(),
        &env.wallet,
        &env.session_address(&key.pubkey()),
    );
    let revoke_cu = cu("RevokeSession", &env.owner_send(&[revoke]));

    println!(
        "\nExecute with one SPL transfer: {execute_cu} CU, {:.1}x a plain transfer ({plain_cu} CU)",
        execute_cu as f64 / plain_cu as f64
    );
    // Both find their PDAs' bumps (find_program_address tries from 255 down, 1,500 CU a
    // try), so they vary with the fresh program address and keys of each run: each budget
    // allows for the tries this run's addresses need beyond the first.
    let extra_tries = |bumps: &[u8]| bumps.iter().map(|b| 255 - u64::from(*b)).sum::<u64>();
    let owner_authority = leash_program::state::Authority::Ed25519(other_owner.pubkey());
    let (new_wallet, wallet_bump) =
        leash_program::state::wallet_address(&owner_authority, &[7; 32], &env.program_id);
    let (_, vault_bump) = leash_program::state::vault_address(&new_wallet, &env.program_id);
    // CreateWallet still finds its bumps (CreateSession takes the session's from the client).
    let wallet_budget = 7_000 + 1_500 * extra_tries(&[wallet_bump, vault_bump]);
    let elf = leash_runtime::LEASH_PROGRAM_ELF.len() as u64;
    println!("\nELF: {elf} bytes");
    // Budgets a little above what the committed ELF measures, so a regression fails here; the
    // issue's targets (docs/program.md, "Compute units") are met where the budget is at or
    // below them: CreateSession 5,000, UpdateSession 3,000, RevokeSession 1,500, recipients
    // +600. Not yet: Execute 3,800 / 5,000 / 8,000, ELF 128 KB.
    for (what, used, budget) in [
        ("CreateWallet", create_wallet_cu, wallet_budget),
        ("CreateSession", create_session_cu, 3_200),
        ("Execute one transfer", execute_cu, 4_950),
        (
            "Execute one transfer, 1 recipient: over the same without",
            listed_cu.saturating_sub(execute_cu),
            600,
        ),
        ("Execute one transfer, v3 rules", ruled_cu, 5_300),
        // The compute-budget program's own 150 CU each, and one sibling syscall each here.
        (
            "Execute one transfer after two compute-budget instructions: over the same without",
            budgeted_cu.saturating_sub(execute_cu),
            600,
        ),
        ("Execute SOL + transfer", both_cu, 6_950),
        ("Execute 4 calls", four_cu, 10_000),
        ("UpdateSession", update_cu, 2_300),
        ("RevokeSession", revoke_cu, 1_100),
        // 177,616 before vote and loader accounts were metered (+2,376), then +280 for the
        // instruction count's shortcut (−50 CU, −198 with 4 calls); 179,880 before nested
        // token accounts were metered (+2,560), then −4,304 once core's formatting was no
        // longer linked for panic messages (docs/sbf.md, "Flags"), −3,288 once a log line's
        // copy was out of line; 174,488 before seeded addresses given data and withdrawers
        // derived from the vault were metered (+1,464).
        ("ELF bytes", elf, 176_500),
    ] {
        assert!(
            used <= budget,
            "{what}: {used} CU, over its budget of {budget}"
        );
    }
}

/// Each owner instruction of a passkey wallet: Leash's units (the precompile's verification is
/// paid as a signature in the fee, not in compute units).
#[test]
fn passkey_owner_instructions_stay_within_their_compute_budgets() {
    use common::passkey::PasskeyEnv;

    std::env::set_var(leash_runtime::PROGRAM_BUILD_ENV, "sbf");
    let mut p = PasskeyEnv::new(true);
    println!("| owner instruction, passkey (SBPF v0 build) | CU |\n|---|---|");
    let key = solana_keypair::Keypair::new();
    let create = p.create_session_ix(&key.pubkey());
    let create_cu = cu("CreateSession (2 programs, 2 limits)", &p.authorize(create));
    let session = p.session_of(&key.pubkey());
    let mut policy = policy(&p.env);
    policy.max_uses = 9;
    let update = p.update_ix(&session, policy);
    let update_cu = cu("UpdateSession", &p.authorize(update));
    let out = solana_system_interface::instruction::transfer(&p.vault, &p.env.recipient, SOL / 10);
    let owner_exec = p.owner_execute_ix(&[out]);
    let owner_exec_cu = cu("OwnerExecute (one SOL transfer)", &p.authorize(owner_exec));
    let revoke_cu = cu("RevokeSession", &p.authorize(p.revoke_ix(&key.pubkey())));
    let close = p.close_ix(&session);
    let close_cu = cu("CloseSession", &p.authorize(close));
    let all = p.revoke_all_ix();
    let all_cu = cu("RevokeAllSessions", &p.authorize(all));
    let sweep = p.sweep_ix(&p.env.recipient);
    let sweep_cu = cu("SweepLamports", &p.authorize(sweep));
    // Budgets a little above what the committed ELF measures (docs/program.md, "Passkey owners").
    for (what, used, budget) in [
        ("CreateSession", create_cu, 5_900),
        ("UpdateSession", update_cu, 5_000),
        ("OwnerExecute", owner_exec_cu, 4_800),
        ("RevokeSession", revoke_cu, 3_700),
        ("CloseSession", close_cu, 3_700),
        ("RevokeAllSessions", all_cu, 3_400),
        ("SweepLamports", sweep_cu, 3_200),
    ] {
        assert!(
            used <= budget,
            "{what} under a passkey: {used} CU, over its budget of {budget}"
        );
    }
}
