//! [`NodeError`]: why a node could not start or stopped serving.

use std::{fmt, net::SocketAddr};

use crate::store::StoreError;

#[derive(Debug)]
pub enum NodeError {
    /// The ledger could not be opened (or the executor thread started).
    Ledger(StoreError),
    /// A port is taken or not ours to bind.
    Listen {
        address: SocketAddr,
        /// `""` for the RPC port, `" (WebSocket PubSub)"` for PubSub's.
        what: &'static str,
        source: std::io::Error,
    },
    /// `rpc_port + 1` overflows, so PubSub has no port.
    NoPubSubPort { rpc_port: u16 },
    /// The async runtime or a socket failed underneath.
    Io(std::io::Error),
}

impl fmt::Display for NodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NodeError::Ledger(e) => write!(f, "{e}"),
            NodeError::Listen {
                address,
                what,
                source,
            } => write!(f, "cannot listen on {address}{what}: {source}"),
            NodeError::NoPubSubPort { rpc_port } => write!(
                f,
                "no port for WebSocket PubSub after RPC port {rpc_port} (it uses rpc-port + 1): choose a lower --rpc-port"
            ),
            NodeError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for NodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            NodeError::Ledger(e) => Some(e),
            NodeError::Listen { source, .. } => Some(source),
            NodeError::Io(e) => Some(e),
            NodeError::NoPubSubPort { .. } => None,
        }
    }
}

impl From<StoreError> for NodeError {
    fn from(e: StoreError) -> Self {
        NodeError::Ledger(e)
    }
}

impl From<std::io::Error> for NodeError {
    fn from(e: std::io::Error) -> Self {
        NodeError::Io(e)
    }
}
