//! The inner calls of `Execute` and `OwnerExecute`, resolved against the instruction's accounts
//! once (in the manner of Squads v4's `ExecutableTransactionMessage::new_validated`): after
//! [`ValidatedCalls::new`] every index is in range, no call asks for a privilege the outer
//! instruction lacks, only the vault is a signer, and no call targets Leash itself or (for
//! sessions) a program outside the policy.

use crate::list::Vec;

use crate::{
    error::LeashError,
    instruction::Call,
    leash_log,
    log::Key,
    platform::{
        address_eq, invoke_signed, Account, CpiAccount, ProgramError, ProgramResult, Pubkey,
    },
    token_account,
};

/// The discriminator of SPL Token's (p-token's) and Token-2022's `Batch` instruction.
pub const TOKEN_BATCH_DISCRIMINATOR: u8 = 255;

/// How many instructions `calls` carry, as `max_calls_per_tx` counts them (docs/program.md, "The value model"
/// rule 5): one per call, except that a token-program `Batch` counts the instructions inside it.
/// A program index out of range counts one here and is refused by [`ValidatedCalls::new`].
pub fn instruction_count(accounts: &[Account], calls: &[Call]) -> usize {
    calls
        .iter()
        .map(|call| {
            let is_token = accounts
                .get(usize::from(call.program))
                .is_some_and(|p| token_account::is_token_program(p.key()));
            if is_token {
                token_instruction_count(&call.data)
            } else {
                1
            }
        })
        .fold(0usize, usize::saturating_add)
}

/// Instructions in one token-program instruction's data: 1, or for a `Batch`, each entry
/// `[account_count: u8, data_len: u8, data]` after the discriminator (nested batches counted
/// through; a truncated entry counts one, as the token program would fail on it anyway).
pub fn token_instruction_count(data: &[u8]) -> usize {
    let Some((&TOKEN_BATCH_DISCRIMINATOR, mut rest)) = data.split_first() else {
        return 1;
    };
    let mut count = 0usize;
    while let &[_accounts, len, ..] = rest {
        let end = 2usize.saturating_add(usize::from(len));
        let inner = rest.get(2..end).unwrap_or(rest.get(2..).unwrap_or(&[]));
        count = count.saturating_add(token_instruction_count(inner));
        rest = rest.get(end..).unwrap_or(&[]);
    }
    if !rest.is_empty() {
        count = count.saturating_add(1);
    }
    count.max(1)
}

/// One call, its program and accounts resolved.
pub struct ValidatedCall<'a, 'info> {
    program: &'a Account<'info>,
    accounts: Vec<CpiAccount<'a, 'info>>,
    data: &'a [u8],
}

/// Calls whose programs and accounts have been checked against the outer instruction.
pub struct ValidatedCalls<'a, 'info> {
    calls: Vec<ValidatedCall<'a, 'info>>,
}

impl<'a, 'info> ValidatedCalls<'a, 'info> {
    /// Resolves `calls` against `accounts`. Checks, in order: every call's program exists
    /// (`InvalidAccount`), is not Leash and, when `allowed` is given, is in it
    /// (`ProgramNotAllowed`); then every call account exists, is writable only if the outer
    /// account is, and is a signer only if it is the vault (`InvalidAccount`).
    #[inline(always)] // more than five arguments (see `processor::Invocation`)
    pub fn new(
        program_id: &Pubkey,
        accounts: &'a [Account<'info>],
        calls: &'a [Call],
        vault_index: u8,
        allowed: Option<&[Pubkey]>,
    ) -> Result<Self, ProgramError> {
        let mut programs = Vec::with_capacity(calls.len());
        for call in calls {
            let program = accounts
                .get(usize::from(call.program))
                .ok_or_else(|| invalid("call program index out of range"))?;
            let permitted =
                allowed.is_none_or(|allowed| allowed.iter().any(|a| address_eq(a, program.key())));
            if address_eq(program.key(), program_id) || !permitted {
                leash_log!("program {} is not allowed", Key(program.key()));
                return Err(LeashError::ProgramNotAllowed.into());
            }
            programs.push(program);
        }
        let mut validated = Vec::with_capacity(calls.len());
        for (call, &program) in calls.iter().zip(programs.iter()) {
            let mut resolved = Vec::with_capacity(call.accounts.len());
            for account in &call.accounts {
                let outer = accounts
                    .get(usize::from(account.index))
                    .ok_or_else(|| invalid("call account index out of range"))?;
                if account.writable && !outer.is_writable() {
                    return Err(invalid("call marks a read-only account writable"));
                }
                if account.signer && account.index != vault_index {
                    return Err(invalid("only the vault may sign inner calls"));
                }
                resolved.push(CpiAccount {
                    account: outer,
                    is_writable: account.writable,
                    is_signer: account.signer,
                });
            }
            validated.push(ValidatedCall {
                program,
                accounts: resolved,
                data: &call.data,
            });
        }
        Ok(ValidatedCalls { calls: validated })
    }

    /// Invokes every call in order with the vault as PDA signer.
    pub fn invoke(&self, vault_seeds: &[&[u8]]) -> ProgramResult {
        for call in &self.calls {
            invoke_signed(call.program, &call.accounts, call.data, &[vault_seeds])?;
        }
        Ok(())
    }
}

fn invalid(what: &str) -> ProgramError {
    leash_log!("wrong or unexpected account: {what}");
    LeashError::InvalidAccount.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(entries: &[&[u8]]) -> Vec<u8> {
        let mut data = vec![TOKEN_BATCH_DISCRIMINATOR];
        for entry in entries {
            data.push(3);
            data.push(entry.len() as u8);
            data.extend_from_slice(entry);
        }
        data
    }

    #[test]
    fn counts_batched_instructions() {
        assert_eq!(token_instruction_count(&[3, 1, 0, 0, 0, 0, 0, 0, 0]), 1);
        assert_eq!(token_instruction_count(&[]), 1);
        let transfer = [3u8, 10, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(token_instruction_count(&batch(&[&transfer])), 1);
        assert_eq!(
            token_instruction_count(&batch(&[&transfer, &transfer, &transfer])),
            3
        );
        // Nested batches count what they carry; a truncated entry counts one more.
        let inner = batch(&[&transfer, &transfer]);
        assert_eq!(token_instruction_count(&batch(&[&inner, &transfer])), 3);
        let mut truncated = batch(&[&transfer]);
        truncated.push(2);
        assert_eq!(token_instruction_count(&truncated), 2);
        // A length past the end still counts.
        assert_eq!(token_instruction_count(&[255, 2, 200, 3]), 1);
        assert_eq!(token_instruction_count(&[255]), 1);
    }
}
