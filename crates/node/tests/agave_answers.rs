//! Answers that must be Agave's own (docs/node.md, "Differences from Agave"): methods a bot
//! calls that the node once lacked, and refusals Agave gives as JSON-RPC errors rather than
//! results — each as `solana-test-validator` 3.0.14 answers it.

mod common;

use base64::{prelude::BASE64_STANDARD, Engine};
use common::{config, funded, rpc_call, rpc_result, send, start_with, SOL};
use leash_sdk::spl;
use serde_json::json;
use solana_keypair::Keypair;
use solana_message::Message;
use solana_program::pubkey::Pubkey;
use solana_signer::Signer;
use solana_transaction::Transaction;

#[test]
fn token_accounts_by_delegate_inflation_rate_and_no_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let (node, client) = start_with(config(dir.path(), true, false));
    let owner = funded(&client, 2 * SOL);
    let delegate = Keypair::new().pubkey();
    let tokens = rpc_result(&node.url, "leash_getTokenList", json!([]));
    let usdc: Pubkey = tokens[0]["mint"].as_str().unwrap().parse().unwrap();
    let minted = rpc_result(
        &node.url,
        "leash_mintTokens",
        json!([owner.pubkey().to_string(), "USDC", 5_000_000u64]),
    );
    assert!(client
        .confirm_transaction(&minted.as_str().unwrap().parse().unwrap())
        .unwrap());
    let account = spl::associated_token_address(&owner.pubkey(), &usdc, &spl::TOKEN_PROGRAM_ID);
    send(
        &client,
        &[spl::approve(
            &spl::TOKEN_PROGRAM_ID,
            &account,
            &delegate,
            &owner.pubkey(),
            1_000_000,
        )],
        &owner,
        &[],
    );

    let by_delegate = rpc_result(
        &node.url,
        "getTokenAccountsByDelegate",
        json!([delegate.to_string(), {"mint": usdc.to_string()}, {"encoding": "jsonParsed"}]),
    );
    let listed = by_delegate["value"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{by_delegate}");
    assert_eq!(listed[0]["pubkey"], account.to_string());
    let info = &listed[0]["account"]["data"]["parsed"]["info"];
    assert_eq!(info["delegate"], delegate.to_string());
    assert_eq!(info["delegatedAmount"]["amount"], "1000000");
    // The owner is not a delegate of anything.
    let none = rpc_result(
        &node.url,
        "getTokenAccountsByDelegate",
        json!([owner.pubkey().to_string(), {"programId": spl::TOKEN_PROGRAM_ID.to_string()}]),
    );
    assert_eq!(none["value"], json!([]));

    let rate = rpc_result(&node.url, "getInflationRate", json!([]));
    // Epoch 0 of the default schedule, as solana-test-validator 3.0.14 answers it.
    assert_eq!(
        (&rate["total"], &rate["foundation"], &rate["validator"]),
        (&json!(0.08), &json!(0.004), &json!(0.076)),
        "{rate}"
    );
    for key in ["epoch", "foundation", "total", "validator"] {
        assert!(rate.get(key).is_some(), "{key}: {rate}");
    }
    let snapshot = rpc_call(&node.url, "getHighestSnapshotSlot", json!([]));
    assert_eq!(snapshot["error"]["code"], -32008, "{snapshot}");
    assert_eq!(snapshot["error"]["message"], "No snapshot");
}

