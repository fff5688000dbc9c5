//! `RevokeSession` (instruction 3): the owner revokes any session; a session key revokes only its
//! own.

use super::{
    authorize_owner, check_writable, is_passkey_slot, load_wallet, session_data, session_view,
    Invocation,
};
use crate::{
    error::LeashError,
    event::LeashEvent,
    leash_log,
    platform::{address_eq, Account, ProgramError, ProgramResult, Pubkey},
};

struct RevokeSessionAccounts<'a, 'info> {
    /// The instruction as the runtime handed it over (a passkey's challenge names it whole).
    invocation: &'a Invocation<'a, 'info>,
    /// The id the runtime invoked the program at: every owner and PDA check uses it.
    program_id: &'a Pubkey,
    authority: &'a Account<'info>,
    wallet: &'a Account<'info>,
    session: &'a Account<'info>,
}

impl<'a, 'info> RevokeSessionAccounts<'a, 'info> {
    fn parse(invocation: &'a Invocation<'a, 'info>) -> Result<Self, ProgramError> {
        let [authority, wallet, session, ..] = invocation.accounts else {
            return Err(ProgramError::NotEnoughAccountKeys);
        };
        Ok(Self {
            invocation,
            program_id: invocation.program_id,
            authority,
            wallet,
            session,
        })
    }

    /// Checks, in order; returns whether the session was already revoked. The session is
    /// read in place (only its head and address matter here).
    fn validate(&self) -> Result<bool, ProgramError> {
        // 1. A Leash wallet and a session of it.
        let mut wallet = load_wallet(self.program_id, self.wallet)?;
        let data = session_data(self.program_id, self.session)?;
        let session = session_view(self.program_id, self.session, &data)?;
        check_writable(self.session, "session must be writable")?;
        if !address_eq(session.wallet(), self.wallet.key()) {
            return Err(LeashError::WalletMismatch.into());
        }
        // 2. Signed by the session's own key, or authorized by the owner.
        let is_own_key =
            self.authority.is_signer() && address_eq(self.authority.key(), session.session_key());
        if !is_own_key {
            if !is_passkey_slot(self.authority) && !self.authority.is_signer() {
                leash_log!("only the owner or the session's own key may revoke it");
                return Err(LeashError::Unauthorized.into());
            }
            authorize_owner(self.invocation, self.wallet, &mut wallet, self.authority)?;
        }
        Ok(session.standing().revoked)
    }
}

pub(super) fn process(invocation: &Invocation) -> ProgramResult {
    let accounts = RevokeSessionAccounts::parse(invocation)?;
    let already = accounts.validate()?;
    if already {
        leash_log!("session was already revoked");
    }
    // In place: the one byte, whichever layout version the session is stored in.
    crate::state::Session::write_revoked(&mut accounts.session.data_mut()?)?;
    LeashEvent::SessionRevoked {
        session: *accounts.session.key(),
        by: *accounts.authority.key(),
    }
    .emit();
    Ok(())
}
