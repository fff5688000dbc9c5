//! Agent-requested sessions over HTTP against a real `leash node` (docs/agents.md): an agent's
//! `request` key files a request; the owner lists it, approves it with a narrowed policy (the
//! status comes from the chain) or denies it with a note; an expired request cannot be
//! approved; a `request` key sees only its own requests and nothing else; bad input is refused.
//! On SQLite and on PostgreSQL.

mod common;

use common::*;
use leash_api::keys::Scope;
use serde_json::{json, Value};
use solana_keypair::Keypair;
use solana_signer::Signer;

fn asked_policy() -> Value {
    json!({
        "label": "invoice-bot",
        "expires_in": "2h",
        "max_uses": 10,
        "allowed_programs": ["spl-token", "system"],
        "limits": [{"token": "USDC", "per_tx": "5", "total": "8"}, {"token": "SOL"}],
    })
}

fn file(api: &Api, key: &str, wallet: &str, extra: Value) -> (Answer, Keypair) {
    let session_key = Keypair::new();
    let mut body = json!({
        "wallet": wallet,
        "session_key": session_key.pubkey().to_string(),
        "policy": asked_policy(),
        "reason": "pay this week's invoices",
    });
    for (k, v) in extra.as_object().expect("object") {
        body[k] = v.clone();
    }
    (api.post(key, "/v1/session-requests", &body), session_key)
}

fn usdc_total(policy: &Value) -> &Value {
    &policy["limits"]
        .as_array()
        .expect("limits")
        .iter()
        .find(|l| l["token"] == "USDC")
        .expect("USDC limit")["total"]
}

#[test]
fn session_requests_on_sqlite() {
    request_flows(&Api::start());
}

#[test]
fn session_requests_on_postgres() {
    if let Some(url) = fresh_postgres() {
        request_flows(&Api::start_postgres(
            &url,
            tempfile::tempdir().unwrap(),
            None,
        ));
    }
}

