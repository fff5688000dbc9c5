//! Outcome-based spend accounting, value model v3 (docs/program.md, "The value model").
//!
//! The vault's PDA signature, lent to the calls of an `Execute`, is the whole authority of the
//! wallet. So spend is not read from the calls: the processor snapshots every passed account
//! before and after the calls, and this module measures what left everything the vault
//! controls — its lamports, the token accounts, mints and multisigs it has an authority over, the
//! token accounts nested in its own, the stake, vote, lookup-table and loader accounts it is the
//! authority of, and the System accounts it can sign for through `create_with_seed` or as a
//! nonce authority — and refuses outcomes in which an authority the vault held would leave it.
//! This module is pure logic over snapshots; the rules and the decisions left open are listed in
//! docs/program.md ("The value model").

use crate::list::Vec;

use crate::{
    authority_account,
    calls::CallTargets,
    error::LeashError,
    leash_log,
    log::{Key, Line, Num, Piece},
    platform::{address_eq, Account, FirstAppearances, ProgramError, Pubkey, SYSTEM_PROGRAM_ID},
    state::{LimitTerms, Spent, MAX_SPEND_LIMITS, NATIVE_SOL_MINT},
    token_account::{
        self, MintRef, TokenAccountKind, TokenAccountRef, AMOUNT_RANGE, DELEGATED_AMOUNT_RANGE,
        EXTENSION_TRANSFER_FEE_AMOUNT, EXTENSION_TRANSFER_FEE_CONFIG, FEE_CONFIG_WITHHELD_RANGE,
        SUPPLY_RANGE,
    },
};

/// One passed account at one moment, read once: what its kept bytes are is decided when the
/// state is made, and every field the value model compares is read in place from them (moving
/// or re-parsing account views was most of `Execute`'s compute units; docs/program.md,
/// "Compute units").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountState<'a> {
    key: &'a Pubkey,
    /// Who owns it, as far as the value model tells owners apart: the System and token programs,
    /// the programs whose accounts carry an authority over lamports ([`authority_account`]), or
    /// another. Before the calls this is all that is kept of the
    /// owner (a copy of each owner's 32 bytes cost ~40 CU an account), which is enough: the
    /// model compares two owners only for accounts of a token program, whose class names the
    /// program.
    owner: OwnerClass,
    lamports: u64,
    data_len: usize,
    /// The data of accounts owned by a token program, and the head of nonce, stake, lookup-table,
    /// vote and loader accounts ([`authority_account`]); empty for every other account
    /// (nothing else is read).
    data: &'a [u8],
    read: Read<'a>,
    /// After the calls: how it differs from before ([`Change`]). `Other` until
    /// [`Capture::pair`] (or a test's `Snapshot::mark_changes`) says otherwise.
    change: Change,
}

/// How an account differs after the calls from before, in what the value model reads. The
/// rules skip what cannot concern them (docs/program.md, "Compute units"): an account that did
/// not change contributes nothing to any rule but the vault's own, and one whose balances alone
/// moved keeps every authority it had.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Change {
    /// The same owner class, lamports, length and kept bytes.
    None,
    /// Only its lamports and, for an initialized token account, its `amount` moved.
    Balances,
    /// Anything else.
    Other,
}

impl Change {
    fn between(was: &AccountState, now: &AccountState) -> Change {
        if was.owner != now.owner || was.data_len != now.data_len {
            return Change::Other;
        }
        let bytes_same = was.data == now.data;
        if bytes_same && was.lamports == now.lamports {
            return Change::None;
        }
        let amount_only = || was.token_account().is_some() && same_but_amount(was.data, now.data);
        if bytes_same || amount_only() {
            Change::Balances
        } else {
            Change::Other
        }
    }
}

/// What an account's kept bytes are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Read<'a> {
    /// Not a token-program account, nor the head of an account [`authority_account`] reads.
    Nothing,
    /// A token account's layout: the account if initialized.
    TokenAccount(Option<TokenAccountRef<'a>>),
    /// A mint's layout: the mint if initialized.
    Mint(Option<MintRef<'a>>),
    Multisig,
    /// The head of a nonce, stake, lookup-table, vote or loader account
    /// ([`authority_account`]).
    Head,
}

impl<'a> AccountState<'a> {
    /// The state of account `key` with `owner`, `lamports` and `data_len` bytes of data, of
    /// which `data` is what the value model keeps (see [`Snapshot::capture`]).
    pub fn new(
        key: &'a Pubkey,
        owner: &Pubkey,
        lamports: u64,
        data_len: usize,
        data: &'a [u8],
    ) -> Self {
        Self::of_class(key, OwnerClass::of(owner), lamports, data_len, data)
    }

    /// [`AccountState::new`] with the owner's class already found.
    fn of_class(
        key: &'a Pubkey,
        owner: OwnerClass,
        lamports: u64,
        data_len: usize,
        data: &'a [u8],
    ) -> Self {
        // Most passed accounts keep no bytes (System accounts, programs, the session): decided
        // without looking at their owner again.
        let read = if data.is_empty() {
            Read::Nothing
        } else {
            match owner
                .token_program()
                .and_then(|is_2022| token_account::kind_in(is_2022, data))
            {
                Some(TokenAccountKind::Account) => {
                    Read::TokenAccount(TokenAccountRef::of_kind(data))
                }
                Some(TokenAccountKind::Mint) => Read::Mint(MintRef::of_kind(data)),
                Some(TokenAccountKind::Multisig) => Read::Multisig,
                None => Read::Head,
            }
        };
        AccountState {
            key,
            owner,
            lamports,
            data_len,
            data,
            read,
            change: Change::Other,
        }
    }

    pub fn key(&self) -> &'a Pubkey {
        self.key
    }

    pub fn lamports(&self) -> u64 {
        self.lamports
    }

    fn token_account(&self) -> Option<TokenAccountRef<'a>> {
        match self.read {
            Read::TokenAccount(view) => view,
            _ => None,
        }
    }

    fn mint(&self) -> Option<MintRef<'a>> {
        match self.read {
            Read::Mint(view) => view,
            _ => None,
        }
    }

    /// Its `amount` if it is a token account of `mint`, else 0 (the value model's rule for a
    /// side where an account is not one).
    fn amount_of(&self, mint: &Pubkey) -> u64 {
        self.token_account()
            .filter(|t| address_eq(t.mint(), mint))
            .map_or(0, |t| t.amount())
    }

    fn kind(&self) -> Option<TokenAccountKind> {
        match self.read {
            Read::TokenAccount(_) => Some(TokenAccountKind::Account),
            Read::Mint(_) => Some(TokenAccountKind::Mint),
            Read::Multisig => Some(TokenAccountKind::Multisig),
            Read::Nothing | Read::Head => None,
        }
    }

    fn is_system(&self) -> bool {
        self.owner == OwnerClass::System
    }

    /// The authorities of a nonce, stake, lookup-table, vote or loader account.
    fn authorities(&self) -> Option<authority_account::Authorities> {
        match self.read {
            Read::Head => self
                .owner
                .id()
                .and_then(|id| authority_account::authorities(id, self.data)),
            _ => None,
        }
    }
}

/// A System account without data: what the vault must stay.
fn is_plain_system(owner: OwnerClass, data_len: usize) -> bool {
    owner == OwnerClass::System && data_len == 0
}

