//! The connection to a cluster and what every operation shares: token names, the chain's clock,
//! and building, signing, sending, simulating and confirming transactions.

use std::{
    collections::HashMap,
    sync::OnceLock,
    time::{Duration, Instant},
};

use leash_sdk::{
    names,
    policy::{ResolvedToken, TokenResolver},
    spl,
    state::NATIVE_SOL_MINT,
};
use serde::Serialize;
use solana_commitment_config::{CommitmentConfig, CommitmentLevel};
use solana_message::Message;
use solana_program::{hash::Hash, instruction::Instruction, pubkey::Pubkey};
use solana_rpc_client::rpc_client::RpcClient;
use solana_rpc_client_types::request::RpcRequest;
use solana_signature::Signature;
use solana_signer::Signer;
use solana_transaction::Transaction;
use solana_transaction_error::TransactionError;

use crate::{
    error::{rpc_error, transaction_error, ClientError, ErrorCode, Result},
    input::{Cluster, TokenRef},
    profile::ProgramChoice,
    transaction::{FeeEstimate, SendSettings},
};

/// How long a sent transaction may take to confirm.
const CONFIRM_TIMEOUT: Duration = Duration::from_secs(90);
/// How long to wait for a blockhash different from one already used.
const FRESH_BLOCKHASH_TIMEOUT: Duration = Duration::from_secs(5);

/// A Leash client on one cluster, for the Leash program at one address. Blocking; an async
/// caller runs operations on a blocking thread (`tokio::task::spawn_blocking`).
pub struct Client {
    cluster: Cluster,
    program: ProgramChoice,
    settings: SendSettings,
    rpc: RpcClient,
    /// What the cluster is, asked once (`getGenesisHash`, the node's token list).
    identity: OnceLock<ClusterIdentity>,
    tokens: OnceLock<HashMap<String, ResolvedToken>>,
}

/// What a cluster is, whatever its URL says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClusterIdentity {
    /// A `leash node`: its own token list.
    LeashNode(HashMap<String, ResolvedToken>),
    /// Mainnet, devnet or testnet, by genesis hash.
    Known(names::KnownCluster),
    /// Anything else (another local validator, a private cluster): symbols come from the
    /// cluster profile (`leash config set-token`), else mints are named.
    Other,
}

/// A transaction's outcome before it is sent: what `simulateTransaction` says.
pub(crate) struct SimulatedOutcome {
    pub error: Option<TransactionError>,
    pub logs: Vec<String>,
    pub units_consumed: Option<u64>,
    /// What sending it would cost (when it would pass).
    pub fee: Option<FeeEstimate>,
}

impl SimulatedOutcome {
    fn of(
        result: solana_rpc_client_types::response::RpcSimulateTransactionResult,
        signatures: usize,
        priority_fee: u64,
        headroom: u32,
    ) -> Self {
        let fee = match (&result.err, result.units_consumed) {
            (None, Some(units)) => {
                let limit = crate::transaction::limit_for(units, headroom, 0);
                Some(FeeEstimate::new(signatures, units, limit, priority_fee))
            }
            _ => None,
        };
        SimulatedOutcome {
            error: result.err.map(TransactionError::from),
            logs: result.logs.unwrap_or_default(),
            units_consumed: result.units_consumed,
            fee,
        }
    }
}

impl Client {
    /// A client on `cluster` for the program at the default id, at `confirmed` commitment.
    pub fn new(cluster: Cluster) -> Client {
        Client::with_program(cluster, ProgramChoice::default_id())
    }

    /// A client on `cluster` for the Leash program `program`, at `confirmed` commitment.
    pub fn with_program(cluster: Cluster, program: ProgramChoice) -> Client {
        let settings = SendSettings::default();
        Client {
            rpc: Self::rpc_for(&cluster, settings.commitment),
            cluster,
            program,
            settings,
            identity: OnceLock::new(),
            tokens: OnceLock::new(),
        }
    }

    /// The same client sending as `settings` say (commitment, priority fee).
    pub fn with_settings(mut self, settings: SendSettings) -> Client {
        self.rpc = Self::rpc_for(&self.cluster, settings.commitment);
        self.settings = settings;
        self
    }

    fn rpc_for(cluster: &Cluster, commitment: CommitmentLevel) -> RpcClient {
        RpcClient::new_with_timeout_and_commitment(
            cluster.url.clone(),
            Duration::from_secs(30),
            CommitmentConfig { commitment },
        )
    }

