//! Live events and webhooks (docs/api.md, "Events" and "Webhooks").
//!
//! - [`watch`] follows the cluster: the program's new transactions become numbered events in
//!   the store (each once, however many instances watch: `dedupe`), with `session.limit_near`
//!   after a use that brings a bound to 80 %, and `session.expired` from a periodic look at the
//!   sessions still open. `request.*` events are stored by the request handlers ([`record`]).
//! - `GET /v1/events` streams them as Server-Sent Events (`handlers::events`).
//! - [`deliver`] posts them to webhooks by the Standard Webhooks convention: `webhook-id`,
//!   `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`,
//!   retried with backoff for 24 hours, every attempt logged and audited. A webhook's secret is
//!   derived from the audit key (`whsec_…`, shown once), so the store never holds one.

use std::{
    net::{IpAddr, SocketAddr},
    sync::{Arc, Weak},
    time::{Duration, Instant},
};

use base64::{prelude::BASE64_STANDARD, Engine};
use hmac::{Hmac, Mac};
use leash_client::live::{ChainEvent, EventType};
use serde::Serialize;
use sha2::Sha256;
use solana_program::pubkey::Pubkey;

pub use crate::state::WebhookSettings;
use crate::{
    state::AppState,
    store::{now, AttemptRow, DeliveryRow, EventRow, NewEvent, Store, StoreResult},
};

/// How often the cluster is polled for new transactions when its PubSub cannot wake the watcher.
const POLL_EVERY: Duration = Duration::from_millis(300);
/// How often it is polled while PubSub wakes the watcher on each program transaction (a safety
/// net: a notification lost on the way is still read).
const POLL_WITH_PUBSUB: Duration = Duration::from_secs(2);
/// How often open sessions are checked for expiry.
const EXPIRY_EVERY: Duration = Duration::from_secs(5);
/// How often due deliveries are looked for (a new event wakes the worker sooner).
const DELIVER_EVERY: Duration = Duration::from_millis(500);
/// The feed's cursor in the store.
const CURSOR: &str = "chain_cursor";

/// One event as the stream and webhooks send it: `{type, timestamp, data}` (Standard
/// Webhooks' payload), with the event's number as `id`.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct EventEnvelope {
    /// The event's number: SSE's `id:`, the `Last-Event-ID` to resume after.
    pub id: i64,
    #[serde(rename = "type")]
    pub event_type: EventType,
    /// RFC 3339, when this API learnt of it.
    pub timestamp: String,
    /// `wallet`, `session` and `signature` where there is one, and the event's own fields.
    pub data: serde_json::Value,
}

impl EventEnvelope {
    pub fn from_row(row: &EventRow) -> Option<EventEnvelope> {
        let event_type = EventType::parse(&row.event_type)?;
        let mut data: serde_json::Value =
            serde_json::from_str(&row.data).unwrap_or_else(|_| serde_json::json!({}));
        if let Some(fields) = data.as_object_mut() {
            fields.insert("wallet".into(), row.wallet.clone().into());
            if let Some(session) = &row.session {
                fields.insert("session".into(), session.clone().into());
            }
            if let Some(signature) = &row.signature {
                fields.insert("signature".into(), signature.clone().into());
            }
        }
        Some(EventEnvelope {
            id: row.id,
            event_type,
            timestamp: humantime::format_rfc3339_seconds(
                std::time::UNIX_EPOCH
                    + Duration::from_secs(u64::try_from(row.created_at).unwrap_or(0)),
            )
            .to_string(),
            data,
        })
    }
}

/// Stores `event`; its number, or `None` if it was stored before.
pub fn record(store: &Store, event: &ChainEvent) -> StoreResult<Option<i64>> {
    let wallet = event.wallet.to_string();
    let session = event.session.map(|s| s.to_string());
    store.insert_event(&NewEvent {
        dedupe: &event.dedupe,
        event_type: event.event_type.name(),
        wallet: &wallet,
        session: session.as_deref(),
        signature: event.signature.as_deref(),
        data: &event.data.to_string(),
    })
}

