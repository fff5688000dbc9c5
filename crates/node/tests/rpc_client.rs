//! The node through `solana-rpc-client`, the client the Solana CLI uses: airdrops, SPL tokens, a
//! Leash session, program-account filters, statuses, history, errors, restarts and concurrency.

use std::{sync::Arc, time::Duration};

use leash_node::{BackgroundNode, NodeConfig};
use leash_program::{
    instruction as ix,
    state::{self, Authority, Policy, Session, SpendLimit, UNLIMITED},
};
use leash_sdk::spl;
use serde_json::{json, Value};
use solana_commitment_config::CommitmentConfig;
use solana_keypair::Keypair;
use solana_message::Message;
use solana_program::{instruction::Instruction, pubkey::Pubkey};
use solana_rpc_client::rpc_client::{RpcClient, SerializableTransaction};
use solana_rpc_client_types::{
    config::{RpcAccountInfoConfig, RpcProgramAccountsConfig, RpcTransactionConfig},
    filter::{Memcmp, RpcFilterType},
};
use solana_signer::Signer;
use solana_transaction::Transaction;
use solana_transaction_status_client_types::UiTransactionEncoding;

mod common;

use common::*;

/// A node with 50 ms slots and the time-travel control methods on, as tests need them.
fn start(ledger: &std::path::Path, reset: bool) -> (BackgroundNode, RpcClient) {
    start_with(config(ledger, reset, true))
}

struct Leash {
    owner: Keypair,
    wallet: Pubkey,
    vault: Pubkey,
    usdc: Pubkey,
    vault_usdc: Pubkey,
    recipient_usdc: Pubkey,
}

