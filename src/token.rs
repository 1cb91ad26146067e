//! The [`Token`] container: an identifier, caveats and a tag as bytes, in one of the formats.
//!
//! Holding a [`Token`] proves nothing: everything read from it before verification is untrusted,
//! and the accessors say so (`untrusted_…`). Only [`crate::verify::Verifier`] yields a
//! [`crate::verify::VerifiedToken`].

use crate::caveat::Caveat;
use crate::chain::{self, Tag};
use crate::codec::{self, Format};
use crate::error::Error;
use crate::error::{DenialError, ValueError};
use crate::identifier::{Identifier, Persistence};
use crate::key::RootKey;
use crate::spans::Spans;
use crate::third_party::{self, ThirdPartyCaveat, NONCE_LEN};

/// A token as bytes: an identifier, caveats and a tag, in one of the supported formats.
///
/// Nothing read from a `Token` is trusted until a verifier checked it. Anyone holding a token can
/// [`attenuate`](Token::attenuate) it; nobody can remove, reorder or truncate its caveats.
///
/// In the native and Onedata formats the identifier is a structured [`Identifier`]; in
/// libmacaroons' formats ([`Format::MACAROON`]) it is opaque bytes
/// ([`Token::identifier_bytes`]). A caveat is first-party (a condition, checked when the token
/// is cleared) or third-party (discharged by another token, see [`Token::attenuate_third_party`]).
///
/// ```
/// use caveat_token::{Caveat, Identifier, Limits, Persistence, RootKey, Subject, Token, TokenType};
///
/// let key = RootKey::from_hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")?;
/// let id = Identifier {
///     location: "auth.example.com".into(),
///     key_id: None,
///     token_id: "t-1".into(),
///     subject: Subject::User("alice".into()),
///     token_type: TokenType::Identity,
///     persistence: Persistence::Named,
/// };
/// // Mint (the issuer, with the key), then attenuate (anyone, without it).
/// let token = Token::mint(&key, &id, &[Caveat::time(2_000)])?;
/// let narrowed = token.attenuate(&Caveat::from_text("ip = 10.0.0.0/8")?)?;
/// assert_eq!(narrowed.caveat_count(), 2);
///
/// // The text form travels; decoding it trusts nothing yet.
/// let text = narrowed.to_text();
/// let decoded = Token::from_text(&text, &Limits::default())?;
/// assert_eq!(decoded.as_bytes(), narrowed.as_bytes());
/// assert_eq!(decoded.untrusted_identifier()?.token_id, "t-1");
/// # Ok::<(), caveat_token::Error>(())
/// ```
#[derive(Clone)]
pub struct Token {
    spans: Spans,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("format", &self.spans.format)
            .field("bytes", &self.spans.raw.len())
            .field("caveats", &self.spans.caveats.len())
            .finish_non_exhaustive()
    }
}

impl Token {
    /// The one way from decoded or assembled parts to a token: every range lies in the bytes
    /// and the tag is exactly 32 bytes, so no accessor below can fail.
    fn from_spans(spans: Spans) -> Result<Self, Error> {
        if spans.is_consistent() {
            Ok(Self { spans })
        } else {
            Err(Error::bad("inconsistent token parts"))
        }
    }

    /// The parts, for the signature walk and the verifier.
    pub(crate) fn spans(&self) -> &Spans {
        &self.spans
    }

    /// Mints a native token: signs `identifier` with `key`, then appends `caveats` in order.
    ///
    /// # Errors
    /// `badValueIdentifier` when a field breaks the rules of SPEC.md.
    pub fn mint(
        key: &RootKey,
        identifier: &Identifier<'_>,
        caveats: &[Caveat],
    ) -> Result<Self, Error> {
        Self::mint_as(Format::Native, key, identifier, caveats)
    }

