//! The native format (SPEC.md §4): a deterministic CBOR envelope
//! `[version, identifier: bstr, [caveat: bstr, …], tag: bstr(32)]` whose byte strings hold the
//! exact bytes the chain MACs; text form `cvt1_` + base64url without padding.

use crate::error::Limit;
use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::ops::Range;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use super::{Format, Limits};
use crate::caveat::{kind, AppCaveat, TimeCaveat, IP_MAX_ENTRIES};
use crate::chain::{Tag, TAG_LEN};
use crate::error::Error;
use crate::identifier::{self, Identifier, InviteType, Persistence, Subject, TokenType};
use crate::spans::{Ranges, Spans};
use crate::wire::cbor::{self, Reader};

pub(crate) use crate::format::{NATIVE_TEXT_PREFIX as TEXT_PREFIX, NATIVE_VERSION as VERSION};

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
pub(crate) fn decode(raw: Vec<u8>, limits: &Limits) -> Result<Spans, Error> {
    limits.check_token_bytes(raw.len())?;
    // Built in place (the ranges are filled in as they are read), so that the spans are not
    // copied from a local into the result.
    let mut spans = Spans {
        format: Format::Native,
        raw,
        identifier: 0..0,
        caveats: Ranges::with_capacity(0),
        tag: 0..0,
        third_party: Vec::new(),
    };
    if !envelope_fast(&mut spans, limits) {
        spans.caveats = Ranges::with_capacity(0);
        envelope(&mut spans, limits)?;
    }
    let id = &spans.raw[spans.identifier.clone()];
    if !identifier_is_valid(id) {
        // The decoder is the authority for which error it is.
        decode_identifier(id)?;
    }
    Ok(spans)
}

/// The envelope's parts, read with the general CBOR reader, which is the authority for every
/// error.
fn envelope(spans: &mut Spans, limits: &Limits) -> Result<(), Error> {
    let raw = &spans.raw;
    let mut r = Reader::new(raw);
    r.array_of(4)?;
    match r.uint()? {
        VERSION => {}
        _ => return Err(Error::bad("unsupported version")),
    }
    spans.identifier = span(raw, &mut r, limits.max_identifier_bytes, "identifier")?;
    let n = r.array(usize::MAX)?;
    if n > raw.len() - r.position() {
        // Each caveat takes at least one byte: a count beyond the remaining input is a lie.
        return Err(Error::bad("truncated"));
    }
    if n > limits.max_caveats {
        return Err(Error::too_large(Limit::Caveats, limits.max_caveats));
    }
    if n > spans.caveats.capacity() {
        spans.caveats = Ranges::with_capacity(n);
    }
    for _ in 0..n {
        let range = span(raw, &mut r, limits.max_caveat_bytes, "caveatSize")?;
        spans.caveats.push(range);
    }
    spans.tag = span(raw, &mut r, TAG_LEN, "tag")?;
    if spans.tag.len() != TAG_LEN {
        return Err(Error::bad("tag must be 32 bytes"));
    }
    r.finish()
}

/// [`envelope`] for the common shapes only (heads of one to three bytes), in one pass with no
/// error values: `true` when it read the whole envelope, which [`envelope`] then accepts with
/// the same spans; `false` (with `spans` partly written) for anything else, which goes to
/// [`envelope`] for its answer. A property test checks the agreement.
fn envelope_fast(spans: &mut Spans, limits: &Limits) -> bool {
    let raw = &spans.raw;
    if raw.get(..2) != Some(&[0x84, 0x01]) {
        return false;
    }
    let mut pos = 2;
    let Some(identifier) = short_head(raw, &mut pos, cbor::MAJOR_BYTES)
        .and_then(|len| take(raw, &mut pos, len))
        .filter(|r| r.len() <= limits.max_identifier_bytes)
    else {
        return false;
    };
    spans.identifier = identifier;
    let Some(n) = short_head(raw, &mut pos, cbor::MAJOR_ARRAY) else {
        return false;
    };
    if n > raw.len() - pos || n > limits.max_caveats {
        return false;
    }
    if n > spans.caveats.capacity() {
        spans.caveats = Ranges::with_capacity(n);
    }
    for _ in 0..n {
        match short_head(raw, &mut pos, cbor::MAJOR_BYTES).and_then(|len| take(raw, &mut pos, len))
        {
            Some(range) if range.len() <= limits.max_caveat_bytes => spans.caveats.push(range),
            _ => return false,
        }
    }
    match short_head(raw, &mut pos, cbor::MAJOR_BYTES).and_then(|len| take(raw, &mut pos, len)) {
        Some(tag) if tag.len() == TAG_LEN && pos == raw.len() => {
            spans.tag = tag;
            true
        }
        _ => false,
    }
}

