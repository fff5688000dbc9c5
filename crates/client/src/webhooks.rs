//! The owner's webhooks, through the API (`leash serve`, docs/api.md "Webhooks"): add (the
//! `whsec_` secret shown once), list, remove, enable and disable, test, the delivery log, and
//! redelivery. `leash webhook …` is a face of these.

use std::fmt;

use crate::{
    error::Result,
    requests::ApiEndpoint,
    wire::{
        CreateWebhookRequest, DeliveryList, DeliveryWithAttempts, Webhook, WebhookChanged,
        WebhookCreated, WebhookList, WebhookRemoved, WebhookTested,
    },
    ClientError,
};

/// A fresh `Idempotency-Key` (a random address's text, as the request calls use).
fn idempotency_key() -> String {
    use solana_signer::Signer;
    solana_keypair::Keypair::new().pubkey().to_string()
}

/// A path segment from an id someone typed: no slashes or spaces sneak into the path.
fn segment(what: &str, id: &str) -> Result<String> {
    let id = id.trim();
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(ClientError::input(format!(
            "{what} {id:?} is not an id (like wh_… or dlv_…)"
        )));
    }
    Ok(id.to_string())
}

pub fn add_webhook(api: &ApiEndpoint, request: &CreateWebhookRequest) -> Result<WebhookCreated> {
    api.post("/v1/webhooks", request, &idempotency_key())
}

pub fn list_webhooks(api: &ApiEndpoint) -> Result<WebhookList> {
    api.get("/v1/webhooks")
}

pub fn remove_webhook(api: &ApiEndpoint, id: &str) -> Result<WebhookRemoved> {
    let id = segment("webhook", id)?;
    api.call(
        reqwest::Method::DELETE,
        &format!("/v1/webhooks/{id}"),
        None,
        None,
    )
}

pub fn set_webhook_enabled(api: &ApiEndpoint, id: &str, enabled: bool) -> Result<WebhookChanged> {
    let id = segment("webhook", id)?;
    let verb = if enabled { "enable" } else { "disable" };
    api.post(
        &format!("/v1/webhooks/{id}/{verb}"),
        &serde_json::json!({}),
        &idempotency_key(),
    )
}

pub fn test_webhook(api: &ApiEndpoint, id: &str) -> Result<WebhookTested> {
    let id = segment("webhook", id)?;
    api.post(
        &format!("/v1/webhooks/{id}/test"),
        &serde_json::json!({}),
        &idempotency_key(),
    )
}

pub fn deliveries(api: &ApiEndpoint, id: &str) -> Result<DeliveryList> {
    let id = segment("webhook", id)?;
    api.get(&format!("/v1/webhooks/{id}/deliveries"))
}

pub fn redeliver(api: &ApiEndpoint, id: &str, delivery: &str) -> Result<DeliveryWithAttempts> {
    let id = segment("webhook", id)?;
    let delivery = segment("delivery", delivery)?;
    api.post(
        &format!("/v1/webhooks/{id}/deliveries/{delivery}/redeliver"),
        &serde_json::json!({}),
        &idempotency_key(),
    )
}

fn events_text(events: &[String]) -> String {
    if events.is_empty() {
        "all events".to_string()
    } else {
        events.join(", ")
    }
}

impl fmt::Display for Webhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}  {}  {}{}{}",
            self.id,
            self.url,
            events_text(&self.events),
            self.wallet
                .as_deref()
                .map(|w| format!(" of wallet {w}"))
                .unwrap_or_default(),
            if self.enabled { "" } else { "  (disabled)" }
        )
    }
}

impl fmt::Display for WebhookCreated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Webhook {}", self.webhook)?;
        writeln!(f, "Secret: {}", self.secret)?;
        write!(
            f,
            "Shown once: keep it where the receiver verifies signatures (any Standard Webhooks library)."
        )
    }
}

impl fmt::Display for WebhookList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.webhooks.is_empty() {
            return write!(f, "No webhooks (add one with `leash webhook add --url …`)");
        }
        let mut first = true;
        for hook in &self.webhooks {
            if !first {
                writeln!(f)?;
            }
            first = false;
            write!(f, "{hook}")?;
        }
        Ok(())
    }
}

impl fmt::Display for WebhookRemoved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Removed webhook {} and its delivery log", self.id)
    }
}

impl fmt::Display for WebhookChanged {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = if self.enabled {
            "enabled"
        } else {
            "disabled: events meanwhile are not queued for it"
        };
        write!(f, "Webhook {} {what}", self.id)
    }
}

impl fmt::Display for WebhookTested {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.ok, self.status, &self.error) {
            (true, Some(status), _) => {
                write!(f, "The receiver accepted the test message (HTTP {status})")
            }
            (_, _, Some(error)) => write!(f, "The test message was not accepted: {error}"),
            _ => write!(f, "The test message was not accepted"),
        }
    }
}

impl fmt::Display for DeliveryWithAttempts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.delivery;
        write!(
            f,
            "{}  event {}  {}  {} attempt(s)",
            d.id, d.event_id, d.state, d.attempts
        )?;
        if let Some(status) = d.last_status {
            write!(f, "  last HTTP {status}")?;
        }
        if let Some(error) = &d.last_error {
            write!(f, "  ({error})")?;
        }
        Ok(())
    }
}

impl fmt::Display for DeliveryList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.deliveries.is_empty() {
            return write!(f, "No deliveries yet");
        }
        let mut first = true;
        for d in &self.deliveries {
            if !first {
                writeln!(f)?;
            }
            first = false;
            write!(f, "{d}")?;
        }
        Ok(())
    }
}
