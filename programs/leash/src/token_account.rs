//! Reading SPL Token and Token-2022 accounts without depending on their crates: token accounts,
//! mints, multisigs and Token-2022 extensions (the fields spend accounting looks at).
//!
//! The base account layout (165 bytes) and mint layout (82 bytes) are shared by both programs.
//! Token-2022 accounts and mints with extensions are longer: the mint is padded to 165 bytes,
//! byte 165 carries the `AccountType` (1 = mint, 2 = account), and type-length-value extensions
//! follow. A multisig is exactly 355 bytes, a length Token-2022 never gives an account or mint
//! with extensions, so a 355-byte account is always read as a multisig and nothing else.

use crate::platform::{address_eq, Pubkey};

/// The discriminator of SPL Token's (p-token's) and Token-2022's `Batch` instruction.
pub const TOKEN_BATCH_DISCRIMINATOR: u8 = 255;

/// The SPL Token program.
pub const TOKEN_PROGRAM_ID: Pubkey =
    Pubkey::from_str_const("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA");
/// The SPL Token-2022 program.
pub const TOKEN_2022_PROGRAM_ID: Pubkey =
    Pubkey::from_str_const("TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb");

/// Size of the base token account layout.
pub const BASE_ACCOUNT_LEN: usize = 165;
/// Size of the base mint layout.
pub const BASE_MINT_LEN: usize = 82;
/// Size of a multisig account.
pub const MULTISIG_LEN: usize = 355;
/// Most signers a multisig holds.
const MULTISIG_MAX_SIGNERS: usize = 11;
/// Token-2022 `AccountType` values, stored right after the (padded) base layout.
const TOKEN_2022_MINT_TYPE: u8 = 1;
const TOKEN_2022_ACCOUNT_TYPE: u8 = 2;
/// `AccountState::Initialized` and `AccountState::Frozen`.
const STATE_INITIALIZED: u8 = 1;
const STATE_FROZEN: u8 = 2;
/// Token-2022 `ExtensionType::TransferFeeConfig` (a mint's fee authorities and withheld fees).
pub const EXTENSION_TRANSFER_FEE_CONFIG: u16 = 1;
/// Token-2022 `ExtensionType::TransferFeeAmount` (an account's withheld fees).
pub const EXTENSION_TRANSFER_FEE_AMOUNT: u16 = 2;
/// Where `TransferFeeConfig` keeps its withdraw-withheld authority and its withheld amount.
const FEE_CONFIG_WITHDRAW_AUTHORITY: usize = 32;
pub const FEE_CONFIG_WITHHELD_RANGE: core::ops::Range<usize> = 64..72;
/// Token-2022 `ExtensionType::PermanentDelegate` (a mint's permanent delegate).
pub const EXTENSION_PERMANENT_DELEGATE: u16 = 12;

/// A mint's mint authority: a `COption<Pubkey>` (4-byte tag, then the key).
pub const MINT_AUTHORITY_OFFSET: usize = 0;
/// Where a mint keeps its decimals and its is-initialized flag.
pub const MINT_DECIMALS_OFFSET: usize = 44;
pub const MINT_IS_INITIALIZED_OFFSET: usize = 45;
/// A mint's supply, the only base field minting and burning change.
pub const SUPPLY_RANGE: core::ops::Range<usize> = 36..44;
/// Byte ranges of a token account's base layout that move with ordinary transfers.
pub const AMOUNT_RANGE: core::ops::Range<usize> = 64..72;
pub const DELEGATED_AMOUNT_RANGE: core::ops::Range<usize> = 121..129;

/// The fields of a token account that spend accounting looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenAccountView {
    pub mint: Pubkey,
    pub owner: Pubkey,
    pub amount: u64,
    pub delegate: Option<Pubkey>,
    /// Initialized (1) or frozen (2).
    pub state: u8,
    pub delegated_amount: u64,
    pub close_authority: Option<Pubkey>,
}

