//! Random instruction data and random account lists: the program answers every one with an error
//! or a success, never a crash of the process, and a failure changes no state.

#![allow(clippy::result_large_err)] // LiteSVM's own result type

mod common;

use common::*;
use leash_program::instruction::LeashInstruction;
use proptest::prelude::*;
use solana_program::instruction::{AccountMeta, Instruction};
use solana_signer::Signer;

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn random_instructions_never_crash(
        discriminator in 0u8..10,
        tail in proptest::collection::vec(any::<u8>(), 0..200),
        picks in proptest::collection::vec((0usize..9, any::<bool>()), 0..12),
    ) {
        let mut env = Env::new();
        let key = env.create_session(policy(&env));
        let session = env.session_address(&key.pubkey());
        let pool = [
            key.pubkey(),
            env.wallet,
            session,
            env.vault,
            env.vault_usdc,
            env.recipient_usdc,
            leash_sdk::spl::TOKEN_PROGRAM_ID,
            solana_system_interface::program::ID,
            env.program_id,
        ];
        let accounts = picks
            .iter()
            .map(|&(i, writable)| {
                let signer = pool[i] == key.pubkey();
                if writable { AccountMeta::new(pool[i], signer) } else { AccountMeta::new_readonly(pool[i], signer) }
            })
            .collect();
        let mut data = vec![discriminator];
        data.extend(tail);
        let instruction = Instruction { program_id: env.program_id, accounts, data };
        let watched = [session, env.wallet, env.vault, env.vault_usdc];
        let before: Vec<_> = watched.iter().map(|a| env.account(a)).collect();
        let result = env.send(&[instruction], &key, &[]);
        if result.is_err() {
            let after: Vec<_> = watched.iter().map(|a| env.account(a)).collect();
            prop_assert_eq!(before, after);
        }
    }

    #[test]
    fn random_execute_calls_never_crash(
        calls in proptest::collection::vec(
            (any::<u8>(), proptest::collection::vec((any::<u8>(), any::<bool>(), any::<bool>()), 0..6), proptest::collection::vec(any::<u8>(), 0..40)),
            0..4,
        ),
        nonce in proptest::option::of(0u64..3),
    ) {
        let mut env = Env::new();
        let key = env.create_session(policy(&env));
        let mut ix = leash_program::instruction::execute(&env.program_id, &key.pubkey(), &env.wallet, None, &[env.usdc_out(1)]);
        let calls = calls
            .into_iter()
            .map(|(program, accounts, data)| leash_program::instruction::Call {
                program: program % 8,
                accounts: accounts
                    .into_iter()
                    .map(|(index, writable, signer)| leash_program::instruction::CallAccount { index: index % 9, writable, signer })
                    .collect(),
                data,
            })
            .collect();
        ix.data = LeashInstruction::Execute { expected_nonce: nonce, calls }.pack();
        let spent_before = env.session(&key.pubkey()).spent;
        let balance_before = env.token_balance(&env.vault_usdc);
        if env.send(&[ix], &key, &[]).is_ok() {
            // Whatever ran, what left the vault was metered.
            let left = balance_before - env.token_balance(&env.vault_usdc);
            prop_assert_eq!(env.session(&key.pubkey()).spent[0].total, spent_before[0].total + left);
        } else {
            prop_assert_eq!(env.session(&key.pubkey()).spent, spent_before);
        }
    }
}
