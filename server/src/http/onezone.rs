//! Onezone's token routes under `/api/v3/onezone`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use caveat_token::Expect;
use serde::Deserialize;
use serde_json::json;

use super::extract::{ApiError, Caller, Id, Json, Limited};
use super::AppState;
use crate::service::{NamedRequest, NamedUpdate, TemporaryRequest, VerifyRequest};

type Result<T> = std::result::Result<T, ApiError>;

/// `POST /user/tokens/temporary` -> 201 `{"token"}`.
pub(super) async fn create_temporary(
    State(state): State<AppState>,
    Caller(user): Caller,
    Json(request): Json<TemporaryRequest>,
) -> Result<Response> {
    let token = state.service.create_temporary(&user, &request).await?;
    Ok((StatusCode::CREATED, axum::Json(json!({"token": token}))).into_response())
}

/// `GET /user/tokens/temporary` -> `{"generation"}`.
pub(super) async fn generation(
    State(state): State<AppState>,
    Caller(user): Caller,
) -> Result<Response> {
    let generation = state.service.temporary_generation(&user).await?;
    Ok(axum::Json(json!({"generation": generation})).into_response())
}

/// `DELETE /user/tokens/temporary` -> 204, every temporary token of the user revoked.
pub(super) async fn revoke_all(
    State(state): State<AppState>,
    Caller(user): Caller,
) -> Result<StatusCode> {
    state.service.revoke_all_temporary(&user).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /user/tokens/named` -> 201 `{"tokenId","token"}`.
pub(super) async fn create_named(
    State(state): State<AppState>,
    Caller(user): Caller,
    Json(request): Json<NamedRequest>,
) -> Result<Response> {
    let (id, token) = state
        .service
        .create_named(&user, &request, "onezone")
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({"tokenId": id, "token": token})),
    )
        .into_response())
}

/// `GET /user/tokens/named` -> `{"tokens":[ids]}`.
pub(super) async fn list_named(
    State(state): State<AppState>,
    Caller(user): Caller,
) -> Result<Response> {
    let rows = state.service.list_named(&user, None).await?;
    let ids: Vec<_> = rows.into_iter().map(|r| r.id).collect();
    Ok(axum::Json(json!({"tokens": ids})).into_response())
}

/// `GET /tokens/named/{id}` -> the record (never the token).
pub(super) async fn get_named(
    State(state): State<AppState>,
    Caller(user): Caller,
    Id(id): Id,
) -> Result<Response> {
    Ok(axum::Json(state.service.get_named(&user, &id).await?).into_response())
}

/// `PATCH /tokens/named/{id}` -> 204.
pub(super) async fn update_named(
    State(state): State<AppState>,
    Caller(user): Caller,
    Id(id): Id,
    Json(update): Json<NamedUpdate>,
) -> Result<StatusCode> {
    state.service.update_named(&user, &id, &update).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /tokens/named/{id}` -> 204.
pub(super) async fn delete_named(
    State(state): State<AppState>,
    Caller(user): Caller,
    Id(id): Id,
) -> Result<StatusCode> {
    state.service.delete_named(&user, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn verify(state: &AppState, request: &VerifyRequest, expect: Expect) -> Result<Response> {
    Ok(axum::Json(state.service.verify_request(request, expect).await?).into_response())
}

/// `POST /tokens/verify_access_token` -> `{"subject","ttl"}`.
pub(super) async fn verify_access(
    State(state): State<AppState>,
    _: Limited,
    Json(request): Json<VerifyRequest>,
) -> Result<Response> {
    verify(&state, &request, Expect::Access).await
}

/// `POST /tokens/verify_identity_token` -> `{"subject","ttl"}`.
pub(super) async fn verify_identity(
    State(state): State<AppState>,
    _: Limited,
    Json(request): Json<VerifyRequest>,
) -> Result<Response> {
    verify(&state, &request, Expect::Identity).await
}

/// `POST /tokens/verify_invite_token` -> `{"subject","ttl","type"}`.
pub(super) async fn verify_invite(
    State(state): State<AppState>,
    _: Limited,
    Json(request): Json<VerifyRequest>,
) -> Result<Response> {
    verify(&state, &request, Expect::Invite(None)).await
}

/// The body of `examine`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ExamineRequest {
    token: Option<String>,
}

/// `POST /tokens/examine` -> what the token says about itself, unverified.
pub(super) async fn examine(
    State(state): State<AppState>,
    _: Limited,
    Json(request): Json<ExamineRequest>,
) -> Result<Response> {
    Ok(axum::Json(state.service.examine(request.token.as_deref())?).into_response())
}
