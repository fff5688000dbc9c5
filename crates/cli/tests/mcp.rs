//! Leash's MCP server driven by a real MCP client — the official Python SDK (`mcp`, pinned in
//! tests/mcp/requirements.txt, installed into `$HOME/.cache/leash-pyenv-mcp`) — against a real
//! node, over both transports: `leash mcp` (stdio, the token imported in the holder's home) and
//! `/mcp` on a real `leash serve` (streamable HTTP, API keys; the token in `LEASH_TOKEN`).
//!
//! tests/mcp/client.py checks the handshake, `tools/list` (schemas, annotations), the safe loop
//! session_status → simulate → transfer, an over-limit transfer refused with its figures, a
//! read-only key refused acting, a missing or wrong key refused, a revoked session's errors, and
//! a server started without a token answering `no_session`. It records every message; this test
//! then checks that neither token nor session secret appears in any of them, in the transcripts,
//! or in what the servers printed. The transcripts are kept under the target directory
//! (`mcp-transcripts/`) as the test's artefacts.
//!
//! Nothing is skipped: without python3 and its venv module the test fails with what to install.

mod common;

use std::{path::Path, process::Command};

use common::{spawn_node, spawn_serve, ServeProcess, User};

const POLICY: &str = r#"
label = "mcp-agent"
expires_in = "2h"
max_uses = 100
allowed_programs = ["spl-token", "system"]

[[limits]]
token = "USDC"
per_tx = "5"
total = "8"
recipients = ["RECIPIENT"]

[[limits]]
token = "SOL"
total = "0.5"
"#;

/// What the owner grants an agent that asked for 5 per transaction and 8 in total.
const NARROWER: &str = r#"
label = "invoice-agent"
expires_in = "1h"
allowed_programs = ["spl-token", "system"]

[[limits]]
token = "USDC"
per_tx = "2"
total = "3"
"#;

/// `leash serve` in `user`'s home with `LEASH_TOKEN` set: what the agent's tools use. Its
/// stderr goes to `log`.
fn serve(user: &User, token: &str, log: &Path) -> ServeProcess {
    let mut command = user.serve_command();
    command
        .env("LEASH_TOKEN", token)
        .stderr(std::fs::File::create(log).expect("serve log"));
    let serve = spawn_serve(command);
    assert!(!serve.printed().contains(token));
    serve
}

fn session(owner: &User) -> (String, String) {
    let created = owner.create_session(&[]);
    let token = created["token"].as_str().unwrap().to_string();
    let secret = leash_sdk::session_token::SessionToken::decode(&token)
        .unwrap()
        .secret_text();
    (token, secret)
}

