//! `CloseSession` (instruction 6): the owner any time, anyone once the session has ended; rent
//! returns to the account that paid it.

use solana_program::{
    account_info::AccountInfo, entrypoint::ProgramResult, program_error::ProgramError,
};

use super::{check_session_wallet, check_writable, invalid_account, load_session, load_wallet};
use crate::{error::LeashError, event::LeashEvent};

struct CloseSessionAccounts<'a, 'info> {
    authority: &'a AccountInfo<'info>,
    wallet: &'a AccountInfo<'info>,
    session: &'a AccountInfo<'info>,
    rent_payer: &'a AccountInfo<'info>,
}

impl<'a, 'info> CloseSessionAccounts<'a, 'info> {
    fn parse(accounts: &'a [AccountInfo<'info>]) -> Result<Self, ProgramError> {
        let [authority, wallet, session, rent_payer, ..] = accounts else {
            return Err(ProgramError::NotEnoughAccountKeys);
        };
        Ok(Self {
            authority,
            wallet,
            session,
            rent_payer,
        })
    }

    /// Checks, in order.
    fn validate(&self) -> ProgramResult {
        // 1. A Leash wallet and a session of it.
        let wallet = load_wallet(self.wallet)?;
        let session = load_session(self.session)?;
        check_writable(self.session, "session must be writable")?;
        check_session_wallet(&session, self.wallet.key)?;
        // 2. The rent goes back to whoever paid it.
        if *self.rent_payer.key != session.rent_payer {
            return Err(invalid_account(
                "rent_payer is not the account that paid the session's rent",
            ));
        }
        check_writable(self.rent_payer, "rent_payer must be writable")?;
        // 3. Signed; by the owner, or the session has ended.
        if !self.authority.is_signer {
            return Err(LeashError::Unauthorized.into());
        }
        if self.authority.key != wallet.owner.signer_key() {
            let clock = crate::sysvars::clock()?;
            let ended =
                session.is_revoked(&wallet) || session.is_expired(clock.unix_timestamp, clock.slot);
            if !ended {
                return Err(LeashError::SessionStillActive.into());
            }
        }
        Ok(())
    }
}

pub(super) fn process(accounts: &[AccountInfo]) -> ProgramResult {
    let accounts = CloseSessionAccounts::parse(accounts)?;
    accounts.validate()?;
    let session = accounts.session;
    let refunded = accounts
        .rent_payer
        .lamports()
        .checked_add(session.lamports())
        .ok_or(LeashError::ArithmeticOverflow)?;
    **accounts.rent_payer.try_borrow_mut_lamports()? = refunded;
    **session.try_borrow_mut_lamports()? = 0;
    session.resize(0)?;
    session.assign(&solana_system_interface::program::ID);
    LeashEvent::SessionClosed {
        session: *session.key,
    }
    .emit();
    Ok(())
}
