//! Landing transactions as on a real cluster (docs/client.md, "Landing a transaction"), against
//! a real `leash node`: the compute limit comes from a simulation and sits near what the
//! transaction used; a fixed priority fee is offered and paid; a transaction lost on the way
//! (the node's `leash_dropTransactions`) is resent — the same bytes — and lands; one whose
//! blockhash expires while it is lost is reported as expired, and nothing was spent.

mod common;

use std::time::{Duration, Instant};

use common::*;
use leash_client::{
    transaction::{PriorityFee, SendSettings, COMPUTE_BUDGET_PROGRAM},
    Client, Cluster, ErrorCode, WalletRef,
};
use serde_json::json;
use solana_signer::Signer;
use solana_transaction_status_client_types::UiTransactionEncoding;

/// The compute budget a landed transaction asked for (limit, price) and what it used and paid.
fn budget_of(env: &Env, signature: &str) -> (u32, u64, u64, u64) {
    let tx = env
        .client
        .rpc()
        .get_transaction(&signature.parse().unwrap(), UiTransactionEncoding::Base64)
        .expect("the transaction is recorded");
    let meta = tx.transaction.meta.expect("meta");
    let decoded = tx.transaction.transaction.decode().expect("decodes");
    let keys = decoded.message.static_account_keys();
    let (mut limit, mut price) = (0, 0);
    for ix in decoded.message.instructions() {
        if keys[usize::from(ix.program_id_index)] != COMPUTE_BUDGET_PROGRAM {
            continue;
        }
        match ix.data.first() {
            Some(2) => limit = u32::from_le_bytes(ix.data[1..5].try_into().unwrap()),
            Some(3) => price = u64::from_le_bytes(ix.data[1..9].try_into().unwrap()),
            _ => {}
        }
    }
    let used = Option::<u64>::from(meta.compute_units_consumed).expect("units");
    (limit, price, used, meta.fee)
}

fn vault_lamports(env: &Env) -> u64 {
    let wallet = WalletRef::of(&leash_sdk::DEFAULT_PROGRAM_ID, &env.owner.pubkey(), WALLET);
    env.client.rpc().get_balance(&wallet.vault).unwrap()
}

#[test]
fn limits_follow_the_simulation_and_the_priority_fee_is_paid() {
    let env = env();
    let wallet = WalletRef::of(&leash_sdk::DEFAULT_PROGRAM_ID, &env.owner.pubkey(), WALLET);
    // Default settings on the local node: auto finds no recent fees, so the price is 0.
    let deposit = env
        .client
        .prepare_deposit(&wallet, &amount("0.1"), &token("SOL"))
        .unwrap();
    let sent = env.client.sign_and_send(deposit, &env.owner).unwrap();
    let (limit, price, used, fee) = budget_of(&env, sent.signature.as_deref().unwrap());
    assert_eq!(price, 0);
    assert!(
        limit as u64 >= used + 1_000,
        "a margin: limit {limit}, used {used}"
    );
    assert!(
        limit as u64 <= used + used / 10 + 2_000,
        "near the use: limit {limit}, used {used}"
    );
    assert_eq!(fee, 5_000);

    // A fixed priority fee: offered, and paid on the limit.
    let paying = Client::new(Cluster::parse(&env.node.url).unwrap()).with_settings(SendSettings {
        priority_fee: PriorityFee::MicroLamports(50_000),
        ..SendSettings::default()
    });
    let deposit = paying
        .prepare_deposit(&wallet, &amount("0.1"), &token("SOL"))
        .unwrap();
    let unsigned = paying.unsigned_transactions(&deposit).unwrap();
    assert_eq!(unsigned[0].fee.priority_fee, 50_000);
    assert!(
        unsigned[0].summary.contains("priority 50000"),
        "the prepared summary shows it: {}",
        unsigned[0].summary
    );
    let sent = paying.sign_and_send(deposit, &env.owner).unwrap();
    let (limit, price, _, fee) = budget_of(&env, sent.signature.as_deref().unwrap());
    assert_eq!(price, 50_000);
    let priority = (u64::from(limit) * 50_000).div_ceil(1_000_000);
    assert_eq!(
        fee,
        5_000 + priority,
        "the priority fee is charged on the limit"
    );
}

#[test]
fn a_lost_transaction_is_resent_and_an_expired_one_says_nothing_was_spent() {
    let env = env();
    let wallet = WalletRef::of(&leash_sdk::DEFAULT_PROGRAM_ID, &env.owner.pubkey(), WALLET);
    // The first two sends are lost: the client resends the same bytes every 2 s until it lands.
    env.rpc("leash_dropTransactions", json!([2]));
    let before = vault_lamports(&env);
    let started = Instant::now();
    let deposit = env
        .client
        .prepare_deposit(&wallet, &amount("0.25"), &token("SOL"))
        .unwrap();
    let sent = env.client.sign_and_send(deposit, &env.owner).unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(4),
        "landed only after two resends ({:?})",
        started.elapsed()
    );
    assert_eq!(
        vault_lamports(&env),
        before + 250_000_000,
        "it landed, once"
    );
    assert!(sent.signature.is_some());

    // Every send lost, and the chain moves past the blockhash's 150 slots: expired, and the
    // vault never moved.
    env.rpc("leash_dropTransactions", json!([1_000_000]));
    let before = vault_lamports(&env);
    let url = env.node.url.clone();
    let warp = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(800));
        let client = solana_rpc_client::rpc_client::RpcClient::new(url);
        let slot = client.get_slot().unwrap();
        client
            .send::<serde_json::Value>(
                solana_rpc_client_types::request::RpcRequest::Custom {
                    method: "leash_warpSlot",
                },
                json!([slot + 300]),
            )
            .unwrap();
    });
    let deposit = env
        .client
        .prepare_deposit(&wallet, &amount("0.25"), &token("SOL"))
        .unwrap();
    let err = env.client.sign_and_send(deposit, &env.owner).unwrap_err();
    warp.join().unwrap();
    assert_eq!(err.code, ErrorCode::Expired, "{err:?}");
    assert!(err.message.contains("nothing was spent"), "{}", err.message);
    env.rpc("leash_dropTransactions", json!([0]));
    assert_eq!(vault_lamports(&env), before);
}
