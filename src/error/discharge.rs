//! Discharge errors: the tree of a token and its discharges is not well-formed or does not
//! verify.

use std::fmt;

use serde_json::{json, Map, Value};

use super::{CaveatRef, ErrorId};

/// What is wrong with the discharges supplied for a token's third-party caveats.
///
/// An error found *inside* a discharge (a bad caveat, an expired time) is not one of these: it is
/// [`Error::InDischarge`](super::Error::InDischarge), with the discharge's position.
///
/// ```
/// use caveat_token::{DischargeError, Error};
///
/// let err = Error::from(DischargeError::Unbound { discharge: 0 });
/// assert_eq!(err.id(), "dischargeUnbound");
/// assert_eq!(err.to_json()["error"]["details"]["discharge"], 0);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DischargeError {
    /// A third-party caveat has no discharge among those supplied (id `dischargeMissing`).
    Missing {
        /// The caveat.
        caveat: CaveatRef,
        /// Its caveat id (text, or hex when it is not printable UTF-8).
        cid: String,
    },
    /// Two supplied discharges have the same identifier, so a caveat would have more than one
    /// (id `dischargeAmbiguous`).
    Ambiguous {
        /// The shared identifier (text, or hex).
        identifier: String,
        /// The positions of the first two discharges that share it.
        discharges: [usize; 2],
    },
    /// A discharge would discharge a second caveat: each is used exactly once (id
    /// `dischargeReused`).
    Reused {
        /// The discharge, by its position in the list supplied.
        discharge: usize,
        /// The second caveat that asks for it.
        caveat: CaveatRef,
    },
    /// A discharge is needed, directly or through other discharges, by one of its own caveats
    /// (id `dischargeCycle`).
    Cycle {
        /// The discharge, by its position in the list supplied.
        discharge: usize,
        /// The caveat that asks for it again.
        caveat: CaveatRef,
    },
    /// Discharges nest deeper than the verifier allows (id `dischargeTooDeep`).
    TooDeep {
        /// The deepest nesting allowed (a discharge of the token itself is at depth 1).
        max: usize,
        /// The caveat whose discharge would be too deep.
        caveat: CaveatRef,
    },
    /// A discharge carries its own chain's tag, not bound to the token it is used with: it was
    /// not prepared for the request (id `dischargeUnbound`).
    Unbound {
        /// The discharge, by its position in the list supplied.
        discharge: usize,
    },
    /// A discharge's signature does not verify under the caveat key: it was tampered with,
    /// minted with another key, or bound to another token (id `dischargeInvalid`).
    Invalid {
        /// The discharge, by its position in the list supplied.
        discharge: usize,
    },
    /// A supplied discharge discharges no caveat (id `dischargeUnused`).
    Unused {
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
}

impl DischargeError {
    /// The stable id.
    #[must_use]
    pub const fn id(&self) -> ErrorId {
        match self {
            Self::Missing { .. } => ErrorId::DischargeMissing,
            Self::Ambiguous { .. } => ErrorId::DischargeAmbiguous,
            Self::Reused { .. } => ErrorId::DischargeReused,
            Self::Cycle { .. } => ErrorId::DischargeCycle,
            Self::TooDeep { .. } => ErrorId::DischargeTooDeep,
            Self::Unbound { .. } => ErrorId::DischargeUnbound,
            Self::Invalid { .. } => ErrorId::DischargeInvalid,
            Self::Unused { .. } => ErrorId::DischargeUnused,
            Self::ThirdPartyCaveatInvalid { .. } => ErrorId::ThirdPartyCaveatInvalid,
        }
    }

    pub(super) fn write_details(&self, d: &mut Map<String, Value>) {
        match self {
            Self::Missing { caveat, cid } => {
                d.insert("caveat".into(), caveat.to_json());
                d.insert("cid".into(), json!(cid));
            }
            Self::Ambiguous {
                identifier,
                discharges,
            } => {
                d.insert("identifier".into(), json!(identifier));
                d.insert("discharges".into(), json!(discharges));
            }
            Self::Reused { discharge, caveat } | Self::Cycle { discharge, caveat } => {
                d.insert("discharge".into(), json!(discharge));
                d.insert("caveat".into(), caveat.to_json());
            }
            Self::TooDeep { max, caveat } => {
                d.insert("max".into(), json!(max));
                d.insert("caveat".into(), caveat.to_json());
            }
            Self::Unbound { discharge } | Self::Invalid { discharge } => {
                d.insert("discharge".into(), json!(discharge));
            }
            Self::Unused {
                discharge,
                identifier,
            } => {
                d.insert("discharge".into(), json!(discharge));
                d.insert("identifier".into(), json!(identifier));
            }
            Self::ThirdPartyCaveatInvalid { caveat } => {
                d.insert("caveat".into(), caveat.to_json());
            }
        }
    }
}

impl fmt::Display for DischargeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing { caveat, cid } => {
                write!(f, "No discharge for third-party {caveat} (cid {cid}).")
            }
            Self::Ambiguous {
                identifier,
                discharges: [a, b],
            } => write!(
                f,
                "Discharges #{a} and #{b} have the same identifier ({identifier})."
            ),
            Self::Reused { discharge, caveat } => write!(
                f,
                "Discharge #{discharge} is used twice (again by {caveat})."
            ),
            Self::Cycle { discharge, caveat } => write!(
                f,
                "Discharge #{discharge} is needed by its own {caveat} (a cycle)."
            ),
            Self::TooDeep { max, caveat } => {
                write!(f, "Discharges nest deeper than {max} levels at {caveat}.")
            }
            Self::Unbound { discharge } => write!(
                f,
                "Discharge #{discharge} is not bound to the token it is used with."
            ),
            Self::Invalid { discharge } => write!(f, "Discharge #{discharge} is not valid."),
            Self::Unused {
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
        }
    }
}
