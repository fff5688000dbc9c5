//! `leash-mcp`: the session holder's operations as MCP tools (docs/agents.md), for AI agents.
//!
//! A face of `leash-client` like the CLI and the HTTP API: each tool parses its arguments
//! ([`tools::parse`]), calls one [`Holder`] operation on a blocking thread, and answers its
//! report as structured content (with an output schema) plus readable text; a failure is a
//! tool error (`isError: true`) carrying the [`ClientError`]'s code, message, hint and figures
//! ([`render`]), so the agent can decide what to do next.
//!
//! Transports, both on the official Rust SDK (rmcp):
//! - stdio ([`serve_stdio`]): `leash mcp`, for desktop agents and IDEs. The local user's
//!   process: every tool is allowed.
//! - streamable HTTP ([`http_service`]): `/mcp` on `leash serve`, stateless (no MCP session;
//!   every POST stands alone, authenticated by the API's key middleware). The API tells each
//!   request's [`Grant`]: acting tools need `write`; a request without a grant is refused.
//!
//! `request_session` and `request_status` are `leash-client`'s agent-requested sessions through
//! the owner's API (`LEASH_API_URL`, `LEASH_API_KEY`): an approved request's token is stored
//! where the holder tools read it.
//!
//! The session token is read on every call (`LEASH_TOKEN`, else the imported file), so a token
//! imported or approved while the server runs is used from the next call on, and a missing
//! token is a `no_session` tool error, not a failed start. The token and its secret never
//! appear in a result, an error or a log: results come from typed reports that hold no secret,
//! and as a last guard [`render`] withholds any answer that would contain either.

pub mod render;
pub mod tools;

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use leash_client::{
    home, requests, transaction::SendSettings, ApiEndpoint, Client, ClientError, Cluster,
    ErrorCode, Holder, ProgramChoice,
};
use leash_sdk::session_token::SessionToken;
use rmcp::{
    model::{
        CallToolRequestParams, CallToolResponse, Implementation, InitializeResult, ListToolsResult,
        PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
    },
    service::RequestContext,
    transport::streamable_http_server::{
        session::never::NeverSessionManager, StreamableHttpServerConfig, StreamableHttpService,
    },
    ErrorData, RoleServer, ServerHandler, ServiceExt,
};

use crate::tools::Call;

/// What an HTTP request's API key allows, as the API found it. The API inserts it into the
/// request's extensions; [`LeashMcp`] reads it back from the HTTP parts rmcp hands each call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grant {
    /// `read`: status, policy, balance, simulate.
    Read,
    /// `write` (or `admin`): also transfer, execute, multicall, revoke.
    Write,
}

/// Who made an HTTP request: the API key's id, for the audit log. Inserted by the API beside
/// the [`Grant`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor(pub String);

/// An acting call that ran (transfer, execute, multicall, revoke, a session request), for the
/// API's audit log. Never a secret: the arguments are addresses, amounts and instructions; the
/// outcome is the signature or the error code.
#[derive(Clone, Debug)]
pub struct Acted {
    pub actor: Option<String>,
    pub tool: String,
    /// The session acted through, when a token was there.
    pub session: Option<String>,
    pub arguments: serde_json::Value,
    /// `{"ok": true, "signature": …}` or `{"ok": false, "code": …}`.
    pub outcome: serde_json::Value,
}

/// What the API does with an [`Acted`] (appends it to its audit log).
pub type AuditHook = Arc<
    dyn Fn(Acted) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> + Send + Sync,
>;

/// Who the server answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Access {
    /// stdio: the local user's own process.
    Local,
    /// HTTP: each request's [`Grant`] decides; none means refused.
    PerRequest,
}

/// What the server tells a client at `initialize`: the safe loop, once.
const INSTRUCTIONS: &str = "Leash: act on a Solana wallet within the bounds of a session the \
     owner granted (spending limits, allowed programs, expiry, max uses), enforced on chain. \
     Safe loop: session_status (is it active, what is left) -> simulate the exact action -> \
     transfer / execute / multicall -> check the returned used / limit. Errors carry code, \
     message, hint and figures (e.g. 4.5 of 8 USDC used): follow the hint, do not retry a \
     refused action unchanged. revoke when the task is done.";

