//! A LiteSVM chain with the real token programs and the Leash program, an owner with a wallet, a
//! funded vault and a USDC-style mint; helpers to run Leash instructions and read state.
#![allow(dead_code)]

pub mod passkey;

use leash_program::{
    instruction as ix,
    state::{self, Policy, Session, SpendLimit, Wallet, NATIVE_SOL_MINT, UNLIMITED},
};
use leash_sdk::spl;
use litesvm::{
    types::{FailedTransactionMetadata, TransactionMetadata},
    LiteSVM,
};
use solana_account::Account;
use solana_keypair::Keypair;
use solana_message::Message;
use solana_program::{
    clock::Clock,
    instruction::{Instruction, InstructionError},
    pubkey::Pubkey,
};
use solana_signer::Signer;
use solana_transaction::Transaction;
use solana_transaction_error::TransactionError;

pub const SOL: u64 = 1_000_000_000;
/// 1 USDC in base units (6 decimals).
pub const USDC: u64 = 1_000_000;
/// The clock the environment starts at.
pub const START_TIME: i64 = 1_800_000_000;

pub type TxResult = Result<TransactionMetadata, FailedTransactionMetadata>;

pub struct Env {
    pub svm: LiteSVM,
    /// Where the Leash program runs: a fresh address per chain, so every suite proves the one
    /// ELF works at any address (nothing on chain trusts the default id).
    pub program_id: Pubkey,
    pub owner: Keypair,
    pub wallet: Pubkey,
    pub vault: Pubkey,
    pub mint_authority: Keypair,
    /// A 6-decimal SPL Token mint.
    pub usdc: Pubkey,
    /// The vault's USDC associated token account, holding 1 000 USDC.
    pub vault_usdc: Pubkey,
    /// A recipient's USDC account.
    pub recipient_usdc: Pubkey,
    pub recipient: Pubkey,
}

impl Env {
    pub fn new() -> Env {
        let program_id = Keypair::new().pubkey();
        let mut svm = leash_runtime::leash_svm(&program_id);
        let mut clock: Clock = svm.get_sysvar();
        clock.unix_timestamp = START_TIME;
        svm.set_sysvar(&clock);
        let owner = Keypair::new();
        svm.airdrop(&owner.pubkey(), 100 * SOL).unwrap();
        let mint_authority = Keypair::new();
        let recipient = Pubkey::new_unique();
        let mut env = Env {
            svm,
            program_id,
            owner,
            wallet: Pubkey::default(),
            vault: Pubkey::default(),
            mint_authority,
            usdc: Pubkey::default(),
            vault_usdc: Pubkey::default(),
            recipient_usdc: Pubkey::default(),
            recipient,
        };
        let (wallet, vault) = env.create_wallet_for(&env.owner.insecure_clone(), [0; 32]);
        env.wallet = wallet;
        env.vault = vault;
        env.fund_vault(10 * SOL);
        env.usdc = env.create_mint(&spl::TOKEN_PROGRAM_ID, 6);
        env.vault_usdc = env.create_ata(&vault, &env.usdc.clone(), &spl::TOKEN_PROGRAM_ID);
        env.mint_to(
            &spl::TOKEN_PROGRAM_ID,
            &env.usdc.clone(),
            &env.vault_usdc.clone(),
            1_000 * USDC,
        );
        env.recipient_usdc = env.create_ata(&recipient, &env.usdc.clone(), &spl::TOKEN_PROGRAM_ID);
        env
    }

    /// A copy of this chain and its parties that verifies no signatures: property tests run
    /// thousands of cases from one template, and verifying signatures dominates the cost of a
    /// debug build (~30 ms of ~32 ms per transaction); signatures are not what they test.
    pub fn fork_without_sigverify(&self) -> Env {
        Env {
            svm: self.svm.clone().with_sigverify(false),
            program_id: self.program_id,
            owner: self.owner.insecure_clone(),
            wallet: self.wallet,
            vault: self.vault,
            mint_authority: self.mint_authority.insecure_clone(),
            usdc: self.usdc,
            vault_usdc: self.vault_usdc,
            recipient_usdc: self.recipient_usdc,
            recipient: self.recipient,
        }
    }

    /// Sends a transaction paid by `payer`, signed by `payer` and `signers`, then rotates the
    /// blockhash so an identical transaction later is a new one.
    pub fn send(
        &mut self,
        instructions: &[Instruction],
        payer: &Keypair,
        signers: &[&Keypair],
    ) -> TxResult {
        let mut all: Vec<&Keypair> = vec![payer];
        all.extend(
            signers
                .iter()
                .copied()
                .filter(|s| s.pubkey() != payer.pubkey()),
        );
        let message = Message::new(instructions, Some(&payer.pubkey()));
        let tx = Transaction::new(&all, message, self.svm.latest_blockhash());
        let result = self.svm.send_transaction(tx);
        self.svm.expire_blockhash();
        result
    }

    pub fn owner_send(&mut self, instructions: &[Instruction]) -> TxResult {
        let owner = self.owner.insecure_clone();
        self.send(instructions, &owner, &[])
    }

