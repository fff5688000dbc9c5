//! The instruction wire format (DESIGN.md §3.3) and builders for each instruction.

use borsh::{BorshDeserialize, BorshSerialize};
use solana_program::{
    instruction::{AccountMeta, Instruction},
    pubkey::Pubkey,
};

use crate::state::{session_address, vault_address, Authority, Policy};

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

/// Leash instructions; the variant index is the discriminator.
#[derive(BorshSerialize, BorshDeserialize, Clone, Debug, PartialEq, Eq)]
pub enum LeashInstruction {
    /// payer(s,w), owner(s), wallet(w), system_program
    CreateWallet { owner: Authority, salt: [u8; 32] },
    /// payer(s,w), owner(s), wallet, session(w), system_program
    CreateSession { session_key: Pubkey, policy: Policy },
    /// session_key(s), wallet, session(w), vault(w), then the calls' accounts
    Execute {
        expected_nonce: Option<u64>,
        calls: Vec<Call>,
    },
    /// authority(s), wallet, session(w)
    RevokeSession,
    /// owner(s), wallet(w)
    RevokeAllSessions,
    /// owner(s), wallet, session(w), payer(s,w), system_program
    UpdateSession {
        policy: Policy,
        expected_uses: Option<u64>,
    },
    /// authority(s), wallet, session(w), rent_payer(w)
    CloseSession,
    /// owner(s), wallet, vault(w), then the calls' accounts
    OwnerExecute { calls: Vec<Call> },
    /// owner(s), wallet(w), recipient(w), then any of the wallet's session accounts (w): moves
    /// every lamport above the rent-exempt minimum out of the wallet and the listed sessions.
    SweepLamports,
}

impl LeashInstruction {
    /// The borsh encoding.
    pub fn pack(&self) -> Vec<u8> {
        // Borsh encoding into a Vec cannot fail for these types.
        borsh::to_vec(self).unwrap_or_default()
    }

    /// Decodes instruction data; the whole input must be consumed.
    pub fn unpack(data: &[u8]) -> Option<LeashInstruction> {
        LeashInstruction::try_from_slice(data).ok()
    }
}

/// Index of the vault in `Execute`'s account list (the only account calls may mark `signer`).
pub const EXECUTE_VAULT_INDEX: u8 = 3;
/// Number of fixed accounts before the calls' accounts in `Execute`.
pub const EXECUTE_FIXED_ACCOUNTS: usize = 4;
/// Index of the vault in `OwnerExecute`'s account list.
pub const OWNER_EXECUTE_VAULT_INDEX: u8 = 2;
/// Number of fixed accounts before the calls' accounts in `OwnerExecute`.
pub const OWNER_EXECUTE_FIXED_ACCOUNTS: usize = 3;

fn system_program() -> Pubkey {
    solana_system_interface::program::ID
}

pub fn create_wallet(payer: &Pubkey, owner: &Pubkey, salt: [u8; 32]) -> Instruction {
    let authority = Authority::Ed25519(*owner);
    let (wallet, _) = crate::state::wallet_address(&authority, &salt);
    Instruction {
        program_id: crate::ID,
        accounts: vec![
            AccountMeta::new(*payer, true),
            AccountMeta::new_readonly(*owner, true),
            AccountMeta::new(wallet, false),
            AccountMeta::new_readonly(system_program(), false),
        ],
        data: LeashInstruction::CreateWallet {
            owner: authority,
            salt,
        }
        .pack(),
    }
}

pub fn create_session(
    payer: &Pubkey,
    owner: &Pubkey,
    wallet: &Pubkey,
    session_key: &Pubkey,
    policy: Policy,
) -> Instruction {
    let (session, _) = session_address(wallet, session_key);
    Instruction {
        program_id: crate::ID,
        accounts: vec![
            AccountMeta::new(*payer, true),
            AccountMeta::new_readonly(*owner, true),
            AccountMeta::new_readonly(*wallet, false),
            AccountMeta::new(session, false),
            AccountMeta::new_readonly(system_program(), false),
        ],
        data: LeashInstruction::CreateSession {
            session_key: *session_key,
            policy,
        }
        .pack(),
    }
}

/// Turns ordinary instructions into `Call`s over one shared account list that starts with
/// `fixed` (whose last entry is the vault). Accounts are deduplicated and their privileges
/// merged; a `signer` flag is kept only for the vault, for which the program signs.
pub fn compile_calls(
    fixed: Vec<AccountMeta>,
    instructions: &[Instruction],
) -> (Vec<AccountMeta>, Vec<Call>) {
    let mut metas = fixed;
    let vault = metas.last().map(|m| m.pubkey);
    let index_of = |metas: &mut Vec<AccountMeta>, key: &Pubkey, writable: bool| -> u8 {
        let i = match metas.iter().position(|m| m.pubkey == *key) {
            Some(i) => i,
            None => {
                metas.push(AccountMeta::new_readonly(*key, false));
                metas.len().saturating_sub(1)
            }
        };
        if writable {
            metas[i].is_writable = true;
        }
        u8::try_from(i).unwrap_or(u8::MAX)
    };
    let mut calls = Vec::with_capacity(instructions.len());
    for ix in instructions {
        let program = index_of(&mut metas, &ix.program_id, false);
        let accounts = ix
            .accounts
            .iter()
            .map(|m| CallAccount {
                index: index_of(&mut metas, &m.pubkey, m.is_writable),
                writable: m.is_writable,
                signer: m.is_signer && Some(m.pubkey) == vault,
            })
            .collect();
        calls.push(Call {
            program,
            accounts,
            data: ix.data.clone(),
        });
    }
    (metas, calls)
}