/// A minimally encoded head of `major` whose argument fits in the head byte or one or two more
/// bytes (as [`Reader`] requires: 24–255 in one byte, 256–65,535 in two); advances `pos`.
#[inline]
fn short_head(raw: &[u8], pos: &mut usize, major: u8) -> Option<usize> {
    let head = *raw.get(*pos)?;
    if head >> 5 != major {
        return None;
    }
    let (arg, len) = match head & 0x1f {
        info @ 0..=23 => (usize::from(info), 1),
        24 => (usize::from(*raw.get(*pos + 1)?), 2),
        25 => {
            let b = raw.get(*pos + 1..*pos + 3)?;
            (usize::from(u16::from_be_bytes([b[0], b[1]])), 3)
        }
        _ => return None,
    };
    let minimal = match len {
        1 => true,
        2 => arg >= 24,
        _ => arg >= 0x100,
    };
    minimal.then(|| {
        *pos += len;
        arg
    })
}

/// The next `len` bytes' range, if they are all there; advances `pos`.
#[inline]
fn take(raw: &[u8], pos: &mut usize, len: usize) -> Option<Range<usize>> {
    let end = pos.checked_add(len).filter(|&end| end <= raw.len())?;
    let range = *pos..end;
    *pos = end;
    Some(range)
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
            "identifier" => Error::too_large(Limit::IdentifierSize, max),
            _ => Error::too_large(Limit::CaveatSize, max),
        });
    }
    let end = r.position();
    Ok(end - b.len()..end)
}

