//! A full disk on a real (tiny) filesystem: writes are refused with a clear error and nothing
//! else changes, reads keep working, writes resume when space returns, and a restart finds
//! exactly the transactions that were reported confirmed.
//!
//! `sendTransaction` answers at acceptance: a transaction accepted just as the disk fills may be
//! rolled back with the commit that failed (it was never reported confirmed). So each accepted
//! transaction's fate is asked of `getSignatureStatuses`, which answers once it is durable or
//! gone.
//!
//! Mounts a 4 MiB tmpfs, so it needs root (or CAP_SYS_ADMIN), as in CI. Without it the test
//! fails, saying so: it never skips.

use std::{
    collections::HashSet,
    io::Write,
    path::{Path, PathBuf},
    process::Command,
    time::Duration,
};

use base64::Engine;
use leash_node::{BackgroundNode, NodeConfig};
use serde_json::{json, Value};
use solana_keypair::Keypair;
use solana_message::Message;
use solana_program::pubkey::Pubkey;
use solana_signer::Signer;
use solana_transaction::Transaction;

mod common;

use common::*;

/// A tmpfs mounted for the test, unmounted when dropped (also when the test fails).
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Tmpfs {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output()
            .expect("cannot run mount(8)");
        assert!(
            out.status.success(),
            "cannot mount a {size} tmpfs at {}: {}\nThis test needs root (or CAP_SYS_ADMIN) to \
             mount a small filesystem and fill it; it does not skip without.",
            dir.path().display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
        Tmpfs { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let unmounted = Command::new("umount")
            .arg(self.dir.path())
            .status()
            .is_ok_and(|s| s.success());
        if !unmounted {
            // Still busy (a node thread left behind by a panic): detach it now.
            let _ = Command::new("umount")
                .arg("-l")
                .arg(self.dir.path())
                .status();
        }
    }
}

fn start(ledger: &Path) -> BackgroundNode {
    BackgroundNode::start(NodeConfig {
        ledger: ledger.to_path_buf(),
        reset: false,
        bind: "127.0.0.1".parse().unwrap(),
        rpc_port: 0,
        // Slots tick (and commit) while the disk is full; a blockhash stays valid 30 s.
        slot_time: Some(Duration::from_millis(200)),
        allow_time_travel: false,
        finality_lag: 0,
        spl_token: None,
    })
    .expect("node starts")
}

fn balance(url: &str, address: &Pubkey) -> u64 {
    rpc_result(url, "getBalance", json!([address.to_string()]))["value"]
        .as_u64()
        .unwrap()
}

fn transfer(url: &str, from: &Keypair, to: &Pubkey, lamports: u64) -> Transaction {
    let blockhash = rpc_result(url, "getLatestBlockhash", json!([]))["value"]["blockhash"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let ix = solana_system_interface::instruction::transfer(&from.pubkey(), to, lamports);
    Transaction::new(
        &[from],
        Message::new(&[ix], Some(&from.pubkey())),
        blockhash,
    )
}

/// `sendTransaction`; the node answers it at acceptance (executed, not yet durable).
fn send(url: &str, tx: &Transaction) -> Value {
    let wire = base64::engine::general_purpose::STANDARD.encode(bincode::serialize(tx).unwrap());
    rpc_call(
        url,
        "sendTransaction",
        json!([wire, {"encoding": "base64"}]),
    )
}

/// Fills the filesystem of `dir` with a file until no byte more fits.
fn fill(dir: &Path) -> PathBuf {
    let path = dir.join("filler");
    let mut file = std::fs::File::create(&path).unwrap();
    let chunk = vec![0xa5u8; 64 * 1024];
    let mut small = false;
    loop {
        let result = if small {
            file.write(&chunk[..512])
        } else {
            file.write(&chunk)
        };
        match result {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.raw_os_error() == Some(28) && !small => small = true,
            Err(e) if e.raw_os_error() == Some(28) => break,
            Err(e) => panic!("filling the disk: {e}"),
        }
    }
    let _ = file.sync_all();
    path
}

/// Whether the accepted transaction `signature` is confirmed (durable: `finalized` on this node);
/// false if the commit that held it failed and it was rolled back. `getSignatureStatuses`
/// answers once everything executed before it is durable, so one call tells.
fn confirmed(url: &str, signature: &str) -> bool {
    let statuses = rpc_result(url, "getSignatureStatuses", json!([[signature]]));
    let status = &statuses["value"][0];
    if status.is_null() {
        return false;
    }
    assert_eq!(status["confirmationStatus"], "finalized", "{statuses}");
    assert!(status["err"].is_null(), "{statuses}");
    true
}

fn transaction(url: &str, signature: &str) -> Value {
    rpc_result(
        url,
        "getTransaction",
        json!([signature, {"encoding": "json", "commitment": "confirmed"}]),
    )
}

#[test]
fn a_full_disk_refuses_writes_serves_reads_and_recovers() {
    let disk = Tmpfs::mount("4m");
    let ledger = disk.path().join("ledger");
    let node = start(&ledger);
    let url = node.url.clone();

    // Confirmed before the disk fills: an airdrop and a few transfers.
    let payer = Keypair::new();
    let recipient = Pubkey::new_unique();
    let mut confirmed: Vec<String> = Vec::new();
    // Confirmed transactions that do not touch `recipient`.
    let mut confirmed_elsewhere: Vec<String> = Vec::new();
    let airdrop = rpc_result(
        &url,
        "requestAirdrop",
        json!([payer.pubkey().to_string(), 100 * SOL]),
    );
    confirmed.push(airdrop.as_str().unwrap().to_string());
    let mut received = 0;
    for i in 1..=3 {
        let tx = transfer(&url, &payer, &recipient, i * SOL);
        let answer = send(&url, &tx);
        assert!(answer.get("error").is_none(), "{answer}");
        confirmed.push(answer["result"].as_str().unwrap().to_string());
        received += i * SOL;
    }
    // Durable before the disk fills (the last commit might otherwise meet the full disk).
    for signature in &confirmed {
        assert!(self::confirmed(&url, signature), "{signature}");
    }

    let filler = fill(disk.path());

    // Transfers until one is refused: pages redb already holds may take a few more commits. A
    // transfer accepted while the disk fills may be rolled back with its failed commit.
    let mut refused = None;
    let mut rolled_back = 0;
    for i in 0..200u64 {
        let payer_before = balance(&url, &payer.pubkey());
        let tx = transfer(&url, &payer, &recipient, SOL + 1000 + i);
        let answer = send(&url, &tx);
        if let Some(error) = answer.get("error") {
            assert_eq!(error["code"], -32005, "{answer}");
            let message = error["message"].as_str().unwrap();
            assert!(
                message.contains("disk is full")
                    && message.contains(&ledger.display().to_string())
                    && message.contains("reads keep working"),
                "{message}"
            );
            // Nothing of the refused transaction is visible: no fee, no transfer, no status.
            assert_eq!(balance(&url, &payer.pubkey()), payer_before);
            refused = Some(tx);
            break;
        }
        let signature = answer["result"].as_str().unwrap().to_string();
        if self::confirmed(&url, &signature) {
            confirmed.push(signature);
            received += SOL + 1000 + i;
        } else {
            // Rolled back: nothing of it is visible either.
            assert_eq!(balance(&url, &payer.pubkey()), payer_before);
            assert!(transaction(&url, &signature).is_null());
            rolled_back += 1;
        }
    }
    let refused = refused.expect("a write was refused on the full disk");
    let refused_signature = refused.signatures[0].to_string();
    let statuses = rpc_result(
        &url,
        "getSignatureStatuses",
        json!([[refused_signature.clone()]]),
    );
    assert_eq!(statuses["value"][0], Value::Null, "{statuses}");

    // An airdrop is a write too: refused the same way. (The ledger reopened after the failure
    // may have reclaimed a few pages of its own, so a small write can still fit: keep going.)
    let mut airdrop_refused = false;
    for _ in 0..200 {
        let to = Pubkey::new_unique();
        let answer = rpc_call(&url, "requestAirdrop", json!([to.to_string(), SOL]));
        if answer.get("error").is_some() {
            assert_eq!(answer["error"]["code"], -32005, "{answer}");
            assert_eq!(balance(&url, &to), 0);
            airdrop_refused = true;
            break;
        }
        let signature = answer["result"].as_str().unwrap().to_string();
        if self::confirmed(&url, &signature) {
            confirmed_elsewhere.push(signature);
        } else {
            assert_eq!(balance(&url, &to), 0);
            rolled_back += 1;
        }
    }
    eprintln!("accepted then rolled back with a failed commit: {rolled_back}");
    assert!(airdrop_refused, "an airdrop was refused on the full disk");

    // Reads keep working, including reads of the ledger file, through several failed ticks.
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(rpc_result(&url, "getHealth", json!([])), json!("ok"));
    assert_eq!(balance(&url, &recipient), received);
    let info = rpc_result(
        &url,
        "getAccountInfo",
        json!([recipient.to_string(), {"encoding": "base64"}]),
    );
    assert_eq!(info["value"]["lamports"].as_u64(), Some(received));
    for signature in &confirmed {
        assert!(!transaction(&url, signature).is_null(), "{signature}");
    }
    let history = rpc_result(
        &url,
        "getSignaturesForAddress",
        json!([recipient.to_string()]),
    );
    assert_eq!(history.as_array().unwrap().len(), confirmed.len() - 1);
    let slot_while_full = rpc_result(&url, "getSlot", json!([])).as_u64().unwrap();

    // Space returns: writes resume at once, the refused transaction can be sent again.
    std::fs::remove_file(&filler).unwrap();
    let answer = send(&url, &refused);
    assert!(answer.get("error").is_none(), "{answer}");
    assert_eq!(answer["result"].as_str(), Some(refused_signature.as_str()));
    assert!(self::confirmed(&url, &refused_signature));
    confirmed.push(refused_signature);
    received += refused.message.instructions[0].data[4..12]
        .try_into()
        .map(u64::from_le_bytes)
        .unwrap();
    let tx = transfer(&url, &payer, &recipient, 7 * SOL);
    let answer = send(&url, &tx);
    assert!(answer.get("error").is_none(), "{answer}");
    let signature = answer["result"].as_str().unwrap().to_string();
    assert!(self::confirmed(&url, &signature));
    confirmed.push(signature);
    received += 7 * SOL;
    assert_eq!(balance(&url, &recipient), received);
    let payer_balance = balance(&url, &payer.pubkey());
    let slot_after = rpc_result(&url, "getSlot", json!([])).as_u64().unwrap();
    assert!(slot_after >= slot_while_full);
    drop(node);

    // A restart on the same ledger finds every confirmed transaction, and nothing else.
    let node = start(&ledger);
    let url = node.url.clone();
    for signature in confirmed.iter().chain(&confirmed_elsewhere) {
        assert!(!transaction(&url, signature).is_null(), "lost {signature}");
    }
    assert_eq!(
        rpc_result(&url, "getTransactionCount", json!([])).as_u64(),
        Some((confirmed.len() + confirmed_elsewhere.len()) as u64)
    );
    let history: HashSet<String> = rpc_result(
        &url,
        "getSignaturesForAddress",
        json!([recipient.to_string()]),
    )
    .as_array()
    .unwrap()
    .iter()
    .map(|entry| entry["signature"].as_str().unwrap().to_string())
    .collect();
    let expected: HashSet<String> = confirmed[1..].iter().cloned().collect();
    assert_eq!(history, expected);
    assert_eq!(balance(&url, &recipient), received);
    assert_eq!(balance(&url, &payer.pubkey()), payer_balance);
    assert!(rpc_result(&url, "getSlot", json!([])).as_u64().unwrap() > slot_after);
    drop(node);
}