fn client(python: &Path, args: &[&str]) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mcp/client.py");
    let home = std::env::var("HOME").unwrap_or_default();
    let out = Command::new(python)
        .arg(&script)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .output()
        .expect("the Python MCP client runs");
    assert!(
        out.status.success(),
        "the MCP client failed ({args:?}):\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn an_mcp_client_runs_the_safe_loop_over_stdio_and_http_and_never_sees_a_secret() {
    let python = common::python_venv(
        "leash-pyenv-mcp",
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mcp/requirements.txt"),
    );
    let dir = tempfile::tempdir().unwrap();
    let node = spawn_node(&dir.path().join("ledger"), 100);
    let owner = User::new(&dir.path().join("owner"), &node.url);
    // USDC may land only at `to` (policy v3): the client also tries another address.
    let to = solana_program::pubkey::Pubkey::new_unique().to_string();
    std::fs::write(
        owner.home.join("policy.toml"),
        POLICY.replace("RECIPIENT", &to),
    )
    .unwrap();
    owner.fund_quickstart_wallet();
    let (stdio_token, stdio_secret) = session(&owner);
    let (http_token, http_secret) = session(&owner);

    // The transcripts and traffic are the test's artefacts: kept in the target directory.
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("mcp-transcripts");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap();
    let out_s = out.to_str().unwrap();

    // stdio: the holder imported the token; `leash mcp` reads it from the home (no LEASH_URL:
    // the token's cluster).
    let holder = User::new(&dir.path().join("holder"), &node.url);
    holder.ok(&["session", "import", &stdio_token]);
    let env = serde_json::json!({
        "HOME": holder.home,
        "LEASH_HOME": holder.leash_home(),
    })
    .to_string();
    let leash = env!("CARGO_BIN_EXE_leash");
    client(
        &python,
        &[
            "stdio", "--leash", leash, "--env", &env, "--to", &to, "--out", out_s, "--label",
            "stdio",
        ],
    );

    // stdio without any token: the server starts and says how to get one.
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let env = serde_json::json!({"HOME": empty, "LEASH_HOME": empty.join("leash")}).to_string();
    client(
        &python,
        &[
            "stdio",
            "--leash",
            leash,
            "--env",
            &env,
            "--to",
            &to,
            "--out",
            out_s,
            "--label",
            "stdio-no-session",
            "--scenario",
            "no_session",
        ],
    );

    // HTTP: `leash serve` with the token in LEASH_TOKEN; a write key and a read key.
    let server = User::new(&dir.path().join("server"), &node.url);
    // (key, id) of a new key with `scope`.
    let key = |scope: &str| {
        let created = server
            .ok(&[
                "--json", "api-key", "create", "--name", scope, "--scope", scope,
            ])
            .json();
        (
            created["key"].as_str().unwrap().to_string(),
            created["id"].as_str().unwrap().to_string(),
        )
    };
    let ((write_key, write_id), (read_key, read_id)) = (key("write"), key("read"));
    let ((request_key, _), (admin_key, _)) = (key("request"), key("admin"));
    let serve_log = out.join("serve.log");
    let api = serve(&server, &http_token, &serve_log);
    let url = format!("{}/mcp", api.base);
    client(
        &python,
        &[
            "http",
            "--url",
            &url,
            "--key",
            &write_key,
            "--read-key",
            &read_key,
            "--to",
            &to,
            "--out",
            out_s,
            "--label",
            "http",
        ],
    );

    // What ran over /mcp is in the API's audit log, by the key that ran it; what a `read` key
    // was refused never ran, and is not. The chain still verifies.
    let http = reqwest::blocking::Client::new();
    let log: serde_json::Value = http
        .get(format!("{}/v1/audit/log", api.base))
        .bearer_auth(&admin_key)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let mcp: Vec<(String, String, serde_json::Value)> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event_type"].as_str().unwrap().starts_with("mcp."))
        .map(|e| {
            (
                e["event_type"].as_str().unwrap().to_string(),
                e["actor"].as_str().unwrap().to_string(),
                serde_json::from_str(e["payload"].as_str().unwrap()).unwrap(),
            )
        })
        .collect();
    assert!(
        mcp.iter()
            .all(|(_, actor, _)| *actor == write_id && *actor != read_id),
        "{mcp:?}"
    );
    let sent = |ok: bool| {
        mcp.iter()
            .filter(|(event, _, p)| event == "mcp.transfer" && p["outcome"]["ok"] == ok)
            .count()
    };
    // 4.5 and 0.5 USDC sent; 4.5 over the total, 6 over per-transaction, 1 to an unlisted
    // owner, 1 after the revoke.
    assert_eq!((sent(true), sent(false)), (2, 4), "{mcp:?}");
    assert!(mcp
        .iter()
        .any(|(event, _, p)| event == "mcp.transfer"
            && p["outcome"]["code"] == "recipient_not_allowed"));
    assert!(mcp.iter().any(|(event, _, p)| event == "mcp.transfer"
        && p["outcome"]["code"] == "spending_limit_exceeded"
        && p["arguments"]["amount"] == "4.5"));
    assert!(mcp
        .iter()
        .any(|(event, _, p)| event == "mcp.revoke" && p["outcome"]["signature"].is_string()));
    for tool in ["mcp.execute", "mcp.multicall"] {
        assert!(
            mcp.iter().any(|(event, _, _)| event == tool),
            "{tool}: {mcp:?}"
        );
    }
    let verified: serde_json::Value = http
        .get(format!("{}/v1/audit/verify", api.base))
        .bearer_auth(&admin_key)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(verified["valid"], true, "{verified}");

    // An agent with no session asks for one over MCP; the owner approves it narrower with the
    // real CLI; the agent's next calls use it, within the granted bounds; a second is denied.
    let agent = User::new(&dir.path().join("agent"), &node.url);
    let narrower = owner.home.join("narrower.toml");
    std::fs::write(&narrower, NARROWER).unwrap();
    let wallet = leash_sdk::session_token::SessionToken::decode(&stdio_token)
        .unwrap()
        .wallet
        .to_string();
    let agent_env = serde_json::json!({
        "HOME": agent.home,
        "LEASH_HOME": agent.leash_home(),
        "LEASH_API_URL": api.base,
        "LEASH_API_KEY": request_key,
    })
    .to_string();
    let owner_env = serde_json::json!({
        "HOME": owner.home,
        "LEASH_HOME": owner.leash_home(),
        "LEASH_URL": node.url,
        "LEASH_API_URL": api.base,
        "LEASH_API_KEY": write_key,
    })
    .to_string();
    client(
        &python,
        &[
            "stdio",
            "--leash",
            leash,
            "--env",
            &agent_env,
            "--to",
            &to,
            "--out",
            out_s,
            "--label",
            "request",
            "--scenario",
            "request",
            "--wallet",
            &wallet,
            "--owner-env",
            &owner_env,
            "--narrow-policy",
            narrower.to_str().unwrap(),
        ],
    );
    drop(api);
    let granted = std::fs::read_to_string(agent.leash_home().join("session.token"))
        .unwrap()
        .trim()
        .to_string();
    let granted_secret = leash_sdk::session_token::SessionToken::decode(&granted)
        .unwrap()
        .secret_text();

    // Every message, transcript and server output, searched for the secrets.
    let mut searched = 0;
    for entry in std::fs::read_dir(&out).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        for secret in [
            &stdio_token,
            &stdio_secret,
            &http_token,
            &http_secret,
            &granted,
            &granted_secret,
            &write_key,
            &read_key,
            &request_key,
            &admin_key,
        ] {
            assert!(
                !text.contains(secret.as_str()),
                "{} carries a secret",
                path.display()
            );
        }
        searched += text.len();
    }
    // `leash mcp` keeps stderr quiet: nothing there at all.
    for log in [
        "stdio-server-stderr.log",
        "stdio-no-session-server-stderr.log",
        "request-server-stderr.log",
    ] {
        let text = std::fs::read_to_string(out.join(log)).unwrap();
        assert!(text.is_empty(), "{log}: {text}");
    }
    let traffic = std::fs::read_to_string(out.join("http-traffic.jsonl")).unwrap();
    assert!(traffic.lines().count() > 30, "{traffic}");
    assert!(searched > 10_000, "{searched} bytes searched");
    for label in ["stdio", "http", "request"] {
        let transcript =
            std::fs::read_to_string(out.join(format!("{label}-transcript.md"))).unwrap();
        assert!(
            transcript.ends_with("All expectations held.\n"),
            "{transcript}"
        );
        println!("{transcript}");
    }
    println!("artefacts: {}", out.display());
}
