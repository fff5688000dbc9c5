//! `leash bench`: throughput and latency of `leash node` through JSON-RPC, for plain SOL transfers
//! and session-enforced `Execute` transfers, from 1 and from 8 concurrent clients; the node's
//! resident memory afterwards and its ledger bytes per transaction.
//!
//! The node runs as a child process (`leash node` on a fresh temporary ledger) so its memory is
//! measured alone. Every transaction is sent with `sendTransaction`, which the node answers only
//! after the transaction is durably committed, so latency here is "confirmed" latency.

use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, Command, Stdio},
    sync::Arc,
    time::{Duration, Instant},
};

use leash_program::{
    instruction as ix,
    state::{self, Authority, Policy, SpendLimit, NATIVE_SOL_MINT},
};
use serde_json::json;
use solana_commitment_config::CommitmentConfig;
use solana_keypair::Keypair;
use solana_message::Message;
use solana_program::{hash::Hash, instruction::Instruction, pubkey::Pubkey};
use solana_rpc_client::rpc_client::RpcClient;
use solana_rpc_client_types::config::RpcSendTransactionConfig;
use solana_signer::Signer;
use solana_transaction::Transaction;

const SOL: u64 = 1_000_000_000;

pub struct BenchArgs {
    /// Transactions per run (4 runs: plain and session, 1 and 8 clients).
    pub per_run: usize,
    pub json: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Plain,
    Session,
}

struct RunResult {
    kind: Kind,
    clients: usize,
    transactions: usize,
    seconds: f64,
    p50_ms: f64,
    p99_ms: f64,
}

impl RunResult {
    fn tps(&self) -> f64 {
        self.transactions as f64 / self.seconds
    }
}

struct NodeProcess {
    child: Child,
    url: String,
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn_node(ledger: &Path) -> Result<NodeProcess, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find the leash binary: {e}"))?;
    let mut child = Command::new(exe)
        .args(["node", "--rpc-port", "0", "--ledger"])
        .arg(ledger)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start leash node: {e}"))?;
    let stdout = child.stdout.take().ok_or("no stdout from leash node")?;
    let mut lines = BufReader::new(stdout).lines();
    let url = loop {
        match lines.next() {
            Some(Ok(line)) => {
                if let Some(url) = line.strip_prefix("RPC URL:") {
                    break url.trim().to_string();
                }
            }
            _ => return Err("leash node exited before it was ready".into()),
        }
    };
    std::thread::spawn(move || for _ in lines {});
    Ok(NodeProcess { child, url })
}

