//! Names for well-known programs and tokens, both ways.

use solana_program::{pubkey, pubkey::Pubkey};

use crate::spl;

/// The upgradeable BPF loader (loader-v3), which owns deployed programs; one statement of its
/// address for the node and the clients.
pub const UPGRADEABLE_LOADER_ID: Pubkey = pubkey!("BPFLoaderUpgradeab1e11111111111111111111111");
/// The compute budget program.
pub const COMPUTE_BUDGET_PROGRAM_ID: Pubkey =
    pubkey!("ComputeBudget111111111111111111111111111111");
/// SPL Memo (v2, then v1).
pub const MEMO_PROGRAM_IDS: [Pubkey; 2] = [
    pubkey!("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr"),
    pubkey!("Memo1UhkJRfHyvLMcVucJwxXeuD728EqVDDwQDxFMNo"),
];

/// (name, address) of programs users name in policies; the first name of an address is the one
/// shown.
pub const PROGRAMS: &[(&str, Pubkey)] = &[
    ("system", pubkey!("11111111111111111111111111111111")),
    ("spl-token", spl::TOKEN_PROGRAM_ID),
    ("token", spl::TOKEN_PROGRAM_ID),
    ("token-2022", spl::TOKEN_2022_PROGRAM_ID),
    ("spl-token-2022", spl::TOKEN_2022_PROGRAM_ID),
    ("associated-token", spl::ASSOCIATED_TOKEN_PROGRAM_ID),
    ("ata", spl::ASSOCIATED_TOKEN_PROGRAM_ID),
    (
        "spl-associated-token-account",
        spl::ASSOCIATED_TOKEN_PROGRAM_ID,
    ),
    ("memo", MEMO_PROGRAM_IDS[0]),
    ("spl-memo", MEMO_PROGRAM_IDS[0]),
    ("compute-budget", COMPUTE_BUDGET_PROGRAM_ID),
    // The default id only: a deployment elsewhere is shown by its address.
    ("leash", leash_program::DEFAULT_ID),
];

/// Mainnet tokens known by symbol: (symbol, mint, decimals).
pub const MAINNET_TOKENS: &[(&str, Pubkey, u8)] = &[
    (
        "USDC",
        pubkey!("EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"),
        6,
    ),
    (
        "USDT",
        pubkey!("Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB"),
        6,
    ),
    ("WSOL", spl::NATIVE_MINT, 9),
];

/// Devnet tokens known by symbol: Circle's devnet USDC, and wrapped SOL.
pub const DEVNET_TOKENS: &[(&str, Pubkey, u8)] = &[
    (
        "USDC",
        pubkey!("4zMMC9srt5Ri5X14GAgXhaHii3GnPAEERYPJgZJDncDU"),
        6,
    ),
    ("WSOL", spl::NATIVE_MINT, 9),
];

/// A public cluster, known by its genesis hash (`getGenesisHash`), whatever URL serves it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KnownCluster {
    Mainnet,
    Devnet,
    Testnet,
}

/// (genesis hash, cluster).
pub const GENESIS_HASHES: &[(&str, KnownCluster)] = &[
    (
        "5eykt4UsFv8P8NJdTREpY1vzqKqZKvdpKuc147dw2N9d",
        KnownCluster::Mainnet,
    ),
    (
        "EtWTRABZaYq6iMfeYKouRu166VU2xqa1wcaWoxPkrZBG",
        KnownCluster::Devnet,
    ),
    (
        "4uhcVJyU9pJkvQyS88uRDiswHXSCkY3zQawwpjk2NsNY",
        KnownCluster::Testnet,
    ),
];

impl KnownCluster {
    /// The cluster whose genesis hash is `hash`.
    pub fn by_genesis(hash: &str) -> Option<KnownCluster> {
        GENESIS_HASHES
            .iter()
            .find(|(h, _)| *h == hash)
            .map(|(_, c)| *c)
    }

    pub fn name(self) -> &'static str {
        match self {
            KnownCluster::Mainnet => "mainnet",
            KnownCluster::Devnet => "devnet",
            KnownCluster::Testnet => "testnet",
        }
    }

    /// Its tokens known by symbol; none on testnet (name a mint, or configure a symbol).
    pub fn tokens(self) -> &'static [(&'static str, Pubkey, u8)] {
        match self {
            KnownCluster::Mainnet => MAINNET_TOKENS,
            KnownCluster::Devnet => DEVNET_TOKENS,
            KnownCluster::Testnet => &[],
        }
    }
}

/// The program a name stands for (case-insensitive).
pub fn program_by_name(name: &str) -> Option<Pubkey> {
    let name = name.trim().to_ascii_lowercase();
    PROGRAMS.iter().find(|(n, _)| *n == name).map(|(_, k)| *k)
}

/// The display name of a well-known program.
pub fn program_name(address: &Pubkey) -> Option<&'static str> {
    PROGRAMS.iter().find(|(_, k)| k == address).map(|(n, _)| *n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_both_ways() {
        assert_eq!(program_by_name("SPL-Token"), Some(spl::TOKEN_PROGRAM_ID));
        assert_eq!(program_name(&spl::TOKEN_PROGRAM_ID), Some("spl-token"));
        assert_eq!(
            program_by_name("system"),
            Some(solana_system_interface::program::ID)
        );
        assert_eq!(program_by_name("nope"), None);
    }

    #[test]
    fn clusters_are_known_by_genesis_and_keep_their_own_tokens() {
        assert_eq!(
            KnownCluster::by_genesis("EtWTRABZaYq6iMfeYKouRu166VU2xqa1wcaWoxPkrZBG"),
            Some(KnownCluster::Devnet)
        );
        assert_eq!(KnownCluster::by_genesis("anything else"), None);
        let usdc = |c: KnownCluster| {
            c.tokens()
                .iter()
                .find(|(s, _, _)| *s == "USDC")
                .map(|t| t.1)
        };
        assert_ne!(usdc(KnownCluster::Devnet), usdc(KnownCluster::Mainnet));
        assert_eq!(
            usdc(KnownCluster::Testnet),
            None,
            "never another cluster's mint"
        );
    }
}
