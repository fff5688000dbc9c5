//! The TypeScript SDK (`sdk/ts`, `@leash/sdk`) against the real `leash` binary: builds it with
//! `tsc`, then runs its tests — the IDL's vectors decoded and re-encoded by the generated code,
//! the generated code compared with what the IDL makes, and every helper against a `leash node`
//! the tests start (at the default program id and at one chosen at deploy time), the README's
//! examples included, one of them from an `npm pack` tarball installed into a scratch project
//! (docs/sdk-ts.md). Installs the npm dependencies from the committed lockfile when missing.

use std::{path::PathBuf, process::Command};

fn npm(dir: &PathBuf, args: &[&str]) {
    let status = Command::new("npm")
        .args(args)
        .current_dir(dir)
        .status()
        .expect("npm runs");
    assert!(status.success(), "npm {args:?} failed in {}", dir.display());
}

#[test]
fn the_typescript_sdk_works_against_leash_node() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../sdk/ts");
    let npm_present = Command::new("npm")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(npm_present, "this test needs Node.js 20+ and npm on PATH");
    if !dir.join("node_modules/@solana/kit").exists() {
        npm(&dir, &["ci", "--no-audit", "--no-fund", "--loglevel=error"]);
    }
    npm(&dir, &["run", "--silent", "build"]);
    let output = Command::new("node")
        .args(["--test", "--test-concurrency=1", "test/"])
        .env("LEASH_BIN", env!("CARGO_BIN_EXE_leash"))
        .current_dir(&dir)
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "@leash/sdk tests failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("# fail 0") && !stdout.contains("# pass 0"),
        "{stdout}"
    );
}