fn resident_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn send(
    client: &RpcClient,
    ixs: &[Instruction],
    payer: &Keypair,
    blockhash: Hash,
) -> Result<(), String> {
    let tx = Transaction::new(
        &[payer],
        Message::new(ixs, Some(&payer.pubkey())),
        blockhash,
    );
    let config = RpcSendTransactionConfig {
        skip_preflight: false,
        ..Default::default()
    };
    client
        .send_transaction_with_config(&tx, config)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn airdrop(client: &RpcClient, to: &Pubkey, lamports: u64) -> Result<(), String> {
    let signature = client
        .request_airdrop(to, lamports)
        .map_err(|e| e.to_string())?;
    client
        .confirm_transaction(&signature)
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// One client's share of a run: sends `count` transactions back to back, returns latencies.
fn client_loop(
    url: &str,
    kind: Kind,
    signer: &Keypair,
    wallet: &Pubkey,
    count: usize,
    seed: u64,
) -> Result<Vec<Duration>, String> {
    let client = RpcClient::new_with_commitment(url.to_string(), CommitmentConfig::confirmed());
    // A funded recipient, so that small transfers need not make it rent-exempt.
    let recipient = Pubkey::new_unique();
    airdrop(&client, &recipient, SOL)?;
    let (vault, _) = state::vault_address(wallet);
    let mut latencies = Vec::with_capacity(count);
    let mut blockhash = client.get_latest_blockhash().map_err(|e| e.to_string())?;
    for i in 0..count {
        if i % 500 == 499 {
            blockhash = client.get_latest_blockhash().map_err(|e| e.to_string())?;
        }
        // Distinct amounts make every transaction distinct.
        let amount = 1 + seed * 1_000_000 + i as u64;
        let ixs = match kind {
            Kind::Plain => vec![solana_system_interface::instruction::transfer(
                &signer.pubkey(),
                &recipient,
                amount,
            )],
            Kind::Session => {
                let transfer =
                    solana_system_interface::instruction::transfer(&vault, &recipient, amount);
                vec![ix::execute(&signer.pubkey(), wallet, None, &[transfer])]
            }
        };
        let started = Instant::now();
        send(&client, &ixs, signer, blockhash)?;
        latencies.push(started.elapsed());
    }
    Ok(latencies)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

fn run(
    url: &str,
    kind: Kind,
    clients: usize,
    total: usize,
    owner: &Keypair,
    wallet: &Pubkey,
) -> Result<RunResult, String> {
    let client = RpcClient::new_with_commitment(url.to_string(), CommitmentConfig::confirmed());
    let per_client = total / clients;
    // Fund one signer per client (a session key per client for session runs).
    let mut signers = Vec::new();
    for _ in 0..clients {
        let signer = Keypair::new();
        airdrop(&client, &signer.pubkey(), 50 * SOL)?;
        if kind == Kind::Session {
            let policy = Policy::unbounded(
                vec![solana_system_interface::program::ID],
                vec![SpendLimit::unlimited(NATIVE_SOL_MINT)],
            );
            let create = ix::create_session(
                &owner.pubkey(),
                &owner.pubkey(),
                wallet,
                &signer.pubkey(),
                policy,
            );
            let blockhash = client.get_latest_blockhash().map_err(|e| e.to_string())?;
            send(&client, &[create], owner, blockhash)?;
        }
        signers.push(Arc::new(signer));
    }
    let started = Instant::now();
    let handles: Vec<_> = signers
        .iter()
        .enumerate()
        .map(|(i, signer)| {
            let (url, signer, wallet) = (url.to_string(), signer.clone(), *wallet);
            std::thread::spawn(move || {
                client_loop(&url, kind, &signer, &wallet, per_client, i as u64)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for handle in handles {
        latencies.extend(
            handle
                .join()
                .map_err(|_| "a client thread panicked".to_string())??,
        );
    }
    let seconds = started.elapsed().as_secs_f64();
    latencies.sort();
    Ok(RunResult {
        kind,
        clients,
        transactions: latencies.len(),
        seconds,
        p50_ms: percentile(&latencies, 0.50),
        p99_ms: percentile(&latencies, 0.99),
    })
}

pub fn bench(args: BenchArgs) -> Result<(), String> {
    let ledger =
        tempfile::tempdir().map_err(|e| format!("cannot create a temporary ledger: {e}"))?;
    let node = spawn_node(ledger.path())?;
    let client = RpcClient::new_with_commitment(node.url.clone(), CommitmentConfig::confirmed());
    for _ in 0..100 {
        if client.get_health().is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let owner = Keypair::new();
    airdrop(&client, &owner.pubkey(), 1_000_000 * SOL)?;
    let (wallet, _) = state::wallet_address(&Authority::Ed25519(owner.pubkey()), &[0; 32]);
    let (vault, _) = state::vault_address(&wallet);
    let blockhash = client.get_latest_blockhash().map_err(|e| e.to_string())?;
    let setup = [
        ix::create_wallet(&owner.pubkey(), &owner.pubkey(), [0; 32]),
        solana_system_interface::instruction::transfer(&owner.pubkey(), &vault, 500_000 * SOL),
    ];
    send(&client, &setup, &owner, blockhash)?;

    let mut results = Vec::new();
    for clients in [1usize, 8] {
        for kind in [Kind::Plain, Kind::Session] {
            if !args.json {
                eprintln!(
                    "running {} transfers, {clients} client(s), {} transactions…",
                    if kind == Kind::Plain {
                        "plain SOL"
                    } else {
                        "session Execute"
                    },
                    args.per_run
                );
            }
            results.push(run(
                &node.url,
                kind,
                clients,
                args.per_run,
                &owner,
                &wallet,
            )?);
        }
    }
    let transactions = client.get_transaction_count().map_err(|e| e.to_string())?;
    let rss_kib = resident_kib(node.child.id());
    let ledger_bytes = std::fs::metadata(ledger.path().join("ledger.redb"))
        .map(|m| m.len())
        .unwrap_or(0);
    let bytes_per_tx = ledger_bytes as f64 / transactions.max(1) as f64;

    let find = |kind, clients| {
        results
            .iter()
            .find(|r| r.kind == kind && r.clients == clients)
    };
    let ratio = |clients| match (find(Kind::Session, clients), find(Kind::Plain, clients)) {
        (Some(s), Some(p)) => p.tps() / s.tps(),
        _ => 0.0,
    };
    if args.json {
        let runs: Vec<_> = results
            .iter()
            .map(|r| {
                json!({
                    "kind": if r.kind == Kind::Plain { "plain" } else { "session" },
                    "clients": r.clients,
                    "transactions": r.transactions,
                    "tps": r.tps(),
                    "p50_ms": r.p50_ms,
                    "p99_ms": r.p99_ms,
                })
            })
            .collect();
        let out = json!({
            "runs": runs,
            "node_transactions": transactions,
            "node_rss_kib": rss_kib,
            "ledger_bytes": ledger_bytes,
            "ledger_bytes_per_transaction": bytes_per_tx,
            "session_cost_ratio_1_client": ratio(1),
            "session_cost_ratio_8_clients": ratio(8),
        });
        println!("{out:#}");
    } else {
        println!(
            "{:<18} {:>8} {:>10} {:>10} {:>10} {:>10}",
            "workload", "clients", "txs", "tx/s", "p50 ms", "p99 ms"
        );
        for r in &results {
            let name = if r.kind == Kind::Plain {
                "plain SOL"
            } else {
                "session Execute"
            };
            println!(
                "{:<18} {:>8} {:>10} {:>10.0} {:>10.2} {:>10.2}",
                name,
                r.clients,
                r.transactions,
                r.tps(),
                r.p50_ms,
                r.p99_ms
            );
        }
        println!();
        println!(
            "session/plain time per transaction: {:.2}× (1 client), {:.2}× (8 clients)",
            ratio(1),
            ratio(8)
        );
        println!("node transactions:  {transactions}");
        match rss_kib {
            Some(kib) => println!("node resident set: {:.1} MiB", kib as f64 / 1024.0),
            None => println!("node resident set: unknown (no /proc)"),
        }
        println!(
            "ledger: {:.1} MiB, {bytes_per_tx:.0} bytes per transaction",
            ledger_bytes as f64 / 1_048_576.0
        );
    }
    Ok(())
}
