//! What the server shares between requests ([`AppState`]): the client, the store, the audit key,
//! the rate limiters and the optional local signer.

use std::{sync::Arc, time::Duration};

use leash_client::Client;
use solana_keypair::Keypair;
use solana_program::pubkey::Pubkey;
use solana_signer::Signer;

use crate::{
    auth::keys::{Limiter, RateLimit},
    error::{ApiError, ApiResult},
    request_id,
    store::{self, Store},
};

/// The largest request body accepted (413 above).
pub const BODY_LIMIT: usize = 64 * 1024;

/// Dashboard sign-ins: a burst of 10, then one every 6 s, per client address and per key.
pub const SIGN_IN_RATE: RateLimit = RateLimit {
    per_second: 1.0 / 6.0,
    burst: 10.0,
};

/// What the server shares between requests.
pub struct AppState {
    pub client: Arc<Client>,
    pub store: Arc<Store>,
    audit_key: Arc<Keypair>,
    pub limiter: Limiter,
    /// Dashboard sign-ins, per client address and per key tried (docs/dashboard.md).
    pub sign_in_limiter: Limiter,
    /// `leash serve --signer`: signs owner transactions when an admin asks.
    signer: Option<Keypair>,
    /// Woken when this instance stores events (streams and the delivery worker wait on it;
    /// events another instance stored are found by their periodic look).
    pub events_changed: Arc<tokio::sync::Notify>,
    /// How webhooks are delivered (docs/api.md, "Webhooks").
    pub webhooks: WebhookSettings,
    /// Set when the server stops: the watcher and the delivery worker finish their round and
    /// end (never aborted while they hold the state: its last reference must not be dropped on
    /// the runtime, where a PostgreSQL client cannot be).
    pub stopping: std::sync::atomic::AtomicBool,
}

impl AppState {
    pub fn new(client: Client, store: Arc<Store>, audit_key: Keypair, rate: RateLimit) -> Self {
        AppState {
            client: Arc::new(client),
            store,
            audit_key: Arc::new(audit_key),
            limiter: Limiter::new(rate),
            sign_in_limiter: Limiter::new(SIGN_IN_RATE),
            signer: None,
            events_changed: Arc::new(tokio::sync::Notify::new()),
            webhooks: WebhookSettings::default(),
            stopping: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// With these webhook settings.
    pub fn with_webhooks(mut self, webhooks: WebhookSettings) -> Self {
        self.webhooks = webhooks;
        self
    }

    /// The root every webhook's signing secret is derived from: an HMAC of the audit key's
    /// secret, so instances sharing the audit key sign alike and the store holds no secret.
    pub fn webhook_root(&self) -> [u8; 32] {
        use hmac::Mac;
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&self.audit_key.to_bytes()[..32])
            .expect("HMAC takes any key length");
        mac.update(b"leash webhook root v1");
        mac.finalize().into_bytes().into()
    }

    /// With a local signer (`leash serve --signer`).
    pub fn with_signer(mut self, signer: Option<Keypair>) -> Self {
        self.signer = signer;
        self
    }

    pub fn signer(&self) -> Option<&Keypair> {
        self.signer.as_ref()
    }

    pub fn audit_key_pubkey(&self) -> Pubkey {
        self.audit_key.pubkey()
    }

    /// Runs `f` on the store from a blocking thread (the store blocks; PostgreSQL's client
    /// may not run on an async worker).
    pub async fn store<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Store) -> store::StoreResult<T> + Send + 'static,
    ) -> store::StoreResult<T> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || f(&store))
            .await
            .map_err(|_| store::StoreError("a store call stopped unexpectedly".into()))?
    }

    /// Runs an administrative operation ([`crate::admin`]) as `actor` on a blocking thread.
    pub async fn admin<T: Send + 'static>(
        &self,
        actor: &str,
        f: impl FnOnce(&crate::admin::Admin) -> crate::admin::AdminResult<T> + Send + 'static,
    ) -> ApiResult<T> {
        let (store, key, actor) = (
            self.store.clone(),
            self.audit_key.clone(),
            actor.to_string(),
        );
        let result = tokio::task::spawn_blocking(move || {
            f(&crate::admin::Admin {
                store: &store,
                audit_key: &key,
                actor: &actor,
            })
        })
        .await
        .map_err(|_| ApiError::internal("an operation stopped unexpectedly"))?;
        Ok(result?)
    }

    /// Appends an audit entry by `actor` (an API key id); a store failure is the answer.
    pub async fn audit(
        &self,
        actor: &str,
        event_type: &str,
        resource: &str,
        payload: serde_json::Value,
    ) -> ApiResult<()> {
        let key = self.audit_key.clone();
        let (actor, event_type, resource) = (
            actor.to_string(),
            event_type.to_string(),
            resource.to_string(),
        );
        self.store(move |store| {
            crate::admin::append_audit(store, &key, &actor, &event_type, &resource, &payload)
        })
        .await
        .map_err(|e| {
            eprintln!("leash serve: {} {e}", request_id::current());
            ApiError::internal("the audit log cannot be written")
        })?;
        Ok(())
    }
}

/// How webhooks are delivered.
#[derive(Clone, Debug)]
pub struct WebhookSettings {
    /// Deliver to loopback, link-local and private addresses too (`leash serve
    /// --allow-private-webhooks`; on by default when the cluster is a local node).
    pub allow_private: bool,
    /// Waits after each failed attempt (the last repeats); the first retry comes within 30 s.
    pub retry_delays: Vec<Duration>,
    /// A delivery still failing this long after its event is a dead letter.
    pub give_up_after: Duration,
    /// Each attempt's time limit.
    pub timeout: Duration,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        let minutes = |m: u64| Duration::from_secs(60 * m);
        WebhookSettings {
            allow_private: false,
            retry_delays: vec![
                Duration::from_secs(5),
                Duration::from_secs(25),
                minutes(2),
                minutes(10),
                minutes(30),
                minutes(60),
                minutes(120),
                minutes(240),
                minutes(480),
            ],
            give_up_after: Duration::from_secs(24 * 3600),
            timeout: Duration::from_secs(10),
        }
    }
}
