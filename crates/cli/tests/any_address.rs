//! The Leash program at an address chosen at deploy time, end to end with the real binaries
//! against a real `leash node` whose `finalized` lags `confirmed` by 32 slots as on a real
//! cluster (docs/deploy.md, docs/client.md): `leash program deploy` with a new keypair, the
//! README quickstart through the CLI (the owner finds the id in the cluster profile, the holder
//! in its token), an API flow on `leash serve` and an MCP flow with the official Python client,
//! all at that id — and a holder whose `--program-id` / `LEASH_PROGRAM_ID` differs from its
//! token's refused with both ids named, nothing sent. Then `program verify` tells the committed
//! ELF from a modified one, an upgrade restores it, a buffer left by an interrupted deploy is
//! resumed, and `set-authority --final` makes the program immutable.
//!
//! One test in this binary: it points `LEASH_HOME` of this process at its own directory, for the
//! library calls that deploy a modified ELF (the CLI only ever deploys the committed one).

mod common;

use std::path::Path;

use common::{rpc, spawn_node_with, spawn_serve, User, QUICKSTART_POLICY};
use leash_client::{
    program::{NewAuthority, LEASH_PROGRAM_ELF},
    Client, Cluster, ProgramChoice, ProgramIdSource,
};
use serde_json::json;
use solana_keypair::Keypair;
use solana_signer::Signer;

/// The committed ELF with one letter of a log message changed: still a valid program, but not
/// the committed bytes.
fn modified_elf() -> Vec<u8> {
    let mut elf = LEASH_PROGRAM_ELF.to_vec();
    let needle = b"wrong or unexpected account";
    let at = elf
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("the ELF holds its log messages");
    elf[at] = b'W';
    elf
}

