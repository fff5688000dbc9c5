//! `leash-bench node`: throughput and latency of the Leash node through JSON-RPC, for plain SOL transfers
//! and session-enforced `Execute` transfers, from 1 and from 8 concurrent clients; the node's
//! resident memory afterwards and its ledger bytes per transaction.
//!
//! The node runs as a child process (this binary's hidden `run-node`, the same node `leash node`
//! runs, on a fresh temporary ledger) so its memory is measured alone. Every transaction is sent with `sendTransaction`, which the node answers at
//! acceptance (executed, not yet durable); each mode then waits for the transaction to be
//! confirmed (durably committed), so latency here is "confirmed" latency.
//!
//! Three ways to confirm (`--mode`):
//! - `send`: each client sends one transaction at a time and asks `getSignatureStatuses` until it
//!   is confirmed (`solana-rpc-client`'s `send_and_confirm_transaction`; the node answers the
//!   status once the transaction is durable);
//! - `subscribe`: each client subscribes to the signature (`signatureSubscribe`, `confirmed`, on the
//!   node's WebSocket PubSub), sends, and waits for the notification — `@solana/kit`'s
//!   `sendAndConfirmTransaction` flow; latency runs from the subscription to the notification;
//! - `pipelined`: one client keeps up to [`PIPELINE_WINDOW`] transactions in flight without waiting
//!   for any one of them, and confirms them through `getSignatureStatuses` in batches of 256;
//!   tx/s runs from the first send to the last confirmation, latency from a transaction's send to
//!   the status poll that first saw it confirmed.

use std::{
    io::{BufRead, BufReader},
    path::Path,
    process::{Child, Command, Stdio},
    sync::Arc,
    time::{Duration, Instant},
};

use futures_util::{stream::FuturesUnordered, SinkExt, StreamExt};
use leash_program::{
    instruction as ix,
    state::{self, Authority, Policy, SpendLimit, NATIVE_SOL_MINT},
};
use serde_json::json;
use solana_commitment_config::CommitmentConfig;
use solana_keypair::Keypair;
use solana_message::Message;
use solana_program::{hash::Hash, instruction::Instruction, pubkey::Pubkey};
use solana_rpc_client::{
    nonblocking::rpc_client::RpcClient as AsyncRpcClient, rpc_client::RpcClient,
};
use solana_rpc_client_types::config::RpcSendTransactionConfig;
use solana_signature::Signature;
use solana_signer::Signer;
use solana_transaction::Transaction;
use tokio_tungstenite::tungstenite::Message as WsMessage;

/// The bench starts its own node, where Leash runs at its genesis (default) id.
const PROGRAM_ID: Pubkey = leash_sdk::DEFAULT_PROGRAM_ID;

const SOL: u64 = 1_000_000_000;
/// Transactions a pipelined client keeps in flight.
pub const PIPELINE_WINDOW: usize = 128;
/// Signatures per `getSignatureStatuses` call (Agave's limit).
const STATUS_BATCH: usize = 256;

pub struct BenchArgs {
    /// Transactions per run (per mode: plain and session, from 1 and from 8 clients; pipelined:
    /// plain and session from one client).
    pub per_run: usize,
    pub modes: Vec<Mode>,
    pub json: bool,
}

/// How a client learns that its transaction is confirmed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mode {
    Send,
    Subscribe,
    Pipelined,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Send => "send",
            Mode::Subscribe => "subscribe",
            Mode::Pipelined => "pipelined",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Plain,
    Session,
}

