//! `leash webhook add|list|remove|enable|disable|test|deliveries|redeliver`: the owner's
//! webhooks, through the API (`leash serve`, docs/api.md "Webhooks"); an admin API key.

use clap::Subcommand;
use leash_client::{live::EventType, webhooks, wire::CreateWebhookRequest, ClientError};

use crate::{commands::requests::ApiArgs, error::CliResult, globals::Globals};

#[derive(Subcommand)]
pub enum WebhookCommand {
    /// Deliver events to a URL, signed (Standard Webhooks); prints its secret once
    Add {
        /// Where deliveries go (http or https)
        #[arg(long)]
        url: String,
        /// Event types, comma-separated (default: all): session.created, session.used,
        /// session.limit_near, session.revoked, session.expired, session.closed,
        /// request.filed, request.approved, request.denied
        #[arg(long)]
        events: Option<String>,
        /// Only this wallet's events
        #[arg(long)]
        wallet: Option<String>,
        #[command(flatten)]
        api: ApiArgs,
    },
    /// Webhooks (never their secrets)
    List {
        #[command(flatten)]
        api: ApiArgs,
    },
    /// Remove a webhook and its delivery log
    Remove {
        id: String,
        #[command(flatten)]
        api: ApiArgs,
    },
    /// Deliver to a webhook again
    Enable {
        id: String,
        #[command(flatten)]
        api: ApiArgs,
    },
    /// Stop delivering to a webhook
    Disable {
        id: String,
        #[command(flatten)]
        api: ApiArgs,
    },
    /// Send a signed test message now and show how the receiver answered
    Test {
        id: String,
        #[command(flatten)]
        api: ApiArgs,
    },
    /// The newest deliveries and their attempts
    Deliveries {
        id: String,
        #[command(flatten)]
        api: ApiArgs,
    },
    /// Queue a delivery again (a dead letter included)
    Redeliver {
        id: String,
        /// The delivery (`dlv_…`, from `leash webhook deliveries`)
        delivery: String,
        #[command(flatten)]
        api: ApiArgs,
    },
}

pub fn exec(globals: &Globals, command: WebhookCommand) -> CliResult<()> {
    let render = globals.render();
    match command {
        WebhookCommand::Add {
            url,
            events,
            wallet,
            api,
        } => {
            let events = EventType::parse_list(events.as_deref().unwrap_or(""))
                .map_err(ClientError::input)?
                .into_iter()
                .map(|t| t.name().to_string())
                .collect();
            let request = CreateWebhookRequest {
                url,
                events,
                wallet,
            };
            render.report(&webhooks::add_webhook(&api.endpoint()?, &request)?)
        }
        WebhookCommand::List { api } => render.report(&webhooks::list_webhooks(&api.endpoint()?)?),
        WebhookCommand::Remove { id, api } => {
            render.report(&webhooks::remove_webhook(&api.endpoint()?, &id)?)
        }
        WebhookCommand::Enable { id, api } => {
            render.report(&webhooks::set_webhook_enabled(&api.endpoint()?, &id, true)?)
        }
        WebhookCommand::Disable { id, api } => render.report(&webhooks::set_webhook_enabled(
            &api.endpoint()?,
            &id,
            false,
        )?),
        WebhookCommand::Test { id, api } => {
            render.report(&webhooks::test_webhook(&api.endpoint()?, &id)?)
        }
        WebhookCommand::Deliveries { id, api } => {
            render.report(&webhooks::deliveries(&api.endpoint()?, &id)?)
        }
        WebhookCommand::Redeliver { id, delivery, api } => {
            render.report(&webhooks::redeliver(&api.endpoint()?, &id, &delivery)?)
        }
    }
}
