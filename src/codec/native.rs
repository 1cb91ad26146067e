//! The native format (SPEC.md §4): a deterministic CBOR envelope
//! `[version, identifier: bstr, [caveat: bstr, …], tag: bstr(32)]` whose byte strings hold the
//! exact bytes the chain MACs; text form `cvt1_` + base64url without padding.

use std::borrow::Cow;
use std::ops::Range;

use super::cbor::{self, Reader};
use super::{Format, Limits};
use crate::chain::{Tag, TAG_LEN};
use crate::error::Error;
use crate::token::{self, Identifier, InviteType, Persistence, Subject, Token, TokenType};

/// The envelope version this crate writes and the only one it reads.
pub const VERSION: u64 = 1;

/// The text form's fixed prefix: names the format (`cvt`, caveat-token) and its version.
pub const TEXT_PREFIX: &str = "cvt1_";

const SUBJECT_USER: u64 = 0;
const SUBJECT_PROVIDER: u64 = 1;
const TYPE_ACCESS: u64 = 0;
const TYPE_IDENTITY: u64 = 1;
const TYPE_INVITE: u64 = 2;
const PERSISTENCE_NAMED: u64 = 0;
const PERSISTENCE_TEMPORARY: u64 = 1;

/// `cvtN_` with N other than 1: a native token of a version this crate does not know.
pub(crate) fn looks_like_other_version(text: &str) -> bool {
    text.strip_prefix("cvt").is_some_and(|rest| {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        digits > 0 && rest.as_bytes().get(digits) == Some(&b'_')
    })
}

/// Decodes the binary envelope. `raw` is kept as the token's bytes.
pub(crate) fn decode(raw: Vec<u8>, limits: &Limits) -> Result<Token, Error> {
    if raw.len() > limits.max_token_bytes {
        return Err(Error::TokenTooLarge {
            limit: "size",
            max: limits.max_token_bytes,
        });
    }
    let (identifier, caveats, tag) = {
        let mut r = Reader::new(&raw);
        r.array_of(4)?;
        match r.uint()? {
            VERSION => {}
            _ => return Err(Error::bad("unsupported version")),
        }
        let identifier = span(&raw, &mut r, limits.max_identifier_bytes, "identifier")?;
        let n = r.array(usize::MAX)?;
        if n > raw.len() - r.position() {
            // Each caveat takes at least one byte: a count beyond the remaining input is a lie.
            return Err(Error::bad("truncated"));
        }
        if n > limits.max_caveats {
            return Err(Error::TokenTooLarge {
                limit: "caveats",
                max: limits.max_caveats,
            });
        }
        let mut caveats = Vec::with_capacity(n);
        for _ in 0..n {
            caveats.push(span(&raw, &mut r, limits.max_caveat_bytes, "caveatSize")?);
        }
        let tag = span(&raw, &mut r, TAG_LEN, "tag")?;
        if tag.len() != TAG_LEN {
            return Err(Error::bad("tag must be 32 bytes"));
        }
        r.finish()?;
        decode_identifier(&raw[identifier.clone()])?;
        (identifier, caveats, tag)
    };
    Ok(Token {
        format: Format::Native,
        raw,
        identifier,
        caveats,
        tag,
        third_party: Vec::new(),
    })
}

/// Reads a byte string and returns its range in `raw`, enforcing `max`.
fn span(
    raw: &[u8],
    r: &mut Reader<'_>,
    max: usize,
    what: &'static str,
) -> Result<Range<usize>, Error> {
    let b = r.bytes(raw.len())?;
    if b.len() > max {
        return Err(match what {
            "tag" => Error::bad("tag must be 32 bytes"),
            "identifier" => Error::TokenTooLarge {
                limit: "identifierSize",
                max,
            },
            _ => Error::TokenTooLarge { limit: what, max },
        });
    }
    let end = r.position();
    Ok(end - b.len()..end)
}

/// Writes the envelope around already-encoded identifier and caveat bytes.
pub(crate) fn assemble(identifier: &[u8], caveats: &[&[u8]], tag: &Tag) -> Token {
    let mut raw = Vec::with_capacity(64 + identifier.len() + caveats.len() * 16);
    cbor::write_array(&mut raw, 4);
    cbor::write_uint(&mut raw, VERSION);
    cbor::write_bytes(&mut raw, identifier);
    let id_range = raw.len() - identifier.len()..raw.len();
    cbor::write_array(&mut raw, caveats.len());
    let mut ranges = Vec::with_capacity(caveats.len());
    for c in caveats.iter().copied() {
        cbor::write_bytes(&mut raw, c);
        ranges.push(raw.len() - c.len()..raw.len());
    }
    cbor::write_bytes(&mut raw, tag.as_bytes());
    let tag_range = raw.len() - TAG_LEN..raw.len();
    Token {
        format: Format::Native,
        raw,
        identifier: id_range,
        caveats: ranges,
        tag: tag_range,
        third_party: Vec::new(),
    }
}

