//! A session account read in place ([`SessionView`]): what `Execute` and the owner instructions
//! read of a session without decoding it into lists (a full decode allocates a list per
//! policy section and copied every key: about 1,000 compute units per `Execute`;
//! docs/program.md, "Compute units"). It accepts exactly the bytes [`Session::decode`] accepts
//! for a policy within the program's bounds (tested against it), and [`SessionView::to_session`]
//! gives the same value.
//!
//! The layouts are those of docs/architecture.md ("Session account"): a fixed head, the policy's
//! programs, its limits (each with its recipients in layout 2), its instruction rules (layout 2),
//! then one `Spent` per limit.

#[cfg(not(target_arch = "bpf"))]
use crate::state::{Policy, Session};
use crate::{
    error::LeashError,
    platform::{address_eq, layout, layout_mut, layouts, layouts_mut, Pubkey},
    state::{
        PolicyViolation, ProgramRule, SessionStatus, SpendLimit, Spent, LAYOUT_VERSION,
        MAX_ALLOWED_PROGRAMS, MAX_PREFIXES_PER_PROGRAM, MAX_PREFIX_LEN, MAX_RECIPIENTS,
        MAX_RECIPIENTS_PER_LIMIT, MAX_SPEND_LIMITS, SESSION_ACCOUNT_TYPE, SESSION_LAYOUT_VERSION,
    },
};

crate::byte_layout! {
    /// A session's own fields, the first bytes of its account in both layout versions (the
    /// policy's borsh encoding follows them).
    pub struct SessionFixed {
        pub account_type: u8,
        pub version: u8,
        pub bump: u8,
        pub wallet: Pubkey,
        pub session_key: Pubkey,
        pub rent_payer: Pubkey,
        pub created_slot: [u8; 8],
        pub created_at: [u8; 8],
        pub epoch: [u8; 4],
        /// A borsh `bool`: 0 or 1.
        pub revoked: u8,
        pub uses: [u8; 8],
        pub nonce: [u8; 8],
    }
}

crate::byte_layout! {
    /// A policy's fixed terms, the first bytes of its borsh encoding.
    pub struct PolicyTermsLayout {
        pub valid_after: [u8; 8],
        pub valid_until: [u8; 8],
        pub expiry_slot: [u8; 8],
        pub max_uses: [u8; 8],
        pub max_calls_per_tx: u8,
    }
}

crate::byte_layout! {
    /// The fixed head of a session account: its own fields, then the policy's fixed terms.
    pub struct SessionHead {
        pub fixed: SessionFixed,
        pub terms: PolicyTermsLayout,
    }
}

/// Where a session account's policy encoding starts.
pub const SESSION_POLICY_OFFSET: usize = core::mem::size_of::<SessionFixed>();

crate::byte_layout! {
    /// A spending limit's fixed terms (its recipients follow in layout 2).
    pub struct LimitLayout {
        pub mint: Pubkey,
        pub per_tx: [u8; 8],
        pub total: [u8; 8],
        pub period_secs: [u8; 4],
        pub per_period: [u8; 8],
    }
}

crate::byte_layout! {
    /// What a session has spent of one limit.
    pub struct SpentLayout {
        pub total: [u8; 8],
        pub period_index: [u8; 8],
        pub in_period: [u8; 8],
    }
}

impl SpentLayout {
    pub fn get(&self) -> Spent {
        Spent {
            total: u64::from_le_bytes(self.total),
            period_index: u64::from_le_bytes(self.period_index),
            in_period: u64::from_le_bytes(self.in_period),
        }
    }

    fn set(&mut self, spent: &Spent) {
        self.total = spent.total.to_le_bytes();
        self.period_index = spent.period_index.to_le_bytes();
        self.in_period = spent.in_period.to_le_bytes();
    }
}

/// A spending limit's terms as the value model reads them, whether owned ([`SpendLimit`]) or
/// read in place ([`LimitView`]).
pub trait LimitTerms {
    fn mint(&self) -> &Pubkey;
    fn per_tx(&self) -> u64;
    fn total(&self) -> u64;
    fn period_secs(&self) -> u32;
    fn per_period(&self) -> u64;
    /// Token-account owners (for SOL, accounts) value of this mint may go to; empty = any.
    fn recipients(&self) -> &[Pubkey];

