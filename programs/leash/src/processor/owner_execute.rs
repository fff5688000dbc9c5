//! `OwnerExecute` (instruction 7): the owner's full authority over the vault, with no limits.

use super::{check_owner, check_vault, load_wallet, vault_seeds};
use crate::{
    calls::ValidatedCalls,
    instruction::{CallsView, OWNER_EXECUTE_VAULT_INDEX},
    platform::{Account, ProgramError, ProgramResult, Pubkey},
    state::Wallet,
};

struct OwnerExecuteAccounts<'a, 'info> {
    /// The id the runtime invoked the program at: every owner and PDA check uses it.
    program_id: &'a Pubkey,
    owner: &'a Account<'info>,
    wallet: &'a Account<'info>,
    vault: &'a Account<'info>,
    /// The whole account list: calls index into it.
    all: &'a [Account<'info>],
}

impl<'a, 'info> OwnerExecuteAccounts<'a, 'info> {
    fn parse(program_id: &'a Pubkey, accounts: &'a [Account<'info>]) -> Result<Self, ProgramError> {
        let [owner, wallet, vault, ..] = accounts else {
            return Err(ProgramError::NotEnoughAccountKeys);
        };
        Ok(Self {
            program_id,
            owner,
            wallet,
            vault,
            all: accounts,
        })
    }

    /// Checks, in order; returns the wallet and the resolved calls.
    fn validate(
        &self,
        calls: CallsView<'a>,
    ) -> Result<(Wallet, ValidatedCalls<'a, 'info>), ProgramError> {
        // 1. The wallet and its vault.
        let wallet = load_wallet(self.program_id, self.wallet)?;
        check_vault(self.program_id, self.wallet.key(), &wallet, self.vault)?;
        // 2. Signed by the owner.
        check_owner(&wallet, self.owner)?;
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

pub(super) fn process(
    program_id: &Pubkey,
    accounts: &[Account],
    calls: CallsView,
) -> ProgramResult {
    let accounts = OwnerExecuteAccounts::parse(program_id, accounts)?;
    let (wallet, calls) = accounts.validate(calls)?;
    let bump = [wallet.vault_bump];
    calls.invoke(&vault_seeds(accounts.wallet.key(), &bump))
}
