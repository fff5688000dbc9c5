//! The global flags, and what commands make of them: the cluster's client, the owner's key, the
//! holder's session.

use std::path::PathBuf;

use leash_client::{
    home, input, profile, transaction::SendSettings, Client, ClientError, Cluster, Holder,
    ProgramChoice,
};
use leash_sdk::session_token::SessionToken;
use solana_keypair::Keypair;
use solana_program::pubkey::Pubkey;

use crate::{error::CliResult, render::Render};

/// `--url`, `--program-id`, the sending flags, `--keypair`, `--json`.
#[derive(Clone, Debug, Default)]
pub struct Globals {
    pub url: Option<String>,
    pub program_id: Option<Pubkey>,
    /// `--commitment`, `--priority-fee`, `--max-priority-fee`.
    pub settings: SendSettings,
    pub keypair: Option<PathBuf>,
    /// `--passkey`: the owner is this passkey key file; the keypair pays.
    pub passkey: Option<PathBuf>,
    pub json: bool,
}

/// Who acts as the wallet's owner: the owner's keypair, or a passkey (`--passkey`) with the
/// keypair paying (docs/cli.md, "Passkey owners").
pub enum OwnerAuth {
    Key(Keypair),
    Passkey {
        owner: leash_client::owner::SoftwareOwner,
        payer: Keypair,
    },
}

impl OwnerAuth {
    /// The owner's wallet `name`.
    pub fn wallet(&self, program_id: &Pubkey, name: &str) -> leash_client::WalletRef {
        use solana_signer::Signer;
        match self {
            OwnerAuth::Key(key) => leash_client::WalletRef::of(program_id, &key.pubkey(), name),
            OwnerAuth::Passkey { owner, .. } => {
                use leash_client::owner::PasskeySigner;
                leash_client::WalletRef::of_passkey(program_id, &owner.passkey(), name)
            }
        }
    }

    /// Who pays fees and rent (and, for a passkey, deposits and receives by default).
    pub fn payer(&self) -> &Keypair {
        match self {
            OwnerAuth::Key(key) => key,
            OwnerAuth::Passkey { payer, .. } => payer,
        }
    }

    /// Signs and sends `prepared` for `wallet`: the keypair signs, or the passkey authorizes
    /// each owner instruction and the keypair pays.
    pub fn send<R: leash_client::Signed>(
        &self,
        client: &Client,
        prepared: leash_client::Prepared<R>,
        wallet: &leash_client::WalletRef,
    ) -> Result<R, ClientError> {
        match self {
            OwnerAuth::Key(key) => client.sign_and_send(prepared, key),
            OwnerAuth::Passkey { owner, payer } => {
                client.send_as_passkey(prepared, wallet, owner, payer)
            }
        }
    }
}

impl Globals {
    pub fn render(&self) -> Render {
        Render { json: self.json }
    }

    /// The cluster `--url` names, else localnet.
    pub fn cluster(&self) -> CliResult<Cluster> {
        Ok(Cluster::parse(self.url.as_deref().unwrap_or("localnet"))?)
    }

    /// The program on `cluster`: `--program-id`, `LEASH_PROGRAM_ID`, the cluster profile, the
    /// default (docs/deploy.md).
    pub fn program(&self, cluster: &Cluster) -> CliResult<ProgramChoice> {
        Ok(profile::resolve_program(self.program_id, cluster)?)
    }

    /// A client on `--url` (else localnet), for the program [`Globals::program`] finds.
    pub fn client(&self) -> CliResult<Client> {
        let cluster = self.cluster()?;
        let program = self.program(&cluster)?;
        Ok(Client::with_program(cluster, program).with_settings(self.settings))
    }

    /// The owner's keypair (`--keypair`, default `~/.config/solana/id.json`); on localnet a
    /// missing default keypair is created, and said so.
    pub fn owner(&self, client: &Client) -> CliResult<Keypair> {
        let owner = home::owner_keypair(self.keypair.as_deref(), client.cluster().is_localnet())?;
        if let (Some(path), false) = (&owner.created, self.json) {
            use solana_signer::Signer;
            eprintln!(
                "Created a new localnet keypair at {} ({})",
                path.display(),
                owner.keypair.pubkey()
            );
        }
        Ok(owner.keypair)
    }

    /// The owner: `--passkey`'s passkey with the keypair paying, else the keypair.
    pub fn owner_auth(&self, client: &Client) -> CliResult<OwnerAuth> {
        let key = self.owner(client)?;
        let Some(path) = &self.passkey else {
            return Ok(OwnerAuth::Key(key));
        };
        let file = leash_sdk::passkey_file::PasskeyFile::read(path)
            .map_err(|e| ClientError::new(leash_client::ErrorCode::InvalidInput, e))?;
        let passkey = file
            .key()
            .map_err(|e| ClientError::new(leash_client::ErrorCode::InvalidInput, e))?;
        Ok(OwnerAuth::Passkey {
            owner: leash_client::owner::SoftwareOwner {
                key: passkey,
                user_verification: file.user_verification,
            },
            payer: key,
        })
    }

    /// The holder's token (`LEASH_TOKEN`, else the imported one) and a client on `--url`, else
    /// the token's cluster.
    pub fn session(&self) -> CliResult<(Client, SessionToken)> {
        let token = home::session_token()?;
        let cluster = Cluster::parse(self.url.as_deref().unwrap_or(&token.cluster))?;
        // The token's program is authoritative; an explicit id that differs is refused by
        // `Holder::new`, before anything is sent.
        let program = self.program(&cluster)?;
        Ok((
            Client::with_program(cluster, program).with_settings(self.settings),
            token,
        ))
    }
}

/// A holder of `token` on `client`.
pub fn holder(client: &Client, token: SessionToken) -> CliResult<Holder<'_>> {
    Ok(Holder::new(client, token)?)
}

/// A session argument: its address or its session key.
pub fn session_arg(text: &str) -> CliResult<Pubkey> {
    input::parse_address(text)
        .map_err(|_| ClientError::input(format!("{text:?} is not a session address")).into())
}

/// Reads an argument given as text, `@file`, or `-` (stdin).
pub fn read_arg(text: &str) -> CliResult<String> {
    if text == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
            .map_err(|e| ClientError::input(format!("cannot read stdin: {e}")))?;
        return Ok(s);
    }
    match text.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| ClientError::input(format!("cannot read {path}: {e}")).into()),
        None => Ok(text.to_string()),
    }
}

/// For clap: a base-58 address (a usage error otherwise).
pub fn parse_address(text: &str) -> Result<Pubkey, String> {
    text.parse()
        .map_err(|_| format!("{text:?} is not a base-58 Solana address"))
}
