//! The instruction wire format (docs/program.md, "Instructions") and builders for each instruction.

use crate::list::Vec;

use borsh::{BorshDeserialize, BorshSerialize};

use crate::{
    platform::Pubkey,
    state::{Authority, Fields, Policy, PolicyView},
};

/// `Execute`'s variant index (its first data byte).
pub const EXECUTE_DISCRIMINATOR: u8 = 2;

/// The instruction builders, for clients (not part of the SBF build).
#[cfg(not(target_arch = "bpf"))]
mod builders;
#[cfg(not(target_arch = "bpf"))]
pub use builders::*;

/// One inner call of `Execute` or `OwnerExecute`. `program` and each `index` point into the
/// outer instruction's account list.
#[derive(BorshSerialize, BorshDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct Call {
    pub program: u8,
    pub accounts: Vec<CallAccount>,
    pub data: Vec<u8>,
}

#[derive(BorshSerialize, BorshDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallAccount {
    pub index: u8,
    pub writable: bool,
    pub signer: bool,
}

/// Leash instructions; the variant index is the discriminator. Each lists its accounts in
/// order, as SPL Token does (`[writable]`, `[signer]`); the processors check them in this order
/// (docs/program.md, "Instructions").
#[derive(BorshSerialize, BorshDeserialize, Clone, Debug, PartialEq, Eq)]
pub enum LeashInstruction {
    /// Instruction 0: Creates a wallet for `owner`.
    ///
    /// Accounts:
    ///   0. `[writable, signer]` payer
    ///   1. `[signer]` owner
    ///   2. `[writable]` wallet, PDA `["wallet", sha256(owner), salt]`
    ///   3. `[]` system program
    CreateWallet { owner: Authority, salt: [u8; 32] },
    /// Instruction 1: Registers a session for `session_key` under `policy`.
    ///
    /// Accounts:
    ///   0. `[writable, signer]` payer
    ///   1. `[signer]` owner
    ///   2. `[]` wallet
    ///   3. `[writable]` session, PDA `["session", wallet, session_key]` with `bump`
    ///   4. `[]` system program
    ///
    /// `bump` is the one `find_program_address` gives for the session's seeds: the client
    /// searches for it, the program checks the address with one hash.
    CreateSession {
        session_key: Pubkey,
        policy: Policy,
        bump: u8,
    },
    /// Instruction 2: Runs `calls` with the vault signing, within the session's policy.
    ///
    /// Accounts:
    ///   0. `[signer]` session key
    ///   1. `[]` wallet
    ///   2. `[writable]` session
    ///   3. `[writable]` vault, PDA `["vault", wallet]`
    ///   4. and on: the calls' programs and accounts (`Call` indexes point here)
    Execute {
        expected_nonce: Option<u64>,
        calls: Vec<Call>,
    },
    /// Instruction 3: Ends a session for good.
    ///
    /// Accounts:
    ///   0. `[signer]` authority: the wallet's owner, or the session key itself
    ///   1. `[]` wallet
    ///   2. `[writable]` session
    RevokeSession,
    /// Instruction 4: Ends every session of the wallet at once (bumps the wallet's epoch).
    ///
    /// Accounts:
    ///   0. `[signer]` owner
    ///   1. `[writable]` wallet
    RevokeAllSessions,
    /// Instruction 5: Replaces a session's policy; spent counters carry over by mint.
    ///
    /// Accounts:
    ///   0. `[signer]` owner
    ///   1. `[]` wallet
    ///   2. `[writable]` session
    ///   3. `[writable, signer]` payer (of a larger account's rent)
    ///   4. `[]` system program
    UpdateSession {
        policy: Policy,
        expected_uses: Option<u64>,
    },
    /// Instruction 6: Closes a session, returning its rent to whoever paid it: the owner any
    /// time, anyone once the session has ended (revoked or expired).
    ///
    /// Accounts:
    ///   0. `[signer]` authority: the wallet's owner, or anyone for an ended session
    ///   1. `[]` wallet
    ///   2. `[writable]` session
    ///   3. `[writable]` rent payer recorded in the session
    CloseSession,
    /// Instruction 7: Runs `calls` with the vault signing, as the owner (no policy).
    ///
    /// Accounts:
    ///   0. `[signer]` owner
    ///   1. `[]` wallet
    ///   2. `[writable]` vault
    ///   3. and on: the calls' programs and accounts
    OwnerExecute { calls: Vec<Call> },
    /// Instruction 8: Moves every lamport above the rent-exempt minimum out of the wallet and
    /// the listed sessions.
    ///
    /// Accounts:
    ///   0. `[signer]` owner
    ///   1. `[writable]` wallet
    ///   2. `[writable]` recipient
    ///   3. and on: `[writable]` any of the wallet's session accounts
    SweepLamports,
}