/// An account's owner as the value model tells owners apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OwnerClass {
    System,
    Token,
    Token2022,
    Stake,
    LookupTable,
    Vote,
    UpgradeableLoader,
    LoaderV4,
    /// Any other program.
    Other,
}

impl OwnerClass {
    #[inline(always)] // per account in `Execute`'s snapshot and balance-only path: ~70 CU a call
    pub fn of(owner: &Pubkey) -> OwnerClass {
        if address_eq(owner, &SYSTEM_PROGRAM_ID) {
            OwnerClass::System
        } else if address_eq(owner, &token_account::TOKEN_PROGRAM_ID) {
            OwnerClass::Token
        } else if address_eq(owner, &token_account::TOKEN_2022_PROGRAM_ID) {
            OwnerClass::Token2022
        } else {
            OwnerClass::of_rest(owner)
        }
    }

    /// [`OwnerClass::of`] past the System and token programs, out of line: rare on `Execute`'s
    /// path, and inlined at each of its places it cost ELF bytes for nothing.
    #[inline(never)]
    fn of_rest(owner: &Pubkey) -> OwnerClass {
        if address_eq(owner, &authority_account::STAKE_PROGRAM_ID) {
            OwnerClass::Stake
        } else if address_eq(owner, &authority_account::ADDRESS_LOOKUP_TABLE_PROGRAM_ID) {
            OwnerClass::LookupTable
        } else if address_eq(owner, &authority_account::VOTE_PROGRAM_ID) {
            OwnerClass::Vote
        } else if address_eq(owner, &authority_account::UPGRADEABLE_LOADER_ID) {
            OwnerClass::UpgradeableLoader
        } else if address_eq(owner, &authority_account::LOADER_V4_ID) {
            OwnerClass::LoaderV4
        } else {
            OwnerClass::Other
        }
    }

    /// The program's id, for the readers that take an owner; `None` for any other program.
    fn id(self) -> Option<&'static Pubkey> {
        match self {
            OwnerClass::System => Some(&SYSTEM_PROGRAM_ID),
            OwnerClass::Token => Some(&token_account::TOKEN_PROGRAM_ID),
            OwnerClass::Token2022 => Some(&token_account::TOKEN_2022_PROGRAM_ID),
            OwnerClass::Stake => Some(&authority_account::STAKE_PROGRAM_ID),
            OwnerClass::LookupTable => Some(&authority_account::ADDRESS_LOOKUP_TABLE_PROGRAM_ID),
            OwnerClass::Vote => Some(&authority_account::VOTE_PROGRAM_ID),
            OwnerClass::UpgradeableLoader => Some(&authority_account::UPGRADEABLE_LOADER_ID),
            OwnerClass::LoaderV4 => Some(&authority_account::LOADER_V4_ID),
            OwnerClass::Other => None,
        }
    }

    /// For a token program, whether it is Token-2022.
    fn token_program(self) -> Option<bool> {
        match self {
            OwnerClass::Token => Some(false),
            OwnerClass::Token2022 => Some(true),
            _ => None,
        }
    }
}

/// Passed accounts of an `Execute` at one moment, as the value model reads them. The rules take
/// a pair, before and after the calls, the same accounts in the same order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot<'a> {
    pub accounts: Vec<AccountState<'a>>,
}

/// What the value model keeps of the passed accounts before the calls: every distinct account
/// the calls may change — one some call passes writable, and the vault ([`CallTargets`]) — and
/// the read-only accounts of the token programs (mints and multisigs it looks up). No other
/// account can change during the calls: a callee reaches only the accounts its instruction
/// lists, and the runtime refuses any write to one passed read-only, lamports included; nor do
/// they hold anything the value model looks up, so they are left out of both sides. Only what
/// is compared is kept: the owner's class, lamports, length and the bytes the value model
/// reads, copied; states are built after the calls, for the accounts that matter
/// ([`Capture::pair`]).
pub struct Capture<'a, 'info> {
    /// The instruction's accounts, measured again after the calls.
    accounts: &'a [Account<'info>],
    taken: Vec<Taken>,
    /// The kept bytes of every taken account, in order.
    copies: &'a [u8],
}

/// One account as [`Capture`] measures it before the calls.
#[derive(Clone, Copy)]
struct Taken {
    position: usize,
    owner: OwnerClass,
    lamports: u64,
    data_len: usize,
    kept: usize,
    /// Whether the calls may change it (else it is only looked up).
    may_change: bool,
}

impl<'a, 'info> Capture<'a, 'info> {
    /// The accounts before the calls, their kept bytes copied into `copies`.
    pub fn before(
        accounts: &'a [Account<'info>],
        copies: &'a mut Vec<u8>,
        targets: &CallTargets,
    ) -> Result<Capture<'a, 'info>, ProgramError> {
        // Sized for two base token accounts; it grows past that, by doubling, only for more
        // token bytes.
        *copies = Vec::with_capacity(2 * token_account::BASE_ACCOUNT_LEN);
        let mut taken: Vec<Taken> = Vec::with_capacity(accounts.len());
        let mut appearances = FirstAppearances::new();
        for (position, account) in accounts.iter().enumerate() {
            // Asked of every position, in order (see `FirstAppearances`).
            let first = appearances.is_first(accounts, position);
            let may_change = targets.contains(position);
            if !first {
                if may_change && !targets.is_every_writable() {
                    // A call passes writable a repeated entry, whose first appearance may
                    // have been left out: rare (clients list each account once), so every
                    // writable account is taken instead.
                    return Self::before(accounts, copies, &CallTargets::every_writable(accounts));
                }
                continue;
            }
            // A read-only account is kept only if a token program owns it (two compares, not
            // the five that find an owner's class).
            if !may_change && !token_account::is_token_program(account.owner()) {
                continue;
            }
            let owner = OwnerClass::of(account.owner());
            let mut t = Taken::measure(account, position, owner);
            t.may_change = may_change;
            if t.kept > 0 {
                let data = account.data()?;
                copies.extend_from_slice(data.get(..t.kept).unwrap_or_default());
            }
            taken.push(t);
        }
        Ok(Capture {
            accounts,
            taken,
            copies: copies.as_slice(),
        })
    }

    /// The accounts the rules need, before and after the calls: every one that changed, the
    /// mints and multisigs (the rules look them up), and the vault if it is not a System
    /// account without data. An account that did not
    /// change adds as much before as after to every sum and keeps every authority it had, so
    /// it is left out of both sides (docs/program.md, "Compute units"). After the calls the
    /// writable accounts are read in place, the read-only ones as they were (they cannot have
    /// changed). Nothing may write to the accounts while the result is alive.
    pub fn pair(&self, vault: &Pubkey) -> Result<(Snapshot<'a>, Snapshot<'a>), ProgramError> {
        let accounts = self.accounts;
        let mut before = Vec::with_capacity(self.taken.len());
        let mut after = Vec::with_capacity(self.taken.len());
        let mut rest = self.copies;
        for t in self.taken.iter() {
            let (kept, tail) = rest
                .split_at_checked(t.kept)
                .ok_or(ProgramError::AccountDataTooSmall)?;
            rest = tail;
            let account = accounts
                .get(t.position)
                .ok_or(ProgramError::NotEnoughAccountKeys)?;
            // Compared before any state is made: most taken accounts (the session key, the
            // session, the vault) are unchanged and need none (`Change::None`, on the raw
            // measures).
            let (now, data) = if t.may_change {
                let n = Taken::measure(account, t.position, OwnerClass::of(account.owner()));
                let data = account.data_after_calls().get(..n.kept).unwrap_or_default();
                (n, data)
            } else {
                (*t, kept)
            };
            let changed = now.owner != t.owner
                || now.lamports != t.lamports
                || now.data_len != t.data_len
                || data != kept;
            if !changed {
                // Unchanged, it is needed only as a mint, multisig or vault token account the
                // rules look up, or as a vault that breaks the vault's rule (docs/program.md,
                // "The value model" rule 4: a System account without data).
                let looked_up = match t
                    .owner
                    .token_program()
                    .and_then(|is_2022| token_account::kind_in(is_2022, kept))
                {
                    Some(TokenAccountKind::Mint | TokenAccountKind::Multisig) => true,
                    Some(TokenAccountKind::Account) => vault_owns_token_account(vault, kept),
                    None => false,
                };
                let vault_to_judge =
                    address_eq(account.key(), vault) && !is_plain_system(t.owner, t.data_len);
                if !looked_up && !vault_to_judge {
                    continue;
                }
            }
            let was = AccountState::of_class(account.key(), t.owner, t.lamports, t.data_len, kept);
            let mut now = if changed {
                AccountState::of_class(account.key(), now.owner, now.lamports, now.data_len, data)
            } else {
                was
            };
            now.change = if changed {
                Change::between(&was, &now)
            } else {
                Change::None
            };
            before.push(was);
            after.push(now);
        }
        Ok((Snapshot { accounts: before }, Snapshot { accounts: after }))
    }
}

