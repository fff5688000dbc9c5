//! What the CLI says when something goes wrong: the library's typed error, or the node's or the
//! benchmark's, as `Error: … / hint: …` for people or `{"code", "message", "hint", …}` with
//! `--json`. Exit code 1 (clap's usage errors exit 2).

use std::fmt;

use leash_client::{ClientError, ErrorCode};
use serde_json::json;

#[derive(Debug)]
pub enum CliError {
    /// An operation of the library failed.
    Client(ClientError),
    /// `leash node` could not start or stopped with an error.
    Node(String),
    /// `leash serve`, `api-key` or `audit` failed (the store, the listener, a broken chain).
    Api(String),
}

pub type CliResult<T> = Result<T, CliError>;

impl From<ClientError> for CliError {
    fn from(error: ClientError) -> Self {
        CliError::Client(error)
    }
}

impl From<leash_node::NodeError> for CliError {
    fn from(error: leash_node::NodeError) -> Self {
        CliError::Node(error.to_string())
    }
}

impl CliError {
    /// `{"code", "message", "hint"}`, plus `program_code` and `figures` when the chain refused.
    pub fn json(&self) -> serde_json::Value {
        match self {
            CliError::Client(error) => serde_json::to_value(error).unwrap_or_else(
                |_| json!({"code": ErrorCode::Internal, "message": error.message, "hint": error.hint}),
            ),
            CliError::Node(message) => json!({"code": "Node", "message": message, "hint": null}),
            CliError::Api(message) => json!({"code": "Api", "message": message, "hint": null}),
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Client(error) => {
                write!(f, "Error: {}", error.message)?;
                if let Some(hint) = &error.hint {
                    write!(f, "\nhint: {hint}")?;
                }
                Ok(())
            }
            CliError::Node(message) | CliError::Api(message) => {
                write!(f, "Error: {message}")
            }
        }
    }
}
