//! The transaction, block and cluster methods through `solana-rpc-client`'s typed calls:
//! jsonParsed transactions (a session's Execute, with its inner SPL transfer), Memo v1 and v2,
//! token balances, blocks, and the single-node cluster answers.

use leash_node::BackgroundNode;
use leash_program::{
    instruction as ix,
    state::{self, Authority, Policy, SpendLimit, UNLIMITED},
};
use leash_sdk::spl;
use serde_json::json;
use solana_message::Message;
use solana_program::{instruction::Instruction, pubkey::Pubkey};
use solana_rpc_client::rpc_client::RpcClient;
use solana_rpc_client_types::config::{
    RpcBlockConfig, RpcLargestAccountsConfig, RpcTransactionConfig,
};
use solana_signer::Signer;
use solana_transaction::Transaction;
use solana_transaction_status_client_types::{
    option_serializer::OptionSerializer, EncodedTransaction, TransactionDetails, UiInstruction,
    UiMessage, UiParsedInstruction, UiTransactionEncoding,
};

mod common;

use common::*;

const MEMO_V1: Pubkey = solana_program::pubkey!("Memo1UhkJRfHyvLMcVucJwxXeuD728EqVDDwQDxFMNo");
const MEMO_V2: Pubkey = solana_program::pubkey!("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr");

fn start(ledger: &std::path::Path) -> (BackgroundNode, RpcClient) {
    start_with(config(ledger, false, true))
}

fn memo(program: Pubkey, text: &str) -> Instruction {
    Instruction::new_with_bytes(program, text.as_bytes(), vec![])
}

