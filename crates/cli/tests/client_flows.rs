//! Unmodified Solana clients running their own documented flows against the real `leash node`,
//! confirming through WebSocket PubSub: @solana/web3.js v1 + @solana/spl-token and @solana/kit
//! (crates/node/tests/clients/flows.mjs, npm lockfile), and solana-py (flows.py, pinned
//! requirements.txt in a venv under $HOME/.cache/leash-pyenv). Prints a client × flow table and
//! requires every flow to pass within the budget (docs/node.md: each send-and-confirm under a second).
//!
//! Nothing is skipped: a missing Node.js, npm or python3-venv fails the test with what to install.

mod common;

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Instant, SystemTime, UNIX_EPOCH},
};

/// Every flow, send-and-confirm ones included, must finish within this (override:
/// LEASH_FLOW_BUDGET_MS, e.g. on a machine far slower than a laptop).
const DEFAULT_BUDGET_MS: u64 = 1_000;

/// The flows each suite must report (a suite that stops early must not pass with fewer rows).
const EXPECTED: &[(&str, usize)] = &[
    ("web3.js 1.98.4", 11),
    ("spl-token 0.4.15", 7),
    ("web3.js 1.98.4 reads", 25),
    ("kit 8.4.0", 5),
    ("solana-py 0.41.0", 5),
];

fn clients_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../node/tests/clients")
}

/// A `leash node` with its RPC and PubSub URLs; killed (and its ledger removed) when dropped.
struct Node {
    child: Child,
    ledger: PathBuf,
    rpc_url: String,
    ws_url: String,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.ledger);
    }
}

fn start_node() -> Node {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_nanos();
    let mut last_output = Vec::new();
    // `--rpc-port 0` picks a free port whose next one is free for PubSub, as web3.js expects; in
    // the rare case it could not (PubSub on another port), start again.
    for attempt in 0..5 {
        let ledger = std::env::temp_dir().join(format!(
            "leash-client-flows-{}-{nanos}-{attempt}",
            std::process::id()
        ));
        let mut child = Command::new(env!("CARGO_BIN_EXE_leash"))
            .args(["node", "--rpc-port", "0", "--ledger"])
            .arg(&ledger)
            .env_remove("LEASH_ALLOW_TIME_TRAVEL")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("leash node starts");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let (mut rpc_url, mut ws_url) = (None, None);
        for line in lines.by_ref() {
            let Ok(line) = line else { break };
            if let Some(url) = line.strip_prefix("RPC URL:") {
                rpc_url = Some(url.trim().to_string());
            } else if let Some(url) = line.strip_prefix("WebSocket PubSub URL:") {
                ws_url = Some(url.trim().to_string());
            }
            last_output.push(line);
            if rpc_url.is_some() && ws_url.is_some() {
                break;
            }
        }
        if let (Some(rpc_url), Some(ws_url)) = (rpc_url, ws_url) {
            let port = |url: &str| url.rsplit(':').next().and_then(|p| p.parse::<u16>().ok());
            let rpc_port = port(&rpc_url).expect("a port in the RPC URL");
            if port(&ws_url) == Some(rpc_port + 1) {
                // Keep draining stdout so the node never blocks on a full pipe.
                std::thread::spawn(move || for _ in lines {});
                return Node {
                    child,
                    ledger,
                    rpc_url,
                    ws_url,
                };
            }
            last_output.push(format!("PubSub at {ws_url}, not on rpc-port + 1"));
        }
        let _ = child.kill();
        let out = child.wait_with_output().expect("node output");
        last_output.push(String::from_utf8_lossy(&out.stderr).into_owned());
        let _ = std::fs::remove_dir_all(&ledger);
    }
    panic!(
        "leash node did not start with PubSub on rpc-port + 1:\n{}",
        last_output.join("\n")
    );
}

fn require(program: &str, what: &str) {
    let present = Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(present, "this test needs {program} on PATH: {what}");
}

/// `npm ci` from the committed lockfile when the installed tree is missing or older than it.
fn npm_install(dir: &Path) {
    require("npm", "install Node.js 20+ with npm");
    let installed = dir.join("node_modules/.package-lock.json");
    let stale = match (
        installed.metadata(),
        dir.join("package-lock.json").metadata(),
    ) {
        (Ok(have), Ok(want)) => have.modified().ok() < want.modified().ok(),
        _ => true,
    };
    if stale {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(dir)
            .status()
            .expect("npm ci runs");
        assert!(status.success(), "npm ci failed in {}", dir.display());
    }
}