/// The fields of a mint that spend accounting looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MintView {
    pub mint_authority: Option<Pubkey>,
    pub supply: u64,
    pub freeze_authority: Option<Pubkey>,
    /// Token-2022 `PermanentDelegate`, if the mint has one.
    pub permanent_delegate: Option<Pubkey>,
}

/// What a token-program account is, judged by its owner and layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenAccountKind {
    Account,
    Mint,
    Multisig,
}

/// Whether `program` is one of the two token programs.
pub fn is_token_program(program: &Pubkey) -> bool {
    address_eq(program, &TOKEN_PROGRAM_ID) || address_eq(program, &TOKEN_2022_PROGRAM_ID)
}

/// The kind of an account owned by a token program, from its length (and, for Token-2022
/// accounts with extensions, its `AccountType` byte). `None` for other owners and layouts.
pub fn kind(account_owner: &Pubkey, data: &[u8]) -> Option<TokenAccountKind> {
    if !is_token_program(account_owner) {
        return None;
    }
    kind_in(address_eq(account_owner, &TOKEN_2022_PROGRAM_ID), data)
}

/// [`kind`] for data owned by SPL Token (`is_2022` false) or Token-2022, the owner known.
pub fn kind_in(is_2022: bool, data: &[u8]) -> Option<TokenAccountKind> {
    match data.len() {
        MULTISIG_LEN => Some(TokenAccountKind::Multisig),
        BASE_ACCOUNT_LEN => Some(TokenAccountKind::Account),
        BASE_MINT_LEN => Some(TokenAccountKind::Mint),
        len if len > BASE_ACCOUNT_LEN && is_2022 => match data.get(BASE_ACCOUNT_LEN) {
            Some(&TOKEN_2022_ACCOUNT_TYPE) => Some(TokenAccountKind::Account),
            Some(&TOKEN_2022_MINT_TYPE) => Some(TokenAccountKind::Mint),
            _ => None,
        },
        _ => None,
    }
}

crate::byte_layout! {
    /// A `COption<Pubkey>`: a little-endian u32 tag (0 = none, 1 = some), then the key.
    pub struct COptionKey {
        tag: [u8; 4],
        key: Pubkey,
    }
}

impl COptionKey {
    /// The key, if the tag says there is one; `Err` for a tag other than 0 or 1.
    fn get(&self) -> Result<Option<&Pubkey>, ()> {
        match u32::from_le_bytes(self.tag) {
            0 => Ok(None),
            1 => Ok(Some(&self.key)),
            _ => Err(()),
        }
    }

    /// The key, for a tag [`COptionKey::get`] has accepted.
    fn key(&self) -> Option<&Pubkey> {
        (self.tag[0] == 1).then_some(&self.key)
    }
}

crate::byte_layout! {
    /// SPL Token's account layout (165 bytes), the base of Token-2022's.
    pub struct TokenAccountLayout {
        pub mint: Pubkey,
        pub owner: Pubkey,
        pub amount: [u8; 8],
        pub delegate: COptionKey,
        /// 0 uninitialized, 1 initialized, 2 frozen.
        pub state: u8,
        /// `COption<u64>`: wrapped SOL's rent reserve.
        pub is_native: [u8; 12],
        pub delegated_amount: [u8; 8],
        pub close_authority: COptionKey,
    }
}

crate::byte_layout! {
    /// SPL Token's mint layout (82 bytes), the base of Token-2022's.
    pub struct MintLayout {
        pub mint_authority: COptionKey,
        pub supply: [u8; 8],
        pub decimals: u8,
        pub is_initialized: u8,
        pub freeze_authority: COptionKey,
    }
}

crate::byte_layout! {
    /// A token multisig (355 bytes): m of n signers.
    pub struct MultisigLayout {
        pub m: u8,
        pub n: u8,
        pub is_initialized: u8,
        pub signers: [Pubkey; MULTISIG_MAX_SIGNERS],
    }
}

/// An initialized token account, read in place (the value model's view; [`parse`] copies the
/// same fields out for clients).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenAccountRef<'a> {
    base: &'a TokenAccountLayout,
}

