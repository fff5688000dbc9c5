//! The store's live tables (migration 4): events, the feed cursor, webhooks, deliveries and
//! their attempts. Each statement is written once per dialect, as in the parent module.

use postgres::types::ToSql;
use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use leash_client::wire::{
    Delivery as DeliveryRow, DeliveryAttempt as AttemptRow, Webhook as WebhookRow,
};

use super::{lock, now, Backend, Store, StoreResult};

/// An event as stored: numbered in the order this store learnt of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EventRow {
    pub id: i64,
    pub event_type: String,
    pub wallet: String,
    pub session: Option<String>,
    pub signature: Option<String>,
    pub created_at: i64,
    /// The event's own fields, JSON text.
    pub data: String,
}

/// A new event: `dedupe` makes it once, however many instances saw it.
pub struct NewEvent<'a> {
    pub dedupe: &'a str,
    pub event_type: &'a str,
    pub wallet: &'a str,
    pub session: Option<&'a str>,
    pub signature: Option<&'a str>,
    pub data: &'a str,
}

/// Which events a reader wants: all of them when every part is empty.
#[derive(Clone, Debug, Default)]
pub struct EventFilter {
    pub wallet: Option<String>,
    pub session: Option<String>,
    pub types: Vec<String>,
}

impl EventFilter {
    fn sql(&self, placeholder: impl Fn(usize) -> String, first: usize) -> (String, Vec<String>) {
        let mut clauses = String::new();
        let mut values = Vec::new();
        let mut n = first;
        if let Some(wallet) = &self.wallet {
            clauses.push_str(&format!(" AND wallet = {}", placeholder(n)));
            values.push(wallet.clone());
            n += 1;
        }
        if let Some(session) = &self.session {
            clauses.push_str(&format!(" AND session = {}", placeholder(n)));
            values.push(session.clone());
            n += 1;
        }
        if !self.types.is_empty() {
            let list: Vec<String> = (0..self.types.len()).map(|i| placeholder(n + i)).collect();
            clauses.push_str(&format!(" AND event_type IN ({})", list.join(", ")));
            values.extend(self.types.iter().cloned());
        }
        (clauses, values)
    }
}

const EVENT_COLUMNS: &str = "id, event_type, wallet, session, signature, created_at, data";

fn event_from_sqlite(r: &rusqlite::Row<'_>) -> rusqlite::Result<EventRow> {
    Ok(EventRow {
        id: r.get(0)?,
        event_type: r.get(1)?,
        wallet: r.get(2)?,
        session: r.get(3)?,
        signature: r.get(4)?,
        created_at: r.get(5)?,
        data: r.get(6)?,
    })
}

fn event_from_pg(r: &postgres::Row) -> Result<EventRow, postgres::Error> {
    Ok(EventRow {
        id: r.try_get(0)?,
        event_type: r.try_get(1)?,
        wallet: r.try_get(2)?,
        session: r.try_get(3)?,
        signature: r.try_get(4)?,
        created_at: r.try_get(5)?,
        data: r.try_get(6)?,
    })
}

const WEBHOOK_COLUMNS: &str = "id, url, events, wallet, enabled, created_at";
const DELIVERY_COLUMNS: &str = "id, webhook_id, event_id, state, attempts, next_at, last_status, last_error, created_at, delivered_at";

