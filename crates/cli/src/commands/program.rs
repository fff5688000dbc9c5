//! `leash program deploy|show|verify|upgrade|set-authority`: the Leash program on a cluster,
//! through the upgradeable loader (docs/deploy.md).

use std::{
    io::{BufRead, IsTerminal, Write},
    path::PathBuf,
};

use clap::{Args, Subcommand};
use leash_client::{
    home,
    program::{NewAuthority, Verification, WriteProgress, LEASH_PROGRAM_ELF},
    ClientError, ErrorCode,
};
use solana_keypair::Keypair;
use solana_program::pubkey::Pubkey;
use solana_signer::Signer;

use crate::{
    error::{CliError, CliResult},
    globals::{parse_address, Globals},
};

#[derive(Subcommand)]
pub enum ProgramCommand {
    /// Deploy the committed Leash ELF at a new address (the global --keypair pays)
    Deploy(DeployArgs),
    /// Upgrade authority, size, slot, and whether the on-chain bytes are the committed ELF
    Show {
        /// The program [default: the program id in use, see `leash info`]
        #[arg(value_parser = parse_address)]
        address: Option<Pubkey>,
    },
    /// Exit 0 only if the on-chain program is the committed ELF (followed by zero padding)
    Verify {
        /// The program [default: the program id in use]
        #[arg(value_parser = parse_address)]
        address: Option<Pubkey>,
    },
    /// Replace the program's bytes with the committed ELF, signed by its upgrade authority
    Upgrade {
        #[arg(value_parser = parse_address)]
        address: Pubkey,
        /// The current upgrade authority's keypair [default: --keypair]
        #[arg(long)]
        upgrade_authority: Option<PathBuf>,
    },
    /// Hand the upgrade authority to another key (which signs too), or make the program immutable
    #[command(name = "set-authority")]
    SetAuthority(SetAuthorityArgs),
}

#[derive(Args)]
pub struct DeployArgs {
    /// The program's keypair: its address becomes the program id [default: a new one, saved
    /// under the config directory's programs/]
    #[arg(long)]
    program_keypair: Option<PathBuf>,
    /// Who may upgrade it: a keypair file, or `none` for an immutable program [default: --keypair]
    #[arg(long)]
    upgrade_authority: Option<String>,
    /// Do not ask before deploying to a cluster other than a local one
    #[arg(long, short = 'y')]
    yes: bool,
}

#[derive(Args)]
#[command(group(clap::ArgGroup::new("new_authority").required(true).args(["new", "final_"])))]
pub struct SetAuthorityArgs {
    #[arg(value_parser = parse_address)]
    address: Pubkey,
    /// The new authority's keypair (it signs, so a mistyped key cannot lock the program away)
    #[arg(long)]
    new: Option<PathBuf>,
    /// Make the program immutable: nobody can upgrade or close it again
    #[arg(long = "final")]
    final_: bool,
    /// The current upgrade authority's keypair [default: --keypair]
    #[arg(long)]
    upgrade_authority: Option<PathBuf>,
}

/// Progress of the buffer writes on stderr, for people at a terminal.
fn progress(json: bool) -> impl Fn(WriteProgress) + Sync {
    let show = !json && std::io::stderr().is_terminal();
    move |p: WriteProgress| {
        if !show || p.total == 0 {
            return;
        }
        let width = 30;
        let filled = p.done * width / p.total;
        eprint!(
            "\rWriting the program [{}{}] {}/{} transactions",
            "#".repeat(filled),
            "-".repeat(width - filled),
            p.done,
            p.total
        );
        if p.done == p.total {
            eprint!("\r\x1b[2K");
        }
    }
}

fn keypair(path: &std::path::Path) -> CliResult<Keypair> {
    Ok(home::read_keypair(path)?)
}

/// Asks on the terminal; without one, `--yes` is required.
fn confirm(question: &str, url: &str) -> CliResult<()> {
    if !std::io::stdin().is_terminal() {
        return Err(ClientError::input(format!(
            "deploying to {url} costs SOL, and there is no terminal to ask on"
        ))
        .with_hint("pass --yes to deploy without asking")
        .into());
    }
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| ClientError::input(format!("cannot read the answer: {e}")))?;
    if matches!(answer.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        Err(ClientError::input("deploy cancelled; nothing was sent").into())
    }
}