/// Writes the envelope around already-encoded identifier and caveat bytes.
pub(crate) fn assemble(identifier: &[u8], caveats: &[&[u8]], tag: &Tag) -> Spans {
    let mut raw = Vec::with_capacity(64 + identifier.len() + caveats.len() * 16);
    cbor::write_array(&mut raw, 4);
    cbor::write_uint(&mut raw, VERSION);
    cbor::write_bytes(&mut raw, identifier);
    let id_range = raw.len() - identifier.len()..raw.len();
    cbor::write_array(&mut raw, caveats.len());
    let mut ranges = Ranges::with_capacity(caveats.len());
    for c in caveats.iter().copied() {
        cbor::write_bytes(&mut raw, c);
        ranges.push(raw.len() - c.len()..raw.len());
    }
    cbor::write_bytes(&mut raw, tag.as_bytes());
    let tag_range = raw.len() - TAG_LEN..raw.len();
    Spans {
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

/// The key id of an identifier that [`decode_identifier`] accepted (as every token's was when
/// it was decoded or minted), read without decoding the rest: the verifier needs only this
/// before the chain.
pub(crate) fn key_id(bytes: &[u8]) -> Result<Option<&str>, Error> {
    let mut r = Reader::new(bytes);
    r.array_of(6)?;
    // The location, skipped: its bytes were checked when the identifier was.
    r.text_bytes(identifier::MAX_ID_LEN)?;
    if r.null() {
        Ok(None)
    } else {
        r.text(identifier::MAX_ID_LEN).map(Some)
    }
}

/// Bit of [`BYTE_CLASS`]: the byte may appear in an id ([`identifier::is_id_byte`]).
const ID_BYTE: u8 = 1;
/// Bit of [`BYTE_CLASS`]: the byte may appear in a location (printable ASCII, no space).
const LOCATION_BYTE: u8 = 2;
/// The identifier fields' byte rules as a table, one bit per rule.
static BYTE_CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut c: u8 = 0;
    loop {
        if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~' | b'@' | b'+' | b'=')
        {
            table[c as usize] |= ID_BYTE;
        }
        if c.is_ascii_graphic() {
            table[c as usize] |= LOCATION_BYTE;
        }
        if c == u8::MAX {
            break;
        }
        c += 1;
    }
    table
};

/// Whether [`decode_identifier`] accepts `bytes`, decided without building the identifier:
/// the same items in the same order, each text checked against its field's rule on its bytes
/// (every rule allows a subset of ASCII, so a text that passes is valid UTF-8 too). Decoding a
/// token needs only this answer; a property test checks that both always agree.
fn identifier_is_valid(bytes: &[u8]) -> bool {
    let mut c = Cursor { raw: bytes, pos: 0 };
    // Every array head and small integer here is one byte when minimally encoded (as the
    // reader requires), so they are matched as bytes.
    let head = c.byte(0x86)
        && c.text(LOCATION_BYTE, false)
        && (c.byte(cbor::NULL) || c.text(ID_BYTE, false))
        && c.text(ID_BYTE, false)
        && c.byte(0x82)
        && (c.byte(0x00) || c.byte(0x01))
        && c.text(ID_BYTE, false);
    if !head {
        return false;
    }
    // (items, type): [access], [identity], [access, session], [invite, code, target, params].
    let token_type = if c.pair(0x81, TYPE_ACCESS) || c.pair(0x81, TYPE_IDENTITY) {
        true
    } else if c.pair(0x82, TYPE_ACCESS) {
        c.text(ID_BYTE, false)
    } else if c.pair(0x84, TYPE_INVITE) {
        c.head(cbor::MAJOR_UINT)
            .is_some_and(|code| InviteType::from_code(code).is_some())
            && c.text(ID_BYTE, false)
            && c.text(ID_BYTE, true)
    } else {
        false
    };
    let persistence = c.pair(0x81, PERSISTENCE_NAMED)
        || (c.pair(0x82, PERSISTENCE_TEMPORARY) && c.head(cbor::MAJOR_UINT).is_some());
    token_type && persistence && c.pos == bytes.len()
}

/// A position in an identifier's bytes, for [`identifier_is_valid`]; each method advances only
/// when it matches.
struct Cursor<'a> {
    raw: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    /// The byte `b`.
    fn byte(&mut self, b: u8) -> bool {
        let hit = self.raw.get(self.pos) == Some(&b);
        self.pos += usize::from(hit);
        hit
    }

    /// The one-byte array head `items`, then the small integer `value` (below 24: one byte).
    fn pair(&mut self, items: u8, value: u64) -> bool {
        let value = u8::try_from(value).unwrap_or(u8::MAX);
        let hit = self.raw.get(self.pos..self.pos + 2) == Some(&[items, value][..]);
        self.pos += 2 * usize::from(hit);
        hit
    }

    /// A minimally encoded head of `major` (as [`Reader`] reads it); its argument.
    fn head(&mut self, major: u8) -> Option<u64> {
        let b = *self.raw.get(self.pos)?;
        if b >> 5 != major {
            return None;
        }
        let (len, min) = match b & 0x1f {
            info @ 0..=23 => {
                self.pos += 1;
                return Some(u64::from(info));
            }
            24 => (1, 24),
            25 => (2, 0x100),
            26 => (4, 0x1_0000),
            27 => (8, 0x1_0000_0000),
            _ => return None,
        };
        let arg = self.raw.get(self.pos + 1..self.pos + 1 + len)?;
        let value = arg.iter().fold(0u64, |v, &b| (v << 8) | u64::from(b));
        (value >= min).then(|| {
            self.pos += 1 + len;
            value
        })
    }

    /// A text of at most [`identifier::MAX_ID_LEN`] bytes, all of `class` (ASCII, so valid
    /// UTF-8), non-empty unless `may_be_empty`.
    fn text(&mut self, class: u8, may_be_empty: bool) -> bool {
        let start = self.pos;
        let Some(len) = self
            .head(cbor::MAJOR_TEXT)
            .and_then(|len| usize::try_from(len).ok())
        else {
            return false;
        };
        let ok = len <= identifier::MAX_ID_LEN
            && (may_be_empty || len > 0)
            && self.raw.get(self.pos..self.pos + len).is_some_and(|b| {
                b.iter()
                    .fold(class, |ok, &c| ok & BYTE_CLASS[usize::from(c)])
                    != 0
            });
        self.pos = if ok { self.pos + len } else { start };
        ok
    }
}

