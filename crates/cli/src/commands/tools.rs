//! `leash tools list`: the MCP server's tools (leash-mcp's catalog, the one definition) as an
//! OpenAI function-calling schema, for agents without MCP; MCP clients use `leash mcp`.

use clap::Subcommand;
use serde_json::{json, Value};

use crate::{error::CliResult, render::print_json};

#[derive(Subcommand)]
pub enum ToolsCommand {
    /// OpenAI function-calling schema of the holder's tools (the same as `leash mcp` serves)
    List,
}

pub fn exec(command: ToolsCommand) -> CliResult<()> {
    match command {
        ToolsCommand::List => print_json(&tools()),
    }
}

/// Each MCP tool as an OpenAI function: `leash_<name>`, its description, its input schema.
fn tools() -> Value {
    leash_mcp::tools::catalog()
        .iter()
        .map(|tool| {
            json!({
                "type": "function",
                "function": {
                    "name": format!("leash_{}", tool.name),
                    "description": tool.description,
                    "parameters": tool.input_schema.as_ref(),
                },
            })
        })
        .collect()
}
