//! The Leash program on a cluster: deploy, inspect, verify, upgrade and hand over authority,
//! through the upgradeable loader (BPF loader v3) over plain JSON-RPC (docs/deploy.md).
//!
//! What is deployed is always [`LEASH_PROGRAM_ELF`], the committed reproducible build; the
//! program takes its id from the runtime, so the same bytes work at any address. A deploy writes
//! the ELF into a buffer account in parallel transactions, then one `DeployWithMaxDataLen`
//! moves it into the program's data account. The buffer's keypair is kept (0600) until the
//! deploy lands, so a deploy that failed half-way resumes: it writes only the chunks the buffer
//! does not hold yet.

use std::{
    fmt,
    path::PathBuf,
    sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering},
        Mutex,
    },
};

use leash_sdk::amount::format_amount;
use serde::Serialize;
use sha2::{Digest, Sha256};
use solana_keypair::Keypair;
use solana_loader_v3_interface::instruction as loader;
use solana_program::{hash::Hash, instruction::Instruction, pubkey::Pubkey};
use solana_signature::Signature;
use solana_signer::Signer;
use solana_transaction::Transaction;

use crate::{
    error::{ClientError, ErrorCode, Result},
    home,
    profile::Profiles,
    Client,
};

/// The committed Leash ELF (`programs/leash/leash.so`): the bytes `leash program deploy`
/// writes and `verify` compares with. CI rebuilds it and fails if the bytes differ.
pub const LEASH_PROGRAM_ELF: &[u8] = include_bytes!("../../../programs/leash/leash.so");

/// The upgradeable loader.
pub use leash_sdk::names::UPGRADEABLE_LOADER_ID as LOADER_ID;

/// A transaction's largest serialized size.
const PACKET_DATA_SIZE: usize = 1232;
/// Buffer writes in flight at once.
const WRITE_WORKERS: usize = 16;
/// Attempts per buffer write before the deploy stops (and can be resumed).
const WRITE_ATTEMPTS: usize = 3;
/// Bytes of loader metadata before the bytes in each account kind.
const BUFFER_METADATA: usize = 37;
const PROGRAM_DATA_METADATA: usize = 45;
const PROGRAM_ACCOUNT_LEN: usize = 36;
/// `ExtendProgram` adds at least this much (SIMD-0431).
const MINIMUM_EXTEND_BYTES: usize = 10_240;

// ---------------------------------------------------------------------------------------------
// The loader's account layouts (bincode of `UpgradeableLoaderState`: a u32 tag, then an
// `Option<Pubkey>` as a byte and 32 bytes).

/// A loader-owned account, parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LoaderAccount {
    Buffer {
        authority: Option<Pubkey>,
    },
    Program {
        program_data: Pubkey,
    },
    ProgramData {
        slot: u64,
        authority: Option<Pubkey>,
    },
}

impl LoaderAccount {
    fn parse(data: &[u8]) -> Option<LoaderAccount> {
        let tag = u32::from_le_bytes(data.get(..4)?.try_into().ok()?);
        let key_at = |at: usize| -> Option<Pubkey> {
            Some(Pubkey::new_from_array(
                data.get(at..at + 32)?.try_into().ok()?,
            ))
        };
        let option_at = |at: usize| -> Option<Option<Pubkey>> {
            match data.get(at)? {
                0 => Some(None),
                1 => Some(Some(key_at(at + 1)?)),
                _ => None,
            }
        };
        match tag {
            1 => Some(LoaderAccount::Buffer {
                authority: option_at(4)?,
            }),
            2 => Some(LoaderAccount::Program {
                program_data: key_at(4)?,
            }),
            3 => Some(LoaderAccount::ProgramData {
                slot: u64::from_le_bytes(data.get(4..12)?.try_into().ok()?),
                authority: option_at(12)?,
            }),
            _ => None,
        }
    }
}