/// Decodes an identifier, borrowing its strings; enforces the field rules of SPEC.md §3.
pub(crate) fn decode_identifier(bytes: &[u8]) -> Result<Identifier<'_>, Error> {
    const MAX: usize = identifier::MAX_ID_LEN;
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
                .ok_or_else(|| Error::bad("unknown invite type"))?,
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

/// A native caveat of a common kind, read in place (no allocation) for the verifier's clearing
/// path. [`view_caveat`] yields one only for bytes that [`Caveat::from_native`] accepts, with the
/// same meaning; anything else (other kinds, malformed bytes) gets `None` and goes through the
/// owned decoder, which stays the authority for errors. A property test checks the equivalence.
///
/// [`Caveat::from_native`]: crate::caveat::Caveat
#[derive(Debug, Clone, Copy)]
pub(crate) enum CaveatView<'a> {
    /// `time`: valid while `now < valid_until` (+ leeway).
    Time(TimeCaveat),
    /// `ip`: the whitelist's entries, validated.
    Ip(IpView<'a>),
    /// `app`: a valid name and value.
    App {
        /// `<namespace>/<name>`.
        name: &'a str,
        /// The value the predicate receives.
        value: &'a str,
    },
}

impl CaveatView<'_> {
    /// The kind's code, as [`Caveat::kind`](crate::caveat::Caveat) gives it for the owned
    /// caveat.
    pub(crate) fn kind(&self) -> u64 {
        match self {
            Self::Time(_) => kind::TIME,
            Self::Ip(_) => kind::IP,
            Self::App { .. } => kind::APP,
        }
    }
}

/// The entries of an `ip` caveat, in place: the CBOR items after the whitelist's array head.
#[derive(Debug, Clone, Copy)]
pub(crate) struct IpView<'a> {
    entries: &'a [u8],
}

impl IpView<'_> {
    /// The same decision as [`IpCaveat::holds`](crate::caveat::IpCaveat::holds).
    pub(crate) fn holds(&self, client: Option<IpAddr>) -> bool {
        let Some(client) = client.map(|ip| ip.to_canonical()) else {
            return false;
        };
        // Each entry was validated by `view_caveat`: a byte string head (one byte, since entries
        // are shorter than 24 bytes), then 5 or 17 bytes. Host bits below the prefix are ignored.
        let mut rest = self.entries;
        while let Some((&head, tail)) = rest.split_first() {
            let len = usize::from(head & 0x1f);
            let Some((entry, next)) = tail.split_at_checked(len) else {
                return false;
            };
            rest = next;
            let hit = match (client, entry) {
                (IpAddr::V4(c), [a, b, d, e, p]) if *p <= 32 => {
                    let net = u32::from_be_bytes([*a, *b, *d, *e]);
                    let mask = u32::MAX.checked_shl(32 - u32::from(*p)).unwrap_or(0);
                    (u32::from(c) ^ net) & mask == 0
                }
                (IpAddr::V6(c), [addr @ .., p]) if entry.len() == IP_ENTRY_V6 && *p <= 128 => {
                    let mut octets = [0u8; 16];
                    octets.copy_from_slice(addr);
                    let net = u128::from_be_bytes(octets);
                    let mask = u128::MAX.checked_shl(128 - u32::from(*p)).unwrap_or(0);
                    (u128::from(c) ^ net) & mask == 0
                }
                _ => false,
            };
            if hit {
                return true;
            }
        }
        false
    }
}

/// The longest `ip` entry: 16 address bytes and a prefix length (an IPv4 entry has 4 and one).
const IP_ENTRY_V6: usize = 17;