    /// Mints a token in `format`: signs `identifier` with `key`, then appends `caveats` in
    /// order. For [`Format::Onedata`] the key is Onedata's secret as bytes
    /// (`RootKey::from_bytes(secret.as_bytes())`).
    ///
    /// A temporary token must carry a time caveat (SPEC.md §6.2): it is revoked only by a
    /// generation bump, so without one it would stay valid for as long as its subject's
    /// generation does. Verifiers deny one that has none.
    ///
    /// # Errors
    /// `badValueIdentifier` when a field breaks the rules of SPEC.md (or, for Onedata, names a
    /// key id, which that format cannot carry); `tokenTimeCaveatRequired` for a temporary token
    /// without a time caveat; `badValueCaveat` when a caveat cannot be written in the format.
    pub fn mint_as(
        format: Format,
        key: &RootKey,
        identifier: &Identifier<'_>,
        caveats: &[Caveat],
    ) -> Result<Self, Error> {
        // Every error of the identifier, the format and the caveats first, then the rule.
        let token = Self::mint_unchecked(format, key, identifier, caveats)?;
        if matches!(identifier.persistence, Persistence::Temporary { .. })
            && !caveats.iter().any(|c| matches!(c, Caveat::Time(_)))
        {
            return Err(Error::Value(ValueError::TimeCaveatRequired {
                max_ttl: None,
            }));
        }
        Ok(token)
    }

    /// [`Token::mint_as`] without the temporary-token rule (see [`crate::hazmat`]).
    pub(crate) fn mint_unchecked(
        format: Format,
        key: &RootKey,
        identifier: &Identifier<'_>,
        caveats: &[Caveat],
    ) -> Result<Self, Error> {
        identifier.validate()?;
        let mut token = Self::from_spans(codec::start(format, key, identifier)?)?;
        for c in caveats {
            token = token.attenuate(c)?;
        }
        Ok(token)
    }

    /// Appends a caveat (no key needed): `tag' = HMAC(tag, caveat_bytes)`.
    ///
    /// # Errors
    /// `badValueCaveat` when the caveat cannot be written in this token's format.
    pub fn attenuate(&self, caveat: &Caveat) -> Result<Self, Error> {
        let bytes = codec::encode_caveat(self.spans.format, caveat)?;
        self.attenuate_raw(&bytes)
    }

    /// Appends caveat bytes as they are (for caveat kinds this crate does not model; in the
    /// libmacaroons formats, any predicate, e.g. `account = 3735928559`).
    ///
    /// # Errors
    /// `badValueCaveat` when the bytes cannot be carried by this token's format as a
    /// first-party caveat: an Onedata or V1 packet holds at most 65,535 bytes; a libmacaroons
    /// caveat is not empty; a native third-party caveat is added with
    /// [`Token::attenuate_third_party`].
    pub fn attenuate_raw(&self, caveat_bytes: &[u8]) -> Result<Self, Error> {
        if self.spans.format.is_macaroon() && caveat_bytes.is_empty() {
            return Err(Error::bad_caveat("caveat", "empty predicate"));
        }
        if self.spans.format == Format::Native && third_party::is_native(caveat_bytes) {
            return Err(Error::bad_caveat(
                "caveat",
                "a third-party caveat (kind 15): use attenuate_third_party",
            ));
        }
        let tag = chain::step(&self.tag(), caveat_bytes);
        Self::from_spans(codec::reassemble(&self.spans, caveat_bytes, &tag)?)
    }

    /// Mints a token in one of libmacaroons' formats ([`Format::MACAROON`]), whose identifier
    /// is opaque bytes: signs `identifier` with `key`, then appends `caveats` (as their text
    /// forms) in order. The location is not covered by the tag. A discharge for a third-party
    /// caveat is minted so, with the caveat root key and the caveat id as identifier.
    ///
    /// # Errors
    /// `badValueIdentifier` when `format` is not a libmacaroons format, or the identifier is
    /// empty, or (V1) the identifier or location does not fit a packet; `badValueCaveat` as
    /// [`Token::attenuate`].
    #[cfg(feature = "macaroons")]
    pub fn mint_macaroon(
        format: Format,
        key: &RootKey,
        location: &str,
        identifier: &[u8],
        caveats: &[Caveat],
    ) -> Result<Self, Error> {
        if !format.is_macaroon() {
            return Err(Error::bad_identifier(
                "identifier",
                "opaque identifiers exist only in the libmacaroons formats",
            ));
        }
        if identifier.is_empty() {
            return Err(Error::bad_identifier("identifier", "must not be empty"));
        }
        let tag = chain::start(key.state(), identifier);
        let mut token = Self::from_spans(codec::libmacaroons::assemble(
            format,
            location.as_bytes(),
            identifier,
            &[],
            &tag,
        )?)?;
        for c in caveats {
            token = token.attenuate(c)?;
        }
        Ok(token)
    }

