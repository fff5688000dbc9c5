//! `GET /v1/events` (Server-Sent Events) and the webhooks routes (docs/api.md, "Events",
//! "Webhooks"); the watcher and the delivery worker are [`crate::live`].

use std::{convert::Infallible, time::Duration};

use axum::{
    http::HeaderMap,
    response::sse::{Event, KeepAlive, Sse},
};
use leash_client::live::EventType;

use super::*;
use crate::{
    live::{self as feed, EventEnvelope},
    store::{new_id, EventFilter, WebhookRow},
};
use leash_client::wire::{
    CreateWebhookRequest, DeliveryList, DeliveryWithAttempts, WebhookChanged, WebhookCreated,
    WebhookList, WebhookRemoved, WebhookTested,
};

/// `GET /v1/events`' query.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
pub struct EventsQuery {
    /// Only this wallet's events.
    pub wallet: Option<String>,
    /// Only this session's events.
    pub session: Option<String>,
    /// Comma-separated event types (default: all).
    pub types: Option<String>,
    /// Resume after this event number (as the `Last-Event-ID` header does).
    pub after: Option<i64>,
}

/// Events sent per read of the store.
const BATCH: i64 = 100;
/// How often a stream looks for events another instance stored.
const LOOK_EVERY: Duration = Duration::from_secs(1);

fn filter(query: &EventsQuery) -> ApiResult<EventFilter> {
    let wallet = query
        .wallet
        .as_deref()
        .map(|w| address("wallet", w).map(|a| a.to_string()))
        .transpose()?;
    let session = query
        .session
        .as_deref()
        .map(|s| address("session", s).map(|a| a.to_string()))
        .transpose()?;
    let types = match &query.types {
        Some(list) => EventType::parse_list(list)
            .map_err(|e| ApiError::invalid("types", e))?
            .into_iter()
            .map(|t| t.name().to_string())
            .collect(),
        None => Vec::new(),
    };
    Ok(EventFilter {
        wallet,
        session,
        types,
    })
}

pub async fn events(
    State(state): St,
    headers: HeaderMap,
    Query(query): Query<EventsQuery>,
) -> ApiResult<Response> {
    let filter = filter(&query)?;
    let resume = match headers.get("last-event-id") {
        Some(value) => Some(
            value
                .to_str()
                .ok()
                .and_then(|v| v.trim().parse::<i64>().ok())
                .ok_or_else(|| {
                    ApiError::invalid(
                        "Last-Event-ID",
                        "Last-Event-ID must be an event number (the `id:` of an event)",
                    )
                })?,
        ),
        None => query.after,
    };
    // Without a point to resume from, the stream starts with what happens next.
    let start = match resume {
        Some(after) => after,
        None => state
            .store(|s| s.last_event_id())
            .await
            .map_err(|e| store_error(&e))?,
    };
    let stream = futures_util::stream::unfold(
        (
            state,
            filter,
            start,
            std::collections::VecDeque::<EventEnvelope>::new(),
        ),
        |(state, filter, mut cursor, mut queue)| async move {
            loop {
                if let Some(envelope) = queue.pop_front() {
                    let event = Event::default()
                        .id(envelope.id.to_string())
                        .event(envelope.event_type.name())
                        .json_data(&envelope)
                        .unwrap_or_else(|_| Event::default().comment("unencodable event"));
                    return Some((Ok::<_, Infallible>(event), (state, filter, cursor, queue)));
                }
                let wake = state.events_changed.clone();
                let changed = wake.notified();
                tokio::pin!(changed);
                changed.as_mut().enable();
                let f = filter.clone();
                let rows = state
                    .store(move |s| s.events_after(cursor, &f, BATCH))
                    .await;
                match rows {
                    Ok(rows) if !rows.is_empty() => {
                        if let Some(last) = rows.last() {
                            cursor = last.id;
                        }
                        queue.extend(rows.iter().filter_map(EventEnvelope::from_row));
                    }
                    Ok(_) => {
                        let _ = tokio::time::timeout(LOOK_EVERY, changed).await;
                    }
                    // The store failed: end the stream; the client reconnects with its last id.
                    Err(_) => return None,
                }
            }
        },
    );
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response())
}

fn store_error(e: &crate::store::StoreError) -> ApiError {
    eprintln!("leash serve: {e}");
    ApiError::internal("the store")
}

// ---------------------------------------------------------------------------------------------
// Webhooks.

fn not_found(id: &str) -> ApiError {
    ApiError::new(ApiCode::WebhookNotFound, format!("no webhook {id}"))
        .hint("list them with GET /v1/webhooks")
}

pub async fn create_webhook(
    State(state): St,
    Extension(caller): Extension<Caller>,
    Json(request): Json<CreateWebhookRequest>,
) -> ApiResult<Response> {
    let events = request
        .events
        .iter()
        .map(|name| {
            EventType::parse(name)
                .map(|t| t.name().to_string())
                .ok_or_else(|| {
                    ApiError::invalid(
                        "events",
                        format!(
                            "unknown event type `{name}`; known: {}",
                            EventType::ALL.map(EventType::name).join(", ")
                        ),
                    )
                })
        })
        .collect::<ApiResult<Vec<_>>>()?;
    let wallet = request
        .wallet
        .as_deref()
        .map(|w| address("wallet", w).map(|a| a.to_string()))
        .transpose()?;
    let url = feed::check_url_shape(&request.url).map_err(|e| ApiError::invalid("url", e))?;
    // Refused now when it resolves to a private address (and checked again at each delivery).
    feed::resolve_checked(&url, state.webhooks.allow_private)
        .await
        .map_err(|e| ApiError::invalid("url", e))?;
    let webhook = WebhookRow {
        id: new_id("wh"),
        url: url.to_string(),
        events,
        wallet,
        enabled: true,
        created_at: crate::store::now(),
    };
    let row = webhook.clone();
    let by = caller.0.id.clone();
    state
        .store(move |s| s.insert_webhook(&row, &by))
        .await
        .map_err(|e| store_error(&e))?;
    let _ = state
        .audit(
            &caller.0.id,
            "webhook.create",
            &format!("webhook/{}", webhook.id),
            serde_json::json!({ "url": webhook.url, "events": webhook.events, "wallet": webhook.wallet }),
        )
        .await;
    let secret = feed::secret_text(&feed::webhook_secret(&state.webhook_root(), &webhook.id));
    Ok(json(
        StatusCode::CREATED,
        &WebhookCreated { webhook, secret },
    ))
}