fn ip_entry(b: &[u8]) -> Option<IpNet> {
    match *b {
        [a, b2, c, d, p] => Ipv4Net::new(Ipv4Addr::new(a, b2, c, d), p)
            .ok()
            .map(IpNet::V4),
        [ref addr @ .., p] if b.len() == IP_ENTRY_V6 => {
            let octets: [u8; 16] = addr.try_into().ok()?;
            let addr = Ipv6Addr::from(octets);
            // The owned decoder refuses IPv4-mapped entries (they could never match the
            // canonicalized client): leave them to it.
            if addr.to_ipv4_mapped().is_some() {
                return None;
            }
            Ipv6Net::new(addr, p).ok().map(IpNet::V6)
        }
        _ => None,
    }
}

/// Reads a native caveat of kind `time`, `ip` or `app` in place; `None` for anything else.
#[cfg(test)]
pub(crate) fn view_caveat(bytes: &[u8]) -> Option<CaveatView<'_>> {
    match view_caveat_name_unchecked(bytes)? {
        CaveatView::App { name, .. } if !AppCaveat::name_is_valid(name) => None,
        view => Some(view),
    }
}

/// [`view_caveat`] less the check of an `app` caveat's name (its value is checked): the caller
/// must yield the view only after checking the name, or after finding it byte for byte among
/// names known to be valid (a verifier's registered predicates), and must otherwise leave the
/// bytes to the owned decoder, as for `None`.
pub(crate) fn view_caveat_name_unchecked(bytes: &[u8]) -> Option<CaveatView<'_>> {
    // The array head and the kind: with minimal heads (which the owned decoder requires) a
    // 2- or 3-item array and a kind below 24 are one byte each.
    let (&[head, kind_byte], rest) = bytes.split_first_chunk::<2>()?;
    let mut r = Reader::new(rest);
    let view = match (head, u64::from(kind_byte)) {
        (TWO_ITEMS, kind::TIME) => CaveatView::Time(TimeCaveat {
            valid_until: r.uint().ok()?,
        }),
        (TWO_ITEMS, kind::IP) => {
            let count = r.array(IP_MAX_ENTRIES).ok()?;
            if count == 0 {
                return None;
            }
            let start = r.position();
            for _ in 0..count {
                ip_entry(r.bytes(IP_ENTRY_V6).ok()?)?;
            }
            CaveatView::Ip(IpView {
                entries: rest.get(start..r.position())?,
            })
        }
        (THREE_ITEMS, kind::APP) => {
            let (name, value) = app_texts(rest, &mut r)?;
            if !AppCaveat::value_is_valid(value) {
                return None;
            }
            CaveatView::App { name, value }
        }
        _ => return None,
    };
    r.finish().ok()?;
    Some(view)
}

/// An `app` caveat's name and value, as [`Reader::text`] twice would read them, with one UTF-8
/// check over both when the value's head is one byte: that byte (`0x60`–`0x77`) is ASCII, so
/// the name, the head and the value are valid UTF-8 together exactly when the name and the
/// value are, and the head splits them at a character boundary.
fn app_texts<'a>(input: &'a [u8], r: &mut Reader<'a>) -> Option<(&'a str, &'a str)> {
    let name = r.text_bytes(usize::MAX).ok()?;
    let value_head = r.position();
    let value = r.text_bytes(usize::MAX).ok()?;
    if value_head + 1 + value.len() == r.position() {
        let both = input.get(value_head - name.len()..r.position())?;
        let both = std::str::from_utf8(both).ok()?;
        return Some((both.get(..name.len())?, both.get(name.len() + 1..)?));
    }
    Some((
        std::str::from_utf8(name).ok()?,
        std::str::from_utf8(value).ok()?,
    ))
}

/// One-byte CBOR heads of 2- and 3-item arrays.
const TWO_ITEMS: u8 = (cbor::MAJOR_ARRAY << 5) | 2;
const THREE_ITEMS: u8 = (cbor::MAJOR_ARRAY << 5) | 3;

#[cfg(test)]
mod tests {
    use proptest::collection::vec;
    use proptest::prelude::*;

    use super::*;
    use crate::caveat::{Caveat, InviteTypeCaveat, IpCaveat};

    /// Networks and clients drawn around a few prefixes, so that matches and misses both occur.
    fn v4(first: u8, rest: [u8; 3]) -> Ipv4Addr {
        Ipv4Addr::new(first, rest[0], rest[1], rest[2])
    }