/// The MCP server: the tool catalog, and clients per cluster.
#[derive(Clone)]
pub struct LeashMcp {
    access: Access,
    /// `--url` (stdio) or the API's cluster (HTTP); else the token's own cluster.
    cluster: Option<Cluster>,
    /// The program the person named, if they did (else the default, which tokens override).
    program: ProgramChoice,
    settings: SendSettings,
    tools: Arc<Vec<Tool>>,
    /// One client per cluster URL: its token list is fetched once.
    clients: Arc<Mutex<HashMap<String, Arc<Client>>>>,
    /// HTTP: every acting call that ran goes to the API's audit log.
    audit: Option<AuditHook>,
}

impl LeashMcp {
    /// For `leash mcp` (stdio): every tool allowed; `cluster` overrides the token's.
    pub fn local(cluster: Option<Cluster>) -> LeashMcp {
        Self::new(Access::Local, cluster)
    }

    /// For `/mcp` on `leash serve`: each request needs a [`Grant`] in its HTTP extensions.
    pub fn http(cluster: Option<Cluster>) -> LeashMcp {
        Self::new(Access::PerRequest, cluster)
    }

    fn new(access: Access, cluster: Option<Cluster>) -> LeashMcp {
        let mut catalog = tools::catalog();
        if access == Access::PerRequest {
            // On `leash serve` every agent shares the server's one session token: a request
            // tool would file with the server's key and switch that session for all of them.
            // Agents ask for sessions from their own machine (`leash mcp`, `leash session
            // request`).
            catalog.retain(|tool| !tools::REQUEST_TOOLS.contains(&tool.name.as_ref()));
        }
        LeashMcp {
            access,
            cluster,
            program: ProgramChoice::default_id(),
            settings: SendSettings::default(),
            tools: Arc::new(catalog),
            clients: Arc::default(),
            audit: None,
        }
    }

    /// The Leash program the person named (`--program-id`, `LEASH_PROGRAM_ID`, or the server's
    /// configuration): holders act under their token's program, and an explicit id that
    /// differs from it is refused before anything is sent (docs/deploy.md).
    pub fn with_program(mut self, program: ProgramChoice) -> LeashMcp {
        self.program = program;
        self
    }

    /// Sends as `settings` say (commitment, priority fee).
    pub fn with_settings(mut self, settings: SendSettings) -> LeashMcp {
        self.settings = settings;
        self
    }

    /// Reports every acting call that ran to `hook` (the API's audit log).
    pub fn with_audit(mut self, hook: AuditHook) -> LeashMcp {
        self.audit = Some(hook);
        self
    }

    fn client(&self, cluster: Cluster) -> Arc<Client> {
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        clients
            .entry(cluster.url.clone())
            .or_insert_with(|| {
                Arc::new(Client::with_program(cluster, self.program).with_settings(self.settings))
            })
            .clone()
    }

    /// The request's grant: everything locally; over HTTP what the API found, else nothing.
    fn grant(&self, context: &RequestContext<RoleServer>) -> Option<Grant> {
        match self.access {
            Access::Local => Some(Grant::Write),
            Access::PerRequest => context
                .extensions
                .get::<http::request::Parts>()
                .and_then(|parts| parts.extensions.get::<Grant>())
                .copied(),
        }
    }

    /// Runs a parsed call with the current token, on this thread (a blocking one); the answer
    /// and the session it acted through.
    fn run(&self, call: &Call) -> (render::Answer, Option<String>) {
        if matches!(
            call,
            Call::RequestSession { .. } | Call::RequestStatus { .. }
        ) {
            return (request(call), None);
        }
        let token = match home::session_token() {
            Ok(token) => token,
            Err(error) => return (render::Answer::failed(no_session(error), None), None),
        };
        let session = Some(token.session.to_string());
        let cluster = match &self.cluster {
            Some(cluster) => Ok(cluster.clone()),
            None => Cluster::parse(&token.cluster),
        };
        let secrets = render::Secrets::of(&token);
        let outcome = cluster.and_then(|cluster| {
            let client = self.client(cluster);
            operate(&client, token, call)
        });
        let answer = match outcome {
            Ok(answer) => answer.guarded(&secrets),
            Err(error) => render::Answer::failed(error, Some(&secrets)),
        };
        (answer, session)
    }
}

