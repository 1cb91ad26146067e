//! The one error type of the crate, with stable string ids and a JSON form.
//!
//! Every failure has an id (camelCase, stable across releases, following Onedata's ids where they
//! fit) that tests, vectors and scripts match on. [`Error::to_json`] gives the wire form
//! `{"error":{"id":…,"details":{…},"description":…}}`.

use std::borrow::Cow;
use std::fmt;

use serde_json::{json, Map, Value};

use crate::denial::Denial;

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

/// Everything that can go wrong when decoding, minting or verifying a token.
///
/// Match on [`Error::id`] rather than on the variants when crossing a process boundary: the ids
/// are the stable contract, the variants may grow.
///
/// ```
/// use caveat_token::{Context, Error, RootKey, Verifier};
///
/// let key = RootKey::from_bytes(b"a root key of at least 16 bytes")?;
/// let err = Verifier::new().verify_text("cvt1_AAAA", &key, &Context::at(0)).unwrap_err();
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
    /// The input is not a well-formed token (id `badToken`). `reason` names what is wrong.
    BadToken {
        /// What is wrong, e.g. `"trailing bytes"`.
        reason: &'static str,
    },
    /// The input exceeds a decoding limit before it was decoded (id `tokenTooLarge`).
    TokenTooLarge {
        /// Which limit: `"size"`, `"caveats"`, `"caveatSize"` or `"identifierSize"`.
        limit: &'static str,
        /// The configured maximum.
        max: usize,
    },
    /// The signature does not verify: the token was forged, tampered with, truncated, or the key
    /// is wrong or unknown (id `tokenInvalid`). Deliberately says nothing more.
    TokenInvalid,
    /// A caveat of a kind this verifier does not understand, or an application caveat with no
    /// registered predicate (id `tokenCaveatUnknown`).
    TokenCaveatUnknown {
        /// Position of the caveat in the chain, from 0.
        index: usize,
        /// The caveat as text (its JSON, or hex of its bytes when it cannot be decoded).
        caveat: String,
    },
    /// A caveat that does not hold in the request context (id `tokenCaveatUnverified`).
    TokenCaveatUnverified {
        /// Position of the caveat in the chain, from 0.
        index: usize,
        /// The caveat's JSON form.
        caveat: Value,
        /// Why it does not hold (`details.reason` and its facts).
        reason: Denial,
    },
    /// A caveat could not be created from the value given (id `badValueCaveat`).
    BadValueCaveat {
        /// The JSON key (or text part) that is wrong, e.g. `"validUntil"`.
        key: Cow<'static, str>,
        /// Why it is wrong.
        reason: &'static str,
    },
    /// An identifier field given at minting is not acceptable (id `badValueIdentifier`).
    BadValueIdentifier {
        /// The field, e.g. `"subject"`.
        key: &'static str,
        /// Why it is wrong.
        reason: &'static str,
    },
    /// The token type given is not acceptable (id `badValueTokenType`).
    BadValueTokenType {
        /// Why it is wrong.
        reason: &'static str,
    },
    /// The invite type is not one of the known ones (id `badValueInviteType`).
    BadValueInviteType {
        /// The rejected value.
        value: String,
    },
    /// A key is malformed, e.g. empty or bad hex (id `badValueKey`).
    BadValueKey {
        /// Why it is wrong.
        reason: &'static str,
    },
    /// The token was revoked by the caller's revocation source (id `tokenRevoked`).
    TokenRevoked,
    /// A temporary token needs a time caveat with a TTL in (0, maxTtl] (id
    /// `tokenTimeCaveatRequired`).
    TokenTimeCaveatRequired {
        /// The largest TTL the policy allows, in seconds; `None` where no issuance policy is
        /// in force (a temporary token minted or verified without a time caveat of its own).
        max_ttl: Option<u64>,
    },
    /// An access token was expected (id `notAnAccessToken`).
    NotAnAccessToken {
        /// The type the token has, in its JSON form.
        received: Value,
    },
    /// An identity token was expected (id `notAnIdentityToken`).
    NotAnIdentityToken {
        /// The type the token has, in its JSON form.
        received: Value,
    },
    /// An invite token (of a given type, if any) was expected (id `notAnInviteToken`).
    NotAnInviteToken {
        /// The invite type expected, if one was.
        expected_invite_type: Option<String>,
        /// The type the token has, in its JSON form.
        received: Value,
    },
    /// A third-party caveat has no discharge among those supplied (id `dischargeMissing`).
    DischargeMissing {
        /// The caveat.
        caveat: CaveatRef,
        /// Its caveat id (text, or hex when it is not printable UTF-8).
        cid: String,
    },
    /// Two supplied discharges have the same identifier, so a caveat would have more than one
    /// (id `dischargeAmbiguous`).
    DischargeAmbiguous {
        /// The shared identifier (text, or hex).
        identifier: String,
        /// The positions of the first two discharges that share it.
        discharges: [usize; 2],
    },
    /// A discharge would discharge a second caveat: each is used exactly once (id
    /// `dischargeReused`).
    DischargeReused {
        /// The discharge, by its position in the list supplied.
        discharge: usize,
        /// The second caveat that asks for it.
        caveat: CaveatRef,
    },
    /// A discharge is needed, directly or through other discharges, by one of its own caveats
    /// (id `dischargeCycle`).
    DischargeCycle {
        /// The discharge, by its position in the list supplied.
        discharge: usize,
        /// The caveat that asks for it again.
        caveat: CaveatRef,
    },
    /// Discharges nest deeper than the verifier allows (id `dischargeTooDeep`).
    DischargeTooDeep {
        /// The deepest nesting allowed (a discharge of the token itself is at depth 1).
        max: usize,
        /// The caveat whose discharge would be too deep.
        caveat: CaveatRef,
    },
    /// A discharge carries its own chain's tag, not bound to the token it is used with: it was
    /// not prepared for the request (id `dischargeUnbound`).
    DischargeUnbound {
        /// The discharge, by its position in the list supplied.
        discharge: usize,
    },
    /// A discharge's signature does not verify under the caveat key: it was tampered with,
    /// minted with another key, or bound to another token (id `dischargeInvalid`).
    DischargeInvalid {
        /// The discharge, by its position in the list supplied.
        discharge: usize,
    },
    /// A supplied discharge discharges no caveat (id `dischargeUnused`).
    DischargeUnused {
        /// The discharge, by its position in the list supplied.
        discharge: usize,
        /// Its identifier (text, or hex).
        identifier: String,
    },
    /// A third-party caveat's verification id does not open under the chain: its caveat key
    /// cannot be recovered (id `thirdPartyCaveatInvalid`).
    ThirdPartyCaveatInvalid {
        /// The caveat.
        caveat: CaveatRef,
    },
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
    /// The stable camelCase id of this error.
    #[must_use]
    pub fn id(&self) -> &'static str {
        match self {
            Self::BadToken { .. } => "badToken",
            Self::TokenTooLarge { .. } => "tokenTooLarge",
            Self::TokenInvalid => "tokenInvalid",
            Self::TokenCaveatUnknown { .. } => "tokenCaveatUnknown",
            Self::TokenCaveatUnverified { .. } => "tokenCaveatUnverified",
            Self::BadValueCaveat { .. } => "badValueCaveat",
            Self::BadValueIdentifier { .. } => "badValueIdentifier",
            Self::BadValueTokenType { .. } => "badValueTokenType",
            Self::BadValueInviteType { .. } => "badValueInviteType",
            Self::BadValueKey { .. } => "badValueKey",
            Self::TokenRevoked => "tokenRevoked",
            Self::TokenTimeCaveatRequired { .. } => "tokenTimeCaveatRequired",
            Self::NotAnAccessToken { .. } => "notAnAccessToken",
            Self::NotAnIdentityToken { .. } => "notAnIdentityToken",
            Self::NotAnInviteToken { .. } => "notAnInviteToken",
            Self::DischargeMissing { .. } => "dischargeMissing",
            Self::DischargeAmbiguous { .. } => "dischargeAmbiguous",
            Self::DischargeReused { .. } => "dischargeReused",
            Self::DischargeCycle { .. } => "dischargeCycle",
            Self::DischargeTooDeep { .. } => "dischargeTooDeep",
            Self::DischargeUnbound { .. } => "dischargeUnbound",
            Self::DischargeInvalid { .. } => "dischargeInvalid",
            Self::DischargeUnused { .. } => "dischargeUnused",
            Self::ThirdPartyCaveatInvalid { .. } => "thirdPartyCaveatInvalid",
            Self::InDischarge { error, .. } => error.id(),
        }
    }

    /// The details object of the JSON form (may be empty).
    #[must_use]
    pub fn details(&self) -> Value {
        let mut d = Map::new();
        match self {
            Self::BadToken { reason } => {
                d.insert("reason".into(), json!(reason));
            }
            Self::TokenTooLarge { limit, max } => {
                d.insert("limit".into(), json!(limit));
                d.insert("max".into(), json!(max));
            }
            Self::TokenInvalid | Self::TokenRevoked => {}
            Self::TokenCaveatUnknown { index, caveat } => {
                d.insert("index".into(), json!(index));
                d.insert("caveat".into(), json!(caveat));
            }
            Self::TokenCaveatUnverified {
                index,
                caveat,
                reason,
            } => {
                d.insert("index".into(), json!(index));
                d.insert("caveat".into(), caveat.clone());
                reason.write_details(&mut d);
            }
            Self::BadValueCaveat { key, reason } => {
                d.insert("key".into(), json!(key));
                d.insert("reason".into(), json!(reason));
            }
            Self::BadValueIdentifier { key, reason } => {
                d.insert("key".into(), json!(key));
                d.insert("reason".into(), json!(reason));
            }
            Self::BadValueTokenType { reason } | Self::BadValueKey { reason } => {
                d.insert("reason".into(), json!(reason));
            }
            Self::BadValueInviteType { value } => {
                d.insert("value".into(), json!(value));
            }
            Self::TokenTimeCaveatRequired { max_ttl } => {
                d.insert("maxTtl".into(), json!(max_ttl));
            }
            Self::NotAnAccessToken { received } | Self::NotAnIdentityToken { received } => {
                d.insert("received".into(), received.clone());
            }
            Self::NotAnInviteToken {
                expected_invite_type,
                received,
            } => {
                d.insert("expectedInviteType".into(), json!(expected_invite_type));
                d.insert("received".into(), received.clone());
            }
            Self::DischargeMissing { caveat, cid } => {
                d.insert("caveat".into(), caveat.to_json());
                d.insert("cid".into(), json!(cid));
            }
            Self::DischargeAmbiguous {
                identifier,
                discharges,
            } => {
                d.insert("identifier".into(), json!(identifier));
                d.insert("discharges".into(), json!(discharges));
            }
            Self::DischargeReused { discharge, caveat }
            | Self::DischargeCycle { discharge, caveat } => {
                d.insert("discharge".into(), json!(discharge));
                d.insert("caveat".into(), caveat.to_json());
            }
            Self::DischargeTooDeep { max, caveat } => {
                d.insert("max".into(), json!(max));
                d.insert("caveat".into(), caveat.to_json());
            }
            Self::DischargeUnbound { discharge } | Self::DischargeInvalid { discharge } => {
                d.insert("discharge".into(), json!(discharge));
            }
            Self::DischargeUnused {
                discharge,
                identifier,
            } => {
                d.insert("discharge".into(), json!(discharge));
                d.insert("identifier".into(), json!(identifier));
            }
            Self::ThirdPartyCaveatInvalid { caveat } => {
                d.insert("caveat".into(), caveat.to_json());
            }
            Self::InDischarge { discharge, error } => {
                if let Value::Object(inner) = error.details() {
                    d = inner;
                }
                d.insert("discharge".into(), json!(discharge));
            }
        }
        Value::Object(d)
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

    pub(crate) fn bad(reason: &'static str) -> Self {
        Self::BadToken { reason }
    }

    pub(crate) fn bad_caveat(key: impl Into<Cow<'static, str>>, reason: &'static str) -> Self {
        Self::BadValueCaveat {
            key: key.into(),
            reason,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadToken { reason } => {
                write!(f, "Provided token could not be understood: {reason}.")
            }
            Self::TokenTooLarge { limit, max } => {
                write!(f, "Provided token exceeds the {limit} limit of {max}.")
            }
            Self::TokenInvalid => f.write_str("Provided token is not valid."),
            Self::TokenCaveatUnknown { index, caveat } => {
                write!(f, "Unknown caveat #{index}: {caveat}.")
            }
            Self::TokenCaveatUnverified {
                index,
                caveat,
                reason,
            } => {
                write!(
                    f,
                    "Token caveat #{index} could not be verified ({reason}): {caveat}."
                )
            }
            Self::BadValueCaveat { key, reason } => {
                write!(
                    f,
                    "Bad value: provided caveat is invalid ({key}: {reason})."
                )
            }
            Self::BadValueIdentifier { key, reason } => {
                write!(
                    f,
                    "Bad value: token identifier field \"{key}\" is invalid ({reason})."
                )
            }
            Self::BadValueTokenType { reason } => {
                write!(f, "Bad value: provided token type is invalid ({reason}).")
            }
            Self::BadValueInviteType { value } => {
                write!(f, "Bad value: \"{value}\" is not a known invite type.")
            }
            Self::BadValueKey { reason } => {
                write!(f, "Bad value: provided key is invalid ({reason}).")
            }
            Self::TokenRevoked => f.write_str("Provided token has been revoked."),
            Self::TokenTimeCaveatRequired {
                max_ttl: Some(max_ttl),
            } => write!(
                f,
                "You must specify a time caveat with a TTL of at most {max_ttl} seconds."
            ),
            Self::TokenTimeCaveatRequired { max_ttl: None } => {
                f.write_str("A temporary token must carry a time caveat of its own.")
            }
            Self::NotAnAccessToken { received } => {
                write!(
                    f,
                    "Received token is not an access token (received: {received})."
                )
            }
            Self::NotAnIdentityToken { received } => {
                write!(
                    f,
                    "Received token is not an identity token (received: {received})."
                )
            }
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
            Self::DischargeMissing { caveat, cid } => {
                write!(f, "No discharge for third-party {caveat} (cid {cid}).")
            }
            Self::DischargeAmbiguous {
                identifier,
                discharges: [a, b],
            } => write!(
                f,
                "Discharges #{a} and #{b} have the same identifier ({identifier})."
            ),
            Self::DischargeReused { discharge, caveat } => write!(
                f,
                "Discharge #{discharge} is used twice (again by {caveat})."
            ),
            Self::DischargeCycle { discharge, caveat } => write!(
                f,
                "Discharge #{discharge} is needed by its own {caveat} (a cycle)."
            ),
            Self::DischargeTooDeep { max, caveat } => {
                write!(f, "Discharges nest deeper than {max} levels at {caveat}.")
            }
            Self::DischargeUnbound { discharge } => write!(
                f,
                "Discharge #{discharge} is not bound to the token it is used with."
            ),
            Self::DischargeInvalid { discharge } => {
                write!(f, "Discharge #{discharge} is not valid.")
            }
            Self::DischargeUnused {
                discharge,
                identifier,
            } => write!(
                f,
                "Discharge #{discharge} ({identifier}) discharges no caveat."
            ),
            Self::ThirdPartyCaveatInvalid { caveat } => write!(
                f,
                "Third-party {caveat} has a verification id that does not open."
            ),
            Self::InDischarge { discharge, error } => {
                write!(f, "In discharge #{discharge}: {error}")
            }
        }
    }
}

impl std::error::Error for Error {}

/// Every error id this crate can produce, in a fixed order (for documentation and tests).
pub const ERROR_IDS: &[&str] = &[
    "badToken",
    "tokenTooLarge",
    "tokenInvalid",
    "tokenCaveatUnknown",
    "tokenCaveatUnverified",
    "badValueCaveat",
    "badValueIdentifier",
    "badValueTokenType",
    "badValueInviteType",
    "badValueKey",
    "tokenRevoked",
    "tokenTimeCaveatRequired",
    "notAnAccessToken",
    "notAnIdentityToken",
    "notAnInviteToken",
    "dischargeMissing",
    "dischargeAmbiguous",
    "dischargeReused",
    "dischargeCycle",
    "dischargeTooDeep",
    "dischargeUnbound",
    "dischargeInvalid",
    "dischargeUnused",
    "thirdPartyCaveatInvalid",
];
