//! Account layouts and addresses (docs/program.md, "Accounts").
//!
//! Every account starts with its type byte and layout version; the rest is borsh. Accounts are
//! allocated at exactly their borsh size.

use crate::list::Vec;
use borsh::{BorshDeserialize, BorshSerialize};

use crate::platform::{sha256, ProgramError, Pubkey};

use crate::error::LeashError;

/// Account type byte of a [`Wallet`].
mod view;
pub use view::*;

pub const WALLET_ACCOUNT_TYPE: u8 = 1;
/// Account type byte of a [`Session`].
pub const SESSION_ACCOUNT_TYPE: u8 = 2;
/// Layout version of wallets, and of sessions before policy v3.
pub const LAYOUT_VERSION: u8 = 1;
/// Layout version of sessions written today: version 1 with each limit's `recipients` and the
/// policy's `program_rules` (policy v3). Version-1 sessions stay readable and executable;
/// `UpdateSession` rewrites a session in this layout.
pub const SESSION_LAYOUT_VERSION: u8 = 2;

/// PDA seed prefix of wallets.
pub const WALLET_SEED: &[u8] = b"wallet";
/// PDA seed prefix of vaults.
pub const VAULT_SEED: &[u8] = b"vault";
/// PDA seed prefix of sessions.
pub const SESSION_SEED: &[u8] = b"session";

/// Most programs one policy may allow.
pub const MAX_ALLOWED_PROGRAMS: usize = 16;
/// Most spending limits one policy may carry.
pub const MAX_SPEND_LIMITS: usize = 8;
/// Most recipients one limit may list.
pub const MAX_RECIPIENTS_PER_LIMIT: usize = 8;
/// Most recipients all limits of one policy may list together.
pub const MAX_RECIPIENTS: usize = 16;
/// Most instruction prefixes one program rule may list.
pub const MAX_PREFIXES_PER_PROGRAM: usize = 8;
/// Longest instruction prefix, in bytes.
pub const MAX_PREFIX_LEN: usize = 8;
/// `u64::MAX` in a limit or in `max_uses` means "no bound".
pub const UNLIMITED: u64 = u64::MAX;
/// The mint that stands for native SOL (the vault's lamports) in spending limits.
pub const NATIVE_SOL_MINT: Pubkey = Pubkey::new_from_array([0; 32]);

/// Who owns a wallet: an Ed25519 key that signs its transactions, or a passkey whose WebAuthn
/// assertions the secp256r1 precompile verifies (docs/program.md, "Passkey owners").
#[derive(BorshSerialize, BorshDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Authority {
    Ed25519(Pubkey),
    Secp256r1(Passkey),
}

/// A passkey (a WebAuthn credential) that owns a wallet. All three fields are part of the
/// wallet's address (its seeds hash the authority), so a wallet created by anyone for this
/// passkey is exactly the one its owner would create.
#[derive(BorshSerialize, BorshDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Passkey {
    /// The credential's public key, compressed SEC1 (`0x02`/`0x03` and x).
    pub key: [u8; 33],
    /// sha256 of the relying party id (the site's domain) the credential was created for:
    /// an assertion's authenticator data must start with it.
    pub rp_id_hash: [u8; 32],
    /// Every assertion must show user verification (a PIN or a biometric), not only presence.
    pub user_verification: bool,
}

impl Authority {
    /// The borsh encoding, which the wallet PDA hashes.
    pub fn to_bytes(&self) -> Vec<u8> {
        // Borsh of an enum of fixed-size fields cannot fail.
        let mut bytes = Vec::new();
        // Writing into a list cannot fail.
        let _ = self.serialize(&mut bytes);
        bytes
    }

    /// The ed25519 key that must sign for this authority; `None` for a passkey, which signs
    /// no transaction (its assertion authorizes the owner instruction instead).
    pub fn signer_key(&self) -> Option<&Pubkey> {
        match self {
            Authority::Ed25519(key) => Some(key),
            Authority::Secp256r1(_) => None,
        }
    }
}

/// A smart wallet: the owner's authority and the revocation epoch of its sessions.
#[derive(BorshSerialize, BorshDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct Wallet {
    pub account_type: u8,
    pub version: u8,
    pub bump: u8,
    pub vault_bump: u8,
    pub owner: Authority,
    pub salt: [u8; 32],
    /// Sessions whose epoch differs from this are revoked (`RevokeAllSessions` bumps it).
    pub epoch: u32,
    pub created_slot: u64,
    /// How many owner instructions a passkey has authorized: each assertion's challenge names
    /// the next one, so none is accepted twice. Stored after the borsh fields, and only in
    /// passkey wallets (an Ed25519 owner's signatures are bound to a recent blockhash instead).
    #[borsh(skip)]
    pub owner_nonce: u64,
}

impl Wallet {
    /// Size of a wallet account owned by an Ed25519 key.
    pub const LEN: usize = 1 + 1 + 1 + 1 + 33 + 32 + 4 + 8;
    /// Size of a wallet account owned by a passkey: the passkey's fields and the owner nonce.
    pub const PASSKEY_LEN: usize = 1 + 1 + 1 + 1 + 67 + 32 + 4 + 8 + 8;

    /// Size of the account for a wallet owned by `owner`.
    pub fn len_for(owner: &Authority) -> usize {
        match owner {
            Authority::Ed25519(_) => Self::LEN,
            Authority::Secp256r1(_) => Self::PASSKEY_LEN,
        }
    }

    /// The account's bytes: borsh's encoding, then the owner nonce for a passkey wallet.
    #[cfg(not(target_arch = "bpf"))]
    pub fn encode(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(Self::PASSKEY_LEN);
        match self.to_layout() {
            AnyWalletLayout::Ed25519(layout) => {
                bytes.extend_from_slice(crate::platform::bytes_of(&layout))
            }
            AnyWalletLayout::Passkey(layout) => {
                bytes.extend_from_slice(crate::platform::bytes_of(&layout))
            }
        }
        bytes
    }
}

/// One per-mint spending limit. `u64::MAX` means "no bound" for `per_tx`, `total` and
/// `per_period`; `period_secs == 0` means there is no periodic allowance (`per_period` is then
/// ignored).
#[derive(BorshSerialize, BorshDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct SpendLimit {
    /// [`NATIVE_SOL_MINT`] for the vault's lamports.
    pub mint: Pubkey,
    pub per_tx: u64,
    pub total: u64,
    pub period_secs: u32,
    pub per_period: u64,
    /// Where this mint may arrive (docs/program.md, "Recipients"): token-account owners, or for
    /// SOL the accounts themselves. Empty = anywhere; at most [`MAX_RECIPIENTS_PER_LIMIT`].
    pub recipients: Vec<Pubkey>,
}