/// A `request.*` event (filed, approved, denied) of the API's own session requests.
pub fn record_request(
    store: &Store,
    event_type: EventType,
    request_id: &str,
    wallet: &str,
    session: &str,
    data: serde_json::Value,
) -> StoreResult<Option<i64>> {
    let mut fields = serde_json::Map::new();
    fields.insert("request".into(), request_id.into());
    if let serde_json::Value::Object(more) = data {
        fields.extend(more);
    }
    store.insert_event(&NewEvent {
        dedupe: &format!("{}:{request_id}", event_type.name()),
        event_type: event_type.name(),
        wallet,
        session: Some(session),
        signature: None,
        data: &serde_json::Value::Object(fields).to_string(),
    })
}

/// Sets the feed's cursor to the cluster's newest program transaction if it has none (a first
/// start): run before the server answers, so nothing it is asked to do is missed. A cluster
/// that cannot be reached now leaves it to the first poll that reaches it.
pub fn start_cursor(state: &AppState) {
    if matches!(state.store.feed_value(CURSOR), Ok(None)) {
        if let Ok(newest) = state.client.program_cursor() {
            let _ = state
                .store
                .set_feed_value(CURSOR, newest.as_deref().unwrap_or(""));
        }
    }
}

/// The PubSub URL of an RPC URL, as Solana's tools derive it: `ws`/`wss` for `http`/`https`,
/// and the next port when one is given (a local node's PubSub is its RPC port + 1).
pub fn pubsub_url(rpc: &str) -> Option<String> {
    let mut url = reqwest::Url::parse(rpc).ok()?;
    let scheme = match url.scheme() {
        "http" => "ws",
        "https" => "wss",
        _ => return None,
    };
    if let Some(port) = url.port() {
        url.set_port(Some(port.checked_add(1)?)).ok()?;
    }
    url.set_scheme(scheme).ok()?;
    Some(url.to_string())
}

/// Subscribes to the cluster's logs that mention the program (`logsSubscribe`) and wakes the
/// watcher on each: the events are read the same way (the transaction's own logs), only sooner.
/// `connected` says whether the subscription stands (the watcher then polls less often).
/// Where the cluster has no PubSub, or it fails, this retries every 10 s and the watcher polls.
pub async fn wake_on_logs(
    rpc_url: String,
    program: String,
    wake: Arc<tokio::sync::Notify>,
    connected: Arc<std::sync::atomic::AtomicBool>,
    stopping: Weak<AppState>,
) {
    use futures_util::{SinkExt, StreamExt};
    use std::sync::atomic::Ordering;
    use tokio_tungstenite::tungstenite::Message;
    let Some(url) = pubsub_url(&rpc_url) else {
        return;
    };
    loop {
        let running = stopping
            .upgrade()
            .is_some_and(|s| !s.stopping.load(Ordering::Relaxed));
        if !running {
            return;
        }
        if let Ok(Ok((mut socket, _))) = tokio::time::timeout(
            Duration::from_secs(10),
            tokio_tungstenite::connect_async(&url),
        )
        .await
        {
            let subscribe = serde_json::json!({
                "jsonrpc": "2.0", "id": 1, "method": "logsSubscribe",
                "params": [{ "mentions": [program] }, { "commitment": "confirmed" }],
            });
            if socket
                .send(Message::text(subscribe.to_string()))
                .await
                .is_ok()
            {
                loop {
                    let next = tokio::time::timeout(Duration::from_secs(5), socket.next()).await;
                    let still = stopping
                        .upgrade()
                        .is_some_and(|s| !s.stopping.load(Ordering::Relaxed));
                    if !still {
                        return;
                    }
                    match next {
                        Err(_) => continue,
                        Ok(Some(Ok(Message::Text(text)))) => {
                            if text.contains("\"logsNotification\"") {
                                wake.notify_one();
                            } else if text.contains("\"result\"") {
                                connected.store(true, Ordering::Relaxed);
                            }
                        }
                        Ok(Some(Ok(_))) => {}
                        Ok(Some(Err(_))) | Ok(None) => break,
                    }
                }
            }
        }
        connected.store(false, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_secs(10)).await;
    }
}

