//! A passkey-owned wallet driven by the real `leash` binary against a real `leash node`: a
//! passkey key file (0600, its secret never printed), the wallet created and funded, a session
//! created, used by its holder, revoked — each owner action authorized by the passkey through
//! the secp256r1 precompile, the CLI's keypair only paying (docs/cli.md, "Passkey owners").

mod common;

use common::{spawn_node, User, QUICKSTART_POLICY};

#[test]
fn a_passkey_owner_creates_a_wallet_and_a_session_and_revokes_it() {
    let dir = tempfile::tempdir().unwrap();
    let node = spawn_node(&dir.path().join("ledger"), 100);
    let owner = User::new(&dir.path().join("owner"), &node.url);
    std::fs::write(owner.home.join("policy.toml"), QUICKSTART_POLICY).unwrap();
    let file = owner.home.join("owner.passkey.json");
    let file = file.to_str().unwrap();

    let made = owner
        .ok(&[
            "--json",
            "passkey",
            "new",
            "--out",
            file,
            "--user-verification",
        ])
        .json();
    assert!(made["owner"].as_str().unwrap().starts_with("passkey:"));
    assert_eq!(made["rp_id"], "localhost");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "the key file is private");
    let secret: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    let secret = secret["secret"].as_str().unwrap().to_string();
    let again = owner.run(&["passkey", "new", "--out", file]);
    assert_ne!(again.code, 0, "an existing key file is never overwritten");

    // The keypair pays: airdrop to it, then the passkey's wallet.
    owner.ok(&["airdrop", "--amount", "10"]);
    let created = owner
        .ok(&["--json", "--passkey", file, "wallet", "create"])
        .json();
    assert_eq!(created["wallet"], made["wallet"]);
    assert_eq!(created["owner"], made["owner"]);
    owner.ok(&["--passkey", file, "wallet", "deposit", "--amount", "2"]);

    // A session, authorized by the passkey.
    let session = owner.create_session(&["--passkey", file]);
    let token = session["token"].as_str().unwrap().to_string();
    let address = session["session"].as_str().unwrap().to_string();

    // Its holder pays within the limits.
    let holder = User::new(&dir.path().join("holder"), &node.url);
    holder.ok(&["session", "import", &token]);
    let recipient = solana_program::pubkey::Pubkey::new_unique().to_string();
    holder.ok(&[
        "transfer", "--to", &recipient, "--amount", "0.1", "--token", "SOL",
    ]);

    // The owner lists and revokes it; the holder is refused afterwards.
    let list = owner
        .ok(&["--json", "--passkey", file, "session", "list"])
        .json();
    assert_eq!(list[0]["status"], "active", "{list}");
    let revoked = owner.ok(&["--passkey", file, "session", "revoke", &address]);
    let refused = holder.run(&[
        "transfer", "--to", &recipient, "--amount", "0.1", "--token", "SOL",
    ]);
    assert_ne!(refused.code, 0);
    assert!(refused.all().contains("revoked"), "{}", refused.all());

    // The passkey's owner nonce moved on once per authorized instruction (create, revoke).
    let shown = owner
        .ok(&["--json", "--passkey", file, "passkey", "show"])
        .json();
    assert_eq!(shown["wallet"], made["wallet"]);

    // The secret never appears in any output.
    for run in [&revoked, &refused] {
        assert!(!run.all().contains(&secret));
    }
    assert!(!shown.to_string().contains(&secret));

    // A damaged key file: a clear error naming the file, not a panic.
    std::fs::write(owner.home.join("bad.json"), "{").unwrap();
    let bad = owner.run(&[
        "--passkey",
        owner.home.join("bad.json").to_str().unwrap(),
        "session",
        "list",
    ]);
    assert_ne!(bad.code, 0);
    assert!(
        bad.all().contains("not a Leash passkey file"),
        "{}",
        bad.all()
    );
}
