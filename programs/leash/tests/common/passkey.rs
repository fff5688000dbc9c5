//! A passkey-owned wallet on the test chain (docs/program.md, "Passkey owners"): a software
//! passkey, its wallet created and funded by a relayer, and helpers that sign owner
//! instructions with the passkey.

use super::*;
use leash_program::{
    instruction as ix,
    passkey::{
        self, assertion_instruction, for_passkey_owner, instruction_challenge, AssertionResponse,
        SoftwarePasskey, SECP256R1_PROGRAM_ID,
    },
    state::{self, Authority, Wallet},
};
use solana_keypair::Keypair;
use solana_program::{instruction::Instruction, pubkey::Pubkey};
use solana_signer::Signer;

pub const RP_ID: &str = "leash.test";

/// A chain, a passkey, its wallet (created by a relayer that pays) and the relayer.
pub struct PasskeyEnv {
    pub env: Env,
    pub passkey: SoftwarePasskey,
    pub wallet: Pubkey,
    pub vault: Pubkey,
    pub relayer: Keypair,
}

impl PasskeyEnv {
    pub fn new(user_verification: bool) -> PasskeyEnv {
        let mut env = Env::new();
        let passkey = SoftwarePasskey::generate(RP_ID);
        let relayer = funded_keypair(&mut env);
        let authority = Authority::Secp256r1(passkey.passkey(user_verification));
        let (wallet, _) = state::wallet_address(&authority, &[1; 32], &env.program_id);
        let (vault, _) = state::vault_address(&wallet, &env.program_id);
        let create = ix::create_passkey_wallet(
            &env.program_id,
            &relayer.pubkey(),
            &passkey.passkey(user_verification),
            [1; 32],
        );
        assert_ok(&env.send(&[create], &relayer, &[]));
        let fund =
            solana_system_interface::instruction::transfer(&relayer.pubkey(), &vault, 2 * SOL);
        assert_ok(&env.send(&[fund], &relayer, &[]));
        PasskeyEnv {
            env,
            passkey,
            wallet,
            vault,
            relayer,
        }
    }

    pub fn wallet_state(&self) -> Wallet {
        Wallet::decode(&self.env.account(&self.wallet).unwrap().data).unwrap()
    }

    /// `instruction` (built with the secp256r1 program as its owner) made a passkey's.
    pub fn owner_ix(&self, instruction: Instruction) -> Instruction {
        for_passkey_owner(instruction, &self.wallet)
    }

    /// The challenge of `instruction` at the wallet's current nonce, valid 300 slots.
    pub fn challenge_of(&self, instruction: &Instruction) -> ([u8; 32], u64) {
        let last_valid_slot = self.env.slot() + passkey::VALIDITY_SLOTS;
        let nonce = self.wallet_state().owner_nonce;
        let challenge = instruction_challenge(instruction, nonce, last_valid_slot).unwrap();
        (challenge, last_valid_slot)
    }

    /// The precompile instruction for `response` and the owner instruction, sent by the relayer.
    pub fn send_with(
        &mut self,
        response: &AssertionResponse,
        last_valid_slot: u64,
        instruction: Instruction,
    ) -> TxResult {
        let key = self.passkey.passkey(false).key;
        let verify = assertion_instruction(&key, response, last_valid_slot).unwrap();
        let relayer = self.relayer.insecure_clone();
        self.env.send(&[verify, instruction], &relayer, &[])
    }

    /// Signs `instruction` with the passkey and sends it.
    pub fn authorize(&mut self, instruction: Instruction) -> TxResult {
        let (challenge, last_valid_slot) = self.challenge_of(&instruction);
        let response = self.passkey.assert(&challenge);
        self.send_with(&response, last_valid_slot, instruction)
    }

    pub fn create_session_ix(&self, key: &Pubkey) -> Instruction {
        let policy = policy(&self.env);
        self.owner_ix(ix::create_session(
            &self.env.program_id,
            &self.relayer.pubkey(),
            &SECP256R1_PROGRAM_ID,
            &self.wallet,
            key,
            policy,
        ))
    }

    pub fn revoke_ix(&self, key: &Pubkey) -> Instruction {
        let session = self.session_of(key);
        self.owner_ix(ix::revoke_session(
            &self.env.program_id,
            &SECP256R1_PROGRAM_ID,
            &self.wallet,
            &session,
        ))
    }

    /// The session of `key` under this wallet.
    pub fn session_of(&self, key: &Pubkey) -> Pubkey {
        state::session_address(&self.wallet, key, &self.env.program_id).0
    }

    /// `UpdateSession` of `session` to `policy`, the relayer paying.
    pub fn update_ix(&self, session: &Pubkey, policy: leash_program::state::Policy) -> Instruction {
        self.owner_ix(ix::update_session(
            &self.env.program_id,
            &SECP256R1_PROGRAM_ID,
            &self.wallet,
            session,
            &self.relayer.pubkey(),
            policy,
            None,
        ))
    }

    /// `OwnerExecute` of `calls`.
    pub fn owner_execute_ix(&self, calls: &[Instruction]) -> Instruction {
        self.owner_ix(ix::owner_execute(
            &self.env.program_id,
            &SECP256R1_PROGRAM_ID,
            &self.wallet,
            calls,
        ))
    }

    /// `CloseSession` of `session`, its rent back to the relayer who paid it.
    pub fn close_ix(&self, session: &Pubkey) -> Instruction {
        self.owner_ix(ix::close_session(
            &self.env.program_id,
            &SECP256R1_PROGRAM_ID,
            &self.wallet,
            session,
            &self.relayer.pubkey(),
        ))
    }

    /// `RevokeAllSessions`.
    pub fn revoke_all_ix(&self) -> Instruction {
        self.owner_ix(ix::revoke_all_sessions(
            &self.env.program_id,
            &SECP256R1_PROGRAM_ID,
            &self.wallet,
        ))
    }

    /// `SweepLamports` to `to`, no sessions.
    pub fn sweep_ix(&self, to: &Pubkey) -> Instruction {
        self.owner_ix(ix::sweep_lamports(
            &self.env.program_id,
            &SECP256R1_PROGRAM_ID,
            &self.wallet,
            to,
            &[],
        ))
    }

    pub fn session_key(&mut self) -> Keypair {
        let key = Keypair::new();
        let create = self.create_session_ix(&key.pubkey());
        assert_ok(&self.authorize(create));
        key
    }
}