    /// Whether value of this limit's mint may arrive at an account whose recipient key (a
    /// token account's owner; for SOL the account) is `key`.
    fn allows_recipient(&self, key: &Pubkey) -> bool {
        let recipients = self.recipients();
        recipients.is_empty() || recipients.iter().any(|r| address_eq(r, key))
    }
}

impl<T: LimitTerms> LimitTerms for &T {
    fn mint(&self) -> &Pubkey {
        (**self).mint()
    }
    fn per_tx(&self) -> u64 {
        (**self).per_tx()
    }
    fn total(&self) -> u64 {
        (**self).total()
    }
    fn period_secs(&self) -> u32 {
        (**self).period_secs()
    }
    fn per_period(&self) -> u64 {
        (**self).per_period()
    }
    fn recipients(&self) -> &[Pubkey] {
        (**self).recipients()
    }
}

impl LimitTerms for SpendLimit {
    fn mint(&self) -> &Pubkey {
        &self.mint
    }
    fn per_tx(&self) -> u64 {
        self.per_tx
    }
    fn total(&self) -> u64 {
        self.total
    }
    fn period_secs(&self) -> u32 {
        self.period_secs
    }
    fn per_period(&self) -> u64 {
        self.per_period
    }
    fn recipients(&self) -> &[Pubkey] {
        &self.recipients
    }
}

/// One limit of a session read in place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LimitView<'a> {
    terms: &'a LimitLayout,
    recipients: &'a [Pubkey],
}

impl LimitTerms for LimitView<'_> {
    fn mint(&self) -> &Pubkey {
        &self.terms.mint
    }
    fn per_tx(&self) -> u64 {
        u64::from_le_bytes(self.terms.per_tx)
    }
    fn total(&self) -> u64 {
        u64::from_le_bytes(self.terms.total)
    }
    fn period_secs(&self) -> u32 {
        u32::from_le_bytes(self.terms.period_secs)
    }
    fn per_period(&self) -> u64 {
        u64::from_le_bytes(self.terms.per_period)
    }
    fn recipients(&self) -> &[Pubkey] {
        self.recipients
    }
}

/// The limits of a session read in place: `count` entries of a [`LimitLayout`], each followed
/// in layout 2 by its recipients.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LimitsView<'a> {
    count: usize,
    with_recipients: bool,
    /// Whether any limit lists recipients (found while the limits are validated).
    lists_recipients: bool,
    bytes: &'a [u8],
}

impl<'a> IntoIterator for LimitsView<'a> {
    type Item = LimitView<'a>;
    type IntoIter = LimitsIter<'a>;

    fn into_iter(self) -> LimitsIter<'a> {
        LimitsIter {
            left: self.count,
            with_recipients: self.with_recipients,
            rest: self.bytes,
        }
    }
}

impl LimitsView<'_> {
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Whether any limit lists recipients.
    pub fn lists_recipients(&self) -> bool {
        self.lists_recipients
    }
}

/// Walks a [`LimitsView`] (validated by [`PolicyView::parse`]).
#[derive(Clone)]
pub struct LimitsIter<'a> {
    left: usize,
    with_recipients: bool,
    rest: &'a [u8],
}

impl<'a> Iterator for LimitsIter<'a> {
    type Item = LimitView<'a>;

    fn next(&mut self) -> Option<LimitView<'a>> {
        self.left = self.left.checked_sub(1)?;
        let (limit, rest) = limit_field(self.rest, self.with_recipients)?;
        self.rest = rest;
        Some(limit)
    }
}

/// One limit's terms and (layout 2) recipients, and the bytes after them.
fn limit_field(data: &[u8], with_recipients: bool) -> Option<(LimitView<'_>, &[u8])> {
    let (terms, rest) = layouts::<LimitLayout>(data, 1)?;
    let (recipients, rest) = if with_recipients {
        list_field::<Pubkey>(rest)?
    } else {
        (&[][..], rest)
    };
    Some((
        LimitView {
            terms: terms.first()?,
            recipients,
        },
        rest,
    ))
}

/// An instruction rule as `Execute` judges calls by it, owned ([`ProgramRule`]) or read in place
/// ([`RuleView`]).
pub trait InstructionRule {
    /// The rule's prefixes, in stored order.
    fn prefixes(&self) -> impl Iterator<Item = &[u8]>;

