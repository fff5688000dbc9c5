//! `kill -9` during a stream of transactions, then a restart on the same ledger: every
//! transaction a client saw confirmed is there, nothing it did not send is, and balances and
//! session counters agree with exactly the transactions that landed.

mod common;

use std::{
    collections::HashSet,
    process::{Child, Command},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use leash_program::{
    instruction as ix,
    state::{self, Authority, Policy, Session, SpendLimit},
};
use solana_commitment_config::CommitmentConfig;
use solana_keypair::Keypair;
use solana_message::Message;
use solana_program::pubkey::Pubkey;
use solana_rpc_client::rpc_client::RpcClient;
use solana_signature::Signature;
use solana_signer::Signer;
use solana_transaction::Transaction;

const SOL: u64 = 1_000_000_000;

/// Starts `leash node` on a free port and returns it with its RPC URL.
fn spawn_node(ledger: &std::path::Path) -> (Child, String) {
    common::spawn_node(ledger, 100).into_parts()
}

fn confirmed_client(url: &str) -> RpcClient {
    RpcClient::new_with_commitment(url.to_string(), CommitmentConfig::confirmed())
}

#[test]
fn kill_dash_nine_loses_nothing_confirmed_and_invents_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, url) = spawn_node(dir.path());
    let client = confirmed_client(&url);

    // Setup: payers, a recipient, and a Leash wallet with a session.
    let payers: Vec<Keypair> = (0..3).map(|_| Keypair::new()).collect();
    for payer in &payers {
        let signature = client.request_airdrop(&payer.pubkey(), 10 * SOL).unwrap();
        assert!(client.confirm_transaction(&signature).unwrap());
    }
    let recipient = Pubkey::new_unique();
    let owner = &payers[0];
    let (wallet, _) = state::wallet_address(
        &Authority::Ed25519(owner.pubkey()),
        &[0; 32],
        &leash_program::DEFAULT_ID,
    );
    let (vault, _) = state::vault_address(&wallet, &leash_program::DEFAULT_ID);
    let session_key = Keypair::new();
    let policy = Policy::unbounded(
        vec![solana_system_interface::program::ID],
        vec![SpendLimit::unlimited(state::NATIVE_SOL_MINT)],
    );
    let setup = [
        ix::create_wallet(
            &leash_program::DEFAULT_ID,
            &owner.pubkey(),
            &owner.pubkey(),
            [0; 32],
        ),
        solana_system_interface::instruction::transfer(&owner.pubkey(), &vault, 3 * SOL),
        solana_system_interface::instruction::transfer(&owner.pubkey(), &session_key.pubkey(), SOL),
        ix::create_session(
            &leash_program::DEFAULT_ID,
            &owner.pubkey(),
            &owner.pubkey(),
            &wallet,
            &session_key.pubkey(),
            policy,
        ),
    ];
    let tx = Transaction::new(
        &[owner],
        Message::new(&setup, Some(&owner.pubkey())),
        client.get_latest_blockhash().unwrap(),
    );
    client.send_and_confirm_transaction(&tx).unwrap();
    let before: Vec<u64> = payers
        .iter()
        .map(|p| client.get_balance(&p.pubkey()).unwrap())
        .collect();
    let vault_before = client.get_balance(&vault).unwrap();

    // The stream: three plain senders and one session, each amount distinct.
    let sent: Arc<Mutex<Vec<(Signature, usize, u64)>>> = Arc::default();
    let confirmed: Arc<Mutex<HashSet<Signature>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut senders = Vec::new();
    let signers: Vec<Keypair> = payers
        .iter()
        .map(|p| p.insecure_clone())
        .chain([session_key.insecure_clone()])
        .collect();
    for (who, signer) in signers.into_iter().enumerate() {
        let (sent, confirmed, stop, url) =
            (sent.clone(), confirmed.clone(), stop.clone(), url.clone());
        senders.push(std::thread::spawn(move || {
            let client = confirmed_client(&url);
            for i in 0..10_000u64 {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let amount = 1_000 + (who as u64) * 1_000_000 + i;
                let ixs = if who == 3 {
                    let transfer =
                        solana_system_interface::instruction::transfer(&vault, &recipient, amount);
                    vec![ix::execute(
                        &leash_program::DEFAULT_ID,
                        &signer.pubkey(),
                        &wallet,
                        None,
                        &[transfer],
                    )]
                } else {
                    vec![solana_system_interface::instruction::transfer(
                        &signer.pubkey(),
                        &recipient,
                        amount,
                    )]
                };
                let Ok(blockhash) = client.get_latest_blockhash() else {
                    break;
                };
                let tx = Transaction::new(
                    &[&signer],
                    Message::new(&ixs, Some(&signer.pubkey())),
                    blockhash,
                );
                sent.lock().unwrap().push((tx.signatures[0], who, amount));
                // The node answers sendTransaction at acceptance; what it promises to keep is
                // what it then reports confirmed.
                let Ok(signature) = client.send_transaction(&tx) else {
                    break;
                };
                match client.confirm_transaction(&signature) {
                    Ok(true) => {
                        confirmed.lock().unwrap().insert(signature);
                    }
                    Ok(false) => {}
                    Err(_) => break,
                }
            }
        }));
    }
    // Let the stream run, then kill the node without warning.
    while confirmed.lock().unwrap().len() < 60 {
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("SIGKILL");
    child.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    for sender in senders {
        sender.join().unwrap();
    }

    let (mut child, url) = spawn_node(dir.path());
    let client = confirmed_client(&url);
    let sent = sent.lock().unwrap().clone();
    let confirmed = confirmed.lock().unwrap().clone();
    let mut landed = Vec::new();
    for chunk in sent.chunks(200) {
        let signatures: Vec<Signature> = chunk.iter().map(|(s, _, _)| *s).collect();
        let statuses = client.get_signature_statuses(&signatures).unwrap().value;
        for ((signature, who, amount), status) in chunk.iter().zip(statuses) {
            match status {
                Some(status) => {
                    assert!(status.err.is_none(), "{signature}: {:?}", status.err);
                    landed.push((*who, *amount));
                }
                None => assert!(
                    !confirmed.contains(signature),
                    "confirmed {signature} was lost"
                ),
            }
        }
    }
    eprintln!(
        "sent {}, confirmed before the kill {}, landed {}",
        sent.len(),
        confirmed.len(),
        landed.len()
    );
    assert!(landed.len() >= confirmed.len());
    assert!(landed.len() <= sent.len());

    // Nothing else: the recipient's history is exactly the landed transactions.
    let history = client.get_signatures_for_address(&recipient).unwrap();
    assert_eq!(history.len(), landed.len());
    let total: u64 = landed.iter().map(|(_, a)| a).sum();
    assert_eq!(client.get_balance(&recipient).unwrap(), total);
    for (who, payer) in payers.iter().enumerate() {
        let spent: u64 = landed
            .iter()
            .filter(|(w, _)| *w == who)
            .map(|(_, a)| a + 5_000)
            .sum();
        assert_eq!(
            client.get_balance(&payer.pubkey()).unwrap(),
            before[who] - spent,
            "payer {who}"
        );
    }
    // The session's counters match its landed Executes exactly.
    let executes: Vec<u64> = landed
        .iter()
        .filter(|(w, _)| *w == 3)
        .map(|(_, a)| *a)
        .collect();
    let session = Session::decode(
        &client
            .get_account_data(
                &state::session_address(&wallet, &session_key.pubkey(), &leash_program::DEFAULT_ID)
                    .0,
            )
            .unwrap(),
    )
    .unwrap();
    assert_eq!(session.uses, executes.len() as u64);
    assert_eq!(session.spent[0].total, executes.iter().sum::<u64>());
    assert_eq!(
        client.get_balance(&vault).unwrap(),
        vault_before - session.spent[0].total
    );
    // And the restarted node takes new transactions.
    let tx = Transaction::new(
        &[&payers[1]],
        Message::new(
            &[solana_system_interface::instruction::transfer(
                &payers[1].pubkey(),
                &recipient,
                7,
            )],
            Some(&payers[1].pubkey()),
        ),
        client.get_latest_blockhash().unwrap(),
    );
    client.send_and_confirm_transaction(&tx).unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn sigterm_stops_the_node_cleanly_and_keeps_its_state() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, url) = spawn_node(dir.path());
    let client = confirmed_client(&url);
    let key = Keypair::new();
    let signature = client.request_airdrop(&key.pubkey(), 3 * SOL).unwrap();
    assert!(client.confirm_transaction(&signature).unwrap());
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "leash node exits 0 on SIGTERM: {exit:?}");
    let (mut child, url) = spawn_node(dir.path());
    assert_eq!(
        confirmed_client(&url).get_balance(&key.pubkey()).unwrap(),
        3 * SOL
    );
    child.kill().unwrap();
    child.wait().unwrap();
}
