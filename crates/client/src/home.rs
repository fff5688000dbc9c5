//! Where Leash keeps its files on this machine. `LEASH_HOME` moves all of them (imported token,
//! created session tokens, node ledger); the owner's keypair stays Solana's
//! (`~/.config/solana/id.json`). Token files and keypairs are written 0600, atomically.

use std::{
    io::Write,
    path::{Path, PathBuf},
};

use leash_sdk::session_token::SessionToken;
use serde::Serialize;
use solana_keypair::Keypair;
use solana_program::pubkey::Pubkey;

use crate::error::{ClientError, ErrorCode, Result};

fn home() -> Result<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .ok_or_else(|| {
            ClientError::new(ErrorCode::NoHome, "HOME is not set")
                .with_hint("set LEASH_HOME to choose where Leash keeps its files")
        })
}

fn leash_home() -> Option<PathBuf> {
    std::env::var_os("LEASH_HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
}

/// The node's ledger: `$LEASH_HOME/node`, else `~/.local/share/leash/node`.
pub fn ledger_dir() -> Result<PathBuf> {
    match leash_home() {
        Some(dir) => Ok(dir.join("node")),
        None => Ok(home()?.join(".local/share/leash/node")),
    }
}

/// Leash's configuration directory: `$LEASH_HOME`, else `~/.config/leash`.
pub fn config_dir() -> Result<PathBuf> {
    match leash_home() {
        Some(dir) => Ok(dir),
        None => Ok(home()?.join(".config/leash")),
    }
}

/// The imported session token (mode 0600).
pub fn token_file() -> Result<PathBuf> {
    Ok(config_dir()?.join("session.token"))
}

/// The token of a session this owner created, for `session export` (mode 0600).
pub fn created_token_file(session: &Pubkey) -> Result<PathBuf> {
    Ok(config_dir()?
        .join("sessions")
        .join(format!("{session}.token")))
}

/// The owner's default keypair, as the Solana CLI keeps it.
pub fn default_keypair() -> Result<PathBuf> {
    Ok(home()?.join(".config/solana/id.json"))
}

/// Writes `bytes` to `path` readable and writable by the owner only (0600), atomically: a
/// temporary file in the same directory, then a rename.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    let io = |e: std::io::Error| {
        ClientError::new(
            ErrorCode::Io,
            format!("cannot write {}: {e}", path.display()),
        )
    };
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

/// Reads a solana-keygen JSON keypair file.
pub fn read_keypair(path: &Path) -> Result<Keypair> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        ClientError::new(
            ErrorCode::NoKeypair,
            format!("cannot read the keypair {}: {e}", path.display()),
        )
        .with_hint(
            "pass --keypair FILE (a solana-keygen JSON file), or create one with solana-keygen new",
        )
    })?;
    // serde's message could quote the file's bytes, which are a secret: keep ours only.
    let bytes: Vec<u8> = serde_json::from_str(&text).map_err(|_| {
        ClientError::input(format!(
            "{} is not a solana-keygen keypair file (a JSON array of 64 numbers)",
            path.display()
        ))
    })?;
    Keypair::try_from(bytes.as_slice()).map_err(|_| {
        ClientError::input(format!(
            "{} does not hold a valid 64-byte ed25519 keypair",
            path.display()
        ))
    })
}

/// Writes a keypair as solana-keygen JSON, readable by the owner only.
pub fn write_keypair(path: &Path, key: &Keypair) -> Result<()> {
    let json = serde_json::to_string(&key.to_bytes().to_vec())
        .map_err(|e| ClientError::internal(format!("cannot encode a keypair: {e}")))?;
    write_private(path, json.as_bytes())
}

/// The owner's keypair, and the path it was created at when it did not exist yet.
pub struct OwnerKeypair {
    pub keypair: Keypair,
    pub created: Option<PathBuf>,
}

