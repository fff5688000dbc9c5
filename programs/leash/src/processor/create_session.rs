//! `CreateSession` (instruction 1): registers a session key and its policy under a wallet.

use super::{
    check_owner, check_signer, check_system_program, check_writable, create_pda_account,
    invalid_account, load_wallet, write_session,
};
use crate::{
    event::LeashEvent,
    platform::{Account, ProgramError, ProgramResult, Pubkey},
    state::{
        session_address, Policy, Session, Spent, Wallet, SESSION_ACCOUNT_TYPE,
        SESSION_LAYOUT_VERSION, SESSION_SEED,
    },
};

struct CreateSessionAccounts<'a, 'info> {
    /// The id the runtime invoked the program at: every owner and PDA check uses it.
    program_id: &'a Pubkey,
    payer: &'a Account<'info>,
    owner: &'a Account<'info>,
    wallet: &'a Account<'info>,
    session: &'a Account<'info>,
    system_program: &'a Account<'info>,
}

impl<'a, 'info> CreateSessionAccounts<'a, 'info> {
    fn parse(program_id: &'a Pubkey, accounts: &'a [Account<'info>]) -> Result<Self, ProgramError> {
        let [payer, owner, wallet, session, system_program, ..] = accounts else {
            return Err(ProgramError::NotEnoughAccountKeys);
        };
        Ok(Self {
            program_id,
            payer,
            owner,
            wallet,
            session,
            system_program,
        })
    }

    /// Checks, in order; returns the wallet and the session's bump.
    fn validate(
        &self,
        session_key: &Pubkey,
        policy: &Policy,
    ) -> Result<(Wallet, u8), ProgramError> {
        // 1. A Leash wallet, and its owner signed.
        let wallet = load_wallet(self.program_id, self.wallet)?;
        check_owner(&wallet, self.owner)?;
        // 2. The payer signs and pays; the System program creates the account.
        check_signer(self.payer)?;
        check_writable(self.payer, "payer must be writable")?;
        check_writable(self.session, "session must be writable")?;
        check_system_program(self.system_program)?;
        // 3. The policy is valid.
        policy.check(self.program_id)?;
        // 4. The session is the PDA of this wallet and key.
        let (expected, bump) = session_address(self.wallet.key(), session_key, self.program_id);
        if expected != *self.session.key() {
            return Err(invalid_account(
                "session is not the PDA of this wallet and session key",
            ));
        }
        Ok((wallet, bump))
    }
}

pub(super) fn process(
    program_id: &Pubkey,
    accounts: &[Account],
    session_key: Pubkey,
    policy: Policy,
) -> ProgramResult {
    let accounts = CreateSessionAccounts::parse(program_id, accounts)?;
    let (wallet, bump) = accounts.validate(&session_key, &policy)?;
    let clock = crate::sysvars::clock()?;
    let session = Session {
        account_type: SESSION_ACCOUNT_TYPE,
        version: SESSION_LAYOUT_VERSION,
        bump,
        wallet: *accounts.wallet.key(),
        session_key,
        rent_payer: *accounts.payer.key(),
        created_slot: clock.slot,
        created_at: clock.unix_timestamp,
        epoch: wallet.epoch,
        revoked: false,
        uses: 0,
        nonce: 0,
        spent: crate::list![Spent::default(); policy.limits.len()],
        policy,
    };
    create_pda_account(
        program_id,
        accounts.payer,
        accounts.session,
        accounts.system_program,
        session.encoded_len(),
        &[
            SESSION_SEED,
            accounts.wallet.key().as_ref(),
            session_key.as_ref(),
            &[bump],
        ],
    )?;
    write_session(accounts.session, &session)?;
    LeashEvent::SessionCreated {
        wallet: *accounts.wallet.key(),
        session: *accounts.session.key(),
        session_key,
    }
    .emit();
    Ok(())
}