impl<'a, 'info> Capture<'a, 'info> {
    /// The outflows of an outcome in which only balances moved, without the general rules
    /// (docs/program.md, "Compute units", the balance-only path): every taken account kept its
    /// owner, its length and every kept byte but, for an initialized token account, its
    /// `amount`; no multisig, no mint with extensions and no account of the stake,
    /// lookup-table, vote or loader programs is among them; the vault is a System account
    /// without data; and no value arrived where a limit's recipients would refuse it. Such an
    /// outcome keeps every authority the vault held, the vault's keys are the vault alone and
    /// no mint lends it a delegation or a fee pool, so the value model's sums reduce to
    /// [`net_balances`] per account — exactly what [`outflows`] computes for it (unit-tested
    /// against it). `None` when any account falls outside this: the general rules judge it
    /// (and name a refusal).
    /// Nothing may write to the accounts while the result is alive.
    ///
    /// `recipients`: the session's limits if any of them lists recipients.
    #[inline(never)] // its own registers: inlined into `Execute` it spills far more
    pub fn balance_outflows<L: LimitTerms>(
        &self,
        vault: &Pubkey,
        recipients: Option<impl IntoIterator<Item = L> + Copy>,
    ) -> Option<Vec<(Pubkey, u64)>> {
        let mut flows = Flows::new();
        let mut rest = self.copies;
        for t in self.taken.iter() {
            let (kept, tail) = rest.split_at_checked(t.kept)?;
            rest = tail;
            let account = self.accounts.get(t.position)?;
            if is_plain_system(t.owner, t.data_len) && address_eq(account.key(), vault) {
                // The vault (in every `Execute`), without measuring it as a generic account.
                let plain_now =
                    account.data_len() == 0 && address_eq(account.owner(), &SYSTEM_PROGRAM_ID);
                net_vault(&mut flows, plain_now, t.lamports, account.lamports())?;
                continue;
            }
            let was = t.measured(kept);
            let now = if t.may_change {
                let n = Taken::measure(account, t.position, OwnerClass::of(account.owner()));
                n.measured(account.data_after_calls().get(..n.kept)?)
            } else {
                was
            };
            let arrived = net_balances(&mut flows, vault, account.key(), &was, &now)?;
            if arrived.reaches_nested(|owner| self.was_vault_token_account(vault, owner)) {
                return None;
            }
            if let Some(limits) = recipients {
                if !arrived.allowed_by(limits, account.key()) {
                    return None;
                }
            }
        }
        Some(flows.outflows())
    }
}

impl Capture<'_, '_> {
    /// Whether the passed account `key` was, before the calls, a token account the vault owns.
    /// Asked only when a token account the vault may not debit lost value (a swap's pool, say).
    #[inline(never)]
    fn was_vault_token_account(&self, vault: &Pubkey, key: &Pubkey) -> bool {
        let mut rest = self.copies;
        for t in self.taken.iter() {
            let Some((kept, tail)) = rest.split_at_checked(t.kept) else {
                return false;
            };
            rest = tail;
            let is_key = self
                .accounts
                .get(t.position)
                .is_some_and(|a| address_eq(a.key(), key));
            if is_key {
                return t.measured(kept).kind() == Some(TokenAccountKind::Account)
                    && vault_owns_token_account(vault, kept);
            }
        }
        false
    }
}

/// An account as [`Capture`] compares it across the calls: what [`Taken`] measures, with the
/// kept bytes.
#[derive(Clone, Copy)]
struct Measured<'a> {
    owner: OwnerClass,
    lamports: u64,
    data_len: usize,
    data: &'a [u8],
}

impl Measured<'_> {
    /// The same owner class, lamports, length and kept bytes ([`Change::None`]).
    fn same_as(&self, other: &Measured) -> bool {
        self.owner == other.owner
            && self.lamports == other.lamports
            && self.data_len == other.data_len
            && self.data == other.data
    }

    /// Its kind, for an account of a token program.
    fn kind(&self) -> Option<TokenAccountKind> {
        self.owner
            .token_program()
            .and_then(|is_2022| token_account::kind_in(is_2022, self.data))
    }
}

/// Whether two token-account layouts differ at most in their `amount`.
#[inline(always)] // on the balance-only path: ~30 CU a call
fn same_but_amount(was: &[u8], now: &[u8]) -> bool {
    was.get(..AMOUNT_RANGE.start) == now.get(..AMOUNT_RANGE.start)
        && was.get(AMOUNT_RANGE.end..) == now.get(AMOUNT_RANGE.end..)
}

/// A token account holding the vault's own value: the vault owns it, with no delegate and a
/// close authority that is none or the vault ([`holds_vaults_own_value`]).
fn is_vaults_own(vault: &Pubkey, account: &TokenAccountRef) -> bool {
    address_eq(account.owner(), vault)
        && account.delegate().is_none()
        && account
            .close_authority()
            .is_none_or(|c| address_eq(c, vault))
}

/// Whether the bytes of a token account (its kind known) say the vault owns it: such an account
/// can own nested associated token accounts, whose tokens the associated token account
/// program's `RecoverNested` moves with the vault's signature (docs/program.md, "Who else can
/// move it").
fn vault_owns_token_account(vault: &Pubkey, data: &[u8]) -> bool {
    TokenAccountRef::of_kind(data).is_some_and(|t| address_eq(t.owner(), vault))
}

