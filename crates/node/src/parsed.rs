//! `jsonParsed` instructions, as validators parse them: System, SPL Token / Token-2022,
//! Associated Token Account and Memo (v1 and v2). Any other instruction, or one these parsers
//! do not recognize, is answered partially decoded (`{programId, accounts, data, stackHeight}`).
//!
//! Written by hand rather than through `solana-transaction-status`: that crate would bring
//! spl-token-2022, the vote program and more into the node's dependency tree for these few small
//! layouts.

use serde_json::{json, Map, Value};
use solana_program::pubkey::Pubkey;

use crate::encoding::token_amount;
use leash_sdk::spl;

const SYSTEM: Pubkey = solana_program::pubkey!("11111111111111111111111111111111");
const ATA: Pubkey = solana_program::pubkey!("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL");
pub const MEMO_V1: Pubkey = solana_program::pubkey!("Memo1UhkJRfHyvLMcVucJwxXeuD728EqVDDwQDxFMNo");
pub const MEMO_V2: Pubkey = solana_program::pubkey!("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr");

/// One instruction as jsonParsed shows it; `accounts` are the instruction's account addresses.
pub fn parse_instruction(
    program_id: &Pubkey,
    accounts: &[Pubkey],
    data: &[u8],
    stack_height: Option<u32>,
) -> Value {
    let parsed = if *program_id == SYSTEM {
        parse_system(accounts, data).map(|p| ("system", p))
    } else if *program_id == spl::TOKEN_PROGRAM_ID || *program_id == spl::TOKEN_2022_PROGRAM_ID {
        parse_token(accounts, data).map(|p| ("spl-token", p))
    } else if *program_id == ATA {
        parse_ata(accounts, data).map(|p| ("spl-associated-token-account", p))
    } else if *program_id == MEMO_V1 || *program_id == MEMO_V2 {
        std::str::from_utf8(data)
            .ok()
            .map(|text| ("spl-memo", json!(text)))
    } else {
        None
    };
    match parsed {
        Some((program, parsed)) => json!({
            "program": program,
            "programId": program_id.to_string(),
            "parsed": parsed,
            "stackHeight": stack_height,
        }),
        None => json!({
            "programId": program_id.to_string(),
            "accounts": accounts.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
            "data": bs58::encode(data).into_string(),
            "stackHeight": stack_height,
        }),
    }
}

/// The `memo` of `getSignaturesForAddress`: each top-level memo instruction of the transaction
/// (`bincode` of a `VersionedTransaction`) as `[length] text`, joined by `; `, as validators.
pub fn memo(transaction: &[u8]) -> Option<String> {
    let tx: solana_transaction::versioned::VersionedTransaction =
        bincode::deserialize(transaction).ok()?;
    let keys = tx.message.static_account_keys();
    let memos: Vec<String> = tx
        .message
        .instructions()
        .iter()
        .filter(|ix| {
            keys.get(usize::from(ix.program_id_index))
                .is_some_and(|p| *p == MEMO_V1 || *p == MEMO_V2)
        })
        .map(|ix| {
            let text = std::str::from_utf8(&ix.data).unwrap_or("(unparseable)");
            format!("[{}] {text}", ix.data.len())
        })
        .collect();
    (!memos.is_empty()).then(|| memos.join("; "))
}

/// A little-endian reader over instruction data.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .map(|b| u32::from_le_bytes(b.try_into().unwrap_or_default()))
    }
    fn u64(&mut self) -> Option<u64> {
        self.take(8)
            .map(|b| u64::from_le_bytes(b.try_into().unwrap_or_default()))
    }
    fn pubkey(&mut self) -> Option<String> {
        self.take(32)
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .map(|b| Pubkey::new_from_array(b).to_string())
    }
    /// bincode's String: u64 length, then UTF-8.
    fn string(&mut self) -> Option<String> {
        let len = usize::try_from(self.u64()?).ok()?;
        let bytes = self.take(len)?;
        String::from_utf8(bytes.to_vec()).ok()
    }
    /// spl-token's COption<Pubkey> in instruction data: a 1-byte tag, then the key if 1.
    fn option_pubkey(&mut self) -> Option<Option<String>> {
        match self.u8()? {
            0 => Some(None),
            1 => Some(Some(self.pubkey()?)),
            _ => None,
        }
    }
}

