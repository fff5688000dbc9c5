//! What the node's integration tests share: a node on a temporary ledger, raw JSON-RPC over
//! HTTP (for requests and methods no client library sends), funded keys, confirmed sends.
#![allow(dead_code)]

use std::{
    io::{Read, Write},
    net::TcpStream,
    path::Path,
    time::Duration,
};

use leash_node::{BackgroundNode, NodeConfig};
use serde_json::{json, Value};
use solana_commitment_config::CommitmentConfig;
use solana_keypair::Keypair;
use solana_message::Message;
use solana_program::instruction::Instruction;
use solana_rpc_client::rpc_client::RpcClient;
use solana_signature::Signature;
use solana_signer::Signer;
use solana_transaction::Transaction;

pub const SOL: u64 = 1_000_000_000;

/// A node on `ledger` with 50 ms slots on a free port.
pub fn config(ledger: &Path, reset: bool, allow_time_travel: bool) -> NodeConfig {
    NodeConfig {
        ledger: ledger.to_path_buf(),
        reset,
        bind: "127.0.0.1".parse().unwrap(),
        rpc_port: 0,
        slot_time: Some(Duration::from_millis(50)),
        allow_time_travel,
        finality_lag: 0,
        spl_token: None,
    }
}

/// Starts a node and a `confirmed` client for it.
pub fn start_with(config: NodeConfig) -> (BackgroundNode, RpcClient) {
    let node = BackgroundNode::start(config).expect("node starts");
    let client = RpcClient::new_with_commitment(node.url.clone(), CommitmentConfig::confirmed());
    (node, client)
}

/// POSTs `body` on a new connection; returns the HTTP status and body.
pub fn post(url: &str, body: &[u8]) -> (u16, String) {
    let address = url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .unwrap();
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    // The node may answer (413) before reading all of a body over its limit.
    let _ = stream.write_all(body);
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let response = String::from_utf8(response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").expect("an HTTP response");
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, body.to_string())
}

/// POSTs raw bytes and returns the HTTP body, for requests no client library would send.
pub fn raw_post(url: &str, body: &[u8]) -> String {
    post(url, body).1
}

/// One JSON-RPC call; the whole response object.
#[track_caller]
pub fn rpc_call(url: &str, method: &str, params: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let (status, body) = post(url, body.to_string().as_bytes());
    assert_eq!(status, 200, "{method}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{method}: {e}: {body}"))
}

/// The `result` of a call that must succeed.
#[track_caller]
pub fn rpc_result(url: &str, method: &str, params: Value) -> Value {
    let response = rpc_call(url, method, params);
    assert!(response["error"].is_null(), "{method}: {response}");
    response["result"].clone()
}

/// Sends `ixs` paid by `payer` and waits for confirmation.
pub fn send(
    client: &RpcClient,
    ixs: &[Instruction],
    payer: &Keypair,
    signers: &[&Keypair],
) -> Signature {
    let mut all = vec![payer];
    all.extend_from_slice(signers);
    let blockhash = client.get_latest_blockhash().unwrap();
    let tx = Transaction::new(&all, Message::new(ixs, Some(&payer.pubkey())), blockhash);
    client
        .send_and_confirm_transaction(&tx)
        .expect("transaction confirms")
}

/// A new key with `lamports` from the faucet.
pub fn funded(client: &RpcClient, lamports: u64) -> Keypair {
    let key = Keypair::new();
    let signature = client.request_airdrop(&key.pubkey(), lamports).unwrap();
    assert!(client.confirm_transaction(&signature).unwrap());
    key
}