/// Whether `bytes` (a program data account's program bytes) are `elf` followed by nothing but
/// zeros: the loader pads to the account's capacity.
pub fn holds_elf(bytes: &[u8], elf: &[u8]) -> bool {
    bytes.len() >= elf.len()
        && bytes[..elf.len()] == *elf
        && bytes[elf.len()..].iter().all(|b| *b == 0)
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `bytes` without its trailing zero padding.
fn trimmed(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().rposition(|b| *b != 0).map_or(0, |i| i + 1);
    &bytes[..end]
}

// ---------------------------------------------------------------------------------------------
// Reports.

/// Whether the on-chain bytes are the committed ELF.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verification {
    /// The committed ELF, followed by zero padding.
    Verified,
    /// Anything else: another build, another program.
    Differs,
}

/// `program show` and `program verify`.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct ProgramShown {
    pub program_id: String,
    pub program_data: String,
    /// `None`: immutable (no one can upgrade it).
    pub upgrade_authority: Option<String>,
    /// Bytes the program data account holds for the program (its capacity).
    pub data_len: usize,
    /// The slot it was last deployed or upgraded in.
    pub slot: u64,
    /// Lamports the program and its data account hold (their rent), in SOL.
    pub rent: String,
    pub status: Verification,
    /// sha256 of the on-chain program bytes without their zero padding.
    pub sha256: String,
    /// sha256 of the committed ELF this leash embeds.
    pub committed_sha256: String,
    pub committed_len: usize,
}

impl fmt::Display for ProgramShown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Program:           {}\nProgram data:      {}\nUpgrade authority: {}\nData length:       {} bytes\nLast deployed:     slot {}\nRent:              {} SOL\nBytes:             {} (sha256 {})",
            self.program_id,
            self.program_data,
            self.upgrade_authority
                .as_deref()
                .unwrap_or("none (immutable)"),
            self.data_len,
            self.slot,
            self.rent,
            match self.status {
                Verification::Verified => "verified: the committed Leash ELF",
                Verification::Differs => "differs from the committed Leash ELF",
            },
            self.sha256,
        )
    }
}

/// What a deploy will cost, shown before it starts on a real cluster.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct DeployPlan {
    pub program_id: String,
    pub elf_len: usize,
    /// Rent kept in the program's two accounts for as long as it exists, in SOL.
    pub rent: String,
    /// Rent the buffer holds while writing; returned to the payer when the deploy lands.
    pub buffer_rent: String,
    /// Transactions to send (buffer writes, the buffer, the deploy).
    pub transactions: usize,
    /// Their fees, in SOL (no priority fee).
    pub fees: String,
    /// What the payer needs at the start, in SOL.
    pub payer_needs: String,
    pub payer_balance: String,
    #[serde(skip)]
    payer_needs_lamports: u64,
    #[serde(skip)]
    payer_balance_lamports: u64,
}

impl DeployPlan {
    /// Whether the payer can afford it.
    pub fn affordable(&self) -> bool {
        self.payer_balance_lamports >= self.payer_needs_lamports
    }
}

impl fmt::Display for DeployPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Deploying the Leash program ({} bytes) at {}\n  rent:  {} SOL (kept by the program's accounts)\n  fees:  {} SOL ({} transactions)\n  the payer needs {} SOL while it runs (the buffer's {} SOL comes back); it has {} SOL",
            self.elf_len,
            self.program_id,
            self.rent,
            self.fees,
            self.transactions,
            self.payer_needs,
            self.buffer_rent,
            self.payer_balance,
        )
    }
}

/// `program deploy` and `program upgrade`.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Deployed {
    pub program_id: String,
    /// The deploy (or upgrade) transaction.
    pub signature: String,
    pub upgrade_authority: Option<String>,
    /// Buffer writes sent by this run (fewer than the chunks when a buffer was resumed).
    pub writes: usize,
    pub resumed: bool,
    /// The cluster profile now names this program (deploy only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub saved_for: Option<String>,
}

