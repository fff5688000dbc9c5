//! The API's store: API keys (hashed), idempotency records and the audit log — in an embedded
//! SQLite file (`$LEASH_HOME/api/leash-api.sqlite3`, mode 0600) by default, or in PostgreSQL
//! (`--database-url postgres://…`) for several API instances sharing one store. Both run the
//! same migrations (numbered SQL in a subset both read, recorded in `schema_migrations`) and the
//! same statements (each written once per dialect below). Never holds a secret: keys are kept as
//! their SHA-256, session keys never reach this process.
//!
//! The store is blocking; async callers use it from a blocking thread.

pub use crate::audit::AuditRow;

mod live;
pub use leash_client::wire::{
    Delivery as DeliveryRow, DeliveryAttempt as AttemptRow, Webhook as WebhookRow,
};
pub use live::{new_id, EventFilter, EventRow, NewEvent};
use std::{
    path::Path,
    sync::{Mutex, MutexGuard},
};

use postgres::NoTls;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

/// Numbered migrations, applied in order.
const MIGRATIONS: &[(i64, &str)] = &[
    (
        1,
        "CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        prefix TEXT NOT NULL,
        hash TEXT NOT NULL UNIQUE,
        scopes TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        revoked_at BIGINT
    );
    CREATE TABLE idempotency (
        api_key_id TEXT NOT NULL,
        key TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        state TEXT NOT NULL,
        status BIGINT,
        content_type TEXT,
        body BYTEA,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (api_key_id, key)
    );
    CREATE TABLE audit_log (
        seq BIGINT PRIMARY KEY,
        ts BIGINT NOT NULL,
        actor TEXT NOT NULL,
        event_type TEXT NOT NULL,
        resource TEXT NOT NULL,
        payload TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        entry_hash TEXT NOT NULL,
        signature TEXT NOT NULL
    );",
    ),
    (
        2,
        "CREATE TABLE session_requests (
        id TEXT PRIMARY KEY,
        filed_by TEXT NOT NULL,
        wallet TEXT NOT NULL,
        session_key TEXT NOT NULL,
        session TEXT NOT NULL,
        policy_file TEXT NOT NULL,
        policy TEXT NOT NULL,
        reason TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        denied_at BIGINT,
        note TEXT
    );
    CREATE INDEX session_requests_by_key ON session_requests (filed_by, expires_at);
    CREATE INDEX session_requests_by_time ON session_requests (created_at);",
    ),
    (
        3,
        // The dashboard's sign-ins (docs/dashboard.md): the cookie's SHA-256, the API key it acts
        // as, and when it lapses. A revoked key ends its sign-ins (the lookup joins api_keys).
        "CREATE TABLE dashboard_sessions (
        hash TEXT PRIMARY KEY,
        api_key_id TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL
    );",
    ),
    (
        4,
        // Live events (docs/api.md, "Events"): numbered in order, one row per event however many
        // instances saw it (`dedupe`); the feed's cursor; webhooks, whose signing secrets are
        // derived from the audit key and never stored; deliveries and each attempt.
        "CREATE TABLE events (
        id BIGINT PRIMARY KEY,
        dedupe TEXT NOT NULL UNIQUE,
        event_type TEXT NOT NULL,
        wallet TEXT NOT NULL,
        session TEXT,
        signature TEXT,
        created_at BIGINT NOT NULL,
        data TEXT NOT NULL
    );
    CREATE INDEX events_by_wallet ON events (wallet, id);
    CREATE INDEX events_by_session ON events (session, id);
    CREATE TABLE feed_state (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE webhooks (
        id TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        events TEXT NOT NULL,
        wallet TEXT,
        enabled BIGINT NOT NULL,
        created_at BIGINT NOT NULL,
        created_by TEXT NOT NULL
    );
    CREATE TABLE deliveries (
        id TEXT PRIMARY KEY,
        webhook_id TEXT NOT NULL,
        event_id BIGINT NOT NULL,
        state TEXT NOT NULL,
        attempts BIGINT NOT NULL,
        next_at BIGINT NOT NULL,
        locked_until BIGINT NOT NULL,
        last_status BIGINT,
        last_error TEXT,
        created_at BIGINT NOT NULL,
        delivered_at BIGINT,
        UNIQUE (webhook_id, event_id)
    );
    CREATE INDEX deliveries_due ON deliveries (state, next_at);
    CREATE TABLE delivery_attempts (
        delivery_id TEXT NOT NULL,
        attempt BIGINT NOT NULL,
        at BIGINT NOT NULL,
        status BIGINT,
        error TEXT,
        duration_ms BIGINT NOT NULL,
        PRIMARY KEY (delivery_id, attempt)
    );",
    ),
    (
        5,
        // Names the chain does not keep: a wallet's (checked against its address, which derives
        // from sha256(name)), a session's label (docs/dashboard.md, "Names").
        "CREATE TABLE names (
        address TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        name TEXT NOT NULL
    );",
    ),
];

