//! Instruction builders for SPL Token, Token-2022 and the Associated Token Account program.
//!
//! These are the programs' documented wire formats, written out so that clients need not pull
//! in the interface crates (whose Token-2022 side brings a zero-knowledge proof stack). Only the
//! instructions Leash clients use are here; each works for both token programs.

use solana_program::{
    instruction::{AccountMeta, Instruction},
    pubkey::Pubkey,
};

pub use leash_program::token_account::{TOKEN_2022_PROGRAM_ID, TOKEN_PROGRAM_ID};

/// The Associated Token Account program.
pub const ASSOCIATED_TOKEN_PROGRAM_ID: Pubkey =
    solana_program::pubkey!("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL");
/// The wrapped-SOL mint.
pub const NATIVE_MINT: Pubkey =
    solana_program::pubkey!("So11111111111111111111111111111111111111112");
/// Size of a mint without extensions (the layouts live once, in `token_account`).
pub const MINT_LEN: usize = leash_program::token_account::BASE_MINT_LEN;
/// Size of a token account without extensions.
pub const ACCOUNT_LEN: usize = leash_program::token_account::BASE_ACCOUNT_LEN;

/// `AuthorityType` of `SetAuthority`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum AuthorityType {
    MintTokens = 0,
    FreezeAccount = 1,
    AccountOwner = 2,
    CloseAccount = 3,
}

fn with_amount(tag: u8, amount: u64) -> Vec<u8> {
    let mut data = Vec::with_capacity(9);
    data.push(tag);
    data.extend_from_slice(&amount.to_le_bytes());
    data
}

fn optional_key(key: Option<&Pubkey>) -> Vec<u8> {
    match key {
        Some(k) => [&[1u8][..], k.as_ref()].concat(),
        None => vec![0],
    }
}

/// `InitializeMint2 { decimals, mint_authority, freeze_authority }` (tag 20).
pub fn initialize_mint2(
    token_program: &Pubkey,
    mint: &Pubkey,
    mint_authority: &Pubkey,
    freeze_authority: Option<&Pubkey>,
    decimals: u8,
) -> Instruction {
    let mut data = vec![20, decimals];
    data.extend_from_slice(mint_authority.as_ref());
    data.extend(optional_key(freeze_authority));
    Instruction {
        program_id: *token_program,
        accounts: vec![AccountMeta::new(*mint, false)],
        data,
    }
}

/// `InitializeAccount3 { owner }` (tag 18).
pub fn initialize_account3(
    token_program: &Pubkey,
    account: &Pubkey,
    mint: &Pubkey,
    owner: &Pubkey,
) -> Instruction {
    let mut data = vec![18];
    data.extend_from_slice(owner.as_ref());
    Instruction {
        program_id: *token_program,
        accounts: vec![
            AccountMeta::new(*account, false),
            AccountMeta::new_readonly(*mint, false),
        ],
        data,
    }
}

/// `MintTo { amount }` (tag 7).
pub fn mint_to(
    token_program: &Pubkey,
    mint: &Pubkey,
    destination: &Pubkey,
    authority: &Pubkey,
    amount: u64,
) -> Instruction {
    Instruction {
        program_id: *token_program,
        accounts: vec![
            AccountMeta::new(*mint, false),
            AccountMeta::new(*destination, false),
            AccountMeta::new_readonly(*authority, true),
        ],
        data: with_amount(7, amount),
    }
}

/// `Transfer { amount }` (tag 3). Deprecated by the token programs in favour of
/// `TransferChecked`, but still accepted by SPL Token; Leash meters both the same way.
pub fn transfer(
    token_program: &Pubkey,
    source: &Pubkey,
    destination: &Pubkey,
    owner: &Pubkey,
    amount: u64,
) -> Instruction {
    Instruction {
        program_id: *token_program,
        accounts: vec![
            AccountMeta::new(*source, false),
            AccountMeta::new(*destination, false),
            AccountMeta::new_readonly(*owner, true),
        ],
        data: with_amount(3, amount),
    }
}

/// `TransferChecked { amount, decimals }` (tag 12).
pub fn transfer_checked(
    token_program: &Pubkey,
    source: &Pubkey,
    mint: &Pubkey,
    destination: &Pubkey,
    owner: &Pubkey,
    amount: u64,
    decimals: u8,
) -> Instruction {
    let mut data = with_amount(12, amount);
    data.push(decimals);
    Instruction {
        program_id: *token_program,
        accounts: vec![
            AccountMeta::new(*source, false),
            AccountMeta::new_readonly(*mint, false),
            AccountMeta::new(*destination, false),
            AccountMeta::new_readonly(*owner, true),
        ],
        data,
    }
}

/// `Approve { amount }` (tag 4).
pub fn approve(
    token_program: &Pubkey,
    source: &Pubkey,
    delegate: &Pubkey,
    owner: &Pubkey,
    amount: u64,
) -> Instruction {
    Instruction {
        program_id: *token_program,
        accounts: vec![
            AccountMeta::new(*source, false),
            AccountMeta::new_readonly(*delegate, false),
            AccountMeta::new_readonly(*owner, true),
        ],
        data: with_amount(4, amount),
    }
}