    /// Whether instruction data `data` starts with one of the rule's prefixes.
    fn allows(&self, data: &[u8]) -> bool {
        self.prefixes()
            .any(|prefix| !prefix.is_empty() && data.starts_with(prefix))
    }
}

impl InstructionRule for ProgramRule {
    fn prefixes(&self) -> impl Iterator<Item = &[u8]> {
        self.prefixes.iter().map(|p| &p[..])
    }
}

/// One instruction rule of a session read in place: its prefixes are `count` entries of a
/// `u32` length and the bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuleView<'a> {
    program: &'a Pubkey,
    count: u32,
    prefixes: &'a [u8],
}

impl<'a> RuleView<'a> {
    pub fn program(&self) -> &'a Pubkey {
        self.program
    }
}

impl InstructionRule for RuleView<'_> {
    fn prefixes(&self) -> impl Iterator<Item = &[u8]> {
        let mut rest = self.prefixes;
        (0..self.count).map_while(move |_| {
            let (prefix, tail) = bytes_field(rest)?;
            rest = tail;
            Some(prefix)
        })
    }
}

/// A borsh `u32` at the start of `data`, and the rest.
fn u32_field(data: &[u8]) -> Option<(u32, &[u8])> {
    let (bytes, rest) = layouts::<[u8; 4]>(data, 1)?;
    Some((u32::from_le_bytes(*bytes.first()?), rest))
}

/// A borsh `Vec<u8>`: a `u32` length, then the bytes.
fn bytes_field(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let (len, rest) = u32_field(data)?;
    rest.split_at_checked(usize::try_from(len).ok()?)
}

/// A borsh `Vec<T>` of byte layouts: a `u32` count, then the items.
fn list_field<T: crate::platform::Bytes>(data: &[u8]) -> Option<(&[T], &[u8])> {
    let (count, rest) = u32_field(data)?;
    layouts::<T>(rest, usize::try_from(count).ok()?)
}

/// The rules of a layout-2 session: `u32` count, then each rule's program, `u32` prefix count
/// and prefixes. Returns the rules region (validated) and the bytes after it.
fn rules_field(data: &[u8]) -> Option<(u32, &[u8], &[u8])> {
    let (count, rules) = u32_field(data)?;
    let mut rest = rules;
    for _ in 0..count {
        let (_, tail) = layouts::<Pubkey>(rest, 1)?;
        let (prefix_count, mut tail) = u32_field(tail)?;
        for _ in 0..prefix_count {
            let (_, after) = bytes_field(tail)?;
            tail = after;
        }
        rest = tail;
    }
    let used = rules.len().checked_sub(rest.len())?;
    Some((count, rules.get(..used)?, rest))
}

/// Where a session stands: the fields `Execute`'s checks 5–8 read, from either form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Standing {
    pub revoked: bool,
    /// The wallet epoch at creation.
    pub epoch: u32,
    pub valid_after: i64,
    pub valid_until: i64,
    pub expiry_slot: u64,
    pub uses: u64,
    pub max_uses: u64,
}

impl Standing {
    /// Revoked by itself or by a `RevokeAllSessions` since it was created (the wallet's epoch
    /// moved past the session's).
    pub fn is_revoked(&self, wallet_epoch: u32) -> bool {
        self.revoked || self.epoch != wallet_epoch
    }

    /// Past `valid_until` or `expiry_slot`.
    pub fn is_expired(&self, now: i64, slot: u64) -> bool {
        now >= self.valid_until || (self.expiry_slot != 0 && slot >= self.expiry_slot)
    }

    /// Where the session stands at unix time `now` and `slot`, judged by `Execute`'s checks 5–8
    /// in their order, so a client showing the status and the program refusing a use agree.
    pub fn status(&self, wallet_epoch: u32, now: i64, slot: u64) -> SessionStatus {
        if self.is_revoked(wallet_epoch) {
            SessionStatus::Revoked
        } else if now < self.valid_after {
            SessionStatus::NotYetActive
        } else if self.is_expired(now, slot) {
            SessionStatus::Expired
        } else if self.uses >= self.max_uses {
            SessionStatus::UsedUp
        } else {
            SessionStatus::Active
        }
    }
}

