//! `leash-client`: every Leash operation a person or an agent can do, once, as a typed function
//! returning a typed report (`Serialize` for machines, `Display` for people) or a typed
//! [`ClientError`] (code, message, hint, figures). The CLI, the HTTP API, the dashboard and the
//! MCP server parse their input, call these, and render what comes back (docs/client.md).
//!
//! - Owner operations are methods of [`Client`] taking the owner's public key. Reads return a
//!   report; writes return a [`Prepared`] operation: sign it here with any
//!   [`solana_signer::Signer`] ([`Client::sign_and_send`]), or take its
//!   [`Client::unsigned_transactions`] to a signer elsewhere and hand the signed transactions to
//!   [`Client::submit`].
//! - Holder operations are methods of [`Holder`], made from a session token; they sign locally
//!   with the session key. [`Holder::simulate`] builds exactly what [`Holder::act`] sends.
//! - Inputs are parsed once, before any work, by [`input`]; files under `LEASH_HOME` are [`home`].

pub mod activity;
mod client;
mod error;
pub mod holder;
pub mod home;
pub mod input;
mod landing;
pub mod live;
pub mod owner;
pub mod profile;
pub mod program;
mod reports;
pub mod requests;
pub mod transaction;
pub mod webhooks;
pub mod wire;

pub use activity::{SessionActivity, SessionEvent};
pub use client::{short, Client, ClusterIdentity, Prepared, Signed, UnsignedTransaction};
pub use error::{
    Bound, ClientError, ErrorCode, Figures, InstructionRefusal, RecipientRefusal, Result,
};
pub use holder::{Action, BuiltExecute, Holder};
pub use input::{Amount, Cluster, PolicyInput, RawInstruction, TokenRef};
pub use owner::WalletRef;
pub use profile::{ProgramChoice, ProgramIdSource};
pub use reports::SessionView;
pub use requests::{
    approve_request, deny_request, list_requests, prepare_approval, request_session,
    request_session_for, request_status, show_request, ApiEndpoint, ApiKey, PreparedApproval,
    RequestApproved, RequestStatus, SessionRequestFiled, SessionRequestList, SessionRequestStatus,
    SessionRequestView,
};

use leash_sdk::session_token::SessionToken;
use solana_keypair::Keypair;

/// The `lsk1_` token of a session whose key is `key`, as [`owner::SessionCreated`] reports it:
/// the key's holder makes it, so the secret need never travel.
pub fn make_session_token(
    key: &Keypair,
    created: &owner::SessionCreated,
    client: &Client,
) -> Result<String> {
    let wallet = created
        .wallet
        .parse()
        .map_err(|_| ClientError::internal("a report's wallet is not an address"))?;
    let policy = serde_json::to_value(&created.policy)
        .map_err(|e| ClientError::internal(format!("cannot encode the policy: {e}")))?;
    let cluster = client.cluster().token_label();
    let token = SessionToken::new(
        client.program_id(),
        key,
        &wallet,
        &cluster,
        &created.label,
        policy,
    );
    Ok(token.encode())
}

#[cfg(test)]
mod tests {
    /// Async faces (the HTTP API) share one client across tasks and threads.
    #[test]
    fn client_is_send_and_sync() {
        fn send_and_sync<T: Send + Sync>() {}
        send_and_sync::<crate::Client>();
        send_and_sync::<crate::ClientError>();
    }
}