impl fmt::Display for Deployed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Program id: {}\nSignature:  {}\nUpgrade authority: {}",
            self.program_id,
            self.signature,
            self.upgrade_authority
                .as_deref()
                .unwrap_or("none (immutable)")
        )?;
        if self.resumed {
            write!(
                f,
                "\nResumed an earlier buffer: {} writes were missing",
                self.writes
            )?;
        }
        if let Some(url) = &self.saved_for {
            write!(
                f,
                "\nSaved as the program for {url}: later commands there use it"
            )?;
        }
        Ok(())
    }
}

/// `program set-authority`.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct AuthoritySet {
    pub program_id: String,
    pub signature: String,
    /// `None`: the program is immutable now.
    pub upgrade_authority: Option<String>,
}

impl fmt::Display for AuthoritySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.upgrade_authority {
            Some(new) => write!(
                f,
                "Upgrade authority of {} is now {new}\nSignature: {}",
                self.program_id, self.signature
            ),
            None => write!(
                f,
                "{} is immutable now: nobody can upgrade or close it\nSignature: {}",
                self.program_id, self.signature
            ),
        }
    }
}

/// How far the buffer writes are.
#[derive(Clone, Copy, Debug)]
pub struct WriteProgress {
    pub done: usize,
    pub total: usize,
}

/// A deployed program, read from its two accounts.
struct LoadedProgram {
    program_data: Pubkey,
    /// The slot it was last deployed or upgraded in.
    slot: u64,
    authority: Option<Pubkey>,
    /// The program bytes (after the loader's metadata), zero-padded to capacity.
    bytes: Vec<u8>,
    /// Lamports of both accounts.
    rent: u64,
}

/// A buffer holding the ELF, ready for a deploy or an upgrade.
pub struct BufferWritten {
    buffer: Keypair,
    /// Writes this run sent.
    pub writes: usize,
    /// An earlier run's buffer was reused.
    pub resumed: bool,
}

/// Who may upgrade after a deploy or `set-authority`.
pub enum NewAuthority<'a> {
    /// This key (it signs, so a typo cannot lock the program away).
    Key(&'a Keypair),
    /// Nobody: the program becomes immutable.
    Final,
}

// ---------------------------------------------------------------------------------------------
// Operations.

/// Signers without repeats: the same key may pay and be the authority.
fn distinct<'a>(keys: &[&'a Keypair]) -> Vec<&'a dyn Signer> {
    let mut out: Vec<&'a dyn Signer> = Vec::with_capacity(keys.len());
    for key in keys {
        if !out.iter().any(|k| k.pubkey() == key.pubkey()) {
            out.push(*key);
        }
    }
    out
}

/// Where a pending buffer's keypair is kept until its deploy lands: one per authority.
fn buffer_file(authority: &Pubkey) -> Result<PathBuf> {
    Ok(home::config_dir()?
        .join("deploy")
        .join(format!("buffer-{authority}.json")))
}

impl Client {
    fn minimum_balance(&self, len: usize) -> Result<u64> {
        self.rpc()
            .get_minimum_balance_for_rent_exemption(len)
            .map_err(|e| self.rpc_error(e))
    }

    /// Bytes of program per buffer write: what is left of a transaction's size once the
    /// write's other parts are in.
    fn write_chunk_len(&self, payer: &Pubkey, authority: &Pubkey) -> usize {
        let buffer = Pubkey::new_unique();
        let empty = loader::write(&buffer, authority, 0, Vec::new());
        // With both compute-budget instructions: the largest a write's budget makes it.
        let mut instructions = crate::transaction::budget_instructions(1, 1);
        instructions.push(empty);
        let message = Client::message(&instructions, payer, Hash::default());
        let tx = Transaction::new_unsigned(message);
        let size = bincode::serialized_size(&tx).unwrap_or(PACKET_DATA_SIZE as u64) as usize;
        // The data length's compact-u16 grows by a byte past 127.
        PACKET_DATA_SIZE.saturating_sub(size).saturating_sub(2)
    }