    pub fn create_wallet_for(&mut self, owner: &Keypair, salt: [u8; 32]) -> (Pubkey, Pubkey) {
        let (wallet, _) = state::wallet_address(
            &state::Authority::Ed25519(owner.pubkey()),
            &salt,
            &self.program_id,
        );
        let (vault, _) = state::vault_address(&wallet, &self.program_id);
        self.send(
            &[ix::create_wallet(
                &self.program_id,
                &owner.pubkey(),
                &owner.pubkey(),
                salt,
            )],
            owner,
            &[],
        )
        .expect("create wallet");
        (wallet, vault)
    }

    pub fn fund_vault(&mut self, lamports: u64) {
        let owner = self.owner.insecure_clone();
        let transfer =
            solana_system_interface::instruction::transfer(&owner.pubkey(), &self.vault, lamports);
        self.send(&[transfer], &owner, &[]).expect("fund vault");
    }

    pub fn create_mint(&mut self, token_program: &Pubkey, decimals: u8) -> Pubkey {
        let mint = Keypair::new();
        let payer = self.owner.insecure_clone();
        let rent = self.svm.minimum_balance_for_rent_exemption(spl::MINT_LEN);
        let create = solana_system_interface::instruction::create_account(
            &payer.pubkey(),
            &mint.pubkey(),
            rent,
            spl::MINT_LEN as u64,
            token_program,
        );
        let init = spl::initialize_mint2(
            token_program,
            &mint.pubkey(),
            &self.mint_authority.pubkey(),
            None,
            decimals,
        );
        self.send(&[create, init], &payer, &[&mint])
            .expect("create mint");
        mint.pubkey()
    }

    pub fn create_ata(&mut self, owner: &Pubkey, mint: &Pubkey, token_program: &Pubkey) -> Pubkey {
        let payer = self.owner.insecure_clone();
        let create = spl::create_associated_token_account_idempotent(
            &payer.pubkey(),
            owner,
            mint,
            token_program,
        );
        self.send(&[create], &payer, &[]).expect("create ATA");
        spl::associated_token_address(owner, mint, token_program)
    }

    /// A non-associated token account (a fresh keypair address) of `owner`.
    pub fn create_token_account(
        &mut self,
        owner: &Pubkey,
        mint: &Pubkey,
        token_program: &Pubkey,
    ) -> Pubkey {
        let account = Keypair::new();
        let payer = self.owner.insecure_clone();
        let rent = self
            .svm
            .minimum_balance_for_rent_exemption(spl::ACCOUNT_LEN);
        let create = solana_system_interface::instruction::create_account(
            &payer.pubkey(),
            &account.pubkey(),
            rent,
            spl::ACCOUNT_LEN as u64,
            token_program,
        );
        let init = spl::initialize_account3(token_program, &account.pubkey(), mint, owner);
        self.send(&[create, init], &payer, &[&account])
            .expect("create token account");
        account.pubkey()
    }

    pub fn mint_to(
        &mut self,
        token_program: &Pubkey,
        mint: &Pubkey,
        account: &Pubkey,
        amount: u64,
    ) {
        let authority = self.mint_authority.insecure_clone();
        let payer = self.owner.insecure_clone();
        let ix = spl::mint_to(token_program, mint, account, &authority.pubkey(), amount);
        self.send(&[ix], &payer, &[&authority]).expect("mint");
    }

    /// Registers a session for a new key (funded with 1 SOL for fees) and returns the key.
    pub fn create_session(&mut self, policy: Policy) -> Keypair {
        let key = Keypair::new();
        self.svm.airdrop(&key.pubkey(), SOL).unwrap();
        let owner = self.owner.insecure_clone();
        self.send(
            &[ix::create_session(
                &self.program_id,
                &owner.pubkey(),
                &owner.pubkey(),
                &self.wallet,
                &key.pubkey(),
                policy,
            )],
            &owner,
            &[],
        )
        .expect("create session");
        key
    }

    pub fn session_address(&self, key: &Pubkey) -> Pubkey {
        state::session_address(&self.wallet, key, &self.program_id).0
    }

    pub fn session(&self, key: &Pubkey) -> Session {
        let account = self
            .svm
            .get_account(&self.session_address(key))
            .expect("session account");
        Session::decode(&account.data).expect("session data")
    }

    pub fn wallet_state(&self) -> Wallet {
        Wallet::decode(&self.svm.get_account(&self.wallet).unwrap().data).unwrap()
    }

    /// `Execute` of `instructions` signed and paid by the session key.
    pub fn execute(&mut self, key: &Keypair, instructions: &[Instruction]) -> TxResult {
        let wallet = self.wallet;
        self.execute_on(key, &wallet, None, instructions)
    }

    pub fn execute_on(
        &mut self,
        key: &Keypair,
        wallet: &Pubkey,
        nonce: Option<u64>,
        instructions: &[Instruction],
    ) -> TxResult {
        let ix = ix::execute(&self.program_id, &key.pubkey(), wallet, nonce, instructions);
        self.send(&[ix], key, &[])
    }

    /// A USDC transfer out of the vault, as the calls of an `Execute`.
    pub fn usdc_out(&self, amount: u64) -> Instruction {
        spl::transfer(
            &spl::TOKEN_PROGRAM_ID,
            &self.vault_usdc,
            &self.recipient_usdc,
            &self.vault,
            amount,
        )
    }

