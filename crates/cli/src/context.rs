//! What every command needs: the cluster, the RPC client, keys, token names, and sending
//! transactions with a spinner while waiting.

use std::{
    collections::HashMap,
    io::IsTerminal,
    path::{Path, PathBuf},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use leash_sdk::{
    names,
    policy::{ResolvedToken, TokenResolver},
    spl,
    token::SessionToken,
};
use solana_commitment_config::CommitmentConfig;
use solana_keypair::Keypair;
use solana_message::Message;
use solana_program::{instruction::Instruction, pubkey::Pubkey};
use solana_rpc_client::rpc_client::RpcClient;
use solana_rpc_client_types::config::RpcSendTransactionConfig;
use solana_signature::Signature;
use solana_signer::Signer;
use solana_transaction::Transaction;

use crate::{
    error::{rpc_error, transaction_error, CliError, CliResult},
    paths,
};

pub const LOCALNET_URL: &str = "http://127.0.0.1:8899";

/// Global flags.
#[derive(Clone, Debug, Default)]
pub struct Globals {
    pub url: Option<String>,
    pub keypair: Option<PathBuf>,
    pub json: bool,
}

/// `localnet|devnet|mainnet` or a URL → (name, URL).
pub fn resolve_cluster(text: &str) -> CliResult<(String, String)> {
    let url = match text {
        "localnet" | "l" | "localhost" => LOCALNET_URL.to_string(),
        "devnet" | "d" => "https://api.devnet.solana.com".to_string(),
        "mainnet" | "m" | "mainnet-beta" => "https://api.mainnet-beta.solana.com".to_string(),
        url if url.starts_with("http://") || url.starts_with("https://") => url.to_string(),
        other => {
            return Err(CliError::input(format!(
                "--url {other:?} is neither a URL nor localnet, devnet or mainnet"
            )))
        }
    };
    let name = match url.as_str() {
        LOCALNET_URL => "localnet",
        u if u.contains("devnet") => "devnet",
        u if u.contains("mainnet") => "mainnet",
        u if u.contains("127.0.0.1") || u.contains("localhost") => "localnet",
        _ => "custom",
    };
    Ok((name.to_string(), url))
}

pub struct Ctx {
    pub globals: Globals,
    pub cluster: String,
    pub url: String,
    pub client: RpcClient,
    tokens: std::cell::RefCell<Option<HashMap<String, ResolvedToken>>>,
}

impl Ctx {
    /// A context on `--url`, else `fallback` (a token's cluster), else localnet.
    pub fn new(globals: &Globals, fallback: Option<&str>) -> CliResult<Ctx> {
        let text = globals.url.as_deref().or(fallback).unwrap_or("localnet");
        let (cluster, url) = resolve_cluster(text)?;
        let client = RpcClient::new_with_timeout_and_commitment(
            url.clone(),
            Duration::from_secs(30),
            CommitmentConfig::confirmed(),
        );
        Ok(Ctx {
            globals: globals.clone(),
            cluster,
            url,
            client,
            tokens: Default::default(),
        })
    }

    /// The cluster as a token records it: a name for the well-known ones, else the URL.
    pub fn url_for_token(&self) -> String {
        match (self.cluster.as_str(), self.url.as_str()) {
            ("localnet", LOCALNET_URL) => "localnet".into(),
            ("devnet", "https://api.devnet.solana.com") => "devnet".into(),
            ("mainnet", "https://api.mainnet-beta.solana.com") => "mainnet".into(),
            _ => self.url.clone(),
        }
    }

    pub fn is_localnet(&self) -> bool {
        self.cluster == "localnet"
    }

    /// The owner's keypair (`--keypair`, default `~/.config/solana/id.json`); on localnet a
    /// missing default keypair is created.
    pub fn owner(&self) -> CliResult<Keypair> {
        let (path, explicit) = match &self.globals.keypair {
            Some(path) => (path.clone(), true),
            None => (paths::default_keypair()?, false),
        };
        if !path.exists() && !explicit && self.is_localnet() {
            let key = Keypair::new();
            write_keypair(&path, &key)?;
            if !self.globals.json {
                eprintln!(
                    "Created a new localnet keypair at {} ({})",
                    path.display(),
                    key.pubkey()
                );
            }
            return Ok(key);
        }
        read_keypair(&path)
    }

    /// The session token: `LEASH_TOKEN` wins over the imported one.
    pub fn session_token() -> CliResult<SessionToken> {
        let from_env = std::env::var("LEASH_TOKEN")
            .ok()
            .filter(|t| !t.trim().is_empty());
        let (text, source) = match from_env {
            Some(text) => (text, "LEASH_TOKEN".to_string()),
            None => {
                let path = paths::token_file()?;
                match std::fs::read_to_string(&path) {
                    Ok(text) => (text, path.display().to_string()),
                    Err(_) => return Err(CliError::new(
                        "NoSession",
                        "no session token: set LEASH_TOKEN or run `leash session import <token>`",
                    )
                    .with_hint(
                        "the wallet owner creates one with `leash session create --policy FILE`",
                    )),
                }
            }
        };
        SessionToken::decode(&text).map_err(|e| {
            CliError::new(
                "InvalidToken",
                format!("the session token from {source} is not valid: {e}"),
            )
        })
    }

    fn token_table(&self) -> HashMap<String, ResolvedToken> {
        if let Some(table) = self.tokens.borrow().as_ref() {
            return table.clone();
        }
        let mut table = HashMap::new();
        if self.is_localnet() {
            let list: Result<serde_json::Value, _> = self.client.send(
                solana_rpc_client_types::request::RpcRequest::Custom {
                    method: "leash_getTokenList",
                },
                serde_json::json!([]),
            );
            if let Ok(serde_json::Value::Array(list)) = list {
                for t in list {
                    if let (Some(symbol), Some(mint), Some(decimals)) = (
                        t["symbol"].as_str(),
                        t["mint"].as_str().and_then(|m| m.parse().ok()),
                        t["decimals"].as_u64(),
                    ) {
                        table.insert(
                            symbol.to_ascii_uppercase(),
                            ResolvedToken {
                                symbol: symbol.to_string(),
                                mint,
                                decimals: decimals as u8,
                            },
                        );
                    }
                }
            }
        } else {
            for (symbol, mint, decimals) in names::MAINNET_TOKENS {
                table.insert(
                    symbol.to_string(),
                    ResolvedToken {
                        symbol: symbol.to_string(),
                        mint: *mint,
                        decimals: *decimals,
                    },
                );
            }
        }
        *self.tokens.borrow_mut() = Some(table.clone());
        table
    }

    /// The decimals of a mint account on the cluster.
    fn mint_decimals(&self, mint: &Pubkey) -> Option<(u8, Pubkey)> {
        let account = self.client.get_account(mint).ok()?;
        if !leash_sdk::token_account::is_token_program(&account.owner) {
            return None;
        }
        spl::mint_decimals(&account.data).map(|d| (d, account.owner))
    }

    /// `SOL`, a symbol, or a mint address → the token.
    pub fn token(&self, text: &str) -> CliResult<ResolvedToken> {
        self.resolve(text).map_err(CliError::input)
    }

    /// The token program that owns `mint`.
    pub fn token_program(&self, mint: &Pubkey) -> CliResult<Pubkey> {
        self.client
            .get_account(mint)
            .map(|a| a.owner)
            .map_err(|_| CliError::input(format!("mint {mint} was not found on {}", self.cluster)))
    }

    /// (symbol, decimals) for figures in messages.
    pub fn describe_mint(&self, mint: &Pubkey) -> Option<(String, u8)> {
        if *mint == leash_sdk::state::NATIVE_SOL_MINT {
            return Some(("SOL".into(), 9));
        }
        self.by_mint(mint).map(|t| (t.symbol, t.decimals))
    }

    /// Sends a transaction signed by `signers` (the first pays), waiting for confirmation with a
    /// spinner on a terminal.
    pub fn send(&self, instructions: &[Instruction], signers: &[&Keypair]) -> CliResult<Signature> {
        let payer = signers
            .first()
            .ok_or_else(|| CliError::new("Internal", "no fee payer"))?;
        let spinner = Spinner::start(!self.globals.json, "Sending transaction");
        let mut used: Option<solana_program::hash::Hash> = None;
        let result = loop {
            let blockhash = match self.fresh_blockhash(used) {
                Ok(hash) => hash,
                Err(e) => break Err(e),
            };
            let mut all = vec![unique_compute_limit()];
            all.extend_from_slice(instructions);
            let tx = Transaction::new(
                signers,
                Message::new(&all, Some(&payer.pubkey())),
                blockhash,
            );
            match self.send_and_wait(&tx) {
                // The same instructions were sent moments ago with this blockhash (a repeated
                // command in one slot): this is a new intent, so sign it again on a new blockhash.
                Err(e) if e.message.contains("already been processed") && used.is_none() => {
                    used = Some(blockhash)
                }
                other => break other,
            }
        };
        spinner.stop();
        result
    }

    /// The latest blockhash, waiting (up to 5 s) for one different from `not`.
    fn fresh_blockhash(
        &self,
        not: Option<solana_program::hash::Hash>,
    ) -> CliResult<solana_program::hash::Hash> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let hash = self
                .client
                .get_latest_blockhash()
                .map_err(|e| self.rpc(e))?;
            if Some(hash) != not || Instant::now() > deadline {
                return Ok(hash);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn send_and_wait(&self, tx: &Transaction) -> CliResult<Signature> {
        let config = RpcSendTransactionConfig {
            skip_preflight: false,
            ..Default::default()
        };
        let signature = self
            .client
            .send_transaction_with_config(tx, config)
            .map_err(|e| self.rpc(e))?;
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            let statuses = self
                .client
                .get_signature_statuses(&[signature])
                .map_err(|e| self.rpc(e))?;
            if let Some(Some(status)) = statuses.value.first() {
                if let Some(err) = &status.err {
                    let logs = self
                        .client
                        .get_transaction(
                            &signature,
                            solana_transaction_status_client_types::UiTransactionEncoding::Base64,
                        )
                        .ok()
                        .and_then(|t| t.transaction.meta)
                        .and_then(|m| Option::<Vec<String>>::from(m.log_messages))
                        .unwrap_or_default();
                    return Err(transaction_error(err, &logs, &|m| self.describe_mint(m)));
                }
                if status.confirmation_status.is_some() {
                    return Ok(signature);
                }
            }
            if Instant::now() > deadline {
                return Err(CliError::new(
                    "Timeout",
                    format!("transaction {signature} was not confirmed within 90 s"),
                )
                .with_hint("check it later with the signature; it may still land"));
            }
            std::thread::sleep(Duration::from_millis(300));
        }
    }

    /// Maps an RPC error (with program figures).
    pub fn rpc(&self, error: solana_rpc_client_api::client_error::Error) -> CliError {
        rpc_error(error, &|m| self.describe_mint(m))
    }
}

impl TokenResolver for Ctx {
    fn resolve(&self, text: &str) -> Result<ResolvedToken, String> {
        if text.eq_ignore_ascii_case("SOL") {
            return Ok(ResolvedToken::sol());
        }
        if let Some(token) = self.token_table().get(&text.to_ascii_uppercase()) {
            return Ok(token.clone());
        }
        let mint: Pubkey = text.parse().map_err(|_| {
            format!(
                "{text:?} is not a known token symbol ({}) or a mint address",
                self.known_symbols()
            )
        })?;
        let (decimals, _) = self
            .mint_decimals(&mint)
            .ok_or_else(|| format!("{mint} is not a token mint on {}", self.cluster))?;
        let symbol = self
            .by_mint(&mint)
            .map(|t| t.symbol)
            .unwrap_or_else(|| mint.to_string());
        Ok(ResolvedToken {
            symbol,
            mint,
            decimals,
        })
    }

    fn by_mint(&self, mint: &Pubkey) -> Option<ResolvedToken> {
        if let Some(token) = self.token_table().values().find(|t| t.mint == *mint) {
            return Some(token.clone());
        }
        let (decimals, _) = self.mint_decimals(mint)?;
        Some(ResolvedToken {
            symbol: short(mint),
            mint: *mint,
            decimals,
        })
    }
}

impl Ctx {
    fn known_symbols(&self) -> String {
        let mut symbols: Vec<String> = self.token_table().keys().cloned().collect();
        symbols.push("SOL".into());
        symbols.sort();
        symbols.join(", ")
    }
}

/// A compute-unit limit instruction whose value differs between invocations.
///
/// Two devices sending the same transfer in the same slot would otherwise build byte-identical
/// transactions with one signature, and the second would be dropped as a duplicate. The limit
/// is generous and the price stays 0, so it adds no fee.
fn unique_compute_limit() -> Instruction {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let jitter = (nanos ^ std::process::id().wrapping_mul(2_654_435_761)) % 100_000;
    let mut data = vec![2u8];
    data.extend_from_slice(&(600_000 + jitter).to_le_bytes());
    Instruction {
        program_id: solana_program::pubkey!("ComputeBudget111111111111111111111111111111"),
        accounts: vec![],
        data,
    }
}

/// `AbCd…WxYz` for long addresses in tables.
pub fn short(key: &Pubkey) -> String {
    let s = key.to_string();
    format!("{}…{}", &s[..4], &s[s.len() - 4..])
}

/// Reads a solana-keygen JSON keypair file.
pub fn read_keypair(path: &Path) -> CliResult<Keypair> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        CliError::new(
            "NoKeypair",
            format!("cannot read the keypair {}: {e}", path.display()),
        )
        .with_hint(
            "pass --keypair FILE (a solana-keygen JSON file), or create one with solana-keygen new",
        )
    })?;
    let bytes: Vec<u8> = serde_json::from_str(&text).map_err(|_| {
        CliError::input(format!(
            "{} is not a solana-keygen keypair file (a JSON array of 64 numbers)",
            path.display()
        ))
    })?;
    Keypair::try_from(bytes.as_slice()).map_err(|_| {
        CliError::input(format!(
            "{} does not hold a valid 64-byte ed25519 keypair",
            path.display()
        ))
    })
}

