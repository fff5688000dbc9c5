//! The real `leash` binary against a real `leash node`: the README quickstart, error messages,
//! `--json` shapes, the 0600 token file, the secret never printed, two concurrent holders, and
//! malformed tokens, policies and addresses.

mod common;

use common::{
    rpc, rpc_outcome, spawn_node, spawn_node_with, NodeProcess, Run, User, QUICKSTART_POLICY,
};
use serde_json::json;

struct Setup {
    _node: NodeProcess,
    _dir: tempfile::TempDir,
    owner: User,
    holder: User,
    token: String,
    secret: String,
}

fn recipient() -> String {
    solana_program::pubkey::Pubkey::new_unique().to_string()
}

/// The quickstart up to `session import`, in separate homes for owner and holder.
fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let node = spawn_node(&dir.path().join("ledger"), 100);
    let owner = User::new(&dir.path().join("owner"), &node.url);
    std::fs::write(owner.home.join("policy.toml"), QUICKSTART_POLICY).unwrap();
    owner.fund_quickstart_wallet();
    let created = owner.create_session(&[]);
    let token = created["token"].as_str().unwrap().to_string();
    let decoded = leash_sdk::session_token::SessionToken::decode(&token).unwrap();
    let holder = User::new(&dir.path().join("holder"), &node.url);
    holder.ok(&["session", "import", &token]);
    Setup {
        _node: node,
        _dir: dir,
        owner,
        holder,
        token,
        secret: decoded.secret_text(),
    }
}

/// A second session of the owner's wallet, created with the quickstart policy (`--json` output).
fn create_session_json(s: &Setup) -> serde_json::Value {
    let policy = s.owner.home.join("policy.toml");
    s.owner
        .ok(&[
            "--json",
            "session",
            "create",
            "--policy",
            policy.to_str().unwrap(),
        ])
        .json()
}

/// Neither the token nor its secret appears in anything a command printed.
#[track_caller]
fn assert_no_secret(setup: &Setup, run: &Run) {
    let all = run.all();
    assert!(!all.contains(&setup.secret), "the secret leaked:\n{all}");
    assert!(!all.contains(&setup.token), "the token leaked:\n{all}");
}

#[test]
fn quickstart_word_for_word() {
    let dir = tempfile::tempdir().unwrap();
    let node = spawn_node(&dir.path().join("ledger"), 100);
    let me = User::new(&dir.path().join("home"), &node.url);
    std::fs::write(me.home.join("policy.toml"), QUICKSTART_POLICY).unwrap();
    let policy = me.home.join("policy.toml");
    let policy = policy.to_str().unwrap();

    let run = me.ok(&["airdrop", "--amount", "10"]);
    assert!(run.stdout.contains("Airdropped 10 SOL"), "{}", run.stdout);
    assert!(
        run.stderr.contains("Created a new localnet keypair"),
        "the owner keypair is created on localnet"
    );
    assert!(me
        .ok(&["airdrop", "--token", "USDC", "--amount", "1000"])
        .stdout
        .contains("Airdropped 1000 USDC"));
    let created = me.ok(&["wallet", "create"]);
    assert!(
        created.stdout.contains("Wallet \"default\" created") && created.stdout.contains("Vault:")
    );
    assert!(
        me.ok(&["wallet", "create"])
            .stdout
            .contains("already exists"),
        "creating twice is harmless"
    );
    me.ok(&["wallet", "deposit", "--amount", "2", "--token", "SOL"]);
    me.ok(&["wallet", "deposit", "--amount", "100", "--token", "USDC"]);
    let create = me.ok(&["session", "create", "--policy", policy, "--top-up", "0.05"]);
    let token = create.stdout.lines().last().unwrap().trim().to_string();
    assert!(token.starts_with("lsk1_"), "{}", create.stdout);
    me.ok(&["session", "import", &token]);
    let whoami = me.ok(&["whoami"]);
    assert!(
        whoami.stdout.contains("Status:      active"),
        "{}",
        whoami.stdout
    );
    assert!(whoami.stdout.contains("Label:       quickstart-bot"));
    let status = me.ok(&["session", "status"]);
    assert!(
        status.stdout.contains("Registered:  yes")
            && status.stdout.contains("Uses:        0 / 100"),
        "{}",
        status.stdout
    );
    let policy_show = me.ok(&["policy", "show"]);
    assert!(
        policy_show
            .stdout
            .contains("USDC: 0 / 8 used, per transaction 5"),
        "{}",
        policy_show.stdout
    );
    assert!(policy_show.stdout.contains("(spl-token)") && policy_show.stdout.contains("(system)"));
    let to = recipient();
    let sent = me.ok(&[
        "transfer", "--to", &to, "--amount", "4.5", "--token", "USDC",
    ]);
    assert!(sent.stdout.contains("Sent 4.5 USDC"), "{}", sent.stdout);
    assert!(
        sent.stderr.is_empty(),
        "no spinner when piped: {:?}",
        sent.stderr
    );
    assert!(me
        .ok(&["policy", "show"])
        .stdout
        .contains("USDC: 4.5 / 8 used"));
    let revoked = me.ok(&["revoke"]);
    assert!(revoked.stdout.contains("revoked"));
    assert!(me
        .ok(&["session", "status"])
        .stdout
        .contains("Status:      revoked"));
    // The recipient really holds 4.5 USDC.
    let usdc = rpc(&node.url, "leash_getTokenList", json!([]))[0]["mint"]
        .as_str()
        .unwrap()
        .to_string();
    let accounts = rpc(
        &node.url,
        "getTokenAccountsByOwner",
        json!([to, {"mint": usdc}, {"encoding": "jsonParsed"}]),
    );
    assert_eq!(
        accounts["value"][0]["account"]["data"]["parsed"]["info"]["tokenAmount"]["uiAmountString"],
        "4.5"
    );
}

