//! `leash airdrop`: the faucet.

use clap::Args;
use leash_client::{Amount, TokenRef};
use solana_program::pubkey::Pubkey;
use solana_signer::Signer;

use crate::{
    error::CliResult,
    globals::{parse_address, Globals},
};

#[derive(Args)]
pub struct AirdropArgs {
    #[arg(long, default_value = "1")]
    amount: String,
    #[arg(long, default_value = "SOL")]
    token: String,
    /// Recipient [default: the owner keypair]
    #[arg(long, value_parser = parse_address)]
    to: Option<Pubkey>,
}

pub fn exec(globals: &Globals, args: AirdropArgs) -> CliResult<()> {
    let client = globals.client()?;
    let to = match args.to {
        Some(to) => to,
        None => globals.owner(&client)?.pubkey(),
    };
    let amount = Amount::parse(&args.amount, "--amount")?;
    let report = client.airdrop(&to, &amount, &TokenRef::new(&args.token))?;
    globals.render().report(&report)
}
