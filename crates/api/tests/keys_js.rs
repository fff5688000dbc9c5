//! The dashboard's `keys.js` writes session tokens in the browser; leash-sdk writes them in
//! Rust. Both are tested against one vector (crates/sdk/testdata/session_token_v1.json): this
//! runs the JavaScript side with Node's own test runner (no npm packages needed). Node is
//! required, as for the other JS tests; without it this fails, never skips.

use std::{path::Path, process::Command};

#[test]
fn keys_js_writes_the_tokens_leash_sdk_writes() {
    let test = Path::new(env!("CARGO_MANIFEST_DIR")).join("../cli/tests/dashboard/keys.test.mjs");
    let output = Command::new("node")
        .arg("--test")
        .arg(&test)
        .output()
        .expect("node runs (install Node.js 20+: the dashboard's JavaScript is tested with it)");
    assert!(
        output.status.success(),
        "keys.js disagrees with leash-sdk:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
