//! `UpdateSession` (instruction 5): the owner replaces a session's policy; spent counters carry
//! over for mints that stay, a changed period's window recomputed in the new unit.

use super::{
    check_owner, check_session_wallet, check_signer, check_system_program, check_writable,
    load_session, load_wallet, top_up_rent, write_session,
};
use crate::{
    accounting,
    error::LeashError,
    event::LeashEvent,
    leash_log,
    log::Num,
    platform::{Account, ProgramError, ProgramResult, Pubkey},
    state::{Policy, Session},
};

struct UpdateSessionAccounts<'a, 'info> {
    /// The id the runtime invoked the program at: every owner and PDA check uses it.
    program_id: &'a Pubkey,
    owner: &'a Account<'info>,
    wallet: &'a Account<'info>,
    session: &'a Account<'info>,
    payer: &'a Account<'info>,
    system_program: &'a Account<'info>,
}

impl<'a, 'info> UpdateSessionAccounts<'a, 'info> {
    fn parse(program_id: &'a Pubkey, accounts: &'a [Account<'info>]) -> Result<Self, ProgramError> {
        let [owner, wallet, session, payer, system_program, ..] = accounts else {
            return Err(ProgramError::NotEnoughAccountKeys);
        };
        Ok(Self {
            program_id,
            owner,
            wallet,
            session,
            payer,
            system_program,
        })
    }

    /// Checks, in order; returns the session.
    fn validate(
        &self,
        policy: &Policy,
        expected_uses: Option<u64>,
    ) -> Result<Session, ProgramError> {
        // 1. A Leash wallet, and its owner signed.
        let wallet = load_wallet(self.program_id, self.wallet)?;
        check_owner(&wallet, self.owner)?;
        // 2. A session of this wallet.
        let session = load_session(self.program_id, self.session)?;
        check_writable(self.session, "session must be writable")?;
        check_session_wallet(&session, self.wallet.key())?;
        // 3. The payer signs and pays for a larger account.
        check_signer(self.payer)?;
        check_writable(self.payer, "payer must be writable")?;
        check_system_program(self.system_program)?;
        // 4. Still alive: a revoked session stays revoked.
        if session.is_revoked(&wallet) {
            leash_log!("a revoked session cannot be updated; create a new one");
            return Err(LeashError::SessionRevoked.into());
        }
        // 5. Not used since the owner looked.
        if let Some(expected) = expected_uses {
            if expected != session.uses {
                leash_log!(
                    "expected {} uses, session has {}",
                    Num(expected),
                    Num(session.uses)
                );
                return Err(LeashError::NonceMismatch.into());
            }
        }
        // 6. A valid policy.
        policy.check(self.program_id)?;
        Ok(session)
    }
}

pub(super) fn process(
    program_id: &Pubkey,
    accounts: &[Account],
    policy: Policy,
    expected_uses: Option<u64>,
) -> ProgramResult {
    let accounts = UpdateSessionAccounts::parse(program_id, accounts)?;
    let mut session = accounts.validate(&policy, expected_uses)?;
    let now = crate::sysvars::clock()?.unix_timestamp;
    session.spent = policy
        .limits
        .iter()
        .map(|limit| {
            session
                .policy
                .limit_for(&limit.mint)
                .and_then(|(i, old)| {
                    let spent = *session.spent.get(i)?;
                    Some(accounting::carry_over(
                        old,
                        limit,
                        spent,
                        now,
                        session.created_at,
                    ))
                })
                .unwrap_or_default()
        })
        .collect();
    session.policy = policy;
    // Rewritten whole in the current layout: a version-1 session moves to version 2 here.
    session.version = crate::state::SESSION_LAYOUT_VERSION;

    let new_len = session.encoded_len();
    let required = crate::sysvars::minimum_balance(new_len)?;
    top_up_rent(
        accounts.payer,
        accounts.session,
        accounts.system_program,
        required,
    )?;
    // A shrinking session keeps its surplus lamports; they return to rent_payer on close (or
    // to the owner through SweepLamports).
    accounts.session.resize(new_len)?;
    write_session(accounts.session, &session)?;
    LeashEvent::SessionUpdated {
        session: *accounts.session.key(),
    }
    .emit();
    Ok(())
}
