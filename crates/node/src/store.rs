//! The ledger: accounts, transaction records and an address → signatures index in one redb file.
//!
//! redb is an embedded, pure-Rust, ACID key-value store: a write transaction with
//! `Durability::Immediate` is on disk (fsync) when `commit` returns, and a crash leaves either the
//! whole transaction or none of it. That is exactly the guarantee the node gives clients: a
//! transaction is answered only after its account changes and its record are committed together.
//! See docs/node.md for why redb over SQLite or RocksDB.

use std::{
    path::{Path, PathBuf},
    sync::Arc,
};

use redb::{
    Database, Durability, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition,
};
use serde::{Deserialize, Serialize};
use solana_account::Account;
use solana_program::pubkey::Pubkey;
use solana_transaction_error::TransactionError;

/// Address → account (see [`encode_account`]).
const ACCOUNTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("accounts");
/// Signature → [`TxRecord`] (bincode, zstd-compressed: logs and transactions compress well).
const TRANSACTIONS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("transactions");
/// Address ++ sequence (big-endian) → signature: the history of an address, oldest first.
const ADDRESS_SIGNATURES: TableDefinition<&[u8], &[u8]> =
    TableDefinition::new("address_signatures");
/// Slot (big-endian) → [`BlockInfo`] (bincode): every block the node produced.
const BLOCKS: TableDefinition<u64, &[u8]> = TableDefinition::new("blocks");
/// Slot ++ sequence (big-endian) → signature: the transactions of each block, in order.
const SLOT_SIGNATURES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("slot_signatures");
/// Named node state (genesis, slot, clock offset, blockhashes, …), JSON values.
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");

/// A failure of the ledger. The node survives every one of them: a failed commit is rolled back
/// in memory too (see `Chain::commit`), so memory and disk keep agreeing.
#[derive(Clone, Debug, PartialEq)]
pub enum StoreError {
    /// The filesystem holding the ledger is full (ENOSPC, or a quota: EDQUOT). Writes are refused
    /// until space returns; reads keep working.
    DiskFull { ledger: PathBuf },
    /// Another I/O failure of the ledger file.
    Io {
        kind: std::io::ErrorKind,
        message: String,
    },
    /// The ledger holds something it cannot decode, or redb found it damaged.
    Corrupt(String),
    /// Another process has the ledger open.
    InUse(PathBuf),
    /// The ledger was closed after an I/O failure and could not be reopened yet.
    Closed(Box<StoreError>),
    /// Anything else redb reports (a value too large, an upgrade needed, …).
    Other(String),
}

impl StoreError {
    /// Whether this failure means the disk is full (also when it closed the ledger).
    pub fn is_disk_full(&self) -> bool {
        match self {
            StoreError::DiskFull { .. } => true,
            StoreError::Closed(cause) => cause.is_disk_full(),
            _ => false,
        }
    }

    /// Names the ledger directory in errors that carry it.
    fn at(self, dir: &Path) -> StoreError {
        match self {
            StoreError::DiskFull { .. } => StoreError::DiskFull {
                ledger: dir.to_path_buf(),
            },
            StoreError::InUse(_) => StoreError::InUse(dir.to_path_buf()),
            StoreError::Closed(cause) => StoreError::Closed(Box::new(cause.at(dir))),
            other => other,
        }
    }
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::DiskFull { ledger } => write!(
                f,
                "the node's disk is full (ledger at {}): free space and retry; reads keep working",
                ledger.display()
            ),
            StoreError::Io { message, .. } => write!(f, "ledger I/O error: {message}"),
            StoreError::Corrupt(why) => write!(f, "ledger corrupt: {why}"),
            StoreError::InUse(dir) => write!(
                f,
                "the ledger at {} is open in another process (another leash node?)",
                dir.display()
            ),
            StoreError::Closed(cause) => {
                write!(f, "{cause} (the ledger is reopened on the next write)")
            }
            StoreError::Other(why) => write!(f, "ledger error: {why}"),
        }
    }
}

impl std::error::Error for StoreError {}

/// Whether an I/O error means no space is left (ENOSPC) or the quota is used up (EDQUOT).
pub fn is_disk_full(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
    ) || matches!(e.raw_os_error(), Some(28) | Some(122))
}

