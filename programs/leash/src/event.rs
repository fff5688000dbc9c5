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

/// The stack buffer [`LeashEvent::emit`] encodes into: the largest fixed-size event
/// (`SessionCreated`, 97 bytes) with room to spare.
const STACK_EVENT_LEN: usize = 128;
/// The variant index of [`LeashEvent::SessionUsed`] (its first byte).
const SESSION_USED_KIND: u8 = 2;
/// `SessionUsed`'s fixed part: kind, session, uses, nonce, the outflows' count.
const SESSION_USED_HEAD: usize = 1 + 32 + 8 + 8 + 4;
/// One outflow: mint, amount.
const OUTFLOW_LEN: usize = 32 + 8;
/// Outflows a stack-encoded `SessionUsed` holds: one per limit (an outflow without a limit is
/// refused before the event).
const STACK_OUTFLOWS: usize = crate::state::MAX_SPEND_LIMITS;
/// Outflows the smaller stack buffer holds: SOL and one token, what most `Execute`s move (the
/// buffer is zeroed first, a store per 8 bytes: the large one costs ~40 CU, this one ~17).
const SMALL_STACK_OUTFLOWS: usize = 2;

impl LeashEvent {
    /// Logs `SessionUsed` — every `Execute` emits it — encoded on the stack, byte for byte the
    /// borsh encoding [`LeashEvent::emit`] would log (tested), without a heap list and borsh's
    /// writer (about 500 CU on SBF). More outflows than limits cannot happen; they would go the
    /// general way.
    pub fn emit_session_used(session: &Pubkey, uses: u64, nonce: u64, outflows: &[(Pubkey, u64)]) {
        if outflows.len() <= SMALL_STACK_OUTFLOWS {
            emit_session_used_in::<{ SESSION_USED_HEAD + OUTFLOW_LEN * SMALL_STACK_OUTFLOWS }>(
                session, uses, nonce, outflows,
            )
        } else {
            emit_session_used_in::<{ SESSION_USED_HEAD + OUTFLOW_LEN * STACK_OUTFLOWS }>(
                session, uses, nonce, outflows,
            )
        }
    }

    /// Logs the event: borsh into a stack buffer (every event but a `SessionUsed` with many
    /// outflows fits), else into a heap list.
    pub fn emit(&self) {
        let mut buffer = [0u8; STACK_EVENT_LEN];
        let left = {
            let mut writer: &mut [u8] = &mut buffer;
            self.serialize(&mut writer).ok().map(|()| writer.len())
        };
        if let Some(len) = left.and_then(|left| STACK_EVENT_LEN.checked_sub(left)) {
            crate::log::sol_log_data(&[buffer.get(..len).unwrap_or_default()]);
            return;
        }
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

/// [`LeashEvent::emit_session_used`] through a zeroed stack buffer of `N` bytes; the general
/// way if the outflows do not fit.
fn emit_session_used_in<const N: usize>(
    session: &Pubkey,
    uses: u64,
    nonce: u64,
    outflows: &[(Pubkey, u64)],
) {
    let mut bytes = [0u8; N];
    let Some(len) = encode_session_used(&mut bytes, session, uses, nonce, outflows) else {
        let mut list = Vec::with_capacity(outflows.len());
        list.extend_from_slice(outflows);
        LeashEvent::SessionUsed {
            session: *session,
            uses,
            nonce,
            outflows: list,
        }
        .emit();
        return;
    };
    crate::log::sol_log_data(&[bytes.get(..len).unwrap_or_default()]);
}

/// Writes `SessionUsed`'s borsh encoding into `dst`; its length, or `None` if it does not fit.
fn encode_session_used(
    dst: &mut [u8],
    session: &Pubkey,
    uses: u64,
    nonce: u64,
    outflows: &[(Pubkey, u64)],
) -> Option<usize> {
    let count = u32::try_from(outflows.len()).ok()?;
    let len = OUTFLOW_LEN
        .checked_mul(outflows.len())?
        .checked_add(SESSION_USED_HEAD)?;
    let out = dst.get_mut(..len)?;
    let (head, rest) = out.split_at_mut(SESSION_USED_HEAD);
    head[0] = SESSION_USED_KIND;
    head[1..33].copy_from_slice(session.as_ref());
    head[33..41].copy_from_slice(&uses.to_le_bytes());
    head[41..49].copy_from_slice(&nonce.to_le_bytes());
    head[49..53].copy_from_slice(&count.to_le_bytes());
    for ((mint, amount), entry) in outflows.iter().zip(rest.chunks_exact_mut(OUTFLOW_LEN)) {
        entry[..32].copy_from_slice(mint.as_ref());
        entry[32..].copy_from_slice(&amount.to_le_bytes());
    }
    Some(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_used_on_the_stack_is_its_borsh_encoding() {
        let session = Pubkey::new_from_array([3; 32]);
        for n in 0..=STACK_OUTFLOWS {
            let outflows: Vec<(Pubkey, u64)> = (0..n)
                .map(|i| (Pubkey::new_from_array([i as u8; 32]), u64::MAX - i as u64))
                .collect();
            let event = LeashEvent::SessionUsed {
                session,
                uses: 7,
                nonce: u64::MAX,
                outflows: outflows.clone(),
            };
            let mut bytes = [0u8; SESSION_USED_HEAD + OUTFLOW_LEN * STACK_OUTFLOWS];
            let len = encode_session_used(&mut bytes, &session, 7, u64::MAX, &outflows).unwrap();
            assert_eq!(
                &bytes[..len],
                borsh::to_vec(&event).unwrap().as_slice(),
                "{n} outflows"
            );
            assert_eq!(LeashEvent::decode(&bytes[..len]), Some(event));
        }
        // One more than the stack holds: not encoded there.
        let many: Vec<(Pubkey, u64)> = (0..=STACK_OUTFLOWS).map(|_| (session, 1)).collect();
        let mut bytes = [0u8; SESSION_USED_HEAD + OUTFLOW_LEN * STACK_OUTFLOWS];
        assert_eq!(encode_session_used(&mut bytes, &session, 0, 0, &many), None);
    }

    #[test]
    fn the_small_buffer_holds_exactly_the_outflows_it_is_chosen_for() {
        let session = Pubkey::new_from_array([3; 32]);
        let outflows: Vec<(Pubkey, u64)> =
            (0..=SMALL_STACK_OUTFLOWS).map(|_| (session, 1)).collect();
        let mut small = [0u8; SESSION_USED_HEAD + OUTFLOW_LEN * SMALL_STACK_OUTFLOWS];
        let fits = &outflows[..SMALL_STACK_OUTFLOWS];
        let len = encode_session_used(&mut small, &session, 1, 2, fits).unwrap();
        assert_eq!(len, small.len());
        assert_eq!(
            encode_session_used(&mut small, &session, 1, 2, &outflows),
            None
        );
    }
}
