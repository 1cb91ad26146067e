//! Turning tokens into bytes and text and back: format detection, limits, and one submodule per
//! format. Every decoder here is strict, bounded by [`Limits`] and total (it answers every input
//! with a value or a typed error).

#[cfg(feature = "macaroons")]
pub(crate) mod libmacaroons;
pub(crate) mod native;
#[cfg(feature = "onedata")]
pub(crate) mod onedata;

use crate::error::{DenialError, Limit};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

pub(crate) use crate::format::Format;

use crate::caveat::Caveat;
use crate::chain::Tag;
use crate::error::Error;
use crate::identifier::Identifier;
use crate::spans::Spans;
use crate::third_party;

/// Decoding limits, checked before anything is allocated. The defaults are in SPEC.md §7;
/// every conforming implementation must accept at least the SPEC's minimums.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest token, in bytes of its binary form (the text form may be 4/3 of that plus the
    /// prefix). Default 16 KiB.
    pub max_token_bytes: usize,
    /// Most caveats in one token. Default 256.
    pub max_caveats: usize,
    /// Largest single caveat, in bytes. Default 1 KiB.
    pub max_caveat_bytes: usize,
    /// Largest identifier, in bytes. Default 2 KiB.
    pub max_identifier_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_token_bytes: 16 * 1024,
            max_caveats: 256,
            max_caveat_bytes: 1024,
            max_identifier_bytes: 2048,
        }
    }
}

impl Limits {
    /// The longest text form these limits allow, over all formats (Onedata's escape can double
    /// the base64 text).
    #[must_use]
    pub fn max_text_len(&self) -> usize {
        let longest = self.max_native_text_len();
        #[cfg(feature = "onedata")]
        let longest = longest.max(onedata::max_text_len(self));
        longest
    }

    /// The longest native text form these limits allow (base64 expansion plus the prefix).
    fn max_native_text_len(&self) -> usize {
        self.max_token_bytes
            .saturating_add(2)
            .saturating_div(3)
            .saturating_mul(4)
            .saturating_add(native::TEXT_PREFIX.len())
    }

    /// `tokenTooLarge` (limit `size`): the token is over [`Limits::max_token_bytes`].
    pub(crate) fn too_large(&self) -> Error {
        Error::too_large(Limit::Size, self.max_token_bytes)
    }

    /// Fails with [`Limits::too_large`] when a binary form of `len` bytes is over
    /// [`Limits::max_token_bytes`].
    #[inline]
    pub(crate) fn check_token_bytes(&self, len: usize) -> Result<(), Error> {
        if len > self.max_token_bytes {
            return Err(self.too_large());
        }
        Ok(())
    }
}

/// Decodes a token's text form, detecting its format.
pub(crate) fn decode_text(text: &str, limits: &Limits) -> Result<Spans, Error> {
    // The longest text of any format first (Onedata's), then the native bound for the rest.
    check_text_size(text, limits)?;
    #[cfg(feature = "onedata")]
    if text.starts_with(onedata::TEXT_START) {
        return onedata::decode_text(text, limits).or_else(|e| v1_or(text, limits, e));
    }
    #[cfg(feature = "macaroons")]
    if text.starts_with('{') || text.starts_with(V2_TEXT_START) {
        return libmacaroons::decode_text(text, limits);
    }
    if text.len() > limits.max_native_text_len() {
        return Err(limits.too_large());
    }
    if let Some(body) = text.strip_prefix(native::TEXT_PREFIX) {
        let raw = decode_base64url(body.as_bytes())
            .ok_or_else(|| Error::bad("invalid base64url (unpadded, URL-safe alphabet)"))?;
        return decode(Format::Native, raw, limits);
    }
    if native::looks_like_other_version(text) {
        return Err(Error::bad("unsupported version"));
    }
    v1_or(text, limits, Error::bad("unknown token format"))
}

/// The value of each base64url character (RFC 4648 §5); every other byte maps to all ones, so
/// that it sets the high bits of whatever it is shifted into (see [`decode_base64url`]).
static BASE64URL: [u64; 256] = {
    let mut table = [u64::MAX; 256];
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut i = 0;
    while i < alphabet.len() {
        table[alphabet[i] as usize] = i as u64;
        i += 1;
    }
    table
};

