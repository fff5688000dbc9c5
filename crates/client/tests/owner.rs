//! The owner's operations against a real node: wallets, deposits and withdrawals, prepare →
//! sign elsewhere → submit, the wrong signer, the life of a session, and the status of a session
//! past its slot bound (which `wallet show` once counted as active: it judged at slot 0).

mod common;

use base64::{prelude::BASE64_STANDARD, Engine};
use common::{amount, env, token, WALLET};
use leash_client::{ErrorCode, Holder, WalletRef};
use leash_sdk::{session_token::SessionToken, LeashError};
use serde_json::json;
use solana_keypair::Keypair;
use solana_program::pubkey::Pubkey;
use solana_signer::Signer;
use solana_transaction::Transaction;

const POLICY: &str = r#"
expires_in = "2h"
max_uses = 100
allowed_programs = ["spl-token", "system"]
[[limits]]
token = "USDC"
per_tx = "5"
total = "8"
[[limits]]
token = "SOL"
total = "0.5"
"#;

#[test]
fn wallet_reports_balances_and_moves_funds() {
    let env = env();
    let owner = env.owner.pubkey();
    // Creating twice is harmless: the second has nothing to sign.
    let again = env.client.prepare_create_wallet(&owner, WALLET).unwrap();
    assert!(again.transactions.is_empty());
    let report = env.client.sign_and_send(again, &env.owner).unwrap();
    assert!(!report.created && report.signature.is_none());
    assert!(report.to_string().contains("already exists"));

    let shown = env
        .client
        .show_wallet(&WalletRef::of(
            &leash_sdk::DEFAULT_PROGRAM_ID,
            &owner,
            WALLET,
        ))
        .unwrap();
    let usdc = shown.balances.iter().find(|b| b.token == "USDC").unwrap();
    assert_eq!(
        (usdc.amount.as_str(), usdc.base_units.as_str()),
        ("100", "100000000")
    );
    assert_eq!(shown.balances[0].token, "SOL");
    assert_eq!(shown.balances[0].amount, "2");

    let to = Pubkey::new_unique();
    let withdraw = env
        .client
        .prepare_withdraw(
            &WalletRef::of(&leash_sdk::DEFAULT_PROGRAM_ID, &owner, WALLET),
            &amount("10"),
            &token("USDC"),
            Some(to),
        )
        .unwrap();
    assert!(
        withdraw.summary.contains("Withdraw 10 USDC"),
        "{}",
        withdraw.summary
    );
    let withdrew = env.client.sign_and_send(withdraw, &env.owner).unwrap();
    assert!(withdrew.signature.is_some());
    assert_eq!(withdrew.to, to.to_string());
    let shown = env
        .client
        .show_wallet(&WalletRef::of(
            &leash_sdk::DEFAULT_PROGRAM_ID,
            &owner,
            WALLET,
        ))
        .unwrap();
    assert!(shown
        .balances
        .iter()
        .any(|b| b.token == "USDC" && b.amount == "90"));

    // Bad input is refused before anything is sent, with the reason.
    let too_precise = env
        .client
        .prepare_deposit(
            &WalletRef::of(&leash_sdk::DEFAULT_PROGRAM_ID, &owner, WALLET),
            &amount("0.0000001"),
            &token("USDC"),
        )
        .unwrap_err();
    assert_eq!(too_precise.code, ErrorCode::InvalidInput);
    assert!(
        too_precise.message.contains("7 decimal places"),
        "{too_precise}"
    );
    let unknown = env
        .client
        .prepare_deposit(
            &WalletRef::of(&leash_sdk::DEFAULT_PROGRAM_ID, &owner, WALLET),
            &amount("1"),
            &token("DOGE"),
        )
        .unwrap_err();
    assert!(
        unknown.message.contains("is not a token symbol known on"),
        "{unknown}"
    );
    let nobody = env
        .client
        .show_wallet(&WalletRef::of(
            &leash_sdk::DEFAULT_PROGRAM_ID,
            &Pubkey::new_unique(),
            WALLET,
        ))
        .unwrap_err();
    assert_eq!(nobody.code, ErrorCode::NoWallet);
}

