//! `Execute` (instruction 2): a session key acts through the vault, within its policy.
//!
//! The checks run in the order docs/program.md ("Instructions") fixes; then the calls run with the vault as PDA
//! signer between two snapshots, and the outcome is judged by the value model (§3.6):
//! authorities the vault held must stay, and what left everything the vault controls is charged
//! against the policy's limits.

use super::{
    check_session_owner, check_vault, check_writable, session_view_inlined, vault_seeds,
    wallet_vault_bump_and_epoch,
};
use crate::{
    accounting::{self, Capture, VaultKeys},
    calls::{self, ValidatedCalls},
    error::LeashError,
    event::LeashEvent,
    instruction::{CallsView, EXECUTE_DISCRIMINATOR, EXECUTE_VAULT_INDEX},
    leash_log,
    log::Num,
    platform::{
        address_eq, processed_sibling_counts, processed_sibling_instruction, stack_height, Account,
        ProgramError, ProgramResult, Pubkey, TRANSACTION_LEVEL_STACK_HEIGHT,
    },
    state::{LimitTerms, SessionView, Spent, MAX_SPEND_LIMITS},
};

/// Index of the session account in `Execute`'s account list.
const SESSION_INDEX: usize = 2;

struct ExecuteAccounts<'a, 'info> {
    /// The id the runtime invoked the program at: every owner and PDA check uses it.
    program_id: &'a Pubkey,
    session_key: &'a Account<'info>,
    wallet: &'a Account<'info>,
    session: &'a Account<'info>,
    vault: &'a Account<'info>,
    /// The whole account list: calls index into it (the fixed accounts included).
    all: &'a [Account<'info>],
}

/// What the checks established.
struct Validated<'a, 'info> {
    vault_bump: u8,
    clock: crate::sysvars::Clock,
    /// The session, read once and kept across the calls: its bytes cannot change meanwhile
    /// (only this program writes it, and no call may invoke this program).
    session: SessionView<'a>,
    calls: ValidatedCalls<'a, 'info>,
}

impl<'a, 'info> ExecuteAccounts<'a, 'info> {
    fn parse(program_id: &'a Pubkey, accounts: &'a [Account<'info>]) -> Result<Self, ProgramError> {
        let [session_key, wallet, session, vault, ..] = accounts else {
            return Err(ProgramError::NotEnoughAccountKeys);
        };
        Ok(Self {
            program_id,
            session_key,
            wallet,
            session,
            vault,
            all: accounts,
        })
    }

    /// The checks of docs/program.md, "Instructions", in order, each with its own error.
    fn validate(
        &self,
        args: &ExecuteArgs<'a>,
        session_copy: &'a mut crate::list::Vec<u8>,
    ) -> Result<Validated<'a, 'info>, ProgramError> {
        let ExecuteArgs {
            expected_nonce,
            calls,
        } = *args;
        // 1. The wallet, and the vault is its vault.
        let (vault_bump, epoch) = wallet_vault_bump_and_epoch(self.program_id, self.wallet)?;
        check_vault(self.program_id, self.wallet.key(), vault_bump, self.vault)?;
        // 2. A registered session, read in place.
        check_session_owner(self.program_id, self.session)?;
        let data = self.session.data_across_calls(session_copy)?;
        let session = session_view_inlined(self.program_id, self.session, data)?;
        check_writable(self.session, "session must be writable")?;
        // 3. Of this wallet.
        if !address_eq(session.wallet(), self.wallet.key()) {
            return Err(LeashError::WalletMismatch.into());
        }
        // 4. Signed by its key.
        if !self.session_key.is_signer()
            || !address_eq(self.session_key.key(), session.session_key())
        {
            return Err(LeashError::SessionKeyMismatch.into());
        }
        // 5–8. Not revoked (alone or by epoch), active, not expired (by time or slot), uses
        // left: one `SessionStatus`, the same one clients show, so they cannot disagree.
        let clock = crate::sysvars::clock()?;
        if let Some(refusal) = session
            .standing()
            .status(epoch, clock.unix_timestamp, clock.slot)
            .refusal()
        {
            return Err(refusal.into());
        }
        // 9. Replay and ordering.
        if let Some(expected) = expected_nonce {
            if expected != session.nonce() {
                leash_log!(
                    "expected nonce ",
                    Num(expected),
                    ", session nonce is ",
                    Num(session.nonce())
                );
                return Err(LeashError::NonceMismatch.into());
            }
        }
        // 10. Instructions per transaction: a token Batch counts what it carries; one Execute
        // per session per transaction, top-level only, so per-transaction bounds cannot be
        // multiplied.
        let count = calls::instruction_count(self.all, calls);
        let most = session.max_calls_per_tx();
        if calls.is_empty() || count > usize::from(most) {
            leash_log!(
                Num(count as u64),
                " instructions in ",
                Num(calls.len() as u64),
                " calls; the policy allows ",
                Num(u64::from(most))
            );
            return Err(LeashError::TooManyCalls.into());
        }
        check_single_execute(self.program_id, self.session.key())?;
        // 11. Programs allowed, their instruction rules kept, and the calls' accounts resolved.
        let calls = ValidatedCalls::new(
            self.program_id,
            self.all,
            calls,
            EXECUTE_VAULT_INDEX,
            Some(&session),
        )?;
        Ok(Validated {
            vault_bump,
            clock,
            session,
            calls,
        })
    }
}

/// `Execute`'s instruction data (in a struct: see `processor::Invocation`).
pub(super) struct ExecuteArgs<'a> {
    pub expected_nonce: Option<u64>,
    pub calls: CallsView<'a>,
}