    /// The program at `program_id`, and its data account's program bytes.
    fn loaded_program(&self, program_id: &Pubkey) -> Result<LoadedProgram> {
        let not_found = |why: &str| {
            ClientError::new(
                ErrorCode::ProgramNotFound,
                format!(
                    "no upgradeable program at {program_id} on {}: {why}",
                    self.cluster_label()
                ),
            )
            .with_hint("deploy one with `leash program deploy`, or check --url")
        };
        let program = self
            .account(program_id)?
            .ok_or_else(|| not_found("the account does not exist"))?;
        let Some(LoaderAccount::Program { program_data }) = (program.owner == LOADER_ID)
            .then(|| LoaderAccount::parse(&program.data))
            .flatten()
        else {
            return Err(not_found(
                "the account is not an upgradeable-loader program",
            ));
        };
        let data = self
            .account(&program_data)?
            .ok_or_else(|| not_found("its program data account is closed"))?;
        let Some(LoaderAccount::ProgramData { slot, authority }) = LoaderAccount::parse(&data.data)
        else {
            return Err(not_found("its program data account is not one"));
        };
        let bytes = data
            .data
            .get(PROGRAM_DATA_METADATA..)
            .unwrap_or_default()
            .to_vec();
        Ok(LoadedProgram {
            program_data,
            slot,
            authority,
            bytes,
            rent: program.lamports.saturating_add(data.lamports),
        })
    }

    /// The program at `program_id`: authority, size, slot, and whether its bytes are the
    /// committed ELF.
    pub fn show_program(&self, program_id: &Pubkey) -> Result<ProgramShown> {
        let LoadedProgram {
            program_data,
            slot,
            authority,
            bytes,
            rent,
        } = self.loaded_program(program_id)?;
        Ok(ProgramShown {
            program_id: program_id.to_string(),
            program_data: program_data.to_string(),
            upgrade_authority: authority.map(|a| a.to_string()),
            data_len: bytes.len(),
            slot,
            rent: format_amount(rent, 9),
            status: if holds_elf(&bytes, LEASH_PROGRAM_ELF) {
                Verification::Verified
            } else {
                Verification::Differs
            },
            sha256: sha256_hex(trimmed(&bytes)),
            committed_sha256: sha256_hex(LEASH_PROGRAM_ELF),
            committed_len: LEASH_PROGRAM_ELF.len(),
        })
    }

    /// What deploying `elf` at `program_id` paid by `payer` costs.
    pub fn plan_deploy(
        &self,
        elf: &[u8],
        program_id: &Pubkey,
        payer: &Pubkey,
        authority: &Pubkey,
    ) -> Result<DeployPlan> {
        let program_rent = self.minimum_balance(PROGRAM_ACCOUNT_LEN)?;
        let data_rent = self.minimum_balance(PROGRAM_DATA_METADATA + elf.len())?;
        let buffer_rent = self.minimum_balance(BUFFER_METADATA + elf.len())?;
        let chunk = self.write_chunk_len(payer, authority).max(1);
        let writes = elf.len().div_ceil(chunk);
        let signers_per_write: u64 = if payer == authority { 1 } else { 2 };
        let transactions = writes + 2;
        let fees = (writes as u64)
            .saturating_mul(signers_per_write)
            .saturating_add(2 + 3)
            .saturating_mul(crate::transaction::LAMPORTS_PER_SIGNATURE);
        let needs = program_rent
            .saturating_add(data_rent)
            .saturating_add(buffer_rent)
            .saturating_add(fees);
        let balance = self
            .rpc()
            .get_balance(payer)
            .map_err(|e| self.rpc_error(e))?;
        Ok(DeployPlan {
            program_id: program_id.to_string(),
            elf_len: elf.len(),
            rent: format_amount(program_rent.saturating_add(data_rent), 9),
            buffer_rent: format_amount(buffer_rent, 9),
            transactions,
            fees: format_amount(fees, 9),
            payer_needs: format_amount(needs, 9),
            payer_balance: format_amount(balance, 9),
            payer_needs_lamports: needs,
            payer_balance_lamports: balance,
        })
    }