    fn arb_net() -> impl Strategy<Value = IpNet> {
        prop_oneof![
            (
                prop::sample::select(vec![10u8, 192, 0, 255]),
                any::<[u8; 3]>(),
                0u8..=32
            )
                .prop_map(|(f, r, p)| IpNet::V4(Ipv4Net::new(v4(f, r), p).expect("prefix"))),
            (any::<[u8; 16]>(), 0u8..=128).prop_map(|(mut a, p)| {
                a[0] = 0x20;
                IpNet::V6(Ipv6Net::new(Ipv6Addr::from(a), p).expect("prefix"))
            }),
            // IPv4-mapped entries, which the owned decoder refuses.
            (any::<[u8; 4]>(), 96u8..=128).prop_map(|(a, p)| {
                let mapped = Ipv4Addr::from(a).to_ipv6_mapped();
                IpNet::V6(Ipv6Net::new(mapped, p).expect("prefix"))
            }),
        ]
    }

    fn arb_client() -> impl Strategy<Value = Option<IpAddr>> {
        prop_oneof![
            Just(None),
            (
                prop::sample::select(vec![10u8, 192, 0, 255, 11]),
                any::<[u8; 3]>()
            )
                .prop_map(|(f, r)| Some(IpAddr::V4(v4(f, r)))),
            (prop::sample::select(vec![10u8, 192]), any::<[u8; 3]>())
                .prop_map(|(f, r)| Some(IpAddr::V6(v4(f, r).to_ipv6_mapped()))),
            any::<[u8; 16]>().prop_map(|mut a| {
                a[0] = 0x20;
                Some(IpAddr::V6(Ipv6Addr::from(a)))
            }),
        ]
    }

    fn arb_caveat() -> impl Strategy<Value = Caveat> {
        prop_oneof![
            any::<u64>().prop_map(Caveat::time),
            vec(arb_net(), 1..4).prop_map(|w| Caveat::Ip(IpCaveat::new(w).expect("ip"))),
            ("[a-z0-9._-]{1,8}/[a-z0-9._-]{1,8}", "[ -~é]{0,30}")
                .prop_map(|(n, v)| { Caveat::App(AppCaveat::new(&n, &v).expect("app")) }),
            Just(Caveat::InviteType(
                InviteTypeCaveat::parse_text("userJoinGroup").expect("invite type")
            )),
        ]
    }

    /// The name rules as first written (two passes and `split_once`), for the one-pass version.
    fn reference_name_ok(name: &str) -> bool {
        (3..=64).contains(&name.len())
            && name.bytes().all(|b| {
                b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || matches!(b, b'.' | b'_' | b'-' | b'/')
            })
            && matches!(name.split_once('/'),
                Some((ns, rest)) if !ns.is_empty() && !rest.is_empty() && !rest.contains('/'))
    }

    #[test]
    fn short_heads_are_read_as_the_reader_reads_them() {
        for first in 0..=255u8 {
            for second in [0u8, 1, 23, 24, 25, 255] {
                for third in [0u8, 1, 255] {
                    let mut input = vec![first, second, third];
                    input.resize(400, 0);
                    let mut pos = 0;
                    let bytes = short_head(&input, &mut pos, cbor::MAJOR_BYTES)
                        .and_then(|len| take(&input, &mut pos, len));
                    let expected = Reader::new(&input).bytes(usize::MAX).ok();
                    assert_eq!(
                        bytes.map(|r| r.len()),
                        expected.map(<[u8]>::len),
                        "{input:?}"
                    );
                    let mut pos = 0;
                    let n = short_head(&input, &mut pos, cbor::MAJOR_ARRAY);
                    let mut r = Reader::new(&input);
                    let expected = r.array(usize::MAX).ok();
                    // The reader also takes 4- and 8-byte heads, which the fast path leaves to it.
                    if first & 0x1f < 26 {
                        assert_eq!(n, expected, "{input:?}");
                        assert_eq!(n.map(|_| pos), expected.map(|_| r.position()));
                    } else {
                        assert_eq!(n, None);
                    }
                }
            }
        }
    }

