//! Every call this crate makes into `caveat-token` is in this module, so that a change of the
//! core API is adapted here and nowhere else.
//!
//! Used from the core: [`Verifier::new`], [`Context::at`] and its `with_*` builders, [`Verifier::verify_text`],
//! [`VerificationCache::verify_text`], [`VerifiedToken::identifier`], [`Error::id`],
//! [`Error::to_json`], and constructing [`Error::Decode(DecodeError::Malformed)`].

use caveat_token::DecodeError;
use std::net::IpAddr;
use std::ops::Deref;
use std::sync::Arc;

use caveat_token::{CachedToken, VerificationCache};
use caveat_token::{Context, Error, KeySource, VerifiedToken, Verifier};
use serde_json::{Map, Value};

/// The key source an authenticator verifies with.
pub(crate) type Keys = dyn KeySource + Send + Sync;

/// Error ids whose `details.reason` (the failing caveat's reason) is shown to the client.
const REASON_SHOWN: &[&str] = &["tokenCaveatUnverified", "tokenCaveatUnknown"];

/// What checks tokens: a bare verifier, or a cache in front of one.
pub(crate) enum Checker {
    /// Every request decodes and verifies the whole chain.
    Plain(Verifier),
    /// Known tokens skip decoding and the chain; caveats are cleared on every request.
    Cached(VerificationCache),
}

impl Default for Checker {
    /// `Verifier::new()`.
    fn default() -> Self {
        Self::Plain(Verifier::new())
    }
}

impl Checker {
    /// Verifies `text` under `keys` and clears its caveats against `ctx`.
    pub(crate) fn verify(&self, text: &str, keys: &Keys, ctx: &Context) -> Result<Held, Refusal> {
        match self {
            Self::Plain(verifier) => verifier
                .verify_text(text, keys, ctx)
                .map(|v| Held::Plain(Arc::new(v))),
            Self::Cached(cache) => cache.verify_text(text, keys, ctx).map(Held::Cached),
        }
        .map_err(|e| Refusal::from_error(&e))
    }
}

/// The request context before the per-route hook: the time and the client address.
pub(crate) fn base_context(now: u64, ip: Option<IpAddr>) -> Context {
    let ctx = Context::at(now);
    match ip {
        Some(ip) => ctx.with_ip(ip),
        None => ctx,
    }
}

/// A verified token as the checker returned it (cached tokens are shared handles).
#[derive(Clone, Debug)]
pub(crate) enum Held {
    /// From a bare verifier.
    Plain(Arc<VerifiedToken>),
    /// From a cache.
    Cached(CachedToken),
}

impl Deref for Held {
    type Target = VerifiedToken;

    fn deref(&self) -> &VerifiedToken {
        match self {
            Self::Plain(v) => v,
            Self::Cached(c) => c,
        }
    }
}

impl Held {
    /// The token's own id.
    pub(crate) fn token_id(&self) -> String {
        self.identifier().token_id.into_owned()
    }

    /// The subject in its text form (`usr-<id>` / `prv-<id>`).
    pub(crate) fn subject(&self) -> String {
        self.identifier().subject.to_string()
    }
}

/// Why a token was refused: the library's error, reduced to what the client may see, and the
/// whole of it for the server's logs.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Refusal {
    /// The library's stable error id.
    pub(crate) id: &'static str,
    /// The failing caveat's reason, when the library gives one for a caveat denial.
    pub(crate) reason: Option<String>,
    /// The library's whole error object (`{"id","details","description"}`).
    pub(crate) full: Value,
}

impl Refusal {
    /// Reduces a library error.
    pub(crate) fn from_error(error: &Error) -> Self {
        let mut json = error.to_json();
        let full = json
            .get_mut("error")
            .map(Value::take)
            .unwrap_or_else(|| Value::Object(Map::new()));
        let id = error.id();
        let reason = if REASON_SHOWN.contains(&id) {
            full.get("details")
                .and_then(|d| d.get("reason"))
                .and_then(Value::as_str)
                .map(str::to_owned)
        } else {
            None
        };
        Self { id, reason, full }
    }

    /// A token header whose bytes are not visible ASCII: the library's `badToken`.
    pub(crate) fn unreadable_header() -> Self {
        Self::from_error(&Error::Decode(DecodeError::Malformed {
            reason: "token header is not visible ASCII",
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use caveat_token::caveat::{Caveat, TimeCaveat};
    use caveat_token::DenialError;

    #[test]
    fn only_a_caveat_denial_reason_is_kept_and_the_whole_error_is_logged() {
        let bad = Refusal::from_error(&Error::Decode(DecodeError::Malformed {
            reason: "trailing bytes",
        }));
        assert_eq!(bad.id, "badToken");
        assert_eq!(bad.reason, None, "a decoding reason is not a caveat's");
        assert_eq!(bad.full["details"]["reason"], "trailing bytes");
        assert_eq!(bad.full["id"], "badToken");

        let denied = Refusal::from_error(&Error::Denied(DenialError::CaveatUnverified {
            index: 3,
            caveat: caveat_token::Detail::new(Caveat::Time(TimeCaveat::new(1))),
            reason: caveat_token::Denial::Expired {
                valid_until: 1,
                now: 5,
            },
        }));
        assert_eq!(denied.id, "tokenCaveatUnverified");
        assert_eq!(denied.full["details"]["index"], 3);
        // The denial's reason word is passed on; its facts stay in the logged object.
        assert_eq!(denied.reason.as_deref(), Some("expired"));
        assert_eq!(denied.full["details"]["now"], 5);

        let unreadable = Refusal::unreadable_header();
        assert_eq!(unreadable.id, "badToken");
    }
}
