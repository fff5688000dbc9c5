//! WebSocket PubSub on rpc-port + 1, Solana's PubSub JSON-RPC protocol (docs/node.md,
//! docs/node.md): `accountSubscribe`, `signatureSubscribe`, `slotSubscribe`, `rootSubscribe`,
//! `logsSubscribe`, `programSubscribe` and their `…Unsubscribe`.
//!
//! The executor publishes what each commit made durable ([`Event`], [`crate::events`]) on a bounded
//! `tokio::sync::broadcast` channel ([`crate::events::Publisher`]); every connection reads that channel and
//! notifies its own subscriptions. This single node confirms and finalizes at the durable group
//! commit, so every commitment level is notified then. A connection that falls more than
//! [`crate::events::EVENT_CAPACITY`] commits behind (a client that does not read) is closed with a close frame
//! rather than buffered without bound.

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
};

use axum::{
    extract::{
        ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade},
        State,
    },
    response::Response,
    Router,
};
use serde_json::{json, Value};
use solana_account_decoder_client_types::UiAccountEncoding;
use solana_program::pubkey::Pubkey;
use solana_rpc_client_types::{
    config::{
        RpcAccountInfoConfig, RpcProgramAccountsConfig, RpcSignatureSubscribeConfig,
        RpcTransactionLogsConfig, RpcTransactionLogsFilter,
    },
    filter::RpcFilterType,
};
use solana_signature::Signature;
use tokio::sync::{broadcast, watch};

use crate::{
    chain::signature_bytes,
    encoding::ui_account,
    events::{ChangedAccount, Event},
    executor::{Access, Executor},
    jsonrpc::{self, optional, parse_pubkey, parse_signature, required, RpcError},
    methods::accounts::filter_allows,
};

/// Subscriptions one connection may hold.
pub const MAX_SUBSCRIPTIONS: usize = 1_000;
/// How long a send may wait for a client that does not read before the connection is dropped.
pub const SEND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);
/// How long shutdown waits for open connections to send their close frames.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(5);
/// Largest message a client may send (subscription requests are a few hundred bytes).
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;

// ---------------------------------------------------------------------------------------------
// The server.

#[derive(Clone)]
struct PubSub {
    executor: Executor,
    next_id: Arc<AtomicU64>,
    shutdown: watch::Receiver<bool>,
    /// Unsubscribed connections are closed after this; the rest are pinged twice in it.
    idle: std::time::Duration,
    /// Held by every connection: [`serve`] waits for all to have said goodbye.
    _live: tokio::sync::mpsc::Sender<()>,
}

/// Serves PubSub on `listener` until `shutdown` turns true; open connections then get a close
/// frame.
///
/// `listener` guards the connections (idle and header timeouts, caps; it sets `TCP_NODELAY`, so
/// notifications go out at once). On top of that, a connection that holds no subscription for
/// `idle` is closed, and the others are pinged every `idle / 2` and closed once nothing (not
/// even a pong) has come from them for `idle * 3 / 2`.
pub async fn serve(
    listener: leash_net::GuardedListener,
    executor: Executor,
    shutdown: watch::Receiver<bool>,
    idle: std::time::Duration,
) -> Result<(), std::io::Error> {
    let (live, mut all_closed) = tokio::sync::mpsc::channel::<()>(1);
    let state = PubSub {
        executor,
        next_id: Arc::new(AtomicU64::new(1)),
        shutdown: shutdown.clone(),
        idle,
        _live: live,
    };
    let app = Router::new().fallback(upgrade).with_state(state);
    let mut stop = shutdown;
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(async move { stopped(&mut stop).await })
        .await;
    // Open connections are sending their close frames; let them finish (bounded) before the
    // runtime goes away.
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, all_closed.recv()).await;
    served
}

async fn upgrade(State(state): State<PubSub>, ws: WebSocketUpgrade) -> Response {
    ws.max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        .on_upgrade(move |socket| connection(socket, state))
}

/// What one subscription waits for.
enum Subscription {
    Account {
        pubkey: Pubkey,
        config: RpcAccountInfoConfig,
    },
    Program {
        program: Pubkey,
        filters: Vec<RpcFilterType>,
        config: RpcAccountInfoConfig,
    },
    Signature {
        signature: Signature,
        received: bool,
    },
    Logs {
        mentions: Option<Pubkey>,
    },
    Slot,
    Root,
}

impl Subscription {
    fn unsubscribe_method(&self) -> &'static str {
        match self {
            Subscription::Account { .. } => "accountUnsubscribe",
            Subscription::Program { .. } => "programUnsubscribe",
            Subscription::Signature { .. } => "signatureUnsubscribe",
            Subscription::Logs { .. } => "logsUnsubscribe",
            Subscription::Slot => "slotUnsubscribe",
            Subscription::Root => "rootUnsubscribe",
        }
    }
}

