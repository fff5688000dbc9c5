//! How a transaction is built and landed on a real cluster (docs/client.md, "Landing a
//! transaction"): a compute-unit limit from a simulation of the same transaction plus a margin,
//! a priority fee (fixed, or a percentile of what recently landed on the same accounts, capped),
//! and, once signed, the same bytes resent every two seconds until they land or their blockhash
//! expires — then, and only then, "expired: nothing was spent".
//!
//! This module holds the settings and the arithmetic; [`crate::landing`] does the talking to the
//! cluster (simulate, send, resend, wait).

use std::{fmt, str::FromStr, time::Duration};

use leash_sdk::amount::format_amount;
use serde::Serialize;
use solana_commitment_config::{CommitmentConfig, CommitmentLevel};
use solana_program::{instruction::Instruction, pubkey::Pubkey};
use solana_rpc_client_types::config::RpcSendTransactionConfig;

/// The compute budget program.
pub const COMPUTE_BUDGET_PROGRAM: Pubkey = leash_sdk::names::COMPUTE_BUDGET_PROGRAM_ID;
/// The most a transaction may ask for.
pub const MAX_COMPUTE_UNITS: u32 = 1_400_000;
/// The fee of one signature, in lamports.
pub const LAMPORTS_PER_SIGNATURE: u64 = 5_000;
/// `--max-priority-fee`'s default: 1 lamport per compute unit (a 20,000-unit `Execute` then pays
/// at most 0.00002 SOL above its base fee).
pub const DEFAULT_MAX_PRIORITY_FEE: u64 = 1_000_000;
/// The limit of a transaction prepared for a signer elsewhere whose simulation fails: what the
/// runtime gives one instruction by default.
pub const FALLBACK_COMPUTE_UNITS: u32 = 200_000;
/// Headroom above the simulated use for transactions that call a program other than the
/// runtime's and SPL's (Leash, above all). A refusal costs Leash more than a success — it logs
/// the mint and the figures, and base58 is dear on SBF: measured 30,589 units for an over-limit
/// `Execute` against 12,130 for the same transfer within the limit — and the state can change
/// between the simulation and the execution (another device holding the same token spends
/// first). Without it such a transaction would fail with "exceeded CUs meter" instead of the
/// program's own error and figures.
pub const REFUSAL_HEADROOM: u32 = 25_000;
/// Programs whose failures cost no more than their successes: no headroom for them.
const PLAIN_PROGRAMS: &[Pubkey] = &[
    solana_system_interface::program::ID,
    COMPUTE_BUDGET_PROGRAM,
    leash_sdk::spl::TOKEN_PROGRAM_ID,
    leash_sdk::spl::TOKEN_2022_PROGRAM_ID,
    leash_sdk::spl::ASSOCIATED_TOKEN_PROGRAM_ID,
    leash_sdk::names::MEMO_PROGRAM_IDS[0],
    leash_sdk::names::MEMO_PROGRAM_IDS[1],
    leash_sdk::names::UPGRADEABLE_LOADER_ID,
];

/// The headroom a transaction of `instructions` needs ([`REFUSAL_HEADROOM`] unless every
/// program it calls is a plain one).
pub fn headroom_for(instructions: &[Instruction]) -> u32 {
    if instructions
        .iter()
        .all(|i| PLAIN_PROGRAMS.contains(&i.program_id))
    {
        0
    } else {
        REFUSAL_HEADROOM
    }
}

/// A holder's typical transaction: an `Execute` asks about this many units.
pub(crate) const TYPICAL_EXECUTE_LIMIT: u32 = 25_000;
/// A session key should pay at least this many fees.
pub(crate) const FEW_FEES: u64 = 3;
/// Which recent fee `auto` pays: the 75th percentile.
pub(crate) const AUTO_PERCENTILE: usize = 75;
/// How often the same signed bytes are sent again while waiting.
pub(crate) const REBROADCAST_EVERY: Duration = Duration::from_secs(2);
pub(crate) const STATUS_POLL: Duration = Duration::from_millis(400);
/// A bound on waiting even if the cluster keeps calling the blockhash valid.
pub(crate) const LANDING_TIMEOUT: Duration = Duration::from_secs(150);

/// The priority fee a transaction offers, in micro-lamports per compute unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PriorityFee {
    /// A percentile of `getRecentPrioritizationFees` over the transaction's writable accounts,
    /// capped by [`SendSettings::max_priority_fee`].
    Auto,
    MicroLamports(u64),
}

impl FromStr for PriorityFee {
    type Err = String;

