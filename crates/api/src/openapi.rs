//! The OpenAPI 3.1 document at `/openapi.json`, built from the route table ([`crate::routes::ROUTES`]) (paths, methods, scopes,
//! idempotency, request and answer schemas) and the component schemas below — the one place
//! the request types' shapes are written down for clients. A test checks every request schema
//! against its Rust type (the fields match and unknown fields are refused).

use serde_json::{json, Map, Value};

use crate::route::Route;

fn string(description: &str) -> Value {
    json!({ "type": "string", "description": description })
}

fn object(required: &[&str], properties: Value) -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": required,
        "properties": properties,
    })
}

/// A report: its documented fields; more may be added, so other fields are allowed.
fn report(description: &str, properties: Value) -> Value {
    json!({ "type": "object", "description": description, "properties": properties })
}

/// Request schemas: exactly the fields the Rust request types accept.
pub fn request_schemas() -> Map<String, Value> {
    let policy = json!({ "$ref": "#/components/schemas/Policy" });
    let mut m = Map::new();
    m.insert(
        "PrepareWalletRequest".into(),
        object(
            &["owner"],
            json!({
                "owner": string("the owner's address (base58); signs and pays"),
                "name": string("the wallet's name, default \"default\"; the address derives from owner and name"),
            }),
        ),
    );
    m.insert(
        "PreviewSessionRequest".into(),
        object(
            &["wallet", "session_key", "policy"],
            json!({
                "wallet": string("the wallet's address"),
                "session_key": string("the session's public key; its secret stays with the holder"),
                "policy": policy,
            }),
        ),
    );
    m.insert(
        "PrepareSessionRequest".into(),
        object(
            &["wallet", "session_key", "policy"],
            json!({
                "wallet": string("the wallet's address"),
                "session_key": string("the session's public key"),
                "policy": policy,
                "top_up": string("SOL sent to the session key for fees, default \"0.01\""),
            }),
        ),
    );
    m.insert(
        "UpdateSessionRequest".into(),
        object(
            &["policy"],
            json!({
                "policy": policy,
                "expected_uses": { "type": "integer", "minimum": 0, "description": "the use count the owner saw; refused on chain if it moved (default: read now)" },
            }),
        ),
    );
    m.insert("EmptyRequest".into(), object(&[], json!({})));
    m.insert(
        "DepositRequest".into(),
        object(
            &["amount", "token"],
            json!({
                "amount": string("decimal amount, e.g. \"4.5\""),
                "token": string("SOL, a known symbol (USDC) or a mint address"),
            }),
        ),
    );
    m.insert(
        "WithdrawRequest".into(),
        object(
            &["amount", "token"],
            json!({
                "amount": string("decimal amount"),
                "token": string("SOL, a symbol or a mint"),
                "to": string("recipient (default the owner)"),
            }),
        ),
    );
    m.insert(
        "SweepRequest".into(),
        object(
            &[],
            json!({ "to": string("recipient (default the owner)") }),
        ),
    );
    let instruction = json!({
        "type": "object",
        "description": "{program, accounts: [{pubkey (or \"vault\"), signer, writable}], data (base64)}",
    });
    m.insert(
        "ActionRequest".into(),
        json!({
            "oneOf": [
                object(&["transfer"], json!({ "transfer": object(&["to", "amount", "token"], json!({
                    "to": string("a wallet address or a token account of the mint"),
                    "amount": string("decimal amount"),
                    "token": string("SOL, a symbol or a mint"),
                })) })),
                object(&["execute"], json!({ "execute": instruction })),
                object(&["multicall"], json!({ "multicall": { "type": "array", "minItems": 1, "items": instruction } })),
            ]
        }),
    );
    m.insert(
        "SubmitRequest".into(),
        object(
            &["transaction"],
            json!({
                "transaction": string("base64 of the signed wire transaction"),
                "sign_with_local_signer": { "type": "boolean", "description": "sign with the server's local signer first (leash serve --signer; admin scope)" },
            }),
        ),
    );
    m.insert(
        "CreateKeyRequest".into(),
        object(
            &["name", "scopes"],
            json!({
                "name": string("1–64 printable characters"),
                "scopes": { "type": "array", "minItems": 1, "items": { "type": "string", "enum": ["read", "write", "admin", "request"] } },
            }),
        ),
    );
    m.insert(
        "FileSessionRequest".into(),
        object(
            &["wallet", "session_key", "policy", "reason"],
            json!({
                "wallet": string("the wallet's address"),
                "session_key": string("the agent's session public key; its secret never leaves the agent"),
                "policy": policy,
                "reason": { "type": "string", "minLength": 1, "maxLength": 500, "description": "what the session is for, for the owner" },
                "expires_in_seconds": { "type": "integer", "minimum": 1, "maximum": 604800, "description": "how long the owner has to decide (default 86400)" },
            }),
        ),
    );
    m.insert(
        "AirdropRequest".into(),
        object(
            &["to", "amount"],
            json!({
                "to": string("who receives the SOL (base58)"),
                "amount": string("decimal SOL, more than 0 and at most 100"),
            }),
        ),
    );
    m.insert(
        "ApproveSessionRequest".into(),
        object(
            &[],
            json!({
                "policy": { "$ref": "#/components/schemas/Policy", "description": "the owner's edit: replaces the policy asked for" },
                "top_up": string("SOL sent to the agent's key for fees, default \"0.01\""),
            }),
        ),
    );
    m.insert(
        "DenySessionRequest".into(),
        object(
            &[],
            json!({ "note": { "type": "string", "maxLength": 500, "description": "why, for the agent" } }),
        ),
    );
    m.insert(
        "SignInRequest".into(),
        object(
            &["api_key"],
            json!({ "api_key": string("an API key (lk_…) with the read scope or more; only its hash is looked up") }),
        ),
    );
    m.insert(
        "Policy".into(),
        json!({
            "type": "object",
            "additionalProperties": false,
            "description": "A policy file as JSON (docs/cli.md): the same fields as policy.toml",
            "properties": {
                "label": { "type": "string" },
                "expires_in": { "type": "string", "description": "\"2h\", \"1d\"" },
                "valid_after": { "type": ["string", "integer"] },
                "valid_until": { "type": ["string", "integer"] },
                "expiry_slot": { "type": "integer", "minimum": 0 },
                "max_uses": { "type": "integer", "minimum": 0 },
                "max_calls_per_tx": { "type": "integer", "minimum": 0, "maximum": 255 },
                "allowed_programs": { "type": "array", "items": { "type": "string" } },
                "limits": { "type": "array", "items": { "type": "object", "properties": {
                    "token": { "type": "string" },
                    "per_tx": { "type": "string" },
                    "total": { "type": "string" },
                    "period": { "type": "string" },
                    "per_period": { "type": "string" },
                } } },
            },
        }),
    );
    m
}

