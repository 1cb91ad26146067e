//! How a verifier finds the root key a token was minted with.
//!
//! The simple case is a [`KeyRing`]: keys by the key id the token names (rotation is adding a
//! key under a new id, minting with it, and removing the old one when its tokens have expired).
//! A verifier may keep another model, such as Onedata's: one secret per named token (revoking it
//! is deleting its secret) and one per subject for its temporary tokens (revoke-all rotates it).
//! For that, a [`KeySource`] sees the token's whole identifier through [`KeyQuery`], not only
//! its key id.
//!
//! Everything a `KeyQuery` shows is UNTRUSTED: the signature has not been checked yet (it is
//! checked with the key returned). A key source must treat it as a lookup key only, never as a
//! fact about the token.

use crate::error::Error;
use crate::format::Format;
use crate::identifier::Identifier;
use crate::key::{KeyRing, RootKey};
use crate::token::Token;

/// What a key source may look at to find a token's root key: all of it untrusted.
#[derive(Debug, Clone, Copy)]
pub struct KeyQuery<'a> {
    token: &'a Token,
    key_id: Option<&'a str>,
}

impl<'a> KeyQuery<'a> {
    /// A query for `token`, whose key id (already read) is `key_id`.
    pub(crate) fn new(token: &'a Token, key_id: Option<&'a str>) -> Self {
        Self { token, key_id }
    }

    /// The key id the token names (`None` when it names none, and always for the Onedata and
    /// libmacaroons formats, which have no place for one).
    #[must_use]
    pub fn untrusted_key_id(&self) -> Option<&'a str> {
        self.key_id
    }

    /// The token's format.
    #[must_use]
    pub fn format(&self) -> Format {
        self.token.format()
    }

    /// The identifier, parsed but NOT verified (parsed only when asked).
    ///
    /// # Errors
    /// `badToken` for a libmacaroons-format token, whose identifier is opaque (see
    /// [`KeyQuery::untrusted_identifier_bytes`]).
    pub fn untrusted_identifier(&self) -> Result<Identifier<'a>, Error> {
        self.token.untrusted_identifier()
    }

    /// The identifier's bytes, as MACed (the opaque identifier of a libmacaroons token).
    #[must_use]
    pub fn untrusted_identifier_bytes(&self) -> &'a [u8] {
        self.token.identifier_bytes()
    }
}

/// Where a verifier finds the root key for a token.
///
/// Implement [`KeySource::root_key`] for keys by key id; implement [`KeySource::key_for`] as
/// well to look keys up by anything else the identifier says.
///
/// ```
/// use caveat_token::{KeyQuery, KeySource, RootKey};
/// use std::collections::HashMap;
///
/// /// Onedata's model: one secret per named token, looked up by its token id.
/// struct PerToken(HashMap<String, RootKey>);
///
/// impl KeySource for PerToken {
///     fn root_key(&self, _key_id: Option<&str>) -> Option<&RootKey> {
///         None
///     }
///     fn key_for(&self, query: &KeyQuery<'_>) -> Option<&RootKey> {
///         let id = query.untrusted_identifier().ok()?;
///         self.0.get(id.token_id.as_ref())
///     }
/// }
/// ```
pub trait KeySource {
    /// The key for `key_id` (`None` when the token names no key), or `None` if there is none.
    fn root_key(&self, key_id: Option<&str>) -> Option<&RootKey>;

    /// The key for the token described by `query`; by default, [`KeySource::root_key`] of its
    /// key id.
    fn key_for(&self, query: &KeyQuery<'_>) -> Option<&RootKey> {
        self.root_key(query.untrusted_key_id())
    }
}

/// The root key `keys` gives for `token`, asked by its key id (none for an opaque identifier):
/// the one lookup every signature check makes.
///
/// # Errors
/// `tokenInvalid` when there is none (an unknown key is a wrong key), or the token's
/// identifier does not decode.
pub(crate) fn root_key_for<'k, K: KeySource + ?Sized>(
    token: &Token,
    keys: &'k K,
) -> Result<&'k RootKey, Error> {
    if token.format().is_macaroon() {
        keys.key_for(&KeyQuery::new(token, None))
    } else {
        let identifier = token.untrusted_identifier()?;
        keys.key_for(&KeyQuery::new(token, identifier.key_id.as_deref()))
    }
    .ok_or(Error::INVALID)
}

/// A single key verifies tokens whatever key id they name (the MAC decides).
impl KeySource for RootKey {
    fn root_key(&self, _key_id: Option<&str>) -> Option<&RootKey> {
        Some(self)
    }
}

impl KeySource for KeyRing {
    fn root_key(&self, key_id: Option<&str>) -> Option<&RootKey> {
        self.get(key_id)
    }
}
