//! Denials: the signature holds, but the token does not allow this request.

use std::fmt;

use serde_json::{json, Map, Value};

use super::{Detail, ErrorId};
use crate::denial::Denial;

/// The token is genuine but does not allow the request: a caveat does not hold, is not
/// understood, or the token is not of the type the request needs.
///
/// ```
/// use caveat_token::{Caveat, Context, Denial, DenialError, Error, RootKey, Token, Verifier};
///
/// let key = RootKey::from_bytes(b"a root key of at least 16 bytes")?;
/// # use caveat_token::{Identifier, Persistence, Subject, TokenType};
/// # let id = Identifier {
/// #     location: "auth.example.com".into(),
/// #     key_id: None,
/// #     token_id: "tok-0001".into(),
/// #     subject: Subject::User("alice".into()),
/// #     token_type: TokenType::Access { session: None },
/// #     persistence: Persistence::Named,
/// # };
/// let token = Token::mint(&key, &id, &[Caveat::time(100)])?;
/// match Verifier::new().verify(token, &key, &Context::at(200)) {
///     Err(Error::Denied(DenialError::CaveatUnverified { index: 0, reason, .. })) => {
///         assert_eq!(reason, Denial::Expired { valid_until: 100, now: 200 });
///     }
///     other => panic!("{other:?}"),
/// }
/// # Ok::<(), Error>(())
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DenialError {
    /// A caveat of a kind this verifier does not understand, or an application caveat with no
    /// registered predicate (id `tokenCaveatUnknown`).
    CaveatUnknown {
        /// Position of the caveat in the chain, from 0.
        index: usize,
        /// The caveat as text (its JSON, or hex of its bytes when it cannot be decoded).
        caveat: String,
    },
    /// A caveat that does not hold in the request context (id `tokenCaveatUnverified`).
    CaveatUnverified {
        /// Position of the caveat in the chain, from 0.
        index: usize,
        /// The caveat: a [`Caveat`](crate::Caveat) (`caveat.downcast_ref::<Caveat>()`).
        caveat: Detail,
        /// Why it does not hold (`details.reason` and its facts).
        reason: Denial,
    },
    /// A temporary token that carries no time caveat of its own (id `tokenTimeCaveatRequired`,
    /// `details.maxTtl` null): it would never expire.
    TimeCaveatRequired,
    /// An access token was expected (id `notAnAccessToken`).
    NotAnAccessToken {
        /// The type the token has: a [`TokenType`](crate::TokenType)`<'static>`.
        received: Detail,
    },
    /// An identity token was expected (id `notAnIdentityToken`).
    NotAnIdentityToken {
        /// The type the token has: a [`TokenType`](crate::TokenType)`<'static>`.
        received: Detail,
    },
    /// An invite token (of a given type, if any) was expected (id `notAnInviteToken`).
    NotAnInviteToken {
        /// The name of the invite type expected, if one was
        /// ([`InviteType::name`](crate::InviteType::name)).
        expected_invite_type: Option<&'static str>,
        /// The type the token has: a [`TokenType`](crate::TokenType)`<'static>`.
        received: Detail,
    },
}

impl DenialError {
    /// The stable id.
    #[must_use]
    pub const fn id(&self) -> ErrorId {
        match self {
            Self::CaveatUnknown { .. } => ErrorId::TokenCaveatUnknown,
            Self::CaveatUnverified { .. } => ErrorId::TokenCaveatUnverified,
            Self::TimeCaveatRequired => ErrorId::TokenTimeCaveatRequired,
            Self::NotAnAccessToken { .. } => ErrorId::NotAnAccessToken,
            Self::NotAnIdentityToken { .. } => ErrorId::NotAnIdentityToken,
            Self::NotAnInviteToken { .. } => ErrorId::NotAnInviteToken,
        }
    }

    pub(super) fn write_details(&self, d: &mut Map<String, Value>) {
        match self {
            Self::CaveatUnknown { index, caveat } => {
                d.insert("index".into(), json!(index));
                d.insert("caveat".into(), json!(caveat));
            }
            Self::CaveatUnverified {
                index,
                caveat,
                reason,
            } => {
                d.insert("index".into(), json!(index));
                d.insert("caveat".into(), caveat.to_json());
                reason.write_details(d);
            }
            Self::TimeCaveatRequired => {
                d.insert("maxTtl".into(), Value::Null);
            }
            Self::NotAnAccessToken { received } | Self::NotAnIdentityToken { received } => {
                d.insert("received".into(), received.to_json());
            }
            Self::NotAnInviteToken {
                expected_invite_type,
                received,
            } => {
                d.insert("expectedInviteType".into(), json!(expected_invite_type));
                d.insert("received".into(), received.to_json());
            }
        }
    }
}

impl fmt::Display for DenialError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::CaveatUnknown { index, caveat } => {
                write!(f, "Unknown caveat #{index}: {caveat}.")
            }
            Self::CaveatUnverified {
                index,
                caveat,
                reason,
            } => write!(
                f,
                "Token caveat #{index} could not be verified ({reason}): {caveat}."
            ),
            Self::TimeCaveatRequired => {
                f.write_str("A temporary token must carry a time caveat of its own.")
            }
            Self::NotAnAccessToken { received } => write!(
                f,
                "Received token is not an access token (received: {received})."
            ),
            Self::NotAnIdentityToken { received } => write!(
                f,
                "Received token is not an identity token (received: {received})."
            ),
            Self::NotAnInviteToken {
                expected_invite_type,
                received,
            } => match expected_invite_type {
                Some(t) => write!(
                    f,
                    "Received token is not a {t} invite token (received: {received})."
                ),
                None => write!(
                    f,
                    "Received token is not an invite token (received: {received})."
                ),
            },
        }
    }
}
