//! libmacaroons' formats (SPEC.md §11): V1 packets, V2 binary and V2J JSON, as
//! libmacaroons, pymacaroons, go-macaroon and macaroon-rs read and write them.
//!
//! Their identifiers are opaque bytes and their locations are not covered by the tag. Every
//! caveat has an id (`cid`); a third-party caveat also has a verification id (`vid`) and may
//! have a location. First-party caveats are UTF-8 predicates.

pub(crate) mod v1;
pub(crate) mod v2;
pub(crate) mod v2j;

use crate::error::Limit;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine as _;

use super::{Format, Limits};
use crate::chain::Tag;
use crate::error::Error;
use crate::spans::Spans;

/// A caveat's parts, for the encoders.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Parts<'a> {
    /// The caveat id (for a first-party caveat, its predicate).
    pub(crate) cid: &'a [u8],
    /// The verification id of a third-party caveat.
    pub(crate) vid: Option<&'a [u8]>,
    /// The location of a third-party caveat (empty for none).
    pub(crate) location: &'a [u8],
}

/// Base64 in either alphabet (not mixed), padded or not; strict otherwise (no whitespace, no
/// stray bits in the last character), so each byte string has one reading.
pub(crate) fn decode_base64(text: &str) -> Result<Vec<u8>, Error> {
    let url = text.contains(['-', '_']);
    let standard = text.contains(['+', '/']);
    // Padding, when present, must be complete (the padded engines require it canonical).
    let padded = text.ends_with('=');
    let engine = match (url, standard, padded) {
        (true, true, _) => {
            return Err(Error::bad(
                "base64 mixes the standard and URL-safe alphabets",
            ))
        }
        (false, true, true) => &STANDARD,
        (false, true, false) => &STANDARD_NO_PAD,
        (_, false, true) => &URL_SAFE,
        (_, false, false) => &URL_SAFE_NO_PAD,
    };
    engine
        .decode(text)
        .map_err(|_| Error::bad("invalid base64"))
}

/// Which libmacaroons format a text is in, judging by its start: `{` is V2J; base64 whose first
/// byte is 2 is V2; base64 whose first byte is a lowercase hex digit (a V1 packet length) is V1.
pub(crate) fn sniff(text: &str) -> Option<Format> {
    if text.starts_with('{') {
        return Some(Format::MacaroonV2J);
    }
    // The first four characters hold the first three bytes.
    let head: String = text.chars().take(4).collect();
    let first = decode_base64(&head).ok()?.first().copied()?;
    match first {
        v2::VERSION => Some(Format::MacaroonV2),
        b'0'..=b'9' | b'a'..=b'f' => Some(Format::MacaroonV1),
        _ => None,
    }
}

/// Decodes the text form of any libmacaroons format. The caller has checked its size against
/// `limits.max_text_len()`.
pub(crate) fn decode_text(text: &str, limits: &Limits) -> Result<Spans, Error> {
    match sniff(text) {
        Some(Format::MacaroonV2J) => v2j::decode_text(text, limits),
        Some(format) => {
            let raw = decode_base64(text)?;
            decode(format, raw, limits)
        }
        None => Err(Error::bad("unknown macaroon format")),
    }
}

/// Decodes a binary form. V2J's binary form is V2's (JSON is only its text form).
pub(crate) fn decode(format: Format, raw: Vec<u8>, limits: &Limits) -> Result<Spans, Error> {
    let mut token = match format {
        Format::MacaroonV1 => v1::decode(raw, limits)?,
        _ => v2::decode(raw, limits)?,
    };
    token.format = format;
    Ok(token)
}

/// The text form: base64url without padding (V1, V2) or JSON (V2J).
pub(crate) fn encode_text(token: &Spans) -> String {
    match token.format {
        Format::MacaroonV2J => v2j::encode_text(
            v2::location_field(&token.raw),
            token.identifier_bytes(),
            &fields(token),
            &token.raw[token.tag.clone()],
        ),
        _ => URL_SAFE_NO_PAD.encode(&token.raw),
    }
}

/// The location of a token of these formats (empty when it has none).
pub(crate) fn location(token: &Spans) -> &[u8] {
    match token.format {
        Format::MacaroonV1 => v1::location(&token.raw),
        _ => v2::location(&token.raw),
    }
}

/// Every caveat's parts, in chain order.
pub(crate) fn parts(token: &Spans) -> Vec<Parts<'_>> {
    let mut spans = token.third_party.iter().peekable();
    token
        .caveats
        .iter()
        .enumerate()
        .map(|(index, cid)| {
            let mut parts = Parts {
                cid: &token.raw[cid.clone()],
                vid: None,
                location: &[],
            };
            if let Some(span) = spans.next_if(|s| s.index == index) {
                parts.vid = Some(&token.raw[span.vid.clone()]);
                if let Some(l) = &span.location {
                    parts.location = &token.raw[l.clone()];
                }
            }
            parts
        })
        .collect()
}

