//! `leash up`: the local node and `leash serve` (API + dashboard) in one process, for one's own
//! machine — the newcomer's one command (README). Stops both on Ctrl-C.

use std::net::IpAddr;

use clap::Args;
use leash_client::Cluster;

use super::{
    node::ChainArgs,
    serve::{self, ServeArgs},
};
use crate::error::{CliError, CliResult};

#[derive(Args)]
pub struct UpArgs {
    #[command(flatten)]
    chain: ChainArgs,
    #[command(flatten)]
    serve: ServeArgs,
}

pub fn exec(globals: &crate::globals::Globals, args: UpArgs) -> CliResult<()> {
    // The node stays on loopback (only this machine's API and tools reach it), its clock real.
    let (node_config, ledger) = args.chain.config(IpAddr::from([127, 0, 0, 1]), false)?;
    // On this local node the owner keypair is the dashboard's local signer unless
    // `--no-signer` (serve's rule): a newcomer needs no browser wallet.
    let serve_args = args.serve;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Node(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async move {
        let node = leash_node::Node::bind(node_config)
            .await
            .map_err(CliError::from)?;
        {
            // Best-effort, as serve's banner: a closed stdout must not stop the node.
            use std::io::Write;
            let _ = write!(
                std::io::stdout().lock(),
                "leash node {}\nRPC URL:    {}\nLedger:     {}\n\n",
                env!("CARGO_PKG_VERSION"),
                node.url,
                ledger.display()
            );
        }
        let cluster = Cluster::parse(&node.url)?;
        let program = globals.program(&cluster)?;
        let listen = serve_args.listen;
        let config = serve::config(serve_args, cluster, program, globals.settings)?;
        // Opening the store blocks (SQLite, or PostgreSQL's client).
        let prepared = tokio::task::spawn_blocking(move || leash_api::prepare(config))
            .await
            .map_err(|_| CliError::Api("the store could not be opened".into()))?
            .map_err(CliError::Api)?;
        let listener = serve::bind_and_print(listen, &prepared).await?;

        // One Ctrl-C stops both: the API first, then the node commits and stops.
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let wait = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|s| *s).await;
        };
        let node_task = tokio::spawn(node.serve(wait(stopped.clone())));
        let api_task = tokio::spawn(leash_api::serve(
            listener,
            prepared.state,
            wait(stopped.clone()),
        ));
        super::node::shutdown_signal().await;
        let _ = stop.send(true);
        let api = api_task.await;
        let node = node_task.await;
        match api {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(CliError::Api(format!("the API stopped: {e}"))),
            Err(_) => return Err(CliError::Api("the API stopped unexpectedly".into())),
        }
        match node {
            Ok(result) => result.map_err(CliError::from),
            Err(_) => Err(CliError::Node("the node stopped unexpectedly".into())),
        }
    })
}
