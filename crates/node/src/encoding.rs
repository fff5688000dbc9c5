//! Account encodings of the JSON-RPC API: base58, base64, base64+zstd and jsonParsed (Agave's own
//! account parsers).

use base64::{prelude::BASE64_STANDARD, Engine};
use solana_account::Account;
pub use solana_account_decoder::parse_account_data::SplTokenAdditionalDataV2 as MintDisplay;
use solana_account_decoder_client_types::{
    token::UiTokenAmount, ParsedAccount, UiAccount, UiAccountData, UiAccountEncoding,
    UiDataSliceConfig,
};
use solana_program::pubkey::Pubkey;

use crate::jsonrpc::RpcError;
use leash_sdk::token_account;

/// A token amount as the RPC shows it, by Agave's own formatter (so `uiAmount` and
/// `uiAmountString` round and trim exactly as a validator's do).
pub fn token_amount(amount: u64, decimals: u8) -> UiTokenAmount {
    ui_token_amount(amount, &MintDisplay::with_decimals(decimals))
}

/// A token amount as the RPC shows a balance: scaled by the mint's interest-bearing rate or UI
/// multiplier, when it has one, as a validator does.
pub fn ui_token_amount(amount: u64, mint: &MintDisplay) -> UiTokenAmount {
    solana_account_decoder::parse_token::token_amount_to_ui_amount_v3(amount, mint)
}

/// What a validator reads from a mint to show amounts (`MintDisplay`, Agave's own type): its
/// decimals, and the Token-2022 interest-bearing and scaled-UI-amount configurations with the
/// clock's `unix_timestamp`. `None` for data that is no mint.
pub fn mint_display(data: &[u8], unix_timestamp: i64) -> Option<MintDisplay> {
    use spl_token_2022_interface::{
        extension::{
            interest_bearing_mint::InterestBearingConfig, scaled_ui_amount::ScaledUiAmountConfig,
            BaseStateWithExtensions, StateWithExtensions,
        },
        state::Mint,
    };
    let mint = StateWithExtensions::<Mint>::unpack(data).ok()?;
    Some(MintDisplay {
        decimals: mint.base.decimals,
        interest_bearing_config: mint
            .get_extension::<InterestBearingConfig>()
            .ok()
            .map(|config| (*config, unix_timestamp)),
        scaled_ui_amount_config: mint
            .get_extension::<ScaledUiAmountConfig>()
            .ok()
            .map(|config| (*config, unix_timestamp)),
    })
}

/// A nonce account's state (a System account of [`solana_nonce::state::State::size`] bytes):
/// `None` for any other account.
pub fn nonce_state(account: &Account) -> Option<solana_nonce::state::State> {
    if account.owner != solana_system_interface::program::ID
        || account.data.len() != solana_nonce::state::State::size()
    {
        return None;
    }
    let versions: solana_nonce::versions::Versions = bincode::deserialize(&account.data).ok()?;
    Some(versions.state().clone())
}

/// jsonParsed of an account, by Agave's own parsers (`solana-account-decoder`, the version of
/// the runtime this node runs): SPL Token and Token-2022 accounts and mints (with their
/// extensions), nonce accounts, sysvars, lookup tables, the upgradeable loader's accounts,
/// stake, vote and config accounts — exactly the shapes a validator answers. A token account is
/// parsed with what its mint says about display (decimals, rate or multiplier), as a
/// validator's RPC reads it; `None` (base64, as a validator falls back) for anything the
/// parsers do not take.
fn parse(
    address: &Pubkey,
    account: &Account,
    mint: &dyn Fn(&Pubkey) -> Option<MintDisplay>,
) -> Option<ParsedAccount> {
    use solana_account_decoder::parse_account_data::{
        parse_account_data_v3, AccountAdditionalDataV3,
    };
    let additional = token_account::parse(&account.owner, &account.data)
        .and_then(|view| mint(&view.mint))
        .map(|display| AccountAdditionalDataV3 {
            spl_token_additional_data: Some(display),
        });
    parse_account_data_v3(address, &account.owner, &account.data, additional).ok()
}