#[test]
fn refusals_agave_gives_as_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (node, client) = start_with(config(dir.path(), true, false));
    let payer = funded(&client, 2 * SOL);
    let signature = send(
        &client,
        &[solana_system_interface::instruction::transfer(
            &payer.pubkey(),
            &Pubkey::new_unique(),
            SOL / 10,
        )],
        &payer,
        &[],
    );

    // Reads of history below `confirmed` are refused, not answered.
    for (method, params) in [
        (
            "getTransaction",
            json!([signature.to_string(), {"commitment": "processed"}]),
        ),
        ("getBlock", json!([1, {"commitment": "processed"}])),
        ("getBlocks", json!([0, null, {"commitment": "processed"}])),
        (
            "getSignaturesForAddress",
            json!([payer.pubkey().to_string(), {"commitment": "processed"}]),
        ),
    ] {
        let refused = rpc_call(&node.url, method, params);
        assert_eq!(refused["error"]["code"], -32602, "{method}: {refused}");
        assert_eq!(
            refused["error"]["message"],
            "Method does not support commitment below `confirmed`"
        );
    }
    let confirmed = rpc_result(
        &node.url,
        "getTransaction",
        json!([signature.to_string(), {"commitment": "confirmed"}]),
    );
    assert!(confirmed["slot"].is_u64(), "{confirmed}");
    // A legacy transaction read without maxSupportedTransactionVersion carries no `version`;
    // top-level instructions are at stack height 1.
    assert!(confirmed.get("version").is_none(), "{confirmed}");
    assert_eq!(
        confirmed["transaction"]["message"]["instructions"][0]["stackHeight"],
        1
    );
    let parsed = rpc_result(
        &node.url,
        "getTransaction",
        json!([signature.to_string(), {"commitment": "confirmed", "encoding": "jsonParsed", "maxSupportedTransactionVersion": 0}]),
    );
    assert_eq!(parsed["version"], "legacy", "{parsed}");
    assert_eq!(
        parsed["transaction"]["message"]["instructions"][0]["stackHeight"],
        1
    );

    // simulateTransaction with sigVerify: a bad signature is -32003, as on Agave (web3.js
    // throws it), not a simulated `SignatureFailure`.
    let blockhash = client.get_latest_blockhash().unwrap();
    let mut tx = Transaction::new(
        &[&payer],
        Message::new(
            &[solana_system_interface::instruction::transfer(
                &payer.pubkey(),
                &Pubkey::new_unique(),
                SOL / 10,
            )],
            Some(&payer.pubkey()),
        ),
        blockhash,
    );
    tx.signatures[0] = Keypair::new().sign_message(b"not this message");
    let wire = BASE64_STANDARD.encode(bincode::serialize(&tx).unwrap());
    let refused = rpc_call(
        &node.url,
        "simulateTransaction",
        json!([wire, {"encoding": "base64", "sigVerify": true}]),
    );
    assert_eq!(refused["error"]["code"], -32003, "{refused}");
    // Without sigVerify the same bytes simulate (the signature is not checked).
    let simulated = rpc_result(
        &node.url,
        "simulateTransaction",
        json!([wire, {"encoding": "base64"}]),
    );
    assert!(simulated["value"]["err"].is_null(), "{simulated}");
}

/// `ComputeBudget::SetComputeUnitLimit` and `SetComputeUnitPrice`.
fn budget(
    limit: Option<u32>,
    micro_lamports: u64,
) -> Vec<solana_program::instruction::Instruction> {
    let program = leash_sdk::names::COMPUTE_BUDGET_PROGRAM_ID;
    let mut ixs = Vec::new();
    if let Some(limit) = limit {
        let mut data = vec![2];
        data.extend_from_slice(&limit.to_le_bytes());
        ixs.push(solana_program::instruction::Instruction::new_with_bytes(
            program,
            &data,
            vec![],
        ));
    }
    let mut data = vec![3];
    data.extend_from_slice(&micro_lamports.to_le_bytes());
    ixs.push(solana_program::instruction::Instruction::new_with_bytes(
        program,
        &data,
        vec![],
    ));
    ixs
}