    /// Appends a third-party caveat: the holder of the caveat root key `caveat_key` (the third
    /// party, who learns it from `cid` or shares it beforehand) must discharge it. The key is
    /// sealed under the current tag with `nonce` into the verification id; `nonce` MUST be
    /// fresh random bytes for every caveat (the library takes it as a parameter and reads no
    /// randomness itself).
    ///
    /// # Errors
    /// `badValueKey` for an empty caveat key; `badValueCaveat` for an empty `cid`, in the
    /// Onedata format (which has no third-party caveats), or when a V1 packet would be too
    /// long.
    pub fn attenuate_third_party(
        &self,
        location: &str,
        caveat_key: &[u8],
        cid: &[u8],
        nonce: &[u8; NONCE_LEN],
    ) -> Result<Self, Error> {
        if caveat_key.is_empty() {
            return Err(Error::Value(ValueError::Key {
                reason: "empty key",
            }));
        }
        if cid.is_empty() {
            return Err(Error::bad_caveat("cid", "must not be empty"));
        }
        let tag = self.tag();
        let chain_key = chain::derive_key(caveat_key);
        let vid = third_party::seal(&tag, nonce, &chain_key)?;
        match self.spans.format {
            #[cfg(feature = "onedata")]
            Format::Onedata => Err(Error::bad_caveat(
                "caveat",
                "the Onedata format has no third-party caveats",
            )),
            Format::Native => {
                let bytes = third_party::encode_native(cid, &vid, location);
                let next = third_party::step(&tag, &vid, &bytes);
                Self::from_spans(codec::reassemble(&self.spans, &bytes, &next)?)
            }
            #[cfg(feature = "macaroons")]
            Format::MacaroonV1 | Format::MacaroonV2 | Format::MacaroonV2J => {
                let next = third_party::step(&tag, &vid, cid);
                codec::libmacaroons::append(
                    &self.spans,
                    codec::libmacaroons::Parts {
                        cid,
                        vid: Some(&vid),
                        location: location.as_bytes(),
                    },
                    &next,
                )
                .and_then(Self::from_spans)
            }
        }
    }

    /// This token (a discharge) bound to `token`, the token it is sent with:
    /// its tag becomes `HMAC(Z, HMAC(Z, token_tag) || HMAC(Z, tag))` (pymacaroons'
    /// `prepare_for_request`). Bind every discharge, nested ones too, to the top-level token.
    #[must_use]
    pub fn bind_to(&self, token: &Token) -> Token {
        let bound = third_party::bind(&token.tag(), &self.tag());
        let mut out = self.clone();
        out.spans.raw[out.spans.tag.clone()].copy_from_slice(bound.as_bytes());
        out
    }

    /// Decodes a token from its text form, detecting the format: `cvt1_` native, `{` V2J, `Ag`
    /// V2, `MDA` Onedata, else V1 (a text is never both an Onedata token and a V1 macaroon; see
    /// SPEC.md §11).
    ///
    /// # Errors
    /// `tokenTooLarge` before decoding when the text exceeds the limits, `badToken` when it is
    /// not a well-formed token.
    pub fn from_text(text: &str, limits: &codec::Limits) -> Result<Self, Error> {
        Self::from_spans(codec::decode_text(text, limits)?)
    }

    /// Decodes the text form of a token in one of libmacaroons' formats, detecting which: `{`
    /// is V2J; otherwise base64 (either alphabet, padded or not) whose first byte is 2 (V2) or
    /// a hex digit (V1). [`Token::from_text`] reads these formats too; this one reports V1's
    /// error for a malformed text starting with `MDA` rather than Onedata's.
    ///
    /// # Errors
    /// As [`Token::from_text`].
    #[cfg(feature = "macaroons")]
    pub fn from_macaroon_text(text: &str, limits: &codec::Limits) -> Result<Self, Error> {
        Self::from_spans(codec::decode_macaroon_text(text, limits)?)
    }

    /// Decodes a native token from its binary form.
    ///
    /// # Errors
    /// As [`Token::from_text`].
    pub fn from_bytes(bytes: &[u8], limits: &codec::Limits) -> Result<Self, Error> {
        Self::from_bytes_as(Format::Native, bytes, limits)
    }