    /// How this client sends.
    pub fn settings(&self) -> SendSettings {
        self.settings
    }

    pub fn cluster(&self) -> &Cluster {
        &self.cluster
    }

    /// A session's counters as of the chain's clock, for its summary.
    pub(crate) fn spent_at<'a>(
        &self,
        session: &'a leash_sdk::state::Session,
    ) -> leash_sdk::policy::SpentAt<'a> {
        leash_sdk::policy::SpentAt {
            spent: &session.spent,
            now: self.now(),
            created_at: session.created_at,
        }
    }

    /// The Leash program's address on this cluster.
    pub fn program_id(&self) -> &Pubkey {
        &self.program.id
    }

    /// The program's address and where it came from.
    pub fn program(&self) -> ProgramChoice {
        self.program
    }

    /// The RPC client, for reads no operation covers.
    pub fn rpc(&self) -> &RpcClient {
        &self.rpc
    }

    /// An RPC error mapped, with program figures named by this cluster's tokens.
    pub(crate) fn rpc_error(
        &self,
        error: solana_rpc_client_api::client_error::Error,
    ) -> ClientError {
        rpc_error(error, &|m| self.describe_mint(m))
    }

    /// The chain's clock: the latest block's time, else this machine's clock.
    pub fn now(&self) -> i64 {
        self.rpc
            .get_slot()
            .ok()
            .and_then(|slot| self.rpc.get_block_time(slot).ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
                    .unwrap_or(0)
            })
    }

    /// An account, `None` if it does not exist; a cluster that is down is an error
    /// (`Unreachable`). (`RpcClient::get_account` reports both as a missing account.)
    pub fn account(&self, address: &Pubkey) -> Result<Option<solana_account::Account>> {
        let mut accounts = self
            .rpc
            .get_multiple_accounts_with_commitment(&[*address], self.rpc.commitment())
            .map_err(|e| self.rpc_error(e))?
            .value;
        Ok(accounts.pop().flatten())
    }

    /// The current slot.
    pub fn slot(&self) -> Result<u64> {
        self.rpc.get_slot().map_err(|e| self.rpc_error(e))
    }

    // -----------------------------------------------------------------------------------------
    // Tokens.

    /// The cluster's known tokens by upper-case symbol: the local node's list
    /// (`leash_getTokenList`), or the well-known mainnet mints elsewhere.
    /// What the cluster is: a `leash node` (it answers `leash_getTokenList`), else a public
    /// cluster by its genesis hash, else other. Asked once; an unreachable cluster is "other"
    /// for this client's life only as far as names go (operations still fail as unreachable).
    pub fn identity(&self) -> &ClusterIdentity {
        self.identity.get_or_init(|| {
            if let Some(list) = self.local_token_list() {
                return ClusterIdentity::LeashNode(list);
            }
            match self.rpc.get_genesis_hash() {
                Ok(hash) => names::KnownCluster::by_genesis(&hash.to_string())
                    .map_or(ClusterIdentity::Other, ClusterIdentity::Known),
                Err(_) => ClusterIdentity::Other,
            }
        })
    }

    /// The cluster as messages name it: by what it is (`devnet`), not by its URL.
    pub fn cluster_label(&self) -> String {
        match self.identity() {
            ClusterIdentity::Known(known) => known.name().to_string(),
            ClusterIdentity::LeashNode(_) => format!("the leash node at {}", self.cluster.url),
            ClusterIdentity::Other => self.cluster.url.clone(),
        }
    }

    /// Token symbols on this cluster: the node's list, a public cluster's own table (never
    /// another cluster's mints), plus what the cluster profile names.
    fn token_table(&self) -> &HashMap<String, ResolvedToken> {
        self.tokens.get_or_init(|| {
            let entry = |symbol: &str, mint: Pubkey, decimals: u8| {
                (
                    symbol.to_ascii_uppercase(),
                    ResolvedToken {
                        symbol: symbol.to_string(),
                        mint,
                        decimals,
                    },
                )
            };
            let mut table: HashMap<String, ResolvedToken> = match self.identity() {
                ClusterIdentity::LeashNode(list) => list.clone(),
                ClusterIdentity::Known(known) => known
                    .tokens()
                    .iter()
                    .map(|(s, m, d)| entry(s, *m, *d))
                    .collect(),
                ClusterIdentity::Other => [entry("WSOL", spl::NATIVE_MINT, 9)].into(),
            };
            if let Ok(profiles) = crate::profile::Profiles::load() {
                for (symbol, mint, decimals) in profiles.tokens(&self.cluster) {
                    table.insert(symbol.clone(), entry(&symbol, mint, decimals).1);
                }
            }
            table
        })
    }

    fn local_token_list(&self) -> Option<HashMap<String, ResolvedToken>> {
        #[derive(serde::Deserialize)]
        struct Listed {
            symbol: String,
            mint: String,
            decimals: u8,
        }
        let list: Vec<Listed> = self
            .rpc
            .send(
                RpcRequest::Custom {
                    method: "leash_getTokenList",
                },
                serde_json::json!([]),
            )
            .ok()?;
        Some(
            list.into_iter()
                .filter_map(|t| {
                    let mint = t.mint.parse().ok()?;
                    Some((
                        t.symbol.to_ascii_uppercase(),
                        ResolvedToken {
                            symbol: t.symbol,
                            mint,
                            decimals: t.decimals,
                        },
                    ))
                })
                .collect(),
        )
    }

    /// The decimals and token program of a mint account on the cluster.
    fn mint_on_chain(&self, mint: &Pubkey) -> Option<(u8, Pubkey)> {
        let account = self.rpc.get_account(mint).ok()?;
        if !leash_sdk::token_account::is_token_program(&account.owner) {
            return None;
        }
        spl::mint_decimals(&account.data).map(|d| (d, account.owner))
    }

    fn known_symbols(&self) -> String {
        let mut symbols: Vec<String> = self.token_table().keys().cloned().collect();
        symbols.push("SOL".into());
        symbols.sort();
        symbols.join(", ")
    }

    /// A token reference resolved on this cluster: symbol, mint, decimals.
    pub fn token(&self, token: &TokenRef) -> Result<ResolvedToken> {
        match token {
            TokenRef::Sol => Ok(ResolvedToken::sol()),
            TokenRef::Symbol(symbol) => self.token_table().get(symbol).cloned().ok_or_else(|| {
                ClientError::input(format!(
                    "{symbol:?} is not a token symbol known on {} ({}), nor a mint address",
                    self.cluster_label(),
                    self.known_symbols()
                ))
                .with_hint(format!(
                    "give the mint address, or name it for this cluster: leash --url {} config set-token {symbol} <mint>",
                    self.cluster.url
                ))
            }),
            TokenRef::Mint(mint) => {
                let (decimals, _) = self.mint_on_chain(mint).ok_or_else(|| {
                    ClientError::input(format!(
                        "{mint} is not a token mint on {}",
                        self.cluster_label()
                    ))
                })?;
                let symbol = self
                    .by_mint(mint)
                    .map(|t| t.symbol)
                    .unwrap_or_else(|| mint.to_string());
                Ok(ResolvedToken {
                    symbol,
                    mint: *mint,
                    decimals,
                })
            }
        }
    }

    /// The token program that owns `mint`.
    pub(crate) fn token_program(&self, mint: &Pubkey) -> Result<Pubkey> {
        self.rpc.get_account(mint).map(|a| a.owner).map_err(|_| {
            ClientError::input(format!(
                "mint {mint} was not found on {}",
                self.cluster_label()
            ))
        })
    }

    /// (symbol, decimals) of a mint for figures in messages.
    pub(crate) fn describe_mint(&self, mint: &Pubkey) -> Option<(String, u8)> {
        if *mint == NATIVE_SOL_MINT {
            return Some(("SOL".into(), 9));
        }
        self.by_mint(mint).map(|t| (t.symbol, t.decimals))
    }

    // -----------------------------------------------------------------------------------------
    // Transactions.

    /// A transaction of `instructions` (their compute budget included) paid by `fee_payer`,
    /// unsigned, on `blockhash`.
    pub(crate) fn message(
        instructions: &[Instruction],
        fee_payer: &Pubkey,
        blockhash: Hash,
    ) -> Message {
        Message::new_with_blockhash(instructions, Some(fee_payer), &blockhash)
    }

    /// `instructions` on `blockhash`, signed by `signers`; `signers[0]` pays.
    fn signed(
        instructions: &[Instruction],
        signers: &[&dyn Signer],
        blockhash: Hash,
    ) -> Result<Transaction> {
        let payer = signers
            .first()
            .ok_or_else(|| ClientError::internal("no fee payer"))?
            .pubkey();
        let mut tx = Transaction::new_unsigned(Self::message(instructions, &payer, blockhash));
        tx.try_sign(signers, blockhash).map_err(signer_error)?;
        Ok(tx)
    }

    /// Signs, sends and lands `instructions` with their compute budget (a limit from a
    /// simulation, the priority fee); `signers[0]` pays. The simulation doubles as preflight: a
    /// transaction that would fail is refused, mapped, before anything is signed. A
    /// transaction refused as already processed (the same instructions sent moments ago on
    /// the same blockhash, a repeated command) is a new intent: signed again on a new
    /// blockhash, once.
    pub(crate) fn send(
        &self,
        instructions: &[Instruction],
        signers: &[&dyn Signer],
    ) -> Result<Signature> {
        let payer = signers
            .first()
            .ok_or_else(|| ClientError::internal("no fee payer"))?
            .pubkey();
        let (budgeted, _) = self.budgeted(instructions, &payer)?;
        self.send_budgeted(&budgeted, signers)
    }

    /// Signs and lands `budgeted` (instructions led by their compute budget) as [`Client::send`]
    /// does, without simulating again: for many transactions of one shape (a deploy's writes).
    pub(crate) fn send_budgeted(
        &self,
        budgeted: &[Instruction],
        signers: &[&dyn Signer],
    ) -> Result<Signature> {
        let mut used: Option<Hash> = None;
        loop {
            let blockhash = self.fresh_blockhash(used)?;
            let tx = Self::signed(budgeted, signers, blockhash)?;
            match self.land_unless_processed(&tx)? {
                Some(signature) => return Ok(signature),
                None if used.is_none() => used = Some(blockhash),
                None => {
                    return Err(self.transaction_error(&TransactionError::AlreadyProcessed, &[]))
                }
            }
        }
    }

    /// Simulates `instructions` signed by `signers` (`signers[0]` pays) at the client's
    /// commitment, with the priority fee and the largest limit: the transaction
    /// [`Client::send`] would build before it trims the limit, stopped before sending.
    pub(crate) fn simulate(
        &self,
        instructions: &[Instruction],
        signers: &[&dyn Signer],
    ) -> Result<SimulatedOutcome> {
        let payer = signers
            .first()
            .ok_or_else(|| ClientError::internal("no fee payer"))?
            .pubkey();
        let (probe, price) = self.probe_instructions(instructions, &payer)?;
        let tx = Self::signed(&probe, signers, self.fresh_blockhash(None)?)?;
        let signatures = usize::from(tx.message.header.num_required_signatures);
        let result = self
            .rpc
            .simulate_transaction(&tx)
            .map_err(|e| self.rpc_error(e))?
            .value;
        Ok(SimulatedOutcome::of(
            result,
            signatures,
            price,
            crate::transaction::headroom_for(instructions),
        ))
    }

    /// `instructions` led by the largest compute limit and the priority fee a send would
    /// offer: what simulations run.
    fn probe_instructions(
        &self,
        instructions: &[Instruction],
        fee_payer: &Pubkey,
    ) -> Result<(Vec<Instruction>, u64)> {
        let price = self.priority_fee(&crate::transaction::writable_of(instructions, fee_payer))?;
        let mut all =
            crate::transaction::budget_instructions(crate::transaction::MAX_COMPUTE_UNITS, price);
        all.extend_from_slice(instructions);
        Ok((all, price))
    }

    /// Simulates `instructions` paid by `fee_payer` without signatures (`sigVerify` off): what
    /// a signer elsewhere would send.
    pub(crate) fn simulate_unsigned(
        &self,
        instructions: &[Instruction],
        fee_payer: &Pubkey,
    ) -> Result<SimulatedOutcome> {
        let blockhash = self.fresh_blockhash(None)?;
        let (probe, price) = self.probe_instructions(instructions, fee_payer)?;
        let tx = Transaction::new_unsigned(Self::message(&probe, fee_payer, blockhash));
        let signatures = usize::from(tx.message.header.num_required_signatures);
        let config = solana_rpc_client_types::config::RpcSimulateTransactionConfig {
            sig_verify: false,
            commitment: Some(self.rpc.commitment()),
            ..Default::default()
        };
        let result = self
            .rpc
            .simulate_transaction_with_config(&tx, config)
            .map_err(|e| self.rpc_error(e))?
            .value;
        Ok(SimulatedOutcome::of(
            result,
            signatures,
            price,
            crate::transaction::headroom_for(instructions),
        ))
    }

    /// Maps a simulated or confirmed failure to the error people read.
    pub(crate) fn transaction_error(&self, err: &TransactionError, logs: &[String]) -> ClientError {
        transaction_error(err, logs, &|m| self.describe_mint(m))
    }

    /// The latest blockhash, waiting (up to 5 s) for one different from `not`.
    fn fresh_blockhash(&self, not: Option<Hash>) -> Result<Hash> {
        let deadline = Instant::now() + FRESH_BLOCKHASH_TIMEOUT;
        loop {
            let hash = self
                .rpc
                .get_latest_blockhash()
                .map_err(|e| self.rpc_error(e))?;
            if Some(hash) != not || Instant::now() > deadline {
                return Ok(hash);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Sends a signed transaction (signed here or elsewhere) and lands it: resent until it
    /// reaches the client's commitment or its blockhash expires; a refusal is mapped, with the
    /// program's figures.
    pub fn submit(&self, tx: &Transaction) -> Result<Signature> {
        self.land(tx)
    }

    /// Waits for `signature` (sent by someone else: the node's faucet) to reach the client's
    /// commitment; its failure mapped, with the program's figures.
    pub(crate) fn confirm(&self, signature: Signature) -> Result<Signature> {
        let deadline = Instant::now() + CONFIRM_TIMEOUT;
        loop {
            if let Some(outcome) = self.status_of(&signature, self.rpc.commitment())? {
                return outcome.map(|()| signature);
            }
            if Instant::now() > deadline {
                return Err(ClientError::new(
                    ErrorCode::Timeout,
                    format!("transaction {signature} was not confirmed within 90 s"),
                )
                .with_hint("check it later with the signature; it may still land"));
            }
            std::thread::sleep(Duration::from_millis(300));
        }
    }

    pub(crate) fn transaction_logs(&self, signature: &Signature) -> Vec<String> {
        self.rpc
            .get_transaction(
                signature,
                solana_transaction_status_client_types::UiTransactionEncoding::Base64,
            )
            .ok()
            .and_then(|t| t.transaction.meta)
            .and_then(|m| Option::<Vec<String>>::from(m.log_messages))
            .unwrap_or_default()
    }

    /// A prepared operation's transactions, unsigned, on the latest blockhash: for a signer
    /// elsewhere (a browser wallet, a hardware key), who signs and hands each to
    /// [`Client::submit`].
    pub fn unsigned_transactions<R>(
        &self,
        prepared: &Prepared<R>,
    ) -> Result<Vec<UnsignedTransaction>> {
        let blockhash = self.fresh_blockhash(None)?;
        prepared
            .transactions
            .iter()
            .map(|instructions| {
                self.unsigned_on(
                    instructions,
                    &prepared.fee_payer,
                    blockhash,
                    &prepared.summary,
                )
            })
            .collect()
    }

    /// One transaction of `instructions` paid by `fee_payer`, unsigned, on the latest blockhash.
    pub(crate) fn unsigned_transaction(
        &self,
        instructions: &[Instruction],
        fee_payer: &Pubkey,
        summary: &str,
    ) -> Result<UnsignedTransaction> {
        let blockhash = self.fresh_blockhash(None)?;
        self.unsigned_on(instructions, fee_payer, blockhash, summary)
    }

    /// `instructions` budgeted, unsigned, with the fee the signer will pay.
    fn unsigned_on(
        &self,
        instructions: &[Instruction],
        fee_payer: &Pubkey,
        blockhash: Hash,
        summary: &str,
    ) -> Result<UnsignedTransaction> {
        let (budgeted, fee) = self.budgeted_for_signer_elsewhere(instructions, fee_payer)?;
        let message = Self::message(&budgeted, fee_payer, blockhash);
        let signers = message
            .signer_keys()
            .iter()
            .map(|k| k.to_string())
            .collect();
        let tx = Transaction::new_unsigned(message);
        let bytes = bincode::serialize(&tx)
            .map_err(|e| ClientError::internal(format!("cannot encode a transaction: {e}")))?;
        Ok(UnsignedTransaction {
            transaction: base64::Engine::encode(&base64::prelude::BASE64_STANDARD, bytes),
            blockhash: blockhash.to_string(),
            signers,
            summary: format!("{summary} ({fee})"),
            fee,
        })
    }

    /// Signs a prepared owner operation with `signer` (the owner, who pays), sends each of its
    /// transactions in order, and returns its report with the signatures.
    pub fn sign_and_send<R: Signed>(
        &self,
        prepared: Prepared<R>,
        signer: &dyn Signer,
    ) -> Result<R> {
        if signer.pubkey() != prepared.fee_payer {
            return Err(ClientError::new(
                ErrorCode::Signer,
                format!(
                    "the signer {} is not the owner {} this operation was prepared for",
                    signer.pubkey(),
                    prepared.fee_payer
                ),
            ));
        }
        let mut report = prepared.report;
        let mut signatures = Vec::new();
        for instructions in &prepared.transactions {
            signatures.push(self.send(instructions, &[signer])?);
        }
        report.signed(&signatures);
        Ok(report)
    }
}

impl TokenResolver for Client {
    fn resolve(&self, text: &str) -> std::result::Result<ResolvedToken, String> {
        self.token(&TokenRef::new(text)).map_err(|e| e.message)
    }

    fn by_mint(&self, mint: &Pubkey) -> Option<ResolvedToken> {
        if let Some(token) = self.token_table().values().find(|t| t.mint == *mint) {
            return Some(token.clone());
        }
        let (decimals, _) = self.mint_on_chain(mint)?;
        Some(ResolvedToken {
            symbol: short(mint),
            mint: *mint,
            decimals,
        })
    }
}

fn signer_error(e: solana_signer::SignerError) -> ClientError {
    ClientError::new(ErrorCode::Signer, format!("the signer cannot sign: {e}"))
}

/// An owner operation ready to sign: its transactions (in order), who pays and signs, a human
/// summary, and the report it gives once sent.
#[derive(Clone, Debug)]
pub struct Prepared<R> {
    /// What the transactions do, for the person asked to sign.
    pub summary: String,
    /// The owner: the fee payer and the only signer.
    pub fee_payer: Pubkey,
    /// Empty when there is nothing to do (a wallet that exists already).
    pub transactions: Vec<Vec<Instruction>>,
    /// The report, without signatures until sent.
    pub report: R,
}

/// A report that records the signatures of the transactions that made it.
pub trait Signed {
    fn signed(&mut self, signatures: &[Signature]);
}

/// One unsigned transaction for a signer elsewhere.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct UnsignedTransaction {
    /// base64 of the wire transaction, its signatures zeroed.
    pub transaction: String,
    pub blockhash: String,
    /// Who must sign, in order.
    pub signers: Vec<String>,
    /// What it does, and the fee it will pay.
    pub summary: String,
    /// Its compute budget and fee (docs/client.md, "Landing a transaction"); zero from an API
    /// older than the field.
    #[serde(default)]
    pub fee: FeeEstimate,
}

/// `AbCd…WxYz` for long addresses in tables.
pub fn short(key: &Pubkey) -> String {
    let s = key.to_string();
    format!("{}…{}", &s[..4], &s[s.len() - 4..])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cluster that does not answer is `Unreachable` (the API's 503), not a missing account.
    #[test]
    fn a_cluster_that_is_down_is_unreachable() {
        let client = Client::new(Cluster::parse("http://127.0.0.1:9").unwrap());
        let e = crate::WalletRef::at(&client, &Pubkey::new_unique()).unwrap_err();
        assert_eq!(e.code, ErrorCode::Unreachable, "{e:?}");
        let e = client.session_at(&Pubkey::new_unique()).unwrap_err();
        assert_eq!(e.code, ErrorCode::Unreachable, "{e:?}");
    }

    /// Preflight, simulation and confirmation run at the client's commitment, never the
    /// server's default (`finalized`), and `--commitment` changes it.
    #[test]
    fn transactions_are_sent_with_preflight_at_the_clients_commitment() {
        let client = Client::new(Cluster::parse("http://127.0.0.1:9").unwrap());
        assert_eq!(client.rpc.commitment(), CommitmentConfig::confirmed());
        let config = crate::transaction::first_send_config(client.rpc.commitment());
        assert!(!config.skip_preflight);
        assert_eq!(
            config.preflight_commitment,
            Some(CommitmentLevel::Confirmed)
        );
        let finalized = client.with_settings(SendSettings {
            commitment: CommitmentLevel::Finalized,
            ..SendSettings::default()
        });
        assert_eq!(finalized.rpc.commitment(), CommitmentConfig::finalized());
        let config = crate::transaction::first_send_config(finalized.rpc.commitment());
        assert_eq!(
            config.preflight_commitment,
            Some(CommitmentLevel::Finalized)
        );
    }
}
