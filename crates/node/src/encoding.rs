//! Account encodings of the JSON-RPC API: base58, base64 and jsonParsed (SPL Token and
//! Token-2022 accounts and mints, as validators parse them).

use base64::{prelude::BASE64_STANDARD, Engine};
use serde_json::{json, Value};
use solana_account::Account;
use solana_account_decoder_client_types::{
    token::UiTokenAmount, ParsedAccount, UiAccount, UiAccountData, UiAccountEncoding,
    UiDataSliceConfig,
};
use solana_program::pubkey::Pubkey;

use crate::jsonrpc::RpcError;
use leash_sdk::{spl, token_account};

pub fn token_amount(amount: u64, decimals: u8) -> UiTokenAmount {
    let ui_amount_string = leash_sdk::amount::format_amount(amount, decimals);
    UiTokenAmount {
        // The standard response carries a float for display; the string is the exact value.
        ui_amount: ui_amount_string.parse::<f64>().ok(),
        decimals,
        amount: amount.to_string(),
        ui_amount_string,
    }
}

fn program_name(owner: &Pubkey) -> &'static str {
    if *owner == spl::TOKEN_2022_PROGRAM_ID {
        "spl-token-2022"
    } else {
        "spl-token"
    }
}

/// jsonParsed of a token account or mint, or `None` when the account is neither.
fn parse_token(
    account: &Account,
    mint_decimals: &dyn Fn(&Pubkey) -> Option<u8>,
) -> Option<ParsedAccount> {
    if !token_account::is_token_program(&account.owner) {
        return None;
    }
    let program = program_name(&account.owner).to_string();
    let space = account.data.len() as u64;
    if let Some(view) = token_account::parse(&account.owner, &account.data) {
        let decimals = mint_decimals(&view.mint)?;
        let frozen = account.data.get(108) == Some(&2);
        let is_native = account.data.get(109..113) == Some(&1u32.to_le_bytes()[..]);
        let mut info = json!({
            "isNative": is_native,
            "mint": view.mint.to_string(),
            "owner": view.owner.to_string(),
            "state": if frozen { "frozen" } else { "initialized" },
            "tokenAmount": token_amount(view.amount, decimals),
        });
        if let Some(delegate) = view.delegate {
            info["delegate"] = json!(delegate.to_string());
            info["delegatedAmount"] = json!(token_amount(view.delegated_amount, decimals));
        }
        if let Some(close) = view.close_authority {
            info["closeAuthority"] = json!(close.to_string());
        }
        return Some(ParsedAccount {
            program,
            parsed: json!({"info": info, "type": "account"}),
            space,
        });
    }
    let decimals = spl::mint_decimals(&account.data)?;
    let data = &account.data;
    let authority = |offset: usize| -> Value {
        match data.get(offset..offset + 4) {
            Some(tag) if tag == 1u32.to_le_bytes() => data
                .get(offset + 4..offset + 36)
                .and_then(|k| <[u8; 32]>::try_from(k).ok())
                .map(|k| json!(Pubkey::new_from_array(k).to_string()))
                .unwrap_or(Value::Null),
            _ => Value::Null,
        }
    };
    let supply = u64::from_le_bytes(data.get(36..44)?.try_into().ok()?);
    let info = json!({
        "decimals": decimals,
        "freezeAuthority": authority(46),
        "isInitialized": true,
        "mintAuthority": authority(0),
        "supply": supply.to_string(),
    });
    Some(ParsedAccount {
        program,
        parsed: json!({"info": info, "type": "mint"}),
        space,
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

/// jsonParsed of a nonce account, as Agave parses it: `{program: "nonce", parsed: {type,
/// info: {authority, blockhash, feeCalculator: {lamportsPerSignature}}}}`.
fn parse_nonce(account: &Account) -> Option<ParsedAccount> {
    let parsed = match nonce_state(account)? {
        solana_nonce::state::State::Uninitialized => json!({"type": "uninitialized"}),
        solana_nonce::state::State::Initialized(data) => json!({
            "type": "initialized",
            "info": {
                "authority": data.authority.to_string(),
                "blockhash": data.blockhash().to_string(),
                "feeCalculator": {
                    "lamportsPerSignature": data.fee_calculator.lamports_per_signature.to_string(),
                },
            },
        }),
    };
    Some(ParsedAccount {
        program: "nonce".into(),
        parsed,
        space: account.data.len() as u64,
    })
}

/// jsonParsed of an address lookup table, as Agave parses it: `{program:
/// "address-lookup-table", parsed: {type: "lookupTable", info: {deactivationSlot,
/// lastExtendedSlot, lastExtendedSlotStartIndex, authority, addresses}}}` (kit's
/// `fetchAddressesForLookupTables` reads exactly this).
fn parse_lookup_table(account: &Account) -> Option<ParsedAccount> {
    use solana_address_lookup_table_interface::state::AddressLookupTable;
    if account.owner != solana_address_lookup_table_interface::program::ID {
        return None;
    }
    let parsed = match AddressLookupTable::deserialize(&account.data) {
        Ok(table) => {
            let mut info = json!({
                "deactivationSlot": table.meta.deactivation_slot.to_string(),
                "lastExtendedSlot": table.meta.last_extended_slot.to_string(),
                "lastExtendedSlotStartIndex": table.meta.last_extended_slot_start_index,
                "addresses": table.addresses.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
            });
            if let Some(authority) = table.meta.authority {
                info["authority"] = json!(authority.to_string());
            }
            json!({"type": "lookupTable", "info": info})
        }
        Err(solana_program::instruction::InstructionError::UninitializedAccount) => {
            json!({"type": "uninitialized"})
        }
        Err(_) => return None,
    };
    Some(ParsedAccount {
        program: "address-lookup-table".into(),
        parsed,
        space: account.data.len() as u64,
    })
}

/// jsonParsed of the sysvars a bot reads (clock, epoch schedule), as Agave parses them:
/// `{program: "sysvar", parsed: {type, info}}`. Told apart by their size under the Sysvar
/// owner, which is unique among the sysvars this node holds.
fn parse_sysvar(account: &Account) -> Option<ParsedAccount> {
    const SYSVAR_OWNER: Pubkey =
        solana_program::pubkey!("Sysvar1111111111111111111111111111111111111");
    if account.owner != SYSVAR_OWNER {
        return None;
    }
    let data = &account.data;
    let parsed = match data.len() {
        40 => {
            let clock: solana_program::clock::Clock = bincode::deserialize(data).ok()?;
            json!({"type": "clock", "info": {
                "slot": clock.slot,
                "epoch": clock.epoch,
                "epochStartTimestamp": clock.epoch_start_timestamp,
                "leaderScheduleEpoch": clock.leader_schedule_epoch,
                "unixTimestamp": clock.unix_timestamp,
            }})
        }
        33 => {
            let schedule: solana_program::epoch_schedule::EpochSchedule =
                bincode::deserialize(data).ok()?;
            json!({"type": "epochSchedule", "info": {
                "slotsPerEpoch": schedule.slots_per_epoch,
                "leaderScheduleSlotOffset": schedule.leader_schedule_slot_offset,
                "warmup": schedule.warmup,
                "firstNormalEpoch": schedule.first_normal_epoch,
                "firstNormalSlot": schedule.first_normal_slot,
            }})
        }
        _ => return None,
    };
    Some(ParsedAccount {
        program: "sysvar".into(),
        parsed,
        space: data.len() as u64,
    })
}

/// Encodes `account` as the RPC's `UiAccount`. jsonParsed falls back to base64 for accounts it
/// does not parse, as validators do.
pub fn ui_account(
    account: &Account,
    encoding: UiAccountEncoding,
    slice: Option<UiDataSliceConfig>,
    mint_decimals: &dyn Fn(&Pubkey) -> Option<u8>,
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
        UiAccountEncoding::JsonParsed => {
            match parse_token(account, mint_decimals)
                .or_else(|| parse_nonce(account))
                .or_else(|| parse_sysvar(account))
                .or_else(|| parse_lookup_table(account))
            {
                Some(parsed) => UiAccountData::Json(parsed),
                None => UiAccountData::Binary(
                    BASE64_STANDARD.encode(sliced(&account.data)),
                    UiAccountEncoding::Base64,
                ),
            }
        }
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

    #[test]
    fn parses_token_accounts_and_mints() {
        let mint = Pubkey::new_unique();
        let owner = Pubkey::new_unique();
        let mut data = vec![0u8; 165];
        data[0..32].copy_from_slice(mint.as_ref());
        data[32..64].copy_from_slice(owner.as_ref());
        data[64..72].copy_from_slice(&4_500_000u64.to_le_bytes());
        data[108] = 1;
        let account = Account {
            lamports: 1,
            data,
            owner: spl::TOKEN_PROGRAM_ID,
            executable: false,
            rent_epoch: 0,
        };
        let ui = ui_account(&account, UiAccountEncoding::JsonParsed, None, &|_| Some(6)).unwrap();
        let UiAccountData::Json(parsed) = ui.data else {
            panic!("not parsed")
        };
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
        let ui = ui_account(&other, UiAccountEncoding::JsonParsed, None, &|_| None).unwrap();
        assert_eq!(
            ui.data,
            UiAccountData::Binary("AQID".into(), UiAccountEncoding::Base64)
        );
        let ui = ui_account(
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