/// Follows the cluster while the server runs (see the module's documentation).
pub async fn watch(state: Weak<AppState>) {
    let mut last_expiry = Instant::now();
    let mut quiet_errors = 0u32;
    let wake = Arc::new(tokio::sync::Notify::new());
    let pubsub = Arc::new(std::sync::atomic::AtomicBool::new(false));
    if let Some(strong) = state.upgrade() {
        let rpc = strong.client.cluster().url.clone();
        let program = strong.client.program_id().to_string();
        tokio::spawn(wake_on_logs(
            rpc,
            program,
            wake.clone(),
            pubsub.clone(),
            state.clone(),
        ));
        let _ = tokio::task::spawn_blocking(move || drop(strong)).await;
    }
    loop {
        let every = if pubsub.load(std::sync::atomic::Ordering::Relaxed) {
            POLL_WITH_PUBSUB
        } else {
            POLL_EVERY
        };
        let _ = tokio::time::timeout(every, wake.notified()).await;
        let Some(state) = state.upgrade() else {
            return;
        };
        if state.stopping.load(std::sync::atomic::Ordering::Relaxed) {
            let _ = tokio::task::spawn_blocking(move || drop(state)).await;
            return;
        }
        let expiry_due = last_expiry.elapsed() >= EXPIRY_EVERY;
        if expiry_due {
            last_expiry = Instant::now();
        }
        let worker = state.clone();
        let outcome = tokio::task::spawn_blocking(move || poll_once(&worker, expiry_due)).await;
        match outcome {
            Ok(Ok(0)) => quiet_errors = 0,
            Ok(Ok(_)) => {
                quiet_errors = 0;
                state.events_changed.notify_waiters();
            }
            Ok(Err(e)) => {
                // Once per run of failures, not every 300 ms (a cluster that is down).
                if quiet_errors == 0 {
                    eprintln!("leash serve: following the cluster's events: {e}");
                }
                quiet_errors = quiet_errors.saturating_add(1);
            }
            Err(_) => eprintln!("leash serve: the event watcher stopped unexpectedly; retrying"),
        }
        let _ = tokio::task::spawn_blocking(move || drop(state)).await;
    }
}

/// One look at the cluster: new transactions, and expiries when `expiry` is due. The number of
/// events stored.
pub fn poll_once(state: &AppState, expiry: bool) -> Result<usize, String> {
    let store = &state.store;
    let client = &state.client;
    let cursor = store.feed_value(CURSOR).map_err(|e| e.0)?;
    let Some(cursor) = cursor else {
        // First start: follow from now (events are live; history is in the activity reads).
        let newest = client.program_cursor().map_err(|e| e.message)?;
        store
            .set_feed_value(CURSOR, newest.as_deref().unwrap_or(""))
            .map_err(|e| e.0)?;
        return Ok(0);
    };
    let since = (!cursor.is_empty()).then_some(cursor.as_str());
    let new = client
        .program_transactions_since(since)
        .map_err(|e| e.message)?;
    let mut stored = 0usize;
    for (signature, tx) in &new.transactions {
        let mut wallet_of = |session: &Pubkey| {
            store
                .wallet_of_session(&session.to_string())
                .ok()
                .flatten()
                .and_then(|w| w.parse().ok())
                .or_else(|| client.session_wallet(session))
        };
        for event in client.transaction_events(signature, tx, &mut wallet_of) {
            if record(store, &event).map_err(|e| e.0)?.is_some() {
                stored += 1;
                if event.event_type == EventType::SessionCreated {
                    // A request for this session was approved: the owner created it.
                    if let Some(session) = event.session.map(|s| s.to_string()) {
                        if let Some(row) = store.request_for_session(&session).map_err(|e| e.0)? {
                            let data = serde_json::json!({
                                "session_key": row.session_key,
                                "signature": event.signature,
                            });
                            let approved = record_request(
                                store,
                                EventType::RequestApproved,
                                &row.id,
                                &row.wallet,
                                &session,
                                data,
                            );
                            stored += usize::from(approved.map_err(|e| e.0)?.is_some());
                        }
                    }
                }
                if event.event_type == EventType::SessionUsed {
                    if let Some(session) = event.session {
                        for near in client.limit_near_events(&session) {
                            stored += usize::from(record(store, &near).map_err(|e| e.0)?.is_some());
                        }
                    }
                }
            }
        }
    }
    if let Some(cursor) = new.cursor {
        store.set_feed_value(CURSOR, &cursor).map_err(|e| e.0)?;
    }
    if expiry {
        let open: Vec<(Pubkey, Pubkey)> = store
            .open_sessions()
            .map_err(|e| e.0)?
            .into_iter()
            .filter_map(|(s, w)| Some((s.parse().ok()?, w.parse().ok()?)))
            .collect();
        for event in client.expired_events(&open).map_err(|e| e.message)? {
            stored += usize::from(record(store, &event).map_err(|e| e.0)?.is_some());
        }
    }
    Ok(stored)
}