    /// A SOL transfer out of the vault.
    pub fn sol_out(&self, lamports: u64) -> Instruction {
        solana_system_interface::instruction::transfer(&self.vault, &self.recipient, lamports)
    }

    pub fn token_balance(&self, account: &Pubkey) -> u64 {
        let data = self
            .svm
            .get_account(account)
            .map(|a| a.data)
            .unwrap_or_default();
        data.get(64..72)
            .map(|b| u64::from_le_bytes(b.try_into().unwrap()))
            .unwrap_or(0)
    }

    pub fn lamports(&self, account: &Pubkey) -> u64 {
        self.svm.get_balance(account).unwrap_or(0)
    }

    pub fn account(&self, address: &Pubkey) -> Option<Account> {
        self.svm.get_account(address)
    }

    pub fn now(&self) -> i64 {
        self.svm.get_sysvar::<Clock>().unix_timestamp
    }

    pub fn set_time(&mut self, unix_timestamp: i64) {
        let mut clock: Clock = self.svm.get_sysvar();
        clock.unix_timestamp = unix_timestamp;
        self.svm.set_sysvar(&clock);
    }

    pub fn slot(&self) -> u64 {
        self.svm.get_sysvar::<Clock>().slot
    }

    pub fn set_slot(&mut self, slot: u64) {
        let time = self.now();
        self.svm.warp_to_slot(slot);
        self.set_time(time);
    }
}

/// A policy valid for an hour from [`START_TIME`], allowing SPL Token and System, with a USDC
/// limit of 10 per transaction and 50 in total, and a SOL limit of 1 SOL per tx, 2 SOL total.
pub fn policy(env: &Env) -> Policy {
    Policy {
        program_rules: vec![],
        valid_after: START_TIME - 60,
        valid_until: START_TIME + 3_600,
        expiry_slot: 0,
        max_uses: UNLIMITED,
        max_calls_per_tx: 4,
        allowed_programs: vec![spl::TOKEN_PROGRAM_ID, solana_system_interface::program::ID],
        limits: vec![
            SpendLimit {
                recipients: vec![],
                mint: env.usdc,
                per_tx: 10 * USDC,
                total: 50 * USDC,
                period_secs: 0,
                per_period: 0,
            },
            SpendLimit {
                recipients: vec![],
                mint: NATIVE_SOL_MINT,
                per_tx: SOL,
                total: 2 * SOL,
                period_secs: 0,
                per_period: 0,
            },
        ],
    }
}

/// The custom error code a failed transaction carries, if any.
pub fn custom_code(result: &TxResult) -> Option<u32> {
    match result {
        Err(f) => match &f.err {
            TransactionError::InstructionError(_, InstructionError::Custom(code)) => Some(*code),
            _ => None,
        },
        Ok(_) => None,
    }
}

/// Asserts that `result` failed with the Leash error `expected`.
#[track_caller]
pub fn assert_leash_err(result: &TxResult, expected: leash_program::error::LeashError) {
    match result {
        Ok(meta) => panic!(
            "expected {expected:?}, transaction succeeded:\n{}",
            meta.logs.join("\n")
        ),
        Err(f) => assert_eq!(
            custom_code(result),
            Some(expected.code()),
            "expected {expected:?}, got {:?}\n{}",
            f.err,
            f.meta.logs.join("\n")
        ),
    }
}

/// Asserts that `result` succeeded, printing the logs if not.
#[track_caller]
pub fn assert_ok(result: &TxResult) {
    if let Err(f) = result {
        panic!(
            "transaction failed: {:?}\n{}",
            f.err,
            f.meta.logs.join("\n")
        );
    }
}

// ---- Value model v2 harness: mints with chosen authorities, Token-2022 extensions, multisigs,
// third parties, token `Batch` calls and whole-account snapshots.

/// A system account funded with 10 SOL that signs its own transactions (a third party).
pub fn funded_keypair(env: &mut Env) -> Keypair {
    let key = Keypair::new();
    env.svm.airdrop(&key.pubkey(), 10 * SOL).unwrap();
    key
}

/// A policy valid for an hour from [`START_TIME`] with the given programs, limits and call cap.
pub fn policy_with(
    allowed_programs: Vec<Pubkey>,
    limits: Vec<SpendLimit>,
    max_calls_per_tx: u8,
) -> Policy {
    Policy {
        program_rules: vec![],
        valid_after: START_TIME - 60,
        valid_until: START_TIME + 3_600,
        expiry_slot: 0,
        max_uses: UNLIMITED,
        max_calls_per_tx,
        allowed_programs,
        limits,
    }
}

/// A limit with a per-transaction and a total bound and no periodic allowance.
pub fn limit(mint: Pubkey, per_tx: u64, total: u64) -> SpendLimit {
    SpendLimit {
        recipients: vec![],
        mint,
        per_tx,
        total,
        period_secs: 0,
        per_period: 0,
    }
}

