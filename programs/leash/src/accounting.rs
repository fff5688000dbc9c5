//! Outcome-based spend accounting (DESIGN.md §3.3, `Execute`).
//!
//! Spend is what actually left the vault: the vault's lamports and the balances of every token
//! account the vault owns, snapshotted before the calls and compared afterwards. No call is
//! parsed, so `transferFrom`-style pulls, swaps, burns and closes are all counted the same way.
//! This module is pure logic over snapshots; the processor takes the snapshots.

use solana_program::pubkey::Pubkey;

use crate::{
    error::LeashError,
    state::{Policy, Spent, NATIVE_SOL_MINT},
    token_account::TokenAccountView,
};

/// What the vault held, over the (deduplicated) accounts passed to an `Execute`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub vault_lamports: u64,
    /// Every passed token account whose owner field is the vault, keyed by its address.
    pub token_accounts: Vec<(Pubkey, TokenAccountView)>,
}

impl Snapshot {
    /// The vault's balance of `mint` over the snapshotted accounts.
    fn balance(&self, mint: &Pubkey) -> Result<u64, LeashError> {
        self.token_accounts
            .iter()
            .filter(|(_, t)| t.mint == *mint)
            .try_fold(0u64, |sum, (_, t)| sum.checked_add(t.amount))
            .ok_or(LeashError::ArithmeticOverflow)
    }

    fn mints(&self) -> impl Iterator<Item = &Pubkey> {
        self.token_accounts.iter().map(|(_, t)| &t.mint)
    }
}

/// Token accounts the vault owned before must still be the vault's afterwards, gain no delegate
/// (or a larger delegated amount) and no close authority. A closed or re-owned account fails
/// here too: its rent and any wrapped SOL would leave the vault unmetered. Token accounts that
/// became the vault's during the calls must have neither a delegate nor a close authority, or
/// tokens moved into them could be taken later without a session.
pub fn check_authorities(before: &Snapshot, after: &Snapshot) -> Result<(), LeashError> {
    for (address, now) in &after.token_accounts {
        let is_new = !before.token_accounts.iter().any(|(a, _)| a == address);
        if is_new && (now.delegate.is_some() || now.close_authority.is_some()) {
            crate::leash_log!(
                "new vault token account {address} has a delegate or close authority"
            );
            return Err(LeashError::ForbiddenAuthorityChange);
        }
    }
    for (address, was) in &before.token_accounts {
        let Some((_, now)) = after.token_accounts.iter().find(|(a, _)| a == address) else {
            crate::leash_log!("vault token account {address} was closed or changed owner");
            return Err(LeashError::ForbiddenAuthorityChange);
        };
        let delegate_ok = match now.delegate {
            None => true,
            Some(d) => was.delegate == Some(d) && now.delegated_amount <= was.delegated_amount,
        };
        if !delegate_ok {
            crate::leash_log!("vault token account {address} gained a delegate");
            return Err(LeashError::ForbiddenAuthorityChange);
        }
        if now.close_authority.is_some() && now.close_authority != was.close_authority {
            crate::leash_log!("vault token account {address} gained a close authority");
            return Err(LeashError::ForbiddenAuthorityChange);
        }
    }
    Ok(())
}

/// Per mint, `max(0, Σbefore − Σafter)`; native SOL is [`NATIVE_SOL_MINT`]. Only mints with a
/// positive outflow are returned: SOL first, then tokens in order of first appearance.
pub fn outflows(before: &Snapshot, after: &Snapshot) -> Result<Vec<(Pubkey, u64)>, LeashError> {
    let mut out = Vec::new();
    let sol = before.vault_lamports.saturating_sub(after.vault_lamports);
    if sol > 0 {
        out.push((NATIVE_SOL_MINT, sol));
    }
    let mut seen: Vec<&Pubkey> = Vec::new();
    for mint in before.mints().chain(after.mints()) {
        if seen.contains(&mint) {
            continue;
        }
        seen.push(mint);
        let spent = before.balance(mint)?.saturating_sub(after.balance(mint)?);
        if spent > 0 {
            out.push((*mint, spent));
        }
    }
    Ok(out)
}

