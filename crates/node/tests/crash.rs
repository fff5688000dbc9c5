//! SIGKILL of a node while pipelining clients stream transactions at it.
//!
//! `sendTransaction` answers at acceptance and the durable group commit follows, off the send
//! path; what the node promises to keep is what it reported confirmed (`getSignatureStatuses`
//! `finalized`, a `signatureNotification`). So the clients here send without waiting, a confirmer
//! polls the statuses of what was accepted, and the node is killed mid-stream. After a restart on
//! the same ledger, every transaction reported confirmed is there, nothing that was never sent
//! is, and balances equal exactly the transactions that landed.
//!
//! The node runs in a child process (this test binary re-run as `child_node`), so that the kill
//! is a real SIGKILL of a process with a commit in flight.

mod common;

use std::{
    collections::HashSet,
    io::{BufRead, BufReader, Read, Write},
    path::Path,
    process::{Child, Command, Stdio},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use common::*;
use leash_node::BackgroundNode;
use solana_commitment_config::CommitmentConfig;
use solana_keypair::Keypair;
use solana_message::Message;
use solana_program::pubkey::Pubkey;
use solana_rpc_client::rpc_client::RpcClient;
use solana_signature::Signature;
use solana_signer::Signer;
use solana_transaction::Transaction;

/// Runs only as the child of the test below (LEASH_CRASH_CHILD set): serves a node on the given
/// ledger until killed (or stdin closes).
#[test]
fn child_node() {
    let Ok(ledger) = std::env::var("LEASH_CRASH_CHILD") else {
        return;
    };
    let node = BackgroundNode::start(config(Path::new(&ledger), false, false)).expect("starts");
    println!("URL {}", node.url);
    std::io::stdout().flush().unwrap();
    let mut rest = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut rest);
}

/// A node in a child process; killed (SIGKILL) when dropped.
struct ChildNode {
    child: Child,
    url: String,
}

impl ChildNode {
    fn start(ledger: &Path) -> ChildNode {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["child_node", "--exact", "--nocapture", "--test-threads=1"])
            .env("LEASH_CRASH_CHILD", ledger)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let url = loop {
            let line = lines.next().expect("the child prints its URL").unwrap();
            // libtest may print "test child_node ... " on the same line.
            if let Some((_, url)) = line.split_once("URL ") {
                break url.trim().to_string();
            }
        };
        ChildNode { child, url }
    }

    /// SIGKILL: no shutdown, no last commit.
    fn kill(&mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().unwrap();
    }
}

impl Drop for ChildNode {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn client(url: &str) -> RpcClient {
    RpcClient::new_with_commitment(url.to_string(), CommitmentConfig::confirmed())
}

const SENDERS: usize = 4;

#[test]
fn sigkill_while_pipelining_loses_nothing_confirmed_and_invents_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut node = ChildNode::start(dir.path());
    let setup = client(&node.url);
    let payers: Vec<Keypair> = (0..SENDERS).map(|_| funded(&setup, 10 * SOL)).collect();
    // The recipient exists (rent-exempt) before the stream's small transfers.
    let recipient = Pubkey::new_unique();
    let signature = setup.request_airdrop(&recipient, SOL).unwrap();
    assert!(setup.confirm_transaction(&signature).unwrap());
    let before: Vec<u64> = payers
        .iter()
        .map(|p| setup.get_balance(&p.pubkey()).unwrap())
        .collect();
    let transactions_before = setup.get_transaction_count().unwrap();