/// `(total, period_index, in_period)` of the session's counter for `mint`.
pub fn spent_of(env: &Env, key: &Pubkey, mint: &Pubkey) -> (u64, u64, u64) {
    let session = env.session(key);
    let (i, _) = session
        .policy
        .limit_for(mint)
        .expect("a limit for the mint");
    let s = &session.spent[i];
    (s.total, s.period_index, s.in_period)
}

/// The full state (lamports, owner, data) of some accounts, to prove a refusal moved nothing.
pub type Snapshot = Vec<(Pubkey, Option<Account>)>;

pub fn snapshot(env: &Env, accounts: &[Pubkey]) -> Snapshot {
    accounts.iter().map(|a| (*a, env.account(a))).collect()
}

#[track_caller]
pub fn assert_unchanged(env: &Env, before: &Snapshot) {
    for (address, account) in before {
        assert_eq!(
            &env.account(address),
            account,
            "account {address} changed although the transaction was refused"
        );
    }
}

impl Env {
    /// A mint of `token_program` with the given authorities and no extensions.
    pub fn create_mint_with(
        &mut self,
        token_program: &Pubkey,
        decimals: u8,
        mint_authority: &Pubkey,
        freeze_authority: Option<&Pubkey>,
    ) -> Pubkey {
        self.create_mint_2022_ext(
            token_program,
            spl::MINT_LEN,
            |_| vec![],
            decimals,
            mint_authority,
            freeze_authority,
        )
    }

    /// A mint of `len` bytes whose extensions `init_extensions(mint)` initializes before
    /// `InitializeMint2` (Token-2022 mint extensions).
    pub fn create_mint_2022_ext(
        &mut self,
        token_program: &Pubkey,
        len: usize,
        init_extensions: impl FnOnce(&Pubkey) -> Vec<Instruction>,
        decimals: u8,
        mint_authority: &Pubkey,
        freeze_authority: Option<&Pubkey>,
    ) -> Pubkey {
        let mint = Keypair::new();
        let payer = self.owner.insecure_clone();
        let rent = self.svm.minimum_balance_for_rent_exemption(len);
        let mut ixs = vec![solana_system_interface::instruction::create_account(
            &payer.pubkey(),
            &mint.pubkey(),
            rent,
            len as u64,
            token_program,
        )];
        ixs.extend(init_extensions(&mint.pubkey()));
        ixs.push(spl::initialize_mint2(
            token_program,
            &mint.pubkey(),
            mint_authority,
            freeze_authority,
            decimals,
        ));
        self.send(&ixs, &payer, &[&mint]).expect("create mint");
        mint.pubkey()
    }

    /// A token account of `len` bytes (room for Token-2022 account extensions).
    pub fn create_token_account_len(
        &mut self,
        owner: &Pubkey,
        mint: &Pubkey,
        token_program: &Pubkey,
        len: usize,
    ) -> Pubkey {
        let account = Keypair::new();
        let payer = self.owner.insecure_clone();
        let rent = self.svm.minimum_balance_for_rent_exemption(len);
        let create = solana_system_interface::instruction::create_account(
            &payer.pubkey(),
            &account.pubkey(),
            rent,
            len as u64,
            token_program,
        );
        let init = spl::initialize_account3(token_program, &account.pubkey(), mint, owner);
        self.send(&[create, init], &payer, &[&account])
            .expect("create token account");
        account.pubkey()
    }

    /// An `m`-of-n multisig of `token_program` (355 bytes) over `signers`.
    pub fn create_multisig(&mut self, token_program: &Pubkey, signers: &[Pubkey], m: u8) -> Pubkey {
        let multisig = Keypair::new();
        let payer = self.owner.insecure_clone();
        let rent = self.svm.minimum_balance_for_rent_exemption(MULTISIG_LEN);
        let create = solana_system_interface::instruction::create_account(
            &payer.pubkey(),
            &multisig.pubkey(),
            rent,
            MULTISIG_LEN as u64,
            token_program,
        );
        let init = initialize_multisig2(token_program, &multisig.pubkey(), signers, m);
        self.send(&[create, init], &payer, &[&multisig])
            .expect("create multisig");
        multisig.pubkey()
    }

    /// `MintTo` signed by `authority`.
    pub fn mint_to_as(
        &mut self,
        authority: &Keypair,
        token_program: &Pubkey,
        mint: &Pubkey,
        account: &Pubkey,
        amount: u64,
    ) {
        let payer = self.owner.insecure_clone();
        let ix = spl::mint_to(token_program, mint, account, &authority.pubkey(), amount);
        self.send(&[ix], &payer, &[authority]).expect("mint");
    }

    /// Sends `instructions` paid by the owner and signed by `signer` too.
    pub fn send_signed(&mut self, instructions: &[Instruction], signer: &Keypair) -> TxResult {
        let payer = self.owner.insecure_clone();
        self.send(instructions, &payer, &[signer])
    }

    /// The raw data of an account (empty if it does not exist).
    pub fn data(&self, address: &Pubkey) -> Vec<u8> {
        self.account(address).map(|a| a.data).unwrap_or_default()
    }

    /// A mint's supply.
    pub fn supply(&self, mint: &Pubkey) -> u64 {
        let data = self.data(mint);
        u64::from_le_bytes(data[36..44].try_into().unwrap())
    }
}

/// Size of an SPL Token / Token-2022 multisig.
pub const MULTISIG_LEN: usize = 355;

