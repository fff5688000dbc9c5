//! Reading SPL Token and Token-2022 token accounts without depending on their crates.
//!
//! The base layout (165 bytes) is shared by both programs; Token-2022 accounts with extensions
//! are longer and carry `AccountType::Account` (2) at byte 165.

use solana_program::pubkey::Pubkey;

/// The SPL Token program.
pub const TOKEN_PROGRAM_ID: Pubkey =
    solana_program::pubkey!("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA");
/// The SPL Token-2022 program.
pub const TOKEN_2022_PROGRAM_ID: Pubkey =
    solana_program::pubkey!("TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb");

/// Size of the base token account layout.
pub const BASE_ACCOUNT_LEN: usize = 165;
/// Token-2022 `AccountType::Account`, stored right after the base layout.
const TOKEN_2022_ACCOUNT_TYPE: u8 = 2;
/// `AccountState::Initialized` and `AccountState::Frozen`.
const STATE_INITIALIZED: u8 = 1;
const STATE_FROZEN: u8 = 2;

/// The fields of a token account that spend accounting looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenAccountView {
    pub mint: Pubkey,
    pub owner: Pubkey,
    pub amount: u64,
    pub delegate: Option<Pubkey>,
    pub delegated_amount: u64,
    pub close_authority: Option<Pubkey>,
}

/// Whether `program` is one of the two token programs.
pub fn is_token_program(program: &Pubkey) -> bool {
    *program == TOKEN_PROGRAM_ID || *program == TOKEN_2022_PROGRAM_ID
}

/// Parses `data` as an initialized token account if the account is owned by a token program and
/// has a token account's layout. Mints, multisigs and uninitialized accounts give `None`.
pub fn parse(account_owner: &Pubkey, data: &[u8]) -> Option<TokenAccountView> {
    let is_account_layout = if *account_owner == TOKEN_PROGRAM_ID {
        data.len() == BASE_ACCOUNT_LEN
    } else if *account_owner == TOKEN_2022_PROGRAM_ID {
        data.len() == BASE_ACCOUNT_LEN
            || (data.len() > BASE_ACCOUNT_LEN
                && data.get(BASE_ACCOUNT_LEN) == Some(&TOKEN_2022_ACCOUNT_TYPE))
    } else {
        false
    };
    if !is_account_layout {
        return None;
    }
    let state = *data.get(108)?;
    if state != STATE_INITIALIZED && state != STATE_FROZEN {
        return None;
    }
    Some(TokenAccountView {
        mint: pubkey_at(data, 0)?,
        owner: pubkey_at(data, 32)?,
        amount: u64_at(data, 64)?,
        delegate: coption_pubkey_at(data, 72)?,
        delegated_amount: u64_at(data, 121)?,
        close_authority: coption_pubkey_at(data, 129)?,
    })
}

fn pubkey_at(data: &[u8], offset: usize) -> Option<Pubkey> {
    let bytes: [u8; 32] = data.get(offset..offset.checked_add(32)?)?.try_into().ok()?;
    Some(Pubkey::new_from_array(bytes))
}

fn u64_at(data: &[u8], offset: usize) -> Option<u64> {
    let bytes: [u8; 8] = data.get(offset..offset.checked_add(8)?)?.try_into().ok()?;
    Some(u64::from_le_bytes(bytes))
}

/// A `COption<Pubkey>`: a u32 tag (0 = none, 1 = some) and 32 bytes.
fn coption_pubkey_at(data: &[u8], offset: usize) -> Option<Option<Pubkey>> {
    let tag: [u8; 4] = data.get(offset..offset.checked_add(4)?)?.try_into().ok()?;
    match u32::from_le_bytes(tag) {
        0 => Some(None),
        1 => Some(Some(pubkey_at(data, offset.checked_add(4)?)?)),
        _ => None,
    }
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
        assert_eq!(view.close_authority, None);
        assert_eq!(parse(&TOKEN_2022_PROGRAM_ID, &data), Some(view));
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