/// Which bound an outflow broke, with the figures the CLI shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LimitViolation {
    pub error: LeashError,
    pub mint: Pubkey,
    /// The outflow of this transaction.
    pub amount: u64,
    /// Already used of the bound (0 for per-transaction).
    pub used: u64,
    /// The bound.
    pub limit: u64,
}

/// Index of the fixed window `now` falls in, windows of `period_secs` anchored at `created_at`.
/// A clock earlier than `created_at` counts as the first window.
pub fn period_index(now: i64, created_at: i64, period_secs: u32) -> u64 {
    if period_secs == 0 {
        return 0;
    }
    let elapsed = now.checked_sub(created_at).unwrap_or(0).max(0) as u64;
    elapsed.checked_div(u64::from(period_secs)).unwrap_or(0)
}

/// Charges `outflows` against `policy`, updating `spent` (parallel to `policy.limits`) only if
/// every outflow fits. Checks per mint, in order: a limit exists, `per_tx`, remaining `total`,
/// remaining `per_period` of the current window.
pub fn charge(
    policy: &Policy,
    spent: &mut [Spent],
    outflows: &[(Pubkey, u64)],
    now: i64,
    created_at: i64,
) -> Result<(), LimitViolation> {
    let mut updated = spent.to_vec();
    for &(mint, amount) in outflows {
        let violation = |error, used, limit| LimitViolation {
            error,
            mint,
            amount,
            used,
            limit,
        };
        let overflow = violation(LeashError::ArithmeticOverflow, 0, 0);
        let Some((i, limit)) = policy.limit_for(&mint) else {
            return Err(violation(LeashError::TokenNotInPolicy, 0, 0));
        };
        let entry = updated.get_mut(i).ok_or(overflow)?;
        if amount > limit.per_tx {
            return Err(violation(LeashError::PerTxLimitExceeded, 0, limit.per_tx));
        }
        let total = entry.total.checked_add(amount).ok_or(overflow)?;
        if total > limit.total {
            return Err(violation(
                LeashError::SpendingLimitExceeded,
                entry.total,
                limit.total,
            ));
        }
        entry.total = total;
        if limit.period_secs > 0 {
            let index = period_index(now, created_at, limit.period_secs);
            if index != entry.period_index {
                entry.period_index = index;
                entry.in_period = 0;
            }
            let in_period = entry.in_period.checked_add(amount).ok_or(overflow)?;
            if in_period > limit.per_period {
                return Err(violation(
                    LeashError::PeriodLimitExceeded,
                    entry.in_period,
                    limit.per_period,
                ));
            }
            entry.in_period = in_period;
        }
    }
    spent.copy_from_slice(&updated);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{SpendLimit, UNLIMITED};
    use proptest::prelude::*;

    const VAULT: Pubkey = Pubkey::new_from_array([200; 32]);

    fn mint(b: u8) -> Pubkey {
        Pubkey::new_from_array([b; 32])
    }

    fn token(m: u8, amount: u64) -> TokenAccountView {
        TokenAccountView {
            mint: mint(m),
            owner: VAULT,
            amount,
            delegate: None,
            delegated_amount: 0,
            close_authority: None,
        }
    }

    fn snap(lamports: u64, accounts: &[(u8, u8, u64)]) -> Snapshot {
        Snapshot {
            vault_lamports: lamports,
            token_accounts: accounts
                .iter()
                .map(|&(addr, m, amount)| (Pubkey::new_from_array([addr; 32]), token(m, amount)))
                .collect(),
        }
    }

    fn policy(limits: Vec<SpendLimit>) -> Policy {
        Policy::unbounded(vec![], limits)
    }

    fn limit(m: u8, per_tx: u64, total: u64, period_secs: u32, per_period: u64) -> SpendLimit {
        SpendLimit {
            mint: mint(m),
            per_tx,
            total,
            period_secs,
            per_period,
        }
    }

    #[test]
    fn sums_across_accounts_and_ignores_inflows_and_internal_moves() {
        // Two accounts of mint 1: 100 + 50 → 30 + 70 (move of 50 plus 50 out).
        let before = snap(1_000, &[(1, 1, 100), (2, 1, 50), (3, 2, 10)]);
        let after = snap(1_500, &[(1, 1, 30), (2, 1, 70), (3, 2, 99)]);
        assert_eq!(outflows(&before, &after).unwrap(), vec![(mint(1), 50)]);
        // A pure move between two vault accounts is nothing.
        let after = snap(1_000, &[(1, 1, 0), (2, 1, 150), (3, 2, 10)]);
        assert_eq!(outflows(&before, &after).unwrap(), vec![]);
        // SOL comes first.
        let after = snap(400, &[(1, 1, 0), (2, 1, 0), (3, 2, 10)]);
        assert_eq!(
            outflows(&before, &after).unwrap(),
            vec![(NATIVE_SOL_MINT, 600), (mint(1), 150)]
        );
    }

    #[test]
    fn account_that_stops_being_the_vaults_counts_as_spent_and_is_refused() {
        let before = snap(0, &[(1, 1, 100)]);
        let after = snap(0, &[]);
        assert_eq!(outflows(&before, &after).unwrap(), vec![(mint(1), 100)]);
        assert_eq!(
            check_authorities(&before, &after),
            Err(LeashError::ForbiddenAuthorityChange)
        );
    }

    #[test]
    fn authority_changes() {
        let before = snap(0, &[(1, 1, 100)]);
        let mut after = before.clone();
        assert_eq!(check_authorities(&before, &after), Ok(()));
        after.token_accounts[0].1.delegate = Some(mint(9));
        assert_eq!(
            check_authorities(&before, &after),
            Err(LeashError::ForbiddenAuthorityChange)
        );
        let mut after = before.clone();
        after.token_accounts[0].1.close_authority = Some(mint(9));
        assert_eq!(
            check_authorities(&before, &after),
            Err(LeashError::ForbiddenAuthorityChange)
        );
        // An existing delegate may be kept or revoked, not raised.
        let mut with_delegate = before.clone();
        with_delegate.token_accounts[0].1.delegate = Some(mint(9));
        with_delegate.token_accounts[0].1.delegated_amount = 10;
        let mut after = with_delegate.clone();
        after.token_accounts[0].1.delegated_amount = 4;
        assert_eq!(check_authorities(&with_delegate, &after), Ok(()));
        after.token_accounts[0].1.delegate = None;
        assert_eq!(check_authorities(&with_delegate, &after), Ok(()));
        let mut after = with_delegate.clone();
        after.token_accounts[0].1.delegated_amount = 11;
        assert_eq!(
            check_authorities(&with_delegate, &after),
            Err(LeashError::ForbiddenAuthorityChange)
        );
        // An account that became the vault's during the calls may carry neither authority.
        let mut after = snap(0, &[(1, 1, 100), (2, 1, 0)]);
        assert_eq!(check_authorities(&before, &after), Ok(()));
        after.token_accounts[1].1.delegate = Some(mint(9));
        assert_eq!(
            check_authorities(&before, &after),
            Err(LeashError::ForbiddenAuthorityChange)
        );
    }

    #[test]
    fn limit_edges() {
        let p = policy(vec![limit(1, 10, 25, 0, 0)]);
        let mut spent = vec![Spent::default()];
        assert!(charge(&p, &mut spent, &[(mint(1), 10)], 0, 0).is_ok());
        let e = charge(&p, &mut spent, &[(mint(1), 11)], 0, 0).unwrap_err();
        assert_eq!((e.error, e.limit), (LeashError::PerTxLimitExceeded, 10));
        assert!(charge(&p, &mut spent, &[(mint(1), 10)], 0, 0).is_ok());
        // 20 spent: exactly the remaining 5 fits, 6 does not.
        let e = charge(&p, &mut spent, &[(mint(1), 6)], 0, 0).unwrap_err();
        assert_eq!(
            (e.error, e.used, e.limit),
            (LeashError::SpendingLimitExceeded, 20, 25)
        );
        assert_eq!(spent[0].total, 20, "a refused charge changes nothing");
        assert!(charge(&p, &mut spent, &[(mint(1), 5)], 0, 0).is_ok());
        assert_eq!(spent[0].total, 25);
        let e = charge(&p, &mut spent, &[(mint(2), 1)], 0, 0).unwrap_err();
        assert_eq!(e.error, LeashError::TokenNotInPolicy);
    }

    #[test]
    fn period_windows_reset_at_the_edge() {
        let p = policy(vec![limit(1, UNLIMITED, UNLIMITED, 100, 30)]);
        let mut spent = vec![Spent::default()];
        let created = 1_000;
        assert!(charge(&p, &mut spent, &[(mint(1), 30)], created + 99, created).is_ok());
        let e = charge(&p, &mut spent, &[(mint(1), 1)], created + 99, created).unwrap_err();
        assert_eq!(
            (e.error, e.used, e.limit),
            (LeashError::PeriodLimitExceeded, 30, 30)
        );
        // The next window starts exactly at created_at + period_secs.
        assert!(charge(&p, &mut spent, &[(mint(1), 30)], created + 100, created).is_ok());
        assert_eq!(
            spent[0],
            Spent {
                total: 60,
                period_index: 1,
                in_period: 30
            }
        );
        // A clock before created_at is window 0.
        assert_eq!(period_index(created - 5, created, 100), 0);
    }

    #[test]
    fn u64_max_means_unbounded_and_overflow_is_an_error() {
        let p = policy(vec![limit(1, UNLIMITED, UNLIMITED, 0, 0)]);
        let mut spent = vec![Spent::default()];
        assert!(charge(&p, &mut spent, &[(mint(1), u64::MAX)], 0, 0).is_ok());
        let e = charge(&p, &mut spent, &[(mint(1), 1)], 0, 0).unwrap_err();
        assert_eq!(e.error, LeashError::ArithmeticOverflow);
        let big = snap(0, &[(1, 1, u64::MAX), (2, 1, 1)]);
        assert_eq!(
            outflows(&big, &snap(0, &[])),
            Err(LeashError::ArithmeticOverflow)
        );
    }

    proptest! {
        /// Whatever the sequence of outflows and clock steps, what `charge` records never exceeds
        /// the total or any window's allowance, and equals the sum of the accepted outflows.
        #[test]
        fn recorded_spend_never_exceeds_limits(
            per_tx in 1u64..200,
            total in 0u64..1_000,
            period_secs in 0u32..50,
            per_period in 0u64..300,
            steps in proptest::collection::vec((0u64..250, 0i64..40), 1..60),
        ) {
            let p = policy(vec![limit(1, per_tx, total, period_secs, per_period)]);
            let mut spent = vec![Spent::default()];
            let mut now = 0i64;
            let mut accepted = 0u64;
            let mut window_sum: std::collections::BTreeMap<u64, u64> = Default::default();
            for (amount, dt) in steps {
                now += dt;
                let before = spent.clone();
                match charge(&p, &mut spent, &[(mint(1), amount)], now, 0) {
                    Ok(()) => {
                        accepted += amount;
                        *window_sum.entry(period_index(now, 0, period_secs)).or_default() += amount;
                        prop_assert!(amount <= per_tx);
                    }
                    Err(_) => prop_assert_eq!(&spent, &before),
                }
                prop_assert_eq!(spent[0].total, accepted);
                prop_assert!(spent[0].total <= total);
                if period_secs > 0 {
                    for sum in window_sum.values() {
                        prop_assert!(*sum <= per_period);
                    }
                }
            }
        }
    }
}
