//! Issuance policy: what a temporary token must carry when it is minted, and the
//! exchange/refresh helper that turns a verified credential into a short-lived access token.
//!
//! A temporary token cannot be revoked on its own (only all of a subject's at once), so it must
//! expire: minting one requires a time caveat whose remaining TTL (the earliest `validUntil`
//! minus now) is positive and at most the policy's maximum (Onedata's default, 604800 s = 7
//! days; Spotinst uses 7200, IBM IAM 3600). Otherwise: `tokenTimeCaveatRequired` with `maxTtl`.

use crate::caveat::Caveat;
use crate::codec::Format;
use crate::error::Error;
use crate::error::{DenialError, Detail, ValueError};
use crate::identifier::{Identifier, Persistence, TokenType};
use crate::key::RootKey;
use crate::token::Token;
use crate::verified::VerifiedToken;

/// Onedata's default maximum TTL of a temporary token: 7 days, in seconds.
pub const DEFAULT_MAX_TTL: u64 = 604_800;

/// The rules for minting tokens.
///
/// ```
/// use caveat_token::{Caveat, Context, Exchange, Format, Identifier, IssuancePolicy};
/// use caveat_token::{Persistence, RootKey, Subject, TokenType, Verifier};
///
/// let key = RootKey::from_bytes(b"a root key of at least 16 bytes")?;
/// let now = 1_700_000_000;
/// let policy = IssuancePolicy::new().with_max_ttl(3_600);
/// let mut id = Identifier {
///     location: "auth.example.com".into(),
///     key_id: None,
///     token_id: "t-1".into(),
///     subject: Subject::User("alice".into()),
///     token_type: TokenType::Access { session: None },
///     persistence: Persistence::Temporary { generation: 1 },
/// };
///
/// // A temporary token needs a time caveat within the maximum TTL.
/// let refused = policy.mint(Format::Native, &key, &id, &[], now);
/// assert_eq!(refused.unwrap_err().id(), "tokenTimeCaveatRequired");
/// let temporary = policy.mint(Format::Native, &key, &id, &[Caveat::time(now + 600)], now)?;
///
/// // Exchange: a verified API-key style (named) token for a short-lived temporary one.
/// id.persistence = Persistence::Named;
/// id.token_id = "api-key-7".into();
/// let api_key = policy.mint(Format::Native, &key, &id, &[], now)?;
/// let verified = Verifier::new().verify(api_key, &key, &Context::at(now))?;
/// let request = Exchange { token_id: "t-2", current_generation: 1, now, ttl: 900 };
/// let fresh = policy.exchange(&verified, &key, &request)?;
/// let ok = Verifier::new().verify(fresh, &key, &Context::at(now + 60))?;
/// assert_eq!(ok.expires(), Some(now + 900));
/// # drop(temporary);
/// # Ok::<(), caveat_token::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IssuancePolicy {
    max_ttl: u64,
}

impl Default for IssuancePolicy {
    fn default() -> Self {
        Self {
            max_ttl: DEFAULT_MAX_TTL,
        }
    }
}

/// What an exchange needs besides the credential and the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exchange<'a> {
    /// The new token's id.
    pub token_id: &'a str,
    /// The subject's current generation of temporary tokens (the new token gets it).
    pub current_generation: u64,
    /// Now, in unix seconds.
    pub now: u64,
    /// How long the new token lives, in seconds (at most the policy's maximum).
    pub ttl: u64,
}

impl IssuancePolicy {
    /// The default policy (maximum TTL 604800 s).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the maximum TTL of temporary tokens, in seconds.
    #[must_use]
    pub fn with_max_ttl(mut self, seconds: u64) -> Self {
        self.max_ttl = seconds;
        self
    }

    /// The maximum TTL of temporary tokens, in seconds.
    #[must_use]
    pub fn max_ttl(&self) -> u64 {
        self.max_ttl
    }

