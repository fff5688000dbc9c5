//! `CloseSession` (instruction 6): the owner any time, anyone once the session has ended; rent
//! returns to the account that paid it.

use super::{
    authorize_owner, check_session_wallet, check_writable, invalid_account, is_passkey_slot,
    load_wallet, session_data, session_view, Invocation,
};
use crate::{
    error::LeashError,
    event::LeashEvent,
    platform::{address_eq, Account, ProgramError, ProgramResult, Pubkey, SYSTEM_PROGRAM_ID},
};

struct CloseSessionAccounts<'a, 'info> {
    /// The instruction as the runtime handed it over (a passkey's challenge names it whole).
    invocation: &'a Invocation<'a, 'info>,
    /// The id the runtime invoked the program at: every owner and PDA check uses it.
    program_id: &'a Pubkey,
    authority: &'a Account<'info>,
    wallet: &'a Account<'info>,
    session: &'a Account<'info>,
    rent_payer: &'a Account<'info>,
}

impl<'a, 'info> CloseSessionAccounts<'a, 'info> {
    fn parse(invocation: &'a Invocation<'a, 'info>) -> Result<Self, ProgramError> {
        let [authority, wallet, session, rent_payer, ..] = invocation.accounts else {
            return Err(ProgramError::NotEnoughAccountKeys);
        };
        Ok(Self {
            invocation,
            program_id: invocation.program_id,
            authority,
            wallet,
            session,
            rent_payer,
        })
    }

    /// Checks, in order.
    fn validate(&self) -> ProgramResult {
        // 1. A Leash wallet and a session of it.
        let mut wallet = load_wallet(self.program_id, self.wallet)?;
        let data = session_data(self.program_id, self.session)?;
        let session = session_view(self.program_id, self.session, &data)?;
        check_writable(self.session, "session must be writable")?;
        check_session_wallet(&session, self.wallet.key())?;
        // 2. The rent goes back to whoever paid it.
        if !address_eq(self.rent_payer.key(), &session.head().fixed.rent_payer) {
            return Err(invalid_account(
                "rent_payer is not the account that paid the session's rent",
            ));
        }
        check_writable(self.rent_payer, "rent_payer must be writable")?;
        // 3. Authorized by the owner (a passkey's assertion, or the owner's key signed), or
        // signed by anyone once the session has ended.
        if is_passkey_slot(self.authority) {
            return authorize_owner(self.invocation, self.wallet, &mut wallet, self.authority);
        }
        if !self.authority.is_signer() {
            return Err(LeashError::Unauthorized.into());
        }
        if wallet.owner.signer_key() != Some(self.authority.key()) {
            let clock = crate::sysvars::clock()?;
            let standing = session.standing();
            let ended = standing.is_revoked(wallet.epoch)
                || standing.is_expired(clock.unix_timestamp, clock.slot);
            if !ended {
                return Err(LeashError::SessionStillActive.into());
            }
        }
        Ok(())
    }
}

pub(super) fn process(invocation: &Invocation) -> ProgramResult {
    let accounts = CloseSessionAccounts::parse(invocation)?;
    accounts.validate()?;
    let session = accounts.session;
    let refunded = accounts
        .rent_payer
        .lamports()
        .checked_add(session.lamports())
        .ok_or(LeashError::ArithmeticOverflow)?;
    accounts.rent_payer.set_lamports(refunded)?;
    session.set_lamports(0)?;
    session.resize(0)?;
    session.assign(&SYSTEM_PROGRAM_ID);
    LeashEvent::SessionClosed {
        session: *session.key(),
    }
    .emit();
    Ok(())
}
