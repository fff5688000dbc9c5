//! API keys: `lk_` + base58 of 32 random bytes, shown once, stored as their SHA-256; scopes;
//! per-key rate limits (a token bucket per key).

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::store::{now, KeyRecord, Store, StoreResult};

/// The caller, once authenticated: the key's record (never the key).
#[derive(Clone, Debug)]
pub struct Caller(pub KeyRecord, pub FeePayer);

/// `Leash-Fee-Payer`: who pays a passkey wallet's transactions when the browser does, not the
/// server's signer (docs/api.md, "Passkey owners").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FeePayer(pub Option<solana_program::pubkey::Pubkey>);

/// What a key may do. `admin` may do everything, `write` also reads; `request` only files
/// session requests (docs/agents.md).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Read,
    Write,
    Admin,
    Request,
}

impl Scope {
    pub const ALL: [Scope; 4] = [Scope::Read, Scope::Write, Scope::Admin, Scope::Request];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
            Scope::Admin => "admin",
            Scope::Request => "request",
        }
    }

    pub fn parse(text: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Does holding `self` allow a route that needs `needed`?
    pub fn grants(self, needed: Scope) -> bool {
        match self {
            Scope::Admin => true,
            Scope::Write => matches!(needed, Scope::Write | Scope::Read),
            Scope::Read => needed == Scope::Read,
            Scope::Request => needed == Scope::Request,
        }
    }
}

/// Does a key with `scopes` (as stored) allow `needed`?
pub fn allows(scopes: &[String], needed: Scope) -> bool {
    scopes
        .iter()
        .filter_map(|s| Scope::parse(s))
        .any(|s| s.grants(needed))
}

/// SHA-256 of a key, hex.
pub fn hash_key(key: &str) -> String {
    Sha256::digest(key.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A new key: the text (shown once, never stored) and its record.
pub struct NewKey {
    pub key: String,
    pub record: KeyRecord,
}

/// Creates and stores a key named `name` with `scopes`.
pub fn create_key(store: &Store, name: &str, scopes: &[Scope]) -> StoreResult<NewKey> {
    let mut secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let key = format!("lk_{}", bs58::encode(secret).into_string());
    let mut id = [0u8; 8];
    rand::rngs::OsRng.fill_bytes(&mut id);
    let mut scopes: Vec<Scope> = scopes.to_vec();
    scopes.sort();
    scopes.dedup();
    let record = KeyRecord {
        id: format!(
            "key_{}",
            id.iter().map(|b| format!("{b:02x}")).collect::<String>()
        ),
        name: name.to_string(),
        prefix: key.chars().take(9).collect(),
        scopes: scopes.iter().map(|s| s.as_str().to_string()).collect(),
        created_at: now(),
        revoked_at: None,
    };
    store.insert_key(&record, &hash_key(&key))?;
    Ok(NewKey { key, record })
}

/// A name for a key: 1–64 printable characters.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.chars().count() <= 64 && !name.chars().any(char::is_control)
}

/// Requests per second and burst, per key.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateLimit {
    pub per_second: f64,
    pub burst: f64,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit {
            per_second: 20.0,
            burst: 40.0,
        }
    }
}

/// Buckets a [`Limiter`] keeps before dropping the full ones.
const MAX_BUCKETS: usize = 10_000;
/// How often, at most, a [`Limiter`] past [`MAX_BUCKETS`] looks for full buckets to drop.
const PRUNE_EVERY: Duration = Duration::from_secs(1);

/// A token bucket per key id.
pub struct Limiter {
    limit: RateLimit,
    buckets: Mutex<Buckets>,
}

struct Buckets {
    map: HashMap<String, (f64, Instant)>,
    pruned_at: Instant,
}

impl Limiter {
    pub fn new(limit: RateLimit) -> Limiter {
        Limiter {
            limit,
            buckets: Mutex::new(Buckets {
                map: HashMap::new(),
                pruned_at: Instant::now(),
            }),
        }
    }

    /// Takes one token for `key`; when there is none, how long until there is.
    pub fn take(&self, key: &str) -> Result<(), Duration> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        // Keys can be many (sign-ins count per key tried): a bucket that has refilled says
        // nothing a new one would not, so past a bound they are dropped — in one scan a second
        // at most, not one per request.
        if buckets.map.len() >= MAX_BUCKETS && now.duration_since(buckets.pruned_at) >= PRUNE_EVERY
        {
            let limit = self.limit;
            buckets.map.retain(|_, (tokens, last)| {
                *tokens + now.duration_since(*last).as_secs_f64() * limit.per_second < limit.burst
            });
            buckets.pruned_at = now;
        }
        let (tokens, last) = buckets
            .map
            .entry(key.to_string())
            .or_insert((self.limit.burst, now));
        let refill = now.duration_since(*last).as_secs_f64() * self.limit.per_second;
        *tokens = (*tokens + refill).min(self.limit.burst);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - *tokens) / self.limit.per_second.max(f64::MIN_POSITIVE);
            Err(Duration::from_secs_f64(wait.min(3600.0)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_buckets_are_dropped_past_the_bound() {
        let limiter = Limiter::new(RateLimit {
            per_second: 1.0,
            burst: 2.0,
        });
        for i in 0..MAX_BUCKETS {
            limiter.take(&format!("guess-{i}")).unwrap();
        }
        // One key drained to zero stays limited; the rest (one token left each, refilling)
        // are kept only while not full.
        limiter.take("drained").unwrap();
        limiter.take("drained").unwrap();
        assert!(limiter.take("drained").is_err());
        std::thread::sleep(Duration::from_millis(1100));
        limiter.take("one more").unwrap();
        let kept = limiter.buckets.lock().unwrap().map.len();
        assert!(kept < 10, "{kept} buckets kept");
    }

    #[test]
    fn scopes_grant_what_they_say() {
        assert!(Scope::Admin.grants(Scope::Write));
        assert!(Scope::Write.grants(Scope::Read));
        assert!(!Scope::Read.grants(Scope::Write));
        assert!(!Scope::Write.grants(Scope::Admin));
        assert!(!Scope::Request.grants(Scope::Read));
        assert!(allows(&["read".into(), "request".into()], Scope::Request));
        assert!(!allows(&["bogus".into()], Scope::Read));
    }

    #[test]
    fn keys_are_random_and_stored_hashed() {
        let store = Store::memory().unwrap();
        let a = create_key(&store, "a", &[Scope::Read]).unwrap();
        let b = create_key(&store, "b", &[Scope::Read]).unwrap();
        assert_ne!(a.key, b.key);
        assert!(a.key.starts_with("lk_") && a.key.len() > 40);
        assert_eq!(
            store.key_by_hash(&hash_key(&a.key)).unwrap(),
            Some(a.record.clone())
        );
        assert_eq!(
            store.key_by_hash(&a.key).unwrap(),
            None,
            "not stored in clear"
        );
    }

    #[test]
    fn the_bucket_empties_and_refills() {
        let limiter = Limiter::new(RateLimit {
            per_second: 1000.0,
            burst: 2.0,
        });
        assert!(limiter.take("k").is_ok());
        assert!(limiter.take("k").is_ok());
        assert!(limiter.take("k").is_err());
        assert!(limiter.take("other").is_ok());
        std::thread::sleep(Duration::from_millis(5));
        assert!(limiter.take("k").is_ok());
    }
}
