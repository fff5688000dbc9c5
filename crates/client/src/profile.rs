//! Cluster profiles: what Leash remembers per cluster URL (local URLs included), today the
//! program id a deploy chose, so later commands against the same URL find it (docs/deploy.md).
//! Kept in `clusters.json` in the configuration directory; and where a client's program id
//! comes from: `--program-id`, then `LEASH_PROGRAM_ID`, then the profile, then the default.

use std::{collections::BTreeMap, path::PathBuf};

use serde::{Deserialize, Serialize};
use solana_program::pubkey::Pubkey;

use crate::{
    error::{ClientError, ErrorCode, Result},
    home,
    input::Cluster,
};

/// Where a client's program id came from (docs/deploy.md), in the order they are looked up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProgramIdSource {
    /// `--program-id`.
    Flag,
    /// `LEASH_PROGRAM_ID`.
    Environment,
    /// The cluster profile in the config (`leash program deploy` saves it).
    Profile,
    /// [`leash_sdk::DEFAULT_PROGRAM_ID`].
    Default,
}

impl ProgramIdSource {
    /// How a person names it in an error.
    pub fn describe(self) -> &'static str {
        match self {
            ProgramIdSource::Flag => "--program-id",
            ProgramIdSource::Environment => "LEASH_PROGRAM_ID",
            ProgramIdSource::Profile => "the cluster profile",
            ProgramIdSource::Default => "the default",
        }
    }
}

/// The Leash program a client talks to: its address and where that came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProgramChoice {
    pub id: Pubkey,
    pub source: ProgramIdSource,
}

impl ProgramChoice {
    pub fn new(id: Pubkey, source: ProgramIdSource) -> ProgramChoice {
        ProgramChoice { id, source }
    }

    /// The default id, chosen by nobody.
    pub fn default_id() -> ProgramChoice {
        ProgramChoice::new(leash_sdk::DEFAULT_PROGRAM_ID, ProgramIdSource::Default)
    }

    /// Named by the person running the command (flag or environment): a session token naming
    /// another program is refused rather than overridden.
    pub fn is_explicit(&self) -> bool {
        matches!(
            self.source,
            ProgramIdSource::Flag | ProgramIdSource::Environment
        )
    }
}

/// The environment variable naming the program id.
pub const PROGRAM_ID_ENV: &str = "LEASH_PROGRAM_ID";

/// What is kept for one cluster.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ClusterProfile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub program_id: Option<String>,
    /// Token symbols on this cluster (`leash config set-token`): by upper-case symbol.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tokens: BTreeMap<String, ProfileToken>,
}

/// A token symbol configured for one cluster.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ProfileToken {
    pub mint: String,
    pub decimals: u8,
}

/// Every cluster's profile, by RPC URL.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Profiles {
    #[serde(default)]
    pub clusters: BTreeMap<String, ClusterProfile>,
}

/// The profiles file: `clusters.json` in the configuration directory.
pub fn profiles_file() -> Result<PathBuf> {
    Ok(home::config_dir()?.join("clusters.json"))
}