/// A wallet with 5 SOL and 100 USDC (the node's faucet token) in its vault.
fn leash_wallet(client: &RpcClient, rpc: &str) -> Leash {
    let owner = funded(client, 20 * SOL);
    let tokens: Value = rpc_call(rpc, "leash_getTokenList", json!([]));
    let usdc: Pubkey = tokens["result"][0]["mint"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let (wallet, _) = state::wallet_address(
        &Authority::Ed25519(owner.pubkey()),
        &[0; 32],
        &leash_program::DEFAULT_ID,
    );
    let (vault, _) = state::vault_address(&wallet, &leash_program::DEFAULT_ID);
    let token = spl::TOKEN_PROGRAM_ID;
    let recipient = Pubkey::new_unique();
    send(
        client,
        &[
            ix::create_wallet(
                &leash_program::DEFAULT_ID,
                &owner.pubkey(),
                &owner.pubkey(),
                [0; 32],
            ),
            solana_system_interface::instruction::transfer(&owner.pubkey(), &vault, 5 * SOL),
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
        rpc,
        "leash_mintTokens",
        json!([vault.to_string(), "USDC", 100_000_000u64]),
    );
    let signature = minted["result"]
        .as_str()
        .expect("mint signature")
        .parse()
        .unwrap();
    assert!(client.confirm_transaction(&signature).unwrap());
    Leash {
        owner,
        wallet,
        vault,
        usdc,
        vault_usdc: spl::associated_token_address(&vault, &usdc, &token),
        recipient_usdc: spl::associated_token_address(&recipient, &usdc, &token),
    }
}

fn policy(usdc: Pubkey, total: u64) -> Policy {
    Policy {
        program_rules: vec![],
        valid_after: 0,
        valid_until: i64::MAX,
        expiry_slot: 0,
        max_uses: UNLIMITED,
        max_calls_per_tx: 2,
        allowed_programs: vec![spl::TOKEN_PROGRAM_ID],
        limits: vec![SpendLimit {
            recipients: vec![],
            mint: usdc,
            per_tx: 10_000_000,
            total,
            period_secs: 0,
            per_period: 0,
        }],
    }
}

fn create_session(client: &RpcClient, leash: &Leash, total: u64) -> Keypair {
    let key = funded(client, SOL);
    let create = ix::create_session(
        &leash_program::DEFAULT_ID,
        &leash.owner.pubkey(),
        &leash.owner.pubkey(),
        &leash.wallet,
        &key.pubkey(),
        policy(leash.usdc, total),
    );
    send(client, &[create], &leash.owner, &[]);
    key
}

#[test]
fn airdrop_tokens_session_filters_statuses_and_history() {
    let dir = tempfile::tempdir().unwrap();
    let (node, client) = start(dir.path(), false);
    assert_eq!(client.get_health().unwrap(), ());
    assert_eq!(client.get_version().unwrap().solana_core, "4.2.2");

    // Airdrop.
    let alice = funded(&client, 3 * SOL);
    assert_eq!(client.get_balance(&alice.pubkey()).unwrap(), 3 * SOL);

    // A plain SPL mint and transfer, signed by alice.
    let token = spl::TOKEN_PROGRAM_ID;
    let mint = Keypair::new();
    let rent = client
        .get_minimum_balance_for_rent_exemption(spl::MINT_LEN)
        .unwrap();
    let bob = Pubkey::new_unique();
    let (alice_ata, bob_ata) = (
        spl::associated_token_address(&alice.pubkey(), &mint.pubkey(), &token),
        spl::associated_token_address(&bob, &mint.pubkey(), &token),
    );
    send(
        &client,
        &[
            solana_system_interface::instruction::create_account(
                &alice.pubkey(),
                &mint.pubkey(),
                rent,
                spl::MINT_LEN as u64,
                &token,
            ),
            spl::initialize_mint2(&token, &mint.pubkey(), &alice.pubkey(), None, 2),
            spl::create_associated_token_account_idempotent(
                &alice.pubkey(),
                &alice.pubkey(),
                &mint.pubkey(),
                &token,
            ),
            spl::create_associated_token_account_idempotent(
                &alice.pubkey(),
                &bob,
                &mint.pubkey(),
                &token,
            ),
            spl::mint_to(&token, &mint.pubkey(), &alice_ata, &alice.pubkey(), 1_000),
        ],
        &alice,
        &[&mint],
    );
    let transfer = send(
        &client,
        &[spl::transfer_checked(
            &token,
            &alice_ata,
            &mint.pubkey(),
            &bob_ata,
            &alice.pubkey(),
            250,
            2,
        )],
        &alice,
        &[],
    );
    let balance = client.get_token_account_balance(&bob_ata).unwrap();
    assert_eq!(
        (
            balance.amount.as_str(),
            balance.ui_amount_string.as_str(),
            balance.decimals
        ),
        ("250", "2.5", 2)
    );
    let by_owner = client
        .get_token_accounts_by_owner(
            &bob,
            solana_rpc_client_types::request::TokenAccountsFilter::Mint(mint.pubkey()),
        )
        .unwrap();
    assert_eq!(by_owner.len(), 1);
    assert_eq!(by_owner[0].pubkey, bob_ata.to_string());

    // A Leash session executing a transfer out of the vault.
    let leash = leash_wallet(&client, &node.url);
    let key = create_session(&client, &leash, 50_000_000);
    let _other = create_session(&client, &leash, 1);
    let out = spl::transfer(
        &token,
        &leash.vault_usdc,
        &leash.recipient_usdc,
        &leash.vault,
        4_500_000,
    );
    let used = send(
        &client,
        &[ix::execute(
            &leash_program::DEFAULT_ID,
            &key.pubkey(),
            &leash.wallet,
            Some(0),
            &[out],
        )],
        &key,
        &[],
    );
    assert_eq!(
        client
            .get_token_account_balance(&leash.recipient_usdc)
            .unwrap()
            .amount,
        "4500000"
    );

    // The sessions of one wallet, by memcmp on the wallet field.
    let sessions = client
        .get_program_ui_accounts_with_config(
            &leash_program::DEFAULT_ID,
            RpcProgramAccountsConfig {
                filters: Some(vec![RpcFilterType::Memcmp(Memcmp::new_base58_encoded(
                    state::SESSION_WALLET_OFFSET,
                    leash.wallet.as_ref(),
                ))]),
                account_config: RpcAccountInfoConfig {
                    encoding: Some(solana_account_decoder_client_types::UiAccountEncoding::Base64),
                    ..Default::default()
                },
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(sessions.len(), 2);
    let session = sessions
        .iter()
        .map(|(_, a)| Session::decode(&a.data.decode().unwrap()).unwrap())
        .find(|s| s.session_key == key.pubkey())
        .unwrap();
    assert_eq!((session.uses, session.spent[0].total), (1, 4_500_000));
    let wallets = client
        .get_program_ui_accounts_with_config(
            &leash_program::DEFAULT_ID,
            RpcProgramAccountsConfig {
                filters: Some(vec![RpcFilterType::DataSize(state::Wallet::LEN as u64)]),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(wallets.len(), 1);

    // Statuses and history.
    let statuses = client
        .get_signature_statuses(&[transfer, used, solana_signature::Signature::default()])
        .unwrap()
        .value;
    assert!(statuses[0].as_ref().unwrap().err.is_none());
    assert!(statuses[1].is_some());
    assert!(statuses[2].is_none());
    let history = client.get_signatures_for_address(&key.pubkey()).unwrap();
    assert_eq!(history.len(), 2, "airdrop and Execute");
    assert_eq!(history[0].signature, used.to_string(), "newest first");
    for encoding in [UiTransactionEncoding::Base64, UiTransactionEncoding::Json] {
        let tx = client
            .get_transaction_with_config(
                &used,
                RpcTransactionConfig {
                    encoding: Some(encoding),
                    ..Default::default()
                },
            )
            .unwrap();
        let meta = tx.transaction.meta.unwrap();
        assert!(meta.err.is_none());
        let logs: Option<Vec<String>> = meta.log_messages.into();
        assert!(
            logs.unwrap()
                .iter()
                .any(|l| l.starts_with("Program data: ")),
            "the SessionUsed event"
        );
    }
    let decoded = client
        .get_transaction_with_config(
            &used,
            RpcTransactionConfig {
                encoding: Some(UiTransactionEncoding::Base64),
                ..Default::default()
            },
        )
        .unwrap()
        .transaction
        .transaction
        .decode()
        .unwrap();
    assert_eq!(decoded.signatures[0], used);
}

#[test]
fn failed_preflight_reports_solana_error_shapes_and_duplicates_run_once() {
    let dir = tempfile::tempdir().unwrap();
    let (node, client) = start(dir.path(), false);
    let leash = leash_wallet(&client, &node.url);
    let key = create_session(&client, &leash, 5_000_000);
    let out = |amount| {
        spl::transfer(
            &spl::TOKEN_PROGRAM_ID,
            &leash.vault_usdc,
            &leash.recipient_usdc,
            &leash.vault,
            amount,
        )
    };
    let before = client.get_balance(&key.pubkey()).unwrap();
    let blockhash = client.get_latest_blockhash().unwrap();
    let over = execute_tx(&key, &leash.wallet, &[out(6_000_000)], blockhash);
    let response = send_base64(&node.url, &over, false);
    assert_eq!(response["error"]["code"], -32002, "{response}");
    assert_eq!(
        response["error"]["data"]["err"],
        json!({"InstructionError": [0, {"Custom": 6008}]})
    );
    let logs = response["error"]["data"]["logs"].as_array().unwrap();
    assert!(
        logs.iter()
            .any(|l| l.as_str().unwrap().contains("SpendingLimitExceeded")),
        "{logs:?}"
    );
    // As a validator's preflight failure: what it loaded (the Leash program's data included,
    // more than the ELF alone), its balances null.
    let data = &response["error"]["data"];
    let elf = leash_runtime::LEASH_PROGRAM_ELF.len() as u64;
    assert!(
        data["loadedAccountsDataSize"].as_u64().unwrap() > elf,
        "{data}"
    );
    assert!(
        data["preBalances"].is_null() && data["postTokenBalances"].is_null(),
        "{data}"
    );
    assert_eq!(
        client.get_balance(&key.pubkey()).unwrap(),
        before,
        "a refused preflight charges nothing"
    );
    // The same through the Rust client: a typed error carrying the program code.
    let err = client.send_transaction(&over).unwrap_err();
    assert_eq!(
        err.get_transaction_error(),
        Some(
            solana_transaction_error::TransactionError::InstructionError(
                0,
                solana_program::instruction::InstructionError::Custom(6008)
            )
        )
    );

    // skipPreflight: it lands, fails, pays its fee and is recorded.
    let landed = send_base64(&node.url, &over, true);
    let signature: solana_signature::Signature =
        landed["result"].as_str().unwrap().parse().unwrap();
    let status = client.get_signature_status(&signature).unwrap().unwrap();
    assert!(status.is_err());
    assert!(client.get_balance(&key.pubkey()).unwrap() < before);

    // A duplicate is reported, never executed twice.
    let good = execute_tx(
        &key,
        &leash.wallet,
        &[out(1_000_000)],
        client.get_latest_blockhash().unwrap(),
    );
    let first = send_base64(&node.url, &good, false);
    assert!(first["result"].is_string(), "{first}");
    let second = send_base64(&node.url, &good, false);
    assert_eq!(
        second["error"]["data"]["err"],
        json!("AlreadyProcessed"),
        "{second}"
    );
    assert_eq!(
        client
            .get_token_account_balance(&leash.recipient_usdc)
            .unwrap()
            .amount,
        "1000000"
    );

    // Unknown blockhash, bad signature.
    let stale = execute_tx(
        &key,
        &leash.wallet,
        &[out(1)],
        solana_hash::Hash::new_unique(),
    );
    let response = send_base64(&node.url, &stale, false);
    assert_eq!(response["error"]["data"]["err"], json!("BlockhashNotFound"));
    let mut forged = execute_tx(
        &key,
        &leash.wallet,
        &[out(1)],
        client.get_latest_blockhash().unwrap(),
    );
    forged.signatures[0] = solana_signature::Signature::from([7u8; 64]);
    let response = send_base64(&node.url, &forged, false);
    assert_eq!(response["error"]["code"], -32003, "{response}");

    // With skipPreflight nothing is checked before forwarding, as on a validator: a duplicate
    // of what landed, an unknown blockhash and a bad signature are all answered with their
    // signature (a rebroadcast loop does not throw), and none of them executes.
    for (tx, what) in [
        (&good, "duplicate"),
        (&stale, "unknown blockhash"),
        (&forged, "bad signature"),
    ] {
        let response = send_base64(&node.url, tx, true);
        assert_eq!(
            response["result"],
            json!(tx.signatures[0].to_string()),
            "{what}: {response}"
        );
    }
    assert!(client
        .get_signature_status(&stale.signatures[0])
        .unwrap()
        .is_none());
    assert!(client
        .get_signature_status(&forged.signatures[0])
        .unwrap()
        .is_none());
    assert_eq!(
        client
            .get_token_account_balance(&leash.recipient_usdc)
            .unwrap()
            .amount,
        "1000000",
        "the duplicate did not run twice"
    );

    // Simulation reports without changing anything.
    let simulated = client.simulate_transaction(&over).unwrap().value;
    assert_eq!(
        simulated.err.map(|e| serde_json::to_value(e).unwrap()),
        Some(json!({"InstructionError": [0, {"Custom": 6008}]}))
    );
    assert!(simulated
        .logs
        .unwrap()
        .iter()
        .any(|l| l.contains("SpendingLimitExceeded")));
}

fn base64_tx(tx: &Transaction) -> String {
    use base64::Engine;
    base64::prelude::BASE64_STANDARD.encode(bincode::serialize(tx).unwrap())
}

/// A signed `Execute` of `calls` by the session `key` of `wallet`, paid by the key.
fn execute_tx(
    key: &Keypair,
    wallet: &Pubkey,
    calls: &[Instruction],
    blockhash: solana_hash::Hash,
) -> Transaction {
    let execute = ix::execute(
        &leash_program::DEFAULT_ID,
        &key.pubkey(),
        wallet,
        None,
        calls,
    );
    Transaction::new(
        &[key],
        Message::new(&[execute], Some(&key.pubkey())),
        blockhash,
    )
}

/// `sendTransaction` with a base64 transaction, as a raw JSON-RPC response.
fn send_base64(url: &str, tx: &Transaction, skip_preflight: bool) -> Value {
    let config = json!({"encoding": "base64", "skipPreflight": skip_preflight});
    rpc_call(url, "sendTransaction", json!([base64_tx(tx), config]))
}

#[test]
fn malformed_requests_get_json_rpc_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (node, _client) = start(dir.path(), false);
    let cases: Vec<(&[u8], i64)> = vec![
        (b"{not json", -32700),
        (b"[]", -32600),
        (br#"{"jsonrpc":"1.0","id":1,"method":"getSlot"}"#, -32600),
        (br#"{"jsonrpc":"2.0","id":1}"#, -32600),
        (br#"{"jsonrpc":"2.0","id":1,"method":"noSuchMethod"}"#, -32601),
        (br#"{"jsonrpc":"2.0","id":1,"method":"getBalance","params":["not-an-address"]}"#, -32602),
        (br#"{"jsonrpc":"2.0","id":1,"method":"getBalance"}"#, -32602),
        (br#"{"jsonrpc":"2.0","id":1,"method":"sendTransaction","params":["!!!"]}"#, -32602),
        (br#"{"jsonrpc":"2.0","id":1,"method":"sendTransaction","params":["AAAA",{"encoding":"base64"}]}"#, -32602),
        (br#"{"jsonrpc":"2.0","id":1,"method":"getAccountInfo","params":["11111111111111111111111111111111",{"encoding":"hex"}]}"#, -32602),
        (br#"{"jsonrpc":"2.0","id":1,"method":"getProgramAccounts","params":["11111111111111111111111111111111",{"filters":[{"memcmp":{"offset":0,"bytes":"0OIl"}}]}]}"#, -32602),
        (br#"{"jsonrpc":"2.0","id":1,"method":"leash_warpSlot","params":[0]}"#, -32602),
    ];
    for (body, code) in cases {
        let response: Value = serde_json::from_str(&raw_post(&node.url, body))
            .unwrap_or_else(|e| panic!("{e}: {:?}", String::from_utf8_lossy(body)));
        assert_eq!(
            response["error"]["code"],
            code,
            "{} -> {response}",
            String::from_utf8_lossy(body)
        );
        assert!(response["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
    }
    // A batch answers each member; a notification gets no answer.
    let batch = raw_post(&node.url, br#"[{"jsonrpc":"2.0","id":1,"method":"getSlot"},{"jsonrpc":"2.0","method":"getSlot"},{"jsonrpc":"2.0","id":3,"method":"x"}]"#);
    let batch: Value = serde_json::from_str(&batch).unwrap();
    assert_eq!(batch.as_array().unwrap().len(), 2);
    assert!(batch[0]["result"].is_u64());
    assert_eq!(batch[1]["error"]["code"], -32601);
}

#[test]
fn state_history_and_slot_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (signature, address, slot, genesis) = {
        let (node, client) = start(dir.path(), false);
        let key = funded(&client, 2 * SOL);
        let recipient = Pubkey::new_unique();
        let signature = send(
            &client,
            &[solana_system_interface::instruction::transfer(
                &key.pubkey(),
                &recipient,
                SOL,
            )],
            &key,
            &[],
        );
        let slot = client.get_slot().unwrap();
        let genesis = client.get_genesis_hash().unwrap();
        drop(node);
        (signature, recipient, slot, genesis)
    };
    let (_node, client) = start(dir.path(), false);
    assert_eq!(client.get_balance(&address).unwrap(), SOL);
    assert!(client
        .get_signature_status(&signature)
        .unwrap()
        .unwrap()
        .is_ok());
    assert!(client.get_slot().unwrap() > slot, "the slot continues");
    assert_eq!(client.get_genesis_hash().unwrap(), genesis);
    assert_eq!(
        client.get_signatures_for_address(&address).unwrap().len(),
        1
    );
    drop(_node);
    // --reset starts over.
    let (_node, client) = start(dir.path(), true);
    assert_eq!(client.get_balance(&address).unwrap(), 0);
    assert_ne!(client.get_genesis_hash().unwrap(), genesis);
}

#[test]
fn control_methods_move_slot_and_clock() {
    let dir = tempfile::tempdir().unwrap();
    let (node, client) = start(dir.path(), false);
    let old_blockhash = client.get_latest_blockhash().unwrap();
    let target = client.get_slot().unwrap() + 1_000;
    assert_eq!(
        rpc_call(&node.url, "leash_warpSlot", json!([target]))["result"],
        json!(target)
    );
    assert!(client.get_slot().unwrap() >= target);
    // 1 000 slots later the old blockhash has expired.
    let commitment = CommitmentConfig::confirmed();
    assert!(!client
        .is_blockhash_valid(&old_blockhash, commitment)
        .unwrap());
    let fresh = client.get_latest_blockhash().unwrap();
    assert!(client.is_blockhash_valid(&fresh, commitment).unwrap());
    let set = rpc_call(
        &node.url,
        "leash_setUnixTimestamp",
        json!([2_000_000_000i64]),
    );
    assert!(set["result"].as_i64().unwrap() >= 2_000_000_000);
    // The program sees the new time: a session valid only before it is expired.
    let leash = leash_wallet(&client, &node.url);
    let key = funded(&client, SOL);
    let mut p = policy(leash.usdc, UNLIMITED);
    p.valid_until = 1_999_999_999;
    p.valid_after = 0;
    send(
        &client,
        &[ix::create_session(
            &leash_program::DEFAULT_ID,
            &leash.owner.pubkey(),
            &leash.owner.pubkey(),
            &leash.wallet,
            &key.pubkey(),
            p,
        )],
        &leash.owner,
        &[],
    );
    let out = spl::transfer(
        &spl::TOKEN_PROGRAM_ID,
        &leash.vault_usdc,
        &leash.recipient_usdc,
        &leash.vault,
        1,
    );
    let tx = execute_tx(
        &key,
        &leash.wallet,
        &[out],
        client.get_latest_blockhash().unwrap(),
    );
    let err = client.send_transaction(&tx).unwrap_err();
    assert_eq!(
        err.get_transaction_error(),
        Some(
            solana_transaction_error::TransactionError::InstructionError(
                0,
                solana_program::instruction::InstructionError::Custom(6003)
            )
        )
    );
    let _ = tx.get_signature();
}

/// Without `--allow-time-travel` the slot and the clock are the node's own: the control methods
/// that move them are refused as unknown methods (-32601) with a message naming the flag, while
/// the faucet stays open. With the flag they answer.
#[test]
fn time_travel_answers_only_with_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let config = NodeConfig {
        ledger: dir.path().to_path_buf(),
        reset: false,
        bind: "127.0.0.1".parse().unwrap(),
        rpc_port: 0,
        slot_time: Some(Duration::from_millis(50)),
        allow_time_travel: false,
        finality_lag: 0,
        spl_token: None,
    };
    {
        let (node, client) = start_with(config.clone());
        let slot = client.get_slot().unwrap();
        for (method, params) in [
            ("leash_warpSlot", json!([slot + 1_000])),
            ("leash_setUnixTimestamp", json!([4_000_000_000i64])),
            ("leash_warpSlot", json!([])),
        ] {
            let response = rpc_call(&node.url, method, params);
            assert_eq!(response["error"]["code"], -32601, "{method}: {response}");
            assert_eq!(
                response["error"]["message"],
                format!("{method} is disabled: start the node with --allow-time-travel"),
                "{response}"
            );
        }
        assert!(
            client.get_slot().unwrap() < slot + 1_000,
            "no warp happened"
        );
        let clock = client.get_block_time(client.get_slot().unwrap()).unwrap();
        assert!(clock < 4_000_000_000, "the clock did not move");
        // The faucet stays open.
        let key = funded(&client, SOL);
        assert_eq!(client.get_balance(&key.pubkey()).unwrap(), SOL);
        let tokens = rpc_result(&node.url, "leash_getTokenList", json!([]));
        assert_eq!(tokens[0]["symbol"], "USDC");
        let faucet = rpc_result(&node.url, "leash_getFaucet", json!([]));
        assert_eq!(faucet, json!(node.info.faucet));
        let minted = rpc_result(
            &node.url,
            "leash_mintTokens",
            json!([key.pubkey().to_string(), "USDC", 1_000_000]),
        );
        assert!(minted.is_string(), "{minted}");
    }
    // The same ledger, started with the flag.
    let (node, client) = start_with(NodeConfig {
        allow_time_travel: true,
        finality_lag: 0,
        spl_token: None,
        ..config
    });
    let target = client.get_slot().unwrap() + 1_000;
    assert_eq!(
        rpc_result(&node.url, "leash_warpSlot", json!([target])),
        json!(target)
    );
    let set = rpc_result(
        &node.url,
        "leash_setUnixTimestamp",
        json!([4_000_000_000i64]),
    );
    assert!(set.as_i64().unwrap() >= 4_000_000_000, "{set}");
}

/// A warp moves at most 10^9 slots ahead; `leash_warpSlot(u64::MAX)` used to put the chain at
/// the last slot, where no new blockhash could ever be issued.
#[test]
fn a_warp_moves_at_most_a_billion_slots() {
    let dir = tempfile::tempdir().unwrap();
    // No slot timer: the slot moves only by warps, so the bounds below are exact.
    let (node, client) = start_with(NodeConfig {
        ledger: dir.path().to_path_buf(),
        reset: false,
        bind: "127.0.0.1".parse().unwrap(),
        rpc_port: 0,
        slot_time: None,
        allow_time_travel: true,
        finality_lag: 0,
        spl_token: None,
    });
    let slot = client.get_slot().unwrap();
    for target in [u64::MAX, slot + 1_000_000_001] {
        let response = rpc_call(&node.url, "leash_warpSlot", json!([target]));
        assert_eq!(response["error"]["code"], -32602, "{response}");
        let message = response["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("at most 1000000000 slots ahead")
                && message.contains(&format!("the furthest is slot {}", slot + 1_000_000_000)),
            "{message}"
        );
    }
    // Still healthy, and nothing moved.
    assert_eq!(rpc_result(&node.url, "getHealth", json!([])), "ok");
    assert_eq!(client.get_slot().unwrap(), slot);
    key_gets_an_airdrop(&client);
    // Exactly the cap is allowed, and the next warp is measured from there.
    let target = slot + 1_000_000_000;
    assert_eq!(
        rpc_result(&node.url, "leash_warpSlot", json!([target])),
        json!(target)
    );
    assert_eq!(client.get_slot().unwrap(), target);
    key_gets_an_airdrop(&client);
    let again = target + 1_000_000_000;
    assert_eq!(
        rpc_result(&node.url, "leash_warpSlot", json!([again])),
        json!(again)
    );
    key_gets_an_airdrop(&client);
}

fn key_gets_an_airdrop(client: &RpcClient) {
    let key = funded(client, SOL);
    assert_eq!(client.get_balance(&key.pubkey()).unwrap(), SOL);
}

/// Identical faucet requests (same address, same amount) in a tight loop, with the slot timer
/// stopped: each lands with its own signature and the slot does not have to move. The old faucet
/// moved a slot on every repeat — and recursed forever when the slot could not move.
#[test]
fn identical_airdrops_in_a_tight_loop_all_land() {
    let dir = tempfile::tempdir().unwrap();
    let (node, client) = start_with(NodeConfig {
        ledger: dir.path().to_path_buf(),
        reset: false,
        bind: "127.0.0.1".parse().unwrap(),
        rpc_port: 0,
        slot_time: None,
        allow_time_travel: false,
        finality_lag: 0,
        spl_token: None,
    });
    let slot = client.get_slot().unwrap();
    let to = Pubkey::new_unique();
    let mut signatures = std::collections::HashSet::new();
    for _ in 0..100 {
        let signature = rpc_result(
            &node.url,
            "requestAirdrop",
            json!([to.to_string(), 1_000_000]),
        );
        assert!(signatures.insert(signature.as_str().unwrap().to_string()));
    }
    // A batch of identical requests, answered in one go.
    let call = json!({"jsonrpc": "2.0", "id": 1, "method": "requestAirdrop", "params": [to.to_string(), 1_000_000]});
    let batch = serde_json::to_vec(&vec![call; 100]).unwrap();
    let answers: Value = serde_json::from_str(&raw_post(&node.url, &batch)).unwrap();
    for answer in answers.as_array().unwrap() {
        let signature = answer["result"]
            .as_str()
            .unwrap_or_else(|| panic!("{answer}"));
        assert!(signatures.insert(signature.to_string()));
    }
    // Identical token mints too.
    for _ in 0..20 {
        let signature = rpc_result(
            &node.url,
            "leash_mintTokens",
            json!([to.to_string(), "USDC", 5]),
        );
        assert!(signatures.insert(signature.as_str().unwrap().to_string()));
    }
    assert_eq!(signatures.len(), 220);
    assert_eq!(client.get_slot().unwrap(), slot, "the slot did not move");
    assert_eq!(client.get_balance(&to).unwrap(), 200 * 1_000_000);
    let statuses: Vec<_> = signatures
        .iter()
        .map(|s| s.parse::<solana_signature::Signature>().unwrap())
        .collect();
    for chunk in statuses.chunks(200) {
        for status in client.get_signature_statuses(chunk).unwrap().value {
            assert!(status.unwrap().err.is_none());
        }
    }
    // An airdrop costs the faucet only the signature fee.
    let faucet: Pubkey = node.info.faucet.parse().unwrap();
    let before = client.get_balance(&faucet).unwrap();
    rpc_result(
        &node.url,
        "requestAirdrop",
        json!([to.to_string(), 1_000_000]),
    );
    assert_eq!(
        before - client.get_balance(&faucet).unwrap(),
        1_000_000 + 5_000
    );
    assert_eq!(rpc_result(&node.url, "getHealth", json!([])), "ok");
}

#[test]
fn concurrent_clients_racing_on_one_session_never_exceed_its_limit() {
    let dir = tempfile::tempdir().unwrap();
    let (node, client) = start(dir.path(), false);
    let leash = leash_wallet(&client, &node.url);
    let total = 23_000_000; // 23 USDC: at most 7 transfers of 3 USDC fit.
    let key = Arc::new(create_session(&client, &leash, total));
    let url = node.url.clone();
    let (vault, wallet, from, to) = (
        leash.vault,
        leash.wallet,
        leash.vault_usdc,
        leash.recipient_usdc,
    );
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let (key, url) = (key.clone(), url.clone());
            std::thread::spawn(move || {
                let client = RpcClient::new_with_commitment(url, CommitmentConfig::confirmed());
                let mut landed = 0u64;
                for i in 0..4u64 {
                    // Distinct amounts keep every transaction distinct.
                    let amount = 3_000_000 + t * 10 + i;
                    let out = spl::transfer(&spl::TOKEN_PROGRAM_ID, &from, &to, &vault, amount);
                    let tx = execute_tx(
                        &key,
                        &wallet,
                        &[out],
                        client.get_latest_blockhash().unwrap(),
                    );
                    match client.send_and_confirm_transaction(&tx) {
                        Ok(_) => landed += amount,
                        Err(e) => assert_eq!(
                            e.get_transaction_error(),
                            Some(
                                solana_transaction_error::TransactionError::InstructionError(
                                    0,
                                    solana_program::instruction::InstructionError::Custom(6008)
                                )
                            ),
                            "{e}"
                        ),
                    }
                }
                landed
            })
        })
        .collect();
    let landed: u64 = threads.into_iter().map(|t| t.join().unwrap()).sum();
    let session_address =
        state::session_address(&leash.wallet, &key.pubkey(), &leash_program::DEFAULT_ID).0;
    let session = Session::decode(&client.get_account_data(&session_address).unwrap()).unwrap();
    assert!(session.spent[0].total <= total);
    assert_eq!(session.spent[0].total, landed);
    assert_eq!(
        client
            .get_token_account_balance(&leash.recipient_usdc)
            .unwrap()
            .amount,
        landed.to_string()
    );
    assert_eq!(session.uses, 7);
}

/// Creates a lookup table holding `addresses`, and waits a slot (a table's new addresses are
/// usable from the next slot, as on a validator).
fn lookup_table(client: &RpcClient, authority: &Keypair, addresses: Vec<Pubkey>) -> Pubkey {
    use solana_address_lookup_table_interface::instruction as alt;
    let recent_slot = client.get_slot().unwrap().saturating_sub(1);
    let (create, table) =
        alt::create_lookup_table(authority.pubkey(), authority.pubkey(), recent_slot);
    let extend = alt::extend_lookup_table(
        table,
        authority.pubkey(),
        Some(authority.pubkey()),
        addresses,
    );
    send(client, &[create, extend], authority, &[]);
    let slot = client.get_slot().unwrap();
    while client.get_slot().unwrap() <= slot {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    table
}

/// A v0 transaction compiled against `table` (whose addresses are `addresses`).
fn v0_tx(
    signer: &Keypair,
    ixs: &[Instruction],
    table: Pubkey,
    addresses: &[Pubkey],
    blockhash: solana_hash::Hash,
) -> solana_transaction::versioned::VersionedTransaction {
    let message = solana_message::v0::Message::try_compile(
        &signer.pubkey(),
        ixs,
        &[solana_message::AddressLookupTableAccount {
            key: table,
            addresses: addresses.to_vec(),
        }],
        blockhash,
    )
    .expect("compiles");
    solana_transaction::versioned::VersionedTransaction::try_new(
        solana_message::VersionedMessage::V0(message),
        &[signer],
    )
    .expect("signs")
}

/// Address lookup tables end to end: a v0 transaction loading a recipient through a table lands,
/// its history shows what it loaded (meta `loadedAddresses`, `addressTableLookups`, parsed keys
/// with `source: "lookupTable"`), simulation reports it, and a session's `Execute` whose token
/// accounts come from a table is enforced as the same `Execute` with static keys.
#[test]
fn v0_transactions_load_accounts_through_lookup_tables() {
    use base64::Engine;
    let dir = tempfile::tempdir().unwrap();
    let (node, client) = start(dir.path(), true);
    let payer = funded(&client, 10 * SOL);
    let to = Pubkey::new_unique();
    let table = lookup_table(&client, &payer, vec![to]);

    let transfer = solana_system_interface::instruction::transfer(&payer.pubkey(), &to, SOL);
    let tx = v0_tx(
        &payer,
        &[transfer],
        table,
        &[to],
        client.get_latest_blockhash().unwrap(),
    );
    let wire = base64::prelude::BASE64_STANDARD.encode(bincode::serialize(&tx).unwrap());
    let simulated = rpc_result(
        &node.url,
        "simulateTransaction",
        json!([wire, {"encoding": "base64", "commitment": "confirmed"}]),
    );
    assert!(simulated["value"]["err"].is_null(), "{simulated}");
    assert_eq!(
        simulated["value"]["loadedAddresses"],
        json!({"writable": [to.to_string()], "readonly": []})
    );
    let signature = client.send_and_confirm_transaction(&tx).expect("lands");
    assert_eq!(client.get_balance(&to).unwrap(), SOL);

    let landed = rpc_result(
        &node.url,
        "getTransaction",
        json!([signature.to_string(), {"commitment": "confirmed", "encoding": "json", "maxSupportedTransactionVersion": 0}]),
    );
    assert_eq!(landed["version"], 0, "{landed}");
    assert_eq!(
        landed["meta"]["loadedAddresses"],
        json!({"writable": [to.to_string()], "readonly": []})
    );
    assert_eq!(
        landed["transaction"]["message"]["addressTableLookups"][0]["accountKey"],
        table.to_string()
    );
    // Balances cover the loaded account too (after the static keys).
    let post = landed["meta"]["postBalances"].as_array().unwrap();
    assert_eq!(post.last().unwrap(), &json!(SOL), "{landed}");
    let parsed = rpc_result(
        &node.url,
        "getTransaction",
        json!([signature.to_string(), {"commitment": "confirmed", "encoding": "jsonParsed", "maxSupportedTransactionVersion": 0}]),
    );
    let keys = parsed["transaction"]["message"]["accountKeys"]
        .as_array()
        .unwrap();
    let loaded = keys.last().unwrap();
    assert_eq!(loaded["pubkey"], to.to_string());
    assert_eq!(loaded["source"], "lookupTable");
    assert_eq!(loaded["writable"], true);
    let instruction = &parsed["transaction"]["message"]["instructions"][0];
    assert_eq!(instruction["parsed"]["info"]["destination"], to.to_string());
    // The history of the loaded address lists the transaction.
    let history = client.get_signatures_for_address(&to).unwrap();
    assert_eq!(history[0].signature, signature.to_string());

    // A session's Execute with its token accounts and the token program from a table.
    let leash = leash_wallet(&client, &node.url);
    let key = create_session(&client, &leash, 8_000_000);
    let members = [
        leash.vault_usdc,
        leash.recipient_usdc,
        spl::TOKEN_PROGRAM_ID,
    ];
    let table = lookup_table(&client, &leash.owner, members.to_vec());
    let execute = |amount: u64| {
        ix::execute(
            &leash_program::DEFAULT_ID,
            &key.pubkey(),
            &leash.wallet,
            None,
            &[spl::transfer(
                &spl::TOKEN_PROGRAM_ID,
                &leash.vault_usdc,
                &leash.recipient_usdc,
                &leash.vault,
                amount,
            )],
        )
    };
    let within = v0_tx(
        &key,
        &[execute(4_500_000)],
        table,
        &members,
        client.get_latest_blockhash().unwrap(),
    );
    assert!(within
        .message
        .address_table_lookups()
        .is_some_and(|l| !l.is_empty()));
    client
        .send_and_confirm_transaction(&within)
        .expect("within the limit");
    assert_eq!(
        client
            .get_token_account_balance(&leash.recipient_usdc)
            .unwrap()
            .amount,
        "4500000"
    );
    // Over the total (4.5 + 4 > 8): refused by the program exactly as with static keys.
    let over = v0_tx(
        &key,
        &[execute(4_000_000)],
        table,
        &members,
        client.get_latest_blockhash().unwrap(),
    );
    let refused = rpc_call(
        &node.url,
        "sendTransaction",
        json!([base64::prelude::BASE64_STANDARD.encode(bincode::serialize(&over).unwrap()), {"encoding": "base64"}]),
    );
    assert_eq!(
        refused["error"]["data"]["err"],
        json!({"InstructionError": [0, {"Custom": 6008}]}),
        "{refused}"
    );
}