/// Decodes unpadded base64url exactly as strictly as `base64`'s `URL_SAFE_NO_PAD` engine (no
/// padding, no other alphabet, no length of 1 modulo 4, no set bits past the last byte), in one
/// pass straight into the token's buffer of the exact length; `None` for anything else. The
/// native text form is on the hot path of every verification; property tests check this
/// function against the `base64` crate.
fn decode_base64url(text: &[u8]) -> Option<Vec<u8>> {
    if text.len() % 4 == 1 {
        return None;
    }
    let value = |c: &u8| BASE64URL[usize::from(*c)];
    let mut out = vec![0u8; text.len() / 4 * 3 + (text.len() % 4).saturating_sub(1)];
    let chars = text.chunks_exact(8);
    let rest = chars.remainder();
    let mut bytes = out.chunks_exact_mut(6);
    // Eight characters, 48 bits, at a time. A character outside the alphabet sets every bit
    // from its place up, so bit 48 or above in `bad` marks one.
    let mut bad = 0u64;
    for (eight, six) in chars.zip(&mut bytes) {
        let n = eight.iter().fold(0u64, |n, c| (n << 6) | value(c));
        bad |= n;
        six.copy_from_slice(&n.to_be_bytes()[2..]);
    }
    if bad >> 48 != 0 {
        return None;
    }
    // The last 0, 2, 3, 4, 6 or 7 characters: `bits` bits for `bytes.len()` bytes, the `spare`
    // low bits of the last character zero.
    let n = rest.iter().fold(0u64, |n, c| (n << 6) | value(c));
    let bits = 6 * rest.len();
    let tail = bytes.into_remainder();
    let spare = bits - 8 * tail.len();
    if n >> bits != 0 || n & ((1 << spare) - 1) != 0 {
        return None;
    }
    tail.copy_from_slice(&(n >> spare).to_be_bytes()[8 - tail.len()..]);
    Some(out)
}

/// Reads `text` as a V1 macaroon when its bytes start with a V1 location packet header;
/// otherwise fails with `otherwise`.
///
/// V1 and Onedata texts both start with `MD` (the base64 of a location packet's length `00…`),
/// but no text is both: a V1 binary has `location` at bytes 4–11, so its base64 has `Y2F0aW9u`
/// at characters 8–15, and `0a` is not a valid Onedata escape; an Onedata text has the escape
/// `00` there instead, so its base64 reading never starts with a location packet. Which format
/// a text is in is therefore decided by trying Onedata first and then V1, never guessed; a text
/// that is neither gets the error of the format its bytes look like.
#[cfg(feature = "macaroons")]
fn v1_or(text: &str, limits: &Limits, otherwise: Error) -> Result<Spans, Error> {
    match libmacaroons::decode_base64(text) {
        Ok(raw) if libmacaroons::v1::starts_with_location(&raw) => {
            libmacaroons::decode(Format::MacaroonV1, raw, limits)
        }
        _ => Err(otherwise),
    }
}

/// Without the libmacaroons formats, nothing else is tried.
#[cfg(not(feature = "macaroons"))]
fn v1_or(_: &str, _: &Limits, otherwise: Error) -> Result<Spans, Error> {
    Err(otherwise)
}

/// How a V2 macaroon's text starts: the base64 of the version byte 2 and the next field type
/// (1 or 2), whose high bits are zero.
#[cfg(feature = "macaroons")]
const V2_TEXT_START: &str = "Ag";

#[cfg(feature = "macaroons")]
/// Decodes the text form of a libmacaroons-format token (V1, V2 or V2J, detected).
pub(crate) fn decode_macaroon_text(text: &str, limits: &Limits) -> Result<Spans, Error> {
    check_text_size(text, limits)?;
    libmacaroons::decode_text(text, limits)
}

fn check_text_size(text: &str, limits: &Limits) -> Result<(), Error> {
    if text.len() > limits.max_text_len() {
        return Err(limits.too_large());
    }
    if text.is_empty() {
        return Err(Error::bad("empty input"));
    }
    Ok(())
}

/// The text form of a token.
pub(crate) fn encode_text(token: &Spans) -> String {
    match token.format {
        Format::Native => {
            let mut out =
                String::with_capacity(native::TEXT_PREFIX.len() + token.raw.len() * 4 / 3 + 4);
            out.push_str(native::TEXT_PREFIX);
            URL_SAFE_NO_PAD.encode_string(&token.raw, &mut out);
            out
        }
        #[cfg(feature = "onedata")]
        Format::Onedata => onedata::encode_text(&token.raw),
        #[cfg(feature = "macaroons")]
        Format::MacaroonV1 | Format::MacaroonV2 | Format::MacaroonV2J => {
            libmacaroons::encode_text(token)
        }
    }
}