fn typed(kind: &str, info: Value) -> Option<Value> {
    Some(json!({"type": kind, "info": info}))
}

/// `accounts[i]` as a string, or `None` when the instruction has too few accounts.
fn key(accounts: &[Pubkey], i: usize) -> Option<String> {
    accounts.get(i).map(|k| k.to_string())
}

fn parse_system(accounts: &[Pubkey], data: &[u8]) -> Option<Value> {
    let mut r = Reader(data);
    let a = |i| key(accounts, i);
    match r.u32()? {
        0 => typed(
            "createAccount",
            json!({"source": a(0)?, "newAccount": a(1)?, "lamports": r.u64()?,
                   "space": r.u64()?, "owner": r.pubkey()?}),
        ),
        1 => typed("assign", json!({"account": a(0)?, "owner": r.pubkey()?})),
        2 => typed(
            "transfer",
            json!({"source": a(0)?, "destination": a(1)?, "lamports": r.u64()?}),
        ),
        3 => {
            let base = r.pubkey()?;
            let seed = r.string()?;
            typed(
                "createAccountWithSeed",
                json!({"source": a(0)?, "newAccount": a(1)?, "base": base, "seed": seed,
                       "lamports": r.u64()?, "space": r.u64()?, "owner": r.pubkey()?}),
            )
        }
        4 => typed(
            "advanceNonce",
            json!({"nonceAccount": a(0)?, "recentBlockhashesSysvar": a(1)?,
                   "nonceAuthority": a(2)?}),
        ),
        5 => typed(
            "withdrawFromNonce",
            json!({"nonceAccount": a(0)?, "destination": a(1)?,
                   "recentBlockhashesSysvar": a(2)?, "rentSysvar": a(3)?,
                   "nonceAuthority": a(4)?, "lamports": r.u64()?}),
        ),
        6 => typed(
            "initializeNonce",
            json!({"nonceAccount": a(0)?, "recentBlockhashesSysvar": a(1)?,
                   "rentSysvar": a(2)?, "nonceAuthority": r.pubkey()?}),
        ),
        7 => typed(
            "authorizeNonce",
            json!({"nonceAccount": a(0)?, "nonceAuthority": a(1)?,
                   "newAuthorized": r.pubkey()?}),
        ),
        8 => typed("allocate", json!({"account": a(0)?, "space": r.u64()?})),
        9 => {
            let base = r.pubkey()?;
            let seed = r.string()?;
            typed(
                "allocateWithSeed",
                json!({"account": a(0)?, "base": base, "seed": seed, "space": r.u64()?,
                       "owner": r.pubkey()?}),
            )
        }
        10 => {
            let base = r.pubkey()?;
            let seed = r.string()?;
            typed(
                "assignWithSeed",
                json!({"account": a(0)?, "base": base, "seed": seed, "owner": r.pubkey()?}),
            )
        }
        11 => {
            let lamports = r.u64()?;
            let seed = r.string()?;
            typed(
                "transferWithSeed",
                json!({"source": a(0)?, "sourceBase": a(1)?, "destination": a(2)?,
                       "lamports": lamports, "sourceSeed": seed, "sourceOwner": r.pubkey()?}),
            )
        }
        12 => typed("upgradeNonce", json!({"nonceAccount": a(0)?})),
        _ => None,
    }
}

/// The authority of a token instruction at `index`: a single signer, or a multisig followed by
/// its signers (`multisig<Name>` and `signers`), as validators show it.
fn authority(info: &mut Map<String, Value>, accounts: &[Pubkey], index: usize, name: &str) {
    let Some(authority) = accounts.get(index) else {
        return;
    };
    if accounts.len() > index + 1 {
        let mut multisig = String::from("multisig");
        let mut chars = name.chars();
        if let Some(first) = chars.next() {
            multisig.extend(first.to_uppercase());
            multisig.push_str(chars.as_str());
        }
        info.insert(multisig, json!(authority.to_string()));
        let signers: Vec<String> = accounts[index + 1..]
            .iter()
            .map(|k| k.to_string())
            .collect();
        info.insert("signers".into(), json!(signers));
    } else {
        info.insert(name.into(), json!(authority.to_string()));
    }
}