    /// Decodes a token of `format` from its binary form (for Onedata and V1: the packets,
    /// before base64 and escaping; for V2 and V2J: the V2 binary form).
    ///
    /// # Errors
    /// As [`Token::from_text`].
    pub fn from_bytes_as(
        format: Format,
        bytes: &[u8],
        limits: &codec::Limits,
    ) -> Result<Self, Error> {
        // Size first: an oversize input is rejected before it is copied.
        limits.check_token_bytes(bytes.len())?;
        Self::from_spans(codec::decode(format, bytes.to_vec(), limits)?)
    }

    /// The text form (native: `cvt1_` then base64url without padding; Onedata: base64url
    /// without padding, then Onedata's escape; V1 and V2: base64url without padding; V2J:
    /// JSON).
    #[must_use]
    pub fn to_text(&self) -> String {
        codec::encode_text(&self.spans)
    }

    /// The binary form, exactly the bytes the token was decoded from or minted as (for
    /// Onedata and V1: the packets; for V2J: the V2 binary form of its fields).
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.spans.raw
    }

    /// The token's format.
    #[must_use]
    pub fn format(&self) -> Format {
        self.spans.format
    }

    /// The tag as carried by the token (unverified).
    #[must_use]
    pub fn tag(&self) -> Tag {
        // Never the fallback: `from_spans` checked the tag is exactly TAG_LEN bytes.
        Tag::from_slice(self.spans.tag_bytes()).unwrap_or(Tag::from_bytes([0; chain::TAG_LEN]))
    }

    /// The identifier bytes exactly as MACed.
    #[must_use]
    pub fn identifier_bytes(&self) -> &[u8] {
        self.spans.identifier_bytes()
    }

    /// Each caveat's bytes exactly as MACed, in chain order (for a third-party caveat in a
    /// libmacaroons format, its caveat id; see [`Token::untrusted_third_party_caveats`]).
    pub fn caveat_bytes(&self) -> impl ExactSizeIterator<Item = &[u8]> + '_ {
        self.spans.caveat_bytes()
    }

    /// The third-party caveats, in chain order, NOT verified.
    pub fn untrusted_third_party_caveats(
        &self,
    ) -> impl ExactSizeIterator<Item = ThirdPartyCaveat<'_>> + '_ {
        self.spans.third_party.iter().map(|span| ThirdPartyCaveat {
            index: span.index,
            cid: self.spans.slice(&span.cid),
            vid: self.spans.slice(&span.vid),
            location: span
                .location
                .as_ref()
                .map_or(&[][..], |l| self.spans.slice(l)),
        })
    }

    /// Whether the caveat at `index` is a third-party caveat.
    #[must_use]
    pub fn is_third_party(&self, index: usize) -> bool {
        self.spans
            .third_party
            .binary_search_by_key(&index, |s| s.index)
            .is_ok()
    }

    /// The location of an Onedata or libmacaroons-format token, which is NOT covered by the tag
    /// (anyone can change it); `None` for a native token, whose location is part of its
    /// identifier. Locations are UTF-8 in every format.
    #[must_use]
    pub fn untrusted_location(&self) -> Option<&str> {
        codec::untrusted_location(&self.spans).map(|l| std::str::from_utf8(l).unwrap_or_default())
    }

    /// Number of caveats.
    #[must_use]
    pub fn caveat_count(&self) -> usize {
        self.spans.caveats.len()
    }

    /// The identifier, parsed but NOT verified.
    ///
    /// # Errors
    /// `badToken` for a token in a libmacaroons format, whose identifier is opaque (see
    /// [`Token::identifier_bytes`]); cannot happen for other tokens that decoded, which checked
    /// it.
    pub fn untrusted_identifier(&self) -> Result<Identifier<'_>, Error> {
        codec::decode_identifier(&self.spans)
    }

    /// The caveats, parsed but NOT verified; one result per caveat. A third-party caveat, and
    /// a libmacaroons predicate that is not the canonical text of a typed caveat, give
    /// `tokenCaveatUnknown`.
    pub fn untrusted_caveats(&self) -> impl Iterator<Item = Result<Caveat, Error>> + '_ {
        let format = self.spans.format;
        self.caveat_bytes().enumerate().map(move |(i, b)| {
            if self.is_third_party(i) {
                // A libmacaroons caveat id may read as a predicate; it is not one.
                return Err(Error::Denied(DenialError::CaveatUnknown {
                    index: i,
                    caveat: codec::display_bytes(b),
                }));
            }
            codec::decode_caveat(format, i, b)
        })
    }
}
