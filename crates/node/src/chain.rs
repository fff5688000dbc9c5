//! The chain state the executor owns: LiteSVM with the Leash program and the SPL programs, the
//! slot and clock, the recent blockhashes, the faucet, and the writes not yet committed.

use std::{
    collections::{HashMap, HashSet, VecDeque},
    path::{Path, PathBuf},
    sync::Arc,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use litesvm::{types::TransactionMetadata, LiteSVM};
use serde::{Deserialize, Serialize};
use solana_account::{Account, ReadableAccount};
use solana_hash::Hash;
use solana_keypair::Keypair;
use solana_message::{Message, VersionedMessage};
use solana_program::{clock::Clock, pubkey::Pubkey};
use solana_signature::Signature;
use solana_signer::Signer;
use solana_transaction::{versioned::VersionedTransaction, Transaction};
use solana_transaction_error::TransactionError;

use crate::store::{
    self, Batch, BlockInfo, InnerIx, Store, StoreError, TokenBalance, TxDetails, TxRecord,
};
use leash_runtime::SplToken;
use leash_sdk::spl;

/// The upgradeable BPF loader (v3), which owns deployed programs.
const UPGRADEABLE_LOADER: Pubkey = leash_sdk::names::UPGRADEABLE_LOADER_ID;

/// Slots per epoch, as on mainnet.
pub const SLOTS_PER_EPOCH: u64 = 432_000;
/// How many slots a blockhash stays valid, as on mainnet.
pub const BLOCKHASH_VALIDITY_SLOTS: u64 = 150;
/// Lamports the faucet starts with (500 million SOL).
const FAUCET_LAMPORTS: u64 = 500_000_000 * LAMPORTS_PER_SOL;
const LAMPORTS_PER_SOL: u64 = 1_000_000_000;
/// The most one airdrop gives (1,000 SOL): the faucet holds 500 million, so emptying it takes
/// half a million requests, not one.
pub const MAX_AIRDROP_LAMPORTS: u64 = 1_000 * LAMPORTS_PER_SOL;
/// The most one `leash_mintTokens` mints: 10^15 base units (a billion USDC at 6 decimals).
pub const MAX_MINT_BASE_UNITS: u64 = 1_000_000_000_000_000;
/// A faucet token's supply never passes half of `u64::MAX`, so balances and sums of them never
/// overflow whatever anyone mints.
pub const MAX_FAUCET_SUPPLY: u64 = u64::MAX / 2;
/// The furthest one `leash_warpSlot` may jump past the current slot. Far enough for any test of
/// expiry or epochs; it keeps the slot (and everything derived from it) far from `u64::MAX`.
pub const MAX_WARP_SLOTS: u64 = 1_000_000_000;
/// How many transactions the faucet builds for one request before it gives up on finding one
/// that was not already sent (it only has to skip one when its counter wrapped around).
const FAUCET_ATTEMPTS: u32 = 16;
/// The compute-unit limits the faucet's transactions request: from this floor (far above what a
/// transfer or a token mint uses) up to the runtime's maximum, 1 400 000.
const FAUCET_UNITS_FLOOR: u32 = 200_000;
const FAUCET_UNITS_SPAN: u64 = 1_200_001;

/// While commits fail, how often a commit of slots alone is tried again.
const FAILED_COMMIT_BACKOFF: Duration = Duration::from_secs(1);
/// Most blocks committed without durability before a commit is made durable.
const MAX_UNDURABLE_BLOCKS: usize = 1024;

/// A token the node's faucet can mint, published to clients by `leash_getTokenList`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct TokenInfo {
    pub symbol: String,
    pub name: String,
    pub mint: String,
    pub decimals: u8,
    pub program: String,
}

/// What a new ledger is created with; stored once.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Genesis {
    genesis_hash: String,
    /// The faucet keypair (64 bytes); a local development key, never a real one.
    faucet: Vec<u8>,
    tokens: Vec<TokenInfo>,
    created_at: i64,
    /// The program at SPL Token's address (`p-token` or `classic`); ledgers created before the
    /// choice existed run p-token.
    #[serde(default)]
    spl_token: Option<String>,
}

/// Slot, clock offset, blockhashes and the transaction sequence: written with every commit.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Progress {
    slot: u64,
    time_offset: i64,
    sequence: u64,
    /// (blockhash, slot it was issued), oldest first.
    blockhashes: Vec<(String, u64)>,
}

/// Why a transaction was not accepted.
#[derive(Debug)]
pub enum SendError {
    /// The same signature was already processed.
    AlreadyProcessed,
    /// Unknown or expired blockhash.
    BlockhashNotFound,
    /// A signature does not verify.
    SignatureFailure,
    /// Refused before execution (malformed, unsupported); nothing was charged.
    Rejected(TransactionError),
    /// Preflight (simulation) failed; nothing was charged.
    Preflight {
        err: TransactionError,
        meta: Box<TransactionMetadata>,
        /// What the transaction loaded (a validator reports it with the failure).
        loaded_accounts_data_size: u32,
    },
    /// Unsupported by this node.
    Unsupported(String),
    /// The faucet could not build a transaction distinct from those already sent.
    Faucet(String),
    Store(StoreError),
}

impl From<StoreError> for SendError {
    fn from(e: StoreError) -> Self {
        SendError::Store(e)
    }
}

/// A group commit handed to the committer thread ([`store::write`]): the executor goes on
/// executing while it is written, and learns the outcome through [`Chain::finish_commit`].
pub struct Commit {
    pub db: Arc<redb::Database>,
    pub batch: Arc<Batch>,
    pub durable: bool,
}

impl Commit {
    /// Writes the batch (on the committer thread). Dropping `self` after releases the database
    /// handle, which a failure handler must be able to reopen.
    pub fn write(self) -> Result<(), StoreError> {
        store::write(&self.db, &self.batch, self.durable)
    }
}

/// The commit being written, as the executor keeps it.
struct InFlight {
    batch: Arc<Batch>,
    /// Its accounts as they were before its first transaction: what a failed commit puts back.
    undo: HashMap<Pubkey, Option<Account>>,
    durable: bool,
}

/// A transaction executed but not yet durable (pending, or in the commit being written).
struct Undurable {
    slot: u64,
    err: Option<TransactionError>,
    /// The commit (see [`Chain::commits`]) that writes it.
    commit: u64,
}

pub struct Chain {
    svm: LiteSVM,
    store: Store,
    genesis: Genesis,
    faucet: Keypair,
    progress: Progress,
    blockhashes: VecDeque<(Hash, u64)>,
    /// The SlotHashes sysvar's entries, newest first (at most 512, as a validator's): what
    /// address lookup tables check a table's creation slot against. Rebuilt from the
    /// blockhashes after a restart.
    slot_hashes: VecDeque<(u64, Hash)>,
    pending: Batch,
    ledger: PathBuf,
    /// Makes each faucet transaction unique (see [`Chain::send_from_faucet`]).
    faucet_nonce: u64,
    /// Where commits are announced to PubSub subscribers.
    /// Each account the pending transactions changed, as it was before the first of them: what
    /// a failed commit puts back.
    undo: HashMap<Pubkey, Option<Account>>,
    /// Blocks committed without durability since the last durable commit: a ledger reopened
    /// after a failure has lost them, so they are written again.
    undurable_blocks: Vec<(u64, BlockInfo)>,
    /// Why the last commit failed, while commits fail (logged once, cleared when one succeeds).
    write_failure: Option<StoreError>,
    /// When a commit last failed.
    last_failure: Option<Instant>,
    /// The store's generation whose lost non-durable commits were written again.
    store_generation: u64,
    /// The commit on the committer thread, if any (at most one at a time).
    in_flight: Option<InFlight>,
    /// Transactions executed but not yet durable, by signature: `processed`, not `confirmed`.
    undurable: HashMap<[u8; 64], Undurable>,
    /// The transaction sequence up to which everything is durable.
    durable_sequence: u64,
    /// Whether the progress changed since it was last put into a batch.
    progress_changed: bool,
    /// Commits begun so far: the one in flight is number `commits`, the pending batch goes with
    /// the next.
    commits: u64,
    /// Transactions `sendTransaction` loses on purpose (`leash_dropTransactions`).
    drop_next: u64,
    /// Slots `finalized` lags the newest slot (`--finality-lag`).
    finality_lag: u64,
    /// Upgradeable programs (re)deployed by a landed transaction, with its slot: they run from
    /// the next slot (see `hide_programs_deployed_this_slot`).
    deployed: HashMap<Pubkey, u64>,
}

