//! The extractors: [`Verified`], `Option<Verified>` and [`ClientIp`]. Each reads what the
//! [`AuthLayer`](crate::AuthLayer) left on the request; without the layer they refuse with
//! 500 `authLayerMissing` rather than panic.

use std::net::IpAddr;
use std::ops::Deref;

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use caveat_token::VerifiedToken;
use http::request::Parts;

use crate::auth::{Outcome, TokenState};
use crate::engine::Held;
use crate::rejection::AuthRejection;

/// The request's token, verified and cleared against the request's context. Refuses (401)
/// when the request has no token or a bad one.
///
/// As `Option<Verified>`: `None` when the request has no token at all; a token that is present
/// but fails is still refused, never read as anonymous.
#[derive(Clone, Debug)]
pub struct Verified(Held);

impl Verified {
    /// The verified token.
    #[must_use]
    pub fn token(&self) -> &VerifiedToken {
        &self.0
    }

    /// The token's own id.
    #[must_use]
    pub fn token_id(&self) -> String {
        self.0.token_id()
    }

    /// Who the token speaks for, as text (`usr-<id>` / `prv-<id>`).
    #[must_use]
    pub fn subject(&self) -> String {
        self.0.subject()
    }
}

impl Deref for Verified {
    type Target = VerifiedToken;

    fn deref(&self) -> &VerifiedToken {
        &self.0
    }
}

fn outcome(parts: &Parts) -> Result<&Outcome, AuthRejection> {
    parts
        .extensions
        .get::<Outcome>()
        .ok_or(AuthRejection::LayerMissing)
}

impl<S: Send + Sync> FromRequestParts<S> for Verified {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, AuthRejection> {
        match &outcome(parts)?.token {
            TokenState::Verified(held) => Ok(Self(held.clone())),
            TokenState::Absent => Err(AuthRejection::Missing),
            TokenState::Rejected(rejection) => Err(rejection.clone()),
        }
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for Verified {
    type Rejection = AuthRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, AuthRejection> {
        match &outcome(parts)?.token {
            TokenState::Verified(held) => Ok(Some(Self(held.clone()))),
            TokenState::Absent => Ok(None),
            TokenState::Rejected(rejection) => Err(rejection.clone()),
        }
    }
}

/// The client's address: the socket peer (IPv4-mapped IPv6 read as IPv4), or behind a trusted
/// proxy the first untrusted hop of its forwarding header. The same address the token was
/// verified with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, AuthRejection> {
        match &outcome(parts)?.client_ip {
            Ok(Some(ip)) => Ok(Self(*ip)),
            Ok(None) => Err(AuthRejection::ClientAddressUnknown),
            Err(rejection) => Err(rejection.clone()),
        }
    }
}