impl Profiles {
    /// The stored profiles; none when the file does not exist. A file that is not valid is an
    /// error naming it, not silently replaced.
    pub fn load() -> Result<Profiles> {
        let path = profiles_file()?;
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                ClientError::input(format!(
                    "{} is not a valid profiles file: {e}",
                    path.display()
                ))
                .with_hint("fix or delete it; `leash config show` lists what it should hold")
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Profiles::default()),
            Err(e) => Err(ClientError::new(
                ErrorCode::Io,
                format!("cannot read {}: {e}", path.display()),
            )),
        }
    }

    pub fn save(&self) -> Result<()> {
        let path = profiles_file()?;
        let bytes = serde_json::to_vec_pretty(self)
            .map_err(|e| ClientError::internal(format!("cannot encode the profiles: {e}")))?;
        home::write_private(&path, &bytes)
    }

    /// The program id kept for `cluster`, if any.
    pub fn program_id(&self, cluster: &Cluster) -> Result<Option<Pubkey>> {
        let Some(text) = self
            .clusters
            .get(&cluster.url)
            .and_then(|p| p.program_id.as_deref())
        else {
            return Ok(None);
        };
        text.parse().map(Some).map_err(|_| {
            ClientError::input(format!(
                "the profile of {} has program id {text:?}, which is not an address",
                cluster.url
            ))
            .with_hint("set it again with `leash config set --program-id ID`")
        })
    }

    /// The token symbols configured for `cluster`: (symbol, mint, decimals).
    pub fn tokens(&self, cluster: &Cluster) -> Vec<(String, Pubkey, u8)> {
        self.clusters
            .get(&cluster.url)
            .map(|p| {
                p.tokens
                    .iter()
                    .filter_map(|(symbol, t)| {
                        Some((symbol.clone(), t.mint.parse().ok()?, t.decimals))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Names `mint` (with `decimals`) `symbol` on `cluster`; `None` forgets the symbol.
    pub fn set_token(&mut self, cluster: &Cluster, symbol: &str, token: Option<(Pubkey, u8)>) {
        let entry = self.clusters.entry(cluster.url.clone()).or_default();
        let symbol = symbol.trim().to_ascii_uppercase();
        match token {
            Some((mint, decimals)) => {
                entry.tokens.insert(
                    symbol,
                    ProfileToken {
                        mint: mint.to_string(),
                        decimals,
                    },
                );
            }
            None => {
                entry.tokens.remove(&symbol);
            }
        }
        if entry == &ClusterProfile::default() {
            self.clusters.remove(&cluster.url);
        }
    }

    /// Keeps `program_id` for `cluster` (`None` forgets it).
    pub fn set_program_id(&mut self, cluster: &Cluster, program_id: Option<&Pubkey>) {
        let entry = self.clusters.entry(cluster.url.clone()).or_default();
        entry.program_id = program_id.map(Pubkey::to_string);
        if entry == &ClusterProfile::default() {
            self.clusters.remove(&cluster.url);
        }
    }
}

/// The program a client on `cluster` uses: `flag` (`--program-id`), else `LEASH_PROGRAM_ID`,
/// else the cluster's profile, else the default id.
pub fn resolve_program(flag: Option<Pubkey>, cluster: &Cluster) -> Result<ProgramChoice> {
    if let Some(id) = flag {
        return Ok(ProgramChoice::new(id, ProgramIdSource::Flag));
    }
    if let Some(text) = std::env::var(PROGRAM_ID_ENV)
        .ok()
        .filter(|t| !t.trim().is_empty())
    {
        let id = text.trim().parse().map_err(|_| {
            ClientError::input(format!(
                "{PROGRAM_ID_ENV}={text:?} is not a base-58 address"
            ))
            .with_hint(format!(
                "unset {PROGRAM_ID_ENV} or set it to the program id"
            ))
        })?;
        return Ok(ProgramChoice::new(id, ProgramIdSource::Environment));
    }
    if let Some(id) = Profiles::load()?.program_id(cluster)? {
        return Ok(ProgramChoice::new(id, ProgramIdSource::Profile));
    }
    Ok(ProgramChoice::default_id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_keep_one_program_id_per_url_and_forget_it() {
        let local = Cluster::parse("http://127.0.0.1:18899").unwrap();
        let other = Cluster::parse("localnet").unwrap();
        let id = Pubkey::new_unique();
        let mut profiles = Profiles::default();
        profiles.set_program_id(&local, Some(&id));
        assert_eq!(profiles.program_id(&local).unwrap(), Some(id));
        assert_eq!(profiles.program_id(&other).unwrap(), None);
        let json = serde_json::to_string(&profiles).unwrap();
        let back: Profiles = serde_json::from_str(&json).unwrap();
        assert_eq!(back, profiles);
        profiles.set_program_id(&local, None);
        assert!(profiles.clusters.is_empty());
        let mut broken = Profiles::default();
        broken.clusters.insert(
            local.url.clone(),
            ClusterProfile {
                program_id: Some("nope".into()),
                ..ClusterProfile::default()
            },
        );
        let err = broken.program_id(&local).unwrap_err();
        assert!(err.message.contains("not an address"), "{}", err.message);
        let mint = Pubkey::new_unique();
        profiles.set_token(&local, "usdc", Some((mint, 6)));
        assert_eq!(profiles.tokens(&local), vec![("USDC".to_string(), mint, 6)]);
        assert!(
            profiles.tokens(&other).is_empty(),
            "a symbol is one cluster's"
        );
        profiles.set_token(&local, "USDC", None);
        assert!(profiles.clusters.is_empty());
    }
}