const AUTHORITY_TYPES: [&str; 17] = [
    "mintTokens",
    "freezeAccount",
    "accountOwner",
    "closeAccount",
    "transferFeeConfig",
    "withheldWithdraw",
    "closeMint",
    "interestRate",
    "permanentDelegate",
    "confidentialTransferMint",
    "transferHookProgramId",
    "confidentialTransferFeeConfig",
    "metadataPointer",
    "groupPointer",
    "groupMemberPointer",
    "scaledUiAmount",
    "pause",
];

/// Token-2022's extension types by number, as validators name them.
const EXTENSION_TYPES: [&str; 28] = [
    "uninitialized",
    "transferFeeConfig",
    "transferFeeAmount",
    "mintCloseAuthority",
    "confidentialTransferMint",
    "confidentialTransferAccount",
    "defaultAccountState",
    "immutableOwner",
    "memoTransfer",
    "nonTransferable",
    "interestBearingConfig",
    "cpiGuard",
    "permanentDelegate",
    "nonTransferableAccount",
    "transferHook",
    "transferHookAccount",
    "confidentialTransferFeeConfig",
    "confidentialTransferFeeAmount",
    "metadataPointer",
    "tokenMetadata",
    "groupPointer",
    "tokenGroup",
    "groupMemberPointer",
    "tokenGroupMember",
    "confidentialMintBurn",
    "scaledUiAmountConfig",
    "pausableConfig",
    "pausableAccount",
];

