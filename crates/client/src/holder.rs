//! The holder's operations: a bot or agent acting through a session token. Every transaction is
//! signed here with the session key; the secret never leaves this process.
//!
//! [`Holder::act`] and [`Holder::simulate`] build the same transaction ([`Holder::instructions`],
//! then the client's one message builder); one sends it, the other stops before sending.

use std::fmt;

use leash_sdk::{
    amount::format_amount,
    instruction as ix,
    policy::{self, LimitSummary, PolicySummary},
    session_token::SessionToken,
    spl,
    state::{self, Session, Wallet, NATIVE_SOL_MINT},
    LeashError,
};
use serde::Serialize;
use solana_program::{
    instruction::{AccountMeta, Instruction},
    pubkey::Pubkey,
};
use solana_signer::Signer;

use crate::{
    client::Client,
    error::{program_error, ClientError, ErrorCode, Figures, Result},
    input::{AccountRef, Amount, RawInstruction, TokenRef},
    owner::SessionRevoked,
    reports::SessionView,
};

/// What a holder asks the session to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Send SOL or a token from the vault to `to`: a wallet address (its associated token
    /// account is created if needed, paid by the session key) or a token account of the mint.
    Transfer {
        to: Pubkey,
        amount: Amount,
        token: TokenRef,
    },
    /// One raw instruction, the vault signing.
    Execute(RawInstruction),
    /// Several raw instructions, atomically.
    Multicall(Vec<RawInstruction>),
}

/// A session holder on a cluster: the token, its key and the addresses it names.
pub struct Holder<'a> {
    client: &'a Client,
    /// Parsed once: its key signs, its program is authoritative (docs/deploy.md).
    token: SessionToken,
    vault: Pubkey,
}

impl fmt::Debug for Holder<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The key is a secret: only its public half.
        f.debug_struct("Holder")
            .field("session_key", &self.token.session_key())
            .field("session", &self.token.session)
            .field("wallet", &self.token.wallet)
            .finish()
    }
}

// ---------------------------------------------------------------------------------------------
// Reports.

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Whoami {
    pub session_key: String,
    pub session: String,
    pub wallet: String,
    pub vault: String,
    /// The Leash program the session lives under (the token's).
    pub program_id: String,
    pub cluster: String,
    pub url: String,
    pub label: String,
    pub status: String,
    /// The session key's SOL, which pays its fees.
    pub fee_balance: String,
    /// Said when the key cannot pay a few fees.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl fmt::Display for Whoami {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Session key: {}\nSession:     {}\nWallet:      {}\nVault:       {}\nProgram:     {}\nCluster:     {} ({})\nLabel:       {}\nStatus:      {}\nFee balance: {} SOL",
            self.session_key,
            self.session,
            self.wallet,
            self.vault,
            self.program_id,
            self.cluster,
            self.url,
            if self.label.is_empty() { "-" } else { &self.label },
            self.status,
            self.fee_balance,
        )?;
        for warning in &self.warnings {
            write!(f, "\nwarning: {warning}")?;
        }
        Ok(())
    }
}

/// `session status`: the session's state, or that it is not registered (never created, or
/// closed).
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum SessionStatusReport {
    Registered(Box<SessionView>),
    NotRegistered {
        session: String,
        registered: bool,
        status: String,
    },
}

impl fmt::Display for SessionStatusReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionStatusReport::Registered(view) => view.fmt(f),
            SessionStatusReport::NotRegistered { session, .. } => write!(
                f,
                "Session:    {session}\nRegistered: no (never created, or closed)"
            ),
        }
    }
}

/// One balance of the vault.
pub use crate::reports::Balance;

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Balances {
    pub vault: String,
    pub balances: Vec<Balance>,
}

impl fmt::Display for Balances {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Vault {}", self.vault)?;
        for balance in &self.balances {
            write!(f, "\n{} {}", balance.balance, balance.token)?;
        }
        Ok(())
    }
}

/// What a transfer, execute or multicall did.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Acted {
    pub signature: String,
    /// The session's uses after this one.
    pub uses: u64,
    /// The limits as used / limit after this one.
    pub limits: Vec<LimitSummary>,
    /// `Sent 4.5 USDC to …` or `Executed`.
    #[serde(skip)]
    pub what: String,
}

