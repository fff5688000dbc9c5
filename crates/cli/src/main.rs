//! `leash`: Leash session keys from the command line, and the local node.
//!
//! Owners create wallets and hand out session tokens; holders (bots, CI jobs, AI agents) import
//! a token and act within its bounds. Every command takes `--json`; errors go to stderr (as
//! `{"code","message","hint"}` with `--json`); exit codes are 0 ok, 1 error, 2 usage.

mod bench;
mod context;
mod error;
mod holder;
mod output;
mod owner;
mod paths;

use std::{net::IpAddr, path::PathBuf, process::ExitCode, time::Duration};

use clap::{Args, Parser, Subcommand};
use solana_program::pubkey::Pubkey;

use context::{Ctx, Globals};
use error::{CliError, CliResult};
use holder::Action;

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
    /// The owner's keypair (solana-keygen JSON) [default: ~/.config/solana/id.json]
    #[arg(short = 'k', long, global = true)]
    keypair: Option<PathBuf>,
    /// Machine-readable output on stdout, errors as JSON on stderr
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the local chain: a durable Solana JSON-RPC node with the Leash program
    Node(NodeArgs),
    /// Measure leash node: transactions per second and latency, plain vs session transfers
    Bench(BenchCmd),
    /// Program id, cluster and version
    Info,
    /// Get SOL (or a local test token) from the faucet [localnet; SOL also on devnet]
    Airdrop {
        #[arg(long, default_value = "1")]
        amount: String,
        #[arg(long, default_value = "SOL")]
        token: String,
        /// Recipient [default: the owner keypair]
        #[arg(long, value_parser = parse_address)]
        to: Option<Pubkey>,
    },
    /// The owner's smart wallets
    #[command(subcommand)]
    Wallet(WalletCmd),
    /// Sessions: owners create, list, update, revoke, close; holders import and check
    #[command(subcommand)]
    Session(SessionCmd),
    /// The session holder: who am I
    Whoami,
    /// The session's policy
    #[command(subcommand)]
    Policy(PolicyCmd),
    /// The vault's balances
    Balance {
        #[arg(long)]
        token: Option<String>,
    },
    /// Send SOL or a token from the vault through the session
    Transfer(TransferArgs),
    /// Run one raw instruction (JSON) through the session
    Execute {
        /// {"program": ADDRESS, "accounts": [{"pubkey", "is_signer", "is_writable"}], "data": BASE64}; @file or - for stdin
        #[arg(long)]
        ix: String,
    },
    /// Run several raw instructions (a JSON array) atomically through the session
    Multicall {
        /// A JSON array of instructions as for `execute --ix`; @file or - for stdin
        #[arg(long)]
        calls: String,
    },
    /// Dry-run a holder command: would it pass, and if not which bound stops it and by how much
    #[command(subcommand)]
    Simulate(SimulateCmd),
    /// The session revokes itself (when the job is done)
    Revoke,
    /// Tools for agents
    #[command(subcommand)]
    Tools(ToolsCmd),
}

#[derive(Args)]
struct NodeArgs {
    /// Port of the JSON-RPC server (0: any free port)
    #[arg(long, default_value_t = 8899)]
    rpc_port: u16,
    /// Address to listen on
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,
    /// Ledger directory [default: $LEASH_HOME/node or ~/.local/share/leash/node]
    #[arg(long)]
    ledger: Option<PathBuf>,
    /// Start from a new genesis, deleting the ledger's state
    #[arg(long)]
    reset: bool,
    /// Slot length in milliseconds (0: slots move only with leash_warpSlot)
    #[arg(long, default_value_t = 400)]
    slot_ms: u64,
    /// Answer leash_warpSlot and leash_setUnixTimestamp, which move the slot and the clock for
    /// every client (tests, local experiments); refused without it. The variable takes
    /// 1/0, true/false, yes/no, on/off
    #[arg(
        long,
        env = "LEASH_ALLOW_TIME_TRAVEL",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    allow_time_travel: bool,
}