#[test]
fn prepared_operations_are_signed_elsewhere_and_submitted() {
    let env = env();
    let owner = env.owner.pubkey();
    let to = Pubkey::new_unique();
    let prepared = env
        .client
        .prepare_withdraw(
            &WalletRef::of(&leash_sdk::DEFAULT_PROGRAM_ID, &owner, WALLET),
            &amount("0.25"),
            &token("SOL"),
            Some(to),
        )
        .unwrap();
    let unsigned = env.client.unsigned_transactions(&prepared).unwrap();
    assert_eq!(unsigned.len(), 1);
    assert_eq!(unsigned[0].signers, vec![owner.to_string()]);
    assert!(unsigned[0].summary.contains("0.25 SOL"));

    // The signer elsewhere: decodes the wire bytes, checks who must sign, signs.
    let bytes = BASE64_STANDARD.decode(&unsigned[0].transaction).unwrap();
    let mut tx: Transaction = bincode::deserialize(&bytes).unwrap();
    assert!(
        tx.signatures.iter().all(|s| *s == Default::default()),
        "unsigned"
    );
    let blockhash = tx.message.recent_blockhash;
    assert_eq!(blockhash.to_string(), unsigned[0].blockhash);
    tx.try_sign(&[&env.owner], blockhash).unwrap();
    let signature = env.client.submit(&tx).unwrap();
    assert_eq!(env.client.rpc().get_balance(&to).unwrap(), 250_000_000);
    // Submitting the same signed transaction again is refused as already processed.
    let again = env.client.submit(&tx).unwrap_err();
    assert_eq!(again.code, ErrorCode::TransactionFailed);
    assert!(again.message.contains("already been processed"), "{again}");
    assert_eq!(
        env.client.rpc().get_signature_status(&signature).unwrap(),
        Some(Ok(()))
    );

    // Signing with another key than the owner's is refused before anything is sent.
    let stranger = Keypair::new();
    env.client
        .airdrop(&stranger.pubkey(), &amount("1"), &token("SOL"))
        .unwrap();
    let theirs = env
        .client
        .prepare_revoke_all_sessions(&WalletRef::of(
            &leash_sdk::DEFAULT_PROGRAM_ID,
            &owner,
            WALLET,
        ))
        .unwrap();
    let refused = env.client.sign_and_send(theirs, &stranger).unwrap_err();
    assert_eq!(refused.code, ErrorCode::Signer, "{refused}");
}

#[test]
fn a_session_lives_from_preview_to_close() {
    let env = env();
    let owner = env.owner.pubkey();
    let key = Keypair::new();
    let preview = env
        .client
        .preview_session(
            &WalletRef::of(&leash_sdk::DEFAULT_PROGRAM_ID, &owner, WALLET).address,
            &common::policy(POLICY),
            &key.pubkey(),
        )
        .unwrap();
    assert!(preview.preview);
    assert_eq!(preview.policy.limits[0].token, "USDC");
    assert_eq!(preview.policy.limits[0].total, "8");
    assert!(preview.to_string().starts_with("Preview (nothing sent)"));
    assert!(
        preview.wallet_exists && preview.rent_lamports > 0,
        "{preview:?}"
    );
    // Before its wallet exists: the same preview, the rent, and a warning (the CLI, the API and
    // the dashboard all show this one answer).
    let early = env
        .client
        .preview_session(
            &Pubkey::new_unique(),
            &common::policy(POLICY),
            &key.pubkey(),
        )
        .unwrap();
    assert!(!early.wallet_exists);
    assert_eq!(early.rent_lamports, preview.rent_lamports);
    assert!(early.to_string().contains("(not created yet)"));
    assert!(
        early
            .warnings
            .iter()
            .any(|w| w.contains("does not exist yet")),
        "{:?}",
        early.warnings
    );
    let wide = env
        .client
        .preview_session(
            &WalletRef::of(&leash_sdk::DEFAULT_PROGRAM_ID, &owner, WALLET).address,
            &common::policy("expires_in = \"1h\""),
            &key.pubkey(),
        )
        .unwrap();
    assert!(
        wide.warnings
            .iter()
            .any(|w| w.contains("no spending limits")),
        "{:?}",
        wide.warnings
    );

    let (_, created) = env.create_session(POLICY);
    let encoded = created.token.clone().unwrap();
    assert!(encoded.starts_with("lsk1_"));
    let decoded = SessionToken::decode(&encoded).unwrap();
    assert_eq!(decoded.session.to_string(), created.session);
    // The report's JSON carries the token only because the key's holder put it there.
    let json = serde_json::to_value(&created).unwrap();
    assert_eq!(json["policy"]["limits"][0]["token"], "USDC");

    let session: Pubkey = created.session.parse().unwrap();
    let listed = env
        .client
        .list_sessions(&WalletRef::of(
            &leash_sdk::DEFAULT_PROGRAM_ID,
            &owner,
            WALLET,
        ))
        .unwrap();
    assert_eq!(listed.0.len(), 1);
    assert_eq!(listed.0[0].status, "active");
    assert_eq!(listed.0[0].max_uses, Some(100));

    // The holder spends; the owner sees it, then widens the limit in place.
    let holder = Holder::new(&env.client, decoded).unwrap();
    holder
        .act(&leash_client::Action::Transfer {
            to: Pubkey::new_unique(),
            amount: amount("4.5"),
            token: token("USDC"),
        })
        .unwrap();
    let shown = env
        .client
        .show_session(
            &WalletRef::of(&leash_sdk::DEFAULT_PROGRAM_ID, &owner, WALLET),
            &session,
        )
        .unwrap();
    assert_eq!(shown.uses, 1);
    assert_eq!(shown.policy.limits[0].used.as_deref(), Some("4.5"));
    // By session key as well as by address.
    let by_key = env
        .client
        .show_session(
            &WalletRef::of(&leash_sdk::DEFAULT_PROGRAM_ID, &owner, WALLET),
            &holder.session_key(),
        )
        .unwrap();
    assert_eq!(by_key.session, created.session);
    let update = env
        .client
        .prepare_update_session(
            &WalletRef::of(&leash_sdk::DEFAULT_PROGRAM_ID, &owner, WALLET),
            &session,
            &common::policy(&POLICY.replace("total = \"8\"", "total = \"20\"")),
            None,
        )
        .unwrap();
    let updated = env.client.sign_and_send(update, &env.owner).unwrap();
    assert_eq!(updated.policy.limits[0].total, "20");
    let shown = env
        .client
        .show_session(
            &WalletRef::of(&leash_sdk::DEFAULT_PROGRAM_ID, &owner, WALLET),
            &session,
        )
        .unwrap();
    assert_eq!(
        shown.policy.limits[0].used.as_deref(),
        Some("4.5"),
        "spent carries over"
    );

    let revoke = env
        .client
        .prepare_revoke_session(
            &WalletRef::of(&leash_sdk::DEFAULT_PROGRAM_ID, &owner, WALLET),
            &session,
        )
        .unwrap();
    env.client.sign_and_send(revoke, &env.owner).unwrap();
    assert_eq!(
        env.client
            .show_session(
                &WalletRef::of(&leash_sdk::DEFAULT_PROGRAM_ID, &owner, WALLET),
                &session
            )
            .unwrap()
            .status,
        "revoked"
    );
    let close = env
        .client
        .prepare_close_session(
            &WalletRef::of(&leash_sdk::DEFAULT_PROGRAM_ID, &owner, WALLET),
            &session,
        )
        .unwrap();
    let closed = env.client.sign_and_send(close, &env.owner).unwrap();
    assert_eq!(closed.rent_to, owner.to_string());
    let gone = env
        .client
        .show_session(
            &WalletRef::of(&leash_sdk::DEFAULT_PROGRAM_ID, &owner, WALLET),
            &session,
        )
        .unwrap_err();
    assert_eq!(
        gone.code,
        ErrorCode::Program(LeashError::SessionNotRegistered)
    );
    assert!(env
        .client
        .list_sessions(&WalletRef::of(
            &leash_sdk::DEFAULT_PROGRAM_ID,
            &owner,
            WALLET
        ))
        .unwrap()
        .0
        .is_empty());

    // Revoke-all moves the epoch on.
    env.create_session(POLICY);
    let all = env
        .client
        .prepare_revoke_all_sessions(&WalletRef::of(
            &leash_sdk::DEFAULT_PROGRAM_ID,
            &owner,
            WALLET,
        ))
        .unwrap();
    let all = env.client.sign_and_send(all, &env.owner).unwrap();
    assert_eq!(all.epoch, 1);
    assert_eq!(
        env.client
            .list_sessions(&WalletRef::of(
                &leash_sdk::DEFAULT_PROGRAM_ID,
                &owner,
                WALLET
            ))
            .unwrap()
            .0[0]
            .status,
        "revoked"
    );
}