fn request_flows(api: &Api) {
    let agent = api.key(&[Scope::Request]);
    let other_agent = api.key(&[Scope::Request]);
    let read = api.key(&[Scope::Read]);
    let write = api.key(&[Scope::Write]);
    let owner = funded_owner();
    let wallet = wallet_over_http(api, &write, &owner);

    // Filed: 201, pending, the PDA of wallet and key, the policy normalized; no secret.
    let (filed, session_key) = file(api, &agent, &wallet, json!({}));
    assert_eq!(filed.status, 201, "{}", filed.text);
    let id = filed.json["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("sreq_"), "{id}");
    assert_eq!(filed.json["status"], "pending");
    let (pda, _) = leash_sdk::state::session_address(
        &wallet.parse().unwrap(),
        &session_key.pubkey(),
        &leash_sdk::DEFAULT_PROGRAM_ID,
    );
    assert_eq!(filed.json["session"], pda.to_string());
    assert_eq!(filed.json["session_key"], session_key.pubkey().to_string());
    assert_eq!(usdc_total(&filed.json["policy"]), "8");
    assert_eq!(filed.json["reason"], "pay this week's invoices");
    assert!(filed.json["expires_at"].as_str().unwrap().ends_with('Z'));
    assert!(filed.json.get("granted_policy").is_none());

    // The agent reads its own request; not another's; nothing else.
    let own = api.get(&agent, &format!("/v1/session-requests/{id}"));
    assert_eq!(own.status, 200, "{}", own.text);
    assert_eq!(own.json["status"], "pending");
    api.get(&other_agent, &format!("/v1/session-requests/{id}"))
        .error(404, "session_request_not_found");
    api.get(&agent, "/v1/session-requests")
        .error(403, "scope_missing");
    api.get(&agent, &format!("/v1/wallets/{wallet}"))
        .error(403, "scope_missing");
    api.post(
        &agent,
        &format!("/v1/session-requests/{id}/approve/prepare"),
        &json!({}),
    )
    .error(403, "scope_missing");
    api.post(
        &agent,
        &format!("/v1/session-requests/{id}/deny"),
        &json!({}),
    )
    .error(403, "scope_missing");
    // The owner's keys read it all.
    let listed = api.get(&read, "/v1/session-requests?status=pending");
    assert_eq!(listed.status, 200, "{}", listed.text);
    assert!(listed.json["requests"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["id"] == id.as_str()));
    api.get(&read, "/v1/session-requests?status=maybe")
        .error(400, "invalid_input");

    // Approve with a narrowed policy: USDC total 3 instead of 8.
    let mut narrowed = asked_policy();
    narrowed["limits"][0]["total"] = json!("3");
    let prepared = api.post(
        &write,
        &format!("/v1/session-requests/{id}/approve/prepare"),
        &json!({"policy": narrowed, "top_up": "0.02"}),
    );
    assert_eq!(prepared.status, 200, "{}", prepared.text);
    assert_eq!(prepared.json["report"]["session"], pda.to_string());
    assert_eq!(
        prepared.json["transactions"][0]["signers"],
        json!([owner.pubkey().to_string()])
    );
    // Still pending until it is on chain.
    assert_eq!(
        api.get(&agent, &format!("/v1/session-requests/{id}")).json["status"],
        "pending"
    );
    let sent = api.sign_and_submit(&write, &prepared, &owner);
    assert_eq!(sent.status, 200, "{}", sent.text);
    let approved = api.get(&agent, &format!("/v1/session-requests/{id}"));
    assert_eq!(approved.status, 200, "{}", approved.text);
    assert_eq!(approved.json["status"], "approved");
    assert_eq!(approved.json["session_status"], "active");
    assert_eq!(usdc_total(&approved.json["granted_policy"]), "3");
    assert_eq!(usdc_total(&approved.json["policy"]), "8", "what was asked");
    // Settled: neither approved again nor denied.
    api.post(
        &write,
        &format!("/v1/session-requests/{id}/approve/prepare"),
        &json!({}),
    )
    .error(409, "session_request_approved");
    api.post(
        &write,
        &format!("/v1/session-requests/{id}/deny"),
        &json!({"note": "too late"}),
    )
    .error(409, "session_request_approved");

    // Denied with a note: the agent reads it; it cannot be approved.
    let (filed, _) = file(api, &agent, &wallet, json!({}));
    assert_eq!(filed.status, 201, "{}", filed.text);
    let denied_id = filed.json["id"].as_str().unwrap().to_string();
    let denied = api.post(
        &write,
        &format!("/v1/session-requests/{denied_id}/deny"),
        &json!({"note": "use the weekly budget session instead"}),
    );
    assert_eq!(denied.status, 200, "{}", denied.text);
    assert_eq!(denied.json["status"], "denied");
    let seen = api.get(&agent, &format!("/v1/session-requests/{denied_id}"));
    assert_eq!(seen.json["status"], "denied");
    assert_eq!(seen.json["note"], "use the weekly budget session instead");
    api.post(
        &write,
        &format!("/v1/session-requests/{denied_id}/approve/prepare"),
        &json!({}),
    )
    .error(409, "session_request_denied");
    api.post(
        &write,
        &format!("/v1/session-requests/{denied_id}/deny"),
        &json!({}),
    )
    .error(409, "session_request_denied");

    // Expired: past its deadline it is expired and cannot be approved or denied.
    let (filed, _) = file(api, &agent, &wallet, json!({"expires_in_seconds": 1}));
    assert_eq!(filed.status, 201, "{}", filed.text);
    let expired_id = filed.json["id"].as_str().unwrap().to_string();
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let seen = api.get(&agent, &format!("/v1/session-requests/{expired_id}"));
    assert_eq!(seen.json["status"], "expired", "{}", seen.text);
    let e = api
        .post(
            &write,
            &format!("/v1/session-requests/{expired_id}/approve/prepare"),
            &json!({}),
        )
        .error(410, "session_request_expired")
        .clone();
    assert!(e["hint"].as_str().unwrap().contains("new request"), "{e}");
    api.post(
        &write,
        &format!("/v1/session-requests/{expired_id}/deny"),
        &json!({}),
    )
    .error(410, "session_request_expired");
    let expired = api.get(&read, "/v1/session-requests?status=expired");
    let ids: Vec<&str> = expired.json["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![expired_id.as_str()]);

    // Bad input: each refused with its field.
    let bad_policy = api.post(
        &agent,
        "/v1/session-requests",
        &json!({"wallet": wallet, "session_key": Keypair::new().pubkey().to_string(),
                "policy": {"limits": [{"token": "USDC", "per_tx": "five"}]}, "reason": "x"}),
    );
    bad_policy.error(400, "invalid_policy");
    for (extra, field) in [
        (json!({"reason": ""}), "reason"),
        (json!({"reason": "x".repeat(501)}), "reason"),
        (json!({"expires_in_seconds": 0}), "expires_in_seconds"),
        (json!({"expires_in_seconds": 700000}), "expires_in_seconds"),
        (json!({"wallet": "not-an-address"}), "wallet"),
    ] {
        let (r, _) = file(api, &agent, &wallet, extra);
        let e = r.error(400, "invalid_input");
        assert_eq!(e["details"]["field"], field, "{}", r.text);
    }
    let (r, _) = file(
        api,
        &agent,
        &wallet,
        json!({"wallet": Keypair::new().pubkey().to_string()}),
    );
    r.error(404, "wallet_not_found");
    // A key whose session exists already.
    let again = api.post(
        &agent,
        "/v1/session-requests",
        &json!({"wallet": wallet, "session_key": session_key.pubkey().to_string(),
                "policy": asked_policy(), "reason": "again"}),
    );
    assert_eq!(
        again.error(400, "invalid_input")["details"]["field"],
        "session_key"
    );
    api.get(&read, "/v1/session-requests/sreq_00")
        .error(404, "session_request_not_found");
    api.get(&read, "/v1/session-requests/not-an-id")
        .error(400, "invalid_input");

    // A cap on open requests per key.
    let busy = api.key(&[Scope::Request]);
    for _ in 0..leash_api::handlers::requests::OPEN_REQUESTS_PER_KEY {
        let (r, _) = file(api, &busy, &wallet, json!({}));
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let (r, _) = file(api, &busy, &wallet, json!({}));
    r.error(409, "too_many_pending_requests");

    // The audit log has the filing, the approval's prepare and the denial; it verifies.
    let log = api.get(&api.admin, "/v1/audit/log");
    let entries = log.json["entries"].as_array().unwrap();
    let find = |event: &str, resource: &str| -> Value {
        let entry = entries
            .iter()
            .find(|e| e["event_type"] == event && e["resource"] == resource)
            .unwrap_or_else(|| panic!("no {event} on {resource}: {entries:?}"));
        serde_json::from_str(entry["payload"].as_str().unwrap()).unwrap()
    };
    let created = find("session_request.create", &format!("session_request/{id}"));
    assert_eq!(created["reason"], "pay this week's invoices");
    let approval = find(
        "session_request.approve.prepare",
        &format!("session_request/{id}"),
    );
    assert_eq!(approval["policy_edited"], true, "{approval}");
    assert_eq!(approval["session"], pda.to_string());
    let denial = find(
        "session_request.deny",
        &format!("session_request/{denied_id}"),
    );
    assert_eq!(denial["note"], "use the weekly budget session instead");
    let verified = api.get(&api.admin, "/v1/audit/verify");
    assert_eq!(verified.json["valid"], true, "{}", verified.text);
}

/// A session key has one open request at a time (a second is 409 `session_request_open`, by
/// any API key); approving without edits registers the policy as normalized when filed — what
/// the owner was shown — not the file normalized again later ("expires_in" would then count
/// from the approval).
#[test]
fn one_open_request_per_key_and_the_approval_signs_what_was_shown() {
    let api = Api::start();
    let agent = api.key(&[Scope::Request]);
    let other_agent = api.key(&[Scope::Request]);
    let write = api.key(&[Scope::Write]);
    let owner = funded_owner();
    let wallet = wallet_over_http(&api, &write, &owner);

    let (filed, session_key) = file(&api, &agent, &wallet, json!({}));
    assert_eq!(filed.status, 201, "{}", filed.text);
    let id = filed.json["id"].as_str().unwrap().to_string();
    let shown_until = filed.json["policy"]["valid_until"]
        .as_str()
        .unwrap()
        .to_string();
    let again = json!({
        "wallet": wallet,
        "session_key": session_key.pubkey().to_string(),
        "policy": asked_policy(),
        "reason": "the same key again",
    });
    for key in [&agent, &other_agent] {
        let refused = api.post(key, "/v1/session-requests", &again);
        let error = refused.error(409, "session_request_open");
        assert!(
            error["message"].as_str().unwrap().contains(&id),
            "{}",
            refused.text
        );
    }

    // Later than a second: a re-normalization would move valid_until.
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let prepared = api.post(
        &write,
        &format!("/v1/session-requests/{id}/approve/prepare"),
        &json!({}),
    );
    let sent = api.sign_and_submit(&write, &prepared, &owner);
    assert_eq!(sent.status, 200, "{}", sent.text);
    let approved = api.get(&agent, &format!("/v1/session-requests/{id}"));
    assert_eq!(approved.json["status"], "approved", "{}", approved.text);
    assert_eq!(
        approved.json["granted_policy"]["valid_until"], shown_until,
        "{}",
        approved.text
    );
    assert_eq!(
        approved.json["granted_policy"]["valid_after"],
        approved.json["policy"]["valid_after"]
    );
}
