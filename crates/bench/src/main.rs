//! `leash-bench`: the benchmarks of docs/node.md ("Performance") and docs/api.md
//! ("Performance"), as their own binary so the `leash` users install carries none of them.
//!
//! - `leash-bench node`: transactions per second and latency of the node ([`node`]).
//! - `leash-bench api`: requests per second and latency of `leash serve` ([`api`]).

mod api;
mod node;

use std::{net::IpAddr, path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    name = "leash-bench",
    version,
    about = "Benchmarks of the Leash node and API"
)]
struct Cli {
    /// Print the report as JSON
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Throughput and latency of the node: plain and session transfers, 1 and 8 clients
    Node {
        /// Transactions per run (runs: plain and session, from 1 and from 8 clients; pipelined: 1)
        #[arg(long, default_value_t = 25_000)]
        transactions: usize,
        /// How clients confirm: one at a time, getSignatureStatuses after each send (send), a
        /// signatureSubscribe notification (subscribe), many in flight then
        /// getSignatureStatuses (pipelined), or all three
        #[arg(long, value_enum, default_value = "send")]
        mode: ModeArg,
    },
    /// Requests per second and p50/p99 of `leash serve` for a read, a preview and a prepare
    Api {
        /// Requests per workload (read, preview, prepare)
        #[arg(long, default_value_t = 2_000)]
        requests: usize,
        /// Concurrent HTTP clients, each one request at a time
        #[arg(long, default_value_t = 8)]
        clients: usize,
    },
    /// The node under measurement (started by `node`, in its own process)
    #[command(hide = true)]
    RunNode {
        #[arg(long)]
        ledger: PathBuf,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ModeArg {
    Send,
    Subscribe,
    Pipelined,
    All,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Node { transactions, mode } => node::bench(node::BenchArgs {
            per_run: transactions,
            modes: match mode {
                ModeArg::Send => vec![node::Mode::Send],
                ModeArg::Subscribe => vec![node::Mode::Subscribe],
                ModeArg::Pipelined => vec![node::Mode::Pipelined],
                ModeArg::All => vec![
                    node::Mode::Send,
                    node::Mode::Subscribe,
                    node::Mode::Pipelined,
                ],
            },
            json: cli.json,
        }),
        Command::Api { requests, clients } => api::bench_api(api::BenchApiArgs {
            requests,
            clients,
            json: cli.json,
        }),
        Command::RunNode { ledger } => run_node(ledger),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            if cli.json {
                println!(
                    "{}",
                    serde_json::json!({"code": "Bench", "message": message})
                );
            } else {
                eprintln!("Error: {message}");
            }
            ExitCode::FAILURE
        }
    }
}

/// A node on a fresh ledger at `ledger`, on free ports, with slots every 400 ms (as `leash
/// node`); prints its URLs as `leash node` does, and serves until killed.
fn run_node(ledger: PathBuf) -> Result<(), String> {
    let config = leash_node::NodeConfig {
        ledger,
        reset: true,
        bind: IpAddr::from([127, 0, 0, 1]),
        rpc_port: 0,
        slot_time: Some(std::time::Duration::from_millis(400)),
        allow_time_travel: false,
        finality_lag: 0,
        spl_token: None,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(async move {
        let node = leash_node::Node::bind(config)
            .await
            .map_err(|e| e.to_string())?;
        println!("RPC URL:    {}", node.url);
        println!("WebSocket PubSub URL: {}", node.ws_url);
        node.serve(std::future::pending())
            .await
            .map_err(|e| e.to_string())
    })
}
