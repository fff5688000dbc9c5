//! Where Leash keeps its files. `LEASH_HOME` moves all of them (config, imported token, created
//! session tokens, node ledger); the owner's keypair stays Solana's (`~/.config/solana/id.json`).

use std::{io::Write, path::Path, path::PathBuf};

use crate::error::{CliError, CliResult};

fn home() -> CliResult<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .ok_or_else(|| {
            CliError::new("NoHome", "HOME is not set")
                .with_hint("set LEASH_HOME to choose where Leash keeps its files")
        })
}

fn leash_home() -> Option<PathBuf> {
    std::env::var_os("LEASH_HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
}

/// The node's ledger: `$LEASH_HOME/node`, else `~/.local/share/leash/node`.
pub fn ledger_dir() -> CliResult<PathBuf> {
    match leash_home() {
        Some(dir) => Ok(dir.join("node")),
        None => Ok(home()?.join(".local/share/leash/node")),
    }
}

/// Leash's configuration directory: `$LEASH_HOME`, else `~/.config/leash`.
pub fn config_dir() -> CliResult<PathBuf> {
    match leash_home() {
        Some(dir) => Ok(dir),
        None => Ok(home()?.join(".config/leash")),
    }
}

/// The imported session token (mode 0600).
pub fn token_file() -> CliResult<PathBuf> {
    Ok(config_dir()?.join("session.token"))
}

/// Tokens of sessions this owner created, for `session export` (mode 0600).
pub fn created_token_file(session: &str) -> CliResult<PathBuf> {
    Ok(config_dir()?
        .join("sessions")
        .join(format!("{session}.token")))
}

/// The owner's default keypair, as the Solana CLI keeps it.
pub fn default_keypair() -> CliResult<PathBuf> {
    Ok(home()?.join(".config/solana/id.json"))
}

/// Writes `bytes` to `path` readable and writable by the owner only (0600), atomically: a
/// temporary file in the same directory, then a rename.
pub fn write_private(path: &Path, bytes: &[u8]) -> CliResult<()> {
    let io =
        |e: std::io::Error| CliError::new("Io", format!("cannot write {}: {e}", path.display()));
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io)?;
    let tmp = dir.join(format!(
        ".{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("leash")
    ));
    {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&tmp).map_err(io)?;
        #[cfg(unix)]
        std::fs::set_permissions(&tmp, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .map_err(io)?;
        file.write_all(bytes).map_err(io)?;
        file.sync_all().map_err(io)?;
    }
    std::fs::rename(&tmp, path).map_err(io)
}