fn wall_clock() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn fresh_svm(spl_token: SplToken) -> LiteSVM {
    // The embedded default: Leash at its default id from genesis. Deployments at other
    // addresses arrive as upgradeable-loader transactions, as on any cluster (docs/deploy.md).
    let mut svm = leash_runtime::leash_svm_running(&leash_sdk::DEFAULT_PROGRAM_ID, spl_token);
    // The node checks blockhash age against its own queue (150 slots, like a validator) and
    // detects duplicates in its own ledger, which outlives LiteSVM's in-memory history.
    svm.set_blockhash_check(false);
    let mut svm = svm.with_transaction_history(0);
    crate::genesis::align_with_agave(&mut svm);
    svm
}

/// An initialized SPL mint account with `authority` as mint authority.
fn mint_account(svm: &LiteSVM, authority: &Pubkey, decimals: u8) -> Account {
    let data = spl::initialized_mint_data(authority, decimals);
    Account {
        lamports: svm.minimum_balance_for_rent_exemption(spl::MINT_LEN),
        data,
        owner: spl::TOKEN_PROGRAM_ID,
        executable: false,
        rent_epoch: 0,
    }
}

impl Chain {
    /// Opens the ledger in `dir`, creating genesis if it is new (or `reset`).
    pub fn open(dir: &Path, reset: bool, spl_token: Option<SplToken>) -> Result<Chain, StoreError> {
        if reset {
            let file = dir.join("ledger.redb");
            if file.exists() {
                std::fs::remove_file(&file).map_err(|e| StoreError::Io {
                    kind: e.kind(),
                    message: format!("cannot reset {}: {e}", file.display()),
                })?;
            }
        }
        let store = Store::open(dir)?;
        let stored = store.meta::<Genesis>("genesis")?;
        let is_new = stored.is_none();
        // A ledger keeps the token program it was created with.
        let created_with = match stored.as_ref().and_then(|g| g.spl_token.as_deref()) {
            Some(text) => text
                .parse::<SplToken>()
                .map_err(|e| StoreError::Corrupt(format!("the ledger's SPL Token program: {e}")))?,
            None => SplToken::PToken,
        };
        let chosen = match (&stored, spl_token) {
            (None, choice) => choice.unwrap_or_default(),
            (Some(_), Some(choice)) if choice != created_with => {
                return Err(StoreError::Other(format!(
                    "this ledger runs {created_with} at SPL Token's address; start it with \
                     `--spl-token {created_with}`, or with `--reset` for a new ledger running {choice}"
                )))
            }
            (Some(_), _) => created_with,
        };
        let mut svm = fresh_svm(chosen);
        let (genesis, progress) = match stored {
            Some(genesis) => {
                let progress: Progress = store.meta("progress")?.ok_or_else(|| {
                    StoreError::Corrupt("ledger has genesis but no progress".into())
                })?;
                // Programs last: loading a deployed program reads its program-data account,
                // which must be restored first.
                let (programs, data): (Vec<_>, Vec<_>) = store
                    .accounts()?
                    .into_iter()
                    .partition(|(_, a)| a.executable);
                for (address, account) in data.into_iter().chain(programs) {
                    svm.set_account(address, account)
                        .map_err(|e| StoreError::Corrupt(format!("restoring {address}: {e:?}")))?;
                }
                (genesis, progress)
            }
            None => Self::genesis(&mut svm, chosen)?,
        };
        let progress_sequence = progress.sequence;
        let faucet = Keypair::try_from(genesis.faucet.as_slice())
            .map_err(|e| StoreError::Corrupt(format!("faucet key: {e}")))?;
        let blockhashes: VecDeque<(Hash, u64)> = progress
            .blockhashes
            .iter()
            .filter_map(|(h, s)| h.parse::<Hash>().ok().map(|h| (h, *s)))
            .collect();
        let slot_hashes = blockhashes.iter().rev().map(|(h, s)| (*s, *h)).collect();
        let mut chain = Chain {
            svm,
            store,
            genesis,
            faucet,
            progress,
            blockhashes,
            slot_hashes,
            pending: Batch::default(),
            ledger: dir.to_path_buf(),
            // Started from the transaction count, so a restarted node (whose slot, and so
            // blockhash, may not have moved at the very end of the slot range) begins past the
            // values it used before.
            faucet_nonce: progress_sequence,
            undo: HashMap::new(),
            undurable_blocks: Vec::new(),
            write_failure: None,
            last_failure: None,
            store_generation: 0,
            in_flight: None,
            undurable: HashMap::new(),
            durable_sequence: progress_sequence,
            progress_changed: false,
            commits: 0,
            drop_next: 0,
            finality_lag: 0,
            deployed: HashMap::new(),
        };
        if is_new {
            chain
                .pending
                .meta
                .push(("genesis", serde_json::to_vec(&chain.genesis)?));
            let faucet = chain.faucet.pubkey();
            chain.stage_account(&faucet);
            for token in chain.genesis.tokens.clone() {
                if let Ok(mint) = token.mint.parse::<Pubkey>() {
                    chain.stage_account(&mint);
                }
            }
        }
        // A restarted node continues after the last slot it recorded.
        chain.advance_slot(chain.progress.slot.saturating_add(1));
        chain.commit(true)?;
        Ok(chain)
    }

    fn genesis(svm: &mut LiteSVM, spl_token: SplToken) -> Result<(Genesis, Progress), StoreError> {
        let faucet = Keypair::new();
        let usdc = Keypair::new().pubkey();
        let genesis_error = |e: litesvm::error::LiteSVMError| {
            StoreError::Other(format!("creating genesis accounts: {e:?}"))
        };
        svm.set_account(
            faucet.pubkey(),
            Account {
                lamports: FAUCET_LAMPORTS,
                data: vec![],
                owner: solana_system_interface::program::ID,
                executable: false,
                rent_epoch: 0,
            },
        )
        .map_err(genesis_error)?;
        svm.set_account(usdc, mint_account(svm, &faucet.pubkey(), 6))
            .map_err(genesis_error)?;
        let genesis = Genesis {
            genesis_hash: Hash::new_from_array(rand_bytes()).to_string(),
            faucet: faucet.to_bytes().to_vec(),
            tokens: vec![TokenInfo {
                symbol: "USDC".into(),
                name: "USD Coin (local test token)".into(),
                mint: usdc.to_string(),
                decimals: 6,
                program: spl::TOKEN_PROGRAM_ID.to_string(),
            }],
            created_at: wall_clock(),
            spl_token: Some(spl_token.to_string()),
        };
        let progress = Progress {
            slot: 0,
            time_offset: 0,
            sequence: 0,
            blockhashes: vec![],
        };
        Ok((genesis, progress))
    }

    // -----------------------------------------------------------------------------------------
    // Time.

    pub fn slot(&self) -> u64 {
        self.progress.slot
    }

    /// Unix time the chain's clock shows.
    pub fn unix_timestamp(&self) -> i64 {
        wall_clock().saturating_add(self.progress.time_offset)
    }

