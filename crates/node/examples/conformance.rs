//! The differential conformance check (docs/node.md, "Conformance"): one scenario — airdrop,
//! transfers with a priority fee, SPL Token and Token-2022 mints and accounts, a delegate, a
//! durable nonce, an address lookup table, sysvars, the refusals a bot meets — run against
//! Agave's own `solana-test-validator` and against the Leash node, the answers compared by keys,
//! JSON types, error codes and every value that does not depend on timing.
//!
//! Both runs use the same keypairs, so addresses match; what cannot match (slots, blockhashes,
//! signatures, times, the lookup table's address) is compared by type only. A difference is
//! either deliberate (documented in docs/node.md, with its reason) or open.
//!
//!     cargo run -p leash-node --example conformance -- <agave RPC URL> [--leash URL] [--spl-token classic] [--markdown] [--dump DIR]
//!
//! `--leash` compares a node already running (an older build, say) instead of this build's;
//! `--spl-token classic` runs this build's node with classic SPL Token, as the validator does.
//!
//! `scripts/conformance` starts the validator and runs this. Exit status: 0 when every
//! difference is a deliberate one, 1 otherwise.

use std::{
    collections::BTreeMap,
    io::{Read, Write},
    net::TcpStream,
    time::{Duration, Instant},
};

use base64::{prelude::BASE64_STANDARD, Engine};
use leash_node::{BackgroundNode, NodeConfig};
use leash_sdk::spl;
use serde_json::{json, Value};
use solana_keypair::Keypair;
use solana_message::{v0, AddressLookupTableAccount, Message, VersionedMessage};
use solana_program::{instruction::Instruction, pubkey::Pubkey};
use solana_signer::Signer;
use solana_system_interface::instruction as system;
use solana_transaction::{versioned::VersionedTransaction, Transaction};

const SOL: u64 = 1_000_000_000;

type Outcome<T> = Result<T, String>;

/// One JSON-RPC endpoint, spoken to over plain HTTP.
struct Rpc {
    url: String,
}

