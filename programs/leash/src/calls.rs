//! The inner calls of `Execute` and `OwnerExecute`, resolved against the instruction's accounts
//! once (in the manner of Squads v4's `ExecutableTransactionMessage::new_validated`): after
//! [`ValidatedCalls::new`] every index is in range, no call asks for a privilege the outer
//! instruction lacks, only the vault is a signer, and no call targets Leash itself or (for
//! sessions) a program outside the policy.

use crate::list::Vec;

use crate::{
    error::LeashError,
    instruction::CallsView,
    leash_log,
    log::{Hex, Key, Line, Piece},
    platform::{
        address_eq, invoke_signed_iter, Account, CpiAccount, ProgramError, ProgramResult, Pubkey,
    },
    state::{InstructionRule, SessionView, MAX_PREFIX_LEN},
    token_account,
};

/// How many instructions `calls` carry, as `max_calls_per_tx` counts them (docs/program.md, "The value model"
/// rule 5): one per call, except that a token-program `Batch` counts the instructions inside it.
/// A program index out of range counts one here and is refused by [`ValidatedCalls::new`].
pub fn instruction_count(accounts: &[Account], calls: CallsView) -> usize {
    if !calls.may_batch() {
        // No call can be a `Batch`: each is one instruction.
        return calls.len();
    }
    calls
        .iter()
        .map(|call| {
            let is_token = accounts
                .get(usize::from(call.program))
                .is_some_and(|p| token_account::is_token_program(p.key()));
            if is_token {
                token_instruction_count(call.data)
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
    let Some((&token_account::TOKEN_BATCH_DISCRIMINATOR, mut rest)) = data.split_first() else {
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

/// The first instruction in `data`, a first-hop call to a program with `rule`, that the rule does
/// not allow; `None` when every one is allowed. A token program's `Batch` is judged by the
/// instructions inside it (nested batches through), never by its own discriminator, as
/// `max_calls_per_tx` counts them; a truncated entry is judged as the bytes that are there.
pub fn disallowed_instruction<'d>(
    rule: &impl InstructionRule,
    is_token: bool,
    data: &'d [u8],
) -> Option<&'d [u8]> {
    if !is_token {
        return (!rule.allows(data)).then_some(data);
    }
    let Some((&token_account::TOKEN_BATCH_DISCRIMINATOR, mut rest)) = data.split_first() else {
        return (!rule.allows(data)).then_some(data);
    };
    while let &[_accounts, len, ..] = rest {
        let end = 2usize.saturating_add(usize::from(len));
        let inner = rest.get(2..end).unwrap_or(rest.get(2..).unwrap_or(&[]));
        if let Some(refused) = disallowed_instruction(rule, true, inner) {
            return Some(refused);
        }
        rest = rest.get(end..).unwrap_or(&[]);
    }
    (!rest.is_empty() || data.len() == 1).then_some(rest)
}

/// A first-hop call the policy's instruction rules refuse (`InstructionNotAllowed`, 6021),
/// with what the program logs and clients read back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstructionViolation {
    pub program: Pubkey,
    /// The refused instruction's first bytes (at most [`MAX_PREFIX_LEN`]).
    pub data: Vec<u8>,
}

impl InstructionViolation {
    /// Logs the refusal as one line, `InstructionNotAllowed: program <p> data <hex>`, then one
    /// `allowed prefix <hex>` line per prefix the rule lists; [`InstructionViolation::from_log`]
    /// and [`InstructionViolation::allowed_in_log`] read them back.
    pub fn log(&self, rule: &impl InstructionRule) {
        leash_log!(self);
        for prefix in rule.prefixes() {
            leash_log!(ALLOWED_PREFIX, Hex(prefix));
        }
    }

    /// The prefixes a refusal's `allowed prefix` lines name.
    #[cfg(not(target_arch = "bpf"))]
    pub fn allowed_in_log(logs: &[String]) -> Vec<Vec<u8>> {
        logs.iter()
            .filter_map(|line| {
                let line = line.strip_prefix("Program log: ").unwrap_or(line);
                parse_hex(line.strip_prefix(ALLOWED_PREFIX)?.trim())
            })
            .collect()
    }

    /// The violation a log line (with or without `Program log: `) states, if it is one.
    #[cfg(not(target_arch = "bpf"))]
    pub fn from_log(line: &str) -> Option<InstructionViolation> {
        let line = line.strip_prefix("Program log: ").unwrap_or(line);
        let rest = line.strip_prefix("InstructionNotAllowed: program ")?;
        let (program, hex) = rest.split_once(" data ")?;
        Some(InstructionViolation {
            program: program.parse().ok()?,
            data: parse_hex(hex.trim())?,
        })
    }
}

/// The start of the lines naming a refused program's allowed prefixes.
const ALLOWED_PREFIX: &str = "allowed prefix ";

/// Lower-case or upper-case hex of at most [`MAX_PREFIX_LEN`] bytes (an instruction prefix as
/// logs and policy files write it).
#[cfg(not(target_arch = "bpf"))]
pub fn parse_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) || hex.len() > MAX_PREFIX_LEN.saturating_mul(2) {
        return None;
    }
    hex.as_bytes()
        .chunks(2)
        .map(|pair| u8::from_str_radix(core::str::from_utf8(pair).ok()?, 16).ok())
        .collect()
}

