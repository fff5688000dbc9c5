//! Outcome-based spend accounting, value model v2 (docs/program.md, "The value model").
//!
//! The vault's PDA signature, lent to the calls of an `Execute`, is the whole authority of the
//! wallet. So spend is not read from the calls: the processor snapshots every passed account
//! before and after the calls, and this module measures what left everything the vault
//! controls — its lamports, the token accounts, mints and multisigs it has an authority over, and
//! the System accounts it can sign for through `create_with_seed` — and refuses outcomes in which
//! an authority the vault held would leave it. This module is pure logic over snapshots; the
//! rules and the decisions left open are listed in docs/program.md ("The value model").

use crate::list::Vec;

use crate::{
    authority_account,
    error::LeashError,
    leash_log,
    platform::{address_eq, Account, ProgramError, Pubkey, SYSTEM_PROGRAM_ID},
    state::{Policy, SpendLimit, Spent, NATIVE_SOL_MINT},
    token_account::{
        self, MintView, TokenAccountKind, TokenAccountView, AMOUNT_RANGE, DELEGATED_AMOUNT_RANGE,
        EXTENSION_TRANSFER_FEE_AMOUNT, EXTENSION_TRANSFER_FEE_CONFIG, FEE_CONFIG_WITHHELD_RANGE,
        SUPPLY_RANGE,
    },
};

/// One passed account at one moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountState {
    pub key: Pubkey,
    pub owner: Pubkey,
    pub lamports: u64,
    pub data_len: usize,
    /// The data of accounts owned by a token program, and the head of nonce accounts, stake
    /// accounts and lookup tables ([`authority_account`]); empty for every other account
    /// (nothing else is read).
    pub data: Vec<u8>,
}

impl AccountState {
    fn token_account(&self) -> Option<TokenAccountView> {
        token_account::parse(&self.owner, &self.data)
    }

    fn mint(&self) -> Option<MintView> {
        token_account::parse_mint(&self.owner, &self.data)
    }

    fn kind(&self) -> Option<TokenAccountKind> {
        token_account::kind(&self.owner, &self.data)
    }

    fn is_system(&self) -> bool {
        address_eq(&self.owner, &SYSTEM_PROGRAM_ID)
    }

    /// The authorities of a nonce account, stake account or lookup table.
    fn authorities(&self) -> Option<authority_account::Authorities> {
        authority_account::authorities(&self.owner, &self.data)
    }
}

/// The distinct passed accounts of an `Execute`, in order of first appearance.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub accounts: Vec<AccountState>,
}

impl Snapshot {
    /// Captures `accounts`, skipping repeated keys.
    pub fn capture(accounts: &[Account]) -> Result<Snapshot, ProgramError> {
        let mut states: Vec<AccountState> = Vec::with_capacity(accounts.len());
        for account in accounts {
            if states.iter().any(|s| address_eq(&s.key, account.key())) {
                continue;
            }
            let data = account.data()?;
            // Three arms rather than one copy of a chosen slice: the shared form measured 150
            // CU more per `Execute` on SBF (every passed account goes through here twice).
            let copied = if token_account::is_token_program(account.owner()) {
                let mut copy = Vec::with_capacity(data.len());
                copy.extend_from_slice(&data);
                copy
            } else if authority_account::is_read(account.owner(), data.len()) {
                // Only the head: a lookup table can hold 256 addresses after it.
                let head = data.get(..authority_account::HEAD_LEN).unwrap_or(&data);
                let mut copy = Vec::with_capacity(head.len());
                copy.extend_from_slice(head);
                copy
            } else {
                Vec::new()
            };
            states.push(AccountState {
                key: *account.key(),
                owner: *account.owner(),
                lamports: account.lamports(),
                data_len: data.len(),
                data: copied,
            });
        }
        Ok(Snapshot { accounts: states })
    }

    fn get(&self, key: &Pubkey) -> Option<&AccountState> {
        self.accounts.iter().find(|s| address_eq(&s.key, key))
    }

    fn mint(&self, key: &Pubkey) -> Option<MintView> {
        self.get(key).and_then(AccountState::mint)
    }
}

/// The keys whose authority is the vault's: the vault, and every passed multisig (judged before
/// the calls) that lists the vault among its signers — the vault alone can sign for a 1-of-n.
#[derive(Clone, Debug)]
pub struct VaultKeys(Vec<Pubkey>);

impl VaultKeys {
    pub fn new(vault: &Pubkey, before: &Snapshot) -> VaultKeys {
        let mut keys = crate::list![*vault];
        keys.extend(
            before
                .accounts
                .iter()
                .filter(|s| token_account::multisig_has_signer(&s.owner, &s.data, vault))
                .map(|s| s.key),
        );
        VaultKeys(keys)
    }

    /// The vault itself.
    pub fn vault(&self) -> &Pubkey {
        // `new` always puts the vault first.
        &self.0[0]
    }

    pub fn contains(&self, key: &Pubkey) -> bool {
        self.0.iter().any(|k| address_eq(k, key))
    }

    fn holds(&self, key: &Option<Pubkey>) -> bool {
        key.as_ref().is_some_and(|k| self.contains(k))
    }

    fn appears_at(&self, bytes: &[u8]) -> bool {
        self.0.iter().any(|k| k.as_ref() == bytes)
    }
}

/// Whether `state` holds the vault's own value (docs/program.md, "Who else can move it"): the
/// vault, or a token account the vault owns with no delegate and a close authority that is none
/// or the vault.
/// Only these are netted against each other, because only the vault can move value out of them;
/// a token account handed to the vault keeps the close authority its former owner set, and an
/// owner-set delegate can spend what lands in its account. Every other account the vault can
/// debit is charged account by account (docs/program.md, "Who else can move it").
fn holds_vaults_own_value(vault: &Pubkey, state: &AccountState) -> bool {
    address_eq(&state.key, vault)
        || state.token_account().is_some_and(|t| {
            address_eq(&t.owner, vault)
                && t.delegate.is_none()
                && t.close_authority
                    .as_ref()
                    .is_none_or(|c| address_eq(c, vault))
        })
}

/// Whether the vault's signature can debit `state` as seen in `side` without owning it: a token
/// account owned by a multisig the vault signs for, delegated to the vault, closable by it, or
/// movable by it as its mint's permanent delegate; a mint the vault holds an authority over
/// (excess lamports, closing); a multisig the vault signs for; a stake account whose withdrawer
/// is the vault; a lookup table whose authority is the vault. Decreases of these are charged
/// account by account and never netted against increases: an increase may sit where someone
/// else can take it (an attacker's own account delegated to the vault, say).
fn debitable(keys: &VaultKeys, side: &Snapshot, state: &AccountState) -> bool {
    match state.kind() {
        Some(TokenAccountKind::Account) => state.token_account().is_some_and(|t| {
            keys.contains(&t.owner)
                || keys.holds(&t.delegate)
                || keys.holds(&t.close_authority)
                || side
                    .mint(&t.mint)
                    .is_some_and(|m| keys.holds(&m.permanent_delegate))
        }),
        Some(TokenAccountKind::Mint) => state
            .mint()
            .is_some_and(|m| holds_mint_authority(keys, state, &m)),
        Some(TokenAccountKind::Multisig) => keys.contains(&state.key),
        // A stake account the vault withdraws from, a lookup table it may close (nonce
        // accounts are System accounts, charged as such).
        None => state
            .authorities()
            .is_some_and(|a| keys.holds(&a.over_lamports)),
    }
}