struct Connection {
    state: PubSub,
    subscriptions: HashMap<u64, Subscription>,
    /// Signature subscriptions to check against the ledger once their id has been answered.
    to_check: Vec<u64>,
}

/// Why a connection ends.
enum End {
    Client,
    Lagged,
    Shutdown,
    /// No subscription for the idle time.
    Unsubscribed,
    /// Nothing received, not even a pong, for one and a half idle times.
    Silent,
}

async fn connection(mut socket: WebSocket, state: PubSub) {
    // Subscribed before any request is read, so no commit after a subscription can be missed.
    let mut events = state.executor.subscribe_events();
    let mut shutdown = state.shutdown.clone();
    let idle = state.idle;
    let mut connection = Connection {
        state,
        subscriptions: HashMap::new(),
        to_check: Vec::new(),
    };
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + idle / 2, idle / 2);
    let mut heard = tokio::time::Instant::now();
    let mut unsubscribed_since = Some(tokio::time::Instant::now());
    let end = loop {
        let unsubscribed_until = unsubscribed_since.map(|since| since + idle);
        tokio::select! {
            message = socket.recv() => {
                heard = tokio::time::Instant::now();
                let text = match message {
                    Some(Ok(Message::Text(text))) => text.as_str().to_owned(),
                    Some(Ok(Message::Binary(bytes))) => String::from_utf8_lossy(&bytes).into_owned(),
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break End::Client,
                };
                if let Some(reply) = connection.handle_text(&text) {
                    if send(&mut socket, reply).await.is_err() {
                        break End::Client;
                    }
                }
                if connection.check_signatures(&mut socket).await.is_err() {
                    break End::Client;
                }
                unsubscribed_since = match (connection.subscriptions.is_empty(), unsubscribed_since) {
                    (false, _) => None,
                    (true, None) => Some(tokio::time::Instant::now()),
                    (true, since) => since,
                };
            }
            _ = ping.tick() => {
                if heard.elapsed() > idle * 3 / 2 {
                    break End::Silent;
                }
                let pinged = tokio::time::timeout(SEND_TIMEOUT, socket.send(Message::Ping(Default::default()))).await;
                if !matches!(pinged, Ok(Ok(()))) {
                    break End::Client;
                }
            }
            () = async {
                match unsubscribed_until {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            } => break End::Unsubscribed,
            event = events.recv() => match event {
                Ok(event) => {
                    if connection.notify(&mut socket, &event).await.is_err() {
                        break End::Client;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => break End::Lagged,
                Err(broadcast::error::RecvError::Closed) => break End::Shutdown,
            },
            () = stopped(&mut shutdown) => break End::Shutdown,
        }
    };
    let frame = match end {
        End::Client => return,
        // 1008: policy violation (the client did not keep up); 1001: going away.
        End::Lagged => CloseFrame {
            code: 1008,
            reason: "subscriber lagged behind: too many undelivered notifications".into(),
        },
        End::Shutdown => CloseFrame {
            code: 1001,
            reason: "the node is shutting down".into(),
        },
        End::Unsubscribed => CloseFrame {
            code: 1001,
            reason: "no subscription: connections without one are closed when idle".into(),
        },
        End::Silent => CloseFrame {
            code: 1001,
            reason: "no answer to pings".into(),
        },
    };
    let _ = tokio::time::timeout(SEND_TIMEOUT, socket.send(Message::Close(Some(frame)))).await;
}

/// Resolves when the node shuts down.
async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}

/// The connection is gone, or so slow it is dropped.
struct Gone;

/// Sends `value`; a client that takes in nothing for [`SEND_TIMEOUT`] is dropped, so a connection
/// that stopped reading does not hold its task and socket for ever.
async fn send(socket: &mut WebSocket, value: Value) -> Result<(), Gone> {
    let message = Message::Text(value.to_string().into());
    match tokio::time::timeout(SEND_TIMEOUT, socket.send(message)).await {
        Ok(Ok(())) => Ok(()),
        _ => Err(Gone),
    }
}

fn notification(method: &str, subscription: u64, result: Value) -> Value {
    json!({
        "jsonrpc": "2.0",
        "method": method,
        "params": {"result": result, "subscription": subscription},
    })
}

impl Connection {
    /// Answers one text message: a request or a batch of them.
    fn handle_text(&mut self, text: &str) -> Option<Value> {
        let request: Value = match serde_json::from_str(text) {
            Ok(value) => value,
            Err(_) => {
                return Some(json!({
                    "jsonrpc": "2.0",
                    "error": jsonrpc::RpcError::to_json(&RpcError::parse_error()),
                    "id": null,
                }))
            }
        };
        match request {
            Value::Array(requests) if requests.is_empty() => Some(json!({
                "jsonrpc": "2.0",
                "error": jsonrpc::RpcError::to_json(&RpcError::invalid_request("empty batch")),
                "id": null,
            })),
            Value::Array(requests) => {
                let answers: Vec<Value> = requests
                    .into_iter()
                    .filter_map(|request| self.handle_request(request))
                    .collect();
                (!answers.is_empty()).then_some(Value::Array(answers))
            }
            request => self.handle_request(request),
        }
    }

    fn handle_request(&mut self, request: Value) -> Option<Value> {
        let id = request.get("id").cloned();
        let result = self.call(&request);
        id.is_some().then(|| jsonrpc::response(id, result))
    }

    fn call(&mut self, request: &Value) -> Result<Value, RpcError> {
        let jsonrpc::Request { method, params, .. } =
            jsonrpc::Request::parse(request).map_err(|(_, error)| error)?;
        let method = method.as_str();
        let subscription = match method {
            "accountSubscribe" => {
                let pubkey = parse_pubkey(&required::<String>(&params, 0, "an address")?)?;
                let config: RpcAccountInfoConfig = optional(&params, 1)?;
                Subscription::Account { pubkey, config }
            }
            "programSubscribe" => {
                let program = parse_pubkey(&required::<String>(&params, 0, "a program id")?)?;
                let config: RpcProgramAccountsConfig = optional(&params, 1)?;
                let filters = config.filters.unwrap_or_default();
                for filter in &filters {
                    filter
                        .verify()
                        .map_err(|e| RpcError::invalid_params(format!("Invalid param: {e}")))?;
                }
                Subscription::Program {
                    program,
                    filters,
                    config: config.account_config,
                }
            }
            "signatureSubscribe" => {
                let text: String = required(&params, 0, "a transaction signature")?;
                let signature: Signature = parse_signature(&text)?;
                let config: RpcSignatureSubscribeConfig = optional(&params, 1)?;
                Subscription::Signature {
                    signature,
                    received: config.enable_received_notification.unwrap_or(false),
                }
            }
            "logsSubscribe" => {
                let filter: RpcTransactionLogsFilter = required(
                    &params,
                    0,
                    "\"all\", \"allWithVotes\" or {\"mentions\": [address]}",
                )?;
                let _: Option<RpcTransactionLogsConfig> = optional(&params, 1)?;
                let mentions = match filter {
                    RpcTransactionLogsFilter::All | RpcTransactionLogsFilter::AllWithVotes => None,
                    RpcTransactionLogsFilter::Mentions(addresses) => match addresses.as_slice() {
                        [address] => Some(parse_pubkey(address)?),
                        _ => {
                            return Err(RpcError::invalid_params(
                                "Invalid Request: Only 1 address supported",
                            ))
                        }
                    },
                };
                Subscription::Logs { mentions }
            }
            "slotSubscribe" => Subscription::Slot,
            "rootSubscribe" => Subscription::Root,
            "accountUnsubscribe"
            | "programUnsubscribe"
            | "signatureUnsubscribe"
            | "logsUnsubscribe"
            | "slotUnsubscribe"
            | "rootUnsubscribe" => {
                let id: u64 = required(&params, 0, "a subscription id")?;
                let known = self
                    .subscriptions
                    .get(&id)
                    .is_some_and(|s| s.unsubscribe_method() == method);
                if !known {
                    return Err(RpcError::invalid_params("Invalid subscription id."));
                }
                self.subscriptions.remove(&id);
                return Ok(json!(true));
            }
            other => return Err(RpcError::method_not_found(other)),
        };
        if self.subscriptions.len() >= MAX_SUBSCRIPTIONS {
            return Err(RpcError::new(
                -32603,
                format!("Internal error: at most {MAX_SUBSCRIPTIONS} subscriptions per connection"),
            ));
        }
        let id = self.state.next_id.fetch_add(1, Ordering::Relaxed);
        if matches!(subscription, Subscription::Signature { .. }) {
            self.to_check.push(id);
        }
        self.subscriptions.insert(id, subscription);
        Ok(json!(id))
    }

    /// A signature already committed when it was subscribed is notified at once (clients
    /// subscribe after sending). Later commits arrive as events: the connection's event receiver
    /// predates the subscription, so none falls between the check and the events.
    async fn check_signatures(&mut self, socket: &mut WebSocket) -> Result<(), Gone> {
        for id in std::mem::take(&mut self.to_check) {
            let Some(Subscription::Signature { signature, .. }) = self.subscriptions.get(&id)
            else {
                continue;
            };
            let bytes = signature_bytes(signature);
            let found = self
                .state
                .executor
                .run(Access::Instant, move |chain| {
                    let record = chain.store().transaction(&bytes).map_err(RpcError::from)?;
                    Ok(record.map_or(Value::Null, |r| json!({"slot": r.slot, "err": r.err})))
                })
                .await;
            // An event may have answered it meanwhile.
            if let (Ok(found), true) = (found, self.subscriptions.contains_key(&id)) {
                if let Some(slot) = found.get("slot").and_then(Value::as_u64) {
                    self.subscriptions.remove(&id);
                    let value = jsonrpc::notification_context(slot, json!({"err": found["err"]}));
                    send(socket, notification("signatureNotification", id, value)).await?;
                }
            }
        }
        Ok(())
    }

    async fn notify(&mut self, socket: &mut WebSocket, event: &Event) -> Result<(), Gone> {
        if self.subscriptions.is_empty() {
            return Ok(());
        }
        let mut out = Vec::new();
        let mut done = Vec::new();
        match event {
            Event::Slot { parent, slot } => {
                for (id, subscription) in &self.subscriptions {
                    match subscription {
                        Subscription::Slot => out.push(notification(
                            "slotNotification",
                            *id,
                            json!({"parent": parent, "root": slot, "slot": slot}),
                        )),
                        Subscription::Root => {
                            out.push(notification("rootNotification", *id, json!(slot)))
                        }
                        _ => {}
                    }
                }
            }
            Event::Committed {
                slot,
                transactions,
                accounts,
            } => {
                for (id, subscription) in &self.subscriptions {
                    match subscription {
                        Subscription::Signature {
                            signature,
                            received,
                        } => {
                            let Some(tx) = transactions.iter().find(|t| t.signature == *signature)
                            else {
                                continue;
                            };
                            if *received {
                                out.push(notification(
                                    "signatureNotification",
                                    *id,
                                    jsonrpc::notification_context(
                                        tx.slot,
                                        json!("receivedSignature"),
                                    ),
                                ));
                            }
                            out.push(notification(
                                "signatureNotification",
                                *id,
                                jsonrpc::notification_context(tx.slot, json!({"err": tx.err})),
                            ));
                            done.push(*id);
                        }
                        Subscription::Logs { mentions } => {
                            for tx in transactions {
                                if mentions.is_some_and(|m| !tx.accounts.contains(&m)) {
                                    continue;
                                }
                                let value = json!({
                                    "signature": tx.signature.to_string(),
                                    "err": tx.err,
                                    "logs": tx.logs,
                                });
                                out.push(notification(
                                    "logsNotification",
                                    *id,
                                    jsonrpc::notification_context(tx.slot, value),
                                ));
                            }
                        }
                        Subscription::Account { pubkey, config } => {
                            for changed in accounts.iter().filter(|a| a.pubkey == *pubkey) {
                                let value = encode(changed, config);
                                out.push(notification(
                                    "accountNotification",
                                    *id,
                                    jsonrpc::notification_context(*slot, value),
                                ));
                            }
                        }
                        Subscription::Program {
                            program,
                            filters,
                            config,
                        } => {
                            for changed in accounts.iter().filter(|a| {
                                a.account.owner == *program
                                    && filters.iter().all(|f| {
                                        filter_allows(f, &a.account.owner, &a.account.data)
                                    })
                            }) {
                                let value = json!({
                                    "pubkey": changed.pubkey.to_string(),
                                    "account": encode(changed, config),
                                });
                                out.push(notification(
                                    "programNotification",
                                    *id,
                                    jsonrpc::notification_context(*slot, value),
                                ));
                            }
                        }
                        Subscription::Slot | Subscription::Root => {}
                    }
                }
            }
        }
        // A signature subscription ends with its notification, as on a validator.
        for id in done {
            self.subscriptions.remove(&id);
        }
        for value in out {
            send(socket, value).await?;
        }
        Ok(())
    }
}

/// The account as `config` asks; base58 of data over 128 bytes (refused by `getAccountInfo`)
/// falls back to base64 rather than dropping the notification.
fn encode(changed: &ChangedAccount, config: &RpcAccountInfoConfig) -> Value {
    let mint_display = |mint: &Pubkey| {
        changed
            .mint
            .filter(|(m, _)| m == mint)
            .map(|(_, display)| display)
    };
    let encoding = config.encoding.unwrap_or(UiAccountEncoding::Binary);
    let ui = ui_account(
        &changed.pubkey,
        &changed.account,
        encoding,
        config.data_slice,
        &mint_display,
    )
    .or_else(|_| {
        ui_account(
            &changed.pubkey,
            &changed.account,
            UiAccountEncoding::Base64,
            config.data_slice,
            &mint_display,
        )
    });
    ui.ok()
        .and_then(|ui| serde_json::to_value(ui).ok())
        .unwrap_or(Value::Null)
}