    /// Moves to `slot` (never backwards), issues a new blockhash and updates the Clock.
    pub fn advance_slot(&mut self, slot: u64) {
        if slot <= self.progress.slot && !self.blockhashes.is_empty() {
            return;
        }
        let slot = slot.max(self.progress.slot);
        let previous = self.blockhashes.back().map(|(h, _)| *h).unwrap_or_default();
        let hash = solana_program::hash::hashv(&[
            previous.as_ref(),
            &slot.to_le_bytes(),
            self.genesis.genesis_hash.as_bytes(),
        ]);
        let hash = Hash::new_from_array(hash.to_bytes());
        self.blockhashes.push_back((hash, slot));
        while self.blockhashes.len() as u64 > BLOCKHASH_VALIDITY_SLOTS {
            self.blockhashes.pop_front();
        }
        // Each slot the chain passes through is a block (a warp skips the slots between).
        self.pending.blocks.push((
            slot,
            BlockInfo {
                blockhash: hash.to_bytes(),
                parent_slot: self.progress.slot.min(slot.saturating_sub(1)),
                previous_blockhash: previous.to_bytes(),
                block_time: self.unix_timestamp(),
            },
        ));
        self.progress.slot = slot;
        self.slot_hashes.push_front((slot, hash));
        self.slot_hashes
            .truncate(solana_program::slot_hashes::MAX_ENTRIES);
        let entries: Vec<(u64, Hash)> = self.slot_hashes.iter().copied().collect();
        self.svm
            .set_sysvar(&solana_program::slot_hashes::SlotHashes::new(&entries));
        self.svm.warp_to_slot(slot);
        self.svm.set_latest_blockhash(hash);
        let lamports_per_signature = self.lamports_per_signature();
        let newest_first = self.blockhashes.iter().rev().map(|(hash, _)| hash);
        crate::genesis::set_recent_blockhashes(&mut self.svm, newest_first, lamports_per_signature);
        self.sync_clock();
        crate::genesis::fund_sysvars(&mut self.svm, crate::genesis::PER_SLOT);
        self.stage_progress();
    }

    /// One slot tick of the timer.
    pub fn tick(&mut self) {
        self.advance_slot(self.progress.slot.saturating_add(1));
    }

    /// `leash_setUnixTimestamp`: the clock jumps to `unix_timestamp` and runs on from there.
    pub fn set_unix_timestamp(&mut self, unix_timestamp: i64) {
        self.progress.time_offset = unix_timestamp.saturating_sub(wall_clock());
        self.sync_clock();
        self.stage_progress();
    }

    fn sync_clock(&mut self) {
        let slot = self.progress.slot;
        let mut clock: Clock = self.svm.get_sysvar();
        clock.slot = slot;
        clock.epoch = slot / SLOTS_PER_EPOCH;
        clock.leader_schedule_epoch = clock.epoch.saturating_add(1);
        clock.unix_timestamp = self.unix_timestamp();
        self.svm.set_sysvar(&clock);
        crate::genesis::fund_sysvars(&mut self.svm, &[solana_program::sysvar::clock::ID]);
    }

    pub fn latest_blockhash(&self) -> (Hash, u64) {
        let (hash, slot) = self.blockhashes.back().copied().unwrap_or_default();
        (hash, slot.saturating_add(BLOCKHASH_VALIDITY_SLOTS))
    }

    /// `finalized` lags the newest slot by `slots` (a real cluster: ~32).
    pub fn set_finality_lag(&mut self, slots: u64) {
        self.finality_lag = slots;
    }

    /// The newest finalized slot.
    pub fn finalized_slot(&self) -> u64 {
        self.progress.slot.saturating_sub(self.finality_lag)
    }

    /// The newest blockhash issued in a finalized slot, and its last valid height.
    pub fn finalized_blockhash(&self) -> (Hash, u64) {
        let finalized = self.finalized_slot();
        let (hash, slot) = self
            .blockhashes
            .iter()
            .rev()
            .find(|(_, issued)| *issued <= finalized)
            .or(self.blockhashes.front())
            .copied()
            .unwrap_or_default();
        (hash, slot.saturating_add(BLOCKHASH_VALIDITY_SLOTS))
    }

    /// Whether the finalized view knows `hash`: valid, and issued no later than the finalized
    /// slot. What preflight and simulation at `finalized` check, as a validator's finalized bank
    /// does: a blockhash from a `confirmed` read is "not found" there for ~32 slots.
    pub fn is_blockhash_finalized(&self, hash: &Hash) -> bool {
        let finalized = self.finalized_slot();
        self.is_blockhash_valid(hash)
            && self
                .blockhashes
                .iter()
                .any(|(h, issued)| h == hash && *issued <= finalized)
    }

    /// Issued in the last 150 slots (a warp expires older blockhashes, as time would).
    pub fn is_blockhash_valid(&self, hash: &Hash) -> bool {
        let slot = self.progress.slot;
        self.blockhashes
            .iter()
            .any(|(h, issued)| h == hash && issued.saturating_add(BLOCKHASH_VALIDITY_SLOTS) >= slot)
    }

    pub fn genesis_hash(&self) -> &str {
        &self.genesis.genesis_hash
    }

    pub fn tokens(&self) -> &[TokenInfo] {
        &self.genesis.tokens
    }

    pub fn faucet(&self) -> Pubkey {
        self.faucet.pubkey()
    }

    pub fn ledger_dir(&self) -> &Path {
        &self.ledger
    }

    pub fn transaction_count(&self) -> u64 {
        self.progress.sequence
    }

    // -----------------------------------------------------------------------------------------
    // Reads.

    pub fn account(&self, address: &Pubkey) -> Option<Account> {
        self.svm.get_account(address).filter(exists)
    }

    pub fn program_accounts(&self, program: &Pubkey) -> Vec<(Pubkey, Account)> {
        self.svm.get_program_accounts(program)
    }

    /// Visits the accounts `program` owns, in no order and without copying them, until `visit`
    /// returns false.
    pub fn scan_program_accounts(
        &self,
        program: &Pubkey,
        mut visit: impl FnMut(&Pubkey, &solana_account::AccountSharedData) -> bool,
    ) {
        for (address, account) in &self.svm.accounts_db().inner {
            if account.owner() == program && !visit(address, account) {
                return;
            }
        }
    }

    pub fn minimum_balance_for_rent_exemption(&self, len: usize) -> u64 {
        self.svm.minimum_balance_for_rent_exemption(len)
    }

    pub fn lamports_per_signature(&self) -> u64 {
        self.svm.get_fee_structure().lamports_per_signature
    }

    /// Decimals of a mint of SPL Token or Token-2022.
    pub fn mint_decimals(&self, mint: &Pubkey) -> Option<u8> {
        let account = self.svm.get_account(mint)?;
        leash_sdk::token_account::is_token_program(&account.owner)
            .then(|| spl::mint_decimals(&account.data))
            .flatten()
    }

    /// What `mint` says about showing amounts (decimals, an interest rate or a UI multiplier)
    /// at the clock's time, as a validator's RPC reads it for balances.
    pub fn mint_display(&self, mint: &Pubkey) -> Option<crate::encoding::MintDisplay> {
        let account = self.svm.get_account(mint)?;
        if !leash_sdk::token_account::is_token_program(&account.owner) {
            return None;
        }
        let clock: Clock = self.svm.get_sysvar();
        crate::encoding::mint_display(&account.data, clock.unix_timestamp)
    }