impl LeashInstruction {
    /// The borsh encoding.
    pub fn pack(&self) -> Vec<u8> {
        let mut bytes = Vec::new();
        // Borsh encoding into a list cannot fail for these types.
        let _ = self.serialize(&mut bytes);
        bytes
    }

    /// Decodes instruction data; the whole input must be consumed. `Execute`, sent with every
    /// session action, is read field by field (~900 CU through borsh's reader on SBF); the
    /// others through borsh. Both accept exactly the same bytes (tested).
    pub fn unpack(data: &[u8]) -> Option<LeashInstruction> {
        if data.first() == Some(&EXECUTE_DISCRIMINATOR) {
            return Self::unpack_execute(data);
        }
        LeashInstruction::try_from_slice(data).ok()
    }

    fn unpack_execute(data: &[u8]) -> Option<LeashInstruction> {
        let mut r = Fields { data, at: 1 };
        let expected_nonce = match r.u8()? {
            0 => None,
            1 => Some(r.u64()?),
            _ => return None,
        };
        let calls = r.list(|r| {
            Some(Call {
                program: r.u8()?,
                accounts: r.list(|r| {
                    Some(CallAccount {
                        index: r.u8()?,
                        writable: r.bool()?,
                        signer: r.bool()?,
                    })
                })?,
                data: r.bytes()?,
            })
        })?;
        r.is_done().then_some(LeashInstruction::Execute {
            expected_nonce,
            calls,
        })
    }
}

/// The discriminator of `OwnerExecute`.
pub const OWNER_EXECUTE_DISCRIMINATOR: u8 = 7;

crate::byte_layout! {
    /// One [`CallAccount`] as the wire carries it (borsh: `index`, then two `bool`s).
    pub struct CallAccountLayout {
        pub index: u8,
        pub writable: u8,
        pub signer: u8,
    }
}

impl CallAccountLayout {
    pub fn writable(&self) -> bool {
        self.writable == 1
    }

    pub fn signer(&self) -> bool {
        self.signer == 1
    }
}

/// One call of an `Execute` or `OwnerExecute`, read in place from the instruction data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallView<'a> {
    pub program: u8,
    pub accounts: &'a [CallAccountLayout],
    pub data: &'a [u8],
}

/// The calls of an `Execute` or `OwnerExecute` read in place: the program decodes its inner
/// calls without copying them into lists (docs/program.md, "Compute units"). Built only by
/// [`CallsView::parse`], which accepts exactly the bytes borsh's `Vec<Call>` does (tested), so
/// iterating never fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallsView<'a> {
    count: usize,
    bytes: &'a [u8],
    /// Whether some call's data starts as a token `Batch` does (else every call is one
    /// instruction, whatever its program: `calls::instruction_count` needs no walk).
    may_batch: bool,
}