pub fn exec(globals: &Globals, command: ProgramCommand) -> CliResult<()> {
    let render = globals.render();
    match command {
        ProgramCommand::Deploy(args) => {
            let client = globals.client()?;
            let payer = globals.owner(&client)?;
            let (program, saved) = match &args.program_keypair {
                Some(path) => (keypair(path)?, None),
                None => {
                    let program = Keypair::new();
                    let path = home::config_dir()?
                        .join("programs")
                        .join(format!("{}.json", program.pubkey()));
                    home::write_keypair(&path, &program)?;
                    (program, Some(path))
                }
            };
            let authority_key = match args.upgrade_authority.as_deref() {
                None => None,
                Some("none") => None,
                Some(path) => Some(keypair(std::path::Path::new(path))?),
            };
            let authority = match (&authority_key, args.upgrade_authority.as_deref()) {
                (_, Some("none")) => NewAuthority::Final,
                (Some(key), _) => NewAuthority::Key(key),
                (None, _) => NewAuthority::Key(&payer),
            };
            let authority_pubkey = match &authority {
                NewAuthority::Key(key) => key.pubkey(),
                NewAuthority::Final => payer.pubkey(),
            };
            let plan = client.plan_deploy(
                LEASH_PROGRAM_ELF,
                &program.pubkey(),
                &payer.pubkey(),
                &authority_pubkey,
            )?;
            if !plan.affordable() {
                return Err(ClientError::new(
                    ErrorCode::TransactionFailed,
                    format!(
                        "the payer {} has {} SOL; the deploy needs {} SOL",
                        payer.pubkey(),
                        plan.payer_balance,
                        plan.payer_needs
                    ),
                )
                .with_hint(if client.cluster().is_localnet() {
                    "fund it with `leash airdrop --amount 10`".to_string()
                } else {
                    "fund the payer, or pay with another --keypair".to_string()
                })
                .into());
            }
            if !client.cluster().is_localnet() && !args.yes {
                eprintln!("{plan}");
                confirm("Deploy?", &client.cluster().url)?;
            }
            if let (Some(path), false) = (&saved, globals.json) {
                eprintln!(
                    "The program's keypair is saved at {} (keep it to redeploy at this address)",
                    path.display()
                );
            }
            let report = client.deploy_program(
                LEASH_PROGRAM_ELF,
                &program,
                &payer,
                authority,
                &progress(globals.json),
            )?;
            render.report(&report)
        }
        ProgramCommand::Show { address } => {
            let client = globals.client()?;
            let address = address.unwrap_or(*client.program_id());
            render.report(&client.show_program(&address)?)
        }
        ProgramCommand::Verify { address } => {
            let client = globals.client()?;
            let address = address.unwrap_or(*client.program_id());
            let shown = client.show_program(&address)?;
            render.report(&shown)?;
            if shown.status == Verification::Differs {
                return Err(CliError::Client(
                    ClientError::new(
                        ErrorCode::ProgramDiffers,
                        format!(
                            "the program at {address} is not the committed Leash ELF (sha256 {} on chain, {} committed)",
                            shown.sha256, shown.committed_sha256
                        ),
                    )
                    .with_hint("upgrade it with `leash program upgrade` if you hold its authority, or do not trust it"),
                ));
            }
            Ok(())
        }
        ProgramCommand::Upgrade {
            address,
            upgrade_authority,
        } => {
            let client = globals.client()?;
            let payer = globals.owner(&client)?;
            let authority = match &upgrade_authority {
                Some(path) => keypair(path)?,
                None => payer.insecure_clone(),
            };
            let report = client.upgrade_program(
                LEASH_PROGRAM_ELF,
                &address,
                &payer,
                &authority,
                &progress(globals.json),
            )?;
            render.report(&report)
        }
        ProgramCommand::SetAuthority(args) => {
            let client = globals.client()?;
            let payer = globals.owner(&client)?;
            let current = match &args.upgrade_authority {
                Some(path) => keypair(path)?,
                None => payer.insecure_clone(),
            };
            let new_key = args.new.as_deref().map(keypair).transpose()?;
            let new = match &new_key {
                Some(key) => NewAuthority::Key(key),
                None => NewAuthority::Final,
            };
            render.report(&client.set_program_authority(&args.address, &payer, &current, new)?)
        }
    }
}