#[test]
fn the_fee_for_a_message_counts_its_priority_as_the_runtime_charges_it() {
    let dir = tempfile::tempdir().unwrap();
    let (node, client) = start_with(config(dir.path(), true, false));
    let payer = funded(&client, 2 * SOL);
    let transfer = solana_system_interface::instruction::transfer(
        &payer.pubkey(),
        &Pubkey::new_unique(),
        SOL / 10,
    );
    // 10 000 µlamports × 50 000 CU = 500 lamports over the 5 000 of the signature.
    let blockhash = client.get_latest_blockhash().unwrap();
    let mut ixs = budget(Some(50_000), 10_000);
    ixs.push(transfer.clone());
    let message = Message::new_with_blockhash(&ixs, Some(&payer.pubkey()), &blockhash);
    assert_eq!(client.get_fee_for_message(&message).unwrap(), 5_500);

    // Without a limit the runtime's default applies: what the node predicts is what it charges.
    let mut ixs = budget(None, 1_000_000);
    ixs.push(transfer);
    let message = Message::new_with_blockhash(&ixs, Some(&payer.pubkey()), &blockhash);
    let predicted = client.get_fee_for_message(&message).unwrap();
    assert!(predicted > 5_000, "{predicted}");
    let tx = Transaction::new(&[&payer], message, blockhash);
    let signature = client.send_and_confirm_transaction(&tx).unwrap();
    let landed = rpc_result(
        &node.url,
        "getTransaction",
        json!([signature.to_string(), {"commitment": "confirmed", "encoding": "json"}]),
    );
    assert_eq!(landed["meta"]["fee"], json!(predicted), "{landed}");
    // The cost model's units, as Agave records them: one signature (720), two write locks
    // (600), 21 bytes of instruction data (5), 300 compute units, one page of loaded data (8).
    assert_eq!(landed["meta"]["costUnits"], json!(1_633), "{landed}");
}

#[test]
fn recent_prioritization_fees_are_the_prices_paid() {
    let dir = tempfile::tempdir().unwrap();
    let (node, client) = start_with(config(dir.path(), true, false));
    let payer = funded(&client, 2 * SOL);
    let hot = Pubkey::new_unique();
    let mut ixs = budget(Some(10_000), 7_777);
    ixs.push(solana_system_interface::instruction::transfer(
        &payer.pubkey(),
        &hot,
        SOL / 10,
    ));
    let signature = send(&client, &ixs, &payer, &[]);
    let slot = client
        .get_transaction(
            &signature,
            solana_transaction_status_client_types::UiTransactionEncoding::Json,
        )
        .unwrap()
        .slot;
    let fees = rpc_result(
        &node.url,
        "getRecentPrioritizationFees",
        json!([[hot.to_string()]]),
    );
    let in_slot = fees
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["slot"] == json!(slot))
        .unwrap_or_else(|| panic!("slot {slot} in {fees}"));
    assert_eq!(in_slot["prioritizationFee"], 7_777, "{fees}");
    // Unfiltered, a block answers the lowest price any of its transactions paid: at most 7 777
    // (the faucet's airdrop pays none, and may share the block).
    let all = rpc_result(&node.url, "getRecentPrioritizationFees", json!([]));
    let block = all
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["slot"] == json!(slot))
        .unwrap();
    assert!(
        block["prioritizationFee"].as_u64().unwrap() <= 7_777,
        "{all}"
    );
    // An account no transaction wrote adds nothing to the block's figure. Slot by slot: a
    // block may be produced between the two calls (the node keeps making slots).
    let other = rpc_result(
        &node.url,
        "getRecentPrioritizationFees",
        json!([[Pubkey::new_unique().to_string()]]),
    );
    let fee_of = |answer: &serde_json::Value, slot: &serde_json::Value| {
        answer
            .as_array()
            .unwrap()
            .iter()
            .find(|f| &f["slot"] == slot)
            .map(|f| f["prioritizationFee"].clone())
    };
    let mut common = 0;
    for entry in all.as_array().unwrap() {
        if let Some(fee) = fee_of(&other, &entry["slot"]) {
            assert_eq!(fee, entry["prioritizationFee"], "{all} vs {other}");
            common += 1;
        }
    }
    assert!(common > 0, "{all} vs {other}");
}

