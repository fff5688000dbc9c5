//! The table of JSON-RPC methods: each one's name and how it uses the chain. The family modules
//! and the dispatcher ([`super`]) both read it.

use serde_json::Value;

use crate::{executor::Access, jsonrpc::asks_processed};

/// One table: each method's variant, its JSON-RPC name and how it uses the chain: `Write`
/// changes it; `Read` shows state that may include transactions not yet durable (its answer waits
/// until they are); `Deferred` reads the durable ledger once what was executed before it is
/// durable; `Instant` shows nothing a crash could take back (the clock, identities, blocks).
macro_rules! methods {
    ($($variant:ident = $name:literal, $access:ident;)*) => {
        /// A JSON-RPC method the node answers.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Method {
            $($variant,)*
        }

        impl Method {
            /// Every method, in the table's order.
            pub const ALL: &'static [Method] = &[$(Method::$variant,)*];

            /// The method named `name` (exactly, as JSON-RPC names are case-sensitive).
            pub fn parse(name: &str) -> Option<Method> {
                match name {
                    $($name => Some(Method::$variant),)*
                    _ => None,
                }
            }

            /// Its JSON-RPC name.
            pub fn name(self) -> &'static str {
                match self {
                    $(Method::$variant => $name,)*
                }
            }

            /// How it uses the chain: the one place that decides how the executor runs it.
            pub fn access(self) -> Access {
                match self {
                    $(Method::$variant => Access::$access,)*
                }
            }
        }
    };
}

methods! {
    // The chain's clock and identity.
    GetHealth = "getHealth", Instant;
    GetVersion = "getVersion", Instant;
    GetSlot = "getSlot", Instant;
    GetBlockHeight = "getBlockHeight", Instant;
    GetTransactionCount = "getTransactionCount", Read;
    GetGenesisHash = "getGenesisHash", Instant;
    GetBlockTime = "getBlockTime", Instant;
    GetEpochInfo = "getEpochInfo", Instant;
    GetLatestBlockhash = "getLatestBlockhash", Instant;
    IsBlockhashValid = "isBlockhashValid", Instant;
    GetFeeForMessage = "getFeeForMessage", Instant;
    GetMinimumBalanceForRentExemption = "getMinimumBalanceForRentExemption", Instant;
    // Accounts.
    GetBalance = "getBalance", Read;
    GetAccountInfo = "getAccountInfo", Read;
    GetMultipleAccounts = "getMultipleAccounts", Read;
    GetProgramAccounts = "getProgramAccounts", Read;
    GetTokenAccountBalance = "getTokenAccountBalance", Read;
    GetTokenSupply = "getTokenSupply", Read;
    GetTokenAccountsByOwner = "getTokenAccountsByOwner", Read;
    GetTokenAccountsByDelegate = "getTokenAccountsByDelegate", Read;
    // Sending.
    SendTransaction = "sendTransaction", Write;
    SimulateTransaction = "simulateTransaction", Read;
    RequestAirdrop = "requestAirdrop", Write;
    // Signatures and transactions.
    GetSignatureStatuses = "getSignatureStatuses", Deferred;
    GetSignaturesForAddress = "getSignaturesForAddress", Deferred;
    GetTransaction = "getTransaction", Deferred;
    // Blocks.
    GetBlock = "getBlock", Deferred;
    GetBlocks = "getBlocks", Instant;
    GetBlocksWithLimit = "getBlocksWithLimit", Instant;
    MinimumLedgerSlot = "minimumLedgerSlot", Instant;
    GetFirstAvailableBlock = "getFirstAvailableBlock", Instant;
    GetRecentPrioritizationFees = "getRecentPrioritizationFees", Instant;
    GetRecentPerformanceSamples = "getRecentPerformanceSamples", Instant;
    GetBlockProduction = "getBlockProduction", Instant;
    // The cluster.
    GetEpochSchedule = "getEpochSchedule", Instant;
    GetSupply = "getSupply", Read;
    GetLargestAccounts = "getLargestAccounts", Read;
    GetTokenLargestAccounts = "getTokenLargestAccounts", Read;
    GetStakeMinimumDelegation = "getStakeMinimumDelegation", Instant;
    GetVoteAccounts = "getVoteAccounts", Instant;
    GetClusterNodes = "getClusterNodes", Instant;
    GetIdentity = "getIdentity", Instant;
    GetSlotLeader = "getSlotLeader", Instant;
    GetSlotLeaders = "getSlotLeaders", Instant;
    GetLeaderSchedule = "getLeaderSchedule", Instant;
    GetInflationGovernor = "getInflationGovernor", Instant;
    GetInflationRate = "getInflationRate", Instant;
    GetHighestSnapshotSlot = "getHighestSnapshotSlot", Instant;
    // Namespaced control methods for local development and tests.
    LeashGetTokenList = "leash_getTokenList", Instant;
    LeashGetFaucet = "leash_getFaucet", Instant;
    LeashMintTokens = "leash_mintTokens", Write;
    LeashWarpSlot = "leash_warpSlot", Write;
    LeashSetUnixTimestamp = "leash_setUnixTimestamp", Write;
    LeashDropTransactions = "leash_dropTransactions", Write;
}

impl Method {
    /// The methods Agave answers only at `confirmed` or `finalized` (-32602 for `processed`).
    pub fn needs_confirmed(self) -> bool {
        matches!(
            self,
            Method::GetTransaction
                | Method::GetBlock
                | Method::GetBlocks
                | Method::GetBlocksWithLimit
                | Method::GetSignaturesForAddress
        )
    }

    /// The test controls, answered only with `--allow-time-travel`: moving the chain's slot or
    /// clock at will, and losing transactions on purpose.
    pub fn moves_time(self) -> bool {
        matches!(
            self,
            Method::LeashWarpSlot | Method::LeashSetUnixTimestamp | Method::LeashDropTransactions
        )
    }
}

/// How the executor runs `method` with `params`: a read that asks for `processed` is answered at
/// once, with whatever the executor has executed (as a validator's processed bank).
pub fn access(method: Method, params: &Value) -> Access {
    match method.access() {
        Access::Read | Access::Deferred if asks_processed(params) => Access::Instant,
        access => access,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_method_parses_back_from_its_name() {
        let mut names = std::collections::HashSet::new();
        for &method in Method::ALL {
            assert_eq!(Method::parse(method.name()), Some(method));
            assert!(names.insert(method.name()), "{} twice", method.name());
        }
        assert_eq!(Method::parse("getslot"), None);
        assert_eq!(Method::parse("nope"), None);
    }

    #[test]
    fn writes_are_exactly_the_methods_that_change_the_chain() {
        let writes: Vec<&str> = Method::ALL
            .iter()
            .filter(|m| m.access() == Access::Write)
            .map(|m| m.name())
            .collect();
        assert_eq!(
            writes,
            [
                "sendTransaction",
                "requestAirdrop",
                "leash_mintTokens",
                "leash_warpSlot",
                "leash_setUnixTimestamp",
                "leash_dropTransactions"
            ]
        );
        assert!(Method::ALL
            .iter()
            .filter(|m| m.moves_time())
            .all(|m| m.access() == Access::Write));
    }
}