/// Encodes `account` as the RPC's `UiAccount`. jsonParsed falls back to base64 for accounts it
/// does not parse, as validators do.
pub fn ui_account(
    address: &Pubkey,
    account: &Account,
    encoding: UiAccountEncoding,
    slice: Option<UiDataSliceConfig>,
    mint: &dyn Fn(&Pubkey) -> Option<MintDisplay>,
) -> Result<UiAccount, RpcError> {
    let sliced = |data: &[u8]| -> Vec<u8> {
        match slice {
            Some(UiDataSliceConfig { offset, length }) => {
                let start = offset.min(data.len());
                let end = offset.saturating_add(length).min(data.len());
                data[start..end].to_vec()
            }
            None => data.to_vec(),
        }
    };
    let data = match encoding {
        UiAccountEncoding::Binary | UiAccountEncoding::Base58 => {
            let bytes = sliced(&account.data);
            if bytes.len() > 128 {
                return Err(RpcError::invalid_params(
                    "encoded binary (base 58) data should be less than 128 bytes, please use Base64 encoding.",
                ));
            }
            let encoded = bs58::encode(bytes).into_string();
            if encoding == UiAccountEncoding::Binary {
                UiAccountData::LegacyBinary(encoded)
            } else {
                UiAccountData::Binary(encoded, UiAccountEncoding::Base58)
            }
        }
        UiAccountEncoding::Base64 => UiAccountData::Binary(
            BASE64_STANDARD.encode(sliced(&account.data)),
            UiAccountEncoding::Base64,
        ),
        UiAccountEncoding::JsonParsed => match parse(address, account, mint) {
            Some(parsed) => UiAccountData::Json(parsed),
            None => UiAccountData::Binary(
                BASE64_STANDARD.encode(sliced(&account.data)),
                UiAccountEncoding::Base64,
            ),
        },
        UiAccountEncoding::Base64Zstd => {
            let compressed = zstd::encode_all(sliced(&account.data).as_slice(), 0)
                .map_err(|e| RpcError::internal(format!("zstd: {e}")))?;
            UiAccountData::Binary(
                BASE64_STANDARD.encode(compressed),
                UiAccountEncoding::Base64Zstd,
            )
        }
    };
    Ok(UiAccount {
        lamports: account.lamports,
        data,
        owner: account.owner.to_string(),
        executable: account.executable,
        rent_epoch: account.rent_epoch,
        space: Some(account.data.len() as u64),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(owner: Pubkey, data: Vec<u8>, decimals: Option<u8>) -> ParsedAccount {
        let account = Account {
            lamports: 1,
            data,
            owner,
            executable: false,
            rent_epoch: 0,
        };
        let ui = ui_account(
            &Pubkey::new_unique(),
            &account,
            UiAccountEncoding::JsonParsed,
            None,
            &|_| decimals.map(MintDisplay::with_decimals),
        )
        .unwrap();
        match ui.data {
            UiAccountData::Json(parsed) => parsed,
            other => panic!("not parsed: {other:?}"),
        }
    }

    /// Token-2022 accounts and mints show their extensions, as a validator's jsonParsed does
    /// (the layout: the base state, padding to 165 bytes, the account-type byte, then
    /// type-length-value entries).
    #[test]
    fn token_2022_extensions_are_parsed() {
        let close_authority = Pubkey::new_unique();
        let mut mint = vec![0u8; 82];
        mint[44] = 9; // decimals
        mint[45] = 1; // initialized
        mint.resize(165, 0);
        mint.push(1); // AccountType::Mint
        mint.extend_from_slice(&3u16.to_le_bytes()); // ExtensionType::MintCloseAuthority
        mint.extend_from_slice(&32u16.to_le_bytes());
        mint.extend_from_slice(close_authority.as_ref());
        let parsed_mint = parsed(leash_sdk::spl::TOKEN_2022_PROGRAM_ID, mint, None);
        assert_eq!(parsed_mint.program, "spl-token-2022");
        assert_eq!(parsed_mint.parsed["type"], "mint");
        let extensions = &parsed_mint.parsed["info"]["extensions"];
        assert_eq!(
            extensions[0]["extension"], "mintCloseAuthority",
            "{extensions}"
        );
        assert_eq!(
            extensions[0]["state"]["closeAuthority"],
            close_authority.to_string()
        );

        let mut account = vec![0u8; 165];
        account[0..32].copy_from_slice(Pubkey::new_unique().as_ref());
        account[32..64].copy_from_slice(Pubkey::new_unique().as_ref());
        account[64..72].copy_from_slice(&1_500_000_000u64.to_le_bytes());
        account[108] = 1; // initialized
        account.push(2); // AccountType::Account
        account.extend_from_slice(&7u16.to_le_bytes()); // ExtensionType::ImmutableOwner
        account.extend_from_slice(&0u16.to_le_bytes());
        let parsed_account = parsed(leash_sdk::spl::TOKEN_2022_PROGRAM_ID, account, Some(9));
        let info = &parsed_account.parsed["info"];
        assert_eq!(
            info["extensions"][0]["extension"], "immutableOwner",
            "{info}"
        );
        assert_eq!(info["tokenAmount"]["uiAmountString"], "1.5");
    }

    #[test]
    fn parses_token_accounts_and_mints() {
        let mint = Pubkey::new_unique();
        let owner = Pubkey::new_unique();
        let mut data = vec![0u8; 165];
        data[0..32].copy_from_slice(mint.as_ref());
        data[32..64].copy_from_slice(owner.as_ref());
        data[64..72].copy_from_slice(&4_500_000u64.to_le_bytes());
        data[108] = 1;
        let parsed = parsed(leash_sdk::spl::TOKEN_PROGRAM_ID, data, Some(6));
        assert_eq!(parsed.program, "spl-token");
        assert_eq!(parsed.parsed["type"], "account");
        assert_eq!(
            parsed.parsed["info"]["tokenAmount"]["uiAmountString"],
            "4.5"
        );
        assert_eq!(parsed.parsed["info"]["owner"], owner.to_string());
        // Unknown accounts fall back to base64.
        let other = Account {
            lamports: 1,
            data: vec![1, 2, 3],
            owner: Pubkey::new_unique(),
            executable: false,
            rent_epoch: 0,
        };
        let ui = ui_account(
            &Pubkey::new_unique(),
            &other,
            UiAccountEncoding::JsonParsed,
            None,
            &|_| None,
        )
        .unwrap();
        assert_eq!(
            ui.data,
            UiAccountData::Binary("AQID".into(), UiAccountEncoding::Base64)
        );
        let ui = ui_account(
            &Pubkey::new_unique(),
            &other,
            UiAccountEncoding::Base64,
            Some(UiDataSliceConfig {
                offset: 1,
                length: 5,
            }),
            &|_| None,
        )
        .unwrap();
        assert_eq!(
            ui.data,
            UiAccountData::Binary("AgM=".into(), UiAccountEncoding::Base64)
        );
    }
}
