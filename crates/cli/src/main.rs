//! `leash`: Leash session keys from the command line, and the local node.

mod bench;
mod paths;

use std::{net::IpAddr, path::PathBuf, process::ExitCode, time::Duration};

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "leash",
    version,
    about = "Session keys for Solana wallets, enforced on-chain"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the local chain: a durable Solana JSON-RPC node with the Leash program
    Node(NodeArgs),
    /// Measure leash node: transactions per second and latency, plain vs session transfers
    Bench(BenchCmd),
}

#[derive(Args)]
struct BenchCmd {
    /// Transactions per run (runs: plain and session, from 1 and from 8 clients)
    #[arg(long, default_value_t = 25_000)]
    transactions: usize,
    /// Print the results as JSON
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct NodeArgs {
    /// Port of the JSON-RPC server
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Node(args) => run_node(args),
        Command::Bench(args) => bench::bench(bench::BenchArgs {
            per_run: args.transactions,
            json: args.json,
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("Error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run_node(args: NodeArgs) -> Result<(), String> {
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
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(async move {
        let node = leash_node::Node::bind(config).await?;
        println!("leash node {}", env!("CARGO_PKG_VERSION"));
        println!("RPC URL:    {}", node.url);
        println!("Program id: {}", leash_program::ID);
        println!("Ledger:     {}", ledger.display());
        println!("Faucet:     {}", node.info.faucet);
        println!("Slot:       {}", node.info.slot);
        node.serve(shutdown_signal()).await
    })
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
