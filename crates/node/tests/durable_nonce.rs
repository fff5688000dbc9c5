//! Durable nonces end to end, through `solana-rpc-client` as a bot would use them (docs/node.md,
//! "Durable nonces"): create a nonce account, read it as `jsonParsed` (Agave's `nonce` shape),
//! sign a transfer under the nonce instead of a recent blockhash, simulate and send it, see the
//! nonce advance, and the same bytes refused once the nonce has moved on.

mod common;

use std::time::Duration;

use base64::{prelude::BASE64_STANDARD, Engine};
use common::{config, funded, rpc_call, rpc_result, send, start_with, SOL};
use serde_json::json;
use solana_keypair::Keypair;
use solana_message::Message;
use solana_signer::Signer;
use solana_system_interface::instruction as system;
use solana_transaction::Transaction;

/// The nonce account's durable nonce, read as `jsonParsed`.
fn parsed_nonce(url: &str, nonce: &str) -> serde_json::Value {
    let info = rpc_result(
        url,
        "getAccountInfo",
        json!([nonce, {"encoding": "jsonParsed", "commitment": "confirmed"}]),
    );
    info["value"]["data"].clone()
}

#[test]
fn a_transaction_signed_under_a_durable_nonce_lands_once() {
    let dir = tempfile::tempdir().unwrap();
    let (node, client) = start_with(config(dir.path(), true, false));
    let payer = funded(&client, 10 * SOL);
    let nonce = Keypair::new();
    let rent = client
        .get_minimum_balance_for_rent_exemption(solana_nonce::state::State::size())
        .unwrap();
    send(
        &client,
        &system::create_nonce_account(&payer.pubkey(), &nonce.pubkey(), &payer.pubkey(), rent),
        &payer,
        &[&nonce],
    );

    // Agave's jsonParsed shape for a nonce account.
    let data = parsed_nonce(&node.url, &nonce.pubkey().to_string());
    assert_eq!(data["program"], "nonce", "{data}");
    assert_eq!(data["space"], 80);
    assert_eq!(data["parsed"]["type"], "initialized");
    let info = &data["parsed"]["info"];
    assert_eq!(info["authority"], payer.pubkey().to_string());
    assert_eq!(info["feeCalculator"]["lamportsPerSignature"], "5000");
    let durable: solana_hash::Hash = info["blockhash"].as_str().unwrap().parse().unwrap();

    // A transfer signed under the nonce: AdvanceNonceAccount first, the nonce as blockhash (a
    // hash the node never issued as a blockhash: only the nonce makes it valid). A nonce
    // advances at most once per slot, so a slot passes first.
    std::thread::sleep(Duration::from_millis(200));
    let to = Keypair::new().pubkey();
    let ixs = [
        system::advance_nonce_account(&nonce.pubkey(), &payer.pubkey()),
        system::transfer(&payer.pubkey(), &to, SOL),
    ];
    let tx = Transaction::new(
        &[&payer],
        Message::new(&ixs, Some(&payer.pubkey())),
        durable,
    );
    let wire = BASE64_STANDARD.encode(bincode::serialize(&tx).unwrap());

    let simulated = rpc_result(
        &node.url,
        "simulateTransaction",
        json!([wire, {"encoding": "base64", "commitment": "confirmed"}]),
    );
    assert!(simulated["value"]["err"].is_null(), "{simulated}");

    let signature = client.send_and_confirm_transaction(&tx).expect("lands");
    assert_eq!(tx.signatures[0], signature);
    assert_eq!(client.get_balance(&to).unwrap(), SOL);

    // The nonce advanced: a new durable nonce, and the old one no longer admits anything.
    let advanced = parsed_nonce(&node.url, &nonce.pubkey().to_string());
    assert_ne!(advanced["parsed"]["info"]["blockhash"], info["blockhash"]);
    let again = Transaction::new(
        &[&payer],
        Message::new(
            &[
                system::advance_nonce_account(&nonce.pubkey(), &payer.pubkey()),
                system::transfer(&payer.pubkey(), &to, 2),
            ],
            Some(&payer.pubkey()),
        ),
        durable,
    );
    let refused = rpc_call(
        &node.url,
        "sendTransaction",
        json!([BASE64_STANDARD.encode(bincode::serialize(&again).unwrap()), {"encoding": "base64"}]),
    );
    assert_eq!(refused["error"]["code"], -32002, "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Blockhash not found"),
        "{refused}"
    );
}
