//! Decode errors: the input is not a token this crate can read (before any signature check).

use std::fmt;

use serde_json::{json, Map, Value};

use super::ErrorId;

/// Why an input could not be decoded as a token.
///
/// ```
/// use caveat_token::{DecodeError, Error, Limits, Token};
///
/// match Token::from_text("cvt1_AAAA", &Limits::default()) {
///     Err(Error::Decode(DecodeError::Malformed { reason })) => assert!(!reason.is_empty()),
///     other => panic!("{other:?}"),
/// }
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// The input is not a well-formed token (id `badToken`). `reason` names what is wrong.
    Malformed {
        /// What is wrong, e.g. `"trailing bytes"`.
        reason: &'static str,
    },
    /// The input exceeds a decoding limit, found before it was decoded further (id
    /// `tokenTooLarge`).
    TooLarge {
        /// Which limit.
        limit: Limit,
        /// The configured maximum (bytes, or a count for [`Limit::Caveats`] and
        /// [`Limit::Discharges`]).
        max: usize,
    },
}

/// A decoding limit (see `Limits`), as named in `details.limit`.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Limit {
    /// The whole token, in bytes (`"size"`).
    Size,
    /// The number of caveats (`"caveats"`).
    Caveats,
    /// One caveat, in bytes (`"caveatSize"`).
    CaveatSize,
    /// The identifier, in bytes (`"identifierSize"`).
    IdentifierSize,
    /// The number of discharges supplied with a token (`"discharges"`).
    Discharges,
}

impl Limit {
    /// The name used in `details.limit` and in the description.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Size => "size",
            Self::Caveats => "caveats",
            Self::CaveatSize => "caveatSize",
            Self::IdentifierSize => "identifierSize",
            Self::Discharges => "discharges",
        }
    }

    /// Whether the limit counts items (caveats, discharges) rather than bytes.
    #[must_use]
    pub const fn is_count(self) -> bool {
        matches!(self, Self::Caveats | Self::Discharges)
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl DecodeError {
    /// The stable id.
    #[must_use]
    pub const fn id(&self) -> ErrorId {
        match self {
            Self::Malformed { .. } => ErrorId::BadToken,
            Self::TooLarge { .. } => ErrorId::TokenTooLarge,
        }
    }

    pub(super) fn write_details(&self, d: &mut Map<String, Value>) {
        match self {
            Self::Malformed { reason } => {
                d.insert("reason".into(), json!(reason));
            }
            Self::TooLarge { limit, max } => {
                d.insert("limit".into(), json!(limit.as_str()));
                d.insert("max".into(), json!(max));
            }
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed { reason } => {
                write!(f, "Provided token could not be understood: {reason}.")
            }
            Self::TooLarge { limit, max } => {
                write!(f, "Provided token exceeds the {limit} limit of {max}.")
            }
        }
    }
}
