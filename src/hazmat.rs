//! Hazardous materials: the signature chain's primitives and a way to mint tokens that break
//! the issuance rules.
//!
//! Nothing here is needed to mint, attenuate or verify tokens: [`crate::Token`] and
//! [`crate::Verifier`] do all of that. These are for building other formats on the same chain,
//! for interoperability tests, and for testing verifiers against tokens that well-behaved
//! issuers never produce. Every function does exactly what it says and checks nothing more.

use crate::caveat::Caveat;
use crate::codec::Format;
use crate::error::Error;
use crate::identifier::Identifier;
use crate::key::RootKey;
use crate::token::Token;

pub use crate::chain::{derive_key, hmac_sha256, step, ChainKey, Tag, KEY_GENERATOR, TAG_LEN};
pub use crate::revocation::check as revocation_decision;
pub use crate::third_party::{
    bind as bind_discharge, step as third_party_step, NATIVE_KIND as NATIVE_THIRD_PARTY_KIND,
    VID_LEN,
};

/// `tag_0 = HMAC(derived key, identifier)`: the first tag of a chain.
#[must_use]
pub fn start(key: &RootKey, identifier: &[u8]) -> Tag {
    crate::chain::start(key.state(), identifier)
}

/// The final tag over an identifier and caveats.
#[must_use]
pub fn compute<'a, I>(key: &RootKey, identifier: &[u8], caveats: I) -> Tag
where
    I: IntoIterator<Item = &'a [u8]>,
{
    crate::chain::compute(key.state(), identifier, caveats)
}

/// Every tag of the chain: `tag_0` then one per caveat (the last one is the token's tag).
#[must_use]
pub fn tags<'a, I>(key: &RootKey, identifier: &[u8], caveats: I) -> Vec<Tag>
where
    I: IntoIterator<Item = &'a [u8]>,
{
    crate::chain::tags(key.state(), identifier, caveats)
}

/// Recomputes the whole chain and compares the result with `tag` in constant time.
#[must_use]
pub fn verify<'a, I>(key: &RootKey, identifier: &[u8], caveats: I, tag: &[u8]) -> bool
where
    I: IntoIterator<Item = &'a [u8]>,
{
    crate::chain::verify(key.state(), identifier, caveats, tag)
}

/// Mints a token as [`Token::mint_as`] does, but without the rule that a temporary token
/// carries a time caveat. A verifier denies such a token (`tokenTimeCaveatRequired`); this
/// exists so that the denial can be tested, as a token minted by other code would be.
///
/// ```
/// use caveat_token::{hazmat, Context, Format, Identifier, KeyRing, Persistence, RootKey,
///     Subject, TokenType, Verifier};
///
/// let key = RootKey::from_bytes(&[7; 32])?;
/// let id = Identifier {
///     location: "auth.example.com".into(),
///     key_id: None,
///     token_id: "t1".into(),
///     subject: Subject::parse("usr-alice")?,
///     token_type: TokenType::Access { session: None },
///     persistence: Persistence::Temporary { generation: 0 },
/// };
/// let token = hazmat::mint_unchecked(Format::Native, &key, &id, &[])?;
/// let err = Verifier::new().verify(token, &key, &Context::at(0)).unwrap_err();
/// assert_eq!(err.id(), "tokenTimeCaveatRequired");
/// # Ok::<(), caveat_token::Error>(())
/// ```
///
/// # Errors
/// As [`Token::mint_as`], less `tokenTimeCaveatRequired`.
pub fn mint_unchecked(
    format: Format,
    key: &RootKey,
    identifier: &Identifier<'_>,
    caveats: &[Caveat],
) -> Result<Token, Error> {
    Token::mint_unchecked(format, key, identifier, caveats)
}
