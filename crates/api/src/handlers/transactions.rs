//! Holders' transactions (simulate, build an unsigned `Execute`) and submitting signed ones.

use super::*;

pub async fn simulate(
    State(state): St,
    Path(session): Path<String>,
    Json(request): Json<ActionRequest>,
) -> ApiResult<Response> {
    let session = address("session", &session)?;
    let action = action(request)?;
    ok(&blocking(&state, Some("action"), move |c| {
        c.simulate_execute(&session, &action)
    })
    .await?)
}

pub async fn build_execute(
    State(state): St,
    Extension(caller): Extension<Caller>,
    Path(session): Path<String>,
    Json(request): Json<ActionRequest>,
) -> ApiResult<Response> {
    let session = address("session", &session)?;
    let action = action(request)?;
    let built: BuiltExecute = blocking(&state, Some("action"), move |c| {
        c.build_execute(&session, &action)
    })
    .await?;
    state
        .audit(
            &caller.0.id,
            "execute.build",
            &format!("session/{session}"),
            serde_json::json!({ "what": built.what }),
        )
        .await?;
    ok(&built)
}

pub async fn submit(
    State(state): St,
    Extension(caller): Extension<Caller>,
    Json(request): Json<SubmitRequest>,
) -> ApiResult<Response> {
    use base64::Engine;
    let bytes = base64::prelude::BASE64_STANDARD
        .decode(request.transaction.trim())
        .map_err(|_| ApiError::invalid("transaction", "transaction must be base64"))?;
    let mut tx: Transaction = bincode::deserialize(&bytes).map_err(|_| {
        ApiError::invalid(
            "transaction",
            "transaction is not a wire-format Solana transaction",
        )
    })?;
    let mut local_signer = None;
    if request.sign_with_local_signer {
        if !crate::keys::allows(&caller.0.scopes, Scope::Admin) {
            return Err(ApiError::new(
                ApiCode::ScopeMissing,
                "signing with the local signer needs the `admin` scope",
            )
            .field("sign_with_local_signer"));
        }
        let Some(signer) = state.signer() else {
            return Err(ApiError::invalid(
                "sign_with_local_signer",
                "this server has no local signer",
            )
            .hint("start it with `leash serve --signer KEYPAIR`, or sign elsewhere"));
        };
        let blockhash = tx.message.recent_blockhash;
        tx.try_partial_sign(&[signer], blockhash).map_err(|_| {
            ApiError::new(
                ApiCode::SignerMismatch,
                format!(
                    "the local signer {} is not a signer of this transaction",
                    signer.pubkey()
                ),
            )
            .field("transaction")
        })?;
        local_signer = Some(signer.pubkey().to_string());
    }
    if tx.signatures.is_empty()
        || tx
            .signatures
            .iter()
            .any(|s| *s == solana_signature::Signature::default())
    {
        return Err(ApiError::invalid(
            "transaction",
            "transaction is not signed by every signer it names",
        )
        .hint("sign the prepared transaction with the owner's (or session) key first"));
    }
    let message = tx.message_data();
    let verified = tx
        .signatures
        .iter()
        .zip(tx.message.account_keys.iter())
        .all(|(signature, key)| signature.verify(key.as_ref(), &message));
    if !verified {
        return Err(ApiError::invalid(
            "transaction",
            "a signature of the transaction does not verify",
        )
        .hint("sign the transaction's message as prepared, without changing it"));
    }
    let first = tx.signatures[0].to_string();
    let outcome = blocking(&state, None, move |c| c.submit(&tx)).await;
    let mut extra = serde_json::Map::new();
    extra.insert("signature".into(), serde_json::Value::String(first.clone()));
    if let Some(signer) = local_signer {
        extra.insert("local_signer".into(), serde_json::Value::String(signer));
    }
    let resource = format!("transaction/{first}");
    audited_submission(
        &state,
        &caller,
        ("transaction.submit", &resource),
        outcome,
        extra,
    )
    .await
}

/// Audits a submission as `event` (type, resource) — its signature and status, or the
/// failure's code, with the fields of `extra` it does not already have — then answers it.
pub(super) async fn audited_submission(
    state: &AppState,
    caller: &Caller,
    event: (&str, &str),
    outcome: ApiResult<solana_signature::Signature>,
    extra: serde_json::Map<String, serde_json::Value>,
) -> ApiResult<Response> {
    let mut payload = match &outcome {
        Ok(signature) => {
            serde_json::json!({ "signature": signature.to_string(), "status": "confirmed" })
        }
        Err(e) => serde_json::json!({ "status": "failed", "code": e.code }),
    };
    if let Some(fields) = payload.as_object_mut() {
        for (key, value) in extra {
            fields.entry(key).or_insert(value);
        }
    }
    let (event_type, resource) = event;
    state
        .audit(&caller.0.id, event_type, resource, payload)
        .await?;
    let signature = outcome?;
    ok(&Submitted {
        signature: signature.to_string(),
        status: "confirmed".into(),
    })
}