/// `Execute` running `instructions` with the vault as signer. `expected_nonce` binds the
/// transaction to the session's current nonce (replay and ordering protection).
pub fn execute(
    session_key: &Pubkey,
    wallet: &Pubkey,
    expected_nonce: Option<u64>,
    instructions: &[Instruction],
) -> Instruction {
    let (session, _) = session_address(wallet, session_key);
    let (vault, _) = vault_address(wallet);
    let fixed = vec![
        AccountMeta::new_readonly(*session_key, true),
        AccountMeta::new_readonly(*wallet, false),
        AccountMeta::new(session, false),
        AccountMeta::new(vault, false),
    ];
    let (accounts, calls) = compile_calls(fixed, instructions);
    Instruction {
        program_id: crate::ID,
        accounts,
        data: LeashInstruction::Execute {
            expected_nonce,
            calls,
        }
        .pack(),
    }
}

pub fn revoke_session(authority: &Pubkey, wallet: &Pubkey, session: &Pubkey) -> Instruction {
    Instruction {
        program_id: crate::ID,
        accounts: vec![
            AccountMeta::new_readonly(*authority, true),
            AccountMeta::new_readonly(*wallet, false),
            AccountMeta::new(*session, false),
        ],
        data: LeashInstruction::RevokeSession.pack(),
    }
}

pub fn revoke_all_sessions(owner: &Pubkey, wallet: &Pubkey) -> Instruction {
    Instruction {
        program_id: crate::ID,
        accounts: vec![
            AccountMeta::new_readonly(*owner, true),
            AccountMeta::new(*wallet, false),
        ],
        data: LeashInstruction::RevokeAllSessions.pack(),
    }
}

pub fn update_session(
    owner: &Pubkey,
    wallet: &Pubkey,
    session: &Pubkey,
    payer: &Pubkey,
    policy: Policy,
    expected_uses: Option<u64>,
) -> Instruction {
    Instruction {
        program_id: crate::ID,
        accounts: vec![
            AccountMeta::new_readonly(*owner, true),
            AccountMeta::new_readonly(*wallet, false),
            AccountMeta::new(*session, false),
            AccountMeta::new(*payer, true),
            AccountMeta::new_readonly(system_program(), false),
        ],
        data: LeashInstruction::UpdateSession {
            policy,
            expected_uses,
        }
        .pack(),
    }
}

pub fn close_session(
    authority: &Pubkey,
    wallet: &Pubkey,
    session: &Pubkey,
    rent_payer: &Pubkey,
) -> Instruction {
    Instruction {
        program_id: crate::ID,
        accounts: vec![
            AccountMeta::new_readonly(*authority, true),
            AccountMeta::new_readonly(*wallet, false),
            AccountMeta::new(*session, false),
            AccountMeta::new(*rent_payer, false),
        ],
        data: LeashInstruction::CloseSession.pack(),
    }
}

/// `OwnerExecute` running `instructions` with the vault as signer, no limits.
pub fn owner_execute(owner: &Pubkey, wallet: &Pubkey, instructions: &[Instruction]) -> Instruction {
    let (vault, _) = vault_address(wallet);
    let fixed = vec![
        AccountMeta::new_readonly(*owner, true),
        AccountMeta::new_readonly(*wallet, false),
        AccountMeta::new(vault, false),
    ];
    let (accounts, calls) = compile_calls(fixed, instructions);
    Instruction {
        program_id: crate::ID,
        accounts,
        data: LeashInstruction::OwnerExecute { calls }.pack(),
    }
}

/// `SweepLamports`: moves what lies above the rent-exempt minimum in the wallet account and in
/// `sessions` (the wallet's session accounts) to `recipient`.
pub fn sweep_lamports(
    owner: &Pubkey,
    wallet: &Pubkey,
    recipient: &Pubkey,
    sessions: &[Pubkey],
) -> Instruction {
    let mut accounts = vec![
        AccountMeta::new_readonly(*owner, true),
        AccountMeta::new(*wallet, false),
        AccountMeta::new(*recipient, false),
    ];
    accounts.extend(sessions.iter().map(|s| AccountMeta::new(*s, false)));
    Instruction {
        program_id: crate::ID,
        accounts,
        data: LeashInstruction::SweepLamports.pack(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
