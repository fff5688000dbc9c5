//! Live events from the cluster (docs/api.md, "Events"): the Leash program's transactions since
//! a cursor, read as events that name their wallet and session — `session.created`,
//! `session.used` (with outflows), `session.limit_near`, `session.revoked`, `session.expired`,
//! `session.closed` — plus the API's own `request.*` events, which this module only names.
//!
//! Read by polling `getSignaturesForAddress` of the program, which every cluster answers the
//! same way (the local node and Agave alike), and `getTransaction` of each new signature. A
//! `Program data:` line counts only while the Leash program itself is the innermost program
//! running (followed through `invoke [n]` / `success` / `failed`): a program a session calls
//! can log any bytes it likes, and a forged `SessionUsed` must not reach a webhook.

use std::fmt;

use base64::Engine;
use leash_sdk::{
    amount::format_amount,
    state::{Session, UNLIMITED},
    LeashEvent,
};
use serde::{Deserialize, Serialize};
use solana_program::pubkey::Pubkey;
use solana_rpc_client::rpc_client::GetConfirmedSignaturesForAddress2Config;
use solana_signature::Signature;
use solana_transaction_status_client_types::EncodedConfirmedTransactionWithStatusMeta;

use crate::{client::Client, error::Result, ClientError, ErrorCode};

/// The kinds of event, named as the API's stream and webhooks name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
pub enum EventType {
    #[serde(rename = "session.created")]
    SessionCreated,
    #[serde(rename = "session.used")]
    SessionUsed,
    #[serde(rename = "session.limit_near")]
    SessionLimitNear,
    #[serde(rename = "session.revoked")]
    SessionRevoked,
    #[serde(rename = "session.expired")]
    SessionExpired,
    #[serde(rename = "session.closed")]
    SessionClosed,
    #[serde(rename = "request.filed")]
    RequestFiled,
    #[serde(rename = "request.approved")]
    RequestApproved,
    #[serde(rename = "request.denied")]
    RequestDenied,
}

