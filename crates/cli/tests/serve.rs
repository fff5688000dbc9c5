//! `leash serve`, `leash api-key` and `leash audit` as a user runs them: the first start prints
//! one admin key (and only the first), keys made on the command line work over HTTP until
//! revoked, and the audit log verifies offline — and stops verifying once an export is edited.

mod common;

use common::{spawn_node, spawn_serve, ServeProcess, User};

fn serve(user: &User) -> ServeProcess {
    spawn_serve(user.serve_command())
}

fn get(base: &str, path: &str, key: &str) -> (u16, serde_json::Value) {
    let r = reqwest::blocking::Client::new()
        .get(format!("{base}{path}"))
        .bearer_auth(key)
        .send()
        .expect("GET");
    let status = r.status().as_u16();
    (status, r.json().unwrap_or(serde_json::Value::Null))
}

#[test]
fn serve_prints_one_admin_key_and_cli_keys_and_audit_work() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = spawn_node(&dir.path().join("ledger"), 50);
    let user = User::new(dir.path(), &node.url);

    let first = serve(&user);
    let admin = first
        .admin_key
        .clone()
        .unwrap_or_else(|| panic!("no admin key printed:\n{}", first.printed()));
    // On a local node the owner keypair (made if missing) is the local signer by default.
    let owner_key = leash_client::home::read_keypair(&user.home.join(".config/solana/id.json"))
        .expect("serve made the owner keypair");
    let signer_line = format!("Signer:   {}", solana_signer::Signer::pubkey(&owner_key));
    assert!(
        first.printed().contains(&signer_line),
        "{}",
        first.printed()
    );
    let mut without = user.serve_command();
    without.arg("--no-signer");
    let without = spawn_serve(without);
    assert!(
        !without.printed().contains("Signer:"),
        "{}",
        without.printed()
    );
    drop(without);
    let (status, info) = get(&first.base, "/v1/info", &admin);
    assert_eq!(status, 200, "{info}");
    assert_eq!(info["url"], node.url.as_str());
    let (status, keys) = get(&first.base, "/v1/api-keys", &admin);
    assert_eq!(status, 200, "{keys}");
    assert!(
        !keys.to_string().contains(&admin),
        "keys are never shown again"
    );

    // The owner signs a prepared transaction with `leash sign` and submits it over HTTP.
    let owner = user.ok(&["airdrop", "--amount", "5", "--json"]).json()["to"]
        .as_str()
        .expect("owner")
        .to_string();
    let client = reqwest::blocking::Client::new();
    let prepared: serde_json::Value = client
        .post(format!("{}/v1/wallets/prepare", first.base))
        .bearer_auth(&admin)
        .json(&serde_json::json!({ "owner": owner }))
        .send()
        .expect("prepare")
        .json()
        .expect("JSON");
    let unsigned = prepared["transactions"][0]["transaction"]
        .as_str()
        .unwrap_or_else(|| panic!("no transaction: {prepared}"));
    let signed = user.ok(&["sign", unsigned]).stdout.trim().to_string();
    assert_ne!(signed, unsigned);
    let submitted = client
        .post(format!("{}/v1/transactions/submit", first.base))
        .bearer_auth(&admin)
        .header("idempotency-key", "cli-sign-wallet")
        .json(&serde_json::json!({ "transaction": signed }))
        .send()
        .expect("submit");
    assert_eq!(submitted.status().as_u16(), 200);
    let wallet = prepared["report"]["wallet"].as_str().expect("wallet");
    assert_eq!(
        get(&first.base, &format!("/v1/wallets/{wallet}"), &admin).0,
        200
    );
    // Another key cannot sign it: a clear error, nothing printed on stdout.
    let other = dir.path().join("other.json");
    std::fs::write(
        &other,
        serde_json::to_string(&solana_keypair::Keypair::new().to_bytes().to_vec()).expect("key"),
    )
    .expect("write key");
    let refused = user.run(&["sign", unsigned, "--signer", other.to_str().expect("path")]);
    assert_eq!(refused.code, 1, "{}", refused.all());
    assert!(
        refused.stderr.contains("cannot sign this transaction"),
        "{}",
        refused.all()
    );
    assert!(refused.stdout.is_empty());

    drop(first);

    // The store holds a key now: the second start prints none.
    let second = serve(&user);
    assert!(
        second.admin_key.is_none() && !second.printed().contains("lk_"),
        "a second start printed a key:\n{}",
        second.printed()
    );

    // A read key from the command line: works until revoked.
    let created = user.ok(&[
        "api-key", "create", "--name", "ci", "--scope", "read", "--json",
    ]);
    let created = created.json();
    let key = created["key"].as_str().expect("key").to_string();
    let id = created["id"].as_str().expect("id").to_string();
    assert_eq!(created["scopes"], serde_json::json!(["read"]));
    assert_eq!(get(&second.base, "/v1/info", &key).0, 200);
    assert_eq!(get(&second.base, "/v1/api-keys", &key).0, 403);
    let listed = user.ok(&["api-key", "list"]).stdout;
    assert!(listed.contains(&id) && !listed.contains(&key), "{listed}");
    user.ok(&["api-key", "revoke", &id]);
    let (status, body) = get(&second.base, "/v1/info", &key);
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["code"], "invalid_api_key");
    let again = user.run(&["api-key", "revoke", &id]);
    assert_eq!(again.code, 1, "{}", again.all());

    // The audit log: the first key, the wallet prepare and submit, the CLI's key and its
    // revocation; verified offline.
    user.ok(&["audit", "verify"]);
    let export = user.ok(&["audit", "export"]).stdout;
    let path = dir.path().join("audit.json");
    std::fs::write(&path, &export).expect("write export");
    let verified = user.ok(&["audit", "verify", "--file", path.to_str().unwrap()]);
    assert!(
        verified.stdout.contains("verifies: 5 entries"),
        "{}",
        verified.stdout
    );

    let mut tampered: serde_json::Value = serde_json::from_str(&export).expect("JSON");
    tampered["entries"][1]["actor"] = "someone else".into();
    std::fs::write(&path, tampered.to_string()).expect("write");
    let broken = user.run(&["audit", "verify", "--file", path.to_str().unwrap()]);
    assert_eq!(broken.code, 1, "{}", broken.all());
    assert!(
        broken.stdout.contains("does NOT verify at entry 2"),
        "{}",
        broken.all()
    );

    // Pinned to another audit key, even the untouched log is refused.
    std::fs::write(&path, &export).expect("write");
    let other = solana_signer::Signer::pubkey(&solana_keypair::Keypair::new()).to_string();
    let pinned = user.run(&[
        "audit",
        "verify",
        "--file",
        path.to_str().unwrap(),
        "--audit-key",
        &other,
    ]);
    assert_eq!(pinned.code, 1, "{}", pinned.all());

    // The store and the audit key are the user's only.
    use std::os::unix::fs::PermissionsExt;
    for file in ["leash-api.sqlite3", "audit-key.json"] {
        let mode = std::fs::metadata(user.leash_home().join("api").join(file))
            .expect("file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{file}");
    }
}