/// `request_session` / `request_status` through the owner's API (`LEASH_API_URL`,
/// `LEASH_API_KEY`), as `leash session request` does.
fn request(call: &Call) -> render::Answer {
    // Neither the API key nor a current token may show in the answer.
    let mut secrets = home::session_token()
        .map(|t| render::Secrets::of(&t))
        .unwrap_or_default();
    if let Ok(key) = std::env::var("LEASH_API_KEY") {
        secrets.add(key.trim());
    }
    let outcome = ApiEndpoint::from_env().and_then(|api| match call {
        Call::RequestSession {
            wallet,
            policy,
            reason,
            expires_in_seconds,
        } => {
            let wallet = match wallet {
                Some(wallet) => *wallet,
                None => current_wallet()?,
            };
            render::Answer::report(&requests::request_session_for(
                &api,
                &wallet,
                policy,
                reason,
                *expires_in_seconds,
            )?)
        }
        Call::RequestStatus { id } => {
            let mut status = requests::request_status(&api, id)?;
            status.next = next_step(status.status, &status.expires_at);
            render::Answer::report(&status)
        }
        _ => Err(ClientError::internal("not a request call")),
    });
    match outcome {
        Ok(answer) => answer.guarded(&secrets),
        Err(error) => render::Answer::failed(error, Some(&secrets)),
    }
}

/// What an agent does next about a request, in this server's tools.
fn next_step(status: leash_client::RequestStatus, expires_at: &str) -> String {
    use leash_client::RequestStatus::*;
    match status {
        Pending => format!(
            "Pending: the owner has not answered (the request lapses at {expires_at}). Call request_status again in a minute; do not file another request meanwhile."
        ),
        Approved => "Approved: the session token is stored here and every tool uses it from the next call. Call session_status to see the granted policy (it may be narrower than asked), then simulate before transfer, execute or multicall.".to_string(),
        Denied => "Denied: read the owner's note. Call request_session again only if the note invites a different request (for example a smaller policy).".to_string(),
        Expired => "Expired: the owner did not answer in time. Call request_session again if the task still needs a session.".to_string(),
    }
}

/// The wallet of the current token, for a request that names none.
fn current_wallet() -> leash_client::Result<solana_program::pubkey::Pubkey> {
    let missing = || {
        ClientError::input(
            "request_session: no wallet given, and no current session to take it from",
        )
        .with_hint("pass \"wallet\": the owner's wallet address (ask the owner for it)")
    };
    let token = home::session_token().map_err(|_| missing())?;
    Ok(token.wallet)
}

/// A missing or unreadable token, said for an agent: what to do to get one.
fn no_session(error: ClientError) -> ClientError {
    if error.code != ErrorCode::NoSession {
        return error;
    }
    ClientError::new(
        ErrorCode::NoSession,
        "no session token: this agent has no Leash session yet",
    )
    .with_hint(
        "ask the wallet owner for a session token, then set LEASH_TOKEN for this server or run \
         `leash session import <token>`; the server picks it up on the next call",
    )
}

/// One operation through the holder: its report, structured and as text.
fn operate(
    client: &Client,
    token: SessionToken,
    call: &Call,
) -> leash_client::Result<render::Answer> {
    let holder = Holder::new(client, token)?;
    match call {
        Call::Whoami => render::Answer::report(&holder.whoami()?),
        Call::SessionStatus => render::Answer::report(&holder.status()?),
        Call::PolicyShow => render::Answer::report(&holder.policy()?),
        Call::Balance(token) => render::Answer::report(&holder.balance(token.as_ref())?),
        Call::Simulate {
            action,
            include_logs,
        } => render::Answer::simulation(&holder.simulate(action)?, *include_logs),
        Call::Act(action) => render::Answer::report(&holder.act(action)?),
        Call::Revoke => render::Answer::report(&holder.revoke()?),
        // Answered by `request` before a token is read.
        Call::RequestSession { .. } | Call::RequestStatus { .. } => {
            Err(ClientError::internal("a request call reached the holder"))
        }
    }
}

