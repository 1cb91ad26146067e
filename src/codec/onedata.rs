//! The Onedata token format (SPEC.md §10), byte for byte as Onedata 20.02 writes it:
//!
//! ```text
//! binary = packet(location) packet(identifier) packet(cid)* packet(signature)
//! packet = 4 lowercase hex digits (the packet's whole length) key " " value "\n"
//! text   = escape(base64url_without_padding(binary))
//! escape : 0 -> 00, _ -> 01, - -> 02 (and / -> 03, + -> 04, = -> 05, never produced here)
//! ```
//!
//! The packets are libmacaroons' v1 serialization; the identifier is
//! `2/<nmd|tmp-GEN>/<usr-ID|prv-ID>/<type>/<id>` and each caveat is its text form. The chain
//! MACs the identifier value and each cid value exactly as carried; the location is not MACed
//! (libmacaroons never covers it).

use crate::error::Limit;
use std::borrow::Cow;
use std::ops::Range;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use super::{Format, Limits};
use crate::chain::{Tag, TAG_LEN};
use crate::error::Error;
use crate::identifier::{
    check_id, check_location, check_params, Identifier, InviteType, Persistence, Subject, TokenType,
};
use crate::spans::Spans;
use crate::wire::packet::{self, Packets, KEY_CID, KEY_IDENTIFIER, KEY_LOCATION, KEY_SIGNATURE};

pub(crate) use crate::format::{
    ONEDATA_IDENTIFIER_VERSION as IDENTIFIER_VERSION, ONEDATA_TEXT_START as TEXT_START,
};

/// The longest escaped text a token within `limits` can have: base64 grows by 4/3 and the
/// escape at most doubles it.
pub(crate) fn max_text_len(limits: &Limits) -> usize {
    limits
        .max_token_bytes
        .saturating_add(2)
        .saturating_div(3)
        .saturating_mul(4)
        .saturating_mul(2)
}

/// Undoes Onedata's escape. Strict: `0` must start one of the six escapes, and the characters
/// the escape replaces (`_`, `-`, `/`, `+`, `=`) must not appear bare.
fn unescape(text: &str) -> Result<String, Error> {
    let mut out = String::with_capacity(text.len());
    let mut bytes = text.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'0' => out.push(match bytes.next() {
                Some(b'0') => '0',
                Some(b'1') => '_',
                Some(b'2') => '-',
                Some(b'3') => '/',
                Some(b'4') => '+',
                Some(b'5') => '=',
                _ => return Err(Error::bad("invalid escape (0 must be followed by 0-5)")),
            }),
            b'_' | b'-' | b'/' | b'+' | b'=' => {
                return Err(Error::bad("unescaped character in Onedata token"))
            }
            b if b.is_ascii_alphanumeric() => out.push(char::from(b)),
            _ => return Err(Error::bad("invalid character in Onedata token")),
        }
    }
    Ok(out)
}

/// Applies Onedata's escape to base64url text.
fn escape(b64: &str, out: &mut String) {
    for c in b64.chars() {
        match c {
            '0' => out.push_str("00"),
            '_' => out.push_str("01"),
            '-' => out.push_str("02"),
            '/' => out.push_str("03"),
            '+' => out.push_str("04"),
            '=' => out.push_str("05"),
            c => out.push(c),
        }
    }
}

/// Decodes the text form. The caller has checked the size against `limits`.
pub(crate) fn decode_text(text: &str, limits: &Limits) -> Result<Spans, Error> {
    let b64 = unescape(text)?;
    let raw = URL_SAFE_NO_PAD
        .decode(b64.as_bytes())
        .map_err(|_| Error::bad("invalid base64url (unpadded, URL-safe alphabet)"))?;
    decode(raw, limits)
}

/// The text form of a token's packets.
pub(crate) fn encode_text(raw: &[u8]) -> String {
    let b64 = URL_SAFE_NO_PAD.encode(raw);
    let mut out = String::with_capacity(b64.len() + b64.len() / 8);
    escape(&b64, &mut out);
    out
}

