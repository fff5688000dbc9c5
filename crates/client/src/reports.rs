//! Reports both owner and holder operations give.

use std::fmt;

use leash_sdk::policy::PolicySummary;
use serde::Serialize;
use solana_program::pubkey::Pubkey;

/// One balance of an account: SOL (no mint) or a token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Holding {
    pub symbol: String,
    pub mint: Option<Pubkey>,
    pub amount: u64,
    pub decimals: u8,
}

impl Holding {
    /// `"SOL"` or the mint address.
    pub fn mint_text(&self) -> String {
        self.mint
            .map(|m| m.to_string())
            .unwrap_or_else(|| "SOL".to_string())
    }
}

/// A registered session: state, status and policy with `used / limit` (the owner's
/// `session show` and the holder's `session status`).
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct SessionView {
    pub session: String,
    /// The label its owner gave it when it was created through this API (not on chain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    pub session_key: String,
    pub wallet: String,
    pub registered: bool,
    /// `active`, `revoked`, `not yet active`, `expired` or `used up`.
    pub status: String,
    pub valid_after: String,
    pub valid_until: String,
    pub expiry_slot: Option<u64>,
    pub uses: u64,
    /// `None`: unlimited.
    pub max_uses: Option<u64>,
    pub nonce: u64,
    pub policy: PolicySummary,
    /// The slot the status was judged at.
    #[serde(skip)]
    pub slot: u64,
}

impl fmt::Display for SessionView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Session:     {}\nRegistered:  yes\nStatus:      {}\nValid:       {} → {}\nSlot bound:  {}\nUses:        {} / {}\nCalls/tx:    {}\nNonce:       {}\n{}",
            self.session,
            self.status,
            self.policy.valid_after,
            self.valid_until,
            match self.expiry_slot {
                None => "none".to_string(),
                Some(bound) => format!("slot {bound} (now {})", self.slot),
            },
            self.uses,
            match self.max_uses {
                None => "unlimited".to_string(),
                Some(n) => n.to_string(),
            },
            self.policy.max_calls_per_tx,
            self.nonce,
            self.policy.limits_and_programs(),
        )
    }
}

/// One token's balance, as holders and owners see it.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Balance {
    pub token: String,
    /// `"SOL"` or the mint address.
    pub mint: String,
    pub balance: String,
    pub base_units: String,
    pub decimals: u8,
}
