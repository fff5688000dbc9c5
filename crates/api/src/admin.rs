//! API keys and the audit log as library functions: the API's handlers
//! ([`crate::handlers::api_keys`], [`crate::handlers::audit_log`]) and the CLI's `leash api-key`
//! and `leash audit` call these, so a key is checked, made, revoked and audited one way.
//! Blocking (the store blocks): async callers run them on a blocking thread.

use std::fmt;

use solana_keypair::Keypair;
use solana_program::pubkey::Pubkey;
use solana_signer::Signer;

use crate::{
    audit::{self, AuditRow, Export, Verification},
    auth::keys::{self, NewKey, Scope},
    error::{ApiCode, ApiError},
    store::{now, KeyRecord, Store, StoreError, StoreResult},
};

/// Why an administrative operation failed.
#[derive(Debug)]
pub enum AdminError {
    /// The key name is empty, too long or has control characters.
    InvalidName,
    /// A key must have at least one scope.
    NoScopes,
    /// No live key has this id.
    KeyNotFound(String),
    /// The store failed (reading or writing).
    Store(StoreError),
}

impl fmt::Display for AdminError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AdminError::InvalidName => write!(f, "name must be 1–64 printable characters"),
            AdminError::NoScopes => write!(
                f,
                "scopes must name at least one scope (read, write, admin or request)"
            ),
            AdminError::KeyNotFound(id) => write!(f, "no live API key {id:?}"),
            AdminError::Store(e) => write!(f, "{}", e.0),
        }
    }
}

impl std::error::Error for AdminError {}

/// As the API answers it: bad input 400 naming the field, an unknown key 404, a store failure
/// 500 without its internals (the server's log has them).
impl From<AdminError> for ApiError {
    fn from(e: AdminError) -> Self {
        match e {
            AdminError::InvalidName => ApiError::invalid("name", e.to_string()),
            AdminError::NoScopes => ApiError::invalid("scopes", e.to_string()),
            AdminError::KeyNotFound(_) => ApiError::new(ApiCode::ApiKeyNotFound, e.to_string()),
            AdminError::Store(e) => {
                eprintln!("leash serve: {} {}", crate::request_id::current(), e.0);
                ApiError::internal("the key store or audit log failed")
            }
        }
    }
}

impl From<StoreError> for AdminError {
    fn from(e: StoreError) -> Self {
        AdminError::Store(e)
    }
}

pub type AdminResult<T> = Result<T, AdminError>;

/// Who did it and with which audit key: every change is audited as `actor`.
pub struct Admin<'a> {
    pub store: &'a Store,
    pub audit_key: &'a Keypair,
    /// An API key id, or the CLI command (`leash api-key`).
    pub actor: &'a str,
}

impl Admin<'_> {
    /// Makes a key named `name` with `scopes` (the secret is in the answer, shown once), and
    /// audits `api_key.create`.
    pub fn create_key(&self, name: &str, scopes: &[Scope]) -> AdminResult<NewKey> {
        if !keys::valid_name(name) {
            return Err(AdminError::InvalidName);
        }
        if scopes.is_empty() {
            return Err(AdminError::NoScopes);
        }
        let new = keys::create_key(self.store, name, scopes)?;
        self.audit(
            "api_key.create",
            &new.record.id,
            serde_json::json!({ "name": new.record.name, "scopes": new.record.scopes }),
        )?;
        Ok(new)
    }

    /// Revokes the live key `id` and audits `api_key.revoke`.
    pub fn revoke_key(&self, id: &str) -> AdminResult<()> {
        if !self.store.revoke_key(id)? {
            return Err(AdminError::KeyNotFound(id.to_string()));
        }
        self.audit("api_key.revoke", id, serde_json::json!({}))?;
        Ok(())
    }

    fn audit(&self, event: &str, key_id: &str, payload: serde_json::Value) -> AdminResult<()> {
        append_audit(
            self.store,
            self.audit_key,
            self.actor,
            event,
            &format!("api_key/{key_id}"),
            &payload,
        )?;
        Ok(())
    }
}

/// Appends one signed entry to the chain.
pub fn append_audit(
    store: &Store,
    key: &Keypair,
    actor: &str,
    event_type: &str,
    resource: &str,
    payload: &serde_json::Value,
) -> StoreResult<AuditRow> {
    store.append_audit(|seq, prev| {
        audit::make_entry(key, seq, prev, now(), actor, event_type, resource, payload)
    })
}

/// The live keys (never their secrets).
pub fn list_keys(store: &Store) -> AdminResult<Vec<KeyRecord>> {
    Ok(store.keys()?)
}

/// The whole audit log with the key that signs it: what `leash audit export` writes and
/// `leash audit verify --file` reads.
pub fn export_audit(store: &Store, audit_key: &Keypair) -> AdminResult<Export> {
    Ok(Export {
        audit_key: audit_key.pubkey().to_string(),
        entries: store.audit_all()?,
    })
}

/// A page of the audit log: from `after` (exclusive), or the newest `limit` entries.
pub fn audit_page(
    store: &Store,
    after: i64,
    limit: i64,
    newest: bool,
) -> AdminResult<Vec<AuditRow>> {
    Ok(if newest {
        store.audit_newest(limit)?
    } else {
        store.audit(after, limit)?
    })
}

/// Checks the whole stored chain against `audit_key`.
pub fn verify_audit(store: &Store, audit_key: &Pubkey) -> AdminResult<Verification> {
    Ok(audit::verify(&store.audit_all()?, audit_key))
}
