//! A real `leash node` in this process, an owner with a funded wallet, and sessions made through
//! the library's own operations.
#![allow(dead_code)]

use std::time::Duration;

use leash_client::{
    owner::SessionCreated, Amount, Client, Cluster, Holder, PolicyInput, TokenRef, WalletRef,
};
use leash_node::{BackgroundNode, NodeConfig};
use leash_sdk::session_token::SessionToken;
use solana_keypair::Keypair;
use solana_signer::Signer;

pub const WALLET: &str = "default";

/// A node, a client on it, and an owner whose wallet holds 2 SOL and 100 USDC.
pub struct Env {
    pub client: Client,
    pub owner: Keypair,
    pub node: BackgroundNode,
    _dir: tempfile::TempDir,
}

pub fn amount(text: &str) -> Amount {
    Amount::parse(text, "--amount").expect("amount")
}

pub fn token(text: &str) -> TokenRef {
    text.parse().expect("token")
}

pub fn policy(text: &str) -> PolicyInput {
    PolicyInput::parse("test.toml", text, false).expect("policy")
}

/// Starts the node (50 ms slots, clock controls on) and funds the owner's wallet.
pub fn env() -> Env {
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
    let client = Client::new(Cluster::parse(&node.url).expect("cluster"));
    let owner = Keypair::new();
    client
        .airdrop(&owner.pubkey(), &amount("10"), &TokenRef::Sol)
        .expect("SOL airdrop");
    client
        .airdrop(&owner.pubkey(), &amount("1000"), &token("USDC"))
        .expect("USDC airdrop");
    let create = client
        .prepare_create_wallet(&owner.pubkey(), WALLET)
        .expect("prepare wallet");
    client.sign_and_send(create, &owner).expect("wallet");
    for (how_much, what) in [("2", "SOL"), ("100", "USDC")] {
        let deposit = client
            .prepare_deposit(
                &WalletRef::of(&leash_sdk::DEFAULT_PROGRAM_ID, &owner.pubkey(), WALLET),
                &amount(how_much),
                &token(what),
            )
            .expect("prepare deposit");
        client.sign_and_send(deposit, &owner).expect("deposit");
    }
    Env {
        client,
        owner,
        node,
        _dir: dir,
    }
}

impl Env {
    /// Registers a session under `policy_toml` (0.05 SOL for fees); its key and report, the
    /// report's token filled in.
    pub fn create_session(&self, policy_toml: &str) -> (Keypair, SessionCreated) {
        let key = Keypair::new();
        let prepared = self
            .client
            .prepare_create_session(
                &WalletRef::of(&leash_sdk::DEFAULT_PROGRAM_ID, &self.owner.pubkey(), WALLET),
                &policy(policy_toml),
                &key.pubkey(),
                &amount("0.05"),
            )
            .expect("prepare session");
        let mut created = self
            .client
            .sign_and_send(prepared, &self.owner)
            .expect("session");
        created.token =
            Some(leash_client::make_session_token(&key, &created, &self.client).expect("token"));
        (key, created)
    }

    /// A holder of a session just registered under `policy_toml`.
    pub fn holder(&self, policy_toml: &str) -> Holder<'_> {
        let (_, created) = self.create_session(policy_toml);
        let token = SessionToken::decode(created.token.as_deref().expect("token")).expect("decode");
        Holder::new(&self.client, token).expect("holder")
    }

    /// A JSON-RPC call the library has no operation for (the node's clock controls).
    pub fn rpc(&self, method: &'static str, params: serde_json::Value) -> serde_json::Value {
        self.client
            .rpc()
            .send(
                solana_rpc_client_types::request::RpcRequest::Custom { method },
                params,
            )
            .expect("rpc call")
    }
}
