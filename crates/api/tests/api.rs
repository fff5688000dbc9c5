//! `leash serve` over HTTP against a real `leash node`: the owner's flow end to end, a holder
//! who signs elsewhere, scopes on every route, idempotency, the audit chain, and bad input.

mod common;

use common::*;
use leash_api::{keys::Scope, routes::ROUTES};
use serde_json::{json, Value};
use solana_keypair::Keypair;
use solana_signer::Signer;

fn usdc_limit(view: &Value) -> &Value {
    view["policy"]["limits"]
        .as_array()
        .expect("limits")
        .iter()
        .find(|l| l["token"] == "USDC")
        .expect("a USDC limit")
}

/// An owner runs every session operation through HTTP only; a holder acts through
/// `execute/build`, signing with the session key in the test.
#[test]
fn owner_and_holder_flows_over_http() {
    let api = Api::start();
    let write = api.key(&[Scope::Write]);
    let owner = funded_owner();

    // Wallet: prepare, sign, submit; then it is the owner's.
    let wallet = wallet_over_http(&api, &write, &owner);
    let listed = api.get(&write, &format!("/v1/owners/{}/wallets", owner.pubkey()));
    assert_eq!(listed.status, 200, "{}", listed.text);
    assert_eq!(listed.json["wallets"][0]["wallet"], wallet.as_str());
    let shown = api.get(&write, &format!("/v1/wallets/{wallet}"));
    assert_eq!(shown.status, 200, "{}", shown.text);
    let usdc = shown.json["balances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["token"] == "USDC")
        .expect("USDC in the vault");
    assert_eq!(usdc["amount"], "100");

    // Preview: normalized policy, address, warnings, rent; nothing sent.
    let session_key = Keypair::new();
    let policy = json!({
        "label": "api-bot",
        "expires_in": "2h",
        "max_uses": 10,
        "allowed_programs": ["spl-token", "system"],
        "limits": [{"token": "USDC", "per_tx": "5", "total": "8"}, {"token": "SOL"}],
    });
    let preview = api.post(
        &write,
        "/v1/sessions/preview",
        &json!({"wallet": wallet, "session_key": session_key.pubkey().to_string(), "policy": policy}),
    );
    assert_eq!(preview.status, 200, "{}", preview.text);
    assert_eq!(preview.json["wallet_exists"], true);
    assert!(preview.json["rent_lamports"].as_u64().unwrap() > 0);
    let warnings = preview.json["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().unwrap().contains("no bound on SOL")),
        "{warnings:?}"
    );
    let session = preview.json["session"].as_str().unwrap().to_string();

    // Prepare (unsigned transaction + summary), sign, submit.
    let prepared = api.post(
        &write,
        "/v1/sessions/prepare",
        &json!({"wallet": wallet, "session_key": session_key.pubkey().to_string(), "policy": policy, "top_up": "0.05"}),
    );
    assert_eq!(prepared.status, 200, "{}", prepared.text);
    assert!(prepared.json["summary"]
        .as_str()
        .unwrap()
        .contains("Register the session"));
    assert_eq!(prepared.json["report"]["session"], session.as_str());
    assert_eq!(
        prepared.json["transactions"][0]["signers"],
        json!([owner.pubkey().to_string()])
    );
    // Signed by someone else: refused before it reaches the chain.
    let wrong = sign_wrongly(
        prepared.json["transactions"][0]["transaction"]
            .as_str()
            .unwrap(),
        &Keypair::new(),
    );
    api.submit(&write, &wrong).error(400, "invalid_input");
    let sent = api.sign_and_submit(&write, &prepared, &owner);
    assert_eq!(sent.status, 200, "{}", sent.text);
    assert_eq!(sent.json["status"], "confirmed");

    // List and show: status and used / limit per mint.
    let list = api.get(&write, &format!("/v1/wallets/{wallet}/sessions"));
    assert_eq!(list.status, 200, "{}", list.text);
    assert_eq!(list.json["sessions"].as_array().unwrap().len(), 1);
    let view = &list.json["sessions"][0];
    assert_eq!(view["status"], "active");
    assert_eq!(usdc_limit(view)["used"], "0");
    assert_eq!(usdc_limit(view)["total"], "8");

    // The holder: build an Execute, sign it with the session key, submit.
    let recipient = Keypair::new().pubkey().to_string();
    let transfer = json!({"transfer": {"to": recipient, "amount": "4.5", "token": "USDC"}});
    let simulated = api.post(
        &write,
        &format!("/v1/sessions/{session}/simulate"),
        &transfer,
    );
    assert_eq!(simulated.status, 200, "{}", simulated.text);
    assert_eq!(simulated.json["would_succeed"], true, "{}", simulated.text);
    let built = api.post(
        &write,
        &format!("/v1/sessions/{session}/execute/build"),
        &transfer,
    );
    assert_eq!(built.status, 200, "{}", built.text);
    assert_eq!(built.json["session_key"], session_key.pubkey().to_string());
    let signed = sign(
        built.json["transaction"]["transaction"].as_str().unwrap(),
        &session_key,
    );
    let sent = api.submit(&write, &signed);
    assert_eq!(sent.status, 200, "{}", sent.text);
    let view = api.get(&write, &format!("/v1/sessions/{session}"));
    assert_eq!(view.status, 200, "{}", view.text);
    assert_eq!(view.json["uses"], 1);
    assert_eq!(usdc_limit(&view.json)["used"], "4.5");

    // Over the total: simulate says by how much; the chain refuses with the figures.
    let simulated = api.post(
        &write,
        &format!("/v1/sessions/{session}/simulate"),
        &transfer,
    );
    assert_eq!(simulated.json["would_succeed"], false, "{}", simulated.text);
    assert_eq!(simulated.json["code"], "SpendingLimitExceeded");
    assert_eq!(simulated.json["over_by"]["amount"], "1");
    let built = api.post(
        &write,
        &format!("/v1/sessions/{session}/execute/build"),
        &transfer,
    );
    let signed = sign(
        built.json["transaction"]["transaction"].as_str().unwrap(),
        &session_key,
    );
    let refused = api.submit(&write, &signed);
    let error = refused.error(422, "spending_limit_exceeded");
    assert_eq!(error["details"]["program_code"], 6008);
    assert_eq!(error["details"]["used"], "4.5");
    assert_eq!(error["details"]["limit"], "8");
    assert_eq!(error["details"]["over_by"], "1");
    assert!(error["hint"].as_str().unwrap().contains("higher limit"));

    // Update with expected_uses: a stale count is refused on chain, the right one passes.
    let raised = json!({
        "expires_in": "2h",
        "allowed_programs": ["spl-token", "system"],
        "limits": [{"token": "USDC", "per_tx": "5", "total": "20"}],
    });
    let stale = api.post(
        &write,
        &format!("/v1/sessions/{session}/update/prepare"),
        &json!({"policy": raised, "expected_uses": 0}),
    );
    api.sign_and_submit(&write, &stale, &owner)
        .error(422, "nonce_mismatch");
    let update = api.post(
        &write,
        &format!("/v1/sessions/{session}/update/prepare"),
        &json!({"policy": raised, "expected_uses": 1}),
    );
    let sent = api.sign_and_submit(&write, &update, &owner);
    assert_eq!(sent.status, 200, "{}", sent.text);
    let view = api.get(&write, &format!("/v1/sessions/{session}"));
    assert_eq!(usdc_limit(&view.json)["total"], "20");

    // Policy v3: USDC only to the first recipient, and SPL Token only for `approve`. The
    // preview warns that SOL may go anywhere; each refusal names what the policy lists.
    let narrowed = json!({
        "expires_in": "2h",
        "allowed_programs": ["spl-token", "system"],
        "limits": [{"token": "USDC", "per_tx": "5", "total": "20", "recipients": [recipient]}],
        "program_rules": [{"program": "spl-token", "instructions": ["transfer_checked"]}],
    });
    let update = api.post(
        &write,
        &format!("/v1/sessions/{session}/update/prepare"),
        &json!({"policy": narrowed}),
    );
    assert_eq!(update.status, 200, "{}", update.text);
    assert_eq!(api.sign_and_submit(&write, &update, &owner).status, 200);
    let view = api.get(&write, &format!("/v1/sessions/{session}"));
    assert_eq!(
        usdc_limit(&view.json)["recipients"],
        json!([recipient]),
        "{}",
        view.text
    );
    let stranger = Keypair::new().pubkey().to_string();
    let elsewhere = json!({"transfer": {"to": stranger, "amount": "1", "token": "USDC"}});
    let simulated = api.post(
        &write,
        &format!("/v1/sessions/{session}/simulate"),
        &elsewhere,
    );
    assert_eq!(
        simulated.json["code"], "RecipientNotAllowed",
        "{}",
        simulated.text
    );
    assert_eq!(simulated.json["recipient"]["listed"], json!([recipient]));
    let built = api.post(
        &write,
        &format!("/v1/sessions/{session}/execute/build"),
        &elsewhere,
    );
    let signed = sign(
        built.json["transaction"]["transaction"].as_str().unwrap(),
        &session_key,
    );
    let refused = api.submit(&write, &signed);
    let error = refused.error(422, "recipient_not_allowed");
    assert_eq!(error["details"]["program_code"], 6020);
    assert_eq!(
        error["details"]["recipient"]["recipient"],
        stranger.as_str()
    );
    assert_eq!(error["details"]["recipient"]["listed"], json!([recipient]));
    // A plain `transfer` (not `transfer_checked`) through `execute`: refused before it runs.
    // (The rule is judged before any call runs: the accounts need not hold anything.)
    let raw_transfer = json!({"execute": {
        "program": "spl-token",
        "accounts": [
            {"pubkey": Keypair::new().pubkey().to_string(), "is_writable": true},
            {"pubkey": Keypair::new().pubkey().to_string(), "is_writable": true},
            {"pubkey": "vault", "is_signer": true},
        ],
        "data": "AwEAAAAAAAAA",
    }});
    let simulated = api.post(
        &write,
        &format!("/v1/sessions/{session}/simulate"),
        &raw_transfer,
    );
    assert_eq!(
        simulated.json["code"], "InstructionNotAllowed",
        "{}",
        simulated.text
    );
    assert_eq!(simulated.json["instruction"]["instruction"], "transfer");
    assert_eq!(
        simulated.json["instruction"]["allowed"],
        json!(["transfer_checked"])
    );

    // Revoke, then close.
    let revoke = api.post(
        &write,
        &format!("/v1/sessions/{session}/revoke/prepare"),
        &json!({}),
    );
    assert_eq!(api.sign_and_submit(&write, &revoke, &owner).status, 200);
    let view = api.get(&write, &format!("/v1/sessions/{session}"));
    assert_eq!(view.json["status"], "revoked", "{}", view.text);
    let close = api.post(
        &write,
        &format!("/v1/sessions/{session}/close/prepare"),
        &json!({}),
    );
    assert_eq!(api.sign_and_submit(&write, &close, &owner).status, 200);
    api.get(&write, &format!("/v1/sessions/{session}"))
        .error(404, "session_not_found");

    // Revoke all: two sessions, one transaction, both revoked.
    let (a, _) = session_over_http(&api, &write, &owner, &wallet, policy.clone());
    let (b, _) = session_over_http(&api, &write, &owner, &wallet, policy.clone());
    let all = api.post(
        &write,
        &format!("/v1/wallets/{wallet}/revoke-all/prepare"),
        &json!({}),
    );
    assert_eq!(api.sign_and_submit(&write, &all, &owner).status, 200);
    for s in [a, b] {
        assert_eq!(
            api.get(&write, &format!("/v1/sessions/{s}")).json["status"],
            "revoked"
        );
    }

    // Withdraw and sweep prepare too.
    let withdraw = api.post(
        &write,
        &format!("/v1/wallets/{wallet}/withdraw/prepare"),
        &json!({"amount": "1", "token": "USDC"}),
    );
    assert_eq!(api.sign_and_submit(&write, &withdraw, &owner).status, 200);
    let sweep = api.post(
        &write,
        &format!("/v1/wallets/{wallet}/sweep/prepare"),
        &json!({}),
    );
    assert_eq!(sweep.status, 200, "{}", sweep.text);
    assert_eq!(sweep.json["report"]["swept"], false);

    // Every prepare and submit is in the audit log, and the chain verifies.
    let log = api.get(&api.admin, "/v1/audit/log");
    assert_eq!(log.status, 200, "{}", log.text);
    let events: Vec<&str> = log.json["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_type"].as_str().unwrap())
        .collect();
    for event in [
        "wallet.prepare",
        "session.prepare",
        "execute.build",
        "transaction.submit",
        "session.update.prepare",
        "session.revoke.prepare",
        "session.close.prepare",
        "wallet.revoke_all.prepare",
    ] {
        assert!(events.contains(&event), "{event} not audited: {events:?}");
    }
    let verified = api.get(&api.admin, "/v1/audit/verify");
    assert_eq!(verified.json["valid"], true, "{}", verified.text);
}