fn parse_token(accounts: &[Pubkey], data: &[u8]) -> Option<Value> {
    let mut r = Reader(data);
    let a = |i| key(accounts, i);
    let tag = r.u8()?;
    // (type, fixed accounts as (name, index), the authority's (index, name) if any, extra info)
    let (kind, mut info, signer): (&str, Map<String, Value>, Option<(usize, &str)>) = match tag {
        0 | 20 => {
            let decimals = r.u8()?;
            let mint_authority = r.pubkey()?;
            let freeze = r.option_pubkey()?;
            let mut info = obj(json!({"mint": a(0)?, "decimals": decimals,
                                      "mintAuthority": mint_authority}));
            if let Some(freeze) = freeze {
                info.insert("freezeAuthority".into(), json!(freeze));
            }
            if tag == 0 {
                info.insert("rentSysvar".into(), json!(a(1)?));
                ("initializeMint", info, None)
            } else {
                ("initializeMint2", info, None)
            }
        }
        1 => (
            "initializeAccount",
            obj(json!({"account": a(0)?, "mint": a(1)?, "owner": a(2)?, "rentSysvar": a(3)?})),
            None,
        ),
        2 => {
            let m = r.u8()?;
            let signers: Vec<String> = accounts.iter().skip(2).map(|k| k.to_string()).collect();
            (
                "initializeMultisig",
                obj(json!({"multisig": a(0)?, "rentSysvar": a(1)?, "signers": signers, "m": m})),
                None,
            )
        }
        3 => (
            "transfer",
            obj(json!({"source": a(0)?, "destination": a(1)?, "amount": r.u64()?.to_string()})),
            Some((2, "authority")),
        ),
        4 => (
            "approve",
            obj(json!({"source": a(0)?, "delegate": a(1)?, "amount": r.u64()?.to_string()})),
            Some((2, "owner")),
        ),
        5 => ("revoke", obj(json!({"source": a(0)?})), Some((1, "owner"))),
        6 => {
            let kind = *AUTHORITY_TYPES.get(usize::from(r.u8()?))?;
            let new_authority = r.option_pubkey()?;
            let target = if matches!(kind, "accountOwner" | "closeAccount") {
                "account"
            } else {
                "mint"
            };
            let mut info = Map::new();
            info.insert(target.into(), json!(a(0)?));
            info.insert("authorityType".into(), json!(kind));
            info.insert("newAuthority".into(), json!(new_authority));
            ("setAuthority", info, Some((1, "authority")))
        }
        7 => (
            "mintTo",
            obj(json!({"mint": a(0)?, "account": a(1)?, "amount": r.u64()?.to_string()})),
            Some((2, "mintAuthority")),
        ),
        8 => (
            "burn",
            obj(json!({"account": a(0)?, "mint": a(1)?, "amount": r.u64()?.to_string()})),
            Some((2, "authority")),
        ),
        9 => (
            "closeAccount",
            obj(json!({"account": a(0)?, "destination": a(1)?})),
            Some((2, "owner")),
        ),
        10 | 11 => (
            if tag == 10 {
                "freezeAccount"
            } else {
                "thawAccount"
            },
            obj(json!({"account": a(0)?, "mint": a(1)?})),
            Some((2, "freezeAuthority")),
        ),
        12..=15 => {
            let amount = token_amount(r.u64()?, r.u8()?);
            match tag {
                12 => (
                    "transferChecked",
                    obj(json!({"source": a(0)?, "mint": a(1)?, "destination": a(2)?,
                               "tokenAmount": amount})),
                    Some((3, "authority")),
                ),
                13 => (
                    "approveChecked",
                    obj(json!({"source": a(0)?, "mint": a(1)?, "delegate": a(2)?,
                               "tokenAmount": amount})),
                    Some((3, "owner")),
                ),
                14 => (
                    "mintToChecked",
                    obj(json!({"mint": a(0)?, "account": a(1)?, "tokenAmount": amount})),
                    Some((2, "mintAuthority")),
                ),
                _ => (
                    "burnChecked",
                    obj(json!({"account": a(0)?, "mint": a(1)?, "tokenAmount": amount})),
                    Some((2, "authority")),
                ),
            }
        }
        16 => (
            "initializeAccount2",
            obj(
                json!({"account": a(0)?, "mint": a(1)?, "owner": r.pubkey()?,
                       "rentSysvar": a(2)?}),
            ),
            None,
        ),
        17 => ("syncNative", obj(json!({"account": a(0)?})), None),
        18 => (
            "initializeAccount3",
            obj(json!({"account": a(0)?, "mint": a(1)?, "owner": r.pubkey()?})),
            None,
        ),
        21 => {
            // Token-2022 may list extension types (u16 each) to size the account for.
            let mut info = obj(json!({"mint": a(0)?}));
            if !r.0.is_empty() {
                let types: Vec<&str> =
                    r.0.chunks(2)
                        .map(|c| {
                            let n = u16::from_le_bytes(c.try_into().ok()?);
                            EXTENSION_TYPES.get(usize::from(n)).copied()
                        })
                        .collect::<Option<_>>()?;
                info.insert("extensionTypes".into(), json!(types));
            }
            ("getAccountDataSize", info, None)
        }
        22 => (
            "initializeImmutableOwner",
            obj(json!({"account": a(0)?})),
            None,
        ),
        19 => {
            let m = r.u8()?;
            let signers: Vec<String> = accounts.iter().skip(1).map(|k| k.to_string()).collect();
            (
                "initializeMultisig2",
                obj(json!({"multisig": a(0)?, "signers": signers, "m": m})),
                None,
            )
        }
        23 => (
            "amountToUiAmount",
            obj(json!({"mint": a(0)?, "amount": r.u64()?.to_string()})),
            None,
        ),
        24 => {
            let ui_amount = std::str::from_utf8(r.0).ok()?;
            (
                "uiAmountToAmount",
                obj(json!({"mint": a(0)?, "uiAmount": ui_amount})),
                None,
            )
        }
        25 => (
            "initializeMintCloseAuthority",
            obj(json!({"mint": a(0)?, "newAuthority": r.option_pubkey()?})),
            None,
        ),
        // Extensions whose instruction is one more byte: enable (0) or disable (1).
        30 | 34 => {
            let kind = match (tag, r.u8()?) {
                (30, 0) => "enableRequiredMemoTransfers",
                (30, 1) => "disableRequiredMemoTransfers",
                (_, 0) => "enableCpiGuard",
                (_, 1) => "disableCpiGuard",
                _ => return None,
            };
            (kind, obj(json!({"account": a(0)?})), Some((1, "owner")))
        }
        31 => (
            "createNativeMint",
            obj(json!({"payer": a(0)?, "nativeMint": a(1)?, "systemProgram": a(2)?})),
            None,
        ),
        32 => (
            "initializeNonTransferableMint",
            obj(json!({"mint": a(0)?})),
            None,
        ),
        35 => (
            "initializePermanentDelegate",
            obj(json!({"mint": a(0)?, "delegate": r.pubkey()?})),
            None,
        ),
        38 => (
            "withdrawExcessLamports",
            obj(json!({"source": a(0)?, "destination": a(1)?})),
            Some((2, "authority")),
        ),
        _ => return None,
    };
    if let Some((index, name)) = signer {
        accounts.get(index)?;
        authority(&mut info, accounts, index, name);
    }
    typed(kind, Value::Object(info))
}

