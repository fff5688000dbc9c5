//! `leash`: Leash session keys from the command line, and the local node.
//!
//! Owners create wallets and hand out session tokens; holders (bots, CI jobs, AI agents) import
//! a token and act within its bounds. Every command takes `--json`; errors go to stderr (as
//! `{"code","message","hint"}` with `--json`); exit codes are 0 ok, 1 error, 2 usage.
//!
//! Each command lives in `commands/<group>.rs`: its clap arguments, and an `exec` that parses
//! them into the library's types, calls one `leash-client` operation and renders the report.
//! No operation logic lives here.

mod commands;
mod error;
mod globals;
mod render;

use std::{path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand};
use solana_program::pubkey::Pubkey;

use commands::{
    airdrop, api_key, audit, balance, execute, info, mcp, node, policy, revoke, serve, session,
    sign, simulate, tools, transfer, wallet, whoami,
};
use error::CliResult;
use globals::Globals;

#[derive(Parser)]
#[command(
    name = "leash",
    version,
    about = "Session keys for Solana wallets, enforced on-chain",
    propagate_version = true
)]
struct Cli {
    /// Cluster: an RPC URL, or localnet | devnet | mainnet [default: localnet; holders: the token's]
    #[arg(short = 'u', long, global = true, env = "LEASH_URL")]
    url: Option<String>,
    /// The Leash program's address on the cluster [default: LEASH_PROGRAM_ID, else the cluster
    /// profile (`leash config`), else the default id; holders: the token's]
    #[arg(long, global = true, value_parser = globals::parse_address)]
    program_id: Option<Pubkey>,
    /// What reads wait for and transactions confirm at: processed | confirmed | finalized
    #[arg(long, global = true, default_value = "confirmed", value_parser = leash_client::transaction::parse_commitment)]
    commitment: solana_commitment_config::CommitmentLevel,
    /// Priority fee: `auto` (a recent percentile on the accounts written, capped) or
    /// micro-lamports per compute unit
    #[arg(long, global = true, default_value = "auto")]
    priority_fee: leash_client::transaction::PriorityFee,
    /// The most `--priority-fee auto` offers, in micro-lamports per compute unit
    #[arg(long, global = true, default_value_t = leash_client::transaction::DEFAULT_MAX_PRIORITY_FEE)]
    max_priority_fee: u64,
    /// The owner's keypair (solana-keygen JSON) [default: ~/.config/solana/id.json]
    #[arg(short = 'k', long, global = true)]
    keypair: Option<PathBuf>,
    /// Act for the wallet of this passkey key file (`leash passkey new`); --keypair then only
    /// pays the fees and rent
    #[arg(long, global = true)]
    passkey: Option<PathBuf>,
    /// Machine-readable output on stdout, errors as JSON on stderr
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start everything on this machine: the local node, the API and the dashboard (open the
    /// printed Dashboard URL)
    Up(commands::up::UpArgs),
    /// Run the local chain: a durable Solana JSON-RPC node with the Leash program
    Node(node::NodeArgs),
    /// Program id (and where it came from), cluster and version
    Info,
    /// The Leash program on a cluster: deploy, show, verify, upgrade, set-authority
    #[command(subcommand)]
    Program(commands::program::ProgramCommand),
    /// Cluster profiles: the program id kept per cluster URL
    #[command(subcommand)]
    Config(commands::config::ConfigCommand),
    /// Get SOL (or a local test token) from the faucet [localnet; SOL also on devnet]
    Airdrop(airdrop::AirdropArgs),
    /// The owner's smart wallets
    #[command(subcommand)]
    Wallet(wallet::WalletCommand),
    /// Sessions: owners create, list, update, revoke, close; holders import and check
    #[command(subcommand)]
    Session(session::SessionCommand),
    /// Passkey key files: a software passkey that owns a wallet (for servers and tests)
    #[command(subcommand)]
    Passkey(commands::passkey::PasskeyCommand),
    /// The session holder: who am I
    Whoami,
    /// The session's policy
    #[command(subcommand)]
    Policy(policy::PolicyCommand),
    /// The vault's balances
    Balance(balance::BalanceArgs),
    /// Send SOL or a token from the vault through the session
    Transfer(transfer::TransferArgs),
    /// Run one raw instruction (JSON) through the session
    Execute(execute::ExecuteArgs),
    /// Run several raw instructions (a JSON array) atomically through the session
    Multicall(execute::MulticallArgs),
    /// Dry-run a holder command: would it pass, and if not which bound stops it and by how much
    #[command(subcommand)]
    Simulate(simulate::SimulateCommand),
    /// The session revokes itself (when the job is done)
    Revoke,
    /// Tools for agents
    #[command(subcommand)]
    Tools(tools::ToolsCommand),
    /// Serve the holder's tools to AI agents over MCP (stdio), with this session token
    Mcp,
    /// Run the HTTP API for owners and services (docs/api.md) on 127.0.0.1:8787
    Serve(serve::ServeArgs),
    /// Sign an unsigned transaction (base64, from the API's prepare or execute/build) with a keypair, offline
    Sign(sign::SignArgs),
    /// The HTTP API's keys: create (shown once), list, revoke
    #[command(subcommand, name = "api-key")]
    ApiKey(api_key::ApiKeyCommand),
    /// The HTTP API's audit log: export, verify (offline)
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Webhooks of the HTTP API: add (secret shown once), list, remove, test, deliveries, redeliver
    #[command(subcommand)]
    Webhook(commands::webhook::WebhookCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = cli.json;
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            if json {
                eprintln!("{}", error.json());
            } else {
                eprintln!("{error}");
            }
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> CliResult<()> {
    let globals = Globals {
        url: cli.url,
        program_id: cli.program_id,
        settings: leash_client::transaction::SendSettings {
            commitment: cli.commitment,
            priority_fee: cli.priority_fee,
            max_priority_fee: cli.max_priority_fee,
        },
        keypair: cli.keypair,
        passkey: cli.passkey,
        json: cli.json,
    };
    match cli.command {
        Command::Up(args) => commands::up::exec(&globals, args),
        Command::Node(args) => node::exec(args),
        Command::Info => info::exec(&globals),
        Command::Config(command) => commands::config::exec(&globals, command),
        Command::Program(command) => commands::program::exec(&globals, command),
        Command::Airdrop(args) => airdrop::exec(&globals, args),
        Command::Wallet(command) => wallet::exec(&globals, command),
        Command::Session(command) => session::exec(&globals, command),
        Command::Passkey(command) => commands::passkey::exec(&globals, command),
        Command::Whoami => whoami::exec(&globals),
        Command::Policy(command) => policy::exec(&globals, command),
        Command::Balance(args) => balance::exec(&globals, args),
        Command::Transfer(args) => transfer::exec(&globals, args),
        Command::Execute(args) => execute::exec_one(&globals, args),
        Command::Multicall(args) => execute::exec_many(&globals, args),
        Command::Simulate(command) => simulate::exec(&globals, command),
        Command::Revoke => revoke::exec(&globals),
        Command::Tools(command) => tools::exec(command),
        Command::Mcp => mcp::exec(&globals),
        Command::Serve(args) => serve::exec(&globals, args),
        Command::Sign(args) => sign::exec(&globals, args),
        Command::ApiKey(command) => api_key::exec(&globals, command),
        Command::Audit(command) => audit::exec(&globals, command),
        Command::Webhook(command) => commands::webhook::exec(&globals, command),
    }
}
