//! The API's store: API keys (hashed), idempotency records and the audit log, in an embedded
//! SQLite file (`$LEASH_HOME/api/leash-api.sqlite3`, mode 0600). Migrations are numbered SQL,
//! applied once each and recorded in `schema_migrations`. Never holds a secret: keys are kept as
//! their SHA-256, session keys never reach this process.

use std::{
    path::{Path, PathBuf},
    sync::{Mutex, MutexGuard},
};

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

/// Numbered migrations, applied in order.
const MIGRATIONS: &[(i64, &str)] = &[(
    1,
    "CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        prefix TEXT NOT NULL,
        hash TEXT NOT NULL UNIQUE,
        scopes TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        revoked_at INTEGER
    );
    CREATE TABLE idempotency (
        api_key_id TEXT NOT NULL,
        key TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        state TEXT NOT NULL,
        status INTEGER,
        content_type TEXT,
        body BLOB,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (api_key_id, key)
    );
    CREATE TABLE audit_log (
        seq INTEGER PRIMARY KEY,
        ts INTEGER NOT NULL,
        actor TEXT NOT NULL,
        event_type TEXT NOT NULL,
        resource TEXT NOT NULL,
        payload TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        entry_hash TEXT NOT NULL,
        signature TEXT NOT NULL
    );",
)];

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

pub type StoreResult<T> = Result<T, StoreError>;

/// An API key as stored (never the key itself).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
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

/// A stored audit entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct AuditRow {
    pub seq: i64,
    pub ts: i64,
    pub actor: String,
    pub event_type: String,
    pub resource: String,
    /// Canonical JSON text.
    pub payload: String,
    pub prev_hash: String,
    pub entry_hash: String,
    pub signature: String,
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