/// `InitializeMultisig2 { m }` (tag 19): multisig (w), then the signer keys.
pub fn initialize_multisig2(
    token_program: &Pubkey,
    multisig: &Pubkey,
    signers: &[Pubkey],
    m: u8,
) -> Instruction {
    let mut accounts = vec![solana_program::instruction::AccountMeta::new(
        *multisig, false,
    )];
    accounts.extend(
        signers
            .iter()
            .map(|s| solana_program::instruction::AccountMeta::new_readonly(*s, false)),
    );
    Instruction {
        program_id: *token_program,
        accounts,
        data: vec![19, m],
    }
}

/// A token `Batch` (discriminator 255): after the 255 byte, per inner instruction
/// `[account_count: u8, data_len: u8, data]`; the accounts are the inner ones concatenated.
pub fn token_batch(token_program: &Pubkey, instructions: &[Instruction]) -> Instruction {
    let mut data = vec![255u8];
    let mut accounts = Vec::new();
    for ix in instructions {
        data.push(u8::try_from(ix.accounts.len()).unwrap());
        data.push(u8::try_from(ix.data.len()).unwrap());
        data.extend_from_slice(&ix.data);
        accounts.extend(ix.accounts.iter().cloned());
    }
    Instruction {
        program_id: *token_program,
        accounts,
        data,
    }
}

/// Replaces a token instruction's single-signer authority at `authority_index` by a multisig
/// `multisig` (not signing) followed by `signers` (signing).
pub fn with_multisig_authority(
    mut ix: Instruction,
    authority_index: usize,
    multisig: &Pubkey,
    signers: &[Pubkey],
) -> Instruction {
    ix.accounts[authority_index] =
        solana_program::instruction::AccountMeta::new_readonly(*multisig, false);
    ix.accounts.extend(
        signers
            .iter()
            .map(|s| solana_program::instruction::AccountMeta::new_readonly(*s, true)),
    );
    ix
}

// ---- Stake accounts (the Stake program's instructions, encoded by hand) ----------------------

pub const STAKE_PROGRAM: Pubkey =
    solana_program::pubkey!("Stake11111111111111111111111111111111111111");
pub const STAKE_STATE_LEN: usize = 200;

/// `StakeInstruction::Initialize { staker, withdrawer, no lockup }`.
pub fn stake_initialize(stake: &Pubkey, staker: &Pubkey, withdrawer: &Pubkey) -> Instruction {
    let mut data = 0u32.to_le_bytes().to_vec();
    data.extend_from_slice(staker.as_ref());
    data.extend_from_slice(withdrawer.as_ref());
    data.extend_from_slice(&[0u8; 8 + 8 + 32]);
    Instruction {
        program_id: STAKE_PROGRAM,
        accounts: vec![
            solana_program::instruction::AccountMeta::new(*stake, false),
            solana_program::instruction::AccountMeta::new_readonly(
                solana_program::sysvar::rent::ID,
                false,
            ),
        ],
        data,
    }
}

/// `StakeInstruction::Authorize(new, StakeAuthorize::Withdrawer)` signed by `authority`.
pub fn stake_authorize_withdrawer(stake: &Pubkey, authority: &Pubkey, new: &Pubkey) -> Instruction {
    authorize_withdrawer(STAKE_PROGRAM, stake, authority, new)
}

/// `Authorize(new, Withdrawer)` as the Stake and Vote programs both encode it (tag 1, the new
/// key, kind 1) and take it: the account, the clock, the current withdrawer signing.
fn authorize_withdrawer(
    program_id: Pubkey,
    account: &Pubkey,
    authority: &Pubkey,
    new: &Pubkey,
) -> Instruction {
    let mut data = 1u32.to_le_bytes().to_vec();
    data.extend_from_slice(new.as_ref());
    data.extend_from_slice(&1u32.to_le_bytes());
    account_clock_signer(program_id, account, authority, data)
}

/// An instruction taking the account (writable), the clock, then `signer`: the order of the
/// Stake and Vote programs' `Authorize` and of the Vote program's `AuthorizeWithSeed`.
fn account_clock_signer(
    program_id: Pubkey,
    account: &Pubkey,
    signer: &Pubkey,
    data: Vec<u8>,
) -> Instruction {
    Instruction {
        program_id,
        accounts: vec![
            solana_program::instruction::AccountMeta::new(*account, false),
            solana_program::instruction::AccountMeta::new_readonly(
                solana_program::sysvar::clock::ID,
                false,
            ),
            solana_program::instruction::AccountMeta::new_readonly(*signer, true),
        ],
        data,
    }
}

/// A string as bincode writes it (the with-seed instructions' seed): its length as a u64, then
/// its bytes.
fn push_bincode_str(data: &mut Vec<u8>, s: &str) {
    data.extend_from_slice(&(s.len() as u64).to_le_bytes());
    data.extend_from_slice(s.as_bytes());
}

