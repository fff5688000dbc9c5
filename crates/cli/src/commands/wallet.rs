//! `leash wallet create|show|deposit|withdraw|sweep`: the owner's wallets.

use clap::{Args, Subcommand};
use leash_client::{Amount, TokenRef, WalletRef};
use solana_program::pubkey::Pubkey;
use solana_signer::Signer;

use crate::{
    error::CliResult,
    globals::{parse_address, Globals},
};

#[derive(Args)]
pub struct WalletName {
    /// Which of the owner's wallets
    #[arg(long, visible_alias = "wallet", default_value = "default")]
    pub name: String,
}

impl WalletName {
    /// The wallet `owner` calls by this name, under the Leash program `program_id`.
    pub fn of(&self, program_id: &Pubkey, owner: &Pubkey) -> WalletRef {
        WalletRef::of(program_id, owner, &self.name)
    }
}

#[derive(Subcommand)]
pub enum WalletCommand {
    /// Create the owner's wallet and its vault
    Create(WalletName),
    /// Addresses, balances and sessions of a wallet
    Show(WalletName),
    /// Move SOL or tokens from the owner into the vault
    Deposit {
        #[arg(long)]
        amount: String,
        #[arg(long, default_value = "SOL")]
        token: String,
        #[command(flatten)]
        wallet: WalletName,
    },
    /// Move SOL or tokens out of the vault (owner authority, no limits)
    Withdraw {
        #[arg(long)]
        amount: String,
        #[arg(long, default_value = "SOL")]
        token: String,
        /// Recipient [default: the owner]
        #[arg(long, value_parser = parse_address)]
        to: Option<Pubkey>,
        #[command(flatten)]
        wallet: WalletName,
    },
    /// Move SOL sent by mistake to the wallet account or its session accounts (what lies above
    /// their rent-exempt minimum) to the owner or --to
    Sweep {
        /// Recipient [default: the owner]
        #[arg(long, value_parser = parse_address)]
        to: Option<Pubkey>,
        #[command(flatten)]
        wallet: WalletName,
    },
}

pub fn exec(globals: &Globals, command: WalletCommand) -> CliResult<()> {
    let client = globals.client()?;
    let render = globals.render();
    let owner = globals.owner(&client)?;
    let key = owner.pubkey();
    match command {
        WalletCommand::Create(wallet) => {
            let prepared = client.prepare_create_wallet(&key, &wallet.name)?;
            render.report(&render.sending(|| client.sign_and_send(prepared, &owner))?)
        }
        WalletCommand::Show(wallet) => {
            render.report(&client.show_wallet(&wallet.of(client.program_id(), &key))?)
        }
        WalletCommand::Deposit {
            amount,
            token: which,
            wallet,
        } => {
            let amount = Amount::parse(&amount, "--amount")?;
            let prepared = client.prepare_deposit(
                &wallet.of(client.program_id(), &key),
                &amount,
                &TokenRef::new(&which),
            )?;
            render.report(&render.sending(|| client.sign_and_send(prepared, &owner))?)
        }
        WalletCommand::Withdraw {
            amount,
            token: which,
            to,
            wallet,
        } => {
            let amount = Amount::parse(&amount, "--amount")?;
            let prepared = client.prepare_withdraw(
                &wallet.of(client.program_id(), &key),
                &amount,
                &TokenRef::new(&which),
                to,
            )?;
            render.report(&render.sending(|| client.sign_and_send(prepared, &owner))?)
        }
        WalletCommand::Sweep { to, wallet } => {
            let prepared = client.prepare_sweep(&wallet.of(client.program_id(), &key), to)?;
            render.report(&render.sending(|| client.sign_and_send(prepared, &owner))?)
        }
    }
}
