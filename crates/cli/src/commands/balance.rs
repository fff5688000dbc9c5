//! `leash balance`: the vault's balances.

use clap::Args;
use leash_client::TokenRef;

use crate::{
    error::CliResult,
    globals::{holder, Globals},
};

#[derive(Args)]
pub struct BalanceArgs {
    #[arg(long)]
    token: Option<String>,
}

pub fn exec(globals: &Globals, args: BalanceArgs) -> CliResult<()> {
    let token = args.token.as_deref().map(TokenRef::new);
    let (client, session) = globals.session()?;
    let report = holder(&client, session)?.balance(token.as_ref())?;
    globals.render().report(&report)
}
