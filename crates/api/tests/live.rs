//! Live events and webhooks (docs/api.md, "Events", "Webhooks") against a real node, with
//! clients nobody here wrote: an SSE client (httpx-sse) reading `GET /v1/events` and resuming
//! with `Last-Event-ID`, and webhook receivers that verify every delivery with the Standard
//! Webhooks reference library. Retries after 500s and timeouts, dead letters, redelivery,
//! disable/enable, SSRF refusals, the audit of every attempt, and two instances on PostgreSQL
//! delivering each event once.

mod common;
#[path = "../../cli/tests/common/python.rs"]
mod python;

use std::{
    io::{BufRead, BufReader, Write},
    path::PathBuf,
    process::{Child, ChildStdin, Command, Stdio},
    sync::{mpsc, Arc, Mutex},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use common::*;
use serde_json::{json, Value};
use solana_keypair::Keypair;
use solana_signer::Signer;

fn python() -> PathBuf {
    python::python_venv(
        "leash-pyenv-live",
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/live/requirements.txt"),
    )
}

fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/live")
        .join(name)
}

/// A Standard Webhooks receiver (tests/live/receiver.py) and what it has received.
struct Receiver {
    child: Child,
    stdin: ChildStdin,
    url: String,
    seen: Arc<Mutex<Vec<Value>>>,
}

impl Receiver {
    fn start(plan: &str) -> Receiver {
        let mut child = Command::new(python())
            .arg(script("receiver.py"))
            .arg(plan)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the receiver starts");
        let stdin = child.stdin.take().expect("stdin");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let first = lines.next().expect("a line").expect("text");
        let port = first
            .strip_prefix("PORT ")
            .expect("PORT <n>")
            .trim()
            .to_string();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str::<Value>(&line) {
                    sink.lock().unwrap().push(v);
                }
            }
        });
        Receiver {
            child,
            stdin,
            url: format!("http://127.0.0.1:{port}/hook"),
            seen,
        }
    }

    fn tell(&mut self, line: &str) {
        writeln!(self.stdin, "{line}").expect("write to the receiver");
        self.stdin.flush().expect("flush");
    }

    fn seen(&self) -> Vec<Value> {
        self.seen.lock().unwrap().clone()
    }

    /// Waits until `done` holds over what was received.
    fn wait(&self, what: &str, secs: u64, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let seen = self.seen();
            if done(&seen) {
                return seen;
            }
            assert!(
                Instant::now() < deadline,
                "{what}: not within {secs} s; received {seen:#?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the SSE client until it has `count` events; they, in order.
fn sse(url: &str, key: &str, count: usize, last_event_id: Option<i64>) -> Vec<Value> {
    let mut command = Command::new(python());
    command
        .arg(script("sse_client.py"))
        .arg(url)
        .arg(key)
        .arg(count.to_string());
    if let Some(id) = last_event_id {
        command.arg(id.to_string());
    }
    let out = command.output().expect("the SSE client runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "SSE client failed:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text.lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect()
}

/// The SSE client started in the background: its events arrive on the channel once
/// `CONNECTED` was printed.
fn sse_live(url: &str, key: &str, count: usize) -> mpsc::Receiver<Value> {
    let mut child = Command::new(python())
        .arg(script("sse_client.py"))
        .arg(url)
        .arg(key)
        .arg(count.to_string())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the SSE client runs");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let connected = lines.next().expect("a line").expect("text");
    assert_eq!(connected, "CONNECTED");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            if let Ok(v) = serde_json::from_str::<Value>(&line) {
                let _ = tx.send(v);
            }
        }
        let _ = child.wait();
    });
    rx
}

fn policy() -> Value {
    json!({
        "label": "live-bot",
        "expires_in": "2h",
        "allowed_programs": ["spl-token", "associated-token"],
        "max_calls_per_tx": 2,
        "limits": [{"token": "USDC", "per_tx": "10", "total": "10"}],
    })
}