#[test]
fn errors_carry_messages_figures_hints_and_exit_codes() {
    let s = setup();
    let to = recipient();
    s.holder.ok(&[
        "transfer", "--to", &to, "--amount", "4.5", "--token", "USDC",
    ]);
    // Over the total: the documented message (docs/program.md, "Errors") with figures and the hint, exit 1.
    let over = s.holder.run(&[
        "transfer", "--to", &to, "--amount", "4.5", "--token", "USDC",
    ]);
    assert_eq!(over.code, 1);
    assert!(
        over.stderr.contains(
            "Error: Spending limit exceeded (4.5 used, 8 limit; this transaction needs 4.5 USDC)"
        ),
        "{}",
        over.stderr
    );
    assert!(over
        .stderr
        .contains("hint: ask the owner for a new session or a higher limit"));
    assert_no_secret(&s, &over);
    // The same with --json: {code, message, hint} on stderr, nothing on stdout.
    let over = s.holder.run(&[
        "--json", "transfer", "--to", &to, "--amount", "4.5", "--token", "USDC",
    ]);
    assert_eq!(over.code, 1);
    assert!(over.stdout.is_empty());
    let error = over.error_json();
    assert_eq!(error["code"], "SpendingLimitExceeded");
    assert_eq!(error["program_code"], 6008);
    assert!(error["message"]
        .as_str()
        .unwrap()
        .starts_with("Spending limit exceeded"));
    assert!(error["hint"].as_str().unwrap().contains("higher limit"));
    // Per transaction.
    let per_tx = s.holder.run(&[
        "transfer", "--to", &to, "--amount", "5.000001", "--token", "USDC",
    ]);
    assert!(
        per_tx.stderr.contains(
            "Per-transaction limit exceeded (5.000001 USDC in this transaction, 5 limit)"
        ),
        "{}",
        per_tx.stderr
    );
    // A program the policy does not allow (memo).
    let memo = json!({"program": "memo", "accounts": [], "data": "aGk="}).to_string();
    let denied = s.holder.run(&["execute", "--ix", &memo]);
    assert!(
        denied
            .stderr
            .contains("Error: Program not allowed by policy"),
        "{}",
        denied.stderr
    );
    assert!(denied
        .stderr
        .contains("hint: the policy does not allow this program"));
    // Simulation says which bound stops it and by how much, without sending.
    let sim = s.holder.ok(&[
        "simulate", "transfer", "--to", &to, "--amount", "4", "--token", "USDC",
    ]);
    assert!(
        sim.stdout.contains("Would fail: Spending limit exceeded")
            && sim.stdout.contains("Over by 0.5 USDC"),
        "{}",
        sim.stdout
    );
    let sim = s
        .holder
        .ok(&[
            "--json", "simulate", "transfer", "--to", &to, "--amount", "0.1", "--token", "SOL",
        ])
        .json();
    assert_eq!(sim["would_succeed"], true);
    // Expired: the owner's node clock moves past valid_until.
    rpc(
        &s.owner.url,
        "leash_setUnixTimestamp",
        json!([4_000_000_000i64]),
    );
    let expired = s
        .holder
        .run(&["transfer", "--to", &to, "--amount", "0.1", "--token", "SOL"]);
    assert!(
        expired.stderr.contains("Error: Session expired"),
        "{}",
        expired.stderr
    );
    assert!(expired
        .stderr
        .contains("hint: ask the owner for a new session or a longer validity"));
    assert_no_secret(&s, &expired);
    // Revoked.
    s.owner.ok(&["session", "revoke-all"]);
    let revoked = s.holder.run(&[
        "--json", "transfer", "--to", &to, "--amount", "0.1", "--token", "SOL",
    ]);
    assert_eq!(revoked.error_json()["code"], "SessionRevoked");
    // Usage errors exit 2; bad input exits 1 with a message.
    assert_eq!(
        s.holder
            .run(&["transfer", "--to", "nope", "--amount", "1"])
            .code,
        2
    );
    assert_eq!(s.holder.run(&["no-such-command"]).code, 2);
    let bad_amount = s
        .holder
        .run(&["transfer", "--to", &to, "--amount", "1.5e3"]);
    assert_eq!(bad_amount.code, 1);
    assert!(
        bad_amount.stderr.contains("is not a decimal amount"),
        "{}",
        bad_amount.stderr
    );
    let bad_token = s
        .holder
        .run(&["transfer", "--to", &to, "--amount", "1", "--token", "DOGE"]);
    assert!(
        bad_token.stderr.contains("is not a token symbol known on"),
        "{}",
        bad_token.stderr
    );
}