/// Answer schemas.
fn response_schemas() -> Map<String, Value> {
    let mut m = Map::new();
    let unsigned = json!({
        "type": "object",
        "properties": {
            "transaction": string("base64 wire transaction, signatures zeroed"),
            "blockhash": { "type": "string" },
            "signers": { "type": "array", "items": { "type": "string" } },
            "summary": { "type": "string", "description": "what it does, and its fee" },
            "fee": {
                "type": "object",
                "description": "its compute budget (a limit from a simulation, the priority fee) and what the signer pays",
                "properties": {
                    "compute_units": { "type": "integer", "description": "used in simulation" },
                    "compute_unit_limit": { "type": "integer" },
                    "priority_fee": { "type": "integer", "description": "micro-lamports per compute unit" },
                    "fee_lamports": { "type": "integer" },
                },
            },
        },
    });
    m.insert(
        "Prepared".into(),
        report(
            "Unsigned transactions to sign in order and submit, what they do, and the report they give once sent",
            json!({
                "summary": { "type": "string" },
                "fee_payer": { "type": "string" },
                "transactions": { "type": "array", "items": unsigned.clone() },
                "report": { "type": "object" },
            }),
        ),
    );
    m.insert(
        "Health".into(),
        report(
            "",
            json!({ "status": { "type": "string" }, "cluster": { "type": "string" }, "cluster_reachable": { "type": "boolean" } }),
        ),
    );
    m.insert("OpenApi".into(), json!({ "type": "object" }));
    m.insert(
        "Info".into(),
        report(
            "",
            json!({ "program_id": { "type": "string" }, "program_id_source": { "type": "string", "enum": ["flag", "environment", "profile", "default"], "description": "where leash serve found the program id (docs/deploy.md)" }, "cluster": { "type": "string" }, "url": { "type": "string" }, "version": { "type": "string" } }),
        ),
    );
    m.insert(
        "WalletReport".into(),
        report(
            "",
            json!({ "wallet": { "type": "string" }, "vault": { "type": "string" }, "owner": { "type": "string" }, "epoch": { "type": "integer" }, "balances": { "type": "array" }, "sessions": { "type": "integer" }, "active_sessions": { "type": "integer" } }),
        ),
    );
    m.insert(
        "OwnerWallets".into(),
        report(
            "",
            json!({ "owner": { "type": "string" }, "wallets": { "type": "array" } }),
        ),
    );
    m.insert(
        "SessionPreview".into(),
        report(
            "",
            json!({ "wallet": { "type": "string" }, "session": { "type": "string" }, "session_key": { "type": "string" }, "policy": { "type": "object" }, "warnings": { "type": "array", "items": { "type": "string" } }, "wallet_exists": { "type": "boolean" }, "rent": { "type": "string" }, "rent_lamports": { "type": "integer" } }),
        ),
    );
    let view = report(
        "A session: status, uses, and policy.limits with used / limit per mint",
        json!({ "session": { "type": "string" }, "session_key": { "type": "string" }, "wallet": { "type": "string" }, "status": { "type": "string" }, "uses": { "type": "integer" }, "max_uses": { "type": ["integer", "null"] }, "nonce": { "type": "integer" }, "policy": { "type": "object" } }),
    );
    m.insert(
        "SessionList".into(),
        report(
            "",
            json!({ "wallet": { "type": "string" }, "sessions": { "type": "array", "items": view.clone() } }),
        ),
    );
    m.insert("SessionView".into(), view);
    m.insert(
        "Simulation".into(),
        report(
            "would_succeed, and if not: code, message, hint, over_by and figures",
            json!({ "would_succeed": { "type": "boolean" } }),
        ),
    );
    m.insert(
        "BuiltExecute".into(),
        report(
            "",
            json!({ "session": { "type": "string" }, "session_key": { "type": "string" }, "wallet": { "type": "string" }, "what": { "type": "string" }, "transaction": unsigned }),
        ),
    );
    let request = report(
        "A session request; status derived: approved when the session for session_key exists on chain (granted_policy is what was registered), denied (note), expired, else pending. Never a secret.",
        json!({
            "id": { "type": "string" },
            "status": { "type": "string", "enum": ["pending", "approved", "denied", "expired"] },
            "wallet": { "type": "string" },
            "session_key": { "type": "string" },
            "session": { "type": "string" },
            "policy": { "type": "object", "description": "the policy asked for, normalized when filed" },
            "policy_file": { "type": "object", "description": "the policy file as filed" },
            "reason": { "type": "string" },
            "created_at": { "type": "string" },
            "expires_at": { "type": "string" },
            "filed_by": { "type": "string" },
            "cluster": { "type": "string" },
            "program_id": { "type": "string", "description": "the Leash program the session lives under" },
            "granted_policy": { "type": "object" },
            "session_status": { "type": "string" },
            "denied_at": { "type": "string" },
            "note": { "type": "string" },
        }),
    );
    m.insert(
        "SessionRequestList".into(),
        report(
            "",
            json!({ "requests": { "type": "array", "items": request.clone() } }),
        ),
    );
    m.insert("SessionRequest".into(), request);
    m.insert(
        "Submitted".into(),
        report(
            "",
            json!({ "signature": { "type": "string" }, "status": { "type": "string" } }),
        ),
    );
    let key = json!({ "id": { "type": "string" }, "name": { "type": "string" }, "prefix": { "type": "string" }, "scopes": { "type": "array", "items": { "type": "string" } }, "created_at": { "type": "integer" }, "revoked_at": { "type": "integer" } });
    m.insert(
        "KeyList".into(),
        report(
            "",
            json!({ "keys": { "type": "array", "items": report("", key.clone()) } }),
        ),
    );
    let mut created = key.as_object().cloned().unwrap_or_default();
    created.insert("key".into(), string("the API key, shown once"));
    m.insert("KeyCreated".into(), report("", Value::Object(created)));
    m.insert(
        "KeyRevoked".into(),
        report(
            "",
            json!({ "id": { "type": "string" }, "revoked": { "type": "boolean" } }),
        ),
    );
    m.insert(
        "AuditExport".into(),
        report(
            "",
            json!({ "audit_key": { "type": "string" }, "entries": { "type": "array" } }),
        ),
    );
    m.insert(
        "Verification".into(),
        report(
            "",
            json!({ "valid": { "type": "boolean" }, "entries": { "type": "integer" }, "head": { "type": "string" }, "first_invalid_seq": { "type": "integer" }, "reason": { "type": "string" } }),
        ),
    );
    m.insert(
        "SessionActivity".into(),
        report(
            "",
            json!({ "session": { "type": "string" }, "events": { "type": "array", "items": report("kind: session_created, session_used (uses, nonce, outflows), session_updated, session_revoked (by), session_closed", json!({
                "kind": { "type": "string" }, "signature": { "type": "string" }, "slot": { "type": "integer" }, "block_time": { "type": ["integer", "null"] },
                "uses": { "type": "integer" }, "nonce": { "type": "integer" }, "by": { "type": "string" },
                "outflows": { "type": "array", "items": report("", json!({ "token": { "type": "string" }, "mint": { "type": "string" }, "amount": { "type": "string" } })) },
            })) } }),
        ),
    );
    m.insert(
        "Airdropped".into(),
        report(
            "",
            json!({ "signature": { "type": "string" }, "to": { "type": "string" }, "amount": { "type": "string" }, "token": { "type": "string" } }),
        ),
    );
    m.insert(
        "DashboardSession".into(),
        report(
            "The signed-in key (never the key itself), the CSRF token for cookie-authenticated changes, and what this server offers",
            json!({
                "key": report("", json!({ "id": { "type": "string" }, "name": { "type": "string" }, "prefix": { "type": "string" }, "scopes": { "type": "array", "items": { "type": "string" } } })),
                "csrf_token": { "type": ["string", "null"] },
                "expires_at": { "type": ["integer", "null"] },
                "program_id": { "type": "string" },
                "cluster": { "type": "string" },
                "cluster_url": { "type": "string" },
                "token_cluster": { "type": "string" },
                "signer": { "type": ["string", "null"] },
                "airdrop": { "type": "boolean" },
                "version": { "type": "string" },
            }),
        ),
    );
    m.insert(
        "SignedOut".into(),
        report("", json!({ "signed_out": { "type": "boolean" } })),
    );
    m.insert(
        "Error".into(),
        json!({
            "type": "object",
            "required": ["error", "request_id"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {
                        "code": { "type": "string", "description": "snake_case; one per program error (spending_limit_exceeded, …)" },
                        "message": { "type": "string" },
                        "hint": { "type": "string" },
                        "details": { "type": "object", "description": "field, program_code, and a limit's figures: bound, token, mint, needed, used, limit, over_by" },
                    },
                },
                "request_id": { "type": "string" },
            },
        }),
    );
    m
}

