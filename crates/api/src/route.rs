//! One row of the route table ([`crate::routes::ROUTES`]): what the auth layer enforces, what
//! the OpenAPI document says, and the handler that serves it.

use std::sync::Arc;

use axum::routing::MethodRouter;
use schemars::{JsonSchema, Schema, SchemaGenerator};

use crate::{auth::keys::Scope, state::AppState};

/// How a row names a schema: the type's, generated where the document is built.
pub type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

/// `T`'s schema, as a `$ref` into the document's components.
pub fn schema<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

/// One route: what the auth layer enforces and the OpenAPI document says.
#[derive(Debug)]
pub struct Route {
    pub method: &'static str,
    /// axum's form (`{session}`), which is also OpenAPI's.
    pub path: &'static str,
    /// `None`: no key needed.
    pub scope: Option<Scope>,
    pub operation_id: &'static str,
    pub summary: &'static str,
    /// The body's type, if any.
    pub request: Option<SchemaFn>,
    /// The query string's type, if any.
    pub query: Option<SchemaFn>,
    /// The 2xx answer's type.
    pub response: SchemaFn,
    pub success: u16,
    pub idempotency_required: bool,
    /// A key with this scope passes too, and the handler shows it only what it filed itself
    /// (`request` keys reading their own session requests).
    pub also: Option<Scope>,
    /// In `/openapi.json`. `/mcp` is not: it speaks MCP (JSON-RPC over streamable HTTP), whose
    /// own specification describes it, not a REST body of ours.
    pub openapi: bool,
    /// Its answer carries a secret shown once (a new API key): never kept for idempotent
    /// replay; a replay answers 409 `idempotency_secret_shown_once`.
    pub secret_answer: bool,
    /// What serves it; the router is built from these ([`crate::routes::router`]). `None` only
    /// for `/mcp`, whose service needs the state and is mounted by [`crate::app`].
    pub handler: Option<fn() -> MethodRouter<Arc<AppState>>>,
}

pub const fn route(
    method: &'static str,
    path: &'static str,
    scope: Option<Scope>,
    operation_id: &'static str,
    summary: &'static str,
    request: Option<SchemaFn>,
    response: SchemaFn,
) -> Route {
    Route {
        method,
        path,
        scope,
        operation_id,
        summary,
        request,
        query: None,
        response,
        success: 200,
        idempotency_required: false,
        also: None,
        openapi: true,
        secret_answer: false,
        handler: None,
    }
}

impl Route {
    /// This row, reading its query string as `query`.
    pub const fn queried_by(self, query: SchemaFn) -> Route {
        Route {
            query: Some(query),
            ..self
        }
    }

    /// This row, served by `handler`.
    pub const fn serves(self, handler: fn() -> MethodRouter<Arc<AppState>>) -> Route {
        Route {
            handler: Some(handler),
            ..self
        }
    }
}
