//! What callers hand to operations, parsed into types once, before any work starts: clusters,
//! tokens, amounts, raw instructions, policy files. Each parser's error is an
//! [`ErrorCode::InvalidInput`] (or `InvalidPolicy`) whose message says what to fix.

use std::{fmt, path::Path, str::FromStr};

use base64::{prelude::BASE64_STANDARD, Engine};
use leash_sdk::{
    amount::{parse_amount, AmountError},
    policy::{self, PolicyFile},
};
use serde::Deserialize;
use solana_program::pubkey::Pubkey;

use crate::error::{ClientError, ErrorCode, Result};

pub const LOCALNET_URL: &str = "http://127.0.0.1:8899";
pub const DEVNET_URL: &str = "https://api.devnet.solana.com";
pub const MAINNET_URL: &str = "https://api.mainnet-beta.solana.com";

/// A cluster: its name (`localnet`, `devnet`, `mainnet`, `custom`) and RPC URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cluster {
    pub name: String,
    pub url: String,
}

impl Cluster {
    /// `localnet|devnet|mainnet` (or their short forms) or an http(s) URL.
    pub fn parse(text: &str) -> Result<Cluster> {
        let url = match text {
            "localnet" | "l" | "localhost" => LOCALNET_URL.to_string(),
            "devnet" | "d" => DEVNET_URL.to_string(),
            "mainnet" | "m" | "mainnet-beta" => MAINNET_URL.to_string(),
            url if url.starts_with("http://") || url.starts_with("https://") => url.to_string(),
            other => {
                return Err(ClientError::input(format!(
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
        Ok(Cluster {
            name: name.to_string(),
            url,
        })
    }

    pub fn is_localnet(&self) -> bool {
        self.name == "localnet"
    }

    /// The cluster as a session token records it: a name for the well-known ones, else the URL.
    pub fn token_label(&self) -> String {
        match (self.name.as_str(), self.url.as_str()) {
            ("localnet", LOCALNET_URL) => "localnet".into(),
            ("devnet", DEVNET_URL) => "devnet".into(),
            ("mainnet", MAINNET_URL) => "mainnet".into(),
            _ => self.url.clone(),
        }
    }
}

impl fmt::Display for Cluster {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

/// A base-58 address.
pub fn parse_address(text: &str) -> Result<Pubkey> {
    text.trim()
        .parse()
        .map_err(|_| ClientError::input(format!("{text:?} is not a base-58 Solana address")))
}

/// A token as a caller names it; the cluster resolves symbols and decimals.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenRef {
    Sol,
    /// A symbol the cluster's token list knows (`USDC`), upper-cased.
    Symbol(String),
    Mint(Pubkey),
}

impl TokenRef {
    /// `SOL`, a mint address, or else a symbol, which the cluster then knows or refuses with
    /// the symbols it has.
    pub fn new(text: &str) -> TokenRef {
        let text = text.trim();
        if text.eq_ignore_ascii_case("SOL") {
            TokenRef::Sol
        } else if let Ok(mint) = text.parse::<Pubkey>() {
            TokenRef::Mint(mint)
        } else {
            TokenRef::Symbol(text.to_ascii_uppercase())
        }
    }
}

impl FromStr for TokenRef {
    type Err = std::convert::Infallible;

    fn from_str(text: &str) -> std::result::Result<TokenRef, Self::Err> {
        Ok(TokenRef::new(text))
    }
}

impl fmt::Display for TokenRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenRef::Sol => f.write_str("SOL"),
            TokenRef::Symbol(symbol) => f.write_str(symbol),
            TokenRef::Mint(mint) => write!(f, "{mint}"),
        }
    }
}

/// An exact, non-negative decimal amount in a token's units (`"4.5"`), checked for form here
/// and converted to base units once the token's decimals are known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Amount {
    text: String,
    /// The flag or field it came from, for messages (`--amount`).
    what: &'static str,
}

impl Amount {
    /// Checks the form (digits, at most one '.', not negative); `what` names the argument in
    /// messages.
    pub fn parse(text: &str, what: &'static str) -> Result<Amount> {
        // Decimals and range depend on the token, checked by `base_units`; only the form here.
        match parse_amount(text, 0) {
            Ok(_) | Err(AmountError::TooManyDecimals { .. } | AmountError::TooLarge) => {
                Ok(Amount {
                    text: text.trim().to_string(),
                    what,
                })
            }
            Err(e) => Err(ClientError::input(format!("{what}: {e}"))),
        }
    }