struct RunResult {
    mode: Mode,
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
    ws_url: String,
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn_node(ledger: &Path) -> Result<NodeProcess, String> {
    let exe =
        std::env::current_exe().map_err(|e| format!("cannot find the leash-bench binary: {e}"))?;
    let mut child = Command::new(exe)
        .args(["run-node", "--ledger"])
        .arg(ledger)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start the node: {e}"))?;
    let stdout = child.stdout.take().ok_or("no stdout from the node")?;
    let mut lines = BufReader::new(stdout).lines();
    let (mut url, mut ws_url) = (None, None);
    while url.is_none() || ws_url.is_none() {
        match lines.next() {
            Some(Ok(line)) => {
                if let Some(rest) = line.strip_prefix("RPC URL:") {
                    url = Some(rest.trim().to_string());
                } else if let Some(rest) = line.strip_prefix("WebSocket PubSub URL:") {
                    ws_url = Some(rest.trim().to_string());
                }
            }
            _ => return Err("the node exited before it was ready".into()),
        }
    }
    std::thread::spawn(move || for _ in lines {});
    Ok(NodeProcess {
        child,
        url: url.unwrap_or_default(),
        ws_url: ws_url.unwrap_or_default(),
    })
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
    client
        .send_transaction_with_config(&sign(ixs, payer, blockhash), send_config())
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

fn transfer_ixs(
    kind: Kind,
    signer: &Keypair,
    wallet: &Pubkey,
    recipient: &Pubkey,
    amount: u64,
) -> Vec<Instruction> {
    match kind {
        Kind::Plain => vec![solana_system_interface::instruction::transfer(
            &signer.pubkey(),
            recipient,
            amount,
        )],
        Kind::Session => {
            let (vault, _) = state::vault_address(wallet, &PROGRAM_ID);
            let transfer =
                solana_system_interface::instruction::transfer(&vault, recipient, amount);
            vec![ix::execute(
                &PROGRAM_ID,
                &signer.pubkey(),
                wallet,
                None,
                &[transfer],
            )]
        }
    }
}

/// Distinct amounts make every transaction distinct.
fn amount(seed: u64, i: usize) -> u64 {
    1 + seed * 1_000_000 + i as u64
}

fn sign(ixs: &[Instruction], payer: &Keypair, blockhash: Hash) -> Transaction {
    Transaction::new(
        &[payer],
        Message::new(ixs, Some(&payer.pubkey())),
        blockhash,
    )
}

fn send_config() -> RpcSendTransactionConfig {
    RpcSendTransactionConfig {
        skip_preflight: false,
        ..Default::default()
    }
}

/// One client's share of a run: sends `count` transactions, returns latencies.
#[allow(clippy::too_many_arguments)]
fn client_loop(
    url: &str,
    ws_url: &str,
    mode: Mode,
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
    let work = Work {
        url,
        kind,
        signer,
        wallet,
        recipient,
        count,
        seed,
    };
    match mode {
        Mode::Send => send_loop(&client, &work),
        Mode::Subscribe | Mode::Pipelined => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| format!("cannot start a runtime: {e}"))?;
            runtime.block_on(async {
                if mode == Mode::Subscribe {
                    subscribe_loop(ws_url, &work).await
                } else {
                    pipelined_loop(&work).await
                }
            })
        }
    }
}

struct Work<'a> {
    url: &'a str,
    kind: Kind,
    signer: &'a Keypair,
    wallet: &'a Pubkey,
    recipient: Pubkey,
    count: usize,
    seed: u64,
}

impl Work<'_> {
    fn transaction(&self, i: usize, blockhash: Hash) -> Transaction {
        let ixs = transfer_ixs(
            self.kind,
            self.signer,
            self.wallet,
            &self.recipient,
            amount(self.seed, i),
        );
        sign(&ixs, self.signer, blockhash)
    }
}

/// `--mode send`: one transaction at a time, each sent and then confirmed through
/// `getSignatureStatuses`.
fn send_loop(client: &RpcClient, work: &Work) -> Result<Vec<Duration>, String> {
    let mut latencies = Vec::with_capacity(work.count);
    let mut blockhash = client.get_latest_blockhash().map_err(|e| e.to_string())?;
    for i in 0..work.count {
        if i % BLOCKHASH_EVERY == BLOCKHASH_EVERY - 1 {
            blockhash = client.get_latest_blockhash().map_err(|e| e.to_string())?;
        }
        let tx = work.transaction(i, blockhash);
        let started = Instant::now();
        let signature = client
            .send_transaction_with_config(&tx, send_config())
            .map_err(|e| e.to_string())?;
        // The node answers a status once everything executed before it is durable, so one call
        // normally tells; a status not yet confirmed is asked again.
        loop {
            let status = client
                .get_signature_statuses(&[signature])
                .map_err(|e| e.to_string())?
                .value
                .into_iter()
                .next()
                .flatten();
            match status {
                Some(status) if status.err.is_some() => {
                    return Err(format!("transaction {signature} failed: {:?}", status.err))
                }
                Some(status) if status.satisfies_commitment(CommitmentConfig::confirmed()) => break,
                _ => std::thread::sleep(Duration::from_millis(1)),
            }
        }
        latencies.push(started.elapsed());
    }
    Ok(latencies)
}

/// Transactions sent per blockhash: the loops fetch a new one this often, well inside its
/// 150-slot life.
const BLOCKHASH_EVERY: usize = 500;

