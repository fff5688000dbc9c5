//! A pinned Python venv for the tests that drive clients written by others (the MCP SDK,
//! solana-py, Standard Webhooks, an SSE client). Shared by the API's tests through `#[path]`.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

/// `$HOME/.cache/<venv>` with `requirements` installed (pinned; a stamp in the venv records
/// which requirements it holds, so a changed file reinstalls). Fails, saying what to install,
/// when python3 or its venv module is missing: the tests never skip.
pub fn python_venv(venv: &str, requirements: &Path) -> PathBuf {
    let home = PathBuf::from(std::env::var_os("HOME").expect("HOME is set"));
    let venv = home.join(".cache").join(venv);
    let python = venv.join("bin/python");
    // Debian's python3 without python3-venv leaves a venv with no pip behind: start over then.
    if !venv.join("bin/pip").exists() {
        let _ = std::fs::remove_dir_all(&venv);
        let out = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .output()
            .unwrap_or_else(|e| {
                panic!("python3 not found ({e}): install Python 3.11+ and python3-venv")
            });
        assert!(
            out.status.success() && venv.join("bin/pip").exists(),
            "cannot create a Python venv at {}: install the venv module with \
             `sudo apt-get install -y python3-venv` (Debian/Ubuntu), then rerun.\n{}",
            venv.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let wanted = std::fs::read_to_string(requirements)
        .unwrap_or_else(|e| panic!("{}: {e}", requirements.display()));
    let stamp = venv.join("leash-requirements.txt");
    if std::fs::read_to_string(&stamp).ok().as_deref() != Some(wanted.as_str()) {
        let status = Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
            ])
            .arg(requirements)
            .env("PIP_CACHE_DIR", home.join(".cache/pip"))
            .status()
            .expect("pip runs");
        assert!(
            status.success(),
            "pip install -r {} failed in {}",
            requirements.display(),
            venv.display()
        );
        std::fs::write(&stamp, &wanted).expect("write the venv stamp");
    }
    python
}