/// How long idempotency records are kept.
pub const IDEMPOTENCY_TTL_SECS: i64 = 24 * 3600;

/// A store failure: said without the SQL or the data.
#[derive(Debug)]
pub struct StoreError(pub String);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StoreError {}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError(format!("store: {e}"))
    }
}

impl From<postgres::Error> for StoreError {
    fn from(e: postgres::Error) -> Self {
        StoreError(format!("store (PostgreSQL): {e}"))
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// An API key as stored (never the key itself).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct KeyRecord {
    pub id: String,
    pub name: String,
    /// The key's first characters, to recognise it.
    pub prefix: String,
    pub scopes: Vec<String>,
    pub created_at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<i64>,
}

/// A session request as stored (docs/agents.md): the agent's public key, never a secret. Its
/// status is derived from this and the chain (see `routes`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestRow {
    pub id: String,
    /// The API key id that filed it.
    pub filed_by: String,
    pub wallet: String,
    pub session_key: String,
    pub session: String,
    /// The policy file as filed (JSON text).
    pub policy_file: String,
    /// Its normalized summary when filed (JSON text).
    pub policy: String,
    pub reason: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub denied_at: Option<i64>,
    pub note: Option<String>,
}

/// What filing a session request came to.
#[derive(Debug, PartialEq, Eq)]
pub enum Filing {
    Filed,
    /// The API key has its cap of open requests.
    TooMany,
    /// The session key has this open request already.
    KeyHasOpenRequest(String),
}

/// What an idempotency key holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Idempotent {
    /// First use: the caller now owns the key and must finish or release it.
    Claimed,
    /// A request with this key is running.
    InProgress { request_hash: String },
    /// Done: the stored answer.
    Done {
        request_hash: String,
        status: u16,
        content_type: String,
        body: Vec<u8>,
    },
}

enum Backend {
    Sqlite(Mutex<Connection>),
    Postgres(Mutex<postgres::Client>),
}