/// A policy's borsh encoding read in place: in a session account (layout 1 has no recipients
/// and no instruction rules) or in a `CreateSession` / `UpdateSession` (layout 2).
#[derive(Clone, Copy, Debug)]
pub struct PolicyView<'a> {
    terms: &'a PolicyTermsLayout,
    programs: &'a [Pubkey],
    limits: LimitsView<'a>,
    rule_count: u32,
    rules: &'a [u8],
    /// The whole encoding.
    bytes: &'a [u8],
}

impl<'a> PolicyView<'a> {
    /// The policy at the start of `data` in session layout 2 (`with_v3` false: layout 1), and
    /// the bytes after it. Any counts the bytes hold are read ([`PolicyView::validate`] bounds
    /// them).
    #[inline(always)] // read on every `Execute`: inlined, the view stays in registers
    pub fn parse(data: &'a [u8], with_v3: bool) -> Option<(PolicyView<'a>, &'a [u8])> {
        let (terms, rest) = layouts::<PolicyTermsLayout>(data, 1)?;
        let (programs, rest) = list_field::<Pubkey>(rest)?;
        let (limit_count, limits_start) = u32_field(rest)?;
        let limit_count = usize::try_from(limit_count).ok()?;
        let mut rest = limits_start;
        let mut lists_recipients = false;
        for _ in 0..limit_count {
            let (limit, tail) = limit_field(rest, with_v3)?;
            lists_recipients |= !limit.recipients.is_empty();
            rest = tail;
        }
        let limits = LimitsView {
            count: limit_count,
            with_recipients: with_v3,
            lists_recipients,
            bytes: limits_start.get(..limits_start.len().checked_sub(rest.len())?)?,
        };
        let (rule_count, rules, rest) = if with_v3 {
            rules_field(rest)?
        } else {
            (0, &[][..], rest)
        };
        let used = data.len().checked_sub(rest.len())?;
        Some((
            PolicyView {
                terms: terms.first()?,
                programs,
                limits,
                rule_count,
                rules,
                bytes: data.get(..used)?,
            },
            rest,
        ))
    }

