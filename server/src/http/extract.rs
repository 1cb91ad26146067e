//! What the routes take from a request, each refusing with the service's error JSON (never
//! axum's default text): bounded JSON and form bodies, path ids, the authenticated caller
//! (HTTP Basic or a token through `caveat-token-axum`), and the rate limit.

use axum::body::to_bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::header::{
    AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE,
};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use caveat_token_axum::{AuthRejection, ClientIp, Verified};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use super::AppState;
use crate::service::{ServiceError, User};

/// Largest request body, in bytes: a token request is a few KiB at most.
pub const MAX_BODY: usize = 64 * 1024;

/// An error response: a status and a JSON body.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: Value,
    www_authenticate: Option<&'static str>,
    retry_after: bool,
}

impl ApiError {
    /// Any status with any JSON body.
    pub fn new(status: StatusCode, body: Value) -> Self {
        Self {
            status,
            body,
            www_authenticate: None,
            retry_after: false,
        }
    }

    /// A service-style error: `{"error":{"id","details","description"}}`.
    pub fn with_id(status: StatusCode, id: &str, description: &str) -> Self {
        Self::new(
            status,
            json!({"error": {"id": id, "details": {}, "description": description}}),
        )
    }

    /// 400 `malformedData`.
    pub fn malformed(what: &str) -> Self {
        Self::with_id(
            StatusCode::BAD_REQUEST,
            "malformedData",
            &format!("Provided data could not be understood by the server: {what}."),
        )
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        let status = match &e {
            ServiceError::Unauthorized => StatusCode::UNAUTHORIZED,
            ServiceError::NotFound => StatusCode::NOT_FOUND,
            ServiceError::Internal(cause) => {
                eprintln!("caveat-server: internal error: {cause}");
                StatusCode::INTERNAL_SERVER_ERROR
            }
            ServiceError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        };
        let mut error = Self::new(status, e.to_json());
        error.retry_after = status == StatusCode::SERVICE_UNAVAILABLE;
        if status == StatusCode::UNAUTHORIZED {
            error.www_authenticate = Some("Basic realm=\"caveat-server\", Bearer");
        }
        error
    }
}

impl From<AuthRejection> for ApiError {
    fn from(r: AuthRejection) -> Self {
        let mut error = Self::new(r.status(), r.to_json());
        error.www_authenticate = r.www_authenticate();
        error
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, self.body.to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(value) = self.www_authenticate {
            headers.insert(WWW_AUTHENTICATE, HeaderValue::from_static(value));
        }
        if self.retry_after {
            headers.insert(RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}

/// A JSON body, at most [`MAX_BODY`] bytes.
#[derive(Debug)]
pub struct Json<T>(pub T);

/// A form-encoded body, at most [`MAX_BODY`] bytes.
#[derive(Debug)]
pub struct Form<T>(pub T);

async fn body(request: Request) -> Result<axum::body::Bytes, ApiError> {
    to_bytes(request.into_body(), MAX_BODY).await.map_err(|_| {
        ApiError::with_id(
            StatusCode::PAYLOAD_TOO_LARGE,
            "requestTooLarge",
            &format!("The request body is over {MAX_BODY} bytes."),
        )
    })
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, _state: &S) -> Result<Self, ApiError> {
        let bytes = body(request).await?;
        serde_json::from_slice(&bytes)
            .map(Self)
            .map_err(|_| ApiError::malformed("expected a JSON object of the documented shape"))
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Form<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, _state: &S) -> Result<Self, ApiError> {
        let bytes = body(request).await?;
        serde_urlencoded::from_bytes(&bytes)
            .map(Self)
            .map_err(|_| ApiError::malformed("expected an application/x-www-form-urlencoded body"))
    }
}

/// One path segment (a token id).
#[derive(Debug)]
pub struct Id(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<String>::from_request_parts(parts, state)
            .await
            .map(|Path(id)| Self(id))
            .map_err(|_| ApiError::malformed("bad path"))
    }
}

/// The caller: HTTP Basic (user name and password) or an access token (`X-Auth-Token`,
/// `Authorization: Bearer`) verified by the authentication layer.
#[derive(Debug, Clone)]
pub struct Caller(pub User);

/// The user and password of an `Authorization: Basic` header, if the request has one.
fn basic(parts: &Parts) -> Option<Result<(String, String), ApiError>> {
    let value = parts.headers.get(AUTHORIZATION)?.as_bytes();
    let encoded = value
        .get(..6)
        .filter(|p| p.eq_ignore_ascii_case(b"basic "))
        .and_then(|_| value.get(6..))?;
    let bad = || ApiError::from(ServiceError::Unauthorized);
    let decoded = STANDARD
        .decode(encoded.trim_ascii())
        .ok()
        .and_then(|d| String::from_utf8(d).ok());
    Some(
        decoded
            .and_then(|text| {
                text.split_once(':')
                    .map(|(u, p)| (u.to_owned(), p.to_owned()))
            })
            .ok_or_else(bad),
    )
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        // Every caller's rights depend on revocable state: a node out of sync decides nothing.
        if !state.service.in_sync() {
            return Err(ServiceError::Unavailable {
                lag: std::time::Duration::ZERO,
            }
            .into());
        }
        if let Some(credentials) = basic(parts) {
            let (name, password) = credentials?;
            // Wrong passwords count against the client's rate limit (guessing costs time).
            return match state.service.login(&name, &password).await {
                Ok(user) => Ok(Self(user)),
                Err(e) => {
                    Limited::from_request_parts(parts, state).await?;
                    Err(e.into())
                }
            };
        }
        let verified =
            <Verified as axum::extract::OptionalFromRequestParts<AppState>>::from_request_parts(
                parts, state,
            )
            .await;
        let verified = match verified {
            Err(AuthRejection::Refused(r)) if r.id() == "tokenInvalid" => {
                return read_through(parts, state, AuthRejection::Refused(r)).await;
            }
            other => other?,
        };
        match verified {
            Some(verified) => state
                .service
                .token_user(verified.token())
                .map(Self)
                .map_err(refused),
            None => Err(ServiceError::Unauthorized.into()),
        }
    }
}