    #[test]
    fn identifier_heads_are_read_as_the_reader_reads_them() {
        for first in 0..=255u8 {
            // Arguments on both sides of each minimal bound (24, 0x100, 0x1_0000, 0x1_0000_0000).
            for rest in [
                [0u8; 8],
                [1; 8],
                [0x17, 0, 0, 0, 0, 0, 0, 0],
                [0, 0xff, 0, 0, 0, 0, 0, 0],
                [0, 0, 0xff, 0xff, 0, 0, 0, 0],
                [0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff],
                [0, 0, 0, 1, 0, 0, 0, 0],
            ] {
                let mut input = vec![first];
                input.extend_from_slice(&rest);
                for len in [1, 2, 3, 5, 9] {
                    let input = &input[..len];
                    let mut c = Cursor { raw: input, pos: 0 };
                    let mut r = Reader::new(input);
                    assert_eq!(c.head(cbor::MAJOR_UINT), r.uint().ok(), "{input:?}");
                    assert_eq!(c.pos, r.position(), "{input:?}");
                }
            }
        }
    }

    #[test]
    fn byte_classes_are_the_identifier_rules() {
        for c in 0..=255u8 {
            let class = BYTE_CLASS[usize::from(c)];
            assert_eq!(class & ID_BYTE != 0, identifier::is_id_byte(c), "{c}");
            assert_eq!(
                class & LOCATION_BYTE != 0,
                identifier::check_location(&char::from(c).to_string()).is_ok() && c < 128,
                "{c}"
            );
        }
    }

