//! Events, logged borsh-encoded with `sol_log_data` (`Program data: …`); the first byte is the
//! event kind (the enum variant index).

use crate::list::Vec;
use borsh::{BorshDeserialize, BorshSerialize};

use crate::{platform::Pubkey, state::Authority};

#[derive(BorshSerialize, BorshDeserialize, Clone, Debug, PartialEq, Eq)]
pub enum LeashEvent {
    WalletCreated {
        wallet: Pubkey,
        owner: Authority,
    },
    SessionCreated {
        wallet: Pubkey,
        session: Pubkey,
        session_key: Pubkey,
    },
    SessionUsed {
        session: Pubkey,
        uses: u64,
        nonce: u64,
        outflows: Vec<(Pubkey, u64)>,
    },
    SessionRevoked {
        session: Pubkey,
        by: Pubkey,
    },
    AllSessionsRevoked {
        wallet: Pubkey,
        epoch: u32,
    },
    SessionUpdated {
        session: Pubkey,
    },
    SessionClosed {
        session: Pubkey,
    },
}

impl LeashEvent {
    /// Logs the event.
    pub fn emit(&self) {
        let mut bytes = crate::list::Vec::new();
        if self.serialize(&mut bytes).is_ok() {
            crate::log::sol_log_data(&[&bytes]);
        }
    }

    /// Decodes one `Program data:` field; `None` if it is not a Leash event.
    pub fn decode(bytes: &[u8]) -> Option<LeashEvent> {
        LeashEvent::try_from_slice(bytes).ok()
    }
}
