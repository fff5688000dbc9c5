//! Deploys through the upgradeable loader over RPC, as on a validator: a buffer, its writes and
//! `DeployWithMaxDataLen` land, the program runs from the next slot (not the one it was deployed
//! in, as on Agave), and after a restart it still runs (docs/node.md, "Deploys").

use leash_node::BackgroundNode;
use serde_json::json;
use solana_keypair::Keypair;
use solana_loader_v3_interface::instruction as loader;
use solana_program::instruction::{Instruction, InstructionError};
use solana_rpc_client::rpc_client::RpcClient;
use solana_signer::Signer;
use solana_transaction_error::TransactionError;

mod common;

use common::*;

/// A 1 KB SBPF v0 program that logs "sbf-probe: hello from SBPF v0".
const PROBE: &[u8] = include_bytes!("../../../programs/sbf-probe/sbf_probe.so");

fn start(ledger: &std::path::Path, reset: bool) -> (BackgroundNode, RpcClient) {
    let mut config = config(ledger, reset, true);
    // Slots move only when the test warps: "the same slot" is then certain.
    config.slot_time = None;
    start_with(config)
}

fn slot(url: &str) -> u64 {
    rpc_call(url, "getSlot", json!([]))["result"]
        .as_u64()
        .expect("a slot")
}

/// Calls the probe; its error, or `None` when it ran and logged.
fn call_probe(client: &RpcClient, payer: &Keypair, program: &Keypair) -> Option<TransactionError> {
    let call = Instruction::new_with_bytes(program.pubkey(), &[], vec![]);
    let blockhash = client.get_latest_blockhash().unwrap();
    let tx = solana_transaction::Transaction::new_signed_with_payer(
        &[call],
        Some(&payer.pubkey()),
        &[payer],
        blockhash,
    );
    match client.send_and_confirm_transaction(&tx) {
        Ok(_) => None,
        Err(e) => Some(e.get_transaction_error().expect("a transaction error")),
    }
}

#[test]
fn upgradeable_loader_deploys_land_and_run_from_the_next_slot() {
    let dir = tempfile::tempdir().unwrap();
    let (node, client) = start(dir.path(), true);
    let payer = funded(&client, 10 * SOL);
    let buffer = Keypair::new();
    let program = Keypair::new();
    let buffer_rent = client
        .get_minimum_balance_for_rent_exemption(37 + PROBE.len())
        .unwrap();
    let create = loader::create_buffer(
        &payer.pubkey(),
        &buffer.pubkey(),
        &payer.pubkey(),
        buffer_rent,
        PROBE.len(),
    )
    .unwrap();
    send(&client, &create, &payer, &[&buffer]);
    for (i, chunk) in PROBE.chunks(800).enumerate() {
        let write = loader::write(
            &buffer.pubkey(),
            &payer.pubkey(),
            (i * 800) as u32,
            chunk.to_vec(),
        );
        send(&client, &[write], &payer, &[]);
    }
    let program_rent = client.get_minimum_balance_for_rent_exemption(36).unwrap();
    let deploy = loader::deploy_with_max_program_len(
        &payer.pubkey(),
        &program.pubkey(),
        &buffer.pubkey(),
        &payer.pubkey(),
        program_rent,
        PROBE.len(),
        true,
    )
    .unwrap();
    send(&client, &deploy, &payer, &[&program]);
    let deployed_in = slot(&node.url);
    let account = client.get_account(&program.pubkey()).unwrap();
    assert!(account.executable, "the program account is executable");
    assert!(
        client.get_account(&buffer.pubkey()).is_err(),
        "the buffer was closed into the payer"
    );

    // The slot it was deployed in: not yet (Agave: "Program is not deployed").
    assert_eq!(
        call_probe(&client, &payer, &program),
        Some(TransactionError::InstructionError(
            0,
            InstructionError::UnsupportedProgramId
        ))
    );
    assert_eq!(slot(&node.url), deployed_in, "still the deploy's slot");
    // The next slot: it runs.
    rpc_call(&node.url, "leash_warpSlot", json!([deployed_in + 1]));
    assert_eq!(call_probe(&client, &payer, &program), None);

    // After a restart the program loads again from the ledger.
    drop(node);
    let (node, client) = start(dir.path(), false);
    rpc_call(&node.url, "leash_warpSlot", json!([slot(&node.url) + 1]));
    assert_eq!(call_probe(&client, &payer, &program), None);
}

/// `--finality-lag`: `finalized` trails `confirmed` as on a real cluster. A blockhash read at
/// `confirmed` is unknown to a preflight at `finalized` (the RPC default) — the mix-up that made
/// every `leash wallet create` fail against Agave — and known to one at `confirmed`; statuses
/// say `confirmed` until the slot is finalized.
#[test]
fn a_lagging_node_keeps_finalized_behind_confirmed() {
    use solana_commitment_config::{CommitmentConfig, CommitmentLevel};
    use solana_rpc_client_types::config::RpcSendTransactionConfig;
    use solana_system_interface::instruction::transfer;

    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path(), true, true);
    config.slot_time = None;
    config.finality_lag = 32;
    let (node, client) = start_with(config);
    let payer = funded(&client, 10 * SOL);
    // `getSlot` defaults to `finalized`: warps count from the newest (`confirmed`) slot.
    let newest = |client: &RpcClient| {
        client
            .get_slot_with_commitment(CommitmentConfig::confirmed())
            .unwrap()
    };
    rpc_call(&node.url, "leash_warpSlot", json!([newest(&client) + 40]));
    let confirmed = client
        .get_slot_with_commitment(CommitmentConfig::confirmed())
        .unwrap();
    let finalized = client
        .get_slot_with_commitment(CommitmentConfig::finalized())
        .unwrap();
    assert_eq!(confirmed - finalized, 32);

    let (blockhash, _) = client
        .get_latest_blockhash_with_commitment(CommitmentConfig::confirmed())
        .unwrap();
    let (old, _) = client
        .get_latest_blockhash_with_commitment(CommitmentConfig::finalized())
        .unwrap();
    assert_ne!(blockhash, old, "the finalized view is older");
    let tx = solana_transaction::Transaction::new_signed_with_payer(
        &[transfer(&payer.pubkey(), &Keypair::new().pubkey(), SOL)],
        Some(&payer.pubkey()),
        &[&payer],
        blockhash,
    );
    let at = |level| RpcSendTransactionConfig {
        preflight_commitment: Some(level),
        ..Default::default()
    };
    let refused = client
        .send_transaction_with_config(&tx, at(CommitmentLevel::Finalized))
        .unwrap_err();
    assert_eq!(
        refused.get_transaction_error(),
        Some(TransactionError::BlockhashNotFound)
    );
    let signature = client
        .send_transaction_with_config(&tx, at(CommitmentLevel::Confirmed))
        .unwrap();
    let status = |client: &RpcClient| {
        client.get_signature_statuses(&[signature]).unwrap().value[0]
            .clone()
            .and_then(|s| s.confirmation_status)
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while status(&client).is_none() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(
        status(&client),
        Some(solana_transaction_status_client_types::TransactionConfirmationStatus::Confirmed)
    );
    rpc_call(&node.url, "leash_warpSlot", json!([newest(&client) + 32]));
    assert_eq!(
        status(&client),
        Some(solana_transaction_status_client_types::TransactionConfirmationStatus::Finalized)
    );
}
