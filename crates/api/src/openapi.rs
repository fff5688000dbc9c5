//! The OpenAPI 3.1 document at `/openapi.json`, built from the route table
//! ([`crate::routes::ROUTES`]): paths, methods, scopes, parameters, and the schemas of every body
//! and answer, which are derived from the Rust types themselves (`schemars`), so the document
//! cannot drift from what the handlers read and write.

use schemars::{generate::SchemaSettings, SchemaGenerator};
use serde_json::{json, Map, Value};

use crate::{
    error::ErrorAnswer,
    route::{schema, Route, SchemaFn},
};

/// Where the document keeps its schemas.
const COMPONENTS: &str = "/components/schemas";

/// The schemas a document names: request bodies and queries as they deserialize, answers as
/// they serialize (the two contracts can differ, e.g. a defaulted field is optional in a
/// request and always present in an answer).
pub struct Schemas {
    requests: SchemaGenerator,
    answers: SchemaGenerator,
}

impl Default for Schemas {
    fn default() -> Self {
        let settings = || {
            let mut settings = SchemaSettings::draft2020_12();
            settings.definitions_path = COMPONENTS.into();
            settings.meta_schema = None;
            settings
        };
        Schemas {
            requests: settings().for_deserialize().into_generator(),
            answers: settings().for_serialize().into_generator(),
        }
    }
}

impl Schemas {
    /// A request body's schema (a `$ref`) and whether a body is required: whether the type
    /// has a required field.
    fn request(&mut self, body: SchemaFn) -> (Value, bool) {
        let reference = body(&mut self.requests).to_value();
        let required = self
            .resolve(&reference, true)
            .and_then(|s| s.get("required"))
            .and_then(Value::as_array)
            .is_some_and(|r| !r.is_empty());
        (reference, required)
    }

    fn answer(&mut self, answer: SchemaFn) -> Value {
        answer(&mut self.answers).to_value()
    }

    /// A query struct's fields as query parameters.
    fn query_parameters(&mut self, query: SchemaFn) -> Vec<Value> {
        let reference = query(&mut self.requests).to_value();
        let Some(schema) = self.resolve(&reference, true).cloned() else {
            return Vec::new();
        };
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
            return Vec::new();
        };
        properties
            .iter()
            .map(|(name, property)| {
                let mut parameter = json!({
                    "name": name,
                    "in": "query",
                    "required": required.contains(&name.as_str()),
                    "schema": property,
                });
                if let Some(description) = property.get("description") {
                    parameter["description"] = description.clone();
                }
                parameter
            })
            .collect()
    }

    /// The schema a `$ref` of this document points to.
    fn resolve(&self, reference: &Value, request: bool) -> Option<&Value> {
        let name = reference
            .get("$ref")?
            .as_str()?
            .strip_prefix(&format!("#{COMPONENTS}/"))?;
        let generator = if request {
            &self.requests
        } else {
            &self.answers
        };
        generator.definitions().get(name)
    }

    /// Every schema named so far. A name both sides use must mean the same schema.
    pub fn components(mut self) -> Result<Map<String, Value>, String> {
        let mut all = self.requests.take_definitions(true);
        for (name, schema) in self.answers.take_definitions(true) {
            match all.get(&name) {
                Some(existing) if *existing != schema => {
                    return Err(format!(
                        "the schema {name} differs between requests and answers: rename one"
                    ))
                }
                _ => {
                    all.insert(name, schema);
                }
            }
        }
        Ok(all)
    }
}