/// What arrived at an account of a balance-only outcome that does not hold the vault's own
/// value: what the recipient rules judge ([`check_recipients`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Arrived<'a> {
    lamports: u64,
    /// The mint, the token account's owner, and how much of the mint arrived.
    tokens: Option<(&'a Pubkey, &'a Pubkey, u64)>,
    /// The owner of a token account the vault neither owns nor may debit as delegate or close
    /// authority that lost tokens or lamports: if that owner is a token account of the vault's,
    /// the account is a nested one the vault's signature emptied, which the general rules
    /// charge ([`Arrived::reaches_nested`]).
    lost_by: Option<&'a Pubkey>,
}

impl Arrived<'_> {
    /// Whether value left an account owned by a token account of the vault's: `vault_owns`
    /// says whether a passed account is one (judged before the calls). The balance-only path
    /// then declines, and the general rules charge it.
    fn reaches_nested(&self, vault_owns: impl FnOnce(&Pubkey) -> bool) -> bool {
        self.lost_by.is_some_and(vault_owns)
    }

    /// Whether every limit with recipients allows what arrived at account `key`, judged as
    /// [`check_recipients`] judges it.
    fn allowed_by<L: LimitTerms>(&self, limits: impl IntoIterator<Item = L>, key: &Pubkey) -> bool {
        limits
            .into_iter()
            .filter(|l| !l.recipients().is_empty())
            .all(|l| {
                if address_eq(l.mint(), &NATIVE_SOL_MINT) {
                    self.lamports == 0 || l.allows_recipient(key)
                } else {
                    match self.tokens {
                        Some((mint, owner, gained)) if gained > 0 && address_eq(mint, l.mint()) => {
                            l.allows_recipient(owner)
                        }
                        _ => true,
                    }
                }
            })
    }
}

/// The vault in a balance-only outcome: its lamports netted as the vault's own if it was and is
/// a System account without data (`plain`, the value model's rule 4), else `None` (the general
/// rules refuse it).
#[inline(always)]
fn net_vault(flows: &mut Flows, plain: bool, was: u64, now: u64) -> Option<()> {
    if !plain {
        return None;
    }
    flows.sol().net(was, now);
    Some(())
}

/// Adds one account of a balance-only outcome to `flows` as [`outflows`] would with the vault
/// as the only key and no mint passed that delegates, pools fees or changed, and says what
/// arrived at it for the recipient rules; `None` if the account is outside that outcome (see
/// [`Capture::balance_outflows`]).
fn net_balances<'a>(
    flows: &mut Flows<'a>,
    vault: &Pubkey,
    key: &Pubkey,
    was: &Measured<'a>,
    now: &Measured<'a>,
) -> Option<Arrived<'a>> {
    if was.owner != now.owner || was.data_len != now.data_len {
        return None;
    }
    if address_eq(key, vault) {
        let plain = is_plain_system(was.owner, was.data_len);
        return net_vault(flows, plain, was.lamports, now.lamports).map(|()| Arrived::default());
    }
    let unchanged = || was.same_as(now);
    let lamports_gained = now.lamports.saturating_sub(was.lamports);
    match was.owner {
        OwnerClass::Token | OwnerClass::Token2022 => {
            match was.kind() {
                Some(TokenAccountKind::Account) => {}
                // Unchanged, an account adds as much before as after to every sum and matters
                // only as a lookup: a mint without extensions lends the vault nothing (no
                // permanent delegate, no fee pool); a multisig may make another key the
                // vault's, and a mint with extensions may, so those go to the general rules.
                Some(TokenAccountKind::Mint)
                    if was.data_len == token_account::BASE_MINT_LEN && unchanged() =>
                {
                    return Some(Arrived::default())
                }
                None if unchanged() => return Some(Arrived::default()),
                _ => return None,
            }
            // Every byte but the amount's the same (compared around it, not whole).
            if !same_but_amount(was.data, now.data) {
                return None;
            }
            let was_amount = token_account::u64_at(was.data, AMOUNT_RANGE.start)?;
            let now_amount = token_account::u64_at(now.data, AMOUNT_RANGE.start)?;
            if was_amount == now_amount && was.lamports == now.lamports {
                return Some(Arrived::default());
            }
            let account = TokenAccountRef::of_kind(was.data)?;
            let mint = account.mint();
            let is_vault_key = |k: Option<&Pubkey>| k.is_some_and(|k| address_eq(k, vault));
            if is_vaults_own(vault, &account) {
                // The vault's own value: netted.
                flows.sol().net(was.lamports, now.lamports);
                flows.of(mint).net(was_amount, now_amount);
                return Some(Arrived::default());
            }
            let mut lost_by = None;
            if address_eq(account.owner(), vault)
                || is_vault_key(account.delegate())
                || is_vault_key(account.close_authority())
            {
                // Debitable by the vault: charged as it decreases.
                flows
                    .sol()
                    .charge(was.lamports.saturating_sub(now.lamports));
                flows.of(mint).charge(was_amount.saturating_sub(now_amount));
            } else if now_amount < was_amount || now.lamports < was.lamports {
                lost_by = Some(account.owner());
            }
            Some(Arrived {
                lamports: lamports_gained,
                tokens: Some((mint, account.owner(), now_amount.saturating_sub(was_amount))),
                lost_by,
            })
        }
        // Lamports alone moved (a nonce account's head, kept, did not).
        OwnerClass::System | OwnerClass::Other if was.data == now.data => {
            if was.owner == OwnerClass::System {
                // Signed for through `create_with_seed`, or a nonce account.
                flows
                    .sol()
                    .charge(was.lamports.saturating_sub(now.lamports));
            }
            // Another program's account, not the vault: nothing of it is the vault's.
            Some(Arrived {
                lamports: lamports_gained,
                tokens: None,
                lost_by: None,
            })
        }
        _ if unchanged() => Some(Arrived::default()),
        _ => None,
    }
}

impl<'a> Snapshot<'a> {
    /// Marks, on this snapshot taken after the calls, which accounts differ from `before`.
    #[cfg(test)]
    fn mark_changes(&mut self, before: &Snapshot<'a>) {
        for (now, was) in self.accounts.iter_mut().zip(&before.accounts) {
            now.change = Change::between(was, now);
        }
    }

    /// Adds to `owners` the passed token accounts the vault owns on this side: the owners of
    /// nested associated token accounts.
    #[inline(never)] // asked of both sides
    fn vault_token_accounts_into(&self, vault: &Pubkey, owners: &mut Vec<&'a Pubkey>) {
        for state in self.accounts.iter() {
            if state
                .token_account()
                .is_some_and(|t| address_eq(t.owner(), vault))
            {
                owners.push(state.key);
            }
        }
    }

    /// The passed mints whose permanent delegate is a key of `keys` (its token accounts are
    /// debitable by the vault): one pass, rather than a lookup per token account.
    fn mints_delegated_to(&self, keys: &VaultKeys) -> Vec<&'a Pubkey> {
        let mut mints = Vec::new();
        for state in self.accounts.iter() {
            if state
                .mint()
                .is_some_and(|m| keys.holds(m.permanent_delegate()))
            {
                mints.push(state.key);
            }
        }
        mints
    }
}