impl From<std::io::Error> for StoreError {
    fn from(e: std::io::Error) -> Self {
        if is_disk_full(&e) {
            // The directory is filled in by the store (`StoreError::at`).
            StoreError::DiskFull {
                ledger: PathBuf::new(),
            }
        } else {
            StoreError::Io {
                kind: e.kind(),
                message: e.to_string(),
            }
        }
    }
}

impl From<redb::StorageError> for StoreError {
    fn from(e: redb::StorageError) -> Self {
        match e {
            redb::StorageError::Io(e) => e.into(),
            redb::StorageError::Corrupted(why) => StoreError::Corrupt(why),
            redb::StorageError::PreviousIo | redb::StorageError::DatabaseClosed => {
                StoreError::Closed(Box::new(StoreError::Other(
                    "an earlier I/O error closed the ledger".into(),
                )))
            }
            other => StoreError::Other(other.to_string()),
        }
    }
}

impl From<redb::DatabaseError> for StoreError {
    fn from(e: redb::DatabaseError) -> Self {
        match e {
            redb::DatabaseError::Storage(e) => e.into(),
            redb::DatabaseError::DatabaseAlreadyOpen => StoreError::InUse(PathBuf::new()),
            other => StoreError::Other(other.to_string()),
        }
    }
}

impl From<redb::TransactionError> for StoreError {
    fn from(e: redb::TransactionError) -> Self {
        match e {
            redb::TransactionError::Storage(e) => e.into(),
            other => StoreError::Other(other.to_string()),
        }
    }
}

impl From<redb::TableError> for StoreError {
    fn from(e: redb::TableError) -> Self {
        match e {
            redb::TableError::Storage(e) => e.into(),
            other => StoreError::Other(other.to_string()),
        }
    }
}

impl From<redb::CommitError> for StoreError {
    fn from(e: redb::CommitError) -> Self {
        match e {
            redb::CommitError::Storage(e) => e.into(),
            other => StoreError::Other(other.to_string()),
        }
    }
}

impl From<redb::SetDurabilityError> for StoreError {
    fn from(e: redb::SetDurabilityError) -> Self {
        StoreError::Other(e.to_string())
    }
}

impl From<bincode::Error> for StoreError {
    fn from(e: bincode::Error) -> Self {
        StoreError::Corrupt(e.to_string())
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Corrupt(e.to_string())
    }
}

/// What the node keeps of each executed transaction.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TxRecord {
    #[serde(with = "bytes64")]
    pub signature: [u8; 64],
    pub slot: u64,
    pub block_time: i64,
    /// Order of execution over the whole ledger.
    pub sequence: u64,
    /// The transaction as sent (bincode of `VersionedTransaction`).
    pub transaction: Vec<u8>,
    pub err: Option<TransactionError>,
    pub fee: u64,
    pub logs: Vec<String>,
    pub pre_balances: Vec<u64>,
    pub post_balances: Vec<u64>,
    pub compute_units: u64,
    pub return_data: Option<([u8; 32], Vec<u8>)>,
    /// Inner instructions and token balances (empty in records written before they were kept).
    pub details: TxDetails,
    /// The accounts a v0 transaction loaded through address lookup tables, as they were when
    /// it ran (a table can change later). Empty for legacy transactions and older records.
    pub loaded_addresses: LoadedAddresses,
    /// The cost model's units (`meta.costUnits`); `None` in records written before they were
    /// kept.
    pub cost_units: Option<u64>,
}

/// Accounts loaded through address lookup tables: they follow the message's static keys in
/// the transaction's account list, writable ones first.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct LoadedAddresses {
    pub writable: Vec<[u8; 32]>,
    pub readonly: Vec<[u8; 32]>,
}

impl LoadedAddresses {
    pub fn is_empty(&self) -> bool {
        self.writable.is_empty() && self.readonly.is_empty()
    }
}

/// The parts of a record added after the first ledger format.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct TxDetails {
    /// Per top-level instruction that invoked others: (its index, the instructions it invoked).
    pub inner_instructions: Vec<(u8, Vec<InnerIx>)>,
    pub pre_token_balances: Vec<TokenBalance>,
    pub post_token_balances: Vec<TokenBalance>,
}

/// One invoked instruction, with account indexes into the message's account keys.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct InnerIx {
    pub program_id_index: u8,
    pub accounts: Vec<u8>,
    pub data: Vec<u8>,
    pub stack_height: u8,
}