    fn from_str(text: &str) -> std::result::Result<Self, Self::Err> {
        match text.trim() {
            "auto" => Ok(PriorityFee::Auto),
            number => number.parse().map(PriorityFee::MicroLamports).map_err(|_| {
                format!(
                    "{text:?} is not a priority fee: give `auto` or micro-lamports per compute unit (e.g. 10000)"
                )
            }),
        }
    }
}

/// How a client sends: commitment, priority fee and its cap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SendSettings {
    /// What reads, preflight, simulation and confirmation wait for.
    pub commitment: CommitmentLevel,
    pub priority_fee: PriorityFee,
    /// The most `auto` offers, in micro-lamports per compute unit.
    pub max_priority_fee: u64,
}

impl Default for SendSettings {
    fn default() -> Self {
        SendSettings {
            commitment: CommitmentLevel::Confirmed,
            priority_fee: PriorityFee::Auto,
            max_priority_fee: DEFAULT_MAX_PRIORITY_FEE,
        }
    }
}

/// `processed`, `confirmed` or `finalized`.
pub fn parse_commitment(text: &str) -> std::result::Result<CommitmentLevel, String> {
    match text {
        "processed" => Ok(CommitmentLevel::Processed),
        "confirmed" => Ok(CommitmentLevel::Confirmed),
        "finalized" => Ok(CommitmentLevel::Finalized),
        other => Err(format!(
            "{other:?} is not a commitment: processed, confirmed or finalized"
        )),
    }
}

/// What a transaction asks for and will pay.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub struct FeeEstimate {
    /// Units the simulation used.
    pub compute_units: u64,
    /// The limit the transaction asks for: the simulation's units plus a margin.
    pub compute_unit_limit: u32,
    /// Micro-lamports per compute unit.
    pub priority_fee: u64,
    /// Base fee (5,000 lamports per signature) plus the priority fee on the limit.
    pub fee_lamports: u64,
}

impl FeeEstimate {
    /// A transaction of `signatures` signatures that used `units` in simulation and asks
    /// `limit` units at `priority_fee`.
    pub fn new(signatures: usize, units: u64, limit: u32, priority_fee: u64) -> FeeEstimate {
        FeeEstimate {
            compute_units: units,
            compute_unit_limit: limit,
            priority_fee,
            fee_lamports: fee_for(signatures, limit, priority_fee),
        }
    }

    /// The fee in SOL, as an exact decimal.
    pub fn fee_sol(&self) -> String {
        format_amount(self.fee_lamports, 9)
    }
}

impl fmt::Display for FeeEstimate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "fee {} SOL ({} compute units asked, {} used in simulation; priority {} µlamports/CU)",
            self.fee_sol(),
            self.compute_unit_limit,
            self.compute_units,
            self.priority_fee
        )
    }
}

/// The first send: with preflight at the client's own commitment. The RPC server's default
/// preflight commitment is `finalized`, which on a real cluster lags `confirmed` by about 32
/// slots: a transaction built on a `confirmed` blockhash, or paid from a balance just credited,
/// fails its preflight there with "Blockhash not found" or "no record of a prior credit".
pub fn first_send_config(commitment: CommitmentConfig) -> RpcSendTransactionConfig {
    RpcSendTransactionConfig {
        skip_preflight: false,
        preflight_commitment: Some(commitment.commitment),
        ..Default::default()
    }
}

/// `SetComputeUnitLimit`, and `SetComputeUnitPrice` when there is a price.
pub fn budget_instructions(limit: u32, price: u64) -> Vec<Instruction> {
    let mut out = vec![Instruction {
        program_id: COMPUTE_BUDGET_PROGRAM,
        accounts: vec![],
        data: [&[2u8][..], &limit.to_le_bytes()].concat(),
    }];
    if price > 0 {
        out.push(Instruction {
            program_id: COMPUTE_BUDGET_PROGRAM,
            accounts: vec![],
            data: [&[3u8][..], &price.to_le_bytes()].concat(),
        });
    }
    out
}

/// The limit for a transaction that used `units` in simulation: a margin of a tenth (at least
/// 1,000), the `headroom` its programs' refusals need ([`headroom_for`]), and a jitter of up to
/// 999 units so two devices sending the same transfer in one slot do not build byte-identical
/// transactions (one would be dropped as a duplicate).
pub fn limit_for(units: u64, headroom: u32, jitter: u32) -> u32 {
    let margin = (units / 10).max(1_000);
    let limit = units
        .saturating_add(margin)
        .saturating_add(u64::from(headroom))
        .saturating_add(u64::from(jitter % 1_000));
    u32::try_from(limit)
        .unwrap_or(MAX_COMPUTE_UNITS)
        .min(MAX_COMPUTE_UNITS)
}

