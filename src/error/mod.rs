//! The crate's error type: one enum of phases, each with its own error, stable string ids and a
//! JSON form.
//!
//! Every failure has an id (camelCase, stable across releases, following Onedata's ids where they
//! fit) that tests, vectors and scripts match on; the ids are written once, in [`ids`].
//! [`Error::to_json`] gives the wire form `{"error":{"id":…,"details":{…},"description":…}}`.
//!
//! | phase | type | ids |
//! |---|---|---|
//! | decoding | [`DecodeError`] | `badToken`, `tokenTooLarge` |
//! | the signature | [`SignatureError`] | `tokenInvalid` |
//! | clearing caveats, token type | [`DenialError`] | `tokenCaveatUnknown`, `tokenCaveatUnverified`, `tokenTimeCaveatRequired`, `notAn…Token` |
//! | revocation | [`RevocationError`] | `tokenRevoked` |
//! | third-party discharges | [`DischargeError`] | `discharge…`, `thirdPartyCaveatInvalid` |
//! | constructors and minting | [`ValueError`] | `badValue…`, `tokenTimeCaveatRequired` |

use std::borrow::Cow;
use std::fmt;

use serde_json::{json, Map, Value};

mod decode;
mod denied;
mod detail;
mod discharge;
pub(crate) mod ids;
mod revocation;
mod signature;
mod value;

pub use decode::{DecodeError, Limit};
pub use denied::DenialError;
pub use detail::{Detail, ErrorDetail};
pub use discharge::DischargeError;
pub use ids::{ErrorId, UnknownErrorId, ERROR_IDS};
pub use revocation::RevocationError;
pub use signature::SignatureError;
pub use value::ValueError;

/// Where a caveat sits when a token is verified with discharges: in the token itself
/// (`discharge: None`) or in one of the discharges (its position in the list supplied, from 0),
/// and its position in that token's chain (from 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CaveatRef {
    /// `None` for the token being verified, `Some(i)` for the `i`-th discharge supplied.
    pub discharge: Option<usize>,
    /// Position of the caveat in that token's chain, from 0.
    pub index: usize,
}

impl CaveatRef {
    /// The JSON form: `{"discharge": null | i, "index": n}`.
    #[must_use]
    pub fn to_json(&self) -> Value {
        json!({"discharge": self.discharge, "index": self.index})
    }
}

impl fmt::Display for CaveatRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.discharge {
            None => write!(f, "caveat #{} of the token", self.index),
            Some(d) => write!(f, "caveat #{} of discharge #{d}", self.index),
        }
    }
}

/// Everything that can go wrong when decoding, minting or verifying a token, by phase.
///
/// Match on the phase and its error inside a program; match on [`Error::id`] (or
/// [`Error::kind`]) when crossing a process boundary: the ids are the stable contract, the
/// variants may grow.
///
/// ```
/// use caveat_token::{Context, DecodeError, Error, RootKey, Verifier};
///
/// let key = RootKey::from_bytes(b"a root key of at least 16 bytes")?;
/// let err = Verifier::new().verify_text("cvt1_AAAA", &key, &Context::at(0)).unwrap_err();
/// assert!(matches!(err, Error::Decode(DecodeError::Malformed { .. })));
/// assert_eq!(err.id(), "badToken");
/// // The JSON a service sends back (HTTP 401 or 403, say), and its log line.
/// let json = err.to_json();
/// assert_eq!(json["error"]["id"], "badToken");
/// assert!(json["error"]["details"].is_object());
/// assert_eq!(json["error"]["description"], err.to_string());
/// assert!(caveat_token::ERROR_IDS.contains(&err.id()));
/// # Ok::<(), Error>(())
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The input could not be decoded as a token.
    Decode(DecodeError),
    /// The signature does not verify.
    Signature(SignatureError),
    /// The token is genuine but does not allow the request.
    Denied(DenialError),
    /// The token was withdrawn by its issuer.
    Revocation(RevocationError),
    /// The discharges for the token's third-party caveats are missing, wrong or do not verify.
    Discharge(DischargeError),
    /// A constructor, parser or `mint` was given a value it cannot accept.
    Value(ValueError),
    /// Any error found in a discharge rather than in the token itself: same id and details as
    /// `error`, plus `discharge` (its position in the list supplied).
    InDischarge {
        /// The discharge, by its position in the list supplied.
        discharge: usize,
        /// What is wrong with it.
        error: Box<Error>,
    },
}