impl Taken {
    /// What it measured, with its kept bytes `data`.
    fn measured<'d>(&self, data: &'d [u8]) -> Measured<'d> {
        Measured {
            owner: self.owner,
            lamports: self.lamports,
            data_len: self.data_len,
            data,
        }
    }

    /// What of `account` the value model reads: a token-program account's data, the head of a
    /// nonce, stake, lookup-table, vote or loader account (a lookup table can hold 256 addresses
    /// after it), nothing of any other.
    fn measure(account: &Account, position: usize, owner: OwnerClass) -> Taken {
        let data_len = account.data_len();
        let kept = match owner {
            OwnerClass::Token | OwnerClass::Token2022 => data_len,
            OwnerClass::System if data_len == authority_account::NONCE_ACCOUNT_LEN => {
                data_len.min(authority_account::HEAD_LEN)
            }
            OwnerClass::Stake
            | OwnerClass::LookupTable
            | OwnerClass::UpgradeableLoader
            | OwnerClass::LoaderV4 => data_len.min(authority_account::HEAD_LEN),
            OwnerClass::Vote => data_len.min(authority_account::VOTE_HEAD_LEN),
            OwnerClass::System | OwnerClass::Other => 0,
        };
        Taken {
            position,
            owner,
            lamports: account.lamports(),
            data_len,
            kept,
            may_change: true,
        }
    }
}

/// The keys whose authority is the vault's: the vault, and every passed multisig (judged before
/// the calls) that lists the vault among its signers — the vault alone can sign for a 1-of-n.
#[derive(Clone, Debug)]
pub struct VaultKeys<'a>(Vec<&'a Pubkey>);

impl<'a> VaultKeys<'a> {
    pub fn new(vault: &'a Pubkey, before: &Snapshot<'a>) -> VaultKeys<'a> {
        let mut keys = crate::list![vault];
        for s in before.accounts.iter() {
            if s.read == Read::Multisig
                && s.owner
                    .id()
                    .is_some_and(|id| token_account::multisig_has_signer(id, s.data, vault))
            {
                keys.push(s.key);
            }
        }
        VaultKeys(keys)
    }

    /// The vault itself.
    pub fn vault(&self) -> &'a Pubkey {
        // `new` always puts the vault first.
        self.0[0]
    }

    pub fn contains(&self, key: &Pubkey) -> bool {
        self.0.iter().any(|k| address_eq(k, key))
    }

    fn holds(&self, key: Option<&Pubkey>) -> bool {
        key.is_some_and(|k| self.contains(k))
    }

    fn appears_at(&self, bytes: &[u8]) -> bool {
        self.0.iter().any(|k| k.as_ref() == bytes)
    }
}

/// Whether a System account whose lamports the vault's signature reached before the calls is
/// out of its reach after them: assigned to another program, or given data that is no nonce
/// account of K's (anyone may make an allocated System account a nonce account of their own:
/// `InitializeNonceAccount` needs no signature). Its lamports then left the vault whole, though
/// none moved: charged, and judged as arriving there. "Reached": one without data (through
/// `create_with_seed`, where the address is one of the vault's), or a nonce account whose
/// authority is in K. For another System account (someone else's nonce account) only leaving
/// the System program counts, as only that could free lamports it holds.
#[inline(never)] // two callers, off the common path
fn leaves_system_reach(keys: &VaultKeys, was: &AccountState, now: &AccountState) -> bool {
    let reached = |state: &AccountState| state.data_len == 0 || withdrawn_by(keys, state);
    was.is_system() && (!now.is_system() || (reached(was) && !reached(now)))
}

/// Whether a key of K holds the authority over the lamports of a nonce, stake, lookup-table,
/// vote or loader account ([`authority_account`]): withdrawer, or the authority that closes it.
fn withdrawn_by(keys: &VaultKeys, state: &AccountState) -> bool {
    state
        .authorities()
        .is_some_and(|a| keys.holds(a.over_lamports.as_ref()))
}

/// Whether `state` holds the vault's own value (docs/program.md, "Who else can move it"): the
/// vault, or a token account the vault owns with no delegate and a close authority that is none
/// or the vault.
/// Only these are netted against each other, because only the vault can move value out of them;
/// a token account handed to the vault keeps the close authority its former owner set, and an
/// owner-set delegate can spend what lands in its account. Every other account the vault can
/// debit is charged account by account (docs/program.md, "Who else can move it").
fn holds_vaults_own_value(vault: &Pubkey, state: &AccountState) -> bool {
    address_eq(state.key, vault)
        || state
            .token_account()
            .is_some_and(|t| is_vaults_own(vault, &t))
}

/// Whether the vault's signature can debit `state` (as one side shows it) without owning it: a token
/// account owned by a multisig the vault signs for, delegated to the vault, closable by it,
/// movable by it as its mint's permanent delegate, or nested in a token account the vault owns
/// (both found once per side: [`Reach`]); a mint the vault holds an authority over
/// (excess lamports, closing); a multisig the vault signs for; a stake or vote account whose
/// withdrawer is the vault; a lookup table or loader account whose authority is the vault.
/// Decreases of these are charged account by account and never netted against increases: an
/// increase may sit where someone else can take it (an attacker's own account delegated to
/// the vault, say).
fn debitable(keys: &VaultKeys, reach: &Reach, state: &AccountState) -> bool {
    match state.kind() {
        Some(TokenAccountKind::Account) => state.token_account().is_some_and(|t| {
            keys.contains(t.owner())
                || keys.holds(t.delegate())
                || keys.holds(t.close_authority())
                || reach.delegating.iter().any(|m| address_eq(m, t.mint()))
                || reach.nesting.iter().any(|o| address_eq(o, t.owner()))
        }),
        Some(TokenAccountKind::Mint) => state
            .mint()
            .is_some_and(|m| holds_mint_authority(keys, state, &m)),
        Some(TokenAccountKind::Multisig) => keys.contains(state.key),
        // A stake or vote account the vault withdraws from, a lookup table or loader account it
        // may close (nonce accounts are System accounts, charged as such).
        None => withdrawn_by(keys, state),
    }
}

/// The passed accounts through which the vault's signature reaches token accounts it does not
/// own, as one side of the calls shows them ([`debitable`]).
struct Reach<'s, 'a> {
    /// Mints whose permanent delegate is a key of the vault's: every token account of theirs.
    delegating: &'s [&'a Pubkey],
    /// Token accounts the vault owns, before or after the calls (a vault token account keeps
    /// its owner through them, rule 4, but one may become the vault's): the accounts nested in
    /// them, whose tokens the associated token account program's `RecoverNested` moves with
    /// the vault's signature.
    nesting: &'s [&'a Pubkey],
}

/// One mint's sums (for SOL, lamports) over an `Execute`. Exact, without saturating: each
/// account adds at most 2^64 to either, and an instruction passes at most 256 accounts, so
/// neither comes near the 2^127 an `i128` holds (saturating 128-bit sums cost ~20 SBF
/// instructions each).
struct Flow<'a> {
    mint: &'a Pubkey,
    /// Σ before − Σ after over the vault's own value and the withheld-fee pools only the vault
    /// may withdraw.
    netted: i128,
    /// Decreases of debitable accounts and supply increases, charged as they happen.
    charged: i128,
}

/// Per-mint sums in order of first appearance, SOL first.
struct Flows<'a>(Vec<Flow<'a>>);

