//! `jsonParsed` instructions, by Agave's own parsers (`solana-transaction-status`, the version
//! of the runtime this node runs): System, SPL Token and Token-2022 (every extension), Associated
//! Token Account, Memo, Address Lookup Table, Stake, Vote and the BPF loaders, exactly as a
//! validator shows them. Any other instruction, or one the parsers do not take, is answered
//! partially decoded (`{programId, accounts, data, stackHeight}`), as a validator does.

use serde_json::{json, Value};
use solana_message::{compiled_instruction::CompiledInstruction, AccountKeys};
use solana_program::pubkey::Pubkey;

pub const MEMO_V1: Pubkey = solana_program::pubkey!("Memo1UhkJRfHyvLMcVucJwxXeuD728EqVDDwQDxFMNo");
pub const MEMO_V2: Pubkey = solana_program::pubkey!("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr");

/// One instruction as jsonParsed shows it; `accounts` are the instruction's account addresses.
pub fn parse_instruction(
    program_id: &Pubkey,
    accounts: &[Pubkey],
    data: &[u8],
    stack_height: Option<u32>,
) -> Value {
    // The parsers read accounts through the message's keys by index: give them the
    // instruction's own, in order, with the program after them.
    let parsed = u8::try_from(accounts.len()).ok().and_then(|count| {
        let mut keys = accounts.to_vec();
        keys.push(*program_id);
        let instruction = CompiledInstruction {
            program_id_index: count,
            accounts: (0..count).collect(),
            data: data.to_vec(),
        };
        solana_transaction_status::parse_instruction::parse(
            program_id,
            &instruction,
            &AccountKeys::new(&keys, None),
            stack_height,
        )
        .ok()
    });
    match parsed {
        Some(parsed) => json!({
            "program": parsed.program,
            "programId": parsed.program_id,
            "parsed": parsed.parsed,
            "stackHeight": parsed.stack_height,
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

#[cfg(test)]
mod tests {
    use super::*;
    use leash_sdk::spl;

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
        // Extension families: DefaultAccountState's Initialize (frozen).
        assert_eq!(
            parsed(&[mint], &[28, 0, 2]),
            json!({"type": "initializeDefaultAccountState",
                   "info": {"mint": mint.to_string(), "accountState": "frozen"}})
        );
    }

    /// The programs beyond tokens a validator parses: lookup tables among them.
    #[test]
    fn parses_lookup_table_instructions() {
        use solana_address_lookup_table_interface::instruction as alt;
        let authority = Pubkey::new_unique();
        let (create, table) = alt::create_lookup_table(authority, authority, 42);
        let keys: Vec<Pubkey> = create.accounts.iter().map(|m| m.pubkey).collect();
        let v = parse_instruction(&create.program_id, &keys, &create.data, Some(1));
        assert_eq!(v["program"], "address-lookup-table", "{v}");
        assert_eq!(v["parsed"]["type"], "createLookupTable");
        assert_eq!(v["parsed"]["info"]["lookupTableAccount"], table.to_string());
        assert_eq!(v["parsed"]["info"]["recentSlot"], 42);
        assert_eq!(v["stackHeight"], 1);
    }
}