#[test]
fn json_shapes() {
    let s = setup();
    let created = create_session_json(&s);
    for field in ["token", "session", "wallet", "policy"] {
        assert!(
            created.get(field).is_some(),
            "session create --json lacks {field}: {created}"
        );
    }
    assert_eq!(created["policy"]["limits"][0]["token"], "USDC");
    assert_eq!(created["policy"]["limits"][0]["total"], "8");
    let policy = s.owner.home.join("policy.toml");
    let preview = s
        .owner
        .ok(&[
            "--json",
            "session",
            "create",
            "--policy",
            policy.to_str().unwrap(),
            "--preview",
        ])
        .json();
    assert_eq!(preview["preview"], true);
    assert!(preview.get("token").is_none(), "a preview makes no token");
    let whoami = s.holder.ok(&["--json", "whoami"]).json();
    for field in [
        "session_key",
        "session",
        "wallet",
        "vault",
        "cluster",
        "status",
    ] {
        assert!(
            whoami[field].is_string(),
            "whoami --json lacks {field}: {whoami}"
        );
    }
    let status = s.holder.ok(&["--json", "session", "status"]).json();
    assert_eq!(
        (
            status["registered"].clone(),
            status["status"].clone(),
            status["uses"].clone()
        ),
        (json!(true), json!("active"), json!(0))
    );
    let policy = s.holder.ok(&["--json", "policy", "show"]).json();
    assert_eq!(policy["limits"][0]["used"], "0");
    assert_eq!(policy["allowed_programs"][0]["name"], "spl-token");
    let balance = s
        .holder
        .ok(&["--json", "balance", "--token", "USDC"])
        .json();
    assert_eq!(balance["balances"][0]["balance"], "100");
    // The recipient's token account is created in the same transaction, paid by the session
    // key: the vault's SOL does not move.
    let vault_sol = |s: &Setup| {
        s.holder.ok(&["--json", "balance", "--token", "SOL"]).json()["balances"][0]["balance"]
            .clone()
    };
    let sol_before = vault_sol(&s);
    let sent = s
        .holder
        .ok(&[
            "--json",
            "transfer",
            "--to",
            &recipient(),
            "--amount",
            "1",
            "--token",
            "USDC",
        ])
        .json();
    assert_eq!(vault_sol(&s), sol_before);
    assert!(sent["signature"].is_string());
    assert_eq!(sent["uses"], 1);
    let list = s.owner.ok(&["--json", "session", "list"]).json();
    assert_eq!(list.as_array().unwrap().len(), 2);
    let info = s.owner.ok(&["--json", "info"]).json();
    assert_eq!(
        info["program_id"],
        leash_sdk::DEFAULT_PROGRAM_ID.to_string()
    );
    let tools = s.holder.ok(&["tools", "list"]).json();
    let names: Vec<&str> = tools
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["function"]["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"leash_transfer")
            && names.contains(&"leash_policy_show")
            && names.contains(&"leash_revoke"),
        "{names:?}"
    );
    assert_eq!(tools[0]["type"], "function");
    // The MCP server's catalog, the one definition of the tools.
    let tool = |name: &str| {
        tools
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["function"]["name"] == name)
            .unwrap_or_else(|| panic!("{name} in {names:?}"))
            .clone()
    };
    assert_eq!(
        tool("leash_transfer")["function"]["parameters"]["required"],
        json!(["to", "amount"])
    );
    assert_eq!(
        tool("leash_simulate")["function"]["parameters"]["required"],
        json!(["action"])
    );
    assert_eq!(names.len(), leash_mcp::tools::catalog().len());
}