/// Decodes the binary form (the v1 packets). `raw` is kept as the token's bytes.
pub(crate) fn decode(raw: Vec<u8>, limits: &Limits) -> Result<Spans, Error> {
    limits.check_token_bytes(raw.len())?;
    let (identifier, caveats, tag) = {
        let mut packets = Packets::new(&raw);
        let mut expect = |key: &[u8], missing: &'static str| -> Result<Range<usize>, Error> {
            match packets.next()? {
                Some(p) if p.key == key => Ok(p.value),
                Some(p) => Err(unexpected(p.key, missing)),
                None => Err(Error::bad(missing)),
            }
        };
        let location = expect(KEY_LOCATION, "missing location packet")?;
        let identifier = expect(KEY_IDENTIFIER, "missing identifier packet")?;
        if identifier.len() > limits.max_identifier_bytes {
            return Err(Error::too_large(
                Limit::IdentifierSize,
                limits.max_identifier_bytes,
            ));
        }
        let mut caveats = Vec::new();
        let tag = loop {
            match packets.next()? {
                Some(p) if p.key == KEY_CID => {
                    if caveats.len() == limits.max_caveats {
                        return Err(Error::too_large(Limit::Caveats, limits.max_caveats));
                    }
                    if p.value.len() > limits.max_caveat_bytes {
                        return Err(Error::too_large(Limit::CaveatSize, limits.max_caveat_bytes));
                    }
                    caveats.push(p.value);
                }
                Some(p) if p.key == KEY_SIGNATURE => break p.value,
                Some(p) => return Err(unexpected(p.key, "missing signature packet")),
                None => return Err(Error::bad("missing signature packet")),
            }
        };
        if tag.len() != TAG_LEN {
            return Err(Error::bad("signature must be 32 bytes"));
        }
        if packets.next()?.is_some() {
            return Err(Error::bad("data after the signature packet"));
        }
        parse_identifier(&raw[location], &raw[identifier.clone()])?;
        (identifier, caveats, tag)
    };
    Ok(Spans {
        format: Format::Onedata,
        raw,
        identifier,
        caveats: caveats.into(),
        tag,
        third_party: Vec::new(),
    })
}

/// The error for a packet whose key is not the one expected at its place.
fn unexpected(key: &[u8], missing: &'static str) -> Error {
    match key {
        KEY_LOCATION => Error::bad("duplicate or misplaced location packet"),
        KEY_IDENTIFIER => Error::bad("duplicate or misplaced identifier packet"),
        KEY_SIGNATURE | KEY_CID => Error::bad(missing),
        b"vid" | b"cl" => Error::bad("third-party caveats are not supported"),
        _ => Error::bad("unknown packet key"),
    }
}

fn write_packet(out: &mut Vec<u8>, key: &[u8], value: &[u8]) -> Result<Range<usize>, Error> {
    packet::write_packet(out, key, value, || {
        Error::bad_caveat("caveat", "too long for an Onedata packet")
    })
}

/// Writes the packets around an identifier and caveats already encoded.
pub(crate) fn assemble(
    location: &[u8],
    identifier: &[u8],
    caveats: &[&[u8]],
    tag: &Tag,
) -> Result<Spans, Error> {
    let mut raw = Vec::with_capacity(
        location.len()
            + identifier.len()
            + caveats.iter().map(|c| c.len() + 10).sum::<usize>()
            + 80,
    );
    write_packet(&mut raw, KEY_LOCATION, location)?;
    let identifier = write_packet(&mut raw, KEY_IDENTIFIER, identifier)?;
    let mut ranges = Vec::with_capacity(caveats.len());
    for c in caveats {
        ranges.push(write_packet(&mut raw, KEY_CID, c)?);
    }
    let tag = write_packet(&mut raw, KEY_SIGNATURE, tag.as_bytes())?;
    Ok(Spans {
        format: Format::Onedata,
        raw,
        identifier,
        caveats: ranges.into(),
        tag,
        third_party: Vec::new(),
    })
}

/// The location of a decoded token: the value of its first packet.
pub(crate) fn location(raw: &[u8]) -> &[u8] {
    // Invariant: a Token of this format only exists if its first packet is a location packet.
    let mut packets = Packets::new(raw);
    match packets.next() {
        Ok(Some(p)) => &raw[p.value],
        _ => &[],
    }
}