/// A token account's balance before or after a transaction.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TokenBalance {
    pub account_index: u8,
    pub mint: [u8; 32],
    pub owner: [u8; 32],
    pub program: [u8; 32],
    pub amount: u64,
    pub decimals: u8,
}

/// The record layout before `cost_units`; ledgers written before hold it.
#[derive(Serialize, Deserialize)]
struct TxRecordV3 {
    #[serde(with = "bytes64")]
    signature: [u8; 64],
    slot: u64,
    block_time: i64,
    sequence: u64,
    transaction: Vec<u8>,
    err: Option<TransactionError>,
    fee: u64,
    logs: Vec<String>,
    pre_balances: Vec<u64>,
    post_balances: Vec<u64>,
    compute_units: u64,
    return_data: Option<([u8; 32], Vec<u8>)>,
    details: TxDetails,
    loaded_addresses: LoadedAddresses,
}

impl From<TxRecordV3> for TxRecord {
    fn from(r: TxRecordV3) -> Self {
        TxRecord {
            signature: r.signature,
            slot: r.slot,
            block_time: r.block_time,
            sequence: r.sequence,
            transaction: r.transaction,
            err: r.err,
            fee: r.fee,
            logs: r.logs,
            pre_balances: r.pre_balances,
            post_balances: r.post_balances,
            compute_units: r.compute_units,
            return_data: r.return_data,
            details: r.details,
            loaded_addresses: r.loaded_addresses,
            cost_units: None,
        }
    }
}

/// The record layout before [`LoadedAddresses`]; ledgers written before hold it.
#[derive(Serialize, Deserialize)]
struct TxRecordV2 {
    #[serde(with = "bytes64")]
    signature: [u8; 64],
    slot: u64,
    block_time: i64,
    sequence: u64,
    transaction: Vec<u8>,
    err: Option<TransactionError>,
    fee: u64,
    logs: Vec<String>,
    pre_balances: Vec<u64>,
    post_balances: Vec<u64>,
    compute_units: u64,
    return_data: Option<([u8; 32], Vec<u8>)>,
    details: TxDetails,
}

impl From<TxRecordV2> for TxRecord {
    fn from(r: TxRecordV2) -> Self {
        TxRecord {
            signature: r.signature,
            slot: r.slot,
            block_time: r.block_time,
            sequence: r.sequence,
            transaction: r.transaction,
            err: r.err,
            fee: r.fee,
            logs: r.logs,
            pre_balances: r.pre_balances,
            post_balances: r.post_balances,
            compute_units: r.compute_units,
            return_data: r.return_data,
            details: r.details,
            loaded_addresses: LoadedAddresses::default(),
            cost_units: None,
        }
    }
}

/// The record layout before [`TxDetails`]; old ledgers hold it.
#[derive(Serialize, Deserialize)]
struct TxRecordV1 {
    #[serde(with = "bytes64")]
    signature: [u8; 64],
    slot: u64,
    block_time: i64,
    sequence: u64,
    transaction: Vec<u8>,
    err: Option<TransactionError>,
    fee: u64,
    logs: Vec<String>,
    pre_balances: Vec<u64>,
    post_balances: Vec<u64>,
    compute_units: u64,
    return_data: Option<([u8; 32], Vec<u8>)>,
}

impl From<TxRecordV1> for TxRecord {
    fn from(r: TxRecordV1) -> Self {
        TxRecord {
            signature: r.signature,
            slot: r.slot,
            block_time: r.block_time,
            sequence: r.sequence,
            transaction: r.transaction,
            err: r.err,
            fee: r.fee,
            logs: r.logs,
            pre_balances: r.pre_balances,
            post_balances: r.post_balances,
            compute_units: r.compute_units,
            return_data: r.return_data,
            details: TxDetails::default(),
            loaded_addresses: LoadedAddresses::default(),
            cost_units: None,
        }
    }
}

/// A block: the slot's blockhash, its parent and its time.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct BlockInfo {
    pub blockhash: [u8; 32],
    pub parent_slot: u64,
    pub previous_blockhash: [u8; 32],
    pub block_time: i64,
}

