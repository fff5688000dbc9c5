//! `leash audit export|verify`: the API's audit log. `verify` works offline on an export (what
//! `GET /v1/audit/log` answers) or on the store: every link, hash and signature.

use std::{fmt, path::PathBuf};

use clap::Subcommand;
use leash_api::audit::{self, Export, Verification};
use solana_program::pubkey::Pubkey;

use super::api_key::StoreArgs;
use crate::{
    error::{CliError, CliResult},
    globals::{parse_address, Globals},
    render::print_json,
};

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Write the whole log with the audit key's public half, as JSON on stdout
    Export {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Verify the chain: sequence, links, hashes, and each entry's signature by the audit key
    Verify {
        /// An export (`leash audit export`, or GET /v1/audit/log); default: the store itself
        #[arg(long)]
        file: Option<PathBuf>,
        /// The audit key the log must be signed by [default: the export's, or the store's]
        #[arg(long, value_parser = parse_address)]
        audit_key: Option<Pubkey>,
        #[command(flatten)]
        store: StoreArgs,
    },
}

struct Shown(Verification);

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = &self.0;
        if v.valid {
            write!(
                f,
                "The audit log verifies: {} entries signed by {}; head {}",
                v.entries,
                v.audit_key,
                v.head.as_deref().unwrap_or("(empty)")
            )
        } else {
            write!(
                f,
                "The audit log does NOT verify at entry {}: {}",
                v.first_invalid_seq.unwrap_or(0),
                v.reason.as_deref().unwrap_or("")
            )
        }
    }
}

fn store_export(args: StoreArgs) -> CliResult<Export> {
    if args.database_url.is_none() {
        let path = leash_api::store_path(&super::serve::api_dir(args.dir.clone())?);
        if !path.exists() {
            return Err(CliError::Api(format!("no API store at {}", path.display())));
        }
    }
    let (store, key) = super::serve::open_store(args.dir, args.database_url.as_deref())?;
    leash_api::admin::export_audit(&store, &key).map_err(|e| CliError::Api(e.to_string()))
}

pub fn exec(globals: &Globals, command: AuditCommand) -> CliResult<()> {
    match command {
        AuditCommand::Export { store } => print_json(&store_export(store)?),
        AuditCommand::Verify {
            file,
            audit_key,
            store,
        } => {
            let export = match file {
                Some(path) => {
                    let text = std::fs::read_to_string(&path).map_err(|e| {
                        CliError::Api(format!("cannot read {}: {e}", path.display()))
                    })?;
                    serde_json::from_str::<Export>(&text).map_err(|e| {
                        CliError::Api(format!("{} is not an audit export: {e}", path.display()))
                    })?
                }
                None => store_export(store)?,
            };
            let key = match audit_key {
                Some(key) => key,
                None => parse_address(&export.audit_key).map_err(CliError::Api)?,
            };
            let verification = audit::verify(&export.entries, &key);
            let valid = verification.valid;
            globals.render().report(&Shown(verification.clone()))?;
            if valid {
                Ok(())
            } else {
                Err(CliError::Api(format!(
                    "audit chain broken at entry {}",
                    verification.first_invalid_seq.unwrap_or(0)
                )))
            }
        }
    }
}

impl serde::Serialize for Shown {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}