/// The instructions a session may call on one allowed program (docs/program.md, "Instruction
/// rules"): a first-hop call must start with one of `prefixes` (1–[`MAX_PREFIX_LEN`] bytes each,
/// at most [`MAX_PREFIXES_PER_PROGRAM`]). The program must be in `allowed_programs` too.
#[derive(BorshSerialize, BorshDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct ProgramRule {
    pub program: Pubkey,
    pub prefixes: Vec<Vec<u8>>,
}

impl SpendLimit {
    /// A limit that only meters (no bound of any kind).
    pub fn unlimited(mint: Pubkey) -> Self {
        SpendLimit {
            mint,
            per_tx: UNLIMITED,
            total: UNLIMITED,
            period_secs: 0,
            per_period: 0,
            recipients: Vec::new(),
        }
    }
}

/// What a session may do.
#[derive(BorshSerialize, BorshDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Unix seconds; usable from this time on.
    pub valid_after: i64,
    /// Unix seconds; unusable from this time on.
    pub valid_until: i64,
    /// Unusable from this slot on; 0 = no slot bound.
    pub expiry_slot: u64,
    /// `u64::MAX` = unlimited.
    pub max_uses: u64,
    /// At least 1.
    pub max_calls_per_tx: u8,
    /// Empty = nothing allowed; at most [`MAX_ALLOWED_PROGRAMS`]; never the Leash program.
    pub allowed_programs: Vec<Pubkey>,
    /// At most [`MAX_SPEND_LIMITS`], distinct mints.
    pub limits: Vec<SpendLimit>,
    /// Instruction rules of allowed programs, one per program at most (policy v3).
    pub program_rules: Vec<ProgramRule>,
}

impl Policy {
    /// A policy bounded only by its programs and spending limits: valid from the epoch on,
    /// forever, any number of uses, one call per transaction (benchmarks, tests, tools).
    pub fn unbounded(allowed_programs: Vec<Pubkey>, limits: Vec<SpendLimit>) -> Policy {
        Policy {
            valid_after: 0,
            valid_until: i64::MAX,
            expiry_slot: 0,
            max_uses: UNLIMITED,
            max_calls_per_tx: 1,
            allowed_programs,
            limits,
            program_rules: Vec::new(),
        }
    }

    /// The rules every policy keeps (docs/program.md, "Instructions": `CreateSession`), in
    /// order; the first broken one. The program refuses such a policy with `InvalidPolicy`;
    /// clients check the same rules here before sending and word them for people. The rules
    /// are stated once, in [`PolicyView::validate`], which this runs over the policy's own
    /// encoding.
    pub fn validate(&self, program_id: &Pubkey) -> Result<(), PolicyViolation> {
        let mut bytes = Vec::with_capacity(self.encoded_len());
        // Encoding into a list cannot fail, and a policy's own encoding always reads back
        // (tested); only counts beyond a u32 could make it fail, which no limit allows.
        if self.serialize(&mut bytes).is_err() {
            return Err(PolicyViolation::TooManyLimits);
        }
        match PolicyView::parse(&bytes, true) {
            Some((view, _)) => view.validate(program_id),
            None => Err(PolicyViolation::TooManyLimits),
        }
    }

    /// Whether `program` is in `allowed_programs`.
    pub fn allows_program(&self, program: &Pubkey) -> bool {
        self.allowed_programs
            .iter()
            .any(|p| crate::platform::address_eq(p, program))
    }

    /// The instruction rule of `program`, if it has one.
    pub fn rule_for(&self, program: &Pubkey) -> Option<&ProgramRule> {
        self.program_rules
            .iter()
            .find(|r| crate::platform::address_eq(&r.program, program))
    }

    /// The limit for `mint`, with its index.
    pub fn limit_for(&self, mint: &Pubkey) -> Option<(usize, &SpendLimit)> {
        self.limits
            .iter()
            .enumerate()
            .find(|(_, l)| crate::platform::address_eq(&l.mint, mint))
    }

    /// Borsh size in the current layout (an instruction's, a version-2 session's).
    pub fn encoded_len(&self) -> usize {
        self.encoded_len_in(SESSION_LAYOUT_VERSION)
    }

    /// Size in session layout `version`: version 1 has no recipients and no program rules.
    pub fn encoded_len_in(&self, version: u8) -> usize {
        use crate::list::saturating_mul;
        const FIXED: usize = 8 + 8 + 8 + 8 + 1 + 4 + 4;
        let v1 = FIXED
            .saturating_add(saturating_mul(32, self.allowed_programs.len()))
            .saturating_add(saturating_mul(60, self.limits.len()));
        if version == LAYOUT_VERSION {
            return v1;
        }
        let recipients = self.limits.iter().fold(0usize, |sum, l| {
            sum.saturating_add(4)
                .saturating_add(saturating_mul(32, l.recipients.len()))
        });
        let rules = self.program_rules.iter().fold(4usize, |sum, r| {
            let prefixes = r
                .prefixes
                .iter()
                .fold(4usize, |s, p| s.saturating_add(4).saturating_add(p.len()));
            sum.saturating_add(32).saturating_add(prefixes)
        });
        v1.saturating_add(recipients).saturating_add(rules)
    }

    /// Whether this policy needs session layout 2 (it lists recipients or program rules).
    pub fn uses_v3_rules(&self) -> bool {
        !self.program_rules.is_empty() || self.limits.iter().any(|l| !l.recipients.is_empty())
    }
}

/// A rule of [`Policy::validate`] a policy breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyViolation {
    /// `valid_until` is not after `valid_after`.
    EndsBeforeItStarts,
    /// `max_calls_per_tx` is 0.
    NoCallsPerTransaction,
    /// More than [`MAX_ALLOWED_PROGRAMS`] allowed programs.
    TooManyPrograms,
    /// The Leash program itself is allowed (a session may not manage sessions).
    AllowsLeash,
    /// `allowed_programs[index]` repeats an earlier entry.
    DuplicateProgram { index: usize },
    /// More than [`MAX_SPEND_LIMITS`] spending limits.
    TooManyLimits,
    /// `limits[index]` names a mint an earlier limit has.
    DuplicateMint { index: usize },
    /// `limits[limit]` lists more than [`MAX_RECIPIENTS_PER_LIMIT`] recipients, or (with `limit`
    /// = the number of limits) all limits together more than [`MAX_RECIPIENTS`].
    TooManyRecipients { limit: usize },
    /// `limits[limit]` lists a recipient twice.
    DuplicateRecipient { limit: usize },
    /// `program_rules[index]` names a program an earlier rule has.
    DuplicateProgramRule { index: usize },
    /// `program_rules[index]` names a program that is not in `allowed_programs`.
    RuleForUnlistedProgram { index: usize },
    /// `program_rules[index]` lists no prefix, more than [`MAX_PREFIXES_PER_PROGRAM`], or one
    /// that is empty or longer than [`MAX_PREFIX_LEN`] bytes.
    BadPrefixes { index: usize },
}