/// The owner's keypair: `explicit`, else the default path. A missing default keypair is
/// created when `create_missing_default` (the CLI does so on localnet only).
pub fn owner_keypair(
    explicit: Option<&Path>,
    create_missing_default: bool,
) -> Result<OwnerKeypair> {
    let path = match explicit {
        Some(path) => {
            return read_keypair(path).map(|keypair| OwnerKeypair {
                keypair,
                created: None,
            })
        }
        None => default_keypair()?,
    };
    if !path.exists() && create_missing_default {
        let keypair = Keypair::new();
        write_keypair(&path, &keypair)?;
        return Ok(OwnerKeypair {
            keypair,
            created: Some(path),
        });
    }
    read_keypair(&path).map(|keypair| OwnerKeypair {
        keypair,
        created: None,
    })
}

/// The holder's session token: `LEASH_TOKEN` wins over the imported one.
pub fn session_token() -> Result<SessionToken> {
    let from_env = std::env::var("LEASH_TOKEN")
        .ok()
        .filter(|t| !t.trim().is_empty());
    let (text, source) =
        match from_env {
            Some(text) => (text, "LEASH_TOKEN".to_string()),
            None => {
                let path = token_file()?;
                match std::fs::read_to_string(&path) {
                    Ok(text) => (text, path.display().to_string()),
                    Err(_) => return Err(ClientError::new(
                        ErrorCode::NoSession,
                        "no session token: set LEASH_TOKEN or run `leash session import <token>`",
                    )
                    .with_hint(
                        "the wallet owner creates one with `leash session create --policy FILE`",
                    )),
                }
            }
        };
    SessionToken::decode(&text).map_err(|e| {
        ClientError::new(
            ErrorCode::InvalidToken,
            format!("the session token from {source} is not valid: {e}"),
        )
    })
}

/// What `session import` stored.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Imported {
    pub imported: bool,
    pub path: String,
    pub session: String,
    pub session_key: String,
    pub wallet: String,
    pub cluster: String,
    pub label: String,
    /// `LEASH_TOKEN` is set and wins over the imported token.
    #[serde(skip)]
    pub overridden: bool,
}

impl std::fmt::Display for Imported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Imported session {} (key {}) for wallet {} on {}\nStored in {} (readable by you only)",
            self.session, self.session_key, self.wallet, self.cluster, self.path
        )?;
        if self.overridden {
            write!(
                f,
                "\nnote: LEASH_TOKEN is set and takes precedence over the imported token"
            )?;
        }
        Ok(())
    }
}

/// Checks a session token and stores it for this user (0600).
pub fn import_session_token(text: &str) -> Result<Imported> {
    let token = SessionToken::decode(text).map_err(|e| {
        ClientError::new(
            ErrorCode::InvalidToken,
            format!("not a valid session token: {e}"),
        )
    })?;
    let path = token_file()?;
    write_private(&path, token.encode().as_bytes())?;
    Ok(Imported {
        imported: true,
        path: path.display().to_string(),
        session: token.session.to_string(),
        session_key: token.session_key().to_string(),
        wallet: token.wallet.to_string(),
        cluster: token.cluster.clone(),
        label: token.label.clone(),
        overridden: std::env::var("LEASH_TOKEN").is_ok_and(|t| !t.trim().is_empty()),
    })
}

/// Keeps the token of a session this owner created (0600), for `session export`.
pub fn store_created_token(session: &Pubkey, token: &str) -> Result<()> {
    write_private(&created_token_file(session)?, token.as_bytes())
}

/// A stored session token, printed on purpose (`session export`): the one report that carries
/// a secret.
#[derive(Clone, Serialize, schemars::JsonSchema)]
pub struct Exported {
    pub session: String,
    pub token: String,
}

impl std::fmt::Display for Exported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.token)
    }
}

/// The stored token of a session created on this machine.
pub fn export_session_token(session: &Pubkey) -> Result<Exported> {
    let path = created_token_file(session)?;
    let token = std::fs::read_to_string(&path).map_err(|_| {
        ClientError::new(
            ErrorCode::NoToken,
            format!("no stored token for session {session}"),
        )
        .with_hint(
            "only sessions created on this machine (with the same LEASH_HOME) can be exported",
        )
    })?;
    Ok(Exported {
        session: session.to_string(),
        token: token.trim().to_string(),
    })
}