    /// Every account the chain holds (programs and sysvars included).
    pub fn all_accounts(&self) -> impl Iterator<Item = (Pubkey, u64)> + '_ {
        self.svm
            .accounts_db()
            .inner
            .iter()
            .map(|(address, account)| (*address, account.lamports()))
            .filter(|(_, lamports)| *lamports > 0)
    }

    /// This node's identity: the leader of every slot. Derived from the genesis hash; the node
    /// never signs with it.
    pub fn identity(&self) -> Pubkey {
        let hash = solana_program::hash::hashv(&[
            b"leash-node-identity",
            self.genesis.genesis_hash.as_bytes(),
        ]);
        Pubkey::new_from_array(hash.to_bytes())
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    // -----------------------------------------------------------------------------------------
    // Transactions.

    /// Checks what a validator checks before executing: not a duplicate, a known blockhash (or a
    /// durable nonce, [`Chain::is_durable_nonce`]).
    fn admit(&self, tx: &VersionedTransaction) -> Result<(), SendError> {
        let Some(signature) = tx.signatures.first() else {
            return Err(SendError::Rejected(TransactionError::SanitizeFailure));
        };
        if self.is_pending(signature) || self.store.has_transaction(&signature_bytes(signature))? {
            return Err(SendError::AlreadyProcessed);
        }
        if !self.is_blockhash_valid(tx.message.recent_blockhash()) && !self.is_durable_nonce(tx) {
            return Err(SendError::BlockhashNotFound);
        }
        Ok(())
    }

    /// Whether `tx` is a durable-nonce transaction whose nonce is current, as a validator
    /// accepts it in place of a recent blockhash: its first instruction is the System program's
    /// `AdvanceNonceAccount`, and the nonce account it names is initialized with the
    /// transaction's `recent_blockhash` as its durable nonce.
    pub fn is_durable_nonce(&self, tx: &VersionedTransaction) -> bool {
        let message = &tx.message;
        let keys = message.static_account_keys();
        let Some(first) = message.instructions().first() else {
            return false;
        };
        let is_advance = keys.get(usize::from(first.program_id_index))
            == Some(&solana_system_interface::program::ID)
            && matches!(
                bincode::deserialize::<solana_system_interface::instruction::SystemInstruction>(
                    &first.data
                ),
                Ok(solana_system_interface::instruction::SystemInstruction::AdvanceNonceAccount)
            );
        let nonce_account = first
            .accounts
            .first()
            .and_then(|index| keys.get(usize::from(*index)));
        let (true, Some(nonce_account)) = (is_advance, nonce_account) else {
            return false;
        };
        let state = self
            .svm
            .get_account(nonce_account)
            .and_then(|account| crate::encoding::nonce_state(&account));
        matches!(
            state,
            Some(solana_nonce::state::State::Initialized(data))
                if data.blockhash() == *message.recent_blockhash()
        )
    }

    /// Executed but not yet durable (pending, or in the commit being written).
    fn is_pending(&self, signature: &Signature) -> bool {
        self.undurable.contains_key(&signature_bytes(signature))
    }

    /// A transaction executed but not yet durable: its slot and error (`processed`).
    pub fn processed(&self, signature: &[u8; 64]) -> Option<(u64, Option<&TransactionError>)> {
        self.undurable
            .get(signature)
            .map(|u| (u.slot, u.err.as_ref()))
    }

    /// The commit that makes `signature` durable, if it is executed and not yet durable.
    pub fn commit_of(&self, signature: &[u8; 64]) -> Option<u64> {
        self.undurable.get(signature).map(|u| u.commit)
    }

    /// Commits begun so far: the one in flight (if any) is number `commits()`, and what is
    /// pending goes with `commits() + 1`.
    pub fn commits(&self) -> u64 {
        self.commits
    }

    /// Whether executed transactions are waiting to become durable.
    pub fn has_undurable(&self) -> bool {
        !self.undurable.is_empty()
    }

    /// Executes `tx`. With `preflight`, a transaction that would fail is refused and charges
    /// nothing (as `sendTransaction` without `skipPreflight`); otherwise a failing transaction
    /// lands, pays its fee and is recorded with its error.
    pub fn send_transaction(
        &mut self,
        tx: VersionedTransaction,
        preflight: bool,
    ) -> Result<Signature, SendError> {
        // A ledger closed by a failure is reopened by the next write (the commit writes again
        // what the reopened file lost).
        self.store.recover();
        self.admit(&tx)?;
        let signature = tx.signatures[0];
        // Every account the transaction names: its static keys, then what it loads through
        // lookup tables (writable, then read-only), as the runtime orders them.
        let loaded = self.loaded_addresses(&tx)?;
        let static_keys = tx.message.static_account_keys();
        let mut writable: Vec<bool> = (0..static_keys.len())
            .map(|i| {
                tx.message
                    .is_maybe_writable_with_reserved_addresses(i, None::<&HashSet<Pubkey>>)
            })
            .collect();
        let mut keys: Vec<Pubkey> = static_keys.to_vec();
        keys.extend(loaded.writable.iter().map(|k| Pubkey::new_from_array(*k)));
        keys.extend(loaded.readonly.iter().map(|k| Pubkey::new_from_array(*k)));
        writable.extend(std::iter::repeat_n(true, loaded.writable.len()));
        writable.extend(std::iter::repeat_n(false, loaded.readonly.len()));
        let before: Vec<Option<Account>> = keys.iter().map(|k| self.svm.get_account(k)).collect();
        let raw = bincode::serialize(&tx).map_err(|e| SendError::Unsupported(e.to_string()))?;
        let static_cost =
            crate::cost::static_cost(&tx.message, writable.iter().filter(|w| **w).count());
        let loaded_size =
            loaded_accounts_data_size(&tx, &keys, &before, &|k| self.svm.get_account(k));
        let pre_token_balances = token_balances(&before, &|mint| self.mint_decimals(mint));

        let hidden = self.hide_programs_deployed_this_slot(&tx);
        let result = self.svm.send_transaction(tx);
        self.restore_hidden(hidden);
        let (err, meta) = match result {
            Ok(meta) => (None, meta),
            Err(failed) => (Some(failed.err), failed.meta),
        };
        let after: Vec<Option<Account>> = keys.iter().map(|k| self.svm.get_account(k)).collect();
        let details = TxDetails {
            inner_instructions: inner_instructions(&meta.inner_instructions),
            pre_token_balances,
            post_token_balances: token_balances(&after, &|mint| self.mint_decimals(mint)),
        };
        if err.is_none() {
            self.note_deploys(&keys, &writable, &after);
        }
        let landed = err.is_none() || before.first() != after.first();
        if let Some(err) = &err {
            if !landed {
                return Err(match err {
                    TransactionError::SignatureFailure => SendError::SignatureFailure,
                    other => SendError::Rejected(other.clone()),
                });
            }
            if preflight {
                // Undo the fee (the only change a failed transaction makes).
                for (key, account) in keys.iter().zip(&before) {
                    if let Some(account) = account {
                        // Plain accounts (no program cache to rebuild): cannot fail.
                        let _ = self.svm.set_account(*key, account.clone());
                    }
                }
                return Err(SendError::Preflight {
                    err: err.clone(),
                    meta: Box::new(meta),
                    loaded_accounts_data_size: loaded_size,
                });
            }
        }
        let balance = |a: &Option<Account>| a.as_ref().map(|a| a.lamports).unwrap_or(0);
        let record = TxRecord {
            signature: signature_bytes(&signature),
            slot: self.progress.slot,
            block_time: self.unix_timestamp(),
            sequence: self.progress.sequence,
            transaction: raw,
            err,
            fee: meta.fee,
            logs: meta.logs,
            pre_balances: before.iter().map(balance).collect(),
            post_balances: after.iter().map(balance).collect(),
            compute_units: meta.compute_units_consumed,
            return_data: (!meta.return_data.data.is_empty()).then(|| {
                (
                    meta.return_data.program_id.to_bytes(),
                    meta.return_data.data.clone(),
                )
            }),
            details,
            loaded_addresses: loaded,
            cost_units: Some(crate::cost::executed_cost(
                static_cost,
                meta.compute_units_consumed,
                loaded_size,
            )),
        };
        self.progress.sequence = self.progress.sequence.saturating_add(1);
        // The accounts as read after execution are what gets stored; as they were before, what
        // a failed commit restores.
        for (((key, account), old), _) in keys
            .iter()
            .zip(&after)
            .zip(&before)
            .zip(&writable)
            .filter(|(_, w)| **w)
        {
            let account = account.clone().filter(exists);
            self.pending.accounts.push((*key, account));
            self.undo.entry(*key).or_insert_with(|| old.clone());
        }
        self.undurable.insert(
            record.signature,
            Undurable {
                slot: record.slot,
                err: record.err.clone(),
                commit: self.commits + 1,
            },
        );
        self.pending.transactions.push((record, keys));
        self.stage_progress();
        Ok(signature)
    }

    /// The accounts a v0 transaction loads through its address lookup tables, read from the
    /// tables as they are now (as the runtime will load them). A table that is missing or an
    /// index past its end refuses the transaction, as a validator does.
    pub fn loaded_addresses(
        &self,
        tx: &VersionedTransaction,
    ) -> Result<crate::store::LoadedAddresses, SendError> {
        use solana_address_lookup_table_interface::state::AddressLookupTable;
        let mut loaded = crate::store::LoadedAddresses::default();
        let VersionedMessage::V0(message) = &tx.message else {
            return Ok(loaded);
        };
        for lookup in &message.address_table_lookups {
            let account = self
                .svm
                .get_account(&lookup.account_key)
                .filter(|a| a.owner == solana_address_lookup_table_interface::program::ID)
                .ok_or(SendError::Rejected(
                    TransactionError::AddressLookupTableNotFound,
                ))?;
            let table = AddressLookupTable::deserialize(&account.data).map_err(|_| {
                SendError::Rejected(TransactionError::InvalidAddressLookupTableData)
            })?;
            let pick = |indexes: &[u8], into: &mut Vec<[u8; 32]>| -> Result<(), SendError> {
                for index in indexes {
                    let address =
                        table
                            .addresses
                            .get(usize::from(*index))
                            .ok_or(SendError::Rejected(
                                TransactionError::InvalidAddressLookupTableIndex,
                            ))?;
                    into.push(address.to_bytes());
                }
                Ok(())
            };
            pick(&lookup.writable_indexes, &mut loaded.writable)?;
            pick(&lookup.readonly_indexes, &mut loaded.readonly)?;
        }
        Ok(loaded)
    }

    /// Runs `tx` without changing anything.
    pub fn simulate(&mut self, tx: VersionedTransaction, sig_verify: bool) -> Simulation {
        // Every account the transaction names, as it stands before (tables read now, as the
        // runtime will); a table that cannot be read is the runtime's error below.
        let loaded = self.loaded_addresses(&tx).unwrap_or_default();
        let keys = account_keys(&tx, &loaded);
        let before: Vec<Option<Account>> = keys.iter().map(|k| self.svm.get_account(k)).collect();
        let loaded_accounts_data_size =
            loaded_accounts_data_size(&tx, &keys, &before, &|k| self.svm.get_account(k));
        self.svm.set_sigverify(sig_verify);
        let hidden = self.hide_programs_deployed_this_slot(&tx);
        let result = self.svm.simulate_transaction(tx);
        self.restore_hidden(hidden);
        self.svm.set_sigverify(true);
        let (err, meta, post_accounts) = match result {
            Ok(info) => {
                let accounts = info
                    .post_accounts
                    .into_iter()
                    .map(|(k, a)| {
                        let account = Account {
                            lamports: a.lamports(),
                            data: a.data().to_vec(),
                            owner: *a.owner(),
                            executable: a.executable(),
                            rent_epoch: a.rent_epoch(),
                        };
                        (k, account)
                    })
                    .collect();
                (None, info.meta, accounts)
            }
            Err(failed) => (Some(failed.err), failed.meta, vec![]),
        };
        // After: what the simulation wrote (its writable accounts), else as before. A failed
        // transaction that ran is charged its fee and nothing else, as it would be if sent.
        let mut after: Vec<Option<Account>> = keys
            .iter()
            .zip(&before)
            .map(|(key, was)| {
                post_accounts
                    .iter()
                    .find(|(k, _)| k == key)
                    .map(|(_, a)| a.clone())
                    .or_else(|| was.clone())
            })
            .collect();
        if matches!(err, Some(TransactionError::InstructionError(..))) {
            if let Some(Some(payer)) = after.first_mut() {
                payer.lamports = payer.lamports.saturating_sub(meta.fee);
            }
        }
        let lamports = |accounts: &[Option<Account>]| -> Vec<u64> {
            accounts
                .iter()
                .map(|a| a.as_ref().map_or(0, |a| a.lamports))
                .collect()
        };
        let balances = SimulatedBalances {
            pre: lamports(&before),
            post: lamports(&after),
            pre_token: token_balances(&before, &|mint| self.mint_decimals(mint)),
            post_token: token_balances(&after, &|mint| self.mint_decimals(mint)),
        };
        Simulation {
            err,
            meta,
            post_accounts,
            loaded,
            keys,
            balances,
            loaded_accounts_data_size,
        }
    }

    /// Agave runs a program deployed or upgraded in slot N from slot N + 1 on ("Program is not
    /// deployed" before). LiteSVM loads it as soon as its account is written; so, for one
    /// transaction, each program it calls at the top level that a transaction of this slot
    /// (re)deployed (`deployed`, noted when it landed: no account is read for the others) is
    /// swapped for a copy whose program-data address holds nothing, which LiteSVM loads as a
    /// closed program: the call fails as on Agave (`UnsupportedProgramId`, the fee paid).
    /// Returns what [`Chain::restore_hidden`] puts back.
    fn hide_programs_deployed_this_slot(
        &mut self,
        tx: &VersionedTransaction,
    ) -> Vec<(Pubkey, Account)> {
        let keys = tx.message.static_account_keys();
        let mut hidden = Vec::new();
        for instruction in tx.message.instructions() {
            let Some(program_id) = keys.get(usize::from(instruction.program_id_index)) else {
                continue;
            };
            if self.deployed.get(program_id) != Some(&self.progress.slot)
                || hidden.iter().any(|(k, _)| k == program_id)
            {
                continue;
            }
            let Some(program) = self.svm.get_account(program_id) else {
                continue;
            };
            if program.data.len() < 36 {
                continue;
            }
            let mut closed = program.clone();
            // An address no account can be at (off the curve, no seeds): nothing to load.
            closed.data[4..36].copy_from_slice(&[0xff; 32]);
            if self.svm.set_account(*program_id, closed).is_ok() {
                hidden.push((*program_id, program));
            }
        }
        hidden
    }

    /// Notes the upgradeable programs a landed transaction wrote: a deploy, upgrade or
    /// extension takes the program account writable.
    fn note_deploys(&mut self, keys: &[Pubkey], writable: &[bool], after: &[Option<Account>]) {
        let slot = self.progress.slot;
        for ((key, account), _) in keys.iter().zip(after).zip(writable).filter(|(_, w)| **w) {
            if account
                .as_ref()
                .is_some_and(|a| a.owner == UPGRADEABLE_LOADER && a.executable)
            {
                self.deployed.retain(|_, s| *s == slot);
                self.deployed.insert(*key, slot);
            }
        }
    }

    fn restore_hidden(&mut self, hidden: Vec<(Pubkey, Account)>) {
        for (address, account) in hidden {
            // The account LiteSVM loaded a moment ago: it loads again.
            let _ = self.svm.set_account(address, account);
        }
    }

    /// Loses the next `n` transactions sent (`leash_dropTransactions`).
    pub fn drop_next_transactions(&mut self, n: u64) {
        self.drop_next = n;
    }

    /// Whether to lose this transaction (and count it).
    pub fn take_drop(&mut self) -> bool {
        if self.drop_next == 0 {
            return false;
        }
        self.drop_next -= 1;
        true
    }

    /// A transfer of `lamports` from the faucet, at most [`MAX_AIRDROP_LAMPORTS`] at a time so
    /// one request cannot empty it for everyone.
    pub fn airdrop(&mut self, to: &Pubkey, lamports: u64) -> Result<Signature, SendError> {
        if lamports > MAX_AIRDROP_LAMPORTS {
            return Err(SendError::Unsupported(format!(
                "an airdrop gives at most {} SOL ({MAX_AIRDROP_LAMPORTS} lamports) per request; \
                 {lamports} lamports asked: ask for less, or several times",
                MAX_AIRDROP_LAMPORTS / LAMPORTS_PER_SOL
            )));
        }
        let ix =
            solana_system_interface::instruction::transfer(&self.faucet.pubkey(), to, lamports);
        self.send_from_faucet(&[ix])
    }

    /// Mints `amount` base units of one of the node's faucet tokens to `owner`'s associated
    /// token account, creating it if needed.
    pub fn mint_tokens(
        &mut self,
        owner: &Pubkey,
        mint: &Pubkey,
        amount: u64,
    ) -> Result<Signature, SendError> {
        let Some(token) = self
            .genesis
            .tokens
            .iter()
            .find(|t| t.mint == mint.to_string())
        else {
            return Err(SendError::Unsupported(format!(
                "{mint} is not a token this node's faucet can mint; see leash_getTokenList"
            )));
        };
        let program: Pubkey = token.program.parse().unwrap_or(spl::TOKEN_PROGRAM_ID);
        // Capped per request, and the supply keeps headroom: one request near u64::MAX would
        // otherwise make every later mint (and any sum of balances) overflow for everyone.
        let supply = self
            .account(mint)
            .and_then(|a| a.data.get(36..44).map(|b| b.to_vec()))
            .and_then(|b| b.try_into().ok())
            .map_or(0, u64::from_le_bytes);
        if amount > MAX_MINT_BASE_UNITS {
            return Err(SendError::Unsupported(format!(
                "the faucet mints at most {MAX_MINT_BASE_UNITS} base units of {} per request; \
                 {amount} asked: ask for less, or several times",
                token.symbol
            )));
        }
        if supply.saturating_add(amount) > MAX_FAUCET_SUPPLY {
            return Err(SendError::Unsupported(format!(
                "the faucet has minted all the {} it may ({MAX_FAUCET_SUPPLY} base units in \
                 supply): restart the node with --reset for a fresh supply",
                token.symbol
            )));
        }
        let faucet = self.faucet.pubkey();
        let ata = spl::associated_token_address(owner, mint, &program);
        let ixs = [
            spl::create_associated_token_account_idempotent(&faucet, owner, mint, &program),
            spl::mint_to(&program, mint, &ata, &faucet, amount),
        ];
        self.send_from_faucet(&ixs)
    }

    /// Signs `ixs` as a faucet transaction and sends it with preflight.
    ///
    /// Two identical requests (same recipient, same amount) under one blockhash would build
    /// byte-identical transactions with one signature, and the second would be refused as a
    /// duplicate. So each faucet transaction starts with a `SetComputeUnitLimit` whose value comes
    /// from a per-node counter: identical requests differ without waiting for the slot (and so the
    /// blockhash) to move — the slot may not move at all (`--slot-ms 0`, or at the end of the slot
    /// range). The limit is at least 200 000 units, far above what a transfer or a mint uses, and
    /// there is no compute-unit price, so the fee stays the plain signature fee. Only after the
    /// counter has wrapped around (1 200 001 values under one blockhash) can a candidate repeat an
    /// earlier one; the faucet then tries the next values, a bounded number of times.
    fn send_from_faucet(
        &mut self,
        ixs: &[solana_program::instruction::Instruction],
    ) -> Result<Signature, SendError> {
        let faucet = self.faucet.insecure_clone();
        let (blockhash, _) = self.latest_blockhash();
        let mut instructions = Vec::with_capacity(ixs.len() + 1);
        for _ in 0..FAUCET_ATTEMPTS {
            let nonce = self.faucet_nonce;
            self.faucet_nonce = self.faucet_nonce.wrapping_add(1);
            instructions.clear();
            instructions.push(faucet_compute_limit(nonce));
            instructions.extend_from_slice(ixs);
            let tx = Transaction::new(
                &[&faucet],
                Message::new(&instructions, Some(&faucet.pubkey())),
                blockhash,
            );
            let signature = tx.signatures[0];
            if self.is_pending(&signature)
                || self.store.has_transaction(&signature_bytes(&signature))?
            {
                continue;
            }
            return self.send_transaction(VersionedTransaction::from(tx), true);
        }
        Err(SendError::Faucet(format!(
            "the faucet could not build a transaction different from those already sent with \
             blockhash {blockhash} ({FAUCET_ATTEMPTS} attempts); retry after the next slot"
        )))
    }

    // -----------------------------------------------------------------------------------------
    // Commits.

    fn stage_account(&mut self, address: &Pubkey) {
        let account = self.svm.get_account(address).filter(exists);
        self.pending.accounts.push((*address, account));
    }

    /// Marks the progress (slot, clock, sequence, blockhashes) as changed; it is written with the
    /// next commit. Serializing it (150 blockhashes in base58) costs more than executing a
    /// transfer, so it is done once per commit, not once per transaction.
    fn stage_progress(&mut self) {
        self.progress_changed = true;
    }

    /// Puts the progress, if it changed, into the pending batch.
    fn write_progress(&mut self) {
        if !std::mem::take(&mut self.progress_changed) {
            return;
        }
        self.progress.blockhashes = self
            .blockhashes
            .iter()
            .map(|(h, s)| (h.to_string(), *s))
            .collect();
        self.pending.meta.retain(|(name, _)| *name != "progress");
        if let Ok(bytes) = serde_json::to_vec(&self.progress) {
            self.pending.meta.push(("progress", bytes));
        }
    }

    /// Whether uncommitted transactions are waiting (not yet handed to a commit).
    pub fn has_pending_transactions(&self) -> bool {
        !self.pending.transactions.is_empty()
    }

    /// Whether a commit is on the committer thread.
    pub fn is_committing(&self) -> bool {
        self.in_flight.is_some()
    }

    /// Commits staged writes here and now, in one ledger transaction; `durable` waits for the
    /// disk. For opening, shutting down and tests: the executor overlaps its commits instead
    /// ([`Chain::begin_commit`]). A commit already in flight is finished first.
    pub fn commit(&mut self, durable: bool) -> Result<(), StoreError> {
        if self.in_flight.is_some() {
            return Err(StoreError::Other(
                "a commit is in flight: finish it before committing inline".into(),
            ));
        }
        match self.begin_commit(durable, false)? {
            Some(commit) => {
                let result = commit.write();
                self.finish_commit(result).map(|_| ())
            }
            None => Ok(()),
        }
    }

    /// Takes what is staged into a commit for the committer thread; `None` when there is nothing
    /// to write, a commit is already in flight, or (unless `force`) slots alone wait out the
    /// backoff after a failure. Until [`Chain::finish_commit`], the batch's transactions are
    /// `processed`, not durable. An error means the ledger could not even be opened: the batch
    /// was rolled back as for a failed commit.
    pub fn begin_commit(
        &mut self,
        durable: bool,
        force: bool,
    ) -> Result<Option<Commit>, StoreError> {
        if self.in_flight.is_some() {
            return Ok(None);
        }
        self.write_progress();
        if self.pending.is_empty() && self.store.is_open() {
            return Ok(None);
        }
        // While commits fail, slots alone (no transaction waits on them) are retried at most once
        // a second: each failure reopens, and so repairs, the ledger file.
        if !force
            && self.write_failure.is_some()
            && self.pending.transactions.is_empty()
            && self
                .last_failure
                .is_some_and(|at| at.elapsed() < FAILED_COMMIT_BACKOFF)
        {
            return Ok(None);
        }
        // Non-durable commits are kept in memory until a durable one (see `undurable_blocks`);
        // on an idle node, make every so many slots durable so that list stays short.
        let durable = durable
            || !self.pending.transactions.is_empty()
            || self.undurable_blocks.len() >= MAX_UNDURABLE_BLOCKS;
        let batch = Arc::new(std::mem::take(&mut self.pending));
        self.commits += 1;
        self.in_flight = Some(InFlight {
            batch: batch.clone(),
            undo: std::mem::take(&mut self.undo),
            durable,
        });
        match self.store.writer() {
            Ok(db) => Ok(Some(Commit { db, batch, durable })),
            Err(e) => {
                drop(batch);
                self.finish_commit(Err(e)).map(|_| None)
            }
        }
    }

    /// Takes the outcome of the commit in flight.
    ///
    /// Success: its transactions are durable (confirmed and finalized); the committed batch is
    /// returned for the executor to publish ([`crate::events`]): only what reached the ledger
    /// is announced.
    /// Failure (a full disk, an I/O error): it is undone in memory, and so is everything executed
    /// on top of it since (the pending batch, which depends on it): their accounts return to
    /// their values before the failed batch and the transaction sequence rewinds, so nothing a
    /// client could read is missing from the ledger, and the transactions can be sent again.
    /// Slots (blocks, progress) are kept pending and written by the next commit that succeeds.
    pub fn finish_commit(
        &mut self,
        result: Result<(), StoreError>,
    ) -> Result<Option<Arc<Batch>>, StoreError> {
        let Some(in_flight) = self.in_flight.take() else {
            return result.map(|()| None);
        };
        let batch = &in_flight.batch;
        let mut result = result.map_err(|e| self.store.place(e));
        if let Err(e) = &result {
            self.store.failed(e);
            // A commit can fail after its data reached the file (an fsync error, say): then the
            // reopened ledger holds it, and the batch stands.
            if let Some((record, _)) = batch.transactions.first() {
                if self.store.has_transaction(&record.signature) == Ok(true) {
                    result = Ok(());
                }
            }
        }
        if self.store.generation() != self.store_generation {
            self.store_generation = self.store.generation();
            // Reopened: the non-durable commits before the failure are gone from the file.
            let mut blocks = std::mem::take(&mut self.undurable_blocks);
            blocks.append(&mut self.pending.blocks);
            self.pending.blocks = blocks;
            self.stage_progress();
        }
        match result {
            Ok(()) => {
                for (record, _) in &batch.transactions {
                    self.undurable.remove(&record.signature);
                    self.durable_sequence = record.sequence.saturating_add(1);
                }
                if in_flight.durable || !batch.transactions.is_empty() {
                    self.undurable_blocks.clear();
                } else {
                    self.undurable_blocks.extend(batch.blocks.iter().cloned());
                }
                if self.write_failure.take().is_some() {
                    eprintln!("leash node: ledger writes work again");
                }
                Ok(Some(in_flight.batch.clone()))
            }
            Err(e) => {
                self.last_failure = Some(Instant::now());
                self.roll_back(in_flight);
                if self.write_failure.is_none() {
                    eprintln!("leash node: {e}; refusing writes until a commit succeeds");
                }
                self.write_failure = Some(e.clone());
                Err(e)
            }
        }
    }

    /// Undoes in memory what the failed commit `failed` would have written, and everything
    /// executed after it (the pending batch's transactions ran on its state).
    fn roll_back(&mut self, failed: InFlight) {
        let InFlight {
            batch, mut undo, ..
        } = failed;
        // The oldest value of each account wins: the failed batch's, then the pending batch's.
        for (address, account) in self.undo.drain() {
            undo.entry(address).or_insert(account);
        }
        for (address, account) in undo {
            // An account that did not exist goes back to empty (which reads as absent).
            let _ = self.svm.set_account(address, account.unwrap_or_default());
        }
        let later = std::mem::take(&mut self.pending);
        if let Some((record, _)) = batch.transactions.first().or(later.transactions.first()) {
            self.progress.sequence = record.sequence;
        }
        self.undurable.clear();
        // Blocks and named state (slot, clock, blockhashes) stay pending, in order; accounts
        // staged outside transactions (genesis) too.
        let staged: HashSet<Pubkey> = batch
            .transactions
            .iter()
            .chain(&later.transactions)
            .flat_map(|(_, keys)| keys.iter().copied())
            .collect();
        self.pending.blocks = batch.blocks.iter().cloned().chain(later.blocks).collect();
        self.pending.accounts = batch
            .accounts
            .iter()
            .cloned()
            .chain(later.accounts)
            .filter(|(address, _)| !staged.contains(address))
            .collect();
        self.pending.meta = later.meta;
        for (name, value) in &batch.meta {
            if !self.pending.meta.iter().any(|(n, _)| n == name) {
                self.pending.meta.push((name, value.clone()));
            }
        }
        self.stage_progress();
    }

    /// The transaction sequence up to which everything executed is durable.
    pub fn durable_sequence(&self) -> u64 {
        self.durable_sequence
    }

    /// Why writes are being refused, while they are.
    pub fn write_failure(&self) -> Option<&StoreError> {
        self.write_failure.as_ref()
    }
}