    /// The buffer to write into, and its bytes when it can be resumed: the pending buffer of an
    /// earlier run of `authority` if it is one of `wanted_len` bytes (one of another size, another
    /// build's, is closed and its rent returned), else a new key, kept (0600) until its deploy
    /// lands.
    fn pending_buffer(
        &self,
        payer: &Keypair,
        authority: &Keypair,
        wanted_len: usize,
    ) -> Result<(Keypair, Option<Vec<u8>>)> {
        let path = buffer_file(&authority.pubkey())?;
        let mut existing: Option<Vec<u8>> = None;
        let buffer = match home::read_keypair(&path) {
            Ok(buffer) => {
                match self.account(&buffer.pubkey())? {
                    Some(account)
                        if account.owner == LOADER_ID
                            && LoaderAccount::parse(&account.data)
                                == Some(LoaderAccount::Buffer {
                                    authority: Some(authority.pubkey()),
                                }) =>
                    {
                        if account.data.len() == wanted_len {
                            existing = Some(account.data);
                        } else {
                            // Another build's buffer: its rent comes back, a new one is made.
                            let mut close = loader::close(
                                &buffer.pubkey(),
                                &payer.pubkey(),
                                &authority.pubkey(),
                                false,
                            );
                            // The legacy encoding (no trailing `tombstone` byte), which
                            // every runtime reads the same.
                            close.data.truncate(4);
                            self.send(&[close], &distinct(&[payer, authority]))?;
                        }
                    }
                    // Something else at that address (not initialized, another authority's):
                    // not ours to write or close.
                    Some(_) => {
                        return Err(ClientError::new(
                            ErrorCode::TransactionFailed,
                            format!(
                                "the pending buffer {} in {} is not a buffer of {}",
                                buffer.pubkey(),
                                path.display(),
                                authority.pubkey()
                            ),
                        )
                        .with_hint("delete that file to start a new buffer"))
                    }
                    // Never created (the run stopped before): created below with this key.
                    None => {}
                }
                buffer
            }
            Err(_) => {
                let buffer = Keypair::new();
                home::write_keypair(&path, &buffer)?;
                buffer
            }
        };
        Ok((buffer, existing))
    }