/// The holder pays `amount` USDC through the API's execute/build, signed with the session key.
fn pay(api: &Api, key: &str, session: &str, session_key: &Keypair, amount: &str) {
    let recipient = Keypair::new().pubkey().to_string();
    let built = api.post(
        key,
        &format!("/v1/sessions/{session}/execute/build"),
        &json!({"transfer": {"to": recipient, "amount": amount, "token": "USDC"}}),
    );
    assert_eq!(built.status, 200, "{}", built.text);
    let signed = sign(
        built.json["transaction"]["transaction"].as_str().unwrap(),
        session_key,
    );
    let sent = api.submit(key, &signed);
    assert_eq!(sent.status, 200, "{}", sent.text);
}

/// What `seen` holds of type `t` about `session` (other tests use the same node).
/// The newest delivery of webhook `id` once the API has recorded it delivered (10 s at most).
fn delivered(api: &Api, admin: &str, id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let log = api.get(admin, &format!("/v1/webhooks/{id}/deliveries"));
        let newest = log.json["deliveries"][0].clone();
        if newest["state"] == "delivered" {
            return newest;
        }
        assert!(Instant::now() < deadline, "not delivered: {}", log.text);
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn of_type<'a>(seen: &'a [Value], t: &str, session: &str) -> Vec<&'a Value> {
    seen.iter()
        .filter(|v| v["type"] == t && v["data"]["session"] == session)
        .collect()
}