/// A session Execute moving 4.5 USDC out of a vault, with a Memo v2 beside it.
#[test]
fn parsed_transactions_inner_instructions_token_balances_and_memos() {
    let dir = tempfile::tempdir().unwrap();
    let (node, client) = start(dir.path());
    let owner = funded(&client, 20 * SOL);
    let tokens = rpc_call(&node.url, "leash_getTokenList", json!([]));
    let usdc: Pubkey = tokens["result"][0]["mint"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let token = spl::TOKEN_PROGRAM_ID;
    let (wallet, _) = state::wallet_address(
        &Authority::Ed25519(owner.pubkey()),
        &[0; 32],
        &leash_program::DEFAULT_ID,
    );
    let (vault, _) = state::vault_address(&wallet, &leash_program::DEFAULT_ID);
    let recipient = Pubkey::new_unique();
    send(
        &client,
        &[
            ix::create_wallet(
                &leash_program::DEFAULT_ID,
                &owner.pubkey(),
                &owner.pubkey(),
                [0; 32],
            ),
            spl::create_associated_token_account_idempotent(
                &owner.pubkey(),
                &recipient,
                &usdc,
                &token,
            ),
        ],
        &owner,
        &[],
    );
    let minted = rpc_call(
        &node.url,
        "leash_mintTokens",
        json!([vault.to_string(), "USDC", 100_000_000u64]),
    );
    let minted: solana_signature::Signature = minted["result"].as_str().unwrap().parse().unwrap();
    assert!(client.confirm_transaction(&minted).unwrap());
    let (vault_usdc, recipient_usdc) = (
        spl::associated_token_address(&vault, &usdc, &token),
        spl::associated_token_address(&recipient, &usdc, &token),
    );
    let key = funded(&client, SOL);
    let policy = Policy {
        program_rules: vec![],
        valid_after: 0,
        valid_until: i64::MAX,
        expiry_slot: 0,
        max_uses: UNLIMITED,
        max_calls_per_tx: 2,
        allowed_programs: vec![token],
        limits: vec![SpendLimit {
            recipients: vec![],
            mint: usdc,
            per_tx: 10_000_000,
            total: 50_000_000,
            period_secs: 0,
            per_period: 0,
        }],
    };
    send(
        &client,
        &[ix::create_session(
            &leash_program::DEFAULT_ID,
            &owner.pubkey(),
            &owner.pubkey(),
            &wallet,
            &key.pubkey(),
            policy,
        )],
        &owner,
        &[],
    );
    let out = spl::transfer(&token, &vault_usdc, &recipient_usdc, &vault, 4_500_000);
    let used = send(
        &client,
        &[
            ix::execute(
                &leash_program::DEFAULT_ID,
                &key.pubkey(),
                &wallet,
                Some(0),
                &[out],
            ),
            memo(MEMO_V2, "paid by a session"),
        ],
        &key,
        &[],
    );

    let tx = client
        .get_transaction_with_config(
            &used,
            RpcTransactionConfig {
                encoding: Some(UiTransactionEncoding::JsonParsed),
                ..Default::default()
            },
        )
        .expect("jsonParsed decodes into solana-rpc-client's types");
    let EncodedTransaction::Json(ui) = &tx.transaction.transaction else {
        panic!("not json: {:?}", tx.transaction.transaction)
    };
    let UiMessage::Parsed(message) = &ui.message else {
        panic!("not parsed: {:?}", ui.message)
    };
    assert_eq!(message.account_keys[0].pubkey, key.pubkey().to_string());
    assert!(message.account_keys[0].signer && message.account_keys[0].writable);
    assert!(message.account_keys.iter().skip(1).all(|k| !k.signer));
    let program_key = message
        .account_keys
        .iter()
        .find(|k| k.pubkey == leash_program::DEFAULT_ID.to_string())
        .unwrap();
    assert!(!program_key.writable);
    // The Execute is the Leash program's: partially decoded. The memo is parsed.
    match &message.instructions[0] {
        UiInstruction::Parsed(UiParsedInstruction::PartiallyDecoded(ix)) => {
            assert_eq!(ix.program_id, leash_program::DEFAULT_ID.to_string());
            assert_eq!(ix.accounts[0], key.pubkey().to_string());
        }
        other => panic!("Execute: {other:?}"),
    }
    match &message.instructions[1] {
        UiInstruction::Parsed(UiParsedInstruction::Parsed(ix)) => {
            assert_eq!(ix.program, "spl-memo");
            assert_eq!(ix.program_id, MEMO_V2.to_string());
            assert_eq!(ix.parsed, json!("paid by a session"));
        }
        other => panic!("memo: {other:?}"),
    }
    let meta = tx.transaction.meta.unwrap();
    let OptionSerializer::Some(inner) = &meta.inner_instructions else {
        panic!("no inner instructions")
    };
    assert_eq!(inner.len(), 1);
    assert_eq!(inner[0].index, 0);
    let transfer = inner[0]
        .instructions
        .iter()
        .find_map(|ix| match ix {
            UiInstruction::Parsed(UiParsedInstruction::Parsed(p)) if p.program == "spl-token" => {
                Some(p)
            }
            _ => None,
        })
        .expect("the inner SPL transfer, parsed");
    assert_eq!(transfer.program_id, token.to_string());
    assert_eq!(transfer.stack_height, Some(2));
    assert_eq!(transfer.parsed["type"], "transfer");
    assert_eq!(
        transfer.parsed["info"],
        json!({
            "source": vault_usdc.to_string(),
            "destination": recipient_usdc.to_string(),
            "authority": vault.to_string(),
            "amount": "4500000",
        })
    );
    let (OptionSerializer::Some(pre), OptionSerializer::Some(post)) =
        (&meta.pre_token_balances, &meta.post_token_balances)
    else {
        panic!("no token balances")
    };
    let balance =
        |list: &Vec<solana_transaction_status_client_types::UiTransactionTokenBalance>,
         address: &Pubkey| {
            let index = message
                .account_keys
                .iter()
                .position(|k| k.pubkey == address.to_string())
                .unwrap();
            list.iter()
                .find(|b| usize::from(b.account_index) == index)
                .cloned()
                .unwrap()
        };
    let before = balance(pre, &vault_usdc);
    assert_eq!(before.mint, usdc.to_string());
    assert_eq!(before.ui_token_amount.amount, "100000000");
    assert_eq!(before.ui_token_amount.decimals, 6);
    assert_eq!(before.owner, OptionSerializer::Some(vault.to_string()));
    assert_eq!(before.program_id, OptionSerializer::Some(token.to_string()));
    assert_eq!(
        balance(post, &vault_usdc).ui_token_amount.ui_amount_string,
        "95.5"
    );
    assert_eq!(
        balance(post, &recipient_usdc).ui_token_amount.amount,
        "4500000"
    );
    // A zero balance reads back as a validator's ledger gives it: no float, the string "0".
    let empty = balance(pre, &recipient_usdc).ui_token_amount;
    assert_eq!(
        (empty.ui_amount, empty.ui_amount_string.as_str()),
        (None, "0")
    );
    assert_eq!(balance(pre, &recipient_usdc).ui_token_amount.amount, "0");

    // A simulation with innerInstructions shows them parsed.
    let out = spl::transfer(&token, &vault_usdc, &recipient_usdc, &vault, 1);
    let blockhash = client.get_latest_blockhash().unwrap();
    let sim = Transaction::new(
        &[&key],
        Message::new(
            &[ix::execute(
                &leash_program::DEFAULT_ID,
                &key.pubkey(),
                &wallet,
                Some(1),
                &[out],
            )],
            Some(&key.pubkey()),
        ),
        blockhash,
    );
    let simulated = client
        .simulate_transaction_with_config(
            &sim,
            solana_rpc_client_types::config::RpcSimulateTransactionConfig {
                inner_instructions: true,
                ..Default::default()
            },
        )
        .unwrap()
        .value;
    assert!(simulated.err.is_none(), "{:?}", simulated.logs);
    let inner = simulated.inner_instructions.expect("inner instructions");
    assert!(inner[0].instructions.iter().any(|ix| matches!(
        ix,
        UiInstruction::Parsed(UiParsedInstruction::Parsed(p))
            if p.parsed["type"] == "transfer" && p.stack_height == Some(2)
    )));

    // The json encoding has the inner instructions too, as indexes.
    let raw = rpc_call(
        &node.url,
        "getTransaction",
        json!([used.to_string(), {"encoding": "json"}]),
    );
    let inner = &raw["result"]["meta"]["innerInstructions"][0]["instructions"];
    assert!(inner
        .as_array()
        .unwrap()
        .iter()
        .any(|ix| ix["stackHeight"] == 2));

    // The faucet's mint: ATA createIdempotent and mintTo, parsed.
    let minted = rpc_call(
        &node.url,
        "getTransaction",
        json!([minted.to_string(), {"encoding": "jsonParsed"}]),
    );
    let instructions = &minted["result"]["transaction"]["message"]["instructions"];
    assert_eq!(instructions[1]["program"], "spl-associated-token-account");
    assert_eq!(instructions[1]["parsed"]["type"], "createIdempotent");
    assert_eq!(
        instructions[1]["parsed"]["info"]["wallet"],
        vault.to_string()
    );
    assert_eq!(instructions[2]["parsed"]["type"], "mintTo");
    assert_eq!(instructions[2]["parsed"]["info"]["amount"], "100000000");

    // Memo v1 and v2 are loaded and run.
    let payer = funded(&client, SOL);
    let memos = send(
        &client,
        &[memo(MEMO_V1, "v1"), memo(MEMO_V2, "v2")],
        &payer,
        &[],
    );
    let parsed = rpc_call(
        &node.url,
        "getTransaction",
        json!([memos.to_string(), {"encoding": "jsonParsed"}]),
    );
    let instructions = &parsed["result"]["transaction"]["message"]["instructions"];
    assert_eq!(instructions[0]["parsed"], "v1");
    assert_eq!(instructions[1]["parsed"], "v2");
    let logs = parsed["result"]["meta"]["logMessages"].to_string();
    assert!(logs.contains("Memo (len 2)"), "{logs}");
    let history = client.get_signatures_for_address(&payer.pubkey()).unwrap();
    assert_eq!(history[0].memo.as_deref(), Some("[2] v1; [2] v2"));
    assert_eq!(history[1].memo, None, "the airdrop has none");

    // The block of the Execute holds it.
    let block = client
        .get_block_with_config(
            tx.slot,
            RpcBlockConfig {
                encoding: Some(UiTransactionEncoding::JsonParsed),
                transaction_details: Some(TransactionDetails::Full),
                rewards: Some(false),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(block.block_height, Some(tx.slot));
    assert!(block.rewards.is_none());
    assert!(block.transactions.unwrap().iter().any(|t| matches!(
        &t.transaction,
        EncodedTransaction::Json(ui) if ui.signatures[0] == used.to_string()
    )));
    let block = client.get_block(tx.slot).unwrap();
    assert_eq!(block.parent_slot, tx.slot - 1);
    let signatures = client
        .get_block_with_config(
            tx.slot,
            RpcBlockConfig {
                transaction_details: Some(TransactionDetails::Signatures),
                ..Default::default()
            },
        )
        .unwrap()
        .signatures
        .unwrap();
    assert!(signatures.contains(&used.to_string()));
    let largest = client.get_token_largest_accounts(&usdc).unwrap();
    assert_eq!(largest[0].address, vault_usdc.to_string());
    assert_eq!(largest[0].amount.amount, "95500000");
    assert_eq!(largest[1].address, recipient_usdc.to_string());
}

#[test]
fn single_node_cluster_methods_decode_in_solana_rpc_client() {
    let dir = tempfile::tempdir().unwrap();
    let (node, client) = start(dir.path());
    let _payer = funded(&client, SOL);
    let slot = client.get_slot().unwrap();
    let identity = client.get_identity().unwrap();
    assert_eq!(client.get_slot_leader().unwrap(), identity);
    assert_eq!(client.get_slot_leaders(slot, 3).unwrap(), vec![identity; 3]);
    let schedule = client.get_leader_schedule(None).unwrap().unwrap();
    assert_eq!(schedule[&identity.to_string()].len(), 432_000);
    let epochs = client.get_epoch_schedule().unwrap();
    assert_eq!((epochs.slots_per_epoch, epochs.warmup), (432_000, false));
    let fees = client.get_recent_prioritization_fees(&[]).unwrap();
    assert!(!fees.is_empty() && fees.iter().all(|f| f.prioritization_fee == 0));
    let first = client.get_first_available_block().unwrap();
    assert_eq!(client.minimum_ledger_slot().unwrap(), first);
    assert!(first <= 1);
    let blocks = client.get_blocks(first, Some(slot)).unwrap();
    assert_eq!(blocks.first(), Some(&first));
    assert_eq!(*blocks.last().unwrap(), slot);
    assert_eq!(client.get_blocks_with_limit(first, 2).unwrap().len(), 2);
    let supply = client.supply().unwrap().value;
    assert!(supply.total >= 500_000_000 * SOL);
    assert_eq!(supply.circulating, supply.total);
    let largest = client
        .get_largest_accounts_with_config(RpcLargestAccountsConfig::default())
        .unwrap()
        .value;
    assert!(!largest.is_empty() && largest.len() <= 20);
    assert!(largest.windows(2).all(|w| w[0].lamports >= w[1].lamports));
    assert!(client
        .get_recent_performance_samples(None)
        .unwrap()
        .is_empty());
    let minimum = client.get_stake_minimum_delegation().unwrap();
    assert!(minimum >= 1, "{minimum}");
    let votes = client.get_vote_accounts().unwrap();
    assert!(votes.current.is_empty() && votes.delinquent.is_empty());
    let nodes = client.get_cluster_nodes().unwrap();
    assert_eq!(nodes.len(), 1);
    assert_eq!(nodes[0].pubkey, identity.to_string());
    assert_eq!(
        nodes[0].rpc.map(|a| format!("http://{a}")),
        Some(node.url.clone())
    );
    assert_eq!(
        nodes[0].pubsub.map(|a| format!("ws://{a}")),
        Some(node.ws_url.clone())
    );
    assert!(nodes[0].gossip.is_none());
    let production = client.get_block_production().unwrap().value;
    let (leader_slots, produced) = production.by_identity[&identity.to_string()];
    assert!(produced >= 1 && produced <= leader_slots);
    let governor = client.get_inflation_governor().unwrap();
    assert_eq!(governor.initial, 0.08);

    // minContextSlot: refused while the node is behind it, with the slot it is at.
    let far = slot + 1_000_000;
    let refused = rpc_call(
        &node.url,
        "getBalance",
        json!([identity.to_string(), {"minContextSlot": far}]),
    );
    assert_eq!(refused["error"]["code"], -32016);
    assert_eq!(
        refused["error"]["message"],
        "Minimum context slot has not been reached"
    );
    assert!(refused["error"]["data"]["contextSlot"].as_u64().unwrap() < far);
    let accepted = rpc_call(
        &node.url,
        "getLatestBlockhash",
        json!([{"minContextSlot": slot}]),
    );
    assert!(accepted["error"].is_null(), "{accepted}");
}
