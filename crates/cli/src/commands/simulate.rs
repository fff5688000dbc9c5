//! `leash simulate transfer|execute|multicall`: the transaction the command would send,
//! simulated: would it pass, and if not which bound stops it and by how much.

use clap::Subcommand;

use crate::{
    commands::{
        execute::{ExecuteArgs, MulticallArgs},
        transfer::TransferArgs,
    },
    error::CliResult,
    globals::{holder, Globals},
};

#[derive(Subcommand)]
pub enum SimulateCommand {
    Transfer(TransferArgs),
    Execute(ExecuteArgs),
    Multicall(MulticallArgs),
}

pub fn exec(globals: &Globals, command: SimulateCommand) -> CliResult<()> {
    let action = match &command {
        SimulateCommand::Transfer(args) => args.action()?,
        SimulateCommand::Execute(args) => args.action()?,
        SimulateCommand::Multicall(args) => args.action()?,
    };
    let (client, token) = globals.session()?;
    let report = holder(&client, token)?.simulate(&action)?;
    globals.render().report(&report)
}