#[test]
fn events_stream_and_signed_webhooks_with_retries_dead_letters_and_redelivery() {
    let api = Api::start();
    let admin = api.admin.clone();
    let read = api.key(&[leash_api::keys::Scope::Read]);
    let write = api.key(&[leash_api::keys::Scope::Write]);

    // The event types are an enum in the OpenAPI document.
    let openapi = api.get(&read, "/openapi.json");
    let text = openapi.text.clone();
    for t in leash_client::live::EventType::ALL {
        assert!(text.contains(t.name()), "/openapi.json lists {t}");
    }

    // A receiver whose first answer is a 500: the delivery is retried with the same id.
    let mut hooks = Receiver::start("500,200");
    let created = api.post(&admin, "/v1/webhooks", &json!({ "url": hooks.url }));
    assert_eq!(created.status, 201, "{}", created.text);
    let secret = created.json["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"));
    let webhook = created.json["id"].as_str().unwrap().to_string();
    hooks.tell(&secret);
    let listed = api.get(&admin, "/v1/webhooks");
    assert!(
        !listed.text.contains(&secret[6..]),
        "the secret is shown once: {}",
        listed.text
    );
    // Not to a read key.
    api.post(&read, "/v1/webhooks", &json!({ "url": hooks.url }))
        .error(403, "scope_missing");

    // A wallet, a session, and a payment that brings its total to 90 %.
    let owner = funded_owner();
    let wallet = wallet_over_http(&api, &write, &owner);
    let (session, session_key) = session_over_http(&api, &write, &owner, &wallet, policy());
    pay(&api, &write, &session, &session_key, "9");
    let paid_at = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let seen = hooks.wait(
        "session.used and session.limit_near delivered",
        30,
        |seen| {
            ["session.created", "session.used", "session.limit_near"]
                .iter()
                .all(|t| {
                    of_type(seen, t, &session)
                        .iter()
                        .any(|v| v["answered"] == 200)
                })
        },
    );
    assert!(
        seen.iter().all(|v| v["verified"] == true),
        "every delivery verifies: {seen:#?}"
    );
    let used = of_type(&seen, "session.used", &session)[0];
    let latency = used["at"].as_f64().unwrap() - paid_at;
    eprintln!("session.used reached the receiver {latency:.2} s after the payment was confirmed");
    assert!(
        latency < 5.0,
        "a webhook within 5 s of the use (was {latency:.2} s)"
    );
    assert_eq!(used["data"]["wallet"], wallet.as_str());
    assert_eq!(used["data"]["session"], session.as_str());
    assert!(used["data"]["signature"]
        .as_str()
        .is_some_and(|s| s.len() > 60));
    assert_eq!(used["data"]["outflows"][0]["token"], "USDC");
    assert_eq!(used["data"]["outflows"][0]["amount"], "9");
    let near = of_type(&seen, "session.limit_near", &session)[0];
    assert_eq!(near["data"]["bound"], "total");
    assert_eq!(near["data"]["percent"], 90);
    // The first attempt got a 500 and was retried, as the same message.
    let refused: Vec<Value> = seen
        .iter()
        .filter(|v| v["answered"] == 500)
        .cloned()
        .collect();
    assert_eq!(
        refused.len(),
        1,
        "the receiver's first answer was its only 500: {seen:#?}"
    );
    let first = refused[0].clone();
    // (The refused one may be another test's event, retried a moment later.)
    hooks.wait("the 500 retried with the same webhook-id", 20, |s| {
        s.iter()
            .any(|v| v["id"] == first["id"] && v["answered"] == 200)
    });
    // The log says so once the API has recorded the answer (a moment after the receiver saw it).
    let deadline = Instant::now() + Duration::from_secs(10);
    let retried = loop {
        let log = api.get(&admin, &format!("/v1/webhooks/{webhook}/deliveries"));
        assert_eq!(log.status, 200, "{}", log.text);
        let found = log.json["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["id"] == first["id"])
            .cloned()
            .expect("the retried delivery is in the log");
        if found["state"] == "delivered" || Instant::now() > deadline {
            break found;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(retried["state"], "delivered", "{retried}");
    assert_eq!(retried["attempts"], 2);
    assert_eq!(retried["attempt_log"][0]["status"], 500);
    assert_eq!(retried["attempt_log"][1]["status"], 200);

    // The stream: from the start (Last-Event-ID 0), this wallet's events in order…
    let url = format!("{}/v1/events?wallet={wallet}", api.base);
    let events = sse(&url, &read, 3, Some(0));
    let types: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        ["session.created", "session.used", "session.limit_near"],
        "{events:#?}"
    );
    let ids: Vec<i64> = events
        .iter()
        .map(|e| e["id"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    assert_eq!(events[1]["data"]["data"]["session"], session.as_str());
    assert_eq!(events[1]["data"]["type"], "session.used");
    // …and resumed after the first: what followed, none twice.
    let resumed = sse(&url, &read, 2, Some(ids[0]));
    let resumed_ids: Vec<i64> = resumed
        .iter()
        .map(|e| e["id"].as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(resumed_ids, ids[1..].to_vec());
    // Filters: a type list, and a bad one named.
    let only_used = sse(&format!("{url}&types=session.used"), &read, 1, Some(0));
    assert_eq!(only_used[0]["event"], "session.used");
    let bad = api.get(&read, "/v1/events?types=session.nope");
    let error = bad.error(400, "invalid_input");
    assert!(error["message"].as_str().unwrap().contains("session.nope"));

    // A receiver that times out first, a dead letter, and a disabled webhook.
    let mut slow = Receiver::start("sleep,200");
    let slow_hook = api.post(
        &admin,
        "/v1/webhooks",
        &json!({ "url": slow.url, "events": ["session.revoked"], "wallet": wallet }),
    );
    assert_eq!(slow_hook.status, 201, "{}", slow_hook.text);
    slow.tell(slow_hook.json["secret"].as_str().unwrap());
    let mut dead = Receiver::start("500");
    let dead_hook = api.post(
        &admin,
        "/v1/webhooks",
        &json!({ "url": dead.url, "events": ["session.revoked"] }),
    );
    dead.tell(dead_hook.json["secret"].as_str().unwrap());
    let dead_id = dead_hook.json["id"].as_str().unwrap().to_string();
    let disabled = api.post(
        &admin,
        &format!("/v1/webhooks/{webhook}/disable"),
        &json!({}),
    );
    assert_eq!(disabled.json["enabled"], false, "{}", disabled.text);
    let before_revoke = hooks.seen().len();

    // Live: a stream connected now sees the revocation as it happens.
    let live = sse_live(
        &format!("{}/v1/events?session={session}", api.base),
        &read,
        1,
    );
    let revoke = api.post(
        &write,
        &format!("/v1/sessions/{session}/revoke/prepare"),
        &json!({}),
    );
    assert_eq!(api.sign_and_submit(&write, &revoke, &owner).status, 200);
    let revoked = live
        .recv_timeout(Duration::from_secs(20))
        .expect("session.revoked on the live stream");
    assert_eq!(revoked["event"], "session.revoked");
    assert_eq!(revoked["data"]["data"]["by"], owner.pubkey().to_string());

    let slow_seen = slow.wait("the revocation after a timeout", 30, |s| {
        s.iter().any(|v| v["answered"] == 200)
    });
    assert_eq!(
        slow_seen[0]["answered"],
        Value::Null,
        "the first attempt got no answer"
    );
    let slow_id = slow_hook.json["id"].as_str().unwrap().to_string();
    let slow_delivery = delivered(&api, &admin, &slow_id);
    assert!(
        slow_delivery["attempt_log"][0]["error"]
            .as_str()
            .unwrap_or("")
            .contains("no answer within"),
        "{slow_delivery}"
    );

    // Dead: every attempt a 500 until the retry window closes.
    let deadline = Instant::now() + Duration::from_secs(30);
    let dead_delivery = loop {
        let log = api.get(&admin, &format!("/v1/webhooks/{dead_id}/deliveries"));
        let d = log.json["deliveries"][0].clone();
        if d["state"] == "dead" {
            break d;
        }
        assert!(Instant::now() < deadline, "no dead letter: {}", log.text);
        std::thread::sleep(Duration::from_millis(300));
    };
    assert!(
        dead_delivery["attempts"].as_i64().unwrap() >= 2,
        "{dead_delivery}"
    );
    assert_eq!(dead_delivery["last_status"], 500);
    // Redelivered once the receiver works.
    dead.tell("200");
    let again = api.post(
        &admin,
        &format!(
            "/v1/webhooks/{dead_id}/deliveries/{}/redeliver",
            dead_delivery["id"].as_str().unwrap()
        ),
        &json!({}),
    );
    assert_eq!(again.status, 202, "{}", again.text);
    dead.wait("the redelivery", 20, |s| {
        s.iter()
            .any(|v| v["answered"] == 200 && v["verified"] == true)
    });

    // The disabled webhook got nothing of the revocation; enabled again, the next event comes.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        hooks.seen().len(),
        before_revoke,
        "a disabled webhook receives nothing"
    );
    api.post(
        &admin,
        &format!("/v1/webhooks/{webhook}/enable"),
        &json!({}),
    );
    let test = api.post(&admin, &format!("/v1/webhooks/{webhook}/test"), &json!({}));
    assert_eq!(test.status, 200, "{}", test.text);
    assert_eq!(test.json["ok"], true, "{}", test.text);
    hooks.wait("the test message", 10, |s| {
        s.iter()
            .any(|v| v["type"] == "webhook.test" && v["verified"] == true)
    });

    // Every attempt is in the audit log.
    let audit = api.get(&admin, "/v1/audit/log?limit=1000");
    let deliveries_audited = audit.json["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event_type"] == "webhook.delivery")
        .count();
    let attempts_made = hooks
        .seen()
        .iter()
        .filter(|v| v["type"] != "webhook.test")
        .count()
        + slow.seen().len()
        + dead.seen().len();
    assert!(
        deliveries_audited >= attempts_made,
        "{deliveries_audited} audited, {attempts_made} made"
    );

    // Removing a webhook; an unknown one is a 404 that says how to list them.
    let removed = api.delete(&admin, &format!("/v1/webhooks/{dead_id}"));
    assert_eq!(removed.json["removed"], true, "{}", removed.text);
    api.get(&admin, &format!("/v1/webhooks/{dead_id}/deliveries"))
        .error(404, "webhook_not_found");
}

#[test]
fn webhook_urls_are_checked_against_ssrf() {
    let api = Api::start_with_webhooks(leash_api::live::WebhookSettings::default());
    let admin = api.admin.clone();
    for (url, words) in [
        ("ftp://example.com/hook", "http or https"),
        ("file:///etc/passwd", "http or https"),
        ("gopher://example.com/", "http or https"),
        ("not a url", "not a URL"),
        ("https://user:secret@example.com/hook", "credentials"),
        ("http://127.0.0.1:8080/hook", "private"),
        ("http://localhost/hook", "private"),
        ("http://169.254.169.254/latest/meta-data", "private"),
        ("http://10.0.0.7/hook", "private"),
        ("http://192.168.1.1/hook", "private"),
        ("http://[::1]/hook", "private"),
        ("http://[::ffff:127.0.0.1]/hook", "private"),
        ("http://100.64.0.1/hook", "private"),
    ] {
        let refused = api.post(&admin, "/v1/webhooks", &json!({ "url": url }));
        let error = refused.error(400, "invalid_input");
        assert_eq!(error["details"]["field"], "url", "{url}: {}", refused.text);
        assert!(
            error["message"].as_str().unwrap().contains(words),
            "{url}: {}",
            refused.text
        );
    }
    let unknown = api.post(
        &admin,
        "/v1/webhooks",
        &json!({ "url": "https://example.com/h", "events": ["session.nope"] }),
    );
    let error = unknown.error(400, "invalid_input");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("session.limit_near"),
        "{}",
        unknown.text
    );
}

#[test]
fn two_instances_on_postgres_deliver_each_event_once() {
    let Some(url) = fresh_postgres() else {
        return;
    };
    let (a, b) = Api::start_two_on_postgres(&url);
    let admin = a.admin.clone();
    let mut hooks = Receiver::start("200");
    let created = a.post(
        &admin,
        "/v1/webhooks",
        &json!({ "url": hooks.url, "events": ["session.created", "session.used"] }),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    hooks.tell(created.json["secret"].as_str().unwrap());
    let write = a.key(&[leash_api::keys::Scope::Write]);
    let owner = funded_owner();
    let wallet = wallet_over_http(&a, &write, &owner);
    let (session, session_key) = session_over_http(&a, &write, &owner, &wallet, policy());
    pay(&a, &write, &session, &session_key, "1");
    hooks.wait("both events", 30, |s| {
        s.iter()
            .any(|v| v["type"] == "session.used" && v["data"]["session"] == session.as_str())
    });
    // Both instances follow the chain and deliver; give them time to deliver twice if they would.
    std::thread::sleep(Duration::from_secs(3));
    let seen = hooks.seen();
    for t in ["session.created", "session.used"] {
        let of_this: Vec<&Value> = seen
            .iter()
            .filter(|v| v["type"] == t && v["data"]["session"] == session.as_str())
            .collect();
        assert_eq!(
            of_this.len(),
            1,
            "{t} delivered once by two instances: {seen:#?}"
        );
        assert_eq!(
            of_this[0]["verified"], true,
            "instances sharing the audit key sign alike"
        );
    }
    // Either instance streams the events, numbered alike.
    let read_b = b.key(&[leash_api::keys::Scope::Read]);
    let events = sse(
        &format!("{}/v1/events?session={session}", b.base),
        &read_b,
        2,
        Some(0),
    );
    assert_eq!(events[0]["event"], "session.created");
    assert_eq!(events[1]["event"], "session.used");
}
