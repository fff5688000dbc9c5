//! Passkey owners (docs/program.md, "Passkey owners"): a wallet owned by a P-256 passkey, every
//! owner instruction authorized by a WebAuthn assertion the secp256r1 precompile verifies just
//! before it — and each way an assertion can be wrong, refused.

#![allow(clippy::result_large_err)] // LiteSVM's failed-transaction type, in the shared helpers

mod common;

use common::{passkey::*, *};
use leash_program::{
    error::LeashError,
    instruction as ix,
    passkey::{
        self, assertion_instruction, for_passkey_owner, instruction_challenge, SoftwarePasskey,
        SECP256R1_PROGRAM_ID,
    },
    state::{self, Authority, Wallet},
};
use solana_keypair::Keypair;
use solana_program::pubkey::Pubkey;
use solana_signer::Signer;

#[test]
fn a_passkey_wallet_runs_every_owner_instruction() {
    let mut p = PasskeyEnv::new(true);
    let wallet = p.wallet_state();
    assert_eq!(wallet.owner, Authority::Secp256r1(p.passkey.passkey(true)));
    assert_eq!(wallet.owner_nonce, 0);
    assert_eq!(
        p.env.account(&p.wallet).unwrap().data.len(),
        Wallet::PASSKEY_LEN
    );

    // CreateSession: the relayer pays the rent and the fee; the passkey authorizes.
    let key = p.session_key();
    assert_eq!(p.wallet_state().owner_nonce, 1);
    let session = p.session_of(&key.pubkey());
    let state = Session::decode(&p.env.account(&session).unwrap().data).unwrap();
    assert_eq!(state.rent_payer, p.relayer.pubkey());

    // The session works as any other: the holder pays SOL within its limits.
    let out = solana_system_interface::instruction::transfer(&p.vault, &p.env.recipient, SOL / 2);
    let exec = ix::execute(&p.env.program_id, &key.pubkey(), &p.wallet, None, &[out]);
    p.env.svm.airdrop(&key.pubkey(), SOL).unwrap();
    assert_ok(&p.env.send(&[exec], &key, &[]));

    // UpdateSession.
    let mut tighter = policy(&p.env);
    tighter.max_uses = 3;
    let update = p.update_ix(&session, tighter);
    assert_ok(&p.authorize(update));
    assert_eq!(
        Session::decode(&p.env.account(&session).unwrap().data)
            .unwrap()
            .policy
            .max_uses,
        3
    );

    // OwnerExecute: the owner moves SOL out of the vault with no limits.
    let before = p.env.lamports(&p.env.recipient);
    let owner_out = solana_system_interface::instruction::transfer(&p.vault, &p.env.recipient, SOL);
    let owner_exec = p.owner_execute_ix(&[owner_out]);
    assert_ok(&p.authorize(owner_exec));
    assert_eq!(p.env.lamports(&p.env.recipient), before + SOL);

    // RevokeSession, then CloseSession (rent back to the relayer who paid it).
    assert_ok(&p.authorize(p.revoke_ix(&key.pubkey())));
    let close = p.close_ix(&session);
    assert_ok(&p.authorize(close));
    assert!(p.env.account(&session).is_none_or(|a| a.lamports == 0));

    // RevokeAllSessions: the epoch and the nonce both move on.
    let all = p.revoke_all_ix();
    assert_ok(&p.authorize(all));
    let wallet = p.wallet_state();
    assert_eq!(wallet.epoch, 1);

    // SweepLamports: lamports sent to the wallet account itself come back.
    let stray =
        solana_system_interface::instruction::transfer(&p.relayer.pubkey(), &p.wallet, 1_000_000);
    let relayer = p.relayer.insecure_clone();
    assert_ok(&p.env.send(&[stray], &relayer, &[]));
    let sweep = p.sweep_ix(&p.env.recipient);
    assert_ok(&p.authorize(sweep));
    assert_eq!(p.wallet_state().owner_nonce, 7);
}