    // Every transaction sent (answered or not), what was accepted, what was reported confirmed.
    let sent: Arc<Mutex<Vec<(Signature, usize, u64)>>> = Arc::default();
    let accepted: Arc<Mutex<Vec<Signature>>> = Arc::default();
    let confirmed: Arc<Mutex<HashSet<Signature>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut threads = Vec::new();
    for (who, payer) in payers.iter().enumerate() {
        let payer = payer.insecure_clone();
        let (sent, accepted, stop, url) = (
            sent.clone(),
            accepted.clone(),
            stop.clone(),
            node.url.clone(),
        );
        // A sender never waits for confirmation: the next transaction follows the answer.
        threads.push(std::thread::spawn(move || {
            let client = client(&url);
            let mut blockhash = None;
            for i in 0..1_000_000u64 {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                if i % 100 == 0 {
                    blockhash = client.get_latest_blockhash().ok();
                }
                let Some(blockhash) = blockhash else { break };
                let amount = 1_000 + (who as u64) * 1_000_000 + i;
                let ix = solana_system_interface::instruction::transfer(
                    &payer.pubkey(),
                    &recipient,
                    amount,
                );
                let tx = Transaction::new(
                    &[&payer],
                    Message::new(&[ix], Some(&payer.pubkey())),
                    blockhash,
                );
                sent.lock().unwrap().push((tx.signatures[0], who, amount));
                match client.send_transaction(&tx) {
                    Ok(signature) => accepted.lock().unwrap().push(signature),
                    Err(_) => break,
                }
            }
        }));
    }
    {
        let (accepted, confirmed, stop, url) = (
            accepted.clone(),
            confirmed.clone(),
            stop.clone(),
            node.url.clone(),
        );
        threads.push(std::thread::spawn(move || {
            let client = client(&url);
            let mut checked = 0;
            while !stop.load(Ordering::Relaxed) {
                let batch: Vec<Signature> = {
                    let accepted = accepted.lock().unwrap();
                    accepted[checked..].iter().take(256).copied().collect()
                };
                if batch.is_empty() {
                    std::thread::sleep(Duration::from_millis(1));
                    continue;
                }
                let Ok(statuses) = client.get_signature_statuses(&batch) else {
                    break;
                };
                // Statuses answer in order; stop at the first not yet confirmed.
                for (signature, status) in batch.iter().zip(statuses.value) {
                    match status {
                        Some(s) if s.satisfies_commitment(CommitmentConfig::confirmed()) => {
                            assert!(s.err.is_none(), "{signature}: {:?}", s.err);
                            confirmed.lock().unwrap().insert(*signature);
                            checked += 1;
                        }
                        _ => break,
                    }
                }
            }
        }));
    }

    // Let the stream run, then kill the node without warning, while sends are in flight.
    let started = Instant::now();
    while confirmed.lock().unwrap().len() < 300 {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the stream confirmed only {} transactions",
            confirmed.lock().unwrap().len()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    node.kill();
    stop.store(true, Ordering::Relaxed);
    for thread in threads {
        thread.join().unwrap();
    }
    let sent = sent.lock().unwrap().clone();
    let accepted: HashSet<Signature> = accepted.lock().unwrap().iter().copied().collect();
    let confirmed = confirmed.lock().unwrap().clone();

    let node = ChildNode::start(dir.path());
    let client = client(&node.url);
    let mut landed = Vec::new();
    for chunk in sent.chunks(256) {
        let signatures: Vec<Signature> = chunk.iter().map(|(s, _, _)| *s).collect();
        let statuses = client.get_signature_statuses(&signatures).unwrap().value;
        for ((signature, who, amount), status) in chunk.iter().zip(statuses) {
            match status {
                Some(status) => {
                    assert_eq!(
                        status.confirmation_status,
                        Some(
                            solana_transaction_status_client_types::TransactionConfirmationStatus::Finalized
                        )
                    );
                    assert!(status.err.is_none(), "{signature}: {:?}", status.err);
                    landed.push((*who, *amount));
                }
                None => assert!(
                    !confirmed.contains(signature),
                    "{signature} was reported confirmed, and lost"
                ),
            }
        }
    }
    eprintln!(
        "sent {}, accepted {}, confirmed before the kill {}, landed {}",
        sent.len(),
        accepted.len(),
        confirmed.len(),
        landed.len()
    );
    assert!(landed.len() >= confirmed.len());

    // Nothing else landed: the count, the recipient's balance and each payer's balance are
    // exactly those of the landed transfers.
    assert_eq!(
        client.get_transaction_count().unwrap(),
        transactions_before + landed.len() as u64
    );
    let total: u64 = landed.iter().map(|(_, amount)| amount).sum();
    assert_eq!(client.get_balance(&recipient).unwrap(), SOL + total);
    for (who, payer) in payers.iter().enumerate() {
        let spent: u64 = landed
            .iter()
            .filter(|(w, _)| *w == who)
            .map(|(_, amount)| amount + 5_000)
            .sum();
        assert_eq!(
            client.get_balance(&payer.pubkey()).unwrap(),
            before[who] - spent,
            "payer {who}"
        );
    }
    // The restarted node takes new transactions.
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
}