/// Writes a keypair as solana-keygen JSON, readable by the owner only.
pub fn write_keypair(path: &Path, key: &Keypair) -> CliResult<()> {
    let json = serde_json::to_string(&key.to_bytes().to_vec()).unwrap_or_default();
    paths::write_private(path, json.as_bytes())
}

/// A spinner on stderr while waiting, only when stderr is a terminal.
pub struct Spinner {
    running: Option<(Arc<AtomicBool>, std::thread::JoinHandle<()>)>,
}

impl Spinner {
    pub fn start(enabled: bool, message: &'static str) -> Spinner {
        if !enabled || !std::io::stderr().is_terminal() {
            return Spinner { running: None };
        }
        let running = Arc::new(AtomicBool::new(true));
        let flag = running.clone();
        let handle = std::thread::spawn(move || {
            let frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
            let mut i = 0;
            while flag.load(Ordering::Relaxed) {
                eprint!("\r{} {message}…", frames[i % frames.len()]);
                i += 1;
                std::thread::sleep(Duration::from_millis(80));
            }
            eprint!("\r\x1b[2K");
        });
        Spinner {
            running: Some((running, handle)),
        }
    }

    pub fn stop(self) {
        if let Some((flag, handle)) = self.running {
            flag.store(false, Ordering::Relaxed);
            let _ = handle.join();
        }
    }
}