/// Per-key sums in order of first appearance.
#[derive(Default)]
struct Ledger(Vec<(Pubkey, u128)>);

impl Ledger {
    fn add(&mut self, key: Pubkey, amount: u128) {
        match self.0.iter_mut().find(|(k, _)| address_eq(k, &key)) {
            Some((_, sum)) => *sum = sum.saturating_add(amount),
            None => self.0.push((key, amount)),
        }
    }

    fn get(&self, key: &Pubkey) -> u128 {
        self.0
            .iter()
            .find(|(k, _)| address_eq(k, key))
            .map_or(0, |(_, v)| *v)
    }
}

/// Refuses an outcome in which an authority the vault held would leave it (docs/program.md, "The value model"
/// rule 4), logging the rule and the account. Checked before anything is charged.
pub fn check_authorities(
    keys: &VaultKeys,
    before: &Snapshot,
    after: &Snapshot,
) -> Result<(), LeashError> {
    fn refuse(what: core::fmt::Arguments) -> Result<(), LeashError> {
        leash_log!("{what}");
        Err(LeashError::ForbiddenAuthorityChange)
    }
    let vault = keys.vault();
    for (was, now) in before.accounts.iter().zip(&after.accounts) {
        if address_eq(&was.key, vault) && !(now.is_system() && now.data_len == 0) {
            return refuse(format_args!(
                "the vault {vault} must stay a System account without data"
            ));
        }
        if let Some(held) = was.authorities() {
            // A nonce account, stake account or lookup table keeps every authority the vault
            // held: handed over, it could be withdrawn or closed by someone else without a
            // lamport moving now. One whose lamports the vault controls keeps all its terms —
            // else a session could lock the owner's stake for ever under a custodian of its
            // own (a ransom, not a transfer). Withdrawn whole (deinitialized) it holds
            // nothing, and its lamports are charged.
            let changed = now.authorities().is_some_and(|after| {
                (keys.holds(&held.over_lamports) && after != held)
                    || held
                        .slots
                        .iter()
                        .zip(after.slots.iter())
                        .any(|(was, now)| keys.holds(was) && was != now)
            });
            if changed {
                return refuse(format_args!(
                    "account {} (nonce, stake or lookup table) would change an authority the \
                     vault holds",
                    was.key
                ));
            }
        }
        if let Some(mint) = was.mint() {
            if holds_mint_authority(keys, was, &mint) && !mint_unchanged_but_supply(was, now) {
                return refuse(format_args!(
                    "authority of mint {} would change, or the mint would be reconfigured",
                    was.key
                ));
            }
        }
        let old = was.token_account();
        let new = now.token_account();
        if let Some(n) = new {
            let became_vaults =
                keys.contains(&n.owner) && old.is_none_or(|o| !keys.contains(&o.owner));
            if became_vaults && (n.delegate.is_some() || n.close_authority.is_some()) {
                return refuse(format_args!(
                    "new vault token account {} may not have a delegate or close authority",
                    now.key
                ));
            }
        }
        let Some(old) = old else {
            continue;
        };
        if keys.contains(&old.owner) {
            if new.is_none() {
                return refuse(format_args!(
                    "vault token account {} would be closed",
                    was.key
                ));
            }
            if !vault_account_unchanged(was, now) {
                return refuse(format_args!(
                    "vault token account {} would change its owner, delegate, close authority, \
                     state or extensions",
                    was.key
                ));
            }
            if new.is_some_and(|n| n.delegated_amount > old.delegated_amount) {
                return refuse(format_args!(
                    "delegated amount of vault token account {} would grow",
                    was.key
                ));
            }
        }
        if keys.holds(&old.delegate) {
            let kept = new.is_some_and(|n| {
                n.delegate == old.delegate || (n.delegate.is_none() && n.delegated_amount == 0)
            });
            if !kept {
                return refuse(format_args!(
                    "delegated account {} would lose the vault as its delegate",
                    was.key
                ));
            }
        }
        if keys.holds(&old.close_authority)
            && new.is_none_or(|n| n.close_authority != old.close_authority)
        {
            return refuse(format_args!(
                "account {} would lose the vault as its close authority",
                was.key
            ));
        }
        let frozen_by_vault = before
            .mint(&old.mint)
            .is_some_and(|m| keys.holds(&m.freeze_authority));
        if frozen_by_vault && new.is_some_and(|n| n.state != old.state) {
            return refuse(format_args!(
                "token account {} of mint {} would be frozen or thawed",
                was.key, old.mint
            ));
        }
    }
    Ok(())
}

/// Whether a key of K holds any authority over the mint: mint, freeze, or any 32-byte field of a
/// Token-2022 extension (permanent delegate, fee, close, pointer, metadata, pause authorities…,
/// found by value so extensions this program does not know are covered too).
fn holds_mint_authority(keys: &VaultKeys, was: &AccountState, mint: &MintView) -> bool {
    keys.holds(&mint.mint_authority)
        || keys.holds(&mint.freeze_authority)
        || token_account::extensions(&was.data)
            .any(|(_, value)| value.windows(32).any(|w| keys.appears_at(w)))
}

/// A mint after the calls: the same bytes but for its supply (minting, burning) and the fees
/// withheld in it (harvesting is permissionless). So no authority leaves and none of the mint's
/// powers is used on others: no pausing, no new fees or rates, no metadata edits, no closing.
fn mint_unchanged_but_supply(was: &AccountState, now: &AccountState) -> bool {
    if !address_eq(&was.owner, &now.owner)
        || was.data.len() != now.data.len()
        || now.mint().is_none()
    {
        return false;
    }
    let base_equal =
        |range: core::ops::Range<usize>| was.data.get(range.clone()) == now.data.get(range);
    let base_end = was
        .data
        .len()
        .min(token_account::BASE_ACCOUNT_LEN.saturating_add(1));
    if !(base_equal(0..SUPPLY_RANGE.start) && base_equal(SUPPLY_RANGE.end..base_end)) {
        return false;
    }
    extensions_equal_except(was, now, |kind, old, new| {
        kind == EXTENSION_TRANSFER_FEE_CONFIG
            && old.get(..FEE_CONFIG_WITHHELD_RANGE.start)
                == new.get(..FEE_CONFIG_WITHHELD_RANGE.start)
            && old.get(FEE_CONFIG_WITHHELD_RANGE.end..) == new.get(FEE_CONFIG_WITHHELD_RANGE.end..)
    })
}