#[derive(Debug)]
struct Row {
    client: String,
    flow: String,
    ok: bool,
    ms: u64,
    detail: String,
}

/// Runs one suite and returns its FLOW rows, with a row for the suite itself if it crashed.
fn run_suite(program: &Path, script: &str, node: &Node) -> Vec<Row> {
    let name = script;
    let started = Instant::now();
    let output = Command::new(program)
        .arg(script)
        .current_dir(clients_dir())
        .env("LEASH_RPC_URL", &node.rpc_url)
        .env("LEASH_WS_URL", &node.ws_url)
        .output()
        .unwrap_or_else(|e| panic!("{name} runs: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut rows: Vec<Row> = stdout
        .lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            (f.len() >= 5 && f[0] == "FLOW").then(|| Row {
                client: f[1].to_string(),
                flow: f[2].to_string(),
                ok: f[3] == "ok",
                ms: f[4].parse().unwrap_or(u64::MAX),
                detail: f.get(5).unwrap_or(&"").to_string(),
            })
        })
        .collect();
    let all_ok = rows.iter().all(|r| r.ok);
    if !output.status.success() && all_ok {
        rows.push(Row {
            client: name.to_string(),
            flow: "(suite)".to_string(),
            ok: false,
            ms: started.elapsed().as_millis() as u64,
            detail: format!(
                "exit {:?}: {}{}",
                output.status.code(),
                stdout.chars().take(2_000).collect::<String>(),
                String::from_utf8_lossy(&output.stderr)
                    .chars()
                    .take(2_000)
                    .collect::<String>()
            ),
        });
    }
    rows
}

#[test]
fn unmodified_clients_complete_their_documented_flows() {
    let dir = clients_dir();
    require("node", "install Node.js 20+");
    npm_install(&dir);
    let python = common::python_venv("leash-pyenv", &dir.join("requirements.txt"));
    let budget_ms = std::env::var("LEASH_FLOW_BUDGET_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_BUDGET_MS);

    let node = start_node();
    let mut rows = run_suite(Path::new("node"), "flows.mjs", &node);
    rows.extend(run_suite(&python, "flows.py", &node));
    drop(node);

    let width = rows.iter().map(|r| r.flow.len()).max().unwrap_or(4);
    let cw = rows.iter().map(|r| r.client.len()).max().unwrap_or(6);
    let mut table = format!(
        "| {:<cw$} | {:<width$} | {:<4} | {:>6} |\n",
        "client", "flow", "ok", "ms"
    );
    table += &format!(
        "|{}|{}|{}|{}|\n",
        "-".repeat(cw + 2),
        "-".repeat(width + 2),
        "-".repeat(6),
        "-".repeat(8)
    );
    for r in &rows {
        table += &format!(
            "| {:<cw$} | {:<width$} | {:<4} | {:>6} |\n",
            r.client,
            r.flow,
            if r.ok { "ok" } else { "FAIL" },
            r.ms
        );
    }
    println!("{table}");

    let failed: Vec<String> = rows
        .iter()
        .filter(|r| !r.ok)
        .map(|r| format!("{} / {}: {}", r.client, r.flow, r.detail))
        .collect();
    assert!(
        failed.is_empty(),
        "client flows failed:\n{}\n{table}",
        failed.join("\n")
    );
    for (client, count) in EXPECTED {
        let got = rows.iter().filter(|r| r.client == *client).count();
        assert_eq!(
            got, *count,
            "{client}: {got} flows reported, {count} expected\n{table}"
        );
    }
    let slow: Vec<String> = rows
        .iter()
        .filter(|r| r.ms > budget_ms)
        .map(|r| format!("{} / {}: {} ms", r.client, r.flow, r.ms))
        .collect();
    assert!(
        slow.is_empty(),
        "flows over the {budget_ms} ms budget (docs/node.md: each send-and-confirm under a second):\n{}\n{table}",
        slow.join("\n")
    );
}