/// The token of a request (`X-Auth-Token`, or `Authorization: Bearer`).
fn presented(parts: &Parts) -> Option<&str> {
    if let Some(v) = parts.headers.get("x-auth-token") {
        return v.to_str().ok().map(str::trim);
    }
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// A token the authentication layer did not know (`tokenInvalid`) may be another node's, not
/// mirrored yet: the service looks it up once and verifies it again as the layer does (REST,
/// access, the client's address). If it still does not verify, the layer's refusal stands.
async fn read_through(
    parts: &mut Parts,
    state: &AppState,
    rejection: AuthRejection,
) -> Result<Caller, ApiError> {
    let Some(text) = presented(parts).map(str::to_owned) else {
        return Err(rejection.into());
    };
    // Verified again even when the lookup learnt nothing: the layer's refusal may also have
    // come from a moment the node was out of sync, which this verification tells apart.
    state.service.read_through(&text).await;
    let ip = ClientIp::from_request_parts(parts, state)
        .await
        .ok()
        .map(|ClientIp(ip)| ip);
    let ctx = crate::service::Service::context(
        crate::service::now(),
        ip,
        Some("rest"),
        caveat_token::Expect::Access,
    )?;
    match state.service.verify(&text, &ctx) {
        Ok(verified) => state
            .service
            .token_user(&verified)
            .map(Caller)
            .map_err(refused),
        Err(ServiceError::Token(_)) => Err(rejection.into()),
        Err(e) => Err(e.into()),
    }
}

/// A token that verified but may not act (a provider's, or of a revoked refresh family): 401
/// as the authentication layer refuses, with the reason's id.
fn refused(e: ServiceError) -> ApiError {
    if let ServiceError::Unavailable { .. } = e {
        return e.into();
    }
    let mut error = ApiError::new(
        StatusCode::UNAUTHORIZED,
        json!({"error": {"id": "unauthorized", "details": {"authError": {"id": e.id()}},
                         "description": "The token was refused."}}),
    );
    error.www_authenticate = Some("Bearer error=\"invalid_token\"");
    error
}

/// Admits the request under the per-client rate limit (429 `tooManyRequests` otherwise).
#[derive(Debug)]
pub struct Limited(pub Option<std::net::IpAddr>);

impl FromRequestParts<AppState> for Limited {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let ip = ClientIp::from_request_parts(parts, state)
            .await
            .ok()
            .map(|ClientIp(ip)| ip);
        if state.limiter.admit(ip) {
            Ok(Self(ip))
        } else {
            let mut error = ApiError::with_id(
                StatusCode::TOO_MANY_REQUESTS,
                "tooManyRequests",
                "Too many requests from this client; retry later.",
            );
            error.retry_after = true;
            Err(error)
        }
    }
}
