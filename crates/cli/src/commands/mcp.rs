//! `leash mcp`: the session holder's tools as an MCP server over stdio, for desktop agents and
//! IDEs (docs/agents.md). The protocol owns stdout; nothing else is printed there.

use leash_client::Cluster;

use crate::{
    error::{CliError, CliResult},
    globals::Globals,
};

pub fn exec(globals: &Globals) -> CliResult<()> {
    // `--url` overrides the token's cluster, as for every holder command; the token itself is
    // read on each call, so the server starts (and says how to get one) without it.
    let cluster = globals.url.as_deref().map(Cluster::parse).transpose()?;
    // Only an explicit id matters to a holder (the token's program is authoritative); the
    // profile is looked up against the token's cluster when there is no `--url`.
    let program = match &cluster {
        Some(cluster) => globals.program(cluster)?,
        None => globals.program(&Cluster::parse("localnet")?)?,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Api(format!("cannot start the async runtime: {e}")))?;
    runtime
        .block_on(leash_mcp::serve_stdio(
            leash_mcp::LeashMcp::local(cluster)
                .with_program(program)
                .with_settings(globals.settings),
        ))
        .map_err(CliError::Api)
}