/// `StakeInstruction::AuthorizeWithSeed` (8) handing the withdrawer to `new`: the current
/// withdrawer is `create_with_seed(base, seed, owner)`, and `base` signs for it.
pub fn stake_authorize_withdrawer_with_seed(
    stake: &Pubkey,
    base: &Pubkey,
    seed: &str,
    owner: &Pubkey,
    new: &Pubkey,
) -> Instruction {
    let mut data = 8u32.to_le_bytes().to_vec();
    data.extend_from_slice(new.as_ref());
    data.extend_from_slice(&1u32.to_le_bytes());
    push_bincode_str(&mut data, seed);
    data.extend_from_slice(owner.as_ref());
    Instruction {
        program_id: STAKE_PROGRAM,
        accounts: vec![
            solana_program::instruction::AccountMeta::new(*stake, false),
            solana_program::instruction::AccountMeta::new_readonly(*base, true),
            solana_program::instruction::AccountMeta::new_readonly(
                solana_program::sysvar::clock::ID,
                false,
            ),
        ],
        data,
    }
}

/// `StakeInstruction::SetLockup { unix_timestamp: None, epoch, custodian }` signed by
/// `authority` (the withdrawer while no lockup is in force).
pub fn stake_set_lockup(
    stake: &Pubkey,
    authority: &Pubkey,
    epoch: u64,
    custodian: &Pubkey,
) -> Instruction {
    let mut data = 6u32.to_le_bytes().to_vec();
    data.push(0);
    data.push(1);
    data.extend_from_slice(&epoch.to_le_bytes());
    data.push(1);
    data.extend_from_slice(custodian.as_ref());
    Instruction {
        program_id: STAKE_PROGRAM,
        accounts: vec![
            solana_program::instruction::AccountMeta::new(*stake, false),
            solana_program::instruction::AccountMeta::new_readonly(*authority, true),
        ],
        data,
    }
}

/// `StakeInstruction::Split(lamports)` into `destination` (an uninitialized stake account),
/// signed by the staker; the new account gets the same staker and withdrawer.
pub fn stake_split(
    stake: &Pubkey,
    staker: &Pubkey,
    lamports: u64,
    destination: &Pubkey,
) -> Instruction {
    let mut data = 3u32.to_le_bytes().to_vec();
    data.extend_from_slice(&lamports.to_le_bytes());
    Instruction {
        program_id: STAKE_PROGRAM,
        accounts: vec![
            solana_program::instruction::AccountMeta::new(*stake, false),
            solana_program::instruction::AccountMeta::new(*destination, false),
            solana_program::instruction::AccountMeta::new_readonly(*staker, true),
        ],
        data,
    }
}

/// `StakeInstruction::Withdraw(lamports)` by `withdrawer` to `to`.
pub fn stake_withdraw(
    stake: &Pubkey,
    withdrawer: &Pubkey,
    to: &Pubkey,
    lamports: u64,
) -> Instruction {
    let mut data = 4u32.to_le_bytes().to_vec();
    data.extend_from_slice(&lamports.to_le_bytes());
    Instruction {
        program_id: STAKE_PROGRAM,
        accounts: vec![
            solana_program::instruction::AccountMeta::new(*stake, false),
            solana_program::instruction::AccountMeta::new(*to, false),
            solana_program::instruction::AccountMeta::new_readonly(
                solana_program::sysvar::clock::ID,
                false,
            ),
            solana_program::instruction::AccountMeta::new_readonly(
                solana_program::pubkey!("SysvarStakeHistory1111111111111111111111111"),
                false,
            ),
            solana_program::instruction::AccountMeta::new_readonly(*withdrawer, true),
        ],
        data,
    }
}

impl Env {
    /// A stake account the owner funds with `lamports` above rent, whose staker and withdrawer
    /// are the vault (the owner staked from the vault).
    pub fn create_vault_stake(&mut self, lamports: u64) -> Pubkey {
        let vault = self.vault;
        self.create_initialized(STAKE_STATE_LEN, lamports, &STAKE_PROGRAM, &[], |stake| {
            stake_initialize(stake, &vault, &vault)
        })
    }

    /// A new account of `space` bytes owned by `program`, funded by the owner with `lamports`
    /// above rent and initialized in the same transaction by `init` (given its address, signed
    /// by `signers` too).
    pub fn create_initialized(
        &mut self,
        space: usize,
        lamports: u64,
        program: &Pubkey,
        signers: &[&Keypair],
        init: impl FnOnce(&Pubkey) -> Instruction,
    ) -> Pubkey {
        let account = Keypair::new();
        let owner = self.owner.pubkey();
        let rent = self.svm.minimum_balance_for_rent_exemption(space);
        let create = [
            solana_system_interface::instruction::create_account(
                &owner,
                &account.pubkey(),
                rent + lamports,
                space as u64,
                program,
            ),
            init(&account.pubkey()),
        ];
        let payer = self.owner.insecure_clone();
        let mut all = vec![&account];
        all.extend_from_slice(signers);
        self.send(&create, &payer, &all)
            .unwrap_or_else(|e| panic!("create an account of {program}: {e:?}"));
        account.pubkey()
    }
}

// ---- Vote accounts (the Vote program's instructions, encoded by hand) ------------------------

pub const VOTE_PROGRAM: Pubkey =
    solana_program::pubkey!("Vote111111111111111111111111111111111111111");
