//! `leash api-key create|list|revoke`: the API's keys, in its store (no server needed). A key is
//! shown once, at creation; the store keeps its SHA-256.

use std::{fmt, path::PathBuf};

use clap::{Subcommand, ValueEnum};
use leash_api::{
    admin::{self, Admin, AdminError},
    keys::Scope,
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

/// As the CLI says it: `--name`/`--scope` are this command's flags.
fn failed(e: AdminError) -> CliError {
    CliError::Api(match e {
        AdminError::InvalidName => format!("--{e}"),
        e => e.to_string(),
    })
}

/// Every change by this command is audited as done by `leash api-key`.
const ACTOR: &str = "leash api-key";

pub fn exec(globals: &Globals, command: ApiKeyCommand) -> CliResult<()> {
    let render = globals.render();
    match command {
        ApiKeyCommand::Create {
            name,
            scopes,
            store,
        } => {
            let (store, audit_key) = open(store)?;
            let scopes: Vec<Scope> = scopes.into_iter().map(Scope::from).collect();
            let admin = Admin {
                store: &store,
                audit_key: &audit_key,
                actor: ACTOR,
            };
            let new = admin.create_key(&name, &scopes).map_err(failed)?;
            render.report(&Created {
                key: new.key,
                record: new.record,
            })
        }
        ApiKeyCommand::List { store } => {
            let (store, _) = open(store)?;
            let keys = admin::list_keys(&store).map_err(failed)?;
            render.report(&Listed { keys })
        }
        ApiKeyCommand::Revoke { id, store } => {
            let (store, audit_key) = open(store)?;
            let admin = Admin {
                store: &store,
                audit_key: &audit_key,
                actor: ACTOR,
            };
            admin.revoke_key(&id).map_err(failed)?;
            render.report(&Revoked { id, revoked: true })
        }
    }
}