/// LiteSVM's inner instructions as the ledger keeps them: per top-level instruction that invoked
/// others, its index and what it invoked.
pub fn inner_instructions(
    list: &solana_message::inner_instruction::InnerInstructionsList,
) -> Vec<(u8, Vec<InnerIx>)> {
    list.iter()
        .enumerate()
        .filter(|(_, inner)| !inner.is_empty())
        .map(|(index, inner)| {
            let inner = inner
                .iter()
                .map(|ix| InnerIx {
                    program_id_index: ix.instruction.program_id_index,
                    accounts: ix.instruction.accounts.clone(),
                    data: ix.instruction.data.clone(),
                    stack_height: ix.stack_height,
                })
                .collect();
            (index as u8, inner)
        })
        .collect()
}

/// Every account a transaction names, as the runtime orders them: its static keys, then what
/// it loads through lookup tables (writable, then read-only).
pub fn account_keys(
    tx: &VersionedTransaction,
    loaded: &crate::store::LoadedAddresses,
) -> Vec<Pubkey> {
    let mut keys = tx.message.static_account_keys().to_vec();
    keys.extend(loaded.writable.iter().map(|k| Pubkey::new_from_array(*k)));
    keys.extend(loaded.readonly.iter().map(|k| Pubkey::new_from_array(*k)));
    keys
}

