//! Agent-requested sessions end to end with the real binaries (docs/agents.md): a real
//! `leash node`, a real `leash serve`, an owner and an agent each in their own home. The agent
//! asks (`leash session request`), the owner approves with a narrowed policy (`leash session
//! requests approve --policy`), the agent picks the token up (`leash session request-status`,
//! stored 0600) and transfers within the granted bound — and is refused, with the figures, over
//! it. A denied request says so with the note; an expired one says so and cannot be approved;
//! a `request` key cannot list or approve. The key's secret and the token appear in no output,
//! no server log, and not in the API's store.

mod common;

use std::path::{Path, PathBuf};

use common::{spawn_node, spawn_serve, Run, ServeProcess, User};

/// `leash serve` in `user`'s home with its stderr in `log`; [`Serve::printed`] reads both.
struct Serve {
    process: ServeProcess,
    base: String,
    log: PathBuf,
}

impl Serve {
    /// Everything the server printed so far.
    fn printed(&self) -> String {
        format!(
            "{}{}",
            self.process.printed(),
            std::fs::read_to_string(&self.log).unwrap_or_default()
        )
    }
}

fn serve(user: &User, log: PathBuf) -> Serve {
    let mut command = user.serve_command();
    command.stderr(std::fs::File::create(&log).expect("log file"));
    let process = spawn_serve(command);
    Serve {
        base: process.base.clone(),
        process,
        log,
    }
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).expect("file").permissions().mode() & 0o777
}

/// Every run's output, to search for secrets at the end.
#[derive(Default)]
struct Transcript(Vec<String>);

impl Transcript {
    fn keep(&mut self, args: &[&str], run: Run) -> Run {
        self.0.push(format!(
            "$ leash {}\n{}{}",
            args.join(" "),
            run.stdout,
            run.stderr
        ));
        run
    }
}

fn ok(t: &mut Transcript, user: &User, args: &[&str]) -> Run {
    let run = user.ok(args);
    t.keep(args, run)
}

fn fails(t: &mut Transcript, user: &User, args: &[&str]) -> Run {
    let run = user.run(args);
    assert_eq!(run.code, 1, "leash {args:?} should fail:\n{}", run.all());
    t.keep(args, run)
}

fn usdc(policy: &serde_json::Value) -> &serde_json::Value {
    policy["limits"]
        .as_array()
        .expect("limits")
        .iter()
        .find(|l| l["token"] == "USDC")
        .expect("a USDC limit")
}

/// The secret of a pending request's key, from the agent's key file.
fn kept_secret(path: &str) -> String {
    let kept: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("key file")).expect("JSON");
    kept["secret"].as_str().expect("secret").to_string()
}