/// The extensions of both sides are the same types in the same order with the same lengths,
/// and equal values except where `allowed(kind, old, new)` accepts a difference.
fn extensions_equal_except(
    was: &AccountState,
    now: &AccountState,
    allowed: impl Fn(u16, &[u8], &[u8]) -> bool,
) -> bool {
    let mut old = token_account::extensions(&was.data);
    let mut new = token_account::extensions(&now.data);
    loop {
        match (old.next(), new.next()) {
            (None, None) => return true,
            (Some((k1, v1)), Some((k2, v2))) => {
                if k1 != k2 || v1.len() != v2.len() || (v1 != v2 && !allowed(k1, v1, v2)) {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

/// A vault token account after the calls: the same bytes but for the amount, the delegated
/// amount and the withheld transfer fees, which move with ordinary transfers.
fn vault_account_unchanged(was: &AccountState, now: &AccountState) -> bool {
    if !address_eq(&was.owner, &now.owner) || was.data.len() != now.data.len() {
        return false;
    }
    let base_equal =
        |range: core::ops::Range<usize>| was.data.get(range.clone()) == now.data.get(range);
    // The base layout and, with extensions, the account type byte after it.
    let base_end = was
        .data
        .len()
        .min(token_account::BASE_ACCOUNT_LEN.saturating_add(1));
    if !(base_equal(0..AMOUNT_RANGE.start)
        && base_equal(AMOUNT_RANGE.end..DELEGATED_AMOUNT_RANGE.start)
        && base_equal(DELEGATED_AMOUNT_RANGE.end..base_end))
    {
        return false;
    }
    extensions_equal_except(was, now, |kind, _, _| kind == EXTENSION_TRANSFER_FEE_AMOUNT)
}

/// What left everything the vault controls, per mint ([`NATIVE_SOL_MINT`] for SOL): SOL first,
/// then mints in order of first appearance. Only positive outflows are returned; an outflow
/// above `u64::MAX` is reported as `u64::MAX`.
///
/// Per mint (and for SOL, in lamports): max(0, Σbefore − Σafter) over the accounts holding the
/// vault's own value, plus every decrease of another account the vault can debit (System
/// accounts included: seeded addresses, nonce accounts), plus for a mint the vault may mint its
/// supply increase, plus for a mint whose withheld fees the vault may withdraw the decrease of the
/// fees withheld in it and its passed accounts. A side where an account is not of that kind (not
/// yet created, closed, assigned away) counts 0.
pub fn outflows(keys: &VaultKeys, before: &Snapshot, after: &Snapshot) -> Vec<(Pubkey, u64)> {
    let vault = keys.vault();
    // Netted sums: the vault's own value, and the withheld-fee pools of mints whose fees only
    // the vault may withdraw.
    let mut netted_before = Ledger::default();
    let mut netted_after = Ledger::default();
    // Charged as they happen: decreases of debitable accounts, supply increases.
    let mut charged = Ledger::default();
    let fee_pools: Vec<Pubkey> = before
        .accounts
        .iter()
        .filter(|s| s.mint().is_some())
        .filter(|s| keys.holds(&token_account::withdraw_withheld_authority(&s.data)))
        .map(|s| s.key)
        .collect();
    let pool_of = |state: &AccountState| -> Option<Pubkey> {
        let mint = match state.kind()? {
            TokenAccountKind::Mint => state.key,
            TokenAccountKind::Account => state.token_account()?.mint,
            TokenAccountKind::Multisig => return None,
        };
        fee_pools
            .iter()
            .any(|p| address_eq(p, &mint))
            .then_some(mint)
    };
    // Registers a key on every ledger so the order is that of first appearance.
    let mut order: Vec<Pubkey> = crate::list![NATIVE_SOL_MINT];
    let mut note = |key: Pubkey| {
        if !order.iter().any(|k| address_eq(k, &key)) {
            order.push(key);
        }
    };
    let amount_of = |state: &AccountState, mint: &Pubkey| {
        state
            .token_account()
            .filter(|t| address_eq(&t.mint, mint))
            .map_or(0, |t| t.amount)
    };
    for (was, now) in before.accounts.iter().zip(&after.accounts) {
        if holds_vaults_own_value(vault, was) || holds_vaults_own_value(vault, now) {
            netted_before.add(NATIVE_SOL_MINT, u128::from(was.lamports));
            netted_after.add(NATIVE_SOL_MINT, u128::from(now.lamports));
            let old_mint = was.token_account().map(|t| t.mint);
            let new_mint = now
                .token_account()
                .map(|t| t.mint)
                .filter(|m| Some(*m) != old_mint);
            for mint in old_mint.into_iter().chain(new_mint) {
                note(mint);
                netted_before.add(mint, u128::from(amount_of(was, &mint)));
                netted_after.add(mint, u128::from(amount_of(now, &mint)));
            }
        } else if was.is_system() {
            // Signed for through `create_with_seed`, or as a nonce authority: a debit, or the
            // account leaving the System program (for anyone but the vault), is charged.
            let kept = if now.is_system() { now.lamports } else { 0 };
            charged.add(
                NATIVE_SOL_MINT,
                u128::from(was.lamports.saturating_sub(kept)),
            );
        } else if debitable(keys, before, was) || debitable(keys, after, now) {
            charged.add(
                NATIVE_SOL_MINT,
                u128::from(was.lamports.saturating_sub(now.lamports)),
            );
            if let Some(t) = was.token_account() {
                note(t.mint);
                charged.add(
                    t.mint,
                    u128::from(t.amount.saturating_sub(amount_of(now, &t.mint))),
                );
            }
        }
        if let (Some(old), Some(new)) = (was.mint(), now.mint()) {
            if keys.holds(&old.mint_authority) {
                note(was.key);
                charged.add(was.key, u128::from(new.supply.saturating_sub(old.supply)));
            }
        }
        if let Some(mint) = pool_of(was) {
            note(mint);
            netted_before.add(mint, u128::from(token_account::withheld_fees(&was.data)));
        }
        if let Some(mint) = pool_of(now) {
            note(mint);
            netted_after.add(mint, u128::from(token_account::withheld_fees(&now.data)));
        }
    }
    order
        .iter()
        .filter_map(|&mint| {
            let spent = netted_before
                .get(&mint)
                .saturating_sub(netted_after.get(&mint))
                .saturating_add(charged.get(&mint));
            (spent > 0).then(|| (mint, u64::try_from(spent).unwrap_or(u64::MAX)))
        })
        .collect()
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
    let elapsed = u64::try_from(now.saturating_sub(created_at)).unwrap_or(0);
    elapsed.checked_div(u64::from(period_secs)).unwrap_or(0)
}

/// The window `now` falls in for a counter last charged in `spent.period_index`, and what it
/// has spent there: `in_period` while that window is current, 0 once it has rolled over (a
/// clock behind the counter's window counts as that window). The one rule [`charge`] and every
/// client view use, so a view never shows a past window's spend as today's.
pub fn in_window(spent: &Spent, period_secs: u32, now: i64, created_at: i64) -> (u64, u64) {
    let index = period_index(now, created_at, period_secs).max(spent.period_index);
    let in_period = if index == spent.period_index {
        spent.in_period
    } else {
        0
    };
    (index, in_period)
}

/// A kept limit's counter under a replacement limit (`UpdateSession`; docs/program.md, "Time").
/// With the same `period_secs` it carries over as it is. With another, its window is recomputed
/// in the new unit (an index counted in minutes would otherwise keep every daily window "in
/// the past" for years), and what the current old window spent counts in the current new one,
/// so a change of unit never hands out a fresh allowance by itself.
pub fn carry_over(
    old: &SpendLimit,
    new: &SpendLimit,
    spent: Spent,
    now: i64,
    created_at: i64,
) -> Spent {
    if old.period_secs == new.period_secs {
        return spent;
    }
    let old_window = period_index(now, created_at, old.period_secs).max(spent.period_index);
    let still_current = old.period_secs != 0 && old_window == spent.period_index;
    Spent {
        total: spent.total,
        period_index: period_index(now, created_at, new.period_secs),
        in_period: if still_current { spent.in_period } else { 0 },
    }
}

/// Charges `outflows` against `policy`, updating `spent` (parallel to `policy.limits`) only if
/// every outflow fits. Checks per mint, in order: a limit exists, `per_tx`, remaining `total`,
/// remaining `per_period` of the current window. Counters saturate, so an unlimited bound
/// (`u64::MAX`) never fails and a saturated counter exceeds every finite bound. A window never
/// moves backwards: a clock set back counts as the window already recorded (docs/program.md, "The value model").
pub fn charge(
    policy: &Policy,
    spent: &mut [Spent],
    outflows: &[(Pubkey, u64)],
    now: i64,
    created_at: i64,
) -> Result<(), LimitViolation> {
    // Not `to_vec()`: that is `alloc`'s `Vec` on SBF too (see `crate::list`).
    #[allow(clippy::iter_cloned_collect)]
    let mut updated: Vec<Spent> = spent.iter().copied().collect();
    for &(mint, amount) in outflows {
        let violation = |error, used, limit| LimitViolation {
            error,
            mint,
            amount,
            used,
            limit,
        };
        let Some((i, limit)) = policy.limit_for(&mint) else {
            return Err(violation(LeashError::TokenNotInPolicy, 0, 0));
        };
        let entry = updated
            .get_mut(i)
            .ok_or(violation(LeashError::ArithmeticOverflow, 0, 0))?;
        if amount > limit.per_tx {
            return Err(violation(LeashError::PerTxLimitExceeded, 0, limit.per_tx));
        }
        let total = entry.total.saturating_add(amount);
        if total > limit.total {
            return Err(violation(
                LeashError::SpendingLimitExceeded,
                entry.total,
                limit.total,
            ));
        }
        entry.total = total;
        if limit.period_secs > 0 {
            (entry.period_index, entry.in_period) =
                in_window(entry, limit.period_secs, now, created_at);
            let in_period = entry.in_period.saturating_add(amount);
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
    use crate::{
        state::{SpendLimit, UNLIMITED},
        token_account::{BASE_ACCOUNT_LEN, BASE_MINT_LEN, TOKEN_2022_PROGRAM_ID, TOKEN_PROGRAM_ID},
    };
    use proptest::prelude::*;

    /// The pure functions with the vault keys taken from `before`, as `Execute` does.
    fn check_authorities(
        vault: &Pubkey,
        before: &Snapshot,
        after: &Snapshot,
    ) -> Result<(), LeashError> {
        super::check_authorities(&VaultKeys::new(vault, before), before, after)
    }

    fn outflows(vault: &Pubkey, before: &Snapshot, after: &Snapshot) -> Vec<(Pubkey, u64)> {
        super::outflows(&VaultKeys::new(vault, before), before, after)
    }

    const VAULT: Pubkey = Pubkey::new_from_array([200; 32]);
    const OUTSIDER: Pubkey = Pubkey::new_from_array([201; 32]);

    fn key(b: u8) -> Pubkey {
        Pubkey::new_from_array([b; 32])
    }

    fn coption(data: &mut [u8], offset: usize, key: Option<Pubkey>) {
        if let Some(k) = key {
            data[offset..offset + 4].copy_from_slice(&1u32.to_le_bytes());
            data[offset + 4..offset + 36].copy_from_slice(k.as_ref());
        } else {
            data[offset..offset + 36].fill(0);
        }
    }

    /// A token account's bytes (SPL Token layout).
    fn token_bytes(view: &TokenAccountView) -> Vec<u8> {
        let mut data = vec![0u8; BASE_ACCOUNT_LEN];
        data[0..32].copy_from_slice(view.mint.as_ref());
        data[32..64].copy_from_slice(view.owner.as_ref());
        data[64..72].copy_from_slice(&view.amount.to_le_bytes());
        coption(&mut data, 72, view.delegate);
        data[108] = view.state;
        data[121..129].copy_from_slice(&view.delegated_amount.to_le_bytes());
        coption(&mut data, 129, view.close_authority);
        data
    }

    fn token(mint: Pubkey, owner: Pubkey, amount: u64) -> TokenAccountView {
        TokenAccountView {
            mint,
            owner,
            amount,
            delegate: None,
            state: 1,
            delegated_amount: 0,
            close_authority: None,
        }
    }

    fn token_state(address: u8, view: TokenAccountView) -> AccountState {
        let data = token_bytes(&view);
        AccountState {
            key: key(address),
            owner: TOKEN_PROGRAM_ID,
            lamports: 2_039_280,
            data_len: data.len(),
            data,
        }
    }

    /// A mint's bytes; with a permanent delegate it is a Token-2022 mint with that extension.
    fn mint_state(address: u8, view: MintView) -> AccountState {
        mint_with_extensions(address, view, &[])
    }

    /// A Token-2022 mint with `extensions` (type, value) after any permanent delegate.
    fn mint_with_extensions(
        address: u8,
        view: MintView,
        extensions: &[(u16, Vec<u8>)],
    ) -> AccountState {
        let mut data = vec![0u8; BASE_MINT_LEN];
        coption(&mut data, 0, view.mint_authority);
        data[36..44].copy_from_slice(&view.supply.to_le_bytes());
        data[44] = 6;
        data[45] = 1;
        coption(&mut data, 46, view.freeze_authority);
        let mut owner = TOKEN_PROGRAM_ID;
        let mut all: Vec<(u16, Vec<u8>)> = Vec::new();
        if let Some(delegate) = view.permanent_delegate {
            all.push((12, delegate.to_bytes().to_vec()));
        }
        all.extend_from_slice(extensions);
        if !all.is_empty() {
            owner = TOKEN_2022_PROGRAM_ID;
            data.resize(BASE_ACCOUNT_LEN, 0);
            data.push(1); // AccountType::Mint
            for (kind, value) in all {
                data.extend_from_slice(&kind.to_le_bytes());
                data.extend_from_slice(&(value.len() as u16).to_le_bytes());
                data.extend_from_slice(&value);
            }
        }
        AccountState {
            key: key(address),
            owner,
            lamports: 1_461_600,
            data_len: data.len(),
            data,
        }
    }

    fn mint_view(authority: Option<Pubkey>, supply: u64) -> MintView {
        MintView {
            mint_authority: authority,
            supply,
            freeze_authority: None,
            permanent_delegate: None,
        }
    }

    fn system(key: Pubkey, lamports: u64) -> AccountState {
        AccountState {
            key,
            owner: SYSTEM_PROGRAM_ID,
            lamports,
            data_len: 0,
            data: Vec::new(),
        }
    }

    fn snap(accounts: Vec<AccountState>) -> Snapshot {
        Snapshot { accounts }
    }

    /// The vault with `lamports`, then `rest`.
    fn with_vault(lamports: u64, rest: Vec<AccountState>) -> Snapshot {
        let mut accounts = vec![system(VAULT, lamports)];
        accounts.extend(rest);
        snap(accounts)
    }

    /// A lookup table at `key(40)` whose authority is `authority`, with `lamports`; closed
    /// (no data) when `closed`.
    fn lookup_table(authority: Option<Pubkey>, lamports: u64, closed: bool) -> AccountState {
        let mut data = vec![0u8; 56];
        data[0..4].copy_from_slice(&1u32.to_le_bytes());
        if let Some(a) = authority {
            data[21] = 1;
            data[22..54].copy_from_slice(a.as_ref());
        }
        if closed {
            data.clear();
        }
        AccountState {
            key: key(40),
            owner: authority_account::ADDRESS_LOOKUP_TABLE_PROGRAM_ID,
            lamports,
            data_len: data.len(),
            data,
        }
    }

    #[test]
    fn lookup_tables_the_vault_holds_keep_their_authority_and_closing_them_is_charged() {
        let before = with_vault(1_000, vec![lookup_table(Some(VAULT), 500, false)]);
        // Frozen (the authority removed) or handed away: refused.
        for now in [None, Some(OUTSIDER)] {
            let after = with_vault(1_000, vec![lookup_table(now, 500, false)]);
            assert_eq!(
                check_authorities(&VAULT, &before, &after),
                Err(LeashError::ForbiddenAuthorityChange)
            );
        }
        // Closed to someone: its lamports are charged as SOL.
        let after = with_vault(1_000, vec![lookup_table(None, 0, true)]);
        assert_eq!(check_authorities(&VAULT, &before, &after), Ok(()));
        assert_eq!(
            outflows(&VAULT, &before, &after),
            vec![(NATIVE_SOL_MINT, 500)]
        );
        // Someone else's table: nothing of the vault's.
        let foreign = with_vault(1_000, vec![lookup_table(Some(OUTSIDER), 500, false)]);
        let emptied = with_vault(1_000, vec![lookup_table(Some(OUTSIDER), 0, true)]);
        assert_eq!(outflows(&VAULT, &foreign, &emptied), vec![]);
    }

    #[test]
    fn sums_across_accounts_and_ignores_inflows_and_internal_moves() {
        let m = key(1);
        let before = with_vault(
            1_000,
            vec![
                token_state(10, token(m, VAULT, 100)),
                token_state(11, token(m, VAULT, 50)),
                token_state(12, token(key(2), VAULT, 10)),
            ],
        );
        // 100 + 50 → 30 + 70: a move of 50 plus 50 out; mint 2 only grew; SOL only grew.
        let after = with_vault(
            1_500,
            vec![
                token_state(10, token(m, VAULT, 30)),
                token_state(11, token(m, VAULT, 70)),
                token_state(12, token(key(2), VAULT, 99)),
            ],
        );
        assert_eq!(outflows(&VAULT, &before, &after), vec![(m, 50)]);
        let after = with_vault(
            400,
            vec![
                token_state(10, token(m, VAULT, 0)),
                token_state(11, token(m, VAULT, 0)),
                token_state(12, token(key(2), VAULT, 10)),
            ],
        );
        assert_eq!(
            outflows(&VAULT, &before, &after),
            vec![(NATIVE_SOL_MINT, 600), (m, 150)],
            "SOL first"
        );
    }

    #[test]
    fn lamports_of_vault_token_accounts_are_sol() {
        // WithdrawExcessLamports: 2 SOL above rent leave the vault's token account.
        let m = key(1);
        let mut rich = token_state(10, token(m, VAULT, 5));
        rich.lamports += 2_000_000_000;
        let before = with_vault(1_000, vec![rich]);
        let after = with_vault(1_000, vec![token_state(10, token(m, VAULT, 5))]);
        assert_eq!(
            outflows(&VAULT, &before, &after),
            vec![(NATIVE_SOL_MINT, 2_000_000_000)]
        );
    }

    #[test]
    fn seeded_and_nonce_system_accounts_are_charged_per_account() {
        let seeded = key(30);
        let before = with_vault(1_000, vec![system(seeded, 5_000), system(OUTSIDER, 0)]);
        let after = with_vault(1_000, vec![system(seeded, 0), system(OUTSIDER, 5_000)]);
        assert_eq!(
            outflows(&VAULT, &before, &after),
            vec![(NATIVE_SOL_MINT, 5_000)]
        );
        // Moving it into the vault is still charged (conservative: no netting across accounts).
        let after = with_vault(6_000, vec![system(seeded, 0), system(OUTSIDER, 0)]);
        assert_eq!(
            outflows(&VAULT, &before, &after),
            vec![(NATIVE_SOL_MINT, 5_000)]
        );
        // Assigned to another program: everything it held left.
        let mut assigned = system(seeded, 5_000);
        assigned.owner = key(99);
        let after = with_vault(1_000, vec![assigned, system(OUTSIDER, 0)]);
        assert_eq!(
            outflows(&VAULT, &before, &after),
            vec![(NATIVE_SOL_MINT, 5_000)]
        );
        // A nonce account (System-owned, with data) counts too.
        let mut nonce = system(seeded, 5_000);
        nonce.data_len = 80;
        let mut drained = nonce.clone();
        drained.lamports = 1_000;
        let before = with_vault(0, vec![nonce]);
        let after = with_vault(0, vec![drained]);
        assert_eq!(
            outflows(&VAULT, &before, &after),
            vec![(NATIVE_SOL_MINT, 4_000)]
        );
    }

    #[test]
    fn delegations_to_the_vault_are_metered_and_spent_to_zero_charges_what_moved() {
        let m = key(1);
        let delegated = |amount, allowance| TokenAccountView {
            delegate: (allowance > 0).then_some(VAULT),
            delegated_amount: allowance,
            ..token(m, OUTSIDER, amount)
        };
        let before = with_vault(0, vec![token_state(10, delegated(500, 500))]);
        let after = with_vault(0, vec![token_state(10, delegated(490, 490))]);
        assert_eq!(outflows(&VAULT, &before, &after), vec![(m, 10)]);
        // SPL Token clears the delegate at zero: charged the 10 that moved, not the 490 left.
        let before = with_vault(0, vec![token_state(10, delegated(500, 10))]);
        let after = with_vault(0, vec![token_state(10, delegated(490, 0))]);
        assert_eq!(outflows(&VAULT, &before, &after), vec![(m, 10)]);
        assert_eq!(check_authorities(&VAULT, &before, &after), Ok(()));
    }

    #[test]
    fn value_moved_into_accounts_others_can_take_is_charged() {
        let m = key(1);
        // An attacker's own account, delegated to the vault for 1 unit so the vault "controls"
        // it: tokens and lamports moved there from the vault are spend, not an internal move.
        let bait = TokenAccountView {
            delegate: Some(VAULT),
            delegated_amount: 1,
            ..token(m, OUTSIDER, 0)
        };
        let before = with_vault(
            5_000,
            vec![token_state(10, token(m, VAULT, 500)), token_state(11, bait)],
        );
        let mut fed = token_state(
            11,
            TokenAccountView {
                amount: 500,
                ..bait
            },
        );
        fed.lamports += 5_000;
        let after = with_vault(0, vec![token_state(10, token(m, VAULT, 0)), fed]);
        assert_eq!(
            outflows(&VAULT, &before, &after),
            vec![(NATIVE_SOL_MINT, 5_000), (m, 500)]
        );
        // The same for a 1-of-2 multisig the attacker also signs for: its excess lamports are
        // theirs to withdraw.
        let multisig = multisig_state(40, &[VAULT, OUTSIDER]);
        let mut fed = multisig.clone();
        fed.lamports += 5_000;
        let before = with_vault(5_000, vec![multisig]);
        let after = with_vault(0, vec![fed]);
        assert_eq!(
            outflows(&VAULT, &before, &after),
            vec![(NATIVE_SOL_MINT, 5_000)]
        );
    }

    #[test]
    fn a_seeded_address_turned_into_someone_elses_account_is_charged() {
        // 5 SOL at a vault seeded address become the rent of an outsider's token account whose
        // close authority is the vault: the outsider can withdraw them.
        let before = with_vault(0, vec![system(key(30), 5_000)]);
        let mut theirs = token_state(
            30,
            TokenAccountView {
                close_authority: Some(VAULT),
                ..token(key(1), OUTSIDER, 0)
            },
        );
        theirs.lamports = 5_000;
        let after = with_vault(0, vec![theirs]);
        assert_eq!(
            outflows(&VAULT, &before, &after),
            vec![(NATIVE_SOL_MINT, 5_000)]
        );
    }

    #[test]
    fn permanent_delegate_and_minting_are_metered() {
        let m = key(1);
        let mint = mint_view(Some(VAULT), 1_000);
        let with_delegate = MintView {
            permanent_delegate: Some(VAULT),
            ..mint
        };
        let before = with_vault(
            0,
            vec![
                mint_state(1, with_delegate),
                token_state(10, token(m, OUTSIDER, 777)),
            ],
        );
        let after = with_vault(
            0,
            vec![
                mint_state(
                    1,
                    MintView {
                        supply: 1_500,
                        ..with_delegate
                    },
                ),
                token_state(10, token(m, OUTSIDER, 0)),
            ],
        );
        // 777 moved through the permanent delegate, 500 minted.
        assert_eq!(outflows(&VAULT, &before, &after), vec![(m, 1_277)]);
        // From a third party to an outsider: both accounts are the permanent delegate's to
        // move, but the outsider's gain is not netted against the third party's loss.
        let before = with_vault(
            0,
            vec![
                mint_state(1, with_delegate),
                token_state(10, token(m, OUTSIDER, 777)),
                token_state(11, token(m, key(202), 0)),
            ],
        );
        let after = with_vault(
            0,
            vec![
                mint_state(1, with_delegate),
                token_state(10, token(m, OUTSIDER, 0)),
                token_state(11, token(m, key(202), 777)),
            ],
        );
        assert_eq!(outflows(&VAULT, &before, &after), vec![(m, 777)]);
        // Without the mint passed, the outsider's account is not the vault's to move.
        let before = with_vault(0, vec![token_state(10, token(m, OUTSIDER, 777))]);
        let after = with_vault(0, vec![token_state(10, token(m, OUTSIDER, 0))]);
        assert_eq!(outflows(&VAULT, &before, &after), vec![]);
        // Someone else's mint authority: no charge for minting.
        let before = with_vault(0, vec![mint_state(1, mint_view(Some(OUTSIDER), 0))]);
        let after = with_vault(0, vec![mint_state(1, mint_view(Some(OUTSIDER), 9))]);
        assert_eq!(outflows(&VAULT, &before, &after), vec![]);
    }

    /// A multisig's bytes listing `signers`.
    fn multisig_state(address: u8, signers: &[Pubkey]) -> AccountState {
        let mut data = vec![0u8; token_account::MULTISIG_LEN];
        data[0] = 1;
        data[1] = signers.len() as u8;
        data[2] = 1;
        for (i, s) in signers.iter().enumerate() {
            data[3 + 32 * i..35 + 32 * i].copy_from_slice(s.as_ref());
        }
        AccountState {
            key: key(address),
            owner: TOKEN_2022_PROGRAM_ID,
            lamports: 3_361_680,
            data_len: data.len(),
            data,
        }
    }

    #[test]
    fn a_multisig_the_vault_signs_for_counts_as_the_vault() {
        let m = key(1);
        let multisig = multisig_state(40, &[OUTSIDER, VAULT]);
        let before = with_vault(
            0,
            vec![multisig.clone(), token_state(10, token(m, key(40), 100))],
        );
        let after = with_vault(0, vec![multisig, token_state(10, token(m, key(40), 60))]);
        assert_eq!(outflows(&VAULT, &before, &after), vec![(m, 40)]);
        // One the vault is not in is somebody else's.
        let other = multisig_state(40, &[OUTSIDER]);
        let before = with_vault(
            0,
            vec![other.clone(), token_state(10, token(m, key(40), 100))],
        );
        let after = with_vault(0, vec![other, token_state(10, token(m, key(40), 60))]);
        assert_eq!(outflows(&VAULT, &before, &after), vec![]);
    }

    #[test]
    fn a_multisig_is_never_read_as_a_token_account() {
        // Signer keys chosen so the bytes look like a Token-2022 account owned by the vault.
        let mut fake = multisig_state(40, &[OUTSIDER]);
        fake.data[32..64].copy_from_slice(VAULT.as_ref());
        fake.data[64..72].copy_from_slice(&u64::MAX.to_le_bytes());
        fake.data[108] = 1;
        fake.data[165] = 2;
        assert_eq!(fake.token_account(), None);
        assert_eq!(fake.mint(), None);
        let mut emptied = fake.clone();
        emptied.data[64..72].fill(0);
        assert_eq!(
            outflows(
                &VAULT,
                &with_vault(0, vec![fake]),
                &with_vault(0, vec![emptied])
            ),
            vec![]
        );
    }

    #[test]
    fn vault_token_accounts_keep_every_authority_and_setting() {
        let m = key(1);
        let base = token(m, VAULT, 100);
        let before = with_vault(0, vec![token_state(10, base)]);
        let refused = |after: TokenAccountView| {
            check_authorities(
                &VAULT,
                &before,
                &with_vault(0, vec![token_state(10, after)]),
            )
        };
        assert_eq!(refused(TokenAccountView { amount: 1, ..base }), Ok(()));
        for changed in [
            TokenAccountView {
                owner: OUTSIDER,
                ..base
            },
            TokenAccountView {
                delegate: Some(OUTSIDER),
                delegated_amount: 5,
                ..base
            },
            TokenAccountView {
                close_authority: Some(OUTSIDER),
                ..base
            },
            TokenAccountView { state: 2, ..base },
        ] {
            assert_eq!(
                refused(changed),
                Err(LeashError::ForbiddenAuthorityChange),
                "{changed:?}"
            );
        }
        // An owner-set delegate may not be revoked or raised; falling by its own spending is fine.
        let delegated = TokenAccountView {
            delegate: Some(OUTSIDER),
            delegated_amount: 10,
            ..base
        };
        let before = with_vault(0, vec![token_state(10, delegated)]);
        let check = |after: TokenAccountView| {
            check_authorities(
                &VAULT,
                &before,
                &with_vault(0, vec![token_state(10, after)]),
            )
        };
        assert_eq!(
            check(TokenAccountView {
                delegated_amount: 4,
                ..delegated
            }),
            Ok(())
        );
        assert_eq!(
            check(TokenAccountView {
                delegate: None,
                delegated_amount: 0,
                ..delegated
            }),
            Err(LeashError::ForbiddenAuthorityChange)
        );
        assert_eq!(
            check(TokenAccountView {
                delegated_amount: 11,
                ..delegated
            }),
            Err(LeashError::ForbiddenAuthorityChange)
        );
        // Closed.
        let before = with_vault(0, vec![token_state(10, base)]);
        let after = with_vault(0, vec![system(key(10), 0)]);
        assert_eq!(
            check_authorities(&VAULT, &before, &after),
            Err(LeashError::ForbiddenAuthorityChange)
        );
    }

    #[test]
    fn extension_bytes_of_vault_accounts_are_frozen_but_withheld_fees_may_grow() {
        let m = key(1);
        let mut account = token_state(10, token(m, VAULT, 100));
        account.owner = TOKEN_2022_PROGRAM_ID;
        account.data.push(2); // AccountType::Account
                              // MemoTransfer (8), disabled; TransferFeeAmount (2), 0 withheld.
        account.data.extend_from_slice(&[8, 0, 1, 0, 0]);
        account
            .data
            .extend_from_slice(&[2, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        account.data_len = account.data.len();
        let before = with_vault(0, vec![account.clone()]);
        let mut fees = account.clone();
        let n = fees.data.len();
        fees.data[n - 8] = 7;
        assert_eq!(
            check_authorities(&VAULT, &before, &with_vault(0, vec![fees])),
            Ok(())
        );
        let mut memo_required = account.clone();
        memo_required.data[BASE_ACCOUNT_LEN + 5] = 1;
        assert_eq!(
            check_authorities(&VAULT, &before, &with_vault(0, vec![memo_required])),
            Err(LeashError::ForbiddenAuthorityChange)
        );
    }

    #[test]
    fn authorities_over_other_accounts_never_leave() {
        let m = key(1);
        // A delegation the vault received may only be spent, not lost otherwise.
        let delegated = TokenAccountView {
            delegate: Some(VAULT),
            delegated_amount: 50,
            ..token(m, OUTSIDER, 100)
        };
        let before = with_vault(0, vec![token_state(10, delegated)]);
        let after = TokenAccountView {
            delegate: Some(OUTSIDER),
            ..delegated
        };
        assert_eq!(
            check_authorities(
                &VAULT,
                &before,
                &with_vault(0, vec![token_state(10, after)])
            ),
            Err(LeashError::ForbiddenAuthorityChange)
        );
        // A close authority the vault holds stays.
        let closable = TokenAccountView {
            close_authority: Some(VAULT),
            ..token(m, OUTSIDER, 0)
        };
        let before = with_vault(0, vec![token_state(10, closable)]);
        let after = TokenAccountView {
            close_authority: Some(OUTSIDER),
            ..closable
        };
        assert_eq!(
            check_authorities(
                &VAULT,
                &before,
                &with_vault(0, vec![token_state(10, after)])
            ),
            Err(LeashError::ForbiddenAuthorityChange)
        );
        // Mint, freeze and extension authorities stay.
        let mint = MintView {
            mint_authority: Some(VAULT),
            supply: 0,
            freeze_authority: Some(VAULT),
            permanent_delegate: Some(VAULT),
        };
        let before = with_vault(0, vec![mint_state(1, mint)]);
        for changed in [
            MintView {
                mint_authority: Some(OUTSIDER),
                ..mint
            },
            MintView {
                mint_authority: None,
                ..mint
            },
            MintView {
                freeze_authority: Some(OUTSIDER),
                ..mint
            },
            MintView {
                permanent_delegate: Some(OUTSIDER),
                ..mint
            },
        ] {
            let after = with_vault(0, vec![mint_state(1, changed)]);
            assert_eq!(
                check_authorities(&VAULT, &before, &after),
                Err(LeashError::ForbiddenAuthorityChange),
                "{changed:?}"
            );
        }
        let after = with_vault(0, vec![mint_state(1, MintView { supply: 9, ..mint })]);
        assert_eq!(check_authorities(&VAULT, &before, &after), Ok(()));
        // Someone's account of a mint the vault freezes keeps its state.
        let before = with_vault(
            0,
            vec![mint_state(1, mint), token_state(10, token(m, OUTSIDER, 5))],
        );
        let after = with_vault(
            0,
            vec![
                mint_state(1, mint),
                token_state(
                    10,
                    TokenAccountView {
                        state: 2,
                        ..token(m, OUTSIDER, 5)
                    },
                ),
            ],
        );
        assert_eq!(
            check_authorities(&VAULT, &before, &after),
            Err(LeashError::ForbiddenAuthorityChange)
        );
    }

    /// A `TransferFeeConfig` value with `withdraw` as withdraw-withheld authority.
    fn fee_config(withdraw: Pubkey, withheld: u64, fee_bps: u16) -> Vec<u8> {
        let mut value = vec![0u8; 108];
        value[32..64].copy_from_slice(withdraw.as_ref());
        value[64..72].copy_from_slice(&withheld.to_le_bytes());
        value[88..90].copy_from_slice(&fee_bps.to_le_bytes());
        value
    }

    #[test]
    fn withheld_fees_the_vault_may_withdraw_are_metered() {
        let m = key(1);
        let mint = mint_view(None, 1_000);
        let before = with_vault(
            0,
            vec![
                mint_with_extensions(1, mint, &[(1, fee_config(VAULT, 100, 50))]),
                token_state(10, token(m, OUTSIDER, 0)),
            ],
        );
        // WithdrawWithheldTokensFromMint to an outsider: 100 left the vault's reach.
        let after = with_vault(
            0,
            vec![
                mint_with_extensions(1, mint, &[(1, fee_config(VAULT, 0, 50))]),
                token_state(10, token(m, OUTSIDER, 100)),
            ],
        );
        assert_eq!(outflows(&VAULT, &before, &after), vec![(m, 100)]);
        assert_eq!(check_authorities(&VAULT, &before, &after), Ok(()));
        // Somebody else's fees are not the vault's.
        let theirs =
            |withheld| mint_with_extensions(1, mint, &[(1, fee_config(OUTSIDER, withheld, 50))]);
        let before = with_vault(0, vec![theirs(100)]);
        let after = with_vault(0, vec![theirs(0)]);
        assert_eq!(outflows(&VAULT, &before, &after), vec![]);
    }

    #[test]
    fn mints_the_vault_has_authority_over_are_not_reconfigured() {
        let mint = mint_view(None, 1_000);
        let before = with_vault(
            0,
            vec![mint_with_extensions(
                1,
                mint,
                &[(1, fee_config(VAULT, 0, 50))],
            )],
        );
        // Raising the fee (an authority's power used on every holder) is refused.
        let after = with_vault(
            0,
            vec![mint_with_extensions(
                1,
                mint,
                &[(1, fee_config(VAULT, 0, 9_999))],
            )],
        );
        assert_eq!(
            check_authorities(&VAULT, &before, &after),
            Err(LeashError::ForbiddenAuthorityChange)
        );
        // Harvested fees arriving in the mint are fine.
        let after = with_vault(
            0,
            vec![mint_with_extensions(
                1,
                mint,
                &[(1, fee_config(VAULT, 7, 50))],
            )],
        );
        assert_eq!(check_authorities(&VAULT, &before, &after), Ok(()));
        // A mint the vault has no authority over is not the vault's business.
        let theirs = |bps| {
            with_vault(
                0,
                vec![mint_with_extensions(
                    1,
                    mint,
                    &[(1, fee_config(OUTSIDER, 0, bps))],
                )],
            )
        };
        assert_eq!(
            check_authorities(&VAULT, &theirs(50), &theirs(9_999)),
            Ok(())
        );
        // Closing a mint the vault holds an authority over is refused.
        let frozen = MintView {
            freeze_authority: Some(VAULT),
            ..mint
        };
        let before = with_vault(0, vec![mint_state(1, frozen)]);
        let after = with_vault(0, vec![system(key(1), 0)]);
        assert_eq!(
            check_authorities(&VAULT, &before, &after),
            Err(LeashError::ForbiddenAuthorityChange)
        );
    }

    #[test]
    fn new_vault_token_accounts_carry_no_delegate_or_close_authority() {
        let m = key(1);
        let before = with_vault(0, vec![system(key(10), 0)]);
        let fresh = token(m, VAULT, 0);
        let ok = with_vault(0, vec![token_state(10, fresh)]);
        assert_eq!(check_authorities(&VAULT, &before, &ok), Ok(()));
        let delegated = TokenAccountView {
            delegate: Some(OUTSIDER),
            delegated_amount: 1,
            ..fresh
        };
        let after = with_vault(0, vec![token_state(10, delegated)]);
        assert_eq!(
            check_authorities(&VAULT, &before, &after),
            Err(LeashError::ForbiddenAuthorityChange)
        );
    }

    #[test]
    fn the_vault_stays_a_plain_system_account() {
        let before = with_vault(10, vec![]);
        let mut after = with_vault(10, vec![]);
        after.accounts[0].data_len = 8;
        assert_eq!(
            check_authorities(&VAULT, &before, &after),
            Err(LeashError::ForbiddenAuthorityChange)
        );
        let mut after = with_vault(10, vec![]);
        after.accounts[0].owner = key(99);
        assert_eq!(
            check_authorities(&VAULT, &before, &after),
            Err(LeashError::ForbiddenAuthorityChange)
        );
    }

    #[test]
    fn huge_outflows_saturate() {
        let m = key(1);
        let before = with_vault(
            0,
            vec![
                token_state(10, token(m, VAULT, u64::MAX)),
                token_state(11, token(m, VAULT, u64::MAX)),
            ],
        );
        let after = with_vault(
            0,
            vec![
                token_state(10, token(m, VAULT, 0)),
                token_state(11, token(m, VAULT, 0)),
            ],
        );
        assert_eq!(outflows(&VAULT, &before, &after), vec![(m, u64::MAX)]);
    }

    fn policy(limits: Vec<SpendLimit>) -> Policy {
        Policy::unbounded(vec![], limits)
    }

    fn limit(m: u8, per_tx: u64, total: u64, period_secs: u32, per_period: u64) -> SpendLimit {
        SpendLimit {
            mint: key(m),
            per_tx,
            total,
            period_secs,
            per_period,
        }
    }

    #[test]
    fn limit_edges() {
        let p = policy(vec![limit(1, 10, 25, 0, 0)]);
        let mut spent = vec![Spent::default()];
        assert!(charge(&p, &mut spent, &[(key(1), 10)], 0, 0).is_ok());
        let e = charge(&p, &mut spent, &[(key(1), 11)], 0, 0).unwrap_err();
        assert_eq!((e.error, e.limit), (LeashError::PerTxLimitExceeded, 10));
        assert!(charge(&p, &mut spent, &[(key(1), 10)], 0, 0).is_ok());
        // 20 spent: exactly the remaining 5 fits, 6 does not.
        let e = charge(&p, &mut spent, &[(key(1), 6)], 0, 0).unwrap_err();
        assert_eq!(
            (e.error, e.used, e.limit),
            (LeashError::SpendingLimitExceeded, 20, 25)
        );
        assert_eq!(spent[0].total, 20, "a refused charge changes nothing");
        assert!(charge(&p, &mut spent, &[(key(1), 5)], 0, 0).is_ok());
        assert_eq!(spent[0].total, 25);
        let e = charge(&p, &mut spent, &[(key(2), 1)], 0, 0).unwrap_err();
        assert_eq!(e.error, LeashError::TokenNotInPolicy);
    }

    #[test]
    fn period_windows_reset_at_the_edge_and_never_move_back() {
        let p = policy(vec![limit(1, UNLIMITED, UNLIMITED, 100, 30)]);
        let mut spent = vec![Spent::default()];
        let created = 1_000;
        assert!(charge(&p, &mut spent, &[(key(1), 30)], created + 99, created).is_ok());
        let e = charge(&p, &mut spent, &[(key(1), 1)], created + 99, created).unwrap_err();
        assert_eq!(
            (e.error, e.used, e.limit),
            (LeashError::PeriodLimitExceeded, 30, 30)
        );
        // The next window starts exactly at created_at + period_secs.
        assert!(charge(&p, &mut spent, &[(key(1), 30)], created + 100, created).is_ok());
        assert_eq!(
            spent[0],
            Spent {
                total: 60,
                period_index: 1,
                in_period: 30
            }
        );
        // A clock set back into window 0 still counts as window 1, which is full.
        let e = charge(&p, &mut spent, &[(key(1), 1)], created + 5, created).unwrap_err();
        assert_eq!(e.error, LeashError::PeriodLimitExceeded);
        // A clock before created_at is window 0.
        assert_eq!(period_index(created - 5, created, 100), 0);
    }

    #[test]
    fn unlimited_bounds_saturate_instead_of_overflowing() {
        let p = policy(vec![limit(1, UNLIMITED, UNLIMITED, 10, UNLIMITED)]);
        let mut spent = vec![Spent::default()];
        assert!(charge(&p, &mut spent, &[(key(1), u64::MAX)], 0, 0).is_ok());
        assert!(charge(&p, &mut spent, &[(key(1), 1)], 0, 0).is_ok());
        assert_eq!(spent[0].total, u64::MAX);
        assert_eq!(spent[0].in_period, u64::MAX);
        // A finite bound is exceeded by a saturated counter.
        let p = policy(vec![limit(1, UNLIMITED, u64::MAX - 1, 0, 0)]);
        let mut spent = vec![Spent {
            total: 5,
            ..Spent::default()
        }];
        let e = charge(&p, &mut spent, &[(key(1), u64::MAX)], 0, 0).unwrap_err();
        assert_eq!(e.error, LeashError::SpendingLimitExceeded);
    }

    proptest! {
        /// Whatever the sequence of outflows and clock steps (backwards too), what `charge`
        /// records never exceeds the total or any window's allowance, windows never move back,
        /// and the total equals the sum of the accepted outflows.
        #[test]
        fn recorded_spend_never_exceeds_limits(
            per_tx in 1u64..200,
            total in 0u64..1_000,
            period_secs in 0u32..50,
            per_period in 0u64..300,
            steps in proptest::collection::vec((0u64..250, -40i64..40), 1..60),
        ) {
            let p = policy(vec![limit(1, per_tx, total, period_secs, per_period)]);
            let mut spent = vec![Spent::default()];
            let mut now = 0i64;
            let mut accepted = 0u64;
            let mut window = 0u64;
            let mut window_sum: std::collections::BTreeMap<u64, u64> = Default::default();
            for (amount, dt) in steps {
                now += dt;
                let before = spent.clone();
                match charge(&p, &mut spent, &[(key(1), amount)], now, 0) {
                    Ok(()) => {
                        accepted += amount;
                        window = window.max(period_index(now, 0, period_secs));
                        *window_sum.entry(window).or_default() += amount;
                        prop_assert!(amount <= per_tx);
                    }
                    Err(_) => prop_assert_eq!(&spent, &before),
                }
                prop_assert!(spent[0].period_index >= before[0].period_index);
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