// ---------------------------------------------------------------------------------------------
// Webhooks.

/// The most bytes of a receiver's answer kept in the delivery log.
const ANSWER_CAP: usize = 1024;
/// Deliveries claimed per round, and how long a claim holds.
const CLAIM: i64 = 16;
const LEASE_SECS: i64 = 60;

type HmacSha256 = Hmac<Sha256>;

/// A webhook's signing secret: derived from the API's root secret and the webhook's id, so
/// the store never holds it and instances sharing the audit key sign alike.
pub fn webhook_secret(root: &[u8; 32], webhook_id: &str) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(root).expect("HMAC takes any key length");
    mac.update(b"leash webhook secret v1:");
    mac.update(webhook_id.as_bytes());
    mac.finalize().into_bytes().into()
}

/// `whsec_` + base64 of the secret: what Standard Webhooks libraries take.
pub fn secret_text(secret: &[u8; 32]) -> String {
    format!("whsec_{}", BASE64_STANDARD.encode(secret))
}

/// `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`.
pub fn signature(secret: &[u8], id: &str, timestamp: i64, body: &str) -> String {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body.as_bytes());
    format!("v1,{}", BASE64_STANDARD.encode(mac.finalize().into_bytes()))
}

/// Why a webhook URL is refused (400), in words that say how to fix it.
pub fn check_url_shape(url: &str) -> Result<reqwest::Url, String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("`{url}` is not a URL ({e})"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!(
            "webhook URLs must be http or https, not `{}`",
            parsed.scheme()
        ));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err("the webhook URL has no host".into());
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(
            "put no credentials in the webhook URL; verify deliveries by their signature".into(),
        );
    }
    Ok(parsed)
}

/// Whether `ip` is one a server must not be made to call by a URL someone registered:
/// loopback, private, link-local (cloud metadata), shared, unspecified, multicast, reserved.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || a >= 240
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
        }
    }
}

/// The addresses `url` resolves to, refused when any is private (unless allowed): the
/// delivery then connects to exactly these, so a name cannot resolve elsewhere in between.
pub async fn resolve_checked(
    url: &reqwest::Url,
    allow_private: bool,
) -> Result<Vec<SocketAddr>, String> {
    let host = url
        .host_str()
        .unwrap_or_default()
        .trim_start_matches('[')
        .trim_end_matches(']');
    let port = url.port_or_known_default().unwrap_or(80);
    let addresses: Vec<SocketAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => tokio::net::lookup_host((host, port))
            .await
            .map_err(|e| format!("cannot resolve `{host}`: {e}"))?
            .collect(),
    };
    if addresses.is_empty() {
        return Err(format!("`{host}` resolves to no address"));
    }
    if !allow_private {
        if let Some(bad) = addresses.iter().find(|a| is_private(a.ip())) {
            return Err(format!(
                "`{host}` resolves to {}, a loopback, private or link-local address; webhooks go to public addresses (start leash serve with --allow-private-webhooks for a local receiver)",
                bad.ip()
            ));
        }
    }
    Ok(addresses)
}

/// The delay before attempt `attempts + 1`, or `None` once the delivery should give up.
fn next_delay(settings: &WebhookSettings, attempts: i64, created_at: i64) -> Option<Duration> {
    let index = usize::try_from(attempts.saturating_sub(1)).unwrap_or(0);
    let delay = *settings
        .retry_delays
        .get(index)
        .or(settings.retry_delays.last())?;
    let elapsed = Duration::from_secs(u64::try_from(now().saturating_sub(created_at)).unwrap_or(0));
    (elapsed + delay <= settings.give_up_after).then_some(delay)
}

