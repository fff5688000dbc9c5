//! `RevokeAllSessions` (instruction 4): the owner bumps the wallet's epoch; every session stops at
//! once.

use super::{authorize_owner, check_writable, load_wallet, write_wallet, Invocation};
use crate::{
    error::LeashError,
    event::LeashEvent,
    platform::{Account, ProgramError, ProgramResult, Pubkey},
    state::Wallet,
};

struct RevokeAllSessionsAccounts<'a, 'info> {
    /// The instruction as the runtime handed it over (a passkey's challenge names it whole).
    invocation: &'a Invocation<'a, 'info>,
    /// The id the runtime invoked the program at: every owner and PDA check uses it.
    program_id: &'a Pubkey,
    owner: &'a Account<'info>,
    wallet: &'a Account<'info>,
}

impl<'a, 'info> RevokeAllSessionsAccounts<'a, 'info> {
    fn parse(invocation: &'a Invocation<'a, 'info>) -> Result<Self, ProgramError> {
        let [owner, wallet, ..] = invocation.accounts else {
            return Err(ProgramError::NotEnoughAccountKeys);
        };
        Ok(Self {
            invocation,
            program_id: invocation.program_id,
            owner,
            wallet,
        })
    }

    /// Checks, in order; returns the wallet.
    fn validate(&self) -> Result<Wallet, ProgramError> {
        // 1. A Leash wallet, and its owner signed.
        let mut wallet = load_wallet(self.program_id, self.wallet)?;
        authorize_owner(self.invocation, self.wallet, &mut wallet, self.owner)?;
        // 2. The wallet is writable (a passkey's check made sure already).
        check_writable(self.wallet, "wallet must be writable")?;
        Ok(wallet)
    }
}

pub(super) fn process(invocation: &Invocation) -> ProgramResult {
    let accounts = RevokeAllSessionsAccounts::parse(invocation)?;
    let mut wallet = accounts.validate()?;
    wallet.epoch = wallet
        .epoch
        .checked_add(1)
        .ok_or(LeashError::ArithmeticOverflow)?;
    write_wallet(accounts.wallet, &wallet)?;
    LeashEvent::AllSessionsRevoked {
        wallet: *accounts.wallet.key(),
        epoch: wallet.epoch,
    }
    .emit();
    Ok(())
}