/// Size of a vote account (`VoteStateV3`).
pub const VOTE_STATE_LEN: usize = 3762;

/// `VoteInstruction::InitializeAccount(VoteInit { node, voter, withdrawer, commission: 10 })`,
/// signed by the node.
pub fn vote_initialize(
    vote: &Pubkey,
    node: &Pubkey,
    voter: &Pubkey,
    withdrawer: &Pubkey,
) -> Instruction {
    let mut data = 0u32.to_le_bytes().to_vec();
    data.extend_from_slice(node.as_ref());
    data.extend_from_slice(voter.as_ref());
    data.extend_from_slice(withdrawer.as_ref());
    data.push(10);
    Instruction {
        program_id: VOTE_PROGRAM,
        accounts: vec![
            solana_program::instruction::AccountMeta::new(*vote, false),
            solana_program::instruction::AccountMeta::new_readonly(
                solana_program::sysvar::rent::ID,
                false,
            ),
            solana_program::instruction::AccountMeta::new_readonly(
                solana_program::sysvar::clock::ID,
                false,
            ),
            solana_program::instruction::AccountMeta::new_readonly(*node, true),
        ],
        data,
    }
}

/// `VoteInstruction::Authorize(new, VoteAuthorize::Withdrawer)` signed by the withdrawer.
pub fn vote_authorize_withdrawer(vote: &Pubkey, withdrawer: &Pubkey, new: &Pubkey) -> Instruction {
    authorize_withdrawer(VOTE_PROGRAM, vote, withdrawer, new)
}

/// `VoteInstruction::AuthorizeWithSeed` (10) handing the withdrawer to `new`: the current
/// withdrawer is `create_with_seed(base, seed, owner)`, and `base` signs for it.
pub fn vote_authorize_withdrawer_with_seed(
    vote: &Pubkey,
    base: &Pubkey,
    seed: &str,
    owner: &Pubkey,
    new: &Pubkey,
) -> Instruction {
    let mut data = 10u32.to_le_bytes().to_vec();
    data.extend_from_slice(&1u32.to_le_bytes());
    data.extend_from_slice(owner.as_ref());
    push_bincode_str(&mut data, seed);
    data.extend_from_slice(new.as_ref());
    account_clock_signer(VOTE_PROGRAM, vote, base, data)
}

/// `VoteInstruction::Withdraw(lamports)` by the withdrawer to `to`.
pub fn vote_withdraw(
    vote: &Pubkey,
    withdrawer: &Pubkey,
    to: &Pubkey,
    lamports: u64,
) -> Instruction {
    let mut data = 3u32.to_le_bytes().to_vec();
    data.extend_from_slice(&lamports.to_le_bytes());
    Instruction {
        program_id: VOTE_PROGRAM,
        accounts: vec![
            solana_program::instruction::AccountMeta::new(*vote, false),
            solana_program::instruction::AccountMeta::new(*to, false),
            solana_program::instruction::AccountMeta::new_readonly(*withdrawer, true),
        ],
        data,
    }
}

// ---- Upgradeable loader buffers (the loader's instructions, encoded by hand) -----------------

pub const UPGRADEABLE_LOADER: Pubkey =
    solana_program::pubkey!("BPFLoaderUpgradeab1e11111111111111111111111");
/// A buffer's header: the state's tag and its `Option<Pubkey>` authority.
pub const BUFFER_HEADER_LEN: usize = 37;

/// `UpgradeableLoaderInstruction::InitializeBuffer` with `authority`.
pub fn buffer_initialize(buffer: &Pubkey, authority: &Pubkey) -> Instruction {
    Instruction {
        program_id: UPGRADEABLE_LOADER,
        accounts: vec![
            solana_program::instruction::AccountMeta::new(*buffer, false),
            solana_program::instruction::AccountMeta::new_readonly(*authority, false),
        ],
        data: 0u32.to_le_bytes().to_vec(),
    }
}

/// `UpgradeableLoaderInstruction::SetAuthority` of a buffer or program data, to `new`.
pub fn loader_set_authority(account: &Pubkey, authority: &Pubkey, new: &Pubkey) -> Instruction {
    Instruction {
        program_id: UPGRADEABLE_LOADER,
        accounts: vec![
            solana_program::instruction::AccountMeta::new(*account, false),
            solana_program::instruction::AccountMeta::new_readonly(*authority, true),
            solana_program::instruction::AccountMeta::new_readonly(*new, false),
        ],
        data: 4u32.to_le_bytes().to_vec(),
    }
}

/// `UpgradeableLoaderInstruction::Close` of a buffer, its lamports to `recipient`.
pub fn buffer_close(buffer: &Pubkey, recipient: &Pubkey, authority: &Pubkey) -> Instruction {
    Instruction {
        program_id: UPGRADEABLE_LOADER,
        accounts: vec![
            solana_program::instruction::AccountMeta::new(*buffer, false),
            solana_program::instruction::AccountMeta::new(*recipient, false),
            solana_program::instruction::AccountMeta::new_readonly(*authority, true),
        ],
        data: 5u32.to_le_bytes().to_vec(),
    }
}

