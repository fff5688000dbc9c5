//! Agent-requested sessions (docs/agents.md), through the owner's API (`leash serve`):
//! the agent's `leash session request` and `leash session request-status`, and the owner's
//! `leash session requests list|show|approve|deny`.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use leash_client::{home, requests, Amount, ApiEndpoint, ClientError, PolicyInput, RequestStatus};

use crate::{
    error::CliResult,
    globals::{parse_address, Globals},
};

/// Where the owner's API is, and the key to call it with.
#[derive(Args, Clone, Debug)]
pub struct ApiArgs {
    /// The owner's Leash API [default: http://127.0.0.1:8787]
    #[arg(long, env = "LEASH_API_URL")]
    pub api_url: Option<String>,
    /// An API key (`lk_…`): scope `request` to file and follow requests, `read`/`write` for the owner
    #[arg(long, env = "LEASH_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
}

impl ApiArgs {
    pub fn endpoint(&self) -> CliResult<ApiEndpoint> {
        Ok(ApiEndpoint::new(
            self.api_url.as_deref().unwrap_or(requests::DEFAULT_API_URL),
            self.api_key.as_deref(),
        )?)
    }
}

/// The agent's side: ask for a session.
#[derive(Args)]
pub struct RequestArgs {
    /// The wallet the session is asked on
    #[arg(long, value_parser = parse_address)]
    pub wallet: solana_program::pubkey::Pubkey,
    /// Policy asked for (TOML, or JSON by extension)
    #[arg(long)]
    pub policy: PathBuf,
    /// What the session is for, for the owner (1–500 characters)
    #[arg(long)]
    pub reason: String,
    /// How long the owner has to decide: "30m", "2h", "1d" (up to 7 days) [default: 1d]
    #[arg(long)]
    pub expires_in: Option<String>,
    #[command(flatten)]
    pub api: ApiArgs,
}

#[derive(Args)]
pub struct RequestStatusArgs {
    /// The request id (`sreq_…`) that `leash session request` printed
    pub id: String,
    #[command(flatten)]
    pub api: ApiArgs,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum StatusArg {
    Pending,
    Approved,
    Denied,
    Expired,
}

impl From<StatusArg> for RequestStatus {
    fn from(s: StatusArg) -> RequestStatus {
        match s {
            StatusArg::Pending => RequestStatus::Pending,
            StatusArg::Approved => RequestStatus::Approved,
            StatusArg::Denied => RequestStatus::Denied,
            StatusArg::Expired => RequestStatus::Expired,
        }
    }
}

/// The owner's side.
#[derive(Subcommand)]
pub enum RequestsCommand {
    /// Session requests, newest first
    List {
        #[arg(long, value_enum)]
        status: Option<StatusArg>,
        #[command(flatten)]
        api: ApiArgs,
    },
    /// One request: who asked, why, for what policy, and how it stands
    Show {
        id: String,
        #[command(flatten)]
        api: ApiArgs,
    },
    /// Register the session for the agent's key, signed with your keypair (--keypair)
    Approve {
        id: String,
        /// Grant this policy instead of the one asked for (TOML, or JSON by extension)
        #[arg(long)]
        policy: Option<PathBuf>,
        /// SOL sent to the agent's key for its transaction fees [default: 0.01]
        #[arg(long)]
        top_up: Option<String>,
        #[command(flatten)]
        api: ApiArgs,
    },
    /// Refuse a request, with a note the agent reads
    Deny {
        id: String,
        #[arg(long)]
        note: Option<String>,
        #[command(flatten)]
        api: ApiArgs,
    },
}

/// "90", "90s", "30m", "2h", "1d" → seconds.
fn seconds(text: &str) -> CliResult<u64> {
    let text = text.trim();
    let parsed = text
        .parse::<u64>()
        .ok()
        .or_else(|| humantime::parse_duration(text).ok().map(|d| d.as_secs()));
    match parsed {
        Some(s) if s > 0 => Ok(s),
        _ => Err(ClientError::input(format!(
            "--expires-in {text:?} is not a duration such as 30m, 2h or 1d"
        ))
        .into()),
    }
}

pub fn request(globals: &Globals, args: RequestArgs) -> CliResult<()> {
    let api = args.api.endpoint()?;
    let policy = PolicyInput::read(&args.policy)?;
    let expires = args.expires_in.as_deref().map(seconds).transpose()?;
    let filed = requests::request_session_for(&api, &args.wallet, &policy, &args.reason, expires)?;
    globals.render().report(&filed)
}

pub fn status(globals: &Globals, args: RequestStatusArgs) -> CliResult<()> {
    let api = args.api.endpoint()?;
    globals
        .render()
        .report(&requests::request_status(&api, &args.id)?)
}

pub fn exec(globals: &Globals, command: RequestsCommand) -> CliResult<()> {
    let render = globals.render();
    match command {
        RequestsCommand::List { status, api } => render.report(&requests::list_requests(
            &api.endpoint()?,
            status.map(Into::into),
        )?),
        RequestsCommand::Show { id, api } => {
            render.report(&requests::show_request(&api.endpoint()?, &id)?)
        }
        RequestsCommand::Approve {
            id,
            policy,
            top_up,
            api,
        } => {
            let api = api.endpoint()?;
            let policy = policy.as_deref().map(PolicyInput::read).transpose()?;
            let top_up = top_up
                .as_deref()
                .map(|t| Amount::parse(t, "--top-up"))
                .transpose()?;
            // The wallet's owner signs here; the API never sees the key.
            let owner = home::owner_keypair(globals.keypair.as_deref(), false)?.keypair;
            let approved = render.sending(|| {
                requests::approve_request(&api, &id, policy.as_ref(), top_up.as_ref(), &owner)
            })?;
            for warning in &approved.warnings {
                render.warn(warning);
            }
            render.report(&approved)
        }
        RequestsCommand::Deny { id, note, api } => render.report(&requests::deny_request(
            &api.endpoint()?,
            &id,
            note.as_deref(),
        )?),
    }
}