/// A caveat's bytes in `format`: its native encoding, or its text form for the other formats.
pub(crate) fn encode_caveat(format: Format, caveat: &Caveat) -> Result<Vec<u8>, Error> {
    match format {
        Format::Native => Ok(caveat.to_native()),
        // The text formats (Onedata's, libmacaroons').
        #[cfg(any(feature = "onedata", feature = "macaroons"))]
        _ => Ok(caveat.to_text().into_bytes()),
    }
}

/// Decodes one caveat's bytes. For Onedata, the text must be UTF-8, parse, and be exactly the
/// canonical text of what it parses to (so what is checked is what was MACed, one text per
/// meaning); anything else is `tokenCaveatUnknown`.
pub(crate) fn decode_caveat(format: Format, index: usize, bytes: &[u8]) -> Result<Caveat, Error> {
    match format {
        Format::Native => Caveat::from_native(bytes).map_err(|_| {
            Error::Denied(DenialError::CaveatUnknown {
                index,
                caveat: hex_excerpt(bytes),
            })
        }),
        #[cfg(any(feature = "onedata", feature = "macaroons"))]
        _ => {
            let unknown = || {
                Error::Denied(DenialError::CaveatUnknown {
                    index,
                    caveat: String::from_utf8_lossy(bytes).into_owned(),
                })
            };
            let text = std::str::from_utf8(bytes).map_err(|_| unknown())?;
            let caveat = Caveat::from_text(text).map_err(|_| unknown())?;
            if caveat.to_text() != text {
                return Err(unknown());
            }
            Ok(caveat)
        }
    }
}

/// The identifier of a token (parsed, not verified).
pub(crate) fn decode_identifier(token: &Spans) -> Result<Identifier<'_>, Error> {
    match token.format {
        Format::Native => native::decode_identifier(token.identifier_bytes()),
        #[cfg(feature = "onedata")]
        Format::Onedata => onedata::decode_identifier(token),
        #[cfg(feature = "macaroons")]
        Format::MacaroonV1 | Format::MacaroonV2 | Format::MacaroonV2J => Err(Error::bad(
            "a libmacaroons-format identifier is opaque (see Token::identifier_bytes)",
        )),
    }
}

/// The location of a token whose location is not covered by its tag (Onedata and the
/// libmacaroons formats); `None` for native tokens.
pub(crate) fn untrusted_location(token: &Spans) -> Option<&[u8]> {
    match token.format {
        Format::Native => None,
        #[cfg(feature = "onedata")]
        Format::Onedata => Some(onedata::location(&token.raw)),
        #[cfg(feature = "macaroons")]
        Format::MacaroonV1 | Format::MacaroonV2 | Format::MacaroonV2J => {
            Some(libmacaroons::location(token))
        }
    }
}

/// Encodes an identifier and signs it: a token of `format` with no caveats yet.
pub(crate) fn start(
    format: Format,
    key: &crate::key::RootKey,
    identifier: &Identifier<'_>,
) -> Result<Spans, Error> {
    match format {
        Format::Native => {
            let id_bytes = native::encode_identifier(identifier);
            let tag = crate::chain::start(key.state(), &id_bytes);
            Ok(native::assemble(&id_bytes, &[], &tag))
        }
        #[cfg(feature = "macaroons")]
        Format::MacaroonV1 | Format::MacaroonV2 | Format::MacaroonV2J => {
            Err(Error::bad_identifier(
                "identifier",
                "libmacaroons formats carry opaque identifiers (see Token::mint_macaroon)",
            ))
        }
        #[cfg(feature = "onedata")]
        Format::Onedata => {
            let id_text = onedata::encode_identifier(identifier)?;
            let tag = crate::chain::start(key.state(), id_text.as_bytes());
            onedata::assemble(
                identifier.location.as_bytes(),
                id_text.as_bytes(),
                &[],
                &tag,
            )
        }
    }
}

