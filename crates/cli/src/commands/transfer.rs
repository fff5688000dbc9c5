//! `leash transfer`: SOL or a token out of the vault, through the session.

use clap::Args;
use leash_client::{Action, Amount, TokenRef};
use solana_program::pubkey::Pubkey;

use crate::{
    error::CliResult,
    globals::{holder, parse_address, Globals},
};

#[derive(Args)]
pub struct TransferArgs {
    /// Recipient: a wallet address (its token account is created if needed) or a token account
    #[arg(long, value_parser = parse_address)]
    to: Pubkey,
    /// Exact decimal amount, e.g. 4.5
    #[arg(long)]
    amount: String,
    /// SOL, a symbol (USDC) or a mint address
    #[arg(long, default_value = "SOL")]
    token: String,
}

impl TransferArgs {
    /// The action these arguments ask for.
    pub fn action(&self) -> CliResult<Action> {
        Ok(Action::Transfer {
            to: self.to,
            amount: Amount::parse(&self.amount, "--amount")?,
            token: TokenRef::new(&self.token),
        })
    }
}

pub fn exec(globals: &Globals, args: TransferArgs) -> CliResult<()> {
    let action = args.action()?;
    let (client, token) = globals.session()?;
    let holder = holder(&client, token)?;
    let render = globals.render();
    render.report(&render.sending(|| holder.act(&action))?)
}
