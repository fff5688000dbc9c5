//! Hostile input costs bounded work (docs/node.md, "Limits"): oversized
//! transactions are refused before decoding while other clients are served, batches and bodies
//! are capped, an answer over the response budget is an error and memory stays bounded, an
//! all-notification batch answers nothing, and idle connections are timed out under a low
//! open-file limit.
//!
//! The memory and open-file tests run the node in a child process (this test binary re-run as
//! `child_node`), so that its resident memory and file descriptors are its own.

use std::{
    io::{BufRead, BufReader, Read, Write},
    path::Path,
    process::{Child, Command, Stdio},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use leash_node::{store, BackgroundNode, Limits};
use serde_json::{json, Value};
use solana_account::Account;
use solana_program::pubkey::Pubkey;

mod common;

use common::*;

#[test]
fn oversized_transactions_are_refused_before_decoding_while_others_are_served() {
    let ledger = tempfile::tempdir().unwrap();
    let node = BackgroundNode::start(config(ledger.path(), true, false)).unwrap();
    let url = node.url.clone();

    // Another client polls getHealth throughout; its slowest answer is measured.
    let stop = Arc::new(AtomicBool::new(false));
    let poller = {
        let (url, stop) = (url.clone(), stop.clone());
        std::thread::spawn(move || {
            let (mut slowest, mut answers) = (Duration::ZERO, 0);
            while !stop.load(Ordering::Relaxed) {
                let started = Instant::now();
                let answer = rpc_call(&url, "getHealth", json!([]));
                assert_eq!(answer["result"], "ok");
                slowest = slowest.max(started.elapsed());
                answers += 1;
            }
            (slowest, answers)
        })
    };

    // 600,000 base58 characters: decoding them took 84 s on the executor before the check.
    let long = "z".repeat(600_000);
    let mut slowest_refusal = Duration::ZERO;
    for (method, encoding, encoded) in [
        ("sendTransaction", "base58", long.clone()),
        ("simulateTransaction", "base58", long.clone()),
        ("sendTransaction", "base64", "A".repeat(600_000)),
        ("sendTransaction", "base58", "z".repeat(1_684)),
        ("simulateTransaction", "base64", "A".repeat(1_645)),
    ] {
        let started = Instant::now();
        let answer = rpc_call(&url, method, json!([encoded, {"encoding": encoding}]));
        let took = started.elapsed();
        slowest_refusal = slowest_refusal.max(took);
        let error = &answer["error"];
        assert_eq!(error["code"], -32602, "{answer}");
        let message = error["message"].as_str().unwrap();
        let max = if encoding == "base58" { 1683 } else { 1644 };
        assert!(
            message.starts_with(&format!("{encoding} encoded "))
                && message.ends_with(&format!(
                    "too large: {} bytes (max: encoded/raw {max}/1232)",
                    encoded.len()
                )),
            "{message}"
        );
        // Milliseconds where decoding took 84 s; generous for a debug build on busy cores.
        assert!(took < Duration::from_secs(2), "{method}: {took:?}");
    }
    // A legitimate size still reaches the decoder (and fails there, being garbage).
    let answer = rpc_call(
        &url,
        "sendTransaction",
        json!(["z".repeat(1_683), {"encoding": "base58"}]),
    );
    assert!(answer["error"]["message"]
        .as_str()
        .unwrap()
        .contains("transaction too large"));

    stop.store(true, Ordering::Relaxed);
    let (slowest_health, answers) = poller.join().unwrap();
    eprintln!(
        "oversized transactions: slowest refusal {slowest_refusal:?}; getHealth meanwhile: \
         {answers} answers, slowest {slowest_health:?}"
    );
    assert!(answers > 0);
    assert!(
        slowest_health < Duration::from_millis(500),
        "{slowest_health:?}"
    );
}

#[test]
fn batches_bodies_and_notifications_are_bounded() {
    let ledger = tempfile::tempdir().unwrap();
    let limits = Limits {
        max_body_bytes: 256 * 1024,
        ..Limits::default()
    };
    let node =
        BackgroundNode::start_with_limits(config(ledger.path(), true, false), limits).unwrap();

    // 100 calls are answered; 101 are one -32600 naming the cap.
    let batch = |n: usize| {
        Value::Array(
            (0..n)
                .map(|i| json!({"jsonrpc": "2.0", "id": i, "method": "getSlot"}))
                .collect(),
        )
        .to_string()
    };
    let (status, body) = post(&node.url, batch(100).as_bytes());
    assert_eq!(status, 200);
    assert_eq!(
        serde_json::from_str::<Vec<Value>>(&body).unwrap().len(),
        100
    );
    let (status, body) = post(&node.url, batch(101).as_bytes());
    assert_eq!(status, 200);
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["error"]["code"], -32600, "{answer}");
    assert_eq!(
        answer["error"]["message"],
        "Invalid request: a batch of 101 calls exceeds the node's limit of 100 calls per batch"
    );

    // A body over the limit: HTTP 413 with a JSON-RPC error naming the limit.
    let big =
        json!({"jsonrpc": "2.0", "id": 1, "method": "getHealth", "params": ["x".repeat(300_000)]});
    let (status, body) = post(&node.url, big.to_string().as_bytes());
    assert_eq!(status, 413, "{body}");
    let answer: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["error"]["code"], -32600);
    assert_eq!(
        answer["error"]["message"],
        "Invalid request: the request body exceeds the node's limit of 262144 bytes"
    );

    // Notifications only: an empty body, as JSON-RPC 2.0 asks and Agave answers.
    let notifications =
        br#"[{"jsonrpc":"2.0","method":"getSlot"},{"jsonrpc":"2.0","method":"getHealth"}]"#;
    assert_eq!(post(&node.url, notifications), (200, String::new()));
    assert_eq!(
        post(&node.url, br#"{"jsonrpc":"2.0","method":"getSlot"}"#),
        (200, String::new())
    );
    // The node still answers normally afterwards.
    assert_eq!(rpc_call(&node.url, "getHealth", json!([]))["result"], "ok");
}