#[test]
fn a_replayed_assertion_is_refused() {
    let mut p = PasskeyEnv::new(false);
    let key = Keypair::new();
    let create = p.create_session_ix(&key.pubkey());
    let (challenge, slot) = p.challenge_of(&create);
    let response = p.passkey.assert(&challenge);
    assert_ok(&p.send_with(&response, slot, create.clone()));
    // The same assertion and instruction again, in a new transaction: the nonce moved on.
    // (A revoke is used so the failure is the assertion's, not "the session exists".)
    let revoke = p.revoke_ix(&key.pubkey());
    let (challenge, slot) = p.challenge_of(&revoke);
    let response = p.passkey.assert(&challenge);
    assert_ok(&p.send_with(&response, slot, revoke.clone()));
    let replay = p.send_with(&response, slot, revoke);
    assert_leash_err(&replay, LeashError::PasskeyAssertionInvalid);
}

#[test]
fn an_assertion_for_another_instruction_is_refused() {
    let mut p = PasskeyEnv::new(false);
    let first = p.session_key();
    let second = p.session_key();
    // Signed for revoking the first session, sent with a revoke of the second.
    let (challenge, slot) = p.challenge_of(&p.revoke_ix(&first.pubkey()));
    let response = p.passkey.assert(&challenge);
    let moved = p.send_with(&response, slot, p.revoke_ix(&second.pubkey()));
    assert_leash_err(&moved, LeashError::PasskeyAssertionInvalid);
    // Signed for a 0-use-cap update, sent with a different policy: other data, refused.
    let session = p.session_of(&first.pubkey());
    let update = |max_uses| {
        let mut policy = policy(&p.env);
        policy.max_uses = max_uses;
        p.update_ix(&session, policy)
    };
    let (challenge, slot) = p.challenge_of(&update(1));
    let response = p.passkey.assert(&challenge);
    let swapped = p.send_with(&response, slot, update(1_000));
    assert_leash_err(&swapped, LeashError::PasskeyAssertionInvalid);
    // Signed over a later slot than the one sent: the challenge names the slot.
    let revoke = p.revoke_ix(&first.pubkey());
    let (challenge, slot) = p.challenge_of(&revoke);
    let response = p.passkey.assert(&challenge);
    let other_slot = p.send_with(&response, slot + 1, revoke);
    assert_leash_err(&other_slot, LeashError::PasskeyAssertionInvalid);
}

#[test]
fn an_assertion_for_another_wallet_of_the_same_passkey_is_refused() {
    let mut p = PasskeyEnv::new(false);
    // A second wallet of the same passkey (another salt), at the same nonce.
    let create = ix::create_passkey_wallet(
        &p.env.program_id,
        &p.relayer.pubkey(),
        &p.passkey.passkey(false),
        [2; 32],
    );
    let relayer = p.relayer.insecure_clone();
    assert_ok(&p.env.send(&[create], &relayer, &[]));
    let authority = Authority::Secp256r1(p.passkey.passkey(false));
    let other = state::wallet_address(&authority, &[2; 32], &p.env.program_id).0;
    let all_here = p.revoke_all_ix();
    let all_there = for_passkey_owner(
        ix::revoke_all_sessions(&p.env.program_id, &SECP256R1_PROGRAM_ID, &other),
        &other,
    );
    let (challenge, slot) = p.challenge_of(&all_here);
    let response = p.passkey.assert(&challenge);
    let moved = p.send_with(&response, slot, all_there);
    assert_leash_err(&moved, LeashError::PasskeyAssertionInvalid);
}

#[test]
fn a_wrong_relying_party_is_refused() {
    let mut p = PasskeyEnv::new(false);
    let create = p.create_session_ix(&Pubkey::new_unique());
    let (challenge, slot) = p.challenge_of(&create);
    let good = p.passkey.assert(&challenge);
    // The same key asserting for another site: its RP ID hash differs.
    let mut auth_data = good.auth_data.clone();
    auth_data[..32].copy_from_slice(&leash_program::platform::sha256(&[b"evil.test"]));
    let response = p.passkey.sign(auth_data, good.client_data_json.clone());
    assert_leash_err(
        &p.send_with(&response, slot, create),
        LeashError::PasskeyAssertionInvalid,
    );
}