fn obj(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn parse_ata(accounts: &[Pubkey], data: &[u8]) -> Option<Value> {
    let a = |i| key(accounts, i);
    let create = |kind: &str| {
        typed(
            kind,
            json!({"source": a(0)?, "account": a(1)?, "wallet": a(2)?, "mint": a(3)?,
                   "systemProgram": a(4)?, "tokenProgram": a(5)?}),
        )
    };
    match data.first() {
        None | Some(0) if data.len() <= 1 => create("create"),
        Some(1) if data.len() == 1 => create("createIdempotent"),
        Some(2) if data.len() == 1 => typed(
            "recoverNested",
            json!({"nestedSource": a(0)?, "nestedMint": a(1)?, "destination": a(2)?,
                   "nestedOwner": a(3)?, "ownerMint": a(4)?, "wallet": a(5)?,
                   "tokenProgram": a(6)?}),
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_system_token_ata_and_memo() {
        let (from, to) = (Pubkey::new_unique(), Pubkey::new_unique());
        let ix = solana_system_interface::instruction::transfer(&from, &to, 42);
        let v = parse_instruction(&ix.program_id, &[from, to], &ix.data, None);
        assert_eq!(v["program"], "system");
        assert_eq!(v["parsed"]["type"], "transfer");
        assert_eq!(v["parsed"]["info"]["lamports"], 42);
        assert_eq!(v["parsed"]["info"]["destination"], to.to_string());
        assert!(v["stackHeight"].is_null());

        let (mint, owner) = (Pubkey::new_unique(), Pubkey::new_unique());
        let mut data = vec![12];
        data.extend_from_slice(&1_500_000u64.to_le_bytes());
        data.push(6);
        let v = parse_instruction(
            &spl::TOKEN_2022_PROGRAM_ID,
            &[from, mint, to, owner],
            &data,
            Some(2),
        );
        assert_eq!(v["program"], "spl-token");
        assert_eq!(v["parsed"]["type"], "transferChecked");
        assert_eq!(v["parsed"]["info"]["authority"], owner.to_string());
        assert_eq!(v["parsed"]["info"]["tokenAmount"]["uiAmountString"], "1.5");
        assert_eq!(v["stackHeight"], 2);

        // A multisig authority.
        let signer = Pubkey::new_unique();
        let mut data = vec![3];
        data.extend_from_slice(&7u64.to_le_bytes());
        let v = parse_instruction(
            &spl::TOKEN_PROGRAM_ID,
            &[from, to, owner, signer],
            &data,
            None,
        );
        assert_eq!(v["parsed"]["info"]["multisigAuthority"], owner.to_string());
        assert_eq!(v["parsed"]["info"]["signers"][0], signer.to_string());
        assert_eq!(v["parsed"]["info"]["amount"], "7");

        let ata = spl::create_associated_token_account_idempotent(
            &from,
            &owner,
            &mint,
            &spl::TOKEN_PROGRAM_ID,
        );
        let keys: Vec<Pubkey> = ata.accounts.iter().map(|m| m.pubkey).collect();
        let v = parse_instruction(&ata.program_id, &keys, &ata.data, None);
        assert_eq!(v["program"], "spl-associated-token-account");
        assert_eq!(v["parsed"]["type"], "createIdempotent");
        assert_eq!(v["parsed"]["info"]["wallet"], owner.to_string());

        let v = parse_instruction(&MEMO_V2, &[], b"hello", None);
        assert_eq!(v["program"], "spl-memo");
        assert_eq!(v["parsed"], "hello");

        // Unknown programs and unknown instructions are partially decoded.
        let other = Pubkey::new_unique();
        let v = parse_instruction(&other, &[from], &[1, 2, 3], Some(1));
        assert_eq!(v["programId"], other.to_string());
        assert_eq!(v["data"], bs58::encode([1, 2, 3]).into_string());
        assert_eq!(v["accounts"][0], from.to_string());
        let v = parse_instruction(&spl::TOKEN_PROGRAM_ID, &[mint], &[21], Some(2));
        assert_eq!(v["parsed"]["type"], "getAccountDataSize");
        assert_eq!(v["parsed"]["info"]["mint"], mint.to_string());
        let v = parse_instruction(&spl::TOKEN_2022_PROGRAM_ID, &[mint], &[21, 7, 0], None);
        assert_eq!(
            v["parsed"]["info"]["extensionTypes"],
            json!(["immutableOwner"])
        );
        let v = parse_instruction(&spl::TOKEN_PROGRAM_ID, &[from], &[99], None);
        assert!(v.get("parsed").is_none());
    }

    /// Token-2022's single-purpose instructions, in the shapes Agave gives them.
    #[test]
    fn parses_token_2022_instructions() {
        let (mint, account, owner) = (
            Pubkey::new_unique(),
            Pubkey::new_unique(),
            Pubkey::new_unique(),
        );
        let token = spl::TOKEN_2022_PROGRAM_ID;
        let parsed = |accounts: &[Pubkey], data: &[u8]| {
            parse_instruction(&token, accounts, data, None)["parsed"].clone()
        };
        let mut data = vec![23];
        data.extend_from_slice(&1_500u64.to_le_bytes());
        assert_eq!(
            parsed(&[mint], &data),
            json!({"type": "amountToUiAmount", "info": {"mint": mint.to_string(), "amount": "1500"}})
        );
        assert_eq!(
            parsed(&[mint], b"\x181.5"),
            json!({"type": "uiAmountToAmount", "info": {"mint": mint.to_string(), "uiAmount": "1.5"}})
        );
        let mut data = vec![25, 1];
        data.extend_from_slice(owner.as_ref());
        assert_eq!(
            parsed(&[mint], &data),
            json!({"type": "initializeMintCloseAuthority",
                   "info": {"mint": mint.to_string(), "newAuthority": owner.to_string()}})
        );
        assert_eq!(
            parsed(&[mint], &[25, 0])["info"]["newAuthority"],
            Value::Null
        );
        assert_eq!(
            parsed(&[account, owner], &[30, 0]),
            json!({"type": "enableRequiredMemoTransfers",
                   "info": {"account": account.to_string(), "owner": owner.to_string()}})
        );
        assert_eq!(
            parsed(&[account, owner], &[34, 1])["type"],
            "disableCpiGuard"
        );
        assert_eq!(parsed(&[account, owner], &[34, 2]), Value::Null);
        let mut data = vec![35];
        data.extend_from_slice(owner.as_ref());
        assert_eq!(
            parsed(&[mint], &data)["info"]["delegate"],
            owner.to_string()
        );
        assert_eq!(
            parsed(&[mint], &[32])["type"],
            "initializeNonTransferableMint"
        );
        let signer = Pubkey::new_unique();
        let withdraw = parsed(&[account, owner, mint, signer], &[38]);
        assert_eq!(withdraw["info"]["multisigAuthority"], mint.to_string());
        assert_eq!(withdraw["info"]["signers"], json!([signer.to_string()]));
    }
}
