//! `leash passkey new|show`: software passkey key files (docs/cli.md, "Passkey owners").

use std::path::PathBuf;

use clap::Subcommand;
use leash_client::{ClientError, ErrorCode, WalletRef};
use leash_sdk::{passkey_file::PasskeyFile, passkey_label};
use serde::Serialize;

use crate::{error::CliResult, globals::Globals};

#[derive(Subcommand)]
pub enum PasskeyCommand {
    /// Make a new passkey key file (0600): a P-256 key that answers for one relying party
    New {
        /// Where to write it (never overwritten)
        #[arg(long)]
        out: PathBuf,
        /// The relying party id (the dashboard's host; `localhost` on this machine)
        #[arg(long, default_value = "localhost")]
        rp_id: String,
        /// Have the wallet ask for user verification on every assertion
        #[arg(long)]
        user_verification: bool,
    },
    /// The passkey of --passkey FILE and its wallet's address (never the secret)
    Show {
        /// Which of the passkey's wallets
        #[arg(long, visible_alias = "wallet", default_value = "default")]
        name: String,
    },
}

/// What `leash passkey` prints.
#[derive(Serialize)]
struct PasskeyReport {
    owner: String,
    rp_id: String,
    user_verification: bool,
    wallet: String,
    vault: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<String>,
}

impl std::fmt::Display for PasskeyReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(file) = &self.file {
            writeln!(f, "Wrote {file} (0600; keep it secret: it owns the wallet)")?;
        }
        writeln!(f, "Owner:  {}", self.owner)?;
        writeln!(
            f,
            "For:    {} (user verification {})",
            self.rp_id,
            if self.user_verification {
                "required"
            } else {
                "not required"
            }
        )?;
        writeln!(f, "Wallet: {}", self.wallet)?;
        write!(f, "Vault:  {}", self.vault)
    }
}

fn invalid(message: String) -> ClientError {
    ClientError::new(ErrorCode::InvalidInput, message)
}

pub fn exec(globals: &Globals, command: PasskeyCommand) -> CliResult<()> {
    let render = globals.render();
    let cluster = globals.cluster()?;
    let program_id = globals.program(&cluster)?.id;
    let (file, written, name) = match command {
        PasskeyCommand::New {
            out,
            rp_id,
            user_verification,
        } => {
            let file = PasskeyFile::generate(&rp_id, user_verification);
            file.write_new(&out).map_err(invalid)?;
            (file, Some(out.display().to_string()), "default".to_string())
        }
        PasskeyCommand::Show { name } => {
            let path = globals.passkey.as_ref().ok_or_else(|| {
                invalid("give the passkey file with --passkey FILE".to_string())
                    .with_hint("make one with `leash passkey new --out FILE`")
            })?;
            (PasskeyFile::read(path).map_err(invalid)?, None, name)
        }
    };
    let passkey = file.key().map_err(invalid)?.passkey(file.user_verification);
    let wallet = WalletRef::of_passkey(&program_id, &passkey, &name);
    render.report(&PasskeyReport {
        owner: passkey_label(&passkey),
        rp_id: file.rp_id.clone(),
        user_verification: file.user_verification,
        wallet: wallet.address.to_string(),
        vault: wallet.vault.to_string(),
        file: written,
    })
}
