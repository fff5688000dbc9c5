//! The native adapter's logs have the SBF runtime's shape (docs/program.md, "How it runs here"): one
//! `Program <id> invoke [depth]` per invocation, the program's own lines, then
//! `Program <id> consumed X of Y compute units` and `Program <id> success` / `failed: …` — so a
//! log parser attributes every `Program data:` event to the program that emitted it, exactly as
//! it would on a cluster. SPL Token runs as SBF in the same transactions, as the reference.

#![allow(clippy::result_large_err)] // LiteSVM's own result type

use base64::Engine;
use leash_program::{
    event::LeashEvent,
    instruction as ix,
    state::{self, Authority, Policy, SpendLimit},
};
use leash_sdk::spl;
use litesvm::LiteSVM;
use solana_keypair::Keypair;
use solana_message::Message;
use solana_program::{clock::Clock, instruction::Instruction, pubkey::Pubkey};
use solana_signer::Signer;
use solana_transaction::Transaction;

const SOL: u64 = 1_000_000_000;
const START_TIME: i64 = 1_800_000_000;

struct Chain {
    svm: LiteSVM,
    owner: Keypair,
    wallet: Pubkey,
    vault: Pubkey,
}

impl Chain {
    fn new() -> Chain {
        let mut svm = leash_runtime::leash_svm(&leash_program::DEFAULT_ID);
        let mut clock: Clock = svm.get_sysvar();
        clock.unix_timestamp = START_TIME;
        svm.set_sysvar(&clock);
        let owner = Keypair::new();
        svm.airdrop(&owner.pubkey(), 100 * SOL).expect("airdrop");
        let salt = [7; 32];
        let (wallet, _) = state::wallet_address(
            &Authority::Ed25519(owner.pubkey()),
            &salt,
            &leash_program::DEFAULT_ID,
        );
        let (vault, _) = state::vault_address(&wallet, &leash_program::DEFAULT_ID);
        let mut chain = Chain {
            svm,
            owner,
            wallet,
            vault,
        };
        let create = ix::create_wallet(
            &leash_program::DEFAULT_ID,
            &chain.owner.pubkey(),
            &chain.owner.pubkey(),
            salt,
        );
        chain.send(&[create], &[]).expect("create wallet");
        chain
    }

    /// Sends `instructions` paid by the owner; the logs of the transaction, failed or not.
    fn send(
        &mut self,
        instructions: &[Instruction],
        signers: &[&Keypair],
    ) -> Result<Vec<String>, Vec<String>> {
        let mut all = vec![&self.owner];
        all.extend_from_slice(signers);
        let message = Message::new(instructions, Some(&self.owner.pubkey()));
        let tx = Transaction::new(&all, message, self.svm.latest_blockhash());
        let result = self.svm.send_transaction(tx);
        self.svm.expire_blockhash();
        match result {
            Ok(meta) => Ok(meta.logs),
            Err(failed) => Err(failed.meta.logs),
        }
    }
}

/// The logs with every `consumed X of Y` replaced by `consumed _ of _`.
fn shape(logs: &[String]) -> Vec<String> {
    logs.iter()
        .map(|line| match line.split_once(" consumed ") {
            Some((head, tail)) if tail.ends_with(" compute units") => {
                format!("{head} consumed _ of _ compute units")
            }
            _ => line.clone(),
        })
        .collect()
}