impl<'a> TokenAccountRef<'a> {
    /// `data` as an initialized token account if the account is owned by a token program and
    /// has a token account's layout. Mints, multisigs, uninitialized accounts and corrupt
    /// `COption` tags give `None`.
    pub fn new(account_owner: &Pubkey, data: &'a [u8]) -> Option<Self> {
        if kind(account_owner, data)? != TokenAccountKind::Account {
            return None;
        }
        Self::of_kind(data)
    }

    /// [`TokenAccountRef::new`] for data whose [`kind`] the caller found to be an account.
    pub(crate) fn of_kind(data: &'a [u8]) -> Option<Self> {
        let base: &TokenAccountLayout = crate::platform::layout(data)?;
        let valid = matches!(base.state, STATE_INITIALIZED | STATE_FROZEN)
            && base.delegate.get().is_ok()
            && base.close_authority.get().is_ok();
        valid.then_some(TokenAccountRef { base })
    }

    pub fn mint(&self) -> &'a Pubkey {
        &self.base.mint
    }

    pub fn owner(&self) -> &'a Pubkey {
        &self.base.owner
    }

    pub fn amount(&self) -> u64 {
        u64::from_le_bytes(self.base.amount)
    }

    pub fn delegate(&self) -> Option<&'a Pubkey> {
        self.base.delegate.key()
    }

    /// Initialized (1) or frozen (2).
    pub fn state(&self) -> u8 {
        self.base.state
    }

    pub fn delegated_amount(&self) -> u64 {
        u64::from_le_bytes(self.base.delegated_amount)
    }

    pub fn close_authority(&self) -> Option<&'a Pubkey> {
        self.base.close_authority.key()
    }

    /// The fields copied out.
    pub fn to_view(&self) -> TokenAccountView {
        TokenAccountView {
            mint: *self.mint(),
            owner: *self.owner(),
            amount: self.amount(),
            delegate: self.delegate().copied(),
            state: self.state(),
            delegated_amount: self.delegated_amount(),
            close_authority: self.close_authority().copied(),
        }
    }
}

/// An initialized mint, read in place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MintRef<'a> {
    base: &'a MintLayout,
    data: &'a [u8],
}

impl<'a> MintRef<'a> {
    /// `data` as an initialized mint owned by a token program.
    pub fn new(account_owner: &Pubkey, data: &'a [u8]) -> Option<Self> {
        if kind(account_owner, data)? != TokenAccountKind::Mint {
            return None;
        }
        Self::of_kind(data)
    }

    /// [`MintRef::new`] for data whose [`kind`] the caller found to be a mint.
    pub(crate) fn of_kind(data: &'a [u8]) -> Option<Self> {
        let base: &MintLayout = crate::platform::layout(data)?;
        let valid = base.is_initialized == 1
            && base.mint_authority.get().is_ok()
            && base.freeze_authority.get().is_ok();
        valid.then_some(MintRef { base, data })
    }

    pub fn mint_authority(&self) -> Option<&'a Pubkey> {
        self.base.mint_authority.key()
    }

    pub fn supply(&self) -> u64 {
        u64::from_le_bytes(self.base.supply)
    }

    pub fn freeze_authority(&self) -> Option<&'a Pubkey> {
        self.base.freeze_authority.key()
    }

    /// Token-2022 `PermanentDelegate`, if the mint has one (an all-zero key is none).
    pub fn permanent_delegate(&self) -> Option<&'a Pubkey> {
        extensions(self.data)
            .find(|(kind, _)| *kind == EXTENSION_PERMANENT_DELEGATE)
            .filter(|(_, value)| value.len() == 32)
            .and_then(|(_, value)| crate::platform::layout::<Pubkey>(value))
            .filter(|key| !crate::platform::address_eq(key, &Pubkey::default()))
    }

    /// The fields copied out.
    pub fn to_view(&self) -> MintView {
        MintView {
            mint_authority: self.mint_authority().copied(),
            supply: self.supply(),
            freeze_authority: self.freeze_authority().copied(),
            permanent_delegate: self.permanent_delegate().copied(),
        }
    }
}

