//! Regression: a session past its slot bound shows as expired everywhere. `wallet show` judged
//! the status at slot 0, so it counted such a session as active.

mod common;

use common::{rpc, spawn_node, User};
use serde_json::json;

#[test]
fn a_session_past_its_slot_bound_is_expired_in_every_view() {
    let dir = tempfile::tempdir().unwrap();
    let node = spawn_node(&dir.path().join("ledger"), 100);
    let owner = User::new(&dir.path().join("owner"), &node.url);
    owner.ok(&["airdrop", "--amount", "10"]);
    owner.ok(&["wallet", "create"]);
    owner.ok(&["wallet", "deposit", "--amount", "1"]);
    let bound = rpc(&node.url, "getSlot", json!([])).as_u64().unwrap() + 100_000;
    let policy = owner.home.join("policy.toml");
    std::fs::write(
        &policy,
        format!("expiry_slot = {bound}\nallowed_programs = [\"system\"]\n[[limits]]\ntoken = \"SOL\"\ntotal = \"0.5\"\n"),
    )
    .unwrap();
    let created = owner
        .ok(&[
            "--json",
            "session",
            "create",
            "--policy",
            policy.to_str().unwrap(),
        ])
        .json();
    let holder = User::new(&dir.path().join("holder"), &node.url);
    holder.ok(&["session", "import", created["token"].as_str().unwrap()]);
    assert_eq!(
        owner.ok(&["--json", "wallet", "show"]).json()["active_sessions"],
        1
    );

    rpc(&node.url, "leash_warpSlot", json!([bound + 1]));
    let shown = owner.ok(&["--json", "wallet", "show"]).json();
    assert_eq!(
        (shown["sessions"].clone(), shown["active_sessions"].clone()),
        (json!(1), json!(0))
    );
    assert!(owner
        .ok(&["wallet", "show"])
        .stdout
        .contains("Sessions: 1 (0 active)"));
    assert_eq!(
        owner.ok(&["--json", "session", "list"]).json()[0]["status"],
        "expired"
    );
    let session = created["session"].as_str().unwrap();
    assert_eq!(
        owner.ok(&["--json", "session", "show", session]).json()["status"],
        "expired"
    );
    let status = holder.ok(&["session", "status"]);
    assert!(
        status.stdout.contains("Status:      expired"),
        "{}",
        status.stdout
    );
    assert!(
        status
            .stdout
            .contains(&format!("Slot bound:  slot {bound} (now ")),
        "{}",
        status.stdout
    );
    assert_eq!(holder.ok(&["--json", "whoami"]).json()["status"], "expired");
    // And the program refuses it as expired, as the status says.
    let refused = holder.run(&["--json", "transfer", "--to", session, "--amount", "0.01"]);
    assert_eq!(
        refused.error_json()["code"],
        "SessionExpired",
        "{}",
        refused.stderr
    );
}
