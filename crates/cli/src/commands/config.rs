//! `leash config show|set-program-id|unset-program-id|set-token|unset-token`: the cluster profiles
//! (docs/deploy.md, docs/client.md).

use std::fmt;

use clap::Subcommand;
use leash_client::profile::{self, Profiles};
use serde::Serialize;
use solana_program::pubkey::Pubkey;

use crate::{
    error::CliResult,
    globals::{parse_address, Globals},
};

#[derive(Subcommand)]
pub enum ConfigCommand {
    /// The profiles file, each cluster's program id, and the one `--url` would use
    Show,
    /// Keep ID as the Leash program of the `--url` cluster (local URLs included)
    #[command(name = "set-program-id")]
    SetProgramId {
        #[arg(value_parser = parse_address)]
        id: Pubkey,
    },
    /// Forget the program id of the `--url` cluster (the default id is used again)
    #[command(name = "unset-program-id")]
    UnsetProgramId,
    /// Name MINT SYMBOL on the `--url` cluster (its decimals are read from the chain)
    #[command(name = "set-token")]
    SetToken {
        symbol: String,
        #[arg(value_parser = parse_address)]
        mint: Pubkey,
    },
    /// Forget the symbol on the `--url` cluster
    #[command(name = "unset-token")]
    UnsetToken { symbol: String },
}

/// `config show`.
#[derive(Serialize)]
struct ConfigReport {
    file: String,
    clusters: Vec<ClusterLine>,
    /// The `--url` cluster and the program a command there would use.
    current: Current,
}

#[derive(Serialize)]
struct ClusterLine {
    url: String,
    program_id: Option<String>,
    /// Symbol → mint.
    tokens: std::collections::BTreeMap<String, String>,
}

#[derive(Serialize)]
struct Current {
    url: String,
    program_id: String,
    program_id_source: leash_client::ProgramIdSource,
}

impl fmt::Display for ConfigReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Profiles: {}", self.file)?;
        if self.clusters.is_empty() {
            writeln!(f, "  (none yet: `leash program deploy` saves one)")?;
        }
        for line in &self.clusters {
            writeln!(
                f,
                "  {}  program {}",
                line.url,
                line.program_id.as_deref().unwrap_or("-")
            )?;
            for (symbol, mint) in &line.tokens {
                writeln!(f, "    {symbol} = {mint}")?;
            }
        }
        write!(
            f,
            "In use for {}: {} ({})",
            self.current.url,
            self.current.program_id,
            self.current.program_id_source.describe()
        )
    }
}

/// `config set-program-id` / `unset-program-id`.
#[derive(Serialize)]
struct ProfileSaved {
    url: String,
    program_id: Option<String>,
}

impl fmt::Display for ProfileSaved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.program_id {
            Some(id) => write!(f, "Program id for {}: {id}", self.url),
            None => write!(
                f,
                "Program id for {} forgotten: the default id is used",
                self.url
            ),
        }
    }
}

/// `config set-token` / `unset-token`.
#[derive(Serialize)]
struct TokenSaved {
    url: String,
    symbol: String,
    mint: Option<String>,
    decimals: Option<u8>,
}

impl fmt::Display for TokenSaved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.mint, self.decimals) {
            (Some(mint), Some(decimals)) => write!(
                f,
                "{} on {} is {mint} ({decimals} decimals)",
                self.symbol, self.url
            ),
            _ => write!(f, "{} forgotten on {}", self.symbol, self.url),
        }
    }
}

pub fn exec(globals: &Globals, command: ConfigCommand) -> CliResult<()> {
    let cluster = globals.cluster()?;
    let render = globals.render();
    match command {
        ConfigCommand::Show => {
            let profiles = Profiles::load()?;
            let program = globals.program(&cluster)?;
            render.report(&ConfigReport {
                file: profile::profiles_file()?.display().to_string(),
                clusters: profiles
                    .clusters
                    .iter()
                    .map(|(url, p)| ClusterLine {
                        url: url.clone(),
                        program_id: p.program_id.clone(),
                        tokens: p
                            .tokens
                            .iter()
                            .map(|(s, t)| (s.clone(), t.mint.clone()))
                            .collect(),
                    })
                    .collect(),
                current: Current {
                    url: cluster.url.clone(),
                    program_id: program.id.to_string(),
                    program_id_source: program.source,
                },
            })
        }
        ConfigCommand::SetProgramId { id } => {
            let mut profiles = Profiles::load()?;
            profiles.set_program_id(&cluster, Some(&id));
            profiles.save()?;
            render.report(&ProfileSaved {
                url: cluster.url,
                program_id: Some(id.to_string()),
            })
        }
        ConfigCommand::SetToken { symbol, mint } => {
            let client = globals.client()?;
            let token = client.token(&leash_client::TokenRef::Mint(mint))?;
            let mut profiles = Profiles::load()?;
            profiles.set_token(&cluster, &symbol, Some((mint, token.decimals)));
            profiles.save()?;
            render.report(&TokenSaved {
                url: cluster.url,
                symbol: symbol.to_ascii_uppercase(),
                mint: Some(mint.to_string()),
                decimals: Some(token.decimals),
            })
        }
        ConfigCommand::UnsetToken { symbol } => {
            let mut profiles = Profiles::load()?;
            profiles.set_token(&cluster, &symbol, None);
            profiles.save()?;
            render.report(&TokenSaved {
                url: cluster.url,
                symbol: symbol.to_ascii_uppercase(),
                mint: None,
                decimals: None,
            })
        }
        ConfigCommand::UnsetProgramId => {
            let mut profiles = Profiles::load()?;
            profiles.set_program_id(&cluster, None);
            profiles.save()?;
            render.report(&ProfileSaved {
                url: cluster.url,
                program_id: None,
            })
        }
    }
}
