//! The native adapter with a probe program: logs, events, return data, sysvars, CPI with PDA
//! signers, errors and panics behave as they would for an SBF program.

#![allow(clippy::result_large_err)] // LiteSVM's own result type

use leash_runtime::{native_builtin, BuiltinFunctionDefinition, LiteSVM};
use solana_keypair::Keypair;
use solana_message::Message;
use solana_program::{
    account_info::AccountInfo,
    entrypoint::ProgramResult,
    instruction::{AccountMeta, Instruction, InstructionError},
    program::{invoke_signed, set_return_data},
    program_error::ProgramError,
    pubkey::Pubkey,
};
use solana_signer::Signer;
use solana_transaction::Transaction;
use solana_transaction_error::TransactionError;

const PROBE: Pubkey = solana_program::pubkey!("Probe11111111111111111111111111111111111111");

fn probe(program_id: &Pubkey, accounts: &[AccountInfo], data: &[u8]) -> ProgramResult {
    match data.first() {
        Some(0) => panic!("probe panicked on purpose"),
        Some(1) => {
            leash_program::log::sol_log("hello from native");
            leash_program::log::sol_log_data(&[b"abc", b"de"]);
            set_return_data(b"ret");
            Ok(())
        }
        Some(2) => {
            let clock = leash_program::sysvars::clock()?;
            let rent_exempt = leash_program::sysvars::minimum_balance(0)?;
            leash_program::log::sol_log(&format!(
                "slot={} time={} rent={}",
                clock.slot, clock.unix_timestamp, rent_exempt
            ));
            Ok(())
        }
        Some(3) => {
            let (pda, bump) = Pubkey::find_program_address(&[b"pda"], program_id);
            let [from, to, system, ..] = accounts else {
                return Err(ProgramError::NotEnoughAccountKeys);
            };
            assert_eq!(*from.key, pda);
            let ix = solana_system_interface::instruction::transfer(&pda, to.key, 1_000);
            invoke_signed(
                &ix,
                &[from.clone(), to.clone(), system.clone()],
                &[&[b"pda", &[bump]]],
            )
        }
        Some(4) => Err(ProgramError::Custom(42)),
        Some(5) => {
            // Writes to an account the transaction passed read-only.
            accounts[0].try_borrow_mut_data()?[0] = 9;
            Ok(())
        }
        _ => Err(ProgramError::InvalidInstructionData),
    }
}

native_builtin!(ProbeBuiltin, probe);

fn chain() -> (LiteSVM, Keypair) {
    let mut svm = leash_runtime::leash_svm(&leash_program::DEFAULT_ID);
    leash_runtime::install_stubs();
    svm.add_builtin(
        PROBE,
        <ProbeBuiltin as BuiltinFunctionDefinition<_>>::register,
    );
    let payer = Keypair::new();
    svm.airdrop(&payer.pubkey(), 10_000_000_000).unwrap();
    (svm, payer)
}

fn send(
    svm: &mut LiteSVM,
    payer: &Keypair,
    data: u8,
    accounts: Vec<AccountMeta>,
) -> litesvm::types::TransactionResult {
    let ix = Instruction {
        program_id: PROBE,
        accounts,
        data: vec![data],
    };
    let tx = Transaction::new(
        &[payer],
        Message::new(&[ix], Some(&payer.pubkey())),
        svm.latest_blockhash(),
    );
    let result = svm.send_transaction(tx);
    svm.expire_blockhash();
    result
}

#[test]
fn a_panic_fails_the_transaction_not_the_process() {
    let (mut svm, payer) = chain();
    let failed = send(&mut svm, &payer, 0, vec![]).unwrap_err();
    assert_eq!(
        failed.err,
        TransactionError::InstructionError(0, InstructionError::ProgramFailedToComplete)
    );
    // The chain carries on.
    assert!(send(&mut svm, &payer, 1, vec![]).is_ok());
}