fn operation(route: &Route) -> Value {
    let mut parameters: Vec<Value> = route
        .path
        .split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
        .collect();
    if route.method == "POST" && route.scope.is_some() {
        parameters.push(json!({
            "name": "Idempotency-Key",
            "in": "header",
            "required": route.idempotency_required,
            "schema": { "type": "string", "minLength": 8, "maxLength": 200 },
        }));
    }
    if route.path == "/v1/audit/log" {
        parameters.push(json!({ "name": "after", "in": "query", "required": false, "schema": { "type": "integer" } }));
        parameters.push(json!({ "name": "limit", "in": "query", "required": false, "schema": { "type": "integer", "minimum": 1, "maximum": 10000 } }));
        parameters.push(json!({ "name": "newest", "in": "query", "required": false, "description": "true: the newest `limit` entries, oldest first (not with `after`)", "schema": { "type": "boolean" } }));
    }
    if route.path == "/v1/session-requests" && route.method == "GET" {
        parameters.push(json!({ "name": "status", "in": "query", "required": false, "schema": { "type": "string", "enum": ["pending", "approved", "denied", "expired"] } }));
    }
    let error = json!({ "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } });
    let mut responses = Map::new();
    responses.insert(
        route.success.to_string(),
        json!({
            "description": route.summary,
            "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{}", route.response) } } },
        }),
    );
    let mut errors: Vec<(&str, &str)> = vec![("400", "invalid input, the field named")];
    if route.operation_id == "dashboard_sign_in" {
        errors.extend([
            ("401", "invalid_api_key"),
            ("403", "scope_missing (the key cannot read)"),
            (
                "429",
                "rate_limited: sign-ins per address and per key (Retry-After)",
            ),
        ]);
    }
    if route.scope.is_some() {
        errors.extend([
            ("401", "missing_api_key / invalid_api_key"),
            ("403", "scope_missing"),
            ("429", "rate_limited (Retry-After)"),
        ]);
    }
    errors.extend([("404", "not found"), ("503", "cluster_unavailable")]);
    if route.method == "POST" {
        errors.extend([
            (
                "409",
                if route.secret_answer {
                    "idempotency_in_progress, or idempotency_secret_shown_once on a replay"
                } else {
                    "idempotency_in_progress"
                },
            ),
            ("413", "payload_too_large"),
            (
                "415",
                "unsupported_media_type (a body without Content-Type: application/json)",
            ),
            (
                "422",
                "a program refusal (one code per error) or idempotency_collision",
            ),
        ]);
    }
    if route.path.starts_with("/v1/session-requests/") && route.method == "POST" {
        errors.extend([
            (
                "409",
                "idempotency_in_progress, session_request_approved or session_request_denied",
            ),
            ("410", "session_request_expired"),
        ]);
    } else if route.path == "/v1/session-requests" && route.method == "POST" {
        errors.push((
            "409",
            "idempotency_in_progress, too_many_pending_requests or session_request_open",
        ));
    }
    for (status, description) in errors {
        let mut e = error.clone();
        if let Some(o) = e.as_object_mut() {
            o.insert("description".into(), Value::String(description.into()));
        }
        responses.insert(status.into(), e);
    }
    let mut op = json!({
        "operationId": route.operation_id,
        "summary": route.summary,
        "parameters": parameters,
        "responses": responses,
        "x-scope": route.scope.map(|s| s.as_str()),
    });
    if let (Some(also), Some(o)) = (route.also, op.as_object_mut()) {
        // Also this scope, limited to what the key filed itself.
        o.insert("x-scope-also".into(), json!(also.as_str()));
    }
    if let Some(o) = op.as_object_mut() {
        if let Some(scope) = route.scope {
            let mut security = vec![
                json!({ "bearer": [scope.as_str()] }),
                json!({ "apiKey": [scope.as_str()] }),
            ];
            if let Some(also) = route.also {
                security.push(json!({ "bearer": [also.as_str()] }));
                security.push(json!({ "apiKey": [also.as_str()] }));
            }
            o.insert("security".into(), Value::Array(security));
        } else {
            o.insert("security".into(), json!([]));
        }
        if let Some(request) = route.request {
            o.insert(
                "requestBody".into(),
                json!({
                    "required": request != "EmptyRequest",
                    "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{request}") } } },
                }),
            );
        }
    }
    op
}

