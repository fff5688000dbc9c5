//! WebSocket PubSub on rpc-port + 1 through `solana-pubsub-client` (the Rust client's own
//! subscription flows) and raw JSON over `tokio-tungstenite` for the protocol's edges:
//! signature, account, slot, root, logs (`mentions`) and program subscriptions, unsubscribe,
//! malformed messages, the per-connection subscription cap.

use std::{future::Future, time::Duration};

use futures_util::{SinkExt, StreamExt};
use leash_node::{BackgroundNode, NodeConfig};
use leash_sdk::spl;
use serde_json::{json, Value};
use solana_account_decoder_client_types::{UiAccountData, UiAccountEncoding};
use solana_commitment_config::CommitmentConfig;
use solana_keypair::Keypair;
use solana_message::Message;
use solana_program::pubkey::Pubkey;
use solana_pubsub_client::nonblocking::pubsub_client::PubsubClient;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client_types::{
    config::{
        RpcAccountInfoConfig, RpcProgramAccountsConfig, RpcSignatureSubscribeConfig,
        RpcTransactionLogsConfig, RpcTransactionLogsFilter,
    },
    filter::{Memcmp, RpcFilterType},
    response::{ProcessedSignatureResult, ReceivedSignatureResult, RpcSignatureResult},
};
use solana_signer::Signer;
use solana_transaction::Transaction;
use tokio_tungstenite::tungstenite;

mod common;

use common::*;

const WAIT: Duration = Duration::from_secs(10);

/// A node with 50 ms slots on a fresh ledger.
fn start() -> (tempfile::TempDir, BackgroundNode) {
    let dir = tempfile::tempdir().unwrap();
    let node = BackgroundNode::start(config(dir.path(), false, false)).expect("node starts");
    (dir, node)
}

/// Runs a test body on its own runtime (the node has its own).
fn run<F: Future>(body: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(body)
}

async fn next<T>(stream: &mut (impl futures_util::Stream<Item = T> + Unpin)) -> T {
    tokio::time::timeout(WAIT, stream.next())
        .await
        .expect("a notification in time")
        .expect("the subscription is open")
}

fn rpc(node: &BackgroundNode) -> RpcClient {
    RpcClient::new_with_commitment(node.url.clone(), CommitmentConfig::confirmed())
}

