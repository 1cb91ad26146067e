//! Why a caveat did not hold: the `details.reason` of every `tokenCaveatUnverified`.
//!
//! A denial names one short, machine-stable word (camelCase, like the error ids) and carries the
//! facts that explain it, so that an operator reading a log, or a client reading the error JSON,
//! can tell an expired token from a client outside the whitelist from a request that did not
//! say what the caveat needs. The words are part of the contract (SPEC.md §8): they never change
//! meaning, and a new word is only ever added.
//!
//! | reason | when | facts |
//! |---|---|---|
//! | `expired` | a `time` caveat at or past `validUntil` (+ leeway) | `validUntil`, `now` |
//! | `contextMissing` | the request did not supply what the caveat checks | `missing` (`ip`, `inviteType`, `service`, `consumer`, `interface`, `geoSource`) |
//! | `ipNotListed` | the client address is outside an `ip` whitelist | `ip` |
//! | `inviteTypeNotListed` | the requested invite type is not whitelisted | `inviteType` |
//! | `asnNotListed`, `countryNotListed`, `regionNotListed` | the client's location is not allowed (or unknown) | `ip` |
//! | `serviceNotListed` | the service is not whitelisted | `service` |
//! | `consumerNotListed` | the consumer is not whitelisted | `consumer` |
//! | `interfaceMismatch` | the request came through another interface | `interface` |
//! | `notAllowedForTokenType` | the token's type may not carry this kind of caveat | `tokenType` |
//! | `dataAccessNotAllowed` | a data-access caveat, and the verifier was not told the service enforces them | |
//! | `authorizationNone` | `authorization = none`, which never holds | |
//! | `predicateFailed` | an application predicate answered false | |
//! | `operationNotAllowed` | an `api` caveat does not whitelist the operation checked | `operation` |

use std::fmt;
use std::net::IpAddr;

use serde_json::{json, Map, Value};

/// Why a caveat did not hold in the request context.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Denial {
    /// A `time` caveat: `now` is at or past `valid_until` (plus the verifier's leeway).
    Expired {
        /// The caveat's `validUntil`.
        valid_until: u64,
        /// The request's time.
        now: u64,
    },
    /// The request did not supply what the caveat checks.
    ContextMissing {
        /// What was missing: `ip`, `inviteType`, `service`, `consumer`, `interface` or
        /// `geoSource` (the verifier has no geolocation source).
        missing: &'static str,
    },
    /// The client address is not in an `ip` caveat's whitelist.
    IpNotListed {
        /// The client address, as the verifier compared it (IPv4-mapped IPv6 read as IPv4).
        ip: IpAddr,
    },
    /// The requested invite type is not in an `inviteType` caveat's whitelist.
    InviteTypeNotListed {
        /// The invite type the request asked for.
        invite_type: &'static str,
    },
    /// The client's autonomous system is unknown or not whitelisted (`asn`).
    AsnNotListed {
        /// The client address looked up.
        ip: IpAddr,
    },
    /// The client's country is unknown or not allowed (`geo.country`).
    CountryNotListed {
        /// The client address looked up.
        ip: IpAddr,
    },
    /// The client's regions are unknown or not allowed (`geo.region`).
    RegionNotListed {
        /// The client address looked up.
        ip: IpAddr,
    },
    /// The service the token is used in is not whitelisted (`service`).
    ServiceNotListed {
        /// The service, in its text form.
        service: String,
    },
    /// The consumer is not whitelisted (`consumer`).
    ConsumerNotListed {
        /// The consumer, in its text form.
        consumer: String,
    },
    /// The request came through another interface (`interface`).
    InterfaceMismatch {
        /// The interface of the request.
        interface: &'static str,
    },
    /// The token's type may not carry caveats of this kind.
    NotAllowedForTokenType {
        /// `access`, `identity` or `invite`.
        token_type: &'static str,
    },
    /// A data-access caveat on a verifier that was not told the service enforces them.
    DataAccessNotAllowed,
    /// `authorization = none`, which never holds.
    AuthorizationNone,
    /// An application predicate (or a libmacaroons satisfier) answered false.
    PredicateFailed,
    /// An `api` caveat does not whitelist the operation checked after verification.
    OperationNotAllowed {
        /// The operation, as `service/operation/gri`.
        operation: String,
    },
}