    pub fn terms(&self) -> &'a PolicyTermsLayout {
        self.terms
    }

    pub fn allowed_programs(&self) -> &'a [Pubkey] {
        self.programs
    }

    pub fn limits(&self) -> LimitsView<'a> {
        self.limits
    }

    /// The encoding's bytes (what a session stores).
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The instruction rules, in stored order.
    pub fn rules(&self) -> impl Iterator<Item = RuleView<'a>> + Clone {
        let mut rest = self.rules;
        (0..self.rule_count).map_while(move |_| {
            let (program, tail) = layouts::<Pubkey>(rest, 1)?;
            let (count, tail) = u32_field(tail)?;
            let mut after = tail;
            for _ in 0..count {
                after = bytes_field(after)?.1;
            }
            let used = tail.len().checked_sub(after.len())?;
            rest = after;
            Some(RuleView {
                program: program.first()?,
                count,
                prefixes: tail.get(..used)?,
            })
        })
    }

    /// The instruction rule of `program`, if it has one.
    pub fn rule_for(&self, program: &Pubkey) -> Option<RuleView<'a>> {
        if self.rule_count == 0 {
            return None;
        }
        self.rules().find(|r| address_eq(r.program, program))
    }

    fn allows_program(&self, program: &Pubkey) -> bool {
        self.programs.iter().any(|p| address_eq(p, program))
    }

    /// The rules every policy keeps (docs/program.md, "Instructions": `CreateSession`), in
    /// order; the first broken one. Stated once, here: [`Policy::validate`] reads an owned
    /// policy through this view, and the program answers with [`PolicyView::check`].
    pub fn validate(&self, program_id: &Pubkey) -> Result<(), PolicyViolation> {
        let terms = self.terms;
        if i64::from_le_bytes(terms.valid_until) <= i64::from_le_bytes(terms.valid_after) {
            return Err(PolicyViolation::EndsBeforeItStarts);
        }
        if terms.max_calls_per_tx == 0 {
            return Err(PolicyViolation::NoCallsPerTransaction);
        }
        if self.programs.len() > MAX_ALLOWED_PROGRAMS {
            return Err(PolicyViolation::TooManyPrograms);
        }
        if self.allows_program(program_id) {
            return Err(PolicyViolation::AllowsLeash);
        }
        if let Some(index) = first_duplicate(self.programs.iter()) {
            return Err(PolicyViolation::DuplicateProgram { index });
        }
        if self.limits.len() > MAX_SPEND_LIMITS {
            return Err(PolicyViolation::TooManyLimits);
        }
        let limits = self.limits.into_iter();
        if let Some(index) = first_duplicate(limits.clone().map(|l| &l.terms.mint)) {
            return Err(PolicyViolation::DuplicateMint { index });
        }
        let mut recipients = 0usize;
        for (index, limit) in limits.enumerate() {
            if limit.recipients.len() > MAX_RECIPIENTS_PER_LIMIT {
                return Err(PolicyViolation::TooManyRecipients { limit: index });
            }
            if first_duplicate(limit.recipients.iter()).is_some() {
                return Err(PolicyViolation::DuplicateRecipient { limit: index });
            }
            recipients = recipients.saturating_add(limit.recipients.len());
        }
        if recipients > MAX_RECIPIENTS {
            return Err(PolicyViolation::TooManyRecipients {
                limit: self.limits.len(),
            });
        }
        if let Some(index) = first_duplicate(self.rules().map(|r| r.program)) {
            return Err(PolicyViolation::DuplicateProgramRule { index });
        }
        for (index, rule) in self.rules().enumerate() {
            if !self.allows_program(rule.program) {
                return Err(PolicyViolation::RuleForUnlistedProgram { index });
            }
            let count = usize::try_from(rule.count).unwrap_or(usize::MAX);
            let sizes_fit = rule
                .prefixes()
                .all(|p| (1..=MAX_PREFIX_LEN).contains(&p.len()));
            if count == 0 || count > MAX_PREFIXES_PER_PROGRAM || !sizes_fit {
                return Err(PolicyViolation::BadPrefixes { index });
            }
        }
        Ok(())
    }

    /// [`PolicyView::validate`] as the program answers it: the broken rule logged, then
    /// `InvalidPolicy`.
    pub fn check(&self, program_id: &Pubkey) -> Result<(), LeashError> {
        self.validate(program_id).map_err(|violation| {
            crate::leash_log!("invalid policy: ", violation.message());
            LeashError::InvalidPolicy
        })
    }
}

/// The first key of `keys` equal to an earlier one; pairwise over at most 16 keys, without a
/// list of those seen (no heap on SBF).
fn first_duplicate<'a>(keys: impl Iterator<Item = &'a Pubkey> + Clone) -> Option<usize> {
    keys.clone().enumerate().find_map(|(index, key)| {
        keys.clone()
            .take(index)
            .any(|earlier| address_eq(earlier, key))
            .then_some(index)
    })
}

/// A session account's data read in place (both layout versions).
#[derive(Clone, Copy, Debug)]
pub struct SessionView<'a> {
    head: &'a SessionHead,
    policy: PolicyView<'a>,
    spent: &'a [SpentLayout],
    /// Where the `Spent` entries start in the account data.
    spent_at: usize,
}

impl<'a> SessionView<'a> {
    /// `data` as a session account; `None` if it is not one, has more than
    /// [`MAX_SPEND_LIMITS`] limits, or has bytes after its last field.
    #[inline(always)] // as `PolicyView::parse`
    pub fn parse(data: &'a [u8]) -> Option<SessionView<'a>> {
        let head: &SessionHead = layout(data)?;
        let v2 = match (head.fixed.account_type, head.fixed.version) {
            (SESSION_ACCOUNT_TYPE, LAYOUT_VERSION) => false,
            (SESSION_ACCOUNT_TYPE, SESSION_LAYOUT_VERSION) => true,
            _ => return None,
        };
        if head.fixed.revoked > 1 {
            return None;
        }
        let (policy, rest) = PolicyView::parse(data.get(SESSION_POLICY_OFFSET..)?, v2)?;
        if policy.limits.len() > MAX_SPEND_LIMITS {
            return None;
        }
        let spent_at = data.len().checked_sub(rest.len())?.checked_add(4)?;
        let (spent, rest) = list_field::<SpentLayout>(rest)?;
        rest.is_empty().then_some(SessionView {
            head,
            policy,
            spent,
            spent_at,
        })
    }

    /// The session's policy.
    pub fn policy(&self) -> &PolicyView<'a> {
        &self.policy
    }

