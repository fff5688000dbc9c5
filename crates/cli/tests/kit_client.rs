//! An independent client: the `@solana/kit` test in crates/node/tests/kit, run against the real
//! `leash` binary. Installs its npm dependencies from the committed lockfile when missing.

use std::{path::PathBuf, process::Command};

#[test]
fn solana_kit_talks_to_leash_node() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../node/tests/kit");
    let npm_present = Command::new("npm")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(npm_present, "this test needs Node.js 20+ and npm on PATH");
    if !dir.join("node_modules/@solana/kit").exists() {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&dir)
            .status()
            .expect("npm ci runs");
        assert!(status.success(), "npm ci failed in {}", dir.display());
    }
    let output = Command::new("node")
        .arg("--test")
        .env("LEASH_BIN", env!("CARGO_BIN_EXE_leash"))
        .current_dir(&dir)
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "@solana/kit test failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("# fail 0") && !stdout.contains("# pass 0"),
        "{stdout}"
    );
}