/// serde for `[u8; 64]` (serde itself stops at 32).
mod bytes64 {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8; 64], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(bytes)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 64], D::Error> {
        let bytes: Vec<u8> = Deserialize::deserialize(d)?;
        bytes
            .try_into()
            .map_err(|_| D::Error::custom("expected 64 bytes"))
    }
}

/// Writes gathered for one commit.
#[derive(Default)]
pub struct Batch {
    pub accounts: Vec<(Pubkey, Option<Account>)>,
    pub transactions: Vec<(TxRecord, Vec<Pubkey>)>,
    pub meta: Vec<(&'static str, Vec<u8>)>,
    pub blocks: Vec<(u64, BlockInfo)>,
}

impl Batch {
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
            && self.transactions.is_empty()
            && self.meta.is_empty()
            && self.blocks.is_empty()
    }
}

/// redb's page cache (its default is 1 GiB).
const CACHE_BYTES: usize = 64 * 1024 * 1024;

/// The ledger file. After an I/O failure redb refuses every later operation on the same
/// `Database` (`PreviousIo`), so the store drops it and opens the file again (redb repairs it to
/// the last commit); while that fails the store is closed and every operation answers why.
pub struct Store {
    /// Shared with the committer thread while a commit is in flight (redb's `Database` takes one
    /// writer and any number of readers at once); only the executor reopens it.
    db: Option<Arc<Database>>,
    dir: PathBuf,
    /// Why the database is closed, when it is.
    failure: Option<StoreError>,
    /// How many times the database was reopened after a failure.
    generation: u64,
}

/// lamports (8) | owner (32) | executable (1) | rent_epoch (8) | data
pub fn encode_account(account: &Account) -> Vec<u8> {
    let mut out = Vec::with_capacity(49 + account.data.len());
    out.extend_from_slice(&account.lamports.to_le_bytes());
    out.extend_from_slice(account.owner.as_ref());
    out.push(u8::from(account.executable));
    out.extend_from_slice(&account.rent_epoch.to_le_bytes());
    out.extend_from_slice(&account.data);
    out
}

pub fn decode_account(bytes: &[u8]) -> Option<Account> {
    if bytes.len() < 49 {
        return None;
    }
    Some(Account {
        lamports: u64::from_le_bytes(bytes[0..8].try_into().ok()?),
        owner: Pubkey::new_from_array(bytes[8..40].try_into().ok()?),
        executable: bytes[40] != 0,
        rent_epoch: u64::from_le_bytes(bytes[41..49].try_into().ok()?),
        data: bytes[49..].to_vec(),
    })
}

fn encode_record(record: &TxRecord) -> Result<Vec<u8>, StoreError> {
    let bytes = bincode::serialize(record)?;
    zstd::bulk::compress(&bytes, 1)
        .map_err(|e| StoreError::Other(format!("compressing a record: {e}")))
}

fn decode_record(bytes: &[u8]) -> Result<TxRecord, StoreError> {
    // A record is far below this; the bound keeps a corrupt length from allocating wildly.
    const MAX_RECORD: usize = 1 << 20;
    let bytes = zstd::bulk::decompress(bytes, MAX_RECORD)
        .map_err(|e| StoreError::Corrupt(format!("decompressing a record: {e}")))?;
    // Records written before `cost_units` (or `loaded_addresses`, or `details`) existed end where the newer
    // layout continues: they fail to decode as it (end of input) and decode as the older one.
    match bincode::deserialize::<TxRecord>(&bytes) {
        Ok(record) => Ok(record),
        Err(new_error) => bincode::deserialize::<TxRecordV3>(&bytes)
            .map(TxRecord::from)
            .or_else(|_| bincode::deserialize::<TxRecordV2>(&bytes).map(TxRecord::from))
            .or_else(|_| bincode::deserialize::<TxRecordV1>(&bytes).map(TxRecord::from))
            .map_err(|_| new_error.into()),
    }
}

fn open_database(dir: &Path) -> Result<Database, StoreError> {
    // A bounded page cache: the node's memory should not grow with the ledger.
    let db = Database::builder()
        .set_cache_size(CACHE_BYTES)
        .create(dir.join("ledger.redb"))?;
    let txn = db.begin_write()?;
    txn.open_table(ACCOUNTS)?;
    txn.open_table(TRANSACTIONS)?;
    txn.open_table(ADDRESS_SIGNATURES)?;
    txn.open_table(META)?;
    txn.open_table(BLOCKS)?;
    txn.open_table(SLOT_SIGNATURES)?;
    txn.commit()?;
    Ok(db)
}

