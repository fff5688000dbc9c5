//! A real `leash node` in this process, the API served on a free port over it, and an HTTP
//! client: what every test here drives. Tests use only HTTP for what they test; the node's
//! faucet funds owners.
#![allow(dead_code)]

use std::{
    sync::{Arc, OnceLock},
    time::Duration,
};

use base64::Engine;
use leash_api::{keys::RateLimit, keys::Scope, AppState};
use leash_client::{Amount, Client, Cluster, TokenRef};
use leash_node::{BackgroundNode, NodeConfig};
use reqwest::blocking::{Client as Http, Response};
use serde_json::{json, Value};
use solana_keypair::Keypair;
use solana_signer::Signer;
use solana_transaction::Transaction;

/// One node for the whole test binary (each test uses its own owner).
pub fn node() -> &'static BackgroundNode {
    static NODE: OnceLock<(BackgroundNode, tempfile::TempDir)> = OnceLock::new();
    &NODE
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("tempdir");
            let node = BackgroundNode::start(NodeConfig {
                ledger: dir.path().join("ledger"),
                reset: true,
                bind: "127.0.0.1".parse().expect("address"),
                rpc_port: 0,
                slot_time: Some(Duration::from_millis(50)),
                allow_time_travel: true,
                finality_lag: 0,
                spl_token: None,
            })
            .expect("node starts");
            (node, dir)
        })
        .0
}

/// An API server on its own runtime thread, with its own store and an admin key.
pub struct Api {
    pub base: String,
    pub admin: String,
    pub state: Arc<AppState>,
    pub http: Http,
    _dir: tempfile::TempDir,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

impl Api {
    /// The API on the shared node.
    /// (A generous rate limit: the tests make many requests per key; one test checks the
    /// limit itself.)
    pub fn start() -> Api {
        Self::start_with(
            &node().url,
            RateLimit {
                per_second: 1000.0,
                burst: 1000.0,
            },
        )
    }

    /// The API on `url` (any cluster, even one that is down), with `rate`.
    pub fn start_with(url: &str, rate: RateLimit) -> Api {
        let dir = tempfile::tempdir().expect("tempdir");
        Self::start_in(url, rate, dir, None, None)
    }

    /// The API on the shared node with its store in PostgreSQL at `database_url`; `dir` holds
    /// the audit key (instances sharing a store share it); `admin` is the key of an instance
    /// that started on this store before.
    pub fn start_postgres(database_url: &str, dir: tempfile::TempDir, admin: Option<&str>) -> Api {
        Self::start_in(
            &node().url,
            RateLimit {
                per_second: 1000.0,
                burst: 1000.0,
            },
            dir,
            Some(database_url),
            admin,
        )
    }

    /// Two instances on one PostgreSQL store at `database_url`, sharing the audit key file as
    /// instances behind one load balancer do.
    pub fn start_two_on_postgres(database_url: &str) -> (Api, Api) {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = dir.path().join("api/audit-key.json");
        let a = Api::start_postgres(database_url, dir, None);
        let dir_b = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir_b.path().join("api")).expect("api dir");
        std::fs::copy(&key, dir_b.path().join("api/audit-key.json")).expect("share the audit key");
        let b = Api::start_postgres(database_url, dir_b, Some(&a.admin));
        (a, b)
    }

    /// The API on the shared node with a local signer.
    pub fn start_with_signer(signer: Keypair) -> Api {
        let dir = tempfile::tempdir().expect("tempdir");
        Self::start_full(
            &node().url,
            RateLimit {
                per_second: 1000.0,
                burst: 1000.0,
            },
            dir,
            None,
            None,
            Some(signer),
        )
    }

    fn start_in(
        url: &str,
        rate: RateLimit,
        dir: tempfile::TempDir,
        database_url: Option<&str>,
        admin: Option<&str>,
    ) -> Api {
        Self::start_full(url, rate, dir, database_url, admin, None)
    }

