//! The holder's operations against a real node, and `simulate` agreeing with the real outcome:
//! for every refusal a holder operation can meet, the dry run names the same code (and, for
//! spending limits, the same message and figures) as the transaction the operation then sends.
//!
//! Not reachable through holder operations, so not here: `Unauthorized`, `InvalidPolicy` and
//! `SessionStillActive` (owner instructions; a policy is checked before it is sent),
//! `NonceMismatch` (operations send no expected nonce), `WalletMismatch`, `InvalidAccount` and
//! `SessionKeyMismatch` (the operations derive every account from the token), and
//! `ArithmeticOverflow`. The program's own tests cover those.

mod common;

use base64::{prelude::BASE64_STANDARD, Engine};
use common::{amount, env, token, Env, WALLET};
use leash_client::{
    holder::Simulation, Action, Bound, ErrorCode, Holder, RawInstruction, WalletRef,
};
use leash_sdk::LeashError;
use serde_json::json;
use solana_program::pubkey::Pubkey;
use solana_signer::Signer;

const LIMITS: &str = r#"
expires_in = "2h"
allowed_programs = ["spl-token", "system"]
[[limits]]
token = "USDC"
per_tx = "5"
total = "8"
[[limits]]
token = "SOL"
total = "0.5"
period = "1h"
per_period = "0.2"
"#;

fn transfer(how_much: &str, what: &str) -> Action {
    Action::Transfer {
        to: Pubkey::new_unique(),
        amount: amount(how_much),
        token: token(what),
    }
}

fn system_transfer(lamports: u64, to: &Pubkey) -> RawInstruction {
    let mut data = 2u32.to_le_bytes().to_vec();
    data.extend_from_slice(&lamports.to_le_bytes());
    RawInstruction::parse_one(
        &json!({
            "program": "system",
            "accounts": [{"pubkey": "vault", "is_signer": true, "is_writable": true}, {"pubkey": to.to_string(), "is_writable": true}],
            "data": BASE64_STANDARD.encode(data),
        })
        .to_string(),
    )
    .unwrap()
}

/// Simulates `action`, then does it: both must be refused with `expected`, the same message and
/// the same figures. Returns the simulation.
#[track_caller]
fn refused_alike(holder: &Holder, action: &Action, expected: LeashError) -> Simulation {
    let simulated = holder.simulate(action).expect("simulation runs");
    assert_eq!(
        simulated.refusal(),
        Some(ErrorCode::Program(expected)),
        "simulated: {simulated}"
    );
    let real = holder
        .act(action)
        .expect_err("the real operation is refused");
    assert_eq!(real.code, ErrorCode::Program(expected), "{real}");
    assert_eq!(real.program_code, Some(expected.code()));
    let Simulation::Refused {
        message,
        figures,
        hint,
        program_code,
        ..
    } = &simulated
    else {
        unreachable!("refusal() said refused");
    };
    assert_eq!(message, &real.message);
    assert_eq!(figures, &real.figures);
    assert_eq!(hint, &real.hint);
    assert_eq!(*program_code, real.program_code);
    simulated
}

#[track_caller]
fn passes_alike(holder: &Holder, action: &Action) {
    let simulated = holder.simulate(action).expect("simulation runs");
    assert_eq!(simulated.refusal(), None, "{simulated}");
    holder.act(action).expect("the real operation passes");
}

#[test]
fn simulate_agrees_with_the_real_outcome_on_spending_limits() {
    let env = env();
    let holder = env.holder(LIMITS);
    passes_alike(&holder, &transfer("4.5", "USDC"));

    let total = refused_alike(
        &holder,
        &transfer("4", "USDC"),
        LeashError::SpendingLimitExceeded,
    );
    let Simulation::Refused {
        over_by, figures, ..
    } = &total
    else {
        unreachable!()
    };
    assert_eq!(
        over_by
            .as_ref()
            .map(|o| (o.amount.as_str(), o.token.as_str())),
        Some(("0.5", "USDC"))
    );
    let figures = figures.as_ref().unwrap();
    assert_eq!(
        (
            figures.bound,
            figures.used.as_str(),
            figures.limit.as_str(),
            figures.needed.as_str()
        ),
        (Bound::Total, "4.5", "8", "4")
    );
    assert_eq!(
        holder.act(&transfer("4", "USDC")).unwrap_err().message,
        "Spending limit exceeded (4.5 used, 8 limit; this transaction needs 4 USDC)"
    );

    let per_tx = refused_alike(
        &holder,
        &transfer("5.000001", "USDC"),
        LeashError::PerTxLimitExceeded,
    );
    assert!(
        per_tx.to_string().contains("Over by 0.000001 USDC"),
        "{per_tx}"
    );

    passes_alike(&holder, &transfer("0.15", "SOL"));
    let period = refused_alike(
        &holder,
        &transfer("0.1", "SOL"),
        LeashError::PeriodLimitExceeded,
    );
    let Simulation::Refused { figures, .. } = &period else {
        unreachable!()
    };
    assert_eq!(figures.as_ref().map(|f| f.bound), Some(Bound::Period));

    // What the session spent is what the chain says, as used / limit.
    let policy = holder.policy().unwrap();
    assert_eq!(policy.limits[0].used.as_deref(), Some("4.5"));
    assert_eq!(policy.limits[1].used_in_period.as_deref(), Some("0.15"));
}

