//! The dashboard (docs/dashboard.md) in a real browser: Debian's Chromium driven by playwright-core
//! (crates/cli/tests/dashboard, installed from its committed lockfile) against a real `leash
//! node` and two real `leash serve`s — one for browser-wallet signing, one with `--signer`. The
//! script's test wallet is registered in the page through the Wallet Standard and signs with a
//! real Ed25519 key; the token the page makes is then used by the real `leash` binary.
//!
//! Screenshots of every page go to `$CARGO_TARGET_DIR/dashboard-screenshots` (or
//! `target/dashboard-screenshots`), kept after the run. Nothing is skipped: without Node.js,
//! npm or Chromium the test fails and says what to install (scripts/test installs them).

mod common;

use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
};

use common::{spawn_node, spawn_serve, ServeProcess, User};

/// `leash serve` on a free port against `url` with its store in `home`, started once it
/// printed its address and first admin key (its stderr shown with the test's).
fn serve(home: &Path, url: &str, extra: &[&str]) -> (ServeProcess, String) {
    let mut command = User::new(home, url).serve_command();
    command.args(extra).stderr(Stdio::inherit());
    let serve = spawn_serve(command);
    let admin = serve
        .admin_key
        .clone()
        .unwrap_or_else(|| panic!("no admin key printed:\n{}", serve.printed()));
    (serve, admin)
}

fn command_works(program: &str, arg: &str) -> bool {
    Command::new(program)
        .arg(arg)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Where the screenshots go: kept after the run, outside the source tree.
fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("dashboard-screenshots")
}

/// The two browser tests share the screenshot folder (the end-to-end one empties it first):
/// one at a time.
static ONE_BROWSER_TEST: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Chromium, Node.js and the script's npm packages, or a failure that says what to install.
fn browser_tools() -> (String, PathBuf) {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        command_works(&chromium, "--version"),
        "this test needs Chromium at {chromium} (Debian: apt-get install -y chromium; scripts/test installs it), or CHROMIUM=path"
    );
    assert!(
        command_works("npm", "--version") && command_works("node", "--version"),
        "this test needs Node.js 20+ and npm on PATH"
    );
    let script_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/dashboard");
    if !script_dir.join("node_modules/playwright-core").exists() {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&script_dir)
            .status()
            .expect("npm ci runs");
        assert!(
            status.success(),
            "npm ci failed in {}",
            script_dir.display()
        );
    }
    (chromium, script_dir)
}

/// A passkey owner with Chromium's virtual authenticator (crates/cli/tests/dashboard/
/// passkey.test.mjs): a passkey wallet, a session and its revocation, each checked on chain —
/// first against a server with no signer (the browser's own fee key pays: no local signer),
/// then against `leash serve --signer` (the server pays).
#[test]
fn a_passkey_owner_in_chromium() {
    let _one = ONE_BROWSER_TEST.lock().unwrap_or_else(|e| e.into_inner());
    let (chromium, script_dir) = browser_tools();
    let dir = tempfile::tempdir().expect("tempdir");
    let node = spawn_node(&dir.path().join("ledger"), 100);
    let signer_file = dir.path().join("signer.json");
    let signer = solana_keypair::Keypair::new();
    std::fs::write(
        &signer_file,
        serde_json::to_string(&signer.to_bytes().to_vec()).expect("json"),
    )
    .expect("signer file");
    let (bare, bare_admin) = serve(&dir.path().join("api-bare"), &node.url, &["--no-signer"]);
    let (local, local_admin) = serve(
        &dir.path().join("api-local"),
        &node.url,
        &["--signer", signer_file.to_str().expect("path")],
    );
    let shots = screenshot_dir();
    for (payer, server, admin) in [
        ("browser", &bare, &bare_admin),
        ("server", &local, &local_admin),
    ] {
        let output = Command::new("node")
            .args(["--test", "--test-timeout=600000", "passkey.test.mjs"])
            .current_dir(&script_dir)
            .env("PASSKEY_PAYER", payer)
            .env("LEASH_LOCAL_BASE", &server.base)
            .env("LEASH_LOCAL_ADMIN_KEY", admin)
            .env("LEASH_NODE_URL", &node.url)
            .env("SCREENSHOT_DIR", &shots)
            .env("CHROMIUM", &chromium)
            .output()
            .expect("node runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success() && stdout.contains("# fail 0") && stdout.contains("# pass 6"),
            "the passkey dashboard test ({payer} pays) failed (screenshots in {}):\n{stdout}\n{stderr}",
            shots.display()
        );
    }
}