impl PolicyViolation {
    /// What the program logs (`invalid policy: …`).
    pub const fn message(self) -> &'static str {
        match self {
            PolicyViolation::EndsBeforeItStarts => "valid_until must be after valid_after",
            PolicyViolation::NoCallsPerTransaction => "max_calls_per_tx must be at least 1",
            PolicyViolation::TooManyPrograms => "too many allowed programs",
            PolicyViolation::AllowsLeash => "the Leash program itself cannot be allowed",
            PolicyViolation::DuplicateProgram { .. } => "duplicate allowed program",
            PolicyViolation::TooManyLimits => "too many spending limits",
            PolicyViolation::DuplicateMint { .. } => "duplicate mint in spending limits",
            PolicyViolation::TooManyRecipients { .. } => {
                "too many recipients (8 per limit, 16 in all)"
            }
            PolicyViolation::DuplicateRecipient { .. } => "duplicate recipient in a limit",
            PolicyViolation::DuplicateProgramRule { .. } => "duplicate program in program rules",
            PolicyViolation::RuleForUnlistedProgram { .. } => {
                "a program rule names a program that is not allowed"
            }
            PolicyViolation::BadPrefixes { .. } => {
                "a program rule needs 1 to 8 instruction prefixes of 1 to 8 bytes"
            }
        }
    }
}

/// What a session has spent of one limit.
#[derive(BorshSerialize, BorshDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Spent {
    pub total: u64,
    /// Index of the fixed window `in_period` belongs to: `(now - created_at) / period_secs`.
    pub period_index: u64,
    pub in_period: u64,
}

/// A registered session key and its bounds.
#[derive(BorshSerialize, BorshDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub account_type: u8,
    pub version: u8,
    pub bump: u8,
    pub wallet: Pubkey,
    pub session_key: Pubkey,
    /// Receives the rent when the session is closed.
    pub rent_payer: Pubkey,
    pub created_slot: u64,
    /// Unix seconds; anchors the periodic windows.
    pub created_at: i64,
    /// The wallet epoch at creation; a different wallet epoch means revoked.
    pub epoch: u32,
    pub revoked: bool,
    pub uses: u64,
    /// Incremented by every successful `Execute`; clients bind it with `expected_nonce`.
    pub nonce: u64,
    pub policy: Policy,
    /// Parallel to `policy.limits`.
    pub spent: Vec<Spent>,
}

/// Offset of `Session::wallet` in the account data, for `getProgramAccounts` memcmp filters.
pub const SESSION_WALLET_OFFSET: usize = 3;
/// Offset of `Session::session_key` in the account data.
pub const SESSION_KEY_OFFSET: usize = 35;
/// Offset of `Session::revoked` (the same in both layout versions).
pub const SESSION_REVOKED_OFFSET: usize = 119;
/// Offset of `Session::uses`; `nonce` follows it. With `spent`, the last field, these are what
/// an `Execute` changes.
pub const SESSION_USES_OFFSET: usize = 120;
/// Offset of `Session::nonce`.
pub const SESSION_NONCE_OFFSET: usize = 128;
/// Offset of the owner key inside a wallet account (after the `Authority` variant byte).
pub const WALLET_OWNER_KEY_OFFSET: usize = 5;

impl Session {
    /// Borsh size of a session with `policy`, in the current layout.
    pub fn encoded_len_for(policy: &Policy) -> usize {
        Self::encoded_len_in(policy, SESSION_LAYOUT_VERSION)
    }

    /// Size of a session with `policy` in session layout `version`.
    pub fn encoded_len_in(policy: &Policy, version: u8) -> usize {
        const FIXED: usize = 1 + 1 + 1 + 32 + 32 + 32 + 8 + 8 + 4 + 1 + 8 + 8 + 4;
        FIXED
            .saturating_add(policy.encoded_len_in(version))
            .saturating_add(crate::list::saturating_mul(
                core::mem::size_of::<SpentLayout>(),
                policy.limits.len(),
            ))
    }

    /// Size of this session's account in its own layout version.
    pub fn encoded_len(&self) -> usize {
        Self::encoded_len_in(&self.policy, self.version)
    }

    /// Writes what an `Execute` changes — `uses`, `nonce` and the `spent` entries — into `dst`,
    /// this session's account data, in place, as the program does ([`SessionView::write_usage`]).
    /// `dst` must be exactly this session's length.
    #[cfg(not(target_arch = "bpf"))]
    pub fn write_usage(&self, dst: &mut [u8]) -> Result<(), ProgramError> {
        let spent_at = (dst.len() == self.encoded_len())
            .then(|| SessionView::parse(dst))
            .flatten()
            .map(|view| view.spent_at())
            .ok_or(ProgramError::AccountDataTooSmall)?;
        SessionView::write_usage(dst, spent_at, (self.uses, self.nonce), &self.spent)
            .ok_or(ProgramError::AccountDataTooSmall)
    }

    /// Marks the session account `dst` revoked, in place (the rest of it, in either layout
    /// version, unchanged).
    pub fn write_revoked(dst: &mut [u8]) -> Result<(), ProgramError> {
        let flag = dst
            .get_mut(SESSION_REVOKED_OFFSET)
            .ok_or(ProgramError::AccountDataTooSmall)?;
        *flag = 1;
        Ok(())
    }

    /// The fields its status is judged by.
    pub fn standing(&self) -> Standing {
        Standing {
            revoked: self.revoked,
            epoch: self.epoch,
            valid_after: self.policy.valid_after,
            valid_until: self.policy.valid_until,
            expiry_slot: self.policy.expiry_slot,
            uses: self.uses,
            max_uses: self.policy.max_uses,
        }
    }

    /// Revoked by itself or by a `RevokeAllSessions` since it was created.
    pub fn is_revoked(&self, wallet: &Wallet) -> bool {
        self.standing().is_revoked(wallet.epoch)
    }

    /// Past `valid_until` or `expiry_slot`.
    pub fn is_expired(&self, now: i64, slot: u64) -> bool {
        self.standing().is_expired(now, slot)
    }

    /// Where the session stands at unix time `now` and `slot` ([`Standing::status`]).
    pub fn status(&self, wallet: &Wallet, now: i64, slot: u64) -> SessionStatus {
        self.standing().status(wallet.epoch, now, slot)
    }
}