#[test]
fn user_presence_and_verification_flags_are_checked() {
    // Presence off: refused on any wallet.
    let mut p = PasskeyEnv::new(false);
    let create = p.create_session_ix(&Pubkey::new_unique());
    let (challenge, slot) = p.challenge_of(&create);
    let good = p.passkey.assert(&challenge);
    let mut absent = good.auth_data.clone();
    absent[32] = passkey::FLAG_USER_VERIFIED;
    let response = p.passkey.sign(absent, good.client_data_json.clone());
    assert_leash_err(
        &p.send_with(&response, slot, create.clone()),
        LeashError::PasskeyAssertionInvalid,
    );
    // Presence without verification: enough here, where the wallet does not ask for it...
    let mut present = good.auth_data.clone();
    present[32] = passkey::FLAG_USER_PRESENT;
    let response = p
        .passkey
        .sign(present.clone(), good.client_data_json.clone());
    assert_ok(&p.send_with(&response, slot, create));

    // ...and refused by a wallet that does.
    let mut strict = PasskeyEnv::new(true);
    let create = strict.create_session_ix(&Pubkey::new_unique());
    let (challenge, slot) = strict.challenge_of(&create);
    let good = strict.passkey.assert(&challenge);
    let mut present = good.auth_data.clone();
    present[32] = passkey::FLAG_USER_PRESENT;
    let response = strict.passkey.sign(present, good.client_data_json.clone());
    assert_leash_err(
        &strict.send_with(&response, slot, create),
        LeashError::PasskeyAssertionInvalid,
    );
}

#[test]
fn a_high_s_signature_is_refused() {
    let mut p = PasskeyEnv::new(false);
    let create = p.create_session_ix(&Pubkey::new_unique());
    let (challenge, slot) = p.challenge_of(&create);
    let mut response = p.passkey.assert(&challenge);
    // (r, n - s): the same signature's malleable twin.
    let order: [u8; 32] = [
        0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17, 0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63,
        0x25, 0x51,
    ];
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let d = order[i] as i16 - response.signature[32 + i] as i16 - borrow;
        borrow = i16::from(d < 0);
        response.signature[32 + i] = (d + 256 * borrow) as u8;
    }
    let result = p.send_with(&response, slot, create);
    // The precompile itself refuses high S (its instruction, index 0, fails); the program's own
    // check (docs/program.md) is tested on the parsed assertion in `passkey::tests`.
    let err = result.expect_err("a high-S signature must fail");
    assert!(
        matches!(
            err.err,
            solana_transaction_error::TransactionError::InstructionError(0, _)
        ),
        "{:?}",
        err.err
    );
}

#[test]
fn without_the_precompile_instruction_nothing_is_authorized() {
    let mut p = PasskeyEnv::new(false);
    let create = p.create_session_ix(&Pubkey::new_unique());
    let relayer = p.relayer.insecure_clone();
    // Alone.
    assert_leash_err(
        &p.env.send(std::slice::from_ref(&create), &relayer, &[]),
        LeashError::PasskeyAssertionInvalid,
    );
    // With the precompile instruction not just before (a memo-like transfer between).
    let (challenge, slot) = p.challenge_of(&create);
    let response = p.passkey.assert(&challenge);
    let key = p.passkey.passkey(false).key;
    let verify = assertion_instruction(&key, &response, slot).unwrap();
    let between =
        solana_system_interface::instruction::transfer(&relayer.pubkey(), &p.env.recipient, 1);
    assert_leash_err(
        &p.env
            .send(&[verify, between, create.clone()], &relayer, &[]),
        LeashError::PasskeyAssertionInvalid,
    );
    // Another passkey's valid assertion over the right challenge: not the wallet's key.
    let stranger = SoftwarePasskey::generate(RP_ID);
    let response = stranger.assert(&challenge);
    let verify = assertion_instruction(&stranger.passkey(false).key, &response, slot).unwrap();
    assert_leash_err(
        &p.env.send(&[verify, create], &relayer, &[]),
        LeashError::PasskeyAssertionInvalid,
    );
}

