//! API keys: list, create (the key shown once), revoke.

use super::*;

pub async fn list_keys(State(state): St) -> ApiResult<Response> {
    let keys = state
        .store(|s| s.keys())
        .await
        .map_err(|_| ApiError::internal("the key store cannot be read"))?;
    ok(&KeyList { keys })
}

pub async fn create_key(
    State(state): St,
    Extension(caller): Extension<Caller>,
    Json(request): Json<CreateKeyRequest>,
) -> ApiResult<Response> {
    if !keys::valid_name(&request.name) {
        return Err(ApiError::invalid(
            "name",
            "name must be 1–64 printable characters",
        ));
    }
    if request.scopes.is_empty() {
        return Err(
            ApiError::invalid("scopes", "scopes must name at least one scope")
                .hint("read, write, admin or request"),
        );
    }
    let (name, scopes) = (request.name.clone(), request.scopes.clone());
    let new = state
        .store(move |s| keys::create_key(s, &name, &scopes))
        .await
        .map_err(|_| ApiError::internal("the key store cannot be written"))?;
    state
        .audit(
            &caller.0.id,
            "api_key.create",
            &format!("api_key/{}", new.record.id),
            serde_json::json!({ "name": new.record.name, "scopes": new.record.scopes }),
        )
        .await?;
    Ok(json(
        StatusCode::CREATED,
        &KeyCreated {
            key: new.key,
            record: new.record,
        },
    ))
}

pub async fn revoke_key(
    State(state): St,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let revoked = {
        let id = id.clone();
        state.store(move |s| s.revoke_key(&id)).await
    }
    .map_err(|_| ApiError::internal("the key store cannot be written"))?;
    if !revoked {
        return Err(ApiError::new(
            ApiCode::ApiKeyNotFound,
            format!("no live API key {id:?}"),
        ));
    }
    state
        .audit(
            &caller.0.id,
            "api_key.revoke",
            &format!("api_key/{id}"),
            serde_json::json!({}),
        )
        .await?;
    ok(&KeyRevoked { id, revoked: true })
}