#[derive(Args)]
struct BenchCmd {
    /// Transactions per run (runs: plain and session, from 1 and from 8 clients; pipelined: 1)
    #[arg(long, default_value_t = 25_000)]
    transactions: usize,
    /// How clients confirm: the sendTransaction answer (send), a signatureSubscribe notification
    /// (subscribe), many in flight then getSignatureStatuses (pipelined), or all three
    #[arg(long, value_enum, default_value = "send")]
    mode: BenchMode,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum BenchMode {
    Send,
    Subscribe,
    Pipelined,
    All,
}

#[derive(Args)]
struct WalletName {
    /// Which of the owner's wallets
    #[arg(long, visible_alias = "wallet", default_value = "default")]
    name: String,
}

#[derive(Subcommand)]
enum WalletCmd {
    /// Create the owner's wallet and its vault
    Create(WalletName),
    /// Addresses, balances and sessions of a wallet
    Show(WalletName),
    /// Move SOL or tokens from the owner into the vault
    Deposit {
        #[arg(long)]
        amount: String,
        #[arg(long, default_value = "SOL")]
        token: String,
        #[command(flatten)]
        wallet: WalletName,
    },
    /// Move SOL or tokens out of the vault (owner authority, no limits)
    Withdraw {
        #[arg(long)]
        amount: String,
        #[arg(long, default_value = "SOL")]
        token: String,
        /// Recipient [default: the owner]
        #[arg(long, value_parser = parse_address)]
        to: Option<Pubkey>,
        #[command(flatten)]
        wallet: WalletName,
    },
    /// Move SOL sent by mistake to the wallet account or its session accounts (what lies above
    /// their rent-exempt minimum) to the owner or --to
    Sweep {
        /// Recipient [default: the owner]
        #[arg(long, value_parser = parse_address)]
        to: Option<Pubkey>,
        #[command(flatten)]
        wallet: WalletName,
    },
}

#[derive(Subcommand)]
enum SessionCmd {
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
}

#[derive(Subcommand)]
enum PolicyCmd {
    /// Limits as used / limit, period windows, allowed programs
    Show,
}

#[derive(Args)]
struct TransferArgs {
    /// Recipient: a wallet address (its token account is created if needed) or a token account
    #[arg(long, value_parser = parse_address)]
    to: Pubkey,
    /// Exact decimal amount, e.g. 4.5
    #[arg(long)]
    amount: String,
    /// SOL, a symbol (USDC) or a mint address
    #[arg(long, default_value = "SOL")]
    token: String,
}

#[derive(Subcommand)]
enum SimulateCmd {
    Transfer(TransferArgs),
    Execute {
        #[arg(long)]
        ix: String,
    },
    Multicall {
        #[arg(long)]
        calls: String,
    },
}

#[derive(Subcommand)]
enum ToolsCmd {
    /// OpenAI function-calling schema of the holder commands
    List,
}

fn parse_address(text: &str) -> Result<Pubkey, String> {
    text.parse()
        .map_err(|_| format!("{text:?} is not a base-58 Solana address"))
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
        keypair: cli.keypair,
        json: cli.json,
    };
    let ctx = || Ctx::new(&globals, None);
    match cli.command {
        Command::Node(args) => run_node(args),
        Command::Bench(args) => bench::bench(bench::BenchArgs {
            per_run: args.transactions,
            modes: match args.mode {
                BenchMode::Send => vec![bench::Mode::Send],
                BenchMode::Subscribe => vec![bench::Mode::Subscribe],
                BenchMode::Pipelined => vec![bench::Mode::Pipelined],
                BenchMode::All => vec![
                    bench::Mode::Send,
                    bench::Mode::Subscribe,
                    bench::Mode::Pipelined,
                ],
            },
            json: globals.json,
        })
        .map_err(|e| CliError::new("Bench", e)),
        Command::Info => {
            let ctx = ctx()?;
            output::Out::new(&ctx).result(
                serde_json::json!({"program_id": leash_sdk::PROGRAM_ID.to_string(), "cluster": ctx.cluster, "url": ctx.url, "version": env!("CARGO_PKG_VERSION")}),
                format!("Program id: {}\nCluster:    {} ({})\nVersion:    leash {}", leash_sdk::PROGRAM_ID, ctx.cluster, ctx.url, env!("CARGO_PKG_VERSION")),
            );
            Ok(())
        }
        Command::Airdrop { amount, token, to } => owner::airdrop(&ctx()?, &amount, &token, to),
        Command::Wallet(cmd) => match cmd {
            WalletCmd::Create(w) => owner::wallet_create(&ctx()?, &w.name),
            WalletCmd::Show(w) => owner::wallet_show(&ctx()?, &w.name),
            WalletCmd::Deposit {
                amount,
                token,
                wallet,
            } => owner::wallet_deposit(&ctx()?, &wallet.name, &amount, &token),
            WalletCmd::Withdraw {
                amount,
                token,
                to,
                wallet,
            } => owner::wallet_withdraw(&ctx()?, &wallet.name, &amount, &token, to),
            WalletCmd::Sweep { to, wallet } => owner::wallet_sweep(&ctx()?, &wallet.name, to),
        },
        Command::Session(cmd) => match cmd {
            SessionCmd::Create {
                policy,
                preview,
                top_up,
                label,
                wallet,
            } => owner::session_create(
                &ctx()?,
                owner::CreateArgs {
                    name: &wallet.name,
                    policy: &policy,
                    preview,
                    top_up: &top_up,
                    label,
                },
            ),
            SessionCmd::List(w) => owner::session_list(&ctx()?, &w.name),
            SessionCmd::Show { session, wallet } => {
                owner::session_show(&ctx()?, &wallet.name, &session)
            }
            SessionCmd::Update {
                session,
                policy,
                wallet,
            } => owner::session_update(&ctx()?, &wallet.name, &session, &policy),
            SessionCmd::Revoke { session, wallet } => {
                owner::session_revoke(&ctx()?, &wallet.name, &session)
            }
            SessionCmd::RevokeAll(w) => owner::session_revoke_all(&ctx()?, &w.name),
            SessionCmd::Close { session, wallet } => {
                owner::session_close(&ctx()?, &wallet.name, &session)
            }
            SessionCmd::Export { session, wallet } => {
                owner::session_export(&ctx()?, &wallet.name, &session)
            }
            SessionCmd::Import { token } => holder::import(&globals, &token),
            SessionCmd::Status => holder::status_cmd(&globals),
        },
        Command::Whoami => holder::whoami(&globals),
        Command::Policy(PolicyCmd::Show) => holder::policy_show(&globals),
        Command::Balance { token } => holder::balance(&globals, token.as_deref()),
        Command::Transfer(t) => holder::act(
            &globals,
            Action::Transfer {
                to: t.to,
                amount: t.amount,
                token: t.token,
            },
        ),
        Command::Execute { ix } => holder::act(&globals, Action::Execute { ix }),
        Command::Multicall { calls } => holder::act(&globals, Action::Multicall { calls }),
        Command::Simulate(cmd) => holder::simulate(
            &globals,
            match cmd {
                SimulateCmd::Transfer(t) => Action::Transfer {
                    to: t.to,
                    amount: t.amount,
                    token: t.token,
                },
                SimulateCmd::Execute { ix } => Action::Execute { ix },
                SimulateCmd::Multicall { calls } => Action::Multicall { calls },
            },
        ),
        Command::Revoke => holder::revoke(&globals),
        Command::Tools(ToolsCmd::List) => {
            output::print_json(&holder::tools());
            Ok(())
        }
    }
}