impl fmt::Display for Acted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\nSignature: {}", self.what, self.signature)
    }
}

/// How far over a bound an action is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct OverBy {
    pub amount: String,
    pub token: String,
}

/// A dry run's verdict: what the real operation would do, and if it would be refused, why, by
/// which bound and by how much.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum Simulation {
    Passes {
        would_succeed: bool,
        units_consumed: Option<u64>,
        /// What sending it costs: compute limit, priority fee, fee in lamports.
        #[serde(skip_serializing_if = "Option::is_none")]
        fee: Option<crate::transaction::FeeEstimate>,
        /// The program's log lines (left out when there are none, and by MCP unless asked).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        logs: Vec<String>,
    },
    Refused {
        would_succeed: bool,
        code: ErrorCode,
        program_code: Option<u32>,
        message: String,
        hint: Option<String>,
        over_by: Option<OverBy>,
        #[serde(skip_serializing_if = "Option::is_none")]
        figures: Option<Box<Figures>>,
        /// A refused recipient, with the listed ones.
        #[serde(skip_serializing_if = "Option::is_none")]
        recipient: Option<Box<crate::error::RecipientRefusal>>,
        /// A refused instruction, with the allowed ones.
        #[serde(skip_serializing_if = "Option::is_none")]
        instruction: Option<Box<crate::error::InstructionRefusal>>,
        /// The program's log lines (left out when there are none, and by MCP unless asked).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        logs: Vec<String>,
    },
}

impl Simulation {
    /// The error the real operation would fail with; `None` if it would pass.
    pub fn refusal(&self) -> Option<ErrorCode> {
        match self {
            Simulation::Passes { .. } => None,
            Simulation::Refused { code, .. } => Some(*code),
        }
    }
}