/// Parses `data` as an initialized token account if the account is owned by a token program and
/// has a token account's layout. Mints, multisigs and uninitialized accounts give `None`.
pub fn parse(account_owner: &Pubkey, data: &[u8]) -> Option<TokenAccountView> {
    TokenAccountRef::new(account_owner, data).map(|t| t.to_view())
}

/// Parses `data` as an initialized mint owned by a token program.
pub fn parse_mint(account_owner: &Pubkey, data: &[u8]) -> Option<MintView> {
    MintRef::new(account_owner, data).map(|m| m.to_view())
}

/// The decimals of an initialized mint's data (either token program, with or without
/// extensions); `None` if `data` is not one. Clients use it where the owner is already known.
pub fn mint_decimals(data: &[u8]) -> Option<u8> {
    if data.len() < BASE_MINT_LEN || data.get(MINT_IS_INITIALIZED_OFFSET) != Some(&1) {
        return None;
    }
    data.get(MINT_DECIMALS_OFFSET).copied()
}

/// Whether `data` is an initialized multisig owned by a token program listing `signer` among its
/// signers.
pub fn multisig_has_signer(account_owner: &Pubkey, data: &[u8], signer: &Pubkey) -> bool {
    if kind(account_owner, data) != Some(TokenAccountKind::Multisig) {
        return false;
    }
    let Some(multisig) = crate::platform::layout::<MultisigLayout>(data) else {
        return false;
    };
    let n = usize::from(multisig.n).min(MULTISIG_MAX_SIGNERS);
    multisig.is_initialized == 1
        && multisig
            .signers
            .get(..n)
            .unwrap_or_default()
            .iter()
            .any(|s| address_eq(s, signer))
}

/// The Token-2022 extensions of an account or mint: `(extension type, value)` in stored order.
/// Empty for base layouts; stops at the first malformed entry.
pub fn extensions(data: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    let mut rest = data
        .get(BASE_ACCOUNT_LEN.saturating_add(1)..)
        .filter(|_| data.len() > BASE_ACCOUNT_LEN)
        .unwrap_or(&[]);
    core::iter::from_fn(move || {
        let header: [u8; 4] = rest.get(..4)?.try_into().ok()?;
        let kind = u16::from_le_bytes([header[0], header[1]]);
        let len = usize::from(u16::from_le_bytes([header[2], header[3]]));
        let value = rest.get(4..4usize.checked_add(len)?)?;
        rest = rest.get(4usize.saturating_add(len)..).unwrap_or(&[]);
        // Type 0 (uninitialized) with no length is padding at the end.
        (kind != 0 || len != 0).then_some((kind, value))
    })
}

/// The Token-2022 transfer fees withheld in a token account (`TransferFeeAmount`) or a mint
/// (`TransferFeeConfig`); 0 without the extension.
pub fn withheld_fees(data: &[u8]) -> u64 {
    extensions(data)
        .find_map(|(kind, value)| match kind {
            EXTENSION_TRANSFER_FEE_AMOUNT => u64_at(value, 0),
            EXTENSION_TRANSFER_FEE_CONFIG => u64_at(value, FEE_CONFIG_WITHHELD_RANGE.start),
            _ => None,
        })
        .unwrap_or(0)
}

/// A Token-2022 mint's withdraw-withheld authority: whoever may take the withheld fees.
pub fn withdraw_withheld_authority(data: &[u8]) -> Option<Pubkey> {
    extensions(data)
        .find(|(kind, _)| *kind == EXTENSION_TRANSFER_FEE_CONFIG)
        .and_then(|(_, value)| pubkey_at(value, FEE_CONFIG_WITHDRAW_AUTHORITY))
        .filter(|key| *key != Pubkey::default())
}

pub(crate) fn pubkey_at(data: &[u8], offset: usize) -> Option<Pubkey> {
    let bytes: [u8; 32] = data.get(offset..offset.checked_add(32)?)?.try_into().ok()?;
    Some(Pubkey::new_from_array(bytes))
}

