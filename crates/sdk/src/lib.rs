//! The Leash SDK: what every client (CLI, node genesis, tests, later the HTTP API and MCP server)
//! shares. The program's own `state` and `instruction` types are re-exported as the one canonical
//! encoding; this crate adds exact amounts, the session token, policy files, error hints,
//! names of well-known programs and tokens, and the SPL helpers clients need around them.

pub mod amount;
pub mod hints;
pub mod names;
pub mod passkey_file;
pub mod policy;
pub mod session_token;
pub mod spl;
pub mod sweep;

pub use leash_program::{
    accounting, error::LeashError, event::LeashEvent, instruction, passkey, state, token_account,
    DEFAULT_ID as DEFAULT_PROGRAM_ID,
};

/// How clients name a passkey owner: `passkey:` and its compressed public key in hex.
pub fn passkey_label(passkey: &state::Passkey) -> String {
    let hex: String = passkey.key.iter().map(|b| format!("{b:02x}")).collect();
    format!("passkey:{hex}")
}
