//! One module per command group: its clap arguments and an `exec` that parses them into the
//! library's types (once, here), calls `leash-client`, and renders the report.

pub mod airdrop;
pub mod api_key;
pub mod audit;
pub mod balance;
pub mod config;
pub mod execute;
pub mod info;
pub mod mcp;
pub mod node;
pub mod passkey;
pub mod policy;
pub mod program;
pub mod requests;
pub mod revoke;
pub mod serve;
pub mod session;
pub mod sign;
pub mod simulate;
pub mod tools;
pub mod transfer;
pub mod up;
pub mod wallet;
pub mod webhook;
pub mod whoami;