    fn start_full(
        url: &str,
        rate: RateLimit,
        dir: tempfile::TempDir,
        database_url: Option<&str>,
        admin: Option<&str>,
        signer: Option<Keypair>,
    ) -> Api {
        Self::start_configured(url, rate, dir, database_url, admin, signer, None)
    }

    /// The API on the shared node delivering webhooks with `webhooks`.
    pub fn start_with_webhooks(webhooks: leash_api::live::WebhookSettings) -> Api {
        let dir = tempfile::tempdir().expect("tempdir");
        Self::start_configured(
            &node().url,
            RateLimit {
                per_second: 1000.0,
                burst: 1000.0,
            },
            dir,
            None,
            None,
            None,
            Some(webhooks),
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn start_configured(
        url: &str,
        rate: RateLimit,
        dir: tempfile::TempDir,
        database_url: Option<&str>,
        admin: Option<&str>,
        signer: Option<Keypair>,
        webhooks: Option<leash_api::live::WebhookSettings>,
    ) -> Api {
        let listen: std::net::SocketAddr = "127.0.0.1:0".parse().expect("address");
        let config = leash_api::Config {
            cluster: Cluster::parse(url).expect("cluster"),
            program: leash_client::ProgramChoice::default_id(),
            settings: leash_client::transaction::SendSettings::default(),
            dir: dir.path().join("api"),
            database_url: database_url.map(str::to_string),
            signer,
            listen,
            rate,
            webhooks: webhooks.unwrap_or_else(test_webhooks),
        };
        let prepared = leash_api::prepare(config).expect("store opens");
        let admin = match admin {
            Some(admin) => {
                assert!(
                    prepared.first_admin_key.is_none(),
                    "the store has keys already"
                );
                admin.to_string()
            }
            None => prepared
                .first_admin_key
                .expect("first start makes an admin key"),
        };
        let state = prepared.state.clone();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind(listen).await.expect("listen");
                addr_tx
                    .send(listener.local_addr().expect("address"))
                    .expect("send address");
                leash_api::serve(listener, prepared.state, async {
                    let _ = rx.await;
                })
                .await
                .expect("serve");
            });
        });
        let addr = addr_rx.recv().expect("server address");
        Api {
            base: format!("http://{addr}"),
            admin,
            state,
            http: Http::builder()
                .timeout(Duration::from_secs(120))
                .build()
                .expect("http client"),
            _dir: dir,
            _shutdown: tx,
        }
    }

    /// The folder of this instance's SQLite store and audit key.
    pub fn store_dir(&self) -> std::path::PathBuf {
        self._dir.path().join("api")
    }

    /// A new key with `scopes`, made over HTTP with the admin key.
    pub fn key(&self, scopes: &[Scope]) -> String {
        let scopes: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
        let r = self.post(
            &self.admin,
            "/v1/api-keys",
            &json!({"name": "test", "scopes": scopes}),
        );
        assert_eq!(r.status, 201, "{}", r.text);
        r.json["key"].as_str().expect("key").to_string()
    }

    pub fn get(&self, key: &str, path: &str) -> Answer {
        Answer::from(
            self.http
                .get(format!("{}{path}", self.base))
                .bearer_auth(key)
                .send()
                .expect("GET"),
        )
    }

    pub fn post(&self, key: &str, path: &str, body: &Value) -> Answer {
        self.post_with(key, path, body, None)
    }

    pub fn delete(&self, key: &str, path: &str) -> Answer {
        Answer::from(
            self.http
                .delete(format!("{}{path}", self.base))
                .bearer_auth(key)
                .send()
                .expect("DELETE"),
        )
    }

    pub fn post_with(
        &self,
        key: &str,
        path: &str,
        body: &Value,
        idempotency_key: Option<&str>,
    ) -> Answer {
        let mut request = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(key)
            .header("content-type", "application/json")
            .body(body.to_string());
        if let Some(k) = idempotency_key {
            request = request.header("idempotency-key", k);
        }
        Answer::from(request.send().expect("POST"))
    }

    /// `POST` with a `Leash-Fee-Payer` header (docs/api.md, "Passkey owners").
    pub fn post_paying(&self, key: &str, path: &str, body: &Value, payer: &str) -> Answer {
        Answer::from(
            self.http
                .post(format!("{}{path}", self.base))
                .bearer_auth(key)
                .header("content-type", "application/json")
                .header("leash-fee-payer", payer)
                .body(body.to_string())
                .send()
                .expect("POST"),
        )
    }

    /// Submits a signed transaction (base64), with a fresh idempotency key.
    pub fn submit(&self, key: &str, transaction: &str) -> Answer {
        let idem = format!("submit-{}", Keypair::new().pubkey());
        self.post_with(
            key,
            "/v1/transactions/submit",
            &json!({ "transaction": transaction }),
            Some(&idem),
        )
    }

    /// Signs every transaction of a prepared answer with `signer` and submits them in order;
    /// the last answer.
    pub fn sign_and_submit(&self, key: &str, prepared: &Answer, signer: &Keypair) -> Answer {
        assert_eq!(prepared.status, 200, "prepare: {}", prepared.text);
        let txs = prepared.json["transactions"]
            .as_array()
            .expect("transactions");
        assert!(!txs.is_empty(), "nothing to sign: {}", prepared.text);
        let mut last = None;
        for tx in txs {
            let signed = sign(tx["transaction"].as_str().expect("tx"), signer);
            let answer = self.submit(key, &signed);
            if answer.status != 200 {
                return answer;
            }
            last = Some(answer);
        }
        last.expect("an answer")
    }
}