/// Posts due deliveries while the server runs.
pub async fn deliver(state: Weak<AppState>) {
    loop {
        let Some(strong) = state.upgrade() else {
            return;
        };
        if strong.stopping.load(std::sync::atomic::Ordering::Relaxed) {
            let _ = tokio::task::spawn_blocking(move || drop(strong)).await;
            return;
        }
        let wake = strong.events_changed.clone();
        let changed = wake.notified();
        tokio::pin!(changed);
        changed.as_mut().enable();
        let claimed = strong
            .store(|s| s.claim_deliveries(CLAIM, LEASE_SECS))
            .await;
        match claimed {
            Ok(due) => {
                let rounds = due.into_iter().map(|d| deliver_one(strong.clone(), d));
                futures_util::future::join_all(rounds).await;
            }
            Err(e) => eprintln!("leash serve: claiming webhook deliveries: {e}"),
        }
        // Never the last reference dropped on the runtime (a PostgreSQL client must not be).
        let _ = tokio::task::spawn_blocking(move || drop(strong)).await;
        let _ = tokio::time::timeout(DELIVER_EVERY, changed).await;
    }
}

/// One attempt of `delivery`, recorded and audited.
async fn deliver_one(state: Arc<AppState>, delivery: DeliveryRow) {
    let event_id = delivery.event_id;
    let webhook_id = delivery.webhook_id.clone();
    let looked_up = state
        .store(move |s| Ok((s.webhook(&webhook_id)?, s.event(event_id)?)))
        .await;
    let attempt_no = delivery.attempts + 1;
    let started = Instant::now();
    let (status, error) = match looked_up {
        Ok((Some(hook), Some(event))) => {
            match post(&state, &hook.url, &hook.id, &delivery, &event).await {
                Ok(status) if (200..300).contains(&status) => (Some(i64::from(status)), None),
                Ok(status) => (
                    Some(i64::from(status)),
                    Some(format!("the receiver answered {status}")),
                ),
                Err(e) => (None, Some(e)),
            }
        }
        Ok(_) => (
            None,
            Some("the webhook or its event no longer exists".to_string()),
        ),
        Err(e) => {
            eprintln!("leash serve: reading a webhook delivery: {e}");
            return;
        }
    };
    let attempt = AttemptRow {
        attempt: attempt_no,
        at: now(),
        status,
        error: error.clone(),
        duration_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
    };
    let next = if error.is_none() {
        Err("delivered")
    } else {
        match next_delay(&state.webhooks, attempt_no, delivery.created_at) {
            Some(delay) => Ok(now() + i64::try_from(delay.as_secs()).unwrap_or(i64::MAX)),
            None => Err("dead"),
        }
    };
    let outcome = match &next {
        Err(state) => (*state).to_string(),
        Ok(_) => "retrying".to_string(),
    };
    let payload = serde_json::json!({
        "delivery": delivery.id, "event": delivery.event_id, "attempt": attempt_no,
        "status": status, "error": error, "outcome": outcome,
    });
    let (d, a) = (delivery.clone(), attempt.clone());
    let next_owned = next.map_err(str::to_string);
    if let Err(e) = state
        .store(move |s| {
            s.record_attempt(
                &d,
                &a,
                next_owned.as_ref().map(|n| *n).map_err(String::as_str),
            )
        })
        .await
    {
        eprintln!("leash serve: recording a webhook delivery: {e}");
    }
    let _ = state
        .audit(
            "leash serve",
            "webhook.delivery",
            &format!("webhook/{}", delivery.webhook_id),
            payload,
        )
        .await;
}

/// One POST of `event` to `url`, signed; the receiver's status.
async fn post(
    state: &AppState,
    url: &str,
    webhook_id: &str,
    delivery: &DeliveryRow,
    event: &EventRow,
) -> Result<u16, String> {
    let envelope = EventEnvelope::from_row(event).ok_or("an event of an unknown type")?;
    let body = serde_json::json!({
        "type": envelope.event_type,
        "timestamp": envelope.timestamp,
        "data": envelope.data,
    })
    .to_string();
    // The message id is the delivery's: a receiver dedupes retries of one delivery by it.
    post_signed(state, url, webhook_id, &delivery.id, body).await
}

