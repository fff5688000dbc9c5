//! `leash bench`: its arguments; the benchmark itself is `crate::bench`.

use clap::Args;

use crate::{
    bench, bench_api,
    error::{CliError, CliResult},
    globals::Globals,
};

#[derive(Args)]
pub struct BenchArgs {
    /// Transactions per run (runs: plain and session, from 1 and from 8 clients; pipelined: 1)
    #[arg(long, default_value_t = 25_000)]
    transactions: usize,
    /// How clients confirm: one at a time, getSignatureStatuses after each send (send), a
    /// signatureSubscribe notification (subscribe), many in flight then getSignatureStatuses
    /// (pipelined), or all three
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

pub fn exec(globals: &Globals, args: BenchArgs) -> CliResult<()> {
    bench::bench(bench::BenchArgs {
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
    .map_err(CliError::Bench)
}

#[derive(Args)]
pub struct BenchApiArgs {
    /// Requests per workload (read, preview, prepare)
    #[arg(long, default_value_t = 2_000)]
    requests: usize,
    /// Concurrent HTTP clients, each one request at a time
    #[arg(long, default_value_t = 8)]
    clients: usize,
}

pub fn exec_api(globals: &Globals, args: BenchApiArgs) -> CliResult<()> {
    bench_api::bench_api(bench_api::BenchApiArgs {
        requests: args.requests,
        clients: args.clients,
        json: globals.json,
    })
    .map_err(CliError::Bench)
}