/// Every caveat as its V2 fields, in chain order: a location only where the token has one
/// (possibly empty).
fn fields(token: &Spans) -> Vec<v2::FieldCaveat<'_>> {
    let mut spans = token.third_party.iter().peekable();
    token
        .caveats
        .iter()
        .enumerate()
        .map(|(index, cid)| {
            let span = spans.next_if(|s| s.index == index);
            v2::FieldCaveat {
                cid: &token.raw[cid.clone()],
                vid: span.map(|s| &token.raw[s.vid.clone()]),
                location: span.and_then(|s| s.location.clone()).map(|l| &token.raw[l]),
            }
        })
        .collect()
}

/// Writes a token of `format` from its parts.
pub(crate) fn assemble(
    format: Format,
    location: &[u8],
    identifier: &[u8],
    caveats: &[Parts<'_>],
    tag: &Tag,
) -> Result<Spans, Error> {
    let mut token = match format {
        Format::MacaroonV1 => v1::assemble(location, identifier, caveats, tag)?,
        _ => v2::assemble(location, identifier, caveats, tag),
    };
    token.format = format;
    Ok(token)
}

/// A copy of `token` with one more caveat and the new tag.
pub(crate) fn append(token: &Spans, caveat: Parts<'_>, tag: &Tag) -> Result<Spans, Error> {
    let mut all = parts(token);
    all.push(caveat);
    assemble(
        token.format,
        location(token),
        token.identifier_bytes(),
        &all,
        tag,
    )
}

/// Identifiers are opaque but not empty (discharges are found by them), and bounded.
fn check_identifier(identifier: &[u8], limits: &Limits) -> Result<(), Error> {
    if identifier.is_empty() {
        return Err(Error::bad("empty identifier"));
    }
    if identifier.len() > limits.max_identifier_bytes {
        return Err(Error::too_large(
            Limit::IdentifierSize,
            limits.max_identifier_bytes,
        ));
    }
    Ok(())
}

/// Locations are UTF-8 (libmacaroons' format notes; pymacaroons decodes them so), bounded like
/// identifiers, and may be empty.
fn check_location(location: &[u8], limits: &Limits) -> Result<(), Error> {
    if location.len() > limits.max_identifier_bytes {
        return Err(Error::too_large(
            Limit::IdentifierSize,
            limits.max_identifier_bytes,
        ));
    }
    check_utf8(location, "location is not UTF-8")
}

fn check_utf8(bytes: &[u8], reason: &'static str) -> Result<(), Error> {
    std::str::from_utf8(bytes)
        .map(|_| ())
        .map_err(|_| Error::bad(reason))
}

/// A third-party caveat's location: UTF-8, possibly empty, at most `max_caveat_bytes`.
fn check_caveat_location(location: &[u8], limits: &Limits) -> Result<(), Error> {
    if location.len() > limits.max_caveat_bytes {
        return Err(Error::too_large(Limit::CaveatSize, limits.max_caveat_bytes));
    }
    check_utf8(location, "caveat location is not UTF-8")
}

/// One more caveat must fit `max_caveats`.
fn check_caveat_count(count: usize, limits: &Limits) -> Result<(), Error> {
    if count >= limits.max_caveats {
        return Err(Error::too_large(Limit::Caveats, limits.max_caveats));
    }
    Ok(())
}

/// A caveat id or verification id: not empty, at most `max_caveat_bytes`.
fn check_part(bytes: &[u8], limits: &Limits, empty: &'static str) -> Result<(), Error> {
    if bytes.is_empty() {
        return Err(Error::bad(empty));
    }
    if bytes.len() > limits.max_caveat_bytes {
        return Err(Error::too_large(Limit::CaveatSize, limits.max_caveat_bytes));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_either_alphabet_padded_or_not_but_strict() {
        for text in ["T3U/VA==", "T3U_VA==", "T3U/VA", "T3U_VA"] {
            assert_eq!(decode_base64(text).expect(text), b"Ou?T", "{text}");
        }
        for bad in [
            "T3U/VA_",
            "T3U_VA=",
            "T3U_VB",
            "T3U_VA==\n",
            "T3U_ VA",
            "T3U_VA===",
        ] {
            assert!(decode_base64(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sniffing() {
        assert_eq!(sniff("{\"i\":\"x\"}"), Some(Format::MacaroonV2J));
        assert_eq!(sniff("AgET"), Some(Format::MacaroonV2));
        assert_eq!(sniff("MDAy"), Some(Format::MacaroonV1));
        assert_eq!(sniff("____"), None);
        assert_eq!(sniff(""), None);
        assert_eq!(sniff("A"), None);
    }
}