impl<'a> Flows<'a> {
    fn new() -> Self {
        // Room for SOL and as many mints as a session may limit, so the common case never
        // grows the list.
        let mut flows = Vec::with_capacity(1 + MAX_SPEND_LIMITS);
        flows.push(Flow {
            mint: &NATIVE_SOL_MINT,
            netted: 0,
            charged: 0,
        });
        Flows(flows)
    }

    fn of(&mut self, mint: &'a Pubkey) -> &mut Flow<'a> {
        let index = match self.0.iter().position(|f| address_eq(f.mint, mint)) {
            Some(index) => index,
            None => {
                self.0.push(Flow {
                    mint,
                    netted: 0,
                    charged: 0,
                });
                self.0.len().saturating_sub(1)
            }
        };
        &mut self.0[index]
    }

    fn sol(&mut self) -> &mut Flow<'a> {
        // `new` puts SOL first.
        &mut self.0[0]
    }

    /// The positive outflows, in order.
    fn outflows(&self) -> Vec<(Pubkey, u64)> {
        let mut outflows = Vec::with_capacity(self.0.len());
        for flow in self.0.iter() {
            let spent = flow.spent();
            if spent > 0 {
                outflows.push((*flow.mint, spent));
            }
        }
        outflows
    }
}

impl Flow<'_> {
    fn net(&mut self, before: u64, after: u64) {
        let change = i128::from(before).wrapping_sub(i128::from(after));
        self.netted = self.netted.wrapping_add(change);
    }

    fn charge(&mut self, amount: u64) {
        self.charged = self.charged.wrapping_add(i128::from(amount));
    }

    /// What left: the net decrease of the netted sums, if any, plus what was charged.
    fn spent(&self) -> u64 {
        let spent = self.netted.max(0).wrapping_add(self.charged);
        u64::try_from(spent).unwrap_or(u64::MAX)
    }
}

/// Refuses an outcome in which an authority the vault held would leave it (docs/program.md, "The value model"
/// rule 4), logging the rule and the account. Checked before anything is charged.
pub fn check_authorities(
    keys: &VaultKeys,
    before: &Snapshot,
    after: &Snapshot,
) -> Result<(), LeashError> {
    /// Logs the rule and the account, and refuses.
    macro_rules! refuse {
        ($($piece:expr),+ $(,)?) => {{
            leash_log!($($piece),+);
            return Err(LeashError::ForbiddenAuthorityChange);
        }};
    }
    let vault = keys.vault();
    // Mints whose freeze authority the vault holds, found once.
    let mut frozen_by_vault: Vec<&Pubkey> = Vec::new();
    for state in before.accounts.iter() {
        if state
            .mint()
            .is_some_and(|m| keys.holds(m.freeze_authority()))
        {
            frozen_by_vault.push(state.key);
        }
    }
    for (was, now) in before.accounts.iter().zip(&after.accounts) {
        if address_eq(was.key, vault) && !is_plain_system(now.owner, now.data_len) {
            refuse!(
                "the vault ",
                Key(vault),
                " must stay a System account without data"
            )
        }
        if now.change != Change::Other {
            // Unchanged, or only its balances moved: it keeps every authority it had.
            continue;
        }
        if let Some(held) = was.authorities() {
            // A nonce, stake, lookup-table, vote or loader account keeps every authority the
            // vault held: handed over, it could be withdrawn or closed by someone else without a
            // lamport moving now. One whose lamports the vault controls keeps all its terms —
            // else a session could lock the owner's stake for ever under a custodian of its
            // own (a ransom, not a transfer). Withdrawn whole (deinitialized) it holds
            // nothing, and its lamports are charged.
            let changed = now.authorities().is_some_and(|after| {
                (keys.holds(held.over_lamports.as_ref()) && after != held)
                    || held
                        .slots
                        .iter()
                        .zip(after.slots.iter())
                        .any(|(was, now)| keys.holds(was.as_ref()) && was != now)
            });
            if changed {
                refuse!(
                    "account ",
                    Key(was.key),
                    " (nonce, stake, lookup table, vote or loader account) would change an \
                     authority the vault holds"
                )
            }
        }
        if gains_withdrawer_outside(keys, was, now) {
            refuse!(
                "stake or vote account ",
                Key(now.key),
                " would end with a withdrawer the vault does not hold (it may be derived from \
                 the vault: only the vault signs inside a session)"
            )
        }
        if let Some(mint) = was.mint() {
            if holds_mint_authority(keys, was, &mint) && !mint_unchanged_but_supply(was, now) {
                refuse!(
                    "authority of mint ",
                    Key(was.key),
                    " would change, or the mint would be reconfigured"
                )
            }
        }
        let old = was.token_account();
        let new = now.token_account();
        if let Some(n) = new {
            let became_vaults =
                keys.contains(n.owner()) && old.is_none_or(|o| !keys.contains(o.owner()));
            if became_vaults && (n.delegate().is_some() || n.close_authority().is_some()) {
                refuse!(
                    "new vault token account ",
                    Key(now.key),
                    " may not have a delegate or close authority"
                )
            }
        }
        let Some(old) = old else {
            continue;
        };
        if keys.contains(old.owner()) {
            if new.is_none() {
                refuse!("vault token account ", Key(was.key), " would be closed")
            }
            if !vault_account_unchanged(was, now) {
                refuse!(
                    "vault token account ",
                    Key(was.key),
                    " would change its owner, delegate, close authority, state or extensions"
                )
            }
            if new.is_some_and(|n| n.delegated_amount() > old.delegated_amount()) {
                refuse!(
                    "delegated amount of vault token account ",
                    Key(was.key),
                    " would grow"
                )
            }
        }
        if keys.holds(old.delegate()) {
            let kept = new.is_some_and(|n| {
                n.delegate() == old.delegate()
                    || (n.delegate().is_none() && n.delegated_amount() == 0)
            });
            if !kept {
                refuse!(
                    "delegated account ",
                    Key(was.key),
                    " would lose the vault as its delegate"
                )
            }
        }
        if keys.holds(old.close_authority())
            && new.is_none_or(|n| n.close_authority() != old.close_authority())
        {
            refuse!(
                "account ",
                Key(was.key),
                " would lose the vault as its close authority"
            )
        }
        let frozen = frozen_by_vault.iter().any(|m| address_eq(m, old.mint()));
        if frozen && new.is_some_and(|n| n.state() != old.state()) {
            refuse!(
                "token account ",
                Key(was.key),
                " of mint ",
                Key(old.mint()),
                " would be frozen or thawed"
            )
        }
    }
    Ok(())
}

/// Whether a stake or vote account ends the calls with a withdrawer outside K that it did not
/// have before them: handed over, or a new account (split off one of the vault's, say). Its
/// withdrawer may be an address derived from the vault, which the vault signs for as base
/// (`AuthorizeWithSeed` in both programs), and nothing on chain tells such a key apart without
/// its seed; inside the calls only the vault signs (and programs for their own PDAs), so no
/// withdrawal key the calls set may leave K (docs/program.md, "Who else can move it").
fn gains_withdrawer_outside(keys: &VaultKeys, was: &AccountState, now: &AccountState) -> bool {
    if !matches!(now.owner, OwnerClass::Stake | OwnerClass::Vote) {
        return false;
    }
    let Some(withdrawer) = now.authorities().and_then(|a| a.over_lamports) else {
        return false;
    };
    let had = (was.owner == now.owner)
        .then(|| was.authorities())
        .flatten()
        .and_then(|a| a.over_lamports);
    had != Some(withdrawer) && !keys.contains(&withdrawer)
}

