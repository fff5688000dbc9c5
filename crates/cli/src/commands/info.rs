//! `leash info`.

use crate::{error::CliResult, globals::Globals};

pub fn exec(globals: &Globals) -> CliResult<()> {
    globals.render().report(&globals.client()?.info())
}