impl<'a> CallsView<'a> {
    /// A borsh `Vec<Call>` at the start of `data`, and the bytes after it.
    pub fn parse(data: &'a [u8]) -> Option<(CallsView<'a>, &'a [u8])> {
        let (count, calls) = data.split_first_chunk::<4>()?;
        let count = usize::try_from(u32::from_le_bytes(*count)).ok()?;
        let mut rest = calls;
        let mut may_batch = false;
        for _ in 0..count {
            let (call, tail) = call_field(rest)?;
            let valid = call
                .accounts
                .iter()
                .all(|a| a.writable <= 1 && a.signer <= 1);
            if !valid {
                return None;
            }
            may_batch |=
                call.data.first() == Some(&crate::token_account::TOKEN_BATCH_DISCRIMINATOR);
            rest = tail;
        }
        let used = calls.len().checked_sub(rest.len())?;
        Some((
            CallsView {
                count,
                bytes: calls.get(..used)?,
                may_batch,
            },
            rest,
        ))
    }

    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Whether some call's data starts with the token `Batch` discriminator.
    pub fn may_batch(&self) -> bool {
        self.may_batch
    }

    pub fn iter(&self) -> impl Iterator<Item = CallView<'a>> + Clone {
        let mut rest = self.bytes;
        (0..self.count).map_while(move |_| {
            let (call, tail) = call_field(rest)?;
            rest = tail;
            Some(call)
        })
    }

    /// The calls as owned values (clients, tests).
    #[cfg(not(target_arch = "bpf"))]
    pub fn to_calls(&self) -> Vec<Call> {
        self.iter()
            .map(|c| Call {
                program: c.program,
                accounts: c
                    .accounts
                    .iter()
                    .map(|a| CallAccount {
                        index: a.index,
                        writable: a.writable(),
                        signer: a.signer(),
                    })
                    .collect(),
                data: c.data.to_vec(),
            })
            .collect()
    }
}

/// One call: `program`, a `u32` count of 3-byte accounts, a `u32` length of data.
fn call_field(data: &[u8]) -> Option<(CallView<'_>, &[u8])> {
    let (&program, rest) = data.split_first()?;
    let (count, rest) = rest.split_first_chunk::<4>()?;
    let count = usize::try_from(u32::from_le_bytes(*count)).ok()?;
    let (accounts, rest) = crate::platform::layouts::<CallAccountLayout>(rest, count)?;
    let (len, rest) = rest.split_first_chunk::<4>()?;
    let len = usize::try_from(u32::from_le_bytes(*len)).ok()?;
    let (data, rest) = rest.split_at_checked(len)?;
    Some((
        CallView {
            program,
            accounts,
            data,
        },
        rest,
    ))
}

/// `Execute`'s data read in place: the expected nonce and the calls. `None` unless `data` is
/// exactly an `Execute` ([`LeashInstruction::unpack`] accepts the same bytes).
pub fn execute_view(data: &[u8]) -> Option<(Option<u64>, CallsView<'_>)> {
    let (&EXECUTE_DISCRIMINATOR, rest) = data.split_first()? else {
        return None;
    };
    let (expected_nonce, rest) = match rest.split_first()? {
        (0, rest) => (None, rest),
        (1, rest) => {
            let (nonce, rest) = rest.split_first_chunk::<8>()?;
            (Some(u64::from_le_bytes(*nonce)), rest)
        }
        _ => return None,
    };
    let (calls, rest) = CallsView::parse(rest)?;
    rest.is_empty().then_some((expected_nonce, calls))
}

/// The discriminators of `CreateSession` and `UpdateSession`.
pub const CREATE_SESSION_DISCRIMINATOR: u8 = 1;
pub const UPDATE_SESSION_DISCRIMINATOR: u8 = 5;

/// `CreateSession`'s data read in place: the session key, the policy (whose bytes the session
/// stores as they are) and the bump. `None` unless `data` is exactly a `CreateSession`.
pub fn create_session_view(data: &[u8]) -> Option<(&Pubkey, PolicyView<'_>, u8)> {
    let (&CREATE_SESSION_DISCRIMINATOR, rest) = data.split_first()? else {
        return None;
    };
    let (key, rest) = crate::platform::layouts::<Pubkey>(rest, 1)?;
    let (policy, rest) = PolicyView::parse(rest, true)?;
    match rest {
        [bump] => Some((key.first()?, policy, *bump)),
        _ => None,
    }
}

