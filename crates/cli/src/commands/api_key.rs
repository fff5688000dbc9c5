//! `leash api-key create|list|revoke`: the API's keys, in its store (no server needed). A key is
//! shown once, at creation; the store keeps its SHA-256.

use std::{fmt, path::PathBuf};

use clap::{Subcommand, ValueEnum};
use leash_api::{
    keys::{self, Scope},
    store::{KeyRecord, Store},
};
use serde::Serialize;

use crate::{
    error::{CliError, CliResult},
    globals::Globals,
};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ScopeArg {
    Read,
    Write,
    Admin,
    Request,
}

impl From<ScopeArg> for Scope {
    fn from(s: ScopeArg) -> Scope {
        match s {
            ScopeArg::Read => Scope::Read,
            ScopeArg::Write => Scope::Write,
            ScopeArg::Admin => Scope::Admin,
            ScopeArg::Request => Scope::Request,
        }
    }
}

#[derive(Subcommand)]
pub enum ApiKeyCommand {
    /// Create a key (printed once)
    Create {
        /// A name to recognise it by
        #[arg(long)]
        name: String,
        /// Scopes (repeat): read, write (also reads), admin (everything), request
        #[arg(long = "scope", value_enum, required = true)]
        scopes: Vec<ScopeArg>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// List keys (never the keys themselves)
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Revoke a key by its id
    Revoke {
        id: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// Which store: `--database-url`, else the SQLite file in `--dir`.
#[derive(clap::Args)]
pub struct StoreArgs {
    /// The API's directory (SQLite store, audit key) [default: $LEASH_HOME/api]
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// The API's PostgreSQL store, as `leash serve --database-url`
    #[arg(long, env = "LEASH_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
}

#[derive(Serialize)]
struct Created {
    key: String,
    #[serde(flatten)]
    record: KeyRecord,
}

impl fmt::Display for Created {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Created API key {} ({}), scopes: {}",
            self.record.id,
            self.record.name,
            self.record.scopes.join(", ")
        )?;
        writeln!(f, "  {}", self.key)?;
        write!(f, "It is shown only this once; the store keeps its hash.")
    }
}

#[derive(Serialize)]
struct Listed {
    keys: Vec<KeyRecord>,
}

impl fmt::Display for Listed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.keys.is_empty() {
            return f.write_str("No API keys (leash serve creates an admin key on first start)");
        }
        writeln!(
            f,
            "{:<22} {:<10} {:<24} {:<8} NAME",
            "ID", "PREFIX", "SCOPES", "STATE"
        )?;
        for (i, k) in self.keys.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(
                f,
                "{:<22} {:<10} {:<24} {:<8} {}",
                k.id,
                k.prefix,
                k.scopes.join(","),
                if k.revoked_at.is_some() {
                    "revoked"
                } else {
                    "live"
                },
                k.name
            )?;
        }
        Ok(())
    }
}

#[derive(Serialize)]
struct Revoked {
    id: String,
    revoked: bool,
}

impl fmt::Display for Revoked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Revoked API key {}", self.id)
    }
}

fn open(args: StoreArgs) -> CliResult<(Store, solana_keypair::Keypair)> {
    super::serve::open_store(args.dir, args.database_url.as_deref())
}

fn audit(
    store: &Store,
    key: &solana_keypair::Keypair,
    event: &str,
    id: &str,
    payload: serde_json::Value,
) -> CliResult<()> {
    leash_api::append_audit(
        store,
        key,
        "leash api-key",
        event,
        &format!("api_key/{id}"),
        &payload,
    )
    .map(|_| ())
    .map_err(|e| CliError::Api(e.0))
}

pub fn exec(globals: &Globals, command: ApiKeyCommand) -> CliResult<()> {
    let render = globals.render();
    match command {
        ApiKeyCommand::Create {
            name,
            scopes,
            store,
        } => {
            if !keys::valid_name(&name) {
                return Err(CliError::Api(
                    "--name must be 1–64 printable characters".into(),
                ));
            }
            let (store, key) = open(store)?;
            let scopes: Vec<Scope> = scopes.into_iter().map(Scope::from).collect();
            let new = keys::create_key(&store, &name, &scopes).map_err(|e| CliError::Api(e.0))?;
            audit(
                &store,
                &key,
                "api_key.create",
                &new.record.id,
                serde_json::json!({ "name": new.record.name, "scopes": new.record.scopes }),
            )?;
            render.report(&Created {
                key: new.key,
                record: new.record,
            })
        }
        ApiKeyCommand::List { store } => {
            let (store, _) = open(store)?;
            let keys = store.keys().map_err(|e| CliError::Api(e.0))?;
            render.report(&Listed { keys })
        }
        ApiKeyCommand::Revoke { id, store } => {
            let (store, key) = open(store)?;
            if !store.revoke_key(&id).map_err(|e| CliError::Api(e.0))? {
                return Err(CliError::Api(format!("no live API key {id:?}")));
            }
            audit(&store, &key, "api_key.revoke", &id, serde_json::json!({}))?;
            render.report(&Revoked { id, revoked: true })
        }
    }
}
