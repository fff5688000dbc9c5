//! `leash revoke`: the session revokes itself.

use crate::{
    error::CliResult,
    globals::{holder, Globals},
};

pub fn exec(globals: &Globals) -> CliResult<()> {
    let (client, token) = globals.session()?;
    let holder = holder(&client, token)?;
    let render = globals.render();
    render.report(&render.sending(|| holder.revoke())?)
}