impl Error {
    /// The stable camelCase id of this error, as in the JSON form.
    #[must_use]
    pub fn id(&self) -> &'static str {
        self.kind().as_str()
    }

    /// The stable id of this error, as a value to match on.
    #[must_use]
    pub fn kind(&self) -> ErrorId {
        match self {
            Self::Decode(e) => e.id(),
            Self::Signature(e) => e.id(),
            Self::Denied(e) => e.id(),
            Self::Revocation(e) => e.id(),
            Self::Discharge(e) => e.id(),
            Self::Value(e) => e.id(),
            Self::InDischarge { error, .. } => error.kind(),
        }
    }

    /// The details object of the JSON form (may be empty).
    #[must_use]
    pub fn details(&self) -> Value {
        let mut d = Map::new();
        self.write_details(&mut d);
        Value::Object(d)
    }

    fn write_details(&self, d: &mut Map<String, Value>) {
        match self {
            Self::Decode(e) => e.write_details(d),
            Self::Signature(_) | Self::Revocation(_) => {}
            Self::Denied(e) => e.write_details(d),
            Self::Discharge(e) => e.write_details(d),
            Self::Value(e) => e.write_details(d),
            Self::InDischarge { discharge, error } => {
                error.write_details(d);
                d.insert("discharge".into(), json!(discharge));
            }
        }
    }

    /// The JSON form: `{"error":{"id":…,"details":{…},"description":…}}`.
    #[must_use]
    pub fn to_json(&self) -> Value {
        json!({
            "error": {
                "id": self.id(),
                "details": self.details(),
                "description": self.to_string(),
            }
        })
    }

    /// The same error, as found in the `discharge`-th discharge supplied.
    #[must_use]
    pub fn in_discharge(self, discharge: usize) -> Self {
        Self::InDischarge {
            discharge,
            error: Box::new(self),
        }
    }

    /// `badToken` with a reason.
    pub(crate) fn bad(reason: &'static str) -> Self {
        Self::Decode(DecodeError::Malformed { reason })
    }

    /// `tokenTooLarge` for a limit.
    pub(crate) fn too_large(limit: Limit, max: usize) -> Self {
        Self::Decode(DecodeError::TooLarge { limit, max })
    }

    /// `tokenInvalid`.
    pub(crate) const INVALID: Self = Self::Signature(SignatureError::Invalid);

    /// `tokenRevoked`.
    pub(crate) const REVOKED: Self = Self::Revocation(RevocationError::Revoked);

    /// `badValueCaveat` for a key.
    pub(crate) fn bad_caveat(key: impl Into<Cow<'static, str>>, reason: &'static str) -> Self {
        Self::Value(ValueError::Caveat {
            key: key.into(),
            reason,
        })
    }

    /// `badValueIdentifier` for a field.
    pub(crate) fn bad_identifier(key: &'static str, reason: &'static str) -> Self {
        Self::Value(ValueError::Identifier { key, reason })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Decode(e) => e.fmt(f),
            Self::Signature(e) => e.fmt(f),
            Self::Denied(e) => e.fmt(f),
            Self::Revocation(e) => e.fmt(f),
            Self::Discharge(e) => e.fmt(f),
            Self::Value(e) => e.fmt(f),
            Self::InDischarge { discharge, error } => {
                write!(f, "In discharge #{discharge}: {error}")
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::InDischarge { error, .. } => Some(error.as_ref()),
            _ => None,
        }
    }
}

macro_rules! from_phase {
    ($($phase:ident => $variant:ident,)*) => {
        $(
            impl From<$phase> for Error {
                fn from(e: $phase) -> Self {
                    Self::$variant(e)
                }
            }
        )*
    };
}

from_phase! {
    DecodeError => Decode,
    SignatureError => Signature,
    DenialError => Denied,
    RevocationError => Revocation,
    DischargeError => Discharge,
    ValueError => Value,
}

impl std::error::Error for DecodeError {}
impl std::error::Error for SignatureError {}
impl std::error::Error for DenialError {}
impl std::error::Error for RevocationError {}
impl std::error::Error for DischargeError {}
impl std::error::Error for ValueError {}