/// Whether a key of K holds any authority over the mint: mint, freeze, or any 32-byte field of a
/// Token-2022 extension (permanent delegate, fee, close, pointer, metadata, pause authorities…,
/// found by value so extensions this program does not know are covered too).
fn holds_mint_authority(keys: &VaultKeys, was: &AccountState, mint: &MintRef) -> bool {
    keys.holds(mint.mint_authority())
        || keys.holds(mint.freeze_authority())
        || token_account::extensions(was.data)
            .any(|(_, value)| value.windows(32).any(|w| keys.appears_at(w)))
}

/// A mint after the calls: the same bytes but for its supply (minting, burning) and the fees
/// withheld in it (harvesting is permissionless). So no authority leaves and none of the mint's
/// powers is used on others: no pausing, no new fees or rates, no metadata edits, no closing.
fn mint_unchanged_but_supply(was: &AccountState, now: &AccountState) -> bool {
    if was.owner != now.owner || was.data.len() != now.data.len() || now.mint().is_none() {
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
    let mut old = token_account::extensions(was.data);
    let mut new = token_account::extensions(now.data);
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
    if was.owner != now.owner || was.data.len() != now.data.len() {
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
    let mut flows = Flows::new();
    // Mints whose withheld fees only the vault may withdraw: their fees are netted like the
    // vault's own value.
    let fee_pools: Vec<&Pubkey> = before
        .accounts
        .iter()
        .filter(|s| s.mint().is_some())
        .filter(|s| keys.holds(token_account::withdraw_withheld_authority(s.data).as_ref()))
        .map(|s| s.key)
        .collect();
    let mut nesting = Vec::new();
    before.vault_token_accounts_into(vault, &mut nesting);
    after.vault_token_accounts_into(vault, &mut nesting);
    let (delegating_before, delegating_after) = (
        before.mints_delegated_to(keys),
        after.mints_delegated_to(keys),
    );
    let reach_before = Reach {
        delegating: &delegating_before,
        nesting: &nesting,
    };
    let reach_after = Reach {
        delegating: &delegating_after,
        nesting: &nesting,
    };
    let pool_of = |state: &AccountState<'_>| {
        let mint = match state.read {
            Read::Mint(Some(_)) => state.key,
            Read::TokenAccount(Some(t)) => t.mint(),
            _ => return None,
        };
        fee_pools.iter().find(|p| address_eq(p, mint)).copied()
    };
    for (was, now) in before.accounts.iter().zip(&after.accounts) {
        if now.change == Change::None {
            // Every sum below adds as much before as after for it (the fee pools too).
            continue;
        }
        if holds_vaults_own_value(vault, was) || holds_vaults_own_value(vault, now) {
            flows.sol().net(was.lamports, now.lamports);
            let old_mint = was.token_account().map(|t| t.mint());
            let new_mint = now
                .token_account()
                .map(|t| t.mint())
                .filter(|m| old_mint.is_none_or(|old| !address_eq(old, m)));
            for mint in old_mint.into_iter().chain(new_mint) {
                flows.of(mint).net(was.amount_of(mint), now.amount_of(mint));
            }
        } else if was.is_system() {
            // Signed for through `create_with_seed`, or as a nonce authority: a debit is
            // charged, and all of it once the account leaves the vault's reach.
            let kept = if leaves_system_reach(keys, was, now) {
                0
            } else {
                now.lamports
            };
            flows.sol().charge(was.lamports.saturating_sub(kept));
        } else if debitable(keys, &reach_before, was) || debitable(keys, &reach_after, now) {
            flows
                .sol()
                .charge(was.lamports.saturating_sub(now.lamports));
            if let Some(t) = was.token_account() {
                let mint = t.mint();
                flows
                    .of(mint)
                    .charge(t.amount().saturating_sub(now.amount_of(mint)));
            }
        }
        if let (Some(old), Some(new)) = (was.mint(), now.mint()) {
            if keys.holds(old.mint_authority()) {
                flows
                    .of(was.key)
                    .charge(new.supply().saturating_sub(old.supply()));
            }
        }
        if fee_pools.is_empty() {
            continue;
        }
        if let Some(mint) = pool_of(was) {
            flows
                .of(mint)
                .net(token_account::withheld_fees(was.data), 0);
        }
        if let Some(mint) = pool_of(now) {
            flows
                .of(mint)
                .net(0, token_account::withheld_fees(now.data));
        }
    }
    flows.outflows()
}

/// The start of the lines naming a refused mint's listed recipients.
const LISTED_RECIPIENT: &str = "listed recipient ";

/// Value of a limit's mint that arrived at an account the limit's recipients do not cover
/// (`RecipientNotAllowed`, 6020), with the figures the program logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecipientViolation {
    /// The mint ([`NATIVE_SOL_MINT`] for SOL).
    pub mint: Pubkey,
    /// The account that gained.
    pub account: Pubkey,
    /// The key that had to be listed: the token account's owner, or for SOL the account.
    pub recipient: Pubkey,
    /// What it gained, in base units (lamports for SOL).
    pub amount: u64,
}

impl RecipientViolation {
    /// Logs the refusal as one line, `RecipientNotAllowed: mint <m> account <a> recipient <r>
    /// amount <n>`, then one `listed recipient <k>` line per recipient the limit lists (only
    /// on refusal, so clients can name them); [`RecipientViolation::from_log`] and
    /// [`RecipientViolation::listed_in_log`] read them back.
    pub fn log(&self, listed: &[Pubkey]) {
        crate::leash_log!(self);
        for key in listed {
            crate::leash_log!(LISTED_RECIPIENT, Key(key));
        }
    }

    /// The recipients a refusal's `listed recipient` lines name.
    #[cfg(not(target_arch = "bpf"))]
    pub fn listed_in_log(logs: &[String]) -> Vec<Pubkey> {
        logs.iter()
            .filter_map(|line| {
                let line = line.strip_prefix("Program log: ").unwrap_or(line);
                line.strip_prefix(LISTED_RECIPIENT)?.trim().parse().ok()
            })
            .collect()
    }

    /// The violation a log line (with or without `Program log: `) states, if it is one.
    #[cfg(not(target_arch = "bpf"))]
    pub fn from_log(line: &str) -> Option<RecipientViolation> {
        let line = line.strip_prefix("Program log: ").unwrap_or(line);
        let rest = line.strip_prefix("RecipientNotAllowed: ")?;
        let mut words = rest.split_whitespace();
        let mut field = |label: &str| -> Option<&str> {
            (words.next()? == label).then_some(())?;
            words.next()
        };
        let mint = field("mint")?.parse().ok()?;
        let account = field("account")?.parse().ok()?;
        let recipient = field("recipient")?.parse().ok()?;
        let amount = field("amount")?.parse().ok()?;
        words.next().is_none().then_some(RecipientViolation {
            mint,
            account,
            recipient,
            amount,
        })
    }
}

