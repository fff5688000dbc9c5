//! `leash serve`: the HTTP API (docs/api.md) on `127.0.0.1:8787` against `--url`.

use std::{net::SocketAddr, path::PathBuf};

use clap::Args;
use leash_api::keys::RateLimit;
use leash_client::Cluster;

use crate::{
    error::{CliError, CliResult},
    globals::Globals,
};

#[derive(Args)]
pub struct ServeArgs {
    /// Address and port to listen on
    #[arg(long, default_value = "127.0.0.1:8787")]
    pub listen: SocketAddr,
    /// Directory of the API's store and audit key [default: $LEASH_HOME/api or ~/.config/leash/api]
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Keep the store in PostgreSQL (postgres://user:password@host/db) instead of SQLite, for
    /// several instances behind a load balancer (give them the same audit key in --dir)
    #[arg(long, env = "LEASH_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// A local signer (keypair file): submit signs owner transactions with it when a request
    /// with an admin key asks (`sign_with_local_signer`). For one's own machine
    #[arg(long)]
    pub signer: Option<PathBuf>,
    /// No local signer. Without --signer, a server on a local node offers the owner keypair
    /// (~/.config/solana/id.json, made if missing) so the dashboard works with no browser
    /// wallet; this turns that off
    #[arg(long, conflicts_with = "signer")]
    pub no_signer: bool,
    /// Requests per second each API key may make (sustained)
    #[arg(long, default_value_t = 20.0)]
    rate_limit: f64,
    /// Deliver webhooks to loopback, link-local and private addresses too (on by default when
    /// the cluster is a local node)
    #[arg(long)]
    pub allow_private_webhooks: bool,
    /// Requests each API key may make in a burst
    #[arg(long, default_value_t = 40.0)]
    burst: f64,
}

/// The store of `--dir` / `--database-url`, and the audit key in the directory.
pub fn open_store(
    dir: Option<PathBuf>,
    database_url: Option<&str>,
) -> CliResult<(leash_api::store::Store, solana_keypair::Keypair)> {
    let dir = api_dir(dir)?;
    let store = leash_api::open_store(&dir, database_url).map_err(|e| CliError::Api(e.0))?;
    let key = leash_api::audit_key(&dir)?;
    Ok((store, key))
}

/// The API's directory: `--dir`, else the default under `LEASH_HOME`.
pub fn api_dir(dir: Option<PathBuf>) -> CliResult<PathBuf> {
    match dir {
        Some(dir) => Ok(dir),
        None => Ok(leash_api::default_dir()?),
    }
}

/// The API's configuration from `args` against `cluster`.
pub fn config(
    args: ServeArgs,
    cluster: Cluster,
    program: leash_client::ProgramChoice,
    settings: leash_client::transaction::SendSettings,
) -> CliResult<leash_api::Config> {
    if !(args.rate_limit > 0.0 && args.burst >= 1.0) {
        return Err(CliError::Api(
            "--rate-limit must be above 0 and --burst at least 1".into(),
        ));
    }
    let local = cluster.is_localnet();
    let signer_path = match args.signer {
        Some(path) => Some(path),
        // A local node is one's own machine: the owner keypair signs there unless told not to.
        None if cluster.is_localnet() && !args.no_signer => {
            leash_client::home::owner_keypair(None, true)?;
            Some(leash_client::home::default_keypair()?)
        }
        None => None,
    };
    let signer = signer_path
        .as_deref()
        .map(leash_client::home::read_keypair)
        .transpose()?;
    Ok(leash_api::Config {
        cluster,
        program,
        settings,
        dir: api_dir(args.dir)?,
        database_url: args.database_url,
        signer,
        listen: args.listen,
        rate: RateLimit {
            per_second: args.rate_limit,
            burst: args.burst,
        },
        webhooks: leash_api::live::WebhookSettings {
            // A local node is one's own machine: its receivers are local too.
            allow_private: args.allow_private_webhooks || local,
            ..Default::default()
        },
    })
}

/// Binds `listen` and says where everything is (and the first admin key, once).
pub async fn bind_and_print(
    listen: SocketAddr,
    prepared: &leash_api::Prepared,
) -> CliResult<tokio::net::TcpListener> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| CliError::Api(format!("cannot listen on {listen}: {e}")))?;
    let address = listener
        .local_addr()
        .map_err(|e| CliError::Api(format!("cannot read the listening address: {e}")))?;
    let state = &prepared.state;
    let mut banner = format!(
        "leash serve {version}\n\
         Dashboard: http://{address}/\n\
         API:      http://{address}\n\
         OpenAPI:  http://{address}/openapi.json\n\
         Cluster:  {cluster}\n\
         Program:  {program}\n\
         Store:    {store}\n",
        version = env!("CARGO_PKG_VERSION"),
        cluster = state.client.cluster().url,
        program = state.client.program_id(),
        store = state.store.location(),
    );
    if let Some(signer) = state.signer() {
        banner += &format!(
            "Signer:   {} (signs submits that ask for it, admin keys only)\n",
            solana_signer::Signer::pubkey(signer)
        );
    }
    if let Some(key) = &prepared.first_admin_key {
        banner += &format!(
            "\nFirst start: an admin API key was created. It is shown only this once:\n  {key}\n\
             Sign in to the dashboard with it; make narrower keys with `leash api-key create`.\n"
        );
    }
    // The last line tells scripts (and the tests) that everything is printed.
    banner += "Ctrl-C stops it.\n";
    // A closed stdout (`leash serve | head`) must not stop the server: the banner is best-effort.
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(banner.as_bytes());
    let _ = stdout.flush();
    Ok(listener)
}

pub fn exec(globals: &Globals, args: ServeArgs) -> CliResult<()> {
    let cluster = globals.cluster()?;
    let program = globals.program(&cluster)?;
    let listen = args.listen;
    let config = config(args, cluster, program, globals.settings)?;
    let prepared = leash_api::prepare(config).map_err(CliError::Api)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Api(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async move {
        let listener = bind_and_print(listen, &prepared).await?;
        leash_api::serve(listener, prepared.state, super::node::shutdown_signal())
            .await
            .map_err(|e| CliError::Api(format!("the API stopped: {e}")))
    })
}
