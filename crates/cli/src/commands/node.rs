//! `leash node`: the local chain.

use std::{net::IpAddr, path::PathBuf, time::Duration};

use clap::Args;
use leash_client::home;

use crate::error::{CliError, CliResult};

/// The local chain's options `leash node` and `leash up` share.
#[derive(Args)]
pub struct ChainArgs {
    /// Port of the JSON-RPC server (0: any free port)
    #[arg(long, default_value_t = 8899)]
    rpc_port: u16,
    /// Ledger directory [default: $LEASH_HOME/node or ~/.local/share/leash/node]
    #[arg(long)]
    ledger: Option<PathBuf>,
    /// Start from a new genesis, deleting the ledger's state
    #[arg(long)]
    reset: bool,
    /// Slot length in milliseconds (0: slots move only with leash_warpSlot)
    #[arg(long, default_value_t = 400)]
    slot_ms: u64,
    /// Slots `finalized` lags `confirmed`, as on a real cluster (~32); 0: finalized at once
    #[arg(long, default_value_t = 0)]
    finality_lag: u64,
    /// The program at SPL Token's address for a new ledger: `p-token` (the default, as mainnet)
    /// or `classic` (SPL Token 3.5, as clusters without the migration and
    /// solana-test-validator 3.0); a ledger keeps the one it was created with
    #[arg(long, value_name = "PROGRAM")]
    spl_token: Option<leash_node::SplToken>,
}

impl ChainArgs {
    /// The node's configuration listening on `bind`, and its ledger directory.
    pub fn config(
        self,
        bind: IpAddr,
        allow_time_travel: bool,
    ) -> CliResult<(leash_node::NodeConfig, PathBuf)> {
        let ledger = match self.ledger {
            Some(path) => path,
            None => home::ledger_dir()?,
        };
        let config = leash_node::NodeConfig {
            ledger: ledger.clone(),
            reset: self.reset,
            bind,
            rpc_port: self.rpc_port,
            slot_time: (self.slot_ms > 0).then(|| Duration::from_millis(self.slot_ms)),
            allow_time_travel,
            finality_lag: self.finality_lag,
            spl_token: self.spl_token,
        };
        Ok((config, ledger))
    }
}

#[derive(Args)]
pub struct NodeArgs {
    #[command(flatten)]
    chain: ChainArgs,
    /// Address to listen on
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,
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

pub fn exec(args: NodeArgs) -> CliResult<()> {
    let (config, ledger) = args.chain.config(args.bind, args.allow_time_travel)?;
    let allow_time_travel = args.allow_time_travel;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Node(format!("cannot start the async runtime: {e}")))?;
    runtime
        .block_on(async move {
            let node = leash_node::Node::bind(config).await?;
            println!("leash node {}", env!("CARGO_PKG_VERSION"));
            println!("RPC URL:    {}", node.url);
            println!("WebSocket PubSub URL: {}", node.ws_url);
            println!("Program id: {}", leash_program::DEFAULT_ID);
            println!("Ledger:     {}", ledger.display());
            println!("Faucet:     {}", node.info.faucet);
            println!("Slot:       {}", node.info.slot);
            if allow_time_travel {
                println!("Time travel: on (leash_warpSlot, leash_setUnixTimestamp)");
            }
            node.serve(shutdown_signal()).await
        })
        .map_err(CliError::from)
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
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
    eprintln!("leash: shutting down");
}
