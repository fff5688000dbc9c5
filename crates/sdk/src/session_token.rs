//! The session token a holder imports: `lsk1_` + base64url (no padding) of UTF-8 JSON
//! (docs/cli.md, "Session token"). The prefix makes it recognisable to secret scanners. It carries the session
//! key's secret, so it never appears in `Debug` output or in any error.

use std::{fmt, sync::Arc};

use base64::{prelude::BASE64_URL_SAFE_NO_PAD, Engine};
use serde::{Deserialize, Serialize};
use solana_keypair::Keypair;
use solana_program::pubkey::Pubkey;
use solana_signer::Signer;

/// Every token starts with this.
pub const TOKEN_PREFIX: &str = "lsk1_";

/// A session token, parsed: keys and addresses typed, checked once by [`SessionToken::decode`]
/// (the session address is the PDA of its wallet and key under its program). Holders read it;
/// it never carries anything a holder must parse again.
#[derive(Clone)]
pub struct SessionToken {
    /// The session key (shared: a token is cloned across tasks; the secret is copied nowhere).
    key: Arc<Keypair>,
    pub wallet: Pubkey,
    pub session: Pubkey,
    /// The program the session lives under: authoritative for the holder (docs/deploy.md).
    pub program: Pubkey,
    /// RPC URL or `localnet` / `devnet` / `mainnet`.
    pub cluster: String,
    pub label: String,
    /// A human-readable snapshot of the policy when the token was made (the chain is
    /// authoritative).
    pub policy: serde_json::Value,
}

/// The token's JSON, as written (docs/cli.md, "Session token"): field order and names are the
/// format. The dashboard's `keys.js` writes the same bytes; `testdata/session_token_v1.json`
/// holds the vector both are tested against.
#[derive(Serialize, Deserialize)]
struct TokenJson {
    v: u32,
    /// base58 of the 64-byte session keypair.
    secret: String,
    wallet: String,
    session: String,
    /// Tokens made before it was read may lack it: empty means [`crate::DEFAULT_PROGRAM_ID`].
    #[serde(default)]
    program: String,
    cluster: String,
    #[serde(default)]
    label: String,
    #[serde(default)]
    policy: serde_json::Value,
}