#[test]
fn the_dashboard_end_to_end_in_chromium() {
    let _one = ONE_BROWSER_TEST.lock().unwrap_or_else(|e| e.into_inner());
    let (chromium, script_dir) = browser_tools();
    let dir = tempfile::tempdir().expect("tempdir");
    let node = spawn_node(&dir.path().join("ledger"), 100);
    // The page's owner signs in the browser; this server has no signer.
    let (wallets, wallets_admin) =
        serve(&dir.path().join("api-wallet"), &node.url, &["--no-signer"]);
    // The convenience mode: the server signs with a local keypair.
    let signer_file = dir.path().join("signer.json");
    let signer = solana_keypair::Keypair::new();
    std::fs::write(
        &signer_file,
        serde_json::to_string(&signer.to_bytes().to_vec()).expect("json"),
    )
    .expect("signer file");
    let signer_path = signer_file.to_str().expect("path");
    let (local, local_admin) = serve(
        &dir.path().join("api-local"),
        &node.url,
        &["--signer", signer_path],
    );

    let holder = dir.path().join("holder");
    std::fs::create_dir_all(&holder).expect("holder home");
    let token_out = dir.path().join("token.txt");
    let shots = screenshot_dir();
    let _ = std::fs::remove_dir_all(&shots);

    let output = Command::new("node")
        .args(["--test", "--test-timeout=900000", "dashboard.test.mjs"])
        .current_dir(&script_dir)
        .env("LEASH_BASE", &wallets.base)
        .env("LEASH_ADMIN_KEY", &wallets_admin)
        .env("LEASH_LOCAL_BASE", &local.base)
        .env("LEASH_LOCAL_ADMIN_KEY", &local_admin)
        .env("LEASH_BIN", env!("CARGO_BIN_EXE_leash"))
        .env("LEASH_NODE_URL", &node.url)
        .env("LEASH_HOLDER_HOME", &holder)
        .env("LEASH_TOKEN_OUT", &token_out)
        .env("SCREENSHOT_DIR", &shots)
        .env("CHROMIUM", &chromium)
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains("# fail 0"),
        "the dashboard test failed (screenshots in {}):\n{stdout}\n{stderr}",
        shots.display()
    );
    let passed: usize = stdout
        .lines()
        .find_map(|l| l.strip_prefix("# pass "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    assert!(passed >= 20, "only {passed} steps passed:\n{stdout}");

    // The token the browser assembled is byte for byte what leash-sdk encodes.
    let token = std::fs::read_to_string(&token_out).expect("the page's token");
    let decoded = leash_sdk::session_token::SessionToken::decode(&token)
        .expect("the browser's token decodes");
    assert_eq!(
        decoded.encode(),
        token.trim(),
        "byte-compatible with leash-sdk"
    );
    assert_eq!(decoded.label, "e2e-bot");
    assert_eq!(decoded.cluster, node.url);
    assert_eq!(decoded.program, leash_program::DEFAULT_ID);
    // A screenshot of each page.
    for name in [
        "01-sign-in.png",
        "02-sign-in-refused.png",
        "03-wallets.png",
        "04-new-session-preview.png",
        "05-token-reveal.png",
        "06-session.png",
        "07-sessions.png",
        "08-update-over-limit.png",
        "09-confirm-revoke.png",
        "10-revoke-all.png",
        "11-audit.png",
        "12-phone-wallets.png",
        "13-phone-new-session.png",
        "14-phone-sessions.png",
        "15-local-signer-token.png",
        "16-requests.png",
    ] {
        let len = std::fs::metadata(shots.join(name))
            .map(|m| m.len())
            .unwrap_or(0);
        assert!(len > 1000, "screenshot {name} missing or empty");
    }
    drop(local);
    drop(wallets);
}

/// `leash up`: the node, the API and the dashboard from one command; the printed Dashboard URL
/// serves the page, the API answers over the node it started, and the first admin key signs in.
#[test]
fn leash_up_serves_the_dashboard_over_its_own_node() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut command = Command::new(env!("CARGO_BIN_EXE_leash"));
    command
        .args([
            "up",
            "--rpc-port",
            "0",
            "--listen",
            "127.0.0.1:0",
            "--slot-ms",
            "100",
        ])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir.path())
        .env("LEASH_HOME", dir.path().join("leash"))
        .stderr(Stdio::inherit());
    let up = spawn_serve(command);
    let printed = up.printed();
    let base = up.base.clone();
    assert!(
        printed.contains(&format!("Dashboard: {base}/")),
        "the Dashboard URL is the API's:\n{printed}"
    );
    let rpc = printed
        .lines()
        .find_map(|l| l.strip_prefix("RPC URL:"))
        .map(|u| u.trim().to_string())
        .unwrap_or_else(|| panic!("no RPC URL:\n{printed}"));
    let admin = up
        .admin_key
        .clone()
        .unwrap_or_else(|| panic!("no admin key:\n{printed}"));
    let http = reqwest::blocking::Client::new();
    let page = http.get(format!("{base}/")).send().expect("GET /");
    assert_eq!(page.status(), 200);
    assert!(page.text().expect("html").contains("/assets/app.js"));
    let health: serde_json::Value = http
        .get(format!("{base}/health"))
        .send()
        .expect("health")
        .json()
        .expect("json");
    assert_eq!(health["cluster"], rpc.as_str(), "{health}");
    assert_eq!(health["cluster_reachable"], true, "{health}");
    let signed_in = http
        .post(format!("{base}/v1/dashboard/sign-in"))
        .json(&serde_json::json!({ "api_key": admin }))
        .send()
        .expect("sign-in");
    assert_eq!(signed_in.status(), 200);
    let me: serde_json::Value = signed_in.json().expect("json");
    assert_eq!(me["airdrop"], true, "a local node: the faucet is offered");
    assert_eq!(me["cluster"], "localnet");
    // No browser wallet needed: the owner keypair `leash up` made is the local signer.
    let owner = leash_client::home::read_keypair(&dir.path().join(".config/solana/id.json"))
        .expect("leash up made the owner keypair");
    assert_eq!(
        me["signer"],
        solana_signer::Signer::pubkey(&owner).to_string(),
        "{me}"
    );
    drop(up);
}