#[test]
fn sysvars_read_as_json_parsed() {
    let dir = tempfile::tempdir().unwrap();
    let (node, _client) = start_with(config(dir.path(), true, false));
    let clock = rpc_result(
        &node.url,
        "getAccountInfo",
        json!(["SysvarC1ock11111111111111111111111111111111", {"encoding": "jsonParsed"}]),
    );
    let data = &clock["value"]["data"];
    assert_eq!(data["program"], "sysvar", "{clock}");
    assert_eq!(data["parsed"]["type"], "clock");
    let info = &data["parsed"]["info"];
    for key in [
        "slot",
        "epoch",
        "epochStartTimestamp",
        "leaderScheduleEpoch",
        "unixTimestamp",
    ] {
        assert!(info[key].is_i64() || info[key].is_u64(), "{key}: {info}");
    }
    let schedule = rpc_result(
        &node.url,
        "getAccountInfo",
        json!(["SysvarEpochSchedu1e111111111111111111111111", {"encoding": "jsonParsed"}]),
    );
    let data = &schedule["value"]["data"];
    assert_eq!(data["parsed"]["type"], "epochSchedule", "{schedule}");
    assert_eq!(data["parsed"]["info"]["slotsPerEpoch"], 432_000);
    let rent = rpc_result(
        &node.url,
        "getAccountInfo",
        json!(["SysvarRent111111111111111111111111111111111", {"encoding": "jsonParsed"}]),
    );
    let data = &rent["value"]["data"];
    assert_eq!(data["parsed"]["type"], "rent", "{rent}");
    // The layout of the runtime this node runs (apiVersion 4.2): one price per byte.
    assert_eq!(data["parsed"]["info"]["lamportsPerByte"], "6960", "{rent}");
}

/// Address lookup tables can be created and extended: SlotHashes follows the node's slots, so
/// a table's creation slot is a recent one.
#[test]
fn lookup_tables_can_be_created_and_extended() {
    use solana_address_lookup_table_interface::instruction as alt;
    let dir = tempfile::tempdir().unwrap();
    let (_node, client) = start_with(config(dir.path(), true, false));
    let authority = funded(&client, 2 * SOL);
    std::thread::sleep(std::time::Duration::from_millis(150));
    let recent_slot = client.get_slot().unwrap().saturating_sub(1);
    let (create, table) =
        alt::create_lookup_table(authority.pubkey(), authority.pubkey(), recent_slot);
    send(&client, &[create], &authority, &[]);
    let members: Vec<Pubkey> = (0..3).map(|_| Pubkey::new_unique()).collect();
    send(
        &client,
        &[alt::extend_lookup_table(
            table,
            authority.pubkey(),
            Some(authority.pubkey()),
            members.clone(),
        )],
        &authority,
        &[],
    );
    let account = client.get_account(&table).unwrap();
    // 56 bytes of metadata, then the addresses.
    assert_eq!(account.data.len(), 56 + 32 * members.len());
    assert_eq!(&account.data[56..88], members[0].as_ref());
}

