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

/// Instructions of the System program, by name: its `u32` little-endian discriminator.
const SYSTEM_INSTRUCTIONS: &[(&str, &[u8])] = &[
    ("create_account", &[0, 0, 0, 0]),
    ("assign", &[1, 0, 0, 0]),
    ("transfer", &[2, 0, 0, 0]),
    ("create_account_with_seed", &[3, 0, 0, 0]),
    ("advance_nonce_account", &[4, 0, 0, 0]),
    ("withdraw_nonce_account", &[5, 0, 0, 0]),
    ("initialize_nonce_account", &[6, 0, 0, 0]),
    ("authorize_nonce_account", &[7, 0, 0, 0]),
    ("allocate", &[8, 0, 0, 0]),
    ("allocate_with_seed", &[9, 0, 0, 0]),
    ("assign_with_seed", &[10, 0, 0, 0]),
    ("transfer_with_seed", &[11, 0, 0, 0]),
    ("upgrade_nonce_account", &[12, 0, 0, 0]),
];

/// Instructions SPL Token (p-token) and Token-2022 share, by name: their one-byte
/// discriminator.
const TOKEN_INSTRUCTIONS: &[(&str, &[u8])] = &[
    ("initialize_mint", &[0]),
    ("initialize_account", &[1]),
    ("initialize_multisig", &[2]),
    ("transfer", &[3]),
    ("approve", &[4]),
    ("revoke", &[5]),
    ("set_authority", &[6]),
    ("mint_to", &[7]),
    ("burn", &[8]),
    ("close_account", &[9]),
    ("freeze_account", &[10]),
    ("thaw_account", &[11]),
    ("transfer_checked", &[12]),
    ("approve_checked", &[13]),
    ("mint_to_checked", &[14]),
    ("burn_checked", &[15]),
    ("initialize_account2", &[16]),
    ("sync_native", &[17]),
    ("initialize_account3", &[18]),
    ("initialize_multisig2", &[19]),
    ("initialize_mint2", &[20]),
    ("get_account_data_size", &[21]),
    ("initialize_immutable_owner", &[22]),
    ("amount_to_ui_amount", &[23]),
    ("ui_amount_to_amount", &[24]),
    ("withdraw_excess_lamports", &[38]),
];

/// Token-2022's own instructions with a name (the rest by hex prefix).
const TOKEN_2022_INSTRUCTIONS: &[(&str, &[u8])] = &[
    ("transfer_checked_with_fee", &[26, 1]),
    ("reallocate", &[29]),
    ("create_native_mint", &[31]),
];

/// Instructions of the associated token account program, by name (its borsh discriminator;
/// legacy `create` with empty data has no prefix: send `create` with its byte).
const ATA_INSTRUCTIONS: &[(&str, &[u8])] = &[
    ("create", &[0]),
    ("create_idempotent", &[1]),
    ("recover_nested", &[2]),
];

/// What an instruction name in a policy's program rule stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InstructionSpec {
    /// Calls whose data starts with these bytes.
    Prefix(Vec<u8>),
    /// Every call: SPL Memo's one instruction (`memo`), whose data is the memo's text.
    Any,
}

/// The named instructions of a well-known program (empty for others).
pub fn instruction_names(program: &Pubkey) -> Vec<(&'static str, &'static [u8])> {
    let mut names: Vec<(&str, &[u8])> = Vec::new();
    if *program == solana_system_interface::program::ID {
        names.extend_from_slice(SYSTEM_INSTRUCTIONS);
    } else if *program == spl::TOKEN_PROGRAM_ID {
        names.extend_from_slice(TOKEN_INSTRUCTIONS);
    } else if *program == spl::TOKEN_2022_PROGRAM_ID {
        names.extend_from_slice(TOKEN_INSTRUCTIONS);
        names.extend_from_slice(TOKEN_2022_INSTRUCTIONS);
    } else if *program == spl::ASSOCIATED_TOKEN_PROGRAM_ID {
        names.extend_from_slice(ATA_INSTRUCTIONS);
    }
    names
}