/// `UpdateSession`'s data read in place: the policy and the expected uses. `None` unless `data`
/// is exactly an `UpdateSession`.
pub fn update_session_view(data: &[u8]) -> Option<(PolicyView<'_>, Option<u64>)> {
    let (&UPDATE_SESSION_DISCRIMINATOR, rest) = data.split_first()? else {
        return None;
    };
    let (policy, rest) = PolicyView::parse(rest, true)?;
    let expected_uses = match rest.split_first()? {
        (0, []) => None,
        (1, nonce) => Some(u64::from_le_bytes(*<&[u8; 8]>::try_from(nonce).ok()?)),
        _ => return None,
    };
    Some((policy, expected_uses))
}

/// The instructions without a policy or calls, read in place (the program decodes no
/// instruction through borsh: its derive for `LeashInstruction` would link every decoder).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlainInstruction<'a> {
    CreateWallet {
        owner: Authority,
        salt: &'a [u8; 32],
    },
    RevokeSession,
    RevokeAllSessions,
    CloseSession,
    SweepLamports,
}

crate::byte_layout! {
    /// `CreateWallet`'s data after the discriminator: the `Authority` variant (0 = Ed25519), the
    /// key, the salt.
    pub struct CreateWalletLayout {
        pub owner_kind: u8,
        pub owner: Pubkey,
        pub salt: [u8; 32],
    }
}

crate::byte_layout! {
    /// `CreateWallet`'s data after the discriminator for a passkey owner: the `Authority`
    /// variant (1 = Secp256r1), the passkey's fields, the salt.
    pub struct CreatePasskeyWalletLayout {
        pub owner_kind: u8,
        pub key: [u8; 33],
        pub rp_id_hash: [u8; 32],
        /// 0 or 1 (borsh's `bool`).
        pub user_verification: u8,
        pub salt: [u8; 32],
    }
}

/// `data` as one of the [`PlainInstruction`]s; `None` unless it is exactly one.
pub fn plain_view(data: &[u8]) -> Option<PlainInstruction<'_>> {
    let (&discriminator, rest) = data.split_first()?;
    match (discriminator, rest.len()) {
        (0, len) if len == core::mem::size_of::<CreateWalletLayout>() => {
            let args: &CreateWalletLayout = crate::platform::layout(rest)?;
            (args.owner_kind == 0).then_some(PlainInstruction::CreateWallet {
                owner: Authority::Ed25519(args.owner),
                salt: &args.salt,
            })
        }
        (0, len) if len == core::mem::size_of::<CreatePasskeyWalletLayout>() => {
            let args: &CreatePasskeyWalletLayout = crate::platform::layout(rest)?;
            let valid = args.owner_kind == 1 && args.user_verification <= 1;
            valid.then_some(PlainInstruction::CreateWallet {
                owner: Authority::Secp256r1(crate::state::Passkey {
                    key: args.key,
                    rp_id_hash: args.rp_id_hash,
                    user_verification: args.user_verification == 1,
                }),
                salt: &args.salt,
            })
        }
        (3, 0) => Some(PlainInstruction::RevokeSession),
        (4, 0) => Some(PlainInstruction::RevokeAllSessions),
        (6, 0) => Some(PlainInstruction::CloseSession),
        (8, 0) => Some(PlainInstruction::SweepLamports),
        _ => None,
    }
}

/// `OwnerExecute`'s calls read in place; `None` unless `data` is exactly an `OwnerExecute`.
pub fn owner_execute_view(data: &[u8]) -> Option<CallsView<'_>> {
    let (&OWNER_EXECUTE_DISCRIMINATOR, rest) = data.split_first()? else {
        return None;
    };
    let (calls, rest) = CallsView::parse(rest)?;
    rest.is_empty().then_some(calls)
}