    /// Base units of a token with `decimals` decimals.
    pub fn base_units(&self, decimals: u8) -> Result<u64> {
        parse_amount(&self.text, decimals)
            .map_err(|e| ClientError::input(format!("{}: {e}", self.what)))
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// An account of a raw instruction: an address, or the vault (filled in by the holder).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountRef {
    Vault,
    Address(Pubkey),
}

/// One account of a raw instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawAccount {
    pub account: AccountRef,
    pub is_signer: bool,
    pub is_writable: bool,
}

/// One instruction a holder runs through the session, as JSON gives it:
/// `{"program": ADDRESS|NAME, "accounts": [{"pubkey": ADDRESS|"vault", "is_signer",
/// "is_writable"}], "data": BASE64}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawInstruction {
    pub program: Pubkey,
    pub accounts: Vec<RawAccount>,
    pub data: Vec<u8>,
}

/// One Solana instruction, the vault signing: the JSON form every face takes (`execute --ix`,
/// the API's `execute`, the MCP tools' `instruction`); its JSON Schema is what they publish.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Instruction")]
pub struct JsonInstruction {
    /// The program's address or a well-known name (system, spl-token, token-2022, memo).
    program: String,
    #[serde(default)]
    accounts: Vec<JsonAccount>,
    /// The instruction data, base64.
    #[serde(default)]
    data: String,
}

/// An account of a [`JsonInstruction`].
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JsonAccount {
    /// An address, or "vault" for the wallet's vault.
    pubkey: String,
    #[serde(default, alias = "signer")]
    is_signer: bool,
    #[serde(default, alias = "writable")]
    is_writable: bool,
}

impl RawInstruction {
    /// One JSON instruction (`execute --ix`).
    pub fn parse_one(text: &str) -> Result<RawInstruction> {
        let raw: JsonInstruction = serde_json::from_str(text).map_err(|e| {
            ClientError::input(format!(
                "--ix must be one JSON instruction {{\"program\", \"accounts\", \"data\"}}: {e}"
            ))
        })?;
        Self::from_json(raw)
    }

    /// One instruction as a JSON value (the MCP tools' `instruction`), named so in messages.
    pub fn from_value(value: &serde_json::Value) -> Result<RawInstruction> {
        let raw: JsonInstruction = serde_json::from_value(value.clone()).map_err(|e| {
            ClientError::input(format!(
                "instruction must be {{\"program\", \"accounts\", \"data\"}}: {e}"
            ))
        })?;
        Self::from_json(raw)
    }

    /// A non-empty JSON array of instructions (`multicall --calls`).
    pub fn parse_many(text: &str) -> Result<Vec<RawInstruction>> {
        let raw: Vec<JsonInstruction> = serde_json::from_str(text).map_err(|e| {
            ClientError::input(format!("--calls must be a JSON array of instructions: {e}"))
        })?;
        if raw.is_empty() {
            return Err(ClientError::input("--calls is empty"));
        }
        raw.into_iter().map(Self::from_json).collect()
    }