#[test]
fn an_agent_asks_the_owner_approves_narrower_and_the_agent_acts_within_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = spawn_node(&dir.path().join("ledger"), 50);
    let owner = User::new(&dir.path().join("owner"), &node.url);
    let mut agent = User::new(&dir.path().join("agent"), &node.url);
    let mut t = Transcript::default();

    // The owner: SOL and USDC, a wallet with 50 USDC in its vault, the API running.
    let owner_address = ok(&mut t, &owner, &["airdrop", "--amount", "10", "--json"]).json()["to"]
        .as_str()
        .expect("owner")
        .to_string();
    ok(
        &mut t,
        &owner,
        &["airdrop", "--amount", "100", "--token", "USDC"],
    );
    let wallet = ok(&mut t, &owner, &["wallet", "create", "--json"]).json()["wallet"]
        .as_str()
        .expect("wallet")
        .to_string();
    ok(
        &mut t,
        &owner,
        &["wallet", "deposit", "--amount", "50", "--token", "USDC"],
    );
    let server = serve(&owner, dir.path().join("serve.log"));
    let agent_key = ok(
        &mut t,
        &owner,
        &[
            "api-key", "create", "--name", "agent", "--scope", "request", "--json",
        ],
    )
    .json()["key"]
        .as_str()
        .expect("key")
        .to_string();
    let owner_key = ok(
        &mut t,
        &owner,
        &[
            "api-key", "create", "--name", "owner", "--scope", "write", "--json",
        ],
    )
    .json()["key"]
        .as_str()
        .expect("key")
        .to_string();
    let mut owner = owner;
    for (user, key) in [(&mut agent, &agent_key), (&mut owner, &owner_key)] {
        user.env.push(("LEASH_API_URL".into(), server.base.clone()));
        user.env.push(("LEASH_API_KEY".into(), key.clone()));
    }

    // The agent asks: up to 5 USDC a transfer, 8 in total.
    let asked = dir.path().join("asked.toml");
    std::fs::write(
        &asked,
        "label = \"invoice-bot\"\nexpires_in = \"2h\"\nallowed_programs = [\"spl-token\"]\n\n[[limits]]\ntoken = \"USDC\"\nper_tx = \"5\"\ntotal = \"8\"\n",
    )
    .expect("policy");
    let asked = asked.to_str().expect("path");
    let filed = ok(
        &mut t,
        &agent,
        &[
            "session",
            "request",
            "--wallet",
            &wallet,
            "--policy",
            asked,
            "--reason",
            "pay this week's invoices",
            "--json",
        ],
    )
    .json();
    let id = filed["id"].as_str().expect("id").to_string();
    assert_eq!(filed["status"], "pending");
    let key_file = filed["key_file"].as_str().expect("key_file").to_string();
    #[cfg(unix)]
    assert_eq!(mode(Path::new(&key_file)), 0o600);
    let mut secrets = vec![kept_secret(&key_file)];
    let pending = ok(
        &mut t,
        &agent,
        &["session", "request-status", &id, "--json"],
    )
    .json();
    assert_eq!(pending["status"], "pending");
    assert!(pending.get("token_file").is_none());

    // The agent's key can neither list requests nor approve.
    let refused = fails(&mut t, &agent, &["session", "requests", "list", "--json"]);
    assert_eq!(refused.error_json()["code"], "ApiKey", "{}", refused.stderr);
    // (Even holding a keypair: the API refuses the key before anything is signed.)
    let some_key = dir.path().join("agent-owner.json");
    std::fs::write(
        &some_key,
        serde_json::to_string(&solana_keypair::Keypair::new().to_bytes().to_vec()).expect("key"),
    )
    .expect("keypair");
    let refused = fails(
        &mut t,
        &agent,
        &[
            "session",
            "requests",
            "approve",
            &id,
            "--keypair",
            some_key.to_str().expect("path"),
            "--json",
        ],
    );
    assert_eq!(refused.error_json()["code"], "ApiKey", "{}", refused.stderr);

    // The owner sees it, and approves with a narrower total: 3 USDC.
    let listed = ok(
        &mut t,
        &owner,
        &["session", "requests", "list", "--status", "pending"],
    )
    .stdout;
    assert!(
        listed.contains(&id) && listed.contains("pay this week's invoices"),
        "{listed}"
    );
    let shown = ok(
        &mut t,
        &owner,
        &["session", "requests", "show", &id, "--json"],
    )
    .json();
    assert_eq!(usdc(&shown["policy"])["total"], "8");
    let narrowed = dir.path().join("narrowed.toml");
    std::fs::write(
        &narrowed,
        "expires_in = \"1h\"\nallowed_programs = [\"spl-token\"]\n\n[[limits]]\ntoken = \"USDC\"\nper_tx = \"5\"\ntotal = \"3\"\n",
    )
    .expect("policy");
    let approved = ok(
        &mut t,
        &owner,
        &[
            "session",
            "requests",
            "approve",
            &id,
            "--policy",
            narrowed.to_str().expect("path"),
            "--top-up",
            "0.05",
            "--json",
        ],
    )
    .json();
    assert_eq!(approved["approved"], true);
    assert_eq!(usdc(&approved["policy"])["total"], "3");
    assert_eq!(approved["session"], filed["session"]);

    // The agent picks it up: the token is stored 0600, the kept key is gone.
    let picked = ok(
        &mut t,
        &agent,
        &["session", "request-status", &id, "--json"],
    )
    .json();
    assert_eq!(picked["status"], "approved", "{picked}");
    assert_eq!(usdc(&picked["granted_policy"])["total"], "3");
    assert_eq!(usdc(&picked["requested_policy"])["total"], "8");
    let token_file = picked["token_file"]
        .as_str()
        .expect("token_file")
        .to_string();
    #[cfg(unix)]
    assert_eq!(mode(Path::new(&token_file)), 0o600);
    assert!(!Path::new(&key_file).exists(), "the kept key is removed");
    let token = std::fs::read_to_string(&token_file).expect("token");
    assert!(token.starts_with("lsk1_"));
    secrets.push(token.trim().to_string());
    // Asked again: still approved, still stored.
    let again = ok(
        &mut t,
        &agent,
        &["session", "request-status", &id, "--json"],
    )
    .json();
    assert_eq!(again["token_file"], token_file.as_str());
    let me = ok(&mut t, &agent, &["whoami", "--json"]).json();
    assert_eq!(me["session"], filed["session"], "{me}");

    // Within the granted bound: 2 USDC goes; 2 more would be 4 of 3: refused, with figures.
    ok(
        &mut t,
        &agent,
        &[
            "transfer",
            "--to",
            &owner_address,
            "--amount",
            "2",
            "--token",
            "USDC",
        ],
    );
    let over = fails(
        &mut t,
        &agent,
        &[
            "transfer",
            "--to",
            &owner_address,
            "--amount",
            "2",
            "--token",
            "USDC",
            "--json",
        ],
    );
    let error = over.error_json();
    assert_eq!(error["code"], "SpendingLimitExceeded", "{error}");
    assert_eq!(error["figures"]["used"], "2");
    assert_eq!(error["figures"]["limit"], "3");
    assert_eq!(error["figures"]["needed"], "2");
    assert_eq!(error["figures"]["over_by"], "1");

    // Denied: the agent reads the note; the kept key is removed.
    let denied_req = ok(
        &mut t,
        &agent,
        &[
            "session",
            "request",
            "--wallet",
            &wallet,
            "--policy",
            asked,
            "--reason",
            "more invoices",
            "--json",
        ],
    )
    .json();
    let denied_id = denied_req["id"].as_str().expect("id").to_string();
    let denied_key = denied_req["key_file"].as_str().expect("key").to_string();
    secrets.push(kept_secret(&denied_key));
    let denied = ok(
        &mut t,
        &owner,
        &[
            "session",
            "requests",
            "deny",
            &denied_id,
            "--note",
            "one session at a time",
            "--json",
        ],
    )
    .json();
    assert_eq!(denied["status"], "denied");
    let seen = ok(
        &mut t,
        &agent,
        &["session", "request-status", &denied_id, "--json"],
    )
    .json();
    assert_eq!(seen["status"], "denied");
    assert_eq!(seen["note"], "one session at a time");
    assert!(!Path::new(&denied_key).exists());
    let text = ok(&mut t, &agent, &["session", "request-status", &denied_id]).stdout;
    assert!(
        text.contains("denied") && text.contains("one session at a time"),
        "{text}"
    );

    // Expired: said so, and the owner can no longer approve it.
    let late = ok(
        &mut t,
        &agent,
        &[
            "session",
            "request",
            "--wallet",
            &wallet,
            "--policy",
            asked,
            "--reason",
            "a quick one",
            "--expires-in",
            "2s",
            "--json",
        ],
    )
    .json();
    let late_id = late["id"].as_str().expect("id").to_string();
    secrets.push(kept_secret(late["key_file"].as_str().expect("key")));
    std::thread::sleep(std::time::Duration::from_millis(3000));
    let expired = ok(
        &mut t,
        &agent,
        &["session", "request-status", &late_id, "--json"],
    )
    .json();
    assert_eq!(expired["status"], "expired");
    let refused = fails(
        &mut t,
        &owner,
        &["session", "requests", "approve", &late_id, "--json"],
    );
    assert_eq!(
        refused.error_json()["code"],
        "RequestExpired",
        "{}",
        refused.stderr
    );
    // The token imported earlier is untouched by the requests that did not succeed.
    assert_eq!(
        std::fs::read_to_string(&token_file).expect("token").trim(),
        token.trim()
    );

    // No secret anywhere but the agent's own files: not in any output, the server's log, the
    // audit log, or the API's store.
    let audit = ok(&mut t, &owner, &["audit", "export"]).stdout;
    assert!(audit.contains("session_request.create"), "{audit}");
    let mut haystacks: Vec<(String, String)> =
        t.0.iter()
            .map(|run| ("a command's output".to_string(), run.clone()))
            .collect();
    haystacks.push(("the server's output".into(), server.printed()));
    haystacks.push(("the audit log".into(), audit));
    let api_dir = owner.leash_home().join("api");
    for entry in std::fs::read_dir(&api_dir).expect("api dir") {
        let path = entry.expect("entry").path();
        let bytes = std::fs::read(&path).expect("store file");
        haystacks.push((
            path.display().to_string(),
            String::from_utf8_lossy(&bytes).into_owned(),
        ));
    }
    for secret in &secrets {
        for (what, text) in &haystacks {
            assert!(!text.contains(secret.as_str()), "a secret is in {what}");
        }
    }
    drop(server);

    // The transcript, for the closing note.
    if let Ok(path) = std::env::var("LEASH_REQUEST_TRANSCRIPT") {
        let _ = std::fs::write(path, t.0.join("\n"));
    }
}