/// What a simulation found: the outcome, the accounts it wrote, and the figures a validator's
/// `simulateTransaction` reports beside them.
pub struct Simulation {
    pub err: Option<TransactionError>,
    pub meta: TransactionMetadata,
    /// The writable accounts as the transaction left them.
    pub post_accounts: Vec<(Pubkey, Account)>,
    /// What the transaction loads through lookup tables.
    pub loaded: crate::store::LoadedAddresses,
    /// Every account the transaction names (static keys, then loaded ones).
    pub keys: Vec<Pubkey>,
    pub balances: SimulatedBalances,
    pub loaded_accounts_data_size: u32,
}

/// Lamport and token balances of a simulated transaction's accounts, before and after.
pub struct SimulatedBalances {
    pub pre: Vec<u64>,
    pub post: Vec<u64>,
    pub pre_token: Vec<TokenBalance>,
    pub post_token: Vec<TokenBalance>,
}

/// The loaded-accounts data size the runtime meters (SIMD-0186, active on every cluster): 8,248
/// bytes per lookup table, 64 bytes plus the data of every account the transaction names (the
/// instructions sysvar and missing accounts count nothing), and, once, the program-data account
/// of each upgradeable program named whose program data is not itself named.
fn loaded_accounts_data_size(
    tx: &VersionedTransaction,
    keys: &[Pubkey],
    accounts: &[Option<Account>],
    account: &dyn Fn(&Pubkey) -> Option<Account>,
) -> u32 {
    const ACCOUNT_BASE_SIZE: usize = 64;
    const LOOKUP_TABLE_BASE_SIZE: usize = 8_248;
    let tables = match &tx.message {
        VersionedMessage::V0(message) => message.address_table_lookups.len(),
        _ => 0,
    };
    let mut size = tables.saturating_mul(LOOKUP_TABLE_BASE_SIZE);
    let mut counted_program_data = HashSet::new();
    for (key, loaded) in keys.iter().zip(accounts) {
        let Some(loaded) = loaded else { continue };
        if *key == solana_program::sysvar::instructions::ID {
            continue;
        }
        size = size.saturating_add(ACCOUNT_BASE_SIZE + loaded.data.len());
        // An upgradeable program account: the `Program` state, tag 2 then its program data's
        // address.
        if loaded.owner != UPGRADEABLE_LOADER || loaded.data.get(0..4) != Some(&2u32.to_le_bytes())
        {
            continue;
        }
        let Some(programdata_address) = loaded
            .data
            .get(4..36)
            .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
            .map(Pubkey::new_from_array)
        else {
            continue;
        };
        if keys.contains(&programdata_address) || !counted_program_data.insert(programdata_address)
        {
            continue;
        }
        if let Some(program_data) = account(&programdata_address) {
            size = size.saturating_add(ACCOUNT_BASE_SIZE + program_data.data.len());
        }
    }
    u32::try_from(size).unwrap_or(u32::MAX)
}