impl fmt::Display for Simulation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Simulation::Passes { fee, .. } => {
                f.write_str("Would succeed: every bound of the session allows it.")?;
                if let Some(fee) = fee {
                    write!(f, "\nSending it: {fee}")?;
                }
                Ok(())
            }
            Simulation::Refused {
                message,
                over_by,
                hint,
                ..
            } => {
                write!(f, "Would fail: {message}")?;
                if let Some(over) = over_by {
                    write!(f, "\nOver by {} {}", over.amount, over.token)?;
                }
                if let Some(hint) = hint {
                    write!(f, "\nhint: {hint}")?;
                }
                Ok(())
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Operations.

impl<'a> Holder<'a> {
    /// A holder of `token` on `client`'s cluster, under the program the token names. A program
    /// id the person named explicitly (`--program-id`, `LEASH_PROGRAM_ID`) that differs from
    /// the token's is refused before anything is sent: one of the two is a mistake, and acting
    /// under the wrong one would only fail later, less clearly.
    pub fn new(client: &'a Client, token: SessionToken) -> Result<Holder<'a>> {
        let program_id = token.program;
        let chosen = client.program();
        if chosen.is_explicit() && chosen.id != program_id {
            return Err(ClientError::new(
                ErrorCode::ProgramMismatch,
                format!(
                    "the session token is for the Leash program {program_id}, but {} names {}",
                    chosen.source.describe(),
                    chosen.id
                ),
            )
            .with_hint(format!(
                "drop {} (a holder uses the token's program), or import a token made for {}",
                chosen.source.describe(),
                chosen.id
            )));
        }
        let (vault, _) = state::vault_address(&token.wallet, &program_id);
        Ok(Holder {
            client,
            token,
            vault,
        })
    }

    pub fn session(&self) -> Pubkey {
        self.token.session
    }

    pub fn session_key(&self) -> Pubkey {
        self.token.session_key()
    }

    pub fn wallet(&self) -> Pubkey {
        self.token.wallet
    }

    pub fn vault(&self) -> Pubkey {
        self.vault
    }

    /// The Leash program the session lives under.
    pub fn program_id(&self) -> Pubkey {
        self.token.program
    }

    /// The session and wallet accounts; `SessionNotRegistered` (as the program would refuse)
    /// when the session does not exist.
    fn state(&self) -> Result<(Session, Wallet)> {
        let session = self
            .client
            .rpc()
            .get_account(&self.token.session)
            .ok()
            .filter(|a| a.owner == self.token.program)
            .and_then(|a| Session::decode(&a.data))
            .ok_or_else(|| program_error(LeashError::SessionNotRegistered, &[], &|_| None))?;
        let wallet = self
            .client
            .rpc()
            .get_account(&self.token.wallet)
            .ok()
            .filter(|a| a.owner == self.token.program)
            .and_then(|a| Wallet::decode(&a.data))
            .ok_or_else(|| {
                ClientError::new(
                    ErrorCode::NoWallet,
                    format!(
                        "the token's wallet {} does not exist on {}",
                        self.token.wallet,
                        self.client.cluster_label()
                    ),
                )
            })?;
        Ok((session, wallet))
    }

    /// Who the holder is, and the session's status.
    pub fn whoami(&self) -> Result<Whoami> {
        let status = match self.state() {
            Ok((session, wallet)) => session
                .status(&wallet, self.client.now(), self.client.slot()?)
                .as_str(),
            Err(_) => "not registered",
        };
        let fee_balance = self
            .client
            .rpc()
            .get_balance(&self.token.session_key())
            .map_err(|e| self.client.rpc_error(e))?;
        let cluster = self.client.cluster();
        Ok(Whoami {
            session_key: self.token.session_key().to_string(),
            session: self.token.session.to_string(),
            wallet: self.token.wallet.to_string(),
            vault: self.vault.to_string(),
            program_id: self.token.program.to_string(),
            cluster: cluster.name.clone(),
            url: cluster.url.clone(),
            label: self.token.label.clone(),
            status: status.to_string(),
            fee_balance: format_amount(fee_balance, 9),
            warnings: self
                .client
                .fee_balance_warning(fee_balance)?
                .into_iter()
                .collect(),
        })
    }

    /// Is the session registered and active; validity, slot bound, uses, nonce, policy.
    pub fn status(&self) -> Result<SessionStatusReport> {
        match self.state() {
            Ok((session, wallet)) => Ok(SessionStatusReport::Registered(Box::new(
                self.client
                    .session_view(&self.token.session, &session, &wallet)?,
            ))),
            Err(e) if e.program_error() == Some(LeashError::SessionNotRegistered) => {
                Ok(SessionStatusReport::NotRegistered {
                    session: self.token.session.to_string(),
                    registered: false,
                    status: "not registered".into(),
                })
            }
            Err(e) => Err(e),
        }
    }

    /// The session's policy with `used / limit` per token.
    pub fn policy(&self) -> Result<PolicySummary> {
        let (session, _) = self.state()?;
        Ok(policy::summarize(
            &session.policy,
            Some(self.client.spent_at(&session)),
            self.client,
        ))
    }

    /// The vault's balances: all of them, or one token's (0 when the vault has none).
    pub fn balance(&self, token: Option<&TokenRef>) -> Result<Balances> {
        let mut holdings = self.client.holdings(&self.vault)?;
        if let Some(token) = token {
            let token = self.client.token(token)?;
            let mint = (token.mint != NATIVE_SOL_MINT).then_some(token.mint);
            holdings.retain(|h| h.mint == mint);
            if holdings.is_empty() {
                holdings.push(crate::reports::Holding {
                    symbol: token.symbol.clone(),
                    mint,
                    amount: 0,
                    decimals: token.decimals,
                });
            }
        }
        Ok(Balances {
            vault: self.vault.to_string(),
            balances: holdings
                .iter()
                .map(|h| Balance {
                    token: h.symbol.clone(),
                    mint: h.mint_text(),
                    balance: format_amount(h.amount, h.decimals),
                    base_units: h.amount.to_string(),
                    decimals: h.decimals,
                })
                .collect(),
        })
    }

    /// The instructions `action` sends, and what it does in words.
    pub fn instructions(&self, action: &Action) -> Result<(Vec<Instruction>, String)> {
        self.acting().instructions(action)
    }

    fn acting(&self) -> Acting<'_> {
        Acting {
            client: self.client,
            program_id: self.token.program,
            session_key: self.token.session_key(),
            wallet: self.token.wallet,
            vault: self.vault,
        }
    }

    /// Does `action` through the session, signed by the session key, and reports the
    /// session's use after it.
    pub fn act(&self, action: &Action) -> Result<Acted> {
        let (instructions, what) = self.instructions(action)?;
        let signature = self
            .client
            .send(&instructions, &[self.token.keypair() as &dyn Signer])?;
        let (session, _) = self.state()?;
        let summary = policy::summarize(
            &session.policy,
            Some(self.client.spent_at(&session)),
            self.client,
        );
        Ok(Acted {
            signature: signature.to_string(),
            uses: session.uses,
            limits: summary.limits,
            what,
        })
    }

    /// Would `action` pass, and if not which bound stops it and by how much: the transaction
    /// [`Holder::act`] would send, simulated. Malformed input is an error, as for `act`; a
    /// refusal by the chain is the report.
    pub fn simulate(&self, action: &Action) -> Result<Simulation> {
        let (instructions, _) = self.instructions(action)?;
        let outcome = self
            .client
            .simulate(&instructions, &[self.token.keypair() as &dyn Signer])?;
        Ok(self.client.simulation(outcome))
    }

    /// The session revokes itself (when the job is done).
    pub fn revoke(&self) -> Result<SessionRevoked> {
        let revoke = ix::revoke_session(
            &self.token.program,
            &self.token.session_key(),
            &self.token.wallet,
            &self.token.session,
        );
        let signature = self
            .client
            .send(&[revoke], &[self.token.keypair() as &dyn Signer])?;
        Ok(SessionRevoked {
            session: self.token.session.to_string(),
            revoked: true,
            signature: Some(signature.to_string()),
            by_holder: true,
        })
    }
}

/// Who acts for a session, without its secret: what builds a holder's instructions, here with
/// the key ([`Holder`]) or for a signer elsewhere ([`Client::build_execute`]).
struct Acting<'a> {
    client: &'a Client,
    program_id: Pubkey,
    session_key: Pubkey,
    wallet: Pubkey,
    vault: Pubkey,
}