impl Env {
    /// A vote account the owner funds with `lamports` above rent, whose voter and withdrawer
    /// are the vault (a validator operator's vault).
    pub fn create_vault_vote(&mut self, lamports: u64) -> Pubkey {
        let (vault, node) = (self.vault, Keypair::new());
        self.create_initialized(VOTE_STATE_LEN, lamports, &VOTE_PROGRAM, &[&node], |vote| {
            vote_initialize(vote, &node.pubkey(), &vault, &vault)
        })
    }

    /// A program buffer of `len` bytes the owner funds with `lamports` above rent, whose
    /// authority is the vault (a deploy the vault signs for).
    pub fn create_vault_buffer(&mut self, len: usize, lamports: u64) -> Pubkey {
        let vault = self.vault;
        let space = BUFFER_HEADER_LEN + len;
        self.create_initialized(space, lamports, &UPGRADEABLE_LOADER, &[], |buffer| {
            buffer_initialize(buffer, &vault)
        })
    }
}

/// `UpgradeableLoaderInstruction::Close` of a program's data, its lamports to `recipient`
/// (the program account goes with it, writable).
pub fn program_close(
    program_data: &Pubkey,
    recipient: &Pubkey,
    authority: &Pubkey,
    program: &Pubkey,
) -> Instruction {
    let mut ix = buffer_close(program_data, recipient, authority);
    ix.accounts
        .push(solana_program::instruction::AccountMeta::new(
            *program, false,
        ));
    ix
}

impl Env {
    /// A program the owner deployed with the vault as its upgrade authority, as the loader
    /// leaves a deploy (its data holds the committed Leash ELF), deployed at slot 0 with the
    /// chain moved past it: (program, program data).
    pub fn create_vault_program(&mut self) -> (Pubkey, Pubkey) {
        let program = Pubkey::new_unique();
        let (program_data, _) =
            Pubkey::find_program_address(&[program.as_ref()], &UPGRADEABLE_LOADER);
        let mut data = 3u32.to_le_bytes().to_vec();
        data.extend_from_slice(&0u64.to_le_bytes());
        data.push(1);
        data.extend_from_slice(self.vault.as_ref());
        data.extend_from_slice(leash_runtime::LEASH_PROGRAM_ELF);
        let rent = self.svm.minimum_balance_for_rent_exemption(data.len());
        self.svm
            .set_account(
                program_data,
                Account {
                    lamports: rent,
                    data,
                    owner: UPGRADEABLE_LOADER,
                    executable: false,
                    rent_epoch: 0,
                },
            )
            .expect("program data");
        let mut data = 2u32.to_le_bytes().to_vec();
        data.extend_from_slice(program_data.as_ref());
        let rent = self.svm.minimum_balance_for_rent_exemption(data.len());
        self.svm
            .set_account(
                program,
                Account {
                    lamports: rent,
                    data,
                    owner: UPGRADEABLE_LOADER,
                    executable: true,
                    rent_epoch: 0,
                },
            )
            .expect("program");
        if self.slot() == 0 {
            self.set_slot(10);
        }
        (program, program_data)
    }
}

// ---- Nonce accounts made by anyone ----------------------------------------------------------

/// `InitializeNonceAccount` alone (the SDK pairs it with `CreateAccount`): it needs no
/// signature, so anyone may make an 80-byte System account a nonce account under an authority of
/// their choosing.
pub fn initialize_nonce_account(nonce: &Pubkey, authority: &Pubkey) -> Instruction {
    use solana_program::{instruction::AccountMeta, sysvar};
    Instruction::new_with_bincode(
        solana_system_interface::program::ID,
        &solana_system_interface::instruction::SystemInstruction::InitializeNonceAccount(
            *authority,
        ),
        vec![
            AccountMeta::new(*nonce, false),
            AccountMeta::new_readonly(sysvar::recent_blockhashes::ID, false),
            AccountMeta::new_readonly(sysvar::rent::ID, false),
        ],
    )
}

// ---- Nested associated token accounts (the ATA program's `RecoverNested`) --------------------

/// `RecoverNested` (ATA program instruction 2): moves every token of the associated account of
/// `nested_mint` owned by `wallet`'s associated account of `owner_mint` into `wallet`'s own
/// associated account of `nested_mint`, and closes it, its lamports to `wallet` (who signs).
pub fn recover_nested(
    wallet: &Pubkey,
    owner_mint: &Pubkey,
    nested_mint: &Pubkey,
    token_program: &Pubkey,
) -> Instruction {
    use solana_program::instruction::AccountMeta;
    let owner_ata = spl::associated_token_address(wallet, owner_mint, token_program);
    let nested = spl::associated_token_address(&owner_ata, nested_mint, token_program);
    let destination = spl::associated_token_address(wallet, nested_mint, token_program);
    Instruction {
        program_id: spl::ASSOCIATED_TOKEN_PROGRAM_ID,
        accounts: vec![
            AccountMeta::new(nested, false),
            AccountMeta::new_readonly(*nested_mint, false),
            AccountMeta::new(destination, false),
            AccountMeta::new_readonly(owner_ata, false),
            AccountMeta::new_readonly(*owner_mint, false),
            AccountMeta::new(*wallet, true),
            AccountMeta::new_readonly(*token_program, false),
        ],
        data: vec![2],
    }
}
