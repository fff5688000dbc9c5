//! Liveness, what this server is, and the local faucet.

use super::*;

pub async fn health(State(state): St) -> ApiResult<Response> {
    let reachable = blocking(&state, None, |c| Ok(c.slot().is_ok())).await?;
    ok(&Health {
        status: "ok",
        cluster: state.client.cluster().url.clone(),
        cluster_reachable: reachable,
    })
}

pub async fn info(State(state): St) -> ApiResult<Response> {
    ok(&state.client.info())
}

/// The most SOL one airdrop asks the local faucet for.
const AIRDROP_MAX_LAMPORTS: u64 = 100_000_000_000;

pub async fn dev_airdrop(
    State(state): St,
    Extension(caller): Extension<Caller>,
    Json(request): Json<AirdropRequest>,
) -> ApiResult<Response> {
    if !state.client.cluster().is_localnet() {
        return Err(ApiError::new(
            ApiCode::AirdropUnavailable,
            format!(
                "airdrops come from the local node's faucet; this server talks to {}",
                state.client.cluster().name
            ),
        )
        .hint(
            "fund the owner from a faucet of that cluster, or start `leash up` for a local node",
        ));
    }
    let to = address("to", &request.to)?;
    let amount = amount("amount", &request.amount)?;
    let lamports = amount
        .base_units(9)
        .map_err(|e| ApiError::from_client(e, Some("amount")))?;
    if lamports == 0 || lamports > AIRDROP_MAX_LAMPORTS {
        return Err(ApiError::invalid(
            "amount",
            "amount must be more than 0 and at most 100 SOL",
        ));
    }
    let dropped = blocking(&state, Some("amount"), move |c| {
        c.airdrop(&to, &amount, &TokenRef::Sol)
    })
    .await?;
    state
        .audit(
            &caller.0.id,
            "dev.airdrop",
            &format!("account/{to}"),
            serde_json::json!({ "amount": dropped.amount, "signature": dropped.signature }),
        )
        .await?;
    ok(&dropped)
}
