//! What verification yields: a [`VerifiedToken`] (native and Onedata tokens, with a structured
//! identifier), a [`VerifiedMacaroon`] (libmacaroons formats, opaque identifier), or either as
//! [`Verified`]. Each holds the token whose whole chain verified and whose every caveat held,
//! the expiry, and the [`Restrictions`] the caller must still enforce.

use crate::caveat::{Caveat, Gri, Operation, ServiceKind};
use crate::error::Error;
use crate::identifier::Identifier;
use crate::restrictions::{DataAccess, Restrictions};
use crate::token::Token;

/// A token whose signature, and those of its discharges, verified under a root key: it was
/// minted by a holder of the key and nothing was removed, but it has not been checked against
/// any request. [`crate::Verifier::clear`] turns it into a [`Verified`] for one request; keep it
/// (it is `Clone`) to clear it again for the next.
///
/// Its identifier is signed ([`SignedToken::identifier`]); its location, in the Onedata and
/// libmacaroons formats, is not (anyone may change it): it is kept apart, as
/// [`SignedToken::untrusted_location`].
#[derive(Debug, Clone)]
pub struct SignedToken {
    token: Token,
    discharges: Vec<Token>,
    /// The order in which the discharges were verified; `None` when only the token's own chain
    /// was (its third-party caveats are then undischarged).
    order: Option<Vec<usize>>,
}

impl SignedToken {
    pub(crate) fn new(token: Token, discharges: Vec<Token>, order: Option<Vec<usize>>) -> Self {
        Self {
            token,
            discharges,
            order,
        }
    }

    pub(crate) fn into_parts(self) -> (Token, Vec<Token>, Option<Vec<usize>>) {
        (self.token, self.discharges, self.order)
    }

    /// The token.
    #[must_use]
    pub fn token(&self) -> &Token {
        &self.token
    }

    /// The discharges verified with it (bound to it), in the order they were supplied.
    #[must_use]
    pub fn discharges(&self) -> &[Token] {
        &self.discharges
    }

    /// The signed identifier of a native or Onedata token (what its issuer wrote, not yet
    /// checked against a request).
    ///
    /// # Errors
    /// `badToken` for a libmacaroons-format token, whose identifier is opaque
    /// ([`Token::identifier_bytes`]).
    pub fn identifier(&self) -> Result<Identifier<'_>, Error> {
        self.token.untrusted_identifier()
    }

    /// The location of an Onedata or libmacaroons-format token, which its tag does NOT cover.
    #[must_use]
    pub fn untrusted_location(&self) -> Option<&str> {
        self.token.untrusted_location()
    }
}

/// A token whose whole chain verified under a root key and whose every caveat held in the
/// request context it was checked against.
///
/// What it still asks of the caller is in [`VerifiedToken::restrictions`]: the `api` and
/// data-access caveats of the token and of every discharge, which only the service can check,
/// operation by operation.
#[derive(Debug, Clone)]
pub struct VerifiedToken {
    token: Token,
    expires: Option<u64>,
    restrictions: Restrictions,
}

impl VerifiedToken {
    /// Wraps a token that was verified and cleared, with what clearing collected.
    pub(crate) fn new(token: Token, expires: Option<u64>, restrictions: Restrictions) -> Self {
        Self {
            token,
            expires,
            restrictions,
        }
    }

    /// The verified identifier.
    ///
    /// # Panics
    /// Never: a `Token` exists only if its identifier decoded, and a `Token` is immutable, so
    /// parsing it again cannot fail.
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

    /// Every restriction the caller enforces after verification (`api`, `data.*`), from the
    /// token and from every discharge.
    #[must_use]
    pub fn restrictions(&self) -> &Restrictions {
        &self.restrictions
    }

    /// Checks one operation against every `api` caveat of the token and of its discharges
    /// (see [`Restrictions::check_api`]).
    ///
    /// # Errors
    /// `tokenCaveatUnverified` naming the first `api` caveat that does not allow it.
    pub fn check_api(
        &self,
        service: ServiceKind,
        operation: Operation,
        gri: &Gri,
    ) -> Result<(), Error> {
        self.restrictions.check_api(service, operation, gri)
    }

    /// The data-access caveats of the token and of its discharges, for the service to check
    /// each data operation against (they held at verification only because the verifier
    /// allowed them).
    #[must_use]
    pub fn data_access(&self) -> DataAccess {
        self.restrictions.data_access()
    }
}

/// A libmacaroons-format token whose whole chain, and the chains of its discharges, verified
/// under the root key, and whose every caveat held in the request context.
///
/// Its identifier is opaque bytes, as the issuer wrote them: map it to what it means yourself.
#[derive(Debug, Clone)]
pub struct VerifiedMacaroon {
    token: Token,
    expires: Option<u64>,
    restrictions: Restrictions,
}

impl VerifiedMacaroon {
    /// Wraps a token that was verified and cleared, with what clearing collected.
    pub(crate) fn new(token: Token, expires: Option<u64>, restrictions: Restrictions) -> Self {
        Self {
            token,
            expires,
            restrictions,
        }
    }

    /// The verified identifier.
    #[must_use]
    pub fn identifier(&self) -> &[u8] {
        self.token.identifier_bytes()
    }

    /// The least `validUntil` over the `time < N` caveats of the token and its discharges, if
    /// any.
    #[must_use]
    pub fn expires(&self) -> Option<u64> {
        self.expires
    }

    /// The token itself (e.g. to attenuate it further).
    #[must_use]
    pub fn token(&self) -> &Token {
        &self.token
    }

    /// Every restriction the caller enforces after verification: the predicates that are the
    /// text of an `api` or data-access caveat, in the token and in every discharge.
    #[must_use]
    pub fn restrictions(&self) -> &Restrictions {
        &self.restrictions
    }

    /// The data-access caveats of the token and of its discharges.
    #[must_use]
    pub fn data_access(&self) -> DataAccess {
        self.restrictions.data_access()
    }
}

/// The result of [`crate::Verifier::verify_any`]: a token with a structured identifier, or a
/// libmacaroons-format token with an opaque one.
#[derive(Debug, Clone)]
#[allow(clippy::exhaustive_enums)] // the two kinds of identifier: a new one is a new major version
pub enum Verified {
    /// A native or Onedata token.
    Token(VerifiedToken),
    /// A libmacaroons-format token.
    Macaroon(VerifiedMacaroon),
}

impl Verified {
    /// The least `validUntil` over the time caveats, if any.
    #[must_use]
    pub fn expires(&self) -> Option<u64> {
        match self {
            Self::Token(t) => t.expires(),
            Self::Macaroon(m) => m.expires(),
        }
    }

    /// The token itself.
    #[must_use]
    pub fn token(&self) -> &Token {
        match self {
            Self::Token(t) => t.token(),
            Self::Macaroon(m) => m.token(),
        }
    }

    /// Every restriction the caller enforces after verification (`api`, `data.*`).
    #[must_use]
    pub fn restrictions(&self) -> &Restrictions {
        match self {
            Self::Token(t) => t.restrictions(),
            Self::Macaroon(m) => m.restrictions(),
        }
    }
}