pub struct Store {
    backend: Backend,
    /// The SQLite file, or the PostgreSQL URL without its password.
    location: String,
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A lock whose holder panicked is still usable: every write is one transaction.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

const KEY_COLUMNS: &str = "id, name, prefix, scopes, created_at, revoked_at";
const REQUEST_COLUMNS: &str = "id, filed_by, wallet, session_key, session, policy_file, policy, reason, created_at, expires_at, denied_at, note";
const AUDIT_COLUMNS: &str =
    "seq, ts, actor, event_type, resource, payload, prev_hash, entry_hash, signature";

fn split_scopes(scopes: &str) -> Vec<String> {
    scopes
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn key_from_sqlite(r: &rusqlite::Row<'_>) -> rusqlite::Result<KeyRecord> {
    Ok(KeyRecord {
        id: r.get(0)?,
        name: r.get(1)?,
        prefix: r.get(2)?,
        scopes: split_scopes(&r.get::<_, String>(3)?),
        created_at: r.get(4)?,
        revoked_at: r.get(5)?,
    })
}

fn key_from_pg(r: &postgres::Row) -> Result<KeyRecord, postgres::Error> {
    Ok(KeyRecord {
        id: r.try_get(0)?,
        name: r.try_get(1)?,
        prefix: r.try_get(2)?,
        scopes: split_scopes(&r.try_get::<_, String>(3)?),
        created_at: r.try_get(4)?,
        revoked_at: r.try_get(5)?,
    })
}

fn request_from_sqlite(r: &rusqlite::Row<'_>) -> rusqlite::Result<RequestRow> {
    Ok(RequestRow {
        id: r.get(0)?,
        filed_by: r.get(1)?,
        wallet: r.get(2)?,
        session_key: r.get(3)?,
        session: r.get(4)?,
        policy_file: r.get(5)?,
        policy: r.get(6)?,
        reason: r.get(7)?,
        created_at: r.get(8)?,
        expires_at: r.get(9)?,
        denied_at: r.get(10)?,
        note: r.get(11)?,
    })
}

fn request_from_pg(r: &postgres::Row) -> Result<RequestRow, postgres::Error> {
    Ok(RequestRow {
        id: r.try_get(0)?,
        filed_by: r.try_get(1)?,
        wallet: r.try_get(2)?,
        session_key: r.try_get(3)?,
        session: r.try_get(4)?,
        policy_file: r.try_get(5)?,
        policy: r.try_get(6)?,
        reason: r.try_get(7)?,
        created_at: r.try_get(8)?,
        expires_at: r.try_get(9)?,
        denied_at: r.try_get(10)?,
        note: r.try_get(11)?,
    })
}

fn audit_from_sqlite(r: &rusqlite::Row<'_>) -> rusqlite::Result<AuditRow> {
    Ok(AuditRow {
        seq: r.get(0)?,
        ts: r.get(1)?,
        actor: r.get(2)?,
        event_type: r.get(3)?,
        resource: r.get(4)?,
        payload: r.get(5)?,
        prev_hash: r.get(6)?,
        entry_hash: r.get(7)?,
        signature: r.get(8)?,
    })
}

fn audit_from_pg(r: &postgres::Row) -> Result<AuditRow, postgres::Error> {
    Ok(AuditRow {
        seq: r.try_get(0)?,
        ts: r.try_get(1)?,
        actor: r.try_get(2)?,
        event_type: r.try_get(3)?,
        resource: r.try_get(4)?,
        payload: r.try_get(5)?,
        prev_hash: r.try_get(6)?,
        entry_hash: r.try_get(7)?,
        signature: r.try_get(8)?,
    })
}

/// What an idempotency row holds: (request_hash, state, status, content_type, body).
type IdemRow = (String, String, Option<i64>, Option<String>, Option<Vec<u8>>);

fn idempotent_from(row: Option<IdemRow>) -> Option<Idempotent> {
    row.map(|(request_hash, state, status, content_type, body)| {
        if state == "done" {
            Idempotent::Done {
                request_hash,
                status: status.and_then(|s| u16::try_from(s).ok()).unwrap_or(200),
                content_type: content_type.unwrap_or_default(),
                body: body.unwrap_or_default(),
            }
        } else {
            Idempotent::InProgress { request_hash }
        }
    })
}

impl Store {
    /// The store at `location`: a `postgres://` (or `postgresql://`) URL, else a SQLite file.
    pub fn connect(location: &str) -> StoreResult<Store> {
        if location.starts_with("postgres://") || location.starts_with("postgresql://") {
            Self::postgres(location)
        } else {
            Self::open(Path::new(location))
        }
    }

    /// Opens (creating, mode 0600) the SQLite file at `path` and applies the migrations.
    pub fn open(path: &Path) -> StoreResult<Store> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError(format!("cannot create {}: {e}", dir.display())))?;
        }
        if !path.exists() {
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create(true).truncate(false);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            options
                .open(path)
                .map_err(|e| StoreError(format!("cannot create {}: {e}", path.display())))?;
        }
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        let store = Store {
            backend: Backend::Sqlite(Mutex::new(conn)),
            location: path.display().to_string(),
        };
        store.migrate()?;
        Ok(store)
    }

    /// An in-memory SQLite store (tests).
    pub fn memory() -> StoreResult<Store> {
        let store = Store {
            backend: Backend::Sqlite(Mutex::new(Connection::open_in_memory()?)),
            location: ":memory:".into(),
        };
        store.migrate()?;
        Ok(store)
    }

    /// Connects to PostgreSQL at `url` (no TLS: a database on this host or a private network)
    /// and applies the migrations.
    pub fn postgres(url: &str) -> StoreResult<Store> {
        let client = postgres::Client::connect(url, NoTls).map_err(|e| {
            StoreError(format!(
                "cannot connect to PostgreSQL at {}: {e}",
                redact(url)
            ))
        })?;
        let store = Store {
            backend: Backend::Postgres(Mutex::new(client)),
            location: redact(url),
        };
        store.migrate()?;
        Ok(store)
    }

    /// Where the store is (a PostgreSQL URL without its password).
    pub fn location(&self) -> &str {
        &self.location
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.backend, Backend::Postgres(_))
    }

    fn migrate(&self) -> StoreResult<()> {
        const TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)";
        match &self.backend {
            Backend::Sqlite(conn) => {
                let mut conn = lock(conn);
                conn.execute_batch(TABLE)?;
                for (version, sql) in MIGRATIONS {
                    let tx =
                        conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                    let applied: Option<i64> = tx
                        .query_row(
                            "SELECT version FROM schema_migrations WHERE version = ?1",
                            [version],
                            |r| r.get(0),
                        )
                        .optional()?;
                    if applied.is_none() {
                        tx.execute_batch(sql)?;
                        tx.execute(
                            "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
                            params![version, now()],
                        )?;
                    }
                    tx.commit()?;
                }
            }
            Backend::Postgres(client) => {
                let mut client = lock(client);
                let mut tx = client.transaction()?;
                // One migrator at a time across instances starting together.
                tx.execute("SELECT pg_advisory_xact_lock(7260318)", &[])?;
                tx.batch_execute(TABLE)?;
                for (version, sql) in MIGRATIONS {
                    let applied = tx
                        .query_opt(
                            "SELECT version FROM schema_migrations WHERE version = $1",
                            &[version],
                        )?
                        .is_some();
                    if !applied {
                        tx.batch_execute(sql)?;
                        tx.execute(
                            "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
                            &[version, &now()],
                        )?;
                    }
                }
                tx.commit()?;
            }
        }
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // API keys.

    pub fn key_count(&self) -> StoreResult<i64> {
        const SQL: &str = "SELECT COUNT(*) FROM api_keys";
        Ok(match &self.backend {
            Backend::Sqlite(c) => lock(c).query_row(SQL, [], |r| r.get(0))?,
            Backend::Postgres(c) => lock(c).query_one(SQL, &[])?.try_get(0)?,
        })
    }

    pub fn insert_key(&self, record: &KeyRecord, hash: &str) -> StoreResult<()> {
        let scopes = record.scopes.join(",");
        match &self.backend {
            Backend::Sqlite(c) => {
                lock(c).execute(
                    "INSERT INTO api_keys (id, name, prefix, hash, scopes, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![record.id, record.name, record.prefix, hash, scopes, record.created_at],
                )?;
            }
            Backend::Postgres(c) => {
                lock(c).execute(
                    "INSERT INTO api_keys (id, name, prefix, hash, scopes, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
                    &[&record.id, &record.name, &record.prefix, &hash, &scopes, &record.created_at],
                )?;
            }
        }
        Ok(())
    }

    /// The live (not revoked) key whose hash is `hash`.
    pub fn key_by_hash(&self, hash: &str) -> StoreResult<Option<KeyRecord>> {
        Ok(match &self.backend {
            Backend::Sqlite(c) => lock(c)
                .query_row(
                    &format!(
                        "SELECT {KEY_COLUMNS} FROM api_keys WHERE hash = ?1 AND revoked_at IS NULL"
                    ),
                    [hash],
                    key_from_sqlite,
                )
                .optional()?,
            Backend::Postgres(c) => lock(c)
                .query_opt(
                    &format!(
                        "SELECT {KEY_COLUMNS} FROM api_keys WHERE hash = $1 AND revoked_at IS NULL"
                    ),
                    &[&hash],
                )?
                .as_ref()
                .map(key_from_pg)
                .transpose()?,
        })
    }

    pub fn keys(&self) -> StoreResult<Vec<KeyRecord>> {
        let sql = format!("SELECT {KEY_COLUMNS} FROM api_keys ORDER BY created_at, id");
        Ok(match &self.backend {
            Backend::Sqlite(c) => {
                let conn = lock(c);
                let mut stmt = conn.prepare(&sql)?;
                let rows = stmt.query_map([], key_from_sqlite)?;
                rows.collect::<Result<_, _>>()?
            }
            Backend::Postgres(c) => lock(c)
                .query(&sql, &[])?
                .iter()
                .map(key_from_pg)
                .collect::<Result<_, _>>()?,
        })
    }

    /// Revokes a key; `false` if there is no live key `id`.
    pub fn revoke_key(&self, id: &str) -> StoreResult<bool> {
        let n = match &self.backend {
            Backend::Sqlite(c) => lock(c).execute(
                "UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                params![id, now()],
            )? as u64,
            Backend::Postgres(c) => lock(c).execute(
                "UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
                &[&id, &now()],
            )?,
        };
        Ok(n == 1)
    }

    // -----------------------------------------------------------------------------------------
    // Idempotency.

    /// Claims `key` for `request_hash`, or says what it holds. Records older than the TTL are
    /// forgotten first. The claim is an insert that only one of racing requests — on this
    /// instance or another sharing the store — can make.
    pub fn claim_idempotency(
        &self,
        api_key_id: &str,
        key: &str,
        request_hash: &str,
    ) -> StoreResult<Idempotent> {
        let expired = now() - IDEMPOTENCY_TTL_SECS;
        match &self.backend {
            Backend::Sqlite(c) => {
                let mut conn = lock(c);
                let tx =
                    conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                tx.execute("DELETE FROM idempotency WHERE created_at < ?1", [expired])?;
                let inserted = tx.execute(
                    "INSERT INTO idempotency (api_key_id, key, request_hash, state, created_at) VALUES (?1, ?2, ?3, 'running', ?4) ON CONFLICT DO NOTHING",
                    params![api_key_id, key, request_hash, now()],
                )?;
                let existing = if inserted == 1 {
                    None
                } else {
                    tx.query_row(
                        "SELECT request_hash, state, status, content_type, body FROM idempotency WHERE api_key_id = ?1 AND key = ?2",
                        params![api_key_id, key],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
                    )
                    .optional()?
                };
                tx.commit()?;
                Ok(idempotent_from(existing).unwrap_or(Idempotent::Claimed))
            }
            Backend::Postgres(c) => {
                let mut client = lock(c);
                let mut tx = client.transaction()?;
                tx.execute("DELETE FROM idempotency WHERE created_at < $1", &[&expired])?;
                let inserted = tx.execute(
                    "INSERT INTO idempotency (api_key_id, key, request_hash, state, created_at) VALUES ($1, $2, $3, 'running', $4) ON CONFLICT DO NOTHING",
                    &[&api_key_id, &key, &request_hash, &now()],
                )?;
                let existing = if inserted == 1 {
                    None
                } else {
                    tx.query_opt(
                        "SELECT request_hash, state, status, content_type, body FROM idempotency WHERE api_key_id = $1 AND key = $2",
                        &[&api_key_id, &key],
                    )?
                    .map(|r| -> Result<IdemRow, postgres::Error> {
                        Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?, r.try_get(4)?))
                    })
                    .transpose()?
                };
                tx.commit()?;
                Ok(idempotent_from(existing).unwrap_or(Idempotent::Claimed))
            }
        }
    }

    /// Forgets idempotency records older than the TTL (also done on every claim); how many.
    pub fn purge_expired_idempotency(&self) -> StoreResult<u64> {
        let expired = now() - IDEMPOTENCY_TTL_SECS;
        match &self.backend {
            Backend::Sqlite(c) => Ok(lock(c)
                .execute("DELETE FROM idempotency WHERE created_at < ?1", [expired])?
                as u64),
            Backend::Postgres(c) => Ok(
                lock(c).execute("DELETE FROM idempotency WHERE created_at < $1", &[&expired])?
            ),
        }
    }

    /// Records the answer to a claimed key.
    pub fn finish_idempotency(
        &self,
        api_key_id: &str,
        key: &str,
        status: u16,
        content_type: &str,
        body: &[u8],
    ) -> StoreResult<()> {
        let status = i64::from(status);
        match &self.backend {
            Backend::Sqlite(c) => {
                lock(c).execute(
                    "UPDATE idempotency SET state = 'done', status = ?3, content_type = ?4, body = ?5 WHERE api_key_id = ?1 AND key = ?2",
                    params![api_key_id, key, status, content_type, body],
                )?;
            }
            Backend::Postgres(c) => {
                lock(c).execute(
                    "UPDATE idempotency SET state = 'done', status = $3, content_type = $4, body = $5 WHERE api_key_id = $1 AND key = $2",
                    &[&api_key_id, &key, &status, &content_type, &body],
                )?;
            }
        }
        Ok(())
    }

    /// Forgets a claimed key (the request failed on the server's side: it may be retried).
    pub fn release_idempotency(&self, api_key_id: &str, key: &str) -> StoreResult<()> {
        match &self.backend {
            Backend::Sqlite(c) => {
                lock(c).execute(
                    "DELETE FROM idempotency WHERE api_key_id = ?1 AND key = ?2 AND state = 'running'",
                    params![api_key_id, key],
                )?;
            }
            Backend::Postgres(c) => {
                lock(c).execute(
                    "DELETE FROM idempotency WHERE api_key_id = $1 AND key = $2 AND state = 'running'",
                    &[&api_key_id, &key],
                )?;
            }
        }
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // Session requests.

    /// Files `row`, unless `filed_by` already has `cap` requests neither denied nor past their
    /// deadline (`Ok(false)`). Counted and inserted in one transaction, so racing requests of
    /// one key cannot pass the cap together (across instances too).
    /// Files `row` unless its API key already has `cap` open requests, or its session key has
    /// an open request already (open: neither denied nor expired; one with a session on chain
    /// is refused before this). The checks and the insert are one step.
    pub fn insert_request(&self, row: &RequestRow, cap: i64) -> StoreResult<Filing> {
        let now = now();
        match &self.backend {
            Backend::Sqlite(c) => {
                let mut conn = lock(c);
                let tx =
                    conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                let same_key: Option<String> = tx
                    .query_row(
                        "SELECT id FROM session_requests WHERE session_key = ?1 AND denied_at IS NULL AND expires_at > ?2",
                        params![row.session_key, now],
                        |r| r.get(0),
                    )
                    .optional()?;
                if let Some(id) = same_key {
                    return Ok(Filing::KeyHasOpenRequest(id));
                }
                let open: i64 = tx.query_row(
                    "SELECT COUNT(*) FROM session_requests WHERE filed_by = ?1 AND denied_at IS NULL AND expires_at > ?2",
                    params![row.filed_by, now],
                    |r| r.get(0),
                )?;
                if open >= cap {
                    return Ok(Filing::TooMany);
                }
                tx.execute(
                    &format!("INSERT INTO session_requests ({REQUEST_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"),
                    params![row.id, row.filed_by, row.wallet, row.session_key, row.session, row.policy_file, row.policy, row.reason, row.created_at, row.expires_at, row.denied_at, row.note],
                )?;
                tx.commit()?;
            }
            Backend::Postgres(c) => {
                let mut client = lock(c);
                let mut tx = client.transaction()?;
                // One filer at a time per API key, then per session key (always in this order,
                // so two filings never wait on each other in a cycle).
                tx.execute(
                    "SELECT pg_advisory_xact_lock(7260319, hashtext($1))",
                    &[&row.filed_by],
                )?;
                tx.execute(
                    "SELECT pg_advisory_xact_lock(7260320, hashtext($1))",
                    &[&row.session_key],
                )?;
                let same_key = tx
                    .query_opt(
                        "SELECT id FROM session_requests WHERE session_key = $1 AND denied_at IS NULL AND expires_at > $2",
                        &[&row.session_key, &now],
                    )?
                    .map(|r| r.try_get::<_, String>(0))
                    .transpose()?;
                if let Some(id) = same_key {
                    return Ok(Filing::KeyHasOpenRequest(id));
                }
                let open: i64 = tx
                    .query_one(
                        "SELECT COUNT(*) FROM session_requests WHERE filed_by = $1 AND denied_at IS NULL AND expires_at > $2",
                        &[&row.filed_by, &now],
                    )?
                    .try_get(0)?;
                if open >= cap {
                    return Ok(Filing::TooMany);
                }
                tx.execute(
                    &format!("INSERT INTO session_requests ({REQUEST_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"),
                    &[&row.id, &row.filed_by, &row.wallet, &row.session_key, &row.session, &row.policy_file, &row.policy, &row.reason, &row.created_at, &row.expires_at, &row.denied_at, &row.note],
                )?;
                tx.commit()?;
            }
        }
        Ok(Filing::Filed)
    }

    pub fn request(&self, id: &str) -> StoreResult<Option<RequestRow>> {
        Ok(match &self.backend {
            Backend::Sqlite(c) => lock(c)
                .query_row(
                    &format!("SELECT {REQUEST_COLUMNS} FROM session_requests WHERE id = ?1"),
                    [id],
                    request_from_sqlite,
                )
                .optional()?,
            Backend::Postgres(c) => lock(c)
                .query_opt(
                    &format!("SELECT {REQUEST_COLUMNS} FROM session_requests WHERE id = $1"),
                    &[&id],
                )?
                .as_ref()
                .map(request_from_pg)
                .transpose()?,
        })
    }

    /// The newest `limit` requests, newest first.
    pub fn requests(&self, limit: i64) -> StoreResult<Vec<RequestRow>> {
        Ok(match &self.backend {
            Backend::Sqlite(c) => {
                let conn = lock(c);
                let mut stmt = conn.prepare(&format!(
                    "SELECT {REQUEST_COLUMNS} FROM session_requests ORDER BY created_at DESC, id DESC LIMIT ?1"
                ))?;
                let rows = stmt.query_map([limit], request_from_sqlite)?;
                rows.collect::<Result<_, _>>()?
            }
            Backend::Postgres(c) => lock(c)
                .query(
                    &format!("SELECT {REQUEST_COLUMNS} FROM session_requests ORDER BY created_at DESC, id DESC LIMIT $1"),
                    &[&limit],
                )?
                .iter()
                .map(request_from_pg)
                .collect::<Result<_, _>>()?,
        })
    }

    /// Marks request `id` denied with `note`; `false` if it is already denied (or unknown).
    /// The newest request, not denied, for `session` (its approval is the session's creation).
    pub fn request_for_session(&self, session: &str) -> StoreResult<Option<RequestRow>> {
        Ok(match &self.backend {
            Backend::Sqlite(c) => lock(c)
                .query_row(
                    &format!("SELECT {REQUEST_COLUMNS} FROM session_requests WHERE session = ?1 AND denied_at IS NULL ORDER BY created_at DESC LIMIT 1"),
                    [session],
                    request_from_sqlite,
                )
                .optional()?,
            Backend::Postgres(c) => lock(c)
                .query_opt(
                    &format!("SELECT {REQUEST_COLUMNS} FROM session_requests WHERE session = $1 AND denied_at IS NULL ORDER BY created_at DESC LIMIT 1"),
                    &[&session],
                )?
                .map(|r| request_from_pg(&r))
                .transpose()?,
        })
    }

    pub fn deny_request(&self, id: &str, note: Option<&str>) -> StoreResult<bool> {
        let n = match &self.backend {
            Backend::Sqlite(c) => lock(c).execute(
                "UPDATE session_requests SET denied_at = ?2, note = ?3 WHERE id = ?1 AND denied_at IS NULL",
                params![id, now(), note],
            )? as u64,
            Backend::Postgres(c) => lock(c).execute(
                "UPDATE session_requests SET denied_at = $2, note = $3 WHERE id = $1 AND denied_at IS NULL",
                &[&id, &now(), &note],
            )?,
        };
        Ok(n == 1)
    }

    // -----------------------------------------------------------------------------------------
    // Dashboard sign-ins.

    /// Records a sign-in: the cookie's hash acts as `api_key_id` until `expires_at`. Lapsed
    /// sign-ins are dropped on the way.
    pub fn insert_dashboard_session(
        &self,
        hash: &str,
        api_key_id: &str,
        expires_at: i64,
    ) -> StoreResult<()> {
        let now = now();
        match &self.backend {
            Backend::Sqlite(c) => {
                let conn = lock(c);
                conn.execute(
                    "DELETE FROM dashboard_sessions WHERE expires_at <= ?1",
                    [now],
                )?;
                conn.execute(
                    "INSERT INTO dashboard_sessions (hash, api_key_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
                    params![hash, api_key_id, now, expires_at],
                )?;
            }
            Backend::Postgres(c) => {
                let mut client = lock(c);
                client.execute(
                    "DELETE FROM dashboard_sessions WHERE expires_at <= $1",
                    &[&now],
                )?;
                client.execute(
                    "INSERT INTO dashboard_sessions (hash, api_key_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
                    &[&hash, &api_key_id, &now, &expires_at],
                )?;
            }
        }
        Ok(())
    }

    /// The live key a live sign-in acts as.
    pub fn dashboard_key(&self, hash: &str) -> StoreResult<Option<KeyRecord>> {
        let columns = KEY_COLUMNS
            .split(", ")
            .map(|c| format!("k.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let now = now();
        Ok(match &self.backend {
            Backend::Sqlite(c) => lock(c)
                .query_row(
                    &format!("SELECT {columns} FROM dashboard_sessions d JOIN api_keys k ON k.id = d.api_key_id WHERE d.hash = ?1 AND d.expires_at > ?2 AND k.revoked_at IS NULL"),
                    params![hash, now],
                    key_from_sqlite,
                )
                .optional()?,
            Backend::Postgres(c) => lock(c)
                .query_opt(
                    &format!("SELECT {columns} FROM dashboard_sessions d JOIN api_keys k ON k.id = d.api_key_id WHERE d.hash = $1 AND d.expires_at > $2 AND k.revoked_at IS NULL"),
                    &[&hash, &now],
                )?
                .as_ref()
                .map(key_from_pg)
                .transpose()?,
        })
    }

    /// Ends a sign-in; `false` if there was none.
    pub fn delete_dashboard_session(&self, hash: &str) -> StoreResult<bool> {
        let n = match &self.backend {
            Backend::Sqlite(c) => {
                lock(c).execute("DELETE FROM dashboard_sessions WHERE hash = ?1", [hash])? as u64
            }
            Backend::Postgres(c) => {
                lock(c).execute("DELETE FROM dashboard_sessions WHERE hash = $1", &[&hash])?
            }
        };
        Ok(n == 1)
    }

    // -----------------------------------------------------------------------------------------
    // Audit log.

    /// Appends an entry computed by `make` from the previous entry's hash and the next seq,
    /// in one transaction holding the log (the chain cannot fork, across instances too).
    pub fn append_audit(&self, make: impl FnOnce(i64, &str) -> AuditRow) -> StoreResult<AuditRow> {
        fn next(last: Option<(i64, String)>) -> (i64, String) {
            match last {
                Some((seq, hash)) => (seq + 1, hash),
                None => (1, crate::audit::GENESIS.to_string()),
            }
        }
        match &self.backend {
            Backend::Sqlite(c) => {
                let mut conn = lock(c);
                let tx =
                    conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                let last = tx
                    .query_row(
                        "SELECT seq, entry_hash FROM audit_log ORDER BY seq DESC LIMIT 1",
                        [],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()?;
                let (seq, prev) = next(last);
                let row = make(seq, &prev);
                tx.execute(
                    &format!("INSERT INTO audit_log ({AUDIT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
                    params![row.seq, row.ts, row.actor, row.event_type, row.resource, row.payload, row.prev_hash, row.entry_hash, row.signature],
                )?;
                tx.commit()?;
                Ok(row)
            }
            Backend::Postgres(c) => {
                let mut client = lock(c);
                let mut tx = client.transaction()?;
                tx.batch_execute("LOCK TABLE audit_log IN EXCLUSIVE MODE")?;
                let last = tx
                    .query_opt(
                        "SELECT seq, entry_hash FROM audit_log ORDER BY seq DESC LIMIT 1",
                        &[],
                    )?
                    .map(|r| -> Result<(i64, String), postgres::Error> {
                        Ok((r.try_get(0)?, r.try_get(1)?))
                    })
                    .transpose()?;
                let (seq, prev) = next(last);
                let row = make(seq, &prev);
                tx.execute(
                    &format!("INSERT INTO audit_log ({AUDIT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"),
                    &[&row.seq, &row.ts, &row.actor, &row.event_type, &row.resource, &row.payload, &row.prev_hash, &row.entry_hash, &row.signature],
                )?;
                tx.commit()?;
                Ok(row)
            }
        }
    }

    /// Entries with `seq > after`, at most `limit`, in order.
    pub fn audit(&self, after: i64, limit: i64) -> StoreResult<Vec<AuditRow>> {
        Ok(match &self.backend {
            Backend::Sqlite(c) => {
                let conn = lock(c);
                let mut stmt = conn.prepare(&format!(
                    "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE seq > ?1 ORDER BY seq LIMIT ?2"
                ))?;
                let rows = stmt.query_map(params![after, limit], audit_from_sqlite)?;
                rows.collect::<Result<_, _>>()?
            }
            Backend::Postgres(c) => lock(c)
                .query(
                    &format!("SELECT {AUDIT_COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2"),
                    &[&after, &limit],
                )?
                .iter()
                .map(audit_from_pg)
                .collect::<Result<_, _>>()?,
        })
    }

    /// The newest `limit` entries, oldest first (the dashboard's view of a long log).
    pub fn audit_newest(&self, limit: i64) -> StoreResult<Vec<AuditRow>> {
        let sql = format!(
            "SELECT {AUDIT_COLUMNS} FROM (SELECT {AUDIT_COLUMNS} FROM audit_log ORDER BY seq DESC LIMIT {{}}) AS newest ORDER BY seq"
        );
        Ok(match &self.backend {
            Backend::Sqlite(c) => {
                let conn = lock(c);
                let mut stmt = conn.prepare(&sql.replace("{}", "?1"))?;
                let rows = stmt.query_map(params![limit], audit_from_sqlite)?;
                rows.collect::<Result<_, _>>()?
            }
            Backend::Postgres(c) => lock(c)
                .query(&sql.replace("{}", "$1"), &[&limit])?
                .iter()
                .map(audit_from_pg)
                .collect::<Result<_, _>>()?,
        })
    }

    /// Every entry, in order.
    pub fn audit_all(&self) -> StoreResult<Vec<AuditRow>> {
        self.audit(0, i64::MAX)
    }

    /// Runs raw SQL (tests: tampering with the log as an attacker with access to the store
    /// would).
    #[doc(hidden)]
    pub fn execute_raw(&self, sql: &str) -> StoreResult<u64> {
        Ok(match &self.backend {
            Backend::Sqlite(c) => lock(c).execute(sql, [])? as u64,
            Backend::Postgres(c) => lock(c).execute(sql, &[])?,
        })
    }
}

/// A PostgreSQL URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_apply_once_and_keys_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("api/store.sqlite3");
        let record = KeyRecord {
            id: "key_1".into(),
            name: "ci".into(),
            prefix: "lk_abc".into(),
            scopes: vec!["read".into(), "write".into()],
            created_at: 1,
            revoked_at: None,
        };
        {
            let store = Store::open(&path).unwrap();
            store.insert_key(&record, "h1").unwrap();
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store.key_by_hash("h1").unwrap(), Some(record.clone()));
        assert_eq!(store.keys().unwrap(), vec![record]);
        assert!(store.revoke_key("key_1").unwrap());
        assert!(!store.revoke_key("key_1").unwrap());
        assert_eq!(store.key_by_hash("h1").unwrap(), None);
    }

    #[test]
    fn an_idempotency_key_is_claimed_once() {
        let store = Store::memory().unwrap();
        assert_eq!(
            store.claim_idempotency("k", "abc", "h").unwrap(),
            Idempotent::Claimed
        );
        assert_eq!(
            store.claim_idempotency("k", "abc", "h").unwrap(),
            Idempotent::InProgress {
                request_hash: "h".into()
            }
        );
        // Another API key has its own namespace.
        assert_eq!(
            store.claim_idempotency("k2", "abc", "h").unwrap(),
            Idempotent::Claimed
        );
        store
            .finish_idempotency("k", "abc", 201, "application/json", b"{}")
            .unwrap();
        assert!(matches!(
            store.claim_idempotency("k", "abc", "h").unwrap(),
            Idempotent::Done { status: 201, .. }
        ));
        store.release_idempotency("k2", "abc").unwrap();
        assert_eq!(
            store.claim_idempotency("k2", "abc", "h").unwrap(),
            Idempotent::Claimed
        );
    }

    #[test]
    fn the_purge_forgets_only_expired_idempotency_records() {
        let store = Store::memory().unwrap();
        store.claim_idempotency("k", "fresh", "h").unwrap();
        store.claim_idempotency("k", "old", "h").unwrap();
        let long_ago = now() - IDEMPOTENCY_TTL_SECS - 1;
        store
            .execute_raw(&format!(
                "UPDATE idempotency SET created_at = {long_ago} WHERE key = 'old'"
            ))
            .unwrap();
        assert_eq!(store.purge_expired_idempotency().unwrap(), 1);
        assert_eq!(store.purge_expired_idempotency().unwrap(), 0);
        assert!(matches!(
            store.claim_idempotency("k", "fresh", "h").unwrap(),
            Idempotent::InProgress { .. }
        ));
        assert_eq!(
            store.claim_idempotency("k", "old", "h").unwrap(),
            Idempotent::Claimed
        );
    }
}