pub(super) fn process(
    program_id: &Pubkey,
    accounts: &[Account],
    args: &ExecuteArgs,
) -> ProgramResult {
    let accounts = ExecuteAccounts::parse(program_id, accounts)?;
    let mut session_copy = crate::list::Vec::new();
    let Validated {
        vault_bump,
        clock,
        session,
        calls,
    } = accounts.validate(args, &mut session_copy)?;

    let vault = accounts.vault.key();
    let mut copies = crate::list::Vec::new();
    let capture = Capture::before(accounts.all, &mut copies, calls.targets())?;
    let bump = [vault_bump];
    calls.invoke(&vault_seeds(accounts.wallet.key(), &bump))?;

    // This instruction's copy of the counters, outside the block so it is not moved out of it
    // (192 bytes: ~50 CU).
    let mut spent = [Spent::default(); MAX_SPEND_LIMITS];
    let (usage, spent_at, counted, outflows) = {
        let limits = session.limits();
        // Where only balances moved, the outflows are netted directly (docs/program.md,
        // "Compute units"); anything else goes through every rule.
        let recipients = limits.lists_recipients().then_some(limits);
        let outflows = match capture.balance_outflows(vault, recipients) {
            Some(outflows) => outflows,
            None => judge(&capture, vault, limits)?,
        };
        let stored = session.spent();
        for (slot, value) in spent.iter_mut().zip(stored) {
            *slot = value.get();
        }
        let counted = stored.len().min(MAX_SPEND_LIMITS);
        // `spent` is this instruction's copy: a refusal fails the transaction.
        accounting::charge(
            limits,
            spent.get_mut(..counted).unwrap_or_default(),
            &outflows,
            clock.unix_timestamp,
            session.created_at(),
        )
        .map_err(|v| {
            v.log();
            ProgramError::from(v.error)
        })?;
        let uses = session
            .uses()
            .checked_add(1)
            .ok_or(LeashError::ArithmeticOverflow)?;
        let nonce = session
            .nonce()
            .checked_add(1)
            .ok_or(LeashError::ArithmeticOverflow)?;
        ((uses, nonce), session.spent_at(), counted, outflows)
    };
    SessionView::write_usage(
        &mut accounts.session.data_mut()?,
        spent_at,
        usage,
        spent.get(..counted).unwrap_or_default(),
    )
    .ok_or(ProgramError::AccountDataTooSmall)?;
    LeashEvent::emit_session_used(accounts.session.key(), usage.0, usage.1, &outflows);
    Ok(())
}

/// The value model's rules over the outcome of the calls: authorities kept, recipients allowed,
/// and what left everything the vault controls.
fn judge<'a, L: LimitTerms>(
    capture: &Capture<'a, '_>,
    vault: &Pubkey,
    limits: impl IntoIterator<Item = L> + Copy,
) -> Result<crate::list::Vec<(Pubkey, u64)>, ProgramError> {
    let (before, after) = capture.pair(vault)?;
    // Judged before the calls: multisigs listing the vault count as the vault.
    let keys = VaultKeys::new(vault, &before);
    accounting::check_authorities(&keys, &before, &after)?;
    accounting::check_recipients(limits, &keys, &before, &after).map_err(|v| {
        let listed = limits.into_iter().find(|l| address_eq(l.mint(), &v.mint));
        v.log(listed.as_ref().map(|l| l.recipients()).unwrap_or_default());
        ProgramError::from(LeashError::RecipientNotAllowed)
    })?;
    Ok(accounting::outflows(&keys, &before, &after))
}

/// Refuses an `Execute` that is not a top-level instruction, or that follows another `Execute`
/// of the same session in the same transaction.
fn check_single_execute(program_id: &Pubkey, session: &Pubkey) -> ProgramResult {
    if stack_height() != TRANSACTION_LEVEL_STACK_HEIGHT {
        leash_log!("Execute must be a top-level instruction");
        return Err(LeashError::TooManyCalls.into());
    }
    let mut index = 0;
    // Each sibling's counts first (one syscall): only one with the accounts and data of an
    // `Execute` is read whole (a compute-budget instruction has no accounts).
    while let Some(counts) = processed_sibling_counts(index) {
        let may_be_execute = counts.data > 0 && counts.accounts > SESSION_INDEX as u64;
        let sibling = may_be_execute
            .then(|| processed_sibling_instruction(index))
            .flatten();
        if let Some(sibling) = sibling {
            let is_execute = address_eq(&sibling.program_id, program_id)
                && sibling.data.first() == Some(&EXECUTE_DISCRIMINATOR);
            if is_execute && sibling.accounts.get(SESSION_INDEX) == Some(session) {
                leash_log!("only one Execute per session per transaction");
                return Err(LeashError::TooManyCalls.into());
            }
        }
        index = index.saturating_add(1);
    }
    Ok(())
}