/// The document of `routes` (the route table, [`crate::routes::ROUTES`]).
pub fn document(routes: &[Route]) -> Value {
    let mut paths = Map::new();
    for route in routes.iter().filter(|r| r.openapi) {
        let entry = paths
            .entry(route.path.to_string())
            .or_insert_with(|| json!({}));
        if let Some(o) = entry.as_object_mut() {
            o.insert(route.method.to_ascii_lowercase(), operation(route));
        }
    }
    let mut schemas = request_schemas();
    schemas.extend(response_schemas());
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Leash API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Owners' side of Leash session keys (docs/api.md): preview → prepare (unsigned transaction + summary) → sign anywhere → submit. Scopes: reads and previews `read`, prepares and submits `write`, keys and audit `admin`, filing session requests `request`.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer", "description": "Authorization: Bearer lk_…" },
                "apiKey": { "type": "apiKey", "in": "header", "name": "X-Api-Key" },
                "dashboardCookie": { "type": "apiKey", "in": "cookie", "name": "leash_dashboard", "description": "The dashboard's sign-in (POST /v1/dashboard/sign-in); changes also need the X-CSRF-Token header it answers, else 403 csrf_token_missing / csrf_token_invalid" },
            },
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every route is in the document with its scope, and every schema it names exists.
    #[test]
    fn the_document_names_every_route_and_schema() {
        use crate::routes::ROUTES;
        let doc = document(ROUTES);
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        for route in ROUTES.iter().filter(|r| r.openapi) {
            let op = &doc["paths"][route.path][route.method.to_ascii_lowercase()];
            assert_eq!(op["operationId"], route.operation_id);
            assert_eq!(op["x-scope"], json!(route.scope.map(|s| s.as_str())));
            assert!(schemas.contains_key(route.response), "{}", route.response);
            if let Some(request) = route.request {
                assert!(schemas.contains_key(request), "{request}");
            }
        }
    }

    /// The request schemas say exactly what the Rust types accept: each documented property is
    /// accepted, each required one is required, and anything else is refused.
    #[test]
    fn request_schemas_match_the_request_types() {
        use crate::handlers::{dashboard::SignInRequest, *};
        fn check<T: serde::de::DeserializeOwned + std::fmt::Debug>(name: &str, example: Value) {
            let schemas = request_schemas();
            let schema = &schemas[name];
            assert!(
                crate::body::parse::<T>(example.to_string().as_bytes()).is_ok(),
                "{name}: {example}"
            );
            let props = schema["properties"].as_object().unwrap();
            for key in example.as_object().unwrap().keys() {
                assert!(props.contains_key(key), "{name}: {key} undocumented");
            }
            for required in schema["required"].as_array().unwrap() {
                let mut without = example.clone();
                without
                    .as_object_mut()
                    .unwrap()
                    .remove(required.as_str().unwrap());
                assert!(
                    crate::body::parse::<T>(without.to_string().as_bytes()).is_err(),
                    "{name}: {required} should be required"
                );
            }
            let mut extra = example.clone();
            extra
                .as_object_mut()
                .unwrap()
                .insert("unexpected".into(), json!(1));
            assert!(crate::body::parse::<T>(extra.to_string().as_bytes()).is_err());
        }
        let key = "11111111111111111111111111111111";
        check::<PrepareWalletRequest>("PrepareWalletRequest", json!({"owner": key, "name": "x"}));
        check::<PreviewSessionRequest>(
            "PreviewSessionRequest",
            json!({"wallet": key, "session_key": key, "policy": {"max_uses": 1}}),
        );
        check::<PrepareSessionRequest>(
            "PrepareSessionRequest",
            json!({"wallet": key, "session_key": key, "policy": {}, "top_up": "0.1"}),
        );
        check::<UpdateSessionRequest>(
            "UpdateSessionRequest",
            json!({"policy": {}, "expected_uses": 3}),
        );
        check::<EmptyRequest>("EmptyRequest", json!({}));
        check::<DepositRequest>("DepositRequest", json!({"amount": "1", "token": "SOL"}));
        check::<WithdrawRequest>(
            "WithdrawRequest",
            json!({"amount": "1", "token": "SOL", "to": key}),
        );
        check::<SweepRequest>("SweepRequest", json!({"to": key}));
        check::<SubmitRequest>(
            "SubmitRequest",
            json!({"transaction": "AA==", "sign_with_local_signer": false}),
        );
        check::<FileSessionRequest>(
            "FileSessionRequest",
            json!({"wallet": key, "session_key": key, "policy": {}, "reason": "r", "expires_in_seconds": 60}),
        );
        check::<ApproveSessionRequest>(
            "ApproveSessionRequest",
            json!({"policy": {"max_uses": 1}, "top_up": "0.01"}),
        );
        check::<DenySessionRequest>("DenySessionRequest", json!({"note": "no"}));
        check::<AirdropRequest>("AirdropRequest", json!({"to": key, "amount": "1"}));
        check::<SignInRequest>("SignInRequest", json!({"api_key": "lk_x"}));
        check::<CreateKeyRequest>(
            "CreateKeyRequest",
            json!({"name": "ci", "scopes": ["read"]}),
        );
    }
}