/// `simulateTransaction` reports what Agave's does beside the outcome: lamport and token
/// balances before and after (in account-key order), and the loaded-accounts data size the
/// runtime meters (64 bytes plus the data of each account named, plus an upgradeable
/// program's program data). A transaction that fails is charged its fee and nothing else.
#[test]
fn simulations_report_balances_and_the_loaded_data_size() {
    let dir = tempfile::tempdir().unwrap();
    let (node, client) = start_with(config(dir.path(), true, false));
    let owner = funded(&client, 2 * SOL);
    let tokens = rpc_result(&node.url, "leash_getTokenList", json!([]));
    let usdc: Pubkey = tokens[0]["mint"].as_str().unwrap().parse().unwrap();
    let token = spl::TOKEN_PROGRAM_ID;
    let minted = rpc_result(
        &node.url,
        "leash_mintTokens",
        json!([owner.pubkey().to_string(), "USDC", 10_000_000u64]),
    );
    let minted: solana_signature::Signature = minted.as_str().unwrap().parse().unwrap();
    assert!(client.confirm_transaction(&minted).unwrap());
    let recipient = Pubkey::new_unique();
    let (from, to) = (
        spl::associated_token_address(&owner.pubkey(), &usdc, &token),
        spl::associated_token_address(&recipient, &usdc, &token),
    );
    let simulate = |amount: u64| {
        let ixs = [
            spl::create_associated_token_account_idempotent(
                &owner.pubkey(),
                &recipient,
                &usdc,
                &token,
            ),
            spl::transfer(&token, &from, &to, &owner.pubkey(), amount),
        ];
        let blockhash = client.get_latest_blockhash().unwrap();
        let tx = Transaction::new(
            &[&owner],
            Message::new(&ixs, Some(&owner.pubkey())),
            blockhash,
        );
        let wire = BASE64_STANDARD.encode(bincode::serialize(&tx).unwrap());
        let keys = tx.message.account_keys.clone();
        let result = rpc_result(
            &node.url,
            "simulateTransaction",
            json!([wire, {"encoding": "base64"}]),
        );
        (keys, result["value"].clone())
    };
    let (keys, value) = simulate(1_500_000);
    assert!(value["err"].is_null(), "{value}");
    let index = |address: &Pubkey| keys.iter().position(|k| k == address).unwrap();
    let (pre, post) = (&value["preBalances"], &value["postBalances"]);
    assert_eq!(pre.as_array().unwrap().len(), keys.len(), "{value}");
    let rent = client.get_minimum_balance_for_rent_exemption(165).unwrap();
    let fee = value["fee"].as_u64().unwrap();
    assert_eq!(
        pre[0].as_u64().unwrap() - post[0].as_u64().unwrap(),
        fee + rent
    );
    assert_eq!(
        (pre[index(&to)].as_u64(), post[index(&to)].as_u64()),
        (Some(0), Some(rent))
    );
    let balance = |list: &serde_json::Value, address: &Pubkey| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|b| b["accountIndex"] == json!(index(address)))
            .map(|b| {
                b["uiTokenAmount"]["uiAmountString"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
    };
    assert_eq!(
        balance(&value["preTokenBalances"], &from).as_deref(),
        Some("10")
    );
    assert_eq!(
        balance(&value["postTokenBalances"], &from).as_deref(),
        Some("8.5")
    );
    assert_eq!(balance(&value["preTokenBalances"], &to), None);
    assert_eq!(
        balance(&value["postTokenBalances"], &to).as_deref(),
        Some("1.5")
    );

    // The size from the accounts as they stand, by the runtime's rule.
    let upgradeable: Pubkey = "BPFLoaderUpgradeab1e11111111111111111111111"
        .parse()
        .unwrap();
    let mut expected = 0;
    for key in &keys {
        let Ok(account) = client.get_account(key) else {
            continue;
        };
        expected += 64 + account.data.len();
        if account.owner == upgradeable && account.data.len() == 36 && account.data[0] == 2 {
            let program_data = Pubkey::try_from(&account.data[4..36]).unwrap();
            if !keys.contains(&program_data) {
                expected += 64 + client.get_account(&program_data).unwrap().data.len();
            }
        }
    }
    assert_eq!(value["loadedAccountsDataSize"], json!(expected), "{value}");

    // Too much: the transfer fails, the payer is charged the fee, no token moves.
    let (_, value) = simulate(50_000_000);
    assert!(!value["err"].is_null(), "{value}");
    let (pre, post) = (&value["preBalances"], &value["postBalances"]);
    assert_eq!(pre[0].as_u64().unwrap() - post[0].as_u64().unwrap(), fee);
    assert_eq!(
        value["preTokenBalances"], value["postTokenBalances"],
        "{value}"
    );
}

/// The Ed25519 signature-verification instruction with one signature over `message`, its data
/// in the instruction itself (offsets as the precompile reads them).
fn ed25519_verify(signer: &Keypair, message: &[u8]) -> solana_program::instruction::Instruction {
    const HEADER: u16 = 2 + 14;
    let this_instruction = u16::MAX;
    let (pubkey_at, signature_at, message_at) = (HEADER, HEADER + 32, HEADER + 32 + 64);
    let mut data = vec![1u8, 0];
    for field in [
        signature_at,
        this_instruction,
        pubkey_at,
        this_instruction,
        message_at,
        message.len() as u16,
        this_instruction,
    ] {
        data.extend_from_slice(&field.to_le_bytes());
    }
    data.extend_from_slice(signer.pubkey().as_ref());
    data.extend_from_slice(signer.sign_message(message).as_ref());
    data.extend_from_slice(message);
    solana_program::instruction::Instruction::new_with_bytes(
        "Ed25519SigVerify111111111111111111111111111"
            .parse()
            .unwrap(),
        &data,
        vec![],
    )
}

/// The node runs the signature-verification precompiles, as every cluster does: an Ed25519
/// instruction over a good signature passes, one over a forged message fails the transaction.
#[test]
fn precompiles_verify_signatures() {
    let dir = tempfile::tempdir().unwrap();
    let (node, client) = start_with(config(dir.path(), true, false));
    let payer = funded(&client, SOL);
    let signer = Keypair::new();
    send(&client, &[ed25519_verify(&signer, b"leash")], &payer, &[]);
    let mut forged = ed25519_verify(&signer, b"leash");
    let last = forged.data.len() - 1;
    forged.data[last] ^= 1;
    let blockhash = client.get_latest_blockhash().unwrap();
    let tx = Transaction::new(
        &[&payer],
        Message::new(&[forged], Some(&payer.pubkey())),
        blockhash,
    );
    let wire = BASE64_STANDARD.encode(bincode::serialize(&tx).unwrap());
    let simulated = rpc_result(
        &node.url,
        "simulateTransaction",
        json!([wire, {"encoding": "base64"}]),
    );
    assert!(!simulated["value"]["err"].is_null(), "{simulated}");
    // The precompile's account exists, as on a validator.
    let account = rpc_result(
        &node.url,
        "getAccountInfo",
        json!(["Ed25519SigVerify111111111111111111111111111", {"encoding": "base64"}]),
    );
    assert_eq!(
        account["value"]["owner"],
        "NativeLoader1111111111111111111111111111111"
    );
}

/// Balances of a Token-2022 mint with a UI multiplier are shown scaled, as a validator shows
/// them (`getTokenAccountBalance`, `getTokenSupply`, jsonParsed accounts): 1.5 tokens under a
/// multiplier of 2 read as 3.
#[test]
fn balances_follow_the_mints_ui_multiplier() {
    let dir = tempfile::tempdir().unwrap();
    let (node, client) = start_with(config(dir.path(), true, false));
    let payer = funded(&client, 2 * SOL);
    let token = spl::TOKEN_2022_PROGRAM_ID;
    let mint = Keypair::new();
    // Base mint, padding to 165, the account type, one TLV entry: ScaledUiAmountConfig (type
    // 25, 56 bytes: authority, multiplier, the next multiplier's time and value).
    let space = 82 + 83 + 1 + 4 + 56;
    let rent = client
        .get_minimum_balance_for_rent_exemption(space)
        .unwrap();
    let mut initialize_scaled = vec![43u8, 0];
    initialize_scaled.extend_from_slice(payer.pubkey().as_ref());
    initialize_scaled.extend_from_slice(&2.0f64.to_le_bytes());
    let holder = spl::associated_token_address(&payer.pubkey(), &mint.pubkey(), &token);
    send(
        &client,
        &[
            solana_system_interface::instruction::create_account(
                &payer.pubkey(),
                &mint.pubkey(),
                rent,
                space as u64,
                &token,
            ),
            solana_program::instruction::Instruction::new_with_bytes(
                token,
                &initialize_scaled,
                vec![solana_program::instruction::AccountMeta::new(
                    mint.pubkey(),
                    false,
                )],
            ),
            spl::initialize_mint2(&token, &mint.pubkey(), &payer.pubkey(), None, 6),
            spl::create_associated_token_account_idempotent(
                &payer.pubkey(),
                &payer.pubkey(),
                &mint.pubkey(),
                &token,
            ),
            spl::mint_to(&token, &mint.pubkey(), &holder, &payer.pubkey(), 1_500_000),
        ],
        &payer,
        &[&mint],
    );
    let shown = |value: &serde_json::Value| {
        value["uiAmountString"]
            .as_str()
            .and_then(|s| s.parse::<f64>().ok())
    };
    let balance = rpc_result(
        &node.url,
        "getTokenAccountBalance",
        json!([holder.to_string()]),
    );
    assert_eq!(shown(&balance["value"]), Some(3.0), "{balance}");
    assert_eq!(balance["value"]["amount"], "1500000");
    let supply = rpc_result(
        &node.url,
        "getTokenSupply",
        json!([mint.pubkey().to_string()]),
    );
    assert_eq!(shown(&supply["value"]), Some(3.0), "{supply}");
    let parsed = rpc_result(
        &node.url,
        "getAccountInfo",
        json!([holder.to_string(), {"encoding": "jsonParsed"}]),
    );
    let amount = &parsed["value"]["data"]["parsed"]["info"]["tokenAmount"];
    assert_eq!(shown(amount), Some(3.0), "{parsed}");
}