/// Index of the vault in `Execute`'s account list (the only account calls may mark `signer`).
pub const EXECUTE_VAULT_INDEX: u8 = 3;
/// Number of fixed accounts before the calls' accounts in `Execute`.
pub const EXECUTE_FIXED_ACCOUNTS: usize = 4;
/// Index of the vault in `OwnerExecute`'s account list.
pub const OWNER_EXECUTE_VAULT_INDEX: u8 = 2;
/// Number of fixed accounts before the calls' accounts in `OwnerExecute`.
pub const OWNER_EXECUTE_FIXED_ACCOUNTS: usize = 3;

#[cfg(test)]
mod tests {
    use solana_program::instruction::{AccountMeta, Instruction};

    use super::*;

    proptest::proptest! {
        /// The hand-written `Execute` decoder accepts exactly what borsh accepts, and reads the
        /// same instruction: on valid encodings, and on every truncation and single-byte change.
        #[test]
        fn execute_unpack_agrees_with_borsh(
            nonce in proptest::option::of(proptest::prelude::any::<u64>()),
            shape in proptest::collection::vec((0u8..8, 0usize..4, 0usize..12), 0..4),
            at in proptest::prelude::any::<proptest::sample::Index>(),
            byte in proptest::prelude::any::<u8>(),
            cut in proptest::prelude::any::<proptest::sample::Index>(),
        ) {
            let calls = shape
                .iter()
                .map(|&(program, accounts, data)| Call {
                    program,
                    accounts: (0..accounts)
                        .map(|i| CallAccount { index: i as u8, writable: i % 2 == 0, signer: i == 3 })
                        .collect(),
                    // A token `Batch`'s first byte for odd programs.
                    data: (0..data)
                        .map(|i| if i == 0 && program % 2 == 1 { 255 } else { i as u8 })
                        .collect(),
                })
                .collect();
            let ix = LeashInstruction::Execute { expected_nonce: nonce, calls };
            let bytes = ix.pack();
            let borsh_unpack = |d: &[u8]| LeashInstruction::try_from_slice(d).ok();
            proptest::prop_assert_eq!(LeashInstruction::unpack(&bytes), Some(ix));
            let mut changed = bytes.clone();
            changed[at.index(bytes.len())] = byte;
            proptest::prop_assert_eq!(LeashInstruction::unpack(&changed), borsh_unpack(&changed));
            let short = &bytes[..cut.index(bytes.len())];
            proptest::prop_assert_eq!(LeashInstruction::unpack(short), borsh_unpack(short));
            let mut long = bytes.clone();
            long.push(byte);
            proptest::prop_assert_eq!(LeashInstruction::unpack(&long), None);
            // The in-place views read the same instruction, and refuse the same bytes.
            let as_view = |d: &[u8]| {
                execute_view(d).map(|(nonce, calls)| LeashInstruction::Execute {
                    expected_nonce: nonce,
                    calls: calls.to_calls(),
                })
            };
            proptest::prop_assert_eq!(as_view(&bytes), borsh_unpack(&bytes));
            proptest::prop_assert_eq!(as_view(&changed), borsh_unpack(&changed));
            // The view's `Batch` flag is exactly "some call's data starts with 255".
            for d in [&bytes[..], &changed[..], short] {
                if let Some((_, calls)) = execute_view(d) {
                    let batch_byte = crate::token_account::TOKEN_BATCH_DISCRIMINATOR;
                    let batch = calls.iter().any(|c| c.data.first() == Some(&batch_byte));
                    proptest::prop_assert_eq!(calls.may_batch(), batch);
                }
            }
            proptest::prop_assert_eq!(as_view(short), borsh_unpack(short));
            proptest::prop_assert_eq!(as_view(&long), None);
            let mut owner = changed.clone();
            owner[0] = OWNER_EXECUTE_DISCRIMINATOR;
            owner.remove(1);
            let owner_view = |d: &[u8]| {
                owner_execute_view(d).map(|calls| LeashInstruction::OwnerExecute {
                    calls: calls.to_calls(),
                })
            };
            proptest::prop_assert_eq!(owner_view(&owner), borsh_unpack(&owner));
        }
    }