/// Whether a session can be used now, and if not the first bound that stops it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SessionStatus {
    Active,
    /// Revoked by itself, by the owner, or by `RevokeAllSessions`.
    Revoked,
    /// Before `valid_after`.
    NotYetActive,
    /// At or past `valid_until`, or at or past a nonzero `expiry_slot`.
    Expired,
    /// `uses` reached `max_uses`.
    UsedUp,
}

impl SessionStatus {
    /// The error `Execute` refuses with in this status; `None` when active.
    pub fn refusal(self) -> Option<LeashError> {
        match self {
            SessionStatus::Active => None,
            SessionStatus::Revoked => Some(LeashError::SessionRevoked),
            SessionStatus::NotYetActive => Some(LeashError::SessionNotYetActive),
            SessionStatus::Expired => Some(LeashError::SessionExpired),
            SessionStatus::UsedUp => Some(LeashError::MaxUsesReached),
        }
    }

    /// Lower-case words, as clients print the status.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStatus::Active => "active",
            SessionStatus::Revoked => "revoked",
            SessionStatus::NotYetActive => "not yet active",
            SessionStatus::Expired => "expired",
            SessionStatus::UsedUp => "used up",
        }
    }
}

/// Decodes an account whose first two bytes must be `account_type` and `version`, through
/// borsh (the reference the in-place decoders are tested against).
#[cfg(test)]
fn decode_typed<T: BorshDeserialize>(data: &[u8], account_type: u8, version: u8) -> Option<T> {
    if data.len() < 2 || data[0] != account_type || data[1] != version {
        return None;
    }
    T::try_from_slice(data).ok()
}

crate::byte_layout! {
    /// A wallet account's bytes (the borsh encoding of [`Wallet`], read in place).
    pub struct WalletLayout {
        pub account_type: u8,
        pub version: u8,
        pub bump: u8,
        pub vault_bump: u8,
        /// The `Authority` variant: 0 = Ed25519.
        pub owner_kind: u8,
        pub owner: Pubkey,
        pub salt: [u8; 32],
        pub epoch: [u8; 4],
        pub created_slot: [u8; 8],
    }
}

crate::byte_layout! {
    /// A passkey wallet account's bytes (the borsh encoding of [`Wallet`] with an
    /// `Authority::Secp256r1`, then the owner nonce), read in place.
    pub struct PasskeyWalletLayout {
        pub account_type: u8,
        pub version: u8,
        pub bump: u8,
        pub vault_bump: u8,
        /// The `Authority` variant: 1 = Secp256r1.
        pub owner_kind: u8,
        pub key: [u8; 33],
        pub rp_id_hash: [u8; 32],
        /// 0 or 1 (borsh's `bool`).
        pub user_verification: u8,
        pub salt: [u8; 32],
        pub epoch: [u8; 4],
        pub created_slot: [u8; 8],
        pub owner_nonce: [u8; 8],
    }
}

/// A wallet's bytes in the layout of its owner's kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnyWalletLayout {
    Ed25519(WalletLayout),
    Passkey(PasskeyWalletLayout),
}

impl Wallet {
    /// The wallet's bytes ([`Wallet::decode`] reads them back).
    pub fn to_layout(&self) -> AnyWalletLayout {
        match self.owner {
            Authority::Ed25519(owner) => AnyWalletLayout::Ed25519(WalletLayout {
                account_type: self.account_type,
                version: self.version,
                bump: self.bump,
                vault_bump: self.vault_bump,
                owner_kind: 0,
                owner,
                salt: self.salt,
                epoch: self.epoch.to_le_bytes(),
                created_slot: self.created_slot.to_le_bytes(),
            }),
            Authority::Secp256r1(passkey) => AnyWalletLayout::Passkey(PasskeyWalletLayout {
                account_type: self.account_type,
                version: self.version,
                bump: self.bump,
                vault_bump: self.vault_bump,
                owner_kind: 1,
                key: passkey.key,
                rp_id_hash: passkey.rp_id_hash,
                user_verification: u8::from(passkey.user_verification),
                salt: self.salt,
                epoch: self.epoch.to_le_bytes(),
                created_slot: self.created_slot.to_le_bytes(),
                owner_nonce: self.owner_nonce.to_le_bytes(),
            }),
        }
    }

    /// Decodes a wallet account's data; `None` if it is not one. Read in place rather than
    /// through borsh's reader (every owner instruction and `Execute` load the wallet); it
    /// accepts exactly the bytes borsh would (tested).
    pub fn decode(data: &[u8]) -> Option<Wallet> {
        Some(match WalletView::parse(data)? {
            WalletView::Ed25519(layout) => Wallet {
                account_type: layout.account_type,
                version: layout.version,
                bump: layout.bump,
                vault_bump: layout.vault_bump,
                owner: Authority::Ed25519(layout.owner),
                salt: layout.salt,
                epoch: u32::from_le_bytes(layout.epoch),
                created_slot: u64::from_le_bytes(layout.created_slot),
                owner_nonce: 0,
            },
            WalletView::Passkey(layout) => Wallet {
                account_type: layout.account_type,
                version: layout.version,
                bump: layout.bump,
                vault_bump: layout.vault_bump,
                owner: Authority::Secp256r1(Passkey {
                    key: layout.key,
                    rp_id_hash: layout.rp_id_hash,
                    user_verification: layout.user_verification == 1,
                }),
                salt: layout.salt,
                epoch: u32::from_le_bytes(layout.epoch),
                created_slot: u64::from_le_bytes(layout.created_slot),
                owner_nonce: u64::from_le_bytes(layout.owner_nonce),
            },
        })
    }
}