fn usdc(node: &BackgroundNode) -> Pubkey {
    rpc_result(&node.url, "leash_getTokenList", json!([]))[0]["mint"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn pubsub_listens_on_the_port_after_rpc() {
    let (_dir, node) = start();
    assert!(
        node.ws_url.starts_with("ws://127.0.0.1:"),
        "{}",
        node.ws_url
    );
    // Free ports are paired as solana-test-validator's (web3.js derives the WebSocket URL so).
    let port = |url: &str| -> u16 { url.rsplit(':').next().unwrap().parse().unwrap() };
    assert_eq!(port(&node.ws_url), port(&node.url) + 1);
}

#[test]
fn signature_subscriptions_confirm_transfers_sent_before_and_after() {
    let (_dir, node) = start();
    run(async {
        let rpc = rpc(&node);
        let pubsub = PubsubClient::new(&node.ws_url).await.unwrap();

        // Subscribed after the airdrop was answered: notified at once.
        let payer = Keypair::new();
        let airdrop = rpc
            .request_airdrop(&payer.pubkey(), 10 * SOL)
            .await
            .unwrap();
        let (mut stream, _unsubscribe) = pubsub.signature_subscribe(&airdrop, None).await.unwrap();
        let notification = next(&mut stream).await;
        assert!(notification.context.slot > 0);
        assert_eq!(
            notification.value,
            RpcSignatureResult::ProcessedSignature(ProcessedSignatureResult { err: None })
        );

        // Subscribed before sending, with the received notification: received, then confirmed.
        let to = Pubkey::new_unique();
        let blockhash = rpc.get_latest_blockhash().await.unwrap();
        let transfer = Transaction::new(
            &[&payer],
            Message::new(
                &[solana_system_interface::instruction::transfer(
                    &payer.pubkey(),
                    &to,
                    SOL,
                )],
                Some(&payer.pubkey()),
            ),
            blockhash,
        );
        let config = RpcSignatureSubscribeConfig {
            commitment: Some(CommitmentConfig::confirmed()),
            enable_received_notification: Some(true),
        };
        let (mut stream, _unsubscribe) = pubsub
            .signature_subscribe(&transfer.signatures[0], Some(config))
            .await
            .unwrap();
        let signature = rpc.send_transaction(&transfer).await.unwrap();
        assert_eq!(signature, transfer.signatures[0]);
        assert_eq!(
            next(&mut stream).await.value,
            RpcSignatureResult::ReceivedSignature(ReceivedSignatureResult::ReceivedSignature)
        );
        assert_eq!(
            next(&mut stream).await.value,
            RpcSignatureResult::ProcessedSignature(ProcessedSignatureResult { err: None })
        );
        assert_eq!(rpc.get_balance(&to).await.unwrap(), SOL);

        // A transaction that lands with an error (skipPreflight) is notified with it.
        let blockhash = rpc.get_latest_blockhash().await.unwrap();
        let too_much = Transaction::new(
            &[&payer],
            Message::new(
                &[solana_system_interface::instruction::transfer(
                    &payer.pubkey(),
                    &to,
                    100 * SOL,
                )],
                Some(&payer.pubkey()),
            ),
            blockhash,
        );
        let config = solana_rpc_client_types::config::RpcSendTransactionConfig {
            skip_preflight: true,
            ..Default::default()
        };
        let failed = rpc
            .send_transaction_with_config(&too_much, config)
            .await
            .unwrap();
        let (mut stream, _unsubscribe) = pubsub.signature_subscribe(&failed, None).await.unwrap();
        match next(&mut stream).await.value {
            RpcSignatureResult::ProcessedSignature(ProcessedSignatureResult { err: Some(_) }) => {}
            other => panic!("expected an error, got {other:?}"),
        }
    });
}

#[test]
fn account_subscription_sees_a_balance_change() {
    let (_dir, node) = start();
    run(async {
        let rpc = rpc(&node);
        let pubsub = PubsubClient::new(&node.ws_url).await.unwrap();
        let key = Pubkey::new_unique();
        let config = RpcAccountInfoConfig {
            encoding: Some(UiAccountEncoding::Base64),
            commitment: Some(CommitmentConfig::finalized()),
            ..Default::default()
        };
        let (mut stream, _unsubscribe) =
            pubsub.account_subscribe(&key, Some(config)).await.unwrap();
        rpc.request_airdrop(&key, 2 * SOL).await.unwrap();
        let notification = next(&mut stream).await;
        assert_eq!(notification.value.lamports, 2 * SOL);
        assert_eq!(
            notification.value.owner,
            solana_system_interface::program::ID.to_string()
        );
        rpc.request_airdrop(&key, SOL).await.unwrap();
        assert_eq!(next(&mut stream).await.value.lamports, 3 * SOL);
    });
}

#[test]
fn slot_and_root_subscriptions_tick() {
    let (_dir, node) = start();
    run(async {
        let pubsub = PubsubClient::new(&node.ws_url).await.unwrap();
        let (mut slots, _unsubscribe) = pubsub.slot_subscribe().await.unwrap();
        let mut last = next(&mut slots).await;
        assert!(last.parent < last.slot && last.root <= last.slot);
        for _ in 0..3 {
            let info = next(&mut slots).await;
            assert!(info.slot > last.slot, "{info:?} after {last:?}");
            assert_eq!(info.parent, last.slot);
            last = info;
        }
        let (mut roots, _unsubscribe) = pubsub.root_subscribe().await.unwrap();
        let first = next(&mut roots).await;
        let second = next(&mut roots).await;
        assert!(second > first);
    });
}

#[test]
fn logs_subscription_with_mentions_sees_a_token_transaction() {
    let (_dir, node) = start();
    let usdc = usdc(&node);
    run(async {
        let rpc = rpc(&node);
        let pubsub = PubsubClient::new(&node.ws_url).await.unwrap();
        let owner = Pubkey::new_unique();
        let (mut mentions, _unsubscribe) = pubsub
            .logs_subscribe(
                RpcTransactionLogsFilter::Mentions(vec![owner.to_string()]),
                RpcTransactionLogsConfig { commitment: None },
            )
            .await
            .unwrap();
        let (mut all, _unsubscribe) = pubsub
            .logs_subscribe(
                RpcTransactionLogsFilter::All,
                RpcTransactionLogsConfig {
                    commitment: Some(CommitmentConfig::confirmed()),
                },
            )
            .await
            .unwrap();

        // Not mentioning the owner: only "all" sees it.
        let other = rpc
            .request_airdrop(&Pubkey::new_unique(), SOL)
            .await
            .unwrap();
        assert_eq!(next(&mut all).await.value.signature, other.to_string());

        let url = node.url.clone();
        let minted = tokio::task::spawn_blocking(move || {
            rpc_result(
                &url,
                "leash_mintTokens",
                json!([owner.to_string(), "USDC", 5_000_000]),
            )
        })
        .await
        .unwrap();
        let logs = next(&mut mentions).await;
        assert_eq!(json!(logs.value.signature), minted);
        assert_eq!(logs.value.err, None);
        let token_program = format!("Program {} invoke", spl::TOKEN_PROGRAM_ID);
        assert!(
            logs.value
                .logs
                .iter()
                .any(|l| l.starts_with(&token_program)),
            "{:?}",
            logs.value.logs
        );
        assert_eq!(json!(next(&mut all).await.value.signature), minted);
        let _ = usdc;
    });
}

#[test]
fn program_subscription_sees_a_token_account_change() {
    let (_dir, node) = start();
    let usdc = usdc(&node);
    run(async {
        let pubsub = PubsubClient::new(&node.ws_url).await.unwrap();
        let owner = Pubkey::new_unique();
        let config = RpcProgramAccountsConfig {
            filters: Some(vec![
                RpcFilterType::DataSize(165),
                RpcFilterType::Memcmp(Memcmp::new_base58_encoded(32, owner.as_ref())),
            ]),
            account_config: RpcAccountInfoConfig {
                encoding: Some(UiAccountEncoding::JsonParsed),
                ..Default::default()
            },
            ..Default::default()
        };
        let (mut stream, _unsubscribe) = pubsub
            .program_subscribe(&spl::TOKEN_PROGRAM_ID, Some(config))
            .await
            .unwrap();
        let url = node.url.clone();
        tokio::task::spawn_blocking(move || {
            rpc_result(
                &url,
                "leash_mintTokens",
                json!([owner.to_string(), "USDC", 5_000_000]),
            )
        })
        .await
        .unwrap();
        let notification = next(&mut stream).await;
        let ata = spl::associated_token_address(&owner, &usdc, &spl::TOKEN_PROGRAM_ID);
        assert_eq!(notification.value.pubkey, ata.to_string());
        let UiAccountData::Json(parsed) = notification.value.account.data else {
            panic!("expected jsonParsed: {:?}", notification.value.account.data);
        };
        assert_eq!(parsed.parsed["type"], "account");
        assert_eq!(
            parsed.parsed["info"]["tokenAmount"]["amount"],
            json!("5000000")
        );
        assert_eq!(parsed.parsed["info"]["owner"], json!(owner.to_string()));
    });
}

// ---------------------------------------------------------------------------------------------
// Raw protocol.

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn send_text(socket: &mut Socket, text: &str) {
    socket
        .send(tungstenite::Message::text(text.to_string()))
        .await
        .unwrap();
}

/// The next message that is not a notification (an answer to a request).
async fn answer(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(WAIT, socket.next())
            .await
            .expect("an answer in time")
            .expect("the connection is open")
            .unwrap();
        if let tungstenite::Message::Text(text) = message {
            let value: Value = serde_json::from_str(&text).unwrap();
            if value.get("method").is_none() {
                return value;
            }
        }
    }
}

#[test]
fn unsubscribe_and_malformed_messages_get_json_rpc_answers() {
    let (_dir, node) = start();
    run(async {
        let (mut socket, _) = tokio_tungstenite::connect_async(node.ws_url.as_str())
            .await
            .unwrap();

        // Malformed messages get errors and the connection stays.
        send_text(&mut socket, "{not json").await;
        let reply = answer(&mut socket).await;
        assert_eq!(reply["error"]["code"], -32700, "{reply}");
        assert_eq!(reply["id"], Value::Null);
        send_text(
            &mut socket,
            r#"{"jsonrpc":"2.0","id":1,"method":"blockSubscribe"}"#,
        )
        .await;
        assert_eq!(answer(&mut socket).await["error"]["code"], -32601);
        send_text(
            &mut socket,
            r#"{"jsonrpc":"2.0","id":2,"method":"accountSubscribe","params":["not-an-address"]}"#,
        )
        .await;
        let reply = answer(&mut socket).await;
        assert_eq!(reply["error"]["code"], -32602, "{reply}");
        assert_eq!(reply["id"], 2);
        let two = json!({"jsonrpc": "2.0", "id": 3, "method": "logsSubscribe",
            "params": [{"mentions": [Pubkey::new_unique().to_string(), Pubkey::new_unique().to_string()]}]});
        send_text(&mut socket, &two.to_string()).await;
        assert_eq!(answer(&mut socket).await["error"]["code"], -32602);
        send_text(
            &mut socket,
            r#"{"jsonrpc":"1.0","id":4,"method":"slotSubscribe"}"#,
        )
        .await;
        assert_eq!(answer(&mut socket).await["error"]["code"], -32600);
        socket
            .send(tungstenite::Message::binary(vec![0xff, 0x00, 0x12]))
            .await
            .unwrap();
        assert_eq!(answer(&mut socket).await["error"]["code"], -32700);

        // Subscribe, see a notification, unsubscribe, and nothing follows.
        send_text(
            &mut socket,
            r#"{"jsonrpc":"2.0","id":5,"method":"slotSubscribe"}"#,
        )
        .await;
        let reply = answer(&mut socket).await;
        let id = reply["result"]
            .as_u64()
            .expect("an integer subscription id");
        loop {
            let message = tokio::time::timeout(WAIT, socket.next())
                .await
                .unwrap()
                .unwrap()
                .unwrap();
            let value: Value = serde_json::from_str(message.to_text().unwrap()).unwrap();
            if value["method"] == "slotNotification" {
                assert_eq!(value["params"]["subscription"], id);
                assert!(value["params"]["result"]["slot"].as_u64().unwrap() > 0);
                break;
            }
        }
        let unsubscribe =
            json!({"jsonrpc": "2.0", "id": 6, "method": "slotUnsubscribe", "params": [id]});
        send_text(&mut socket, &unsubscribe.to_string()).await;
        let reply = answer(&mut socket).await;
        assert_eq!(reply["result"], true, "{reply}");
        assert_eq!(reply["id"], 6);
        // With 50 ms slots, 300 ms would bring six notifications.
        let quiet = tokio::time::timeout(Duration::from_millis(300), socket.next()).await;
        assert!(quiet.is_err(), "a message after unsubscribing: {quiet:?}");
        send_text(&mut socket, &unsubscribe.to_string()).await;
        let reply = answer(&mut socket).await;
        assert_eq!(reply["error"]["code"], -32602);
        assert_eq!(reply["error"]["message"], "Invalid subscription id.");
        // Unsubscribing with the wrong method is refused too.
        send_text(
            &mut socket,
            r#"{"jsonrpc":"2.0","id":7,"method":"rootSubscribe"}"#,
        )
        .await;
        let root = answer(&mut socket).await["result"].as_u64().unwrap();
        let wrong =
            json!({"jsonrpc": "2.0", "id": 8, "method": "accountUnsubscribe", "params": [root]});
        send_text(&mut socket, &wrong.to_string()).await;
        assert_eq!(answer(&mut socket).await["error"]["code"], -32602);

        // A batch gets one answer per request.
        let batch = json!([
            {"jsonrpc": "2.0", "id": 9, "method": "rootUnsubscribe", "params": [root]},
            {"jsonrpc": "2.0", "id": 10, "method": "signatureSubscribe", "params": ["bad"]},
        ]);
        send_text(&mut socket, &batch.to_string()).await;
        let reply = answer(&mut socket).await;
        assert_eq!(reply[0]["result"], true, "{reply}");
        assert_eq!(reply[1]["error"]["code"], -32602, "{reply}");
    });
}

#[test]
fn a_connection_holds_at_most_a_thousand_subscriptions() {
    let (_dir, node) = start();
    run(async {
        let (mut socket, _) = tokio_tungstenite::connect_async(node.ws_url.as_str())
            .await
            .unwrap();
        let batch: Vec<Value> = (0..1001)
            .map(|i| {
                json!({"jsonrpc": "2.0", "id": i, "method": "accountSubscribe",
                    "params": [Pubkey::new_unique().to_string()]})
            })
            .collect();
        send_text(&mut socket, &Value::Array(batch).to_string()).await;
        // Over the message size limit: the connection is closed, not served.
        let closed = tokio::time::timeout(WAIT, socket.next()).await.unwrap();
        assert!(
            !matches!(closed, Some(Ok(tungstenite::Message::Text(_)))),
            "{closed:?}"
        );

        let (mut socket, _) = tokio_tungstenite::connect_async(node.ws_url.as_str())
            .await
            .unwrap();
        let key = Pubkey::new_unique().to_string();
        for chunk in 0..11 {
            let batch: Vec<Value> = (0..100)
                .map(|i| {
                    json!({"jsonrpc": "2.0", "id": chunk * 100 + i, "method": "accountSubscribe",
                        "params": [key]})
                })
                .collect();
            send_text(&mut socket, &Value::Array(batch).to_string()).await;
            let reply = answer(&mut socket).await;
            let errors = reply
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| r.get("error").is_some())
                .count();
            assert_eq!(errors, if chunk < 10 { 0 } else { 100 }, "chunk {chunk}");
        }
    });
}