impl Acting<'_> {
    fn instructions(&self, action: &Action) -> Result<(Vec<Instruction>, String)> {
        match action {
            Action::Transfer { to, amount, token } => self.transfer_instructions(to, amount, token),
            Action::Execute(raw) => Ok((
                vec![self.execute_instruction(std::slice::from_ref(raw))],
                "Executed".to_string(),
            )),
            Action::Multicall(raw) => {
                Ok((vec![self.execute_instruction(raw)], "Executed".to_string()))
            }
        }
    }

    /// An `Execute` moving `amount` of `token` from the vault to `to`, preceded — for tokens
    /// sent to a wallet address — by an idempotent creation of the recipient's token account,
    /// paid by the session key (never by the vault).
    fn transfer_instructions(
        &self,
        to: &Pubkey,
        amount: &Amount,
        token: &TokenRef,
    ) -> Result<(Vec<Instruction>, String)> {
        let token = self.client.token(token)?;
        let base = amount.base_units(token.decimals)?;
        if base == 0 {
            return Err(ClientError::input("--amount must be more than 0"));
        }
        let what = format!(
            "Sent {} {} to {to}",
            format_amount(base, token.decimals),
            token.symbol
        );
        let key = self.session_key;
        if token.mint == NATIVE_SOL_MINT {
            let transfer = solana_system_interface::instruction::transfer(&self.vault, to, base);
            return Ok((
                vec![ix::execute(
                    &self.program_id,
                    &key,
                    &self.wallet,
                    None,
                    &[transfer],
                )],
                what,
            ));
        }
        let program = self.client.token_program(&token.mint)?;
        let from = spl::associated_token_address(&self.vault, &token.mint, &program);
        // A token account of this mint may be given directly; otherwise `to` is a wallet.
        let direct = self
            .client
            .rpc()
            .get_account(to)
            .ok()
            .and_then(|a| leash_sdk::token_account::parse(&a.owner, &a.data))
            .is_some_and(|view| view.mint == token.mint);
        let mut instructions = Vec::new();
        let destination = if direct {
            *to
        } else {
            instructions.push(spl::create_associated_token_account_idempotent(
                &key,
                to,
                &token.mint,
                &program,
            ));
            spl::associated_token_address(to, &token.mint, &program)
        };
        let transfer = spl::transfer_checked(
            &program,
            &from,
            &token.mint,
            &destination,
            &self.vault,
            base,
            token.decimals,
        );
        instructions.push(ix::execute(
            &self.program_id,
            &key,
            &self.wallet,
            None,
            &[transfer],
        ));
        Ok((instructions, what))
    }

    fn execute_instruction(&self, raw: &[RawInstruction]) -> Instruction {
        let inner: Vec<Instruction> = raw
            .iter()
            .map(|r| Instruction {
                program_id: r.program,
                accounts: r
                    .accounts
                    .iter()
                    .map(|a| AccountMeta {
                        pubkey: match a.account {
                            AccountRef::Vault => self.vault,
                            AccountRef::Address(address) => address,
                        },
                        is_signer: a.is_signer,
                        is_writable: a.is_writable,
                    })
                    .collect(),
                data: r.data.clone(),
            })
            .collect();
        ix::execute(
            &self.program_id,
            &self.session_key,
            &self.wallet,
            None,
            &inner,
        )
    }
}