pub struct Store {
    conn: Mutex<Connection>,
    path: Option<PathBuf>,
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

impl Store {
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
            conn: Mutex::new(conn),
            path: Some(path.to_path_buf()),
        };
        store.migrate()?;
        Ok(store)
    }

    /// An in-memory store (tests).
    pub fn memory() -> StoreResult<Store> {
        let store = Store {
            conn: Mutex::new(Connection::open_in_memory()?),
            path: None,
        };
        store.migrate()?;
        Ok(store)
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite consistent (every write is one
        // transaction), so a poisoned lock is still usable.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn migrate(&self) -> StoreResult<()> {
        let mut conn = self.conn();
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
        )?;
        for (version, sql) in MIGRATIONS {
            let tx = conn.transaction()?;
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
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // API keys.

    pub fn key_count(&self) -> StoreResult<i64> {
        Ok(self
            .conn()
            .query_row("SELECT COUNT(*) FROM api_keys", [], |r| r.get(0))?)
    }

    pub fn insert_key(&self, record: &KeyRecord, hash: &str) -> StoreResult<()> {
        self.conn().execute(
            "INSERT INTO api_keys (id, name, prefix, hash, scopes, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                record.id,
                record.name,
                record.prefix,
                hash,
                record.scopes.join(","),
                record.created_at
            ],
        )?;
        Ok(())
    }

    fn key_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<KeyRecord> {
        let scopes: String = r.get(3)?;
        Ok(KeyRecord {
            id: r.get(0)?,
            name: r.get(1)?,
            prefix: r.get(2)?,
            scopes: scopes
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            created_at: r.get(4)?,
            revoked_at: r.get(5)?,
        })
    }

    /// The live (not revoked) key whose hash is `hash`.
    pub fn key_by_hash(&self, hash: &str) -> StoreResult<Option<KeyRecord>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT id, name, prefix, scopes, created_at, revoked_at FROM api_keys WHERE hash = ?1 AND revoked_at IS NULL",
                [hash],
                Self::key_from_row,
            )
            .optional()?)
    }

    pub fn keys(&self) -> StoreResult<Vec<KeyRecord>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT id, name, prefix, scopes, created_at, revoked_at FROM api_keys ORDER BY created_at, id",
        )?;
        let rows = stmt.query_map([], Self::key_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Revokes a key; `false` if there is no live key `id`.
    pub fn revoke_key(&self, id: &str) -> StoreResult<bool> {
        let n = self.conn().execute(
            "UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
            params![id, now()],
        )?;
        Ok(n == 1)
    }

    // -----------------------------------------------------------------------------------------
    // Idempotency.

    /// Claims `key` for `request_hash`, or says what it holds. Records older than the TTL are
    /// forgotten first.
    pub fn claim_idempotency(
        &self,
        api_key_id: &str,
        key: &str,
        request_hash: &str,
    ) -> StoreResult<Idempotent> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute(
            "DELETE FROM idempotency WHERE created_at < ?1",
            [now() - IDEMPOTENCY_TTL_SECS],
        )?;
        let existing = tx
            .query_row(
                "SELECT request_hash, state, status, content_type, body FROM idempotency WHERE api_key_id = ?1 AND key = ?2",
                params![api_key_id, key],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, Option<u16>>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, Option<Vec<u8>>>(4)?,
                    ))
                },
            )
            .optional()?;
        let answer = match existing {
            Some((request_hash, state, status, content_type, body)) => {
                if state == "done" {
                    Idempotent::Done {
                        request_hash,
                        status: status.unwrap_or(200),
                        content_type: content_type.unwrap_or_default(),
                        body: body.unwrap_or_default(),
                    }
                } else {
                    Idempotent::InProgress { request_hash }
                }
            }
            None => {
                tx.execute(
                    "INSERT INTO idempotency (api_key_id, key, request_hash, state, created_at) VALUES (?1, ?2, ?3, 'running', ?4)",
                    params![api_key_id, key, request_hash, now()],
                )?;
                Idempotent::Claimed
            }
        };
        tx.commit()?;
        Ok(answer)
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
        self.conn().execute(
            "UPDATE idempotency SET state = 'done', status = ?3, content_type = ?4, body = ?5 WHERE api_key_id = ?1 AND key = ?2",
            params![api_key_id, key, status, content_type, body],
        )?;
        Ok(())
    }

    /// Forgets a claimed key (the request failed on the server's side: it may be retried).
    pub fn release_idempotency(&self, api_key_id: &str, key: &str) -> StoreResult<()> {
        self.conn().execute(
            "DELETE FROM idempotency WHERE api_key_id = ?1 AND key = ?2 AND state = 'running'",
            params![api_key_id, key],
        )?;
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // Audit log.

    /// Appends an entry computed by `make` from the previous entry's hash and the next seq,
    /// in one transaction (the chain cannot fork).
    pub fn append_audit(&self, make: impl FnOnce(i64, &str) -> AuditRow) -> StoreResult<AuditRow> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let last: Option<(i64, String)> = tx
            .query_row(
                "SELECT seq, entry_hash FROM audit_log ORDER BY seq DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let (seq, prev) = match last {
            Some((seq, hash)) => (seq + 1, hash),
            None => (1, crate::audit::GENESIS.to_string()),
        };
        let row = make(seq, &prev);
        tx.execute(
            "INSERT INTO audit_log (seq, ts, actor, event_type, resource, payload, prev_hash, entry_hash, signature) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                row.seq,
                row.ts,
                row.actor,
                row.event_type,
                row.resource,
                row.payload,
                row.prev_hash,
                row.entry_hash,
                row.signature
            ],
        )?;
        tx.commit()?;
        Ok(row)
    }

    /// Entries with `seq > after`, at most `limit`, in order.
    pub fn audit(&self, after: i64, limit: i64) -> StoreResult<Vec<AuditRow>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT seq, ts, actor, event_type, resource, payload, prev_hash, entry_hash, signature FROM audit_log WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![after, limit], |r| {
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
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every entry, in order.
    pub fn audit_all(&self) -> StoreResult<Vec<AuditRow>> {
        self.audit(0, i64::MAX)
    }

    /// Runs raw SQL (tests: tampering with the log as an attacker with file access would).
    #[doc(hidden)]
    pub fn execute_raw(&self, sql: &str) -> StoreResult<usize> {
        Ok(self.conn().execute(sql, [])?)
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
}
