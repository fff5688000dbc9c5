//! `leash session …`: the owner's sessions (create, list, show, update, revoke, revoke-all,
//! close, export) and the holder's (import, status); sessions agents ask for (request,
//! request-status, and the owner's `requests`: see `commands::requests`).

use std::path::PathBuf;

use clap::Subcommand;
use leash_client::{
    home, input::parse_address, make_session_token, Amount, Client, PolicyInput, WalletRef,
};
use solana_keypair::Keypair;
use solana_signer::Signer;

use crate::{
    commands::{requests, wallet::WalletName},
    error::CliResult,
    globals::{holder, session_arg, Globals, OwnerAuth},
};

#[derive(Subcommand)]
pub enum SessionCommand {
    /// Register a session and print its token
    Create {
        /// Policy file (TOML, or JSON by extension)
        #[arg(long)]
        policy: PathBuf,
        /// Print the normalized policy, address and warnings; send nothing
        #[arg(long)]
        preview: bool,
        /// SOL sent to the session key for its transaction fees
        #[arg(long, default_value = "0.05")]
        top_up: String,
        #[arg(long)]
        label: Option<String>,
        #[command(flatten)]
        wallet: WalletName,
    },
    /// The wallet's sessions
    List(WalletName),
    /// One session's state and policy
    Show {
        /// Session address (or session key)
        session: String,
        #[command(flatten)]
        wallet: WalletName,
    },
    /// Replace a session's policy (fails if it was used meanwhile)
    Update {
        session: String,
        #[arg(long)]
        policy: PathBuf,
        #[command(flatten)]
        wallet: WalletName,
    },
    /// Revoke one session
    Revoke {
        session: String,
        #[command(flatten)]
        wallet: WalletName,
    },
    /// Revoke every session of the wallet at once
    RevokeAll(WalletName),
    /// Close a session and return its rent
    Close {
        session: String,
        #[command(flatten)]
        wallet: WalletName,
    },
    /// Print the token of a session created here (it is a secret)
    Export {
        session: String,
        #[command(flatten)]
        wallet: WalletName,
    },
    /// Store a session token for this user (0600); LEASH_TOKEN still wins
    Import { token: String },
    /// Is my session registered and active; validity, slot bound, uses, nonce
    Status,
    /// Agent: ask the wallet's owner for a session (the key is made here and stays here)
    Request(requests::RequestArgs),
    /// Agent: how a request stands; once approved, store its token (0600) for this user
    #[command(name = "request-status")]
    RequestStatus(requests::RequestStatusArgs),
    /// Owner: the session requests agents filed (list, show, approve, deny)
    #[command(subcommand)]
    Requests(requests::RequestsCommand),
}

pub fn exec(globals: &Globals, command: SessionCommand) -> CliResult<()> {
    let render = globals.render();
    // The owner's commands: a client on --url, the owner's key and the wallet named (its
    // address derived once per command).
    let owner = |name: &WalletName| -> CliResult<(Client, OwnerAuth, WalletRef)> {
        let client = globals.client()?;
        let owner = globals.owner_auth(&client)?;
        let wallet = owner.wallet(client.program_id(), &name.name);
        Ok((client, owner, wallet))
    };
    match command {
        SessionCommand::Create {
            policy,
            preview,
            top_up,
            label,
            wallet,
        } => {
            let (client, owner, wallet) = owner(&wallet)?;
            let policy = PolicyInput::read(&policy)?;
            let top_up = Amount::parse(&top_up, "--top-up")?;
            let session_key = Keypair::new();
            if preview {
                let preview =
                    client.preview_session(&wallet.address, &policy, &session_key.pubkey())?;
                return render.report(&preview);
            }
            let prepared =
                client.prepare_create_session(&wallet, &policy, &session_key.pubkey(), &top_up)?;
            for warning in &prepared.report.warnings {
                render.warn(warning);
            }
            let mut created = render.sending(|| owner.send(&client, prepared, &wallet))?;
            if let Some(label) = label {
                created.label = label;
            }
            let token = make_session_token(&session_key, &created, &client)?;
            // Kept (0600) so the owner can `leash session export` it later.
            home::store_created_token(&parse_address(&created.session)?, &token)?;
            created.token = Some(token);
            render.report(&created)
        }
        SessionCommand::List(wallet) => {
            let (client, _, wallet) = owner(&wallet)?;
            render.report(&client.list_sessions(&wallet)?)
        }
        SessionCommand::Show { session, wallet } => {
            let (client, _, wallet) = owner(&wallet)?;
            let session = session_arg(&session)?;
            render.report(&client.show_session(&wallet, &session)?)
        }
        SessionCommand::Update {
            session,
            policy,
            wallet,
        } => {
            let (client, owner, wallet) = owner(&wallet)?;
            let session = session_arg(&session)?;
            let policy = PolicyInput::read(&policy)?;
            let prepared = client.prepare_update_session(&wallet, &session, &policy, None)?;
            for warning in &prepared.report.warnings {
                render.warn(warning);
            }
            render.report(&render.sending(|| owner.send(&client, prepared, &wallet))?)
        }
        SessionCommand::Revoke { session, wallet } => {
            let (client, owner, wallet) = owner(&wallet)?;
            let session = session_arg(&session)?;
            let prepared = client.prepare_revoke_session(&wallet, &session)?;
            render.report(&render.sending(|| owner.send(&client, prepared, &wallet))?)
        }
        SessionCommand::RevokeAll(wallet) => {
            let (client, owner, wallet) = owner(&wallet)?;
            let prepared = client.prepare_revoke_all_sessions(&wallet)?;
            render.report(&render.sending(|| owner.send(&client, prepared, &wallet))?)
        }
        SessionCommand::Close { session, wallet } => {
            let (client, owner, wallet) = owner(&wallet)?;
            let session = session_arg(&session)?;
            let prepared = client.prepare_close_session(&wallet, &session)?;
            render.report(&render.sending(|| owner.send(&client, prepared, &wallet))?)
        }
        SessionCommand::Export { session, wallet } => {
            let (client, _, wallet) = owner(&wallet)?;
            let given = session_arg(&session)?;
            // A session key names its session; an address no longer on chain (closed) still
            // names its stored token.
            let address = client
                .find_session(&wallet, &given)
                .map(|(address, _)| address)
                .unwrap_or(given);
            // Printing the secret is the point of this command.
            render.report(&home::export_session_token(&address)?)
        }
        SessionCommand::Import { token } => render.report(&home::import_session_token(&token)?),
        SessionCommand::Status => {
            let (client, token) = globals.session()?;
            render.report(&holder(&client, token)?.status()?)
        }
        SessionCommand::Request(args) => requests::request(globals, args),
        SessionCommand::RequestStatus(args) => requests::status(globals, args),
        SessionCommand::Requests(command) => requests::exec(globals, command),
    }
}
