//! The owner's reports: what each operation of [`super`] returns, `Serialize` for machines
//! (with their JSON Schema) and `Display` for people.

use std::fmt;

use leash_sdk::policy::PolicySummary;
use serde::Serialize;
use solana_signature::Signature;

use crate::client::Signed;

/// Reports of one-transaction operations: their `signature` is the transaction's.
macro_rules! signed_by_its_transaction {
    ($($report:ty),* $(,)?) => {$(
        impl Signed for $report {
            fn signed(&mut self, signatures: &[Signature]) {
                self.signature = signatures.first().map(Signature::to_string);
            }
        }
    )*};
}

signed_by_its_transaction!(
    WalletCreated,
    Deposited,
    Withdrew,
    SessionCreated,
    SessionUpdated,
    SessionRevoked,
    AllSessionsRevoked,
    SessionClosed,
);

fn signature_line(signature: &Option<String>) -> String {
    format!(
        "Signature: {}",
        signature.as_deref().unwrap_or("(not sent)")
    )
}

// ---------------------------------------------------------------------------------------------
// Reports.

/// `info`: which program, cluster and version.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Info {
    pub program_id: String,
    /// Where the program id came from: `flag`, `environment`, `profile` or `default`.
    pub program_id_source: crate::ProgramIdSource,
    pub cluster: String,
    pub url: String,
    pub version: String,
}

impl fmt::Display for Info {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Program id: {} ({})\nCluster:    {} ({})\nVersion:    leash {}",
            self.program_id,
            match self.program_id_source {
                crate::ProgramIdSource::Default => "the default",
                crate::ProgramIdSource::Flag => "from --program-id",
                crate::ProgramIdSource::Environment => "from LEASH_PROGRAM_ID",
                crate::ProgramIdSource::Profile => "from the cluster profile",
            },
            self.cluster,
            self.url,
            self.version
        )
    }
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Airdropped {
    pub signature: String,
    pub to: String,
    pub amount: String,
    pub token: String,
}

impl fmt::Display for Airdropped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Airdropped {} {} to {}\nSignature: {}",
            self.amount, self.token, self.to, self.signature
        )
    }
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct WalletCreated {
    pub wallet: String,
    pub vault: String,
    pub owner: String,
    pub name: String,
    /// False when the wallet existed already (nothing was sent).
    pub created: bool,
    pub signature: Option<String>,
}

impl fmt::Display for WalletCreated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = if self.created {
            "created"
        } else {
            "already exists"
        };
        write!(
            f,
            "Wallet {:?} {verb}\nWallet: {}\nVault:  {}  (send SOL and tokens here, or use `leash wallet deposit`)",
            self.name, self.wallet, self.vault
        )
    }
}

/// One balance of a wallet's vault.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct WalletBalance {
    pub token: String,
    /// `"SOL"` or the mint address.
    pub mint: String,
    pub amount: String,
    pub base_units: String,
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct WalletReport {
    pub name: String,
    pub wallet: String,
    pub vault: String,
    pub owner: String,
    pub epoch: u32,
    pub balances: Vec<WalletBalance>,
    pub sessions: usize,
    pub active_sessions: usize,
}

impl fmt::Display for WalletReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Wallet {:?}\n  Address: {}\n  Vault:   {}\n  Owner:   {}\n  Sessions: {} ({} active)\n  Balances:",
            self.name, self.wallet, self.vault, self.owner, self.sessions, self.active_sessions
        )?;
        for balance in &self.balances {
            write!(f, "\n    {} {}", balance.amount, balance.token)?;
        }
        Ok(())
    }
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Deposited {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    pub amount: String,
    pub token: String,
    pub vault: String,
}

impl fmt::Display for Deposited {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Deposited {} {} into the vault {}\n{}",
            self.amount,
            self.token,
            self.vault,
            signature_line(&self.signature)
        )
    }
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Withdrew {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    pub amount: String,
    pub token: String,
    pub to: String,
}

impl fmt::Display for Withdrew {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Withdrew {} {} to {}\n{}",
            self.amount,
            self.token,
            self.to,
            signature_line(&self.signature)
        )
    }
}

/// Which account a sweep took lamports from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SweptKind {
    Wallet,
    Session,
}

/// One account `wallet sweep` took lamports from.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct SweptAccount {
    pub address: String,
    pub kind: SweptKind,
    /// SOL, exact decimal.
    pub amount: String,
    pub lamports: u64,
}

/// What `wallet sweep` did.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct SweepReport {
    pub wallet: String,
    pub recipient: String,
    /// Whether anything lay above the rent-exempt minimum (and so was sent).
    pub swept: bool,
    /// SOL moved in total, exact decimal.
    pub amount: String,
    pub lamports: u64,
    /// The accounts swept, the wallet first; accounts at their minimum are not listed.
    pub accounts: Vec<SweptAccount>,
    /// One per transaction (at most 20 sessions each).
    pub signatures: Vec<String>,
}