/// `SetAuthority { authority_type, new_authority }` (tag 6).
pub fn set_authority(
    token_program: &Pubkey,
    account: &Pubkey,
    new_authority: Option<&Pubkey>,
    authority_type: AuthorityType,
    current_authority: &Pubkey,
) -> Instruction {
    let mut data = vec![6, authority_type as u8];
    data.extend(optional_key(new_authority));
    Instruction {
        program_id: *token_program,
        accounts: vec![
            AccountMeta::new(*account, false),
            AccountMeta::new_readonly(*current_authority, true),
        ],
        data,
    }
}

/// `CloseAccount` (tag 9).
pub fn close_account(
    token_program: &Pubkey,
    account: &Pubkey,
    destination: &Pubkey,
    owner: &Pubkey,
) -> Instruction {
    Instruction {
        program_id: *token_program,
        accounts: vec![
            AccountMeta::new(*account, false),
            AccountMeta::new(*destination, false),
            AccountMeta::new_readonly(*owner, true),
        ],
        data: vec![9],
    }
}

/// `Burn { amount }` (tag 8).
pub fn burn(
    token_program: &Pubkey,
    account: &Pubkey,
    mint: &Pubkey,
    owner: &Pubkey,
    amount: u64,
) -> Instruction {
    Instruction {
        program_id: *token_program,
        accounts: vec![
            AccountMeta::new(*account, false),
            AccountMeta::new(*mint, false),
            AccountMeta::new_readonly(*owner, true),
        ],
        data: with_amount(8, amount),
    }
}

/// The associated token account of `wallet` for `mint` under `token_program`.
pub fn associated_token_address(wallet: &Pubkey, mint: &Pubkey, token_program: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(
        &[wallet.as_ref(), token_program.as_ref(), mint.as_ref()],
        &ASSOCIATED_TOKEN_PROGRAM_ID,
    )
    .0
}

/// `CreateIdempotent`: creates the associated token account unless it exists; `payer` pays.
pub fn create_associated_token_account_idempotent(
    payer: &Pubkey,
    wallet: &Pubkey,
    mint: &Pubkey,
    token_program: &Pubkey,
) -> Instruction {
    Instruction {
        program_id: ASSOCIATED_TOKEN_PROGRAM_ID,
        accounts: vec![
            AccountMeta::new(*payer, true),
            AccountMeta::new(associated_token_address(wallet, mint, token_program), false),
            AccountMeta::new_readonly(*wallet, false),
            AccountMeta::new_readonly(*mint, false),
            AccountMeta::new_readonly(solana_system_interface::program::ID, false),
            AccountMeta::new_readonly(*token_program, false),
        ],
        data: vec![1],
    }
}

/// The decimals of a mint account's data (either token program), if it is one.
pub use leash_program::token_account::mint_decimals;

/// The data of an initialized SPL mint (no extensions, no freeze authority, supply 0) whose mint
/// authority is `authority`: how a node's genesis holds a mint without a transaction.
pub fn initialized_mint_data(authority: &Pubkey, decimals: u8) -> Vec<u8> {
    use leash_program::token_account::{
        MINT_AUTHORITY_OFFSET, MINT_DECIMALS_OFFSET, MINT_IS_INITIALIZED_OFFSET,
    };
    let mut data = vec![0u8; MINT_LEN];
    let authority_at = MINT_AUTHORITY_OFFSET;
    data[authority_at..authority_at + 4].copy_from_slice(&1u32.to_le_bytes());
    data[authority_at + 4..authority_at + 36].copy_from_slice(authority.as_ref());
    data[MINT_DECIMALS_OFFSET] = decimals;
    data[MINT_IS_INITIALIZED_OFFSET] = 1;
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_initialized_mint_parses_back_through_the_layout_module() {
        let authority = Pubkey::new_unique();
        let data = initialized_mint_data(&authority, 6);
        let mint = leash_program::token_account::parse_mint(&TOKEN_PROGRAM_ID, &data)
            .expect("an initialized mint");
        assert_eq!(mint.mint_authority, Some(authority));
        assert_eq!(mint.supply, 0);
        assert_eq!(mint.freeze_authority, None);
        assert_eq!(mint_decimals(&data), Some(6));
    }

    #[test]
    fn encodings_match_the_token_program_layout() {
        let k = Pubkey::new_from_array([7; 32]);
        assert_eq!(
            transfer(&TOKEN_PROGRAM_ID, &k, &k, &k, 5).data,
            vec![3, 5, 0, 0, 0, 0, 0, 0, 0]
        );
        let sa = set_authority(&TOKEN_PROGRAM_ID, &k, None, AuthorityType::CloseAccount, &k);
        assert_eq!(sa.data, vec![6, 3, 0]);
        let im = initialize_mint2(&TOKEN_PROGRAM_ID, &k, &k, Some(&k), 6);
        assert_eq!(im.data.len(), 2 + 32 + 33);
        assert_eq!(
            transfer_checked(&TOKEN_PROGRAM_ID, &k, &k, &k, &k, 1, 6)
                .data
                .len(),
            10
        );
    }
}
