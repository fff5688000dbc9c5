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
//! (snapshots, authorities, outflows, limits), [`error`] (codes 6000–6023), [`event`] (logged
//! with `sol_log_data`), [`token_account`] (SPL Token / Token-2022 layouts), and
//! [`platform`], the one place where the SBF build (`no_std`, pinocchio) and the native build
//! (solana-program, the LiteSVM builtin) differ. With the `no-entrypoint` feature it is a plain
//! library for the SDK, CLI and tests, which use these same types.

#![cfg_attr(target_arch = "bpf", no_std)]
#![cfg_attr(not(test), deny(clippy::arithmetic_side_effects))]
// Only `platform` touches raw memory (the account slices and syscalls), and says why.
#![deny(unsafe_code)]

extern crate alloc;

pub mod accounting;
pub mod authority_account;
pub mod calls;
pub mod error;
pub mod event;
pub mod instruction;
pub mod list;
pub mod log;
pub mod passkey;
pub mod platform;
pub mod processor;
pub mod state;
pub mod sysvars;
pub mod token_account;

#[cfg(all(target_arch = "bpf", not(feature = "no-entrypoint")))]
mod entrypoint;

#[cfg(not(target_arch = "bpf"))]
pub use processor::process_instruction;

/// The address clients use when nothing names another (docs/deploy.md). The program itself
/// never reads it: every PDA, owner and self-invocation check uses the id the runtime hands the
/// entrypoint, so the one committed ELF runs at any address. A vanity address nobody holds the
/// keypair of; deployments choose their own.
pub const DEFAULT_ID: platform::Pubkey =
    platform::Pubkey::from_str_const("LeashSessionKeys111111111111111111111111111");
