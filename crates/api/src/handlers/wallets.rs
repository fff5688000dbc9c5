//! Wallets: prepare, show, an owner's list, and moving funds in and out of the vault.

use super::*;

pub async fn prepare_wallet(
    State(state): St,
    Extension(caller): Extension<Caller>,
    Json(request): Json<PrepareWalletRequest>,
) -> ApiResult<Response> {
    let owner = address("owner", &request.owner)?;
    if request.name.is_empty() || request.name.len() > 64 {
        return Err(ApiError::invalid("name", "name must be 1–64 bytes"));
    }
    let name = request.name.clone();
    let p = blocking(&state, None, move |c| {
        c.prepare_create_wallet(&owner, &name)
    })
    .await?;
    keep_name(&state, &p.report.wallet, "wallet", &request.name).await;
    let resource = format!("wallet/{}", p.report.wallet);
    prepared(&state, &caller, "wallet.prepare", resource, p).await
}

pub async fn show_wallet(State(state): St, Path(wallet): Path<String>) -> ApiResult<Response> {
    let wallet = wallet_ref(&state, &wallet).await?;
    ok(&blocking(&state, None, move |c| c.show_wallet(&wallet)).await?)
}

pub async fn account_balances(
    State(state): St,
    Path(account): Path<String>,
) -> ApiResult<Response> {
    let key = address("address", &account)?;
    ok(&blocking(&state, None, move |c| c.account_balances(&key)).await?)
}

pub async fn owner_wallets(State(state): St, Path(owner): Path<String>) -> ApiResult<Response> {
    let key = address("owner", &owner)?;
    let wallets = blocking(&state, None, move |c| c.wallets_of(&key)).await?;
    ok(&OwnerWallets {
        owner: key.to_string(),
        wallets: wallets
            .into_iter()
            .map(|w| WalletEntry {
                wallet: w.address.to_string(),
                vault: w.vault.to_string(),
            })
            .collect(),
    })
}

pub async fn prepare_deposit(
    State(state): St,
    Extension(caller): Extension<Caller>,
    Path(wallet): Path<String>,
    Json(request): Json<DepositRequest>,
) -> ApiResult<Response> {
    let amount = amount("amount", &request.amount)?;
    let token = TokenRef::new(&request.token);
    let payer = passkey::payer_for(&state, &caller).ok();
    prepare_on_wallet(
        &state,
        &caller,
        &wallet,
        "wallet.deposit.prepare",
        Some("amount"),
        move |c, w| {
            // A passkey holds no funds: the server's signer deposits (docs/api.md).
            let mut from = w.clone();
            if let (true, Some(payer)) = (w.is_passkey(), payer) {
                from.owner = payer;
            }
            c.prepare_deposit(&from, &amount, &token)
        },
    )
    .await
}

pub async fn prepare_withdraw(
    State(state): St,
    Extension(caller): Extension<Caller>,
    Path(wallet): Path<String>,
    Json(request): Json<WithdrawRequest>,
) -> ApiResult<Response> {
    let amount = amount("amount", &request.amount)?;
    let token = TokenRef::new(&request.token);
    let to = optional_address("to", request.to.as_deref())?;
    let payer = passkey::payer_for(&state, &caller).ok();
    prepare_on_wallet(
        &state,
        &caller,
        &wallet,
        "wallet.withdraw.prepare",
        Some("amount"),
        move |c, w| {
            let to = to.or(payer.filter(|_| w.is_passkey()));
            c.prepare_withdraw(w, &amount, &token, to)
        },
    )
    .await
}

pub async fn prepare_sweep(
    State(state): St,
    Extension(caller): Extension<Caller>,
    Path(wallet): Path<String>,
    Json(request): Json<SweepRequest>,
) -> ApiResult<Response> {
    let to = optional_address("to", request.to.as_deref())?;
    let payer = passkey::payer_for(&state, &caller).ok();
    prepare_on_wallet(
        &state,
        &caller,
        &wallet,
        "wallet.sweep.prepare",
        Some("to"),
        move |c, w| c.prepare_sweep(w, to.or(payer.filter(|_| w.is_passkey()))),
    )
    .await
}
