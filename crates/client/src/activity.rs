//! A session's activity: the Leash events its transactions logged (`SessionCreated`,
//! `SessionUsed` with what each use spent, `SessionUpdated`, `SessionRevoked`, `SessionClosed`),
//! newest first, read from the cluster's history of the session account
//! (`getSignaturesForAddress` + `getTransaction`). The chain is the record; nothing is kept here.

use std::fmt;

use leash_sdk::{amount::format_amount, LeashEvent};
use serde::Serialize;
use solana_program::pubkey::Pubkey;
use solana_rpc_client::rpc_client::GetConfirmedSignaturesForAddress2Config;
use solana_rpc_client_api::config::RpcTransactionConfig;
use solana_signature::Signature;
use solana_transaction_status_client_types::{
    EncodedConfirmedTransactionWithStatusMeta, UiTransactionEncoding,
};

use crate::{client::Client, error::Result, ClientError};

/// The most transactions one activity read looks at.
pub const MAX_ACTIVITY: usize = 100;

/// What one use of a session moved out of the vault, in one mint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Outflow {
    /// `SOL`, a known symbol, or the mint address.
    pub token: String,
    /// `SOL` or the mint address.
    pub mint: String,
    /// Decimal, in the mint's units (base units when the mint is unknown here).
    pub amount: String,
}

/// One event of a session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct SessionEvent {
    /// `session_created`, `session_used`, `session_updated`, `session_revoked`, `session_closed`.
    pub kind: String,
    pub signature: String,
    pub slot: u64,
    /// Unix seconds, when the cluster knows it.
    pub block_time: Option<i64>,
    /// `session_used`: the use count and nonce after this use.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uses: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<u64>,
    /// `session_used`: what left the vault.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub outflows: Vec<Outflow>,
    /// `session_revoked`: who revoked it (the owner or the session key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
}

/// A session's events, newest first.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct SessionActivity {
    pub session: String,
    pub events: Vec<SessionEvent>,
}

impl fmt::Display for SessionActivity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Activity of {}", self.session)?;
        if self.events.is_empty() {
            return write!(f, "\n(no events)");
        }
        for e in &self.events {
            write!(f, "\nslot {:>8}  {:<16}", e.slot, e.kind)?;
            if let Some(uses) = e.uses {
                write!(f, " use {uses}")?;
            }
            for o in &e.outflows {
                write!(f, "  -{} {}", o.amount, o.token)?;
            }
            write!(f, "  {}", e.signature)?;
        }
        Ok(())
    }
}

impl Client {
    /// A confirmed transaction with its logs (any version).
    pub(crate) fn transaction_with_logs(
        &self,
        signature: &Signature,
    ) -> Result<EncodedConfirmedTransactionWithStatusMeta> {
        self.rpc()
            .get_transaction_with_config(
                signature,
                RpcTransactionConfig {
                    encoding: Some(UiTransactionEncoding::Base64),
                    commitment: None,
                    max_supported_transaction_version: Some(0),
                },
            )
            .map_err(|e| self.rpc_error(e))
    }

    /// What one use moved in one mint, named and in the mint's units where known.
    pub(crate) fn outflow(&self, mint: &Pubkey, amount: u64) -> Outflow {
        match self.describe_mint(mint) {
            Some((symbol, decimals)) => Outflow {
                mint: if symbol == "SOL" {
                    "SOL".into()
                } else {
                    mint.to_string()
                },
                token: symbol,
                amount: format_amount(amount, decimals),
            },
            None => Outflow {
                token: mint.to_string(),
                mint: mint.to_string(),
                amount: amount.to_string(),
            },
        }
    }

    /// The events of `session` in its last `limit` transactions (at most [`MAX_ACTIVITY`]),
    /// newest first.
    pub fn session_activity(&self, session: &Pubkey, limit: usize) -> Result<SessionActivity> {
        let config = GetConfirmedSignaturesForAddress2Config {
            limit: Some(limit.clamp(1, MAX_ACTIVITY)),
            ..Default::default()
        };
        let signatures = self
            .rpc()
            .get_signatures_for_address_with_config(session, config)
            .map_err(|e| self.rpc_error(e))?;
        let mut events = Vec::new();
        for entry in signatures {
            if entry.err.is_some() {
                continue;
            }
            let signature: Signature = entry.signature.parse().map_err(|_| {
                ClientError::new(
                    crate::ErrorCode::Rpc,
                    "the cluster answered an invalid signature",
                )
            })?;
            let tx = self.transaction_with_logs(&signature)?;
            let logs: Option<Vec<String>> = tx
                .transaction
                .meta
                .clone()
                .and_then(|meta| Option::<Vec<String>>::from(meta.log_messages));
            // Only what the program itself logged: a called program can log any bytes.
            let logs = logs.unwrap_or_default();
            for event in crate::live::program_events(&logs, self.program_id()) {
                if let Some(event) = self.session_event(session, event, &entry.signature, &tx) {
                    events.push(event);
                }
            }
        }
        Ok(SessionActivity {
            session: session.to_string(),
            events,
        })
    }

    /// `event` if it concerns `session`.
    fn session_event(
        &self,
        session: &Pubkey,
        event: LeashEvent,
        signature: &str,
        tx: &solana_transaction_status_client_types::EncodedConfirmedTransactionWithStatusMeta,
    ) -> Option<SessionEvent> {
        let mine = |s: &leash_program::platform::Pubkey| s.to_bytes() == session.to_bytes();
        let mut out = SessionEvent {
            kind: String::new(),
            signature: signature.to_string(),
            slot: tx.slot,
            block_time: tx.block_time,
            uses: None,
            nonce: None,
            outflows: vec![],
            by: None,
        };
        match event {
            LeashEvent::SessionCreated { session: s, .. } if mine(&s) => {
                out.kind = "session_created".into();
            }
            LeashEvent::SessionUsed {
                session: s,
                uses,
                nonce,
                outflows,
            } if mine(&s) => {
                out.kind = "session_used".into();
                out.uses = Some(uses);
                out.nonce = Some(nonce);
                out.outflows = outflows
                    .iter()
                    .map(|(mint, amount)| {
                        self.outflow(&Pubkey::new_from_array(mint.to_bytes()), *amount)
                    })
                    .collect();
            }
            LeashEvent::SessionUpdated { session: s } if mine(&s) => {
                out.kind = "session_updated".into();
            }
            LeashEvent::SessionRevoked { session: s, by } if mine(&s) => {
                out.kind = "session_revoked".into();
                out.by = Some(Pubkey::new_from_array(by.to_bytes()).to_string());
            }
            LeashEvent::SessionClosed { session: s } if mine(&s) => {
                out.kind = "session_closed".into();
            }
            _ => return None,
        }
        Some(out)
    }
}
