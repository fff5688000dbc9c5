//! The committed SBPF v0 probe ELFs (built by `scripts/build-sbf`, docs/sbf.md) load and run in
//! LiteSVM, and what they measure: the logging probe's log line and compute units, and the compute
//! units of each way of checking a Leash vault address (`sbf-pda-probe`). `--nocapture` prints the
//! figures.

#![allow(clippy::result_large_err)] // LiteSVM's own result type

use leash_program::state::{self, Authority, Wallet};
use litesvm::LiteSVM;
use solana_account::Account;
use solana_keypair::Keypair;
use solana_message::Message;
use solana_program::{
    instruction::{AccountMeta, Instruction},
    pubkey::Pubkey,
};
use solana_signer::Signer;
use solana_transaction::Transaction;

const SBF_PROBE: &[u8] = include_bytes!("../../../programs/sbf-probe/sbf_probe.so");
const PDA_PROBE: &[u8] = include_bytes!("../../../programs/sbf-pda-probe/sbf_pda_probe.so");

/// Runs one instruction paid by a fresh payer; its logs and the program's own consumed units.
fn run(
    svm: &mut LiteSVM,
    program: Pubkey,
    ix: Instruction,
) -> Result<(Vec<String>, u64), Vec<String>> {
    let payer = Keypair::new();
    svm.airdrop(&payer.pubkey(), 1_000_000_000)
        .expect("airdrop");
    let message = Message::new(&[ix], Some(&payer.pubkey()));
    let tx = Transaction::new(&[&payer], message, svm.latest_blockhash());
    let meta = svm
        .send_transaction(tx)
        .map_err(|failed| failed.meta.logs)?;
    let prefix = format!("Program {program} consumed ");
    let consumed = meta
        .logs
        .iter()
        .find_map(|line| line.strip_prefix(&prefix))
        .and_then(|rest| rest.split(' ').next())
        .and_then(|units| units.parse().ok())
        .expect("a `consumed` log line");
    Ok((meta.logs, consumed))
}

#[test]
fn the_logging_probe_runs_as_sbpf_v0() {
    let mut svm = LiteSVM::new();
    let program = Pubkey::new_unique();
    svm.add_program(program, SBF_PROBE)
        .expect("the probe ELF loads");
    let ix = Instruction::new_with_bytes(program, &[], vec![]);
    let (logs, consumed) = run(&mut svm, program, ix).expect("the probe succeeds");
    println!("sbf-probe ({} bytes): {consumed} CU", SBF_PROBE.len());
    for line in &logs {
        println!("  {line}");
    }
    assert!(logs.contains(&"Program log: sbf-probe: hello from SBPF v0".to_string()));
    assert!(logs.last().is_some_and(|line| line.ends_with(" success")));
    assert!(consumed < 1_000, "{consumed} CU for one log line");
}

#[test]
fn vault_checks_cost_what_docs_sbf_says() {
    let mut svm = LiteSVM::new();
    let program = Pubkey::new_unique();
    svm.add_program(program, PDA_PROBE)
        .expect("the PDA probe ELF loads");

    // A wallet in the docs/program.md layout, owned by the probe, then the vault address it would store.
    let wallet = Pubkey::new_unique();
    let (vault, vault_bump) =
        Pubkey::find_program_address(&[state::VAULT_SEED, wallet.as_ref()], &program);
    let mut data = borsh::to_vec(&Wallet {
        account_type: state::WALLET_ACCOUNT_TYPE,
        version: state::LAYOUT_VERSION,
        bump: 255,
        vault_bump,
        owner: Authority::Ed25519(Pubkey::new_unique()),
        salt: [7; 32],
        epoch: 3,
        created_slot: 42,
        owner_nonce: 0,
    })
    .expect("borsh");
    assert_eq!(data.len(), Wallet::LEN);
    data.extend_from_slice(vault.as_ref());
    let lamports = svm.minimum_balance_for_rent_exemption(data.len());
    svm.set_account(
        wallet,
        Account {
            lamports,
            data,
            owner: program,
            executable: false,
            rent_epoch: 0,
        },
    )
    .expect("wallet account");

    let mode = |mode: u8, vault: Pubkey| {
        Instruction::new_with_bytes(
            program,
            &[mode],
            vec![
                AccountMeta::new_readonly(wallet, false),
                AccountMeta::new_readonly(vault, false),
            ],
        )
    };
    let mut cu = [0u64; 5];
    let names = [
        "baseline: entrypoint + zero-copy wallet read",
        "find_program_address",
        "create_program_address (stored bump)",
        "derive_address: sha256 (stored bump)",
        "compare the stored vault address",
    ];
    println!(
        "sbf-pda-probe ({} bytes), vault bump {vault_bump}:",
        PDA_PROBE.len()
    );
    for m in 0..5u8 {
        let (_, consumed) = run(&mut svm, program, mode(m, vault)).unwrap_or_else(|logs| {
            panic!("mode {m} failed: {logs:#?}");
        });
        cu[m as usize] = consumed;
        let extra = consumed.saturating_sub(cu[0]);
        println!(
            "  {m} {:<46} {consumed:>6} CU (+{extra})",
            names[m as usize]
        );
    }
    // Every check refuses a wrong vault.
    for m in 1..5u8 {
        assert!(
            run(&mut svm, program, mode(m, Pubkey::new_unique())).is_err(),
            "mode {m} accepted a wrong vault"
        );
    }
    assert!(cu[4] < cu[3] && cu[3] < cu[2] && cu[2] <= cu[1], "{cu:?}");
}
