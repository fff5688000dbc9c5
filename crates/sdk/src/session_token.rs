//! The session token a holder imports: `lsk1_` + base64url (no padding) of UTF-8 JSON
//! (docs/cli.md, "Session token"). The prefix makes it recognisable to secret scanners. It carries the session
//! key's secret, so it never appears in `Debug` output or in any error.

use std::fmt;

use base64::{prelude::BASE64_URL_SAFE_NO_PAD, Engine};
use serde::{Deserialize, Serialize};
use solana_keypair::Keypair;
use solana_program::pubkey::Pubkey;
use solana_signer::Signer;

/// Every token starts with this.
pub const TOKEN_PREFIX: &str = "lsk1_";

#[derive(Clone, Serialize, Deserialize, PartialEq)]
pub struct SessionToken {
    pub v: u32,
    /// base58 of the 64-byte session keypair.
    pub secret: String,
    pub wallet: String,
    pub session: String,
    /// The program id the session lives under: authoritative for the holder (docs/deploy.md).
    /// Tokens made before it was read may lack it; empty means [`crate::DEFAULT_PROGRAM_ID`].
    #[serde(default)]
    pub program: String,
    /// RPC URL or `localnet` / `devnet` / `mainnet`.
    pub cluster: String,
    #[serde(default)]
    pub label: String,
    /// A human-readable snapshot of the policy when the token was made (the chain is
    /// authoritative).
    #[serde(default)]
    pub policy: serde_json::Value,
}

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionToken")
            .field("v", &self.v)
            .field("secret", &"<redacted>")
            .field("wallet", &self.wallet)
            .field("session", &self.session)
            .field("program", &self.program)
            .field("cluster", &self.cluster)
            .field("label", &self.label)
            .finish()
    }
}

/// Why a token was refused. None of these carries any part of the secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenError {
    MissingPrefix,
    NotBase64,
    NotJson(String),
    UnsupportedVersion(u32),
    BadSecret,
    BadAddress(&'static str),
    SessionMismatch,
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenError::MissingPrefix => write!(f, "a session token starts with \"{TOKEN_PREFIX}\""),
            TokenError::NotBase64 => write!(f, "the session token is not valid base64url after \"{TOKEN_PREFIX}\" (was it cut or wrapped?)"),
            TokenError::NotJson(why) => write!(f, "the session token's contents are not a Leash token ({why})"),
            TokenError::UnsupportedVersion(v) => write!(f, "session token version {v} is not supported by this leash (expected 1); upgrade leash"),
            TokenError::BadSecret => write!(f, "the session token's key is not a valid 64-byte ed25519 keypair"),
            TokenError::BadAddress(field) => write!(f, "the session token's \"{field}\" is not a valid address"),
            TokenError::SessionMismatch => write!(f, "the session token's session address does not belong to its key and wallet"),
        }
    }
}

impl std::error::Error for TokenError {}

impl SessionToken {
    pub fn new(
        program_id: &Pubkey,
        key: &Keypair,
        wallet: &Pubkey,
        cluster: &str,
        label: &str,
        policy: serde_json::Value,
    ) -> SessionToken {
        let (session, _) = leash_program::state::session_address(wallet, &key.pubkey(), program_id);
        SessionToken {
            v: 1,
            secret: bs58::encode(key.to_bytes()).into_string(),
            wallet: wallet.to_string(),
            session: session.to_string(),
            program: program_id.to_string(),
            cluster: cluster.to_string(),
            label: label.to_string(),
            policy,
        }
    }

    /// The `lsk1_…` text.
    pub fn encode(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        format!("{TOKEN_PREFIX}{}", BASE64_URL_SAFE_NO_PAD.encode(json))
    }