/// A wallet account's bytes read in place, in the layout of its owner's kind: what
/// [`Wallet::decode`] reads, for readers that need a field or two (`Execute`: the vault's bump
/// and the epoch) without copying the wallet out.
#[derive(Clone, Copy, Debug)]
pub enum WalletView<'a> {
    Ed25519(&'a WalletLayout),
    Passkey(&'a PasskeyWalletLayout),
}

impl<'a> WalletView<'a> {
    /// `data` as a wallet; `None` if it is not one (the bytes [`Wallet::decode`] refuses).
    pub fn parse(data: &'a [u8]) -> Option<WalletView<'a>> {
        match data.len() {
            Wallet::LEN => {
                let layout: &WalletLayout = crate::platform::layout(data)?;
                let valid = layout.account_type == WALLET_ACCOUNT_TYPE
                    && layout.version == LAYOUT_VERSION
                    && layout.owner_kind == 0;
                valid.then_some(WalletView::Ed25519(layout))
            }
            Wallet::PASSKEY_LEN => {
                let layout: &PasskeyWalletLayout = crate::platform::layout(data)?;
                let valid = layout.account_type == WALLET_ACCOUNT_TYPE
                    && layout.version == LAYOUT_VERSION
                    && layout.owner_kind == 1
                    && layout.user_verification <= 1;
                valid.then_some(WalletView::Passkey(layout))
            }
            _ => None,
        }
    }

    pub fn vault_bump(&self) -> u8 {
        match self {
            WalletView::Ed25519(layout) => layout.vault_bump,
            WalletView::Passkey(layout) => layout.vault_bump,
        }
    }

    pub fn epoch(&self) -> u32 {
        u32::from_le_bytes(match self {
            WalletView::Ed25519(layout) => layout.epoch,
            WalletView::Passkey(layout) => layout.epoch,
        })
    }
}

impl Session {
    /// Decodes a session account's data; `None` if it is not one. Read field by field at fixed
    /// offsets rather than through borsh's reader (every `Execute` decodes its session: ~1,600
    /// CU through the reader on SBF); it accepts exactly the bytes borsh would (the tests compare
    /// the two on random and damaged input).
    pub fn decode(data: &[u8]) -> Option<Session> {
        let version = *data.get(1)?;
        let v2 = match (data.first(), version) {
            (Some(&SESSION_ACCOUNT_TYPE), LAYOUT_VERSION) => false,
            (Some(&SESSION_ACCOUNT_TYPE), SESSION_LAYOUT_VERSION) => true,
            _ => return None,
        };
        let mut r = Fields { data, at: 0 };
        let session = Session {
            account_type: r.u8()?,
            version: r.u8()?,
            bump: r.u8()?,
            wallet: r.key()?,
            session_key: r.key()?,
            rent_payer: r.key()?,
            created_slot: r.u64()?,
            created_at: r.u64()? as i64,
            epoch: r.u32()?,
            revoked: r.bool()?,
            uses: r.u64()?,
            nonce: r.u64()?,
            policy: Policy {
                valid_after: r.u64()? as i64,
                valid_until: r.u64()? as i64,
                expiry_slot: r.u64()?,
                max_uses: r.u64()?,
                max_calls_per_tx: r.u8()?,
                allowed_programs: r.list(Fields::key)?,
                limits: r.list(|r| {
                    Some(SpendLimit {
                        mint: r.key()?,
                        per_tx: r.u64()?,
                        total: r.u64()?,
                        period_secs: r.u32()?,
                        per_period: r.u64()?,
                        recipients: if v2 { r.list(Fields::key)? } else { Vec::new() },
                    })
                })?,
                program_rules: if v2 {
                    r.list(|r| {
                        Some(ProgramRule {
                            program: r.key()?,
                            prefixes: r.list(Fields::bytes)?,
                        })
                    })?
                } else {
                    Vec::new()
                },
            },
            spent: r.list(|r| {
                Some(Spent {
                    total: r.u64()?,
                    period_index: r.u64()?,
                    in_period: r.u64()?,
                })
            })?,
        };
        // Like `try_from_slice`: every byte belongs to the session.
        r.is_done().then_some(session)
    }

    /// The session in layout version 1 (no recipients, no program rules), as sessions created
    /// before policy v3 are stored; `None` if its policy uses either. Tests and tools write
    /// such accounts to prove they stay readable and executable.
    #[cfg(not(target_arch = "bpf"))]
    // Host-only, over a policy `validate` bounds (≤ 16 programs, ≤ 8 limits): no overflow.
    #[allow(clippy::arithmetic_side_effects)]
    pub fn encode_v1(&self) -> Option<Vec<u8>> {
        if self.policy.uses_v3_rules() {
            return None;
        }
        let mut bytes = borsh::to_vec(&Session {
            version: LAYOUT_VERSION,
            ..self.clone()
        })
        .ok()?;
        // A version-2 encoding with empty lists differs from version 1 by one empty
        // `recipients` count after each limit and an empty `program_rules` count after the
        // limits: remove them, back to front.
        let limits_start = SESSION_NONCE_OFFSET
            + 8
            + 8
            + 8
            + 8
            + 8
            + 1
            + 4
            + 32 * self.policy.allowed_programs.len();
        let limits_end = limits_start + 4 + 64 * self.policy.limits.len();
        bytes.drain(limits_end..limits_end + 4);
        for i in (0..self.policy.limits.len()).rev() {
            let count = limits_start + 4 + 64 * i + 60;
            bytes.drain(count..count + 4);
        }
        Some(bytes)
    }
}

/// Little-endian fields read in order, borsh's encoding of them: the hot paths' decoders
/// (sessions here, `Execute` in `instruction`).
pub(crate) struct Fields<'a> {
    pub(crate) data: &'a [u8],
    pub(crate) at: usize,
}

impl<'a> Fields<'a> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let end = self.at.checked_add(N)?;
        let bytes: [u8; N] = self.data.get(self.at..end)?.try_into().ok()?;
        self.at = end;
        Some(bytes)
    }

    pub(crate) fn u8(&mut self) -> Option<u8> {
        self.take::<1>().map(|[b]| b)
    }

    pub(crate) fn bool(&mut self) -> Option<bool> {
        match self.u8()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }

    fn u32(&mut self) -> Option<u32> {
        self.take().map(u32::from_le_bytes)
    }

    pub(crate) fn u64(&mut self) -> Option<u64> {
        self.take().map(u64::from_le_bytes)
    }

    /// A borsh `Vec<u8>`, copied at once.
    pub(crate) fn bytes(&mut self) -> Option<Vec<u8>> {
        let count = self.u32()? as usize;
        let end = self.at.checked_add(count)?;
        let slice = self.data.get(self.at..end)?;
        self.at = end;
        let mut bytes = Vec::with_capacity(count);
        bytes.extend_from_slice(slice);
        Some(bytes)
    }

    /// Whether every byte has been read (`try_from_slice` requires it).
    pub(crate) fn is_done(&self) -> bool {
        self.at == self.data.len()
    }

    fn key(&mut self) -> Option<Pubkey> {
        self.take().map(Pubkey::new_from_array)
    }

    /// A borsh `Vec`: a `u32` count, then the items. A count the data cannot hold fails when
    /// the data runs out, without reserving for it first.
    pub(crate) fn list<T>(&mut self, item: impl Fn(&mut Self) -> Option<T>) -> Option<Vec<T>> {
        let count = self.u32()?;
        let mut items = Vec::with_capacity((count as usize).min(16));
        for _ in 0..count {
            items.push(item(self)?);
        }
        Some(items)
    }
}