impl Signed for SweepReport {
    fn signed(&mut self, signatures: &[Signature]) {
        self.signatures = signatures.iter().map(Signature::to_string).collect();
    }
}

impl fmt::Display for SweepReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.swept {
            return f.write_str("Nothing to sweep: the wallet account and its sessions hold only their rent-exempt minimum");
        }
        let sessions = self
            .accounts
            .iter()
            .filter(|a| a.kind == SweptKind::Session)
            .count();
        let mut sources = Vec::new();
        if self.accounts.iter().any(|a| a.kind == SweptKind::Wallet) {
            sources.push("the wallet".to_string());
        }
        match sessions {
            0 => {}
            1 => sources.push("1 session".into()),
            n => sources.push(format!("{n} sessions")),
        }
        write!(
            f,
            "Swept {} SOL from {} to {}",
            self.amount,
            sources.join(" and "),
            self.recipient
        )?;
        for signature in &self.signatures {
            write!(f, "\nSignature: {signature}")?;
        }
        Ok(())
    }
}

/// A policy checked and normalized, nothing sent: what `session create --preview` shows.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct SessionPreview {
    pub preview: bool,
    pub wallet: String,
    /// Whether the wallet exists yet (a session can be previewed before its wallet).
    pub wallet_exists: bool,
    pub session: String,
    pub session_key: String,
    pub policy: PolicySummary,
    /// The session account's rent-exempt deposit in SOL, paid by the owner, returned on close.
    pub rent: String,
    pub rent_lamports: u64,
    pub warnings: Vec<String>,
    /// The on-chain policy the summary describes.
    #[serde(skip)]
    pub normalized: leash_sdk::state::Policy,
    #[serde(skip)]
    pub label: Option<String>,
}

impl fmt::Display for SessionPreview {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Preview (nothing sent)\nWallet:  {}{}\nSession: {}\nRent:    {} SOL (returned when the session is closed)\n{}",
            self.wallet,
            if self.wallet_exists { "" } else { " (not created yet)" },
            self.session,
            self.rent,
            self.policy
        )?;
        for warning in &self.warnings {
            write!(f, "\nwarning: {warning}")?;
        }
        Ok(())
    }
}

/// A registered session. `token` is there when the session key was made here.
#[derive(Clone, Debug, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct SessionCreated {
    /// The `lsk1_` token: a secret, shown once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    pub session: String,
    pub wallet: String,
    pub policy: PolicySummary,
    pub session_key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    pub warnings: Vec<String>,
    /// The label the token carries.
    #[serde(skip)]
    pub label: String,
}

impl fmt::Display for SessionCreated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Session created: {}\nSession key:     {}\nWallet:          {}\nValid until:     {}",
            self.session, self.session_key, self.wallet, self.policy.valid_until
        )?;
        if let Some(token) = &self.token {
            write!(f, "\n\nGive this token to the bot or agent (it is a secret; anyone holding it can act within the policy):\n{token}")?;
        }
        Ok(())
    }
}

/// One row of `session list`.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct SessionRow {
    pub session: String,
    pub session_key: String,
    pub status: String,
    pub uses: u64,
    /// `None`: unlimited.
    pub max_uses: Option<u64>,
    pub valid_until: String,
}

/// The wallet's sessions, oldest first.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
#[serde(transparent)]
pub struct SessionList(pub Vec<SessionRow>);

impl fmt::Display for SessionList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f
                .write_str("No sessions. Create one with `leash session create --policy FILE`.");
        }
        write!(
            f,
            "{:<46} {:<15} {:>6}  VALID UNTIL",
            "SESSION", "STATUS", "USES"
        )?;
        for row in &self.0 {
            write!(
                f,
                "\n{:<46} {:<15} {:>6}  {}",
                row.session, row.status, row.uses, row.valid_until
            )?;
        }
        Ok(())
    }
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct SessionUpdated {
    pub session: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    pub policy: PolicySummary,
    #[serde(skip)]
    pub warnings: Vec<String>,
}

impl fmt::Display for SessionUpdated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Session {} updated\n{}", self.session, self.policy)
    }
}

/// A revoked session (by its owner, or by itself).
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct SessionRevoked {
    pub session: String,
    pub revoked: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// The session revoked itself.
    #[serde(skip)]
    pub by_holder: bool,
}

impl fmt::Display for SessionRevoked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.by_holder {
            write!(
                f,
                "Session {} revoked; this token can no longer act",
                self.session
            )
        } else {
            write!(f, "Session {} revoked", self.session)
        }
    }
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct AllSessionsRevoked {
    pub wallet: String,
    /// The wallet's new epoch.
    pub epoch: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    #[serde(skip)]
    pub name: String,
}

impl fmt::Display for AllSessionsRevoked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "All sessions of wallet {:?} revoked (epoch {})",
            self.name, self.epoch
        )
    }
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct SessionClosed {
    pub session: String,
    pub closed: bool,
    pub rent_to: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

impl fmt::Display for SessionClosed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Session {} closed; rent returned to {}",
            self.session, self.rent_to
        )
    }
}