#[test]
fn token_files_are_private_and_the_secret_is_never_printed() {
    use std::os::unix::fs::PermissionsExt;
    let s = setup();
    let imported = s.holder.leash_home().join("session.token");
    assert_eq!(
        std::fs::metadata(&imported).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let created_dir = s.owner.leash_home().join("sessions");
    for entry in std::fs::read_dir(created_dir).unwrap() {
        assert_eq!(
            entry.unwrap().metadata().unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let to = recipient();
    for args in [
        vec!["whoami"],
        vec!["session", "status"],
        vec!["policy", "show"],
        vec!["balance"],
        vec![
            "transfer", "--to", &to, "--amount", "0.01", "--token", "SOL",
        ],
        vec!["--json", "whoami"],
        vec!["--json", "policy", "show"],
        vec![
            "simulate", "transfer", "--to", &to, "--amount", "100", "--token", "USDC",
        ],
        vec!["tools", "list"],
    ] {
        let run = s.holder.ok(&args);
        assert_no_secret(&s, &run);
    }
    assert_no_secret(&s, &s.holder.run(&["session", "import", &s.token]));
    // Only export prints it, on purpose.
    let session = leash_sdk::session_token::SessionToken::decode(&s.token)
        .unwrap()
        .session
        .to_string();
    let exported = s.owner.ok(&["session", "export", &session]);
    assert_eq!(exported.stdout.trim(), s.token);
}

#[test]
fn leash_token_env_wins_and_bad_tokens_get_clear_errors() {
    let s = setup();
    // A second session, handed over by environment: it wins over the imported one.
    let other = create_session_json(&s);
    let mut holder = User::new(&s.holder.home, &s.holder.url);
    holder.env.push((
        "LEASH_TOKEN".into(),
        other["token"].as_str().unwrap().into(),
    ));
    let whoami = holder.ok(&["--json", "whoami"]).json();
    assert_eq!(whoami["session"], other["session"]);
    // Malformed tokens: clear messages, exit 1, no panic.
    for (bad, expected) in [
        ("not-a-token", "starts with \"lsk1_\""),
        ("lsk1_%%%", "not valid base64url"),
        ("lsk1_eyJ2IjoxfQ", "not a Leash token"),
    ] {
        let mut holder = User::new(&s.holder.home, &s.holder.url);
        holder.env.push(("LEASH_TOKEN".into(), bad.into()));
        let run = holder.run(&["whoami"]);
        assert_eq!(run.code, 1, "{bad}");
        assert!(run.stderr.contains(expected), "{bad}: {}", run.stderr);
        assert!(!run.stderr.contains("panicked"));
        let run = s.holder.run(&["session", "import", bad]);
        assert_eq!(run.code, 1);
        assert!(run.stderr.contains(expected));
    }
    // No token at all.
    let nobody = User::new(&s.owner.home.join("nobody"), &s.owner.url);
    let run = nobody.run(&["--json", "whoami"]);
    assert_eq!(run.error_json()["code"], "NoSession");
}

#[test]
fn malformed_policy_files_are_refused_with_the_reason() {
    let s = setup();
    for (name, text, expected) in [
        ("typo.toml", "expire_in = \"2h\"", "unknown field"),
        (
            "amount.toml",
            "[[limits]]\ntoken = \"USDC\"\nper_tx = \"1.0000001\"",
            "7 decimal places",
        ),
        (
            "program.toml",
            "allowed_programs = [\"uniswap\"]",
            "neither a known program name",
        ),
        ("broken.toml", "this is = = not toml", "invalid TOML"),
        ("broken.json", "{\"limits\": 3}", "invalid JSON"),
        (
            "token.toml",
            "[[limits]]\ntoken = \"DOGE\"",
            "not a token symbol known on",
        ),
    ] {
        let path = s.owner.home.join(name);
        std::fs::write(&path, text).unwrap();
        let run = s
            .owner
            .run(&["session", "create", "--policy", path.to_str().unwrap()]);
        assert_eq!(run.code, 1, "{name}");
        assert!(run.stderr.contains(expected), "{name}: {}", run.stderr);
        assert!(
            run.stderr.contains(name),
            "the message names the file: {}",
            run.stderr
        );
    }
    let run = s
        .owner
        .run(&["session", "create", "--policy", "/no/such/file.toml"]);
    assert!(run.stderr.contains("cannot read the policy file"));
    // Nothing was created by the refused attempts.
    assert_eq!(
        s.owner
            .ok(&["--json", "session", "list"])
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn two_holders_with_one_token_share_its_limits() {
    let s = setup();
    let to = recipient();
    // Two devices at once, each trying 3 transfers of 1.5 USDC (9 > the 8 USDC total).
    let run_device = |holder: &User, to: String| {
        let home = holder.home.clone();
        let url = holder.url.clone();
        std::thread::spawn(move || {
            let device = User::new(&home, &url);
            (0..3)
                .map(|_| {
                    device.run(&[
                        "--json", "transfer", "--to", &to, "--amount", "1.5", "--token", "USDC",
                    ])
                })
                .collect::<Vec<_>>()
        })
    };
    let a = run_device(&s.holder, to.clone());
    let b = run_device(&s.holder, to.clone());
    let runs: Vec<Run> = a
        .join()
        .unwrap()
        .into_iter()
        .chain(b.join().unwrap())
        .collect();
    let mut landed = 0;
    for run in &runs {
        match run.code {
            0 => landed += 1,
            1 => assert_eq!(
                run.error_json()["code"],
                "SpendingLimitExceeded",
                "{}",
                run.stderr
            ),
            other => panic!("unexpected exit {other}: {}", run.stderr),
        }
    }
    assert_eq!(landed, 5, "5 × 1.5 = 7.5 fits in 8, a sixth does not");
    let policy = s.holder.ok(&["--json", "policy", "show"]).json();
    assert_eq!(policy["limits"][0]["used"], "7.5");
}

#[test]
fn owner_manages_wallet_and_sessions_and_holder_runs_raw_instructions() {
    use base64::Engine;
    let s = setup();
    let shown = s.owner.ok(&["--json", "wallet", "show"]).json();
    assert_eq!(shown["sessions"], 1);
    let balances = shown["balances"].as_array().unwrap();
    assert!(
        balances
            .iter()
            .any(|b| b["token"] == "USDC" && b["amount"] == "100"),
        "{shown}"
    );
    // Withdraw under the owner's full authority.
    let to = recipient();
    s.owner.ok(&[
        "wallet", "withdraw", "--amount", "10", "--token", "USDC", "--to", &to,
    ]);
    s.owner.ok(&["wallet", "withdraw", "--amount", "0.5"]);
    let after = s.owner.ok(&["--json", "wallet", "show"]).json();
    assert!(
        after["balances"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["token"] == "USDC" && b["amount"] == "90"),
        "{after}"
    );

    // Raw instructions through the session: a System transfer out of the vault ("vault" is a
    // placeholder for its address), once with execute and twice atomically with multicall.
    let destination = recipient();
    let system_transfer = |lamports: u64| {
        let mut data = 2u32.to_le_bytes().to_vec();
        data.extend_from_slice(&lamports.to_le_bytes());
        json!({
            "program": "system",
            "accounts": [{"pubkey": "vault", "is_signer": true, "is_writable": true}, {"pubkey": destination, "is_writable": true}],
            "data": base64::prelude::BASE64_STANDARD.encode(data),
        })
    };
    s.holder
        .ok(&["execute", "--ix", &system_transfer(100_000_000).to_string()]);
    let calls = json!([system_transfer(1_000_000), system_transfer(2_000_000)]).to_string();
    let calls_file = s.holder.home.join("calls.json");
    std::fs::write(&calls_file, &calls).unwrap();
    s.holder.ok(&[
        "multicall",
        "--calls",
        &format!("@{}", calls_file.display()),
    ]);
    let policy = s.holder.ok(&["--json", "policy", "show"]).json();
    assert_eq!(
        policy["limits"][1]["used"], "0.103",
        "SOL spent by execute and multicall: {policy}"
    );
    let bad = s.holder.run(&[
        "execute",
        "--ix",
        "{\"program\": \"system\", \"data\": \"%%\"}",
    ]);
    assert!(
        bad.stderr.contains("\"data\" must be base64"),
        "{}",
        bad.stderr
    );

    // The owner widens the limit in place; the holder goes on with the same token.
    let session = s.holder.ok(&["--json", "whoami"]).json()["session"]
        .as_str()
        .unwrap()
        .to_string();
    let wider = s.owner.home.join("wider.toml");
    std::fs::write(
        &wider,
        QUICKSTART_POLICY.replace("total = \"8\"", "total = \"20\""),
    )
    .unwrap();
    s.owner.ok(&[
        "session",
        "update",
        &session,
        "--policy",
        wider.to_str().unwrap(),
    ]);
    s.holder
        .ok(&["transfer", "--to", &to, "--amount", "5", "--token", "USDC"]);
    s.holder
        .ok(&["transfer", "--to", &to, "--amount", "5", "--token", "USDC"]);
    let shown = s.owner.ok(&["--json", "session", "show", &session]).json();
    assert_eq!(shown["policy"]["limits"][0]["used"], "10");
    assert_eq!(shown["policy"]["limits"][0]["total"], "20");
    let listed = s.owner.ok(&["session", "list"]);
    assert!(
        listed.stdout.contains(&session) && listed.stdout.contains("active"),
        "{}",
        listed.stdout
    );

    // Close: the session is gone and its rent is back with the owner.
    s.owner.ok(&["session", "close", &session]);
    let status = s.holder.ok(&["--json", "session", "status"]).json();
    assert_eq!(status["registered"], false);
    let gone = s
        .holder
        .run(&["transfer", "--to", &to, "--amount", "1", "--token", "USDC"]);
    assert!(
        gone.stderr.contains("Error: Session not registered"),
        "{}",
        gone.stderr
    );
}

#[test]
fn wallet_sweep_returns_sol_stranded_in_the_wallet_and_session_accounts() {
    use base64::Engine;
    let s = setup();
    let shown = s.owner.ok(&["--json", "wallet", "show"]).json();
    let wallet = shown["wallet"].as_str().unwrap().to_string();
    let owner = shown["owner"].as_str().unwrap().to_string();
    let session = s.holder.ok(&["--json", "whoami"]).json()["session"]
        .as_str()
        .unwrap()
        .to_string();
    let url = s.owner.url.clone();
    let balance = |address: &str| {
        rpc(&url, "getBalance", json!([address]))["value"]
            .as_u64()
            .unwrap()
    };
    let minimum = |address: &str| {
        let info = rpc(
            &url,
            "getAccountInfo",
            json!([address, {"encoding": "base64"}]),
        );
        let data = base64::prelude::BASE64_STANDARD
            .decode(info["value"]["data"][0].as_str().unwrap())
            .unwrap();
        rpc(
            &url,
            "getMinimumBalanceForRentExemption",
            json!([data.len()]),
        )
        .as_u64()
        .unwrap()
    };
    let (wallet_min, session_min) = (minimum(&wallet), minimum(&session));
    assert_eq!(balance(&wallet), wallet_min);
    assert_eq!(balance(&session), session_min);
    let nothing = s.owner.ok(&["wallet", "sweep"]);
    assert!(
        nothing.stdout.contains("Nothing to sweep"),
        "{}",
        nothing.stdout
    );

    // SOL sent to the program-owned accounts by mistake (System transfers to them are allowed).
    s.owner.ok(&["airdrop", "--amount", "0.5", "--to", &wallet]);
    s.owner
        .ok(&["airdrop", "--amount", "0.25", "--to", &session]);
    assert_eq!(balance(&wallet), wallet_min + 500_000_000);

    let refused = s.owner.run(&["wallet", "sweep", "--to", &session]);
    assert_ne!(refused.code, 0);
    assert!(
        refused
            .stderr
            .contains("is the wallet account or one of its sessions"),
        "{}",
        refused.stderr
    );

    let to = recipient();
    let swept = s.owner.ok(&["wallet", "sweep", "--to", &to]);
    assert!(
        swept.stdout.contains(&format!(
            "Swept 0.75 SOL from the wallet and 1 session to {to}"
        )),
        "{}",
        swept.stdout
    );
    assert_eq!(balance(&to), 750_000_000);
    assert_eq!(balance(&wallet), wallet_min);
    assert_eq!(balance(&session), session_min);
    let again = s.owner.ok(&["wallet", "sweep"]);
    assert!(
        again.stdout.contains("Nothing to sweep"),
        "{}",
        again.stdout
    );

    // A session alone, to the owner by default, as JSON.
    s.owner
        .ok(&["airdrop", "--amount", "0.001", "--to", &session]);
    let report = s
        .owner
        .ok(&["--json", "wallet", "sweep", "--wallet", "default"])
        .json();
    assert_eq!(report["swept"], true);
    assert_eq!(report["recipient"], owner);
    assert_eq!(report["wallet"], wallet);
    assert_eq!(report["amount"], "0.001");
    assert_eq!(report["lamports"], 1_000_000);
    assert_eq!(
        report["accounts"],
        json!([{"address": session, "kind": "session", "amount": "0.001", "lamports": 1_000_000}])
    );
    assert_eq!(report["signatures"].as_array().unwrap().len(), 1);
    assert_eq!(balance(&session), session_min);
    let none = s.owner.ok(&["--json", "wallet", "sweep"]).json();
    assert_eq!(none["swept"], false);
    assert_eq!(none["lamports"], 0);
    assert_eq!(none["signatures"], json!([]));
}

/// `leash node` moves its slot and clock on request only when started with `--allow-time-travel`
/// (or LEASH_ALLOW_TIME_TRAVEL=1); otherwise the control methods are refused with -32601 and a
/// message naming the flag, while the faucet stays open.
#[test]
fn node_time_travel_needs_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let refuses = |url: &str| {
        for (method, params) in [
            ("leash_warpSlot", json!([1_000_000])),
            ("leash_setUnixTimestamp", json!([4_000_000_000i64])),
        ] {
            let (code, message) = rpc_outcome(url, method, params).unwrap_err();
            assert_eq!(code, -32601, "{method}: {message}");
            assert_eq!(
                message,
                format!("{method} is disabled: start the node with --allow-time-travel")
            );
        }
    };
    let accepts = |url: &str| {
        let warped = rpc_outcome(url, "leash_warpSlot", json!([1_000_000])).unwrap();
        assert_eq!(warped, json!(1_000_000));
        let time = rpc_outcome(url, "leash_setUnixTimestamp", json!([4_000_000_000i64])).unwrap();
        assert!(time.as_i64().unwrap() >= 4_000_000_000, "{time}");
    };

    let plain = spawn_node_with(&dir.path().join("plain"), 100, &[], &[]);
    refuses(&plain.url);
    let me = User::new(&dir.path().join("home"), &plain.url);
    me.ok(&["airdrop", "--amount", "1"]);
    me.ok(&["airdrop", "--token", "USDC", "--amount", "5"]);
    drop(plain);

    let off = [("LEASH_ALLOW_TIME_TRAVEL", "false")];
    let node = spawn_node_with(&dir.path().join("off"), 100, &[], &off);
    refuses(&node.url);
    drop(node);

    let node = spawn_node_with(&dir.path().join("flag"), 100, &["--allow-time-travel"], &[]);
    accepts(&node.url);
    drop(node);

    let on = [("LEASH_ALLOW_TIME_TRAVEL", "1")];
    let node = spawn_node_with(&dir.path().join("env"), 100, &[], &on);
    accepts(&node.url);
}

/// An airdrop from a cluster that is not there says so (the RPC client's own `request_airdrop`
/// reports every failure as a rate limit).
#[test]
fn an_airdrop_from_a_cluster_that_is_down_says_it_cannot_reach_it() {
    let dir = tempfile::tempdir().unwrap();
    // A port nothing listens on: bound, read, closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let user = common::User::new(dir.path(), &format!("http://127.0.0.1:{port}"));
    let down = user.run(&["--json", "airdrop", "--amount", "1"]);
    assert_eq!(down.code, 1, "{}", down.all());
    let error = down.error_json();
    assert_eq!(error["code"], "Unreachable", "{error}");
    assert!(error["message"]
        .as_str()
        .unwrap()
        .contains("cannot reach the cluster"));
}