#[test]
fn simulate_agrees_with_the_real_outcome_on_programs_calls_tokens_and_authorities() {
    let env = env();
    let holder = env.holder(
        r#"
        expires_in = "2h"
        max_calls_per_tx = 1
        allowed_programs = ["spl-token", "system"]
        [[limits]]
        token = "USDC"
        total = "8"
        "#,
    );
    // No limit for SOL: none may leave.
    refused_alike(
        &holder,
        &transfer("0.01", "SOL"),
        LeashError::TokenNotInPolicy,
    );
    let memo = RawInstruction::parse_one(r#"{"program": "memo", "data": "aGk="}"#).unwrap();
    refused_alike(
        &holder,
        &Action::Execute(memo),
        LeashError::ProgramNotAllowed,
    );
    let to = Pubkey::new_unique();
    refused_alike(
        &holder,
        &Action::Multicall(vec![system_transfer(1, &to), system_transfer(2, &to)]),
        LeashError::TooManyCalls,
    );
    // Approving a delegate on the vault's USDC account would hand authority out of the vault.
    let usdc = holder.balance(Some(&token("USDC"))).unwrap().balances[0]
        .mint
        .clone();
    let usdc: Pubkey = usdc.parse().unwrap();
    let vault_usdc = leash_sdk::spl::associated_token_address(
        &holder.vault(),
        &usdc,
        &leash_sdk::spl::TOKEN_PROGRAM_ID,
    );
    let approve = leash_sdk::spl::approve(
        &leash_sdk::spl::TOKEN_PROGRAM_ID,
        &vault_usdc,
        &Pubkey::new_unique(),
        &holder.vault(),
        1,
    );
    let approve = RawInstruction::parse_one(
        &json!({
            "program": approve.program_id.to_string(),
            "accounts": approve.accounts.iter().map(|a| json!({
                "pubkey": if a.pubkey == holder.vault() { "vault".to_string() } else { a.pubkey.to_string() },
                "is_signer": a.is_signer,
                "is_writable": a.is_writable,
            })).collect::<Vec<_>>(),
            "data": BASE64_STANDARD.encode(&approve.data),
        })
        .to_string(),
    )
    .unwrap();
    refused_alike(
        &holder,
        &Action::Execute(approve),
        LeashError::ForbiddenAuthorityChange,
    );
    // Nothing was spent by the refusals.
    let status = holder.status().unwrap().to_string();
    assert!(status.contains("Uses:        0 / unlimited"), "{status}");
}

#[test]
fn simulate_agrees_with_the_real_outcome_on_the_life_of_a_session() {
    let env = env();
    // Used up.
    let once = env.holder(&format!("max_uses = 1\n{LIMITS}"));
    passes_alike(&once, &transfer("1", "USDC"));
    assert_eq!(once.whoami().unwrap().status, "used up");
    refused_alike(&once, &transfer("1", "USDC"), LeashError::MaxUsesReached);

    // Not yet active.
    let later = env.client.now() + 3_600;
    let waiting = env.holder(&format!(
        "valid_after = {later}\nvalid_until = {}\nallowed_programs = [\"system\"]\n[[limits]]\ntoken = \"SOL\"\ntotal = \"1\"",
        later + 3_600
    ));
    assert_eq!(waiting.whoami().unwrap().status, "not yet active");
    refused_alike(
        &waiting,
        &transfer("0.01", "SOL"),
        LeashError::SessionNotYetActive,
    );

    // Revoked by the owner, then closed.
    let revoked = env.holder(LIMITS);
    let session = revoked.session();
    let revoke = env
        .client
        .prepare_revoke_session(
            &WalletRef::of(&leash_sdk::DEFAULT_PROGRAM_ID, &env.owner.pubkey(), WALLET),
            &session,
        )
        .unwrap();
    env.client.sign_and_send(revoke, &env.owner).unwrap();
    refused_alike(
        &revoked,
        &transfer("0.01", "SOL"),
        LeashError::SessionRevoked,
    );
    let close = env
        .client
        .prepare_close_session(
            &WalletRef::of(&leash_sdk::DEFAULT_PROGRAM_ID, &env.owner.pubkey(), WALLET),
            &session,
        )
        .unwrap();
    env.client.sign_and_send(close, &env.owner).unwrap();
    refused_alike(
        &revoked,
        &transfer("0.01", "SOL"),
        LeashError::SessionNotRegistered,
    );
    let status = serde_json::to_value(revoked.status().unwrap()).unwrap();
    assert_eq!(
        status,
        json!({"session": session.to_string(), "registered": false, "status": "not registered"})
    );

    // Expired: the clock moves past valid_until (last: it expires every session).
    let expiring = env.holder(LIMITS);
    env.rpc("leash_setUnixTimestamp", json!([4_000_000_000i64]));
    refused_alike(
        &expiring,
        &transfer("0.01", "SOL"),
        LeashError::SessionExpired,
    );
}

#[test]
fn holder_reads_and_revokes_itself() {
    let env: Env = env();
    let holder = env.holder(LIMITS);
    let me = holder.whoami().unwrap();
    assert_eq!(me.status, "active");
    assert_eq!(me.fee_balance, "0.05");
    assert_eq!(me.vault, holder.vault().to_string());
    let balances = holder.balance(None).unwrap();
    assert_eq!(balances.balances[0].token, "SOL");
    assert!(balances
        .balances
        .iter()
        .any(|b| b.token == "USDC" && b.balance == "100"));
    // An address that is no mint is refused as input.
    let to = Pubkey::new_unique();
    let none = holder.balance(Some(&token(&to.to_string())));
    assert_eq!(
        none.unwrap_err().code,
        ErrorCode::InvalidInput,
        "not a mint"
    );

    // Raw instructions: one, then two atomically; SOL spent is metered.
    holder
        .act(&Action::Execute(system_transfer(100_000_000, &to)))
        .unwrap();
    let acted = holder
        .act(&Action::Multicall(vec![
            system_transfer(1_000_000, &to),
            system_transfer(2_000_000, &to),
        ]))
        .unwrap();
    assert_eq!(acted.uses, 2);
    assert_eq!(acted.limits[1].used.as_deref(), Some("0.103"));
    assert_eq!(acted.to_string().lines().next(), Some("Executed"));
    let sent = holder.act(&transfer("1", "USDC")).unwrap();
    assert!(sent.to_string().starts_with("Sent 1 USDC to "), "{sent}");

    // Zero is refused before sending.
    let zero = holder.simulate(&transfer("0", "USDC")).unwrap_err();
    assert_eq!(zero.code, ErrorCode::InvalidInput);

    let revoked = holder.revoke().unwrap();
    assert!(revoked.to_string().contains("this token can no longer act"));
    assert_eq!(holder.whoami().unwrap().status, "revoked");
}

/// The node runs the program as the committed SBF ELF by default, so an `Execute` sent over
/// RPC reports what the SBF virtual machine charged (15k+ CU; the native builtin reports ~80).
#[test]
fn an_execute_reports_the_compute_units_the_sbf_program_used() {
    let env = env();
    let holder = env.holder(LIMITS);
    let acted = holder
        .act(&transfer("1", "USDC"))
        .expect("the transfer passes");
    let tx = env.rpc(
        "getTransaction",
        json!([acted.signature, {"encoding": "json", "commitment": "confirmed"}]),
    );
    let units = tx["meta"]["computeUnitsConsumed"]
        .as_u64()
        .unwrap_or_else(|| panic!("no computeUnitsConsumed in {tx}"));
    assert!(
        (5_000..200_000).contains(&units),
        "an Execute with a token transfer used {units} CU: not the SBF program's figure"
    );
    let logs = tx["meta"]["logMessages"].to_string();
    assert!(
        logs.contains("consumed") && logs.contains("LeashSessionKeys"),
        "{logs}"
    );
}
