//! The API fuzzed from its own OpenAPI document with schemathesis (PyPI, pinned in
//! tests/schemathesis/requirements.txt; `scripts/test` installs it into
//! `$HOME/.cache/leash-pyenv-st`), against a real node: every generated request — valid and
//! invalid bodies, paths, headers, the stateful links — must get an answer that is not a 5xx and
//! conforms to the document (status code, content type, headers, body schema), and invalid
//! input must be refused.
//!
//! The one check left out is `positive_data_acceptance`: the document describes addresses and
//! amounts as strings, so schema-valid data includes "0" as an address, which is rightly 400.
//!
//! Nothing is skipped silently: without schemathesis the test fails with what to run, unless
//! `LEASH_TEST_SCHEMATHESIS=skip` says to skip it.

mod common;

use std::{path::PathBuf, process::Command};

use common::Api;

fn schemathesis() -> Option<PathBuf> {
    if let Ok(path) = std::env::var("LEASH_SCHEMATHESIS") {
        return Some(PathBuf::from(path));
    }
    let home = std::env::var("HOME").unwrap_or_default();
    let path = PathBuf::from(home).join(".cache/leash-pyenv-st/bin/schemathesis");
    if path.exists() {
        return Some(path);
    }
    if std::env::var("LEASH_TEST_SCHEMATHESIS").as_deref() == Ok("skip") {
        eprintln!("SKIPPED: the schemathesis fuzz test (LEASH_TEST_SCHEMATHESIS=skip)");
        return None;
    }
    panic!(
        "schemathesis not found at {}: run scripts/test (it installs it), or set \
         LEASH_SCHEMATHESIS, or LEASH_TEST_SCHEMATHESIS=skip to skip knowingly",
        path.display()
    );
}

#[test]
fn the_api_survives_schemathesis() {
    let Some(st) = schemathesis() else {
        return;
    };
    let api = Api::start();
    // schemathesis keeps a cache in its working directory: a temporary one, not the crate.
    let workdir = tempfile::tempdir().expect("tempdir");
    let output = Command::new(&st)
        .current_dir(workdir.path())
        .args([
            "run",
            &format!("{}/openapi.json", api.base),
            "--header",
            &format!("Authorization: Bearer {}", api.admin),
            "--checks",
            "all",
            "--exclude-checks",
            "positive_data_acceptance",
            "--max-examples",
            "25",
            "--seed",
            "20261201",
            "--no-color",
            // The event stream never ends (an SSE client test covers it: tests/live.rs).
            "--exclude-operation-id",
            "events",
        ])
        .output()
        .expect("schemathesis runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    // The key never shows in what schemathesis prints (it filters Authorization).
    assert!(!stdout.contains(&api.admin));
    assert!(
        output.status.success(),
        "schemathesis found failures:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("passed"), "{stdout}");
    // It really exercised the operations (all but a few of the table's).
    let tested: usize = stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("Tested: "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no operation count:\n{stdout}"));
    let documented = leash_api::routes::ROUTES
        .iter()
        .filter(|r| r.openapi)
        .count();
    assert!(
        tested + 2 >= documented,
        "{tested} operations tested:\n{stdout}"
    );
}