/// Fetches a new blockhash before every [`BLOCKHASH_EVERY`]th transaction of a loop.
async fn refresh_blockhash(
    client: &AsyncRpcClient,
    i: usize,
    blockhash: &mut Hash,
) -> Result<(), String> {
    if i % BLOCKHASH_EVERY == BLOCKHASH_EVERY - 1 {
        *blockhash = client
            .get_latest_blockhash()
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The next JSON text message from the WebSocket (pings are answered by the library).
async fn next_json<S>(ws: &mut S) -> Result<serde_json::Value, String>
where
    S: futures_util::Stream<Item = Result<WsMessage, tokio_tungstenite::tungstenite::Error>>
        + Unpin,
{
    loop {
        match ws.next().await {
            Some(Ok(WsMessage::Text(text))) => {
                return serde_json::from_str(text.as_str())
                    .map_err(|e| format!("PubSub sent invalid JSON: {e}"))
            }
            Some(Ok(WsMessage::Close(_))) | None => {
                return Err("the PubSub connection closed".into())
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(format!("PubSub: {e}")),
        }
    }
}

/// `--mode subscribe`: subscribe to the signature, send, wait for its `confirmed` notification.
async fn subscribe_loop(ws_url: &str, work: &Work<'_>) -> Result<Vec<Duration>, String> {
    let client =
        AsyncRpcClient::new_with_commitment(work.url.to_string(), CommitmentConfig::confirmed());
    // Nagle off: a subscription request is small, and waiting for the peer's delayed ACK would
    // add ~40 ms to every confirmation.
    let (mut ws, _) = tokio_tungstenite::connect_async_with_config(ws_url, None, true)
        .await
        .map_err(|e| format!("cannot connect to {ws_url}: {e}"))?;
    let mut latencies = Vec::with_capacity(work.count);
    let mut blockhash = client
        .get_latest_blockhash()
        .await
        .map_err(|e| e.to_string())?;
    for i in 0..work.count {
        refresh_blockhash(&client, i, &mut blockhash).await?;
        let tx = work.transaction(i, blockhash);
        let started = Instant::now();
        let request = json!({
            "jsonrpc": "2.0",
            "id": i,
            "method": "signatureSubscribe",
            "params": [tx.signatures[0].to_string(), {"commitment": "confirmed"}],
        });
        ws.send(WsMessage::text(request.to_string()))
            .await
            .map_err(|e| format!("PubSub: {e}"))?;
        let subscription = loop {
            let answer = next_json(&mut ws).await?;
            if answer["id"] == json!(i) {
                break answer["result"]
                    .as_u64()
                    .ok_or_else(|| format!("signatureSubscribe failed: {answer}"))?;
            }
        };
        client
            .send_transaction_with_config(&tx, send_config())
            .await
            .map_err(|e| e.to_string())?;
        loop {
            let message = next_json(&mut ws).await?;
            if message["method"] == "signatureNotification"
                && message["params"]["subscription"] == json!(subscription)
            {
                let err = &message["params"]["result"]["value"]["err"];
                if !err.is_null() {
                    return Err(format!("transaction failed: {err}"));
                }
                break;
            }
        }
        latencies.push(started.elapsed());
    }
    Ok(latencies)
}

/// `--mode pipelined`: up to [`PIPELINE_WINDOW`] sends in flight, while the signatures sent so far
/// are confirmed through `getSignatureStatuses`. Latency: from a send to the poll that saw it
/// confirmed.
async fn pipelined_loop(work: &Work<'_>) -> Result<Vec<Duration>, String> {
    let client =
        AsyncRpcClient::new_with_commitment(work.url.to_string(), CommitmentConfig::confirmed());
    let client = &client;
    let sent: std::sync::Mutex<Vec<(Signature, Instant)>> =
        std::sync::Mutex::new(Vec::with_capacity(work.count));
    let failed = std::sync::atomic::AtomicBool::new(false);
    let sender = async {
        let result = async {
            let mut in_flight = FuturesUnordered::new();
            let mut blockhash = client
                .get_latest_blockhash()
                .await
                .map_err(|e| e.to_string())?;
            for i in 0..work.count {
                refresh_blockhash(client, i, &mut blockhash).await?;
                let tx = work.transaction(i, blockhash);
                sent.lock()
                    .map_err(|_| "poisoned".to_string())?
                    .push((tx.signatures[0], Instant::now()));
                in_flight.push(async move {
                    client
                        .send_transaction_with_config(&tx, send_config())
                        .await
                        .map_err(|e| e.to_string())
                });
                while in_flight.len() >= PIPELINE_WINDOW {
                    if let Some(result) = in_flight.next().await {
                        result?;
                    }
                }
            }
            while let Some(result) = in_flight.next().await {
                result?;
            }
            Ok::<(), String>(())
        }
        .await;
        if result.is_err() {
            failed.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        result
    };
    let confirmer = async {
        let mut latencies = Vec::with_capacity(work.count);
        let mut confirmed = vec![false; work.count];
        while latencies.len() < work.count {
            if failed.load(std::sync::atomic::Ordering::Relaxed) {
                break;
            }
            let pending: Vec<(usize, Signature, Instant)> = sent
                .lock()
                .map_err(|_| "poisoned".to_string())?
                .iter()
                .enumerate()
                .filter(|(i, _)| !confirmed[*i])
                .map(|(i, (signature, at))| (i, *signature, *at))
                .collect();
            if pending.is_empty() {
                tokio::time::sleep(Duration::from_millis(1)).await;
                continue;
            }
            for chunk in pending.chunks(STATUS_BATCH) {
                let signatures: Vec<Signature> = chunk.iter().map(|p| p.1).collect();
                let statuses = client
                    .get_signature_statuses(&signatures)
                    .await
                    .map_err(|e| e.to_string())?
                    .value;
                let now = Instant::now();
                for ((i, _, at), status) in chunk.iter().zip(statuses) {
                    let Some(status) = status else { continue };
                    if let Some(err) = status.err {
                        return Err(format!("transaction failed: {err}"));
                    }
                    if status.satisfies_commitment(CommitmentConfig::confirmed()) {
                        confirmed[*i] = true;
                        latencies.push(now - *at);
                    }
                }
            }
        }
        Ok::<_, String>(latencies)
    };
    let (sent_result, latencies) = tokio::join!(sender, confirmer);
    sent_result?;
    latencies
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

#[allow(clippy::too_many_arguments)]
fn run(
    url: &str,
    ws_url: &str,
    mode: Mode,
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
                &PROGRAM_ID,
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
            let (url, ws_url) = (url.to_string(), ws_url.to_string());
            let (signer, wallet) = (signer.clone(), *wallet);
            std::thread::spawn(move || {
                client_loop(
                    &url, &ws_url, mode, kind, &signer, &wallet, per_client, i as u64,
                )
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
        mode,
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
    // The faucet gives at most 1,000 SOL a request (docs/node.md "Limits"); the transfers move
    // under 0.01 SOL each.
    for _ in 0..10 {
        airdrop(&client, &owner.pubkey(), 1_000 * SOL)?;
    }
    let (wallet, _) =
        state::wallet_address(&Authority::Ed25519(owner.pubkey()), &[0; 32], &PROGRAM_ID);
    let (vault, _) = state::vault_address(&wallet, &PROGRAM_ID);
    let blockhash = client.get_latest_blockhash().map_err(|e| e.to_string())?;
    let setup = [
        ix::create_wallet(&PROGRAM_ID, &owner.pubkey(), &owner.pubkey(), [0; 32]),
        solana_system_interface::instruction::transfer(&owner.pubkey(), &vault, 9_000 * SOL),
    ];
    send(&client, &setup, &owner, blockhash)?;

    let mut results = Vec::new();
    for &mode in &args.modes {
        let client_counts: &[usize] = if mode == Mode::Pipelined {
            &[1]
        } else {
            &[1, 8]
        };
        for &clients in client_counts {
            for kind in [Kind::Plain, Kind::Session] {
                if !args.json {
                    eprintln!(
                        "running {} transfers, {} mode, {clients} client(s), {} transactions…",
                        if kind == Kind::Plain {
                            "plain SOL"
                        } else {
                            "session Execute"
                        },
                        mode.name(),
                        args.per_run
                    );
                }
                results.push(run(
                    &node.url,
                    &node.ws_url,
                    mode,
                    kind,
                    clients,
                    args.per_run,
                    &owner,
                    &wallet,
                )?);
            }
        }
    }
    let transactions = client.get_transaction_count().map_err(|e| e.to_string())?;
    let rss_kib = resident_kib(node.child.id());
    let ledger_bytes = std::fs::metadata(ledger.path().join("ledger.redb"))
        .map(|m| m.len())
        .unwrap_or(0);
    let bytes_per_tx = ledger_bytes as f64 / transactions.max(1) as f64;

    // The session/plain ratio, from the first mode measured.
    let ratio_mode = args.modes.first().copied().unwrap_or(Mode::Send);
    let find = |kind, clients| {
        results
            .iter()
            .find(|r| r.mode == ratio_mode && r.kind == kind && r.clients == clients)
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
                    "mode": r.mode.name(),
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
            "session_cost_ratio_mode": ratio_mode.name(),
            "session_cost_ratio_1_client": ratio(1),
            "session_cost_ratio_8_clients": ratio(8),
        });
        println!("{out:#}");
    } else {
        println!(
            "{:<18} {:<10} {:>8} {:>10} {:>10} {:>10} {:>10}",
            "workload", "confirm", "clients", "txs", "tx/s", "p50 ms", "p99 ms"
        );
        for r in &results {
            let name = if r.kind == Kind::Plain {
                "plain SOL"
            } else {
                "session Execute"
            };
            println!(
                "{:<18} {:<10} {:>8} {:>10} {:>10.0} {:>10.2} {:>10.2}",
                name,
                r.mode.name(),
                r.clients,
                r.transactions,
                r.tps(),
                r.p50_ms,
                r.p99_ms
            );
        }
        println!();
        println!(
            "session/plain time per transaction ({}): {:.2}× (1 client), {:.2}× (8 clients)",
            ratio_mode.name(),
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
