//! `RevokeSession` (instruction 3): the owner revokes any session; a session key revokes only its
//! own.

use super::{check_writable, load_wallet, session_data, session_view};
use crate::{
    error::LeashError,
    event::LeashEvent,
    leash_log,
    platform::{address_eq, Account, ProgramError, ProgramResult, Pubkey},
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

    /// Checks, in order; returns whether the session was already revoked. The session is
    /// read in place (only its head and address matter here).
    fn validate(&self) -> Result<bool, ProgramError> {
        // 1. A Leash wallet and a session of it.
        let wallet = load_wallet(self.program_id, self.wallet)?;
        let data = session_data(self.program_id, self.session)?;
        let session = session_view(self.program_id, self.session, &data)?;
        check_writable(self.session, "session must be writable")?;
        if !address_eq(session.wallet(), self.wallet.key()) {
            return Err(LeashError::WalletMismatch.into());
        }
        // 2. Signed by the owner or by the session's own key.
        let is_owner = address_eq(self.authority.key(), wallet.owner.signer_key());
        let is_own_key = address_eq(self.authority.key(), session.session_key());
        if !self.authority.is_signer() || !(is_owner || is_own_key) {
            leash_log!("only the owner or the session's own key may revoke it");
            return Err(LeashError::Unauthorized.into());
        }
        Ok(session.standing().revoked)
    }
}

pub(super) fn process(program_id: &Pubkey, accounts: &[Account]) -> ProgramResult {
    let accounts = RevokeSessionAccounts::parse(program_id, accounts)?;
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