    pub fn head(&self) -> &'a SessionHead {
        self.head
    }

    pub fn wallet(&self) -> &'a Pubkey {
        &self.head.fixed.wallet
    }

    pub fn session_key(&self) -> &'a Pubkey {
        &self.head.fixed.session_key
    }

    pub fn created_at(&self) -> i64 {
        i64::from_le_bytes(self.head.fixed.created_at)
    }

    pub fn uses(&self) -> u64 {
        u64::from_le_bytes(self.head.fixed.uses)
    }

    pub fn nonce(&self) -> u64 {
        u64::from_le_bytes(self.head.fixed.nonce)
    }

    pub fn max_calls_per_tx(&self) -> u8 {
        self.head.terms.max_calls_per_tx
    }

    /// The fields the status is judged by.
    pub fn standing(&self) -> Standing {
        let head = self.head;
        Standing {
            revoked: head.fixed.revoked == 1,
            epoch: u32::from_le_bytes(head.fixed.epoch),
            valid_after: i64::from_le_bytes(head.terms.valid_after),
            valid_until: i64::from_le_bytes(head.terms.valid_until),
            expiry_slot: u64::from_le_bytes(head.terms.expiry_slot),
            uses: u64::from_le_bytes(head.fixed.uses),
            max_uses: u64::from_le_bytes(head.terms.max_uses),
        }
    }

    pub fn allowed_programs(&self) -> &'a [Pubkey] {
        self.policy.programs
    }

    pub fn limits(&self) -> LimitsView<'a> {
        self.policy.limits
    }

    /// The spent counters, parallel to the limits (as stored: a session whose counts differ is
    /// refused when charged).
    pub fn spent(&self) -> &'a [SpentLayout] {
        self.spent
    }

    /// The instruction rules, in stored order.
    pub fn rules(&self) -> impl Iterator<Item = RuleView<'a>> + Clone {
        self.policy.rules()
    }

    /// The instruction rule of `program`, if it has one.
    pub fn rule_for(&self, program: &Pubkey) -> Option<RuleView<'a>> {
        self.policy.rule_for(program)
    }

    /// The session as [`Session::decode`] gives it (clients, tests).
    #[cfg(not(target_arch = "bpf"))]
    pub fn to_session(&self) -> Session {
        let head = self.head;
        let standing = self.standing();
        Session {
            account_type: head.fixed.account_type,
            version: head.fixed.version,
            bump: head.fixed.bump,
            wallet: head.fixed.wallet,
            session_key: head.fixed.session_key,
            rent_payer: head.fixed.rent_payer,
            created_slot: u64::from_le_bytes(head.fixed.created_slot),
            created_at: self.created_at(),
            epoch: standing.epoch,
            revoked: standing.revoked,
            uses: standing.uses,
            nonce: self.nonce(),
            policy: Policy {
                valid_after: standing.valid_after,
                valid_until: standing.valid_until,
                expiry_slot: standing.expiry_slot,
                max_uses: standing.max_uses,
                max_calls_per_tx: head.terms.max_calls_per_tx,
                allowed_programs: self.policy.programs.to_vec(),
                limits: self
                    .limits()
                    .into_iter()
                    .map(|l| SpendLimit {
                        mint: *l.mint(),
                        per_tx: l.per_tx(),
                        total: l.total(),
                        period_secs: l.period_secs(),
                        per_period: l.per_period(),
                        recipients: l.recipients.to_vec(),
                    })
                    .collect(),
                program_rules: self
                    .rules()
                    .map(|r| ProgramRule {
                        program: *r.program,
                        prefixes: r.prefixes().map(|p| p.to_vec()).collect(),
                    })
                    .collect(),
            },
            spent: self.spent.iter().map(SpentLayout::get).collect(),
        }
    }

    /// Writes what an `Execute` changes — `uses`, `nonce` and the `spent` entries — into
    /// `data`, the account this view was read from, in place: the policy bytes stay as they
    /// are. `data` must be that account's data, unchanged since.
    pub fn write_usage(
        data: &mut [u8],
        spent_at: usize,
        (uses, nonce): (u64, u64),
        spent: &[Spent],
    ) -> Option<()> {
        // Both places found before anything is written: a refusal leaves the bytes as they were.
        let (head, rest) = data.split_at_mut_checked(spent_at)?;
        let stored: &mut [SpentLayout] = layouts_mut(rest, spent.len())?;
        let head: &mut SessionHead = layout_mut(head)?;
        head.fixed.uses = uses.to_le_bytes();
        head.fixed.nonce = nonce.to_le_bytes();
        for (slot, value) in stored.iter_mut().zip(spent) {
            slot.set(value);
        }
        Some(())
    }

    /// Writes a whole session into `dst`, its account's data, sized exactly: its own fields,
    /// the policy's borsh encoding `policy` (as `CreateSession` and `UpdateSession` carry it),
    /// and one `Spent` per limit. No re-encoding: the policy bytes are the instruction's.
    pub fn write_new(
        dst: &mut [u8],
        fixed: &SessionFixed,
        policy: &[u8],
        spent: &[Spent],
    ) -> Option<()> {
        if dst.len() != Self::len_for(policy.len(), spent.len()) {
            return None;
        }
        let (head, rest) = dst.split_at_mut_checked(SESSION_POLICY_OFFSET)?;
        *layout_mut::<SessionFixed>(head)? = *fixed;
        let (stored_policy, rest) = rest.split_at_mut_checked(policy.len())?;
        stored_policy.copy_from_slice(policy);
        let (count, rest) = rest.split_at_mut_checked(4)?;
        count.copy_from_slice(&u32::try_from(spent.len()).ok()?.to_le_bytes());
        let spent_len =
            crate::list::saturating_mul(core::mem::size_of::<SpentLayout>(), spent.len());
        if rest.len() != spent_len {
            return None;
        }
        let stored: &mut [SpentLayout] = layouts_mut(rest, spent.len())?;
        for (slot, value) in stored.iter_mut().zip(spent) {
            slot.set(value);
        }
        Some(())
    }

    /// Bytes of a session account with a policy encoding of `policy_len` bytes and `limits`
    /// limits.
    pub fn len_for(policy_len: usize, limits: usize) -> usize {
        SESSION_POLICY_OFFSET
            .saturating_add(policy_len)
            .saturating_add(4)
            .saturating_add(crate::list::saturating_mul(
                core::mem::size_of::<SpentLayout>(),
                limits,
            ))
    }

    /// Where the `Spent` entries start (for [`SessionView::write_usage`]).
    pub fn spent_at(&self) -> usize {
        self.spent_at
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn key(b: u8) -> Pubkey {
        Pubkey::new_from_array([b; 32])
    }

    fn session(limits: usize, recipients: usize, rules: usize) -> Session {
        Session {
            account_type: SESSION_ACCOUNT_TYPE,
            version: SESSION_LAYOUT_VERSION,
            bump: 254,
            wallet: key(1),
            session_key: key(2),
            rent_payer: key(3),
            created_slot: 7,
            created_at: -5,
            epoch: 3,
            revoked: false,
            uses: 11,
            nonce: 12,
            policy: Policy {
                valid_after: 1,
                valid_until: 99,
                expiry_slot: 500,
                max_uses: 40,
                max_calls_per_tx: 4,
                allowed_programs: (0..3).map(|i| key(10 + i)).collect(),
                limits: (0..limits)
                    .map(|i| SpendLimit {
                        mint: key(20 + i as u8),
                        per_tx: 100 + i as u64,
                        total: 200,
                        period_secs: 60,
                        per_period: 150,
                        recipients: (0..recipients).map(|r| key(40 + r as u8)).collect(),
                    })
                    .collect(),
                program_rules: (0..rules)
                    .map(|i| ProgramRule {
                        program: key(10 + i as u8),
                        prefixes: (0..1 + i % MAX_PREFIXES_PER_PROGRAM)
                            .map(|p| vec![p as u8; 1 + p])
                            .collect(),
                    })
                    .collect(),
            },
            spent: (0..limits)
                .map(|i| Spent {
                    total: i as u64,
                    period_index: 2,
                    in_period: 1,
                })
                .collect(),
        }
    }

    proptest! {
        /// The view accepts exactly what `Session::decode` accepts (within the program's limit
        /// bound) and reads the same session, on valid, damaged, cut and extended bytes, in both
        /// layout versions.
        #[test]
        fn view_agrees_with_decode(
            limits in 0usize..=MAX_SPEND_LIMITS,
            recipients in 0usize..3,
            rules in 0usize..3,
            v1 in any::<bool>(),
            at in any::<prop::sample::Index>(),
            byte in any::<u8>(),
            cut in any::<prop::sample::Index>(),
        ) {
            let mut s = session(limits, recipients, rules);
            let bytes = if v1 {
                s.policy.program_rules.clear();
                s.policy.limits.iter_mut().for_each(|l| l.recipients.clear());
                s.encode_v1().unwrap()
            } else {
                borsh::to_vec(&s).unwrap()
            };
            let same = |data: &[u8]| {
                let decoded = Session::decode(data)
                    .filter(|s| s.policy.limits.len() <= MAX_SPEND_LIMITS);
                (SessionView::parse(data).map(|v| v.to_session()), decoded)
            };
            let (view, decoded) = same(&bytes);
            prop_assert_eq!(view.as_ref(), Some(&Session::decode(&bytes).unwrap()));
            prop_assert_eq!(view, decoded);
            // The flag the balance-only path reads is the limits' own answer.
            let lists = SessionView::parse(&bytes).map(|v| v.limits().lists_recipients());
            prop_assert_eq!(
                lists,
                Some(s.policy.limits.iter().any(|l| !l.recipients.is_empty()))
            );
            let mut changed = bytes.clone();
            let i = at.index(bytes.len());
            changed[i] = byte;
            let (view, decoded) = same(&changed);
            prop_assert_eq!(view, decoded);
            let (view, decoded) = same(&bytes[..cut.index(bytes.len())]);
            prop_assert_eq!(view, decoded);
            let mut long = bytes.clone();
            long.push(byte);
            let (view, decoded) = same(&long);
            prop_assert_eq!(view, decoded);
        }
    }

    #[test]
    fn usage_is_written_in_place() {
        let s = session(2, 1, 1);
        let mut bytes = borsh::to_vec(&s).unwrap();
        let view = SessionView::parse(&bytes).unwrap();
        let at = view.spent_at();
        let spent = [
            Spent {
                total: 9,
                period_index: 8,
                in_period: 7,
            },
            Spent::default(),
        ];
        SessionView::write_usage(&mut bytes, at, (12, 13), &spent).unwrap();
        let mut expected = s.clone();
        expected.uses = 12;
        expected.nonce = 13;
        expected.spent = spent.to_vec();
        assert_eq!(Session::decode(&bytes), Some(expected));
    }

    #[test]
    fn new_sessions_are_written_as_borsh_writes_them() {
        let s = session(2, 1, 1);
        let policy = borsh::to_vec(&s.policy).unwrap();
        let mut bytes = vec![0u8; SessionView::len_for(policy.len(), 2)];
        let expected = borsh::to_vec(&s).unwrap();
        let fixed = *layout::<SessionFixed>(&expected).unwrap();
        SessionView::write_new(&mut bytes, &fixed, &policy, &s.spent).unwrap();
        assert_eq!(bytes, expected);
        assert_eq!(
            SESSION_POLICY_OFFSET,
            crate::state::SESSION_NONCE_OFFSET + 8
        );
        // A wrong size is refused, not half-written past the end.
        let mut short = vec![0u8; bytes.len() - 1];
        assert!(SessionView::write_new(&mut short, &fixed, &policy, &s.spent).is_none());
    }

    #[test]
    fn rules_are_found_by_program() {
        let s = session(1, 0, 2);
        let bytes = borsh::to_vec(&s).unwrap();
        let view = SessionView::parse(&bytes).unwrap();
        let rule = view.rule_for(&key(11)).unwrap();
        assert_eq!(
            rule.prefixes().collect::<Vec<_>>(),
            s.policy.program_rules[1]
                .prefixes
                .iter()
                .map(|p| &p[..])
                .collect::<Vec<_>>()
        );
        assert!(rule.allows(&[1, 1, 9]));
        assert!(!rule.allows(&[2]));
        assert!(view.rule_for(&key(12)).is_none());
    }
}