fn slot_key(slot: u64, sequence: u64) -> [u8; 16] {
    let mut key = [0u8; 16];
    key[..8].copy_from_slice(&slot.to_be_bytes());
    key[8..].copy_from_slice(&sequence.to_be_bytes());
    key
}

/// Writes `batch` in one redb transaction (on the committer thread, or inline); with `durable` it
/// is on disk (fsync) when this returns. Errors are not yet placed at the ledger's directory.
pub fn write(db: &Database, batch: &Batch, durable: bool) -> Result<(), StoreError> {
    let mut txn = db.begin_write()?;
    txn.set_durability(if durable {
        Durability::Immediate
    } else {
        Durability::None
    })?;
    {
        let mut accounts = txn.open_table(ACCOUNTS)?;
        for (address, account) in &batch.accounts {
            match account {
                Some(account) => {
                    accounts.insert(address.as_ref(), encode_account(account).as_slice())?;
                }
                None => {
                    accounts.remove(address.as_ref())?;
                }
            }
        }
        let mut transactions = txn.open_table(TRANSACTIONS)?;
        let mut index = txn.open_table(ADDRESS_SIGNATURES)?;
        let mut slot_index = txn.open_table(SLOT_SIGNATURES)?;
        for (record, addresses) in &batch.transactions {
            transactions.insert(
                record.signature.as_slice(),
                encode_record(record)?.as_slice(),
            )?;
            for address in addresses {
                let mut key = [0u8; 40];
                key[..32].copy_from_slice(address.as_ref());
                key[32..].copy_from_slice(&record.sequence.to_be_bytes());
                index.insert(key.as_slice(), record.signature.as_slice())?;
            }
            slot_index.insert(
                slot_key(record.slot, record.sequence).as_slice(),
                record.signature.as_slice(),
            )?;
        }
        let mut blocks = txn.open_table(BLOCKS)?;
        for (slot, block) in &batch.blocks {
            blocks.insert(*slot, bincode::serialize(block)?.as_slice())?;
        }
        let mut meta = txn.open_table(META)?;
        for (name, value) in &batch.meta {
            meta.insert(*name, value.as_slice())?;
        }
    }
    txn.commit()?;
    Ok(())
}

