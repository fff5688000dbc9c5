//! `OwnerExecute` (instruction 7): the owner's full authority over the vault, with no limits.

use super::{authorize_owner, check_vault, load_wallet, vault_seeds, Invocation};
use crate::{
    calls::ValidatedCalls,
    instruction::{CallsView, OWNER_EXECUTE_VAULT_INDEX},
    platform::{Account, ProgramError, ProgramResult, Pubkey},
    state::Wallet,
};

struct OwnerExecuteAccounts<'a, 'info> {
    /// The instruction as the runtime handed it over (a passkey's challenge names it whole).
    invocation: &'a Invocation<'a, 'info>,
    /// The id the runtime invoked the program at: every owner and PDA check uses it.
    program_id: &'a Pubkey,
    owner: &'a Account<'info>,
    wallet: &'a Account<'info>,
    vault: &'a Account<'info>,
    /// The whole account list: calls index into it.
    all: &'a [Account<'info>],
}

impl<'a, 'info> OwnerExecuteAccounts<'a, 'info> {
    fn parse(invocation: &'a Invocation<'a, 'info>) -> Result<Self, ProgramError> {
        let [owner, wallet, vault, ..] = invocation.accounts else {
            return Err(ProgramError::NotEnoughAccountKeys);
        };
        Ok(Self {
            invocation,
            program_id: invocation.program_id,
            owner,
            wallet,
            vault,
            all: invocation.accounts,
        })
    }

    /// Checks, in order; returns the wallet and the resolved calls.
    fn validate(
        &self,
        calls: CallsView<'a>,
    ) -> Result<(Wallet, ValidatedCalls<'a, 'info>), ProgramError> {
        // 1. The wallet and its vault.
        let mut wallet = load_wallet(self.program_id, self.wallet)?;
        check_vault(
            self.program_id,
            self.wallet.key(),
            wallet.vault_bump,
            self.vault,
        )?;
        // 2. Authorized by the owner.
        authorize_owner(self.invocation, self.wallet, &mut wallet, self.owner)?;
        // 3. Calls: any program but Leash itself, accounts resolved.
        let calls = ValidatedCalls::new(
            self.program_id,
            self.all,
            calls,
            OWNER_EXECUTE_VAULT_INDEX,
            None,
        )?;
        Ok((wallet, calls))
    }
}

pub(super) fn process(invocation: &Invocation, calls: CallsView) -> ProgramResult {
    let accounts = OwnerExecuteAccounts::parse(invocation)?;
    let (wallet, calls) = accounts.validate(calls)?;
    let bump = [wallet.vault_bump];
    calls.invoke(&vault_seeds(accounts.wallet.key(), &bump))
}
