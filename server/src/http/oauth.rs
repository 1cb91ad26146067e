//! The OAuth-style token endpoint (`/token`, RFC 6749 errors), RFC 7662 `/introspect`, RFC 7009
//! `/revoke`, and Insight.io's API-token routes.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{json, Value};

use super::extract::{ApiError, Caller, Form, Limited};
use super::AppState;
use crate::service::{random_id, AccessGrant, NamedRequest};

/// The form of `POST /token` (client credentials and scope are accepted and ignored: every
/// client is public).
#[derive(Debug, Deserialize)]
pub(super) struct TokenForm {
    grant_type: Option<String>,
    username: Option<String>,
    password: Option<String>,
    refresh_token: Option<String>,
    apikey: Option<String>,
}

/// The IBM IAM API-key grant type.
const APIKEY_GRANT: &str = "urn:ibm:params:oauth:grant-type:apikey";

fn oauth_error(status: StatusCode, error: &str, description: &str) -> ApiError {
    ApiError::new(
        status,
        json!({"error": error, "error_description": description}),
    )
}

impl From<AccessGrant> for ApiError {
    fn from(e: AccessGrant) -> Self {
        match e {
            AccessGrant::InvalidGrant(d) => {
                oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", &d)
            }
            AccessGrant::InvalidRequest(d) => {
                oauth_error(StatusCode::BAD_REQUEST, "invalid_request", &d)
            }
            AccessGrant::Internal(e) => e.into(),
        }
    }
}

fn required<'a>(value: Option<&'a str>, name: &str) -> Result<&'a str, AccessGrant> {
    value.ok_or_else(|| AccessGrant::InvalidRequest(format!("missing {name}")))
}

/// `POST /token`.
pub(super) async fn token(
    State(state): State<AppState>,
    Limited(ip): Limited,
    Form(form): Form<TokenForm>,
) -> Result<Response, ApiError> {
    let service = &state.service;
    let pair = match form.grant_type.as_deref() {
        Some("password") => {
            let user = required(form.username.as_deref(), "username")?;
            let password = required(form.password.as_deref(), "password")?;
            service.password_grant(user, password).await?
        }
        Some("refresh_token") => {
            let refresh = required(form.refresh_token.as_deref(), "refresh_token")?;
            service.refresh_grant(refresh).await?
        }
        Some(APIKEY_GRANT) => {
            let apikey = required(form.apikey.as_deref(), "apikey")?;
            service.apikey_grant(apikey, ip).await?
        }
        Some(_) => {
            return Err(oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "supported: password, refresh_token, urn:ibm:params:oauth:grant-type:apikey",
            ))
        }
        None => return Err(AccessGrant::InvalidRequest("missing grant_type".into()).into()),
    };
    Ok(axum::Json(pair.to_json()).into_response())
}

/// The form of `/introspect` and `/revoke`.
#[derive(Debug, Deserialize)]
pub(super) struct TokenParam {
    token: Option<String>,
    #[allow(dead_code)] // RFC 7662/7009 allow it; the service tells token kinds apart itself
    token_type_hint: Option<String>,
}

/// `POST /introspect` (RFC 7662), for an authenticated caller.
pub(super) async fn introspect(
    State(state): State<AppState>,
    _caller: Caller,
    Form(form): Form<TokenParam>,
) -> Result<Response, ApiError> {
    let token = form
        .token
        .ok_or_else(|| oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "missing token"))?;
    Ok(axum::Json(state.service.introspect(&token).await?).into_response())
}

/// `POST /revoke` (RFC 7009): 200 for any token, even an invalid one.
pub(super) async fn revoke(
    State(state): State<AppState>,
    _: Limited,
    Form(form): Form<TokenParam>,
) -> Result<Response, ApiError> {
    let token = form
        .token
        .ok_or_else(|| oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "missing token"))?;
    if state.service.revoke_presented(&token).await? {
        Ok(StatusCode::OK.into_response())
    } else {
        Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_token_type",
            "a temporary token outside a refresh family is revoked only with all of its \
             subject's (DELETE /api/v3/onezone/user/tokens/temporary)",
        ))
    }
}

/// Insight's 401.
fn credentials_required() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        json!({"error": "Credentials required"}),
    )
}

fn insight_caller(caller: Result<Caller, ApiError>) -> Result<Caller, ApiError> {
    caller.map_err(|e| {
        if e.status() == StatusCode::UNAUTHORIZED {
            credentials_required()
        } else {
            e
        }
    })
}

/// `GET /api/createApiToken` -> `{"token"}`.
pub(super) async fn insight_create(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
) -> Result<Response, ApiError> {
    let Caller(user) = insight_caller(caller)?;
    let request = NamedRequest {
        name: Some(format!("api-token-{}", random_id()?)),
        token_type: None,
        caveats: None,
        custom_metadata: None,
    };
    let (_, token) = state
        .service
        .create_named(&user, &request, "insight")
        .await?;
    Ok(axum::Json(json!({"token": token})).into_response())
}

/// `GET /api/getApiTokens` -> `[{"uid","tokenId","created","lastUsed"}]`, times in ms.
pub(super) async fn insight_list(
    State(state): State<AppState>,
    caller: Result<Caller, ApiError>,
) -> Result<Response, ApiError> {
    let Caller(user) = insight_caller(caller)?;
    let rows = state.service.list_named(&user, Some("insight")).await?;
    let list: Vec<Value> = rows
        .into_iter()
        .map(|r| {
            json!({
                "uid": r.user_id,
                "tokenId": r.id,
                "created": r.created.saturating_mul(1000),
                "lastUsed": r.last_used.map(|t| t.saturating_mul(1000)),
            })
        })
        .collect();
    Ok(axum::Json(Value::Array(list)).into_response())
}

/// `GET /api/revokeApiToken` with the token in `X-Auth-Token` -> always 200.
pub(super) async fn insight_revoke(
    State(state): State<AppState>,
    _: Limited,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let token = headers
        .get("x-auth-token")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(credentials_required)?;
    state.service.revoke_presented(token).await?;
    Ok(axum::Json(json!({})).into_response())
}
