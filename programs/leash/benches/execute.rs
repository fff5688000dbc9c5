//! A session-enforced USDC-style transfer through `Execute` against the same SPL transfer signed
//! directly by the token account's owner, in one LiteSVM, both with signature verification.
//!
//! `cargo bench -p leash-program --bench execute` prints both per-transaction times; the ratio
//! is what enforcement costs on top of a plain transfer.

use criterion::{criterion_group, criterion_main, Criterion};
use leash_program::{
    instruction as ix,
    state::{self, Authority, Policy, SpendLimit},
};
use leash_sdk::spl;
use litesvm::LiteSVM;
use solana_keypair::Keypair;
use solana_message::Message;
use solana_program::{instruction::Instruction, pubkey::Pubkey};
use solana_signer::Signer;
use solana_transaction::Transaction;

const SOL: u64 = 1_000_000_000;

fn send(svm: &mut LiteSVM, ixs: &[Instruction], payer: &Keypair, signers: &[&Keypair]) {
    let mut all = vec![payer];
    all.extend_from_slice(signers);
    let tx = Transaction::new(
        &all,
        Message::new(ixs, Some(&payer.pubkey())),
        svm.latest_blockhash(),
    );
    if let Err(e) = svm.send_transaction(tx) {
        panic!(
            "setup transaction failed: {:?}\n{}",
            e.err,
            e.meta.logs.join("\n")
        );
    }
}

struct Bench {
    svm: LiteSVM,
    owner: Keypair,
    session_key: Keypair,
    wallet: Pubkey,
    vault: Pubkey,
    owner_usdc: Pubkey,
    vault_usdc: Pubkey,
    recipient_usdc: Pubkey,
}

fn setup() -> Bench {
    let mut svm = leash_runtime::leash_svm(&leash_program::DEFAULT_ID).with_transaction_history(0);
    let owner = Keypair::new();
    let session_key = Keypair::new();
    svm.airdrop(&owner.pubkey(), 1_000 * SOL).unwrap();
    svm.airdrop(&session_key.pubkey(), 1_000 * SOL).unwrap();
    let token = spl::TOKEN_PROGRAM_ID;
    let mint = Keypair::new();
    let rent = svm.minimum_balance_for_rent_exemption(spl::MINT_LEN);
    let create_mint = solana_system_interface::instruction::create_account(
        &owner.pubkey(),
        &mint.pubkey(),
        rent,
        spl::MINT_LEN as u64,
        &token,
    );
    let init_mint = spl::initialize_mint2(&token, &mint.pubkey(), &owner.pubkey(), None, 6);
    send(&mut svm, &[create_mint, init_mint], &owner, &[&mint]);
    let mint = mint.pubkey();
    let (wallet, _) = state::wallet_address(
        &Authority::Ed25519(owner.pubkey()),
        &[0; 32],
        &leash_program::DEFAULT_ID,
    );
    let (vault, _) = state::vault_address(&wallet, &leash_program::DEFAULT_ID);
    let recipient = Pubkey::new_unique();
    let mut ixs = vec![ix::create_wallet(
        &leash_program::DEFAULT_ID,
        &owner.pubkey(),
        &owner.pubkey(),
        [0; 32],
    )];
    for holder in [owner.pubkey(), vault, recipient] {
        ixs.push(spl::create_associated_token_account_idempotent(
            &owner.pubkey(),
            &holder,
            &mint,
            &token,
        ));
    }
    send(&mut svm, &ixs, &owner, &[]);
    let ata = |holder: &Pubkey| spl::associated_token_address(holder, &mint, &token);
    let (owner_usdc, vault_usdc, recipient_usdc) =
        (ata(&owner.pubkey()), ata(&vault), ata(&recipient));
    let fund = [
        spl::mint_to(&token, &mint, &owner_usdc, &owner.pubkey(), u64::MAX / 2),
        spl::mint_to(&token, &mint, &vault_usdc, &owner.pubkey(), u64::MAX / 2),
        solana_system_interface::instruction::transfer(&owner.pubkey(), &vault, SOL),
    ];
    send(&mut svm, &fund, &owner, &[]);
    let policy = Policy::unbounded(vec![token], vec![SpendLimit::unlimited(mint)]);
    let create = ix::create_session(
        &leash_program::DEFAULT_ID,
        &owner.pubkey(),
        &owner.pubkey(),
        &wallet,
        &session_key.pubkey(),
        policy,
    );
    send(&mut svm, &[create], &owner, &[]);
    Bench {
        svm,
        owner,
        session_key,
        wallet,
        vault,
        owner_usdc,
        vault_usdc,
        recipient_usdc,
    }
}

/// Replaces the last 8 bytes of `data` (the transfer amount in both encodings) with `amount`.
fn set_amount(data: &mut [u8], amount: u64) {
    let at = data.len() - 8;
    data[at..].copy_from_slice(&amount.to_le_bytes());
}

fn transfers(c: &mut Criterion) {
    let mut b = setup();
    let token = spl::TOKEN_PROGRAM_ID;
    let mut group = c.benchmark_group("usdc_transfer");
    // Instructions are built once, so the loop measures signing and execution only; each
    // iteration sends a distinct transaction because the amount counts up.
    let mut plain = spl::transfer(
        &token,
        &b.owner_usdc,
        &b.recipient_usdc,
        &b.owner.pubkey(),
        0,
    );
    let mut amount = 0u64;
    group.bench_function("plain_spl_transfer", |bench| {
        bench.iter(|| {
            amount += 1;
            set_amount(&mut plain.data, amount);
            let message = Message::new(std::slice::from_ref(&plain), Some(&b.owner.pubkey()));
            let tx = Transaction::new(&[&b.owner], message, b.svm.latest_blockhash());
            b.svm.send_transaction(tx).expect("plain transfer")
        })
    });
    let transfer = spl::transfer(&token, &b.vault_usdc, &b.recipient_usdc, &b.vault, 0);
    let mut execute = ix::execute(
        &leash_program::DEFAULT_ID,
        &b.session_key.pubkey(),
        &b.wallet,
        None,
        &[transfer],
    );
    let mut amount = 0u64;
    group.bench_function("session_execute_transfer", |bench| {
        bench.iter(|| {
            amount += 1;
            set_amount(&mut execute.data, amount);
            let message = Message::new(
                std::slice::from_ref(&execute),
                Some(&b.session_key.pubkey()),
            );
            let tx = Transaction::new(&[&b.session_key], message, b.svm.latest_blockhash());
            b.svm.send_transaction(tx).expect("session transfer")
        })
    });
    group.finish();
}

criterion_group!(benches, transfers);
criterion_main!(benches);
