//! `SweepLamports` (instruction 8): what lies above the rent-exempt minimum in the wallet
//! account and its session accounts (lamports sent there by mistake), and the instructions that
//! move it to a recipient, batched so each transaction stays within the size limit.

use solana_program::{instruction::Instruction, pubkey::Pubkey};

use crate::instruction::sweep_lamports;

/// Session accounts per `SweepLamports`: with the owner, wallet, recipient, program and a
/// compute-budget instruction, 20 more writable accounts keep a transaction well under 1,232
/// bytes.
pub const MAX_SESSIONS_PER_SWEEP: usize = 20;

/// Lamports above the rent-exempt minimum (`rent_exempt_minimum` for the account's data size).
pub fn excess_lamports(lamports: u64, rent_exempt_minimum: u64) -> u64 {
    lamports.saturating_sub(rent_exempt_minimum)
}

/// The `SweepLamports` instructions that sweep `wallet` and `sessions` to `recipient`, one per
/// transaction: the first also sweeps the wallet account; each carries at most
/// [`MAX_SESSIONS_PER_SWEEP`] sessions. No sessions gives one instruction for the wallet alone.
pub fn sweep_instructions(
    program_id: &Pubkey,
    owner: &Pubkey,
    wallet: &Pubkey,
    recipient: &Pubkey,
    sessions: &[Pubkey],
) -> Vec<Instruction> {
    if sessions.is_empty() {
        return vec![sweep_lamports(program_id, owner, wallet, recipient, &[])];
    }
    sessions
        .chunks(MAX_SESSIONS_PER_SWEEP)
        .map(|batch| sweep_lamports(program_id, owner, wallet, recipient, batch))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_sessions_and_always_sweeps_the_wallet() {
        let (owner, wallet, recipient) = (
            Pubkey::new_unique(),
            Pubkey::new_unique(),
            Pubkey::new_unique(),
        );
        let alone =
            sweep_instructions(&leash_program::DEFAULT_ID, &owner, &wallet, &recipient, &[]);
        assert_eq!(alone.len(), 1);
        assert_eq!(alone[0].accounts.len(), 3);
        assert_eq!(alone[0].data, vec![8]);

        let sessions: Vec<Pubkey> = (0..45).map(|_| Pubkey::new_unique()).collect();
        let batches = sweep_instructions(
            &leash_program::DEFAULT_ID,
            &owner,
            &wallet,
            &recipient,
            &sessions,
        );
        let sizes: Vec<usize> = batches.iter().map(|ix| ix.accounts.len() - 3).collect();
        assert_eq!(sizes, vec![20, 20, 5]);
        let listed: Vec<Pubkey> = batches
            .iter()
            .flat_map(|ix| ix.accounts[3..].iter().map(|a| a.pubkey))
            .collect();
        assert_eq!(listed, sessions);
        for ix in &batches {
            assert_eq!(ix.accounts[0].pubkey, owner);
            assert!(ix.accounts[0].is_signer);
            assert_eq!(ix.accounts[1].pubkey, wallet);
            assert_eq!(ix.accounts[2].pubkey, recipient);
            assert!(ix.accounts[3..]
                .iter()
                .all(|a| a.is_writable && !a.is_signer));
        }
    }

    #[test]
    fn excess_is_what_lies_above_the_minimum() {
        assert_eq!(excess_lamports(1_500, 1_000), 500);
        assert_eq!(excess_lamports(1_000, 1_000), 0);
        assert_eq!(excess_lamports(900, 1_000), 0);
    }
}