/// Writes `value` at the start of `dst`, which must be exactly its size.
pub fn encode_into<T: BorshSerialize>(value: &T, dst: &mut [u8]) -> Result<(), ProgramError> {
    let mut bytes = Vec::new();
    value
        .serialize(&mut bytes)
        .map_err(|_| ProgramError::InvalidAccountData)?;
    if bytes.len() != dst.len() {
        return Err(ProgramError::AccountDataTooSmall);
    }
    dst.copy_from_slice(&bytes);
    Ok(())
}

/// sha256 of the authority's borsh bytes: the init-authority hash in the wallet seeds.
pub fn authority_hash(owner: &Authority) -> [u8; 32] {
    sha256(&[&owner.to_bytes()])
}

/// The wallet PDA of `owner` and `salt` under `program_id`, with its bump.
pub fn wallet_address(owner: &Authority, salt: &[u8; 32], program_id: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[WALLET_SEED, &authority_hash(owner), salt], program_id)
}

/// The vault PDA of `wallet` under `program_id`, with its bump.
pub fn vault_address(wallet: &Pubkey, program_id: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(&[VAULT_SEED, wallet.as_ref()], program_id)
}

/// The session PDA of `session_key` under `wallet` and `program_id`, with its bump.
pub fn session_address(wallet: &Pubkey, session_key: &Pubkey, program_id: &Pubkey) -> (Pubkey, u8) {
    Pubkey::find_program_address(
        &[SESSION_SEED, wallet.as_ref(), session_key.as_ref()],
        program_id,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> Pubkey {
        Pubkey::new_from_array([b; 32])
    }

    /// A fresh session of wallet `key(4)` for key `key(5)` under `p`.
    fn session_with(p: Policy) -> Session {
        Session {
            account_type: SESSION_ACCOUNT_TYPE,
            version: SESSION_LAYOUT_VERSION,
            bump: 1,
            wallet: key(4),
            session_key: key(5),
            rent_payer: key(6),
            created_slot: 1,
            created_at: 2,
            epoch: 0,
            revoked: false,
            uses: 0,
            nonce: 0,
            spent: vec![Spent::default(); p.limits.len()],
            policy: p,
        }
    }

    fn policy() -> Policy {
        Policy {
            valid_after: 10,
            valid_until: 20,
            expiry_slot: 0,
            max_uses: UNLIMITED,
            max_calls_per_tx: 2,
            allowed_programs: vec![key(1), key(2)],
            limits: vec![
                SpendLimit::unlimited(key(3)),
                SpendLimit::unlimited(NATIVE_SOL_MINT),
            ],
            program_rules: vec![],
        }
    }

    /// [`policy`] with recipients on its first limit and a rule for its first program.
    fn policy_v3() -> Policy {
        let mut p = policy();
        p.limits[0].recipients = vec![key(40), key(41)];
        p.program_rules = vec![ProgramRule {
            program: key(1),
            prefixes: vec![vec![12], vec![2, 0, 0, 0]],
        }];
        p
    }

    #[test]
    fn lengths_match_borsh() {
        let wallet = Wallet {
            account_type: WALLET_ACCOUNT_TYPE,
            version: LAYOUT_VERSION,
            bump: 255,
            vault_bump: 254,
            owner: Authority::Ed25519(key(9)),
            salt: [7; 32],
            epoch: 3,
            created_slot: 99,
            owner_nonce: 0,
        };
        assert_eq!(borsh::to_vec(&wallet).unwrap().len(), Wallet::LEN);
        let bytes = borsh::to_vec(&wallet).unwrap();
        assert_eq!(
            &bytes[WALLET_OWNER_KEY_OFFSET..WALLET_OWNER_KEY_OFFSET + 32],
            &[9; 32]
        );
        assert_eq!(Wallet::decode(&bytes), Some(wallet.clone()));
        let passkey_wallet = Wallet {
            owner: Authority::Secp256r1(Passkey {
                key: [2; 33],
                rp_id_hash: [3; 32],
                user_verification: true,
            }),
            owner_nonce: 5,
            ..wallet
        };
        let bytes = passkey_wallet.encode();
        assert_eq!(bytes.len(), Wallet::PASSKEY_LEN);
        assert_eq!(
            bytes.len(),
            borsh::to_vec(&passkey_wallet).unwrap().len() + 8
        );
        assert_eq!(
            &bytes[WALLET_OWNER_KEY_OFFSET..WALLET_OWNER_KEY_OFFSET + 33],
            &[2; 33]
        );
        assert_eq!(Wallet::decode(&bytes), Some(passkey_wallet));

        let p = policy();
        assert_eq!(borsh::to_vec(&p).unwrap().len(), p.encoded_len());
        let session = session_with(p);
        let bytes = borsh::to_vec(&session).unwrap();
        assert_eq!(bytes.len(), session.encoded_len());
        assert_eq!(
            &bytes[SESSION_WALLET_OFFSET..SESSION_WALLET_OFFSET + 32],
            &[4; 32]
        );
        assert_eq!(
            &bytes[SESSION_KEY_OFFSET..SESSION_KEY_OFFSET + 32],
            &[5; 32]
        );
        assert_eq!(Session::decode(&bytes), Some(session.clone()));
        // A session is not a wallet and vice versa.
        assert_eq!(Wallet::decode(&bytes), None);

        // Recipients and program rules: the size formula and the decoder follow them.
        let v3 = session_with(policy_v3());
        let v3_bytes = borsh::to_vec(&v3).unwrap();
        assert_eq!(v3_bytes.len(), v3.encoded_len());
        assert_eq!(Session::decode(&v3_bytes), Some(v3.clone()));
        assert_eq!(v3.encode_v1(), None, "version 1 cannot hold them");

        // Version 1 (sessions created before policy v3): readable, its own size, and what an
        // Execute writes in place stays in that layout.
        let v1 = session.encode_v1().unwrap();
        assert_eq!(
            v1.len(),
            Session::encoded_len_in(&session.policy, LAYOUT_VERSION)
        );
        assert_eq!(v1.len() + 4 * session.policy.limits.len() + 4, bytes.len());
        let read = Session::decode(&v1).unwrap();
        assert_eq!(read.version, LAYOUT_VERSION);
        assert_eq!(
            Session {
                version: SESSION_LAYOUT_VERSION,
                ..read.clone()
            },
            session
        );
        let mut v1_used = read.clone();
        v1_used.uses = 3;
        v1_used.spent[1].total = 77;
        let mut in_place_v1 = v1.clone();
        v1_used.write_usage(&mut in_place_v1).unwrap();
        assert_eq!(Session::decode(&in_place_v1), Some(v1_used.clone()));
        assert_eq!(Some(in_place_v1), v1_used.encode_v1());
        // Revoking writes one byte, in either layout.
        let mut revoked_v1 = v1.clone();
        Session::write_revoked(&mut revoked_v1).unwrap();
        assert!(Session::decode(&revoked_v1).unwrap().revoked);
        let mut revoked_v2 = v3_bytes.clone();
        Session::write_revoked(&mut revoked_v2).unwrap();
        assert!(Session::decode(&revoked_v2).unwrap().revoked);

        // What an Execute writes in place is exactly the re-encoded session.
        let mut used = session.clone();
        used.uses = 7;
        used.nonce = u64::MAX;
        for (i, spent) in used.spent.iter_mut().enumerate() {
            *spent = Spent {
                total: 100 + i as u64,
                period_index: 3,
                in_period: 40 + i as u64,
            };
        }
        let mut in_place = bytes.clone();
        used.write_usage(&mut in_place).unwrap();
        assert_eq!(in_place, borsh::to_vec(&used).unwrap());
        let mut short = bytes[..bytes.len() - 1].to_vec();
        assert_eq!(
            used.write_usage(&mut short),
            Err(ProgramError::AccountDataTooSmall)
        );
    }

    proptest::proptest! {
        /// The hand-written session decoder accepts exactly what borsh accepts, and reads the
        /// same session: on valid encodings, and on every truncation and single-byte change.
        #[test]
        fn session_decode_agrees_with_borsh(
            programs in 0usize..4,
            limits in 0usize..4,
            uses in proptest::prelude::any::<u64>(),
            at in proptest::prelude::any::<proptest::sample::Index>(),
            byte in proptest::prelude::any::<u8>(),
            cut in proptest::prelude::any::<proptest::sample::Index>(),
        ) {
            let mut p = policy();
            p.allowed_programs = (0..programs).map(|i| key(10 + i as u8)).collect();
            p.limits = (0..limits).map(|i| SpendLimit::unlimited(key(30 + i as u8))).collect();
            if let Some(first) = p.limits.first_mut() {
                first.recipients = (0..uses % 3).map(|i| key(60 + i as u8)).collect();
            }
            if let Some(&program) = p.allowed_programs.first() {
                p.program_rules = vec![ProgramRule {
                    program,
                    prefixes: (0..1 + uses % 2).map(|i| vec![i as u8; 1 + i as usize]).collect(),
                }];
            }
            let session = Session {
                account_type: SESSION_ACCOUNT_TYPE,
                version: SESSION_LAYOUT_VERSION,
                bump: 254,
                wallet: key(4),
                session_key: key(5),
                rent_payer: key(6),
                created_slot: 9,
                created_at: -3,
                epoch: 2,
                revoked: uses % 2 == 0,
                uses,
                nonce: uses.wrapping_mul(3),
                spent: vec![Spent { total: uses, period_index: 1, in_period: 2 }; limits],
                policy: p,
            };
            let bytes = borsh::to_vec(&session).unwrap();
            let borsh_decode = |data: &[u8]| -> Option<Session> {
                decode_typed(data, SESSION_ACCOUNT_TYPE, SESSION_LAYOUT_VERSION)
            };
            proptest::prop_assert_eq!(Session::decode(&bytes), Some(session));
            let mut changed = bytes.clone();
            changed[at.index(bytes.len())] = byte;
            proptest::prop_assert_eq!(Session::decode(&changed), borsh_decode(&changed));
            let short = &bytes[..cut.index(bytes.len())];
            proptest::prop_assert_eq!(Session::decode(short), borsh_decode(short));
            let mut long = bytes.clone();
            long.push(byte);
            proptest::prop_assert_eq!(Session::decode(&long), None);
        }
    }

    /// A wallet through borsh's reader, the reference [`Wallet::decode`] is held to: the
    /// borsh fields, then for a passkey owner the 8-byte owner nonce, then nothing.
    fn borsh_wallet(bytes: &[u8]) -> Option<Wallet> {
        if bytes.len() < 2 || bytes[0] != WALLET_ACCOUNT_TYPE || bytes[1] != LAYOUT_VERSION {
            return None;
        }
        let mut rest = bytes;
        let wallet = Wallet::deserialize(&mut rest).ok()?;
        match wallet.owner {
            Authority::Ed25519(_) => rest.is_empty().then_some(wallet),
            Authority::Secp256r1(_) => {
                let nonce: [u8; 8] = rest.try_into().ok()?;
                Some(Wallet {
                    owner_nonce: u64::from_le_bytes(nonce),
                    ..wallet
                })
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn wallet_decode_agrees_with_borsh(
            short in proptest::collection::vec(proptest::prelude::any::<u8>(), 79..84),
            long in proptest::collection::vec(proptest::prelude::any::<u8>(), 121..126),
            passkey in proptest::prelude::any::<bool>(),
            kind in 0u8..3,
            uv in 0u8..3,
        ) {
            let mut bytes = if passkey { long } else { short };
            bytes[0] = WALLET_ACCOUNT_TYPE;
            bytes[1] = LAYOUT_VERSION;
            bytes[4] = kind;
            if passkey {
                bytes[4 + 1 + 33 + 32 + 1] = uv;
            }
            let reference = borsh_wallet(&bytes);
            proptest::prop_assert_eq!(Wallet::decode(&bytes), reference.clone());
            if let Some(wallet) = reference {
                proptest::prop_assert_eq!(wallet.encode(), bytes);
            }
        }
    }

    #[test]
    fn decode_rejects_wrong_type_version_and_trailing_bytes() {
        let mut bytes = vec![0u8; Wallet::LEN];
        bytes[0] = WALLET_ACCOUNT_TYPE;
        bytes[1] = LAYOUT_VERSION;
        assert!(Wallet::decode(&bytes).is_some());
        bytes[1] = 2;
        assert!(Wallet::decode(&bytes).is_none());
        bytes[1] = LAYOUT_VERSION;
        bytes.push(0);
        assert!(Wallet::decode(&bytes).is_none());
        assert!(Wallet::decode(&[]).is_none());
    }

    #[test]
    fn policy_validation() {
        assert_eq!(policy().validate(&crate::DEFAULT_ID), Ok(()));
        type Mutation = Box<dyn Fn(&mut Policy)>;
        let cases: Vec<(Mutation, PolicyViolation)> = vec![
            (
                Box::new(|p| p.valid_until = p.valid_after),
                PolicyViolation::EndsBeforeItStarts,
            ),
            (
                Box::new(|p| p.max_calls_per_tx = 0),
                PolicyViolation::NoCallsPerTransaction,
            ),
            (
                Box::new(|p| p.allowed_programs = (0..17).map(|i| key(100 + i)).collect()),
                PolicyViolation::TooManyPrograms,
            ),
            (
                Box::new(|p| p.allowed_programs.push(crate::DEFAULT_ID)),
                PolicyViolation::AllowsLeash,
            ),
            (
                Box::new(|p| p.allowed_programs.push(p.allowed_programs[0])),
                PolicyViolation::DuplicateProgram { index: 2 },
            ),
            (
                Box::new(|p| {
                    p.limits = (0..9).map(|i| SpendLimit::unlimited(key(50 + i))).collect()
                }),
                PolicyViolation::TooManyLimits,
            ),
            (
                Box::new(|p| p.limits.push(p.limits[0].clone())),
                PolicyViolation::DuplicateMint { index: 2 },
            ),
            (
                Box::new(|p| p.limits[1].recipients = (0..9).map(|i| key(60 + i)).collect()),
                PolicyViolation::TooManyRecipients { limit: 1 },
            ),
            (
                Box::new(|p| {
                    p.limits[0].recipients = (0..8).map(|i| key(60 + i)).collect();
                    p.limits[1].recipients = (0..9).map(|i| key(80 + i)).skip(1).collect();
                    p.limits.push(SpendLimit {
                        recipients: vec![key(99)],
                        ..SpendLimit::unlimited(key(98))
                    });
                }),
                PolicyViolation::TooManyRecipients { limit: 3 },
            ),
            (
                Box::new(|p| p.limits[1].recipients = vec![key(60), key(61), key(60)]),
                PolicyViolation::DuplicateRecipient { limit: 1 },
            ),
            (
                Box::new(|p| p.program_rules.push(p.program_rules[0].clone())),
                PolicyViolation::DuplicateProgramRule { index: 1 },
            ),
            (
                Box::new(|p| p.program_rules[0].program = key(77)),
                PolicyViolation::RuleForUnlistedProgram { index: 0 },
            ),
            (
                Box::new(|p| p.program_rules[0].prefixes.clear()),
                PolicyViolation::BadPrefixes { index: 0 },
            ),
            (
                Box::new(|p| p.program_rules[0].prefixes.push(vec![])),
                PolicyViolation::BadPrefixes { index: 0 },
            ),
            (
                Box::new(|p| p.program_rules[0].prefixes.push(vec![1; 9])),
                PolicyViolation::BadPrefixes { index: 0 },
            ),
            (
                Box::new(|p| p.program_rules[0].prefixes = (0..9).map(|i| vec![i]).collect()),
                PolicyViolation::BadPrefixes { index: 0 },
            ),
        ];
        assert_eq!(policy_v3().validate(&crate::DEFAULT_ID), Ok(()));
        for (i, (mutate, violation)) in cases.iter().enumerate() {
            let mut p = policy_v3();
            mutate(&mut p);
            assert_eq!(p.validate(&crate::DEFAULT_ID), Err(*violation), "case {i}");
            let bytes = borsh::to_vec(&p).unwrap();
            let (view, rest) = PolicyView::parse(&bytes, true).unwrap();
            assert!(rest.is_empty());
            assert_eq!(
                view.check(&crate::DEFAULT_ID),
                Err(LeashError::InvalidPolicy),
                "case {i}"
            );
        }
        // The edges that stay valid.
        let mut p = policy();
        p.allowed_programs = (0..16).map(|i| key(100 + i)).collect();
        p.limits = (0..8).map(|i| SpendLimit::unlimited(key(50 + i))).collect();
        p.valid_until = p.valid_after + 1;
        assert_eq!(p.validate(&crate::DEFAULT_ID), Ok(()));
        let mut p = policy_v3();
        p.limits[0].recipients = (0..8).map(|i| key(60 + i)).collect();
        p.limits[1].recipients = (0..8).map(|i| key(80 + i)).collect();
        p.program_rules[0].prefixes = (0..8).map(|i| vec![i; 8]).collect();
        assert_eq!(p.validate(&crate::DEFAULT_ID), Ok(()));
    }

    #[test]
    fn program_rules_match_prefixes() {
        let rule = &policy_v3().program_rules[0];
        assert!(rule.allows(&[12, 0, 1]));
        assert!(rule.allows(&[2, 0, 0, 0, 5]));
        assert!(!rule.allows(&[2, 0, 0]), "shorter than the prefix");
        assert!(!rule.allows(&[3]));
        assert!(!rule.allows(&[]));
    }

    #[test]
    fn status_follows_execute_check_order() {
        let wallet = Wallet {
            account_type: WALLET_ACCOUNT_TYPE,
            version: LAYOUT_VERSION,
            bump: 1,
            vault_bump: 1,
            owner: Authority::Ed25519(key(9)),
            salt: [0; 32],
            epoch: 0,
            created_slot: 0,
            owner_nonce: 0,
        };
        let mut p = policy(); // valid 10..20
        p.expiry_slot = 100;
        p.max_uses = 2;
        let session = session_with(p);
        assert_eq!(session.status(&wallet, 15, 99), SessionStatus::Active);
        assert_eq!(session.status(&wallet, 9, 99), SessionStatus::NotYetActive);
        assert_eq!(session.status(&wallet, 20, 99), SessionStatus::Expired);
        // The slot bound alone expires it.
        assert_eq!(session.status(&wallet, 15, 100), SessionStatus::Expired);
        let used = Session {
            uses: 2,
            ..session.clone()
        };
        assert_eq!(used.status(&wallet, 15, 0), SessionStatus::UsedUp);
        // Revocation comes first, by flag or by epoch; then not-yet-active before expired.
        let revoked = Session {
            revoked: true,
            ..used.clone()
        };
        assert_eq!(revoked.status(&wallet, 30, 500), SessionStatus::Revoked);
        let bumped = Wallet { epoch: 1, ..wallet };
        assert_eq!(session.status(&bumped, 15, 0), SessionStatus::Revoked);
        assert_eq!(session.status(&wallet, 9, 100), SessionStatus::NotYetActive);
        assert_eq!(SessionStatus::Active.refusal(), None);
        assert_eq!(
            SessionStatus::UsedUp.refusal(),
            Some(LeashError::MaxUsesReached)
        );
    }

    #[test]
    fn pdas_depend_on_authority_hash() {
        let a = Authority::Ed25519(key(1));
        let b = Authority::Ed25519(key(2));
        assert_ne!(
            wallet_address(&a, &[0; 32], &crate::DEFAULT_ID).0,
            wallet_address(&b, &[0; 32], &crate::DEFAULT_ID).0
        );
        assert_ne!(
            wallet_address(&a, &[0; 32], &crate::DEFAULT_ID).0,
            wallet_address(&a, &[1; 32], &crate::DEFAULT_ID).0
        );
        let mut expected = vec![0u8];
        expected.extend_from_slice(&[1; 32]);
        assert_eq!(a.to_bytes(), expected);
    }
}
