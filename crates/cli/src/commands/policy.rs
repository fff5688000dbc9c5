//! `leash policy show`: the session's bounds as used / limit.

use clap::Subcommand;

use crate::{
    error::CliResult,
    globals::{holder, Globals},
};

#[derive(Subcommand)]
pub enum PolicyCommand {
    /// Limits as used / limit, period windows, allowed programs
    Show,
}

pub fn exec(globals: &Globals, command: PolicyCommand) -> CliResult<()> {
    match command {
        PolicyCommand::Show => {
            let (client, token) = globals.session()?;
            globals.render().report(&holder(&client, token)?.policy()?)
        }
    }
}
