//! `leash-bench node` end to end, with a handful of transactions: every confirmation mode (the
//! `sendTransaction` answer, `signatureSubscribe` on the node's PubSub, a pipelined client) runs
//! and reports every transaction. Not a timed test: figures are not checked.

use std::process::Command;

#[test]
fn every_mode_confirms_every_transaction() {
    let output = Command::new(env!("CARGO_BIN_EXE_leash-bench"))
        .args(["--json", "node", "--transactions", "16", "--mode", "all"])
        .output()
        .expect("leash-bench runs");
    assert!(
        output.status.success(),
        "leash-bench failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("leash-bench --json prints JSON");
    let runs = report["runs"].as_array().expect("runs");
    let seen: Vec<(&str, &str, u64)> = runs
        .iter()
        .map(|run| {
            assert_eq!(run["transactions"], 16, "{run}");
            assert!(run["tps"].as_f64().unwrap() > 0.0, "{run}");
            (
                run["mode"].as_str().unwrap(),
                run["kind"].as_str().unwrap(),
                run["clients"].as_u64().unwrap(),
            )
        })
        .collect();
    let mut expected = Vec::new();
    for mode in ["send", "subscribe"] {
        for clients in [1, 8] {
            for kind in ["plain", "session"] {
                expected.push((mode, kind, clients));
            }
        }
    }
    expected.push(("pipelined", "plain", 1));
    expected.push(("pipelined", "session", 1));
    assert_eq!(seen, expected);
    // 160 measured transactions, plus the airdrops and sessions that set the runs up.
    assert!(report["node_transactions"].as_u64().unwrap() >= 160);
}