    fn policy_of(shape: &[(usize, usize)], rules: usize) -> Policy {
        let key = |b: usize| Pubkey::new_from_array([b as u8; 32]);
        Policy {
            valid_after: 1,
            valid_until: 9,
            expiry_slot: 0,
            max_uses: 3,
            max_calls_per_tx: 2,
            allowed_programs: (0..3).map(|i| key(100 + i)).collect(),
            limits: shape
                .iter()
                .enumerate()
                .map(|(i, &(recipients, period))| crate::state::SpendLimit {
                    mint: key(i),
                    per_tx: 5,
                    total: 6,
                    period_secs: period as u32,
                    per_period: 7,
                    recipients: (0..recipients).map(|r| key(50 + r)).collect(),
                })
                .collect(),
            program_rules: (0..rules)
                .map(|i| crate::state::ProgramRule {
                    program: key(100 + i),
                    prefixes: (0..=i).map(|p| vec![p as u8; p + 1]).collect(),
                })
                .collect(),
        }
    }

    proptest::proptest! {
        /// The in-place reads of `CreateSession` and `UpdateSession` accept exactly the bytes
        /// borsh does and read the same policy, on valid, damaged, cut and extended bytes.
        #[test]
        fn session_instruction_views_agree_with_borsh(
            shape in proptest::collection::vec((0usize..3, 0usize..2), 0..4),
            rules in 0usize..3,
            uses in proptest::option::of(proptest::prelude::any::<u64>()),
            at in proptest::prelude::any::<proptest::sample::Index>(),
            byte in proptest::prelude::any::<u8>(),
            cut in proptest::prelude::any::<proptest::sample::Index>(),
        ) {
            let policy = policy_of(&shape, rules);
            let create = LeashInstruction::CreateSession {
                session_key: Pubkey::new_from_array([7; 32]),
                policy: policy.clone(),
                bump: 250,
            };
            let update = LeashInstruction::UpdateSession { policy, expected_uses: uses };
            let borsh_unpack = |d: &[u8]| LeashInstruction::try_from_slice(d).ok();
            let as_create = |d: &[u8]| {
                create_session_view(d).map(|(key, policy, bump)| LeashInstruction::CreateSession {
                    session_key: *key,
                    policy: Policy::try_from_slice(policy.bytes()).unwrap(),
                    bump,
                })
            };
            let as_update = |d: &[u8]| {
                update_session_view(d).map(|(policy, expected_uses)| {
                    LeashInstruction::UpdateSession {
                        policy: Policy::try_from_slice(policy.bytes()).unwrap(),
                        expected_uses,
                    }
                })
            };
            for (bytes, view) in [
                (create.pack(), &as_create as &dyn Fn(&[u8]) -> Option<LeashInstruction>),
                (update.pack(), &as_update),
            ] {
                proptest::prop_assert_eq!(view(&bytes), borsh_unpack(&bytes));
                let mut changed = bytes.clone();
                changed[at.index(bytes.len())] = byte;
                proptest::prop_assert_eq!(view(&changed), borsh_unpack(&changed));
                let short = &bytes[..cut.index(bytes.len())];
                proptest::prop_assert_eq!(view(short), borsh_unpack(short));
                let mut long = bytes.clone();
                long.push(byte);
                proptest::prop_assert_eq!(view(&long), None);
            }
        }
    }

