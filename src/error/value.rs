//! Value errors: a constructor or `mint` was given something it cannot accept.

use std::borrow::Cow;
use std::fmt;

use serde_json::{json, Map, Value};

use super::ErrorId;

/// A value given to a constructor, a parser or `mint` is not acceptable. Nothing was decoded or
/// verified: these are the caller's mistakes, reported before a token exists.
///
/// ```
/// use caveat_token::{Caveat, Error, ValueError};
///
/// match Caveat::from_json_str(r#"{"type":"time","validUntil":"soon"}"#) {
///     Err(Error::Value(ValueError::Caveat { key, .. })) => assert_eq!(key, "validUntil"),
///     other => panic!("{other:?}"),
/// }
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueError {
    /// A caveat could not be created from the value given (id `badValueCaveat`).
    Caveat {
        /// The JSON key (or text part) that is wrong, e.g. `"validUntil"`.
        key: Cow<'static, str>,
        /// Why it is wrong.
        reason: &'static str,
    },
    /// An identifier field given at minting is not acceptable (id `badValueIdentifier`).
    Identifier {
        /// The field, e.g. `"subject"`.
        key: &'static str,
        /// Why it is wrong.
        reason: &'static str,
    },
    /// The token type given is not acceptable (id `badValueTokenType`).
    TokenType {
        /// Why it is wrong.
        reason: &'static str,
    },
    /// The invite type is not one of the known ones (id `badValueInviteType`).
    InviteType {
        /// The rejected value.
        value: String,
    },
    /// A key is malformed, e.g. empty or bad hex (id `badValueKey`).
    Key {
        /// Why it is wrong.
        reason: &'static str,
    },
    /// A temporary token needs a time caveat with a TTL in (0, maxTtl] (id
    /// `tokenTimeCaveatRequired`): refused at minting.
    TimeCaveatRequired {
        /// The largest TTL the issuance policy allows, in seconds; `None` where no policy is in
        /// force (a temporary token minted without any time caveat).
        max_ttl: Option<u64>,
    },
}

impl ValueError {
    /// The stable id.
    #[must_use]
    pub const fn id(&self) -> ErrorId {
        match self {
            Self::Caveat { .. } => ErrorId::BadValueCaveat,
            Self::Identifier { .. } => ErrorId::BadValueIdentifier,
            Self::TokenType { .. } => ErrorId::BadValueTokenType,
            Self::InviteType { .. } => ErrorId::BadValueInviteType,
            Self::Key { .. } => ErrorId::BadValueKey,
            Self::TimeCaveatRequired { .. } => ErrorId::TokenTimeCaveatRequired,
        }
    }

    pub(super) fn write_details(&self, d: &mut Map<String, Value>) {
        match self {
            Self::Caveat { key, reason } => {
                d.insert("key".into(), json!(key));
                d.insert("reason".into(), json!(reason));
            }
            Self::Identifier { key, reason } => {
                d.insert("key".into(), json!(key));
                d.insert("reason".into(), json!(reason));
            }
            Self::TokenType { reason } | Self::Key { reason } => {
                d.insert("reason".into(), json!(reason));
            }
            Self::InviteType { value } => {
                d.insert("value".into(), json!(value));
            }
            Self::TimeCaveatRequired { max_ttl } => {
                d.insert("maxTtl".into(), json!(max_ttl));
            }
        }
    }
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Caveat { key, reason } => {
                write!(
                    f,
                    "Bad value: provided caveat is invalid ({key}: {reason})."
                )
            }
            Self::Identifier { key, reason } => write!(
                f,
                "Bad value: token identifier field \"{key}\" is invalid ({reason})."
            ),
            Self::TokenType { reason } => {
                write!(f, "Bad value: provided token type is invalid ({reason}).")
            }
            Self::InviteType { value } => {
                write!(f, "Bad value: \"{value}\" is not a known invite type.")
            }
            Self::Key { reason } => write!(f, "Bad value: provided key is invalid ({reason})."),
            Self::TimeCaveatRequired {
                max_ttl: Some(max_ttl),
            } => write!(
                f,
                "You must specify a time caveat with a TTL of at most {max_ttl} seconds."
            ),
            Self::TimeCaveatRequired { max_ttl: None } => {
                f.write_str("A temporary token must carry a time caveat of its own.")
            }
        }
    }
}