    /// Writes `elf` into a buffer whose authority is `authority`, reusing the pending buffer of
    /// an earlier run when there is one: only chunks it does not hold yet are sent. Returns the
    /// buffer, the writes sent and whether a buffer was resumed. The first half of
    /// [`Client::deploy_program`] and [`Client::upgrade_program`]; the buffer's keypair stays
    /// in the configuration directory until one of them lands.
    pub fn write_buffer(
        &self,
        elf: &[u8],
        payer: &Keypair,
        authority: &Keypair,
        progress: &(dyn Fn(WriteProgress) + Sync),
    ) -> Result<BufferWritten> {
        let wanted_len = BUFFER_METADATA + elf.len();
        let (buffer, existing) = self.pending_buffer(payer, authority, wanted_len)?;
        let resumed = existing.is_some();
        if existing.is_none() {
            let lamports = self.minimum_balance(wanted_len)?;
            let create = loader::create_buffer(
                &payer.pubkey(),
                &buffer.pubkey(),
                &authority.pubkey(),
                lamports,
                elf.len(),
            )
            .map_err(|e| ClientError::internal(format!("cannot build the buffer: {e:?}")))?;
            self.send(&create, &distinct(&[payer, &buffer]))?;
        }
        let chunk = self
            .write_chunk_len(&payer.pubkey(), &authority.pubkey())
            .max(1);
        let written = existing.as_deref().map(|d| &d[BUFFER_METADATA..]);
        let pending: Vec<(usize, &[u8])> = elf
            .chunks(chunk)
            .enumerate()
            .map(|(i, bytes)| (i * chunk, bytes))
            .filter(|(offset, bytes)| {
                written.is_none_or(|w| w.get(*offset..offset + bytes.len()) != Some(*bytes))
            })
            .collect();
        let total = pending.len();
        let next = AtomicUsize::new(0);
        let done = AtomicUsize::new(0);
        let failed = AtomicBool::new(false);
        let first_error: Mutex<Option<ClientError>> = Mutex::new(None);
        progress(WriteProgress { done: 0, total });
        // Every write has the same shape: one simulation prices them all.
        let budget = match pending.first() {
            Some((offset, bytes)) => {
                let first = loader::write(
                    &buffer.pubkey(),
                    &authority.pubkey(),
                    *offset as u32,
                    bytes.to_vec(),
                );
                let (budgeted, _) = self.budgeted(&[first], &payer.pubkey())?;
                budgeted[..budgeted.len() - 1].to_vec()
            }
            None => Vec::new(),
        };
        std::thread::scope(|scope| {
            for _ in 0..WRITE_WORKERS.min(total) {
                scope.spawn(|| {
                    let signers = distinct(&[payer, authority]);
                    while !failed.load(Ordering::Relaxed) {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some((offset, bytes)) = pending.get(i) else {
                            return;
                        };
                        let write = loader::write(
                            &buffer.pubkey(),
                            &authority.pubkey(),
                            *offset as u32,
                            bytes.to_vec(),
                        );
                        let mut instructions = budget.clone();
                        instructions.push(write);
                        let mut outcome = Ok(Signature::default());
                        for _ in 0..WRITE_ATTEMPTS {
                            outcome = self.send_budgeted(&instructions, &signers);
                            match &outcome {
                                Err(e)
                                    if matches!(
                                        e.code,
                                        ErrorCode::Timeout | ErrorCode::Expired
                                    ) =>
                                {
                                    continue
                                }
                                _ => break,
                            }
                        }
                        match outcome {
                            Ok(_) => {
                                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                                progress(WriteProgress { done: n, total });
                            }
                            Err(e) => {
                                failed.store(true, Ordering::Relaxed);
                                let mut slot =
                                    first_error.lock().unwrap_or_else(|p| p.into_inner());
                                slot.get_or_insert(e);
                                return;
                            }
                        }
                    }
                });
            }
        });
        if let Some(e) = first_error.into_inner().unwrap_or_else(|p| p.into_inner()) {
            return Err(e.with_hint(
                "run the same command again: it resumes with the buffer written so far",
            ));
        }
        Ok(BufferWritten {
            buffer,
            writes: total,
            resumed,
        })
    }

    /// Deploys `elf` at `program`'s address: buffer, writes, `DeployWithMaxDataLen`. `payer`
    /// pays; `authority` may upgrade it afterwards (or nobody, [`NewAuthority::Final`]). The
    /// cluster profile then names this program.
    pub fn deploy_program(
        &self,
        elf: &[u8],
        program: &Keypair,
        payer: &Keypair,
        authority: NewAuthority,
        progress: &(dyn Fn(WriteProgress) + Sync),
    ) -> Result<Deployed> {
        let program_id = program.pubkey();
        if let Some(account) = self.account(&program_id)? {
            if account.owner == LOADER_ID && account.executable {
                return Err(ClientError::new(
                    ErrorCode::InvalidInput,
                    format!("a program is already deployed at {program_id}"),
                )
                .with_hint(format!(
                    "upgrade it with `leash program upgrade {program_id}`"
                )));
            }
            return Err(ClientError::new(
                ErrorCode::InvalidInput,
                format!("the address {program_id} is already in use by another account"),
            )
            .with_hint("deploy with another --program-keypair"));
        }
        // Deploying requires the buffer's authority to sign as the upgrade authority; a
        // program made immutable is deployed under the payer, then handed to nobody.
        let deploy_authority = match authority {
            NewAuthority::Key(key) => key,
            NewAuthority::Final => payer,
        };
        let BufferWritten {
            buffer,
            writes,
            resumed,
        } = self.write_buffer(elf, payer, deploy_authority, progress)?;
        let program_rent = self.minimum_balance(PROGRAM_ACCOUNT_LEN)?;
        let deploy = loader::deploy_with_max_program_len(
            &payer.pubkey(),
            &program_id,
            &buffer.pubkey(),
            &deploy_authority.pubkey(),
            program_rent,
            elf.len(),
            true,
        )
        .map_err(|e| ClientError::internal(format!("cannot build the deploy: {e:?}")))?;
        let signature = self.send(&deploy, &distinct(&[payer, program, deploy_authority]))?;
        let _ = std::fs::remove_file(buffer_file(&deploy_authority.pubkey())?);
        self.wait_until_executable(&program_id)?;
        let mut upgrade_authority = Some(deploy_authority.pubkey().to_string());
        if let NewAuthority::Final = authority {
            let finalize = loader::set_upgrade_authority(&program_id, &payer.pubkey(), None);
            self.send(&[finalize], &distinct(&[payer]))?;
            upgrade_authority = None;
        }
        let mut profiles = Profiles::load()?;
        profiles.set_program_id(self.cluster(), Some(&program_id));
        profiles.save()?;
        Ok(Deployed {
            program_id: program_id.to_string(),
            signature: signature.to_string(),
            upgrade_authority,
            writes,
            resumed,
            saved_for: Some(self.cluster().url.clone()),
        })
    }

