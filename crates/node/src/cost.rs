//! The cost model's units of an executed transaction, as a validator records them in
//! `meta.costUnits` (Agave's `CostModel::calculate_cost_for_executed_transaction`, non-vote):
//! signatures, write locks, instruction data, the compute units it consumed and the pages of
//! account data it loaded.

use solana_message::VersionedMessage;
use solana_program::pubkey::Pubkey;

/// 24 µs per signature at 30 compute units per µs.
const SIGNATURE_COST: u64 = 720;
const SECP256K1_VERIFY_COST: u64 = 6_690;
/// The strict ed25519 verification (active on every cluster).
const ED25519_VERIFY_COST: u64 = 2_400;
const SECP256R1_VERIFY_COST: u64 = 4_800;
const WRITE_LOCK_UNITS: u64 = 300;
/// Instruction data: one unit per 4 bytes.
const INSTRUCTION_DATA_BYTES_COST: u64 = 4;
/// Loaded account data: 8 units per 32 KiB page (the heap cost).
const LOADED_DATA_PAGE: u64 = 32 * 1024;
const LOADED_DATA_PAGE_COST: u64 = 8;

const ED25519_PROGRAM: Pubkey =
    solana_program::pubkey!("Ed25519SigVerify111111111111111111111111111");
const SECP256K1_PROGRAM: Pubkey =
    solana_program::pubkey!("KeccakSecp256k11111111111111111111111111111");
const SECP256R1_PROGRAM: Pubkey =
    solana_program::pubkey!("Secp256r1SigVerify1111111111111111111111111");

/// What a transaction costs before it runs: its signatures (the transaction's and those its
/// precompile instructions verify), its `write_locks` and its instruction data.
pub fn static_cost(message: &VersionedMessage, write_locks: usize) -> u64 {
    let keys = message.static_account_keys();
    let mut signatures = u64::from(message.header().num_required_signatures) * SIGNATURE_COST;
    let mut data_len: u16 = 0;
    for instruction in message.instructions() {
        data_len =
            data_len.saturating_add(u16::try_from(instruction.data.len()).unwrap_or(u16::MAX));
        let per_signature = match keys.get(usize::from(instruction.program_id_index)) {
            Some(p) if *p == ED25519_PROGRAM => ED25519_VERIFY_COST,
            Some(p) if *p == SECP256K1_PROGRAM => SECP256K1_VERIFY_COST,
            Some(p) if *p == SECP256R1_PROGRAM => SECP256R1_VERIFY_COST,
            _ => continue,
        };
        // A precompile instruction's first byte counts the signatures it verifies.
        let count = instruction.data.first().copied().map_or(0, u64::from);
        signatures = signatures.saturating_add(count.saturating_mul(per_signature));
    }
    signatures
        .saturating_add(WRITE_LOCK_UNITS.saturating_mul(write_locks as u64))
        .saturating_add(u64::from(data_len) / INSTRUCTION_DATA_BYTES_COST)
}

/// The units of a transaction that ran: its static cost, the compute units it consumed and the
/// pages of account data it loaded.
pub fn executed_cost(static_cost: u64, compute_units: u64, loaded_accounts_data_size: u32) -> u64 {
    let pages = u64::from(loaded_accounts_data_size).div_ceil(LOADED_DATA_PAGE);
    static_cost
        .saturating_add(compute_units)
        .saturating_add(pages.saturating_mul(LOADED_DATA_PAGE_COST))
}

#[cfg(test)]
mod tests {
    use super::*;
    use solana_message::Message;

    /// Agave 3.0.14's `costUnits` for a transfer with a compute-unit limit and price (three
    /// instructions, 26 bytes of data, 450 units, one page loaded): 1,784.
    #[test]
    fn a_priced_transfer_costs_what_agave_records() {
        let payer = Pubkey::new_unique();
        let budget = leash_sdk::names::COMPUTE_BUDGET_PROGRAM_ID;
        let mut limit = vec![2];
        limit.extend_from_slice(&50_000u32.to_le_bytes());
        let mut price = vec![3];
        price.extend_from_slice(&10_000u64.to_le_bytes());
        let message = Message::new(
            &[
                solana_program::instruction::Instruction::new_with_bytes(budget, &limit, vec![]),
                solana_program::instruction::Instruction::new_with_bytes(budget, &price, vec![]),
                solana_system_interface::instruction::transfer(&payer, &Pubkey::new_unique(), 1),
            ],
            Some(&payer),
        );
        let message = VersionedMessage::Legacy(message);
        assert_eq!(executed_cost(static_cost(&message, 2), 450, 228), 1_784);
        // Past a 32 KiB page, another 8 units.
        assert_eq!(
            executed_cost(static_cost(&message, 2), 450, 32 * 1024 + 1),
            1_792
        );
    }
}