/// `leash webhook …` against a live `leash serve` on a local node (private receivers allowed
/// there by default): add (the secret once), list (never the secret), test, disable, enable,
/// deliveries, remove; bad input refused with what to fix. Delivery itself is
/// crates/api/tests/live.rs.
#[test]
fn webhooks_from_the_command_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let node = spawn_node(&dir.path().join("ledger"), 50);
    let mut user = User::new(dir.path(), &node.url);
    let served = serve(&user);
    let admin = served.admin_key.clone().expect("admin key");
    user.env.push(("LEASH_API_URL".into(), served.base.clone()));
    user.env.push(("LEASH_API_KEY".into(), admin));

    // A receiver that answers 204 to anything.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("address"));
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let mut buf = [0u8; 8192];
            let _ = stream.read(&mut buf);
            let _ = stream.write_all(b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n");
        }
    });

    let added = user
        .ok(&[
            "--json",
            "webhook",
            "add",
            "--url",
            &url,
            "--events",
            "session.used,session.limit_near",
        ])
        .json();
    let id = added["id"].as_str().expect("id").to_string();
    let secret = added["secret"].as_str().expect("secret").to_string();
    assert!(secret.starts_with("whsec_"), "{added}");
    assert_eq!(
        added["events"],
        serde_json::json!(["session.used", "session.limit_near"])
    );
    let listed = user.ok(&["webhook", "list"]).stdout;
    assert!(listed.contains(&id) && listed.contains(&url), "{listed}");
    assert!(
        !listed.contains(&secret[6..]),
        "the secret is shown once: {listed}"
    );
    let tested = user.ok(&["webhook", "test", &id]).stdout;
    assert!(
        tested.contains("accepted the test message (HTTP 204)"),
        "{tested}"
    );
    assert!(user
        .ok(&["webhook", "disable", &id])
        .stdout
        .contains("disabled"));
    assert_eq!(
        user.ok(&["--json", "webhook", "list"]).json()["webhooks"][0]["enabled"],
        false
    );
    user.ok(&["webhook", "enable", &id]);
    assert!(user
        .ok(&["webhook", "deliveries", &id])
        .stdout
        .contains("No deliveries yet"));

    let bad = user.run(&["webhook", "add", "--url", &url, "--events", "session.spent"]);
    assert_eq!(bad.code, 1, "{}", bad.all());
    assert!(
        bad.stderr.contains("unknown event type `session.spent`")
            && bad.stderr.contains("session.used"),
        "{}",
        bad.all()
    );
    let ftp = user.run(&["webhook", "add", "--url", "ftp://example.com/x"]);
    assert_eq!(ftp.code, 1, "{}", ftp.all());
    assert!(ftp.stderr.contains("http or https"), "{}", ftp.all());
    let missing = user.run(&["webhook", "remove", "wh_nothere"]);
    assert!(
        missing.stderr.contains("no webhook wh_nothere"),
        "{}",
        missing.all()
    );
    assert!(user
        .ok(&["webhook", "remove", &id])
        .stdout
        .contains("Removed webhook"));
    assert!(user.ok(&["webhook", "list"]).stdout.contains("No webhooks"));
}
