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
/// The most of a faucet token one dashboard airdrop gives (a bound, not a sum: compared as a
/// number).
const TOKEN_AIRDROP_MAX: &str = "10000";
const TOKEN_AIRDROP_MAX_UNITS: f64 = 10_000.0;

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
    let token = match request.token.as_deref().map(str::trim) {
        None | Some("") => TokenRef::Sol,
        Some(t) if t.eq_ignore_ascii_case("sol") => TokenRef::Sol,
        Some(t) => TokenRef::new(t),
    };
    if token == TokenRef::Sol {
        let lamports = amount
            .base_units(9)
            .map_err(|e| ApiError::from_client(e, Some("amount")))?;
        if lamports == 0 || lamports > AIRDROP_MAX_LAMPORTS {
            return Err(ApiError::invalid(
                "amount",
                "amount must be more than 0 and at most 100 SOL",
            ));
        }
    } else if !amount
        .as_str()
        .parse::<f64>()
        .is_ok_and(|a| a > 0.0 && a <= TOKEN_AIRDROP_MAX_UNITS)
    {
        return Err(ApiError::invalid(
            "amount",
            format!("a test-token airdrop is more than 0 and at most {TOKEN_AIRDROP_MAX}"),
        ));
    }
    let dropped = blocking(&state, Some("token"), move |c| {
        c.airdrop(&to, &amount, &token)
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