impl Piece for InstructionViolation {
    fn put(&self, line: &mut Line) {
        line.push_str("InstructionNotAllowed: program ");
        Key(&self.program).put(line);
        line.push_str(" data ");
        Hex(&self.data).put(line);
    }
}

#[cfg(not(target_arch = "bpf"))]
impl core::fmt::Display for InstructionViolation {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        crate::log::piece_fmt(self, f)
    }
}

/// Calls whose programs and accounts have been checked against the outer instruction.
pub struct ValidatedCalls<'a, 'info> {
    accounts: &'a [Account<'info>],
    calls: CallsView<'a>,
    /// Found while the calls' accounts are checked (one pass over them, not two).
    targets: CallTargets,
}

/// The positions of the outer account list that some call passes writable, and the vault's.
/// Only those accounts can change during the calls: a callee reaches no account its
/// instruction does not list, nor any nested call, and the runtime refuses a write to an
/// account passed read-only (docs/program.md, "Compute units").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CallTargets {
    positions: [u64; 4],
    /// Every writable account's position, whether a call names it or not.
    every_writable: bool,
}

impl CallTargets {
    /// Every writable position of `accounts` (a call can pass only those writable).
    pub fn every_writable(accounts: &[Account]) -> CallTargets {
        let mut targets = CallTargets {
            every_writable: true,
            ..CallTargets::default()
        };
        for (position, account) in accounts.iter().enumerate() {
            if let (true, Ok(position)) = (account.is_writable(), u8::try_from(position)) {
                targets.insert(position);
            }
        }
        targets
    }

    pub fn is_every_writable(&self) -> bool {
        self.every_writable
    }

    fn insert(&mut self, position: u8) {
        self.positions[usize::from(position >> 6)] |= 1 << (position & 63);
    }

    pub fn contains(&self, position: usize) -> bool {
        // Every position a call can name is a u8.
        let Ok(position) = u8::try_from(position) else {
            return false;
        };
        self.positions[usize::from(position >> 6)] & (1 << (position & 63)) != 0
    }
}

impl<'a, 'info> ValidatedCalls<'a, 'info> {
    /// Checks `calls` against `accounts`, call by call, in order: its program exists
    /// (`InvalidAccount`), is not Leash and, when a session's `policy` is given, is in its
    /// `allowed_programs` (`ProgramNotAllowed`) and, if it has an instruction rule, calls an
    /// instruction the rule lists (`InstructionNotAllowed`); then each of its accounts exists,
    /// is writable only if the outer account is, and is a signer only if it is the vault
    /// (`InvalidAccount`). One pass: each call is decoded once here. Nothing is copied:
    /// [`ValidatedCalls::invoke`] resolves the indices again, which these checks made safe.
    #[inline(always)] // more than five arguments (see `processor::Invocation`)
    pub fn new(
        program_id: &Pubkey,
        accounts: &'a [Account<'info>],
        calls: CallsView<'a>,
        vault_index: u8,
        policy: Option<&SessionView>,
    ) -> Result<Self, ProgramError> {
        let mut targets = CallTargets::default();
        targets.insert(vault_index);
        for call in calls.iter() {
            let program = accounts
                .get(usize::from(call.program))
                .ok_or_else(|| invalid("call program index out of range"))?;
            let permitted = policy.is_none_or(|policy| {
                policy
                    .allowed_programs()
                    .iter()
                    .any(|a| address_eq(a, program.key()))
            });
            if address_eq(program.key(), program_id) || !permitted {
                leash_log!("program ", Key(program.key()), " is not allowed");
                return Err(LeashError::ProgramNotAllowed.into());
            }
            if let Some(rule) = policy.and_then(|p| p.rule_for(program.key())) {
                let is_token = token_account::is_token_program(program.key());
                if let Some(refused) = disallowed_instruction(&rule, is_token, call.data) {
                    let mut data = Vec::new();
                    data.extend_from_slice(refused.get(..MAX_PREFIX_LEN).unwrap_or(refused));
                    InstructionViolation {
                        program: *program.key(),
                        data,
                    }
                    .log(&rule);
                    return Err(LeashError::InstructionNotAllowed.into());
                }
            }
            for account in call.accounts {
                let outer = accounts
                    .get(usize::from(account.index))
                    .ok_or_else(|| invalid("call account index out of range"))?;
                if account.writable() {
                    if !outer.is_writable() {
                        return Err(invalid("call marks a read-only account writable"));
                    }
                    targets.insert(account.index);
                }
                if account.signer() && account.index != vault_index {
                    return Err(invalid("only the vault may sign inner calls"));
                }
            }
        }
        Ok(ValidatedCalls {
            accounts,
            calls,
            targets,
        })
    }

    /// The accounts the calls may change, and the vault.
    pub fn targets(&self) -> &CallTargets {
        &self.targets
    }

    /// Invokes every call in order with the vault as PDA signer.
    pub fn invoke(&self, vault_seeds: &[&[u8]]) -> ProgramResult {
        let accounts = self.accounts;
        for call in self.calls.iter() {
            let program = accounts
                .get(usize::from(call.program))
                .ok_or_else(|| invalid("call program index out of range"))?;
            let resolved = call.accounts.iter().map_while(|a| {
                Some(CpiAccount {
                    account: accounts.get(usize::from(a.index))?,
                    is_writable: a.writable(),
                    is_signer: a.signer(),
                })
            });
            // Every index was checked by `new`, so the map above yields one account per entry.
            let exact = ExactLen {
                len: call.accounts.len(),
                inner: resolved,
            };
            invoke_signed_iter(program, exact, call.data, &[vault_seeds])?;
        }
        Ok(())
    }
}