    /// Replaces the program at `program_id` with `elf`, signed by its upgrade authority.
    pub fn upgrade_program(
        &self,
        elf: &[u8],
        program_id: &Pubkey,
        payer: &Keypair,
        authority: &Keypair,
        progress: &(dyn Fn(WriteProgress) + Sync),
    ) -> Result<Deployed> {
        let LoadedProgram {
            authority: current,
            bytes,
            ..
        } = self.loaded_program(program_id)?;
        self.check_authority(program_id, current, authority)?;
        let BufferWritten {
            buffer,
            writes,
            resumed,
        } = self.write_buffer(elf, payer, authority, progress)?;
        let mut instructions = Vec::new();
        if bytes.len() < elf.len() {
            let more = (elf.len() - bytes.len()).max(MINIMUM_EXTEND_BYTES);
            instructions.push(loader::extend_program(
                program_id,
                Some(&payer.pubkey()),
                u32::try_from(more).unwrap_or(u32::MAX),
            ));
        }
        instructions.push(loader::upgrade(
            program_id,
            &buffer.pubkey(),
            &authority.pubkey(),
            &payer.pubkey(),
            true,
        ));
        let signature = self.send(&instructions, &distinct(&[payer, authority]))?;
        let _ = std::fs::remove_file(buffer_file(&authority.pubkey())?);
        self.wait_until_executable(program_id)?;
        Ok(Deployed {
            program_id: program_id.to_string(),
            signature: signature.to_string(),
            upgrade_authority: Some(authority.pubkey().to_string()),
            writes,
            resumed,
            saved_for: None,
        })
    }

    /// Hands the program's upgrade authority to `new` (who signs too), or to nobody.
    pub fn set_program_authority(
        &self,
        program_id: &Pubkey,
        payer: &Keypair,
        current: &Keypair,
        new: NewAuthority,
    ) -> Result<AuthoritySet> {
        let authority = self.loaded_program(program_id)?.authority;
        self.check_authority(program_id, authority, current)?;
        let (instruction, signers, upgrade_authority): (Instruction, Vec<&dyn Signer>, _) =
            match new {
                NewAuthority::Key(key) => (
                    loader::set_upgrade_authority_checked(
                        program_id,
                        &current.pubkey(),
                        &key.pubkey(),
                    ),
                    distinct(&[payer, current, key]),
                    Some(key.pubkey().to_string()),
                ),
                NewAuthority::Final => (
                    loader::set_upgrade_authority(program_id, &current.pubkey(), None),
                    distinct(&[payer, current]),
                    None,
                ),
            };
        let signature = self.send(&[instruction], &signers)?;
        Ok(AuthoritySet {
            program_id: program_id.to_string(),
            signature: signature.to_string(),
            upgrade_authority,
        })
    }