    fn from_json(raw: JsonInstruction) -> Result<RawInstruction> {
        let program = leash_sdk::names::program_by_name(&raw.program)
            .or_else(|| raw.program.parse().ok())
            .ok_or_else(|| {
                ClientError::input(format!("program {:?} is not an address", raw.program))
            })?;
        let data = BASE64_STANDARD
            .decode(raw.data.trim())
            .map_err(|_| ClientError::input("\"data\" must be base64"))?;
        let accounts = raw
            .accounts
            .iter()
            .map(|a| {
                let account = if a.pubkey == "vault" {
                    AccountRef::Vault
                } else {
                    AccountRef::Address(a.pubkey.parse().map_err(|_| {
                        ClientError::input(format!("account {:?} is not an address", a.pubkey))
                    })?)
                };
                Ok(RawAccount {
                    account,
                    is_signer: a.is_signer,
                    is_writable: a.is_writable,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(RawInstruction {
            program,
            accounts,
            data,
        })
    }
}

/// A policy file, parsed, with where it came from (for messages).
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyInput {
    pub origin: String,
    pub file: PolicyFile,
}

impl PolicyInput {
    /// Reads a policy file: TOML, or JSON when the extension says so.
    pub fn read(path: &Path) -> Result<PolicyInput> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ClientError::input(format!(
                "cannot read the policy file {}: {e}",
                path.display()
            ))
        })?;
        let json = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"));
        Self::parse(&path.display().to_string(), &text, json)
    }

    /// Parses policy text; `origin` names it in messages.
    pub fn parse(origin: &str, text: &str, json: bool) -> Result<PolicyInput> {
        let file = policy::parse_policy_file(text, json).map_err(|e| {
            ClientError::new(ErrorCode::InvalidPolicy, format!("{origin}: {e}"))
                .with_hint("see docs/cli.md for the policy file format")
        })?;
        Ok(PolicyInput {
            origin: origin.to_string(),
            file,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clusters_tokens_and_amounts_parse_once() {
        assert_eq!(Cluster::parse("localnet").unwrap().url, LOCALNET_URL);
        assert_eq!(
            Cluster::parse("http://127.0.0.1:9").unwrap().name,
            "localnet"
        );
        assert_eq!(
            Cluster::parse("http://127.0.0.1:9").unwrap().token_label(),
            "http://127.0.0.1:9"
        );
        assert!(Cluster::parse("moon").is_err());
        assert_eq!("sol".parse::<TokenRef>().unwrap(), TokenRef::Sol);
        assert_eq!(
            "usdc".parse::<TokenRef>().unwrap(),
            TokenRef::Symbol("USDC".into())
        );
        let mint = Pubkey::new_unique();
        assert_eq!(
            mint.to_string().parse::<TokenRef>().unwrap(),
            TokenRef::Mint(mint)
        );
        let amount = Amount::parse("4.5", "--amount").unwrap();
        assert_eq!(amount.base_units(6).unwrap(), 4_500_000);
        let e = Amount::parse("1.5e3", "--amount").unwrap_err();
        assert!(e.message.contains("is not a decimal amount"), "{e}");
        assert!(Amount::parse("1.0000001", "--amount")
            .unwrap()
            .base_units(6)
            .unwrap_err()
            .message
            .contains("7 decimal places"));
    }

    #[test]
    fn raw_instructions_resolve_names_and_the_vault() {
        let ix = RawInstruction::parse_one(
            r#"{"program": "memo", "accounts": [{"pubkey": "vault", "signer": true}], "data": "aGk="}"#,
        )
        .unwrap();
        assert_eq!(Some(ix.program), leash_sdk::names::program_by_name("memo"));
        assert_eq!(ix.accounts[0].account, AccountRef::Vault);
        assert!(ix.accounts[0].is_signer && !ix.accounts[0].is_writable);
        assert_eq!(ix.data, b"hi");
        let bad = RawInstruction::parse_one(r#"{"program": "system", "data": "%%"}"#).unwrap_err();
        assert_eq!(bad.message, "\"data\" must be base64");
        assert!(RawInstruction::parse_many("[]").is_err());
        assert!(RawInstruction::parse_one(r#"{"program": "x", "extra": 1}"#).is_err());
    }
}