impl Denial {
    /// The stable word, e.g. `expired`.
    #[must_use]
    pub fn word(&self) -> &'static str {
        match self {
            Self::Expired { .. } => "expired",
            Self::ContextMissing { .. } => "contextMissing",
            Self::IpNotListed { .. } => "ipNotListed",
            Self::InviteTypeNotListed { .. } => "inviteTypeNotListed",
            Self::AsnNotListed { .. } => "asnNotListed",
            Self::CountryNotListed { .. } => "countryNotListed",
            Self::RegionNotListed { .. } => "regionNotListed",
            Self::ServiceNotListed { .. } => "serviceNotListed",
            Self::ConsumerNotListed { .. } => "consumerNotListed",
            Self::InterfaceMismatch { .. } => "interfaceMismatch",
            Self::NotAllowedForTokenType { .. } => "notAllowedForTokenType",
            Self::DataAccessNotAllowed => "dataAccessNotAllowed",
            Self::AuthorizationNone => "authorizationNone",
            Self::PredicateFailed => "predicateFailed",
            Self::OperationNotAllowed { .. } => "operationNotAllowed",
        }
    }

    /// Adds `reason` and the facts to an error's details object.
    pub(crate) fn write_details(&self, d: &mut Map<String, Value>) {
        d.insert("reason".into(), json!(self.word()));
        match self {
            Self::Expired { valid_until, now } => {
                d.insert("validUntil".into(), json!(valid_until));
                d.insert("now".into(), json!(now));
            }
            Self::ContextMissing { missing } => {
                d.insert("missing".into(), json!(missing));
            }
            Self::IpNotListed { ip }
            | Self::AsnNotListed { ip }
            | Self::CountryNotListed { ip }
            | Self::RegionNotListed { ip } => {
                d.insert("ip".into(), json!(ip.to_string()));
            }
            Self::InviteTypeNotListed { invite_type } => {
                d.insert("inviteType".into(), json!(invite_type));
            }
            Self::ServiceNotListed { service } => {
                d.insert("service".into(), json!(service));
            }
            Self::ConsumerNotListed { consumer } => {
                d.insert("consumer".into(), json!(consumer));
            }
            Self::InterfaceMismatch { interface } => {
                d.insert("interface".into(), json!(interface));
            }
            Self::NotAllowedForTokenType { token_type } => {
                d.insert("tokenType".into(), json!(token_type));
            }
            Self::OperationNotAllowed { operation } => {
                d.insert("operation".into(), json!(operation));
            }
            Self::DataAccessNotAllowed | Self::AuthorizationNone | Self::PredicateFailed => {}
        }
    }
}

impl fmt::Display for Denial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Expired { valid_until, now } => {
                write!(f, "expired: valid until {valid_until}, now {now}")
            }
            Self::ContextMissing { missing } => {
                write!(f, "the request does not say its {missing}")
            }
            Self::IpNotListed { ip } => write!(f, "client address {ip} is not listed"),
            Self::InviteTypeNotListed { invite_type } => {
                write!(f, "invite type {invite_type} is not listed")
            }
            Self::AsnNotListed { ip } => write!(f, "the AS of {ip} is not listed"),
            Self::CountryNotListed { ip } => write!(f, "the country of {ip} is not allowed"),
            Self::RegionNotListed { ip } => write!(f, "the region of {ip} is not allowed"),
            Self::ServiceNotListed { service } => write!(f, "service {service} is not listed"),
            Self::ConsumerNotListed { consumer } => {
                write!(f, "consumer {consumer} is not listed")
            }
            Self::InterfaceMismatch { interface } => {
                write!(f, "the request came through {interface}")
            }
            Self::NotAllowedForTokenType { token_type } => {
                write!(f, "not allowed on an {token_type} token")
            }
            Self::DataAccessNotAllowed => f.write_str("data-access caveats are not enforced here"),
            Self::AuthorizationNone => f.write_str("authorization = none never holds"),
            Self::PredicateFailed => f.write_str("the predicate does not hold"),
            Self::OperationNotAllowed { operation } => {
                write!(f, "operation {operation} is not allowed")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_carry_the_word_and_the_facts() {
        let mut d = Map::new();
        Denial::Expired {
            valid_until: 100,
            now: 150,
        }
        .write_details(&mut d);
        assert_eq!(
            Value::Object(d),
            json!({"reason": "expired", "validUntil": 100, "now": 150})
        );
        let mut d = Map::new();
        Denial::ContextMissing { missing: "ip" }.write_details(&mut d);
        assert_eq!(
            Value::Object(d),
            json!({"reason": "contextMissing", "missing": "ip"})
        );
    }
}