fn event_line(event: &LeashEvent) -> String {
    let bytes = borsh::to_vec(event).expect("event encodes");
    format!(
        "Program data: {}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

fn leash(rest: &str) -> String {
    format!("Program {} {rest}", leash_program::DEFAULT_ID)
}

fn token(rest: &str) -> String {
    format!("Program {} {rest}", spl::TOKEN_PROGRAM_ID)
}

fn system(rest: &str) -> String {
    format!("Program {} {rest}", solana_system_interface::program::ID)
}

const CONSUMED: &str = "consumed _ of _ compute units";

#[track_caller]
fn assert_shape(logs: &[String], expected: &[String]) {
    assert_eq!(shape(logs), expected, "logs:\n{}", logs.join("\n"));
}

#[test]
fn a_top_level_instruction_logs_invoke_event_consumed_success_once() {
    let mut chain = Chain::new();
    let owner = chain.owner.pubkey();
    let wallet = chain.wallet;
    let logs = chain
        .send(
            &[ix::revoke_all_sessions(
                &leash_program::DEFAULT_ID,
                &owner,
                &wallet,
            )],
            &[],
        )
        .expect("revoke all");
    let event = LeashEvent::AllSessionsRevoked { wallet, epoch: 1 };
    assert_shape(
        &logs,
        &[
            leash("invoke [1]"),
            event_line(&event),
            leash(CONSUMED),
            leash("success"),
        ],
    );
}

#[test]
fn a_cpi_into_a_builtin_sits_between_leash_invoke_and_success() {
    let mut chain = Chain::new();
    let owner = chain.owner.pubkey();
    let wallet = chain.wallet;
    let key = Pubkey::new_unique();
    let session = state::session_address(&wallet, &key, &leash_program::DEFAULT_ID).0;
    let logs = chain
        .send(
            &[ix::create_session(
                &leash_program::DEFAULT_ID,
                &owner,
                &owner,
                &wallet,
                &key,
                policy(Pubkey::new_unique()),
            )],
            &[],
        )
        .expect("create session");
    let event = LeashEvent::SessionCreated {
        wallet,
        session,
        session_key: key,
    };
    assert_shape(
        &logs,
        &[
            leash("invoke [1]"),
            system("invoke [2]"),
            system("success"),
            event_line(&event),
            leash(CONSUMED),
            leash("success"),
        ],
    );
}

#[test]
fn an_execute_shows_the_sbf_token_program_at_depth_two() {
    let mut chain = Chain::new();
    let owner = chain.owner.pubkey();
    let wallet = chain.wallet;
    let vault = chain.vault;

    let mint = Keypair::new();
    let rent = chain.svm.minimum_balance_for_rent_exemption(spl::MINT_LEN);
    let create = solana_system_interface::instruction::create_account(
        &owner,
        &mint.pubkey(),
        rent,
        spl::MINT_LEN as u64,
        &spl::TOKEN_PROGRAM_ID,
    );
    let init = spl::initialize_mint2(&spl::TOKEN_PROGRAM_ID, &mint.pubkey(), &owner, None, 6);
    chain.send(&[create, init], &[&mint]).expect("create mint");
    let mint = mint.pubkey();
    let vault_ata = spl::associated_token_address(&vault, &mint, &spl::TOKEN_PROGRAM_ID);
    let recipient = Pubkey::new_unique();
    let recipient_ata = spl::associated_token_address(&recipient, &mint, &spl::TOKEN_PROGRAM_ID);
    chain
        .send(
            &[
                spl::create_associated_token_account_idempotent(
                    &owner,
                    &vault,
                    &mint,
                    &spl::TOKEN_PROGRAM_ID,
                ),
                spl::create_associated_token_account_idempotent(
                    &owner,
                    &recipient,
                    &mint,
                    &spl::TOKEN_PROGRAM_ID,
                ),
                spl::mint_to(&spl::TOKEN_PROGRAM_ID, &mint, &vault_ata, &owner, 100),
            ],
            &[],
        )
        .expect("token accounts");
    let key = Keypair::new();
    chain.svm.airdrop(&key.pubkey(), SOL).expect("airdrop");
    chain
        .send(
            &[ix::create_session(
                &leash_program::DEFAULT_ID,
                &owner,
                &owner,
                &wallet,
                &key.pubkey(),
                policy(mint),
            )],
            &[],
        )
        .expect("create session");

    let transfer = spl::transfer(
        &spl::TOKEN_PROGRAM_ID,
        &vault_ata,
        &recipient_ata,
        &vault,
        40,
    );
    let logs = chain
        .send(
            &[ix::execute(
                &leash_program::DEFAULT_ID,
                &key.pubkey(),
                &wallet,
                None,
                &[transfer],
            )],
            &[&key],
        )
        .expect("execute");
    let event = LeashEvent::SessionUsed {
        session: state::session_address(&wallet, &key.pubkey(), &leash_program::DEFAULT_ID).0,
        uses: 1,
        nonce: 1,
        outflows: vec![(mint, 40)],
    };
    // SPL Token is the real SBF program: its own lines are the reference shape.
    assert_shape(
        &logs,
        &[
            leash("invoke [1]"),
            token("invoke [2]"),
            token(CONSUMED),
            token("success"),
            event_line(&event),
            leash(CONSUMED),
            leash("success"),
        ],
    );
}

#[test]
fn a_failing_instruction_logs_consumed_then_failed_once() {
    let mut chain = Chain::new();
    let wallet = chain.wallet;
    let stranger = Keypair::new();
    chain.svm.airdrop(&stranger.pubkey(), SOL).expect("airdrop");
    let logs = chain
        .send(
            &[ix::revoke_all_sessions(
                &leash_program::DEFAULT_ID,
                &stranger.pubkey(),
                &wallet,
            )],
            &[&stranger],
        )
        .expect_err("a stranger may not revoke");
    assert_shape(
        &logs,
        &[
            leash("invoke [1]"),
            format!(
                "Program log: {} is not the wallet owner, or did not sign",
                stranger.pubkey()
            ),
            leash(CONSUMED),
            leash(&format!(
                "failed: custom program error: {:#x}",
                leash_program::error::LeashError::Unauthorized.code()
            )),
        ],
    );
}

/// A policy allowing SPL Token, metering `mint` without a bound.
fn policy(mint: Pubkey) -> Policy {
    Policy::unbounded(
        vec![spl::TOKEN_PROGRAM_ID],
        vec![SpendLimit::unlimited(mint)],
    )
}
