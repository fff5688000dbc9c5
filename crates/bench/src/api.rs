//! `leash-bench api`: requests per second and p50/p99 latency of `leash serve` for a read
//! (`GET /v1/sessions/{session}`), a preview and a prepare, from concurrent HTTP clients.
//!
//! A node and the API run in this process on fresh temporary directories (the API's store in
//! SQLite, rate limits off); an owner, a wallet and a session are set up through `leash-client`;
//! then each workload sends its requests from `clients` threads, each one request at a time,
//! and every answer must be 200. Latency is the whole HTTP round trip.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use leash_api::keys::{RateLimit, Scope};
use leash_client::{Amount, Client, Cluster, PolicyInput, TokenRef, WalletRef};
use serde::Serialize;
use serde_json::{json, Value};
use solana_keypair::Keypair;
use solana_signer::Signer;

pub struct BenchApiArgs {
    pub requests: usize,
    pub clients: usize,
    pub json: bool,
}

#[derive(Serialize)]
pub struct Row {
    pub workload: &'static str,
    pub route: &'static str,
    pub clients: usize,
    pub requests: usize,
    pub requests_per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

#[derive(Serialize)]
struct Report {
    rows: Vec<Row>,
    build: &'static str,
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

pub fn bench_api(args: BenchApiArgs) -> Result<(), String> {
    if args.requests == 0 || args.clients == 0 {
        return Err("--requests and --clients must be at least 1".into());
    }
    let dir = tempfile::tempdir().map_err(|e| format!("cannot make a temporary directory: {e}"))?;
    let node = leash_node::BackgroundNode::start(leash_node::NodeConfig {
        ledger: dir.path().join("ledger"),
        reset: true,
        bind: "127.0.0.1".parse().map_err(|e| format!("address: {e}"))?,
        rpc_port: 0,
        slot_time: Some(Duration::from_millis(100)),
        allow_time_travel: false,
        finality_lag: 0,
        spl_token: None,
    })
    .map_err(|e| e.to_string())?;
    let cluster = Cluster::parse(&node.url).map_err(|e| e.message)?;

    // The owner, a wallet with funds, and one session, through the library.
    let client = Client::new(cluster.clone());
    let owner = Keypair::new();
    let amount = |t: &str| Amount::parse(t, "amount").map_err(|e| e.message);
    client
        .airdrop(&owner.pubkey(), &amount("10")?, &TokenRef::Sol)
        .map_err(|e| e.message)?;
    client
        .airdrop(&owner.pubkey(), &amount("1000")?, &TokenRef::new("USDC"))
        .map_err(|e| e.message)?;
    let create = client
        .prepare_create_wallet(&owner.pubkey(), "default")
        .map_err(|e| e.message)?;
    let wallet = client
        .sign_and_send(create, &owner)
        .map_err(|e| e.message)?
        .wallet;
    let policy_toml = "expires_in = \"2h\"\nmax_uses = 100\nallowed_programs = [\"spl-token\"]\n\n[[limits]]\ntoken = \"USDC\"\nper_tx = \"5\"\ntotal = \"8\"\n";
    let policy = PolicyInput::parse("bench.toml", policy_toml, false).map_err(|e| e.message)?;
    let key = Keypair::new();
    let prepared = client
        .prepare_create_session(
            &WalletRef::of(client.program_id(), &owner.pubkey(), "default"),
            &policy,
            &key.pubkey(),
            &amount("0.01")?,
        )
        .map_err(|e| e.message)?;
    let session = client
        .sign_and_send(prepared, &owner)
        .map_err(|e| e.message)?
        .session;

    // The API, with its own runtime.
    let config = leash_api::Config {
        cluster,
        program: leash_client::ProgramChoice::default_id(),
        settings: leash_client::transaction::SendSettings::default(),
        dir: dir.path().join("api"),
        database_url: None,
        signer: None,
        listen: "127.0.0.1:0".parse().map_err(|e| format!("address: {e}"))?,
        rate: RateLimit {
            per_second: 1e9,
            burst: 1e9,
        },
        webhooks: Default::default(),
    };
    let prepared = leash_api::prepare(config)?;
    let state = prepared.state.clone();
    let api_key = leash_api::keys::create_key(&state.store, "bench", &[Scope::Write])
        .map_err(|e| e.0)?
        .key;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .map_err(|e| format!("cannot listen: {e}"))?;
    let address = listener
        .local_addr()
        .map_err(|e| format!("cannot read the address: {e}"))?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    runtime.spawn(leash_api::serve(listener, prepared.state, async {
        let _ = stopped.await;
    }));
    let base = format!("http://{address}");

    let policy_json = json!({
        "expires_in": "2h",
        "max_uses": 100,
        "allowed_programs": ["spl-token"],
        "limits": [{"token": "USDC", "per_tx": "5", "total": "8"}],
    });
    type Make =
        Arc<dyn Fn(&reqwest::blocking::Client) -> reqwest::blocking::RequestBuilder + Send + Sync>;
    let workloads: Vec<(&'static str, &'static str, Make)> = vec![
        ("read", "GET /v1/sessions/{session}", {
            let url = format!("{base}/v1/sessions/{session}");
            Arc::new(move |c: &reqwest::blocking::Client| c.get(&url))
        }),
        ("preview", "POST /v1/sessions/preview", {
            let url = format!("{base}/v1/sessions/preview");
            let (wallet, policy) = (wallet.clone(), policy_json.clone());
            Arc::new(move |c: &reqwest::blocking::Client| {
                c.post(&url).json(&json!({
                    "wallet": wallet,
                    "session_key": Keypair::new().pubkey().to_string(),
                    "policy": policy,
                }))
            })
        }),
        ("prepare", "POST /v1/sessions/prepare", {
            let url = format!("{base}/v1/sessions/prepare");
            let (wallet, policy) = (wallet.clone(), policy_json.clone());
            Arc::new(move |c: &reqwest::blocking::Client| {
                c.post(&url).json(&json!({
                    "wallet": wallet,
                    "session_key": Keypair::new().pubkey().to_string(),
                    "policy": policy,
                    "top_up": "0.01",
                }))
            })
        }),
    ];

    let mut rows = Vec::new();
    for (workload, route, make) in workloads {
        // A short warm-up, then the measured run.
        run(&make, &api_key, args.clients, args.clients * 2)?;
        let (elapsed, mut latencies) = run(&make, &api_key, args.clients, args.requests)?;
        latencies.sort();
        rows.push(Row {
            workload,
            route,
            clients: args.clients,
            requests: latencies.len(),
            requests_per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
            p50_ms: percentile(&latencies, 0.50),
            p99_ms: percentile(&latencies, 0.99),
        });
    }
    let _ = stop.send(());
    drop(runtime);

    let report = Report {
        rows,
        build: if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
    };
    if args.json {
        let text = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
        println!("{text}");
    } else {
        println!(
            "leash serve over leash node ({} build), {} clients, SQLite store",
            report.build, args.clients
        );
        println!(
            "{:<9} {:<30} {:>9} {:>10} {:>10} {:>10}",
            "workload", "route", "requests", "req/s", "p50 ms", "p99 ms"
        );
        for r in &report.rows {
            println!(
                "{:<9} {:<30} {:>9} {:>10.0} {:>10.2} {:>10.2}",
                r.workload, r.route, r.requests, r.requests_per_second, r.p50_ms, r.p99_ms
            );
        }
    }
    Ok(())
}

/// `total` requests made by `make` from `clients` threads; the wall time and each latency.
fn run(
    make: &Arc<
        dyn Fn(&reqwest::blocking::Client) -> reqwest::blocking::RequestBuilder + Send + Sync,
    >,
    api_key: &str,
    clients: usize,
    total: usize,
) -> Result<(Duration, Vec<Duration>), String> {
    let start = Instant::now();
    let results: Vec<Result<Vec<Duration>, String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..clients)
            .map(|i| {
                let share = total / clients + usize::from(i < total % clients);
                let make = make.clone();
                s.spawn(move || -> Result<Vec<Duration>, String> {
                    let http = reqwest::blocking::Client::builder()
                        .timeout(Duration::from_secs(60))
                        .build()
                        .map_err(|e| e.to_string())?;
                    let mut latencies = Vec::with_capacity(share);
                    for _ in 0..share {
                        let t = Instant::now();
                        let response = make(&http)
                            .bearer_auth(api_key)
                            .send()
                            .map_err(|e| format!("request failed: {e}"))?;
                        let status = response.status();
                        let body: Value = response.json().unwrap_or(Value::Null);
                        if !status.is_success() {
                            return Err(format!("answer {status}: {body}"));
                        }
                        latencies.push(t.elapsed());
                    }
                    Ok(latencies)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("a client thread panicked".into()))
            })
            .collect()
    });
    let elapsed = start.elapsed();
    let mut all = Vec::with_capacity(total);
    for r in results {
        all.extend(r?);
    }
    Ok((elapsed, all))
}