/// Signs a base64 unsigned transaction with `signer` (as a browser wallet would).
pub fn sign(unsigned: &str, signer: &Keypair) -> String {
    let engine = base64::prelude::BASE64_STANDARD;
    let bytes = engine.decode(unsigned).expect("base64");
    let mut tx: Transaction = bincode::deserialize(&bytes).expect("transaction");
    let blockhash = tx.message.recent_blockhash;
    tx.try_partial_sign(&[signer], blockhash).expect("sign");
    engine.encode(bincode::serialize(&tx).expect("encode"))
}

/// A prepared transaction signed by `wrong` in the first signer's place.
pub fn sign_wrongly(unsigned: &str, wrong: &Keypair) -> String {
    let engine = base64::prelude::BASE64_STANDARD;
    let bytes = engine.decode(unsigned).expect("base64");
    let mut tx: Transaction = bincode::deserialize(&bytes).expect("transaction");
    tx.signatures[0] = wrong.sign_message(&tx.message_data());
    engine.encode(bincode::serialize(&tx).expect("encode"))
}

/// An answer: status, headers, body text and JSON.
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
    pub json: Value,
}

impl From<Response> for Answer {
    fn from(r: Response) -> Answer {
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        // An event stream never ends: its status and headers are the answer.
        let streaming = headers
            .get(reqwest::header::CONTENT_TYPE)
            .is_some_and(|t| t.as_bytes().starts_with(b"text/event-stream"));
        let text = if streaming {
            String::new()
        } else {
            r.text().expect("body")
        };
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            text,
            json,
        }
    }
}

impl Answer {
    /// Asserts an error answer: status, code, a request id in the body and the header.
    pub fn error(&self, status: u16, code: &str) -> &Value {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(self.json["error"]["code"], code, "{}", self.text);
        let id = self.json["request_id"].as_str().expect("request_id");
        assert!(id.starts_with("req_"), "{id}");
        assert_eq!(
            self.headers
                .get("x-request-id")
                .and_then(|v| v.to_str().ok()),
            Some(id)
        );
        &self.json["error"]
    }
}

/// Webhook delivery in the tests: receivers listen on 127.0.0.1; retries come within seconds
/// and give up after 6 s, so a dead letter is seen in a test.
pub fn test_webhooks() -> leash_api::live::WebhookSettings {
    leash_api::live::WebhookSettings {
        allow_private: true,
        retry_delays: vec![Duration::from_secs(1), Duration::from_secs(2)],
        give_up_after: Duration::from_secs(6),
        timeout: Duration::from_secs(3),
    }
}

