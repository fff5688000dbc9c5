//! What a commit made durable, as events: the executor publishes them after each commit
//! ([`Publisher`]) on a bounded `tokio::sync::broadcast` channel, and PubSub
//! ([`crate::pubsub`]) reads them. The chain only returns the batches it committed; it never
//! knows who listens (docs/node.md, "Layers").

use std::{collections::HashSet, sync::Arc};

use solana_account::Account;
use solana_program::pubkey::Pubkey;
use solana_signature::Signature;
use solana_transaction_error::TransactionError;
use tokio::sync::broadcast;

use crate::{chain::Chain, store::Batch};
use leash_sdk::token_account;

/// Commits a connection may fall behind before it is closed.
pub const EVENT_CAPACITY: usize = 1024;

/// A transaction a commit made durable.
#[derive(Debug)]
pub struct CommittedTransaction {
    pub signature: Signature,
    pub slot: u64,
    pub err: Option<TransactionError>,
    pub logs: Vec<String>,
    /// The message's account keys: what `logsSubscribe`'s `mentions` matches.
    pub accounts: Vec<Pubkey>,
}

/// An account as a commit left it (a deleted account is empty, owned by the system program).
pub struct ChangedAccount {
    pub pubkey: Pubkey,
    pub account: Account,
    /// For a token account, its mint and how the mint shows amounts (for `jsonParsed`).
    pub mint: Option<(Pubkey, crate::encoding::MintDisplay)>,
}

// By hand: Agave's `MintDisplay` has no `Debug`; its decimals say enough.
impl std::fmt::Debug for ChangedAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChangedAccount")
            .field("pubkey", &self.pubkey)
            .field("account", &self.account)
            .field(
                "mint",
                &self
                    .mint
                    .as_ref()
                    .map(|(mint, display)| (mint, display.decimals)),
            )
            .finish()
    }
}

/// What the executor publishes after a commit.
#[derive(Debug)]
pub enum Event {
    /// The chain moved to `slot`.
    Slot { parent: u64, slot: u64 },
    /// Transactions and account changes, durable on disk.
    Committed {
        slot: u64,
        transactions: Vec<CommittedTransaction>,
        accounts: Vec<ChangedAccount>,
    },
}

/// The executor's end of the channel.
pub struct Publisher {
    sender: broadcast::Sender<Arc<Event>>,
    last_slot: u64,
}

impl Publisher {
    pub fn new(sender: broadcast::Sender<Arc<Event>>, slot: u64) -> Publisher {
        Publisher {
            sender,
            last_slot: slot,
        }
    }

    /// Publishes what `batch`, just committed, changed: each slot it reached (a commit may hold
    /// several, the executor running on while the previous commit was written), then its
    /// transactions and accounts. Builds nothing when nobody listens.
    pub fn publish(&mut self, chain: &Chain, batch: &Batch) {
        let listening = self.sender.receiver_count() > 0;
        // Blocks written again after a failed commit were announced already.
        for (slot, _) in &batch.blocks {
            if *slot > self.last_slot {
                let parent = std::mem::replace(&mut self.last_slot, *slot);
                if listening {
                    let slot = *slot;
                    let _ = self.sender.send(Arc::new(Event::Slot { parent, slot }));
                }
            }
        }
        if !listening {
            return;
        }
        // The batch's transactions ran in slots up to the last one announced.
        let slot = self.last_slot.min(chain.slot());
        if batch.transactions.is_empty() && batch.accounts.is_empty() {
            return;
        }
        let transactions = batch
            .transactions
            .iter()
            .map(|(record, keys)| CommittedTransaction {
                signature: Signature::from(record.signature),
                slot: record.slot,
                err: record.err.clone(),
                logs: record.logs.clone(),
                accounts: keys.clone(),
            })
            .collect();
        // One notification per account and commit, with its last state.
        let mut seen = HashSet::new();
        let mut accounts: Vec<ChangedAccount> = batch
            .accounts
            .iter()
            .rev()
            .filter(|(pubkey, _)| seen.insert(*pubkey))
            .map(|(pubkey, account)| {
                let account = account.clone().unwrap_or_default();
                let mint = token_account::parse(&account.owner, &account.data)
                    .and_then(|view| Some((view.mint, chain.mint_display(&view.mint)?)));
                ChangedAccount {
                    pubkey: *pubkey,
                    account,
                    mint,
                }
            })
            .collect();
        accounts.reverse();
        let _ = self.sender.send(Arc::new(Event::Committed {
            slot,
            transactions,
            accounts,
        }));
    }
}