impl ServerHandler for LeashMcp {
    fn get_info(&self) -> ServerConfig {
        InitializeResult::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(
                Implementation::new("leash", env!("CARGO_PKG_VERSION"))
                    .with_title("Leash session keys")
                    .with_description(
                        "Act on a Solana wallet within an owner's on-chain session bounds",
                    ),
            )
            .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        // A key that only reads is offered only what it may call.
        let writes = matches!(self.grant(&context), Some(Grant::Write));
        let offered = self
            .tools
            .iter()
            .filter(|t| writes || !tools::ACTING_TOOLS.contains(&t.name.as_ref()))
            .cloned()
            .collect();
        Ok(ListToolsResult::with_all_items(offered))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.tools.iter().find(|t| t.name == name).cloned()
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let offered = self.tools.iter().any(|t| t.name == request.name);
        let call = match tools::parse(&request.name, request.arguments.as_ref()) {
            Ok(Some(call)) if offered => call,
            // An unknown tool is the client's protocol mistake, not the agent's to read.
            Ok(_) => {
                return Err(ErrorData::invalid_params(
                    format!("no tool named {:?}; tools/list has them", request.name),
                    None,
                ))
            }
            Err(error) => return Ok(render::Answer::failed(error, None).into_result().into()),
        };
        match (self.grant(&context), call.acts()) {
            (Some(Grant::Write), _) | (Some(Grant::Read), false) => {}
            (grant, _) => {
                let error = ClientError::new(
                    ErrorCode::InvalidInput,
                    match grant {
                        Some(_) => format!(
                            "{} needs an API key with the `write` scope; this key reads only",
                            request.name
                        ),
                        None => "this request carries no API key grant".to_string(),
                    },
                )
                .with_hint(
                    "use an API key with the `write` scope (`leash api-key create --scope write`)",
                );
                return Ok(render::Answer::failed(error, None)
                    .with_code("scope_missing")
                    .into_result()
                    .into());
            }
        }
        let server = self.clone();
        let acts = call.acts();
        let (answer, session) = tokio::task::spawn_blocking(move || server.run(&call))
            .await
            .unwrap_or_else(|_| {
                let error = ClientError::internal("the operation stopped unexpectedly");
                (render::Answer::failed(error, None), None)
            });
        if let (Some(audit), true) = (&self.audit, acts) {
            let actor = context
                .extensions
                .get::<http::request::Parts>()
                .and_then(|parts| parts.extensions.get::<Actor>())
                .map(|a| a.0.clone());
            audit(Acted {
                actor,
                tool: request.name.to_string(),
                session,
                arguments: serde_json::Value::Object(request.arguments.unwrap_or_default()),
                outcome: answer.outcome(),
            })
            .await;
        }
        Ok(answer.into_result().into())
    }
}

/// Serves `server` on stdin/stdout until the client closes them.
pub async fn serve_stdio(server: LeashMcp) -> Result<(), String> {
    let running = server
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| format!("the MCP handshake failed: {e}"))?;
    running
        .waiting()
        .await
        .map_err(|e| format!("the MCP server stopped: {e}"))?;
    Ok(())
}

/// The streamable-HTTP service for `/mcp`: stateless (each POST is one JSON-RPC request
/// answered as JSON), requests bodies up to `body_limit` bytes.
///
/// Host checks are off: rmcp's default allows loopback names only, against DNS rebinding,
/// but every request here must carry an API key, which a rebinding page does not have, and
/// `leash serve --listen` may be reached by other names.
pub fn http_service(
    server: LeashMcp,
    body_limit: usize,
) -> StreamableHttpService<LeashMcp, NeverSessionManager> {
    let config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_sse_keep_alive(None)
        .with_max_request_body_bytes(body_limit)
        .disable_allowed_hosts();
    StreamableHttpService::new(
        move || Ok(server.clone()),
        Arc::new(NeverSessionManager::default()),
        config,
    )
}