/// A fresh PostgreSQL schema on the test database (`LEASH_TEST_DATABASE_URL`, which
/// `scripts/test` sets after starting PostgreSQL): its URL. Without the variable the test fails —
/// unless `LEASH_TEST_POSTGRES=skip` says, out loud, to skip it (`None`).
pub fn fresh_postgres() -> Option<String> {
    let Ok(base) = std::env::var("LEASH_TEST_DATABASE_URL") else {
        if std::env::var("LEASH_TEST_POSTGRES").as_deref() == Ok("skip") {
            eprintln!("SKIPPED: a PostgreSQL test (LEASH_TEST_POSTGRES=skip)");
            return None;
        }
        panic!(
            "LEASH_TEST_DATABASE_URL is not set: run scripts/test (it starts PostgreSQL), or set \
             LEASH_TEST_POSTGRES=skip to skip the PostgreSQL tests knowingly"
        );
    };
    let schema = format!("t_{}", Keypair::new().pubkey().to_string().to_lowercase());
    let mut client = postgres::Client::connect(&base, postgres::NoTls)
        .unwrap_or_else(|e| panic!("cannot connect to LEASH_TEST_DATABASE_URL: {e}"));
    client
        .batch_execute(&format!("CREATE SCHEMA {schema}"))
        .expect("create schema");
    let separator = if base.contains('?') { '&' } else { '?' };
    Some(format!("{base}{separator}options=-csearch_path%3D{schema}"))
}

/// An owner with 10 SOL and 1000 USDC from the node's faucet.
pub fn funded_owner() -> Keypair {
    let client = Client::new(Cluster::parse(&node().url).expect("cluster"));
    let owner = Keypair::new();
    client
        .airdrop(
            &owner.pubkey(),
            &Amount::parse("10", "amount").expect("amount"),
            &TokenRef::Sol,
        )
        .expect("SOL airdrop");
    client
        .airdrop(
            &owner.pubkey(),
            &Amount::parse("1000", "amount").expect("amount"),
            &TokenRef::new("USDC"),
        )
        .expect("USDC airdrop");
    owner
}

/// Creates and funds (2 SOL, 100 USDC) the owner's wallet over HTTP; its address.
pub fn wallet_over_http(api: &Api, key: &str, owner: &Keypair) -> String {
    let prepared = api.post(
        key,
        "/v1/wallets/prepare",
        &json!({ "owner": owner.pubkey().to_string() }),
    );
    let wallet = prepared.json["report"]["wallet"]
        .as_str()
        .expect("wallet")
        .to_string();
    let sent = api.sign_and_submit(key, &prepared, owner);
    assert_eq!(sent.status, 200, "{}", sent.text);
    for (amount, token) in [("2", "SOL"), ("100", "USDC")] {
        let prepared = api.post(
            key,
            &format!("/v1/wallets/{wallet}/deposit/prepare"),
            &json!({ "amount": amount, "token": token }),
        );
        let sent = api.sign_and_submit(key, &prepared, owner);
        assert_eq!(sent.status, 200, "{}", sent.text);
    }
    wallet
}

/// A session registered over HTTP for a new key under `policy`; (session address, key).
pub fn session_over_http(
    api: &Api,
    key: &str,
    owner: &Keypair,
    wallet: &str,
    policy: Value,
) -> (String, Keypair) {
    let session_key = Keypair::new();
    let prepared = api.post(
        key,
        "/v1/sessions/prepare",
        &json!({
            "wallet": wallet,
            "session_key": session_key.pubkey().to_string(),
            "policy": policy,
            "top_up": "0.05",
        }),
    );
    let session = prepared.json["report"]["session"]
        .as_str()
        .expect("session")
        .to_string();
    let sent = api.sign_and_submit(key, &prepared, owner);
    assert_eq!(sent.status, 200, "{}", sent.text);
    (session, session_key)
}