/// Encodes an identifier (SPEC.md §4.2).
pub(crate) fn encode_identifier(id: &Identifier<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    cbor::write_array(&mut out, 6);
    cbor::write_text(&mut out, &id.location);
    match &id.key_id {
        None => out.push(cbor::NULL),
        Some(k) => cbor::write_text(&mut out, k),
    }
    cbor::write_text(&mut out, &id.token_id);
    cbor::write_array(&mut out, 2);
    match &id.subject {
        Subject::User(s) => {
            cbor::write_uint(&mut out, SUBJECT_USER);
            cbor::write_text(&mut out, s);
        }
        Subject::Provider(s) => {
            cbor::write_uint(&mut out, SUBJECT_PROVIDER);
            cbor::write_text(&mut out, s);
        }
    }
    match &id.token_type {
        TokenType::Access { session: None } => {
            cbor::write_array(&mut out, 1);
            cbor::write_uint(&mut out, TYPE_ACCESS);
        }
        TokenType::Access { session: Some(s) } => {
            cbor::write_array(&mut out, 2);
            cbor::write_uint(&mut out, TYPE_ACCESS);
            cbor::write_text(&mut out, s);
        }
        TokenType::Identity => {
            cbor::write_array(&mut out, 1);
            cbor::write_uint(&mut out, TYPE_IDENTITY);
        }
        TokenType::Invite {
            invite_type,
            target,
            params,
        } => {
            cbor::write_array(&mut out, 4);
            cbor::write_uint(&mut out, TYPE_INVITE);
            cbor::write_uint(&mut out, invite_type.code());
            cbor::write_text(&mut out, target);
            cbor::write_text(&mut out, params);
        }
    }
    match id.persistence {
        Persistence::Named => {
            cbor::write_array(&mut out, 1);
            cbor::write_uint(&mut out, PERSISTENCE_NAMED);
        }
        Persistence::Temporary { generation } => {
            cbor::write_array(&mut out, 2);
            cbor::write_uint(&mut out, PERSISTENCE_TEMPORARY);
            cbor::write_uint(&mut out, generation);
        }
    }
    out
}

/// Decodes an identifier, borrowing its strings; enforces the field rules of SPEC.md §3.
pub(crate) fn decode_identifier(bytes: &[u8]) -> Result<Identifier<'_>, Error> {
    const MAX: usize = token::MAX_ID_LEN;
    let mut r = Reader::new(bytes);
    r.array_of(6)?;
    let location = r.text(MAX)?;
    let key_id = if r.null() { None } else { Some(r.text(MAX)?) };
    let token_id = r.text(MAX)?;
    r.array_of(2)?;
    let subject = match r.uint()? {
        SUBJECT_USER => Subject::User(Cow::Borrowed(r.text(MAX)?)),
        SUBJECT_PROVIDER => Subject::Provider(Cow::Borrowed(r.text(MAX)?)),
        _ => return Err(Error::bad("unknown subject kind")),
    };
    let n = r.array(4)?;
    let token_type = match (r.uint()?, n) {
        (TYPE_ACCESS, 1) => TokenType::Access { session: None },
        (TYPE_ACCESS, 2) => TokenType::Access {
            session: Some(Cow::Borrowed(r.text(MAX)?)),
        },
        (TYPE_IDENTITY, 1) => TokenType::Identity,
        (TYPE_INVITE, 4) => TokenType::Invite {
            invite_type: InviteType::from_code(r.uint()?)
                .ok_or(Error::bad("unknown invite type"))?,
            target: Cow::Borrowed(r.text(MAX)?),
            params: Cow::Borrowed(r.text(MAX)?),
        },
        _ => return Err(Error::bad("unknown token type")),
    };
    let n = r.array(2)?;
    let persistence = match (r.uint()?, n) {
        (PERSISTENCE_NAMED, 1) => Persistence::Named,
        (PERSISTENCE_TEMPORARY, 2) => Persistence::Temporary {
            generation: r.uint()?,
        },
        _ => return Err(Error::bad("unknown persistence")),
    };
    r.finish()?;
    let id = Identifier {
        location: Cow::Borrowed(location),
        key_id: key_id.map(Cow::Borrowed),
        token_id: Cow::Borrowed(token_id),
        subject,
        token_type,
        persistence,
    };
    id.validate()
        .map_err(|_| Error::bad("identifier field breaks the charset or length rules"))?;
    Ok(id)
}
