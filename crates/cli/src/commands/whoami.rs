//! `leash whoami`: the holder's session key, session, wallet and status.

use crate::{
    error::CliResult,
    globals::{holder, Globals},
};

pub fn exec(globals: &Globals) -> CliResult<()> {
    let (client, token) = globals.session()?;
    globals.render().report(&holder(&client, token)?.whoami()?)
}