    /// Checks that a token with this identifier and these caveats may be minted at `now`:
    /// a temporary token needs a time caveat, and the earliest `validUntil` must lie in
    /// `(now, now + maxTtl]`. Named tokens need nothing.
    ///
    /// # Errors
    /// `tokenTimeCaveatRequired` with `maxTtl`.
    pub fn check(
        &self,
        identifier: &Identifier<'_>,
        caveats: &[Caveat],
        now: u64,
    ) -> Result<(), Error> {
        if identifier.persistence == Persistence::Named {
            return Ok(());
        }
        let earliest = caveats
            .iter()
            .filter_map(|c| match c {
                Caveat::Time(t) => Some(t.valid_until),
                _ => None,
            })
            .min();
        match earliest.and_then(|until| until.checked_sub(now)) {
            Some(ttl) if ttl > 0 && ttl <= self.max_ttl => Ok(()),
            _ => Err(Error::Value(ValueError::TimeCaveatRequired {
                max_ttl: Some(self.max_ttl),
            })),
        }
    }

    /// Checks the policy, then mints (see [`Token::mint_as`]).
    ///
    /// # Errors
    /// `tokenTimeCaveatRequired`, or any error of [`Token::mint_as`].
    pub fn mint(
        &self,
        format: Format,
        key: &RootKey,
        identifier: &Identifier<'_>,
        caveats: &[Caveat],
        now: u64,
    ) -> Result<Token, Error> {
        self.check(identifier, caveats, now)?;
        Token::mint_as(format, key, identifier, caveats)
    }

    /// Exchanges a verified credential (an API-key style named access token, or a refresh
    /// token) for a fresh temporary access token: same location, key id, subject and type
    /// (session included), a new id, the subject's current generation, every caveat of the
    /// original copied byte for byte, and a new time caveat `now + ttl`. It can never allow
    /// more than the original: it carries all the original's restrictions and more.
    ///
    /// A temporary credential must be of the current generation (it may have been verified by a
    /// verifier without a generation source).
    ///
    /// # Errors
    /// `notAnAccessToken` when the credential is not an access token; `tokenRevoked` /
    /// `tokenInvalid` for a temporary credential of an older / newer generation;
    /// `tokenTimeCaveatRequired` when `ttl` is 0 or above the maximum (or the original expires
    /// already); `badValueIdentifier` for a bad token id.
    pub fn exchange(
        &self,
        original: &VerifiedToken,
        key: &RootKey,
        request: &Exchange<'_>,
    ) -> Result<Token, Error> {
        let source = original.identifier();
        if !matches!(source.token_type, TokenType::Access { .. }) {
            return Err(Error::Denied(DenialError::NotAnAccessToken {
                received: Detail::new(source.token_type.clone().into_owned()),
            }));
        }
        if let Persistence::Temporary { generation } = source.persistence {
            if generation < request.current_generation {
                return Err(Error::REVOKED);
            }
            if generation > request.current_generation {
                return Err(Error::INVALID);
            }
        }
        let identifier = Identifier {
            token_id: request.token_id.into(),
            persistence: Persistence::Temporary {
                generation: request.current_generation,
            },
            ..source
        };
        let required = Error::Value(ValueError::TimeCaveatRequired {
            max_ttl: Some(self.max_ttl),
        });
        // The new caveat alone must respect the maximum (the original may expire sooner)...
        if request.ttl == 0 || request.ttl > self.max_ttl {
            return Err(required);
        }
        let valid_until = request.now.checked_add(request.ttl).ok_or(required)?;
        let time = Caveat::time(valid_until);
        // ...and so must the token as a whole (an original that expired already fails here).
        let mut caveats = original.caveats();
        caveats.push(time.clone());
        self.check(&identifier, &caveats, request.now)?;
        // Minted without caveats and attenuated at once: the original's bytes, then the time
        // caveat that `check` has just required, so the rule of `mint_as` holds on return.
        let mut token = Token::mint_unchecked(original.token().format(), key, &identifier, &[])?;
        for bytes in original.token().caveat_bytes() {
            token = token.attenuate_raw(bytes)?;
        }
        token.attenuate(&time)
    }
}
