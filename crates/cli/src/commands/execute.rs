//! `leash execute` and `leash multicall`: raw instructions through the session, the vault
//! signing.

use clap::Args;
use leash_client::{Action, RawInstruction};

use crate::{
    error::CliResult,
    globals::{holder, read_arg, Globals},
};

#[derive(Args)]
pub struct ExecuteArgs {
    /// {"program": ADDRESS, "accounts": [{"pubkey", "is_signer", "is_writable"}], "data": BASE64}; @file or - for stdin
    #[arg(long)]
    pub ix: String,
}

impl ExecuteArgs {
    pub fn action(&self) -> CliResult<Action> {
        Ok(Action::Execute(RawInstruction::parse_one(&read_arg(
            &self.ix,
        )?)?))
    }
}

#[derive(Args)]
pub struct MulticallArgs {
    /// A JSON array of instructions as for `execute --ix`; @file or - for stdin
    #[arg(long)]
    pub calls: String,
}

impl MulticallArgs {
    pub fn action(&self) -> CliResult<Action> {
        Ok(Action::Multicall(RawInstruction::parse_many(&read_arg(
            &self.calls,
        )?)?))
    }
}

fn act(globals: &Globals, action: Action) -> CliResult<()> {
    let (client, token) = globals.session()?;
    let holder = holder(&client, token)?;
    let render = globals.render();
    render.report(&render.sending(|| holder.act(&action))?)
}

pub fn exec_one(globals: &Globals, args: ExecuteArgs) -> CliResult<()> {
    act(globals, args.action()?)
}

pub fn exec_many(globals: &Globals, args: MulticallArgs) -> CliResult<()> {
    act(globals, args.action()?)
}
