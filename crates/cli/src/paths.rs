//! Where Leash keeps its files. `LEASH_HOME` moves all of them.

use std::path::PathBuf;

fn home() -> Result<PathBuf, String> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .ok_or_else(|| {
            "HOME is not set; set LEASH_HOME to choose where Leash keeps its files".to_string()
        })
}

fn leash_home() -> Option<PathBuf> {
    std::env::var_os("LEASH_HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
}

/// The node's ledger: `$LEASH_HOME/node`, else `~/.local/share/leash/node`.
pub fn ledger_dir() -> Result<PathBuf, String> {
    match leash_home() {
        Some(dir) => Ok(dir.join("node")),
        None => Ok(home()?.join(".local/share/leash/node")),
    }
}