/// The token accounts among `accounts` (a message's accounts, in order) with their balances.
fn token_balances(
    accounts: &[Option<Account>],
    mint_decimals: &dyn Fn(&Pubkey) -> Option<u8>,
) -> Vec<TokenBalance> {
    accounts
        .iter()
        .enumerate()
        .filter_map(|(index, account)| {
            let account = account.as_ref()?;
            let view = leash_sdk::token_account::parse(&account.owner, &account.data)?;
            Some(TokenBalance {
                account_index: u8::try_from(index).ok()?,
                mint: view.mint.to_bytes(),
                owner: view.owner.to_bytes(),
                program: account.owner.to_bytes(),
                amount: view.amount,
                decimals: mint_decimals(&view.mint)?,
            })
        })
        .collect()
}

/// An account with neither lamports nor data does not exist (as on a validator).
fn exists(account: &Account) -> bool {
    account.lamports > 0 || !account.data.is_empty()
}

pub fn signature_bytes(signature: &Signature) -> [u8; 64] {
    let mut out = [0u8; 64];
    out.copy_from_slice(signature.as_ref());
    out
}

/// `ComputeBudget::SetComputeUnitLimit` with a limit in 200 000..=1 400 000 chosen by `nonce`.
fn faucet_compute_limit(nonce: u64) -> solana_program::instruction::Instruction {
    // The remainder is below FAUCET_UNITS_SPAN (1 200 001), so it fits a u32.
    let offset = u32::try_from(nonce % FAUCET_UNITS_SPAN).unwrap_or(0);
    let mut data = vec![2u8];
    data.extend_from_slice(&FAUCET_UNITS_FLOOR.saturating_add(offset).to_le_bytes());
    solana_program::instruction::Instruction {
        program_id: solana_program::pubkey!("ComputeBudget111111111111111111111111111111"),
        accounts: vec![],
        data,
    }
}