/// The fee of a transaction with `signatures` signatures asking `limit` units at `price`.
pub fn fee_for(signatures: usize, limit: u32, price: u64) -> u64 {
    let priority = u128::from(limit)
        .saturating_mul(u128::from(price))
        .div_ceil(1_000_000);
    (signatures as u64)
        .saturating_mul(LAMPORTS_PER_SIGNATURE)
        .saturating_add(u64::try_from(priority).unwrap_or(u64::MAX))
}

/// The `percentile`th of `fees` (0 when there are none).
pub fn percentile(mut fees: Vec<u64>, percentile: usize) -> u64 {
    if fees.is_empty() {
        return 0;
    }
    fees.sort_unstable();
    let index = (fees.len().saturating_sub(1)).saturating_mul(percentile) / 100;
    fees[index.min(fees.len() - 1)]
}

/// The accounts a transaction of `instructions` paid by `fee_payer` writes (at most 128, what
/// `getRecentPrioritizationFees` takes).
pub fn writable_of(instructions: &[Instruction], fee_payer: &Pubkey) -> Vec<Pubkey> {
    let mut writable: Vec<Pubkey> = vec![*fee_payer];
    for meta in instructions.iter().flat_map(|i| &i.accounts) {
        if meta.is_writable && !writable.contains(&meta.pubkey) {
            writable.push(meta.pubkey);
        }
    }
    writable.truncate(128);
    writable
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_keep_a_margin_and_stay_unique_and_bounded() {
        assert_eq!(limit_for(12_000, 0, 0), 13_200);
        assert_eq!(limit_for(500, 0, 0), 1_500, "at least 1,000 spare");
        assert_eq!(limit_for(12_000, 0, 999), 14_199);
        assert_eq!(
            limit_for(12_000, 0, 1_999),
            14_199,
            "the jitter stays under 1,000"
        );
        assert_eq!(limit_for(2_000_000, 0, 0), MAX_COMPUTE_UNITS);
        assert_ne!(limit_for(12_000, 0, 1), limit_for(12_000, 0, 2));
        assert_eq!(limit_for(12_000, REFUSAL_HEADROOM, 0), 38_200);
    }

    #[test]
    fn programs_whose_refusals_cost_more_get_headroom() {
        let transfer = solana_system_interface::instruction::transfer(
            &Pubkey::new_unique(),
            &Pubkey::new_unique(),
            1,
        );
        assert_eq!(headroom_for(std::slice::from_ref(&transfer)), 0);
        let leash = Instruction::new_with_bytes(Pubkey::new_unique(), &[2], vec![]);
        assert_eq!(headroom_for(&[transfer, leash]), REFUSAL_HEADROOM);
    }

    #[test]
    fn fees_are_the_base_plus_the_priority_on_the_limit() {
        assert_eq!(fee_for(1, 20_000, 0), 5_000);
        assert_eq!(fee_for(2, 20_000, 0), 10_000);
        // 20,000 units at 1,000,000 µlamports = 20,000 lamports.
        assert_eq!(fee_for(1, 20_000, 1_000_000), 25_000);
        // Rounded up to a whole lamport.
        assert_eq!(fee_for(1, 3, 1), 5_001);
    }

    #[test]
    fn auto_takes_the_75th_percentile() {
        assert_eq!(percentile(vec![], 75), 0);
        assert_eq!(percentile(vec![7], 75), 7);
        assert_eq!(percentile((1..=100).collect(), 75), 75);
        assert_eq!(percentile(vec![0, 0, 0, 1_000], 75), 0);
        assert_eq!(percentile(vec![5, 1, 4, 2, 3], 75), 4);
    }

    #[test]
    fn budget_instructions_are_the_compute_budget_programs() {
        let only_limit = budget_instructions(13_200, 0);
        assert_eq!(only_limit.len(), 1, "no price instruction at price 0");
        assert_eq!(only_limit[0].data, [2, 0x90, 0x33, 0, 0]);
        let both = budget_instructions(13_200, 10_000);
        assert_eq!(both[1].data[0], 3);
        assert_eq!(
            u64::from_le_bytes(both[1].data[1..9].try_into().unwrap()),
            10_000
        );
    }

    #[test]
    fn priority_fees_and_commitments_parse() {
        assert_eq!("auto".parse(), Ok(PriorityFee::Auto));
        assert_eq!("2500".parse(), Ok(PriorityFee::MicroLamports(2_500)));
        assert!("fast".parse::<PriorityFee>().unwrap_err().contains("auto"));
        assert_eq!(
            parse_commitment("finalized"),
            Ok(CommitmentLevel::Finalized)
        );
        assert!(parse_commitment("max").is_err());
    }
}