    proptest! {
        #[test]
        fn view_agrees_with_the_owned_decoder(
            caveat in arb_caveat(),
            edit in prop::option::of((any::<prop::sample::Index>(), any::<u8>())),
            cut in prop::option::of(any::<prop::sample::Index>()),
            clients in vec(arb_client(), 1..8),
        ) {
            let mut bytes = caveat.to_native();
            if let Some((i, b)) = edit {
                let i = i.index(bytes.len());
                bytes[i] = b;
            }
            if let Some(c) = cut {
                bytes.truncate(c.index(bytes.len() + 1));
            }
            let owned = Caveat::from_native(&bytes);
            if let (Some(v), Ok(o)) = (view_caveat(&bytes), &owned) {
                // The verifier asks `caveat_allowed`'s table with the view's kind.
                prop_assert_eq!(v.kind(), o.kind());
            }
            match (view_caveat(&bytes), owned) {
                (Some(CaveatView::Time(v)), Ok(Caveat::Time(o))) => prop_assert_eq!(v, o),
                (Some(CaveatView::Ip(v)), Ok(Caveat::Ip(o))) => {
                    for c in clients {
                        prop_assert_eq!(v.holds(c), o.holds(c), "client {:?}", c);
                    }
                }
                (Some(CaveatView::App { name, value }), Ok(Caveat::App(o))) => {
                    prop_assert_eq!(name, o.name());
                    prop_assert_eq!(value, o.value());
                }
                (Some(v), o) => prop_assert!(false, "view {:?} but owned {:?}", v, o),
                // The fast path must stay in use for the kinds it covers.
                (None, Ok(Caveat::Time(_) | Caveat::Ip(_) | Caveat::App(_))) => {
                    prop_assert!(false, "no view for {:?}", bytes)
                }
                (None, _) => {}
            }
        }

        #[test]
        fn random_bytes_never_view_what_the_owned_decoder_refuses(
            bytes in vec(any::<u8>(), 0..24),
        ) {
            if view_caveat(&bytes).is_some() {
                prop_assert!(Caveat::from_native(&bytes).is_ok());
            }
        }

        #[test]
        fn app_names_follow_the_reference_rules(name in "[a-z0-9/._A-Z -]{0,70}") {
            prop_assert_eq!(AppCaveat::name_is_valid(&name), reference_name_ok(&name));
        }

        #[test]
        fn fast_envelope_agrees_with_the_reader(
            id in vec(any::<u8>(), 0..40),
            caveats in vec(vec(any::<u8>(), 0..26), 0..30),
            tag_len in prop::sample::select(vec![32usize, 31, 33, 0]),
            edits in vec((any::<prop::sample::Index>(), any::<u8>()), 0..3),
            cut in prop::option::of(any::<prop::sample::Index>()),
            (max_caveats, max_caveat_bytes, max_identifier_bytes) in (0usize..40, 0usize..40, 0usize..50),
        ) {
            let mut raw = Vec::new();
            cbor::write_array(&mut raw, 4);
            cbor::write_uint(&mut raw, VERSION);
            cbor::write_bytes(&mut raw, &id);
            cbor::write_array(&mut raw, caveats.len());
            for c in &caveats {
                cbor::write_bytes(&mut raw, c);
            }
            cbor::write_bytes(&mut raw, &vec![7; tag_len]);
            for (i, b) in edits {
                let i = i.index(raw.len());
                raw[i] = b;
            }
            if let Some(c) = cut {
                raw.truncate(c.index(raw.len() + 1));
            }
            let limits = Limits {
                max_token_bytes: 1 << 20,
                max_caveats,
                max_caveat_bytes,
                max_identifier_bytes,
            };
            let fresh = || Spans {
                format: Format::Native,
                raw: raw.clone(),
                identifier: 0..0,
                caveats: Ranges::with_capacity(0),
                tag: 0..0,
                third_party: Vec::new(),
            };
            let (mut fast, mut slow) = (fresh(), fresh());
            let slow_ok = envelope(&mut slow, &limits).is_ok();
            // Every envelope under 64 KiB has heads of at most three bytes: the fast path reads
            // exactly those the reader accepts, with the same spans.
            prop_assert_eq!(envelope_fast(&mut fast, &limits), slow_ok);
            if slow_ok {
                prop_assert_eq!(
                    fast.caveats.iter().collect::<Vec<_>>(),
                    slow.caveats.iter().collect::<Vec<_>>()
                );
                prop_assert_eq!(fast, slow);
            }
        }

        #[test]
        fn identifier_check_agrees_with_the_identifier_decoder(
            kid in prop::option::of("[a-z0-9-]{0,3}"),
            location in "[a-z. ]{0,4}",
            session in prop::option::of("[a-z~]{0,2}"),
            invite in prop::option::of((0u64..20, "[a-z]{0,2}", "[a-z=]{0,2}")),
            generation in prop::option::of(any::<u64>()),
            edits in vec((any::<prop::sample::Index>(), any::<u8>()), 0..3),
            cut in prop::option::of(any::<prop::sample::Index>()),
        ) {
            let token_type = match (invite, session) {
                (Some((code, target, params)), _) => match InviteType::from_code(code) {
                    Some(invite_type) => TokenType::Invite {
                        invite_type,
                        target: target.into(),
                        params: params.into(),
                    },
                    None => TokenType::Identity,
                },
                (None, session) => TokenType::Access { session: session.map(Into::into) },
            };
            let id = Identifier {
                location: location.into(),
                key_id: kid.map(Into::into),
                token_id: "t".into(),
                subject: Subject::Provider("p".into()),
                token_type,
                persistence: generation
                    .map_or(Persistence::Named, |generation| Persistence::Temporary { generation }),
            };
            let mut bytes = encode_identifier(&id);
            for (i, b) in edits {
                let i = i.index(bytes.len());
                bytes[i] = b;
            }
            if let Some(c) = cut {
                bytes.truncate(c.index(bytes.len() + 1));
            }
            prop_assert_eq!(identifier_is_valid(&bytes), decode_identifier(&bytes).is_ok());
        }

        #[test]
        fn identifier_check_agrees_on_random_bytes(bytes in vec(any::<u8>(), 0..40)) {
            prop_assert_eq!(identifier_is_valid(&bytes), decode_identifier(&bytes).is_ok());
        }

        #[test]
        fn key_id_reads_what_the_identifier_decoder_reads(
            kid in prop::option::of("[a-z0-9-]{1,20}"),
            location in "[a-z.]{1,30}",
        ) {
            let id = Identifier {
                location: location.into(),
                key_id: kid.map(Into::into),
                token_id: "t".into(),
                subject: Subject::User("u".into()),
                token_type: TokenType::Identity,
                persistence: Persistence::Named,
            };
            let bytes = encode_identifier(&id);
            let decoded = decode_identifier(&bytes).expect("valid");
            prop_assert_eq!(key_id(&bytes).expect("key id"), decoded.key_id.as_deref());
        }
    }
}
