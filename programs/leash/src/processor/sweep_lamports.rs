//! `SweepLamports` (instruction 8): the owner recovers lamports sent by mistake to the wallet
//! account or to its session accounts (program-owned, so nothing else can move them): everything
//! above the rent-exempt minimum goes to a recipient.

use super::{
    authorize_owner, check_session_wallet, check_writable, invalid_account, load_wallet,
    session_data, session_view, Invocation,
};
use crate::{
    error::LeashError,
    leash_log,
    log::{Key, Num},
    platform::{Account, ProgramError, ProgramResult, Pubkey},
};

struct SweepLamportsAccounts<'a, 'info> {
    /// The instruction as the runtime handed it over (a passkey's challenge names it whole).
    invocation: &'a Invocation<'a, 'info>,
    /// The id the runtime invoked the program at: every owner and PDA check uses it.
    program_id: &'a Pubkey,
    owner: &'a Account<'info>,
    wallet: &'a Account<'info>,
    recipient: &'a Account<'info>,
    sessions: &'a [Account<'info>],
}

impl<'a, 'info> SweepLamportsAccounts<'a, 'info> {
    fn parse(invocation: &'a Invocation<'a, 'info>) -> Result<Self, ProgramError> {
        let [owner, wallet, recipient, sessions @ ..] = invocation.accounts else {
            return Err(ProgramError::NotEnoughAccountKeys);
        };
        Ok(Self {
            invocation,
            program_id: invocation.program_id,
            owner,
            wallet,
            recipient,
            sessions,
        })
    }

    /// Checks, in order.
    fn validate(&self) -> ProgramResult {
        // 1. A Leash wallet, and its owner signed.
        let mut wallet = load_wallet(self.program_id, self.wallet)?;
        authorize_owner(self.invocation, self.wallet, &mut wallet, self.owner)?;
        check_writable(self.wallet, "wallet must be writable")?;
        // 2. A writable recipient that is not one of the swept accounts.
        check_writable(self.recipient, "recipient must be writable")?;
        if self.recipient.key() == self.wallet.key()
            || self
                .sessions
                .iter()
                .any(|s| s.key() == self.recipient.key())
        {
            return Err(invalid_account("the recipient cannot be a swept account"));
        }
        // 3. Each listed account is a session of this wallet, listed once.
        for (i, account) in self.sessions.iter().enumerate() {
            let data = session_data(self.program_id, account)?;
            let session = session_view(self.program_id, account, &data)?;
            check_session_wallet(&session, self.wallet.key())?;
            check_writable(account, "session must be writable")?;
            if self.sessions[..i].iter().any(|s| s.key() == account.key()) {
                return Err(invalid_account("a session is listed twice"));
            }
        }
        Ok(())
    }
}

pub(super) fn process(invocation: &Invocation) -> ProgramResult {
    let accounts = SweepLamportsAccounts::parse(invocation)?;
    accounts.validate()?;
    for account in core::iter::once(accounts.wallet).chain(accounts.sessions) {
        sweep(account, accounts.recipient)?;
    }
    Ok(())
}

/// Moves what `account` holds above its rent-exempt minimum to `recipient`.
fn sweep(account: &Account, recipient: &Account) -> ProgramResult {
    let minimum = crate::sysvars::minimum_balance(account.data_len())?;
    let surplus = account.lamports().saturating_sub(minimum);
    if surplus == 0 {
        return Ok(());
    }
    let credited = recipient
        .lamports()
        .checked_add(surplus)
        .ok_or(LeashError::ArithmeticOverflow)?;
    account.set_lamports(minimum)?;
    recipient.set_lamports(credited)?;
    leash_log!(
        "swept ",
        Num(surplus),
        " lamports from ",
        Key(account.key())
    );
    Ok(())
}