pub(crate) fn u64_at(data: &[u8], offset: usize) -> Option<u64> {
    let bytes: [u8; 8] = data.get(offset..offset.checked_add(8)?)?.try_into().ok()?;
    Some(u64::from_le_bytes(bytes))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A base-layout token account, as SPL Token writes it.
    pub(crate) fn account_bytes(
        mint: Pubkey,
        owner: Pubkey,
        amount: u64,
        delegate: Option<Pubkey>,
        close_authority: Option<Pubkey>,
    ) -> Vec<u8> {
        let mut data = vec![0u8; BASE_ACCOUNT_LEN];
        data[0..32].copy_from_slice(mint.as_ref());
        data[32..64].copy_from_slice(owner.as_ref());
        data[64..72].copy_from_slice(&amount.to_le_bytes());
        if let Some(d) = delegate {
            data[72..76].copy_from_slice(&1u32.to_le_bytes());
            data[76..108].copy_from_slice(d.as_ref());
            data[121..129].copy_from_slice(&5u64.to_le_bytes());
        }
        data[108] = STATE_INITIALIZED;
        if let Some(c) = close_authority {
            data[129..133].copy_from_slice(&1u32.to_le_bytes());
            data[133..165].copy_from_slice(c.as_ref());
        }
        data
    }

    #[test]
    fn parses_base_layout() {
        let mint = Pubkey::new_from_array([1; 32]);
        let owner = Pubkey::new_from_array([2; 32]);
        let d = Pubkey::new_from_array([3; 32]);
        let data = account_bytes(mint, owner, 42, Some(d), None);
        let view = parse(&TOKEN_PROGRAM_ID, &data).unwrap();
        assert_eq!(view.mint, mint);
        assert_eq!(view.owner, owner);
        assert_eq!(view.amount, 42);
        assert_eq!(view.delegate, Some(d));
        assert_eq!(view.delegated_amount, 5);
        assert_eq!(view.state, STATE_INITIALIZED);
        assert_eq!(view.close_authority, None);
        assert_eq!(parse(&TOKEN_2022_PROGRAM_ID, &data), Some(view));
    }

    #[test]
    fn mint_decimals_reads_initialized_mints_only() {
        let mut data = vec![0u8; BASE_MINT_LEN];
        data[MINT_DECIMALS_OFFSET] = 6;
        assert_eq!(mint_decimals(&data), None);
        data[MINT_IS_INITIALIZED_OFFSET] = 1;
        assert_eq!(mint_decimals(&data), Some(6));
        assert_eq!(mint_decimals(&data[..40]), None);
    }

    #[test]
    fn rejects_other_owners_layouts_and_states() {
        let data = account_bytes(Pubkey::default(), Pubkey::default(), 1, None, None);
        assert!(parse(&Pubkey::new_from_array([9; 32]), &data).is_none());
        // Mint layout (82 bytes) and uninitialized accounts are not token accounts.
        assert!(parse(&TOKEN_PROGRAM_ID, &data[..82]).is_none());
        let mut uninit = data.clone();
        uninit[108] = 0;
        assert!(parse(&TOKEN_PROGRAM_ID, &uninit).is_none());
        // Token-2022 with extensions must say AccountType::Account.
        let mut ext = data.clone();
        ext.extend_from_slice(&[TOKEN_2022_ACCOUNT_TYPE, 0, 0]);
        assert!(parse(&TOKEN_2022_PROGRAM_ID, &ext).is_some());
        assert!(parse(&TOKEN_PROGRAM_ID, &ext).is_none());
        ext[BASE_ACCOUNT_LEN] = 1; // AccountType::Mint
        assert!(parse(&TOKEN_2022_PROGRAM_ID, &ext).is_none());
        // A corrupt COption tag is not trusted.
        let mut bad = data;
        bad[72] = 7;
        assert!(parse(&TOKEN_PROGRAM_ID, &bad).is_none());
    }
}