impl Piece for RecipientViolation {
    fn put(&self, line: &mut Line) {
        line.push_str("RecipientNotAllowed: mint ");
        Key(&self.mint).put(line);
        line.push_str(" account ");
        Key(&self.account).put(line);
        line.push_str(" recipient ");
        Key(&self.recipient).put(line);
        line.push_str(" amount ");
        Num(self.amount).put(line);
    }
}

#[cfg(not(target_arch = "bpf"))]
impl core::fmt::Display for RecipientViolation {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        crate::log::piece_fmt(self, f)
    }
}

/// Refuses value that arrived where the policy does not let it go (docs/program.md,
/// "Recipients"): for every limit that lists recipients, every passed account other than those
/// holding the vault's own value that gained its mint — `amount` of a token account of that mint,
/// counted 0 on a side where it is not one; lamports for SOL, all of them for a System account
/// that left the vault's reach ([`leaves_system_reach`]) — must be a token account whose owner
/// is listed, or for SOL a listed account. Judged from the snapshots alone, so it holds
/// through whatever the calls invoke; checked after the authorities, before anything is charged.
pub fn check_recipients<L: LimitTerms>(
    limits: impl IntoIterator<Item = L> + Copy,
    keys: &VaultKeys,
    before: &Snapshot,
    after: &Snapshot,
) -> Result<(), RecipientViolation> {
    if limits.into_iter().all(|l| l.recipients().is_empty()) {
        return Ok(());
    }
    let vault = keys.vault();
    for (was, now) in before.accounts.iter().zip(&after.accounts) {
        // An account that did not change gained nothing (most passed accounts: the session,
        // the session key, mints).
        if now.change == Change::None {
            continue;
        }
        let mut own = None;
        for limit in limits.into_iter().filter(|l| !l.recipients().is_empty()) {
            let mint = limit.mint();
            let (gained, recipient) = if address_eq(mint, &NATIVE_SOL_MINT) {
                // Out of the vault's reach, all it holds arrived there.
                let stayed = if leaves_system_reach(keys, was, now) {
                    0
                } else {
                    was.lamports
                };
                (now.lamports.saturating_sub(stayed), now.key)
            } else {
                let gained = now.amount_of(mint).saturating_sub(was.amount_of(mint));
                // An account that gained the mint is a token account of it afterwards.
                let owner = now.token_account().map_or(now.key, |t| t.owner());
                (gained, owner)
            };
            if gained == 0 || limit.allows_recipient(recipient) {
                continue;
            }
            let is_own = *own.get_or_insert_with(|| {
                holds_vaults_own_value(vault, was) || holds_vaults_own_value(vault, now)
            });
            if !is_own {
                return Err(RecipientViolation {
                    mint: *mint,
                    account: *now.key,
                    recipient: *recipient,
                    amount: gained,
                });
            }
        }
    }
    Ok(())
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

impl LimitViolation {
    /// Logs the refusal's figures as one line, `<Error>: mint <m> amount <a> used <u> limit
    /// <l>` (docs/program.md, "Errors"); [`LimitViolation::from_log`] reads it back, so the
    /// line's format is stated here once.
    pub fn log(&self) {
        crate::leash_log!(self);
    }

    /// The violation a log line (with or without the runtime's `Program log: ` prefix) states,
    /// if it is one [`LimitViolation::log`] wrote.
    #[cfg(not(target_arch = "bpf"))]
    pub fn from_log(line: &str) -> Option<LimitViolation> {
        let line = line.strip_prefix("Program log: ").unwrap_or(line);
        let (name, rest) = line.split_once(": mint ")?;
        let error = LeashError::from_name(name)?;
        let mut words = rest.split_whitespace();
        let mint = words.next()?.parse().ok()?;
        let mut field = |label: &str| -> Option<u64> {
            (words.next()? == label).then_some(())?;
            words.next()?.parse().ok()
        };
        let amount = field("amount")?;
        let used = field("used")?;
        let limit = field("limit")?;
        words.next().is_none().then_some(LimitViolation {
            error,
            mint,
            amount,
            used,
            limit,
        })
    }
}

impl Piece for LimitViolation {
    fn put(&self, line: &mut Line) {
        line.push_str(self.error.name());
        line.push_str(": mint ");
        Key(&self.mint).put(line);
        line.push_str(" amount ");
        Num(self.amount).put(line);
        line.push_str(" used ");
        Num(self.used).put(line);
        line.push_str(" limit ");
        Num(self.limit).put(line);
    }
}

#[cfg(not(target_arch = "bpf"))]
impl core::fmt::Display for LimitViolation {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        crate::log::piece_fmt(self, f)
    }
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
    old: &impl LimitTerms,
    new: &impl LimitTerms,
    spent: Spent,
    now: i64,
    created_at: i64,
) -> Spent {
    if old.period_secs() == new.period_secs() {
        return spent;
    }
    let old_window = period_index(now, created_at, old.period_secs()).max(spent.period_index);
    let still_current = old.period_secs() != 0 && old_window == spent.period_index;
    Spent {
        total: spent.total,
        period_index: period_index(now, created_at, new.period_secs()),
        in_period: if still_current { spent.in_period } else { 0 },
    }
}

/// Charges `outflows` against `policy`, updating `spent` (parallel to `policy.limits`). Checks
/// per mint, in order: a limit exists, `per_tx`, remaining `total`, remaining `per_period` of
/// the current window. Counters saturate, so an unlimited bound (`u64::MAX`) never fails and a
/// saturated counter exceeds every finite bound. A window never moves backwards: a clock set
/// back counts as the window already recorded (docs/program.md, "The value model"). A refusal
/// may leave `spent` part-charged: the caller charges a copy it throws away then (`Execute`'s
/// own copy of the session's counters: a refusal fails the transaction).
pub fn charge<L: LimitTerms>(
    limits: impl IntoIterator<Item = L> + Copy,
    spent: &mut [Spent],
    outflows: &[(Pubkey, u64)],
    now: i64,
    created_at: i64,
) -> Result<(), LimitViolation> {
    for &(mint, amount) in outflows {
        let violation = |error, used, limit| LimitViolation {
            error,
            mint,
            amount,
            used,
            limit,
        };
        let Some((i, limit)) = limits
            .into_iter()
            .enumerate()
            .find(|(_, l)| address_eq(l.mint(), &mint))
        else {
            return Err(violation(LeashError::TokenNotInPolicy, 0, 0));
        };
        let entry = spent
            .get_mut(i)
            .ok_or(violation(LeashError::ArithmeticOverflow, 0, 0))?;
        if amount > limit.per_tx() {
            return Err(violation(LeashError::PerTxLimitExceeded, 0, limit.per_tx()));
        }
        let total = entry.total.saturating_add(amount);
        if total > limit.total() {
            return Err(violation(
                LeashError::SpendingLimitExceeded,
                entry.total,
                limit.total(),
            ));
        }
        entry.total = total;
        if limit.period_secs() > 0 {
            (entry.period_index, entry.in_period) =
                in_window(entry, limit.period_secs(), now, created_at);
            let in_period = entry.in_period.saturating_add(amount);
            if in_period > limit.per_period() {
                return Err(violation(
                    LeashError::PeriodLimitExceeded,
                    entry.in_period,
                    limit.per_period(),
                ));
            }
            entry.in_period = in_period;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