    /// Returns once the cluster is past the slot the program was (re)deployed in: Agave runs a
    /// deployed program from the next slot only, so a command right after a deploy would
    /// otherwise meet "Program is not deployed".
    fn wait_until_executable(&self, program_id: &Pubkey) -> Result<()> {
        let deployed = self.loaded_program(program_id)?.slot;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while self.slot()? <= deployed {
            if std::time::Instant::now() > deadline {
                return Err(ClientError::new(
                    ErrorCode::Timeout,
                    format!("the cluster did not move past slot {deployed} within 30 s"),
                ));
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        Ok(())
    }

    /// The signer is the program's upgrade authority, said clearly before anything is sent.
    fn check_authority(
        &self,
        program_id: &Pubkey,
        current: Option<Pubkey>,
        signer: &Keypair,
    ) -> Result<()> {
        match current {
            None => Err(ClientError::new(
                ErrorCode::Signer,
                format!("{program_id} is immutable: nobody can upgrade it or change its authority"),
            )),
            Some(authority) if authority != signer.pubkey() => Err(ClientError::new(
                ErrorCode::Signer,
                format!(
                    "the upgrade authority of {program_id} is {authority}, not {}",
                    signer.pubkey()
                ),
            )
            .with_hint("pass the authority's keypair with --upgrade-authority (or --keypair)")),
            Some(_) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loader_accounts_parse_as_the_loader_writes_them() {
        let key = Pubkey::new_unique();
        let mut program_data = vec![3, 0, 0, 0];
        program_data.extend_from_slice(&42u64.to_le_bytes());
        program_data.push(1);
        program_data.extend_from_slice(key.as_ref());
        assert_eq!(program_data.len(), PROGRAM_DATA_METADATA);
        assert_eq!(
            LoaderAccount::parse(&program_data),
            Some(LoaderAccount::ProgramData {
                slot: 42,
                authority: Some(key)
            })
        );
        let mut immutable = program_data.clone();
        immutable[12] = 0;
        assert_eq!(
            LoaderAccount::parse(&immutable),
            Some(LoaderAccount::ProgramData {
                slot: 42,
                authority: None
            })
        );
        let mut program = vec![2, 0, 0, 0];
        program.extend_from_slice(key.as_ref());
        assert_eq!(program.len(), PROGRAM_ACCOUNT_LEN);
        assert_eq!(
            LoaderAccount::parse(&program),
            Some(LoaderAccount::Program { program_data: key })
        );
        let mut buffer = vec![1, 0, 0, 0, 1];
        buffer.extend_from_slice(key.as_ref());
        assert_eq!(buffer.len(), BUFFER_METADATA);
        assert_eq!(
            LoaderAccount::parse(&buffer),
            Some(LoaderAccount::Buffer {
                authority: Some(key)
            })
        );
        assert_eq!(LoaderAccount::parse(&[9, 0, 0, 0]), None);
        assert_eq!(LoaderAccount::parse(&[3, 0]), None);
    }

    #[test]
    fn the_committed_elf_is_told_from_any_other_bytes() {
        let elf = LEASH_PROGRAM_ELF;
        let mut padded = elf.to_vec();
        padded.extend_from_slice(&[0; 100]);
        assert!(holds_elf(elf, elf));
        assert!(holds_elf(&padded, elf));
        let mut changed = padded.clone();
        changed[elf.len() / 2] ^= 1;
        assert!(!holds_elf(&changed, elf));
        let mut trailing = padded.clone();
        trailing[elf.len() + 3] = 1;
        assert!(
            !holds_elf(&trailing, elf),
            "bytes after the ELF must be padding"
        );
        assert!(!holds_elf(&elf[..elf.len() - 1], elf), "a cut ELF");
        assert_eq!(trimmed(&padded), trimmed(elf));
    }

    #[test]
    fn the_elf_is_an_sbf_elf() {
        assert_eq!(&LEASH_PROGRAM_ELF[..4], b"\x7fELF");
    }
}
