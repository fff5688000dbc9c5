//! Passkey owners (docs/api.md, "Passkey owners"): a wallet for a passkey the browser just
//! registered, and prepared passkey transactions completed with the browser's assertions. The
//! passkey authorizes; the key a request names in `Leash-Fee-Payer` pays and signs (the
//! server signs nothing), else the server's signer does.

use base64::Engine;
use leash_sdk::passkey::{compress_spki, signature_from_der, AssertionResponse};
use leash_sdk::state::Passkey;
use solana_keypair::Keypair;

use super::*;
use leash_client::wire::{PasskeySubmitRequest, PasskeyWalletRequest};

/// The server's signer, which pays for passkey wallets' transactions.
pub fn local_payer(state: &Arc<AppState>) -> ApiResult<Keypair> {
    state.signer().map(|k| k.insecure_clone()).ok_or_else(|| {
        ApiError::invalid(
            "wallet",
            "a passkey wallet's transactions are paid by the server's signer, and this server has none",
        )
        .hint("start it with `leash serve --signer KEYPAIR` (`leash up` does)")
    })
}

/// Who pays a passkey wallet's transactions: the browser's key named in `Leash-Fee-Payer`,
/// else the server's signer.
pub fn payer_for(state: &Arc<AppState>, caller: &Caller) -> ApiResult<Pubkey> {
    match caller.1 .0 {
        Some(payer) => Ok(payer),
        None => local_payer(state)
            .map(|k| k.pubkey())
            .map_err(|e| e.hint("send `Leash-Fee-Payer: <address>` with a key that pays (the dashboard makes one in the browser), or start the server with `--signer`")),
    }
}

fn base64url(field: &'static str, text: &str) -> ApiResult<Vec<u8>> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text.trim().trim_end_matches('='))
        .map_err(|_| ApiError::invalid(field, format!("{field} must be base64url")))
}

/// The passkey a wallet request names, its RP ID checked.
fn requested_passkey(request: &PasskeyWalletRequest) -> ApiResult<(Passkey, String)> {
    if request.name.is_empty() || request.name.len() > 64 {
        return Err(ApiError::invalid("name", "name must be 1–64 bytes"));
    }
    let rp_id = request.rp_id.trim().to_ascii_lowercase();
    if rp_id.is_empty() || rp_id.len() > 253 || rp_id.contains(['/', ':', ' ']) {
        return Err(ApiError::invalid(
            "rp_id",
            "rp_id must be a host name (the page's, as WebAuthn uses it)",
        ));
    }
    let der = base64url("public_key", &request.public_key)?;
    let key = compress_spki(&der).ok_or_else(|| {
        ApiError::invalid(
            "public_key",
            "public_key is not a P-256 SubjectPublicKeyInfo (create the credential with alg -7, ES256)",
        )
    })?;
    let passkey = Passkey {
        key,
        rp_id_hash: leash_sdk::passkey::sha256_of(rp_id.as_bytes()),
        user_verification: request.user_verification,
    };
    Ok((passkey, rp_id))
}

/// `POST /v1/passkey/wallets/prepare`: the wallet's creation, unsigned, paid by the
/// `Leash-Fee-Payer` key (the browser signs it and submits it as any prepared transaction).
pub async fn prepare_wallet(
    State(state): St,
    Extension(caller): Extension<Caller>,
    Json(request): Json<PasskeyWalletRequest>,
) -> ApiResult<Response> {
    let (passkey, _) = requested_passkey(&request)?;
    let payer = caller.1 .0.ok_or_else(|| {
        ApiError::invalid(
            "Leash-Fee-Payer",
            "preparing a passkey wallet needs the paying key in the Leash-Fee-Payer header",
        )
        .hint("or let the server's signer pay: POST /v1/passkey/wallets")
    })?;
    let name = request.name.clone();
    let p = blocking(&state, None, move |c| {
        c.prepare_create_passkey_wallet(&payer, &passkey, &name)
    })
    .await?;
    keep_name(&state, &p.report.wallet, "wallet", &request.name).await;
    let resource = format!("wallet/{}", p.report.wallet);
    prepared(&state, &caller, "passkey.wallet.prepare", resource, p).await
}

