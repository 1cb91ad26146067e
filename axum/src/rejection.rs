//! What a refused request gets back: a status, RFC 6750's `WWW-Authenticate` where it applies,
//! and the library's error JSON `{"error":{"id","details","description"}}`, with a token's own
//! failure nested under `details.authError` the way Onezone nests authentication errors.
//!
//! | id | status | `WWW-Authenticate` | when |
//! |---|---|---|---|
//! | `unauthorized` | 401 | `Bearer` | no token in the request |
//! | `unauthorized` (+ `details.authError`) | 401 | `Bearer error="invalid_token"` | the token failed (format, signature, revocation, type, caveat) |
//! | `multipleTokens` | 400 | `Bearer error="invalid_request"` | two different tokens in one request |
//! | `badForwardedHeader` | 400 | — | a trusted proxy's `X-Forwarded-For` / `Forwarded` cannot be used |
//! | `authLayerMissing` | 500 | — | an extractor ran on a route without the layer |
//! | `clientAddressUnknown` | 500 | — | `ClientIp` on a server not run with connect info |
//!
//! `details.authError` holds the library's stable error id and, for a caveat that does not
//! hold, its reason; nothing else about the token, the keys or the caveats is shown unless
//! [`AuthenticatorBuilder::expose_details`](crate::AuthenticatorBuilder::expose_details) is set.

use std::fmt;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use http::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE, WWW_AUTHENTICATE};
use http::StatusCode;
use serde_json::{json, Map, Value};

use crate::client_ip::Malformed;
use crate::engine::Refusal;

/// Why a request was refused. Render it with [`IntoResponse`]; match on [`AuthRejection::id`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum AuthRejection {
    /// No token in the request (401 `unauthorized`).
    Missing,
    /// The token failed (401 `unauthorized` with `details.authError`).
    Refused(TokenRefused),
    /// Two different tokens in one request (400 `multipleTokens`).
    MultipleTokens,
    /// A trusted proxy's forwarding header cannot be used (400 `badForwardedHeader`).
    BadForwardedHeader {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An extractor ran without the layer in front of it (500 `authLayerMissing`).
    LayerMissing,
    /// The client address was asked for but the server was not run with connect info
    /// (500 `clientAddressUnknown`).
    ClientAddressUnknown,
}

/// A token that failed verification: what the client is told, and (for the server's logs
/// only) the library's whole error object.
#[derive(Clone, Debug, PartialEq)]
pub struct TokenRefused {
    refusal: Refusal,
    expose: bool,
}

impl TokenRefused {
    pub(crate) fn new(refusal: Refusal, expose: bool) -> Self {
        Self { refusal, expose }
    }

    /// The library's stable error id (e.g. `tokenInvalid`, `tokenCaveatUnverified`).
    #[must_use]
    pub fn id(&self) -> &'static str {
        self.refusal.id
    }

    /// The failing caveat's reason, when the library gave one.
    #[must_use]
    pub fn reason(&self) -> Option<&str> {
        self.refusal.reason.as_deref()
    }

    /// The library's whole error object `{"id","details","description"}`, for the server's
    /// logs; it is sent to the client only with `expose_details`.
    #[must_use]
    pub fn library_error(&self) -> &Value {
        &self.refusal.full
    }

    /// The object sent as `details.authError`.
    #[must_use]
    pub fn auth_error(&self) -> Value {
        if self.expose {
            return self.refusal.full.clone();
        }
        let mut details = Map::new();
        if let Some(reason) = &self.refusal.reason {
            details.insert("reason".into(), json!(reason));
        }
        json!({
            "id": self.refusal.id,
            "details": details,
            "description": describe(self.refusal.id),
        })
    }
}

/// A description of a token failure that says nothing about this token.
fn describe(id: &str) -> &'static str {
    match id {
        "badToken" | "tokenTooLarge" => "Provided token could not be understood.",
        "tokenInvalid" => "Provided token is not valid.",
        "tokenRevoked" => "Provided token has been revoked.",
        "tokenCaveatUnverified" => "A caveat of the provided token does not hold for this request.",
        "tokenCaveatUnknown" => "Provided token has a caveat this service does not understand.",
        "notAnAccessToken" | "notAnIdentityToken" | "notAnInviteToken" => {
            "Provided token is not of the kind this operation accepts."
        }
        _ => "Provided token was refused.",
    }
}

const UNAUTHORIZED: &str = "You must authenticate yourself to perform this operation.";

impl AuthRejection {
    /// The HTTP status.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Missing | Self::Refused(_) => StatusCode::UNAUTHORIZED,
            Self::MultipleTokens | Self::BadForwardedHeader { .. } => StatusCode::BAD_REQUEST,
            Self::LayerMissing | Self::ClientAddressUnknown => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable error id of the response body.
    #[must_use]
    pub fn id(&self) -> &'static str {
        match self {
            Self::Missing | Self::Refused(_) => "unauthorized",
            Self::MultipleTokens => "multipleTokens",
            Self::BadForwardedHeader { .. } => "badForwardedHeader",
            Self::LayerMissing => "authLayerMissing",
            Self::ClientAddressUnknown => "clientAddressUnknown",
        }
    }

    /// The `WWW-Authenticate` value RFC 6750 §3 asks for, if any.
    #[must_use]
    pub fn www_authenticate(&self) -> Option<&'static str> {
        match self {
            Self::Missing => Some("Bearer"),
            Self::Refused(_) => Some("Bearer error=\"invalid_token\""),
            Self::MultipleTokens => Some("Bearer error=\"invalid_request\""),
            _ => None,
        }
    }

    /// The body: `{"error":{"id","details","description"}}`.
    #[must_use]
    pub fn to_json(&self) -> Value {
        let (details, description) = match self {
            Self::Missing => (json!({}), UNAUTHORIZED.to_owned()),
            Self::Refused(refused) => (
                json!({"authError": refused.auth_error()}),
                format!("{UNAUTHORIZED} {}", describe(refused.id())),
            ),
            Self::MultipleTokens => (
                json!({}),
                "The request carries more than one token.".to_owned(),
            ),
            Self::BadForwardedHeader { reason } => (
                json!({"reason": reason}),
                format!("The forwarding header from the proxy cannot be used: {reason}."),
            ),
            Self::LayerMissing => (
                json!({}),
                "Server misconfiguration: the caveat-token authentication layer is not in front \
                 of this route."
                    .to_owned(),
            ),
            Self::ClientAddressUnknown => (
                json!({}),
                "Server misconfiguration: the client address is unknown (serve with \
                 into_make_service_with_connect_info::<SocketAddr>())."
                    .to_owned(),
            ),
        };
        json!({"error": {"id": self.id(), "details": details, "description": description}})
    }

    pub(crate) fn bad_forwarded(reason: Malformed) -> Self {
        Self::BadForwardedHeader { reason }
    }
}

impl fmt::Display for AuthRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_json()["error"]["description"].as_str() {
            Some(text) => f.write_str(text),
            None => f.write_str(self.id()),
        }
    }
}

impl std::error::Error for AuthRejection {}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        let mut response = Response::new(Body::from(self.to_json().to_string()));
        *response.status_mut() = self.status();
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(value) = self.www_authenticate() {
            headers.insert(WWW_AUTHENTICATE, HeaderValue::from_static(value));
        }
        response
    }
}