impl Rpc {
    /// The whole response object (`result` or `error`).
    fn call(&self, method: &str, params: Value) -> Outcome<Value> {
        let address = self.url.trim_start_matches("http://").trim_end_matches('/');
        let body =
            json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
        let mut stream =
            TcpStream::connect(address).map_err(|e| format!("{method}: connecting: {e}"))?;
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .map_err(|e| e.to_string())?;
        let head = format!(
            "POST / HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        stream
            .write_all(head.as_bytes())
            .and_then(|()| stream.write_all(body.as_bytes()))
            .map_err(|e| format!("{method}: sending: {e}"))?;
        let mut response = Vec::new();
        stream
            .read_to_end(&mut response)
            .map_err(|e| format!("{method}: reading: {e}"))?;
        let response = String::from_utf8_lossy(&response);
        let (_, body) = response
            .split_once("\r\n\r\n")
            .ok_or_else(|| format!("{method}: not an HTTP response"))?;
        serde_json::from_str(body).map_err(|e| format!("{method}: {e}: {body}"))
    }

    fn result(&self, method: &str, params: Value) -> Outcome<Value> {
        let response = self.call(method, params)?;
        if !response["error"].is_null() {
            return Err(format!("{method}: {}", response["error"]));
        }
        Ok(response["result"].clone())
    }

    fn blockhash(&self) -> Outcome<solana_hash::Hash> {
        let answer = self.result("getLatestBlockhash", json!([{"commitment": "confirmed"}]))?;
        answer["value"]["blockhash"]
            .as_str()
            .and_then(|h| h.parse().ok())
            .ok_or_else(|| format!("getLatestBlockhash: {answer}"))
    }

    /// Waits until `signature` is confirmed; its error, if it failed.
    fn confirm(&self, signature: &str) -> Outcome<Value> {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(60) {
            let statuses = self.result(
                "getSignatureStatuses",
                json!([[signature], {"searchTransactionHistory": true}]),
            )?;
            let status = &statuses["value"][0];
            if matches!(
                status["confirmationStatus"].as_str(),
                Some("confirmed" | "finalized")
            ) {
                return Ok(status["err"].clone());
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        Err(format!("{signature} was not confirmed within 60 s"))
    }

    /// Sends a signed transaction and waits for it; fails when it fails.
    fn land(&self, tx: &impl serde::Serialize) -> Outcome<String> {
        let wire = BASE64_STANDARD.encode(bincode::serialize(tx).map_err(|e| e.to_string())?);
        let signature = self.result(
            "sendTransaction",
            json!([wire, {"encoding": "base64", "preflightCommitment": "confirmed"}]),
        )?;
        let signature = signature.as_str().unwrap_or_default().to_string();
        match self.confirm(&signature)? {
            Value::Null => Ok(signature),
            err => Err(format!("{signature} failed: {err}")),
        }
    }

    fn send(&self, payer: &Keypair, signers: &[&Keypair], ixs: &[Instruction]) -> Outcome<String> {
        let mut all = vec![payer];
        all.extend_from_slice(signers);
        let tx = Transaction::new(
            &all,
            Message::new(ixs, Some(&payer.pubkey())),
            self.blockhash()?,
        );
        self.land(&tx)
    }

    /// A confirmed transaction, read once the node serves it.
    fn transaction(&self, signature: &str, encoding: &str) -> Outcome<Value> {
        let start = Instant::now();
        loop {
            let answer = self.result(
                "getTransaction",
                json!([signature, {"encoding": encoding, "commitment": "confirmed", "maxSupportedTransactionVersion": 0}]),
            )?;
            if !answer.is_null() || start.elapsed() > Duration::from_secs(20) {
                return Ok(answer);
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn slot(&self) -> Outcome<u64> {
        self.result("getSlot", json!([{"commitment": "confirmed"}]))?
            .as_u64()
            .ok_or_else(|| "getSlot: not a number".to_string())
    }

    fn wait_for_slot_after(&self, slot: u64) -> Outcome<()> {
        let start = Instant::now();
        while self.slot()? <= slot {
            if start.elapsed() > Duration::from_secs(30) {
                return Err(format!("the slot did not pass {slot}"));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(())
    }
}

/// The first notification of one PubSub subscription made before `trigger` runs (both nodes
/// listen on the RPC port + 1), with whether the subscription was answered with an id.
fn first_notification(
    rpc: &Rpc,
    subscribe: Value,
    trigger: impl FnOnce() -> Outcome<()>,
) -> Outcome<Value> {
    use futures_util::SinkExt;
    use tokio_tungstenite::tungstenite::Message as Frame;
    let (host, port) = rpc
        .url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .rsplit_once(':')
        .and_then(|(host, port)| Some((host.to_string(), port.parse::<u16>().ok()?)))
        .ok_or_else(|| format!("no port in {}", rpc.url))?;
    let ws = format!("ws://{host}:{}", port.saturating_add(1));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let (mut socket, _) = tokio_tungstenite::connect_async(ws.as_str())
            .await
            .map_err(|e| format!("PubSub at {ws}: {e}"))?;
        socket
            .send(Frame::Text(subscribe.to_string().into()))
            .await
            .map_err(|e| format!("subscribing: {e}"))?;
        let subscribed = next_message(&mut socket).await?;
        trigger()?;
        let notification = next_message(&mut socket).await?;
        Ok(json!({"subscribed": subscribed["result"].is_u64(), "notification": notification}))
    })
}

/// The next text message of a PubSub connection, as JSON (pings skipped; 30 s at most).
async fn next_message<S>(socket: &mut S) -> Outcome<Value>
where
    S: futures_util::Stream<
            Item = Result<
                tokio_tungstenite::tungstenite::Message,
                tokio_tungstenite::tungstenite::Error,
            >,
        > + Unpin,
{
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message as Frame;
    loop {
        match tokio::time::timeout(Duration::from_secs(30), socket.next()).await {
            Ok(Some(Ok(Frame::Text(text)))) => {
                return serde_json::from_str::<Value>(text.as_str())
                    .map_err(|e| format!("PubSub: {e}: {text}"));
            }
            Ok(Some(Ok(_))) => continue,
            other => return Err(format!("PubSub: no message ({other:?})")),
        }
    }
}

/// The same key on both nodes.
fn key(n: u8) -> Keypair {
    Keypair::new_from_array([n; 32])
}

fn budget(limit: u32, micro_lamports: u64) -> Vec<Instruction> {
    let program = leash_sdk::names::COMPUTE_BUDGET_PROGRAM_ID;
    let mut limit_data = vec![2];
    limit_data.extend_from_slice(&limit.to_le_bytes());
    let mut price_data = vec![3];
    price_data.extend_from_slice(&micro_lamports.to_le_bytes());
    vec![
        Instruction::new_with_bytes(program, &limit_data, vec![]),
        Instruction::new_with_bytes(program, &price_data, vec![]),
    ]
}

/// What one node answered, aspect by aspect, and the strings of this run that cannot match the
/// other's (signatures, the lookup table's address), with the names they are compared under.
#[derive(Default)]
struct Answers {
    aspects: Vec<(&'static str, Value)>,
    volatile: Vec<(String, String)>,
}

impl Answers {
    fn record(&mut self, aspect: &'static str, answer: Value) {
        self.aspects.push((aspect, answer));
    }

    /// Whether a part of the scenario ran through (an old node may fail one midway).
    fn completed(&mut self, aspect: &'static str, result: Outcome<()>) {
        let answer = match result {
            Ok(()) => json!("ran through"),
            Err(e) => json!({"failed": e}),
        };
        self.record(aspect, answer);
    }

    fn volatile(&mut self, value: &str, name: &str) {
        self.volatile.push((value.to_string(), format!("<{name}>")));
    }

    /// The answers with this run's volatile strings replaced by their names.
    fn normalized(&self) -> BTreeMap<&'static str, Value> {
        fn replace(value: &Value, volatile: &[(String, String)]) -> Value {
            match value {
                Value::String(s) => {
                    let mut s = s.clone();
                    for (from, to) in volatile {
                        s = s.replace(from.as_str(), to);
                    }
                    Value::String(s)
                }
                Value::Array(items) => {
                    Value::Array(items.iter().map(|v| replace(v, volatile)).collect())
                }
                Value::Object(map) => Value::Object(
                    map.iter()
                        .map(|(k, v)| (k.clone(), replace(v, volatile)))
                        .collect(),
                ),
                other => other.clone(),
            }
        }
        self.aspects
            .iter()
            .map(|(aspect, value)| (*aspect, replace(value, &self.volatile)))
            .collect()
    }
}

/// The scenario; every answer worth comparing is recorded under an aspect's name.
fn scenario(rpc: &Rpc) -> Outcome<Answers> {
    let mut out = Answers::default();
    let payer = key(1);
    let recipient = key(2).pubkey();
    let token = spl::TOKEN_PROGRAM_ID;

    out.record("getVersion", rpc.result("getVersion", json!([]))?);
    out.record("getHealth", rpc.call("getHealth", json!([]))?);
    out.record(
        "getGenesisHash: type",
        json!(rpc.result("getGenesisHash", json!([]))?.is_string()),
    );

    // An airdrop funds the payer (the same key on both nodes).
    let airdrop = rpc.result(
        "requestAirdrop",
        json!([payer.pubkey().to_string(), 10 * SOL]),
    )?;
    let airdrop = airdrop.as_str().unwrap_or_default().to_string();
    out.volatile(&airdrop, "airdrop signature");
    rpc.confirm(&airdrop)?;
    // The transfer lands in a later block than the airdrop on either node (block fees below).
    rpc.wait_for_slot_after(rpc.slot()?)?;
    out.record(
        "getBalance after an airdrop",
        rpc.result(
            "getBalance",
            json!([payer.pubkey().to_string(), {"commitment": "confirmed"}]),
        )?,
    );
    out.record(
        "getAccountInfo of a system account (jsonParsed)",
        rpc.result(
            "getAccountInfo",
            json!([payer.pubkey().to_string(), {"encoding": "jsonParsed", "commitment": "confirmed"}]),
        )?,
    );
    // A transfer paying a priority fee, and what is read about it.
    let result = (|| -> Outcome<()> {
        let mut ixs = budget(50_000, 10_000);
        ixs.push(system::transfer(&payer.pubkey(), &recipient, SOL / 10));
        let blockhash = rpc.blockhash()?;
        let message = Message::new_with_blockhash(&ixs, Some(&payer.pubkey()), &blockhash);
        let wire_message = BASE64_STANDARD.encode(message.serialize());
        out.record(
            "getFeeForMessage with a priority fee",
            rpc.result(
                "getFeeForMessage",
                json!([wire_message, {"commitment": "confirmed"}]),
            )?["value"]
                .clone(),
        );
        let transfer = Transaction::new(&[&payer], message, blockhash);
        let transfer_wire =
            BASE64_STANDARD.encode(bincode::serialize(&transfer).map_err(|e| e.to_string())?);
        out.record(
            "simulateTransaction of a transfer",
            rpc.result(
                "simulateTransaction",
                json!([transfer_wire, {"encoding": "base64", "commitment": "confirmed"}]),
            )?,
        );
        let transfer_signature = rpc.land(&transfer)?;
        out.volatile(&transfer_signature, "transfer signature");
        out.record(
            "getTransaction (json)",
            rpc.transaction(&transfer_signature, "json")?,
        );
        out.record(
            "getTransaction (jsonParsed)",
            rpc.transaction(&transfer_signature, "jsonParsed")?,
        );
        out.record(
            "getSignatureStatuses",
            rpc.result(
                "getSignatureStatuses",
                json!([[transfer_signature], {"searchTransactionHistory": true}]),
            )?,
        );
        out.record(
            "getSignaturesForAddress",
            rpc.result(
                "getSignaturesForAddress",
                json!([recipient.to_string(), {"commitment": "confirmed"}]),
            )?,
        );
        out.record(
            "sendTransaction again with skipPreflight",
            rpc.call(
                "sendTransaction",
                json!([transfer_wire, {"encoding": "base64", "skipPreflight": true}]),
            )?,
        );
        out.record(
            "sendTransaction again with preflight: error",
            rpc.call(
                "sendTransaction",
                json!([transfer_wire, {"encoding": "base64", "preflightCommitment": "confirmed"}]),
            )?["error"]
                .clone(),
        );
        out.record(
            "getTransaction at processed: error",
            rpc.call(
                "getTransaction",
                json!([transfer_signature, {"commitment": "processed"}]),
            )?["error"]
                .clone(),
        );
        let mut forged = transfer.clone();
        forged.signatures[0] = solana_signature::Signature::from([7u8; 64]);
        let forged_wire =
            BASE64_STANDARD.encode(bincode::serialize(&forged).map_err(|e| e.to_string())?);
        out.record(
            "simulateTransaction with sigVerify and a bad signature",
            rpc.call(
                "simulateTransaction",
                json!([forged_wire, {"encoding": "base64", "sigVerify": true}]),
            )?,
        );
        let block_slot = rpc.transaction(&transfer_signature, "json")?["slot"].clone();
        let mut fees: Vec<Value> = rpc
            .result(
                "getRecentPrioritizationFees",
                json!([[payer.pubkey().to_string()]]),
            )?
            .as_array()
            .cloned()
            .unwrap_or_default();
        fees.retain(|f| f["slot"] == block_slot);
        out.record(
            "getRecentPrioritizationFees of the payer, its block",
            json!(fees),
        );
        out.record(
            "getBlock (no transaction details)",
            rpc.result(
                "getBlock",
                json!([block_slot, {"commitment": "confirmed", "transactionDetails": "none", "rewards": false, "maxSupportedTransactionVersion": 0}]),
            )?,
        );

        Ok(())
    })();
    out.completed("transfers: the scenario runs", result);

    // Methods a bot calls about the cluster.
    let result = (|| -> Outcome<()> {
        for (aspect, method, params) in [
            (
                "getHighestSnapshotSlot",
                "getHighestSnapshotSlot",
                json!([]),
            ),
            ("getInflationRate", "getInflationRate", json!([])),
            ("getEpochSchedule", "getEpochSchedule", json!([])),
            ("getEpochInfo", "getEpochInfo", json!([])),
            (
                "getMinimumBalanceForRentExemption(165)",
                "getMinimumBalanceForRentExemption",
                json!([165]),
            ),
            ("getClusterNodes", "getClusterNodes", json!([])),
            (
                "getTokenAccountsByDelegate of nobody",
                "getTokenAccountsByDelegate",
                json!([Pubkey::default().to_string(), {"programId": token.to_string()}]),
            ),
        ] {
            out.record(aspect, rpc.call(method, params)?);
        }

        Ok(())
    })();
    out.completed("cluster methods: the scenario runs", result);

    // SPL Token: a mint, two associated accounts, a checked transfer, a delegate.
    let result = (|| -> Outcome<()> {
        let mint = key(3);
        let delegate = key(6).pubkey();
        let rent_mint = rpc.result("getMinimumBalanceForRentExemption", json!([spl::MINT_LEN]))?;
        let rent_mint = rent_mint.as_u64().unwrap_or_default();
        let (from, to) = (
            spl::associated_token_address(&payer.pubkey(), &mint.pubkey(), &token),
            spl::associated_token_address(&recipient, &mint.pubkey(), &token),
        );
        rpc.send(
            &payer,
            &[&mint],
            &[
                system::create_account(
                    &payer.pubkey(),
                    &mint.pubkey(),
                    rent_mint,
                    spl::MINT_LEN as u64,
                    &token,
                ),
                spl::initialize_mint2(&token, &mint.pubkey(), &payer.pubkey(), None, 6),
                spl::create_associated_token_account_idempotent(
                    &payer.pubkey(),
                    &payer.pubkey(),
                    &mint.pubkey(),
                    &token,
                ),
                spl::create_associated_token_account_idempotent(
                    &payer.pubkey(),
                    &recipient,
                    &mint.pubkey(),
                    &token,
                ),
                spl::mint_to(&token, &mint.pubkey(), &from, &payer.pubkey(), 100_000_000),
            ],
        )?;
        let checked = rpc.send(
            &payer,
            &[],
            &[
                spl::transfer_checked(
                    &token,
                    &from,
                    &mint.pubkey(),
                    &to,
                    &payer.pubkey(),
                    1_500_000,
                    6,
                ),
                spl::approve(&token, &from, &delegate, &payer.pubkey(), 2_000_000),
            ],
        )?;
        out.volatile(&checked, "token transfer signature");
        out.record(
            "SPL Token: transferChecked + approve (jsonParsed)",
            rpc.transaction(&checked, "jsonParsed")?,
        );
        out.record(
            "SPL Token: a mint (jsonParsed)",
            rpc.result("getAccountInfo", json!([mint.pubkey().to_string(), {"encoding": "jsonParsed", "commitment": "confirmed"}]))?,
        );
        out.record(
            "SPL Token: an account with a delegate (jsonParsed)",
            rpc.result(
                "getAccountInfo",
                json!([from.to_string(), {"encoding": "jsonParsed", "commitment": "confirmed"}]),
            )?,
        );
        out.record(
            "getTokenAccountBalance",
            rpc.result(
                "getTokenAccountBalance",
                json!([to.to_string(), {"commitment": "confirmed"}]),
            )?,
        );
        out.record(
            "getTokenSupply",
            rpc.result(
                "getTokenSupply",
                json!([mint.pubkey().to_string(), {"commitment": "confirmed"}]),
            )?,
        );
        out.record(
            "getTokenAccountsByOwner (jsonParsed)",
            rpc.result(
                "getTokenAccountsByOwner",
                json!([recipient.to_string(), {"mint": mint.pubkey().to_string()}, {"encoding": "jsonParsed", "commitment": "confirmed"}]),
            )?,
        );
        out.record(
            "getTokenAccountsByDelegate (jsonParsed)",
            rpc.result(
                "getTokenAccountsByDelegate",
                json!([delegate.to_string(), {"programId": token.to_string()}, {"encoding": "jsonParsed", "commitment": "confirmed"}]),
            )?,
        );

        Ok(())
    })();
    out.completed("SPL Token: the scenario runs", result);

    // Token-2022: a mint with a close authority (an extension).
    let result = (|| -> Outcome<()> {
        let token_2022 = spl::TOKEN_2022_PROGRAM_ID;
        let mint_2022 = key(4);
        let space = 82 + 83 + 1 + 4 + 32; // base, padding, account type, one TLV entry
        let rent_2022 = rpc.result("getMinimumBalanceForRentExemption", json!([space]))?;
        let mut close_authority = vec![25u8, 1];
        close_authority.extend_from_slice(payer.pubkey().as_ref());
        let created_2022 = rpc.send(
            &payer,
            &[&mint_2022],
            &[
                system::create_account(
                    &payer.pubkey(),
                    &mint_2022.pubkey(),
                    rent_2022.as_u64().unwrap_or_default(),
                    space as u64,
                    &token_2022,
                ),
                Instruction::new_with_bytes(
                    token_2022,
                    &close_authority,
                    vec![solana_program::instruction::AccountMeta::new(
                        mint_2022.pubkey(),
                        false,
                    )],
                ),
                spl::initialize_mint2(&token_2022, &mint_2022.pubkey(), &payer.pubkey(), None, 9),
            ],
        )?;
        out.volatile(&created_2022, "Token-2022 mint signature");
        out.record(
            "Token-2022: initializeMintCloseAuthority (jsonParsed)",
            rpc.transaction(&created_2022, "jsonParsed")?,
        );
        // AmountToUiAmount: the program answers the amount as text, in return data.
        let mut to_ui = vec![23u8];
        to_ui.extend_from_slice(&1_500_000_000u64.to_le_bytes());
        let asked = rpc.send(
            &payer,
            &[],
            &[Instruction::new_with_bytes(
                token_2022,
                &to_ui,
                vec![solana_program::instruction::AccountMeta::new_readonly(
                    mint_2022.pubkey(),
                    false,
                )],
            )],
        )?;
        out.volatile(&asked, "amountToUiAmount signature");
        out.record(
            "Token-2022: amountToUiAmount (jsonParsed)",
            rpc.transaction(&asked, "jsonParsed")?,
        );
        out.record(
            "Token-2022: a mint with an extension (jsonParsed)",
            rpc.result("getAccountInfo", json!([mint_2022.pubkey().to_string(), {"encoding": "jsonParsed", "commitment": "confirmed"}]))?,
        );

        Ok(())
    })();
    out.completed("Token-2022: the scenario runs", result);

    // A durable nonce: create, read, send under it.
    let result = (|| -> Outcome<()> {
        let nonce = key(5);
        let nonce_rent = rpc.result("getMinimumBalanceForRentExemption", json!([80]))?;
        rpc.send(
            &payer,
            &[&nonce],
            &system::create_nonce_account(
                &payer.pubkey(),
                &nonce.pubkey(),
                &payer.pubkey(),
                nonce_rent.as_u64().unwrap_or_default(),
            ),
        )?;
        let nonce_account = rpc.result(
            "getAccountInfo",
            json!([nonce.pubkey().to_string(), {"encoding": "jsonParsed", "commitment": "confirmed"}]),
        )?;
        out.record("a nonce account (jsonParsed)", nonce_account.clone());
        let durable: solana_hash::Hash = nonce_account["value"]["data"]["parsed"]["info"]
            ["blockhash"]
            .as_str()
            .and_then(|h| h.parse().ok())
            .ok_or_else(|| format!("no nonce in {nonce_account}"))?;
        let under_nonce = Transaction::new(
            &[&payer],
            Message::new(
                &[
                    system::advance_nonce_account(&nonce.pubkey(), &payer.pubkey()),
                    system::transfer(&payer.pubkey(), &recipient, SOL / 100),
                ],
                Some(&payer.pubkey()),
            ),
            durable,
        );
        let nonced = rpc.land(&under_nonce)?;
        out.volatile(&nonced, "nonce transfer signature");
        out.record(
            "a transfer under a durable nonce (json)",
            rpc.transaction(&nonced, "json")?,
        );

        Ok(())
    })();
    out.completed("durable nonce: the scenario runs", result);

    // An address lookup table, and a v0 transfer through it.
    let result = (|| -> Outcome<()> {
        use solana_address_lookup_table_interface::instruction as alt;
        let recent_slot = rpc.slot()?.saturating_sub(1);
        let (create, table) = alt::create_lookup_table(payer.pubkey(), payer.pubkey(), recent_slot);
        out.volatile(&table.to_string(), "lookup table");
        let extend =
            alt::extend_lookup_table(table, payer.pubkey(), Some(payer.pubkey()), vec![recipient]);
        rpc.send(&payer, &[], &[create, extend])?;
        rpc.wait_for_slot_after(rpc.slot()?)?;
        out.record(
            "a lookup table (jsonParsed)",
            rpc.result(
                "getAccountInfo",
                json!([table.to_string(), {"encoding": "jsonParsed", "commitment": "confirmed"}]),
            )?,
        );
        let message = v0::Message::try_compile(
            &payer.pubkey(),
            &[system::transfer(&payer.pubkey(), &recipient, SOL / 100)],
            &[AddressLookupTableAccount {
                key: table,
                addresses: vec![recipient],
            }],
            rpc.blockhash()?,
        )
        .map_err(|e| e.to_string())?;
        let v0_tx = VersionedTransaction::try_new(VersionedMessage::V0(message), &[&payer])
            .map_err(|e| e.to_string())?;
        let v0_signature = rpc.land(&v0_tx)?;
        out.volatile(&v0_signature, "v0 signature");
        out.record(
            "a v0 transfer through a table (json)",
            rpc.transaction(&v0_signature, "json")?,
        );
        out.record(
            "a v0 transfer through a table (jsonParsed)",
            rpc.transaction(&v0_signature, "jsonParsed")?,
        );

        Ok(())
    })();
    out.completed("lookup table: the scenario runs", result);

    // The accounts every cluster has: builtins (their data is their name), programs, sysvars.
    let result = (|| -> Outcome<()> {
        let builtins = [
            "11111111111111111111111111111111",
            "ComputeBudget111111111111111111111111111111",
            "Vote111111111111111111111111111111111111111",
            "BPFLoader1111111111111111111111111111111111",
            "BPFLoader2111111111111111111111111111111111",
            "BPFLoaderUpgradeab1e11111111111111111111111",
            "LoaderV411111111111111111111111111111111111",
            "Ed25519SigVerify111111111111111111111111111",
            "KeccakSecp256k11111111111111111111111111111",
            "Secp256r1SigVerify1111111111111111111111111",
            "ZkE1Gama1Proof11111111111111111111111111111",
            "NativeLoader1111111111111111111111111111111",
        ];
        out.record(
            "builtin program accounts",
            rpc.result(
                "getMultipleAccounts",
                json!([builtins, {"encoding": "base64"}]),
            )?,
        );
        let programs = [
            "Stake11111111111111111111111111111111111111",
            "Config1111111111111111111111111111111111111",
            "AddressLookupTab1e1111111111111111111111111",
            "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb",
            "ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL",
            "Memo1UhkJRfHyvLMcVucJwxXeuD728EqVDDwQDxFMNo",
            "MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr",
        ];
        out.record(
            "other program accounts (data not compared)",
            rpc.result(
                "getMultipleAccounts",
                json!([programs, {"encoding": "base64", "dataSlice": {"offset": 0, "length": 0}}]),
            )?,
        );
        out.record(
            "the token program's account (data not compared)",
            rpc.result(
                "getAccountInfo",
                json!([token.to_string(), {"encoding": "base64", "dataSlice": {"offset": 0, "length": 0}}]),
            )?,
        );
        let sysvars = [
            "SysvarC1ock11111111111111111111111111111111",
            "SysvarRent111111111111111111111111111111111",
            "SysvarEpochSchedu1e111111111111111111111111",
            "SysvarRecentB1ockHashes11111111111111111111",
            "SysvarS1otHashes111111111111111111111111111",
            "SysvarStakeHistory1111111111111111111111111",
            "SysvarS1otHistory11111111111111111111111111",
            "SysvarEpochRewards1111111111111111111111111",
            "SysvarLastRestartS1ot1111111111111111111111",
            "SysvarFees111111111111111111111111111111111",
        ];
        out.record(
            "sysvar accounts (data not compared)",
            rpc.result(
                "getMultipleAccounts",
                json!([sysvars, {"encoding": "base64", "dataSlice": {"offset": 0, "length": 0}}]),
            )?,
        );

        Ok(())
    })();
    out.completed("genesis accounts: the scenario runs", result);

    // PubSub: an account, a signature and the logs that mention an account.
    let result = (|| -> Outcome<()> {
        let watched = key(7).pubkey();
        let notified = first_notification(
            rpc,
            json!({"jsonrpc": "2.0", "id": 1, "method": "accountSubscribe",
                   "params": [watched.to_string(), {"encoding": "jsonParsed", "commitment": "confirmed"}]}),
            || {
                rpc.send(
                    &payer,
                    &[],
                    &[system::transfer(&payer.pubkey(), &watched, SOL / 20)],
                )
                .map(drop)
            },
        )?;
        out.record("accountSubscribe: a transfer in", notified);
        let transfer = Transaction::new(
            &[&payer],
            Message::new(
                &[system::transfer(&payer.pubkey(), &watched, SOL / 50)],
                Some(&payer.pubkey()),
            ),
            rpc.blockhash()?,
        );
        let signature = transfer.signatures[0].to_string();
        out.volatile(&signature, "subscribed signature");
        let notified = first_notification(
            rpc,
            json!({"jsonrpc": "2.0", "id": 1, "method": "signatureSubscribe",
                   "params": [signature, {"commitment": "confirmed"}]}),
            || rpc.land(&transfer).map(drop),
        )?;
        out.record("signatureSubscribe: a transfer", notified);
        let mentioned = key(8).pubkey();
        let mut logged = None;
        let notified = first_notification(
            rpc,
            json!({"jsonrpc": "2.0", "id": 1, "method": "logsSubscribe",
                   "params": [{"mentions": [mentioned.to_string()]}, {"commitment": "confirmed"}]}),
            || {
                logged = Some(rpc.send(
                    &payer,
                    &[],
                    &[system::transfer(&payer.pubkey(), &mentioned, SOL / 20)],
                )?);
                Ok(())
            },
        )?;
        if let Some(signature) = logged {
            out.volatile(&signature, "logged signature");
        }
        out.record("logsSubscribe: a transfer mentioning an account", notified);
        Ok(())
    })();
    out.completed("PubSub: the scenario runs", result);

    // Sysvars.
    let result = (|| -> Outcome<()> {
        for (aspect, address) in [
            (
                "the Clock sysvar (jsonParsed)",
                "SysvarC1ock11111111111111111111111111111111",
            ),
            (
                "the Rent sysvar (jsonParsed)",
                "SysvarRent111111111111111111111111111111111",
            ),
            (
                "the EpochSchedule sysvar (jsonParsed)",
                "SysvarEpochSchedu1e111111111111111111111111",
            ),
        ] {
            out.record(
                aspect,
                rpc.result(
                    "getAccountInfo",
                    json!([address, {"encoding": "jsonParsed"}]),
                )?,
            );
        }
        Ok(())
    })();
    out.completed("sysvars: the scenario runs", result);

    Ok(out)
}

/// Keys whose values depend on timing or on the node's history, compared by JSON type only.
const TIMING: &[&str] = &[
    "slot",
    "contextSlot",
    "apiVersion",
    "blockTime",
    "blockhash",
    "previousBlockhash",
    "recentBlockhash",
    "lastValidBlockHeight",
    "blockHeight",
    "parentSlot",
    "solana-core",
    "feature-set",
    "unixTimestamp",
    "epochStartTimestamp",
    "lastExtendedSlot",
    "absoluteSlot",
    "slotIndex",
    "transactionCount",
    "epoch",
    "leaderScheduleEpoch",
    "firstAvailableBlock",
    "pubkey",
    "gossip",
    "rpc",
    "pubsub",
    "tpu",
    "tpuQuic",
    "tpuForwards",
    "tpuForwardsQuic",
    "tpuVote",
    "serveRepair",
    "tvu",
    "version",
    "featureSet",
    "shredVersion",
    // Every signer signs over the blockhash.
    "signatures",
    // PubSub subscription ids are each node's own count.
    "subscription",
];

/// Differences taken on purpose (docs/node.md, "Differences from Agave"): the aspect (a
/// fragment of its name; empty for any), a fragment of the path, and why.
const DELIBERATE: &[(&str, &str, &str)] = &[
    ("", "logMessages", "the token programs' builds: p-token (the default) logs no `Instruction:` lines; each build reports its own compute units"),
    ("", "computeUnitsConsumed", "the token programs' builds: p-token (the default, as on mainnet), LiteSVM's SPL Token 3.5 (`--spl-token classic`) and Token-2022 11.0 spend other compute units than the test validator's"),
    ("SPL Token", "costUnits", "follows the compute units and the program's size (the token programs' builds)"),
    ("Token-2022", "costUnits", "follows the compute units and the program's size (the token programs' builds)"),
    ("SPL Token: transferChecked", "Balances[3]", "the token program's account (its build, below)"),
    ("token program", "", "another build at Tokenkeg…: p-token (the default) is an upgradeable program, as on mainnet since its migration; LiteSVM's classic SPL Token 3.5 is 728 bytes larger than the test validator's"),
    ("other program accounts", "", "the node's program builds: LiteSVM's Core BPF Stake, no Config program, Memo v1 under loader v1 (as on mainnet), LiteSVM's Memo v2"),
    ("", "confirmationStatus", "the node finalizes at once (docs/node.md, commitment)"),
    ("", "confirmations", "the node finalizes at once (docs/node.md, commitment)"),
    ("Rent sysvar", "info.", "the Rent layout of the runtime version the node runs (4.2)"),
    ("getVersion", ".leash", "the node names its own version beside the runtime's"),
    ("getClusterNodes", "", "one node without gossip, TPU or TVU: only its RPC and PubSub addresses"),
    ("builtin program accounts", ".value[6]", "loader v4: the builtin list of the runtime the node runs (solana-builtins 4.2) has none; 3.0's registers it behind enable_loader_v4"),
];

/// Where `leash` differs from `agave`, as `path: what` lines (empty when they agree).
fn differences(path: &str, agave: &Value, leash: &Value, out: &mut Vec<String>) {
    // The key this value sits under (an array's items under the array's key).
    let last = path.rsplit('.').next().unwrap_or(path);
    let last = last.split('[').next().unwrap_or(last);
    let kind = |v: &Value| match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    match (agave, leash) {
        (Value::Object(a), Value::Object(l)) => {
            for (k, av) in a {
                let p = format!("{path}.{k}");
                match l.get(k) {
                    Some(lv) => differences(&p, av, lv, out),
                    None => out.push(format!("{p}: missing (Agave: {})", short(av))),
                }
            }
            for (k, lv) in l {
                if !a.contains_key(k) {
                    out.push(format!("{path}.{k}: extra ({})", short(lv)));
                }
            }
        }
        (Value::Array(a), Value::Array(l)) => {
            if a.len() != l.len() {
                out.push(format!("{path}: {} items (Agave: {})", l.len(), a.len()));
            }
            for (i, (av, lv)) in a.iter().zip(l).enumerate() {
                differences(&format!("{path}[{i}]"), av, lv, out);
            }
        }
        _ if kind(agave) != kind(leash) => out.push(format!(
            "{path}: {} (Agave: {})",
            short(leash),
            short(agave)
        )),
        _ if TIMING.contains(&last) => {}
        _ if agave != leash => out.push(format!(
            "{path}: {} (Agave: {})",
            short(leash),
            short(agave)
        )),
        _ => {}
    }
}

fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 80 {
        format!("{}…", text.chars().take(80).collect::<String>())
    } else {
        text
    }
}

fn deliberate(aspect: &str, line: &str) -> Option<&'static str> {
    let path = line.split(": ").next().unwrap_or(line);
    DELIBERATE
        .iter()
        .find(|(in_aspect, fragment, _)| aspect.contains(in_aspect) && path.contains(fragment))
        .map(|(_, _, why)| *why)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(agave_url) = args.next() else {
        eprintln!("usage: conformance <Agave RPC URL> [--leash URL] [--spl-token classic] [--markdown] [--dump DIR]");
        std::process::exit(2);
    };
    let (mut markdown, mut dump, mut leash_url, mut spl_token) = (false, None, None, None);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--markdown" => markdown = true,
            "--dump" => dump = args.next(),
            "--leash" => leash_url = args.next(),
            "--spl-token" => {
                let name = args.next().unwrap_or_default();
                spl_token = Some(
                    name.parse::<leash_node::SplToken>()
                        .unwrap_or_else(|e| fail(&e)),
                );
            }
            other => fail(&format!("unknown argument {other}")),
        }
    }
    // This build's node, in this process, unless another (an older build, say) is named.
    let ledger = tempfile::tempdir().unwrap_or_else(|e| fail(&format!("a ledger directory: {e}")));
    let node = match leash_url {
        Some(_) => None,
        None => Some(
            BackgroundNode::start(NodeConfig {
                ledger: ledger.path().to_path_buf(),
                reset: true,
                bind: std::net::Ipv4Addr::LOCALHOST.into(),
                rpc_port: 0,
                slot_time: Some(Duration::from_millis(400)),
                allow_time_travel: false,
                finality_lag: 0,
                spl_token,
            })
            .unwrap_or_else(|e| fail(&format!("starting the Leash node: {e}"))),
        ),
    };
    let leash_url = leash_url
        .or_else(|| node.as_ref().map(|n| n.url.clone()))
        .unwrap_or_default();
    eprintln!("== the scenario against Agave at {agave_url}");
    let agave = scenario(&Rpc { url: agave_url }).unwrap_or_else(|e| fail(&format!("Agave: {e}")));
    eprintln!("== the scenario against the Leash node at {leash_url}");
    let leash = scenario(&Rpc { url: leash_url }).unwrap_or_else(|e| fail(&format!("Leash: {e}")));
    drop(node);

    let (agave, leash) = (agave.normalized(), leash.normalized());
    if let Some(dir) = dump {
        // Both nodes' answers, for reading a difference in full.
        for (name, answers) in [("agave", &agave), ("leash", &leash)] {
            let path = std::path::Path::new(&dir).join(format!("{name}.json"));
            let text = serde_json::to_string_pretty(answers).unwrap_or_default();
            if let Err(e) = std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, text))
            {
                fail(&format!("writing {}: {e}", path.display()));
            }
        }
    }
    let (mut agree, mut on_purpose, mut open) = (0, 0, 0);
    if markdown {
        println!("| aspect | answer | differences |\n|---|---|---|");
    }
    for (aspect, agave_answer) in &agave {
        let leash_answer = leash.get(aspect).cloned().unwrap_or(Value::Null);
        let mut lines = Vec::new();
        differences("", agave_answer, &leash_answer, &mut lines);
        let (deliberate_lines, open_lines): (Vec<_>, Vec<_>) =
            lines.iter().partition(|l| deliberate(aspect, l).is_some());
        let verdict = if lines.is_empty() {
            agree += 1;
            "agrees"
        } else if open_lines.is_empty() {
            on_purpose += 1;
            "differs on purpose"
        } else {
            open += 1;
            "DIFFERS"
        };
        if markdown {
            // Each open difference, then each reason once.
            let mut detail: Vec<String> = open_lines
                .iter()
                .map(|l| format!("`{}`", l.replace('|', "\\|")))
                .collect();
            for line in &deliberate_lines {
                let why = deliberate(aspect, line).unwrap_or_default().to_string();
                if !detail.contains(&why) {
                    detail.push(why);
                }
            }
            println!("| {aspect} | {verdict} | {} |", detail.join("<br>"));
        } else {
            println!("{verdict:>18}  {aspect}");
            for line in &open_lines {
                println!("{:>18}  {line}", "");
            }
            for line in &deliberate_lines {
                println!(
                    "{:>18}  {line} ({})",
                    "",
                    deliberate(aspect, line).unwrap_or_default()
                );
            }
        }
    }
    println!(
        "\n{} aspects: {agree} agree, {on_purpose} differ on purpose, {open} differ",
        agave.len()
    );
    std::process::exit(if open == 0 { 0 } else { 1 });
}

fn fail(why: &str) -> ! {
    eprintln!("conformance: {why}");
    std::process::exit(2);
}