/// An iterator whose length its producer knows (every index checked), for the CPI tables.
#[derive(Clone)]
struct ExactLen<I> {
    len: usize,
    inner: I,
}

impl<I: Iterator> Iterator for ExactLen<I> {
    type Item = I::Item;

    fn next(&mut self) -> Option<I::Item> {
        let item = self.inner.next()?;
        self.len = self.len.saturating_sub(1);
        Some(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.len, Some(self.len))
    }
}

impl<I: Iterator> ExactSizeIterator for ExactLen<I> {}

fn invalid(what: &str) -> ProgramError {
    leash_log!("wrong or unexpected account: ", what);
    LeashError::InvalidAccount.into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::ProgramRule;

    #[test]
    fn call_targets_hold_exactly_the_positions_put_in() {
        let mut targets = CallTargets::default();
        for position in [0, 63, 64, 200, 255] {
            targets.insert(position);
        }
        for position in 0..300 {
            let expected = [0, 63, 64, 200, 255].contains(&position);
            assert_eq!(targets.contains(position), expected, "position {position}");
        }
        assert!(!targets.is_every_writable());
    }

    fn batch(entries: &[&[u8]]) -> Vec<u8> {
        let mut data = vec![token_account::TOKEN_BATCH_DISCRIMINATOR];
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

    #[test]
    fn rules_judge_each_batched_instruction() {
        let rule = ProgramRule {
            program: Pubkey::new_from_array([1; 32]),
            prefixes: vec![vec![12]],
        };
        let checked = [12u8, 10, 0, 0, 0, 0, 0, 0, 0, 6];
        let plain = [3u8, 10, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(disallowed_instruction(&rule, true, &checked), None);
        assert_eq!(
            disallowed_instruction(&rule, true, &plain),
            Some(&plain[..])
        );
        assert_eq!(
            disallowed_instruction(&rule, true, &batch(&[&checked, &checked])),
            None
        );
        let mixed = batch(&[&checked, &plain]);
        assert_eq!(
            disallowed_instruction(&rule, true, &mixed),
            Some(&plain[..])
        );
        // Nested batches are judged through; a truncated tail and an empty batch are refused.
        let nested = batch(&[&batch(&[&plain])]);
        assert_eq!(
            disallowed_instruction(&rule, true, &nested),
            Some(&plain[..])
        );
        let mut truncated = batch(&[&checked]);
        truncated.push(12);
        assert!(disallowed_instruction(&rule, true, &truncated).is_some());
        assert!(disallowed_instruction(&rule, true, &[255]).is_some());
        // Not a token program: 255 is just the first byte.
        assert_eq!(
            disallowed_instruction(&rule, false, &mixed),
            Some(&mixed[..])
        );
    }

    #[test]
    fn instruction_violation_log_round_trips() {
        let v = InstructionViolation {
            program: Pubkey::new_from_array([7; 32]),
            data: vec![0xe5, 0x17, 0xcb, 0x97],
        };
        let line = format!("Program log: {v}");
        assert!(line.ends_with("data e517cb97"), "{line}");
        assert_eq!(InstructionViolation::from_log(&line), Some(v));
        let logs = vec![
            line.clone(),
            "Program log: allowed prefix 0c".to_string(),
            "Program log: allowed prefix 02000000".to_string(),
        ];
        assert_eq!(
            InstructionViolation::allowed_in_log(&logs),
            vec![vec![12], vec![2, 0, 0, 0]]
        );
        assert_eq!(
            InstructionViolation::from_log("InstructionNotAllowed: program x data 0"),
            None
        );
    }
}
