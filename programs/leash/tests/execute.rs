//! `Execute`: the order of checks, outcome-based accounting and its boundaries.

mod common;

use common::*;
use leash_program::{error::LeashError, event::LeashEvent, state::NATIVE_SOL_MINT};
use solana_signer::Signer;

#[test]
fn session_transfers_usdc_and_sol_within_limits() {
    let mut env = Env::new();
    let key = env.create_session(policy(&env));
    let fee_payer_before = env.lamports(&key.pubkey());
    let vault_before = env.lamports(&env.vault);
    let result = env.execute(
        &key,
        &[env.usdc_out(4 * USDC + 500_000), env.sol_out(SOL / 2)],
    );
    assert_ok(&result);
    assert_eq!(env.token_balance(&env.recipient_usdc), 4_500_000);
    assert_eq!(
        env.lamports(&env.vault),
        vault_before - SOL / 2,
        "fees never come out of the vault"
    );
    assert!(
        env.lamports(&key.pubkey()) < fee_payer_before,
        "the session key pays its fee"
    );
    let session = env.session(&key.pubkey());
    assert_eq!((session.uses, session.nonce), (1, 1));
    assert_eq!(session.spent[0].total, 4_500_000);
    assert_eq!(session.spent[1].total, SOL / 2);
    // The SessionUsed event carries the measured outflows.
    let logs = result.unwrap().logs;
    let data = logs
        .iter()
        .find_map(|l| l.strip_prefix("Program data: "))
        .expect("event");
    let bytes = base64_decode(data);
    assert_eq!(
        LeashEvent::decode(&bytes),
        Some(LeashEvent::SessionUsed {
            session: env.session_address(&key.pubkey()),
            uses: 1,
            nonce: 1,
            outflows: vec![(NATIVE_SOL_MINT, SOL / 2), (env.usdc, 4_500_000)],
        })
    );
}

#[test]
fn limit_exactly_at_remaining_passes_and_one_unit_over_fails() {
    let mut env = Env::new();
    let key = env.create_session(policy(&env));
    for _ in 0..4 {
        assert_ok(&env.execute(&key, &[env.usdc_out(10 * USDC)]));
    }
    // 40 of 50 used: 10 USDC + 1 unit is refused, exactly 10 passes.
    let over = env.execute(&key, &[env.usdc_out(5 * USDC), env.usdc_out(5 * USDC + 1)]);
    assert_leash_err(&over, LeashError::PerTxLimitExceeded);
    assert_ok(&env.execute(&key, &[env.usdc_out(10 * USDC)]));
    assert_leash_err(
        &env.execute(&key, &[env.usdc_out(1)]),
        LeashError::SpendingLimitExceeded,
    );
    assert_eq!(env.session(&key.pubkey()).spent[0].total, 50 * USDC);
    assert_eq!(env.token_balance(&env.recipient_usdc), 50 * USDC);
}

fn base64_decode(s: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut buf, mut bits) = (0u32, 0);
    for c in s.bytes().filter(|c| *c != b'=') {
        let v = ALPHABET.iter().position(|a| *a == c).unwrap() as u32;
        buf = (buf << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
        }
    }
    out
}
