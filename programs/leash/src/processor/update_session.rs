//! `UpdateSession` (instruction 5): the owner replaces a session's policy; spent counters carry
//! over for mints that stay, a changed period's window recomputed in the new unit.

use super::{
    authorize_owner, check_signer, check_system_program, check_writable, load_wallet, session_data,
    session_view, top_up_rent, Invocation,
};
use crate::{
    accounting,
    error::LeashError,
    event::LeashEvent,
    leash_log,
    log::Num,
    platform::{address_eq, Account, ProgramError, ProgramResult, Pubkey},
    state::{
        LimitTerms, PolicyView, SessionFixed, SessionView, Spent, MAX_SPEND_LIMITS,
        SESSION_LAYOUT_VERSION,
    },
};

struct UpdateSessionAccounts<'a, 'info> {
    /// The instruction as the runtime handed it over (a passkey's challenge names it whole).
    invocation: &'a Invocation<'a, 'info>,
    /// The id the runtime invoked the program at: every owner and PDA check uses it.
    program_id: &'a Pubkey,
    owner: &'a Account<'info>,
    wallet: &'a Account<'info>,
    session: &'a Account<'info>,
    payer: &'a Account<'info>,
    system_program: &'a Account<'info>,
}

impl<'a, 'info> UpdateSessionAccounts<'a, 'info> {
    fn parse(invocation: &'a Invocation<'a, 'info>) -> Result<Self, ProgramError> {
        let [owner, wallet, session, payer, system_program, ..] = invocation.accounts else {
            return Err(ProgramError::NotEnoughAccountKeys);
        };
        Ok(Self {
            invocation,
            program_id: invocation.program_id,
            owner,
            wallet,
            session,
            payer,
            system_program,
        })
    }

    /// Checks, in order; returns what the rewrite keeps of the session (its own fields, with
    /// the layout version moved to the current one) and its carried-over counters.
    fn validate(&self, args: &UpdateSessionArgs) -> Result<Kept, ProgramError> {
        let UpdateSessionArgs {
            policy,
            expected_uses,
            ..
        } = args;
        // 1. A Leash wallet, and its owner signed.
        let mut wallet = load_wallet(self.program_id, self.wallet)?;
        authorize_owner(self.invocation, self.wallet, &mut wallet, self.owner)?;
        // 2. A session of this wallet, read in place.
        let data = session_data(self.program_id, self.session)?;
        let session = session_view(self.program_id, self.session, &data)?;
        check_writable(self.session, "session must be writable")?;
        if !address_eq(session.wallet(), self.wallet.key()) {
            return Err(LeashError::WalletMismatch.into());
        }
        // 3. The payer signs and pays for a larger account.
        check_signer(self.payer)?;
        check_writable(self.payer, "payer must be writable")?;
        check_system_program(self.system_program)?;
        // 4. Still alive: a revoked session stays revoked.
        if session.standing().is_revoked(wallet.epoch) {
            leash_log!("a revoked session cannot be updated; create a new one");
            return Err(LeashError::SessionRevoked.into());
        }
        // 5. Not used since the owner looked.
        if let Some(expected) = *expected_uses {
            if expected != session.uses() {
                leash_log!(
                    "expected ",
                    Num(expected),
                    " uses, session has ",
                    Num(session.uses())
                );
                return Err(LeashError::NonceMismatch.into());
            }
        }
        // 6. A valid policy.
        policy.check(self.program_id)?;
        // The counters of the limits that stay carry over (docs/program.md, "Time").
        let now = crate::sysvars::clock()?.unix_timestamp;
        let mut spent = [Spent::default(); MAX_SPEND_LIMITS];
        let stored = session.spent();
        for (slot, limit) in spent.iter_mut().zip(policy.limits()) {
            let kept = session
                .limits()
                .into_iter()
                .zip(stored)
                .find(|(old, _)| address_eq(old.mint(), limit.mint()));
            if let Some((old, counter)) = kept {
                *slot =
                    accounting::carry_over(&old, &limit, counter.get(), now, session.created_at());
            }
        }
        let mut fixed = session.head().fixed;
        // Rewritten whole in the current layout: a version-1 session moves to version 2 here.
        fixed.version = SESSION_LAYOUT_VERSION;
        Ok(Kept { fixed, spent })
    }
}

/// What an update keeps of the session it rewrites.
struct Kept {
    fixed: SessionFixed,
    spent: [Spent; MAX_SPEND_LIMITS],
}

/// `UpdateSession`'s instruction data (in a struct: see `processor::Invocation`).
pub(super) struct UpdateSessionArgs<'d> {
    /// The policy in the instruction's bytes, which the session stores as they are.
    pub policy: PolicyView<'d>,
    pub expected_uses: Option<u64>,
}

pub(super) fn process(invocation: &Invocation, args: UpdateSessionArgs<'_>) -> ProgramResult {
    let accounts = UpdateSessionAccounts::parse(invocation)?;
    let Kept { fixed, spent } = accounts.validate(&args)?;
    let spent = spent
        .get(..args.policy.limits().len())
        .ok_or(ProgramError::InvalidInstructionData)?;
    let new_len = SessionView::len_for(args.policy.bytes().len(), spent.len());
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
    // Written from the instruction's own policy bytes: no session re-encoded.
    SessionView::write_new(
        &mut accounts.session.data_mut()?,
        &fixed,
        args.policy.bytes(),
        spent,
    )
    .ok_or(ProgramError::AccountDataTooSmall)?;
    LeashEvent::SessionUpdated {
        session: *accounts.session.key(),
    }
    .emit();
    Ok(())
}