/// A copy of `token` with one more caveat and the new tag.
///
/// # Errors
/// `badValueCaveat` when the caveat cannot be written in the token's format (an Onedata packet
/// holds at most 65,535 bytes).
pub(crate) fn reassemble(token: &Spans, caveat: &[u8], tag: &Tag) -> Result<Spans, Error> {
    let caveats: Vec<&[u8]> = token
        .caveat_bytes()
        .chain(std::iter::once(caveat))
        .collect();
    match token.format {
        Format::Native => {
            let mut out = native::assemble(token.identifier_bytes(), &caveats, tag);
            third_party::index_native(&mut out);
            Ok(out)
        }
        #[cfg(feature = "onedata")]
        Format::Onedata => onedata::assemble(
            onedata::location(&token.raw),
            token.identifier_bytes(),
            &caveats,
            tag,
        ),
        #[cfg(feature = "macaroons")]
        Format::MacaroonV1 | Format::MacaroonV2 | Format::MacaroonV2J => libmacaroons::append(
            token,
            libmacaroons::Parts {
                cid: caveat,
                vid: None,
                location: &[],
            },
            tag,
        ),
    }
}

/// Decodes a binary form, dispatching on the format. The caller has checked the size.
pub(crate) fn decode(format: Format, raw: Vec<u8>, limits: &Limits) -> Result<Spans, Error> {
    match format {
        Format::Native => {
            let mut token = native::decode(raw, limits)?;
            third_party::index_native(&mut token);
            Ok(token)
        }
        #[cfg(feature = "onedata")]
        Format::Onedata => onedata::decode(raw, limits),
        #[cfg(feature = "macaroons")]
        Format::MacaroonV1 | Format::MacaroonV2 | Format::MacaroonV2J => {
            libmacaroons::decode(format, raw, limits)
        }
    }
}

/// Hex of at most [`MAX_ERROR_EXCERPT`] bytes, or the bytes themselves when they are printable
/// UTF-8 (no control characters) of at most that length: how ids appear in error details.
pub(crate) fn display_bytes(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) if bytes.len() <= MAX_ERROR_EXCERPT && !text.chars().any(char::is_control) => {
            text.to_owned()
        }
        _ => hex_excerpt(bytes),
    }
}

/// Most bytes of an undecodable caveat shown (as hex) in an error's details.
pub(crate) const MAX_ERROR_EXCERPT: usize = 64;

/// Hex of at most [`MAX_ERROR_EXCERPT`] bytes, with `…` when cut.
pub(crate) fn hex_excerpt(bytes: &[u8]) -> String {
    if bytes.len() <= MAX_ERROR_EXCERPT {
        hex::encode(bytes)
    } else {
        format!("{}…", hex::encode(&bytes[..MAX_ERROR_EXCERPT]))
    }
}

#[cfg(test)]
mod tests {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;
    use proptest::prelude::*;

    use super::decode_base64url;

    #[test]
    fn base64url_edge_cases_match_the_base64_crate() {
        let cases: &[&[u8]] = &[
            b"",
            b"A",
            b"AA",
            b"AB",
            b"AAA",
            b"AAB",
            b"AAE",
            b"AAAA",
            b"////",
            b"____",
            b"-_-_",
            b"AA==",
            b"AAA=",
            b"A===",
            b"Zm9v",
            b"Zm9vYg",
            b"Zm9vYh",
            b"Zm9vYmE",
            b"Zm9vYmF",
            b"Zm9 v",
            b"Zm9\n",
            b"Zm9+",
            b"Zm9/",
            b"\xff\xfe",
            b"\x00AAA",
            b"QUJD\x80",
        ];
        for case in cases {
            assert_eq!(
                decode_base64url(case),
                URL_SAFE_NO_PAD.decode(case).ok(),
                "{case:?}"
            );
        }
    }

    proptest! {
        #[test]
        fn base64url_agrees_with_the_base64_crate_on_encodings(
            bytes in proptest::collection::vec(any::<u8>(), 0..100),
            edit in proptest::option::of((any::<prop::sample::Index>(), any::<u8>())),
        ) {
            let mut text = URL_SAFE_NO_PAD.encode(&bytes).into_bytes();
            if let Some((i, b)) = edit {
                if !text.is_empty() {
                    let i = i.index(text.len());
                    text[i] = b;
                }
            } else {
                prop_assert_eq!(decode_base64url(&text), Some(bytes.clone()));
            }
            prop_assert_eq!(decode_base64url(&text), URL_SAFE_NO_PAD.decode(&text).ok());
        }

        #[test]
        fn base64url_agrees_with_the_base64_crate_on_any_text(
            text in "[A-Za-z0-9_=+/-]{0,23}",
        ) {
            prop_assert_eq!(
                decode_base64url(text.as_bytes()),
                URL_SAFE_NO_PAD.decode(&text).ok()
            );
        }
    }
}
