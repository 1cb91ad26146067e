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
use crate::key::RootKey;
use crate::token::{Identifier, Token};

pub use crate::chain::{compute, derive_key, hmac_sha256, start, step, tags, verify, Tag, TAG_LEN};

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