impl Store {
    /// Opens the ledger in `dir` (created if missing).
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::from(e).at(dir))
            .map_err(|e| match e {
                StoreError::Io { kind, message } => StoreError::Io {
                    kind,
                    message: format!("{}: {message}", dir.display()),
                },
                e => e,
            })?;
        let db = open_database(dir).map_err(|e| e.at(dir))?;
        Ok(Store {
            db: Some(Arc::new(db)),
            dir: dir.to_path_buf(),
            failure: None,
            generation: 0,
        })
    }

    fn db(&self) -> Result<&Database, StoreError> {
        self.db.as_deref().ok_or_else(|| {
            StoreError::Closed(Box::new(
                self.failure
                    .clone()
                    .unwrap_or_else(|| StoreError::Other("the ledger is closed".into())),
            ))
        })
    }

    /// Whether the database is open (it closes after an I/O failure it could not reopen from).
    pub fn is_open(&self) -> bool {
        self.db.is_some()
    }

    /// Counts the reopenings after failures: a reopened ledger has lost its non-durable commits.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Reopens the database if it is closed; true if it is open now.
    pub fn recover(&mut self) -> bool {
        if self.db.is_some() {
            return true;
        }
        match open_database(&self.dir) {
            Ok(db) => {
                self.db = Some(Arc::new(db));
                self.failure = None;
                self.generation += 1;
                true
            }
            Err(e) => {
                // Keep the first cause (usually "disk full") unless this one says more.
                if !self.failure.as_ref().is_some_and(StoreError::is_disk_full) {
                    self.failure = Some(e.at(&self.dir));
                }
                false
            }
        }
    }

    /// Commits `batch` atomically, here and now; with `durable`, it is on disk when this returns.
    /// On an I/O failure the database is reopened at once, so reads of the ledger keep working;
    /// the batch is not in the ledger (redb rolls back a failed commit).
    pub fn commit(&mut self, batch: &Batch, durable: bool) -> Result<(), StoreError> {
        let db = self.writer()?;
        let result = write(&db, batch, durable).map_err(|e| e.at(&self.dir));
        drop(db);
        if let Err(e) = &result {
            self.failed(e);
        }
        result
    }

    /// The database, for a commit made on another thread ([`write`]); reopened first if a
    /// failure closed it. The handle must be dropped before [`Store::failed`] is called.
    pub fn writer(&mut self) -> Result<Arc<Database>, StoreError> {
        if !self.recover() {
            return Err(self
                .db()
                .err()
                .unwrap_or(StoreError::Other("closed".into())));
        }
        self.db
            .clone()
            .ok_or_else(|| StoreError::Other("the ledger is closed".into()))
    }

    /// After a failed commit (its error placed with [`Store::place`]): an I/O failure closes the
    /// database, which is reopened at once.
    pub fn failed(&mut self, e: &StoreError) {
        if matches!(
            e,
            StoreError::DiskFull { .. } | StoreError::Io { .. } | StoreError::Closed(_)
        ) {
            // redb latches an I/O error: this `Database` would answer `PreviousIo` from now
            // on. It must be dropped (releasing the file lock) before the file is reopened; the
            // committer has dropped its handle by the time the executor learns of the failure.
            self.db = None;
            self.failure = Some(e.clone());
            self.recover();
        }
    }

    /// Names this ledger's directory in an error of [`write`].
    pub fn place(&self, e: StoreError) -> StoreError {
        e.at(&self.dir)
    }

    pub fn meta<T: for<'de> Deserialize<'de>>(&self, name: &str) -> Result<Option<T>, StoreError> {
        let txn = self.db()?.begin_read()?;
        let table = txn.open_table(META)?;
        let Some(value) = table.get(name)? else {
            return Ok(None);
        };
        Ok(Some(serde_json::from_slice(value.value())?))
    }

    /// Every stored account.
    pub fn accounts(&self) -> Result<Vec<(Pubkey, Account)>, StoreError> {
        let txn = self.db()?.begin_read()?;
        let table = txn.open_table(ACCOUNTS)?;
        let mut out = Vec::new();
        for entry in table.iter()? {
            let (key, value) = entry?;
            let Ok(address) = <[u8; 32]>::try_from(key.value()) else {
                continue;
            };
            if let Some(account) = decode_account(value.value()) {
                out.push((Pubkey::new_from_array(address), account));
            }
        }
        Ok(out)
    }

    pub fn transaction(&self, signature: &[u8; 64]) -> Result<Option<TxRecord>, StoreError> {
        let txn = self.db()?.begin_read()?;
        let table = txn.open_table(TRANSACTIONS)?;
        match table.get(signature.as_slice())? {
            Some(value) => Ok(Some(decode_record(value.value())?)),
            None => Ok(None),
        }
    }

    pub fn has_transaction(&self, signature: &[u8; 64]) -> Result<bool, StoreError> {
        let txn = self.db()?.begin_read()?;
        let table = txn.open_table(TRANSACTIONS)?;
        Ok(table.get(signature.as_slice())?.is_some())
    }

    /// Signatures touching `address`, newest first, strictly older than `before` (a sequence)
    /// when given, at most `limit`.
    pub fn signatures_for_address(
        &self,
        address: &Pubkey,
        before: Option<u64>,
        limit: usize,
    ) -> Result<Vec<[u8; 64]>, StoreError> {
        let txn = self.db()?.begin_read()?;
        let table = txn.open_table(ADDRESS_SIGNATURES)?;
        let mut start = [0u8; 40];
        start[..32].copy_from_slice(address.as_ref());
        let mut end = start;
        end[32..].copy_from_slice(&before.unwrap_or(u64::MAX).to_be_bytes());
        let mut out = Vec::new();
        for entry in table.range(start.as_slice()..end.as_slice())?.rev() {
            let (_, value) = entry?;
            if let Ok(signature) = <[u8; 64]>::try_from(value.value()) {
                out.push(signature);
            }
            if out.len() >= limit {
                break;
            }
        }
        Ok(out)
    }

    /// The block of `slot`, if the node recorded one (ledgers older than the block table have
    /// none for their earlier slots).
    pub fn block(&self, slot: u64) -> Result<Option<BlockInfo>, StoreError> {
        let txn = self.db()?.begin_read()?;
        let table = txn.open_table(BLOCKS)?;
        match table.get(slot)? {
            Some(value) => Ok(Some(bincode::deserialize(value.value())?)),
            None => Ok(None),
        }
    }

    /// Slots of recorded blocks in `start..=end`, ascending, at most `limit`.
    pub fn block_slots(&self, start: u64, end: u64, limit: usize) -> Result<Vec<u64>, StoreError> {
        let txn = self.db()?.begin_read()?;
        let table = txn.open_table(BLOCKS)?;
        let mut out = Vec::new();
        if start > end {
            return Ok(out);
        }
        for entry in table.range(start..=end)? {
            if out.len() >= limit {
                break;
            }
            out.push(entry?.0.value());
        }
        Ok(out)
    }

    /// The first recorded block's slot.
    pub fn first_block(&self) -> Result<Option<u64>, StoreError> {
        let txn = self.db()?.begin_read()?;
        let table = txn.open_table(BLOCKS)?;
        let first = table.first()?.map(|(k, _)| k.value());
        Ok(first)
    }

    /// Signatures of the transactions recorded in `slot`, in execution order.
    pub fn slot_signatures(&self, slot: u64) -> Result<Vec<[u8; 64]>, StoreError> {
        let txn = self.db()?.begin_read()?;
        let table = txn.open_table(SLOT_SIGNATURES)?;
        let (start, end) = (slot_key(slot, 0), slot_key(slot, u64::MAX));
        let mut out = Vec::new();
        for entry in table.range(start.as_slice()..=end.as_slice())? {
            if let Ok(signature) = <[u8; 64]>::try_from(entry?.1.value()) {
                out.push(signature);
            }
        }
        Ok(out)
    }

    /// Number of stored transactions.
    pub fn transaction_count(&self) -> Result<u64, StoreError> {
        let txn = self.db()?.begin_read()?;
        let table = txn.open_table(TRANSACTIONS)?;
        Ok(table.len()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(sequence: u64, byte: u8) -> TxRecord {
        TxRecord {
            signature: [byte; 64],
            slot: sequence,
            block_time: 0,
            sequence,
            transaction: vec![1, 2, 3],
            err: Some(TransactionError::InstructionError(
                0,
                solana_program::instruction::InstructionError::Custom(6008),
            )),
            fee: 5000,
            logs: vec!["log".into()],
            pre_balances: vec![1],
            post_balances: vec![2],
            compute_units: 7,
            return_data: None,
            details: TxDetails::default(),
            loaded_addresses: LoadedAddresses::default(),
            cost_units: None,
        }
    }

    #[test]
    fn records_of_the_first_layout_stay_readable() {
        let new = record(3, 3);
        let old = TxRecordV1 {
            signature: new.signature,
            slot: new.slot,
            block_time: new.block_time,
            sequence: new.sequence,
            transaction: new.transaction.clone(),
            err: new.err.clone(),
            fee: new.fee,
            logs: new.logs.clone(),
            pre_balances: new.pre_balances.clone(),
            post_balances: new.post_balances.clone(),
            compute_units: new.compute_units,
            return_data: new.return_data.clone(),
        };
        let bytes = zstd::bulk::compress(&bincode::serialize(&old).unwrap(), 1).unwrap();
        assert_eq!(decode_record(&bytes).unwrap(), new);
        let mut detailed = new;
        detailed.details.inner_instructions = vec![(
            0,
            vec![InnerIx {
                program_id_index: 1,
                accounts: vec![0, 2],
                data: vec![3, 4],
                stack_height: 2,
            }],
        )];
        let bytes = encode_record(&detailed).unwrap();
        assert_eq!(decode_record(&bytes).unwrap(), detailed);
        // The second layout (details, no loaded addresses) stays readable too.
        let second = TxRecordV2 {
            signature: detailed.signature,
            slot: detailed.slot,
            block_time: detailed.block_time,
            sequence: detailed.sequence,
            transaction: detailed.transaction.clone(),
            err: detailed.err.clone(),
            fee: detailed.fee,
            logs: detailed.logs.clone(),
            pre_balances: detailed.pre_balances.clone(),
            post_balances: detailed.post_balances.clone(),
            compute_units: detailed.compute_units,
            return_data: detailed.return_data.clone(),
            details: detailed.details.clone(),
        };
        let bytes = zstd::bulk::compress(&bincode::serialize(&second).unwrap(), 1).unwrap();
        assert_eq!(decode_record(&bytes).unwrap(), detailed);
        let mut loaded = detailed;
        loaded.loaded_addresses.writable.push([9; 32]);
        let bytes = encode_record(&loaded).unwrap();
        assert_eq!(decode_record(&bytes).unwrap(), loaded);
        // The third layout (loaded addresses, no cost units) too; the newest keeps them.
        let third = TxRecordV3 {
            signature: loaded.signature,
            slot: loaded.slot,
            block_time: loaded.block_time,
            sequence: loaded.sequence,
            transaction: loaded.transaction.clone(),
            err: loaded.err.clone(),
            fee: loaded.fee,
            logs: loaded.logs.clone(),
            pre_balances: loaded.pre_balances.clone(),
            post_balances: loaded.post_balances.clone(),
            compute_units: loaded.compute_units,
            return_data: loaded.return_data.clone(),
            details: loaded.details.clone(),
            loaded_addresses: loaded.loaded_addresses.clone(),
        };
        let bytes = zstd::bulk::compress(&bincode::serialize(&third).unwrap(), 1).unwrap();
        assert_eq!(decode_record(&bytes).unwrap(), loaded);
        let mut costed = loaded;
        costed.cost_units = Some(1_784);
        let bytes = encode_record(&costed).unwrap();
        assert_eq!(decode_record(&bytes).unwrap(), costed);
    }

    #[test]
    fn a_full_disk_is_told_apart_from_other_failures() {
        let full = std::io::Error::from_raw_os_error(28);
        let e = StoreError::from(redb::StorageError::Io(full)).at(Path::new("/ledger"));
        assert!(e.is_disk_full());
        assert!(e.to_string().contains("disk is full (ledger at /ledger)"));
        assert!(StoreError::Closed(Box::new(e)).is_disk_full());
        let quota = std::io::Error::from_raw_os_error(122);
        assert!(
            StoreError::from(redb::CommitError::Storage(redb::StorageError::Io(quota)))
                .is_disk_full()
        );
        let eio = std::io::Error::from_raw_os_error(5);
        assert!(!StoreError::from(eio).is_disk_full());
        assert!(matches!(
            StoreError::from(redb::StorageError::Corrupted("x".into())),
            StoreError::Corrupt(_)
        ));
    }

    #[test]
    fn batch_commit_round_trips_and_survives_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let address = Pubkey::new_unique();
        let account = Account {
            lamports: 5,
            data: vec![9, 9],
            owner: Pubkey::new_unique(),
            executable: false,
            rent_epoch: 3,
        };
        {
            let mut store = Store::open(dir.path()).unwrap();
            let mut batch = Batch::default();
            batch.accounts.push((address, Some(account.clone())));
            batch.transactions.push((record(1, 1), vec![address]));
            batch.transactions.push((record(2, 2), vec![address]));
            batch
                .meta
                .push(("slot", serde_json::to_vec(&42u64).unwrap()));
            store.commit(&batch, true).unwrap();
        }
        let mut store = Store::open(dir.path()).unwrap();
        assert_eq!(store.accounts().unwrap(), vec![(address, account)]);
        assert_eq!(store.transaction(&[1; 64]).unwrap(), Some(record(1, 1)));
        assert_eq!(store.meta::<u64>("slot").unwrap(), Some(42));
        assert_eq!(
            store.signatures_for_address(&address, None, 10).unwrap(),
            vec![[2; 64], [1; 64]]
        );
        assert_eq!(
            store.signatures_for_address(&address, Some(2), 10).unwrap(),
            vec![[1; 64]]
        );
        assert_eq!(
            store
                .signatures_for_address(&Pubkey::new_unique(), None, 10)
                .unwrap(),
            Vec::<[u8; 64]>::new()
        );
        assert_eq!(store.transaction_count().unwrap(), 2);
        // Deleting an account.
        let mut batch = Batch::default();
        batch.accounts.push((address, None));
        store.commit(&batch, true).unwrap();
        assert!(store.accounts().unwrap().is_empty());
    }
}