    proptest::proptest! {
        /// The plain instructions read in place accept exactly the bytes borsh does.
        #[test]
        fn plain_view_agrees_with_borsh(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..104),
            discriminator in 0u8..10,
            kind in 0u8..2,
        ) {
            let mut bytes = bytes;
            if let Some(first) = bytes.first_mut() {
                *first = discriminator;
            }
            if let Some(second) = bytes.get_mut(1) {
                *second = kind;
            }
            let borsh = LeashInstruction::try_from_slice(&bytes).ok().filter(|i| {
                matches!(
                    i,
                    LeashInstruction::CreateWallet { .. }
                        | LeashInstruction::RevokeSession
                        | LeashInstruction::RevokeAllSessions
                        | LeashInstruction::CloseSession
                        | LeashInstruction::SweepLamports
                )
            });
            let view = plain_view(&bytes).map(|p| match p {
                PlainInstruction::CreateWallet { owner, salt } => LeashInstruction::CreateWallet {
                    owner,
                    salt: *salt,
                },
                PlainInstruction::RevokeSession => LeashInstruction::RevokeSession,
                PlainInstruction::RevokeAllSessions => LeashInstruction::RevokeAllSessions,
                PlainInstruction::CloseSession => LeashInstruction::CloseSession,
                PlainInstruction::SweepLamports => LeashInstruction::SweepLamports,
            });
            proptest::prop_assert_eq!(view, borsh);
        }
    }

    #[test]
    fn plain_view_reads_a_create_wallet() {
        let ix = LeashInstruction::CreateWallet {
            owner: Authority::Ed25519(Pubkey::new_from_array([4; 32])),
            salt: [9; 32],
        };
        assert!(matches!(
            plain_view(&ix.pack()),
            Some(PlainInstruction::CreateWallet { owner, salt })
                if owner == Authority::Ed25519(Pubkey::new_from_array([4; 32])) && *salt == [9; 32]
        ));
        let passkey = Authority::Secp256r1(crate::state::Passkey {
            key: [2; 33],
            rp_id_hash: [3; 32],
            user_verification: true,
        });
        let ix = LeashInstruction::CreateWallet {
            owner: passkey,
            salt: [9; 32],
        };
        assert!(matches!(
            plain_view(&ix.pack()),
            Some(PlainInstruction::CreateWallet { owner, .. }) if owner == passkey
        ));
    }

    #[test]
    fn discriminators_are_variant_indices() {
        assert_eq!(LeashInstruction::RevokeSession.pack(), vec![3]);
        assert_eq!(LeashInstruction::RevokeAllSessions.pack(), vec![4]);
        assert_eq!(LeashInstruction::CloseSession.pack(), vec![6]);
        let exec = LeashInstruction::Execute {
            expected_nonce: Some(7),
            calls: vec![],
        };
        assert_eq!(exec.pack(), vec![2, 1, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(LeashInstruction::unpack(&exec.pack()), Some(exec));
        assert_eq!(LeashInstruction::SweepLamports.pack(), vec![8]);
        assert_eq!(LeashInstruction::unpack(&[9]), None);
        assert_eq!(
            LeashInstruction::unpack(&[3, 0]),
            None,
            "trailing bytes are refused"
        );
    }

    #[test]
    fn compile_calls_dedupes_and_keeps_only_vault_signer() {
        let vault = Pubkey::new_from_array([3; 32]);
        let other = Pubkey::new_from_array([4; 32]);
        let program = Pubkey::new_from_array([5; 32]);
        let fixed = vec![
            AccountMeta::new_readonly(Pubkey::new_from_array([1; 32]), true),
            AccountMeta::new(vault, false),
        ];
        let ix = Instruction {
            program_id: program,
            accounts: vec![
                AccountMeta::new(vault, true),
                AccountMeta::new_readonly(other, true),
                AccountMeta::new(other, false),
            ],
            data: vec![9],
        };
        let (metas, calls) = compile_calls(fixed, &[ix.clone(), ix]);
        assert_eq!(metas.len(), 4);
        assert!(metas[3].is_writable && !metas[3].is_signer);
        assert_eq!(calls[0].program, 2);
        assert_eq!(
            calls[0].accounts[0],
            CallAccount {
                index: 1,
                writable: true,
                signer: true
            }
        );
        assert_eq!(
            calls[0].accounts[1],
            CallAccount {
                index: 3,
                writable: false,
                signer: false
            }
        );
        assert_eq!(calls[1], calls[0]);
    }
}
