//! Verification, then clearing: the verifier recomputes the whole HMAC chain under the root key
//! and compares tags in constant time (verification); only then does it check each caveat against
//! the request [`Context`] (clearing). A forged token never reaches a caveat check.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use crate::caveat::Caveat;
use crate::chain;
use crate::codec::native::{self, CaveatView};
use crate::codec::{self, Format, Limits};
use crate::error::Error;
use crate::key::{KeySource, NameMap};
use crate::token::{Identifier, InviteType, Token};

/// What the request brings: the time, the client address, what it asks for. The library never
/// reads a clock or a socket; the caller fills this in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    /// Now, in unix seconds.
    pub now: u64,
    /// The client's address, if known. Caveats that need it fail closed without it.
    pub ip: Option<IpAddr>,
    /// The invite type the request asks to use, if any.
    pub invite_type: Option<InviteType>,
    /// Application attributes (e.g. `("example.com/action", "read")`) for registered predicates.
    pub attributes: Vec<(String, String)>,
}

impl Context {
    /// A context at `now` (unix seconds) with nothing else known.
    #[must_use]
    pub fn at(now: u64) -> Self {
        Self {
            now,
            ..Self::default()
        }
    }

    /// Sets the client address.
    #[must_use]
    pub fn with_ip(mut self, ip: IpAddr) -> Self {
        self.ip = Some(ip);
        self
    }

    /// Sets the requested invite type.
    #[must_use]
    pub fn with_invite_type(mut self, invite_type: InviteType) -> Self {
        self.invite_type = Some(invite_type);
        self
    }

    /// Adds an application attribute.
    #[must_use]
    pub fn with_attribute(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.attributes.push((name.into(), value.into()));
        self
    }

