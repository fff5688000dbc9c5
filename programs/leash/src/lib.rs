//! Leash: session keys for Solana wallets, enforced on-chain.
//!
//! A wallet owner creates a [`state::Wallet`] whose [vault](state::vault_address) holds SOL and
//! owns token accounts. The owner registers [`state::Session`]s: a session key plus a
//! [`state::Policy`] that bounds what the key may do. Every
//! [`instruction::LeashInstruction::Execute`] is checked against the policy, and spend is what
//! left everything the vault controls (see [`accounting`], the value model v2), not what the
//! calls are named.
//!
//! The crate follows the SPL layout: [`instruction`] (wire format and builders), [`state`]
//! (account layouts and PDAs), [`processor`] (one module per instruction, each with its accounts
//! parsed and its checks in order), [`calls`] (inner calls resolved once), [`accounting`]
//! (snapshots, authorities, outflows, limits), [`error`] (codes 6000–6019), [`event`] (logged
//! with `sol_log_data`), [`token_account`] (SPL Token / Token-2022 layouts). With the
//! `no-entrypoint` feature it is a plain library for the SDK, CLI and tests, which use these
//! same types.

#![cfg_attr(not(test), deny(clippy::arithmetic_side_effects))]
#![forbid(unsafe_code)]

pub mod accounting;
pub mod calls;
pub mod error;
pub mod event;
pub mod instruction;
pub mod log;
pub mod processor;
pub mod state;
pub mod sysvars;
pub mod token_account;

#[cfg(not(feature = "no-entrypoint"))]
mod entrypoint;

pub use processor::process_instruction;

solana_program::declare_id!("LeashSessionKeys111111111111111111111111111");
