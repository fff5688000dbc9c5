//! Property tests on the real chain: whatever the sequence of transfers, clock steps and policy
//! updates, what the session records equals what left the vault and never exceeds the limits in
//! force; a failed transaction changes nothing but the fee payer's balance.

#![allow(clippy::result_large_err)] // LiteSVM's own result type

mod common;

use common::*;
use leash_program::{
    instruction as ix,
    state::{SpendLimit, NATIVE_SOL_MINT, UNLIMITED},
};
use leash_sdk::spl;
use proptest::prelude::*;
use solana_program::{instruction::Instruction, pubkey::Pubkey};
use solana_signer::Signer;

#[derive(Clone, Debug)]
enum Op {
    /// USDC out of the first or second vault account.
    Usdc { second: bool, amount: u64 },
    /// Two USDC transfers in one Execute, one from each vault account.
    Split { a: u64, b: u64 },
    /// SOL out of the vault.
    Sol { lamports: u64 },
    /// The clock moves on.
    Wait { secs: i64 },
    /// The owner replaces the policy with new USDC bounds.
    Update {
        per_tx: u64,
        total: u64,
        per_period: u64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (any::<bool>(), 0..30 * USDC).prop_map(|(second, amount)| Op::Usdc { second, amount }),
        2 => (0..15 * USDC, 0..15 * USDC).prop_map(|(a, b)| Op::Split { a, b }),
        2 => (0..SOL).prop_map(|lamports| Op::Sol { lamports }),
        2 => (0i64..90).prop_map(|secs| Op::Wait { secs }),
        1 => (1..40 * USDC, 0..150 * USDC, 0..60 * USDC)
            .prop_map(|(per_tx, total, per_period)| Op::Update { per_tx, total, per_period }),
    ]
}

struct Model {
    usdc: SpendLimit,
    period_secs: u32,
    /// USDC that left the vault through successful Executes, per period window.
    windows: std::collections::BTreeMap<u64, u64>,
    usdc_out: u64,
    sol_out: u64,
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn recorded_spend_equals_outflow_and_stays_within_limits(
        per_tx in 1..40 * USDC,
        total in 0..150 * USDC,
        period in prop_oneof![Just(0u32), Just(60u32)],
        per_period in 0..60 * USDC,
        sol_total in 0..3 * SOL,
        ops in proptest::collection::vec(op(), 1..14),
    ) {
        let mut env = Env::new();
        let (vault, usdc, token) = (env.vault, env.usdc, spl::TOKEN_PROGRAM_ID);
        let second = env.create_token_account(&vault, &usdc, &token);
        env.mint_to(&token, &usdc, &second, 500 * USDC);
        let mut p = policy(&env);
        p.valid_until = START_TIME + 100_000;
        p.limits = vec![
            SpendLimit { mint: usdc, per_tx, total, period_secs: period, per_period, recipients: vec![] },
            SpendLimit { mint: NATIVE_SOL_MINT, per_tx: UNLIMITED, total: sol_total, period_secs: 0, per_period: 0, recipients: vec![] },
        ];
        let key = env.create_session(p.clone());
        let session = env.session_address(&key.pubkey());
        let created_at = env.session(&key.pubkey()).created_at;
        let mut model = Model { usdc: p.limits[0].clone(), period_secs: period, windows: Default::default(), usdc_out: 0, sol_out: 0 };
        let recipient_usdc = env.recipient_usdc;
        let out_of = |from: &Pubkey, amount: u64| spl::transfer(&token, from, &recipient_usdc, &vault, amount);
        let vault_usdc = env.vault_usdc;

        for op in ops {
            let calls: Vec<Instruction> = match op {
                Op::Wait { secs } => {
                    let now = env.now();
                    env.set_time(now + secs);
                    continue;
                }
                Op::Update { per_tx, total, per_period } => {
                    let mut next = env.session(&key.pubkey()).policy;
                    next.limits[0] = SpendLimit { per_tx, total, per_period, ..next.limits[0].clone() };
                    let owner = env.owner.pubkey();
                    let update = ix::update_session(&env.program_id, &owner, &env.wallet, &session, &owner, next.clone(), None);
                    prop_assert!(env.owner_send(&[update]).is_ok());
                    model.usdc = next.limits[0].clone();
                    continue;
                }
                Op::Usdc { second: true, amount } => vec![out_of(&second, amount)],
                Op::Usdc { second: false, amount } => vec![out_of(&vault_usdc, amount)],
                Op::Split { a, b } => vec![out_of(&vault_usdc, a), out_of(&second, b)],
                Op::Sol { lamports } => vec![solana_system_interface::instruction::transfer(&vault, &env.recipient, lamports)],
            };
            let watched = [session, vault, vault_usdc, second, env.recipient_usdc, env.recipient];
            let before: Vec<_> = watched.iter().map(|a| env.account(a)).collect();
            let usdc_before = env.token_balance(&vault_usdc) + env.token_balance(&second);
            let sol_before = env.lamports(&vault);
            let payer_before = env.lamports(&key.pubkey());
            let result = env.execute(&key, &calls);
            match result {
                Ok(_) => {
                    let usdc_left = usdc_before - (env.token_balance(&vault_usdc) + env.token_balance(&second));
                    let sol_left = sol_before - env.lamports(&vault);
                    model.usdc_out += usdc_left;
                    model.sol_out += sol_left;
                    prop_assert!(usdc_left <= model.usdc.per_tx);
                    // The total in force at the time bounds the cumulative spend whenever
                    // something is charged (an update may lower it below what was spent).
                    if usdc_left > 0 {
                        prop_assert!(model.usdc_out <= model.usdc.total);
                    }
                    if model.period_secs > 0 && usdc_left > 0 {
                        let window = leash_program::accounting::period_index(env.now(), created_at, model.period_secs);
                        let sum = model.windows.entry(window).or_default();
                        *sum += usdc_left;
                        prop_assert!(*sum <= model.usdc.per_period, "window {window}: {sum}");
                    }
                }
                Err(failed) => {
                    let after: Vec<_> = watched.iter().map(|a| env.account(a)).collect();
                    prop_assert_eq!(before, after, "a failed transaction changed state");
                    prop_assert_eq!(env.lamports(&key.pubkey()), payer_before - failed.meta.fee);
                }
            }
            let state = env.session(&key.pubkey());
            prop_assert_eq!(state.spent[0].total, model.usdc_out, "recorded USDC = what left the vault");
            prop_assert_eq!(state.spent[1].total, model.sol_out, "recorded SOL = what left the vault");
            prop_assert!(state.spent[1].total <= sol_total);
        }
    }
}