fn split(list: &str) -> Vec<String> {
    list.split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn webhook_from_sqlite(r: &rusqlite::Row<'_>) -> rusqlite::Result<WebhookRow> {
    Ok(WebhookRow {
        id: r.get(0)?,
        url: r.get(1)?,
        events: split(&r.get::<_, String>(2)?),
        wallet: r.get(3)?,
        enabled: r.get::<_, i64>(4)? != 0,
        created_at: r.get(5)?,
    })
}

fn webhook_from_pg(r: &postgres::Row) -> Result<WebhookRow, postgres::Error> {
    Ok(WebhookRow {
        id: r.try_get(0)?,
        url: r.try_get(1)?,
        events: split(&r.try_get::<_, String>(2)?),
        wallet: r.try_get(3)?,
        enabled: r.try_get::<_, i64>(4)? != 0,
        created_at: r.try_get(5)?,
    })
}

fn delivery_from_sqlite(r: &rusqlite::Row<'_>) -> rusqlite::Result<DeliveryRow> {
    Ok(DeliveryRow {
        id: r.get(0)?,
        webhook_id: r.get(1)?,
        event_id: r.get(2)?,
        state: r.get(3)?,
        attempts: r.get(4)?,
        next_at: r.get(5)?,
        last_status: r.get(6)?,
        last_error: r.get(7)?,
        created_at: r.get(8)?,
        delivered_at: r.get(9)?,
    })
}

fn delivery_from_pg(r: &postgres::Row) -> Result<DeliveryRow, postgres::Error> {
    Ok(DeliveryRow {
        id: r.try_get(0)?,
        webhook_id: r.try_get(1)?,
        event_id: r.try_get(2)?,
        state: r.try_get(3)?,
        attempts: r.try_get(4)?,
        next_at: r.try_get(5)?,
        last_status: r.try_get(6)?,
        last_error: r.try_get(7)?,
        created_at: r.try_get(8)?,
        delivered_at: r.try_get(9)?,
    })
}

fn pg_params(values: &[String]) -> Vec<&(dyn ToSql + Sync)> {
    values.iter().map(|v| v as &(dyn ToSql + Sync)).collect()
}

impl Store {
    /// Stores `event` with the next number and queues a delivery to every enabled webhook that
    /// wants it, in one transaction; `None` if an event with its `dedupe` is stored already
    /// (another instance was first), which then queues nothing.
    pub fn insert_event(&self, event: &NewEvent) -> StoreResult<Option<i64>> {
        let created = now();
        match &self.backend {
            Backend::Sqlite(c) => {
                let mut conn = lock(c);
                let tx =
                    conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                let seen: Option<i64> = tx
                    .query_row(
                        "SELECT id FROM events WHERE dedupe = ?1",
                        [event.dedupe],
                        |r| r.get(0),
                    )
                    .optional()?;
                if seen.is_some() {
                    return Ok(None);
                }
                let id: i64 =
                    tx.query_row("SELECT COALESCE(MAX(id), 0) + 1 FROM events", [], |r| {
                        r.get(0)
                    })?;
                tx.execute(
                    "INSERT INTO events (id, dedupe, event_type, wallet, session, signature, created_at, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    params![id, event.dedupe, event.event_type, event.wallet, event.session, event.signature, created, event.data],
                )?;
                let hooks: Vec<WebhookRow> = {
                    let mut stmt = tx.prepare(&format!(
                        "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE enabled = 1"
                    ))?;
                    let rows = stmt.query_map([], webhook_from_sqlite)?;
                    rows.collect::<Result<_, _>>()?
                };
                for hook in hooks.iter().filter(|h| wants(h, event)) {
                    tx.execute(
                        &format!("INSERT INTO deliveries ({DELIVERY_COLUMNS}, locked_until) VALUES (?1, ?2, ?3, 'pending', 0, ?4, NULL, NULL, ?4, NULL, 0)"),
                        params![new_id("dlv"), hook.id, id, created],
                    )?;
                }
                tx.commit()?;
                Ok(Some(id))
            }
            Backend::Postgres(c) => {
                let mut client = lock(c);
                let mut tx = client.transaction()?;
                tx.batch_execute("LOCK TABLE events IN EXCLUSIVE MODE")?;
                if tx
                    .query_opt("SELECT id FROM events WHERE dedupe = $1", &[&event.dedupe])?
                    .is_some()
                {
                    return Ok(None);
                }
                let id: i64 = tx
                    .query_one("SELECT COALESCE(MAX(id), 0) + 1 FROM events", &[])?
                    .try_get(0)?;
                tx.execute(
                    "INSERT INTO events (id, dedupe, event_type, wallet, session, signature, created_at, data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    &[&id, &event.dedupe, &event.event_type, &event.wallet, &event.session, &event.signature, &created, &event.data],
                )?;
                let hooks: Vec<WebhookRow> = tx
                    .query(
                        &format!("SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE enabled = 1"),
                        &[],
                    )?
                    .iter()
                    .map(webhook_from_pg)
                    .collect::<Result<_, _>>()?;
                for hook in hooks.iter().filter(|h| wants(h, event)) {
                    tx.execute(
                        &format!("INSERT INTO deliveries ({DELIVERY_COLUMNS}, locked_until) VALUES ($1, $2, $3, 'pending', 0, $4, NULL, NULL, $4, NULL, 0)"),
                        &[&new_id("dlv"), &hook.id, &id, &created],
                    )?;
                }
                tx.commit()?;
                Ok(Some(id))
            }
        }
    }

    /// Events with `id > after` that `filter` wants, at most `limit`, in order.
    pub fn events_after(
        &self,
        after: i64,
        filter: &EventFilter,
        limit: i64,
    ) -> StoreResult<Vec<EventRow>> {
        Ok(match &self.backend {
            Backend::Sqlite(c) => {
                let (clauses, values) = filter.sql(|n| format!("?{n}"), 3);
                let conn = lock(c);
                let mut stmt = conn.prepare(&format!(
                    "SELECT {EVENT_COLUMNS} FROM events WHERE id > ?1{clauses} ORDER BY id LIMIT ?2"
                ))?;
                let mut bound: Vec<Box<dyn rusqlite::ToSql>> =
                    vec![Box::new(after), Box::new(limit)];
                bound.extend(
                    values
                        .into_iter()
                        .map(|v| Box::new(v) as Box<dyn rusqlite::ToSql>),
                );
                let rows =
                    stmt.query_map(rusqlite::params_from_iter(bound.iter()), event_from_sqlite)?;
                rows.collect::<Result<_, _>>()?
            }
            Backend::Postgres(c) => {
                let (clauses, values) = filter.sql(|n| format!("${n}"), 3);
                let mut params: Vec<&(dyn ToSql + Sync)> = vec![&after, &limit];
                params.extend(pg_params(&values));
                lock(c)
                    .query(
                        &format!("SELECT {EVENT_COLUMNS} FROM events WHERE id > $1{clauses} ORDER BY id LIMIT $2"),
                        &params,
                    )?
                    .iter()
                    .map(event_from_pg)
                    .collect::<Result<_, _>>()?
            }
        })
    }

    /// One event by number.
    pub fn event(&self, id: i64) -> StoreResult<Option<EventRow>> {
        Ok(self
            .events_after(id - 1, &EventFilter::default(), 1)?
            .into_iter()
            .find(|e| e.id == id))
    }

    /// The newest event's number (0 when there is none).
    pub fn last_event_id(&self) -> StoreResult<i64> {
        const SQL: &str = "SELECT COALESCE(MAX(id), 0) FROM events";
        Ok(match &self.backend {
            Backend::Sqlite(c) => lock(c).query_row(SQL, [], |r| r.get(0))?,
            Backend::Postgres(c) => lock(c).query_one(SQL, &[])?.try_get(0)?,
        })
    }

    /// Sessions a `session.created` event named that no later event ended (closed, expired
    /// or revoked alone), with their wallets: what the expiry watch looks at.
    pub fn open_sessions(&self) -> StoreResult<Vec<(String, String)>> {
        // Revoked alone (a session.revoked naming it) or with all of the wallet's sessions
        // (one without a session, after this one's creation).
        const SQL: &str = "SELECT e.session, e.wallet FROM events e WHERE e.event_type = 'session.created' AND e.session IS NOT NULL \
            AND e.session NOT IN (SELECT session FROM events WHERE session IS NOT NULL AND event_type IN ('session.closed', 'session.expired', 'session.revoked')) \
            AND NOT EXISTS (SELECT 1 FROM events r WHERE r.wallet = e.wallet AND r.session IS NULL AND r.event_type = 'session.revoked' AND r.id > e.id) \
            ORDER BY e.id";
        Ok(match &self.backend {
            Backend::Sqlite(c) => {
                let conn = lock(c);
                let mut stmt = conn.prepare(SQL)?;
                let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
                rows.collect::<Result<_, _>>()?
            }
            Backend::Postgres(c) => lock(c)
                .query(SQL, &[])?
                .iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .collect::<Result<_, postgres::Error>>()?,
        })
    }

    /// The wallet an earlier event named for `session` (a closed session's account is gone).
    pub fn wallet_of_session(&self, session: &str) -> StoreResult<Option<String>> {
        Ok(match &self.backend {
            Backend::Sqlite(c) => lock(c)
                .query_row(
                    "SELECT wallet FROM events WHERE session = ?1 ORDER BY id LIMIT 1",
                    [session],
                    |r| r.get(0),
                )
                .optional()?,
            Backend::Postgres(c) => lock(c)
                .query_opt(
                    "SELECT wallet FROM events WHERE session = $1 ORDER BY id LIMIT 1",
                    &[&session],
                )?
                .map(|r| r.try_get(0))
                .transpose()?,
        })
    }

    pub fn feed_value(&self, name: &str) -> StoreResult<Option<String>> {
        Ok(match &self.backend {
            Backend::Sqlite(c) => lock(c)
                .query_row(
                    "SELECT value FROM feed_state WHERE name = ?1",
                    [name],
                    |r| r.get(0),
                )
                .optional()?,
            Backend::Postgres(c) => lock(c)
                .query_opt("SELECT value FROM feed_state WHERE name = $1", &[&name])?
                .map(|r| r.try_get(0))
                .transpose()?,
        })
    }

    pub fn set_feed_value(&self, name: &str, value: &str) -> StoreResult<()> {
        match &self.backend {
            Backend::Sqlite(c) => {
                lock(c).execute(
                    "INSERT INTO feed_state (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                    params![name, value],
                )?;
            }
            Backend::Postgres(c) => {
                lock(c).execute(
                    "INSERT INTO feed_state (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                    &[&name, &value],
                )?;
            }
        }
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // Names (migration 5).

    /// Keeps `name` for `address` (`wallet` or `session`), replacing an earlier one.
    pub fn set_name(&self, address: &str, kind: &str, name: &str) -> StoreResult<()> {
        match &self.backend {
            Backend::Sqlite(c) => {
                lock(c).execute(
                    "INSERT INTO names (address, kind, name) VALUES (?1, ?2, ?3) ON CONFLICT (address) DO UPDATE SET kind = excluded.kind, name = excluded.name",
                    params![address, kind, name],
                )?;
            }
            Backend::Postgres(c) => {
                lock(c).execute(
                    "INSERT INTO names (address, kind, name) VALUES ($1, $2, $3) ON CONFLICT (address) DO UPDATE SET kind = excluded.kind, name = excluded.name",
                    &[&address, &kind, &name],
                )?;
            }
        }
        Ok(())
    }

    /// The name kept for `address`, if any.
    pub fn name_of(&self, address: &str) -> StoreResult<Option<String>> {
        Ok(match &self.backend {
            Backend::Sqlite(c) => lock(c)
                .query_row(
                    "SELECT name FROM names WHERE address = ?1",
                    [address],
                    |r| r.get(0),
                )
                .optional()?,
            Backend::Postgres(c) => lock(c)
                .query_opt("SELECT name FROM names WHERE address = $1", &[&address])?
                .map(|r| r.try_get(0))
                .transpose()?,
        })
    }

    // -----------------------------------------------------------------------------------------
    // Webhooks.

    pub fn insert_webhook(&self, hook: &WebhookRow, created_by: &str) -> StoreResult<()> {
        let events = hook.events.join(",");
        let enabled = i64::from(hook.enabled);
        match &self.backend {
            Backend::Sqlite(c) => {
                lock(c).execute(
                    "INSERT INTO webhooks (id, url, events, wallet, enabled, created_at, created_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![hook.id, hook.url, events, hook.wallet, enabled, hook.created_at, created_by],
                )?;
            }
            Backend::Postgres(c) => {
                lock(c).execute(
                    "INSERT INTO webhooks (id, url, events, wallet, enabled, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    &[&hook.id, &hook.url, &events, &hook.wallet, &enabled, &hook.created_at, &created_by],
                )?;
            }
        }
        Ok(())
    }

    pub fn webhooks(&self) -> StoreResult<Vec<WebhookRow>> {
        let sql = format!("SELECT {WEBHOOK_COLUMNS} FROM webhooks ORDER BY created_at, id");
        Ok(match &self.backend {
            Backend::Sqlite(c) => {
                let conn = lock(c);
                let mut stmt = conn.prepare(&sql)?;
                let rows = stmt.query_map([], webhook_from_sqlite)?;
                rows.collect::<Result<_, _>>()?
            }
            Backend::Postgres(c) => lock(c)
                .query(&sql, &[])?
                .iter()
                .map(webhook_from_pg)
                .collect::<Result<_, _>>()?,
        })
    }

    pub fn webhook(&self, id: &str) -> StoreResult<Option<WebhookRow>> {
        let sql = format!("SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE id = ");
        Ok(match &self.backend {
            Backend::Sqlite(c) => lock(c)
                .query_row(&format!("{sql}?1"), [id], webhook_from_sqlite)
                .optional()?,
            Backend::Postgres(c) => lock(c)
                .query_opt(&format!("{sql}$1"), &[&id])?
                .map(|r| webhook_from_pg(&r))
                .transpose()?,
        })
    }

    /// Removes a webhook and its deliveries; whether it existed.
    pub fn delete_webhook(&self, id: &str) -> StoreResult<bool> {
        Ok(match &self.backend {
            Backend::Sqlite(c) => {
                let mut conn = lock(c);
                let tx = conn.transaction()?;
                tx.execute(
                    "DELETE FROM delivery_attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE webhook_id = ?1)",
                    [id],
                )?;
                tx.execute("DELETE FROM deliveries WHERE webhook_id = ?1", [id])?;
                let n = tx.execute("DELETE FROM webhooks WHERE id = ?1", [id])?;
                tx.commit()?;
                n == 1
            }
            Backend::Postgres(c) => {
                let mut client = lock(c);
                let mut tx = client.transaction()?;
                tx.execute(
                    "DELETE FROM delivery_attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE webhook_id = $1)",
                    &[&id],
                )?;
                tx.execute("DELETE FROM deliveries WHERE webhook_id = $1", &[&id])?;
                let n = tx.execute("DELETE FROM webhooks WHERE id = $1", &[&id])?;
                tx.commit()?;
                n == 1
            }
        })
    }

    pub fn set_webhook_enabled(&self, id: &str, enabled: bool) -> StoreResult<bool> {
        let enabled = i64::from(enabled);
        Ok(match &self.backend {
            Backend::Sqlite(c) => {
                lock(c).execute(
                    "UPDATE webhooks SET enabled = ?1 WHERE id = ?2",
                    params![enabled, id],
                )? == 1
            }
            Backend::Postgres(c) => {
                lock(c).execute(
                    "UPDATE webhooks SET enabled = $1 WHERE id = $2",
                    &[&enabled, &id],
                )? == 1
            }
        })
    }

    /// Queues one delivery of event `event_id` to `webhook_id` now: a redelivery of a delivered
    /// or dead one starts over as pending, with a fresh retry window.
    pub fn queue_delivery(&self, webhook_id: &str, event_id: i64) -> StoreResult<String> {
        let at = now();
        let new = new_id("dlv");
        // The id of the row queued: the new one, or the one a redelivery starts over.
        Ok(match &self.backend {
            Backend::Sqlite(c) => lock(c).query_row(
                &format!("INSERT INTO deliveries ({DELIVERY_COLUMNS}, locked_until) VALUES (?1, ?2, ?3, 'pending', 0, ?4, NULL, NULL, ?4, NULL, 0) ON CONFLICT (webhook_id, event_id) DO UPDATE SET state = 'pending', next_at = ?4, locked_until = 0, created_at = ?4 RETURNING id"),
                params![new, webhook_id, event_id, at],
                |r| r.get(0),
            )?,
            Backend::Postgres(c) => lock(c)
                .query_one(
                    &format!("INSERT INTO deliveries ({DELIVERY_COLUMNS}, locked_until) VALUES ($1, $2, $3, 'pending', 0, $4, NULL, NULL, $4, NULL, 0) ON CONFLICT (webhook_id, event_id) DO UPDATE SET state = 'pending', next_at = $4, locked_until = 0, created_at = $4 RETURNING id"),
                    &[&new, &webhook_id, &event_id, &at],
                )?
                .try_get(0)?,
        })
    }

    /// Claims up to `limit` due deliveries for `lease_secs` (an instance that dies mid-way
    /// leaves them to another once the lease lapses); two instances never claim the same one.
    pub fn claim_deliveries(&self, limit: i64, lease_secs: i64) -> StoreResult<Vec<DeliveryRow>> {
        let at = now();
        let until = at + lease_secs;
        Ok(match &self.backend {
            Backend::Sqlite(c) => {
                let mut conn = lock(c);
                let tx =
                    conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                let due: Vec<DeliveryRow> = {
                    let mut stmt = tx.prepare(&format!(
                        "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE state = 'pending' AND next_at <= ?1 AND locked_until <= ?1 ORDER BY next_at, event_id LIMIT ?2"
                    ))?;
                    let rows = stmt.query_map(params![at, limit], delivery_from_sqlite)?;
                    rows.collect::<Result<_, _>>()?
                };
                for d in &due {
                    tx.execute(
                        "UPDATE deliveries SET locked_until = ?1 WHERE id = ?2",
                        params![until, d.id],
                    )?;
                }
                tx.commit()?;
                due
            }
            Backend::Postgres(c) => {
                let mut client = lock(c);
                let mut tx = client.transaction()?;
                let due: Vec<DeliveryRow> = tx
                    .query(
                        &format!("SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE state = 'pending' AND next_at <= $1 AND locked_until <= $1 ORDER BY next_at, event_id LIMIT $2 FOR UPDATE SKIP LOCKED"),
                        &[&at, &limit],
                    )?
                    .iter()
                    .map(delivery_from_pg)
                    .collect::<Result<_, _>>()?;
                for d in &due {
                    tx.execute(
                        "UPDATE deliveries SET locked_until = $1 WHERE id = $2",
                        &[&until, &d.id],
                    )?;
                }
                tx.commit()?;
                due
            }
        })
    }

    /// Records an attempt and where the delivery goes next: `next_at` for another try, or
    /// the final state (`delivered`, `dead`).
    pub fn record_attempt(
        &self,
        delivery: &DeliveryRow,
        attempt: &AttemptRow,
        next: Result<i64, &str>,
    ) -> StoreResult<()> {
        let (state, next_at, delivered_at) = match next {
            Ok(next_at) => ("pending", next_at, None),
            Err(state) => (
                state,
                attempt.at,
                (state == "delivered").then_some(attempt.at),
            ),
        };
        let state = state.to_string();
        match &self.backend {
            Backend::Sqlite(c) => {
                let mut conn = lock(c);
                let tx = conn.transaction()?;
                tx.execute(
                    "INSERT INTO delivery_attempts (delivery_id, attempt, at, status, error, duration_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
                    params![delivery.id, attempt.attempt, attempt.at, attempt.status, attempt.error, attempt.duration_ms],
                )?;
                tx.execute(
                    "UPDATE deliveries SET state = ?1, attempts = ?2, next_at = ?3, locked_until = 0, last_status = ?4, last_error = ?5, delivered_at = COALESCE(?6, delivered_at) WHERE id = ?7",
                    params![state, attempt.attempt, next_at, attempt.status, attempt.error, delivered_at, delivery.id],
                )?;
                tx.commit()?;
            }
            Backend::Postgres(c) => {
                let mut client = lock(c);
                let mut tx = client.transaction()?;
                tx.execute(
                    "INSERT INTO delivery_attempts (delivery_id, attempt, at, status, error, duration_ms) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                    &[&delivery.id, &attempt.attempt, &attempt.at, &attempt.status, &attempt.error, &attempt.duration_ms],
                )?;
                tx.execute(
                    "UPDATE deliveries SET state = $1, attempts = $2, next_at = $3, locked_until = 0, last_status = $4, last_error = $5, delivered_at = COALESCE($6, delivered_at) WHERE id = $7",
                    &[&state, &attempt.attempt, &next_at, &attempt.status, &attempt.error, &delivered_at, &delivery.id],
                )?;
                tx.commit()?;
            }
        }
        Ok(())
    }

    /// A webhook's newest deliveries, newest first.
    pub fn deliveries(&self, webhook_id: &str, limit: i64) -> StoreResult<Vec<DeliveryRow>> {
        Ok(match &self.backend {
            Backend::Sqlite(c) => {
                let conn = lock(c);
                let mut stmt = conn.prepare(&format!(
                    "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE webhook_id = ?1 ORDER BY created_at DESC, event_id DESC LIMIT ?2"
                ))?;
                let rows = stmt.query_map(params![webhook_id, limit], delivery_from_sqlite)?;
                rows.collect::<Result<_, _>>()?
            }
            Backend::Postgres(c) => lock(c)
                .query(
                    &format!("SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE webhook_id = $1 ORDER BY created_at DESC, event_id DESC LIMIT $2"),
                    &[&webhook_id, &limit],
                )?
                .iter()
                .map(delivery_from_pg)
                .collect::<Result<_, _>>()?,
        })
    }

    pub fn delivery(&self, id: &str) -> StoreResult<Option<DeliveryRow>> {
        Ok(match &self.backend {
            Backend::Sqlite(c) => lock(c)
                .query_row(
                    &format!("SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE id = ?1"),
                    [id],
                    delivery_from_sqlite,
                )
                .optional()?,
            Backend::Postgres(c) => lock(c)
                .query_opt(
                    &format!("SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE id = $1"),
                    &[&id],
                )?
                .map(|r| delivery_from_pg(&r))
                .transpose()?,
        })
    }

    /// A delivery's attempts, in order.
    pub fn attempts(&self, delivery_id: &str) -> StoreResult<Vec<AttemptRow>> {
        const COLUMNS: &str = "attempt, at, status, error, duration_ms";
        Ok(match &self.backend {
            Backend::Sqlite(c) => {
                let conn = lock(c);
                let mut stmt = conn.prepare(&format!(
                    "SELECT {COLUMNS} FROM delivery_attempts WHERE delivery_id = ?1 ORDER BY attempt"
                ))?;
                let rows = stmt.query_map([delivery_id], |r| {
                    Ok(AttemptRow {
                        attempt: r.get(0)?,
                        at: r.get(1)?,
                        status: r.get(2)?,
                        error: r.get(3)?,
                        duration_ms: r.get(4)?,
                    })
                })?;
                rows.collect::<Result<_, _>>()?
            }
            Backend::Postgres(c) => lock(c)
                .query(
                    &format!("SELECT {COLUMNS} FROM delivery_attempts WHERE delivery_id = $1 ORDER BY attempt"),
                    &[&delivery_id],
                )?
                .iter()
                .map(|r| {
                    Ok(AttemptRow {
                        attempt: r.try_get(0)?,
                        at: r.try_get(1)?,
                        status: r.try_get(2)?,
                        error: r.try_get(3)?,
                        duration_ms: r.try_get(4)?,
                    })
                })
                .collect::<Result<_, postgres::Error>>()?,
        })
    }
}

/// Whether `hook` receives `event`: its types (all when empty) and its wallet (any when unset).
fn wants(hook: &WebhookRow, event: &NewEvent) -> bool {
    (hook.events.is_empty() || hook.events.iter().any(|t| t == event.event_type))
        && hook.wallet.as_deref().is_none_or(|w| w == event.wallet)
}

/// A random id with a prefix (`wh_…`, `dlv_…`).
pub fn new_id(prefix: &str) -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{prefix}_{}", bs58::encode(bytes).into_string())
}
