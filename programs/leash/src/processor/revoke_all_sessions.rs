//! `RevokeAllSessions` (instruction 4): the owner bumps the wallet's epoch; every session stops at
//! once.

use super::{check_owner, check_writable, load_wallet, write_wallet};
use crate::{
    error::LeashError,
    event::LeashEvent,
    platform::{Account, ProgramError, ProgramResult, Pubkey},
    state::Wallet,
};

struct RevokeAllSessionsAccounts<'a, 'info> {
    /// The id the runtime invoked the program at: every owner and PDA check uses it.
    program_id: &'a Pubkey,
    owner: &'a Account<'info>,
    wallet: &'a Account<'info>,
}

impl<'a, 'info> RevokeAllSessionsAccounts<'a, 'info> {
    fn parse(program_id: &'a Pubkey, accounts: &'a [Account<'info>]) -> Result<Self, ProgramError> {
        let [owner, wallet, ..] = accounts else {
            return Err(ProgramError::NotEnoughAccountKeys);
        };
        Ok(Self {
            program_id,
            owner,
            wallet,
        })
    }

    /// Checks, in order; returns the wallet.
    fn validate(&self) -> Result<Wallet, ProgramError> {
        // 1. A Leash wallet, and its owner signed.
        let wallet = load_wallet(self.program_id, self.wallet)?;
        check_owner(&wallet, self.owner)?;
        // 2. The wallet is writable.
        check_writable(self.wallet, "wallet must be writable")?;
        Ok(wallet)
    }
}

pub(super) fn process(program_id: &Pubkey, accounts: &[Account]) -> ProgramResult {
    let accounts = RevokeAllSessionsAccounts::parse(program_id, accounts)?;
    let mut wallet = accounts.validate()?;
    wallet.epoch = wallet
        .epoch
        .checked_add(1)
        .ok_or(LeashError::ArithmeticOverflow)?;
    write_wallet(accounts.wallet, &wallet.to_layout())?;
    LeashEvent::AllSessionsRevoked {
        wallet: *accounts.wallet.key(),
        epoch: wallet.epoch,
    }
    .emit();
    Ok(())
}