fn owner_of(url: &str, address: &str) -> String {
    rpc(
        url,
        "getAccountInfo",
        json!([address, {"encoding": "base64"}]),
    )["value"]["owner"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn usdc_of(url: &str, owner: &str) -> String {
    let usdc = rpc(url, "leash_getTokenList", json!([]))[0]["mint"]
        .as_str()
        .unwrap()
        .to_string();
    let accounts = rpc(
        url,
        "getTokenAccountsByOwner",
        json!([owner, {"mint": usdc}, {"encoding": "jsonParsed"}]),
    );
    accounts["value"][0]["account"]["data"]["parsed"]["info"]["tokenAmount"]["uiAmountString"]
        .as_str()
        .unwrap_or("0")
        .to_string()
}

#[test]
fn the_quickstart_api_and_mcp_run_at_an_address_chosen_at_deploy_time() {
    let dir = tempfile::tempdir().unwrap();
    // SAFETY (of the test's environment): the only test in this binary, set before any thread.
    std::env::set_var("LEASH_HOME", dir.path().join("library"));
    // As on a real cluster, `finalized` lags `confirmed` by 32 slots: a client that mixes them
    // up fails here ("Blockhash not found"), as it would on devnet.
    let node = spawn_node_with(
        &dir.path().join("ledger"),
        100,
        &["--allow-time-travel", "--finality-lag", "32"],
        &[],
    );
    let owner = User::new(&dir.path().join("owner"), &node.url);
    std::fs::write(owner.home.join("policy.toml"), QUICKSTART_POLICY).unwrap();
    // Three deploys below hold ~1.9 SOL of rent each (and a buffer as much while writing).
    owner.ok(&["airdrop", "--amount", "50"]);

    // Deploy at a new address: the global --keypair (the owner) pays and may upgrade.
    let program = Keypair::new();
    let program_file = dir.path().join("program.json");
    leash_client::home::write_keypair(&program_file, &program).unwrap();
    let deployed = owner
        .ok(&[
            "--json",
            "program",
            "deploy",
            "--program-keypair",
            program_file.to_str().unwrap(),
        ])
        .json();
    let id = program.pubkey().to_string();
    assert_eq!(deployed["program_id"], id.as_str(), "{deployed}");
    assert_ne!(id, leash_sdk::DEFAULT_PROGRAM_ID.to_string());
    assert!(deployed["signature"]
        .as_str()
        .is_some_and(|s| !s.is_empty()));
    let info = owner.ok(&["--json", "info"]).json();
    assert_eq!(
        info["program_id"],
        id.as_str(),
        "the profile names it: {info}"
    );
    assert_eq!(info["program_id_source"], "profile");
    let shown = owner.ok(&["--json", "program", "show"]).json();
    assert_eq!(shown["status"], "verified", "{shown}");
    assert_eq!(shown["upgrade_authority"], owner_key(&owner).as_str());
    owner.ok(&["program", "verify", &id]);
    // The embedded default still runs next to it.
    owner.ok(&[
        "program",
        "verify",
        &leash_sdk::DEFAULT_PROGRAM_ID.to_string(),
    ]);

    // The README quickstart, word for word, at that address.
    owner.ok(&["airdrop", "--token", "USDC", "--amount", "1000"]);
    let wallet = owner.ok(&["--json", "wallet", "create"]).json();
    let wallet_address = wallet["wallet"].as_str().unwrap().to_string();
    assert_eq!(
        owner_of(&node.url, &wallet_address),
        id,
        "the wallet is the new program's"
    );
    owner.ok(&["wallet", "deposit", "--amount", "2", "--token", "SOL"]);
    owner.ok(&["wallet", "deposit", "--amount", "100", "--token", "USDC"]);
    let created = owner.create_session(&[]);
    let token = created["token"].as_str().unwrap().to_string();
    let session = created["session"].as_str().unwrap().to_string();
    assert_eq!(owner_of(&node.url, &session), id);
    let decoded = leash_sdk::session_token::SessionToken::decode(&token).unwrap();
    assert_eq!(
        decoded.program.to_string(),
        id,
        "the token carries the program id"
    );

    // The holder has no profile: the token says where the session lives.
    let holder = User::new(&dir.path().join("holder"), &node.url);
    holder.ok(&["session", "import", &token]);
    let whoami = holder.ok(&["--json", "whoami"]).json();
    assert_eq!(whoami["status"], "active", "{whoami}");
    assert_eq!(whoami["program_id"], id.as_str());
    let to = solana_program::pubkey::Pubkey::new_unique().to_string();
    holder.ok(&[
        "transfer", "--to", &to, "--amount", "4.5", "--token", "USDC",
    ]);
    let refused = holder.run(&[
        "--json", "transfer", "--to", &to, "--amount", "4.5", "--token", "USDC",
    ]);
    assert_eq!(refused.code, 1);
    assert_eq!(refused.error_json()["code"], "SpendingLimitExceeded");

    // A program id named explicitly that differs from the token's: refused, both named, nothing
    // sent.
    let default = leash_sdk::DEFAULT_PROGRAM_ID.to_string();
    let uses_before = holder.ok(&["--json", "session", "status"]).json()["uses"].clone();
    let flagged = holder.run(&[
        "--json",
        "--program-id",
        &default,
        "transfer",
        "--to",
        &to,
        "--amount",
        "1",
        "--token",
        "USDC",
    ]);
    assert_eq!(flagged.code, 1, "{}", flagged.all());
    let error = flagged.error_json();
    assert_eq!(error["code"], "ProgramMismatch", "{error}");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains(&id) && message.contains(&default) && message.contains("--program-id"),
        "{message}"
    );
    let mut from_env = User::new(&holder.home, &node.url);
    from_env.env = vec![("LEASH_PROGRAM_ID".into(), default.clone())];
    let enved = from_env.run(&["--json", "whoami"]);
    assert_eq!(enved.error_json()["code"], "ProgramMismatch");
    assert!(enved.error_json()["message"]
        .as_str()
        .unwrap()
        .contains("LEASH_PROGRAM_ID"));
    assert_eq!(
        holder.ok(&["--json", "session", "status"]).json()["uses"],
        uses_before,
        "nothing was sent"
    );
    assert_eq!(usdc_of(&node.url, &to), "4.5");
    // The same id named explicitly is fine.
    holder.ok(&["--program-id", &id, "whoami"]);

    // MCP: the official Python client over stdio, the holder's imported token.
    let python = common::python_venv(
        "leash-pyenv-mcp",
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mcp/requirements.txt"),
    );
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("any-address-mcp");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap();
    let mcp = |scenario: &str, env: serde_json::Value| {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mcp/client.py");
        let run = std::process::Command::new(&python)
            .arg(&script)
            .args(["stdio", "--leash", env!("CARGO_BIN_EXE_leash"), "--env"])
            .arg(env.to_string())
            .args([
                "--to",
                &to,
                "--out",
                out.to_str().unwrap(),
                "--label",
                scenario,
            ])
            .args(["--scenario", scenario])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", std::env::var("HOME").unwrap_or_default())
            .output()
            .expect("the Python MCP client runs");
        assert!(
            run.status.success(),
            "MCP {scenario}:\n{}\n{}",
            String::from_utf8_lossy(&run.stdout),
            String::from_utf8_lossy(&run.stderr)
        );
    };
    let holder_env = json!({"HOME": holder.home, "LEASH_HOME": holder.leash_home()});
    mcp("any_address", holder_env.clone());
    assert_eq!(usdc_of(&node.url, &to), "5.5", "the MCP transfer landed");
    let mut mismatch_env = holder_env.clone();
    mismatch_env["LEASH_PROGRAM_ID"] = json!(default);
    mcp("program_mismatch", mismatch_env);
    assert_eq!(usdc_of(&node.url, &to), "5.5", "nothing was sent");

    // The API: `leash serve` in the owner's home finds the id in the profile; the owner revokes
    // the session through prepare and the local signer.
    let serve = spawn_serve(owner.serve_command());
    assert!(
        serve.printed().contains(&format!("Program:  {id}")),
        "{}",
        serve.printed()
    );
    let admin = serve
        .admin_key
        .clone()
        .expect("first start prints an admin key");
    let http = reqwest::blocking::Client::new();
    let info: serde_json::Value = http
        .get(format!("{}/v1/info", serve.base))
        .bearer_auth(&admin)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(info["program_id"], id.as_str(), "{info}");
    let shown: serde_json::Value = http
        .get(format!("{}/v1/sessions/{session}", serve.base))
        .bearer_auth(&admin)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(shown["status"], "active", "{shown}");
    let prepared: serde_json::Value = http
        .post(format!(
            "{}/v1/sessions/{session}/revoke/prepare",
            serve.base
        ))
        .bearer_auth(&admin)
        .json(&json!({}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let unsigned = prepared["transactions"][0]["transaction"]
        .as_str()
        .unwrap_or_else(|| panic!("{prepared}"));
    let submitted = http
        .post(format!("{}/v1/transactions/submit", serve.base))
        .bearer_auth(&admin)
        .header("Idempotency-Key", "any-address-revoke")
        .json(&json!({"transaction": unsigned, "sign_with_local_signer": true}))
        .send()
        .unwrap();
    assert_eq!(
        submitted.status().as_u16(),
        200,
        "{}",
        submitted.text().unwrap_or_default()
    );
    assert!(holder
        .ok(&["session", "status"])
        .stdout
        .contains("Status:      revoked"));
    drop(serve);

    // `verify` tells the committed ELF from a modified one; an upgrade restores it.
    let payer =
        leash_client::home::read_keypair(&owner.home.join(".config/solana/id.json")).unwrap();
    let client = Client::with_program(
        Cluster::parse(&node.url).unwrap(),
        ProgramChoice::new(program.pubkey(), ProgramIdSource::Flag),
    );
    let other = Keypair::new();
    let modified = modified_elf();
    client
        .deploy_program(
            &modified,
            &other,
            &payer,
            NewAuthority::Key(&payer),
            &|_| {},
        )
        .expect("a modified ELF deploys");
    let other_id = other.pubkey().to_string();
    let differs = owner.run(&["--json", "program", "verify", &other_id]);
    assert_eq!(differs.code, 1, "{}", differs.all());
    assert_eq!(differs.json()["status"], "differs");
    assert_eq!(differs.error_json()["code"], "ProgramDiffers");
    owner.ok(&["program", "upgrade", &other_id]);
    owner.ok(&["program", "verify", &other_id]);

    // A deploy interrupted after its buffer was written resumes: the buffer is reused and only
    // the chunks that differ are written again.
    let full = client
        .write_buffer(&modified, &payer, &payer, &|_| {})
        .expect("a buffer is written");
    assert!(
        !full.resumed && full.writes > 100,
        "a fresh buffer: {} writes",
        full.writes
    );
    let third = Keypair::new();
    let resumed = client
        .deploy_program(
            LEASH_PROGRAM_ELF,
            &third,
            &payer,
            NewAuthority::Key(&payer),
            &|_| {},
        )
        .expect("the deploy resumes the buffer");
    assert!(resumed.resumed, "{resumed:?}");
    assert_eq!(resumed.writes, 1, "one chunk differs: {resumed:?}");
    owner.ok(&["program", "verify", &third.pubkey().to_string()]);

    // Immutable: the authority is gone, and an upgrade is refused before anything is sent.
    let finalized = owner
        .ok(&["--json", "program", "set-authority", &other_id, "--final"])
        .json();
    assert_eq!(finalized["upgrade_authority"], serde_json::Value::Null);
    let refused = owner.run(&["--json", "program", "upgrade", &other_id]);
    assert_eq!(refused.code, 1);
    assert!(refused.error_json()["message"]
        .as_str()
        .unwrap()
        .contains("immutable"));
}

fn owner_key(owner: &User) -> String {
    leash_client::home::read_keypair(&owner.home.join(".config/solana/id.json"))
        .unwrap()
        .pubkey()
        .to_string()
}
