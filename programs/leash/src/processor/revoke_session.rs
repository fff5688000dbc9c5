//! `RevokeSession` (instruction 3): the owner revokes any session; a session key revokes only its
//! own.

use super::{check_session_wallet, check_writable, load_session, load_wallet};
use crate::{
    error::LeashError,
    event::LeashEvent,
    leash_log,
    platform::{Account, ProgramError, ProgramResult, Pubkey},
    state::Session,
};

struct RevokeSessionAccounts<'a, 'info> {
    /// The id the runtime invoked the program at: every owner and PDA check uses it.
    program_id: &'a Pubkey,
    authority: &'a Account<'info>,
    wallet: &'a Account<'info>,
    session: &'a Account<'info>,
}

impl<'a, 'info> RevokeSessionAccounts<'a, 'info> {
    fn parse(program_id: &'a Pubkey, accounts: &'a [Account<'info>]) -> Result<Self, ProgramError> {
        let [authority, wallet, session, ..] = accounts else {
            return Err(ProgramError::NotEnoughAccountKeys);
        };
        Ok(Self {
            program_id,
            authority,
            wallet,
            session,
        })
    }

    /// Checks, in order; returns the session.
    fn validate(&self) -> Result<Session, ProgramError> {
        // 1. A Leash wallet and a session of it.
        let wallet = load_wallet(self.program_id, self.wallet)?;
        let session = load_session(self.program_id, self.session)?;
        check_writable(self.session, "session must be writable")?;
        check_session_wallet(&session, self.wallet.key())?;
        // 2. Signed by the owner or by the session's own key.
        let is_owner = self.authority.key() == wallet.owner.signer_key();
        let is_own_key = *self.authority.key() == session.session_key;
        if !self.authority.is_signer() || !(is_owner || is_own_key) {
            leash_log!("only the owner or the session's own key may revoke it");
            return Err(LeashError::Unauthorized.into());
        }
        Ok(session)
    }
}

pub(super) fn process(program_id: &Pubkey, accounts: &[Account]) -> ProgramResult {
    let accounts = RevokeSessionAccounts::parse(program_id, accounts)?;
    let session = accounts.validate()?;
    if session.revoked {
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