/// 32 random bytes from a fresh keypair (no extra RNG dependency).
fn rand_bytes() -> [u8; 32] {
    Keypair::new().pubkey().to_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOL: u64 = 1_000_000_000;

    /// The crash an attacker found: after a warp to the last slot the blockhash froze, and two
    /// identical airdrops made the faucet recurse until the stack overflowed. Identical requests
    /// must all land, with distinct signatures, without the slot having to move.
    #[test]
    fn identical_airdrops_at_the_last_slot_all_land() {
        let dir = tempfile::tempdir().unwrap();
        let mut chain = Chain::open(dir.path(), false, None).unwrap();
        chain.advance_slot(u64::MAX - 2);
        for _ in 0..5 {
            chain.tick();
        }
        assert_eq!(chain.slot(), u64::MAX);
        let (blockhash, last_valid) = chain.latest_blockhash();
        assert_eq!(last_valid, u64::MAX);
        assert!(chain.is_blockhash_valid(&blockhash));

        let to = Pubkey::new_unique();
        let mut signatures = HashSet::new();
        for round in 0..40 {
            let signature = chain.airdrop(&to, SOL).unwrap();
            assert!(signatures.insert(signature), "round {round}: {signature}");
            if round % 10 == 0 {
                chain.commit(true).unwrap();
            }
        }
        chain.commit(true).unwrap();
        assert_eq!(chain.slot(), u64::MAX);
        assert_eq!(chain.account(&to).unwrap().lamports, 40 * SOL);

        // Token mints too, and the slot still saturates.
        let usdc: Pubkey = chain.tokens()[0].mint.parse().unwrap();
        let a = chain.mint_tokens(&to, &usdc, 5).unwrap();
        let b = chain.mint_tokens(&to, &usdc, 5).unwrap();
        assert_ne!(a, b);
        chain.tick();
        chain.advance_slot(u64::MAX);
        assert_eq!(chain.slot(), u64::MAX);
        chain.commit(true).unwrap();

        // A restart at the last slot keeps working: the slot cannot move, the faucet still can.
        drop(chain);
        let mut chain = Chain::open(dir.path(), false, None).unwrap();
        assert_eq!(chain.slot(), u64::MAX);
        for _ in 0..3 {
            assert!(signatures.insert(chain.airdrop(&to, SOL).unwrap()));
        }
        chain.commit(true).unwrap();
        assert_eq!(chain.account(&to).unwrap().lamports, 43 * SOL);
    }

    /// The executor executes the next batch while the previous one is being written. If that
    /// write fails, both go: the failed batch and what ran on top of it, in memory as on disk.
    #[test]
    fn a_failed_overlapped_commit_rolls_back_what_ran_on_top_of_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut chain = Chain::open(dir.path(), false, None).unwrap();
        let (a, b) = (Pubkey::new_unique(), Pubkey::new_unique());
        let durable = chain.airdrop(&a, SOL).unwrap();
        chain.commit(true).unwrap();
        let count = chain.transaction_count();
        assert_eq!(chain.durable_sequence(), count);

        // Batch 1 is handed to the committer (it is not written here: the test decides).
        let first = chain.airdrop(&b, 2 * SOL).unwrap();
        let commit = chain.begin_commit(false, false).unwrap().expect("a commit");
        assert!(commit.durable && chain.is_committing());
        assert!(
            chain.begin_commit(false, true).unwrap().is_none(),
            "one at a time"
        );
        // Batch 2 runs on batch 1's state meanwhile.
        let second = chain.airdrop(&a, 3 * SOL).unwrap();
        assert_eq!(chain.account(&a).unwrap().lamports, 4 * SOL);
        assert!(chain.has_pending_transactions());
        for signature in [first, second] {
            let (_, err) = chain.processed(&signature_bytes(&signature)).unwrap();
            assert!(err.is_none());
        }
        // A status of `first` waits for the commit in flight, one of `second` for the next.
        let in_flight = chain.commits();
        assert_eq!(chain.commit_of(&signature_bytes(&first)), Some(in_flight));
        assert_eq!(
            chain.commit_of(&signature_bytes(&second)),
            Some(in_flight + 1)
        );
        assert!(
            chain.processed(&signature_bytes(&durable)).is_none(),
            "durable"
        );

        // The write fails (a full disk): everything not durable is undone.
        drop(commit);
        let full = StoreError::DiskFull {
            ledger: PathBuf::new(),
        };
        let Err(refused) = chain.finish_commit(Err(full)) else {
            panic!("a failed commit is refused");
        };
        assert!(refused.is_disk_full());
        assert!(chain.write_failure().is_some() && !chain.is_committing());
        assert!(chain.account(&b).is_none());
        assert_eq!(chain.account(&a).unwrap().lamports, SOL);
        assert_eq!(chain.transaction_count(), count);
        assert!(!chain.has_undurable() && !chain.has_pending_transactions());
        for signature in [first, second] {
            let bytes = signature_bytes(&signature);
            assert!(chain.processed(&bytes).is_none());
            assert!(!chain.store().has_transaction(&bytes).unwrap());
        }
        assert!(chain
            .store()
            .has_transaction(&signature_bytes(&durable))
            .unwrap());

        // The space returns: the next write lands, and the slots staged meanwhile with it.
        let again = chain.airdrop(&b, 2 * SOL).unwrap();
        chain.commit(false).unwrap();
        assert!(chain.write_failure().is_none());
        assert!(chain
            .store()
            .has_transaction(&signature_bytes(&again))
            .unwrap());
        assert_eq!(chain.durable_sequence(), count + 1);
        drop(chain);
        let chain = Chain::open(dir.path(), false, None).unwrap();
        assert_eq!(chain.account(&b).unwrap().lamports, 2 * SOL);
        assert_eq!(chain.account(&a).unwrap().lamports, SOL);
        assert_eq!(chain.transaction_count(), count + 1);
    }

    #[test]
    fn faucet_compute_limits_stay_within_the_runtime_maximum() {
        for nonce in [0, 1, FAUCET_UNITS_SPAN - 1, FAUCET_UNITS_SPAN, u64::MAX] {
            let ix = faucet_compute_limit(nonce);
            assert_eq!(ix.data[0], 2);
            let units = u32::from_le_bytes(ix.data[1..5].try_into().unwrap());
            assert!((200_000..=1_400_000).contains(&units), "{nonce} -> {units}");
        }
        assert_ne!(
            faucet_compute_limit(7).data,
            faucet_compute_limit(8).data,
            "consecutive nonces differ"
        );
    }
}