/// `POST /v1/webhooks/{id}/test`: one signed `webhook.test` message, now; the status.
pub async fn send_test(state: &AppState, hook: &crate::store::WebhookRow) -> Result<u16, String> {
    let body = serde_json::json!({
        "type": "webhook.test",
        "timestamp": humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        "data": { "webhook": hook.id },
    })
    .to_string();
    post_signed(
        state,
        &hook.url,
        &hook.id,
        &crate::store::new_id("msg_test"),
        body,
    )
    .await
}

/// POSTs `body` to `url` signed for `webhook_id` as message `message_id`: checked against
/// SSRF (the scheme, then every address the name resolves to, which the connection then
/// uses), no redirects, a time limit, and at most [`ANSWER_CAP`] bytes of the answer read.
async fn post_signed(
    state: &AppState,
    url: &str,
    webhook_id: &str,
    message_id: &str,
    body: String,
) -> Result<u16, String> {
    let url = check_url_shape(url)?;
    let addresses = resolve_checked(&url, state.webhooks.allow_private).await?;
    let timestamp = now();
    let secret = webhook_secret(&state.webhook_root(), webhook_id);
    let host = url.host_str().unwrap_or_default().to_string();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(state.webhooks.timeout)
        .connect_timeout(state.webhooks.timeout)
        .resolve_to_addrs(&host, &addresses)
        .user_agent(concat!("leash-webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("cannot make an HTTP client: {e}"))?;
    let mut response = client
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", message_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header(
            "webhook-signature",
            signature(&secret, message_id, timestamp, &body),
        )
        .body(body)
        .send()
        .await
        .map_err(|e| {
            if e.is_timeout() {
                format!("no answer within {} s", state.webhooks.timeout.as_secs())
            } else {
                format!("cannot reach the receiver: {}", e.without_url())
            }
        })?;
    let status = response.status().as_u16();
    // Read a little of the answer (so the connection ends cleanly), never all of it.
    let mut read = 0usize;
    while read < ANSWER_CAP {
        match tokio::time::timeout(Duration::from_secs(2), response.chunk()).await {
            Ok(Ok(Some(chunk))) => read += chunk.len(),
            _ => break,
        }
    }
    Ok(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pubsub_url_is_derived_as_solana_tools_do() {
        assert_eq!(
            pubsub_url("http://127.0.0.1:8899").as_deref(),
            Some("ws://127.0.0.1:8900/")
        );
        assert_eq!(
            pubsub_url("https://api.devnet.solana.com").as_deref(),
            Some("wss://api.devnet.solana.com/")
        );
        assert_eq!(pubsub_url("ftp://x"), None);
    }

    #[test]
    fn private_addresses_are_refused() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::",
        ] {
            assert!(is_private(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "172.32.0.1"] {
            assert!(!is_private(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn urls_other_than_http_are_refused_with_a_reason() {
        assert!(check_url_shape("ftp://example.com/x")
            .unwrap_err()
            .contains("http or https"));
        assert!(check_url_shape("file:///etc/passwd")
            .unwrap_err()
            .contains("http or https"));
        assert!(check_url_shape("not a url")
            .unwrap_err()
            .contains("not a URL"));
        assert!(check_url_shape("https://user:pw@example.com/")
            .unwrap_err()
            .contains("credentials"));
        assert!(check_url_shape("https://example.com/hook").is_ok());
    }

    #[test]
    fn signatures_follow_standard_webhooks() {
        // The Standard Webhooks specification's example (its reference libraries test it).
        let secret = BASE64_STANDARD
            .decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
            .unwrap();
        assert_eq!(
            signature(
                &secret,
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1614265330,
                r#"{"test": 2432232314}"#
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
        let root = [7u8; 32];
        let a = webhook_secret(&root, "wh_a");
        assert_ne!(a, webhook_secret(&root, "wh_b"));
        assert_eq!(
            secret_text(&a),
            format!("whsec_{}", BASE64_STANDARD.encode(a))
        );
    }

    #[test]
    fn retries_back_off_and_give_up_after_a_day() {
        let s = WebhookSettings::default();
        assert!(next_delay(&s, 1, now()).unwrap() <= Duration::from_secs(30));
        assert!(next_delay(&s, 2, now()).unwrap() > next_delay(&s, 1, now()).unwrap());
        assert_eq!(next_delay(&s, 3, now() - 24 * 3600), None);
    }
}
