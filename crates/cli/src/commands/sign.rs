//! `leash sign`: signs an unsigned transaction (base64, as the API's prepare and execute/build
//! answer) with a keypair file, offline, and prints it signed (base64) for
//! `POST /v1/transactions/submit`. The key never leaves this machine.

use std::path::PathBuf;

use base64::Engine;
use clap::Args;
use leash_client::{home, ClientError};
use serde::Serialize;
use solana_signer::Signer;
use solana_transaction::Transaction;

use crate::{
    error::CliResult,
    globals::{read_arg, Globals},
};

#[derive(Args)]
pub struct SignArgs {
    /// The unsigned transaction: base64 text, @file, or - (stdin)
    transaction: String,
    /// The keypair to sign with (solana-keygen JSON) [default: --keypair, else ~/.config/solana/id.json]
    #[arg(long = "signer")]
    signer: Option<PathBuf>,
}

#[derive(Serialize)]
struct Signed {
    transaction: String,
    signer: String,
}

impl std::fmt::Display for Signed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.transaction)
    }
}

pub fn exec(globals: &Globals, args: SignArgs) -> CliResult<()> {
    let path = args.signer.or_else(|| globals.keypair.clone());
    let key = home::owner_keypair(path.as_deref(), false)?.keypair;
    let text = read_arg(&args.transaction)?;
    let engine = base64::prelude::BASE64_STANDARD;
    let bytes = engine
        .decode(text.trim())
        .map_err(|_| ClientError::input("the transaction is not base64"))?;
    let mut tx: Transaction = bincode::deserialize(&bytes).map_err(|_| {
        ClientError::input("the transaction is not a wire-format Solana transaction")
    })?;
    let blockhash = tx.message.recent_blockhash;
    tx.try_partial_sign(&[&key], blockhash).map_err(|e| {
        ClientError::input(format!(
            "{} cannot sign this transaction: {e}",
            key.pubkey()
        ))
        .with_hint("sign with the key the prepare answer lists in `signers`")
    })?;
    let signed = bincode::serialize(&tx)
        .map_err(|e| ClientError::internal(format!("cannot encode the transaction: {e}")))?;
    globals.render().report(&Signed {
        transaction: engine.encode(signed),
        signer: key.pubkey().to_string(),
    })
}