#[test]
fn shutdown_closes_open_connections_with_going_away() {
    let (_dir, node) = start();
    run(async move {
        let (mut socket, _) = tokio_tungstenite::connect_async(node.ws_url.as_str())
            .await
            .unwrap();
        send_text(
            &mut socket,
            r#"{"jsonrpc":"2.0","id":1,"method":"rootSubscribe"}"#,
        )
        .await;
        assert!(answer(&mut socket).await["result"].is_u64());
        let stopped = tokio::task::spawn_blocking(move || drop(node));
        let close = loop {
            let message = tokio::time::timeout(WAIT, socket.next())
                .await
                .expect("closed in time")
                .expect("a close frame")
                .unwrap();
            if let tungstenite::Message::Close(frame) = message {
                break frame;
            }
        };
        assert_eq!(close.map(|f| u16::from(f.code)), Some(1001), "going away");
        tokio::time::timeout(WAIT, stopped)
            .await
            .expect("the node stops with a connection open")
            .unwrap();
    });
}

#[test]
fn a_subscriber_that_does_not_read_is_closed_rather_than_buffered() {
    let dir = tempfile::tempdir().unwrap();
    let node = BackgroundNode::start(NodeConfig {
        ledger: dir.path().to_path_buf(),
        reset: false,
        bind: "127.0.0.1".parse().unwrap(),
        rpc_port: 0,
        slot_time: None,
        allow_time_travel: true,
        finality_lag: 0,
        spl_token: None,
    })
    .unwrap();
    run(async {
        let (mut socket, _) = tokio_tungstenite::connect_async(node.ws_url.as_str())
            .await
            .unwrap();
        // 1 000 slot subscriptions: each slot is ~100 KB of notifications for this connection.
        for chunk in 0..10 {
            let batch: Vec<Value> = (0..100)
                .map(
                    |i| json!({"jsonrpc": "2.0", "id": chunk * 100 + i, "method": "slotSubscribe"}),
                )
                .collect();
            send_text(&mut socket, &Value::Array(batch).to_string()).await;
            assert_eq!(answer(&mut socket).await.as_array().unwrap().len(), 100);
        }
        // Without reading, let the chain move on far more slots than the node keeps for a
        // connection (1 024 commits) and than socket buffers hold.
        let url = node.url.clone();
        tokio::task::spawn_blocking(move || {
            let start = rpc_result(&url, "getSlot", json!([])).as_u64().unwrap();
            for slot in start + 1..start + 1_300 {
                rpc_result(&url, "leash_warpSlot", json!([slot]));
            }
        })
        .await
        .unwrap();
        let mut notifications = 0usize;
        let close = loop {
            match tokio::time::timeout(WAIT, socket.next())
                .await
                .expect("closed in time")
            {
                Some(Ok(tungstenite::Message::Text(_))) => notifications += 1,
                Some(Ok(tungstenite::Message::Close(frame))) => break frame,
                Some(Ok(_)) => {}
                other => panic!("ended without a close frame: {other:?}"),
            }
        };
        assert_eq!(close.map(|f| u16::from(f.code)), Some(1008));
        assert!(
            notifications < 1_299_000,
            "{notifications} notifications: the lagging connection was served in full"
        );
    });
}