fn run_node(args: NodeArgs) -> CliResult<()> {
    let ledger = match args.ledger {
        Some(path) => path,
        None => paths::ledger_dir()?,
    };
    let config = leash_node::NodeConfig {
        ledger: ledger.clone(),
        reset: args.reset,
        bind: args.bind,
        rpc_port: args.rpc_port,
        slot_time: (args.slot_ms > 0).then(|| Duration::from_millis(args.slot_ms)),
        allow_time_travel: args.allow_time_travel,
    };
    let allow_time_travel = args.allow_time_travel;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::new("Node", format!("cannot start the async runtime: {e}")))?;
    runtime
        .block_on(async move {
            let node = leash_node::Node::bind(config).await?;
            println!("leash node {}", env!("CARGO_PKG_VERSION"));
            println!("RPC URL:    {}", node.url);
            println!("WebSocket PubSub URL: {}", node.ws_url);
            println!("Program id: {}", leash_program::ID);
            println!("Ledger:     {}", ledger.display());
            println!("Faucet:     {}", node.info.faucet);
            println!("Slot:       {}", node.info.slot);
            if allow_time_travel {
                println!("Time travel: on (leash_warpSlot, leash_setUnixTimestamp)");
            }
            node.serve(shutdown_signal()).await
        })
        .map_err(|e| CliError::new("Node", e))
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
    eprintln!("leash node: shutting down");
}