    /// Parses and checks a token: prefix, encoding, version, key, addresses, and that the session
    /// address is the PDA of its wallet and key.
    pub fn decode(text: &str) -> Result<SessionToken, TokenError> {
        let body = text
            .trim()
            .strip_prefix(TOKEN_PREFIX)
            .ok_or(TokenError::MissingPrefix)?;
        let json = BASE64_URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| TokenError::NotBase64)?;
        // serde's message could quote input; keep only its category.
        let token: SessionToken = serde_json::from_slice(&json).map_err(|e| {
            TokenError::NotJson(match e.classify() {
                serde_json::error::Category::Data => {
                    "a field is missing or has the wrong type".into()
                }
                _ => "not JSON".into(),
            })
        })?;
        if token.v != 1 {
            return Err(TokenError::UnsupportedVersion(token.v));
        }
        let key = token.keypair()?;
        let wallet = token.wallet()?;
        let session: Pubkey = token
            .session
            .parse()
            .map_err(|_| TokenError::BadAddress("session"))?;
        let program = token.program_id()?;
        if leash_program::state::session_address(&wallet, &key.pubkey(), &program).0 != session {
            return Err(TokenError::SessionMismatch);
        }
        Ok(token)
    }

    pub fn keypair(&self) -> Result<Keypair, TokenError> {
        let bytes = bs58::decode(&self.secret)
            .into_vec()
            .map_err(|_| TokenError::BadSecret)?;
        Keypair::try_from(bytes.as_slice()).map_err(|_| TokenError::BadSecret)
    }

    pub fn wallet(&self) -> Result<Pubkey, TokenError> {
        self.wallet
            .parse()
            .map_err(|_| TokenError::BadAddress("wallet"))
    }

    pub fn session(&self) -> Result<Pubkey, TokenError> {
        self.session
            .parse()
            .map_err(|_| TokenError::BadAddress("session"))
    }

    /// The program the session lives under: the token's `program`, or the default id for a
    /// token made before the field was read (empty).
    pub fn program_id(&self) -> Result<Pubkey, TokenError> {
        if self.program.is_empty() {
            return Ok(crate::DEFAULT_PROGRAM_ID);
        }
        self.program
            .parse()
            .map_err(|_| TokenError::BadAddress("program"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> (Keypair, SessionToken) {
        let key = Keypair::new();
        let wallet = Pubkey::new_unique();
        let token = SessionToken::new(
            &Pubkey::new_unique(),
            &key,
            &wallet,
            "localnet",
            "bot",
            serde_json::json!({"max_uses": 3}),
        );
        (key, token)
    }

    #[test]
    fn round_trips_and_checks() {
        let (key, token) = token();
        let text = token.encode();
        assert!(text.starts_with("lsk1_"));
        assert!(!text.contains('=') && !text.contains('+') && !text.contains('/'));
        let decoded = SessionToken::decode(&text).unwrap();
        assert_eq!(decoded, token);
        assert_eq!(decoded.keypair().unwrap().pubkey(), key.pubkey());
        assert_eq!(SessionToken::decode(&format!("  {text}\n")).unwrap(), token);
    }

    #[test]
    fn malformed_tokens_get_clear_errors_without_the_secret() {
        let (_, token) = token();
        let text = token.encode();
        assert_eq!(
            SessionToken::decode("eyJ2IjoxfQ"),
            Err(TokenError::MissingPrefix)
        );
        assert_eq!(SessionToken::decode("lsk1_***"), Err(TokenError::NotBase64));
        // A token cut in half is refused, not misread.
        assert!(SessionToken::decode(&text[..text.len() / 2]).is_err());
        let wrong = |edit: &dyn Fn(&mut SessionToken)| {
            let mut t = token.clone();
            edit(&mut t);
            SessionToken::decode(&t.encode())
        };
        assert_eq!(wrong(&|t| t.v = 2), Err(TokenError::UnsupportedVersion(2)));
        assert_eq!(
            wrong(&|t| t.secret = "abc".into()),
            Err(TokenError::BadSecret)
        );
        assert_eq!(
            wrong(&|t| t.wallet = "nope".into()),
            Err(TokenError::BadAddress("wallet"))
        );
        assert_eq!(
            wrong(&|t| t.session = Pubkey::new_unique().to_string()),
            Err(TokenError::SessionMismatch)
        );
        let json_only = format!("lsk1_{}", BASE64_URL_SAFE_NO_PAD.encode(b"{\"v\":1}"));
        let err = SessionToken::decode(&json_only).unwrap_err();
        assert!(matches!(err, TokenError::NotJson(_)));
        // Neither Debug nor any error shows the secret.
        assert!(!format!("{token:?}").contains(&token.secret));
        for e in [TokenError::BadSecret, TokenError::NotBase64, err] {
            assert!(!e.to_string().contains(&token.secret));
        }
    }

    #[test]
    fn the_program_field_is_authoritative_and_older_tokens_mean_the_default() {
        let (_, token) = token();
        let decoded = SessionToken::decode(&token.encode()).unwrap();
        assert_eq!(decoded.program_id().unwrap().to_string(), token.program);
        // The session address is checked under the token's own program: the same token naming
        // another program is refused, not silently re-derived.
        let mut moved = token.clone();
        moved.program = Pubkey::new_unique().to_string();
        assert_eq!(
            SessionToken::decode(&moved.encode()),
            Err(TokenError::SessionMismatch)
        );
        let mut bad = token.clone();
        bad.program = "nope".into();
        assert_eq!(
            SessionToken::decode(&bad.encode()),
            Err(TokenError::BadAddress("program"))
        );
        // A token made before the field was read: no `program` at all means the default id.
        let key = Keypair::new();
        let wallet = Pubkey::new_unique();
        let old = SessionToken::new(
            &crate::DEFAULT_PROGRAM_ID,
            &key,
            &wallet,
            "localnet",
            "",
            serde_json::Value::Null,
        );
        let mut json: serde_json::Value = serde_json::to_value(&old).unwrap();
        json.as_object_mut().unwrap().remove("program");
        let text = format!(
            "lsk1_{}",
            BASE64_URL_SAFE_NO_PAD.encode(serde_json::to_vec(&json).unwrap())
        );
        let decoded = SessionToken::decode(&text).unwrap();
        assert_eq!(decoded.program_id().unwrap(), crate::DEFAULT_PROGRAM_ID);
    }
}