#[test]
fn an_expired_assertion_is_refused() {
    let mut p = PasskeyEnv::new(false);
    let create = p.create_session_ix(&Pubkey::new_unique());
    let (challenge, slot) = p.challenge_of(&create);
    let response = p.passkey.assert(&challenge);
    p.env.set_slot(slot + 1);
    assert_leash_err(
        &p.send_with(&response, slot, create),
        LeashError::PasskeyAssertionExpired,
    );
}

#[test]
fn owner_slot_and_wallet_flags_are_checked() {
    let mut p = PasskeyEnv::new(false);
    let relayer = p.relayer.insecure_clone();
    // An Ed25519 signer in the owner slot of a passkey wallet: not its owner.
    let create = ix::create_session(
        &p.env.program_id,
        &relayer.pubkey(),
        &relayer.pubkey(),
        &p.wallet,
        &Pubkey::new_unique(),
        policy(&p.env),
    );
    assert_leash_err(
        &p.env.send(&[create], &relayer, &[]),
        LeashError::Unauthorized,
    );
    // The wallet read-only: its nonce could not move on.
    let mut create = p.create_session_ix(&Pubkey::new_unique());
    for meta in &mut create.accounts {
        if meta.pubkey == p.wallet {
            meta.is_writable = false;
        }
    }
    assert_leash_err(&p.authorize(create), LeashError::InvalidAccount);
    // An Ed25519 wallet cannot be driven by a passkey assertion.
    let env_wallet = p.env.wallet;
    let foreign = for_passkey_owner(
        ix::revoke_all_sessions(&p.env.program_id, &SECP256R1_PROGRAM_ID, &env_wallet),
        &env_wallet,
    );
    let (challenge, slot) = (
        instruction_challenge(&foreign, 0, p.env.slot() + 10).unwrap(),
        p.env.slot() + 10,
    );
    let response = p.passkey.assert(&challenge);
    assert_leash_err(
        &p.send_with(&response, slot, foreign),
        LeashError::Unauthorized,
    );
    // A session key still revokes its own session without the passkey.
    let key = p.session_key();
    let session = p.session_of(&key.pubkey());
    let own = ix::revoke_session(&p.env.program_id, &key.pubkey(), &p.wallet, &session);
    p.env.svm.airdrop(&key.pubkey(), SOL).unwrap();
    assert_ok(&p.env.send(&[own], &key, &[]));
}

#[test]
fn anyone_may_create_a_passkey_wallet_but_only_as_its_passkey_says() {
    let mut env = Env::new();
    let passkey = SoftwarePasskey::generate(RP_ID);
    let payer = funded_keypair(&mut env);
    // The owner slot must be the secp256r1 program.
    let mut create = ix::create_passkey_wallet(
        &env.program_id,
        &payer.pubkey(),
        &passkey.passkey(false),
        [3; 32],
    );
    create.accounts[1].pubkey = payer.pubkey();
    assert_leash_err(
        &env.send(&[create], &payer, &[]),
        LeashError::InvalidAccount,
    );
    // The address commits to the relying party and the verification setting: the same key
    // with either changed is another wallet.
    let a = Authority::Secp256r1(passkey.passkey(false));
    let b = Authority::Secp256r1(passkey.passkey(true));
    let other_rp = Authority::Secp256r1(
        SoftwarePasskey::from_secret(&passkey.secret(), "evil.test")
            .unwrap()
            .passkey(false),
    );
    let at = |authority: &Authority| state::wallet_address(authority, &[3; 32], &env.program_id).0;
    assert_ne!(at(&a), at(&b));
    assert_ne!(at(&a), at(&other_rp));
}

use leash_program::state::Session;