/// Regression: a session past its slot bound is expired in every view, and `show_wallet` no
/// longer counts it as active (it judged the status at slot 0).
#[test]
fn a_session_past_its_slot_bound_is_expired_everywhere() {
    let env = env();
    let owner = env.owner.pubkey();
    let bound = env.client.slot().unwrap() + 100_000;
    let (_, created) = env.create_session(&format!("expiry_slot = {bound}\n{POLICY}"));
    let session: Pubkey = created.session.parse().unwrap();
    assert_eq!(
        env.client
            .show_wallet(&WalletRef::of(
                &leash_sdk::DEFAULT_PROGRAM_ID,
                &owner,
                WALLET
            ))
            .unwrap()
            .active_sessions,
        1
    );

    env.rpc("leash_warpSlot", json!([bound + 1]));
    let wallet = env
        .client
        .show_wallet(&WalletRef::of(
            &leash_sdk::DEFAULT_PROGRAM_ID,
            &owner,
            WALLET,
        ))
        .unwrap();
    assert_eq!((wallet.sessions, wallet.active_sessions), (1, 0));
    assert_eq!(
        env.client
            .list_sessions(&WalletRef::of(
                &leash_sdk::DEFAULT_PROGRAM_ID,
                &owner,
                WALLET
            ))
            .unwrap()
            .0[0]
            .status,
        "expired"
    );
    let shown = env
        .client
        .show_session(
            &WalletRef::of(&leash_sdk::DEFAULT_PROGRAM_ID, &owner, WALLET),
            &session,
        )
        .unwrap();
    assert_eq!(shown.status, "expired");
    assert!(
        shown
            .to_string()
            .contains(&format!("Slot bound:  slot {bound} (now ")),
        "{shown}"
    );
    // The program agrees: the holder is refused as expired.
    let holder = Holder::new(
        &env.client,
        SessionToken::decode(created.token.as_deref().unwrap()).unwrap(),
    )
    .unwrap();
    assert_eq!(holder.whoami().unwrap().status, "expired");
    let refused = holder
        .act(&leash_client::Action::Transfer {
            to: Pubkey::new_unique(),
            amount: amount("0.01"),
            token: token("SOL"),
        })
        .unwrap_err();
    assert_eq!(refused.code, ErrorCode::Program(LeashError::SessionExpired));
}