impl PartialEq for SessionToken {
    fn eq(&self, other: &Self) -> bool {
        self.key.to_bytes() == other.key.to_bytes()
            && self.wallet == other.wallet
            && self.session == other.session
            && self.program == other.program
            && self.cluster == other.cluster
            && self.label == other.label
            && self.policy == other.policy
    }
}

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionToken")
            .field("session_key", &self.key.pubkey())
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
            key: Arc::new(key.insecure_clone()),
            wallet: *wallet,
            session,
            program: *program_id,
            cluster: cluster.to_string(),
            label: label.to_string(),
            policy,
        }
    }

    /// The `lsk1_…` text.
    pub fn encode(&self) -> String {
        let json = TokenJson {
            v: 1,
            secret: self.secret_text(),
            wallet: self.wallet.to_string(),
            session: self.session.to_string(),
            program: self.program.to_string(),
            cluster: self.cluster.clone(),
            label: self.label.clone(),
            policy: self.policy.clone(),
        };
        let bytes = serde_json::to_vec(&json).unwrap_or_default();
        format!("{TOKEN_PREFIX}{}", BASE64_URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Parses and checks a token: prefix, encoding, version, key, addresses, and that the session
    /// address is the PDA of its wallet and key under its program.
    pub fn decode(text: &str) -> Result<SessionToken, TokenError> {
        let body = text
            .trim()
            .strip_prefix(TOKEN_PREFIX)
            .ok_or(TokenError::MissingPrefix)?;
        let json = BASE64_URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| TokenError::NotBase64)?;
        // serde's message could quote input; keep only its category.
        let raw: TokenJson = serde_json::from_slice(&json).map_err(|e| {
            TokenError::NotJson(match e.classify() {
                serde_json::error::Category::Data => {
                    "a field is missing or has the wrong type".into()
                }
                _ => "not JSON".into(),
            })
        })?;
        if raw.v != 1 {
            return Err(TokenError::UnsupportedVersion(raw.v));
        }
        let bytes = bs58::decode(&raw.secret)
            .into_vec()
            .map_err(|_| TokenError::BadSecret)?;
        let key = Keypair::try_from(bytes.as_slice()).map_err(|_| TokenError::BadSecret)?;
        let address = |text: &str, field| text.parse().map_err(|_| TokenError::BadAddress(field));
        let wallet: Pubkey = address(&raw.wallet, "wallet")?;
        let session: Pubkey = address(&raw.session, "session")?;
        let program = if raw.program.is_empty() {
            crate::DEFAULT_PROGRAM_ID
        } else {
            address(&raw.program, "program")?
        };
        if leash_program::state::session_address(&wallet, &key.pubkey(), &program).0 != session {
            return Err(TokenError::SessionMismatch);
        }
        Ok(SessionToken {
            key: Arc::new(key),
            wallet,
            session,
            program,
            cluster: raw.cluster,
            label: raw.label,
            policy: raw.policy,
        })
    }

    /// The session key, to sign with.
    pub fn keypair(&self) -> &Keypair {
        &self.key
    }

    /// The session key's public half.
    pub fn session_key(&self) -> Pubkey {
        self.key.pubkey()
    }

    /// The secret as the token writes it (base58): for checking that no output contains it.
    pub fn secret_text(&self) -> String {
        bs58::encode(self.key.to_bytes()).into_string()
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

    /// The token's JSON with `edit` applied, encoded again.
    fn edited(token: &SessionToken, edit: &dyn Fn(&mut serde_json::Value)) -> String {
        let body = token.encode();
        let bytes = BASE64_URL_SAFE_NO_PAD
            .decode(body.strip_prefix(TOKEN_PREFIX).unwrap())
            .unwrap();
        let mut json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        edit(&mut json);
        format!(
            "{TOKEN_PREFIX}{}",
            BASE64_URL_SAFE_NO_PAD.encode(serde_json::to_vec(&json).unwrap())
        )
    }

    #[test]
    fn round_trips_and_checks() {
        let (key, token) = token();
        let text = token.encode();
        assert!(text.starts_with("lsk1_"));
        assert!(!text.contains('=') && !text.contains('+') && !text.contains('/'));
        let decoded = SessionToken::decode(&text).unwrap();
        assert_eq!(decoded, token);
        assert_eq!(decoded.session_key(), key.pubkey());
        assert_eq!(decoded.keypair().pubkey(), key.pubkey());
        assert_eq!(SessionToken::decode(&format!("  {text}\n")).unwrap(), token);
    }

    /// The fixed vector the dashboard's `keys.js` is tested against too
    /// (crates/cli/tests/dashboard/keys.test.mjs): the same inputs make the same bytes.
    #[test]
    fn the_shared_test_vector_encodes_and_decodes() {
        let vector: serde_json::Value =
            serde_json::from_str(include_str!("../testdata/session_token_v1.json")).unwrap();
        let text = |field: &str| vector[field].as_str().unwrap().to_string();
        let secret = bs58::decode(text("secret")).into_vec().unwrap();
        let key = Keypair::try_from(secret.as_slice()).unwrap();
        let token = SessionToken::new(
            &text("program").parse().unwrap(),
            &key,
            &text("wallet").parse().unwrap(),
            &text("cluster"),
            &text("label"),
            vector["policy"].clone(),
        );
        assert_eq!(token.session.to_string(), text("session"));
        assert_eq!(token.encode(), text("token"));
        assert_eq!(SessionToken::decode(&text("token")).unwrap(), token);
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
        let wrong =
            |edit: &dyn Fn(&mut serde_json::Value)| SessionToken::decode(&edited(&token, edit));
        assert_eq!(
            wrong(&|t| t["v"] = 2.into()),
            Err(TokenError::UnsupportedVersion(2))
        );
        assert_eq!(
            wrong(&|t| t["secret"] = "abc".into()),
            Err(TokenError::BadSecret)
        );
        assert_eq!(
            wrong(&|t| t["wallet"] = "nope".into()),
            Err(TokenError::BadAddress("wallet"))
        );
        assert_eq!(
            wrong(&|t| t["session"] = Pubkey::new_unique().to_string().into()),
            Err(TokenError::SessionMismatch)
        );
        let json_only = format!("lsk1_{}", BASE64_URL_SAFE_NO_PAD.encode(b"{\"v\":1}"));
        let err = SessionToken::decode(&json_only).unwrap_err();
        assert!(matches!(err, TokenError::NotJson(_)));
        // Neither Debug nor any error shows the secret.
        let secret = token.secret_text();
        assert!(!format!("{token:?}").contains(&secret));
        for e in [TokenError::BadSecret, TokenError::NotBase64, err] {
            assert!(!e.to_string().contains(&secret));
        }
    }

    #[test]
    fn the_program_field_is_authoritative_and_older_tokens_mean_the_default() {
        let (_, token) = token();
        let decoded = SessionToken::decode(&token.encode()).unwrap();
        assert_eq!(decoded.program, token.program);
        // The session address is checked under the token's own program: the same token naming
        // another program is refused, not silently re-derived.
        assert_eq!(
            SessionToken::decode(&edited(&token, &|t| {
                t["program"] = Pubkey::new_unique().to_string().into()
            })),
            Err(TokenError::SessionMismatch)
        );
        assert_eq!(
            SessionToken::decode(&edited(&token, &|t| t["program"] = "nope".into())),
            Err(TokenError::BadAddress("program"))
        );
        // A token made before the field was read: no `program` at all means the default id.
        let old = SessionToken::new(
            &crate::DEFAULT_PROGRAM_ID,
            &Keypair::new(),
            &Pubkey::new_unique(),
            "localnet",
            "",
            serde_json::Value::Null,
        );
        let text = edited(&old, &|t| {
            t.as_object_mut().unwrap().remove("program");
        });
        assert_eq!(
            SessionToken::decode(&text).unwrap().program,
            crate::DEFAULT_PROGRAM_ID
        );
    }
}