fn operation(route: &Route, schemas: &mut Schemas) -> Value {
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
    if let Some(query) = route.query {
        parameters.extend(schemas.query_parameters(query));
    }
    let error = json!({ "content": { "application/json": { "schema": schemas.answer(schema::<ErrorAnswer>) } } });
    let mut responses = Map::new();
    // The event stream answers Server-Sent Events, each event's `data:` of the route's schema.
    let media = if route.operation_id == "events" {
        "text/event-stream"
    } else {
        "application/json"
    };
    responses.insert(
        route.success.to_string(),
        json!({
            "description": route.summary,
            "content": { media: { "schema": schemas.answer(route.response) } },
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
            let (schema, required) = schemas.request(request);
            o.insert(
                "requestBody".into(),
                json!({
                    // An empty body reads as `{}`: optional when no field is required.
                    "required": required,
                    "content": { "application/json": { "schema": schema } },
                }),
            );
        }
    }
    op
}

/// The document of `routes` (the route table, [`crate::routes::ROUTES`]).
pub fn document(routes: &[Route]) -> Value {
    let mut schemas = Schemas::default();
    let mut paths = Map::new();
    for route in routes.iter().filter(|r| r.openapi) {
        let operation = operation(route, &mut schemas);
        let entry = paths
            .entry(route.path.to_string())
            .or_insert_with(|| json!({}));
        if let Some(o) = entry.as_object_mut() {
            o.insert(route.method.to_ascii_lowercase(), operation);
        }
    }
    // A conflict is a programming error the tests catch; the document still serves.
    let schemas = schemas.components().unwrap_or_else(|e| {
        eprintln!("leash serve: {e}");
        Map::new()
    });
    json!({
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
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
    use crate::routes::ROUTES;

    /// The schema of `T` alone, with its own definitions.
    fn schema_of<T: schemars::JsonSchema>() -> Value {
        schemars::schema_for!(T).to_value()
    }

    fn refs(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref") {
                    out.push(r.clone());
                }
                map.values().for_each(|v| refs(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }

    /// Every route is in the document with its scope; every `$ref` resolves; the requests' and
    /// the answers' schemas agree wherever they share a name.
    #[test]
    fn the_document_names_every_route_and_every_schema_it_refers_to() {
        let mut schemas = Schemas::default();
        for route in ROUTES {
            operation(route, &mut schemas);
        }
        schemas.components().expect("no schema means two things");
        let doc = document(ROUTES);
        let components = doc["components"]["schemas"].as_object().unwrap();
        for route in ROUTES.iter().filter(|r| r.openapi) {
            let op = &doc["paths"][route.path][route.method.to_ascii_lowercase()];
            assert_eq!(op["operationId"], route.operation_id);
            assert_eq!(op["x-scope"], json!(route.scope.map(|s| s.as_str())));
        }
        let mut all = Vec::new();
        refs(&doc, &mut all);
        assert!(all.len() > 50, "{}", all.len());
        for r in all {
            let name = r
                .strip_prefix("#/components/schemas/")
                .unwrap_or_else(|| panic!("{r}"));
            assert!(components.contains_key(name), "{r} is not in the document");
        }
    }

    /// The policy file's schema is the type's: every field, `daily` included.
    #[test]
    fn the_policy_schema_lists_every_field_the_file_accepts() {
        let doc = document(ROUTES);
        let policy = &doc["components"]["schemas"]["PolicyFile"];
        let limit = &doc["components"]["schemas"]["LimitEntry"];
        for field in [
            "expires_in",
            "valid_until",
            "max_uses",
            "allowed_programs",
            "limits",
        ] {
            assert!(
                policy["properties"].get(field).is_some(),
                "{field}: {policy}"
            );
        }
        for field in ["token", "per_tx", "total", "daily", "period", "per_period"] {
            assert!(limit["properties"].get(field).is_some(), "{field}: {limit}");
        }
        assert_eq!(policy["additionalProperties"], json!(false));
        let params = &doc["paths"]["/v1/audit/log"]["get"]["parameters"];
        let names: Vec<&str> = params
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["in"] == "query")
            .filter_map(|p| p["name"].as_str())
            .collect();
        assert_eq!(names, ["after", "limit", "newest"]);
    }

    /// The request schemas say what the Rust types accept: each property of an example is
    /// documented, each required one is required by both, and anything else is refused by both.
    #[test]
    fn request_schemas_match_the_request_types() {
        use crate::handlers::{dashboard::SignInRequest, *};
        fn check<T: serde::de::DeserializeOwned + schemars::JsonSchema + std::fmt::Debug>(
            example: Value,
        ) {
            let schema = schema_of::<T>();
            let name = schema["title"].clone();
            assert!(
                crate::body::parse::<T>(example.to_string().as_bytes()).is_ok(),
                "{name}: {example}"
            );
            let none = Map::new();
            let props = schema["properties"].as_object().unwrap_or(&none);
            for key in example.as_object().unwrap().keys() {
                assert!(props.contains_key(key), "{name}: {key} undocumented");
            }
            for required in schema["required"].as_array().into_iter().flatten() {
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
            assert_eq!(schema["additionalProperties"], json!(false), "{name}");
            let mut extra = example.clone();
            extra
                .as_object_mut()
                .unwrap()
                .insert("unexpected".into(), json!(1));
            assert!(crate::body::parse::<T>(extra.to_string().as_bytes()).is_err());
        }
        let key = "11111111111111111111111111111111";
        check::<PrepareWalletRequest>(json!({"owner": key, "name": "x"}));
        check::<PreviewSessionRequest>(
            json!({"wallet": key, "session_key": key, "policy": {"max_uses": 1}}),
        );
        check::<PrepareSessionRequest>(
            json!({"wallet": key, "session_key": key, "policy": {}, "top_up": "0.1"}),
        );
        check::<UpdateSessionRequest>(json!({"policy": {}, "expected_uses": 3}));
        check::<EmptyRequest>(json!({}));
        check::<DepositRequest>(json!({"amount": "1", "token": "SOL"}));
        check::<WithdrawRequest>(json!({"amount": "1", "token": "SOL", "to": key}));
        check::<SweepRequest>(json!({"to": key}));
        check::<SubmitRequest>(json!({"transaction": "AA==", "sign_with_local_signer": false}));
        check::<FileSessionRequest>(
            json!({"wallet": key, "session_key": key, "policy": {}, "reason": "r", "expires_in_seconds": 60}),
        );
        check::<ApproveSessionRequest>(json!({"policy": {"max_uses": 1}, "top_up": "0.01"}));
        check::<DenySessionRequest>(json!({"note": "no"}));
        check::<AirdropRequest>(json!({"to": key, "amount": "1"}));
        check::<SignInRequest>(json!({"api_key": "lk_x"}));
        check::<CreateKeyRequest>(json!({"name": "ci", "scopes": ["read"]}));
    }
}
