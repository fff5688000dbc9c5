//! API keys: list, create (the key shown once), revoke ([`crate::admin`] does the work).

use super::*;

pub async fn list_keys(State(state): St) -> ApiResult<Response> {
    let keys = state
        .admin("", |admin| admin::list_keys(admin.store))
        .await?;
    ok(&KeyList { keys })
}

pub async fn create_key(
    State(state): St,
    Extension(caller): Extension<Caller>,
    Json(request): Json<CreateKeyRequest>,
) -> ApiResult<Response> {
    let new = state
        .admin(&caller.0.id, move |admin| {
            admin.create_key(&request.name, &request.scopes)
        })
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
    let revoking = id.clone();
    state
        .admin(&caller.0.id, move |admin| admin.revoke_key(&revoking))
        .await?;
    ok(&KeyRevoked { id, revoked: true })
}