    /// The first attribute named `name`.
    #[must_use]
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A predicate for an application caveat: given the caveat's value and the request, does it hold?
pub type Predicate = Arc<dyn Fn(&str, &Context) -> bool + Send + Sync>;

/// Checks tokens: configuration (limits, leeway, registered predicates) shared across requests.
#[derive(Clone, Default)]
pub struct Verifier {
    limits: Limits,
    leeway: u64,
    predicates: NameMap<Predicate>,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("limits", &self.limits)
            .field("leeway", &self.leeway)
            .field("predicates", &self.predicates.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Verifier {
    /// A verifier with default limits, no leeway and no application predicates.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the decoding limits.
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Allows `seconds` of clock skew on time caveats (valid while `now < validUntil + leeway`).
    #[must_use]
    pub fn with_leeway(mut self, seconds: u64) -> Self {
        self.leeway = seconds;
        self
    }

    /// Registers the predicate that checks application caveats named `name`.
    #[must_use]
    pub fn with_predicate<F>(mut self, name: impl Into<String>, predicate: F) -> Self
    where
        F: Fn(&str, &Context) -> bool + Send + Sync + 'static,
    {
        self.predicates.insert(name.into(), Arc::new(predicate));
        self
    }

    /// The decoding limits in force.
    #[must_use]
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Decodes and verifies a token's text form, then clears its caveats against `ctx`.
    ///
    /// Order: size → decode → key lookup → whole chain → constant-time tag compare → caveats.
    ///
    /// # Errors
    /// `tokenTooLarge`, `badToken`, `tokenInvalid` (wrong key, unknown key id, or any
    /// tampering), then `tokenCaveatUnknown` / `tokenCaveatUnverified` naming the caveat.
    pub fn verify_text<K: KeySource + ?Sized>(
        &self,
        text: &str,
        keys: &K,
        ctx: &Context,
    ) -> Result<VerifiedToken, Error> {
        let token = Token::from_text(text, &self.limits)?;
        self.verify(token, keys, ctx)
    }

    /// Verifies a decoded token, then clears its caveats against `ctx`.
    ///
    /// # Errors
    /// As [`Verifier::verify_text`], less the decoding errors.
    pub fn verify<K: KeySource + ?Sized>(
        &self,
        token: Token,
        keys: &K,
        ctx: &Context,
    ) -> Result<VerifiedToken, Error> {
        self.check_signature(&token, keys)?;
        let expires = self.clear(&token, ctx)?;
        Ok(VerifiedToken { token, expires })
    }

    /// Verification alone: recomputes the chain and compares the tag in constant time. Says
    /// nothing about caveats.
    ///
    /// # Errors
    /// `tokenInvalid`.
    pub fn check_signature<K: KeySource + ?Sized>(
        &self,
        token: &Token,
        keys: &K,
    ) -> Result<(), Error> {
        let identifier;
        let key_id = if token.format() == Format::Native {
            // Validated in full when the token was decoded or minted: read the key id alone.
            native::key_id(token.identifier_bytes())?
        } else {
            identifier = token.untrusted_identifier()?;
            identifier.key_id.as_deref()
        };
        let key = keys.root_key(key_id).ok_or(Error::TokenInvalid)?;
        let tag = &token.raw[token.tag.clone()];
        if chain::verify(key, token.identifier_bytes(), token.caveat_bytes(), tag) {
            Ok(())
        } else {
            Err(Error::TokenInvalid)
        }
    }

    /// Clearing alone: checks every caveat against `ctx`, in chain order, and returns the expiry
    /// (the least `validUntil`). Only call this on a token whose signature was checked.
    ///
    /// Everything [`Verifier::verify`] checks after the signature belongs here and in its twin
    /// [`Verifier::clear_decoded`], which the verification cache runs on every hit (it skips
    /// decoding and the chain, never clearing). Keep the two in step.
    pub(crate) fn clear(&self, token: &Token, ctx: &Context) -> Result<Option<u64>, Error> {
        let mut expires: Option<u64> = None;
        for (index, bytes) in token.caveat_bytes().enumerate() {
            // Fast path: the common native kinds, read in place without allocating. The owned
            // decoder below stays the authority for every other kind and for every error.
            let view = if token.format() == Format::Native {
                native::view_caveat(bytes)
            } else {
                None
            };
            if let Some(view) = view {
                let holds = match view {
                    CaveatView::Time(t) => {
                        expires = Some(expires.map_or(t.valid_until, |e| e.min(t.valid_until)));
                        Some(t.holds(ctx.now, self.leeway))
                    }
                    CaveatView::Ip(ip) => Some(ip.holds(ctx.ip)),
                    CaveatView::App { name, value } => {
                        self.predicates.get(name).map(|p| p(value, ctx))
                    }
                };
                match holds {
                    Some(true) => continue,
                    Some(false) => {
                        // Built here rather than by `check_caveat`, which would call the
                        // predicate a second time.
                        let caveat = codec::decode_caveat(token.format(), index, bytes)?;
                        return Err(Error::TokenCaveatUnverified {
                            index,
                            caveat: caveat.to_json(),
                        });
                    }
                    // No predicate registered: `check_caveat` reports it.
                    None => {}
                }
            }
            let caveat = codec::decode_caveat(token.format(), index, bytes)?;
            if let Caveat::Time(t) = &caveat {
                expires = Some(expires.map_or(t.valid_until, |e| e.min(t.valid_until)));
            }
            self.check_caveat(index, &caveat, ctx)?;
        }
        Ok(expires)
    }

    /// Clearing, for a token [`Verifier::clear`] already accepted once, from its caveats decoded
    /// then (the verification cache's hits). Must check everything `clear` checks; the cache's
    /// property test compares the two.
    pub(crate) fn clear_decoded(&self, caveats: &[Caveat], ctx: &Context) -> Result<(), Error> {
        for (index, caveat) in caveats.iter().enumerate() {
            self.check_caveat(index, caveat, ctx)?;
        }
        Ok(())
    }

    /// Checks one caveat against `ctx`.
    ///
    /// # Errors
    /// `tokenCaveatUnknown` for an application caveat with no predicate registered,
    /// `tokenCaveatUnverified` when the caveat does not hold.
    pub fn check_caveat(&self, index: usize, caveat: &Caveat, ctx: &Context) -> Result<(), Error> {
        let holds = match caveat {
            Caveat::Time(c) => c.holds(ctx.now, self.leeway),
            Caveat::Ip(c) => c.holds(ctx.ip),
            Caveat::InviteType(c) => c.holds(ctx.invite_type),
            Caveat::App(c) => match self.predicates.get(c.name()) {
                Some(p) => p(c.value(), ctx),
                None => {
                    return Err(Error::TokenCaveatUnknown {
                        index,
                        caveat: c.to_json().to_string(),
                    })
                }
            },
        };
        if holds {
            Ok(())
        } else {
            Err(Error::TokenCaveatUnverified {
                index,
                caveat: caveat.to_json(),
            })
        }
    }
}

/// A token whose whole chain verified under a root key and whose every caveat held in the
/// request context it was checked against.
#[derive(Debug, Clone)]
pub struct VerifiedToken {
    token: Token,
    expires: Option<u64>,
}

impl VerifiedToken {
    /// The verified identifier.
    #[must_use]
    pub fn identifier(&self) -> Identifier<'_> {
        // Invariant: a Token only exists if its identifier decoded, and a Token is immutable.
        #[allow(clippy::expect_used)]
        self.token
            .untrusted_identifier()
            .expect("identifier was validated when the token was decoded")
    }

    /// The least `validUntil` over the token's time caveats, if it has any.
    #[must_use]
    pub fn expires(&self) -> Option<u64> {
        self.expires
    }

    /// The verified caveats, in chain order.
    #[must_use]
    pub fn caveats(&self) -> Vec<Caveat> {
        self.token
            .untrusted_caveats()
            .filter_map(Result::ok)
            .collect()
    }

    /// The token itself (e.g. to attenuate it further).
    #[must_use]
    pub fn token(&self) -> &Token {
        &self.token
    }
}