/// Encodes an identifier as Onedata does: `2/<persistence>/<subject>/<type>/<id>`.
///
/// # Errors
/// `badValueIdentifier` (key `keyId`) when it names a key id: the format has no place for one.
pub(crate) fn encode_identifier(id: &Identifier<'_>) -> Result<String, Error> {
    if id.key_id.is_some() {
        return Err(Error::bad_identifier(
            "keyId",
            "the Onedata format carries no key id",
        ));
    }
    let persistence = match id.persistence {
        Persistence::Named => "nmd".to_owned(),
        Persistence::Temporary { generation } => format!("tmp-{generation}"),
    };
    let ty = match &id.token_type {
        TokenType::Access { session: None } => "act".to_owned(),
        TokenType::Access { session: Some(s) } => format!("act:{s}"),
        TokenType::Identity => "idn".to_owned(),
        TokenType::Invite {
            invite_type,
            target,
            params,
        } => format!("{}:{target}:{params}", invite_type.onedata_code()),
    };
    Ok(format!(
        "{IDENTIFIER_VERSION}/{persistence}/{}/{ty}/{}",
        id.subject, id.token_id
    ))
}

/// Parses a location and an identifier (strict: every field canonical and within the rules of
/// SPEC.md §3).
pub(crate) fn parse_identifier<'a>(
    location: &'a [u8],
    identifier: &'a [u8],
) -> Result<Identifier<'a>, Error> {
    let bad = |r| Error::bad(r);
    let location = std::str::from_utf8(location).map_err(|_| bad("location is not UTF-8"))?;
    check_location(location).map_err(|_| bad("location breaks the charset or length rules"))?;
    let text = std::str::from_utf8(identifier).map_err(|_| bad("identifier is not UTF-8"))?;
    let mut parts = text.split('/');
    let (Some(version), Some(persistence), Some(subject), Some(ty), Some(token_id), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(bad(
            "identifier is not 2/<persistence>/<subject>/<type>/<id>",
        ));
    };
    if version != IDENTIFIER_VERSION {
        return Err(bad("unsupported identifier version"));
    }
    let persistence = match persistence {
        "nmd" => Persistence::Named,
        p => Persistence::Temporary {
            generation: p
                .strip_prefix("tmp-")
                .and_then(crate::caveat::parse_decimal)
                .ok_or(bad("unknown persistence"))?,
        },
    };
    let subject = Subject::parse(subject).map_err(|_| bad("bad subject"))?;
    let token_type = parse_type(ty)?;
    check_id(token_id).map_err(|_| bad("bad token id"))?;
    let id = Identifier {
        location: Cow::Borrowed(location),
        key_id: None,
        token_id: Cow::Borrowed(token_id),
        subject,
        token_type,
        persistence,
    };
    id.validate()
        .map_err(|_| bad("identifier field breaks the charset or length rules"))?;
    Ok(id)
}

fn parse_type(ty: &str) -> Result<TokenType<'_>, Error> {
    let bad = |r| Error::bad(r);
    match ty {
        "act" => return Ok(TokenType::Access { session: None }),
        "idn" => return Ok(TokenType::Identity),
        _ => {}
    }
    if let Some(session) = ty.strip_prefix("act:") {
        check_id(session).map_err(|_| bad("bad session id"))?;
        return Ok(TokenType::Access {
            session: Some(Cow::Borrowed(session)),
        });
    }
    let mut parts = ty.split(':');
    let (Some(code), Some(target), Some(params), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad("unknown token type"));
    };
    let invite_type = InviteType::from_onedata_code(code).ok_or(bad("unknown invite type"))?;
    check_id(target).map_err(|_| bad("bad invite target"))?;
    check_params(params).map_err(|_| bad("bad invite parameters"))?;
    Ok(TokenType::Invite {
        invite_type,
        target: Cow::Borrowed(target),
        params: Cow::Borrowed(params),
    })
}

/// Identifier of a token of this format.
pub(crate) fn decode_identifier(token: &Spans) -> Result<Identifier<'_>, Error> {
    parse_identifier(location(&token.raw), token.identifier_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_round_trip() {
        let mut out = String::new();
        escape("a0_-/+=b", &mut out);
        assert_eq!(out, "a000102030405b");
        assert_eq!(unescape("00010203").expect("ok"), "0_-/");
        for bad in ["0", "06", "0a", "a_", "a-", "a=", "a b", "é"] {
            assert!(unescape(bad).is_err(), "{bad}");
        }
    }
}