pub async fn list_webhooks(State(state): St) -> ApiResult<Response> {
    let webhooks = state
        .store(|s| s.webhooks())
        .await
        .map_err(|e| store_error(&e))?;
    ok(&WebhookList { webhooks })
}

async fn existing(state: &Arc<AppState>, id: &str) -> ApiResult<WebhookRow> {
    let wanted = id.to_string();
    state
        .store(move |s| s.webhook(&wanted))
        .await
        .map_err(|e| store_error(&e))?
        .ok_or_else(|| not_found(id))
}

pub async fn remove_webhook(
    State(state): St,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    existing(&state, &id).await?;
    let removing = id.clone();
    state
        .store(move |s| s.delete_webhook(&removing))
        .await
        .map_err(|e| store_error(&e))?;
    let _ = state
        .audit(
            &caller.0.id,
            "webhook.remove",
            &format!("webhook/{id}"),
            serde_json::json!({}),
        )
        .await;
    ok(&WebhookRemoved { id, removed: true })
}

async fn set_enabled(
    state: Arc<AppState>,
    caller: Caller,
    id: String,
    enabled: bool,
) -> ApiResult<Response> {
    existing(&state, &id).await?;
    let changing = id.clone();
    state
        .store(move |s| s.set_webhook_enabled(&changing, enabled))
        .await
        .map_err(|e| store_error(&e))?;
    let what = if enabled {
        "webhook.enable"
    } else {
        "webhook.disable"
    };
    let _ = state
        .audit(
            &caller.0.id,
            what,
            &format!("webhook/{id}"),
            serde_json::json!({}),
        )
        .await;
    ok(&WebhookChanged { id, enabled })
}

pub async fn disable_webhook(
    State(state): St,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    set_enabled(state, caller, id, false).await
}

pub async fn enable_webhook(
    State(state): St,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    set_enabled(state, caller, id, true).await
}

pub async fn deliveries(State(state): St, Path(id): Path<String>) -> ApiResult<Response> {
    existing(&state, &id).await?;
    let deliveries = state
        .store(move |s| {
            s.deliveries(&id, 100)?
                .into_iter()
                .map(|delivery| {
                    let attempt_log = s.attempts(&delivery.id)?;
                    Ok(DeliveryWithAttempts {
                        delivery,
                        attempt_log,
                    })
                })
                .collect::<crate::store::StoreResult<Vec<_>>>()
        })
        .await
        .map_err(|e| store_error(&e))?;
    ok(&DeliveryList { deliveries })
}

pub async fn redeliver(
    State(state): St,
    Extension(caller): Extension<Caller>,
    Path((id, delivery)): Path<(String, String)>,
) -> ApiResult<Response> {
    existing(&state, &id).await?;
    let wanted = delivery.clone();
    let found = state
        .store(move |s| s.delivery(&wanted))
        .await
        .map_err(|e| store_error(&e))?
        .filter(|d| d.webhook_id == id)
        .ok_or_else(|| {
            ApiError::new(
                ApiCode::DeliveryNotFound,
                format!("no delivery {delivery} of webhook {id}"),
            )
            .hint("list them with GET /v1/webhooks/{id}/deliveries")
        })?;
    let (hook, event) = (found.webhook_id.clone(), found.event_id);
    state
        .store(move |s| s.queue_delivery(&hook, event))
        .await
        .map_err(|e| store_error(&e))?;
    state.events_changed.notify_waiters();
    let _ = state
        .audit(
            &caller.0.id,
            "webhook.redeliver",
            &format!("webhook/{id}"),
            serde_json::json!({ "delivery": found.id, "event": found.event_id }),
        )
        .await;
    let again = found.id.clone();
    let delivery = state
        .store(move |s| s.delivery(&again))
        .await
        .map_err(|e| store_error(&e))?
        .unwrap_or(found);
    Ok(json(
        StatusCode::ACCEPTED,
        &DeliveryWithAttempts {
            delivery,
            attempt_log: vec![],
        },
    ))
}

pub async fn test_webhook(
    State(state): St,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let hook = existing(&state, &id).await?;
    let outcome = feed::send_test(&state, &hook).await;
    let tested = match outcome {
        Ok(status) => WebhookTested {
            status: Some(status),
            ok: (200..300).contains(&status),
            error: (!(200..300).contains(&status))
                .then(|| format!("the receiver answered {status}")),
        },
        Err(e) => WebhookTested {
            status: None,
            ok: false,
            error: Some(e),
        },
    };
    let _ = state
        .audit(
            &caller.0.id,
            "webhook.test",
            &format!("webhook/{id}"),
            serde_json::json!({ "status": tested.status, "error": tested.error }),
        )
        .await;
    ok(&tested)
}
