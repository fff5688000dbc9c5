//! `CreateSession` (instruction 1): registers a session key and its policy under a wallet.

use super::{
    authorize_owner, check_signer, check_system_program, check_writable, create_pda_account,
    invalid_account, load_wallet, Invocation,
};
use crate::{
    event::LeashEvent,
    platform::{address_eq, derive_address, Account, ProgramError, ProgramResult, Pubkey},
    state::{
        PolicyView, SessionFixed, SessionView, Spent, Wallet, MAX_SPEND_LIMITS,
        SESSION_ACCOUNT_TYPE, SESSION_LAYOUT_VERSION, SESSION_SEED,
    },
};

struct CreateSessionAccounts<'a, 'info> {
    /// The instruction as the runtime handed it over (a passkey's challenge names it whole).
    invocation: &'a Invocation<'a, 'info>,
    /// The id the runtime invoked the program at: every owner and PDA check uses it.
    program_id: &'a Pubkey,
    payer: &'a Account<'info>,
    owner: &'a Account<'info>,
    wallet: &'a Account<'info>,
    session: &'a Account<'info>,
    system_program: &'a Account<'info>,
}

impl<'a, 'info> CreateSessionAccounts<'a, 'info> {
    fn parse(invocation: &'a Invocation<'a, 'info>) -> Result<Self, ProgramError> {
        let [payer, owner, wallet, session, system_program, ..] = invocation.accounts else {
            return Err(ProgramError::NotEnoughAccountKeys);
        };
        Ok(Self {
            invocation,
            program_id: invocation.program_id,
            payer,
            owner,
            wallet,
            session,
            system_program,
        })
    }

    /// Checks, in order; returns the wallet.
    fn validate(&self, args: &CreateSessionArgs) -> Result<Wallet, ProgramError> {
        let CreateSessionArgs {
            session_key,
            policy,
            bump,
            ..
        } = args;
        // 1. A Leash wallet, and its owner authorized this.
        let mut wallet = load_wallet(self.program_id, self.wallet)?;
        authorize_owner(self.invocation, self.wallet, &mut wallet, self.owner)?;
        // 2. The payer signs and pays; the System program creates the account.
        check_signer(self.payer)?;
        check_writable(self.payer, "payer must be writable")?;
        check_writable(self.session, "session must be writable")?;
        check_system_program(self.system_program)?;
        // 3. The policy is valid.
        policy.check(self.program_id)?;
        // 4. The session is the PDA of this wallet and key with the given bump: one hash, no
        // search (creating the account signs with these seeds, so the runtime refuses an
        // address that is not a PDA).
        let expected = derive_address(
            &[
                SESSION_SEED,
                self.wallet.key().as_ref(),
                session_key.as_ref(),
            ],
            *bump,
            self.program_id,
        );
        if !expected.is_some_and(|e| address_eq(&e, self.session.key())) {
            return Err(invalid_account(
                "session is not the PDA of this wallet and session key with this bump",
            ));
        }
        Ok(wallet)
    }
}

/// `CreateSession`'s instruction data (in a struct: see `processor::Invocation`).
pub(super) struct CreateSessionArgs<'d> {
    pub session_key: Pubkey,
    /// The policy in the instruction's bytes, which the session stores as they are.
    pub policy: PolicyView<'d>,
    pub bump: u8,
}

pub(super) fn process(invocation: &Invocation, args: CreateSessionArgs<'_>) -> ProgramResult {
    let program_id = invocation.program_id;
    let accounts = CreateSessionAccounts::parse(invocation)?;
    let wallet = accounts.validate(&args)?;
    let CreateSessionArgs {
        session_key,
        policy,
        bump,
    } = args;
    let policy_bytes = policy.bytes();
    let clock = crate::sysvars::clock()?;
    let fixed = SessionFixed {
        account_type: SESSION_ACCOUNT_TYPE,
        version: SESSION_LAYOUT_VERSION,
        bump,
        wallet: *accounts.wallet.key(),
        session_key,
        rent_payer: *accounts.payer.key(),
        created_slot: clock.slot.to_le_bytes(),
        created_at: clock.unix_timestamp.to_le_bytes(),
        epoch: wallet.epoch.to_le_bytes(),
        revoked: 0,
        uses: [0; 8],
        nonce: [0; 8],
    };
    let spent = [Spent::default(); MAX_SPEND_LIMITS];
    let spent = spent
        .get(..policy.limits().len())
        .ok_or(ProgramError::InvalidInstructionData)?;
    let len = SessionView::len_for(policy_bytes.len(), spent.len());
    create_pda_account(
        program_id,
        accounts.payer,
        accounts.session,
        accounts.system_program,
        len,
        &[
            SESSION_SEED,
            accounts.wallet.key().as_ref(),
            session_key.as_ref(),
            &[bump],
        ],
    )?;
    // Written from the instruction's own policy bytes: no session re-encoded.
    SessionView::write_new(
        &mut accounts.session.data_mut()?,
        &fixed,
        policy_bytes,
        spent,
    )
    .ok_or(ProgramError::AccountDataTooSmall)?;
    LeashEvent::SessionCreated {
        wallet: *accounts.wallet.key(),
        session: *accounts.session.key(),
        session_key,
    }
    .emit();
    Ok(())
}