/// `POST /v1/passkey/wallets`: created and sent, the server's signer paying.
pub async fn create_wallet(
    State(state): St,
    Extension(caller): Extension<Caller>,
    Json(request): Json<PasskeyWalletRequest>,
) -> ApiResult<Response> {
    let (passkey, rp_id) = requested_passkey(&request)?;
    let payer = local_payer(&state)?;
    let payer_key = payer.pubkey();
    let balance = blocking(&state, None, move |c| {
        Ok(c.account(&payer_key)?.map(|a| a.lamports).unwrap_or(0))
    })
    .await?;
    if balance == 0 {
        return Err(ApiError::new(
            ApiCode::Other(crate::error::OtherCode::TransactionFailed),
            format!("the server's signer {payer_key} pays a passkey wallet's rent and fees, and holds no SOL"),
        )
        .hint("fund it (on a local node: the dashboard's airdrop, or `leash airdrop --to` it)"));
    }
    let name = request.name.clone();
    let created = blocking(&state, None, move |c| {
        let prepared = c.prepare_create_passkey_wallet(&payer.pubkey(), &passkey, &name)?;
        c.sign_and_send(prepared, &payer)
    })
    .await?;
    keep_name(&state, &created.wallet, "wallet", &request.name).await;
    state
        .audit(
            &caller.0.id,
            "passkey.wallet.create",
            &format!("wallet/{}", created.wallet),
            serde_json::json!({ "owner": created.owner, "rp_id": rp_id, "created": created.created }),
        )
        .await?;
    ok(&created)
}

/// The request's transaction and assertions, decoded.
fn decoded(request: &PasskeySubmitRequest) -> ApiResult<(Transaction, Vec<AssertionResponse>)> {
    let bytes = base64::prelude::BASE64_STANDARD
        .decode(request.transaction.trim())
        .map_err(|_| ApiError::invalid("transaction", "transaction must be base64"))?;
    let tx: Transaction = bincode::deserialize(&bytes).map_err(|_| {
        ApiError::invalid(
            "transaction",
            "transaction is not a wire-format Solana transaction",
        )
    })?;
    let mut responses = Vec::with_capacity(request.assertions.len());
    for assertion in &request.assertions {
        let der = base64url("assertions", &assertion.signature)?;
        responses.push(AssertionResponse {
            auth_data: base64url("assertions", &assertion.authenticator_data)?,
            client_data_json: base64url("assertions", &assertion.client_data_json)?,
            signature: signature_from_der(&der).ok_or_else(|| {
                ApiError::invalid(
                    "assertions",
                    "an assertion's signature is not DER ECDSA P-256",
                )
            })?,
        });
    }
    Ok((tx, responses))
}

/// `POST /v1/passkey/complete`: the transaction with the assertions in place, unsigned, for
/// its fee payer (the browser's key) to sign and submit.
pub async fn complete(
    State(state): St,
    Json(request): Json<PasskeySubmitRequest>,
) -> ApiResult<Response> {
    let (tx, responses) = decoded(&request)?;
    let completed = blocking(&state, Some("transaction"), move |c| {
        c.complete_passkey_transaction(&tx, &responses)
    })
    .await?;
    let bytes = bincode::serialize(&completed)
        .map_err(|_| ApiError::internal("cannot encode the completed transaction"))?;
    ok(&leash_client::wire::PasskeyCompleted {
        transaction: base64::prelude::BASE64_STANDARD.encode(bytes),
    })
}

/// `POST /v1/passkey/submit`: completed, signed by the server's signer as fee payer, sent.
pub async fn submit(
    State(state): St,
    Extension(caller): Extension<Caller>,
    Json(request): Json<PasskeySubmitRequest>,
) -> ApiResult<Response> {
    let (tx, responses) = decoded(&request)?;
    let payer = local_payer(&state)?;
    if tx.message.account_keys.first() != Some(&payer.pubkey()) {
        return Err(ApiError::invalid(
            "transaction",
            "the transaction is not paid by this server's signer; prepare it here",
        ));
    }
    let outcome = blocking(&state, Some("transaction"), move |c| {
        let mut tx = c.complete_passkey_transaction(&tx, &responses)?;
        let blockhash = tx.message.recent_blockhash;
        tx.try_sign(&[&payer], blockhash).map_err(|e| {
            leash_client::ClientError::internal(format!("the server's signer cannot sign: {e}"))
        })?;
        c.submit(&tx)
    })
    .await;
    super::transactions::audited_submission(
        &state,
        &caller,
        ("passkey.submit", "transaction/passkey"),
        outcome,
        serde_json::Map::new(),
    )
    .await
}