/// Path parameters for any route: addresses that exist nowhere.
fn fill(path: &str) -> String {
    let nowhere = Keypair::new().pubkey().to_string();
    path.split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                nowhere.clone()
            } else {
                segment.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn call(api: &Api, method: &str, path: &str, key: Option<&str>) -> Answer {
    let url = format!("{}{}", api.base, fill(path));
    let mut request = match method {
        "GET" => api.http.get(url),
        "POST" => api
            .http
            .post(url)
            .header("content-type", "application/json")
            .body("{}"),
        "DELETE" => api.http.delete(url),
        other => panic!("method {other}"),
    };
    if let Some(key) = key {
        request = request.header("x-api-key", key);
    }
    request = request.header(
        "idempotency-key",
        format!("scope-test-{}", Keypair::new().pubkey()),
    );
    Answer::from(request.send().expect("request"))
}

/// Every route that needs a scope refuses a missing, an unknown and an under-scoped key; the
/// routes without a scope answer without a key.
#[test]
fn every_route_is_refused_without_its_scope() {
    let api = Api::start();
    let read = api.key(&[Scope::Read]);
    let write = api.key(&[Scope::Write]);
    let request = api.key(&[Scope::Request]);
    let created = api.post(
        &api.admin,
        "/v1/api-keys",
        &json!({"name": "to revoke", "scopes": ["admin"]}),
    );
    let revoked = created.json["key"].as_str().unwrap().to_string();
    let revoked_id = created.json["id"].as_str().unwrap().to_string();
    let gone = api
        .http
        .delete(format!("{}/v1/api-keys/{revoked_id}", api.base))
        .bearer_auth(&api.admin)
        .send()
        .unwrap();
    assert_eq!(gone.status(), 200);

    let mut checked = 0;
    for route in ROUTES {
        let Some(scope) = route.scope else {
            let r = call(&api, route.method, route.path, None);
            if route.operation_id == "dashboard_sign_in" {
                // Its body is the key: `{}` names none.
                r.error(400, "invalid_input");
            } else {
                assert_eq!(r.status, 200, "{} {}: {}", route.method, route.path, r.text);
            }
            continue;
        };
        call(&api, route.method, route.path, None).error(401, "missing_api_key");
        call(&api, route.method, route.path, Some("lk_not-a-key")).error(401, "invalid_api_key");
        call(&api, route.method, route.path, Some(&revoked)).error(401, "invalid_api_key");
        // Keys whose scopes do not grant this route's.
        let under: Vec<&str> = match scope {
            Scope::Read => vec![&request],
            Scope::Write => vec![&read, &request],
            Scope::Admin => vec![&read, &write, &request],
            Scope::Request => vec![&read, &write],
        };
        // A route open to a second scope lets its keys past (the handler limits them).
        let under = under
            .into_iter()
            .filter(|k| route.also != Some(Scope::Request) || *k != request.as_str());
        for key in under {
            let r = call(&api, route.method, route.path, Some(key));
            let error = r.error(403, "scope_missing");
            assert!(
                error["message"].as_str().unwrap().contains(scope.as_str()),
                "{}",
                r.text
            );
        }
        // And the key that has it gets past the check (whatever the route then says).
        let granted = match scope {
            Scope::Read => &read,
            Scope::Write => &write,
            _ => &api.admin,
        };
        // …and reaches a handler: the router serves every route of the table.
        let r = call(&api, route.method, route.path, Some(granted));
        assert!(
            ![401, 403, 405].contains(&r.status)
                && !["not_found", "method_not_allowed"]
                    .contains(&r.json["error"]["code"].as_str().unwrap_or("")),
            "{} {}: {}",
            route.method,
            route.path,
            r.text
        );
        checked += 1;
    }
    assert!(checked >= 20, "{checked} routes checked");
}

/// Same key + same body replays byte for byte; same key + another body is 422; a key in flight
/// is 409; racing duplicates make exactly one effect; submits need a key.
#[test]
fn idempotency_replays_collides_and_makes_one_effect() {
    idempotency_checks(&Api::start());
}

#[test]
fn idempotency_on_postgres() {
    if let Some(url) = fresh_postgres() {
        idempotency_checks(&Api::start_postgres(
            &url,
            tempfile::tempdir().unwrap(),
            None,
        ));
    }
}

/// A session preview's body for fresh keys: an answer with no secret in it, to replay.
fn preview_body() -> Value {
    json!({
        "wallet": Keypair::new().pubkey().to_string(),
        "session_key": Keypair::new().pubkey().to_string(),
        "policy": {"expires_in": "1h", "allowed_programs": ["system"], "limits": [{"token": "SOL", "total": "1"}]},
    })
}

fn idempotency_checks(api: &Api) {
    // An answer without a secret replays byte for byte.
    let preview = preview_body();
    let first = api.post_with(
        &api.admin,
        "/v1/sessions/preview",
        &preview,
        Some("idem-key-0000"),
    );
    assert_eq!(first.status, 200, "{}", first.text);
    assert!(first.headers.get("idempotent-replay").is_none());
    let again = api.post_with(
        &api.admin,
        "/v1/sessions/preview",
        &preview,
        Some("idem-key-0000"),
    );
    assert_eq!(again.status, 200);
    assert_eq!(again.text, first.text, "replayed byte for byte");
    assert_eq!(again.headers["idempotent-replay"], "true");

    // A new API key is shown once: its replay is refused, and still makes no second key.
    let body = json!({"name": "idem", "scopes": ["read"]});
    let first = api.post_with(&api.admin, "/v1/api-keys", &body, Some("idem-key-0001"));
    assert_eq!(first.status, 201, "{}", first.text);
    api.post_with(&api.admin, "/v1/api-keys", &body, Some("idem-key-0001"))
        .error(409, "idempotency_secret_shown_once");
    let other = json!({"name": "other", "scopes": ["read"]});
    api.post_with(&api.admin, "/v1/api-keys", &other, Some("idem-key-0001"))
        .error(422, "idempotency_collision");
    let count = |api: &Api| {
        api.get(&api.admin, "/v1/api-keys").json["keys"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|k| k["name"] == "idem")
            .count()
    };
    assert_eq!(count(api), 1, "one key for three requests");

    // 4xx answers are kept too.
    let bad = json!({"name": "", "scopes": ["read"]});
    let a = api.post_with(&api.admin, "/v1/api-keys", &bad, Some("idem-key-0002"));
    a.error(400, "invalid_input");
    let b = api.post_with(&api.admin, "/v1/api-keys", &bad, Some("idem-key-0002"));
    assert_eq!((b.status, &b.text), (400, &a.text));

    // A request with this key still running.
    let caller = api
        .state
        .store
        .keys()
        .unwrap()
        .into_iter()
        .find(|k| k.scopes == ["admin"])
        .unwrap();
    let hash_of = |b: &Value| {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        h.update(b"POST");
        h.update([0]);
        h.update(b"/v1/api-keys");
        h.update([0]);
        h.update(b.to_string().as_bytes());
        h.finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let running = json!({"name": "running", "scopes": ["read"]});
    api.state
        .store
        .claim_idempotency(&caller.id, "idem-key-0003", &hash_of(&running))
        .unwrap();
    api.post_with(&api.admin, "/v1/api-keys", &running, Some("idem-key-0003"))
        .error(409, "idempotency_in_progress");

    // Eight racing duplicates: one effect; every answer is that one, replayed, or 409.
    let race = json!({"name": "race", "scopes": ["read"]});
    let answers: Vec<Answer> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| api.post_with(&api.admin, "/v1/api-keys", &race, Some("idem-race-0001")))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let created: Vec<&Answer> = answers.iter().filter(|a| a.status == 201).collect();
    assert!(!created.is_empty());
    for a in &answers {
        assert!(a.status == 201 || a.status == 409, "{}", a.text);
    }
    assert!(created.iter().all(|a| a.text == created[0].text));
    let races = api.get(&api.admin, "/v1/api-keys").json["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["name"] == "race")
        .count();
    assert_eq!(races, 1, "exactly one effect");

    // Submits need a key; keys are 8–200 visible characters.
    let write = api.key(&[Scope::Write]);
    api.post(
        &write,
        "/v1/transactions/submit",
        &json!({"transaction": "AA=="}),
    )
    .error(400, "idempotency_key_required");
    api.post_with(
        &write,
        "/v1/transactions/submit",
        &json!({"transaction": "AA=="}),
        Some("short"),
    )
    .error(400, "invalid_input");
}

/// The chain verifies; editing, deleting or re-signing an entry in the store is found.
#[test]
fn audit_chain_verifies_and_tampering_is_found() {
    audit_checks(Api::start);
}

#[test]
fn audit_chain_on_postgres() {
    if fresh_postgres().is_none() {
        return;
    }
    audit_checks(|| {
        let url = fresh_postgres().expect("PostgreSQL");
        Api::start_postgres(&url, tempfile::tempdir().unwrap(), None)
    });
}

fn audit_checks(start: impl Fn() -> Api) {
    let api = start();
    for i in 0..3 {
        api.key(&[if i % 2 == 0 {
            Scope::Read
        } else {
            Scope::Write
        }]);
    }
    let verified = api.get(&api.admin, "/v1/audit/verify");
    assert_eq!(verified.status, 200, "{}", verified.text);
    assert_eq!(verified.json["valid"], true, "{}", verified.text);
    assert_eq!(verified.json["entries"], 4, "first admin key + 3");

    // The export verifies offline with the audit key it names.
    let log = api.get(&api.admin, "/v1/audit/log");
    let export: leash_api::audit::Export = serde_json::from_str(&log.text).unwrap();
    let key = export.audit_key.parse().unwrap();
    assert!(leash_api::audit::verify(&export.entries, &key).valid);
    // A page of the log.
    let page = api.get(&api.admin, "/v1/audit/log?after=2&limit=1");
    assert_eq!(page.json["entries"].as_array().unwrap().len(), 1);
    assert_eq!(page.json["entries"][0]["seq"], 3);
    // The end of the log, oldest first (the dashboard's view); not together with `after`.
    let newest = api.get(&api.admin, "/v1/audit/log?newest=true&limit=2");
    let seqs: Vec<_> = newest.json["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_i64().unwrap())
        .collect();
    let last = export.entries.last().unwrap().seq;
    assert_eq!(seqs, [last - 1, last], "{}", newest.text);
    api.get(&api.admin, "/v1/audit/log?newest=true&after=1")
        .error(400, "invalid_input");
    api.get(&api.admin, "/v1/audit/log?limit=0")
        .error(400, "invalid_input");
    api.get(&api.admin, "/v1/audit/log?limit=x")
        .error(400, "invalid_input");

    api.state
        .store
        .execute_raw("UPDATE audit_log SET actor = 'someone else' WHERE seq = 2")
        .unwrap();
    let broken = api.get(&api.admin, "/v1/audit/verify");
    assert_eq!(broken.json["valid"], false);
    assert_eq!(broken.json["first_invalid_seq"], 2);

    let api = start();
    api.key(&[Scope::Read]);
    api.key(&[Scope::Read]);
    api.state
        .store
        .execute_raw("DELETE FROM audit_log WHERE seq = 2")
        .unwrap();
    let broken = api.get(&api.admin, "/v1/audit/verify");
    assert_eq!(broken.json["valid"], false);
    assert_eq!(broken.json["first_invalid_seq"], 3);

    // A truncated tail still verifies (the chain from the start is whole): it shows against
    // the head recorded before — fewer entries, another head.
    let api = start();
    api.key(&[Scope::Read]);
    let recorded = api.get(&api.admin, "/v1/audit/verify");
    let entries = recorded.json["entries"].as_u64().unwrap();
    let head = recorded.json["head"].as_str().unwrap().to_string();
    assert_eq!(head.len(), 64, "{}", recorded.text);
    api.state
        .store
        .execute_raw(&format!("DELETE FROM audit_log WHERE seq = {entries}"))
        .unwrap();
    let truncated = api.get(&api.admin, "/v1/audit/verify");
    assert_eq!(truncated.json["valid"], true, "{}", truncated.text);
    assert_eq!(truncated.json["entries"].as_u64(), Some(entries - 1));
    assert_ne!(truncated.json["head"], head.as_str());
}

/// Bad input: each a 4xx naming the field, never a 500.
#[test]
fn bad_input_gets_a_clear_4xx() {
    let api = Api::start();
    let write = api.key(&[Scope::Write]);
    let owner = funded_owner();
    let wallet = wallet_over_http(&api, &write, &owner);
    let key = Keypair::new().pubkey().to_string();

    let e = api
        .post(
            &write,
            "/v1/wallets/prepare",
            &json!({"owner": key, "color": "red"}),
        )
        .error(400, "invalid_input")
        .clone();
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("unknown field `color`"),
        "{e}"
    );
    let e = api
        .post(&write, "/v1/wallets/prepare", &json!({"owner": 7}))
        .error(400, "invalid_input")
        .clone();
    assert_eq!(e["details"]["field"], "owner");
    let e = api
        .post(
            &write,
            "/v1/wallets/prepare",
            &json!({"owner": "not-an-address"}),
        )
        .error(400, "invalid_input")
        .clone();
    assert_eq!(e["details"]["field"], "owner");
    let e = api
        .post(
            &write,
            &format!("/v1/wallets/{wallet}/deposit/prepare"),
            &json!({"amount": "1.0000001", "token": "USDC"}),
        )
        .error(400, "invalid_input")
        .clone();
    assert_eq!(e["details"]["field"], "amount");
    assert!(
        e["message"].as_str().unwrap().contains("decimal places"),
        "{e}"
    );
    let e = api
        .post(
            &write,
            "/v1/sessions/preview",
            &json!({"wallet": wallet, "session_key": key, "policy": {"limits": [{"token": "USDC", "total": "1", "typo": 1}]}}),
        )
        .error(400, "invalid_input")
        .clone();
    assert!(
        e["details"]["field"]
            .as_str()
            .unwrap()
            .starts_with("policy.limits"),
        "{e}"
    );
    let e = api
        .post(
            &write,
            "/v1/sessions/preview",
            &json!({"wallet": wallet, "session_key": key, "policy": {"limits": [{"token": "NOPE", "total": "1"}]}}),
        )
        .error(400, "invalid_policy")
        .clone();
    assert_eq!(e["details"]["field"], "policy");
    let e = api
        .post(
            &write,
            &format!("/v1/sessions/{key}/simulate"),
            &json!({"transfer": {"to": key, "amount": "1", "token": "USDC"}, "execute": {}}),
        )
        .error(400, "invalid_input")
        .clone();
    assert!(e["message"].as_str().is_some());

    // Malformed JSON, oversized bodies, unknown routes, unknown wallets and sessions.
    let raw = |body: String| {
        Answer::from(
            api.http
                .post(format!("{}/v1/wallets/prepare", api.base))
                .bearer_auth(&write)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .unwrap(),
        )
    };
    raw("{\"owner\": ".into()).error(400, "invalid_input");
    raw(format!("{{\"owner\": \"{}\"}}", "x".repeat(70_000))).error(413, "payload_too_large");
    let big = Answer::from(
        api.http
            .post(format!("{}/v1/transactions/submit", api.base))
            .bearer_auth(&write)
            .header("idempotency-key", "oversized-0001")
            .body("x".repeat(70_000))
            .send()
            .unwrap(),
    );
    big.error(413, "payload_too_large");
    // A JSON body must say so: text/plain (what a cross-site form sends) and no type are 415.
    for content_type in [Some("text/plain"), None] {
        let mut request = api
            .http
            .post(format!("{}/v1/wallets/prepare", api.base))
            .bearer_auth(&write)
            .body(format!("{{\"owner\": \"{}\"}}", Keypair::new().pubkey()));
        if let Some(t) = content_type {
            request = request.header("content-type", t);
        }
        Answer::from(request.send().unwrap()).error(415, "unsupported_media_type");
    }
    api.get(&write, "/v1/nothing-here").error(404, "not_found");
    api.get(&write, "/v1/wallets/prepare")
        .error(405, "method_not_allowed");
    api.get(&write, &format!("/v1/wallets/{key}"))
        .error(404, "wallet_not_found");
    api.get(&write, &format!("/v1/sessions/{key}"))
        .error(404, "session_not_found");
    api.get(&write, "/v1/sessions/not-base58!")
        .error(400, "invalid_input");
    api.post(&write, "/v1/transactions/submit", &json!({}))
        .error(400, "idempotency_key_required");
    api.post_with(
        &write,
        "/v1/transactions/submit",
        &json!({"transaction": "%%%"}),
        Some("bad-transaction-1"),
    )
    .error(400, "invalid_input");
}

/// A cluster that is down: 503 `cluster_unavailable`; what needs no cluster still answers.
/// Per-key rate limits: 429 with Retry-After.
#[test]
fn cluster_down_and_rate_limits() {
    let api = Api::start_with(
        "http://127.0.0.1:9",
        leash_api::keys::RateLimit {
            per_second: 0.01,
            burst: 2.0,
        },
    );
    let key = Keypair::new().pubkey().to_string();
    api.get(&api.admin, &format!("/v1/wallets/{key}"))
        .error(503, "cluster_unavailable");
    let health = Answer::from(api.http.get(format!("{}/health", api.base)).send().unwrap());
    assert_eq!(health.status, 200);
    assert_eq!(health.json["cluster_reachable"], false);
    let keys = api.get(&api.admin, "/v1/api-keys");
    assert_eq!(keys.status, 200, "the store answers without the cluster");
    let limited = api.get(&api.admin, "/v1/api-keys");
    let error = limited.error(429, "rate_limited");
    assert!(error["message"].as_str().is_some());
    let retry: u64 = limited.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry >= 1);
    // The document is served without a key, and is OpenAPI 3.1.
    let doc = Answer::from(
        api.http
            .get(format!("{}/openapi.json", api.base))
            .send()
            .unwrap(),
    );
    assert_eq!(doc.json["openapi"], "3.1.0");
    assert_eq!(
        doc.json["paths"]["/v1/transactions/submit"]["post"]["x-scope"],
        "write"
    );
}

/// Two API instances on one PostgreSQL: racing duplicates sent to both make exactly one key;
/// a replay on the other instance answers byte for byte; both append to one chain, which
/// verifies; a key made on one works on the other, and its revocation too.
#[test]
fn two_instances_on_one_postgres() {
    let Some(url) = fresh_postgres() else {
        return;
    };
    // The second instance: the same store and the same audit key file.
    let (a, b) = Api::start_two_on_postgres(&url);

    let race = json!({"name": "race", "scopes": ["read"]});
    let answers: Vec<Answer> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let api = if i % 2 == 0 { &a } else { &b };
                let race = &race;
                s.spawn(move || {
                    api.post_with(&api.admin, "/v1/api-keys", race, Some("idem-two-instances"))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    // One answer carries the new key; the others are in progress, or shown-once replays.
    let created: Vec<&Answer> = answers.iter().filter(|x| x.status == 201).collect();
    assert_eq!(created.len(), 1);
    for x in &answers {
        assert!(x.status == 201 || x.status == 409, "{}", x.text);
    }
    for api in [&a, &b] {
        api.post_with(
            &api.admin,
            "/v1/api-keys",
            &race,
            Some("idem-two-instances"),
        )
        .error(409, "idempotency_secret_shown_once");
    }
    // An answer without a secret replays on either instance, byte for byte.
    let preview = preview_body();
    let first = a.post_with(
        &a.admin,
        "/v1/sessions/preview",
        &preview,
        Some("idem-preview-two"),
    );
    assert_eq!(first.status, 200, "{}", first.text);
    let replay = b.post_with(
        &b.admin,
        "/v1/sessions/preview",
        &preview,
        Some("idem-preview-two"),
    );
    assert_eq!(replay.text, first.text);
    assert_eq!(replay.headers["idempotent-replay"], "true");
    let races = a.get(&a.admin, "/v1/api-keys").json["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["name"] == "race")
        .count();
    assert_eq!(races, 1, "exactly one effect across two instances");

    // A key made on one instance works on the other; revoked on the other, it is refused on
    // the first.
    let made = a.post(
        &a.admin,
        "/v1/api-keys",
        &json!({"name": "shared", "scopes": ["read"]}),
    );
    let key = made.json["key"].as_str().unwrap().to_string();
    let id = made.json["id"].as_str().unwrap().to_string();
    assert_eq!(b.get(&key, "/v1/info").status, 200);
    let revoked = b
        .http
        .delete(format!("{}/v1/api-keys/{id}", b.base))
        .bearer_auth(&b.admin)
        .send()
        .unwrap();
    assert_eq!(revoked.status(), 200);
    a.get(&key, "/v1/info").error(401, "invalid_api_key");
    for api in [&a, &b] {
        let v = api.get(&api.admin, "/v1/audit/verify");
        assert_eq!(v.json["valid"], true, "{}", v.text);
        assert!(v.json["entries"].as_u64().unwrap() >= 5, "{}", v.text);
    }
}

/// `leash serve --signer`: an admin's submit may ask the server to sign; a write key may not,
/// a server without a signer says so, and a transaction the signer is not part of is refused.
#[test]
fn local_signer_signs_for_admins_only() {
    let owner = funded_owner();
    let owner_key = owner.pubkey().to_string();
    let api = Api::start_with_signer(owner);
    let write = api.key(&[Scope::Write]);
    let prepared = api.post(
        &write,
        "/v1/wallets/prepare",
        &json!({ "owner": owner_key }),
    );
    assert_eq!(prepared.status, 200, "{}", prepared.text);
    let unsigned = prepared.json["transactions"][0]["transaction"]
        .as_str()
        .unwrap()
        .to_string();
    let body = json!({ "transaction": unsigned, "sign_with_local_signer": true });
    api.post_with(
        &write,
        "/v1/transactions/submit",
        &body,
        Some("local-signer-1"),
    )
    .error(403, "scope_missing");
    // Unsigned and not asked to sign: refused before the chain.
    api.submit(&write, &unsigned).error(400, "invalid_input");
    let sent = api.post_with(
        &api.admin,
        "/v1/transactions/submit",
        &body,
        Some("local-signer-2"),
    );
    assert_eq!(sent.status, 200, "{}", sent.text);
    let wallet = prepared.json["report"]["wallet"].as_str().unwrap();
    assert_eq!(
        api.get(&write, &format!("/v1/wallets/{wallet}")).status,
        200
    );
    let log = api.get(&api.admin, "/v1/audit/log");
    let submits: Vec<Value> = log.json["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event_type"] == "transaction.submit")
        .map(|e| serde_json::from_str(e["payload"].as_str().unwrap()).unwrap())
        .collect();
    assert_eq!(submits.len(), 1, "{}", log.text);
    assert_eq!(submits[0]["local_signer"], owner_key.as_str());

    // A transaction of another owner: the signer is not one of its signers.
    let other = Keypair::new().pubkey().to_string();
    let theirs = api.post(&write, "/v1/wallets/prepare", &json!({ "owner": other }));
    let body = json!({ "transaction": theirs.json["transactions"][0]["transaction"], "sign_with_local_signer": true });
    api.post_with(
        &api.admin,
        "/v1/transactions/submit",
        &body,
        Some("local-signer-3"),
    )
    .error(400, "signer_mismatch");

    // A server without a signer.
    let plain = Api::start();
    let body = json!({ "transaction": unsigned, "sign_with_local_signer": true });
    let e = plain
        .post_with(
            &plain.admin,
            "/v1/transactions/submit",
            &body,
            Some("local-signer-4"),
        )
        .error(400, "invalid_input")
        .clone();
    assert_eq!(e["details"]["field"], "sign_with_local_signer");
}

/// The auth layer fails closed: `HEAD` is judged as the `GET` it runs (it once ran the handler
/// with no key and no rate limit, and `Content-Length` leaked the size of admin answers), and a
/// path or method no route places is refused before any handler.
#[test]
fn head_is_judged_as_get_and_unplaced_requests_are_refused() {
    let api = Api::start();
    let read = api.key(&[Scope::Read]);
    let mut checked = 0;
    for route in ROUTES.iter().filter(|r| r.method == "GET") {
        let path = route
            .path
            .replace("{wallet}", "11111111111111111111111111111111")
            .replace("{owner}", "11111111111111111111111111111111")
            .replace("{session}", "11111111111111111111111111111111")
            .replace("{id}", "sreq_x");
        let url = format!("{}{path}", api.base);
        let head = api.http.head(&url).send().expect("HEAD");
        match route.scope {
            Some(_) => {
                assert_eq!(head.status(), 401, "HEAD {path} without a key");
                let with_key = api.http.head(&url).bearer_auth(&read).send().expect("HEAD");
                assert_ne!(with_key.status(), 401, "HEAD {path} with a read key");
                checked += 1;
            }
            None => assert_eq!(head.status(), 200, "HEAD {path} (public)"),
        }
    }
    assert!(checked >= 8, "{checked} GET routes checked");
    // Unplaced: 404 / 405 in the envelope, key or not; the dashboard's files stay public.
    let unplaced = api
        .http
        .get(format!("{}/v1/nothing", api.base))
        .send()
        .unwrap();
    Answer::from(unplaced).error(404, "not_found");
    let wrong_method = api
        .http
        .put(format!("{}/v1/api-keys", api.base))
        .send()
        .unwrap();
    Answer::from(wrong_method).error(405, "method_not_allowed");
    let head_page = api.http.head(format!("{}/", api.base)).send().unwrap();
    assert_eq!(head_page.status(), 200);
}

/// A new API key made with an `Idempotency-Key` is shown once and never stored: the replay is
/// 409 `idempotency_secret_shown_once`, and the key's text is nowhere in the store's files.
#[test]
fn an_answer_carrying_a_secret_is_never_stored_for_replay() {
    let api = Api::start();
    let body = json!({"name": "shown once", "scopes": ["read"]});
    let first = api.post_with(&api.admin, "/v1/api-keys", &body, Some("create-key-0001"));
    assert_eq!(first.status, 201, "{}", first.text);
    let key = first.json["key"].as_str().expect("key").to_string();
    let replay = api.post_with(&api.admin, "/v1/api-keys", &body, Some("create-key-0001"));
    let error = replay.error(409, "idempotency_secret_shown_once");
    assert!(!replay.text.contains(&key), "{}", replay.text);
    assert!(error["hint"].as_str().unwrap().contains("revoke"));
    // One key was made, not two.
    let listed = api.get(&api.admin, "/v1/api-keys");
    let named = listed.json["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["name"] == "shown once")
        .count();
    assert_eq!(named, 1, "{}", listed.text);
    // The SQLite store (and its WAL) holds the key's hash only.
    let secret = key.strip_prefix("lk_").unwrap_or(&key);
    for entry in std::fs::read_dir(api.store_dir()).expect("store dir") {
        let path = entry.expect("entry").path();
        let bytes = std::fs::read(&path).unwrap_or_default();
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "{} holds the new key",
            path.display()
        );
    }
}

/// A passkey wallet over HTTP with the browser's flow (docs/api.md, "Passkey owners"): a
/// `Leash-Fee-Payer` key pays and signs, the passkey answers the challenges the prepare gives,
/// `complete` puts the assertions in place; a server with no signer holds no key at all.
#[test]
fn passkey_owners_over_http() {
    use base64::Engine;
    use leash_sdk::passkey::{signature_to_der, SoftwarePasskey};
    let b64url = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let api = Api::start();
    let write = api.key(&[Scope::Write]);
    let payer = funded_owner();
    let paying = payer.pubkey().to_string();
    let passkey = SoftwarePasskey::generate("localhost");
    let body = json!({
        "name": "touch",
        "public_key": b64url(&passkey.public_key_spki().unwrap()),
        "rp_id": "localhost",
        "user_verification": true,
    });
    // Without a payer, a server with no signer has nobody to pay.
    api.post(&write, "/v1/passkey/wallets/prepare", &body)
        .error(400, "invalid_input");
    api.post_paying(
        &write,
        "/v1/passkey/wallets/prepare",
        &body,
        "not-an-address",
    )
    .error(400, "invalid_input");
    let prepared = api.post_paying(&write, "/v1/passkey/wallets/prepare", &body, &paying);
    assert_eq!(prepared.status, 200, "{}", prepared.text);
    let wallet = prepared.json["report"]["wallet"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(prepared.json["report"]["owner"]
        .as_str()
        .unwrap()
        .starts_with("passkey:"));
    assert_eq!(api.sign_and_submit(&write, &prepared, &payer).status, 200);
    // The payer deposits (a passkey holds nothing).
    let deposit = api.post_paying(
        &write,
        &format!("/v1/wallets/{wallet}/deposit/prepare"),
        &json!({ "amount": "1", "token": "SOL" }),
        &paying,
    );
    // Nothing for the passkey to sign: an ordinary prepared transaction of the payer's.
    assert!(deposit.json.get("passkey").is_none(), "{}", deposit.text);
    let complete = |unsigned: &Value, assertions: Value| {
        api.post_paying(
            &write,
            "/v1/passkey/complete",
            &json!({ "transaction": unsigned, "assertions": assertions }),
            &paying,
        )
    };
    assert_eq!(api.sign_and_submit(&write, &deposit, &payer).status, 200);

    // A session: one challenge, answered by the passkey.
    let session_body = json!({
        "wallet": wallet,
        "session_key": Keypair::new().pubkey().to_string(),
        "policy": {"expires_in": "1h", "allowed_programs": ["system"], "limits": [{"token": "SOL", "total": "0.5"}]},
        "top_up": "0",
    });
    let answer = |challenge: &[u8; 32]| {
        let r = passkey.assert(challenge);
        json!([{
            "authenticator_data": b64url(&r.auth_data),
            "client_data_json": b64url(&r.client_data_json),
            "signature": b64url(&signature_to_der(&r.signature).unwrap()),
        }])
    };
    let challenge_of = |prepared: &Answer| -> [u8; 32] {
        let text = prepared.json["passkey"][0]["challenge"].as_str().unwrap();
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text)
            .unwrap()
            .try_into()
            .unwrap()
    };
    let create = api.post_paying(&write, "/v1/sessions/prepare", &session_body, &paying);
    assert_eq!(create.status, 200, "{}", create.text);
    assert_eq!(create.json["fee_payer"], paying.as_str());
    let unsigned = &create.json["transactions"][0]["transaction"];
    // Too few assertions: refused before the chain.
    complete(unsigned, json!([])).error(400, "invalid_input");
    // An assertion over another challenge: the program refuses it, mapped.
    let wrong = complete(unsigned, answer(&[7; 32]));
    assert_eq!(wrong.status, 200, "{}", wrong.text);
    let signed = sign(wrong.json["transaction"].as_str().unwrap(), &payer);
    api.submit(&write, &signed)
        .error(422, "passkey_assertion_invalid");
    // The right one lands.
    let right = complete(unsigned, answer(&challenge_of(&create)));
    let signed = sign(right.json["transaction"].as_str().unwrap(), &payer);
    let sent = api.submit(&write, &signed);
    assert_eq!(sent.status, 200, "{}", sent.text);
    let sessions = api.get(&write, &format!("/v1/wallets/{wallet}/sessions"));
    assert_eq!(
        sessions.json["sessions"].as_array().map(Vec::len),
        Some(1),
        "{}",
        sessions.text
    );
    // The same assertion again (a replay): the owner nonce moved on.
    let again = api.post_paying(&write, "/v1/sessions/prepare", &session_body, &paying);
    let replay = complete(
        &again.json["transactions"][0]["transaction"],
        answer(&challenge_of(&create)),
    );
    let signed = sign(replay.json["transaction"].as_str().unwrap(), &payer);
    api.submit(&write, &signed)
        .error(422, "passkey_assertion_invalid");
}