impl EventType {
    pub const ALL: [EventType; 9] = [
        EventType::SessionCreated,
        EventType::SessionUsed,
        EventType::SessionLimitNear,
        EventType::SessionRevoked,
        EventType::SessionExpired,
        EventType::SessionClosed,
        EventType::RequestFiled,
        EventType::RequestApproved,
        EventType::RequestDenied,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            EventType::SessionCreated => "session.created",
            EventType::SessionUsed => "session.used",
            EventType::SessionLimitNear => "session.limit_near",
            EventType::SessionRevoked => "session.revoked",
            EventType::SessionExpired => "session.expired",
            EventType::SessionClosed => "session.closed",
            EventType::RequestFiled => "request.filed",
            EventType::RequestApproved => "request.approved",
            EventType::RequestDenied => "request.denied",
        }
    }

    pub fn parse(name: &str) -> Option<EventType> {
        Self::ALL.into_iter().find(|t| t.name() == name.trim())
    }

    /// A comma-separated list of names; the error names the unknown one and lists the known.
    pub fn parse_list(names: &str) -> std::result::Result<Vec<EventType>, String> {
        names
            .split(',')
            .filter(|n| !n.trim().is_empty())
            .map(|n| {
                EventType::parse(n).ok_or_else(|| {
                    format!(
                        "unknown event type `{}`; known: {}",
                        n.trim(),
                        EventType::ALL.map(EventType::name).join(", ")
                    )
                })
            })
            .collect()
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One event as the cluster told it, before the API numbers it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChainEvent {
    pub event_type: EventType,
    /// Says what makes it this event and no other: the same event read by two API instances
    /// has the same key, so it is stored and delivered once.
    pub dedupe: String,
    pub wallet: Pubkey,
    pub session: Option<Pubkey>,
    pub signature: Option<String>,
    pub slot: u64,
    /// The event's own fields (outflows, who revoked, the bound that is near…).
    pub data: serde_json::Value,
}

/// The Leash events in a transaction's logs that `program` itself logged, in order.
pub fn program_events(logs: &[String], program: &Pubkey) -> Vec<LeashEvent> {
    let program = program.to_string();
    let mut running: Vec<&str> = Vec::new();
    let mut events = Vec::new();
    for line in logs {
        if let Some(rest) = line.strip_prefix("Program ") {
            let mut words = rest.split(' ');
            let id = words.next().unwrap_or_default();
            match words.next() {
                Some("invoke") => {
                    running.push(id);
                    continue;
                }
                Some("success") | Some("failed:") if id != "log:" && id != "data:" => {
                    running.pop();
                    continue;
                }
                _ => {}
            }
        }
        let Some(data) = line.strip_prefix("Program data: ") else {
            continue;
        };
        if running.last() != Some(&program.as_str()) {
            continue;
        }
        // One field per sol_log_data call; Leash logs each event as one field.
        let mut fields = data.split(' ');
        let (Some(field), None) = (fields.next(), fields.next()) else {
            continue;
        };
        if let Some(event) = base64::prelude::BASE64_STANDARD
            .decode(field)
            .ok()
            .and_then(|bytes| LeashEvent::decode(&bytes))
        {
            events.push(event);
        }
    }
    events
}

fn key(k: &leash_program::platform::Pubkey) -> Pubkey {
    Pubkey::new_from_array(k.to_bytes())
}

/// The most signatures one poll reads.
const POLL_LIMIT: usize = 200;

/// The program's transactions after `cursor`, oldest first, and the new cursor (the newest).
pub struct NewTransactions {
    pub transactions: Vec<(String, EncodedConfirmedTransactionWithStatusMeta)>,
    pub cursor: Option<String>,
}

impl Client {
    /// The newest signature of the program, to start a feed from now.
    pub fn program_cursor(&self) -> Result<Option<String>> {
        let config = GetConfirmedSignaturesForAddress2Config {
            limit: Some(1),
            ..Default::default()
        };
        let newest = self
            .rpc()
            .get_signatures_for_address_with_config(self.program_id(), config)
            .map_err(|e| self.rpc_error(e))?;
        Ok(newest.into_iter().next().map(|s| s.signature))
    }

    /// The program's successful transactions after `cursor` (at most [`POLL_LIMIT`]), oldest
    /// first.
    pub fn program_transactions_since(&self, cursor: Option<&str>) -> Result<NewTransactions> {
        let until = cursor
            .map(|c| c.parse::<Signature>())
            .transpose()
            .map_err(|_| {
                ClientError::new(
                    ErrorCode::InvalidInput,
                    "the feed cursor is not a signature",
                )
            })?;
        let config = GetConfirmedSignaturesForAddress2Config {
            until,
            limit: Some(POLL_LIMIT),
            ..Default::default()
        };
        let mut signatures = self
            .rpc()
            .get_signatures_for_address_with_config(self.program_id(), config)
            .map_err(|e| self.rpc_error(e))?;
        let newest = signatures.first().map(|s| s.signature.clone());
        signatures.reverse();
        let mut transactions = Vec::new();
        for entry in signatures {
            if entry.err.is_some() {
                continue;
            }
            let signature: Signature = entry.signature.parse().map_err(|_| {
                ClientError::new(ErrorCode::Rpc, "the cluster answered an invalid signature")
            })?;
            let tx = self.transaction_with_logs(&signature)?;
            transactions.push((entry.signature, tx));
        }
        Ok(NewTransactions {
            transactions,
            cursor: newest.or_else(|| cursor.map(str::to_string)),
        })
    }

    /// The events of one transaction of the program. `wallet_of` finds a session's wallet when
    /// the event does not carry it (read from the session account, or from what the caller
    /// learnt before: a closed session's account is gone).
    pub fn transaction_events(
        &self,
        signature: &str,
        tx: &EncodedConfirmedTransactionWithStatusMeta,
        wallet_of: &mut dyn FnMut(&Pubkey) -> Option<Pubkey>,
    ) -> Vec<ChainEvent> {
        let logs: Vec<String> = tx
            .transaction
            .meta
            .clone()
            .and_then(|meta| Option::<Vec<String>>::from(meta.log_messages))
            .unwrap_or_default();
        let mut out = Vec::new();
        for (index, event) in program_events(&logs, self.program_id())
            .into_iter()
            .enumerate()
        {
            let dedupe = |kind: &str| format!("{signature}:{index}:{kind}");
            let made = |event_type, wallet: Pubkey, session: Option<Pubkey>, data| ChainEvent {
                event_type,
                dedupe: dedupe(EventType::name(event_type)),
                wallet,
                session,
                signature: Some(signature.to_string()),
                slot: tx.slot,
                data,
            };
            match event {
                LeashEvent::SessionCreated {
                    wallet,
                    session,
                    session_key,
                } => out.push(made(
                    EventType::SessionCreated,
                    key(&wallet),
                    Some(key(&session)),
                    serde_json::json!({ "session_key": key(&session_key).to_string() }),
                )),
                LeashEvent::SessionUsed {
                    session,
                    uses,
                    nonce,
                    outflows,
                } => {
                    let session = key(&session);
                    let Some(wallet) = wallet_of(&session) else {
                        continue;
                    };
                    let outflows: Vec<serde_json::Value> = outflows
                        .iter()
                        .map(|(mint, amount)| self.outflow_json(&key(mint), *amount))
                        .collect();
                    out.push(made(
                        EventType::SessionUsed,
                        wallet,
                        Some(session),
                        serde_json::json!({ "uses": uses, "nonce": nonce, "outflows": outflows }),
                    ));
                }
                LeashEvent::SessionRevoked { session, by } => {
                    let session = key(&session);
                    let Some(wallet) = wallet_of(&session) else {
                        continue;
                    };
                    out.push(made(
                        EventType::SessionRevoked,
                        wallet,
                        Some(session),
                        serde_json::json!({ "by": key(&by).to_string(), "all": false }),
                    ));
                }
                LeashEvent::AllSessionsRevoked { wallet, epoch } => out.push(made(
                    EventType::SessionRevoked,
                    key(&wallet),
                    None,
                    serde_json::json!({ "all": true, "epoch": epoch }),
                )),
                LeashEvent::SessionClosed { session } => {
                    let session = key(&session);
                    let Some(wallet) = wallet_of(&session) else {
                        continue;
                    };
                    out.push(made(
                        EventType::SessionClosed,
                        wallet,
                        Some(session),
                        serde_json::json!({}),
                    ));
                }
                LeashEvent::WalletCreated { .. } | LeashEvent::SessionUpdated { .. } => {}
            }
        }
        out
    }

    /// An outflow as events show it: the activity's outflow, with its base units.
    fn outflow_json(&self, mint: &Pubkey, amount: u64) -> serde_json::Value {
        let mut value = serde_json::to_value(self.outflow(mint, amount)).unwrap_or_default();
        value["base_units"] = amount.to_string().into();
        value
    }

    /// The wallet of a session that still exists, read from its account.
    pub fn session_wallet(&self, session: &Pubkey) -> Option<Pubkey> {
        self.leash_session(session).ok().flatten().map(|s| s.wallet)
    }

    /// `session.limit_near` events for `session` as it stands now: one per bound at or above
    /// [`NEAR_PERCENT`] of its limit — a limit's total, its period (keyed by window, so each
    /// window warns once) and the session's uses.
    pub fn limit_near_events(&self, session: &Pubkey) -> Vec<ChainEvent> {
        let Some(stored) = self.leash_session(session).ok().flatten() else {
            return Vec::new();
        };
        let now = self.now();
        let near = |used: u64, limit: u64| {
            limit != UNLIMITED
                && limit > 0
                && u128::from(used) * 100 >= u128::from(limit) * u128::from(NEAR_PERCENT)
        };
        let percent = |used: u64, limit: u64| {
            u64::try_from(u128::from(used) * 100 / u128::from(limit.max(1))).unwrap_or(u64::MAX)
        };
        let mut out = Vec::new();
        let mut push = |dedupe: String, data: serde_json::Value| {
            out.push(ChainEvent {
                event_type: EventType::SessionLimitNear,
                dedupe,
                wallet: stored.wallet,
                session: Some(*session),
                signature: None,
                slot: 0,
                data,
            })
        };
        for (limit, spent) in stored.policy.limits.iter().zip(&stored.spent) {
            let (symbol, decimals) = self
                .describe_mint(&limit.mint)
                .unwrap_or_else(|| (limit.mint.to_string(), 0));
            let show = |v: u64| format_amount(v, decimals);
            if near(spent.total, limit.total) {
                push(
                    format!("near:{session}:{}:total", limit.mint),
                    serde_json::json!({
                        "bound": "total", "token": symbol, "mint": limit.mint.to_string(),
                        "used": show(spent.total), "limit": show(limit.total),
                        "percent": percent(spent.total, limit.total),
                    }),
                );
            }
            if limit.period_secs > 0 {
                let (window, in_period) = leash_sdk::accounting::in_window(
                    spent,
                    limit.period_secs,
                    now,
                    stored.created_at,
                );
                if near(in_period, limit.per_period) {
                    push(
                        format!("near:{session}:{}:period:{window}", limit.mint),
                        serde_json::json!({
                            "bound": "period", "token": symbol, "mint": limit.mint.to_string(),
                            "used": show(in_period), "limit": show(limit.per_period),
                            "percent": percent(in_period, limit.per_period), "window": window,
                        }),
                    );
                }
            }
        }
        if near(stored.uses, stored.policy.max_uses) {
            push(
                format!("near:{session}:uses"),
                serde_json::json!({
                    "bound": "uses", "used": stored.uses.to_string(),
                    "limit": stored.policy.max_uses.to_string(),
                    "percent": percent(stored.uses, stored.policy.max_uses),
                }),
            );
        }
        out
    }

    /// `session.expired` for each of `sessions` (session, wallet) whose time or slot bound
    /// has passed by the cluster's clock; sessions already closed are skipped.
    pub fn expired_events(&self, sessions: &[(Pubkey, Pubkey)]) -> Result<Vec<ChainEvent>> {
        let mut out = Vec::new();
        if sessions.is_empty() {
            return Ok(out);
        }
        let now = self.now();
        let slot = self.rpc().get_slot().map_err(|e| self.rpc_error(e))?;
        for chunk in sessions.chunks(100) {
            let keys: Vec<Pubkey> = chunk.iter().map(|(s, _)| *s).collect();
            let accounts = self
                .rpc()
                .get_multiple_accounts(&keys)
                .map_err(|e| self.rpc_error(e))?;
            for ((session, wallet), account) in chunk.iter().zip(accounts) {
                let Some(stored) = account
                    .filter(|a| a.owner == *self.program_id())
                    .and_then(|a| Session::decode(&a.data))
                else {
                    continue;
                };
                let p = &stored.policy;
                let by_time = now >= p.valid_until;
                let by_slot = p.expiry_slot != 0 && slot >= p.expiry_slot;
                if by_time || by_slot {
                    out.push(ChainEvent {
                        event_type: EventType::SessionExpired,
                        dedupe: format!("expired:{session}"),
                        wallet: *wallet,
                        session: Some(*session),
                        signature: None,
                        slot,
                        data: serde_json::json!({
                            "by": if by_time { "time" } else { "slot" },
                            "valid_until": p.valid_until,
                            "expiry_slot": p.expiry_slot,
                        }),
                    });
                }
            }
        }
        Ok(out)
    }
}

/// A bound counts as near from this share of its limit, in percent.
pub const NEAR_PERCENT: u64 = 80;

#[cfg(test)]
mod tests {
    use super::*;
    use base64::prelude::BASE64_STANDARD;

    fn data_line(event: &LeashEvent) -> String {
        format!(
            "Program data: {}",
            BASE64_STANDARD.encode(borsh::to_vec(event).unwrap())
        )
    }

    #[test]
    fn only_lines_the_program_itself_logged_are_events() {
        let program = Pubkey::new_unique();
        let other = Pubkey::new_unique();
        let forged = LeashEvent::SessionUsed {
            session: leash_program::platform::Pubkey::new_from_array([7; 32]),
            uses: 1,
            nonce: 1,
            outflows: vec![],
        };
        let real = LeashEvent::SessionClosed {
            session: leash_program::platform::Pubkey::new_from_array([8; 32]),
        };
        let logs = vec![
            format!("Program {program} invoke [1]"),
            format!("Program {other} invoke [2]"),
            data_line(&forged),
            format!("Program {other} success"),
            data_line(&real),
            format!("Program {program} success"),
            data_line(&forged),
        ];
        assert_eq!(program_events(&logs, &program), vec![real]);
        // A failed inner program pops too.
        let logs = vec![
            format!("Program {program} invoke [1]"),
            format!("Program {other} invoke [2]"),
            format!("Program {other} failed: custom program error: 0x1"),
            data_line(&forged),
            format!("Program {program} success"),
        ];
        assert_eq!(program_events(&logs, &program).len(), 1);
    }

    #[test]
    fn event_type_names_round_trip_and_unknown_ones_are_named() {
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.name()), Some(t));
            assert_eq!(serde_json::to_value(t).unwrap(), t.name());
        }
        let err = EventType::parse_list("session.used,session.nope").unwrap_err();
        assert!(
            err.contains("session.nope") && err.contains("request.denied"),
            "{err}"
        );
        assert_eq!(
            EventType::parse_list("session.used, request.filed").unwrap(),
            vec![EventType::SessionUsed, EventType::RequestFiled]
        );
    }
}
