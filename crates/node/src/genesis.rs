//! What a validator's genesis holds that LiteSVM's defaults do not (docs/node.md, "Differences
//! from Agave"): builtin program accounts carry the names Agave gives them (their data, which
//! counts toward a transaction's loaded-accounts size), sysvars hold the rent-exempt balance
//! of their size, and the epoch schedule has no warmup (as `solana-test-validator`'s genesis).

use litesvm::LiteSVM;
use solana_program::pubkey::Pubkey;

/// Builtin program accounts whose data (the builtin's name) differs from Agave's.
const BUILTIN_NAMES: &[(Pubkey, &str)] = &[
    (solana_system_interface::program::ID, "system_program"),
    (
        solana_program::pubkey!("Vote111111111111111111111111111111111111111"),
        "vote_program",
    ),
    (
        solana_program::pubkey!("BPFLoader1111111111111111111111111111111111"),
        "solana_bpf_loader_deprecated_program",
    ),
];

/// The sysvars LiteSVM writes (with one lamport each).
pub const SYSVARS: &[Pubkey] = &[
    solana_program::sysvar::clock::ID,
    solana_program::sysvar::rent::ID,
    solana_program::sysvar::epoch_schedule::ID,
    solana_program::sysvar::slot_hashes::ID,
    solana_program::sysvar::slot_history::ID,
    solana_program::pubkey!("SysvarStakeHistory1111111111111111111111111"),
    solana_program::sysvar::epoch_rewards::ID,
    solana_program::sysvar::last_restart_slot::ID,
    #[allow(deprecated)]
    solana_program::sysvar::recent_blockhashes::ID,
];

/// The sysvars a new slot rewrites (the clock, the slot hashes, the recent blockhashes).
#[allow(deprecated)]
pub const PER_SLOT: &[Pubkey] = &[
    solana_program::sysvar::clock::ID,
    solana_program::sysvar::slot_hashes::ID,
    solana_program::sysvar::recent_blockhashes::ID,
];

/// The deprecated RecentBlockhashes sysvar as a validator keeps it: the newest blockhashes
/// first, up to 150 (LiteSVM keeps one). The System program's `AdvanceNonceAccount` reads its
/// first entry.
#[allow(deprecated)]
pub fn set_recent_blockhashes<'a>(
    svm: &mut LiteSVM,
    newest_first: impl Iterator<Item = &'a solana_hash::Hash>,
    lamports_per_signature: u64,
) {
    use solana_program::sysvar::recent_blockhashes::{IterItem, RecentBlockhashes, MAX_ENTRIES};
    let entries: Vec<_> = newest_first.take(MAX_ENTRIES).collect();
    let recent = RecentBlockhashes::from_iter(
        entries
            .iter()
            .enumerate()
            .map(|(i, hash)| IterItem(i as u64, hash, lamports_per_signature)),
    );
    svm.set_sysvar(&recent);
}

/// Brings a fresh LiteSVM's genesis accounts to what a validator's genesis holds.
pub fn align_with_agave(svm: &mut LiteSVM) {
    for (address, name) in BUILTIN_NAMES {
        if let Some(mut account) = svm.get_account(address) {
            account.data = name.as_bytes().to_vec();
            // A builtin's account is one the runtime itself reads: setting it cannot fail.
            let _ = svm.set_account(*address, account);
        }
    }
    svm.set_sysvar(&solana_program::epoch_schedule::EpochSchedule::without_warmup());
    // The Fees sysvar is gone from validators; LiteSVM still writes it. An account with neither
    // lamports nor data does not exist for the RPC (nor for a program, which reads zeros).
    #[allow(deprecated)]
    svm.set_account_no_checks(
        solana_program::sysvar::fees::ID,
        solana_account::AccountSharedData::default(),
    );
    fund_sysvars(svm, SYSVARS);
    // Created after rent collection ended, it is marked exempt for good (as on a validator).
    if let Some(mut rewards) = svm.get_account(&solana_program::sysvar::epoch_rewards::ID) {
        rewards.rent_epoch = u64::MAX;
        let _ = svm.set_account(solana_program::sysvar::epoch_rewards::ID, rewards);
    }
}

/// Sysvars a validator allocates at their largest size, whatever they hold (their entries
/// are length-prefixed; the rest is zeros): RecentBlockhashes (150 entries) and StakeHistory
/// (512).
#[allow(deprecated)]
const FIXED_SIZES: &[(Pubkey, usize)] = &[
    (solana_program::sysvar::recent_blockhashes::ID, 6_008),
    (
        solana_program::pubkey!("SysvarStakeHistory1111111111111111111111111"),
        16_392,
    ),
];

/// Gives each of `sysvars` the size and the rent-exempt balance a validator gives it; LiteSVM
/// writes one lamport and only the bytes the value takes whenever it writes a sysvar.
pub fn fund_sysvars(svm: &mut LiteSVM, sysvars: &[Pubkey]) {
    for address in sysvars {
        let Some(mut account) = svm.get_account(address) else {
            continue;
        };
        let before = (account.lamports, account.data.len());
        if let Some((_, size)) = FIXED_SIZES.iter().find(|(id, _)| id == address) {
            if account.data.len() < *size {
                account.data.resize(*size, 0);
            }
        }
        account.lamports = svm
            .minimum_balance_for_rent_exemption(account.data.len())
            .max(1);
        if (account.lamports, account.data.len()) != before {
            let _ = svm.set_account(*address, account);
        }
    }
}