// ---------------------------------------------------------------------------------------------
// A node in a child process.

/// Runs only as the child of the tests below (LEASH_HOSTILE_CHILD set): serves a node on the
/// given ledger until stdin closes.
#[test]
fn child_node() {
    let Ok(ledger) = std::env::var("LEASH_HOSTILE_CHILD") else {
        return;
    };
    if let Ok(nofile) = std::env::var("LEASH_HOSTILE_NOFILE") {
        let hard: u64 = nofile.parse().unwrap();
        // A low hard limit, and a soft one lower still: the node raises soft to hard.
        let limit = libc::rlimit {
            rlim_cur: (hard / 4) as libc::rlim_t,
            rlim_max: hard as libc::rlim_t,
        };
        // SAFETY: setrlimit reads the struct passed by pointer.
        assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) }, 0);
    }
    let mut limits = Limits::default();
    if let Ok(ms) = std::env::var("LEASH_HOSTILE_IDLE_MS") {
        limits.idle_timeout = Duration::from_millis(ms.parse().unwrap());
    }
    if let Ok(bytes) = std::env::var("LEASH_HOSTILE_RESPONSE_BYTES") {
        limits.max_response_bytes = bytes.parse().unwrap();
    }
    let node = BackgroundNode::start_with_limits(config(Path::new(&ledger), false, false), limits)
        .expect("node starts");
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes the struct passed by pointer.
    unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
    println!("NOFILE {}", limit.rlim_cur);
    println!("WS {}", node.ws_url);
    println!("URL {}", node.url);
    std::io::stdout().flush().unwrap();
    let mut rest = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut rest);
}

struct ChildNode {
    child: Child,
    url: String,
    ws_url: String,
    nofile: u64,
    _stdout: std::io::Lines<BufReader<std::process::ChildStdout>>,
}