#[test]
fn logs_events_and_return_data_reach_the_transaction() {
    let (mut svm, payer) = chain();
    let meta = send(&mut svm, &payer, 1, vec![]).unwrap();
    assert!(
        meta.logs
            .contains(&"Program log: hello from native".to_string()),
        "{:?}",
        meta.logs
    );
    assert!(
        meta.logs.contains(&"Program data: YWJj ZGU=".to_string()),
        "{:?}",
        meta.logs
    );
    assert_eq!(
        meta.logs.first().unwrap(),
        &format!("Program {PROBE} invoke [1]")
    );
    // As the SBF loader logs it, after `consumed` and before `success`.
    assert_eq!(
        meta.logs[meta.logs.len() - 2],
        format!("Program return: {PROBE} cmV0")
    );
    assert_eq!(
        meta.logs.last().unwrap(),
        &format!("Program {PROBE} success")
    );
    assert_eq!(meta.return_data.program_id, PROBE);
    assert_eq!(meta.return_data.data, b"ret");
}

#[test]
fn clock_and_rent_follow_the_chain() {
    let (mut svm, payer) = chain();
    svm.warp_to_slot(777);
    let mut clock: solana_program::clock::Clock = svm.get_sysvar();
    clock.unix_timestamp = 1_234_567;
    svm.set_sysvar(&clock);
    let meta = send(&mut svm, &payer, 2, vec![]).unwrap();
    let expected = format!(
        "Program log: slot=777 time=1234567 rent={}",
        svm.minimum_balance_for_rent_exemption(0)
    );
    assert!(meta.logs.contains(&expected), "{:?}", meta.logs);
}

#[test]
fn cpi_with_pda_signer() {
    let (mut svm, payer) = chain();
    let (pda, _) = Pubkey::find_program_address(&[b"pda"], &PROBE);
    svm.airdrop(&pda, 10_000_000).unwrap();
    let to = Pubkey::new_unique();
    svm.airdrop(&to, 1_000_000).unwrap();
    let accounts = vec![
        AccountMeta::new(pda, false),
        AccountMeta::new(to, false),
        AccountMeta::new_readonly(solana_system_interface::program::ID, false),
    ];
    let meta = send(&mut svm, &payer, 3, accounts).unwrap();
    assert_eq!(svm.get_balance(&to), Some(1_001_000));
    assert_eq!(svm.get_balance(&pda), Some(10_000_000 - 1_000));
    assert!(
        meta.logs
            .contains(&"Program 11111111111111111111111111111111 invoke [2]".to_string()),
        "{:?}",
        meta.logs
    );
    // Signing for a PDA of another program is a privilege escalation.
    let stranger_pda = Pubkey::find_program_address(&[b"pda"], &leash_program::DEFAULT_ID).0;
    let accounts = vec![
        AccountMeta::new(stranger_pda, false),
        AccountMeta::new(to, false),
        AccountMeta::new_readonly(solana_system_interface::program::ID, false),
    ];
    assert!(send(&mut svm, &payer, 3, accounts).is_err());
}

#[test]
fn program_errors_and_readonly_writes_are_reported() {
    let (mut svm, payer) = chain();
    let failed = send(&mut svm, &payer, 4, vec![]).unwrap_err();
    assert_eq!(
        failed.err,
        TransactionError::InstructionError(0, InstructionError::Custom(42))
    );
    let failed = send(&mut svm, &payer, 9, vec![]).unwrap_err();
    assert_eq!(
        failed.err,
        TransactionError::InstructionError(0, InstructionError::InvalidInstructionData)
    );
    // An account the probe owns, passed read-only, may not be changed.
    let owned = Pubkey::new_unique();
    svm.set_account(
        owned,
        solana_account::Account {
            lamports: 1_000_000,
            data: vec![0; 4],
            owner: PROBE,
            executable: false,
            rent_epoch: 0,
        },
    )
    .unwrap();
    let failed = send(
        &mut svm,
        &payer,
        5,
        vec![AccountMeta::new_readonly(owned, false)],
    )
    .unwrap_err();
    assert_eq!(
        failed.err,
        TransactionError::InstructionError(0, InstructionError::ReadonlyDataModified)
    );
    assert_eq!(svm.get_account(&owned).unwrap().data, vec![0; 4]);
}