/// An instruction of `program` named `name` (case-insensitive; `-` and `_` alike), or a hex
/// prefix of 1–8 bytes (`"0c"`, `"0x0c"`) for any program. `Err` says what is known.
pub fn instruction_by_name(program: &Pubkey, name: &str) -> Result<InstructionSpec, String> {
    let wanted = name.trim().to_ascii_lowercase().replace('-', "_");
    if MEMO_PROGRAM_IDS.contains(program) && wanted == "memo" {
        return Ok(InstructionSpec::Any);
    }
    let names = instruction_names(program);
    if let Some((_, prefix)) = names.iter().find(|(n, _)| *n == wanted) {
        return Ok(InstructionSpec::Prefix(prefix.to_vec()));
    }
    if let Some(prefix) = parse_hex_prefix(&wanted) {
        return Ok(InstructionSpec::Prefix(prefix));
    }
    let known = if MEMO_PROGRAM_IDS.contains(program) {
        "memo".to_string()
    } else if names.is_empty() {
        "none for this program".to_string()
    } else {
        names.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
    };
    Err(format!(
        "{name:?} is neither an instruction name (known: {known}) nor a hex prefix of 1 to 8 bytes (e.g. \"e517cb97\")"
    ))
}

/// The name of the instruction `prefix` stands for on `program`, else its hex.
pub fn instruction_label(program: &Pubkey, prefix: &[u8]) -> String {
    instruction_names(program)
        .iter()
        .find(|(_, p)| *p == prefix)
        .map(|(n, _)| n.to_string())
        .unwrap_or_else(|| prefix.iter().map(|b| format!("{b:02x}")).collect())
}

/// `"e517cb97"` or `"0xe517cb97"`: 1–8 bytes.
fn parse_hex_prefix(text: &str) -> Option<Vec<u8>> {
    let hex = text.strip_prefix("0x").unwrap_or(text);
    if hex.is_empty() {
        return None;
    }
    leash_program::calls::parse_hex(hex)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instructions_resolve_both_ways() {
        let token = spl::TOKEN_PROGRAM_ID;
        assert_eq!(
            instruction_by_name(&token, "transfer_checked"),
            Ok(InstructionSpec::Prefix(vec![12]))
        );
        assert_eq!(
            instruction_by_name(&token, "Transfer-Checked"),
            Ok(InstructionSpec::Prefix(vec![12]))
        );
        assert_eq!(instruction_label(&token, &[12]), "transfer_checked");
        let system = solana_system_interface::program::ID;
        assert_eq!(
            instruction_by_name(&system, "transfer"),
            Ok(InstructionSpec::Prefix(vec![2, 0, 0, 0]))
        );
        assert_eq!(
            instruction_by_name(&spl::TOKEN_2022_PROGRAM_ID, "transfer_checked_with_fee"),
            Ok(InstructionSpec::Prefix(vec![26, 1]))
        );
        assert!(instruction_by_name(&token, "transfer_checked_with_fee").is_err());
        assert_eq!(
            instruction_by_name(&MEMO_PROGRAM_IDS[0], "memo"),
            Ok(InstructionSpec::Any)
        );
        let other = Pubkey::new_unique();
        assert_eq!(
            instruction_by_name(&other, "0xE517CB97"),
            Ok(InstructionSpec::Prefix(vec![0xe5, 0x17, 0xcb, 0x97]))
        );
        assert_eq!(instruction_label(&other, &[0xe5, 0x17]), "e517");
        let refused = instruction_by_name(&token, "send").unwrap_err();
        assert!(refused.contains("transfer_checked"), "{refused}");
        assert!(instruction_by_name(&other, "00112233445566778899").is_err());
        assert!(instruction_by_name(&other, "abc").is_err());
    }

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