impl ChildNode {
    fn start(ledger: &Path, env: &[(&str, String)]) -> ChildNode {
        let mut command = Command::new(std::env::current_exe().unwrap());
        command
            .args(["child_node", "--exact", "--nocapture", "--test-threads=1"])
            .env("LEASH_HOSTILE_CHILD", ledger)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let (mut url, mut ws_url, mut nofile) = (None, String::new(), 0);
        while url.is_none() {
            let line = lines.next().expect("the child prints its URL").unwrap();
            // libtest may print "test child_node ... " on the same line.
            if let Some((_, n)) = line.split_once("NOFILE ") {
                nofile = n.trim().parse().unwrap();
            }
            if let Some((_, ws)) = line.split_once("WS ") {
                ws_url = ws.trim().to_string();
            }
            url = line
                .split_once("URL ")
                .map(|(_, url)| url.trim().to_string());
        }
        ChildNode {
            child,
            url: url.unwrap(),
            ws_url,
            nofile,
            _stdout: lines,
        }
    }

    /// (VmRSS, VmHWM) in MiB.
    fn memory(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let field = |name: &str| -> u64 {
            let line = status.lines().find(|l| l.starts_with(name)).unwrap();
            let kb: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
            kb / 1024
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    /// Stops the child (closing its stdin) and returns what it wrote to stderr.
    fn stop(mut self) -> String {
        drop(self.child.stdin.take());
        let started = Instant::now();
        while self.child.try_wait().unwrap().is_none() {
            if started.elapsed() > Duration::from_secs(30) {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let mut stderr = String::new();
        let _ = self
            .child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr);
        stderr
    }
}

/// A ledger with genesis and `count` accounts of 165 bytes owned by a new program.
fn ledger_with_program_accounts(ledger: &Path, count: usize) -> Pubkey {
    drop(BackgroundNode::start(config(ledger, true, false)).unwrap());
    let program = Pubkey::new_unique();
    let mut store = store::Store::open(ledger).unwrap();
    let batch = store::Batch {
        accounts: (0..count)
            .map(|i| {
                let mut data = vec![7u8; 165];
                data[..8].copy_from_slice(&(i as u64).to_le_bytes());
                let account = Account {
                    lamports: 2_039_280,
                    data,
                    owner: program,
                    executable: false,
                    rent_epoch: u64::MAX,
                };
                (Pubkey::new_unique(), Some(account))
            })
            .collect(),
        ..Default::default()
    };
    store.commit(&batch, true).unwrap();
    program
}

/// One answer of a batch, its result skipped rather than built (a debug build parses slowly).
#[derive(serde::Deserialize)]
struct Answer {
    #[serde(default)]
    result: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    error: Option<Value>,
}

/// An answer whose result array is only counted.
#[derive(serde::Deserialize)]
struct Counted {
    result: Count,
}

struct Count(usize);

impl<'de> serde::Deserialize<'de> for Count {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Count, D::Error> {
        let items: Vec<serde::de::IgnoredAny> = serde::Deserialize::deserialize(d)?;
        Ok(Count(items.len()))
    }
}

#[test]
fn program_accounts_over_the_response_budget_answer_an_error_in_bounded_memory() {
    let ledger = tempfile::tempdir().unwrap();
    let program = ledger_with_program_accounts(ledger.path(), 20_000);
    // A 16 MiB response budget (the default is 64 MiB) keeps a debug build's test short; the
    // figures with the default are in docs/node.md.
    const BUDGET: usize = 16 * 1024 * 1024;
    let node = ChildNode::start(
        ledger.path(),
        &[("LEASH_HOSTILE_RESPONSE_BYTES", BUDGET.to_string())],
    );

    // One scan fits: 20,000 accounts.
    let started = Instant::now();
    let request = json!({"jsonrpc": "2.0", "id": 1, "method": "getProgramAccounts",
                         "params": [program.to_string(), {"encoding": "base64"}]});
    let (_, body) = post(&node.url, request.to_string().as_bytes());
    let one: Counted = serde_json::from_str(&body).unwrap();
    assert_eq!(one.result.0, 20_000);
    eprintln!(
        "one getProgramAccounts over 20,000 accounts: {:?}",
        started.elapsed()
    );
    let (rss_before, _) = node.memory();

    // The issue's 7 KB batch: 50 scans of 20,000 accounts each (448 MB of answer before).
    let batch = Value::Array(
        (0..50)
            .map(|i| {
                json!({"jsonrpc": "2.0", "id": i, "method": "getProgramAccounts",
                       "params": [program.to_string(), {"encoding": "base64"}]})
            })
            .collect(),
    )
    .to_string();
    let started = Instant::now();
    let (status, body) = post(&node.url, batch.as_bytes());
    let took = started.elapsed();
    assert_eq!(status, 200);
    let answers: Vec<Answer> = serde_json::from_str(&body).unwrap();
    assert_eq!(answers.len(), 50);
    let answered = answers.iter().filter(|a| a.result.is_some()).count();
    let refused: Vec<&Value> = answers.iter().filter_map(|a| a.error.as_ref()).collect();
    assert_eq!(answered + refused.len(), 50);
    assert!(!refused.is_empty());
    for error in &refused {
        assert_eq!(error["code"], -32012, "{error}");
        let message = error["message"].as_str().unwrap();
        assert!(
            message.contains("limit of 16777216 bytes per request")
                && message.contains("filters")
                && message.contains("dataSlice"),
            "{message}"
        );
    }
    assert!(body.len() <= BUDGET + 50 * 1024, "{}", body.len());
    let (rss_after, hwm) = node.memory();
    eprintln!(
        "50 × getProgramAccounts over 20,000 accounts: {answered} answered, {} refused, {} MiB \
         of answer in {took:?}; node RSS {rss_before} MiB before, {rss_after} MiB after, peak \
         {hwm} MiB",
        refused.len(),
        body.len() / (1024 * 1024),
    );

    // With a dataSlice of 0 bytes and a memcmp filter, the same scan is small and answered.
    let narrowed = json!({"jsonrpc": "2.0", "id": 1, "method": "getProgramAccounts",
        "params": [program.to_string(), {"encoding": "base64",
            "dataSlice": {"offset": 0, "length": 0},
            "filters": [{"memcmp": {"offset": 0, "bytes": bs58::encode(7u64.to_le_bytes()).into_string()}}]}]});
    let narrowed = rpc_call(&node.url, "getProgramAccounts", narrowed["params"].clone());
    assert_eq!(
        narrowed["result"].as_array().unwrap().len(),
        1,
        "{narrowed}"
    );
    // Before: 448 MB of answer, 2.67 GB resident. The bound leaves room for a debug build.
    assert!(hwm < 1024, "peak RSS {hwm} MiB");
    assert_eq!(rpc_call(&node.url, "getHealth", json!([]))["result"], "ok");
    node.stop();
}

/// Idle and slow connections under a low open-file limit (the child's hard limit is 64): one
/// address holding 150 idle connections gets its share (half the slots at most) and a `503` for
/// the rest; another client is served at once meanwhile; the idle ones are closed after the idle
/// timeout; a "slowloris" that trickles a header in is closed after the header timeout though
/// its bytes keep moving; the refusals are logged once, not per connection.
#[test]
fn idle_and_slow_connections_cannot_freeze_the_node() {
    let ledger = tempfile::tempdir().unwrap();
    drop(BackgroundNode::start(config(ledger.path(), true, false)).unwrap());
    let node = ChildNode::start(
        ledger.path(),
        &[
            ("LEASH_HOSTILE_NOFILE", "64".into()),
            ("LEASH_HOSTILE_IDLE_MS", "3000".into()),
        ],
    );
    // The node raised its soft limit (16) to the hard one.
    assert_eq!(node.nofile, 64);
    let address: std::net::SocketAddr = node.url.trim_start_matches("http://").parse().unwrap();
    let report = leash_net::probe::run(address, "/health").unwrap_or_else(|e| panic!("{e}"));
    eprintln!("{report:?}");
    // The per-address cap under 64 descriptors: 48 slots, half of them for one address.
    assert_eq!(report.admitted, 24, "{report:?}");

    // PubSub's port has the same guards…
    let ws: std::net::SocketAddr = node.ws_url.trim_start_matches("ws://").parse().unwrap();
    let report = leash_net::probe::run(ws, "/").unwrap_or_else(|e| panic!("PubSub: {e}"));
    eprintln!("PubSub: {report:?}");
    assert_eq!(report.admitted, 24, "{report:?}");
    // …and closes a WebSocket without a subscription after the idle time, while one with a
    // subscription is pinged and stays.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        use futures_util::{SinkExt, StreamExt};
        use tokio_tungstenite::tungstenite::Message;
        let (mut bare, _) = tokio_tungstenite::connect_async(node.ws_url.as_str())
            .await
            .unwrap();
        let (mut subscribed, _) = tokio_tungstenite::connect_async(node.ws_url.as_str())
            .await
            .unwrap();
        let subscribe = json!({"jsonrpc": "2.0", "id": 1, "method": "slotSubscribe"});
        subscribed
            .send(Message::text(subscribe.to_string()))
            .await
            .unwrap();
        let started = Instant::now();
        let close = loop {
            match tokio::time::timeout(Duration::from_secs(10), bare.next()).await {
                Ok(Some(Ok(Message::Close(frame)))) => break frame,
                Ok(Some(Ok(_))) => continue,
                other => panic!("no close frame: {other:?}"),
            }
        };
        let after = started.elapsed();
        let close = close.expect("a close frame with a reason");
        assert_eq!(u16::from(close.code), 1001);
        assert!(close.reason.contains("no subscription"), "{}", close.reason);
        assert!(after < Duration::from_secs(5), "{after:?}");
        // The subscribed one is still served 7 s (over two idle times) later; reading answers
        // pings (one every 1.5 s).
        let until = Instant::now() + Duration::from_secs(7);
        let mut pings = 0;
        while Instant::now() < until {
            match tokio::time::timeout(Duration::from_millis(500), subscribed.next()).await {
                Ok(Some(Ok(Message::Ping(_)))) => pings += 1,
                Ok(Some(Ok(Message::Text(_)))) | Err(_) => {}
                other => panic!("the subscribed connection ended: {other:?}"),
            }
        }
        assert!(pings >= 3, "{pings} pings");
    });
    let stderr = node.stop();
    // Once per port, not per connection.
    assert_eq!(
        stderr.matches("leash node: refusing connections").count(),
        1,
        "{stderr}"
    );
    assert_eq!(
        stderr
            .matches("leash node (PubSub): refusing connections")
            .count(),
        1,
        "{stderr}"
    );
}

/// One request cannot empty the faucet or exhaust a faucet token for everyone: an airdrop is
/// capped at 1,000 SOL, a mint at 10^15 base units, and a token's supply keeps headroom; each
/// refusal names the cap, and smaller requests still work.
#[test]
fn the_faucet_caps_each_request() {
    let ledger = tempfile::tempdir().unwrap();
    let node = BackgroundNode::start(config(ledger.path(), true, false)).unwrap();
    let to = Pubkey::new_unique().to_string();
    let refused = rpc_call(
        &node.url,
        "requestAirdrop",
        json!([to, 1_000_000_000_001u64]),
    );
    assert_eq!(refused["error"]["code"], -32602, "{refused}");
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(message.contains("at most 1000 SOL"), "{message}");
    assert!(rpc_call(
        &node.url,
        "requestAirdrop",
        json!([to, 1_000_000_000_000u64])
    )["result"]
        .is_string());

    let refused = rpc_call(&node.url, "leash_mintTokens", json!([to, "USDC", u64::MAX]));
    assert_eq!(refused["error"]["code"], -32602, "{refused}");
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("at most 1000000000000000 base units"),
        "{message}"
    );
    let minted = rpc_call(
        &node.url,
        "leash_mintTokens",
        json!([to, "USDC", 1_000_000_000_000_000u64]),
    );
    assert!(minted["result"].is_string(), "{minted}");
}