impl Client {
    /// A dry run's outcome as its report: passes, or the refusal with code, figures and hint.
    fn simulation(&self, outcome: crate::client::SimulatedOutcome) -> Simulation {
        let Some(err) = outcome.error else {
            return Simulation::Passes {
                would_succeed: true,
                units_consumed: outcome.units_consumed,
                fee: outcome.fee,
                logs: outcome.logs,
            };
        };
        let error = self.transaction_error(&err, &outcome.logs);
        let over_by = error.figures.as_ref().map(|f| OverBy {
            amount: f.over_by.clone(),
            token: f.token.clone(),
        });
        Simulation::Refused {
            would_succeed: false,
            code: error.code,
            program_code: error.program_code,
            message: error.message,
            hint: error.hint,
            over_by,
            figures: error.figures,
            recipient: error.recipient,
            instruction: error.instruction,
            logs: outcome.logs,
        }
    }

    /// The session at `session` acting through `action`, for a holder who signs elsewhere:
    /// the unsigned transaction (the session key pays and signs) and what it does. The secret
    /// never reaches this process.
    pub fn build_execute(&self, session: &Pubkey, action: &Action) -> Result<BuiltExecute> {
        let acting = self.acting_for(session)?;
        let (instructions, what) = acting.instructions(action)?;
        let transaction = self.unsigned_transaction(&instructions, &acting.session_key, &what)?;
        Ok(BuiltExecute {
            session: session.to_string(),
            session_key: acting.session_key.to_string(),
            wallet: acting.wallet.to_string(),
            what,
            transaction,
        })
    }

    /// Would `action` by the session at `session` pass: [`Client::build_execute`]'s
    /// transaction simulated without signatures (`sigVerify` off).
    pub fn simulate_execute(&self, session: &Pubkey, action: &Action) -> Result<Simulation> {
        let acting = self.acting_for(session)?;
        let (instructions, _) = acting.instructions(action)?;
        let outcome = self.simulate_unsigned(&instructions, &acting.session_key)?;
        Ok(self.simulation(outcome))
    }

    fn acting_for(&self, session: &Pubkey) -> Result<Acting<'_>> {
        let (wallet, state) = self.session_at(session)?;
        Ok(Acting {
            client: self,
            program_id: *self.program_id(),
            session_key: state.session_key,
            wallet: wallet.address,
            vault: wallet.vault,
        })
    }
}

/// An unsigned `Execute` for the session key to sign elsewhere.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct BuiltExecute {
    pub session: String,
    pub session_key: String,
    pub wallet: String,
    /// What the transaction does, in words.
    pub what: String,
    pub transaction: crate::client::UnsignedTransaction,
}
