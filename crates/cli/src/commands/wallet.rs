//! `leash wallet create|show|deposit|withdraw|sweep`: the owner's wallets.

use clap::{Args, Subcommand};
use leash_client::{Amount, TokenRef};
use solana_program::pubkey::Pubkey;
use solana_signer::Signer;

use crate::{
    error::CliResult,
    globals::{parse_address, Globals, OwnerAuth},
};

#[derive(Args)]
pub struct WalletName {
    /// Which of the owner's wallets
    #[arg(long, visible_alias = "wallet", default_value = "default")]
    pub name: String,
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
    let owner = globals.owner_auth(&client)?;
    let payer = owner.payer().pubkey();
    let program_id = *client.program_id();
    match command {
        WalletCommand::Create(wallet) => {
            let prepared = match &owner {
                OwnerAuth::Key(key) => client.prepare_create_wallet(&key.pubkey(), &wallet.name)?,
                OwnerAuth::Passkey { owner: passkey, .. } => {
                    use leash_client::owner::PasskeySigner;
                    client.prepare_create_passkey_wallet(
                        &payer,
                        &passkey.passkey(),
                        &wallet.name,
                    )?
                }
            };
            // Creating needs no owner authorization beyond the key's own signature.
            render.report(&render.sending(|| client.sign_and_send(prepared, owner.payer()))?)
        }
        WalletCommand::Show(wallet) => {
            render.report(&client.show_wallet(&owner.wallet(&program_id, &wallet.name))?)
        }
        WalletCommand::Deposit {
            amount,
            token: which,
            wallet,
        } => {
            // From the payer: a passkey holds no funds.
            let amount = Amount::parse(&amount, "--amount")?;
            let mut target = owner.wallet(&program_id, &wallet.name);
            target.owner = payer;
            let prepared = client.prepare_deposit(&target, &amount, &TokenRef::new(&which))?;
            render.report(&render.sending(|| client.sign_and_send(prepared, owner.payer()))?)
        }
        WalletCommand::Withdraw {
            amount,
            token: which,
            to,
            wallet,
        } => {
            let amount = Amount::parse(&amount, "--amount")?;
            let target = owner.wallet(&program_id, &wallet.name);
            let to = to.or_else(|| target.is_passkey().then_some(payer));
            let prepared = client.prepare_withdraw(&target, &amount, &TokenRef::new(&which), to)?;
            render.report(&render.sending(|| owner.send(&client, prepared, &target))?)
        }
        WalletCommand::Sweep { to, wallet } => {
            let target = owner.wallet(&program_id, &wallet.name);
            let to = to.or_else(|| target.is_passkey().then_some(payer));
            let prepared = client.prepare_sweep(&target, to)?;
            render.report(&render.sending(|| owner.send(&client, prepared, &target))?)
        }
    }
}
