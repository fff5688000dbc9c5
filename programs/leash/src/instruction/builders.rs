//! Builders of each instruction, for the SDK, CLI and tests. Each takes the program id first, as
//! SPL's builders take the token program's: Leash runs at whatever address it was deployed at.

use solana_program::instruction::{AccountMeta, Instruction};

use super::{Call, CallAccount, LeashInstruction};
use crate::{
    platform::Pubkey,
    state::{session_address, vault_address, Authority, Policy},
};

fn system_program() -> Pubkey {
    solana_system_interface::program::ID
}

pub fn create_wallet(
    program_id: &Pubkey,
    payer: &Pubkey,
    owner: &Pubkey,
    salt: [u8; 32],
) -> Instruction {
    let owner_slot = AccountMeta::new_readonly(*owner, true);
    create_wallet_of(
        program_id,
        payer,
        Authority::Ed25519(*owner),
        owner_slot,
        salt,
    )
}

/// `CreateWallet` for a passkey owner: nobody signs as the owner (the wallet's address hashes
/// the whole passkey); the owner account is the secp256r1 program.
pub fn create_passkey_wallet(
    program_id: &Pubkey,
    payer: &Pubkey,
    passkey: &crate::state::Passkey,
    salt: [u8; 32],
) -> Instruction {
    let owner_slot = AccountMeta::new_readonly(crate::passkey::SECP256R1_PROGRAM_ID, false);
    create_wallet_of(
        program_id,
        payer,
        Authority::Secp256r1(*passkey),
        owner_slot,
        salt,
    )
}

/// `CreateWallet` of `authority`, with `owner_slot` as its owner account.
fn create_wallet_of(
    program_id: &Pubkey,
    payer: &Pubkey,
    authority: Authority,
    owner_slot: AccountMeta,
    salt: [u8; 32],
) -> Instruction {
    let (wallet, _) = crate::state::wallet_address(&authority, &salt, program_id);
    Instruction {
        program_id: *program_id,
        accounts: vec![
            AccountMeta::new(*payer, true),
            owner_slot,
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
    program_id: &Pubkey,
    payer: &Pubkey,
    owner: &Pubkey,
    wallet: &Pubkey,
    session_key: &Pubkey,
    policy: Policy,
) -> Instruction {
    let (session, bump) = session_address(wallet, session_key, program_id);
    Instruction {
        program_id: *program_id,
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
            bump,
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
    program_id: &Pubkey,
    session_key: &Pubkey,
    wallet: &Pubkey,
    expected_nonce: Option<u64>,
    instructions: &[Instruction],
) -> Instruction {
    let (session, _) = session_address(wallet, session_key, program_id);
    let (vault, _) = vault_address(wallet, program_id);
    let fixed = vec![
        AccountMeta::new_readonly(*session_key, true),
        AccountMeta::new_readonly(*wallet, false),
        AccountMeta::new(session, false),
        AccountMeta::new(vault, false),
    ];
    let (accounts, calls) = compile_calls(fixed, instructions);
    Instruction {
        program_id: *program_id,
        accounts,
        data: LeashInstruction::Execute {
            expected_nonce,
            calls,
        }
        .pack(),
    }
}

pub fn revoke_session(
    program_id: &Pubkey,
    authority: &Pubkey,
    wallet: &Pubkey,
    session: &Pubkey,
) -> Instruction {
    Instruction {
        program_id: *program_id,
        accounts: vec![
            AccountMeta::new_readonly(*authority, true),
            AccountMeta::new_readonly(*wallet, false),
            AccountMeta::new(*session, false),
        ],
        data: LeashInstruction::RevokeSession.pack(),
    }
}

pub fn revoke_all_sessions(program_id: &Pubkey, owner: &Pubkey, wallet: &Pubkey) -> Instruction {
    Instruction {
        program_id: *program_id,
        accounts: vec![
            AccountMeta::new_readonly(*owner, true),
            AccountMeta::new(*wallet, false),
        ],
        data: LeashInstruction::RevokeAllSessions.pack(),
    }
}

pub fn update_session(
    program_id: &Pubkey,
    owner: &Pubkey,
    wallet: &Pubkey,
    session: &Pubkey,
    payer: &Pubkey,
    policy: Policy,
    expected_uses: Option<u64>,
) -> Instruction {
    Instruction {
        program_id: *program_id,
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
    program_id: &Pubkey,
    authority: &Pubkey,
    wallet: &Pubkey,
    session: &Pubkey,
    rent_payer: &Pubkey,
) -> Instruction {
    Instruction {
        program_id: *program_id,
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
pub fn owner_execute(
    program_id: &Pubkey,
    owner: &Pubkey,
    wallet: &Pubkey,
    instructions: &[Instruction],
) -> Instruction {
    let (vault, _) = vault_address(wallet, program_id);
    let fixed = vec![
        AccountMeta::new_readonly(*owner, true),
        AccountMeta::new_readonly(*wallet, false),
        AccountMeta::new(vault, false),
    ];
    let (accounts, calls) = compile_calls(fixed, instructions);
    Instruction {
        program_id: *program_id,
        accounts,
        data: LeashInstruction::OwnerExecute { calls }.pack(),
    }
}

/// `SweepLamports`: moves what lies above the rent-exempt minimum in the wallet account and in
/// `sessions` (the wallet's session accounts) to `recipient`.
pub fn sweep_lamports(
    program_id: &Pubkey,
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
        program_id: *program_id,
        accounts,
        data: LeashInstruction::SweepLamports.pack(),
    }
}
